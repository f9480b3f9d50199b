/* The small operations every acquire and release performs, inline so that they cost no call:
 * the lock test, the handle check, intrusive list links, bucket push/pop, the state
 * counters and the pool hit itself. Included by pool.h; the rest of each layer stays in its own .c file. */
#ifndef BPI_HOT_H
#define BPI_HOT_H

/* The pool hit's pieces are inlined even where a file calls them twice (the compiler would
 * otherwise outline them as they grow); the paths around a hit stay out of it. */
#if defined(__GNUC__)
#define BPI_HOT static inline __attribute__((always_inline))
#define BPI_NOINLINE __attribute__((noinline)) /* the locked/slow path a hit tail-calls */
#else
#define BPI_HOT static inline
#define BPI_NOINLINE
#endif

/* ---- api: the pool lock (thread_safe pools only) ---- */

/* Pools that are not thread_safe pay one test; the lock itself is out of line (support.c). */
static inline void bpi_lock(bp_pool *pool) {
    if (pool->thread_safe) bpi_mutex_lock(pool);
}

static inline void bpi_unlock(bp_pool *pool) {
    if (pool->thread_safe) bpi_mutex_unlock(pool);
}

/* ---- handles: the slot of a buffer the application holds, or NULL; on NULL the caller
 * asks bpi_lookup what is wrong (zero, foreign, stale or released handle) ---- */

static inline bpi_slot *bpi_held_fast(bp_pool *pool, bp_buffer buf) {
    uint32_t low = (uint32_t)buf.id, index = low & (BPI_MAX_SLOTS - 1u);
    if ((low >> BPI_INDEX_BITS) != pool->tag || index >= pool->slot_count) return NULL;
    bpi_slot *s = &pool->slots[index];
    return s->generation == (uint32_t)(buf.id >> 32) && s->state == BPI_IN_USE ? s : NULL;
}

/* ---- lifecycle: intrusive doubly linked lists of slots through their `list` links ---- */

static inline void bpi_list_push_back(bp_pool *pool, bpi_list *list, uint32_t index) {
    bpi_slot *s = &pool->slots[index];
    s->list_next = BPI_NIL;
    s->list_prev = list->tail;
    if (list->tail != BPI_NIL) pool->slots[list->tail].list_next = index;
    else list->head = index;
    list->tail = index;
}

static inline void bpi_list_remove(bp_pool *pool, bpi_list *list, uint32_t index) {
    bpi_slot *s = &pool->slots[index];
    if (s->list_prev != BPI_NIL) pool->slots[s->list_prev].list_next = s->list_next;
    else list->head = s->list_next;
    if (s->list_next != BPI_NIL) pool->slots[s->list_next].list_prev = s->list_prev;
    else list->tail = s->list_prev;
    s->list_prev = s->list_next = BPI_NIL;
}

/* The list a held buffer sits in (see bpi_slot), or NULL. */
static inline bpi_list *bpi_held_list(bp_pool *pool, const bpi_slot *s) {
    if (s->flags & BP_ACQUIRE_TRANSIENT) return &pool->transient;
    return s->scope_depth ? &pool->live : NULL;
}

/* ---- placement: one LIFO bucket per (group, class) through the `aux` links ---- */

/* The non-empty bitmap serves only the larger-class search of fixed pools, so only fixed
 * pools keep it (all bits stay 0 in the others). */
static inline void bpi_bitmap_set(bpi_group *g, uint32_t class_index, bool nonempty) {
    uint64_t bit = 1ull << (class_index & 63u);
    if (nonempty) g->nonempty[class_index >> 6] |= bit;
    else g->nonempty[class_index >> 6] &= ~bit;
}

/* Returns the bucket's new count. */
static inline uint32_t bpi_bucket_push(bp_pool *pool, uint32_t index) {
    bpi_slot *s = &pool->slots[index];
    bpi_group *g = &pool->groups[s->group];
    bpi_bucket *b = &g->buckets[s->class_index];
    s->aux_prev = BPI_NIL;
    s->aux_next = b->head;
    if (b->head != BPI_NIL) pool->slots[b->head].aux_prev = index;
    b->head = index;
    if (b->count++ == 0 && pool->desc.capacity_mode == BP_CAPACITY_FIXED) bpi_bitmap_set(g, s->class_index, true);
    return b->count;
}

