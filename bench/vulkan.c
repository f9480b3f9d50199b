/* Vulkan: a pool hit against what a program does without a pool, per request:
 * vkCreateBuffer + vkGetBufferMemoryRequirements + vkAllocateMemory + vkBindBufferMemory, and
 * vkDestroyBuffer + vkFreeMemory when done, for a buffer like the pool's (size, usage bits,
 * memory type). On whatever device the headless context finds (lavapipe here, a real GPU
 * where there is one), without the validation layer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bufpool_vulkan.h"

/* A raw buffer's two handles. The replay's tokens are indices into a grow-only table of
 * these with a free list, so the raw contender pays no malloc of its own per request. */
typedef struct raw_buffer {
    VkBuffer buffer;
    VkDeviceMemory memory;
    VkDeviceSize size;
    uint32_t next_free;
} raw_buffer;

typedef struct raw_vk {
    VkDevice device;
    VkPhysicalDeviceMemoryProperties props;
    uint32_t type; /* the memory type the pool's buffers got (UINT32_MAX: pick like the backend) */
    raw_buffer *records;
    uint32_t count, cap, free_head; /* free_head: index + 1, 0 = none */
} raw_vk;

/* The usage bits of a pooled buffer acquired with usage 0 (every usage; the backend's
 * bpi_vk_usage_flags(BP_USAGE_ALL)), so both paths create the same buffer. */
static const VkBufferUsageFlags raw_usage =
    VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT | VK_BUFFER_USAGE_VERTEX_BUFFER_BIT |
    VK_BUFFER_USAGE_INDEX_BUFFER_BIT | VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT | VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
    VK_BUFFER_USAGE_INDIRECT_BUFFER_BIT;

/* The pool's memory type when the buffer accepts it; else the backend's choice for device-local
 * memory: a device-local type, the fewest host-visible and cached bits first. */
static uint32_t pick_type(const raw_vk *r, uint32_t bits) {
    if (r->type < 32 && (bits & (1u << r->type))) return r->type;
    uint32_t best = UINT32_MAX;
    int best_score = -1000;
    for (uint32_t i = 0; i < r->props.memoryTypeCount; i++) {
        VkMemoryPropertyFlags f = r->props.memoryTypes[i].propertyFlags;
        if (!(bits & (1u << i)) || !(f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT)) continue;
        int score = -__builtin_popcount(f & (VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_CACHED_BIT));
        if (score > best_score) best_score = score, best = i;
    }
    for (uint32_t i = 0; best == UINT32_MAX && i < r->props.memoryTypeCount; i++)
        if (bits & (1u << i)) best = i;
    return best;
}

/* What a program without a pool does per request: create, query, allocate, bind. */
static bool raw_create(const raw_vk *r, size_t size, raw_buffer *b) {
    VkBufferCreateInfo bi = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                             .size = size,
                             .usage = raw_usage,
                             .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    if (vkCreateBuffer(r->device, &bi, NULL, &b->buffer) != VK_SUCCESS) return false;
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(r->device, b->buffer, &req);
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .allocationSize = req.size,
                               .memoryTypeIndex = pick_type(r, req.memoryTypeBits)};
    if (vkAllocateMemory(r->device, &ai, NULL, &b->memory) != VK_SUCCESS) {
        vkDestroyBuffer(r->device, b->buffer, NULL);
        return false;
    }
    if (vkBindBufferMemory(r->device, b->buffer, b->memory, 0) != VK_SUCCESS) {
        vkDestroyBuffer(r->device, b->buffer, NULL);
        vkFreeMemory(r->device, b->memory, NULL);
        return false;
    }
    b->size = req.size;
    return true;
}

static void raw_destroy(const raw_vk *r, const raw_buffer *b) {
    vkDestroyBuffer(r->device, b->buffer, NULL);
    vkFreeMemory(r->device, b->memory, NULL);
}

