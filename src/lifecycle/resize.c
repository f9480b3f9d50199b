/* Resize (seed 003's generations): a size within the buffer's capacity changes nothing
 * native; a larger one takes a new native buffer of the same memory, usage and alignment
 * (pooled or created; zeroed when the buffer was acquired with BP_ACQUIRE_ZERO), copies the
 * contents, swaps the natives between the handle's slot and the helper slot, and releases the
 * old native through the normal pending path, so the GPU may still read it for
 * frames_in_flight frames. The handle keeps its id; its
 * native_generation goes up by one, telling binding tables to rewrite descriptors. */
#include "internal/pool.h"

static void set_size(bp_pool *pool, bpi_slot *s, uint64_t new_size) {
    pool->stats.bytes_requested = pool->stats.bytes_requested - s->size + new_size;
    if (pool->stats.bytes_requested > pool->stats.peak_requested) pool->stats.peak_requested = pool->stats.bytes_requested;
    s->size = new_size;
}

bp_result bpi_resize(bp_pool *pool, bp_buffer buf, uint64_t new_size) {
    bpi_slot *s;
    bp_result r = bpi_lookup_held(pool, buf, &s);
    if (r != BP_OK) return r;
    if (new_size == 0) return bpi_fail(pool, BP_ERR_INVALID_SIZE, BP_LOG_ITEM_BAD_ARGUMENT, "resize to 0 bytes");
    uint32_t hi = (uint32_t)(s - pool->slots);
    if (new_size <= bpi_usable_capacity(pool, s)) {
        set_size(pool, s, new_size);
        return BP_OK;
    }
    const bpi_group *g = &pool->groups[s->group];
    bp_acquire_desc d = {.size = new_size, .memory = (bp_memory)g->memory, .usage = g->usage,
                         .flags = BP_ACQUIRE_NO_SCOPE | (s->flags & BP_ACQUIRE_ZERO), .tag = s->tag};
    if (g->align_shift) d.alignment = 1ull << g->align_shift;
    bp_buffer nb;
    bpi_undo u; /* a failed copy undoes the new native's acquire: the handle and pool stay as they were */
    bpi_undo_begin(pool, &u);
    r = bpi_undo_acquire(pool, &u, &d, &nb, s->file, s->line); /* may move pool->slots */
    if (r == BP_OK) r = bpi_copy_locked(pool, buf, 0, nb, 0, pool->slots[hi].size);
    if (r != BP_OK) {
        bpi_undo_rollback(pool, &u);
        return r;
    }
    bpi_undo_commit(pool, &u); /* its trace line before the release below */
    uint32_t ni = (uint32_t)nb.id & (BPI_MAX_SLOTS - 1u);
    bpi_slot *h = &pool->slots[hi], *n = &pool->slots[ni];
    /* Swap what is native (and its size class) between the two in-use slots: per-class and
     * pool counters stay consistent because each class still holds one of the two. */
    bp_backend_buffer old_native = h->native;
    uint16_t old_class = h->class_index;
    bpi_bucket *old_bucket = h->bucket;
    uint64_t old_size = h->size;
    bpi_slot_fold_hits(pool, h); /* each native's hits count for its class, so go with it */
    bpi_slot_fold_hits(pool, n);
    h->native = n->native;
    h->class_index = n->class_index;
    h->bucket = n->bucket;
    h->size = new_size;
    h->native_generation++;
    n->native = old_native;
    n->class_index = old_class;
    n->bucket = old_bucket;
    n->size = old_size;
    bpi_owner_capacity_changed(pool, hi, old_native.capacity);
    return bpi_release_slot(pool, ni);
}
