/* Bounding memory: retention caps, idle trimming (frames and seconds), the pooled-bytes cap,
 * and making room under a budget. The LRU list is ordered by pooling time, so trimming
 * walks from its head and stops at the first buffer that is still fresh. */
#include "internal/pool.h"

void bpi_destroy_pooled(bp_pool *pool, uint32_t index) {
    bpi_slot *s = &pool->slots[index];
    bpi_bucket_remove(pool, index);
    bpi_list_remove(pool, &pool->lru, index);
    bpi_stats_state(pool, s, BPI_POOLED, BPI_FREE);
    bpi_destroy_native(pool, s);
    pool->stats.trims++;
    bpi_slot_retire(pool, index);
}

static bool is_idle(const bp_pool *pool, const bpi_slot *s) {
    uint32_t frames = pool->desc.idle_trim_frames;
    double seconds = pool->desc.idle_trim_seconds;
    if (frames != BP_NEVER && pool->stats.frame - s->frame >= frames) return true;
    return seconds >= 0 && pool->now - s->pooled_time >= seconds;
}

void bpi_trim_idle(bp_pool *pool, bool everything) {
    /* fixed pools never call the backend after creation; high-water pools never shrink */
    if (pool->desc.capacity_mode != BP_CAPACITY_DYNAMIC) return;
    while (pool->lru.head != BPI_NIL) {
        uint32_t index = pool->lru.head;
        if (!everything && !is_idle(pool, &pool->slots[index])) break;
        bpi_destroy_pooled(pool, index);
    }
}

void bpi_enforce_pooled_cap(bp_pool *pool) {
    uint64_t cap = pool->desc.max_pooled_bytes;
    while (pool->stats.bytes_pooled > cap && pool->lru.head != BPI_NIL) bpi_destroy_pooled(pool, pool->lru.head);
}
