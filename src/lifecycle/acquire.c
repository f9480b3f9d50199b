/* Acquire: a pooled buffer of the same class and group (a hit: no malloc, no backend call),
 * or a new one (a miss). A failed acquire leaves the pool as it was. */
#include <string.h>

#include "internal/pool.h"

/* The largest buffer the backend takes; debug guards come out of it. */
static uint64_t size_limit(const bp_pool *pool) {
    uint64_t limit = pool->caps.max_buffer_size, guard = pool->desc.guard_bytes;
    return limit > guard ? limit - guard : 0;
}

static bp_result validate(bp_pool *pool, const bp_acquire_desc *d) {
    if (d->size == 0) return bpi_fail(pool, BP_ERR_INVALID_SIZE, BP_LOG_ITEM_BAD_ARGUMENT, "acquire of size 0");
    if ((unsigned)d->memory >= BP_MEMORY_COUNT)
        return bpi_fail(pool, BP_ERR_INVALID_ARGUMENT, BP_LOG_ITEM_BAD_ARGUMENT, "unknown memory kind %u",
                        (unsigned)d->memory);
    if (d->usage & ~(uint32_t)BP_USAGE_ALL)
        return bpi_fail(pool, BP_ERR_INVALID_ARGUMENT, BP_LOG_ITEM_BAD_ARGUMENT, "unknown usage bits 0x%x",
                        d->usage & ~(uint32_t)BP_USAGE_ALL);
    if (d->flags & ~(uint32_t)BPI_KNOWN_FLAGS)
        return bpi_fail(pool, BP_ERR_INVALID_ARGUMENT, BP_LOG_ITEM_BAD_ARGUMENT, "unknown acquire flags 0x%x",
                        d->flags & ~(uint32_t)BPI_KNOWN_FLAGS);
    if (d->alignment & (d->alignment - 1))
        return bpi_fail(pool, BP_ERR_INVALID_ARGUMENT, BP_LOG_ITEM_BAD_ARGUMENT,
                        "alignment %llu is not a power of two", (unsigned long long)d->alignment);
    uint64_t limit = size_limit(pool);
    if (d->size > limit || d->size > BPI_MAX_CLASS_SIZE ||
        bpi_class_size(pool->pow2, bpi_class_of(pool->pow2, d->size)) > limit)
        return bpi_fail(pool, BP_ERR_TOO_LARGE, BP_LOG_ITEM_BAD_ARGUMENT,
                        "size %llu exceeds the backend's limit of %llu bytes", (unsigned long long)d->size,
                        (unsigned long long)limit);
    if (!(pool->caps.memory_kinds & (1u << d->memory)))
        return bpi_fail(pool, BP_ERR_UNSUPPORTED, BP_LOG_ITEM_BAD_ARGUMENT, "backend '%s' has no %s memory",
                        pool->backend.name, bp_memory_string(d->memory));
    return BP_OK;
}

void bpi_acquire_init(bp_pool *pool) {
    /* the largest size that `validate` accepts: its class fits the limit too */
    uint64_t limit = size_limit(pool), m = limit < BPI_MAX_CLASS_SIZE ? limit : BPI_MAX_CLASS_SIZE;
    uint32_t c = m ? bpi_class_of(pool->pow2, m) : 0;
    if (m && bpi_class_size(pool->pow2, c) > limit) m = c ? bpi_class_size(pool->pow2, c - 1) : 0;
    pool->fast_max_size = m;
    pool->plain_key = BPI_NO_KEY;
    bpi_set_hot_key(pool, BPI_NO_KEY);
    bpi_retention_init(pool);
    bpi_trim_init(pool);
    pool->release_extras = pool->desc.guard_bytes || pool->desc.poison_on_release || pool->desc.zero_on_release;
    bpi_fast_flags(pool);
}

/* The group of a request. A plain one (no alignment) becomes the pool hit's group, unless
 * hits are blocked (eviction callback, trace). */
static int find_group(bp_pool *pool, const bp_acquire_desc *d, uint32_t ukey, uint32_t ashift) {
    int g = bpi_group_find(pool, d->memory, ukey, ashift);
    if (g >= 0 && !ashift && !pool->hit_blocked &&
        (pool->hot_key != bpi_request_key(d) || pool->hot_buckets != pool->groups[g].buckets)) {
        bpi_set_hot_key(pool, bpi_request_key(d));
        pool->hot_buckets = pool->groups[g].buckets;
        pool->hot_size = 1; /* a valid size with its bucket: bpi_hot_bucket_refresh trusts a match */
        pool->hot_bucket = pool->hot_buckets + bpi_class_of(pool->pow2, 1);
    }
    return g;
}

void bpi_link_held(bp_pool *pool, uint32_t index) {
    bpi_slot *s = &pool->slots[index];
    if (s->flags & BP_ACQUIRE_TRANSIENT) bpi_list_push_back(pool, &pool->transient, index);
    else if (s->scope_depth) bpi_list_push_back(pool, &pool->live, index); /* a scope end finds it */
    if (s->owner) bpi_owner_link(pool, index);
}

