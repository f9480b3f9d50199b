/* The table of built-in workloads of `bufpool scenario`, and the frame loop the newer ones
 * share (frame begin, the workload's step, the recorded frame end, warm-up hits). */
#include <stdio.h>
#include <string.h>

#include "tool.h"

static const tool_workload workloads[] = {
    {"instances", "seed 000: 8-24 batches a frame, one transient instance buffer each (default)",
     NULL, scenario_instances},
    {"mesh", "seed 002: mesh fitting, typed arrays in a scope per iteration, 10-14k vertices",
     NULL, scenario_mesh},
    {"vegetation", "seed 001: 4000 entities own buffers under a 512 MB budget; farthest culled",
     scenario_vegetation_configure, scenario_vegetation},
    {"fixed", "seed 004: fixed capacity for 15,000 elements, no allocation after start-up",
     scenario_fixed_configure, scenario_fixed},
};

const tool_workload *tool_workloads(size_t *count) {
    *count = sizeof workloads / sizeof workloads[0];
    return workloads;
}

const tool_workload *tool_workload_find(const char *name) {
    for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; i++)
        if (!strcmp(workloads[i].name, name)) return &workloads[i];
    return NULL;
}

int tool_run_frames(bp_pool *pool, run_report *r, uint64_t frames, tool_step_fn step, void *ctx) {
    uint64_t warm_from = frames / 10;
    for (uint64_t f = 0; f < frames; f++) {
        bp_stats before, after;
        bp_get_stats(pool, &before);
        bp_result res = bp_frame_begin(pool);
        if (res == BP_OK) res = step(pool, f, ctx);
        if (res == BP_OK) res = run_frame_end(r, pool);
        if (res != BP_OK) {
            fprintf(stderr, "bufpool: %s: frame %llu failed: %s: %s\n", r->workload, (unsigned long long)f,
                    bp_result_string(res), bp_pool_last_error(pool));
            return 1;
        }
        bp_get_stats(pool, &after);
        if (f >= warm_from) {
            r->warm_acquires += after.acquires - before.acquires;
            r->warm_hits += after.hits - before.hits;
        }
    }
    r->frames = frames;
    return 0;
}
