/* Seed 000 on a real GPU API: headless instanced rendering with Vulkan (lavapipe when there
 * is no GPU). Every frame builds 4-16 batches of 1-200 instances, uploads each batch into a
 * pooled device-local instance buffer (transient: back to the pool at frame end, reused after
 * the frames in flight) through bufpool's staging ring, and draws them into an offscreen
 * image. A per-frame uniform buffer set and a binding table show that descriptors are
 * written only when a binding really changes. The last frame is written as a PNG; pool stats
 * and device allocations are printed, and the run fails if allocations keep growing after
 * warm-up or the validation layer (--validate) reports anything.
 *
 * usage: vk_instances [--frames N] [--seed N] [--out FILE.png] [--validate]
 * Exit: 0 ok, 1 failure, 77 no Vulkan device (skipped). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bufpool.h"
#include "bufpool_vulkan.h"
#include "png_write.h"
#include "vk_renderer.h"

#define WIDTH 320u
#define HEIGHT 240u
#define MAX_INSTANCES 200u
#define MAX_BATCHES 16u /* batches per frame: 4..16 */

typedef struct options {
    uint32_t frames;
    uint64_t seed;
    const char *out;
    bool validate;
} options;

static uint64_t next_random(uint64_t *s) { /* xorshift64*, as the bufpool tool */
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static float unit(uint64_t *s) { return (float)(next_random(s) >> 40) / (float)(1u << 24); }

/* One batch's instances: a quad each (column-major mat4: scale, rotation, translation) and a
 * colour; positions drift with the frame so the picture moves. */
static void build_batch(float *out, uint32_t count, uint32_t batch, uint64_t frame, uint64_t *rng) {
    float hue = (float)(batch % 7) / 7.0f;
    for (uint32_t i = 0; i < count; i++) {
        float *m = out + i * 20;
        float x = unit(rng) * 2.0f - 1.0f, y = unit(rng) * 2.0f - 1.0f;
        float s = 0.015f + 0.035f * unit(rng), a = (float)frame * 0.02f + (float)i;
        x += 0.05f * sinf(a);
        y += 0.05f * cosf(a);
        memset(m, 0, 16 * sizeof(float));
        m[0] = s * cosf(a);
        m[1] = s * sinf(a);
        m[4] = -s * sinf(a);
        m[5] = s * cosf(a);
        m[10] = 1.0f;
        m[12] = x;
        m[13] = y;
        m[15] = 1.0f;
        m[16] = 0.5f + 0.5f * cosf(6.2832f * hue);
        m[17] = 0.5f + 0.5f * cosf(6.2832f * (hue + 0.33f));
        m[18] = 0.5f + 0.5f * cosf(6.2832f * (hue + 0.67f));
        m[19] = 1.0f;
    }
}

static bool parse(int argc, char **argv, options *o) {
    *o = (options){.frames = 500, .seed = 0, .out = "vk_instances.png"};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--validate")) o->validate = true;
        else if (!strcmp(a, "--frames") && v) o->frames = (uint32_t)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(a, "--seed") && v) o->seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(a, "--out") && v) o->out = argv[++i];
        else return false;
    }
    return o->frames >= 10;
}

typedef struct run {
    bp_pool *pool;
    bp_vulkan_backend *vk;
    renderer r;
    bp_frame_set globals;
    bp_binding_table *bindings;
    uint32_t descriptor_writes;
    uint32_t *allocations; /* live device allocations at the end of each frame */
    uint64_t warm_acquires, warm_hits;
} run;

/* The per-frame uniform buffer: bind this frame's buffer under its slot name, and write the
 * slot's descriptor only when the binding table says it changed. */
/* [docs:frame-set-bindings] */
static bool update_globals(run *g, uint32_t slot, uint64_t frame) {
    static const char *names[RENDER_FRAMES] = {"globals[0]", "globals[1]"};
    bp_buffer ubo = bp_frame_set_current(g->pool, &g->globals);
    float data[8] = {0.8f + 0.2f * sinf((float)frame * 0.01f), 0.9f, 1.0f, 1.0f, (float)HEIGHT / (float)WIDTH};
    if (bp_upload(g->pool, ubo, 0, data, sizeof data) != BP_OK) return false;
    if (bp_binding_set(g->bindings, names[slot], ubo) != BP_OK) return false;
    bp_binding_change changes[RENDER_FRAMES];
    uint32_t n;
    if (bp_binding_table_sync(g->bindings, changes, RENDER_FRAMES, &n) != BP_OK) return false;
    for (uint32_t i = 0; i < n; i++) {
        renderer_bind_globals(&g->r, changes[i].name[8] == '0' ? 0 : 1, bp_vulkan_buffer(changes[i].native),
                              sizeof data);
        g->descriptor_writes++;
    }
    return true;
}
/* [docs:frame-set-bindings] */

