/* The leak report at pool destruction: one log item per buffer still held, then a summary. */
#include "internal/pool.h"

typedef struct leak_totals {
    uint32_t buffers;
    uint64_t bytes;
} leak_totals;

static void report_one(bp_pool *pool, const bpi_slot *s, void *ctx) {
    leak_totals *t = ctx;
    t->buffers++;
    t->bytes += s->size;
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

void bpi_report_leaks(bp_pool *pool) {
    leak_totals t = {0, 0};
    bpi_for_each_held(pool, report_one, &t);
    uint32_t n = t.buffers;
    uint64_t bytes = t.bytes;
    if (n)
        bpi_log(pool, BP_LOG_WARNING, BP_LOG_ITEM_LEAK_SUMMARY,
                "pool '%s' destroyed with %u buffer(s), %llu bytes, still held; all memory freed anyway",
                pool->name, n, (unsigned long long)bytes);
}