static inline void bpi_bucket_remove(bp_pool *pool, uint32_t index) {
    bpi_slot *s = &pool->slots[index];
    bpi_group *g = &pool->groups[s->group];
    bpi_bucket *b = &g->buckets[s->class_index];
    if (s->aux_prev != BPI_NIL) pool->slots[s->aux_prev].aux_next = s->aux_next;
    else b->head = s->aux_next;
    if (s->aux_next != BPI_NIL) pool->slots[s->aux_next].aux_prev = s->aux_prev;
    s->aux_prev = s->aux_next = BPI_NIL;
    if (--b->count == 0 && pool->desc.capacity_mode == BP_CAPACITY_FIXED) bpi_bitmap_set(g, s->class_index, false);
}

/* Take the most recently pooled buffer of a class, or BPI_NIL. The head has no aux_prev. */
static inline uint32_t bpi_bucket_pop(bp_pool *pool, int group, uint32_t class_index) {
    bpi_group *g = &pool->groups[group];
    bpi_bucket *b = &g->buckets[class_index];
    uint32_t index = b->head;
    if (index == BPI_NIL) return index;
    bpi_slot *s = &pool->slots[index];
    uint32_t next = s->aux_next;
    b->head = next;
    if (next != BPI_NIL) pool->slots[next].aux_prev = BPI_NIL;
    s->aux_next = BPI_NIL;
    if (--b->count == 0 && pool->desc.capacity_mode == BP_CAPACITY_FIXED) bpi_bitmap_set(g, class_index, false);
    return index;
}

/* ---- accounting: pool counters kept per state, so bp_get_stats is O(1) (per-class ones are
 * recounted when read) ---- */

static inline void bpi_stats_adjust(bp_pool *pool, const bpi_slot *slot, bpi_state state, int sign) {
    bp_stats *st = &pool->stats;
    uint64_t cap = slot->native.capacity;
    switch (state) {
    case BPI_IN_USE:
        st->bytes_in_use += sign > 0 ? cap : -cap;
        st->buffers_in_use += (uint32_t)sign;
        if (st->bytes_in_use > st->peak_in_use) st->peak_in_use = st->bytes_in_use;
        break;
    case BPI_PENDING:
        st->bytes_pending += sign > 0 ? cap : -cap;
        st->buffers_pending += (uint32_t)sign;
        break;
    case BPI_POOLED:
        st->bytes_pooled += sign > 0 ? cap : -cap;
        st->buffers_pooled += (uint32_t)sign;
        break;
    default:
        break;
    }
}

/* A slot moves between states; with constant states the switch folds away. */
static inline void bpi_stats_state(bp_pool *pool, const bpi_slot *slot, bpi_state from, bpi_state to) {
    bpi_stats_adjust(pool, slot, from, -1);
    bpi_stats_adjust(pool, slot, to, +1);
}

/* ---- lifecycle: an acquire hands out a slot (hit or new buffer); the common hit is inline ---- */

#define BPI_KNOWN_FLAGS (BP_ACQUIRE_TRANSIENT | BP_ACQUIRE_ZERO | BP_ACQUIRE_NO_SCOPE)

/* The common request in one test: a size the backend can hold, a known memory kind the
 * backend has, known usage and flag bits, no alignment. Anything else takes the full checks. */
static inline bool bpi_valid_fast(const bp_pool *pool, const bp_acquire_desc *d) {
    uint32_t m = (uint32_t)d->memory;
    return (d->size - 1u < pool->fast_max_size) & (m < BP_MEMORY_COUNT) & ((pool->caps.memory_kinds >> (m & 31u)) & 1u) &
           !((d->usage & ~(uint32_t)BP_USAGE_ALL) | (d->flags & ~(uint32_t)BPI_KNOWN_FLAGS) | d->alignment);
}