static bool frame(run *g, uint64_t f, uint64_t *rng) {
    static float instances[MAX_INSTANCES * 20];
    uint32_t slot = (uint32_t)(f % RENDER_FRAMES);
    if (!renderer_wait(&g->r, slot) || bp_frame_begin(g->pool) != BP_OK) return false;
    if (!update_globals(g, slot, f) || !renderer_begin(&g->r, slot)) return false;
    uint32_t batches = 4 + (uint32_t)(next_random(rng) % (MAX_BATCHES - 3));
    for (uint32_t b = 0; b < batches; b++) {
        uint32_t count = 1 + (uint32_t)(next_random(rng) % MAX_INSTANCES);
        build_batch(instances, count, b, f, rng);
        /* [docs:instance-batch] */
        bp_acquire_desc d = {.size = (uint64_t)count * INSTANCE_BYTES,
                             .memory = BP_MEMORY_DEVICE_LOCAL,
                             .usage = BP_USAGE_VERTEX | BP_USAGE_TRANSFER_DST,
                             .flags = BP_ACQUIRE_TRANSIENT,
                             .tag = "instance_buffer"};
        bp_buffer buf;
        bp_buffer_info info;
        bp_result res = bp_acquire_upload(g->pool, &d, instances, d.size, &buf);
        if (res == BP_OK) res = bp_buffer_get_info(g->pool, buf, &info);
        if (res != BP_OK) {
            fprintf(stderr, "vk_instances: frame %llu: %s: %s\n", (unsigned long long)f, bp_result_string(res),
                    bp_pool_last_error(g->pool));
            return false;
        }
        renderer_draw(&g->r, slot, bp_vulkan_buffer(info.native), count);
        /* [docs:instance-batch] */
    }
    /* the staged copies, then the draw that reads them (same queue, barrier at the end of the copies) */
    if (bp_vulkan_submit_uploads(g->vk) != BP_OK || !renderer_submit(&g->r, slot, f)) return false;
    return bp_frame_end(g->pool) == BP_OK;
}

static bool write_png(run *g, const char *path, uint32_t *out_lit) {
    bp_acquire_desc d = {.size = (uint64_t)WIDTH * HEIGHT * 4, .memory = BP_MEMORY_HOST_CACHED,
                         .usage = BP_USAGE_TRANSFER_DST, .tag = "read_back"};
    bp_buffer buf;
    bp_buffer_info info;
    if (bp_acquire(g->pool, &d, &buf) != BP_OK) return false;
    bool ok = bp_buffer_get_info(g->pool, buf, &info) == BP_OK && info.mapped &&
              renderer_read_back(&g->r, bp_vulkan_buffer(info.native)) &&
              bp_invalidate(g->pool, buf, 0, d.size) == BP_OK;
    if (ok) {
        const uint8_t *px = info.mapped;
        uint32_t lit = 0; /* pixels brighter than the background: the instances */
        for (uint32_t i = 0; i < WIDTH * HEIGHT; i++) lit += px[i * 4] + px[i * 4 + 1] + px[i * 4 + 2] > 120;
        *out_lit = lit;
        ok = png_write_rgba(path, px, WIDTH, HEIGHT) == 0;
    }
    bp_release(g->pool, buf);
    return ok;
}

static uint32_t peak(const uint32_t *a, uint32_t from, uint32_t to) {
    uint32_t m = 0;
    for (uint32_t i = from; i < to; i++) m = a[i] > m ? a[i] : m;
    return m;
}

/* Plateau of device allocations (the tool's rule, on counts): the peak over the last quarter
 * of the run exceeds the peak over the second quarter by less than what one frame can ask
 * for (MAX_BATCHES new buffers). A leak like seed 000's grows by a frame's batches every frame. */
static bool allocations_plateau(const uint32_t *a, uint32_t frames) {
    return peak(a, frames * 3 / 4, frames) < peak(a, frames / 4, frames / 2) + MAX_BATCHES;
}

static void print_stats(const run *g, uint32_t frames, uint32_t lit, const char *png) {
    bp_stats s;
    bp_vulkan_stats v;
    bp_get_stats(g->pool, &s);
    bp_vulkan_get_stats(g->vk, &v);
    printf("frames %u, acquires %llu, hits %llu (hit rate %.2f%%, after warm-up %.2f%%)\n", frames,
           (unsigned long long)s.acquires, (unsigned long long)s.hits, 100.0 * s.hit_rate,
           g->warm_acquires ? 100.0 * (double)g->warm_hits / (double)g->warm_acquires : 0.0);
    printf("pool: %u buffers, reserved %.2f MiB (peak %.2f MiB), backend creates %llu, destroys %llu\n",
           s.buffers_total, (double)s.bytes_reserved / 1048576.0, (double)s.peak_reserved / 1048576.0,
           (unsigned long long)s.backend_creates, (unsigned long long)s.backend_destroys);
    printf("vulkan: staged uploads %llu (%.2f MiB), submits %llu, stalls %llu, deferred destroys waiting %u\n",
           (unsigned long long)v.staged_uploads, (double)v.staged_bytes / 1048576.0, (unsigned long long)v.submits,
           (unsigned long long)v.stalls, v.deferred_destroys);
    printf("device memory allocations (live, at frame end):");
    for (uint32_t k = 1; k <= 10; k++) printf(" %u:%u", frames * k / 10, g->allocations[frames * k / 10 - 1]);
    printf("\n  peak over frames %u-%u: %u, over frames %u-%u: %u; %llu made, %llu freed in all\n", frames / 4,
           frames / 2 - 1, peak(g->allocations, frames / 4, frames / 2), frames * 3 / 4, frames - 1,
           peak(g->allocations, frames * 3 / 4, frames), (unsigned long long)v.allocations_total,
           (unsigned long long)v.frees_total);
    printf("allocations stopped growing after warm-up: %s\n", allocations_plateau(g->allocations, frames) ? "yes" : "NO");
    printf("descriptor writes: %u in %u frames (binding table)\n", g->descriptor_writes, frames);
    printf("last frame: %s (%ux%u, %u lit pixels)\n", png, WIDTH, HEIGHT, lit);
}