static uint64_t raw_acquire(void *ctx, size_t size) {
    raw_vk *r = ctx;
    uint32_t i;
    if (r->free_head) {
        i = r->free_head - 1;
        r->free_head = r->records[i].next_free;
    } else {
        if (r->count == r->cap) {
            uint32_t cap = r->cap ? r->cap * 2 : 1024;
            raw_buffer *grown = realloc(r->records, cap * sizeof *grown);
            if (!grown) return 0;
            r->records = grown;
            r->cap = cap;
        }
        i = r->count++;
    }
    if (!raw_create(r, size, &r->records[i])) {
        r->records[i].next_free = r->free_head;
        r->free_head = i + 1;
        return 0;
    }
    return i + 1;
}

static void raw_release(void *ctx, uint64_t t) {
    raw_vk *r = ctx;
    uint32_t i = (uint32_t)t - 1;
    raw_destroy(r, &r->records[i]);
    r->records[i].next_free = r->free_head;
    r->free_head = i + 1;
}

static size_t raw_usable(void *ctx, uint64_t t) { return (size_t)((raw_vk *)ctx)->records[t - 1].size; }

static bool raw_open(contender *c) { return c->ctx != NULL; }
static void raw_close(contender *c) { (void)c; }

/* bufpool over the Vulkan backend; the context rides in pool_desc.backend's place. */
static bp_vulkan_context *g_ctx;

static bool vk_pool_make(contender *c, bp_vulkan_backend **out_vk, VkDeviceSize block_size) {
    bp_vulkan_desc vd = {.block_size = block_size}; /* from_context fills the device fields only */
    bp_vulkan_desc_from_context(g_ctx, &vd);
    bp_backend be;
    bp_result r = bp_vulkan_backend_create(&vd, &be, out_vk);
    if (r != BP_OK) return fprintf(stderr, "bufpool_bench: Vulkan backend: %s\n", bp_result_string(r)), false;
    bp_pool_desc pd = c->pool_desc;
    pd.backend = &be;
    bp_pool *pool;
    r = bp_pool_create(&pd, &pool);
    if (r != BP_OK) return fprintf(stderr, "bufpool_bench: Vulkan pool: %s\n", bp_result_string(r)), false;
    c->ctx = pool;
    return true;
}

static bool vk_pool_open(contender *c) {
    return vk_pool_make(c, NULL, 0) && (!c->frames || bp_frame_begin(c->ctx) == BP_OK);
}

__attribute__((noinline)) static void raw_pairs(const raw_vk *raw, size_t size, uint64_t pairs) {
    for (uint64_t i = 0; i < pairs; i++) {
        raw_buffer b;
        if (raw_create(raw, size, &b)) raw_destroy(raw, &b);
    }
}

typedef struct vk_hit_times {
    double vulkan, host, raw; /* median ns per pair */
} vk_hit_times;

/* Median ns per pair, `repeats` rounds, of: pool hits on the Vulkan backend, pool hits on the
 * host backend (the same loop, bench_pool_hits, as the pool-hit section), and the raw path.
 * The raw path uses the memory type the pool's buffer got. False when the pool failed. */
static bool vk_hit(raw_vk *raw, size_t size, uint64_t pairs, uint64_t raw_pairs_n, int repeats, vk_hit_times *out) {
    enum { R = 64 };
    double tv[R], th[R], tr[R];
    contender pc = {.pool_desc = {.name = "bench-vulkan"}};
    bp_vulkan_backend *vk;
    if (repeats > R) repeats = R;
    /* no frames: a pool that never began one reuses a released buffer at once */
    if (!vk_pool_make(&pc, &vk, 0)) return false;
    bp_pool *host = NULL;
    bp_acquire_desc d = {.size = size};
    bench_pool_hits(pc.ctx, &d, 1000); /* warm: the first acquire creates the buffer */
    bp_vulkan_stats st;
    bp_vulkan_get_stats(vk, &st);
    raw->type = st.memory_type_used[BP_MEMORY_DEVICE_LOCAL];
    bool ok = bp_pool_create(NULL, &host) == BP_OK;
    if (ok) bench_pool_hits(host, &d, 1000);
    for (int r = 0; ok && r < repeats; r++) {
        double t0 = bench_cpu_ns();
        bench_pool_hits(pc.ctx, &d, pairs);
        tv[r] = (bench_cpu_ns() - t0) / (double)pairs;
        t0 = bench_cpu_ns();
        bench_pool_hits(host, &d, pairs);
        th[r] = (bench_cpu_ns() - t0) / (double)pairs;
        t0 = bench_cpu_ns();
        raw_pairs(raw, size, raw_pairs_n);
        tr[r] = (bench_cpu_ns() - t0) / (double)raw_pairs_n;
    }
    bp_pool_destroy(host);
    bp_pool_destroy(pc.ctx);
    if (!ok) return false;
    *out = (vk_hit_times){bench_median(tv, repeats), bench_median(th, repeats), bench_median(tr, repeats)};
    return true;
}

