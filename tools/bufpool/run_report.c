#include "run_report.h"

#include <errno.h>
#include <string.h>

#include "internal/numfmt.h" /* doubles in the JSON the same in every locale */

static uint64_t max64(uint64_t a, uint64_t b) { return a > b ? a : b; }

/* Fold point `b` (a later frame) into `a`: byte levels keep their peak, counters add up. */
static void merge_point(bp_series_point *a, const bp_series_point *b) {
    a->bytes_reserved = max64(a->bytes_reserved, b->bytes_reserved);
    a->bytes_in_use = max64(a->bytes_in_use, b->bytes_in_use);
    a->bytes_pooled = max64(a->bytes_pooled, b->bytes_pooled);
    a->bytes_pending = max64(a->bytes_pending, b->bytes_pending);
    a->acquires += b->acquires;
    a->hits += b->hits;
    a->creates += b->creates;
    a->destroys += b->destroys;
}

void run_series_add(run_series *s, const bp_series_point *p) {
    if (s->stride == 0) s->stride = 1;
    if (s->in_point == 0) {
        if (s->count == RUN_SERIES_POINTS) { /* full: halve the resolution */
            for (uint32_t i = 0; i < RUN_SERIES_POINTS / 2; i++) {
                bp_series_point a = s->points[2 * i];
                merge_point(&a, &s->points[2 * i + 1]);
                s->points[i] = a;
            }
            s->count = RUN_SERIES_POINTS / 2;
            s->stride *= 2;
        }
        s->points[s->count++] = *p;
    } else {
        merge_point(&s->points[s->count - 1], p);
    }
    if (++s->in_point == s->stride) s->in_point = 0;
}

/* Before the frame ends: when more is held than ever, keep the size classes (cheap) and,
 * at most once per 1/16 of growth, the tags and owners (a walk over every held buffer). */
static void snapshot_if_busiest(run_report *r, bp_pool *pool) {
    bp_stats s;
    bp_get_stats(pool, &s);
    if (s.bytes_in_use <= r->busiest_in_use) return;
    r->busiest_in_use = s.bytes_in_use;
    r->busiest_frame = s.frame;
    bp_calculate_class_stats(pool, r->classes_at_busiest, RUN_MAX_CLASSES, &r->class_count);
    if (r->class_count > RUN_MAX_CLASSES) r->class_count = RUN_MAX_CLASSES;
    if (s.bytes_in_use >= r->tags_taken_at + r->tags_taken_at / 16 + 1) {
        r->tags_taken_at = s.bytes_in_use;
        r->tags_frame = s.frame;
        bp_calculate_outstanding(pool, r->top_tags, RUN_TOP, &r->tag_groups);
        r->top_count = r->tag_groups < RUN_TOP ? r->tag_groups : RUN_TOP;
    }
}

bp_result run_frame_end(run_report *r, bp_pool *pool) {
    snapshot_if_busiest(r, pool);
    bp_result res = bp_frame_end(pool);
    bp_series_point p;
    if (res == BP_OK && bp_get_series_point(pool, 0, &p) == BP_OK) run_series_add(&r->series, &p);
    return res;
}

bool run_plateau(const run_report *r) { return r->verdict.kind != BP_VERDICT_GROWING; }

void run_report_finish(run_report *r, bp_pool *pool) {
    bp_get_stats(pool, &r->stats);
    r->leaked_buffers = r->stats.buffers_in_use;
    bp_class_stats cls[RUN_MAX_CLASSES];
    uint32_t n = 0;
    bp_calculate_class_stats(pool, cls, RUN_MAX_CLASSES, &n);
    for (uint32_t i = 0; i < n && i < RUN_MAX_CLASSES; i++)
        if (cls[i].class_size > r->largest_class) r->largest_class = cls[i].class_size;
    if (!r->class_count) { /* nothing was ever held at a frame end: show the whole run's classes */
        r->class_count = n < RUN_MAX_CLASSES ? n : RUN_MAX_CLASSES;
        memcpy(r->classes_at_busiest, cls, r->class_count * sizeof cls[0]);
    }
    if (!r->warm_acquires) /* a replay: take the warm-up hit rate from the series */
        for (uint32_t i = 0; i < r->series.count; i++)
            if (r->series.points[i].frame >= r->frames / 10) {
                r->warm_acquires += r->series.points[i].acquires;
                r->warm_hits += r->series.points[i].hits;
            }
    bp_series_verdict(r->series.points, r->series.count, r->largest_class, &r->verdict);
    bp_calculate_outstanding(pool, r->held_at_end, RUN_TOP, &r->held_groups);
    r->held_count = r->held_groups < RUN_TOP ? r->held_groups : RUN_TOP;
}

static const char *verdict_name(bp_verdict_kind k) {
    return k == BP_VERDICT_GROWING ? "growing" : k == BP_VERDICT_PLATEAU ? "plateau" : "too_short";
}

