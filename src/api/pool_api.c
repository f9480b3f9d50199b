/* Public API: pool creation (desc validation and defaults, resolved here once) and
 * destruction (leak report, then everything freed). */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/libc_alloc.h"
#include "internal/pool.h"

static bp_result check_desc(const bp_pool_desc *d) {
    if ((unsigned)d->class_scheme > BP_CLASSES_POW2 || (unsigned)d->capacity_mode > BP_CAPACITY_HIGH_WATER)
        return BP_ERR_INVALID_ARGUMENT;
    if (d->capacity_table_count && !d->capacity_table) return BP_ERR_INVALID_ARGUMENT;
    if (d->capacity_mode == BP_CAPACITY_FIXED && !d->capacity_table_count) return BP_ERR_INVALID_ARGUMENT;
    if (isnan(d->idle_trim_seconds)) return BP_ERR_INVALID_ARGUMENT;
    if (!d->allocator.alloc != !d->allocator.free) return BP_ERR_INVALID_ARGUMENT;
    if (d->max_buffers > BPI_MAX_SLOTS) return BP_ERR_INVALID_ARGUMENT;
    for (uint32_t i = 0; i < d->capacity_table_count; i++) {
        const bp_capacity_entry *e = &d->capacity_table[i];
        if (!e->size || e->size > BPI_MAX_CLASS_SIZE || (unsigned)e->memory >= BP_MEMORY_COUNT ||
            (e->usage & ~(uint32_t)BP_USAGE_ALL))
            return BP_ERR_INVALID_ARGUMENT;
    }
    if (d->backend) {
        const bp_backend *b = d->backend;
        if (b->version != BP_BACKEND_VERSION || b->struct_size < sizeof(bp_backend) || !b->create || !b->destroy)
            return BP_ERR_INVALID_ARGUMENT;
    }
    return BP_OK;
}

/* reuse_larger_classes as counts of classes (see bp_pool_desc), below BPI_BORROW_LARGE_SIZE
 * and from it up. The default is larger from 64 KiB up: a miss there is a large allocation and
 * the memory a borrow saves is larger, while what a borrow costs (an old, cold buffer's slot
 * on the slow path) is the same at any size; two classes up for the small sizes of seed 000's
 * instances took 25% more time. From 64 KiB up a whole power of two (8 fine classes): on the
 * benchmark's random workload the peak held fell from 134 to 106 MiB against 2 classes (122
 * with 4), hits 98.9% -> 99.0%, for ~25% more time an acquire (still 6x mimalloc's); the
 * mixed trace held 109.6 -> 107.8 MiB, vegetation the same (844). 12-16 classes held random
 * at 97-101 MiB but vegetation 2-9% higher (small requests took large idle buffers that its
 * large sizes then missed). A fixed pool's own rule takes any larger class (pop_pooled). */
static void resolve_borrowing(bp_pool *pool) {
    const bp_pool_desc *d = &pool->desc;
    uint32_t want = d->reuse_larger_classes, classes = bpi_class_count(pool->pow2);
    bool off = d->capacity_mode == BP_CAPACITY_FIXED || want == BP_NEVER || (!want && pool->pow2);
    if (want > classes) want = classes;
    pool->borrow_classes = off ? 0 : want ? want : 1;
    pool->borrow_classes_large = off ? 0 : want ? want : BPI_BORROW_LARGE_CLASSES;
}

static void resolve(bp_pool *pool, const bp_pool_desc *in) {
    bp_pool_desc *d = &pool->desc;
    *d = *in;
    if (!d->max_pooled_per_class) d->max_pooled_per_class = 8;
    if (!d->max_pooled_bytes) d->max_pooled_bytes = BP_UNLIMITED;
    if (!d->frames_in_flight) d->frames_in_flight = 2;
    if (!d->idle_trim_frames) d->idle_trim_frames = 300;
    if (d->idle_trim_seconds == 0) d->idle_trim_seconds = 30.0;
    if (!d->warn_reserved_bytes) d->warn_reserved_bytes = 100ull << 20;
    if (!d->max_buffers) d->max_buffers = BPI_MAX_SLOTS;
    snprintf(pool->name, sizeof pool->name, "%s", d->name ? d->name : "bufpool");
    d->name = pool->name;
    pool->pow2 = d->class_scheme == BP_CLASSES_POW2;
    resolve_borrowing(pool);
    pool->thread_safe = d->thread_safe;
    /* a fixed pool allocates nothing after creation; a cache is allocated per thread */
    pool->tcache_on = d->thread_safe && !d->no_thread_cache && d->capacity_mode != BP_CAPACITY_FIXED;
}