/* The group cache's key of (memory, usage key, alignment shift). */
static inline uint64_t bpi_group_key(uint32_t memory, uint32_t ukey, uint32_t ashift) {
    return (uint64_t)ukey << 32 | ashift << 8 | memory;
}

/* The slot at `index` (counted in use already, list links NIL) goes to the application: its
 * fields, its list, the request counters; returns the new id (the caller traces it). */
BPI_HOT uint64_t bpi_hand_out(bp_pool *pool, uint32_t index, const bp_acquire_desc *d, const char *file,
                                    int line) {
    bpi_slot *s = &pool->slots[index];
    uint32_t flags = d->flags; /* read once: the stores below may alias *d as far as C knows */
    uint64_t size = d->size, owner = d->owner;
    uint32_t gen = ++s->generation;
    s->state = BPI_IN_USE;
    s->flags = flags;
    s->size = size;
    s->owner = owner;
    s->tag = d->tag;
    s->file = file;
    s->line = line;
    s->frame = pool->stats.frame;
    s->seq = ++pool->seq;
    s->scope_depth = (flags & BP_ACQUIRE_NO_SCOPE) ? 0 : pool->scope_depth;
    s->native_generation = 1;
    if (flags & BP_ACQUIRE_TRANSIENT) bpi_list_push_back(pool, &pool->transient, index);
    else if (s->scope_depth) bpi_list_push_back(pool, &pool->live, index); /* a scope end finds it */
    if (owner) bpi_owner_link(pool, index);
    if ((flags & BP_ACQUIRE_ZERO) && s->native.mapped) memset(s->native.mapped, 0, bpi_usable_capacity(pool, s));
    bp_stats *st = &pool->stats;
    st->acquires++;
    st->bytes_requested += size;
    if (st->bytes_requested > st->peak_requested) st->peak_requested = st->bytes_requested;
    return bpi_make_id(pool, index, gen);
}

/* A pooled buffer taken for the application: out of the LRU list, counted in use. */
BPI_HOT void bpi_take_pooled(bp_pool *pool, uint32_t index) {
    bpi_list_remove(pool, &pool->lru, index);
    bpi_stats_state(pool, &pool->slots[index], BPI_POOLED, BPI_IN_USE);
    pool->slots[index].hits++;
    pool->stats.hits++;
}

/* The usual acquire: a plain request (no owner, alignment or zeroing, no trace open) of the
 * group found last, served from its bucket. Returns false, having changed nothing, for
 * everything else (bpi_acquire). With nothing left to call, the hit saves no registers. */
BPI_HOT bool bpi_acquire_hit(bp_pool *pool, const bp_acquire_desc *d, bp_buffer *out, const char *file,
                             int line) {
    uint64_t size = d->size;
    uint32_t m = (uint32_t)d->memory, usage = d->usage, flags = d->flags;
    /* bpi_valid_fast less the memory kind test: the cached group's memory kind passed it */
    if ((size - 1u >= pool->fast_max_size) | (m >= BP_MEMORY_COUNT) | pool->hit_blocked ||
        ((usage & ~(uint32_t)BP_USAGE_ALL) | (flags & ~(uint32_t)(BP_ACQUIRE_TRANSIENT | BP_ACQUIRE_NO_SCOPE)) |
         d->alignment | d->owner))
        return false;
    uint32_t ukey = pool->caps.usage_sensitive ? (usage ? usage : BP_USAGE_ALL) : 0;
    if (bpi_group_key(m, ukey, 0) != pool->hot_group_key) return false;
    uint32_t cls = pool->hot_class;
    if (size != pool->hot_size) cls = bpi_class_of(pool->pow2, size);
    uint32_t index = bpi_bucket_pop(pool, pool->hot_group, cls);
    if (index == BPI_NIL) return false;
    pool->hot_size = size;
    pool->hot_class = cls;
    bpi_take_pooled(pool, index);
    /* a local copy: the compiler sees no owner and no zeroing, so no call is left */
    const bp_acquire_desc plain = {.size = size, .flags = flags, .tag = d->tag};
    out->id = bpi_hand_out(pool, index, &plain, file, line);
    return true;
}

