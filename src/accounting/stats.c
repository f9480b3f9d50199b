/* Incremental counters: every state change adjusts them, so bp_get_stats is O(1). The
 * per-class figures are recounted from the slots when read, keeping them off the hot path. */
#include "internal/pool.h"

void bpi_stats_created(bp_pool *pool, const bpi_slot *slot) {
    bp_stats *st = &pool->stats;
    st->bytes_reserved += slot->native.capacity;
    st->backend_creates++;
    st->buffers_total++;
    if (st->bytes_reserved > st->peak_reserved) st->peak_reserved = st->bytes_reserved;
    bpi_class_note_used(pool, slot->class_index);
}

void bpi_slot_fold_hits(bp_pool *pool, bpi_slot *s) {
    bpi_class_counters *cc = &pool->classes[s->class_index];
    uint32_t hits = bpi_slot_hits(s);
    cc->acquires += hits;
    cc->hits += hits;
    s->hit_base = s->generation;
}

void bpi_stats_destroyed(bp_pool *pool, bpi_slot *slot) {
    bp_stats *st = &pool->stats;
    bpi_slot_fold_hits(pool, slot);
    st->bytes_reserved -= slot->native.capacity;
    st->backend_destroys++;
    st->buffers_total--;
    /* Re-arm the warning as soon as reserved bytes fall back under the threshold, whichever
     * call destroyed the buffer (bp_trim, bp_trim_older_than, caps, budget), not only at the
     * next frame end: otherwise the next crossing outside a frame end is never warned. */
    if (pool->warned && st->bytes_reserved <= pool->desc.warn_reserved_bytes) pool->warned = false;
}

void bpi_class_totals(const bp_pool *pool, bp_class_stats all[BPI_MAX_CLASSES]) {
    uint32_t classes = bpi_class_count(pool->pow2);
    for (uint32_t c = 0; c < classes; c++)
        all[c] = (bp_class_stats){.class_size = bpi_class_size(pool->pow2, c), .acquires = pool->classes[c].acquires,
                                  .hits = pool->classes[c].hits, .max_pooled = pool->retain_cap};
    for (uint32_t g = 0; g < BPI_MAX_GROUPS; g++) /* a cap demand raised, the largest of the class */
        if (pool->groups[g].used)
            for (uint32_t c = 0; c < classes; c++)
                if (pool->groups[g].buckets[c].cap > all[c].max_pooled) all[c].max_pooled = pool->groups[g].buckets[c].cap;
    for (uint32_t i = 0; i < pool->slot_count; i++) {
        const bpi_slot *s = &pool->slots[i];
        if (s->state == BPI_FREE) continue;
        bp_class_stats *t = &all[s->class_index];
        t->acquires += bpi_slot_hits(s);
        t->hits += bpi_slot_hits(s);
        if (s->state == BPI_IN_USE) {
            t->in_use++;
            t->bytes_requested += s->size;
        } else if (s->state == BPI_PENDING) {
            t->pending++;
        } else if (s->state == BPI_POOLED) {
            t->pooled++;
        }
    }
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
        if (pool->desc.warning) {
            bp_stats st = bpi_stats_read(pool);
            bpi_callback_guard g = bpi_callback_enter(pool); /* inside an acquire or frame end */
            pool->desc.warning(pool->desc.warning_user, pool, &st);
            bpi_callback_leave(pool, g);
        }
    } else {
        pool->warned = false;
    }
}
