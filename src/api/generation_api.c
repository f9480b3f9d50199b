/* Public API of seed 003's buffer manager pieces: create-and-upload, resize (native
 * generations), and per-frame buffer sets. */
#include <string.h>

#include "internal/pool.h"

bp_result bp_acquire_upload(bp_pool *pool, const bp_acquire_desc *desc, const void *data, uint64_t size,
                            bp_buffer *out_buf) {
    if (out_buf) out_buf->id = 0;
    if (!pool || !desc || !out_buf || !data) return BP_ERR_INVALID_ARGUMENT;
    if (size == 0 || size > desc->size) {
        bpi_lock(pool);
        bp_result r = bpi_fail(pool, size ? BP_ERR_OUT_OF_RANGE : BP_ERR_INVALID_SIZE, BP_LOG_ITEM_BAD_ARGUMENT,
                               "upload of %llu bytes into a new buffer of %llu", (unsigned long long)size,
                               (unsigned long long)desc->size);
        bpi_unlock(pool);
        return r;
    }
    bpi_lock(pool); /* the acquire and the upload under one lock: the undo sees no other call */
    bp_result r = bpi_not_in_eviction(pool, BP_LOG_ITEM_BUDGET, "bp_acquire_upload");
    if (r == BP_OK) {
        bp_buffer b;
        bpi_undo u;
        bpi_undo_begin(pool, &u);
        r = bpi_undo_acquire(pool, &u, desc, &b, NULL, 0);
        if (r == BP_OK) r = bp_upload(pool, b, 0, data, size); /* the lock is recursive */
        bpi_undo_end(pool, &u, r); /* a failed upload undoes the acquire */
        if (r == BP_OK) *out_buf = b;
    }
    bpi_unlock(pool);
    return r;
}

bp_result bp_resize(bp_pool *pool, bp_buffer buf, uint64_t new_size) {
    if (!pool) return BP_ERR_INVALID_ARGUMENT;
    bpi_lock(pool);
    bp_result r = bpi_not_in_eviction(pool, BP_LOG_ITEM_BUDGET, "bp_resize");
    if (r == BP_OK) r = bpi_resize(pool, buf, new_size);
    bpi_unlock(pool);
    return r;
}

bp_result bp_frame_set_acquire(bp_pool *pool, const bp_acquire_desc *desc, uint32_t count, bp_frame_set *out) {
    if (out) memset(out, 0, sizeof *out);
    if (!pool || !desc || !out || count > BP_FRAME_SET_MAX || (desc->flags & BP_ACQUIRE_TRANSIENT))
        return BP_ERR_INVALID_ARGUMENT;
    bpi_lock(pool); /* every acquire under one lock: the undo sees no other call */
    if (!count) {
        uint32_t fif = pool->desc.frames_in_flight;
        count = fif == BP_IMMEDIATE_REUSE ? 1u : fif < BP_FRAME_SET_MAX ? fif : BP_FRAME_SET_MAX;
    }
    bp_result r = bpi_not_in_eviction(pool, BP_LOG_ITEM_BUDGET, "bp_frame_set_acquire");
    if (r == BP_OK) {
        bp_frame_set set;
        memset(&set, 0, sizeof set);
        bpi_undo u;
        bpi_undo_begin(pool, &u);
        while (r == BP_OK && set.count < count) {
            r = bpi_undo_acquire(pool, &u, desc, &set.buffers[set.count], NULL, 0);
            if (r == BP_OK) set.count++;
        }
        bpi_undo_end(pool, &u, r); /* on failure the buffers acquired so far are undone, not released */
        if (r == BP_OK) *out = set;
    }
    bpi_unlock(pool);
    return r;
}

bp_buffer bp_frame_set_current(bp_pool *pool, const bp_frame_set *set) {
    if (!pool || !set || !set->count || set->count > BP_FRAME_SET_MAX) return BP_INVALID_BUFFER;
    bpi_lock(pool);
    uint64_t frame = pool->stats.frame;
    bpi_unlock(pool);
    return set->buffers[frame % set->count];
}

bp_result bp_frame_set_release(bp_pool *pool, bp_frame_set *set) {
    if (!pool || !set || set->count > BP_FRAME_SET_MAX) return BP_ERR_INVALID_ARGUMENT;
    bp_result first = BP_OK;
    for (uint32_t i = 0; i < set->count; i++) {
        bp_result r = bp_release(pool, set->buffers[i]);
        if (first == BP_OK) first = r;
    }
    memset(set, 0, sizeof *set);
    return first;
}
