/* Device memory: every vkAllocateMemory/vkFreeMemory goes through here so allocations are
 * counted and capped; host-visible helper buffers (staging ring, read-back); flush and
 * invalidate of mapped ranges widened to nonCoherentAtomSize. */
#include "backends/vulkan/vk_internal.h"

bp_result bpi_vk_allocate(bp_vulkan_backend *vk, const VkMemoryRequirements *req, uint32_t type_index,
                          VkDeviceMemory *out) {
    if (vk->stats.device_allocations >= vk->desc.max_allocations) return BP_ERR_CAPACITY;
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .allocationSize = req->size,
                               .memoryTypeIndex = type_index};
    VkResult vr = vkAllocateMemory(vk->desc.device, &ai, vk->desc.vk_allocator, out);
    if (vr != VK_SUCCESS)
        return vr == VK_ERROR_OUT_OF_HOST_MEMORY || vr == VK_ERROR_OUT_OF_DEVICE_MEMORY ? BP_ERR_OUT_OF_MEMORY
                                                                                        : BP_ERR_BACKEND;
    bp_vulkan_stats *s = &vk->stats;
    s->device_allocations++;
    s->allocations_total++;
    s->device_bytes += req->size;
    if (s->device_allocations > s->peak_device_allocations) s->peak_device_allocations = s->device_allocations;
    return BP_OK;
}

void bpi_vk_free(bp_vulkan_backend *vk, VkDeviceMemory memory, VkDeviceSize size) {
    if (memory == VK_NULL_HANDLE) return;
    vkFreeMemory(vk->desc.device, memory, vk->desc.vk_allocator);
    vk->stats.device_allocations--;
    vk->stats.frees_total++;
    vk->stats.device_bytes -= size;
}

bp_result bpi_vk_host_buffer_create(bp_vulkan_backend *vk, VkDeviceSize size, VkBufferUsageFlags usage,
                                    uint32_t memory, bpi_vk_host_buffer *out) {
    VkDevice dev = vk->desc.device;
    *out = (bpi_vk_host_buffer){0};
    VkBufferCreateInfo bi = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                             .size = size,
                             .usage = usage,
                             .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    if (vkCreateBuffer(dev, &bi, vk->desc.vk_allocator, &out->buffer) != VK_SUCCESS) return BP_ERR_BACKEND;
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(dev, out->buffer, &req);
    uint32_t used;
    uint32_t type = bpi_vk_pick_memory_type(&vk->mem_props, req.memoryTypeBits, memory, &used);
    bp_result r = type == BPI_VK_NO_TYPE || used == BP_MEMORY_DEVICE_LOCAL ? BP_ERR_UNSUPPORTED
                                                                            : bpi_vk_allocate(vk, &req, type, &out->memory);
    if (r == BP_OK && vkBindBufferMemory(dev, out->buffer, out->memory, 0) != VK_SUCCESS) r = BP_ERR_BACKEND;
    if (r == BP_OK && vkMapMemory(dev, out->memory, 0, VK_WHOLE_SIZE, 0, &out->mapped) != VK_SUCCESS)
        r = BP_ERR_BACKEND;
    if (r != BP_OK) {
        bpi_vk_free(vk, out->memory, req.size);
        vkDestroyBuffer(dev, out->buffer, vk->desc.vk_allocator);
        *out = (bpi_vk_host_buffer){0};
        return r;
    }
    out->size = req.size;
    out->coherent = (vk->mem_props.memoryTypes[type].propertyFlags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT) != 0;
    return BP_OK;
}

void bpi_vk_host_buffer_destroy(bp_vulkan_backend *vk, bpi_vk_host_buffer *b) {
    if (b->buffer == VK_NULL_HANDLE) return;
    vkDestroyBuffer(vk->desc.device, b->buffer, vk->desc.vk_allocator);
    bpi_vk_free(vk, b->memory, b->size); /* freeing unmaps */
    *b = (bpi_vk_host_buffer){0};
}

bp_result bpi_vk_sync_range(bp_vulkan_backend *vk, VkDeviceMemory memory, VkDeviceSize alloc_size,
                            uint64_t offset, uint64_t size, bool flush) {
    VkDeviceSize atom = vk->limits.nonCoherentAtomSize ? vk->limits.nonCoherentAtomSize : 1;
    VkDeviceSize begin = offset / atom * atom;
    VkDeviceSize end = (offset + size + atom - 1) / atom * atom;
    VkMappedMemoryRange range = {.sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE,
                                 .memory = memory,
                                 .offset = begin,
                                 /* the end of the allocation need not be a multiple of the atom */
                                 .size = end >= alloc_size ? VK_WHOLE_SIZE : end - begin};
    VkResult vr = flush ? vkFlushMappedMemoryRanges(vk->desc.device, 1, &range)
                        : vkInvalidateMappedMemoryRanges(vk->desc.device, 1, &range);
    return vr == VK_SUCCESS ? BP_OK : BP_ERR_BACKEND;
}
