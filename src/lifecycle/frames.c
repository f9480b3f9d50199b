/* Frames: transient buffers return at frame end; pending buffers age by one frame. */
#include "internal/pool.h"

bp_result bpi_frame_end(bp_pool *pool) {
    if (!pool->in_frame)
        return bpi_fail(pool, BP_ERR_FRAME_STATE, BP_LOG_ITEM_FRAME_ORDER,
                        "bp_frame_end without bp_frame_begin (frame %llu)", (unsigned long long)pool->stats.frame);
    bpi_series_frame_closing(pool);
    while (pool->transient.head != BPI_NIL) bpi_release_slot(pool, pool->transient.head);
    bpi_trace_frame(pool);
    uint64_t ended = pool->stats.frame;
    pool->in_frame = false;
    pool->stats.frame++;
    pool->now = bpi_clock(pool);
    bpi_promote_pending(pool);
    bpi_trim_idle(pool, false);
    bpi_check_warning(pool);
    if (pool->backend.frame_end) pool->backend.frame_end(pool->backend.user, ended);
    bpi_series_frame(pool);
    bpi_diagnostics_frame(pool);
    return BP_OK;
}
