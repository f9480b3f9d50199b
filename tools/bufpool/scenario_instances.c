/* Seed 000's workload: every frame prepares batches of 1-200 instances, each batch with its
 * own instance buffer (transient: returned at frame end). */
#include "tool.h"

#define INSTANCE_BYTES 80u /* a 4x4 float matrix and an RGBA float colour */

static bp_result prepare_batches(bp_pool *pool, uint64_t f, void *user) {
    uint64_t *rng = user;
    bp_result res = BP_OK;
    uint32_t batches = 8 + (uint32_t)(tool_rand(rng) % 17); /* 8..24 batches a frame */
    for (uint32_t b = 0; res == BP_OK && b < batches; b++) {
        uint32_t instances = 1 + (uint32_t)(tool_rand(rng) % 200);
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
    return res;
}

int scenario_instances(bp_pool *pool, const tool_opts *o, run_report *r) {
    uint64_t rng = o->seed ? o->seed : 0x5EED;
    r->workload = "instances";
    return tool_run_frames(pool, r, o->frames ? o->frames : 500, prepare_batches, &rng);
}
