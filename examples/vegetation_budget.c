/* Seed 001: vegetation patches at distances from a moving camera, each an owner holding GPU
 * buffers (instances, LOD atlas) sized by its level of detail. A 512 MB budget; where the
 * camera flies over forest, demand exceeds it and the eviction callback culls the farthest
 * patches (priority = -distance). At exit every patch is despawned and the pool destroyed:
 * the leak report must be empty and no host memory may remain. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bufpool.h"

#define GRID 48               /* patches per side */
#define SPACING 100.0f        /* metres between patches */
#define VIEW 1600.0f          /* metres: patches farther away are despawned */
#define FRAMES 600
#define BUDGET (512ull << 20)
#define MB (1024.0 * 1024.0)

typedef struct patch {
    float x, y, density; /* density: grass 1 .. forest 6 */
    int lod;             /* -1 = not resident */
    bool culled;         /* evicted for the budget; may come back when it is nearer */
    float culled_at;     /* distance when it was culled */
} patch;

typedef struct world {
    patch patches[GRID * GRID];
    float cam_x, cam_y;
    float requester_distance; /* the patch being spawned: cull only what is farther */
    unsigned long long culled, spawned, despawned;
    unsigned long long live_host_bytes, leak_items;
} world;

static float distance_of(const world *w, const patch *p) { return hypotf(p->x - w->cam_x, p->y - w->cam_y); }

static int lod_for(float d) { return d < 300.0f ? 0 : d < 800.0f ? 1 : 2; }

/* Instance buffer and atlas bytes of a patch at a level of detail. */
static uint64_t instance_bytes(const patch *p, int lod) {
    static const uint64_t base[3] = {2u << 20, 256u << 10, 48u << 10};
    return (uint64_t)((float)base[lod] * p->density);
}
static uint64_t atlas_bytes(int lod) { return lod == 0 ? 1u << 20 : lod == 1 ? 256u << 10 : 32u << 10; }

static uint64_t owner_id(const world *w, const patch *p) { return (uint64_t)(p - w->patches) + 1; }

/* Seed 001's emergency culling: release the farthest patches until the bytes are free. */
/* [docs:evict-farthest] */
static void cull_farthest(void *user, bp_pool *pool, uint64_t needed, const uint64_t *owners, uint32_t count) {
    world *w = user;
    uint64_t freed = 0;
    for (uint32_t i = 0; i < count && freed < needed; i++) {
        patch *p = &w->patches[owners[i] - 1];
        if (distance_of(w, p) <= w->requester_distance) break; /* never cull nearer than the request */
        bp_owner_usage u;
        if (bp_owner_get_usage(pool, owners[i], &u) != BP_OK) continue;
        bp_owner_release(pool, owners[i], NULL);
        freed += u.bytes;
        p->lod = -1;
        p->culled = true;
        p->culled_at = distance_of(w, p);
        w->culled++;
    }
}
/* [docs:evict-farthest] */

/* [docs:spawn-owner] */
static bp_result spawn(world *w, bp_pool *pool, patch *p, int lod) {
    uint64_t owner = owner_id(w, p);
    w->requester_distance = distance_of(w, p);
    bp_owner_set_priority(pool, owner, -w->requester_distance);
    bp_acquire_desc inst = {.size = instance_bytes(p, lod), .usage = BP_USAGE_VERTEX | BP_USAGE_TRANSFER_DST,
                            .owner = owner, .tag = "vegetation_instances"};
    bp_acquire_desc atlas = {.size = atlas_bytes(lod), .usage = BP_USAGE_STORAGE, .owner = owner,
                             .tag = "vegetation_atlas"};
    bp_buffer b;
    bp_result r = BP_ACQUIRE(pool, &inst, &b);
    if (r == BP_OK) r = BP_ACQUIRE(pool, &atlas, &b);
    if (r != BP_OK) {
        bp_owner_release(pool, owner, NULL); /* all or nothing */
        return r;
    }
    p->lod = lod;
    w->spawned++;
    return BP_OK;
}
/* [docs:spawn-owner] */

static void despawn(world *w, bp_pool *pool, patch *p) {
    bp_owner_release(pool, owner_id(w, p), NULL);
    p->lod = -1;
    w->despawned++;
}

static const world *sort_world;
static int nearer_first(const void *a, const void *b) {
    float da = distance_of(sort_world, &sort_world->patches[*(const int *)a]);
    float db = distance_of(sort_world, &sort_world->patches[*(const int *)b]);
    return (da > db) - (da < db);
}

/* One frame of the vegetation LOD system: despawn what left the view or changed LOD, update
 * priorities, then spawn what is missing, nearest first. The first spawn refused for the
 * budget ends spawning for this frame: the memory culled for it is still in flight on the
 * GPU (frames_in_flight) and becomes free in a couple of frames. */
static int update(world *w, bp_pool *pool) {
    static int wanted[GRID * GRID];
    int n = 0;
    for (int i = 0; i < GRID * GRID; i++) {
        patch *p = &w->patches[i];
        float d = distance_of(w, p);
        int want = d < VIEW ? lod_for(d) : -1;
        if (p->lod >= 0 && want != p->lod) despawn(w, pool, p);
        if (want < 0) p->culled = false;
        if (p->lod >= 0) bp_owner_set_priority(pool, owner_id(w, p), -d);
        /* a culled patch comes back once it is clearly nearer than where it was culled */
        else if (want >= 0 && (!p->culled || d < 0.7f * p->culled_at)) wanted[n++] = i;
    }
    sort_world = w;
    qsort(wanted, (size_t)n, sizeof wanted[0], nearer_first);
    for (int k = 0; k < n; k++) {
        patch *p = &w->patches[wanted[k]];
        bp_result r = spawn(w, pool, p, lod_for(distance_of(w, p)));
        if (r == BP_ERR_BUDGET) break;
        if (r != BP_OK) return 1;
        p->culled = false;
    }
    return 0;
}

