/* The Vulkan backend's constructor and frame hooks: frame_begin waits for the fence of the
 * frame slot it reuses and frees deferred destroys whose frame the GPU has finished;
 * frame_end submits uploads still recorded; release waits for the queue and frees all. */
#include <stdlib.h>
#include <string.h>

#include "backends/vulkan/vk_internal.h"

static void vk_frame_begin(void *user, uint64_t frame) {
    bp_vulkan_backend *vk = user;
    vk->frame = frame;
    vk->frames_seen = true;
    bpi_vk_frame *f = bpi_vk_current_frame(vk);
    /* A failed wait leaves `submitted` set; frame_done then keeps those buffers alive. */
    if (!f->recording && bpi_vk_frame_wait(vk, f) == BP_OK) f->used = 0;
    bpi_vk_destroy_ready(vk, false);
}

static void vk_frame_end(void *user, uint64_t frame) {
    bp_vulkan_backend *vk = user;
    (void)frame;
    bp_vulkan_submit_uploads(vk);
}

static void vk_release(void *user) {
    bp_vulkan_backend *vk = user;
    bp_vulkan_submit_uploads(vk);
    /* The pool is going away: everything it destroyed may go once the queue is idle. */
    vkQueueWaitIdle(vk->desc.queue);
    for (uint32_t i = 0; i < vk->desc.frames_in_flight; i++) bpi_vk_frame_wait(vk, &vk->frames[i]);
    bpi_vk_destroy_ready(vk, true);
    bpi_vk_blocks_release(vk); /* every buffer is gone: only the spares are left */
    bpi_vk_frames_destroy(vk);
    free(vk);
}

void bp_vulkan_get_stats(const bp_vulkan_backend *vk, bp_vulkan_stats *out) {
    if (!out) return;
    if (!vk) {
        memset(out, 0, sizeof *out);
        return;
    }
    *out = vk->stats;
}

bp_result bp_vulkan_backend_create(const bp_vulkan_desc *desc, bp_backend *out, bp_vulkan_backend **out_vk) {
    if (out_vk) *out_vk = NULL;
    if (!desc || !out || !desc->instance || !desc->physical_device || !desc->device || !desc->queue ||
        desc->frames_in_flight > BP_VULKAN_MAX_FRAMES)
        return BP_ERR_INVALID_ARGUMENT;
    /* A family the device lacks would reach vkCreateCommandPool (a validation error). */
    uint32_t families = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(desc->physical_device, &families, NULL);
    if (desc->queue_family >= families) return BP_ERR_INVALID_ARGUMENT;
    /* staging_bytes is rounded up and multiplied by frames_in_flight: refuse sizes that wrap. */
    if (desc->staging_bytes > (UINT64_MAX - 255) / BP_VULKAN_MAX_FRAMES) return BP_ERR_INVALID_ARGUMENT;
    bp_vulkan_backend *vk = calloc(1, sizeof *vk);
    if (!vk) return BP_ERR_OUT_OF_MEMORY;
    vk->desc = *desc;
    if (!vk->desc.frames_in_flight) vk->desc.frames_in_flight = 2;
    if (!vk->desc.staging_bytes) vk->desc.staging_bytes = 4u << 20;
    vk->desc.staging_bytes = (vk->desc.staging_bytes + 255) & ~(uint64_t)255;
    VkPhysicalDeviceMaintenance3Properties m3 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES};
    VkPhysicalDeviceProperties2 props2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &m3};
    vkGetPhysicalDeviceProperties2(desc->physical_device, &props2);
    const VkPhysicalDeviceProperties props = props2.properties;
    vk->max_allocation_size = m3.maxMemoryAllocationSize;
    if (vk->max_allocation_size && vk->desc.staging_bytes > vk->max_allocation_size / vk->desc.frames_in_flight) {
        free(vk); /* the ring is one allocation: it could never be made */
        return BP_ERR_INVALID_ARGUMENT;
    }
    vk->limits = props.limits;
    if (vk->desc.block_size) {
        VkDeviceSize atom = props.limits.nonCoherentAtomSize > 1 ? props.limits.nonCoherentAtomSize : 1;
        vk->desc.block_size -= vk->desc.block_size % atom; /* blocks of whole atoms */
        if (vk->desc.block_size < BPI_VK_MIN_BLOCK_SIZE ||
            (vk->max_allocation_size && vk->desc.block_size > vk->max_allocation_size)) {
            free(vk);
            return BP_ERR_INVALID_ARGUMENT;
        }
    }
    vk->api_version = props.apiVersion;
    if (!vk->desc.max_allocations || vk->desc.max_allocations > props.limits.maxMemoryAllocationCount)
        vk->desc.max_allocations = props.limits.maxMemoryAllocationCount;
    vkGetPhysicalDeviceMemoryProperties(desc->physical_device, &vk->mem_props);
    for (uint32_t m = 0; m < BP_MEMORY_COUNT; m++) vk->stats.memory_type_used[m] = BPI_VK_NO_TYPE;
    bp_result r = bpi_vk_frames_init(vk);
    if (r != BP_OK) {
        bpi_vk_frames_destroy(vk);
        free(vk);
        return r == BP_ERR_OUT_OF_MEMORY ? r : BP_ERR_BACKEND;
    }
    bp_backend_init(out, "vulkan", vk);
    out->create = bpi_vk_create;
    out->destroy = bpi_vk_destroy;
    out->query_caps = bpi_vk_query_caps;
    out->flush = bpi_vk_flush;
    out->invalidate = bpi_vk_invalidate;
    out->upload = bpi_vk_upload;
    out->download = bpi_vk_download;
    out->copy = bpi_vk_copy;
    out->query_budget = bpi_vk_query_budget;
    out->frame_begin = vk_frame_begin;
    out->frame_end = vk_frame_end;
    out->release = vk_release;
    out->frame_complete = bpi_vk_frame_complete;
    if (out_vk) *out_vk = vk;
    return BP_OK;
}
