/* The leak report at pool destruction: one log item per buffer still held, then a summary. */
#include "internal/pool.h"

static uint32_t report_list(bp_pool *pool, const bpi_list *list, uint64_t *bytes) {
    uint32_t n = 0;
    for (uint32_t i = list->head; i != BPI_NIL; i = pool->slots[i].list_next) {
        const bpi_slot *s = &pool->slots[i];
        n++;
        *bytes += s->size;
        if (s->file)
            bpi_log(pool, BP_LOG_WARNING, BP_LOG_ITEM_LEAK,
                    "leak: buffer '%s' of %llu bytes (owner %llu, acquired in frame %llu at %s:%d) was never released",
                    s->tag ? s->tag : "(untagged)", (unsigned long long)s->size, (unsigned long long)s->owner,
                    (unsigned long long)s->frame, s->file, s->line);
        else
            bpi_log(pool, BP_LOG_WARNING, BP_LOG_ITEM_LEAK,
                    "leak: buffer '%s' of %llu bytes (owner %llu, acquired in frame %llu) was never released",
                    s->tag ? s->tag : "(untagged)", (unsigned long long)s->size, (unsigned long long)s->owner,
                    (unsigned long long)s->frame);
    }
    return n;
}

void bpi_report_leaks(bp_pool *pool) {
    uint64_t bytes = 0;
    uint32_t n = report_list(pool, &pool->live, &bytes) + report_list(pool, &pool->transient, &bytes);
    if (n)
        bpi_log(pool, BP_LOG_WARNING, BP_LOG_ITEM_LEAK_SUMMARY,
                "pool '%s' destroyed with %u buffer(s), %llu bytes, still held; all memory freed anyway",
                pool->name, n, (unsigned long long)bytes);
}
