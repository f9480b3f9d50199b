/* Hooks through which optional features (time series, scopes, debug guards) see the core.
 * Each feature keeps its state in pool->ext[] and frees it here. */
#include "internal/pool.h"

void bpi_features_destroy(bp_pool *pool) {
    bpi_scopes_destroy(pool);
    bpi_series_destroy(pool);
}
