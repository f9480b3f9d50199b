/* The per-frame time series: a ring of bp_series_point allocated once at pool creation
 * (pool->ext[2]), filled at every frame end, and the profiler hook fed from the same point.
 * Recording is allocation-free: it runs inside bp_frame_end. */
#include <string.h>

#include "internal/pool.h"

typedef struct bpi_series {
    uint32_t capacity, count, next; /* ring: `next` is where the next point goes */
    uint64_t in_use_at_close;       /* bytes in use before the frame's transients returned */
    uint64_t last_acquires, last_hits, last_creates, last_destroys; /* cumulative at last frame end */
    bp_series_point points[];
} bpi_series;

#define BPI_PLOT_VALUES 8u

static bpi_series *series_of(bp_pool *pool) { return pool->ext[2]; }

bp_result bpi_series_init(bp_pool *pool) {
    uint32_t n = pool->desc.series_frames;
    if (!n && !pool->desc.plot) return BP_OK; /* a plot hook alone needs the counters, not the ring */
    bpi_series *s = bpi_alloc(pool, sizeof *s + (size_t)n * sizeof s->points[0]);
    if (!s) return BP_ERR_OUT_OF_MEMORY;
    memset(s, 0, sizeof *s);
    s->capacity = n;
    pool->ext[2] = s;
    return BP_OK;
}

void bpi_series_destroy(bp_pool *pool) {
    bpi_free(pool, pool->ext[2]);
    pool->ext[2] = NULL;
}

void bpi_series_frame_closing(bp_pool *pool) {
    bpi_series *s = series_of(pool);
    if (s) s->in_use_at_close = pool->stats.bytes_in_use;
}

static void plot(bp_pool *pool, const bp_series_point *p) {
    const double mib = 1.0 / 1048576.0;
    bp_plot_value v[BPI_PLOT_VALUES] = {
        {"bufpool.reserved_mb", (double)p->bytes_reserved * mib},
        {"bufpool.in_use_mb", (double)p->bytes_in_use * mib},
        {"bufpool.pooled_mb", (double)p->bytes_pooled * mib},
        {"bufpool.pending_mb", (double)p->bytes_pending * mib},
        {"bufpool.hit_rate", p->acquires ? (double)p->hits / (double)p->acquires : 1.0},
        {"bufpool.acquires", (double)p->acquires},
        {"bufpool.creates", (double)p->creates},
        {"bufpool.destroys", (double)p->destroys},
    };
    pool->desc.plot(pool->desc.plot_user, pool, v, BPI_PLOT_VALUES);
}

void bpi_series_frame(bp_pool *pool) {
    bpi_series *s = series_of(pool);
    if (!s) return;
    const bp_stats stats = bpi_stats_read(pool), *st = &stats;
    bp_series_point p = {
        .frame = st->frame - 1,
        .bytes_reserved = st->bytes_reserved,
        .bytes_in_use = s->in_use_at_close,
        .bytes_pooled = st->bytes_pooled,
        .bytes_pending = st->bytes_pending,
        .acquires = st->acquires - s->last_acquires,
        .hits = st->hits - s->last_hits,
        .creates = st->backend_creates - s->last_creates,
        .destroys = st->backend_destroys - s->last_destroys,
    };
    if (s->capacity) {
        s->points[s->next] = p;
        s->next = s->next + 1 == s->capacity ? 0 : s->next + 1;
        if (s->count < s->capacity) s->count++;
    }
    s->last_acquires = st->acquires;
    s->last_hits = st->hits;
    s->last_creates = st->backend_creates;
    s->last_destroys = st->backend_destroys;
    if (pool->desc.plot) plot(pool, &p);
}

/* The i-th oldest point held. */
static const bp_series_point *point_at(const bpi_series *s, uint32_t i) {
    uint32_t first = s->count < s->capacity ? 0 : s->next;
    uint32_t k = first + i;
    return &s->points[k >= s->capacity ? k - s->capacity : k];
}

bp_result bp_calculate_series(bp_pool *pool, bp_series_point *out, uint32_t capacity, uint32_t *out_count) {
    if (out_count) *out_count = 0;
    if (!pool || !out_count || (capacity && !out)) return BP_ERR_INVALID_ARGUMENT;
    bpi_lock(pool);
    const bpi_series *s = series_of(pool);
    uint32_t n = s ? s->count : 0;
    for (uint32_t i = 0; i < n && i < capacity; i++) out[i] = *point_at(s, i);
    bpi_unlock(pool);
    *out_count = n;
    return n > capacity ? BP_ERR_BUFFER_TOO_SMALL : BP_OK;
}

bp_result bp_get_series_point(bp_pool *pool, uint32_t back, bp_series_point *out) {
    if (out) memset(out, 0, sizeof *out);
    if (!pool || !out) return BP_ERR_INVALID_ARGUMENT;
    bpi_lock(pool);
    const bpi_series *s = series_of(pool);
    bp_result r = BP_ERR_NOT_FOUND;
    if (s && back < s->count) {
        *out = *point_at(s, s->count - 1 - back);
        r = BP_OK;
    }
    bpi_unlock(pool);
    return r;
}
