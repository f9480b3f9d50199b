/* Frames: transient buffers return at frame end; pending buffers age by one frame.
 * A frame end runs in every frame of the program, amortised over its few acquires, so each
 * optional step is skipped after one test when it has nothing to do: the clock is read only
 * where a pooled buffer's age can be read back (dynamic pools), pending buffers are promoted
 * only when there are some, the warning check runs only when its state would change, and the
 * series and diagnostics only when they are on. */
#include "internal/pool.h"

/* Would bpi_check_warning change anything (first crossing of the threshold, or back under
 * it)? Over and already warned, or under and not warned: nothing to do. BP_UNLIMITED is
 * never exceeded. */
static bool warning_state_changes(const bp_pool *pool) {
    return (pool->stats.bytes_reserved > pool->desc.warn_reserved_bytes) != pool->warned;
}

/* Every transient buffer goes back as bp_release would return it, oldest first, in one call;
 * without guards, scrubbing or a trace and without an owner to unlink, by the short path. */
BPI_NOINLINE static void return_transients(bp_pool *pool) {
    uint32_t index;
    while ((index = pool->transient.head) != BPI_NIL) {
        if (pool->release_short && !bpi_slot_at(pool, index)->owner) {
            bpi_list_pop_head(pool, &pool->transient); /* its only link, as in bpi_release_listed */
            bpi_release_counted(pool, index);
        } else {
            bpi_release_held(pool, index);
        }
    }
}

/* The backend's frame end and the plot hook (in bpi_series_frame), which may not call the
 * pool; out of line, so that a frame end without them saves no registers for them. */
BPI_NOINLINE static void frame_end_hooks(bp_pool *pool, uint64_t ended, bool series) {
    bpi_callback_guard g = bpi_callback_enter(pool);
    if (pool->backend.frame_end) pool->backend.frame_end(pool->backend.user, ended);
    if (series) bpi_series_frame(pool);
    bpi_callback_leave(pool, g);
}

/* What every frame end does once the frame is closed: the clock, the pending buffers, idle
 * trimming and the warning, each after one test when it has nothing to do. */
static inline void frame_end_steps(bp_pool *pool) {
    /* Buffers pooled from now on are stamped with the reading (bpi_pool_slot), and the idle
     * trim compares with it: read at every frame end, or fewer while frames are short
     * (bpi_frame_clock says when). */
    if (--pool->clock_skip == 0) bpi_frame_clock(pool);
    /* trimming first: the frame's class caps, then the buffers the pending FIFO pools, which
     * the next frame may ask for */
    if (bpi_trim_due(pool)) bpi_trim_idle(pool, false);
    if (pool->pending.head != BPI_NIL) bpi_promote_pending(pool);
    if (warning_state_changes(pool)) bpi_check_warning(pool);
}

/* A frame end with a series or plot hook, a trace, the backend's frame end or diagnostics
 * (frame_extras): the same steps with those around them, in their order. */
BPI_NOINLINE static void frame_end_with_extras(bp_pool *pool) {
    bool series = pool->ext[2] != NULL; /* the series ring or the plot hook (accounting/series.c) */
    if (series) bpi_series_frame_closing(pool);
    if (pool->transient.head != BPI_NIL) return_transients(pool);
    bpi_trace_frame(pool);
    uint64_t ended = pool->stats.frame;
    pool->in_frame = false;
    pool->stats.frame++;
    frame_end_steps(pool);
    if (pool->backend.frame_end || series) frame_end_hooks(pool, ended, series);
    if (pool->desc.diagnostics_every_frames) bpi_diagnostics_frame(pool);
}

/* A frame end without extras. */
static inline void frame_end_plain(bp_pool *pool) {
    if (pool->transient.head != BPI_NIL) return_transients(pool);
    pool->in_frame = false;
    pool->stats.frame++;
    frame_end_steps(pool);
}

bp_result bpi_frame_end(bp_pool *pool) {
    if (!pool->in_frame)
        return bpi_fail(pool, BP_ERR_FRAME_STATE, BP_LOG_ITEM_FRAME_ORDER,
                        "bp_frame_end without bp_frame_begin (frame %llu)", (unsigned long long)pool->stats.frame);
    if (pool->frame_extras) {
        frame_end_with_extras(pool);
        return BP_OK;
    }
    frame_end_plain(pool);
    return BP_OK;
}

/* bp_frame_next of a pool whose frame end has no extras and whose frame begin only opens the
 * frame (frame_next_plain, a frame open): the frame end, then that frame begin. Nothing the
 * frame end runs changes what the begin tests: the warning callback may not call the pool. */
bp_result bpi_frame_next(bp_pool *pool) {
    frame_end_plain(pool);
    pool->in_frame = true;
    return BP_OK;
}