/* ---- lifecycle: a release; the common one (no frame to wait for) pools the buffer inline ---- */

/* A released buffer (counted as pooled already) goes into its bucket and the LRU list, or is
 * destroyed when the retention cap of its class is full. A buffer whose slot has issued its
 * last id is destroyed too, unless the pool keeps its buffers (fixed, high-water): then it
 * moves to a fresh slot. */
BPI_HOT void bpi_pool_slot(bp_pool *pool, uint32_t index) {
    bpi_slot *s = &pool->slots[index];
    s->state = BPI_POOLED;
    s->frame = pool->stats.frame;
    s->pooled_time = pool->now;
    s->owner = 0;
    s->tag = NULL;
    s->file = NULL;
    bool keep_all = pool->desc.capacity_mode != BP_CAPACITY_DYNAMIC;
    uint32_t count = bpi_bucket_push(pool, index);
    bpi_list_push_back(pool, &pool->lru, index);
    if (s->generation == UINT32_MAX) { /* rare: after 2^32 - 1 acquires of this slot */
        if (keep_all) bpi_slot_renew_pooled(pool, index);
        else bpi_destroy_pooled(pool, index);
        return;
    }
    if (!keep_all && pool->desc.max_pooled_per_class != BP_NEVER && count > pool->desc.max_pooled_per_class) {
        bpi_destroy_pooled(pool, index);
        return;
    }
    if (!keep_all && pool->stats.bytes_pooled > pool->desc.max_pooled_bytes) bpi_enforce_pooled_cap(pool);
}

/* Release a held buffer: it waits `frames_in_flight` frame ends in the pending FIFO, or, with
 * no frame to wait for, is pooled at once. */
BPI_HOT bp_result bpi_release_held(bp_pool *pool, uint32_t index) {
    bpi_slot *s = &pool->slots[index];
    bool extras = pool->release_extras;
    bp_result r = extras && pool->desc.guard_bytes ? bpi_guard_check(pool, s, "at release") : BP_OK;
    bpi_trace_release(pool, bpi_make_id(pool, index, s->generation));
    if ((s->flags & BP_ACQUIRE_TRANSIENT) | s->scope_depth) bpi_list_remove(pool, bpi_held_list(pool, s), index);
    if (s->owner) bpi_owner_unlink(pool, index);
    pool->stats.bytes_requested -= s->size;
    pool->stats.releases++;
    if (extras && (pool->desc.poison_on_release || pool->desc.zero_on_release) && s->native.mapped) bpi_scrub(pool, s);
    /* A pool that never began a frame has no GPU frame to wait for. */
    if (pool->desc.frames_in_flight == BP_IMMEDIATE_REUSE || !pool->frames_used) {
        bpi_stats_state(pool, s, BPI_IN_USE, BPI_POOLED);
        bpi_pool_slot(pool, index);
    } else {
        bpi_defer_release(pool, index);
    }
    return r;
}

/* The usual release: a held buffer with no owner, list, guard, scrubbing or trace, in a pool
 * with no frame to wait for, goes straight back to its bucket. Returns false, having changed
 * nothing, for everything else (bpi_release_held). */
BPI_HOT bool bpi_release_plain(bp_pool *pool, bp_buffer buf) {
    bpi_slot *s = bpi_held_fast(pool, buf);
    if (!pool->release_plain || !s || ((s->flags & BP_ACQUIRE_TRANSIENT) | s->scope_depth) || s->owner) return false;
    pool->stats.bytes_requested -= s->size;
    pool->stats.releases++;
    bpi_stats_state(pool, s, BPI_IN_USE, BPI_POOLED);
    bpi_pool_slot(pool, (uint32_t)(s - pool->slots));
    return true;
}

/* hits / acquires, computed when the stats are read rather than on every acquire. */
static inline double bpi_hit_rate(const bp_stats *st) {
    return st->acquires ? (double)st->hits / (double)st->acquires : 0.0;
}

#endif
