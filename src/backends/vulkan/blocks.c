/* The Vulkan backend's block mode (desc.block_size != 0), after AMD's Vulkan Memory Allocator
 * and the host backend's block mode (host_blocks.c): a buffer whose memory requirement is at
 * most a quarter of block_size is bound at a range of a VkDeviceMemory block of its memory
 * type, so a pool miss costs vkCreateBuffer, a TLSF range search and vkBindBufferMemory
 * instead of a driver allocation, and maxMemoryAllocationCount bounds blocks, not buffers.
 * Ranges are placed by the public bp_vblock (the same TLSF as placement/tlsf.c): the shared
 * core exports only bp_ names, so this library cannot call bpi_tlsf_*. */
#include <stdlib.h>
#include <string.h>

#include "backends/vulkan/vk_internal.h"
#include "placement/block_growth.h"

#define DEFAULT_GRANULARITY 16u

VkDeviceSize bpi_vk_range_granularity(const VkPhysicalDeviceMemoryProperties *props, uint32_t type_index,
                                      VkDeviceSize atom) {
    VkMemoryPropertyFlags f = props->memoryTypes[type_index].propertyFlags;
    bool non_coherent = (f & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) && !(f & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    if (!non_coherent || atom <= DEFAULT_GRANULARITY) return DEFAULT_GRANULARITY; /* 16 is whole atoms of <= 16 */
    /* Ranges of whole atoms: bpi_vk_sync_range widens a flush to atoms, which then stay inside
     * the buffer's own range (never a neighbour's bytes, which the GPU may be writing). */
    return (atom & (atom - 1)) == 0 ? atom : 0; /* 0: not a power of two, no blocks for this type */
}

/* The next block of a type (placement/block_growth.h), in whole atoms, so that a flush clamped
 * to the block's end is still valid. */
VkDeviceSize bpi_vk_next_block_size(VkDeviceSize block_size, uint32_t blocks, VkDeviceSize request,
                                    VkDeviceSize atom) {
    VkDeviceSize size = bpi_next_block_size(block_size, blocks, request, BPI_VK_MIN_BLOCK_SIZE);
    return atom > 1 ? size / atom * atom : size;
}

static void note_blocks(bp_vulkan_stats *s) {
    if (s->blocks > s->peak_blocks) s->peak_blocks = s->blocks;
}

/* A new block of `type` at the end of the list (creation order). */
static bp_result add_block(bp_vulkan_backend *vk, uint32_t type, VkDeviceSize granularity, VkDeviceSize request,
                           bpi_vk_block **out) {
    if (vk->block_count == vk->block_capacity) {
        uint32_t cap = vk->block_capacity ? vk->block_capacity * 2u : 8u;
        bpi_vk_block **grown = realloc(vk->blocks, (size_t)cap * sizeof *grown);
        if (!grown) return BP_ERR_OUT_OF_MEMORY;
        vk->blocks = grown;
        vk->block_capacity = cap;
    }
    bpi_vk_block *k = calloc(1, sizeof *k);
    if (!k) return BP_ERR_OUT_OF_MEMORY;
    k->type_index = type;
    k->size = bpi_vk_next_block_size(vk->desc.block_size, vk->type_blocks[type], request,
                                     vk->limits.nonCoherentAtomSize);
    bp_vblock_desc vd = {.size = k->size, .granularity = granularity, .name = "vulkan block"};
    if (bp_vblock_create(&vd, &k->ranges) != BP_OK) {
        free(k);
        return BP_ERR_OUT_OF_MEMORY;
    }
    VkMemoryRequirements req = {.size = k->size, .alignment = 1, .memoryTypeBits = 1u << type};
    bp_result r = bpi_vk_allocate(vk, &req, type, &k->memory);
    if (r != BP_OK) {
        bp_vblock_destroy(k->ranges);
        free(k);
        return r;
    }
    vk->blocks[vk->block_count++] = k;
    vk->type_blocks[type]++;
    bp_vulkan_stats *s = &vk->stats;
    s->blocks++;
    s->block_bytes += k->size;
    s->block_allocations++;
    note_blocks(s);
    *out = k;
    return BP_OK;
}

/* Free an empty block (vkFreeMemory unmaps it) and close its gap in the list. */
static void free_block(bp_vulkan_backend *vk, bpi_vk_block *k) {
    uint32_t i = 0;
    while (i < vk->block_count && vk->blocks[i] != k) i++;
    if (i == vk->block_count) return;
    memmove(vk->blocks + i, vk->blocks + i + 1, (size_t)(vk->block_count - i - 1) * sizeof *vk->blocks);
    vk->block_count--;
    vk->type_blocks[k->type_index]--;
    vk->stats.blocks--;
    vk->stats.block_bytes -= k->size;
    bpi_vk_free(vk, k->memory, k->size);
    bp_vblock_destroy(k->ranges);
    free(k);
}

bp_result bpi_vk_block_place(bp_vulkan_backend *vk, bpi_vk_buffer *b, const VkMemoryRequirements *req,
                             VkDeviceSize alignment, void **mapped) {
    uint32_t type = b->type_index;
    VkDeviceSize granularity = bpi_vk_range_granularity(&vk->mem_props, type, vk->limits.nonCoherentAtomSize);
    VkDeviceSize align = req->alignment > alignment ? req->alignment : alignment;
    if (align < 1) align = 1;
    VkDeviceSize quarter = vk->desc.block_size / 4;
    if (!granularity || req->size > quarter || align > quarter) return BP_ERR_UNSUPPORTED; /* dedicated */
    /* The first block of the type with room, in list order, then a new one: the newest
     * blocks take what the older ones cannot, so they are the ones that empty and are freed. */
    bpi_vk_block *k = NULL;
    bp_range range;
    bool fresh = false;
    for (uint32_t i = 0; i < vk->block_count && !k; i++) {
        bpi_vk_block *at = vk->blocks[i];
        if (at->type_index == type && bp_vblock_alloc(at->ranges, req->size, align, &range) == BP_OK) k = at;
    }
    if (!k) {
        bp_result added = add_block(vk, type, granularity, req->size + align, &k);
        if (added != BP_OK) return added;
        fresh = true;
        if (bp_vblock_alloc(k->ranges, req->size, align, &range) != BP_OK) { /* a block of 2 x (size + align) fits */
            free_block(vk, k);
            return BP_ERR_UNSUPPORTED;
        }
    }
    VkDevice dev = vk->desc.device;
    bp_result r = BP_OK;
    if (mapped && !k->mapped && vkMapMemory(dev, k->memory, 0, VK_WHOLE_SIZE, 0, &k->mapped) != VK_SUCCESS) {
        k->mapped = NULL;
        r = BP_ERR_BACKEND;
    }
    if (r == BP_OK && vkBindBufferMemory(dev, b->buffer, k->memory, range.offset) != VK_SUCCESS) r = BP_ERR_BACKEND;
    if (r != BP_OK) { /* as it was (but for a mapping of an existing block, which is harmless) */
        bp_vblock_free(k->ranges, range);
        if (fresh) free_block(vk, k);
        return r;
    }
    if (k->used++ == 0 && !fresh) vk->type_empty[type]--; /* the spare is in use again */
    b->block = k;
    b->range = range;
    b->memory = k->memory;
    b->memory_size = k->size;
    b->offset = range.offset;
    if (mapped) *mapped = (char *)k->mapped + range.offset;
    vk->stats.ranges++;
    vk->stats.range_bytes += req->size;
    return BP_OK;
}

void bpi_vk_block_free_range(bp_vulkan_backend *vk, bpi_vk_buffer *b) {
    bpi_vk_block *k = b->block;
    bp_vblock_free(k->ranges, b->range);
    vk->stats.ranges--;
    vk->stats.range_bytes -= b->range.size;
    b->block = NULL;
    if (--k->used) return;
    /* Keep one empty block per memory type (VMA keeps one per block vector), so a pool that
     * breathes does not allocate and free a block every few frames. */
    if (vk->type_empty[k->type_index]) free_block(vk, k);
    else vk->type_empty[k->type_index]++;
}

void bpi_vk_blocks_release(bp_vulkan_backend *vk) {
    while (vk->block_count) free_block(vk, vk->blocks[vk->block_count - 1]);
    free(vk->blocks);
    vk->blocks = NULL;
    vk->block_capacity = 0;
    memset(vk->type_empty, 0, sizeof vk->type_empty);
}
