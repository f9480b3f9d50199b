/* Public API: retention caps and age-based cleanup changed at run time (seed 002's
 * maxPoolSize and periodic cleanup of old buffers). Fixed and high-water pools keep all. */
#include <math.h>

#include "internal/pool.h"

bp_result bp_set_max_pooled(bp_pool *pool, uint32_t per_class, uint64_t bytes) {
    if (!pool) return BP_ERR_INVALID_ARGUMENT;
    bpi_lock(pool);
    bp_result r = bpi_not_in_eviction(pool, BP_LOG_ITEM_NONE, "bp_set_max_pooled");
    if (r == BP_OK) {
        if (per_class) pool->desc.max_pooled_per_class = per_class;
        if (bytes) pool->desc.max_pooled_bytes = bytes;
        bpi_retention_init(pool); /* every bucket's caps reset to the new ones (demand starts over) */
        if (pool->desc.capacity_mode == BP_CAPACITY_DYNAMIC) {
            bpi_enforce_class_cap(pool);
            bpi_enforce_pooled_cap(pool);
        }
    }
    bpi_unlock(pool);
    return r;
}

bp_result bp_trim_older_than(bp_pool *pool, double seconds, uint32_t *out_destroyed) {
    if (out_destroyed) *out_destroyed = 0;
    if (!pool || isnan(seconds) || seconds < 0) return BP_ERR_INVALID_ARGUMENT;
    bpi_lock(pool);
    bp_result r = bpi_not_in_eviction(pool, BP_LOG_ITEM_NONE, "bp_trim_older_than");
    uint32_t n = 0;
    if (r == BP_OK) {
        bpi_clock_now(pool);
        bpi_promote_pending(pool);
        /* Oldest first: stop at the first buffer younger than `seconds`. */
        uint32_t i;
        while (pool->desc.capacity_mode == BP_CAPACITY_DYNAMIC && (i = bpi_oldest_pooled(pool)) != BPI_NIL &&
               pool->now - pool->slots[i].pooled_time >= seconds) {
            bpi_destroy_idle(pool, i);
            n++;
        }
    }
    bpi_unlock(pool);
    if (out_destroyed) *out_destroyed = n;
    return r;
}