bp_result bpi_create_native(bp_pool *pool, int group, uint32_t class_index, const char *tag,
                            bp_backend_buffer *out) {
    const bpi_group *g = &pool->groups[group];
    uint64_t align = pool->caps.min_alignment;
    if (g->align_shift) align = 1ull << g->align_shift;
    bp_backend_create_desc cd = {
        .size = bpi_class_size(pool->pow2, class_index) + pool->desc.guard_bytes,
        .memory = g->memory,
        .usage = g->usage ? g->usage : BP_USAGE_ALL,
        .alignment = align,
        .tag = tag,
    };
    memset(out, 0, sizeof *out);
    bpi_callback_guard guard = bpi_callback_enter(pool);
    bp_result r = pool->backend.create(pool->backend.user, &cd, out);
    bpi_callback_leave(pool, guard);
    if (r != BP_OK) {
        memset(out, 0, sizeof *out);
        /* out of memory and a backend's own cap (a block mode's allocation count) keep their code */
        if (r == BP_ERR_CAPACITY) pool->stats.capacity_failures++;
        return bpi_fail(pool, r == BP_ERR_OUT_OF_MEMORY || r == BP_ERR_CAPACITY ? r : BP_ERR_BACKEND,
                        BP_LOG_ITEM_BACKEND_FAILURE, "backend '%s' failed to create %llu bytes (%s)",
                        pool->backend.name, (unsigned long long)cd.size, bp_result_string(r));
    }
    if (out->capacity == 0) out->capacity = cd.size;
    if (pool->desc.guard_bytes) bpi_guard_fill(pool, out);
    return BP_OK;
}

/* Fixed pools refuse a miss; the message names the cap (the table preallocated at creation). */
static bp_result capacity_exceeded(bp_pool *pool, uint32_t memory, uint64_t size) {
    uint64_t largest = 0;
    for (uint32_t c = 0; c < bpi_class_count(pool->pow2); c++)
        if (pool->classes[c].used) largest = bpi_class_size(pool->pow2, c);
    pool->stats.capacity_failures++;
    return bpi_fail(pool, BP_ERR_CAPACITY, BP_LOG_ITEM_CAPACITY,
                    "fixed-capacity pool '%s': no free %s buffer of %llu bytes or more; the cap is %u buffers "
                    "(largest %llu bytes) preallocated at creation, %u of them held and %u waiting for frames "
                    "in flight",
                    pool->name, bp_memory_string((bp_memory)memory), (unsigned long long)size,
                    pool->stats.buffers_total, (unsigned long long)largest, bpi_buffers_in_use(pool),
                    pool->stats.buffers_pending);
}

/* Create a buffer for a miss: group (g, or a new one when g < 0), budget, slot, backend;
 * undone in reverse on failure. */
static bp_result create_for_miss(bp_pool *pool, int g, uint32_t memory, uint32_t ukey, uint32_t ashift, uint32_t cls,
                                 const char *tag, uint32_t *out_index) {
    if (pool->desc.capacity_mode == BP_CAPACITY_FIXED)
        return capacity_exceeded(pool, memory, bpi_class_size(pool->pow2, cls));
    bp_result r = g >= 0 ? BP_OK : bpi_group_get(pool, memory, ukey, ashift, &g);
    if (r != BP_OK) return r;
    /* The slot first: a handle table that cannot grow must fail before making room under
     * the budget has destroyed pooled buffers (a failed acquire changes nothing). */
    uint32_t index, old_count = pool->slot_count;
    r = bpi_slot_new(pool, &index);
    if (r != BP_OK) return r;
    r = bpi_make_room(pool, bpi_class_size(pool->pow2, cls));
    bp_backend_buffer native;
    if (r == BP_OK) r = bpi_create_native(pool, g, cls, tag, &native);
    if (r != BP_OK) {
        bpi_slot_unnew(pool, index, old_count); /* the table as it was */
        return r;
    }
    bpi_slot *s = &pool->slots[index];
    bpi_slot_set_class(pool, s, g, cls);
    s->native = native;
    s->hit_base = s->generation + 1u; /* the hand-out that follows is the miss, not a hit */
    s->state = BPI_FREE;
    s->list_prev = s->list_next = BPI_NIL; /* a recycled slot's list_next linked the free slots */
    bpi_stats_created(pool, s);
    *out_index = index;
    return BP_OK;
}

/* The oldest pooled buffer of the next `reuse_larger_classes` classes above cls (as counted by
 * resolve_borrowing) that has lain unused since before the previous frame, out of its bucket
 * (it stays of its own class), or BPI_NIL. Only the tail can be that old (buckets are in
 * pooling order); a buffer released in the previous frame or this one is left to its own
 * class, which likely asks for it again, so that the next class's steady demand is not moved
 * onto its slow path every frame. From BPI_BORROW_LARGE_SIZE up, where a miss is a large
 * allocation, one released before this frame is enough (the benchmark's random workload held
 * 106 -> 100 MiB, the fixed_capacity trace 2.2 -> 2.0, hits up). */