static void query_caps(bp_pool *pool) {
    bp_backend_caps c = {0};
    if (pool->backend.query_caps && pool->backend.query_caps(pool->backend.user, &c) != BP_OK) memset(&c, 0, sizeof c);
    if (!c.max_buffer_size) c.max_buffer_size = BPI_MAX_CLASS_SIZE;
    if (!c.min_alignment) c.min_alignment = 16;
    if (!c.memory_kinds) c.memory_kinds = (1u << BP_MEMORY_COUNT) - 1u;
    pool->caps = c;
}

/* Create `e->count` buffers straight into the pool (fixed / high-water / warm-up). */
static bp_result preallocate(bp_pool *pool, const bp_capacity_entry *e) {
    uint32_t usage = e->usage ? e->usage : BP_USAGE_ALL;
    uint32_t cls = bpi_class_of(pool->pow2, e->size);
    /* the acquire's limit: its class plus the debug guard fits the backend (fast_max_size) */
    if (e->size > pool->fast_max_size || !(pool->caps.memory_kinds & (1u << e->memory)))
        return bpi_fail(pool, BP_ERR_TOO_LARGE, BP_LOG_ITEM_BAD_ARGUMENT, "capacity entry of %llu bytes not supported",
                        (unsigned long long)e->size);
    int g;
    bp_result r = bpi_group_get(pool, e->memory, pool->caps.usage_sensitive ? usage : 0, 0, &g);
    for (uint32_t i = 0; r == BP_OK && i < e->count; i++) {
        uint32_t index;
        r = bpi_make_room(pool, bpi_class_size(pool->pow2, cls));
        if (r == BP_OK) r = bpi_slot_new(pool, &index);
        if (r != BP_OK) break;
        bpi_slot *s = &pool->slots[index];
        r = bpi_create_native(pool, g, cls, "preallocated", &s->native);
        if (r != BP_OK) {
            bpi_slot_retire(pool, index);
            break;
        }
        bpi_slot_set_class(pool, s, g, cls);
        s->generation++; /* a live slot never has generation 0, even before its first acquire */
        s->hit_base = s->generation;
        s->list_prev = s->list_next = BPI_NIL; /* a recycled slot's list_next linked the free slots */
        bpi_stats_created(pool, s);
        bpi_stats_state(pool, s, BPI_FREE, BPI_POOLED);
        bpi_make_pooled(pool, index);
    }
    return r;
}

static atomic_uint next_tag = 0;
static atomic_uint next_serial = 0; /* pool->serial: thread cache entries of a destroyed pool never match */

