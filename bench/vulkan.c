/* Vulkan: a pool hit against what a program does without a pool, per request:
 * vkCreateBuffer + vkGetBufferMemoryRequirements + vkAllocateMemory + vkBindBufferMemory, and
 * vkDestroyBuffer + vkFreeMemory when done. On whatever device the headless context finds
 * (lavapipe here, a real GPU where there is one), without the validation layer. */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "bufpool_vulkan.h"

typedef struct raw_vk {
    VkDevice device;
    VkPhysicalDeviceMemoryProperties props;
} raw_vk;

typedef struct raw_buffer {
    VkBuffer buffer;
    VkDeviceMemory memory;
    VkDeviceSize size;
} raw_buffer;

/* First memory type the buffer accepts that is device-local, else any it accepts. */
static uint32_t pick_type(const raw_vk *r, uint32_t bits) {
    for (uint32_t i = 0; i < r->props.memoryTypeCount; i++)
        if ((bits & (1u << i)) && (r->props.memoryTypes[i].propertyFlags & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT))
            return i;
    for (uint32_t i = 0; i < r->props.memoryTypeCount; i++)
        if (bits & (1u << i)) return i;
    return UINT32_MAX;
}

static uint64_t raw_acquire(void *ctx, size_t size) {
    raw_vk *r = ctx;
    raw_buffer *b = malloc(sizeof *b);
    if (!b) return 0;
    VkBufferCreateInfo bi = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                             .size = size,
                             .usage = VK_BUFFER_USAGE_VERTEX_BUFFER_BIT | VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
                                      VK_BUFFER_USAGE_TRANSFER_DST_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
                             .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    if (vkCreateBuffer(r->device, &bi, NULL, &b->buffer) != VK_SUCCESS) return free(b), 0;
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(r->device, b->buffer, &req);
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .allocationSize = req.size,
                               .memoryTypeIndex = pick_type(r, req.memoryTypeBits)};
    if (vkAllocateMemory(r->device, &ai, NULL, &b->memory) != VK_SUCCESS ||
        vkBindBufferMemory(r->device, b->buffer, b->memory, 0) != VK_SUCCESS) {
        vkDestroyBuffer(r->device, b->buffer, NULL);
        free(b);
        return 0;
    }
    b->size = req.size;
    return (uint64_t)(uintptr_t)b;
}

static void raw_release(void *ctx, uint64_t t) {
    raw_vk *r = ctx;
    raw_buffer *b = (raw_buffer *)(uintptr_t)t;
    vkDestroyBuffer(r->device, b->buffer, NULL);
    vkFreeMemory(r->device, b->memory, NULL);
    free(b);
}

static size_t raw_usable(void *ctx, uint64_t t) {
    (void)ctx;
    return (size_t)((raw_buffer *)(uintptr_t)t)->size;
}

static bool raw_open(contender *c) { return c->ctx != NULL; }
static void raw_close(contender *c) { (void)c; }

/* bufpool over the Vulkan backend; the context rides in pool_desc.backend's place. */
static bp_vulkan_context *g_ctx;

static bool vk_pool_make(contender *c) {
    bp_vulkan_desc vd = {0}; /* from_context fills the device fields only */
    bp_vulkan_desc_from_context(g_ctx, &vd);
    bp_backend be;
    bp_result r = bp_vulkan_backend_create(&vd, &be, NULL);
    if (r != BP_OK) return fprintf(stderr, "bufpool_bench: Vulkan backend: %s\n", bp_result_string(r)), false;
    bp_pool_desc pd = c->pool_desc;
    pd.backend = &be;
    bp_pool *pool;
    r = bp_pool_create(&pd, &pool);
    if (r != BP_OK) return fprintf(stderr, "bufpool_bench: Vulkan pool: %s\n", bp_result_string(r)), false;
    c->ctx = pool;
    return true;
}

static bool vk_pool_open(contender *c) { return vk_pool_make(c) && (!c->frames || bp_frame_begin(c->ctx) == BP_OK); }

/* Median ns per pair of `pairs` acquire+release of `size`, pool and raw, `repeats` rounds. */
static void vk_hit(raw_vk *raw, size_t size, uint64_t pairs, uint64_t raw_pairs, int repeats, double *pool_ns,
                   double *raw_ns) {
    enum { R = 64 };
    double tp[R], tr[R];
    contender pc = {.pool_desc = {.name = "bench-vulkan"}};
    if (repeats > R) repeats = R;
    *pool_ns = *raw_ns = 0;
    /* no frames: a pool that never began one reuses a released buffer at once */
    if (!vk_pool_make(&pc)) return;
    for (int r = 0; r < repeats; r++) {
        double t0 = bench_cpu_ns();
        for (uint64_t i = 0; i < pairs; i++) bench_pool_release(pc.ctx, bench_pool_acquire(pc.ctx, size));
        tp[r] = (bench_cpu_ns() - t0) / (double)pairs;
        t0 = bench_cpu_ns();
        for (uint64_t i = 0; i < raw_pairs; i++) raw_release(raw, raw_acquire(raw, size));
        tr[r] = (bench_cpu_ns() - t0) / (double)raw_pairs;
    }
    bp_pool_destroy(pc.ctx);
    *pool_ns = bench_median(tp, repeats);
    *raw_ns = bench_median(tr, repeats);
}

/* Writes the Vulkan section; returns the worst hit speedup over raw (0 when not run). */
double bench_vulkan_section(FILE *o, const event_list *workload, int repeats, bool quick) {
    fprintf(stderr, "bufpool_bench: vulkan\n");
    fprintf(o, "\n## Vulkan: pool hit vs. raw create + allocate + bind + destroy\n\n");
    /* BENCH_VK_VALIDATION=1 checks the raw path's calls with the validation layer (slow: not for timing) */
    bp_vulkan_context_desc cd = {.app_name = "bufpool_bench", .validation = getenv("BENCH_VK_VALIDATION") != NULL};
    if (bp_vulkan_context_create_headless(&cd, &g_ctx) != BP_OK) {
        fprintf(o, "Not run: no Vulkan device (%s).\n", bp_vulkan_context_error());
        return 0;
    }
    raw_vk raw = {.device = g_ctx->device};
    vkGetPhysicalDeviceMemoryProperties(g_ctx->physical_device, &raw.props);
    fprintf(o, "Device: %s (%s). Raw = per request vkCreateBuffer, "
               "vkGetBufferMemoryRequirements, vkAllocateMemory, vkBindBufferMemory, then vkDestroyBuffer and "
               "vkFreeMemory. bufpool = bp_acquire + bp_release of a pooled buffer on the Vulkan backend. Median "
               "of %d rounds.\n\n| size | bufpool hit | raw Vulkan | ratio |\n|---:|---:|---:|---:|\n",
            g_ctx->device_name, cd.validation ? "validation layer on: timings not comparable" : "no validation layer",
            repeats);
    static const size_t sizes[] = {4096, 65536, 1u << 20};
    double worst = 0;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        double p, r;
        vk_hit(&raw, sizes[s], quick ? 100000 : 1000000, quick ? 200 : 2000, repeats, &p, &r);
        if (p <= 0) {
            fprintf(o, "| %zu B | failed | | |\n", sizes[s]);
            continue;
        }
        fprintf(o, "| %zu B | %.1f ns | %.0f ns | %.0fx |\n", sizes[s], p, r, r / p);
        if (worst == 0 || r / p < worst) worst = r / p;
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
    bp_vulkan_context_destroy(g_ctx);
    g_ctx = NULL;
    return worst;
}