/* A header of the alignment's size (64 bytes at least) keeps the block aligned as asked; its
 * last two words remember the size and the header's. */
static void *alloc_cb(void *user, size_t size, size_t alignment) {
    size_t header = alignment < 64 ? 64 : alignment;
    void *p = NULL;
    if (posix_memalign(&p, header, size + header) != 0) return NULL;
    size_t *words = (size_t *)((char *)p + header);
    words[-1] = header;
    words[-2] = size;
    *(unsigned long long *)user += size;
    return words;
}
static void free_cb(void *user, void *ptr) {
    if (!ptr) return;
    const size_t *words = ptr;
    *(unsigned long long *)user -= words[-2];
    free((char *)ptr - words[-1]);
}
static void on_log(void *user, bp_log_level level, bp_log_item item, const char *msg) {
    world *w = user;
    if (item == BP_LOG_ITEM_LEAK) w->leak_items++;
    if (item == BP_LOG_ITEM_DIAGNOSTICS) printf("  log: %s\n", msg);
    (void)level;
}

int main(void) {
    static world w;
    for (int i = 0; i < GRID * GRID; i++) {
        patch *p = &w.patches[i];
        p->x = (float)(i % GRID) * SPACING;
        p->y = (float)(i / GRID) * SPACING;
        /* a forest band across the middle of the map */
        p->density = (p->x > 1800.0f && p->x < 3000.0f) ? 6.0f : 1.0f + (float)((i * 7) % 3);
        p->lod = -1;
    }
    bp_host_backend_desc hd = {.allocator = {alloc_cb, free_cb, &w.live_host_bytes}};
    bp_backend backend;
    bp_host_backend(&hd, &backend);
    /* [docs:budget-pool] */
    bp_pool_desc pd = {.name = "vegetation", .backend = &backend, .budget_bytes = BUDGET, .evict = cull_farthest,
                       .evict_user = &w, .logger = {on_log, &w}, .diagnostics_every_frames = 200,
                       .warn_reserved_bytes = BP_UNLIMITED};
    bp_pool *pool;
    if (bp_pool_create(&pd, &pool) != BP_OK) return 1;
    /* [docs:budget-pool] */
    printf("vegetation LOD (seed 001): %d patches, view %.0f m, budget %.0f MB, camera flies over a forest\n\n",
           GRID * GRID, VIEW, (double)BUDGET / MB);
    printf("| frame | camera x | demand MB | patches resident | usage MB | of budget | peak MB | evictions | culled | over budget |\n");
    printf("|------:|---------:|----------:|-----------------:|---------:|----------:|--------:|----------:|-------:|------------:|\n");
    for (int f = 0; f < FRAMES; f++) {
        w.cam_x = 200.0f + 7.0f * (float)f; /* west to east over the forest band */
        w.cam_y = 2400.0f;
        bp_frame_begin(pool);
        if (update(&w, pool) != 0) {
            fprintf(stderr, "frame %d failed: %s\n", f, bp_pool_last_error(pool));
            return 1;
        }
        bp_frame_end(pool);
        if ((f + 1) % 100 == 0) {
            bp_diagnostics d;
            bp_get_diagnostics(pool, &d);
            int resident = 0;
            double demand = 0; /* what every patch in view would hold at its LOD */
            for (int i = 0; i < GRID * GRID; i++) {
                const patch *p = &w.patches[i];
                float dist = distance_of(&w, p);
                resident += p->lod >= 0;
                if (dist < VIEW) demand += (double)(instance_bytes(p, lod_for(dist)) + atlas_bytes(lod_for(dist)));
            }
            printf("| %5d | %8.0f | %9.1f | %16d | %8.1f | %8.1f%% | %7.1f | %9llu | %6llu | %11llu |\n", f + 1, w.cam_x,
                   demand / MB, resident, (double)d.bytes_reserved / MB, d.budget_used_percent, (double)d.peak_reserved / MB,
                   (unsigned long long)d.evictions, w.culled, (unsigned long long)d.budget_failures);
        }
    }
    bp_diagnostics d;
    bp_get_diagnostics(pool, &d);
    /* application exit: despawn everything, then destroy the pool */
    for (int i = 0; i < GRID * GRID; i++)
        if (w.patches[i].lod >= 0) despawn(&w, pool, &w.patches[i]);
    bp_stats st;
    bp_get_stats(pool, &st);
    bp_pool_destroy(pool);
    printf("\nspawned %llu, despawned %llu, culled for the budget %llu, spawns refused %llu\n", w.spawned,
           w.despawned, w.culled, (unsigned long long)d.budget_failures);
    printf("peak usage %.1f MB (%.1f%% of the budget); evictions %llu; owner releases %llu buffers\n",
           (double)d.peak_reserved / MB, d.peak_budget_percent, (unsigned long long)d.evictions,
           (unsigned long long)st.owner_releases);
    printf("at exit: buffers held %u, leaks reported %llu, host bytes still allocated %llu\n", st.buffers_in_use,
           w.leak_items, w.live_host_bytes);
    int ok = d.evictions > 0 && d.peak_reserved <= BUDGET && st.buffers_in_use == 0 && w.leak_items == 0 &&
             w.live_host_bytes == 0;
    printf("%s\n", ok ? "OK: demand exceeded the budget, eviction kept usage under it, nothing leaked" : "FAILED");
    return ok ? 0 : 1;
}
