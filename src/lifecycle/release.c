/* Release: the buffer leaves the application, waits `frames_in_flight` frame ends in the
 * pending FIFO (a GPU may still read it; or the backend's fence/timeline says when the GPU
 * is done), then is pooled or, over the caps, destroyed. */
#include <string.h>

#include "internal/pool.h"

bp_result bpi_release_slot(bp_pool *pool, uint32_t index) {
    bpi_slot *s = &pool->slots[index];
    bp_result r = pool->desc.guard_bytes ? bpi_guard_check(pool, s, "at release") : BP_OK;
    bpi_trace_release(pool, bpi_make_id(pool, index, s->generation));
    bpi_list *held = bpi_held_list(pool, s);
    if (held) bpi_list_remove(pool, held, index);
    if (s->owner) bpi_owner_unlink(pool, index);
    pool->stats.bytes_requested -= s->size;
    pool->stats.releases++;
    if ((pool->desc.poison_on_release || pool->desc.zero_on_release) && s->native.mapped) {
        if (pool->desc.poison_on_release) memset(s->native.mapped, 0xDD, bpi_usable_capacity(pool, s));
        else if (pool->desc.zero_on_release) memset(s->native.mapped, 0, bpi_usable_capacity(pool, s));
    }
    /* A pool that never began a frame has no GPU frame to wait for. */
    if (pool->desc.frames_in_flight == BP_IMMEDIATE_REUSE || !pool->frames_used) {
        bpi_stats_state(pool, s, BPI_IN_USE, BPI_POOLED);
        bpi_make_pooled(pool, index);
        return r;
    }
    bpi_stats_state(pool, s, BPI_IN_USE, BPI_PENDING);
    s->state = BPI_PENDING;
    s->frame = pool->stats.frame;
    bpi_list_push_back(pool, &pool->pending, index);
    return r;
}

/* Pool a released buffer (counted as pooled already), or destroy it when the retention cap
 * of its class is full or its generation is exhausted. */
void bpi_make_pooled(bp_pool *pool, uint32_t index) {
    bpi_slot *s = &pool->slots[index];
    s->state = BPI_POOLED;
    s->frame = pool->stats.frame;
    s->pooled_time = pool->now;
    s->owner = 0;
    s->tag = NULL;
    s->file = NULL;
    bool keep_all = pool->desc.capacity_mode != BP_CAPACITY_DYNAMIC;
    bpi_bucket *b = &pool->groups[s->group].buckets[s->class_index];
    bpi_bucket_push(pool, index);
    bpi_list_push_back(pool, &pool->lru, index);
    if (s->generation == UINT32_MAX ||
        (!keep_all && pool->desc.max_pooled_per_class != BP_NEVER && b->count > pool->desc.max_pooled_per_class)) {
        bpi_destroy_pooled(pool, index);
        return;
    }
    if (!keep_all && pool->stats.bytes_pooled > pool->desc.max_pooled_bytes) bpi_enforce_pooled_cap(pool);
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
