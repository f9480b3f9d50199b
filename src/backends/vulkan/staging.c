/* Staging: a persistently mapped ring with one region per frame in flight, one command
 * buffer and fence per frame. Uploads to unmapped memory are copied into the region and
 * recorded as vkCmdCopyBuffer; bp_vulkan_submit_uploads (or the frame's end) submits them.
 * Transfer commands in one command buffer are separated by transfer->transfer barriers, and
 * the command buffer ends with a barrier that makes the copies visible to later submissions. */
#include <string.h>

#include "backends/vulkan/vk_internal.h"

bpi_vk_frame *bpi_vk_current_frame(bp_vulkan_backend *vk) {
    return &vk->frames[vk->frame % vk->desc.frames_in_flight];
}

bp_result bpi_vk_frame_wait(bp_vulkan_backend *vk, bpi_vk_frame *f) {
    if (!f->submitted) return BP_OK;
    if (vkWaitForFences(vk->desc.device, 1, &f->fence, VK_TRUE, UINT64_MAX) != VK_SUCCESS) return BP_ERR_BACKEND;
    if (vkResetFences(vk->desc.device, 1, &f->fence) != VK_SUCCESS) return BP_ERR_BACKEND;
    f->submitted = false; /* `used` is reset by the callers that start the region over */
    return BP_OK;
}

bp_result bpi_vk_frames_init(bp_vulkan_backend *vk) {
    VkDevice dev = vk->desc.device;
    const VkAllocationCallbacks *ac = vk->desc.vk_allocator;
    VkCommandPoolCreateInfo pi = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                  .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
                                  .queueFamilyIndex = vk->desc.queue_family};
    if (vkCreateCommandPool(dev, &pi, ac, &vk->cmd_pool) != VK_SUCCESS) return BP_ERR_BACKEND;
    uint32_t n = vk->desc.frames_in_flight;
    VkCommandBuffer cmds[BP_VULKAN_MAX_FRAMES + 1];
    VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                      .commandPool = vk->cmd_pool,
                                      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                      .commandBufferCount = n + 1};
    if (vkAllocateCommandBuffers(dev, &ai, cmds) != VK_SUCCESS) return BP_ERR_BACKEND;
    VkFenceCreateInfo fi = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    for (uint32_t i = 0; i <= n; i++) {
        VkFence *fence = i < n ? &vk->frames[i].fence : &vk->sync_fence;
        if (vkCreateFence(dev, &fi, ac, fence) != VK_SUCCESS) return BP_ERR_BACKEND;
        if (i < n) vk->frames[i].cmd = cmds[i];
    }
    vk->sync_cmd = cmds[n];
    return bpi_vk_host_buffer_create(vk, vk->desc.staging_bytes * n, VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
                                     BP_MEMORY_HOST_VISIBLE, &vk->staging);
}

void bpi_vk_frames_destroy(bp_vulkan_backend *vk) {
    VkDevice dev = vk->desc.device;
    const VkAllocationCallbacks *ac = vk->desc.vk_allocator;
    for (uint32_t i = 0; i < BP_VULKAN_MAX_FRAMES; i++)
        if (vk->frames[i].fence) vkDestroyFence(dev, vk->frames[i].fence, ac);
    if (vk->sync_fence) vkDestroyFence(dev, vk->sync_fence, ac);
    if (vk->cmd_pool) vkDestroyCommandPool(dev, vk->cmd_pool, ac); /* frees the command buffers */
    bpi_vk_host_buffer_destroy(vk, &vk->staging);
    bpi_vk_host_buffer_destroy(vk, &vk->readback);
}

static const VkAccessFlags all_reads_writes =
    VK_ACCESS_INDIRECT_COMMAND_READ_BIT | VK_ACCESS_INDEX_READ_BIT | VK_ACCESS_VERTEX_ATTRIBUTE_READ_BIT |
    VK_ACCESS_UNIFORM_READ_BIT | VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
    VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT | VK_ACCESS_HOST_READ_BIT;

static void barrier(VkCommandBuffer cmd, VkPipelineStageFlags dst_stage, VkAccessFlags dst_access) {
    VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                          .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                          .dstAccessMask = dst_access};
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, dst_stage, 0, 1, &mb, 0, NULL, 0, NULL);
}

/* The current frame's command buffer, begun; a transfer barrier before every command after
 * the first, so copies into or out of the same buffer are ordered. */
