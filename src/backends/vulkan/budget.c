/* Device budget: VK_EXT_memory_budget's per-heap budget and usage when the device has it,
 * else the heap sizes. Counted over device-local heaps (where buffers live); over every heap
 * when the device reports none as device-local. */
#include <string.h>

#include "backends/vulkan/vk_internal.h"

void bpi_vk_budget_from(const VkPhysicalDeviceMemoryProperties *props,
                        const VkPhysicalDeviceMemoryBudgetPropertiesEXT *ext, uint64_t own_bytes,
                        bp_backend_budget *out) {
    bool any_local = false;
    for (uint32_t h = 0; h < props->memoryHeapCount; h++)
        any_local |= (props->memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) != 0;
    memset(out, 0, sizeof *out);
    for (uint32_t h = 0; h < props->memoryHeapCount; h++) {
        if (any_local && !(props->memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)) continue;
        if (ext) {
            out->budget_bytes += ext->heapBudget[h];
            out->usage_bytes += ext->heapUsage[h];
        } else {
            /* Without the extension, leave a fifth of the heap to the rest of the system
             * (what VMA assumes too). */
            out->budget_bytes += props->memoryHeaps[h].size / 5 * 4;
        }
    }
    if (!ext) out->usage_bytes = own_bytes;
}

bp_result bpi_vk_query_budget(void *user, bp_backend_budget *out) {
    bp_vulkan_backend *vk = user;
    if (vk->desc.memory_budget_enabled) {
        VkPhysicalDeviceMemoryBudgetPropertiesEXT budget = {
            .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_BUDGET_PROPERTIES_EXT};
        VkPhysicalDeviceMemoryProperties2 props2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_PROPERTIES_2,
                                                    .pNext = &budget};
        vkGetPhysicalDeviceMemoryProperties2(vk->desc.physical_device, &props2);
        bpi_vk_budget_from(&props2.memoryProperties, &budget, vk->stats.device_bytes, out);
    } else {
        bpi_vk_budget_from(&vk->mem_props, NULL, vk->stats.device_bytes, out);
    }
    return BP_OK;
}
