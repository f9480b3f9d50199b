/* Seed 001's workload: vegetation entities along a road, each an owner with an instance
 * buffer and an atlas sized by its distance to a camera driving down the road, under a
 * 512 MB budget. Dense stretches ask for more than the budget; the eviction callback culls
 * the farthest entities (priority = -distance) and spawning waits for the memory. */
#include <math.h>
#include <stdlib.h>

#include "tool.h"

#define ENTITIES 4000u
#define VIEW 1500.0
#define BUDGET (512ull << 20)

typedef struct vegetation {
    double position[ENTITIES], density[ENTITIES];
    bool resident[ENTITIES];
    uint32_t tier[ENTITIES]; /* detail tier while resident */
    double camera, requester;
} vegetation;

static vegetation world;

static double dist(uint32_t e) { return fabs(world.position[e] - world.camera); }
static uint32_t tier_of(double d) { return d < 250 ? 0 : d < 700 ? 1 : 2; }

/* Cull the farthest entities, never one nearer than the entity being spawned. */
static void cull(void *user, bp_pool *pool, uint64_t needed, const uint64_t *owners, uint32_t count) {
    (void)user;
    uint64_t freed = 0;
    for (uint32_t i = 0; i < count && freed < needed && dist((uint32_t)owners[i] - 1) > world.requester; i++) {
        bp_owner_usage u;
        if (bp_owner_get_usage(pool, owners[i], &u) == BP_OK) freed += u.bytes;
        bp_owner_release(pool, owners[i], NULL);
        world.resident[owners[i] - 1] = false;
    }
}

void scenario_vegetation_configure(const tool_opts *o, bp_pool_desc *d) {
    (void)o;
    d->budget_bytes = BUDGET;
    d->evict = cull;
    d->warn_reserved_bytes = BP_UNLIMITED;
}

static bp_result spawn(bp_pool *pool, uint32_t e) {
    static const uint64_t bytes[3] = {3u << 20, 640u << 10, 96u << 10};
    uint32_t t = tier_of(dist(e));
    bp_acquire_desc inst = {.size = (uint64_t)((double)bytes[t] * world.density[e]), .owner = e + 1u,
                            .usage = BP_USAGE_VERTEX, .tag = "vegetation_instances"};
    bp_acquire_desc atlas = {.size = bytes[t] / 4, .owner = e + 1u, .usage = BP_USAGE_STORAGE, .tag = "atlas"};
    bp_buffer b;
    world.requester = dist(e);
    bp_owner_set_priority(pool, e + 1u, (float)-dist(e));
    bp_result r = bp_acquire(pool, &inst, &b);
    if (r == BP_OK) r = bp_acquire(pool, &atlas, &b);
    if (r != BP_OK) {
        bp_owner_release(pool, e + 1u, NULL);
        return r;
    }
    world.resident[e] = true;
    world.tier[e] = t;
    return BP_OK;
}

static bp_result drive(bp_pool *pool, uint64_t frame, void *user) {
    (void)user;
    world.camera = 20.0 * (double)frame;
    /* entities sit in road order: despawn, re-tier, then spawn nearest-first outwards */
    for (uint32_t e = 0; e < ENTITIES; e++) {
        bool in_view = dist(e) < VIEW;
        if (world.resident[e] && (!in_view || tier_of(dist(e)) != world.tier[e])) {
            bp_owner_release(pool, e + 1u, NULL);
            world.resident[e] = false;
        } else if (world.resident[e]) {
            bp_owner_set_priority(pool, e + 1u, (float)-dist(e));
        }
    }
    uint32_t nearest = (uint32_t)fmin(ENTITIES - 1, fmax(0, world.camera / 10.0));
    for (uint32_t k = 0; k < 2 * ENTITIES; k++) {
        int64_t e = (int64_t)nearest + (k % 2 ? (int64_t)(k / 2 + 1) : -(int64_t)(k / 2));
        if (e < 0 || e >= ENTITIES || world.resident[e] || dist((uint32_t)e) >= VIEW) continue;
        bp_result r = spawn(pool, (uint32_t)e);
        if (r == BP_ERR_BUDGET) break; /* culled memory is in flight for a few frames */
        if (r != BP_OK) return r;
    }
    return BP_OK;
}

int scenario_vegetation(bp_pool *pool, const tool_opts *o, run_report *r) {
    uint64_t rng = o->seed ? o->seed : 0x7EE5;
    r->workload = "vegetation";
    for (uint32_t e = 0; e < ENTITIES; e++) {
        world.position[e] = 10.0 * e;
        world.resident[e] = false;
        /* forests (x6) between 12 and 20 km, grass elsewhere */
        world.density[e] = (e >= 1200 && e < 2000) ? 6.0 : 1.0 + (double)(tool_rand(&rng) % 3);
    }
    int rc = tool_run_frames(pool, r, o->frames ? o->frames : 2000, drive, NULL);
    for (uint32_t e = 0; e < ENTITIES; e++) /* application exit: despawn everything */
        if (world.resident[e]) bp_owner_release(pool, e + 1u, NULL);
    return rc;
}
