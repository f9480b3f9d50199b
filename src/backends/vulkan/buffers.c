/* Pooled VkBuffers: create (one allocation each, bound at offset 0, or a range of a block:
 * blocks.c), deferred destroy (which returns the range),
 * flush/invalidate of mapped non-coherent memory, and the backend's caps. */
#include <stdlib.h>
#include <string.h>

#include "backends/vulkan/vk_internal.h"

/* Its own allocation, bound at offset 0 (which satisfies req.alignment and any larger
 * alignment asked), mapped whole when `mapped` is wanted. Nothing changes on failure. */
static bp_result bind_dedicated(bp_vulkan_backend *vk, bpi_vk_buffer *b, const VkMemoryRequirements *req,
                                void **mapped) {
    VkDevice dev = vk->desc.device;
    bp_result r = bpi_vk_allocate(vk, req, b->type_index, &b->memory);
    if (r != BP_OK) return r;
    if (vkBindBufferMemory(dev, b->buffer, b->memory, 0) != VK_SUCCESS) r = BP_ERR_BACKEND;
    if (r == BP_OK && mapped && vkMapMemory(dev, b->memory, 0, VK_WHOLE_SIZE, 0, mapped) != VK_SUCCESS)
        r = BP_ERR_BACKEND;
    if (r != BP_OK) {
        bpi_vk_free(vk, b->memory, req->size);
        b->memory = VK_NULL_HANDLE;
        return r;
    }
    b->memory_size = req->size;
    b->offset = 0;
    vk->stats.dedicated++;
    vk->stats.dedicated_bytes += req->size;
    return BP_OK;
}

bp_result bpi_vk_create(void *user, const bp_backend_create_desc *d, bp_backend_buffer *out) {
    bp_vulkan_backend *vk = user;
    VkDevice dev = vk->desc.device;
    const VkAllocationCallbacks *ac = vk->desc.vk_allocator;
    /* One allocation per buffer: refuse before making the VkBuffer (a block may have room). */
    if (!vk->desc.block_size && vk->stats.device_allocations >= vk->desc.max_allocations) return BP_ERR_CAPACITY;
    bpi_vk_buffer *b = calloc(1, sizeof *b);
    if (!b) return BP_ERR_OUT_OF_MEMORY;
    VkBufferCreateInfo bi = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                             .size = d->size,
                             .usage = bpi_vk_usage_flags(d->usage),
                             .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    if (vkCreateBuffer(dev, &bi, ac, &b->buffer) != VK_SUCCESS) {
        free(b);
        return BP_ERR_BACKEND;
    }
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(dev, b->buffer, &req);
    uint32_t used = BP_MEMORY_DEVICE_LOCAL;
    b->type_index = bpi_vk_pick_memory_type(&vk->mem_props, req.memoryTypeBits, d->memory, &used);
    void *mapped = NULL, **want = used != BP_MEMORY_DEVICE_LOCAL ? &mapped : NULL;
    bp_result r = BP_ERR_UNSUPPORTED;
    if (b->type_index != BPI_VK_NO_TYPE) {
        if (vk->desc.block_size) r = bpi_vk_block_place(vk, b, &req, d->alignment, want);
        /* Too big for a block (or no new block could be had): an allocation of its own. */
        if (r == BP_ERR_UNSUPPORTED || r == BP_ERR_OUT_OF_MEMORY) r = bind_dedicated(vk, b, &req, want);
    }
    if (r != BP_OK) {
        vkDestroyBuffer(dev, b->buffer, ac);
        free(b);
        return r;
    }
    b->coherent = (vk->mem_props.memoryTypes[b->type_index].propertyFlags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT) != 0;
    vk->stats.memory_type_used[d->memory] = b->type_index;
    vk->stats.buffers++;
    out->native = (uint64_t)(uintptr_t)b->buffer;
    out->native_memory = (uint64_t)(uintptr_t)b->memory;
    out->offset = b->offset;
    out->capacity = d->size;
    out->mapped = mapped;
    out->memory = used;
    out->usage = d->usage;
    out->backend_data = b;
    return BP_OK;
}

static void destroy_now(bp_vulkan_backend *vk, bpi_vk_buffer *b) {
    vkDestroyBuffer(vk->desc.device, b->buffer, vk->desc.vk_allocator);
    if (b->block) {
        bpi_vk_block_free_range(vk, b);
    } else {
        bpi_vk_free(vk, b->memory, b->memory_size);
        vk->stats.dedicated--;
        vk->stats.dedicated_bytes -= b->memory_size;
    }
    vk->stats.buffers--;
    vk->stats.destroyed_total++;
    free(b);
}

/* Our copies recorded in frame f have completed (its slot's fence was waited, or is
 * signalled, or the slot has moved on to a later frame). */
static bool uploads_done(bp_vulkan_backend *vk, uint64_t f) {
    bpi_vk_frame *slot = &vk->frames[f % vk->desc.frames_in_flight];
    if (slot->frame != f || (!slot->recording && !slot->submitted)) return true;
    return !slot->recording && vkGetFenceStatus(vk->desc.device, slot->fence) == VK_SUCCESS;
}