/* Median ns per pool miss + destroy (a pool that keeps nothing pooled: each acquire creates a
 * VkBuffer, each release destroys it; no frames, so at once), with `block_size` 0 (one
 * vkAllocateMemory + vkFreeMemory each) or block mode (a range of a block). 0 when it failed. */
static double vk_miss(size_t size, VkDeviceSize block_size, uint64_t pairs, int repeats) {
    enum { R = 64 };
    double t[R];
    contender pc = {.pool_desc = {.name = "bench-vulkan-miss", .max_pooled_bytes = 1}};
    if (repeats > R) repeats = R;
    if (!vk_pool_make(&pc, NULL, block_size)) return 0;
    bp_acquire_desc d = {.size = size};
    bench_pool_hits(pc.ctx, &d, 100); /* warm: block mode makes its block (then kept as the spare) */
    for (int r = 0; r < repeats; r++) {
        double t0 = bench_cpu_ns();
        bench_pool_hits(pc.ctx, &d, pairs);
        t[r] = (bench_cpu_ns() - t0) / (double)pairs;
    }
    bp_stats st;
    bp_get_stats(pc.ctx, &st);
    bool ok = st.misses >= (uint64_t)repeats * pairs; /* every pair really was a miss */
    bp_pool_destroy(pc.ctx);
    return ok ? bench_median(t, repeats) : 0;
}

