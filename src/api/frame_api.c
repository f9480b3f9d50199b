/* Public API: frames, trimming, owners and budget. */
#include <math.h>

#include "internal/pool.h"

/* The backend's frame begin, a callback that may not call the pool; out of line, so that a
 * frame begin without one saves no registers for it. */
BPI_NOINLINE static void backend_frame_begin(bp_pool *pool) {
    bpi_callback_guard g = bpi_callback_enter(pool);
    pool->backend.frame_begin(pool->backend.user, pool->stats.frame);
    bpi_callback_leave(pool, g);
}

/* The usual frame begin: no lock, no callback running, no frame open, frames begun before and
 * no backend hook; it only opens the frame. thread_safe first and alone, as in bp_frame_end:
 * the other fields are the lock's in a thread_safe pool. */
static bool frame_begin_plain(const bp_pool *pool) {
    return !pool->thread_safe && pool->frame_begin_plain && !(pool->in_eviction | pool->in_callback | pool->in_frame);
}

/* Every other frame begin, the lock held (if any). */
static bp_result frame_begin_checked(bp_pool *pool) {
    bp_result r = bpi_not_in_eviction(pool, BP_LOG_ITEM_FRAME_ORDER, "bp_frame_begin");
    if (r == BP_OK && pool->in_frame)
        r = bpi_fail(pool, BP_ERR_FRAME_STATE, BP_LOG_ITEM_FRAME_ORDER,
                     "bp_frame_begin while frame %llu is open", (unsigned long long)pool->stats.frame);
    if (r == BP_OK) {
        pool->in_frame = true;
        if (!pool->frames_used) {
            pool->frames_used = true;
            bpi_fast_flags(pool);
        }
        if (pool->backend.frame_begin) backend_frame_begin(pool);
        /* A backend that tracks completion may report a frame done only now, after the
         * application waited for its fence: make those buffers reusable in this frame. */
        if (pool->backend.frame_complete && pool->pending.head != BPI_NIL) bpi_promote_pending(pool);
    }
    return r;
}

/* ... under the lock (out of line, so that the plain one keeps no stack frame). */
BPI_NOINLINE static bp_result frame_begin_locked(bp_pool *pool) {
    bpi_lock_frame(pool);
    bp_result r = frame_begin_checked(pool);
    bpi_unlock_frame(pool);
    return r;
}

bp_result bp_frame_begin(bp_pool *pool) {
    if (!pool) return BP_ERR_INVALID_ARGUMENT;
    if (frame_begin_plain(pool)) {
        pool->in_frame = true;
        return BP_OK;
    }
    return frame_begin_locked(pool);
}

/* A frame end under the lock or from a callback (out of line, so that the usual one is a tail
 * call with no stack frame). */
static bp_result frame_end_checked(bp_pool *pool) {
    /* from the eviction callback it would close the frame in the middle of an acquire */
    bp_result r = bpi_not_in_eviction(pool, BP_LOG_ITEM_FRAME_ORDER, "bp_frame_end");
    return r == BP_OK ? bpi_frame_end(pool) : r;
}

BPI_NOINLINE static bp_result frame_end_locked(bp_pool *pool) {
    bpi_lock_frame(pool);
    bp_result r = frame_end_checked(pool);
    bpi_unlock_frame(pool);
    return r;
}

bp_result bp_frame_end(bp_pool *pool) {
    if (!pool) return BP_ERR_INVALID_ARGUMENT;
    /* the usual frame end, no lock and no callback running (thread_safe first and alone: it
     * never changes, while the callback flags are the lock's) */
    if (!pool->thread_safe && !(pool->in_eviction | pool->in_callback)) return bpi_frame_end(pool);
    return frame_end_locked(pool);
}

/* Every other bp_frame_next: the frame end and begin under one hold of the lock in a
 * thread_safe pool, so that no other thread's frame call comes between them: after the frame
 * end the begin cannot fail, and a refused call changes nothing. Out of line, so that the
 * usual one is a tail call with no stack frame. */
BPI_NOINLINE static bp_result frame_next_general(bp_pool *pool) {
    bpi_lock_frame(pool);
    bp_result r = frame_end_checked(pool);
    if (r == BP_OK) r = frame_begin_checked(pool);
    bpi_unlock_frame(pool);
    return r;
}

bp_result bp_frame_next(bp_pool *pool) {
    if (!pool) return BP_ERR_INVALID_ARGUMENT;
    /* thread_safe first and alone, as in bp_frame_end; frame_next_plain: no lock, no frame end
     * extras, a frame begin that only opens the frame */
    if (!pool->thread_safe && pool->frame_next_plain && !(pool->in_eviction | pool->in_callback) && pool->in_frame)
        return bpi_frame_next(pool);
    return frame_next_general(pool);
}

bp_result bp_trim(bp_pool *pool, bool everything) {
    if (!pool) return BP_ERR_INVALID_ARGUMENT;
    bpi_lock(pool);
    bp_result r = bpi_not_in_eviction(pool, BP_LOG_ITEM_NONE, "bp_trim");
    if (r == BP_OK) {
        bpi_clock_now(pool);
        bpi_promote_pending(pool);
        bpi_trim_idle(pool, everything);
        if (everything) bpi_backend_trim(pool);
    }
    bpi_unlock(pool);
    return r;
}

bp_result bp_owner_release(bp_pool *pool, uint64_t owner, uint32_t *out_released) {
    if (out_released) *out_released = 0;
    if (!pool || !owner) return BP_ERR_INVALID_ARGUMENT;
    bpi_lock(pool);
    bp_result r = bpi_not_in_callback(pool, BP_LOG_ITEM_NONE, "bp_owner_release");
    if (r == BP_OK) r = bpi_owner_release(pool, owner, out_released);
    bpi_unlock(pool);
    return r;
}

bp_result bp_owner_set_priority(bp_pool *pool, uint64_t owner, float priority) {
    if (!pool || !owner || isnan(priority)) return BP_ERR_INVALID_ARGUMENT;
    bpi_lock(pool);
    bp_result r = bpi_owner_set_priority(pool, owner, priority);
    bpi_unlock(pool);
    return r;
}

bp_result bp_owner_get_usage(bp_pool *pool, uint64_t owner, bp_owner_usage *out) {
    if (!pool || !owner || !out) return BP_ERR_INVALID_ARGUMENT;
    bpi_lock(pool);
    bp_result r = bpi_owner_usage(pool, owner, out);
    bpi_unlock(pool);
    return r;
}

bp_result bp_calculate_owners(bp_pool *pool, bp_owner_usage *out, uint32_t capacity, uint32_t *out_count) {
    if (out_count) *out_count = 0;
    if (!pool || !out_count || (capacity && !out)) return BP_ERR_INVALID_ARGUMENT;
    bpi_lock(pool);
    bp_result r = bpi_calculate_owners(pool, out, capacity, out_count);
    bpi_unlock(pool);
    return r;
}
