/* Memory strategies -> memory types, and usage bits -> VkBufferUsageFlags. Pure functions:
 * the tests feed them made-up memory properties (discrete GPU, UMA, lavapipe). */
#include "backends/vulkan/vk_internal.h"

#define HV VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT
#define HC VK_MEMORY_PROPERTY_HOST_COHERENT_BIT
#define CACHED VK_MEMORY_PROPERTY_HOST_CACHED_BIT
#define DL VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT
#define AVOID (VK_MEMORY_PROPERTY_PROTECTED_BIT | VK_MEMORY_PROPERTY_LAZILY_ALLOCATED_BIT)

/* One try: flags that must be present, flags preferred (each +1), flags unwanted (each -1). */
typedef struct attempt {
    VkMemoryPropertyFlags required, preferred, unwanted;
} attempt;

/* Best type among `type_bits` meeting `a.required`, or BPI_VK_NO_TYPE. Ties go to the lower
 * index (the driver lists faster types first). */
static uint32_t best_type(const VkPhysicalDeviceMemoryProperties *p, uint32_t type_bits, attempt a) {
    uint32_t best = BPI_VK_NO_TYPE;
    int best_score = -1000;
    for (uint32_t i = 0; i < p->memoryTypeCount && i < 32; i++) {
        VkMemoryPropertyFlags f = p->memoryTypes[i].propertyFlags;
        if (!(type_bits & (1u << i)) || (f & a.required) != a.required || (f & AVOID)) continue;
        int score = __builtin_popcount(f & a.preferred) - __builtin_popcount(f & a.unwanted);
        if (score > best_score) {
            best_score = score;
            best = i;
        }
    }
    return best;
}

/* What a chosen type is, as a memory kind: unmapped device memory, coherent or not. */
static uint32_t kind_of(VkMemoryPropertyFlags f, uint32_t wanted) {
    if (wanted == BP_MEMORY_DEVICE_LOCAL && (f & DL)) return BP_MEMORY_DEVICE_LOCAL;
    if (!(f & HV)) return BP_MEMORY_DEVICE_LOCAL;
    if (wanted == BP_MEMORY_HOST_CACHED && (f & CACHED)) return BP_MEMORY_HOST_CACHED;
    return (f & HC) ? BP_MEMORY_HOST_VISIBLE : BP_MEMORY_HOST_CACHED; /* non-coherent: needs flushes */
}

uint32_t bpi_vk_pick_memory_type(const VkPhysicalDeviceMemoryProperties *props, uint32_t type_bits,
                                 uint32_t memory, uint32_t *out_used) {
    /* In order of preference; the first attempt that finds a type wins. */
    static const attempt device_local[] = {
        {DL, 0, HV | CACHED}, /* real VRAM first; on UMA every DL type is host-visible anyway */
        {HV | HC, 0, CACHED}, /* no device-local type: coherent host memory */
        {HV, 0, 0},
    };
    static const attempt host_visible[] = {
        {HV | HC, 0, CACHED}, /* write-combined: CPU writes, GPU reads */
        {HV | HC, 0, 0},
        {HV, 0, 0},           /* non-coherent: reported as host-cached (needs flushes) */
    };
    static const attempt host_cached[] = {
        {HV | CACHED, 0, DL}, /* CPU reads of GPU results: cached system memory */
        {HV | CACHED, 0, 0},
        {HV | HC, 0, 0},      /* reported as host-visible */
        {HV, 0, 0},
    };
    const attempt *list = memory == BP_MEMORY_HOST_VISIBLE ? host_visible
                          : memory == BP_MEMORY_HOST_CACHED ? host_cached
                                                            : device_local;
    unsigned n = memory == BP_MEMORY_HOST_VISIBLE ? 3u : memory == BP_MEMORY_HOST_CACHED ? 4u : 3u;
    for (unsigned i = 0; i < n; i++) {
        uint32_t t = best_type(props, type_bits, list[i]);
        if (t != BPI_VK_NO_TYPE) {
            if (out_used) *out_used = kind_of(props->memoryTypes[t].propertyFlags, memory);
            return t;
        }
    }
    return BPI_VK_NO_TYPE;
}

VkBufferUsageFlags bpi_vk_usage_flags(uint32_t usage) {
    /* Transfer bits always: device-local buffers are written by staging copies, and any
     * buffer may be the source or destination of a resize copy or a read-back. */
    VkBufferUsageFlags f = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    if (usage & BP_USAGE_VERTEX) f |= VK_BUFFER_USAGE_VERTEX_BUFFER_BIT;
    if (usage & BP_USAGE_INDEX) f |= VK_BUFFER_USAGE_INDEX_BUFFER_BIT;
    if (usage & BP_USAGE_UNIFORM) f |= VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT;
    if (usage & BP_USAGE_STORAGE) f |= VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
    if (usage & BP_USAGE_INDIRECT) f |= VK_BUFFER_USAGE_INDIRECT_BUFFER_BIT;
    return f;
}
