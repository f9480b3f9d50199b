/* Seed 000's workload: every frame prepares batches of 1-200 instances, each batch with its
 * own instance buffer (transient: returned at frame end). */
#include <stdio.h>

#include "tool.h"

#define INSTANCE_BYTES 80u /* a 4x4 float matrix and an RGBA float colour */

int scenario_instances(bp_pool *pool, const tool_opts *o, run_report *r) {
    uint64_t frames = o->frames ? o->frames : 500, rng = o->seed ? o->seed : 0x5EED;
    uint64_t warm_from = frames / 10;
    r->workload = "instances";
    for (uint64_t f = 0; f < frames; f++) {
        bp_stats before;
        bp_get_stats(pool, &before);
        bp_result res = bp_frame_begin(pool);
        uint32_t batches = 8 + (uint32_t)(tool_rand(&rng) % 17); /* 8..24 batches a frame */
        for (uint32_t b = 0; res == BP_OK && b < batches; b++) {
            uint32_t instances = 1 + (uint32_t)(tool_rand(&rng) % 200);
            bp_acquire_desc d = {.size = (uint64_t)instances * INSTANCE_BYTES,
                                 .memory = BP_MEMORY_HOST_VISIBLE,
                                 .usage = BP_USAGE_VERTEX | BP_USAGE_TRANSFER_DST,
                                 .flags = BP_ACQUIRE_TRANSIENT,
                                 .tag = "instance_buffer"};
            bp_buffer buf;
            res = BP_ACQUIRE(pool, &d, &buf);
            if (res == BP_OK) {
                float first[4] = {(float)f, (float)b, (float)instances, 1.0f};
                res = bp_upload(pool, buf, 0, first, sizeof first);
            }
        }
        if (res == BP_OK) res = run_frame_end(r, pool);
        if (res != BP_OK) {
            fprintf(stderr, "bufpool: frame %llu failed: %s: %s\n", (unsigned long long)f, bp_result_string(res),
                    bp_pool_last_error(pool));
            return 1;
        }
        bp_stats after;
        bp_get_stats(pool, &after);
        if (f >= warm_from) {
            r->warm_acquires += after.acquires - before.acquires;
            r->warm_hits += after.hits - before.hits;
        }
    }
    r->frames = frames;
    return 0;
}
