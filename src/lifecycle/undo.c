/* Undo of a two-step call's acquires (bp_duplicate, bp_resize, bp_acquire_upload,
 * bp_acquire_skin, bp_frame_set_acquire). When a later step fails, releasing the new buffers
 * would still count their acquires, hits or creates, raise the peaks and leave an extra
 * pooled buffer. Instead each acquire is reversed, newest first: a hit goes back to the head
 * of the bucket it was popped from with its old fields, a miss's native is destroyed and its
 * slot returned where it came from, and the counters they moved (stats, peaks, per-class
 * counters, the acquisition sequence, the warning state) are put back, so the failed call
 * changes nothing but `errors`.
 *
 * What cannot be undone: a miss under a budget or the backend's allocation cap may have
 * destroyed pooled buffers to make room, and run the eviction callback, whose releases stand.
 * Those stay as they are (trims, backend_destroys, evictions, the released buffers); the
 * rest is still reversed. Room grown on the way (handle table, owner table, a new bucket
 * group), the warning callback's call and the bytes BP_ACQUIRE_ZERO cleared in a pooled
 * buffer stay too: none is a counter, a buffer or a slot the application can see. */
#include <string.h>

#include "internal/pool.h"

_Static_assert(BP_FRAME_SET_MAX <= BPI_UNDO_MAX, "a frame set's acquires must fit one undo record");

void bpi_undo_begin(bp_pool *pool, bpi_undo *u) {
    const bp_stats *st = &pool->stats;
    u->count = 0;
    u->peak_reserved = st->peak_reserved;
    u->peak_in_use = st->peak_in_use;
    u->peak_requested = st->peak_requested;
    u->warnings = st->warnings;
    u->warned = pool->warned;
    pool->undo = u;
}

/* Popped from its bucket's head, or its tail (a larger class's idle buffer): its fields are
 * still the pooled ones (the links come back with the push that undoes the pop). */
void bpi_undo_save_hit(bp_pool *pool, bpi_undo *u, uint32_t index, bool tail) {
    bpi_undo_entry *e = &u->e[u->count];
    e->hit = true;
    e->tail = tail;
    e->pooled = pool->slots[index];
}

void bpi_undo_save_miss(bp_pool *pool, bpi_undo *u, uint32_t class_index) {
    bpi_undo_entry *e = &u->e[u->count];
    e->hit = false;
    e->slot_count = pool->slot_count;
    e->class_was_used = pool->classes[class_index].used != 0;
    e->raised_cap = false; /* acquire_with sets it once the miss succeeded */
}

void bpi_undo_push(bpi_undo *u, uint64_t id, uint64_t size) {
    bpi_undo_entry *e = &u->e[u->count++];
    e->index = (uint32_t)id & (BPI_MAX_SLOTS - 1u);
    e->id = id;
    e->size = size;
    e->traced = false;
}

static void trace_acquires(bp_pool *pool, bpi_undo *u) {
    if (!pool->trace) return;
    for (uint32_t k = 0; k < u->count; k++) {
        if (u->e[k].traced) continue;
        bpi_trace_acquire(pool, u->e[k].id, u->e[k].size);
        u->e[k].traced = true;
    }
}

/* The eviction callback may release buffers of this call (by owner): their R lines must
 * follow the A lines, so these are written first. */
void bpi_undo_trace(bp_pool *pool) {
    if (pool->undo) trace_acquires(pool, pool->undo);
}

void bpi_undo_commit(bp_pool *pool, bpi_undo *u) {
    trace_acquires(pool, u);
    pool->undo = NULL;
}

void bpi_undo_end(bp_pool *pool, bpi_undo *u, bp_result r) {
    if (r == BP_OK) bpi_undo_commit(pool, u);
    else bpi_undo_rollback(pool, u);
}

