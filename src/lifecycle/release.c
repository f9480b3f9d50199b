/* Release: the buffer leaves the application, waits `frames_in_flight` frame ends in the
 * pending FIFO (a GPU may still read it; or the backend's fence/timeline says when the GPU
 * is done), then is pooled or, over the caps, destroyed. The common release is inline
 * (bpi_release_held in internal/hot.h); this file holds its out-of-line parts. */
#include <string.h>

#include "internal/pool.h"

bp_result bpi_release_slot(bp_pool *pool, uint32_t index) {
    return bpi_release_held(pool, index);
}

void bpi_scrub(bp_pool *pool, bpi_slot *s) {
    if (pool->desc.poison_on_release) memset(s->native.mapped, 0xDD, bpi_usable_capacity(pool, s));
    else if (pool->desc.zero_on_release) memset(s->native.mapped, 0, bpi_usable_capacity(pool, s));
}

BPI_NOINLINE bp_result bpi_pool_slot_finish(bp_pool *pool, uint32_t index) {
    if (pool->slots[index].generation == UINT32_MAX) { /* rare: after 2^32 - 1 acquires of this slot */
        if (pool->desc.capacity_mode != BP_CAPACITY_DYNAMIC) bpi_slot_renew_pooled(pool, index);
        else bpi_destroy_pooled(pool, index);
    } else {
        bpi_pooled_over_cap(pool, index);
    }
    return BP_OK;
}

void bpi_make_pooled(bp_pool *pool, uint32_t index) {
    bpi_pool_slot(pool, index);
}

/* Is the GPU done with what frame `frame` may have read? The backend's fence or timeline when
 * it tracks completion, else the frame count. */
static bool frame_done(bp_pool *pool, uint64_t frame) {
    uint32_t fif = pool->desc.frames_in_flight;
    if (fif == BP_IMMEDIATE_REUSE) return true;
    if (pool->backend.frame_complete) {
        bpi_callback_guard g = bpi_callback_enter(pool);
        int c = pool->backend.frame_complete(pool->backend.user, frame);
        bpi_callback_leave(pool, g);
        if (c >= 0) return c == 1;
    }
    return frame + fif <= pool->stats.frame;
}

/* The head of the pending FIFO (`index`) into the pool. */
BPI_HOT void promote(bp_pool *pool, uint32_t index) {
    bpi_list_pop_head(pool, &pool->pending);
    bpi_stats_state(pool, bpi_slot_at(pool, index), BPI_PENDING, BPI_POOLED);
    bpi_pool_slot(pool, index);
}

/* Move pending buffers whose frames the GPU has finished into the pool (FIFO order: release
 * order, so the first one not done ends the walk). Without a backend that tracks completion,
 * "done" is a frame count: the newest finished frame is worked out once, not per buffer. */
static void promote_done(bp_pool *pool) {
    uint32_t fif = pool->desc.frames_in_flight;
    if (pool->backend.frame_complete || fif == BP_IMMEDIATE_REUSE) {
        while (pool->pending.head != BPI_NIL && frame_done(pool, bpi_slot_at(pool, pool->pending.head)->frame))
            promote(pool, pool->pending.head);
        return;
    }
    if (pool->stats.frame < fif) return; /* frame + fif <= stats.frame holds for no frame yet */
    uint64_t newest_done = pool->stats.frame - fif;
    while (pool->pending.head != BPI_NIL && bpi_slot_at(pool, pool->pending.head)->frame <= newest_done)
        promote(pool, pool->pending.head);
}

/* The buffers the GPU is done with go to their classes, over the class cap too: the next frame
 * may ask for them, and the frame end after it trims (bpi_pooled_over_cap). */
void bpi_promote_pending(bp_pool *pool) {
    pool->promoting = true;
    promote_done(pool);
    pool->promoting = false;
}

void bpi_destroy_native(bp_pool *pool, bpi_slot *slot) {
    if (pool->desc.guard_bytes) bpi_guard_check(pool, slot, "when the buffer was destroyed");
    bpi_callback_guard g = bpi_callback_enter(pool);
    pool->backend.destroy(pool->backend.user, &slot->native);
    bpi_callback_leave(pool, g);
    bpi_stats_destroyed(pool, slot);
}