int main(int argc, char **argv) {
    options o;
    if (!parse(argc, argv, &o)) {
        fprintf(stderr, "usage: vk_instances [--frames N>=10] [--seed N] [--out FILE.png] [--validate]\n");
        return 2;
    }
    bp_vulkan_context *ctx;
    bp_vulkan_context_desc cd = {.app_name = "vk_instances", .validation = o.validate, .sync_validation = o.validate,
                                 .require_graphics = true};
    bp_result res = bp_vulkan_context_create_headless(&cd, &ctx);
    if (res == BP_ERR_UNSUPPORTED) {
        printf("SKIPPED: no Vulkan device: %s\n", bp_vulkan_context_error());
        return 77;
    }
    if (res != BP_OK) {
        fprintf(stderr, "vk_instances: %s\n", bp_vulkan_context_error());
        return 1;
    }
    printf("device: %s, validation %s\n", ctx->device_name, ctx->validation ? "on" : "off");
    run g;
    memset(&g, 0, sizeof g);
    bool ok = renderer_create(&g.r, ctx, WIDTH, HEIGHT);
    /* [docs:vk-pool] */
    bp_vulkan_desc vd = {.frames_in_flight = RENDER_FRAMES, .frame_timeline = g.r.timeline};
    bp_vulkan_desc_from_context(ctx, &vd);
    bp_backend backend;
    bp_pool_desc pd = {.name = "vk_instances", .backend = &backend, .frames_in_flight = RENDER_FRAMES,
                       .class_scheme = BP_CLASSES_POW2, .max_pooled_per_class = BP_NEVER};
    ok = ok && bp_vulkan_backend_create(&vd, &backend, &g.vk) == BP_OK && bp_pool_create(&pd, &g.pool) == BP_OK;
    /* [docs:vk-pool] */
    /* [docs:frame-set-acquire] */
    bp_acquire_desc ud = {.size = 32, .memory = BP_MEMORY_HOST_VISIBLE, .usage = BP_USAGE_UNIFORM, .tag = "globals"};
    ok = ok && bp_frame_set_acquire(g.pool, &ud, RENDER_FRAMES, &g.globals) == BP_OK &&
         bp_binding_table_create(g.pool, 4, &g.bindings) == BP_OK;
    /* [docs:frame-set-acquire] */
    g.allocations = calloc(o.frames, sizeof *g.allocations);
    ok = ok && g.allocations;
    uint64_t rng = o.seed ? o.seed : 0x5EED;
    for (uint32_t f = 0; ok && f < o.frames; f++) {
        bp_stats before, after;
        bp_get_stats(g.pool, &before);
        ok = frame(&g, f, &rng);
        bp_get_stats(g.pool, &after);
        if (f >= o.frames / 10) {
            g.warm_acquires += after.acquires - before.acquires;
            g.warm_hits += after.hits - before.hits;
        }
        bp_vulkan_stats v;
        bp_vulkan_get_stats(g.vk, &v);
        g.allocations[f] = v.device_allocations;
    }
    uint32_t lit = 0;
    ok = ok && write_png(&g, o.out, &lit);
    if (ok) print_stats(&g, o.frames, lit, o.out);
    bp_frame_set_release(g.pool, &g.globals);
    bp_binding_table_destroy(g.bindings);
    bp_pool_destroy(g.pool); /* before the renderer: the backend reads its timeline */
    renderer_destroy(&g.r);
    uint32_t messages = bp_vulkan_context_messages(ctx);
    bp_vulkan_context_destroy(ctx);
    if (messages) fprintf(stderr, "vk_instances: %u validation messages\n", messages);
    bool plateau = ok && allocations_plateau(g.allocations, o.frames);
    free(g.allocations);
    bool warm = g.warm_acquires && (double)g.warm_hits >= 0.99 * (double)g.warm_acquires;
    if (ok && (!plateau || !warm || lit < 500))
        fprintf(stderr, "vk_instances: check failed (allocations plateau %d, warm hit rate ok %d, lit pixels %u)\n",
                plateau, warm, lit);
    return ok && !messages && plateau && warm && lit >= 500 ? 0 : 1;
}
