/* Public API: scopes (seed 002). Validates, locks, calls lifecycle/scopes.c. */
#include "internal/pool.h"

bp_result bp_scope_begin(bp_pool *pool, bp_scope *out_mark) {
    if (out_mark) out_mark->id = 0;
    if (!pool || !out_mark) return BP_ERR_INVALID_ARGUMENT;
    bpi_lock(pool);
    bp_result r = bpi_not_in_eviction(pool, BP_LOG_ITEM_SCOPE, "bp_scope_begin");
    if (r == BP_OK) r = bpi_scope_begin(pool, out_mark);
    bpi_unlock(pool);
    return r;
}

bp_result bp_scope_end(bp_pool *pool, bp_scope mark, uint32_t *out_released) {
    if (out_released) *out_released = 0;
    if (!pool) return BP_ERR_INVALID_ARGUMENT;
    bpi_lock(pool);
    bp_result r = bpi_not_in_eviction(pool, BP_LOG_ITEM_SCOPE, "bp_scope_end");
    if (r == BP_OK) r = bpi_scope_end(pool, mark, out_released);
    bpi_unlock(pool);
    return r;
}

bp_result bp_with_scope(bp_pool *pool, bp_scope_fn fn, void *user) {
    if (!pool || !fn) return BP_ERR_INVALID_ARGUMENT;
    bp_scope mark;
    bp_result r = bp_scope_begin(pool, &mark);
    if (r != BP_OK) return r;
    bp_result fr = fn(pool, user); /* unlocked: fn calls the public API */
    r = bp_scope_end(pool, mark, NULL);
    return fr != BP_OK ? fr : r;
}