int bpi_vk_frame_complete(void *user, uint64_t f) {
    bp_vulkan_backend *vk = user;
    if (vk->desc.frame_timeline == VK_NULL_HANDLE) return -1; /* the pool counts frames */
    uint64_t value = 0;
    if (!uploads_done(vk, f) ||
        vkGetSemaphoreCounterValue(vk->desc.device, vk->desc.frame_timeline, &value) != VK_SUCCESS)
        return 0;
    return value >= f + 1;
}

/* The GPU is done with what frame F recorded or drew: the application's timeline reached
 * F + 1, or, without one, frames_in_flight frames have begun since (and our copies of F are
 * complete either way). */
static bool frame_done(bp_vulkan_backend *vk, uint64_t f) {
    int c = bpi_vk_frame_complete(vk, f);
    if (c >= 0) return c == 1;
    return uploads_done(vk, f) && vk->frame >= f + vk->desc.frames_in_flight;
}

void bpi_vk_destroy_ready(bp_vulkan_backend *vk, bool everything) {
    /* The queue is in frame order: stop at the first frame that is not done. */
    while (vk->deferred_head && (everything || frame_done(vk, vk->deferred_head->retire_frame))) {
        bpi_vk_buffer *b = vk->deferred_head;
        vk->deferred_head = b->next_deferred;
        if (!vk->deferred_head) vk->deferred_tail = NULL;
        vk->stats.deferred_destroys--;
        destroy_now(vk, b);
    }
}

void bpi_vk_destroy(void *user, const bp_backend_buffer *buf) {
    bp_vulkan_backend *vk = user;
    bpi_vk_buffer *b = buf->backend_data;
    if (!vk->frames_seen) {
        /* No frames: nothing of the application's can still run; submit the copies still
         * recorded (they may name this buffer) and wait for all of ours. */
        bp_vulkan_submit_uploads(vk);
        for (uint32_t i = 0; i < vk->desc.frames_in_flight; i++) bpi_vk_frame_wait(vk, &vk->frames[i]);
        destroy_now(vk, b);
        return;
    }
    b->retire_frame = vk->frame;
    b->next_deferred = NULL;
    if (vk->deferred_tail) vk->deferred_tail->next_deferred = b;
    else vk->deferred_head = b;
    vk->deferred_tail = b;
    vk->stats.deferred_destroys++;
}

bp_result bpi_vk_flush(void *user, const bp_backend_buffer *buf, uint64_t offset, uint64_t size) {
    bp_vulkan_backend *vk = user;
    const bpi_vk_buffer *b = buf->backend_data;
    if (!buf->mapped || b->coherent) return BP_OK;
    return bpi_vk_sync_range(vk, b->memory, b->memory_size, b->offset + offset, size, true);
}

bp_result bpi_vk_invalidate(void *user, const bp_backend_buffer *buf, uint64_t offset, uint64_t size) {
    bp_vulkan_backend *vk = user;
    const bpi_vk_buffer *b = buf->backend_data;
    if (!buf->mapped || b->coherent) return BP_OK;
    return bpi_vk_sync_range(vk, b->memory, b->memory_size, b->offset + offset, size, false);
}

bp_result bpi_vk_query_caps(void *user, bp_backend_caps *out) {
    bp_vulkan_backend *vk = user;
    const VkPhysicalDeviceLimits *l = &vk->limits;
    memset(out, 0, sizeof *out);
    /* one allocation per buffer: no larger than one allocation may be, nor than a heap */
    VkDeviceSize heap = 0;
    for (uint32_t h = 0; h < vk->mem_props.memoryHeapCount; h++)
        if (vk->mem_props.memoryHeaps[h].size > heap) heap = vk->mem_props.memoryHeaps[h].size;
    out->max_buffer_size = vk->max_allocation_size && vk->max_allocation_size < heap ? vk->max_allocation_size : heap;
    uint64_t align = 16;
    if (l->minUniformBufferOffsetAlignment > align) align = l->minUniformBufferOffsetAlignment;
    if (l->minStorageBufferOffsetAlignment > align) align = l->minStorageBufferOffsetAlignment;
    if (l->nonCoherentAtomSize > align) align = l->nonCoherentAtomSize;
    out->min_alignment = align;
    out->usage_sensitive = 1;
    out->memory_kinds = (1u << BP_MEMORY_COUNT) - 1u; /* every kind, through fallbacks */
    /* The staging ring and the read-back buffer need one allocation each. The pool keeps its
     * buffer count under this cap; in block mode buffers share allocations, so the count of
     * buffers says nothing about allocations: no cap for the pool (a block or dedicated
     * allocation beyond max_allocations fails the create instead). */
    if (vk->desc.block_size) out->max_allocations = 0;
    else out->max_allocations = vk->desc.max_allocations > 2 ? vk->desc.max_allocations - 2 : 1;
    return BP_OK;
}
