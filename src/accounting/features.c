/* Hooks through which optional features (time series, scopes, debug guards) see the core.
 * Each feature keeps its state in pool->ext[] and frees it here. */
#include "internal/pool.h"

void bpi_series_frame(bp_pool *pool) { (void)pool; /* no time series recorded by this build yet */ }

void bpi_features_destroy(bp_pool *pool) { bpi_scopes_destroy(pool); }
