/* Budget and owner diagnostics (seed 001's memory tracker): usage against the budget, peaks,
 * eviction and cleanup counts, and the optional periodic log line. */
#include <stdio.h>
#include <string.h>

#include "internal/pool.h"

static double percent(uint64_t part, uint64_t whole) {
    return whole ? (double)part * 100.0 / (double)whole : 0.0;
}

static void collect(bp_pool *pool, bp_diagnostics *d) {
    const bp_stats *s = &pool->stats;
    memset(d, 0, sizeof *d);
    d->bytes_reserved = s->bytes_reserved;
    d->peak_reserved = s->peak_reserved;
    d->budget_bytes = s->budget_bytes;
    d->budget_used_percent = percent(s->bytes_reserved, s->budget_bytes);
    d->peak_budget_percent = percent(s->peak_reserved, s->budget_bytes);
    d->evictions = s->evictions;
    d->budget_failures = s->budget_failures;
    d->trims = s->trims;
    d->owner_releases = s->owner_releases;
    d->scope_releases = s->scope_releases;
    d->owners = bpi_owner_count(pool);
    d->buffers_in_use = bpi_buffers_in_use(pool);
}

static int format_line(bp_pool *pool, char *buf, size_t size) {
    bp_diagnostics d;
    collect(pool, &d);
    char budget[64] = "no budget";
    if (d.budget_bytes)
        snprintf(budget, sizeof budget, "%.1f%% of a %.1f MB budget", d.budget_used_percent,
                 (double)d.budget_bytes / 1048576.0);
    return snprintf(buf, size,
                    "pool '%s' frame %llu: reserved %.1f MB (%s), peak %.1f MB; %u buffers held by %u owners; "
                    "evictions %llu, budget failures %llu, trims %llu, owner releases %llu, scope releases %llu",
                    pool->name, (unsigned long long)pool->stats.frame, (double)d.bytes_reserved / 1048576.0, budget,
                    (double)d.peak_reserved / 1048576.0, d.buffers_in_use, d.owners,
                    (unsigned long long)d.evictions, (unsigned long long)d.budget_failures,
                    (unsigned long long)d.trims, (unsigned long long)d.owner_releases,
                    (unsigned long long)d.scope_releases);
}

void bpi_diagnostics_frame(bp_pool *pool) {
    uint32_t every = pool->desc.diagnostics_every_frames;
    if (!every || pool->stats.frame % every != 0 || !pool->desc.logger.func) return;
    char line[400];
    format_line(pool, line, sizeof line);
    bpi_log(pool, BP_LOG_INFO, BP_LOG_ITEM_DIAGNOSTICS, "%s", line);
}

bp_result bp_get_diagnostics(bp_pool *pool, bp_diagnostics *out) {
    if (out) memset(out, 0, sizeof *out);
    if (!pool || !out) return BP_ERR_INVALID_ARGUMENT;
    bpi_lock(pool);
    collect(pool, out);
    bpi_unlock(pool);
    return BP_OK;
}

bp_result bp_diagnostics_line(bp_pool *pool, char *buf, size_t buf_size) {
    if (!pool || (!buf && buf_size)) return BP_ERR_INVALID_ARGUMENT;
    bpi_lock(pool);
    int n = format_line(pool, buf, buf_size);
    bpi_unlock(pool);
    return n >= 0 && (size_t)n < buf_size ? BP_OK : BP_ERR_BUFFER_TOO_SMALL;
}
