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

void bpi_defer_release(bp_pool *pool, uint32_t index) {
    bpi_slot *s = &pool->slots[index];
    bpi_stats_state(pool, s, BPI_IN_USE, BPI_PENDING);
    s->state = BPI_PENDING;
    s->frame = pool->stats.frame;
    bpi_list_push_back(pool, &pool->pending, index);
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
        int c = pool->backend.frame_complete(pool->backend.user, frame);
        if (c >= 0) return c == 1;
    }
    return frame + fif <= pool->stats.frame;
}

/* Move pending buffers whose frames the GPU has finished into the pool (FIFO order). */
void bpi_promote_pending(bp_pool *pool) {
    while (pool->pending.head != BPI_NIL) {
        uint32_t index = pool->pending.head;
        bpi_slot *s = &pool->slots[index];
        if (!frame_done(pool, s->frame)) break; /* FIFO in release order: the rest are younger */
        bpi_list_remove(pool, &pool->pending, index);
        bpi_stats_state(pool, s, BPI_PENDING, BPI_POOLED);
        bpi_make_pooled(pool, index);
    }
}

void bpi_destroy_native(bp_pool *pool, bpi_slot *slot) {
    if (pool->desc.guard_bytes) bpi_guard_check(pool, slot, "when the buffer was destroyed");
    pool->backend.destroy(pool->backend.user, &slot->native);
    bpi_stats_destroyed(pool, slot);
}