uint32_t bpi_borrow_idle_larger(bp_pool *pool, bpi_bucket *buckets, uint32_t cls) {
    uint64_t frame = pool->stats.frame;
    uint32_t top = bpi_class_count(pool->pow2);
    bool large = cls >= bpi_class_of(pool->pow2, BPI_BORROW_LARGE_SIZE);
    uint32_t last = cls + (large ? pool->borrow_classes_large : pool->borrow_classes);
    uint64_t idle_frames = large ? 0u : 1u; /* frame ends since its release, past the first */
    for (uint32_t c = cls + 1; c <= last && c < top; c++) {
        uint32_t t = bpi_bucket_oldest(&buckets[c]);
        if (t != BPI_NIL && pool->slots[t].frame + idle_frames < frame) {
            bpi_bucket_remove(pool, t);
            return t;
        }
    }
    return BPI_NIL;
}

/* A pooled buffer of group g (or -1: none yet) for class cls, or one a larger class does not
 * need (borrow_idle_larger; *tail says so: it left its bucket's tail); a fixed pool takes any
 * larger class when that one is empty. BPI_NIL when there is none. */
static uint32_t pop_pooled(bp_pool *pool, int g, uint32_t cls, bool *tail) {
    *tail = false;
    if (g < 0) return BPI_NIL;
    bpi_bucket *buckets = pool->groups[g].buckets;
    uint32_t index = bpi_bucket_pop(pool, &buckets[cls]);
    if (index != BPI_NIL) return index;
    if (pool->borrow_classes_large) {
        index = bpi_borrow_idle_larger(pool, buckets, cls);
        *tail = index != BPI_NIL;
    } else if (pool->desc.capacity_mode == BP_CAPACITY_FIXED) {
        int c = bpi_bucket_next_nonempty(pool, g, cls);
        if (c >= 0) index = bpi_bucket_pop(pool, &buckets[c]);
    }
    return index;
}

/* Every acquire but the inline hit. `u` is a two-step call's undo record (bpi_undo_acquire):
 * it saves what the undo needs and defers the trace line. Plain acquires pass NULL, a
 * constant, so the undo steps fold away and cost them nothing. */
BPI_HOT bp_result acquire_with(bp_pool *pool, const bp_acquire_desc *d, bp_buffer *out, const char *file, int line,
                               bpi_undo *u) {
    bp_result r = bpi_valid_fast(pool, d) ? BP_OK : validate(pool, d);
    if (r == BP_OK && d->owner) r = bpi_owner_reserve(pool, d->owner);
    if (r != BP_OK) return r;
    uint32_t usage = d->usage ? d->usage : BP_USAGE_ALL;
    uint32_t ukey = pool->caps.usage_sensitive ? usage : 0;
    uint32_t ashift = d->alignment > pool->caps.min_alignment ? (uint32_t)bpi_log2_floor(d->alignment) : 0;
    uint32_t cls = bpi_class_of(pool->pow2, d->size);

    int g = find_group(pool, d, ukey, ashift);
    bool tail;
    uint32_t index = pop_pooled(pool, g, cls, &tail);
    /* before a miss, the buffers thread caches keep go back to the buckets (a miss means no
     * pooled buffer of the class anywhere), a new group's included: the miss may have to make
     * room with them under a budget or an allocation cap */
    if (index == BPI_NIL && pool->tcache_count && bpi_tcache_flush(pool) && g >= 0)
        index = pop_pooled(pool, g, cls, &tail);
    bool hit = index != BPI_NIL;
    if (hit) {
        if (u) bpi_undo_save_hit(pool, u, index, tail);
        bpi_take_pooled(pool, &pool->slots[index]);
    } else {
        if (u) bpi_undo_save_miss(pool, u, cls);
        r = create_for_miss(pool, g, d->memory, ukey, ashift, cls, d->tag, &index);
        if (r != BP_OK) {
            if (d->owner) bpi_owner_unreserve(pool, d->owner);
            return r;
        }
        bpi_stats_state(pool, &pool->slots[index], BPI_FREE, BPI_IN_USE);
        pool->classes[pool->slots[index].class_index].acquires++;
        pool->stats.misses++;
        bool raised = bpi_retain_demand_miss(pool, index);
        if (u) u->e[u->count].raised_cap = raised;
    }
    uint64_t id = bpi_hand_out(pool, index, d, file, line);
    if (!hit) bpi_check_warning(pool);
    out->id = id;
    if (u) bpi_undo_push(u, id, d->size);
    else bpi_trace_acquire(pool, id, d->size);
    return BP_OK;
}

bp_result bpi_acquire(bp_pool *pool, const bp_acquire_desc *d, bp_buffer *out, const char *file, int line) {
    return acquire_with(pool, d, out, file, line, NULL);
}

bp_result bpi_undo_acquire(bp_pool *pool, bpi_undo *u, const bp_acquire_desc *d, bp_buffer *out, const char *file,
                           int line) {
    if (u->count == BPI_UNDO_MAX)
        return bpi_fail(pool, BP_ERR_CAPACITY, BP_LOG_ITEM_NONE, "more than %u acquires in one call", BPI_UNDO_MAX);
    return acquire_with(pool, d, out, file, line, u);
}
