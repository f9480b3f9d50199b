/* The leak / plateau verdict over a time series (rule in bufpool.h, at bp_verdict). */
#include <string.h>

#include "internal/pool.h"

static uint64_t peak_reserved(const bp_series_point *p, uint32_t from, uint32_t to) {
    uint64_t m = 0;
    for (uint32_t i = from; i < to; i++)
        if (p[i].bytes_reserved > m) m = p[i].bytes_reserved;
    return m;
}

/* Least-squares slope of reserved bytes over frames (bytes per frame). */
static double slope(const bp_series_point *p, uint32_t from, uint32_t to) {
    double n = (double)(to - from), sx = 0, sy = 0, sxx = 0, sxy = 0;
    double x0 = (double)p[from].frame; /* centred on the first frame for precision */
    for (uint32_t i = from; i < to; i++) {
        double x = (double)p[i].frame - x0, y = (double)p[i].bytes_reserved;
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
    }
    double d = n * sxx - sx * sx;
    return d > 0 ? (n * sxy - sx * sy) / d : 0.0;
}

bp_result bp_series_verdict(const bp_series_point *points, uint32_t count, uint64_t tolerance_bytes,
                            bp_verdict *out) {
    if (out) memset(out, 0, sizeof *out);
    if (!out || (count && !points)) return BP_ERR_INVALID_ARGUMENT;
    out->tolerance_bytes = tolerance_bytes ? tolerance_bytes : 1;
    if (count < BP_VERDICT_MIN_POINTS) return BP_OK; /* BP_VERDICT_TOO_SHORT */
    uint32_t half = count / 2, w = (count - half) / 4, from = count - 4 * w;
    out->window_points = w;
    out->first_frame = points[from].frame;
    for (uint32_t k = 0; k < 4; k++) out->peaks[k] = peak_reserved(points, from + k * w, from + (k + 1) * w);
    out->growth_bytes = out->peaks[3] > out->peaks[0] ? out->peaks[3] - out->peaks[0] : 0;
    out->last_step_bytes = out->peaks[3] > out->peaks[2] ? out->peaks[3] - out->peaks[2] : 0;
    out->slope_bytes_per_frame = slope(points, from, count);
    bool rising = out->peaks[1] > out->peaks[0] && out->peaks[2] > out->peaks[1] && out->peaks[3] > out->peaks[2];
    out->kind = rising && out->last_step_bytes >= out->tolerance_bytes ? BP_VERDICT_GROWING : BP_VERDICT_PLATEAU;
    return BP_OK;
}

bp_result bp_calculate_verdict(bp_pool *pool, bp_verdict *out) {
    if (out) memset(out, 0, sizeof *out);
    if (!pool || !out) return BP_ERR_INVALID_ARGUMENT;
    bpi_lock(pool);
    uint64_t largest = 0;
    for (uint32_t c = 0, n = bpi_class_count(pool->pow2); c < n; c++)
        if (pool->classes[c].used) largest = bpi_class_size(pool->pow2, c);
    uint32_t count = 0;
    bp_calculate_series(pool, NULL, 0, &count);
    bp_series_point *copy = count ? bpi_alloc(pool, (size_t)count * sizeof *copy) : NULL;
    bp_result r = BP_OK;
    /* counted and logged like every failed call after the pool is read (bp_stats.errors) */
    if (count && !copy) r = bpi_fail(pool, BP_ERR_OUT_OF_MEMORY, BP_LOG_ITEM_NONE, "out of host memory");
    if (r == BP_OK) {
        bp_calculate_series(pool, copy, count, &count);
        r = bp_series_verdict(copy, count, largest, out);
    }
    bpi_free(pool, copy);
    bpi_unlock(pool);
    return r;
}