static bp_result begin_transfer(bp_vulkan_backend *vk, bpi_vk_frame *f) {
    if (!f->recording) {
        if (f->submitted) {
            /* uploads after this frame's submit: wait for it (a stall, counted); the staging
             * bytes reserved for this upload lie after the submitted ones, so `used` stays */
            bp_result r = bpi_vk_frame_wait(vk, f);
            if (r != BP_OK) return r;
            vk->stats.stalls++;
        }
        VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                       .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
        if (vkBeginCommandBuffer(f->cmd, &bi) != VK_SUCCESS) return BP_ERR_BACKEND;
        f->recording = true;
        f->commands = 0;
        f->frame = vk->frame;
    }
    if (f->commands++)
        barrier(f->cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT);
    return BP_OK;
}

static bp_result submit(bp_vulkan_backend *vk, bpi_vk_frame *f) {
    if (!f->recording) return BP_OK;
    barrier(f->cmd, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, all_reads_writes);
    f->recording = false;
    if (vkEndCommandBuffer(f->cmd) != VK_SUCCESS) return BP_ERR_BACKEND;
    VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1, .pCommandBuffers = &f->cmd};
    if (vkQueueSubmit(vk->desc.queue, 1, &si, f->fence) != VK_SUCCESS) return BP_ERR_BACKEND;
    f->submitted = true;
    vk->stats.submits++;
    return BP_OK;
}

bp_result bp_vulkan_submit_uploads(bp_vulkan_backend *vk) {
    if (!vk) return BP_ERR_INVALID_ARGUMENT;
    return submit(vk, bpi_vk_current_frame(vk));
}

/* Room for `want` bytes (at most a region) in the current frame's staging region; when it is
 * full, submit, wait and start over (a stall). */
static bp_result reserve(bp_vulkan_backend *vk, bpi_vk_frame *f, uint64_t want, VkDeviceSize *out_offset) {
    VkDeviceSize region = vk->desc.staging_bytes;
    if (f->used + want > region) {
        bp_result r = submit(vk, f);
        if (r == BP_OK) r = bpi_vk_frame_wait(vk, f);
        if (r != BP_OK) return r;
        vk->stats.stalls++;
        f->used = 0;
    }
    uint32_t index = (uint32_t)(f - vk->frames);
    *out_offset = region * index + f->used;
    f->used += (want + 15) & ~(VkDeviceSize)15; /* keep copies 16-byte aligned */
    return BP_OK;
}

bp_result bpi_vk_upload(void *user, const bp_backend_buffer *dst, uint64_t offset, const void *data, uint64_t size) {
    bp_vulkan_backend *vk = user;
    if (dst->mapped) {
        memcpy((char *)dst->mapped + offset, data, size);
        return bpi_vk_flush(user, dst, offset, size);
    }
    bpi_vk_frame *f = bpi_vk_current_frame(vk);
    const char *src = data;
    while (size) {
        uint64_t chunk = size < vk->desc.staging_bytes ? size : vk->desc.staging_bytes;
        VkDeviceSize at;
        bp_result r = reserve(vk, f, chunk, &at);
        if (r == BP_OK) r = begin_transfer(vk, f);
        if (r != BP_OK) return r;
        memcpy((char *)vk->staging.mapped + at, src, chunk);
        if (!vk->staging.coherent) {
            r = bpi_vk_sync_range(vk, vk->staging.memory, vk->staging.size, at, chunk, true);
            if (r != BP_OK) return r;
        }
        VkBufferCopy region = {.srcOffset = at, .dstOffset = offset, .size = chunk};
        vkCmdCopyBuffer(f->cmd, vk->staging.buffer, bp_vulkan_buffer(dst->native), 1, &region);
        vk->stats.staged_uploads++;
        vk->stats.staged_bytes += chunk;
        src += chunk;
        offset += chunk;
        size -= chunk;
    }
    return BP_OK;
}

