/* Vulkan: a pool hit against what a program does without a pool, per request:
 * vkCreateBuffer + vkGetBufferMemoryRequirements + vkAllocateMemory + vkBindBufferMemory, and
 * vkDestroyBuffer + vkFreeMemory when done, for a buffer like the pool's (size, usage bits,
 * memory type). On whatever device the headless context finds (lavapipe here, a real GPU
 * where there is one), without the validation layer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
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
static bp_vulkan_backend *g_last_vk; /* the backend of the pool made last (its stats) */

static bool vk_make_pool(void *user, const bp_pool_desc *in, uint64_t block_size, bp_pool **out) {
    (void)user;
    bp_vulkan_desc vd = {.block_size = block_size}; /* from_context fills the device fields only */
    bp_vulkan_desc_from_context(g_ctx, &vd);
    bp_backend be;
    bp_result r = bp_vulkan_backend_create(&vd, &be, &g_last_vk);
    if (r != BP_OK) return fprintf(stderr, "bufpool_bench: Vulkan backend: %s\n", bp_result_string(r)), false;
    return device_pool_create("Vulkan", &be, in, out);
}

static bool vk_pool_open(contender *c) {
    bp_pool *pool;
    if (!vk_make_pool(NULL, &c->pool_desc, 0, &pool)) return false;
    c->ctx = pool;
    return !c->frames || bp_frame_begin(pool) == BP_OK;
}

/* The raw path uses the memory type the timed pool's buffer got. */
static void vk_warmed(void *user, bp_pool *pool) {
    (void)pool;
    bp_vulkan_stats st;
    bp_vulkan_get_stats(g_last_vk, &st);
    ((raw_vk *)user)->type = st.memory_type_used[BP_MEMORY_DEVICE_LOCAL];
}

static bool vk_raw_pair(void *user, size_t size) {
    raw_buffer b;
    if (!raw_create(user, size, &b)) return false;
    raw_destroy(user, &b);
    return true;
}

/* Writes the Vulkan section; returns what it measured (speedup 0 when not run). */
device_summary bench_vulkan_section(FILE *o, const event_list *workload, int repeats, bool quick) {
    fprintf(stderr, "bufpool_bench: vulkan\n");
    fprintf(o, "\n## Vulkan: pool hit vs. raw create + allocate + bind + destroy\n\n");
    /* BENCH_VK_VALIDATION=1 checks the raw path's calls with the validation layer (slow: not for timing) */
    bp_vulkan_context_desc cd = {.app_name = "bufpool_bench", .validation = getenv("BENCH_VK_VALIDATION") != NULL};
    if (bp_vulkan_context_create_headless(&cd, &g_ctx) != BP_OK) {
        fprintf(o, "Not run: no Vulkan device (%s).\n", bp_vulkan_context_error());
        return (device_summary){0};
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
    device_api api = {"Vulkan", &raw, vk_make_pool, vk_warmed, vk_raw_pair};
    device_summary sum = {.cpu = cpu};
    device_hit_rows(o, &api, repeats, quick, &sum);
    if (sum.speedup > 0 && cpu)
        fprintf(o, "\nWhy 100x is out of reach here: on %s the device memory is host memory, so vkAllocateMemory "
                   "is a user-space allocation and the whole raw path costs only %.0f-%.0f ns. A 100x ratio would "
                   "need a pool hit of %.1f-%.1f ns, less than malloc + free costs in the pool-hit section above. "
                   "On a GPU driver vkAllocateMemory is a kernel call, far slower; that is not measured in this "
                   "run (no GPU).\n",
                g_ctx->device_name, sum.raw_min, sum.raw_max, sum.raw_min / 100, sum.raw_max / 100);
    fprintf(o, "\nA pool miss + destroy (the pool keeps nothing pooled, `max_pooled_bytes` 1: every acquire "
               "creates a VkBuffer, every release destroys it), one allocation per buffer (`block_size` 0, the "
               "default) vs block mode (`block_size` 64 MiB: a range of a kept block, bound at its offset):\n\n"
               "| size | miss + destroy, one allocation each | miss + destroy, block mode | ratio |\n"
               "|---:|---:|---:|---:|\n");
    for (int s = 0; s < DEVICE_SIZES; s++) {
        uint64_t pairs = quick ? 1000 : 5000;
        double off = device_miss(&api, device_sizes[s], 0, pairs, repeats);
        double on = device_miss(&api, device_sizes[s], 64u << 20, pairs, repeats);
        if (off > 0 && on > 0) fprintf(o, "| %zu B | %.0f ns | %.0f ns | %.2fx |\n", device_sizes[s], off, on, off / on);
        else fprintf(o, "| %zu B | failed | | |\n", device_sizes[s]);
    }
    contender cs[2] = {
        {.name = "bufpool (Vulkan backend)", .is_pool = true, .open = vk_pool_open, .close = bench_pool_close,
         .acquire = bench_pool_acquire, .release = bench_pool_release, .frame = bench_pool_frame,
         .pool_desc = {.name = "bench-vulkan"}},
        {.name = "raw Vulkan", .ctx = &raw, .open = raw_open, .close = raw_close, .acquire = raw_acquire,
         .release = raw_release, .usable = raw_usable},
    };
    fprintf(o, "\nThe %s workload on the device (%s; bufpool with 2 frames in flight, raw Vulkan destroys at "
               "once, which a real renderer could not do while the GPU reads the buffer):\n\n",
            workload->name, workload->description);
    device_workload_rows(o, workload, cs, repeats);
    free(raw.records);
    bp_vulkan_context_destroy(g_ctx);
    g_ctx = NULL;
    return sum;
}