/* Out of the transient or live list and the owner's, as a release does. */
static void unlink_held(bp_pool *pool, uint32_t index) {
    bpi_slot *s = &pool->slots[index];
    if (!s->linked) return;
    if ((s->flags & BP_ACQUIRE_TRANSIENT) | s->scope_depth) bpi_list_remove(pool, bpi_held_list(pool, s), index);
    if (s->owner) bpi_owner_unlink(pool, index); /* drops an owner record the acquire created */
    s->owner = 0;
    s->linked = 0;
}

/* A hit back at the end of its bucket it left, pooled, as it was. */
static void put_back(bp_pool *pool, const bpi_undo_entry *e) {
    bpi_slot *s = &pool->slots[e->index];
    bpi_stats_state(pool, s, BPI_IN_USE, BPI_POOLED); /* hits follow acquires (undo_one) */
    *s = e->pooled;
    if (e->tail) bpi_bucket_push_tail(pool, e->index);
    else bpi_bucket_push(pool, e->index);
}

/* The class leaves the used list again (the miss's buffer was its first). */
static void class_unused(bp_pool *pool, uint32_t cls) {
    uint32_t k = 0, n = pool->used_class_count;
    while (k < n && pool->used_classes[k] != cls) k++;
    if (k == n) return;
    memmove(&pool->used_classes[k], &pool->used_classes[k + 1], (n - k - 1) * sizeof pool->used_classes[0]);
    pool->used_class_count--;
    pool->classes[cls].used = 0;
}

/* The slot goes back where bpi_slot_new took it, with its generation: the id it issued never
 * left the call. */
static void free_slot(bp_pool *pool, const bpi_undo_entry *e) {
    pool->slots[e->index].generation--;
    bpi_slot_unnew(pool, e->index, e->slot_count);
}

/* A miss: bpi_stats_created and the miss's counters in reverse, then the native destroyed
 * (not counted as a destroy: the create is uncounted instead). */
static void destroy_new(bp_pool *pool, const bpi_undo_entry *e) {
    bpi_slot *s = &pool->slots[e->index];
    bp_stats *st = &pool->stats;
    bpi_stats_adjust(pool, s, BPI_IN_USE, -1);
    st->misses--;
    pool->classes[s->class_index].acquires--;
    st->bytes_reserved -= s->native.capacity;
    st->backend_creates--;
    st->buffers_total--;
    if (!e->class_was_used) class_unused(pool, s->class_index);
    if (e->raised_cap) bpi_retain_demand_unmiss(pool, s->bucket);
    bpi_callback_guard g = bpi_callback_enter(pool);
    pool->backend.destroy(pool->backend.user, &s->native);
    bpi_callback_leave(pool, g);
    free_slot(pool, e);
}

/* False when the buffer is no longer held: the eviction callback released it (by owner)
 * during a later acquire of the call. That release stands, and so does its acquire. */
static bool undo_one(bp_pool *pool, const bpi_undo_entry *e) {
    bpi_slot *s = &pool->slots[e->index];
    if (s->state != BPI_IN_USE || s->generation != (uint32_t)(e->id >> 32)) return false;
    if (e->traced) bpi_trace_release(pool, e->id); /* its A line is out: replay must see it go */
    unlink_held(pool, e->index);
    pool->stats.acquires--;
    pool->stats.bytes_requested -= s->size;
    if (e->hit) put_back(pool, e);
    else destroy_new(pool, e);
    return true;
}

void bpi_undo_rollback(bp_pool *pool, bpi_undo *u) {
    bool all = true;
    for (uint32_t k = u->count; k-- > 0;) all &= undo_one(pool, &u->e[k]);
    bp_stats *st = &pool->stats;
    /* Only this call's acquires raised the peaks and crossed the warning threshold (the
     * eviction callback cannot acquire); one that stands keeps what it did. */
    if (all) {
        st->peak_reserved = u->peak_reserved;
        st->peak_in_use = u->peak_in_use;
        st->peak_requested = u->peak_requested;
        st->warnings = u->warnings;
        pool->warned = u->warned;
    }
    if (pool->warned && st->bytes_reserved <= pool->desc.warn_reserved_bytes) pool->warned = false;
    pool->undo = NULL;
}