void run_report_print_json_fields(const run_report *r, FILE *out) {
    const bp_stats *s = &r->stats;
    double warm = r->warm_acquires ? (double)r->warm_hits / (double)r->warm_acquires : 0.0;
    bool plateau = run_plateau(r);
    double ns = r->ops ? r->seconds * 1e9 / (double)r->ops : 0.0;
    fprintf(out,
            "{\"workload\":\"%s\",\"backend\":\"%s\",\"frames\":%llu,\"acquires\":%llu,\"releases\":%llu,"
            "\"hits\":%llu,\"misses\":%llu,\"hit_rate\":%s,\"warm_hit_rate\":%s,"
            "\"peak_reserved_bytes\":%llu,\"final_reserved_bytes\":%llu,\"peak_requested_bytes\":%llu,"
            "\"peak_in_use_bytes\":%llu,\"backend_creates\":%llu,\"backend_destroys\":%llu,\"trims\":%llu,"
            "\"evictions\":%llu,\"budget_failures\":%llu,\"capacity_failures\":%llu,"
            "\"largest_class_bytes\":%llu,\"leaked_buffers\":%u,\"plateau\":%s,\"verdict\":\"%s\","
            "\"growth_bytes\":%llu",
            r->workload, r->backend, (unsigned long long)r->frames, (unsigned long long)s->acquires,
            (unsigned long long)s->releases, (unsigned long long)s->hits, (unsigned long long)s->misses,
            bpi_num_fixed(6, s->hit_rate).s, bpi_num_fixed(6, warm).s, (unsigned long long)s->peak_reserved,
            (unsigned long long)s->bytes_reserved,
            (unsigned long long)s->peak_requested, (unsigned long long)s->peak_in_use,
            (unsigned long long)s->backend_creates, (unsigned long long)s->backend_destroys,
            (unsigned long long)s->trims, (unsigned long long)s->evictions,
            (unsigned long long)s->budget_failures, (unsigned long long)s->capacity_failures,
            (unsigned long long)r->largest_class, r->leaked_buffers, plateau ? "true" : "false",
            verdict_name(r->verdict.kind), (unsigned long long)r->verdict.growth_bytes);
    /* block mode: the pool's reserved bytes are its buffers; the backend holds whole blocks */
    if (r->block_size) fprintf(out, ",\"block_size_bytes\":%llu", (unsigned long long)r->block_size);
    if (r->fixed_class_caps) fprintf(out, ",\"fixed_class_caps\":true");
    if (r->exact_classes) fprintf(out, ",\"exact_classes\":true");
    if (r->hold_at_peak) fprintf(out, ",\"hold_at_peak\":true");
    if (r->populate) fprintf(out, ",\"populate\":true");
    if (r->pooled_headroom) fprintf(out, ",\"pooled_headroom\":%u", r->pooled_headroom);
    if (r->backend_peak_held)
        fprintf(out, ",\"backend_peak_held_bytes\":%llu", (unsigned long long)r->backend_peak_held);
    if (r->has_timing)
        fprintf(out, ",\"seconds\":%s,\"ops\":%llu,\"ns_per_op\":%s", bpi_num_fixed(6, r->seconds).s,
                (unsigned long long)r->ops, bpi_num_fixed(2, ns).s);
}

void run_report_print(const run_report *r, bool json, FILE *out) {
    const bp_stats *s = &r->stats;
    double warm = r->warm_acquires ? (double)r->warm_hits / (double)r->warm_acquires : 0.0;
    bool plateau = run_plateau(r);
    double ns = r->ops ? r->seconds * 1e9 / (double)r->ops : 0.0;
    if (json) {
        run_report_print_json_fields(r, out);
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
    if (r->backend_peak_held)
        fprintf(out, "  blocks of %.2f MB: the backend held at most %.2f MB (block pages ranges covered, and dedicated buffers)\n",
                (double)r->block_size / 1048576.0, (double)r->backend_peak_held / 1048576.0);
    else if (r->block_size)
        fprintf(out, "  blocks of %.2f MB hold the buffers above (the backend's own bytes are not counted here)\n",
                (double)r->block_size / 1048576.0);
    if (r->fixed_class_caps) fprintf(out, "  retention caps stayed at 8 per class (--fixed-class-caps)\n");
    if (r->exact_classes) fprintf(out, "  misses took only their own size class (--exact-classes)\n");
    if (r->hold_at_peak) fprintf(out, "  free block space went back before held bytes passed their peak (--hold-at-peak)\n");
    if (r->populate) fprintf(out, "  pages ranges took got their memory when placed (--populate)\n");
    if (r->pooled_headroom)
        fprintf(out, "  pooled buffers within %u%% over the peak in use (--pooled-headroom)\n", r->pooled_headroom);
    fprintf(out, "  backend creates %llu, destroys %llu, trims %llu\n", (unsigned long long)s->backend_creates,
            (unsigned long long)s->backend_destroys, (unsigned long long)s->trims);
    if (s->evictions || s->budget_failures || s->capacity_failures)
        fprintf(out, "  evictions %llu, budget failures %llu, capacity failures %llu\n",
                (unsigned long long)s->evictions, (unsigned long long)s->budget_failures,
                (unsigned long long)s->capacity_failures);
    if (r->has_timing)
        fprintf(out, "  %.3f s in pool calls, %llu ops, %.1f ns per op\n", r->seconds, (unsigned long long)r->ops, ns);
    fprintf(out, "  leaked buffers: %u; memory %s\n", r->leaked_buffers,
            plateau ? "plateaued (no steady growth over the second half of the run)" : "still GROWING: a leak?");
}

int run_report_write_csv(const run_report *r, const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "bufpool: cannot write '%s': %s\n", path, strerror(errno));
        return 1;
    }
    /* with more frames than points, each row covers `frames_per_row` frames: peaks and sums */
    fprintf(f, "frame,frames_per_row,reserved_bytes,in_use_bytes,pooled_bytes,pending_bytes,acquires,hits,"
               "creates,destroys\n");
    for (uint32_t i = 0; i < r->series.count; i++) {
        const bp_series_point *p = &r->series.points[i];
        fprintf(f, "%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu\n", (unsigned long long)p->frame,
                (unsigned long long)r->series.stride, (unsigned long long)p->bytes_reserved,
                (unsigned long long)p->bytes_in_use, (unsigned long long)p->bytes_pooled,
                (unsigned long long)p->bytes_pending, (unsigned long long)p->acquires, (unsigned long long)p->hits,
                (unsigned long long)p->creates, (unsigned long long)p->destroys);
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "bufpool: cannot write '%s'\n", path);
        return 1;
    }
    return 0;
}
