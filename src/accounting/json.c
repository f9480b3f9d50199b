/* JSON dump of the stats and the per-class breakdown. */
#include <stdarg.h>
#include <stdio.h>

#include "internal/numfmt.h"
#include "internal/pool.h"

typedef struct jbuf {
    char *buf;
    size_t cap, len;
} jbuf;

static void put(jbuf *j, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    size_t room = j->len < j->cap ? j->cap - j->len : 0;
    int n = vsnprintf(room ? j->buf + j->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0) j->len += (size_t)n;
}

/* A JSON string body: quotes, backslashes and control characters escaped. */
static void put_escaped(jbuf *j, const char *text) {
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        if (*c == '"' || *c == '\\') put(j, "\\%c", *c);
        else if (*c < 0x20) put(j, "\\u%04x", *c);
        else put(j, "%c", *c);
    }
}

bp_result bp_stats_to_json(bp_pool *pool, char *buf, size_t buf_size, size_t *out_len) {
    if (out_len) *out_len = 0;
    if (!pool || (!buf && buf_size)) return BP_ERR_INVALID_ARGUMENT;
    bpi_lock(pool);
    const bp_stats stats = bpi_stats_read(pool), *s = &stats;
    jbuf j = {buf, buf_size, 0};
    put(&j, "{\"pool\":\"");
    put_escaped(&j, pool->name);
    put(&j, "\",\"backend\":\"");
    put_escaped(&j, pool->backend.name ? pool->backend.name : "custom");
    put(&j, "\",\"frame\":%llu,", (unsigned long long)s->frame);
#define U(name) put(&j, "\"" #name "\":%llu,", (unsigned long long)s->name)
    U(bytes_reserved); U(bytes_in_use); U(bytes_requested); U(bytes_pooled); U(bytes_pending);
    U(peak_reserved); U(peak_in_use); U(peak_requested); U(buffers_in_use); U(buffers_pooled); U(buffers_pending);
    U(buffers_total); U(acquires); U(releases); U(hits); U(misses); U(backend_creates);
    U(backend_destroys); U(trims); U(evictions); U(budget_failures); U(capacity_failures);
    /* owner_releases and scope_releases were missing: "the stats" means every bp_stats counter. */
    U(errors); U(warnings); U(budget_bytes); U(owner_releases); U(scope_releases);
#undef U
    /* not %f: the host program may have set a decimal-comma LC_NUMERIC (internal/numfmt.h) */
    put(&j, "\"hit_rate\":%s,\"classes\":[", bpi_num_fixed(6, bpi_hit_rate(s)).s);
    uint32_t classes = bpi_class_count(pool->pow2), n = 0;
    bp_class_stats all[BPI_MAX_CLASSES];
    bpi_class_totals(pool, all);
    for (uint32_t c = 0; c < classes; c++) {
        const bp_class_stats *cc = &all[c];
        if (!pool->classes[c].used) continue;
        put(&j,
            "%s{\"class_size\":%llu,\"in_use\":%u,\"pooled\":%u,\"pending\":%u,\"bytes_requested\":%llu,"
            "\"acquires\":%llu,\"hits\":%llu,\"max_pooled\":%s}",
            n++ ? "," : "", (unsigned long long)cc->class_size, cc->in_use, cc->pooled, cc->pending,
            (unsigned long long)cc->bytes_requested, (unsigned long long)cc->acquires, (unsigned long long)cc->hits,
            cc->max_pooled == BP_NEVER ? "null" : bpi_num_fixed(0, cc->max_pooled).s);
    }
    put(&j, "]}");
    bpi_unlock(pool);
    if (out_len) *out_len = j.len;
    return j.len < buf_size ? BP_OK : BP_ERR_BUFFER_TOO_SMALL;
}
