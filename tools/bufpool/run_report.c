#include "run_report.h"

#include <string.h>

void run_series_add(run_series *s, uint64_t reserved) {
    if (s->stride == 0) s->stride = 1;
    if (s->in_point == 0) {
        if (s->count == RUN_SERIES_POINTS) { /* full: halve the resolution, keep peaks */
            for (uint32_t i = 0; i < RUN_SERIES_POINTS / 2; i++) {
                uint64_t a = s->points[2 * i], b = s->points[2 * i + 1];
                s->points[i] = a > b ? a : b;
            }
            s->count = RUN_SERIES_POINTS / 2;
            s->stride *= 2;
        }
        s->points[s->count++] = reserved;
    } else if (reserved > s->points[s->count - 1]) {
        s->points[s->count - 1] = reserved;
    }
    if (++s->in_point == s->stride) s->in_point = 0;
}

static uint64_t peak(const run_series *s, uint32_t from, uint32_t to) {
    uint64_t m = 0;
    for (uint32_t i = from; i < to; i++)
        if (s->points[i] > m) m = s->points[i];
    return m;
}

bool run_plateau(const run_series *s, uint64_t largest_class) {
    if (s->count < 4) return true;
    uint32_t half = s->count / 2, mid = half + (s->count - half) / 2;
    uint64_t early = peak(s, half, mid), late = peak(s, mid, s->count);
    return late < early || late - early < (largest_class ? largest_class : 1);
}

void run_report_finish(run_report *r, bp_pool *pool) {
    bp_get_stats(pool, &r->stats);
    r->leaked_buffers = r->stats.buffers_in_use;
    bp_class_stats cls[512];
    uint32_t n = 0;
    bp_calculate_class_stats(pool, cls, 512, &n);
    for (uint32_t i = 0; i < n && i < 512; i++)
        if (cls[i].class_size > r->largest_class) r->largest_class = cls[i].class_size;
}

void run_report_print(const run_report *r, bool json, FILE *out) {
    const bp_stats *s = &r->stats;
    double warm = r->warm_acquires ? (double)r->warm_hits / (double)r->warm_acquires : 0.0;
    bool plateau = run_plateau(&r->series, r->largest_class);
    double ns = r->ops ? r->seconds * 1e9 / (double)r->ops : 0.0;
    if (json) {
        fprintf(out,
                "{\"workload\":\"%s\",\"backend\":\"%s\",\"frames\":%llu,\"acquires\":%llu,\"releases\":%llu,"
                "\"hits\":%llu,\"misses\":%llu,\"hit_rate\":%.6f,\"warm_hit_rate\":%.6f,"
                "\"peak_reserved_bytes\":%llu,\"final_reserved_bytes\":%llu,\"peak_requested_bytes\":%llu,"
                "\"peak_in_use_bytes\":%llu,\"backend_creates\":%llu,\"backend_destroys\":%llu,\"trims\":%llu,"
                "\"evictions\":%llu,\"budget_failures\":%llu,\"capacity_failures\":%llu,"
                "\"largest_class_bytes\":%llu,\"leaked_buffers\":%u,\"plateau\":%s",
                r->workload, r->backend, (unsigned long long)r->frames, (unsigned long long)s->acquires,
                (unsigned long long)s->releases, (unsigned long long)s->hits, (unsigned long long)s->misses,
                s->hit_rate, warm, (unsigned long long)s->peak_reserved, (unsigned long long)s->bytes_reserved,
                (unsigned long long)s->peak_requested, (unsigned long long)s->peak_in_use,
                (unsigned long long)s->backend_creates, (unsigned long long)s->backend_destroys,
                (unsigned long long)s->trims, (unsigned long long)s->evictions,
                (unsigned long long)s->budget_failures, (unsigned long long)s->capacity_failures,
                (unsigned long long)r->largest_class, r->leaked_buffers, plateau ? "true" : "false");
        if (r->has_timing)
            fprintf(out, ",\"seconds\":%.6f,\"ops\":%llu,\"ns_per_op\":%.2f", r->seconds, (unsigned long long)r->ops, ns);
        fprintf(out, "}\n");
        return;
    }
    fprintf(out, "bufpool %s on the %s backend: %llu frames\n", r->workload, r->backend, (unsigned long long)r->frames);
    fprintf(out, "  acquires %llu, hits %llu, misses %llu: hit rate %.2f%%, after warm-up %.2f%%\n",
            (unsigned long long)s->acquires, (unsigned long long)s->hits, (unsigned long long)s->misses,
            s->hit_rate * 100.0, warm * 100.0);
    fprintf(out, "  reserved: peak %.2f MB, final %.2f MB; requested peak %.2f MB\n",
            (double)s->peak_reserved / 1048576.0, (double)s->bytes_reserved / 1048576.0,
            (double)s->peak_requested / 1048576.0);
    fprintf(out, "  backend creates %llu, destroys %llu, trims %llu\n", (unsigned long long)s->backend_creates,
            (unsigned long long)s->backend_destroys, (unsigned long long)s->trims);
    if (s->evictions || s->budget_failures || s->capacity_failures)
        fprintf(out, "  evictions %llu, budget failures %llu, capacity failures %llu\n",
                (unsigned long long)s->evictions, (unsigned long long)s->budget_failures,
                (unsigned long long)s->capacity_failures);
    if (r->has_timing)
        fprintf(out, "  %.3f s in pool calls, %llu ops, %.1f ns per op\n", r->seconds, (unsigned long long)r->ops, ns);
    fprintf(out, "  leaked buffers: %u; memory %s\n", r->leaked_buffers,
            plateau ? "plateaued (no growth over the second half of the run)" : "still GROWING: a leak?");
}
