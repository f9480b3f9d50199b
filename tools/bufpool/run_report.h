/* What a run of a workload reports: counters, a bounded series of reserved bytes per frame,
 * the plateau verdict, printed for people or as JSON. */
#ifndef BUFPOOL_TOOL_RUN_REPORT_H
#define BUFPOOL_TOOL_RUN_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bufpool.h"

#define RUN_SERIES_POINTS 4096u

typedef struct run_series {
    uint64_t points[RUN_SERIES_POINTS]; /* each point: max reserved over `stride` frames */
    uint32_t count;
    uint64_t stride, in_point;          /* frames per point, frames in the current point */
} run_series;

typedef struct run_report {
    const char *workload;
    const char *backend;
    uint64_t frames;
    bp_stats stats;
    uint64_t warm_acquires, warm_hits; /* after the first 10% of frames */
    uint64_t largest_class;            /* largest class capacity used */
    uint32_t leaked_buffers;
    bool has_timing;
    double seconds;
    uint64_t ops;
    run_series series;
} run_report;

void run_series_add(run_series *s, uint64_t reserved);
/* Plateau rule (README): split the second half of the series into two windows; the run has
 * plateaued when the peak of the later window exceeds the peak of the earlier one by less
 * than one largest size class. */
bool run_plateau(const run_series *s, uint64_t largest_class);
void run_report_print(const run_report *r, bool json, FILE *out);
/* Take the pool's stats and call it the end of the run (before the pool is destroyed). */
void run_report_finish(run_report *r, bp_pool *pool);

#endif