/* Writes the Vulkan section; returns what it measured (speedup 0 when not run). */
vk_summary bench_vulkan_section(FILE *o, const event_list *workload, int repeats, bool quick) {
    fprintf(stderr, "bufpool_bench: vulkan\n");
    fprintf(o, "\n## Vulkan: pool hit vs. raw create + allocate + bind + destroy\n\n");
    /* BENCH_VK_VALIDATION=1 checks the raw path's calls with the validation layer (slow: not for timing) */
    bp_vulkan_context_desc cd = {.app_name = "bufpool_bench", .validation = getenv("BENCH_VK_VALIDATION") != NULL};
    if (bp_vulkan_context_create_headless(&cd, &g_ctx) != BP_OK) {
        fprintf(o, "Not run: no Vulkan device (%s).\n", bp_vulkan_context_error());
        return (vk_summary){0};
    }
    raw_vk raw = {.device = g_ctx->device, .type = UINT32_MAX};
    vkGetPhysicalDeviceMemoryProperties(g_ctx->physical_device, &raw.props);
    VkPhysicalDeviceProperties dp;
    vkGetPhysicalDeviceProperties(g_ctx->physical_device, &dp);
    bool cpu = dp.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU;
    const char *kind = !cpu ? "a GPU"
                       : strstr(g_ctx->device_name, "llvmpipe")
                           ? "Mesa's lavapipe, a CPU implementation of Vulkan: no GPU in this run"
                           : "a CPU implementation of Vulkan: no GPU in this run";
    fprintf(o, "Device: %s, %s (%s). Raw = per request vkCreateBuffer, vkGetBufferMemoryRequirements, "
               "vkAllocateMemory, vkBindBufferMemory, then vkDestroyBuffer and vkFreeMemory: the same size, usage "
               "bits and memory type as the pool's buffers, no other work in the loop. bufpool = bp_acquire + "
               "bp_release of a pooled buffer on the Vulkan backend; the host backend's hit, timed in the same "
               "loop (bench_pool_hits, as in the pool-hit section) in this process, is beside it: a hit takes "
               "the same inline path on both (no backend call). Process CPU time, median of %d rounds.\n\n"
               "| size | bufpool hit, Vulkan | bufpool hit, host | raw Vulkan | ratio raw / Vulkan hit |\n"
               "|---:|---:|---:|---:|---:|\n",
            g_ctx->device_name, kind, cd.validation ? "validation layer on: timings not comparable" : "no validation layer", repeats);
    static const size_t sizes[] = {4096, 65536, 1u << 20};
    double worst = 0, raw_min = 0, raw_max = 0, hit_max = 0;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        vk_hit_times t;
        if (!vk_hit(&raw, sizes[s], quick ? 100000 : 1000000, quick ? 1000 : 5000, repeats, &t)) {
            fprintf(o, "| %zu B | failed | | | |\n", sizes[s]);
            continue;
        }
        fprintf(o, "| %zu B | %.1f ns | %.1f ns | %.0f ns | %.0fx |\n", sizes[s], t.vulkan, t.host, t.raw,
                t.raw / t.vulkan);
        if (worst == 0 || t.raw / t.vulkan < worst) worst = t.raw / t.vulkan;
        if (raw_min == 0 || t.raw < raw_min) raw_min = t.raw;
        if (t.raw > raw_max) raw_max = t.raw;
        if (t.vulkan > hit_max) hit_max = t.vulkan;
    }
    if (worst > 0 && cpu)
        fprintf(o, "\nWhy 100x is out of reach here: on %s the device memory is host memory, so vkAllocateMemory "
                   "is a user-space allocation and the whole raw path costs only %.0f-%.0f ns. A 100x ratio would "
                   "need a pool hit of %.1f-%.1f ns, less than malloc + free costs in the pool-hit section above. "
                   "On a GPU driver vkAllocateMemory is a kernel call, far slower; that is not measured in this "
                   "run (no GPU).\n",
                g_ctx->device_name, raw_min, raw_max, raw_min / 100, raw_max / 100);
    fprintf(o, "\nA pool miss + destroy (the pool keeps nothing pooled, `max_pooled_bytes` 1: every acquire "
               "creates a VkBuffer, every release destroys it), one allocation per buffer (`block_size` 0, the "
               "default) vs block mode (`block_size` 64 MiB: a range of a kept block, bound at its offset):\n\n"
               "| size | miss + destroy, one allocation each | miss + destroy, block mode | ratio |\n"
               "|---:|---:|---:|---:|\n");
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        uint64_t pairs = quick ? 1000 : 5000;
        double off = vk_miss(sizes[s], 0, pairs, repeats), on = vk_miss(sizes[s], 64u << 20, pairs, repeats);
        if (off > 0 && on > 0) fprintf(o, "| %zu B | %.0f ns | %.0f ns | %.2fx |\n", sizes[s], off, on, off / on);
        else fprintf(o, "| %zu B | failed | | |\n", sizes[s]);
    }
    contender cs[2] = {
        {.name = "bufpool (Vulkan backend)", .is_pool = true, .open = vk_pool_open, .close = bench_pool_close,
         .acquire = bench_pool_acquire, .release = bench_pool_release, .frame = bench_pool_frame,
         .pool_desc = {.name = "bench-vulkan"}},
        {.name = "raw Vulkan", .ctx = &raw, .open = raw_open, .close = raw_close, .acquire = raw_acquire,
         .release = raw_release, .usable = raw_usable},
    };
    replay_result res[2];
    replay_memory(workload, cs, 2, false, res);
    replay_time(workload, cs, 2, repeats, res);
    fprintf(o, "\nThe %s workload on the device (%s; bufpool with 2 frames in flight, raw Vulkan destroys at "
               "once, which a real renderer could not do while the GPU reads the buffer):\n\n"
               "| contender | ns per acquire+release (median) | ratio to bufpool | peak reserved |\n"
               "|---|---:|---:|---:|\n",
            workload->name, workload->description);
    for (int i = 0; i < 2; i++)
        if (res[i].ok)
            fprintf(o, "| %s | %.1f | %.2fx | %.2f MiB |\n", cs[i].name, res[i].ns_per_acquire,
                    res[i].ns_per_acquire / res[0].ns_per_acquire, (double)res[i].peak_reserved / 1048576.0);
        else
            fprintf(o, "| %s | failed | | |\n", cs[i].name);
    free(raw.records);
    bp_vulkan_context_destroy(g_ctx);
    g_ctx = NULL;
    return (vk_summary){worst, raw_min, raw_max, hit_max, cpu};
}