bp_result bp_pool_create(const bp_pool_desc *desc, bp_pool **out_pool) {
    if (!out_pool) return BP_ERR_INVALID_ARGUMENT;
    *out_pool = NULL;
    bp_pool_desc in = desc ? *desc : (bp_pool_desc){0};
    bp_result r = check_desc(&in);
    bp_backend backend = {0};
    bool made_default = false; /* the pool made its own backend (and must release it on failure) */
    if (in.backend) backend = *in.backend;
    /* the default: the host backend in block mode (its state is allocated: made only for a
     * valid desc) */
    else if (r == BP_OK) {
        bp_host_backend_desc hd = {.block_size = BP_HOST_DEFAULT_BLOCK_SIZE};
        made_default = bp_host_backend(&hd, &backend) == BP_OK;
        if (!made_default) r = BP_ERR_OUT_OF_MEMORY;
    }
    bp_allocator alloc = bpi_allocator_or_libc(in.allocator);
    /* On cache lines of its own: the fields an acquire writes (stats, hot_size...) never share
     * a line with another pool's, so pools of different threads do not slow each other down. */
    bp_pool *pool = r == BP_OK ? alloc.alloc(alloc.user, bpi_line_round(sizeof *pool), BPI_CACHE_LINE) : NULL;
    if (!pool) {
        bool table_ok = in.backend && in.backend->version == BP_BACKEND_VERSION &&
                        in.backend->struct_size >= sizeof(bp_backend) && in.backend->create && in.backend->destroy;
        if ((table_ok || made_default) && backend.release) backend.release(backend.user);
        return r != BP_OK ? r : BP_ERR_OUT_OF_MEMORY;
    }
    memset(pool, 0, sizeof *pool);
    pool->alloc = alloc;
    pool->backend = backend;
    resolve(pool, &in);
    pool->tag_bits = (atomic_fetch_add(&next_tag, 1u) % 255u + 1u) << BPI_INDEX_BITS;
    pool->serial = atomic_fetch_add(&next_serial, 1u) + 1u;
    pool->free_slots = BPI_NIL;
    pool->live = pool->transient = pool->pending = (bpi_list){BPI_NIL, BPI_NIL};
    query_caps(pool);
    bpi_acquire_init(pool);
    pool->classes = bpi_alloc(pool, bpi_class_count(pool->pow2) * sizeof *pool->classes);
    if (!pool->classes) {
        bp_pool_destroy(pool);
        return BP_ERR_OUT_OF_MEMORY;
    }
    memset(pool->classes, 0, bpi_class_count(pool->pow2) * sizeof *pool->classes);
    pool->stats.budget_bytes = pool->desc.budget_bytes;
    bp_backend_budget bb;
    if (!pool->stats.budget_bytes && pool->desc.use_device_budget && pool->backend.query_budget &&
        pool->backend.query_budget(pool->backend.user, &bb) == BP_OK)
        pool->stats.budget_bytes = bb.budget_bytes;
    pool->now = bpi_clock(pool);
    r = bpi_series_init(pool);
    if (r == BP_OK) r = bpi_trace_open(pool);
    bpi_fast_flags(pool); /* the series and the trace are known now (frame_extras) */
    if (r != BP_OK) {
        bp_pool_destroy(pool);
        return r;
    }
    for (uint32_t i = 0; i < pool->desc.capacity_table_count; i++) {
        r = preallocate(pool, &pool->desc.capacity_table[i]);
        if (r != BP_OK) {
            bp_pool_destroy(pool);
            return r;
        }
    }
    /* a fixed pool allocates nothing after creation: its scope stack is made now */
    if (pool->desc.capacity_mode == BP_CAPACITY_FIXED && bpi_scopes_reserve(pool) != BP_OK) {
        bp_pool_destroy(pool);
        return BP_ERR_OUT_OF_MEMORY;
    }
    pool->desc.capacity_table = NULL; /* not needed after creation; the caller's memory */
    *out_pool = pool;
    return BP_OK;
}

void bp_pool_destroy(bp_pool *pool) {
    if (!pool) return;
    /* From inside one of its own callbacks the pool is in the middle of a call: refused (the
     * pool stays as it was). From here on its callbacks may not call it (the leak report's
     * logger, the allocator, the backend). */
    if (pool->in_callback || pool->in_eviction) {
        bpi_fail(pool, BP_ERR_BUSY, BP_LOG_ITEM_NONE, "bp_pool_destroy called from inside a callback of the pool");
        return;
    }
    bpi_callback_enter(pool);
    bpi_tcache_destroy(pool); /* cached buffers back in their buckets first */
    bpi_report_leaks(pool);
    for (uint32_t i = 0; i < pool->slot_count; i++)
        if (pool->slots[i].state != BPI_FREE) bpi_destroy_native(pool, &pool->slots[i]);
    for (uint32_t g = 0; g < BPI_MAX_GROUPS; g++) bpi_free(pool, pool->groups[g].buckets);
    bpi_owners_destroy(pool);
    bpi_features_destroy(pool);
    bpi_trace_close(pool);
    bpi_free(pool, pool->classes);
    bpi_free(pool, pool->slots);
    if (pool->backend.release) pool->backend.release(pool->backend.user);
    bp_allocator alloc = pool->alloc;
    alloc.free(alloc.user, pool);
}

const char *bp_pool_last_error(bp_pool *pool) { return pool ? pool->last_error : "no pool"; }

bp_result bp_set_budget(bp_pool *pool, uint64_t budget_bytes) {
    if (!pool) return BP_ERR_INVALID_ARGUMENT;
    bpi_lock(pool);
    pool->stats.budget_bytes = budget_bytes;
    bpi_unlock(pool);
    return BP_OK;
}