bp_result bpi_vk_copy(void *user, const bp_backend_buffer *src, uint64_t src_offset, const bp_backend_buffer *dst,
                      uint64_t dst_offset, uint64_t size) {
    bp_vulkan_backend *vk = user;
    if (src->mapped && dst->mapped) {
        /* both host memory: the CPU copies, after the GPU's writes to src are visible */
        bp_result r = bpi_vk_invalidate(user, src, src_offset, size);
        if (r != BP_OK) return r;
        memmove((char *)dst->mapped + dst_offset, (const char *)src->mapped + src_offset, size); /* may overlap */
        return bpi_vk_flush(user, dst, dst_offset, size);
    }
    bpi_vk_frame *f = bpi_vk_current_frame(vk);
    /* Overlapping ranges of one buffer are invalid in one vkCmdCopyBuffer: copy like memmove,
     * in chunks no longer than the distance, walking away from the destination (each chunk
     * is ordered after the previous one by begin_transfer's barrier). */
    uint64_t chunk = size;
    bool backwards = false;
    if (src->native == dst->native) {
        if (src_offset == dst_offset) return BP_OK;
        uint64_t distance = src_offset > dst_offset ? src_offset - dst_offset : dst_offset - src_offset;
        if (distance < size) chunk = distance;
        backwards = dst_offset > src_offset;
    }
    for (uint64_t done = 0; done < size;) {
        uint64_t n = size - done < chunk ? size - done : chunk;
        uint64_t at = backwards ? size - done - n : done;
        bp_result r = begin_transfer(vk, f);
        if (r != BP_OK) return r;
        VkBufferCopy region = {.srcOffset = src_offset + at, .dstOffset = dst_offset + at, .size = n};
        vkCmdCopyBuffer(f->cmd, bp_vulkan_buffer(src->native), bp_vulkan_buffer(dst->native), 1, &region);
        done += n;
    }
    return BP_OK;
}

/* Read back through a host-cached buffer: submit pending uploads, copy, wait, invalidate. */
bp_result bpi_vk_download(void *user, const bp_backend_buffer *src, uint64_t offset, void *data, uint64_t size) {
    bp_vulkan_backend *vk = user;
    bp_result r = submit(vk, bpi_vk_current_frame(vk));
    if (r != BP_OK) return r;
    if (src->mapped) {
        /* our copies into it must be complete before the CPU reads */
        for (uint32_t i = 0; i < vk->desc.frames_in_flight && r == BP_OK; i++) r = bpi_vk_frame_wait(vk, &vk->frames[i]);
        if (r == BP_OK) r = bpi_vk_invalidate(user, src, offset, size);
        if (r == BP_OK) memcpy(data, (const char *)src->mapped + offset, size);
        return r;
    }
    VkDeviceSize want = size < (4u << 20) ? size : (4u << 20);
    if (vk->readback.size < want) {
        bpi_vk_host_buffer_destroy(vk, &vk->readback);
        r = bpi_vk_host_buffer_create(vk, want, VK_BUFFER_USAGE_TRANSFER_DST_BIT, BP_MEMORY_HOST_CACHED, &vk->readback);
        if (r != BP_OK) return r;
    }
    char *out = data;
    while (size) {
        uint64_t chunk = size < vk->readback.size ? size : vk->readback.size;
        VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                       .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
        if (vkBeginCommandBuffer(vk->sync_cmd, &bi) != VK_SUCCESS) return BP_ERR_BACKEND;
        VkBufferCopy region = {.srcOffset = offset, .dstOffset = 0, .size = chunk};
        vkCmdCopyBuffer(vk->sync_cmd, bp_vulkan_buffer(src->native), vk->readback.buffer, 1, &region);
        barrier(vk->sync_cmd, VK_PIPELINE_STAGE_HOST_BIT, VK_ACCESS_HOST_READ_BIT);
        if (vkEndCommandBuffer(vk->sync_cmd) != VK_SUCCESS) return BP_ERR_BACKEND;
        VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1,
                           .pCommandBuffers = &vk->sync_cmd};
        if (vkQueueSubmit(vk->desc.queue, 1, &si, vk->sync_fence) != VK_SUCCESS) return BP_ERR_BACKEND;
        vk->stats.submits++;
        if (vkWaitForFences(vk->desc.device, 1, &vk->sync_fence, VK_TRUE, UINT64_MAX) != VK_SUCCESS ||
            vkResetFences(vk->desc.device, 1, &vk->sync_fence) != VK_SUCCESS)
            return BP_ERR_BACKEND;
        if (!vk->readback.coherent) {
            r = bpi_vk_sync_range(vk, vk->readback.memory, vk->readback.size, 0, chunk, false);
            if (r != BP_OK) return r;
        }
        memcpy(out, vk->readback.mapped, chunk);
        out += chunk;
        offset += chunk;
        size -= chunk;
    }
    return BP_OK;
}
