/* Generational handle table: id = (generation << 32) | (pool tag << 24) | slot index.
 * Every lookup compares the full id, so zero, stale and foreign handles are told apart. */
#include <string.h>

#include "internal/pool.h"

static bp_result grow(bp_pool *pool) {
    uint32_t cap = pool->slot_capacity ? pool->slot_capacity * 2u : 64u;
    if (cap > pool->desc.max_buffers) cap = pool->desc.max_buffers;
    if (cap <= pool->slot_capacity)
        return bpi_fail(pool, BP_ERR_CAPACITY, BP_LOG_ITEM_CAPACITY,
                        "pool '%s': %u live buffers is the cap (max_buffers)", pool->name,
                        pool->desc.max_buffers);
    bpi_slot *slots = bpi_alloc_aligned(pool, (size_t)cap * sizeof *slots, _Alignof(bpi_slot)); /* see bpi_slot */
    if (!slots) return bpi_fail(pool, BP_ERR_OUT_OF_MEMORY, BP_LOG_ITEM_NONE, "out of host memory for handles");
    if (pool->slot_count) memcpy(slots, pool->slots, (size_t)pool->slot_count * sizeof *slots);
    memset(slots + pool->slot_count, 0, (size_t)(cap - pool->slot_count) * sizeof *slots);
    bpi_free(pool, pool->slots);
    pool->slots = slots;
    pool->slot_capacity = cap;
    return BP_OK;
}

/* A slot for a new buffer: a recycled one, or a fresh one (may grow the table). */
bp_result bpi_slot_new(bp_pool *pool, uint32_t *out_index) {
    if (pool->free_slots != BPI_NIL) {
        uint32_t i = pool->free_slots;
        pool->free_slots = pool->slots[i].list_next;
        *out_index = i;
        return BP_OK;
    }
    if (pool->slot_count == pool->slot_capacity) {
        bp_result r = grow(pool);
        if (r != BP_OK) return r;
    }
    uint32_t i = pool->slot_count++;
    pool->slots[i].id = bpi_make_id(pool, i, 0);
    *out_index = i;
    return BP_OK;
}

/* Undo a bpi_slot_new (no slot taken since; `old_count`: slot_count before it): a slot from the
 * end of the table goes back there, cleared as it was; one from the free list back to its head. */
void bpi_slot_unnew(bp_pool *pool, uint32_t index, uint32_t old_count) {
    if (index >= old_count && index + 1u == pool->slot_count) {
        memset(&pool->slots[index], 0, sizeof pool->slots[index]);
        pool->slot_count--;
        return;
    }
    bpi_slot_retire(pool, index);
}

/* The slot no longer holds a buffer. It is recycled unless its generation is exhausted,
 * in which case it retires for good (no id is ever issued twice). */
void bpi_slot_retire(bp_pool *pool, uint32_t index) {
    bpi_slot *s = &pool->slots[index];
    uint64_t id = s->id; /* the generation, and the low word the slot keeps */
    memset(s, 0, sizeof *s);
    s->id = id;
    s->state = BPI_FREE;
    if (s->generation == UINT32_MAX) return;
    s->list_next = pool->free_slots;
    pool->free_slots = index;
}

/* A pooled buffer (in its bucket) whose slot has issued its last id moves to a fresh slot, at
 * the head of its bucket (it was just pooled), so a pool that cannot create buffers again
 * keeps it; the old slot retires. A fresh slot comes from the free list or the table's spare
 * room, never a growth (a release allocates nothing); with none the buffer is destroyed. */
void bpi_slot_renew_pooled(bp_pool *pool, uint32_t index) {
    uint32_t fresh;
    if (pool->free_slots == BPI_NIL && pool->slot_count == pool->slot_capacity) {
        bpi_destroy_pooled(pool, index);
        return;
    }
    bpi_slot_new(pool, &fresh); /* cannot fail: a free or spare slot exists */
    bpi_bucket_remove(pool, index);
    bpi_slot_fold_hits(pool, &pool->slots[index]); /* the fresh slot's count starts at zero */
    bpi_slot *s = &pool->slots[fresh];
    uint64_t id = s->id;
    *s = pool->slots[index]; /* links are NIL after the removals */
    s->id = id; /* the fresh slot's generation and index */
    s->hit_base = s->generation;
    bpi_bucket_push(pool, fresh);
    bpi_slot_retire(pool, index);
}

bp_result bpi_lookup(bp_pool *pool, bp_buffer buf, bpi_slot **out_slot) {
    *out_slot = NULL;
    if (buf.id == 0)
        return bpi_fail(pool, BP_ERR_INVALID_HANDLE, BP_LOG_ITEM_BAD_HANDLE, "the zero handle");
    uint32_t index = bpi_id_index(pool, buf.id), gen = (uint32_t)(buf.id >> 32);
    if (index >= pool->slot_count || gen == 0 ||
        gen > pool->slots[index].generation)
        return bpi_fail(pool, BP_ERR_FOREIGN_HANDLE, BP_LOG_ITEM_BAD_HANDLE,
                        "handle 0x%llx was not issued by pool '%s'", (unsigned long long)buf.id, pool->name);
    *out_slot = &pool->slots[index];
    if (gen < pool->slots[index].generation)
        return bpi_fail(pool, BP_ERR_STALE_HANDLE, BP_LOG_ITEM_BAD_HANDLE,
                        "handle 0x%llx is stale: its buffer was released and handed out again",
                        (unsigned long long)buf.id);
    return BP_OK;
}

/* A handle of a buffer the application holds now. */
bp_result bpi_lookup_held(bp_pool *pool, bp_buffer buf, bpi_slot **out_slot) {
    bp_result r = bpi_lookup(pool, buf, out_slot);
    if (r != BP_OK) {
        *out_slot = NULL;
        return r;
    }
    if ((*out_slot)->state != BPI_IN_USE) {
        *out_slot = NULL;
        return bpi_fail(pool, BP_ERR_STALE_HANDLE, BP_LOG_ITEM_BAD_HANDLE,
                        "handle 0x%llx refers to a released buffer", (unsigned long long)buf.id);
    }
    return BP_OK;
}
