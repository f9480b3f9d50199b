/* Incremental counters: every state change adjusts them, so bp_get_stats is O(1). */
#include "internal/pool.h"

void bpi_stats_created(bp_pool *pool, const bpi_slot *slot) {
    bp_stats *st = &pool->stats;
    st->bytes_reserved += slot->native.capacity;
    st->backend_creates++;
    st->buffers_total++;
    if (st->bytes_reserved > st->peak_reserved) st->peak_reserved = st->bytes_reserved;
}

void bpi_stats_destroyed(bp_pool *pool, const bpi_slot *slot) {
    bp_stats *st = &pool->stats;
    st->bytes_reserved -= slot->native.capacity;
    st->backend_destroys++;
    st->buffers_total--;
}

/* Edge-triggered: warn once when reserved bytes cross the threshold, re-arm below it. */
void bpi_check_warning(bp_pool *pool) {
    uint64_t limit = pool->desc.warn_reserved_bytes;
    if (limit == BP_UNLIMITED) return;
    if (pool->stats.bytes_reserved > limit) {
        if (pool->warned) return;
        pool->warned = true;
        pool->stats.warnings++;
        bpi_log(pool, BP_LOG_WARNING, BP_LOG_ITEM_WARN_THRESHOLD,
                "pool '%s': %.2f MB reserved exceeds the warning threshold of %.2f MB", pool->name,
                (double)pool->stats.bytes_reserved / 1048576.0, (double)limit / 1048576.0);
        pool->stats.hit_rate = bpi_hit_rate(&pool->stats);
        if (pool->desc.warning) pool->desc.warning(pool->desc.warning_user, pool, &pool->stats);
    } else {
        pool->warned = false;
    }
}
