/* Budget (seed 001): before a create would exceed the budget, trim idle pooled buffers
 * (oldest first), then let the application evict by owner priority, then refuse. The same
 * path keeps live buffers under the backend's allocation cap. */
#include "internal/pool.h"

static bool fits(const bp_pool *pool, uint64_t bytes) {
    uint64_t budget = pool->stats.budget_bytes;
    return budget == 0 || (pool->stats.bytes_reserved <= budget && bytes <= budget - pool->stats.bytes_reserved);
}

/* Destroy pooled buffers, oldest first, until `bytes` more fit or none is left. */
static void trim_until_fits(bp_pool *pool, uint64_t bytes) {
    uint32_t i;
    while (!fits(pool, bytes) && (i = bpi_oldest_pooled(pool)) != BPI_NIL) bpi_destroy_pooled(pool, i);
}

/* Offer the owners, lowest priority first, to the application's eviction callback. */
static void evict(bp_pool *pool, uint64_t bytes, const uint64_t *owners, uint32_t count) {
    uint64_t over = pool->stats.bytes_reserved + bytes - pool->stats.budget_bytes;
    bpi_undo_trace(pool); /* a two-step call's buffers may be released by owner: A lines first */
    pool->in_eviction = true;
    bpi_fast_flags(pool);
    pool->stats.evictions++;
    bpi_log(pool, BP_LOG_INFO, BP_LOG_ITEM_BUDGET,
            "pool '%s': %llu bytes over budget, asking the application to evict among %u owners", pool->name,
            (unsigned long long)over, count);
    pool->desc.evict(pool->desc.evict_user, pool, over, owners, count);
    pool->in_eviction = false;
    bpi_fast_flags(pool);
    bpi_promote_pending(pool);
    trim_until_fits(pool, bytes);
}

/* The backend's cap on live allocations (Vulkan's maxMemoryAllocationCount): trim pooled
 * buffers, oldest first, to free one; refuse when every allocation is held or pending. */
static bp_result make_allocation_room(bp_pool *pool) {
    uint32_t cap = pool->caps.max_allocations;
    if (!cap) return BP_OK;
    uint32_t i;
    while (pool->stats.buffers_total >= cap && (i = bpi_oldest_pooled(pool)) != BPI_NIL) bpi_destroy_pooled(pool, i);
    if (pool->stats.buffers_total < cap) return BP_OK;
    pool->stats.capacity_failures++;
    return bpi_fail(pool, BP_ERR_CAPACITY, BP_LOG_ITEM_CAPACITY,
                    "pool '%s': backend '%s' allows %u live allocations and all are held or pending", pool->name,
                    pool->backend.name, cap);
}

/* pooled_headroom: a miss that would take the reserved bytes past the headroom over the peak
 * in use (the new buffer counted in use) first destroys the oldest pooled buffers, down to
 * half the headroom, so that the next misses do not each search for the oldest (a walk over
 * every class's bucket), and in batches: each walk finds the oldest of up to 32 buckets. */
static void make_headroom(bp_pool *pool, uint64_t bytes) {
    if (pool->headroom == UINT32_MAX) return;
    const bp_stats *st = &pool->stats;
    uint64_t use = st->bytes_in_use + bytes, peak = st->peak_in_use > use ? st->peak_in_use : use;
    uint64_t room = peak / 100u * pool->headroom;
    if (room < BPI_HEADROOM_FLOOR) room = BPI_HEADROOM_FLOOR;
    if (st->bytes_reserved + bytes <= peak + room) return;
    uint32_t oldest[BPI_HEADROOM_BATCH], n = 1;
    while (n && st->bytes_reserved + bytes > peak + room / 2u) {
        n = bpi_oldest_pooled_n(pool, oldest, BPI_HEADROOM_BATCH);
        for (uint32_t k = 0; k < n && st->bytes_reserved + bytes > peak + room / 2u; k++)
            bpi_destroy_pooled(pool, oldest[k]);
    }
}

bp_result bpi_make_room(bp_pool *pool, uint64_t bytes) {
    make_headroom(pool, bytes);
    bp_result r = make_allocation_room(pool);
    if (r != BP_OK) return r;
    if (fits(pool, bytes)) return BP_OK;
    bool can_evict = pool->desc.evict && !pool->in_eviction;
    uint64_t *owners = NULL;
    uint32_t count = 0;
    /* The owner list before anything is trimmed: failing to allocate it changes nothing. */
    if (can_evict && bpi_owners_by_priority(pool, &owners, &count) != BP_OK)
        return bpi_fail(pool, BP_ERR_OUT_OF_MEMORY, BP_LOG_ITEM_BUDGET,
                        "pool '%s': out of host memory for the eviction list", pool->name);
    /* Without an eviction callback, a request that would not fit even with every pooled
     * buffer trimmed is refused before trimming any: a failed acquire changes nothing. */
    uint64_t unpooled = pool->stats.bytes_reserved - bpi_bytes_pooled(pool), budget = pool->stats.budget_bytes;
    bool trim_can_fit = unpooled <= budget && bytes <= budget - unpooled;
    if (can_evict || trim_can_fit) trim_until_fits(pool, bytes);
    if (!fits(pool, bytes) && can_evict) evict(pool, bytes, owners, count);
    bpi_free(pool, owners);
    if (fits(pool, bytes)) return BP_OK;
    pool->stats.budget_failures++;
    return bpi_fail(pool, BP_ERR_BUDGET, BP_LOG_ITEM_BUDGET,
                    "pool '%s': %llu more bytes would exceed the budget of %llu (reserved %llu, of which %llu "
                    "pending frames in flight)",
                    pool->name, (unsigned long long)bytes, (unsigned long long)pool->stats.budget_bytes,
                    (unsigned long long)pool->stats.bytes_reserved, (unsigned long long)pool->stats.bytes_pending);
}
