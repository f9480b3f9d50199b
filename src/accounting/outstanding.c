/* Outstanding buffers by tag and owner, tag snapshots and their diff (seed 004's heap
 * snapshot compare). Walks the held buffers (accounting/held.c); never on a hot path. */
#include <stdlib.h>
#include <string.h>

#include "internal/pool.h"

static const char *tag_name(const char *tag) { return tag ? tag : "(untagged)"; }

static int by_bytes_desc(const void *a, const void *b) {
    const bp_tag_usage *x = a, *y = b;
    if (x->bytes != y->bytes) return x->bytes < y->bytes ? 1 : -1;
    return strcmp(x->tag, y->tag);
}

typedef struct grouping {
    bool by_owner;
    bp_tag_usage *g;
    uint32_t n;
} grouping;

static void group_one(bp_pool *pool, const bpi_slot *s, void *ctx) {
    (void)pool;
    grouping *gr = ctx;
    bp_tag_usage *g = gr->g;
    const char *tag = tag_name(s->tag);
    uint64_t owner = gr->by_owner ? s->owner : 0;
    uint32_t k = 0, n = gr->n;
    while (k < n && (g[k].owner != owner || (g[k].tag != tag && strcmp(g[k].tag, tag) != 0))) k++;
    if (k == n) g[gr->n++] = (bp_tag_usage){.tag = tag, .owner = owner, .oldest_frame = s->frame};
    g[k].buffers++;
    g[k].bytes += s->size;
    if (s->frame < g[k].oldest_frame) g[k].oldest_frame = s->frame;
}

static bp_result group_held(bp_pool *pool, bool by_owner, bp_tag_usage *out, uint32_t capacity,
                            uint32_t *out_count) {
    if (out_count) *out_count = 0;
    if (!pool || !out_count || (capacity && !out)) return BP_ERR_INVALID_ARGUMENT;
    bpi_lock(pool);
    uint32_t held = bpi_buffers_in_use(pool), n = 0;
    bp_tag_usage *g = held ? bpi_alloc(pool, (size_t)held * sizeof *g) : NULL;
    bp_result r = BP_OK;
    /* A failed call after the pool is read is counted and logged (bp_stats.errors, last error),
     * as bp_calculate_owners does; it used to return silently. */
    if (held && !g) r = bpi_fail(pool, BP_ERR_OUT_OF_MEMORY, BP_LOG_ITEM_NONE, "out of host memory");
    if (r == BP_OK) {
        grouping gr = {by_owner, g, 0};
        bpi_for_each_held(pool, group_one, &gr);
        n = gr.n;
        for (uint32_t k = 0; k < n; k++) g[k].age_frames = pool->stats.frame - g[k].oldest_frame;
        if (n) qsort(g, n, sizeof *g, by_bytes_desc);
        if (capacity && n) memcpy(out, g, (size_t)(n < capacity ? n : capacity) * sizeof *g);
        *out_count = n;
        if (n > capacity) r = BP_ERR_BUFFER_TOO_SMALL;
    }
    bpi_free(pool, g);
    bpi_unlock(pool);
    return r;
}

bp_result bp_calculate_outstanding(bp_pool *pool, bp_tag_usage *out, uint32_t capacity, uint32_t *out_count) {
    return group_held(pool, true, out, capacity, out_count);
}

bp_result bp_calculate_tag_snapshot(bp_pool *pool, bp_tag_usage *out, uint32_t capacity, uint32_t *out_count) {
    return group_held(pool, false, out, capacity, out_count);
}

static const bp_tag_usage *find_tag(const bp_tag_usage *list, uint32_t n, const char *tag) {
    for (uint32_t i = 0; i < n; i++)
        if (!strcmp(tag_name(list[i].tag), tag)) return &list[i];
    return NULL;
}

bp_result bp_snapshot_diff(const bp_tag_usage *before, uint32_t before_count, const bp_tag_usage *after,
                           uint32_t after_count, bp_tag_usage *out, uint32_t capacity, uint32_t *out_count) {
    if (out_count) *out_count = 0;
    if (!out_count || (before_count && !before) || (after_count && !after) || (capacity && !out))
        return BP_ERR_INVALID_ARGUMENT;
    uint32_t n = 0;
    for (uint32_t i = 0; i < after_count; i++) {
        const bp_tag_usage *a = &after[i];
        const bp_tag_usage *b = find_tag(before, before_count, tag_name(a->tag));
        uint64_t bytes0 = b ? b->bytes : 0;
        uint32_t buffers0 = b ? b->buffers : 0;
        if (a->bytes <= bytes0 && a->buffers <= buffers0) continue;
        if (n < capacity) {
            out[n] = *a;
            out[n].tag = tag_name(a->tag);
            out[n].bytes = a->bytes > bytes0 ? a->bytes - bytes0 : 0;
            out[n].buffers = a->buffers > buffers0 ? a->buffers - buffers0 : 0;
        }
        n++;
    }
    if (n && capacity) qsort(out, n < capacity ? n : capacity, sizeof *out, by_bytes_desc);
    *out_count = n;
    return n > capacity ? BP_ERR_BUFFER_TOO_SMALL : BP_OK;
}
