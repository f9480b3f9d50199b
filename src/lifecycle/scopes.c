/* Scopes (seed 002): a mark remembers the acquisition sequence number when it was opened.
 * Buffers acquired while a scope is open sit in the live list (non-transient ones not marked
 * BP_ACQUIRE_NO_SCOPE; the hot path links no others there) or the transient list, both in
 * acquisition order, so ending a scope walks each list from its tail and stops at the first
 * buffer acquired before the mark. Transient buffers stamped with scope depth 0 while a scope
 * was open are BP_ACQUIRE_NO_SCOPE and stay.
 * State: pool->ext[1], a fixed stack of BP_MAX_SCOPE_DEPTH entries allocated once. */
#include <string.h>

#include "internal/pool.h"

typedef struct scope_entry {
    uint64_t seq;    /* stats.acquires when the scope opened: later acquires' seq is higher */
    uint32_t serial; /* tells a reopened depth from the scope a stale mark named */
} scope_entry;

typedef struct scope_state {
    uint32_t next_serial;
    scope_entry open[BP_MAX_SCOPE_DEPTH];
} scope_state;

#define SCOPES(pool) ((scope_state *)(pool)->ext[1])
#define DEPTH_MASK ((1u << BPI_INDEX_BITS) - 1u)

bp_result bpi_scopes_reserve(bp_pool *pool) {
    if (SCOPES(pool)) return BP_OK;
    scope_state *st = bpi_alloc(pool, sizeof *st);
    if (!st) return bpi_fail(pool, BP_ERR_OUT_OF_MEMORY, BP_LOG_ITEM_NONE, "out of host memory for scopes");
    memset(st, 0, sizeof *st);
    pool->ext[1] = st;
    return BP_OK;
}

bp_result bpi_scope_begin(bp_pool *pool, bp_scope *out) {
    bp_result r = bpi_scopes_reserve(pool);
    if (r != BP_OK) return r;
    if (pool->scope_depth >= BP_MAX_SCOPE_DEPTH)
        return bpi_fail(pool, BP_ERR_SCOPE, BP_LOG_ITEM_SCOPE, "pool '%s': more than %u nested scopes", pool->name,
                        BP_MAX_SCOPE_DEPTH);
    scope_state *st = SCOPES(pool);
    if (++st->next_serial == 0) st->next_serial = 1;
    st->open[pool->scope_depth] = (scope_entry){pool->stats.acquires, st->next_serial};
    pool->scope_depth++;
    bpi_plain_key_update(pool); /* a scoped acquire is listed: not the unlocked plain hit */
    out->id = ((uint64_t)st->next_serial << 32) | pool->tag_bits | pool->scope_depth;
    return BP_OK;
}

/* The open scope a mark names, or BP_ERR_SCOPE (nothing changes). */
static bp_result resolve(bp_pool *pool, bp_scope mark, uint32_t *out_depth) {
    scope_state *st = SCOPES(pool);
    uint32_t low = (uint32_t)mark.id, depth = low & DEPTH_MASK, serial = (uint32_t)(mark.id >> 32);
    if (mark.id == 0)
        return bpi_fail(pool, BP_ERR_SCOPE, BP_LOG_ITEM_SCOPE, "the zero scope mark");
    if ((low & ~(BPI_MAX_SLOTS - 1u)) != pool->tag_bits || !st || depth == 0 || depth > BP_MAX_SCOPE_DEPTH)
        return bpi_fail(pool, BP_ERR_SCOPE, BP_LOG_ITEM_SCOPE, "scope mark 0x%llx was not issued by pool '%s'",
                        (unsigned long long)mark.id, pool->name);
    if (depth > pool->scope_depth || st->open[depth - 1].serial != serial)
        return bpi_fail(pool, BP_ERR_SCOPE, BP_LOG_ITEM_SCOPE,
                        "scope mark 0x%llx is not open (already ended, or closed by an outer scope)",
                        (unsigned long long)mark.id);
    *out_depth = depth;
    return BP_OK;
}

/* Release the scoped buffers of one list acquired after `seq`, newest first; without guards,
 * scrubbing or a trace and without an owner to unlink, by the short path. */
static uint32_t release_since(bp_pool *pool, bpi_list *list, uint64_t seq) {
    uint32_t n = 0;
    for (uint32_t i = list->tail; i != BPI_NIL && bpi_slot_at(pool, i)->seq > seq;) {
        const bpi_slot *s = bpi_slot_at(pool, i);
        uint32_t prev = s->list_prev;
        if (s->scope_depth != 0) {
            if (pool->release_short && !s->owner) bpi_release_listed(pool, list, i);
            else bpi_release_slot(pool, i);
            n++;
        }
        i = prev;
    }
    return n;
}

bp_result bpi_scope_end(bp_pool *pool, bp_scope mark, uint32_t *out_released) {
    uint32_t depth = 0;
    bp_result r = resolve(pool, mark, &depth);
    if (r != BP_OK) return r;
    uint64_t seq = SCOPES(pool)->open[depth - 1].seq;
    uint32_t n = release_since(pool, &pool->live, seq) + release_since(pool, &pool->transient, seq);
    pool->stats.scope_releases += n;
    pool->scope_depth = depth - 1; /* inner scopes close with it */
    bpi_plain_key_update(pool);
    if (out_released) *out_released = n;
    return BP_OK;
}

void bpi_scopes_destroy(bp_pool *pool) {
    bpi_free(pool, pool->ext[1]);
    pool->ext[1] = NULL;
}
