/* What a run of a workload reports: counters, the whole run's time series (from the pool's
 * own series, downsampled to a bounded number of points), the library's plateau verdict, the
 * size classes and tags at the busiest frame; printed for people, as JSON, CSV or HTML. */
#ifndef BUFPOOL_TOOL_RUN_REPORT_H
#define BUFPOOL_TOOL_RUN_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bufpool.h"

#define RUN_SERIES_POINTS 4096u
#define RUN_MAX_CLASSES 512u
#define RUN_TOP 12u

typedef struct run_series {
    bp_series_point points[RUN_SERIES_POINTS]; /* each point: peaks of `stride` frames, counters summed */
    uint32_t count;
    uint64_t stride, in_point;                 /* frames per point, frames in the current point */
} run_series;

typedef struct run_report {
    const char *workload;
    const char *backend;
    const char *classes;               /* "fine" or "pow2" */
    uint64_t block_size;               /* --block-size (0: the backend allocates each buffer) */
    uint64_t backend_peak_held;        /* host blocks: most bytes the backend held (0: not known) */
    bool fixed_class_caps;             /* --fixed-class-caps */
    bool exact_classes;                /* --exact-classes */
    bool hold_at_peak;                 /* --hold-at-peak (host blocks) */
    bool populate;                     /* --populate (host blocks) */
    uint32_t pooled_headroom;          /* --pooled-headroom: percent (0: off, the default) */
    uint64_t frames;
    bp_stats stats;
    uint64_t warm_acquires, warm_hits; /* after the first 10% of frames */
    uint64_t largest_class;            /* largest class capacity used */
    uint32_t leaked_buffers;
    bool has_timing;
    double seconds;
    uint64_t ops;
    run_series series;
    bp_verdict verdict;
    /* the busiest frame: most bytes held just before its end */
    uint64_t busiest_frame, busiest_in_use, tags_taken_at, tags_frame;
    bp_class_stats classes_at_busiest[RUN_MAX_CLASSES];
    uint32_t class_count;
    bp_tag_usage top_tags[RUN_TOP];    /* by tag and owner near the busiest frame (within 1/16), most bytes first */
    uint32_t top_count, tag_groups;
    bp_tag_usage held_at_end[RUN_TOP]; /* still held when the run ended */
    uint32_t held_count, held_groups;
} run_report;

/* End a frame of `pool` and record it: the busiest-frame snapshot before, the series point
 * after. Scenarios and replay call this instead of bp_frame_end. */
bp_result run_frame_end(run_report *r, bp_pool *pool);
void run_series_add(run_series *s, const bp_series_point *p);
bool run_plateau(const run_report *r);
void run_report_print(const run_report *r, bool json, FILE *out);
/* The summary JSON object without its closing brace (the run file appends to it). */
void run_report_print_json_fields(const run_report *r, FILE *out);
/* Take the pool's stats, the verdict and what is still held: the end of the run (before the
 * pool is destroyed). */
void run_report_finish(run_report *r, bp_pool *pool);
/* The series as CSV (one row per point) / the whole report as one self-contained HTML page.
 * Both return 0, or print why and return 1. */
int run_report_write_csv(const run_report *r, const char *path);
int run_report_write_html(const run_report *r, const char *path);
/* The run file (`--run FILE`): the --json summary plus the series, the busiest frame's classes
 * and the tag tables, so that `bufpool report RUN.json` can draw the page later. Reading
 * returns 0, or prints why and returns 2; the strings it sets live until run_file_release. */
int run_report_write_run(const run_report *r, const char *path);
int run_report_read_run(run_report *r, const char *path);
void run_file_release(void);

#endif
