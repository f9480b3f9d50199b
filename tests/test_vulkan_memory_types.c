/* Memory strategy -> memory type choice and the budget arithmetic, on made-up memory
 * properties of a discrete GPU, a UMA GPU and lavapipe. Needs no device. */
#include "backends/vulkan/vk_internal.h"
#include "test_support.h"

#define DL VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT
#define HV VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT
#define HC VK_MEMORY_PROPERTY_HOST_COHERENT_BIT
#define CA VK_MEMORY_PROPERTY_HOST_CACHED_BIT

static VkPhysicalDeviceMemoryProperties props(const VkMemoryPropertyFlags *types, uint32_t n) {
    VkPhysicalDeviceMemoryProperties p;
    memset(&p, 0, sizeof p);
    p.memoryTypeCount = n;
    p.memoryHeapCount = 2;
    p.memoryHeaps[0] = (VkMemoryHeap){.size = 8ull << 30, .flags = VK_MEMORY_HEAP_DEVICE_LOCAL_BIT};
    p.memoryHeaps[1] = (VkMemoryHeap){.size = 16ull << 30, .flags = 0};
    for (uint32_t i = 0; i < n; i++)
        p.memoryTypes[i] = (VkMemoryType){.propertyFlags = types[i], .heapIndex = (types[i] & DL) ? 0u : 1u};
    return p;
}

static uint32_t pick(const VkPhysicalDeviceMemoryProperties *p, uint32_t bits, bp_memory m, uint32_t *used) {
    return bpi_vk_pick_memory_type(p, bits, m, used);
}

static void discrete_gpu(void **state) {
    (void)state;
    /* 0 VRAM, 1 system coherent (write-combined), 2 system cached+coherent, 3 BAR (DL+HV+HC) */
    const VkMemoryPropertyFlags t[] = {DL, HV | HC, HV | HC | CA, DL | HV | HC};
    VkPhysicalDeviceMemoryProperties p = props(t, 4);
    uint32_t used;
    assert_int_equal(pick(&p, 0xF, BP_MEMORY_DEVICE_LOCAL, &used), 0);
    assert_int_equal(used, BP_MEMORY_DEVICE_LOCAL);
    assert_int_equal(pick(&p, 0xF, BP_MEMORY_HOST_VISIBLE, &used), 1); /* uncached, first */
    assert_int_equal(used, BP_MEMORY_HOST_VISIBLE);
    assert_int_equal(pick(&p, 0xF, BP_MEMORY_HOST_CACHED, &used), 2);
    assert_int_equal(used, BP_MEMORY_HOST_CACHED);
    /* the buffer's memoryTypeBits rule: without type 0, device-local falls to the BAR type */
    assert_int_equal(pick(&p, 0xE, BP_MEMORY_DEVICE_LOCAL, &used), 3);
    assert_int_equal(used, BP_MEMORY_DEVICE_LOCAL);
    /* only VRAM allowed: host kinds are impossible */
    assert_int_equal(pick(&p, 0x1, BP_MEMORY_HOST_VISIBLE, &used), BPI_VK_NO_TYPE);
}

static void fallbacks_report_what_was_used(void **state) {
    (void)state;
    uint32_t used;
    /* no cached type: host-cached falls back to coherent memory, reported host-visible */
    const VkMemoryPropertyFlags a[] = {DL, HV | HC};
    VkPhysicalDeviceMemoryProperties p = props(a, 2);
    assert_int_equal(pick(&p, 0x3, BP_MEMORY_HOST_CACHED, &used), 1);
    assert_int_equal(used, BP_MEMORY_HOST_VISIBLE);
    /* no coherent type: host-visible falls back to non-coherent, reported host-cached (flushes) */
    const VkMemoryPropertyFlags b[] = {DL, HV | CA};
    p = props(b, 2);
    assert_int_equal(pick(&p, 0x3, BP_MEMORY_HOST_VISIBLE, &used), 1);
    assert_int_equal(used, BP_MEMORY_HOST_CACHED);
    /* no device-local type at all: device-local falls back to mapped host memory */
    const VkMemoryPropertyFlags c[] = {HV | HC | CA, HV | HC};
    p = props(c, 2);
    assert_int_equal(pick(&p, 0x3, BP_MEMORY_DEVICE_LOCAL, &used), 1); /* uncached preferred */
    assert_int_equal(used, BP_MEMORY_HOST_VISIBLE);
    /* protected memory is never chosen */
    const VkMemoryPropertyFlags d[] = {DL | VK_MEMORY_PROPERTY_PROTECTED_BIT, DL};
    p = props(d, 2);
    assert_int_equal(pick(&p, 0x3, BP_MEMORY_DEVICE_LOCAL, &used), 1);
}

static void uma_and_lavapipe(void **state) {
    (void)state;
    uint32_t used;
    const VkMemoryPropertyFlags uma[] = {DL, DL | HV | HC, DL | HV | HC | CA};
    VkPhysicalDeviceMemoryProperties p = props(uma, 3);
    assert_int_equal(pick(&p, 0x7, BP_MEMORY_DEVICE_LOCAL, &used), 0);
    assert_int_equal(pick(&p, 0x7, BP_MEMORY_HOST_VISIBLE, &used), 1);
    assert_int_equal(pick(&p, 0x7, BP_MEMORY_HOST_CACHED, &used), 2);
    assert_int_equal(used, BP_MEMORY_HOST_CACHED);
    const VkMemoryPropertyFlags lvp[] = {DL | HV | HC | CA}; /* lavapipe: one type for all */
    p = props(lvp, 1);
    for (unsigned m = 0; m < BP_MEMORY_COUNT; m++) {
        assert_int_equal(pick(&p, 0x1, (bp_memory)m, &used), 0);
        assert_int_equal(used, m); /* each strategy is met by the one type */
    }
}

static void usage_flags(void **state) {
    (void)state;
    VkBufferUsageFlags f = bpi_vk_usage_flags(BP_USAGE_VERTEX | BP_USAGE_UNIFORM);
    assert_true(f & VK_BUFFER_USAGE_VERTEX_BUFFER_BIT);
    assert_true(f & VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT);
    assert_false(f & VK_BUFFER_USAGE_INDEX_BUFFER_BIT);
    assert_false(f & VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
    assert_true(f & VK_BUFFER_USAGE_TRANSFER_DST_BIT); /* staging target */
    f = bpi_vk_usage_flags(BP_USAGE_ALL);
    assert_true(f & VK_BUFFER_USAGE_INDIRECT_BUFFER_BIT);
    assert_true(f & VK_BUFFER_USAGE_INDEX_BUFFER_BIT);
    assert_true(f & VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
}

static void budget_arithmetic(void **state) {
    (void)state;
    const VkMemoryPropertyFlags t[] = {DL, HV | HC};
    VkPhysicalDeviceMemoryProperties p = props(t, 2);
    bp_backend_budget b;
    bpi_vk_budget_from(&p, NULL, 12345, &b); /* heap sizes: 80% of the device-local heap */
    assert_int_equal(b.budget_bytes, (8ull << 30) / 5 * 4);
    assert_int_equal(b.usage_bytes, 12345);
    VkPhysicalDeviceMemoryBudgetPropertiesEXT e;
    memset(&e, 0, sizeof e);
    e.heapBudget[0] = 6ull << 30;
    e.heapUsage[0] = 1ull << 30;
    e.heapBudget[1] = 9ull << 30; /* system heap: not counted */
    bpi_vk_budget_from(&p, &e, 12345, &b);
    assert_int_equal(b.budget_bytes, 6ull << 30);
    assert_int_equal(b.usage_bytes, 1ull << 30);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(discrete_gpu),
        cmocka_unit_test(fallbacks_report_what_was_used),
        cmocka_unit_test(uma_and_lavapipe),
        cmocka_unit_test(usage_flags),
        cmocka_unit_test(budget_arithmetic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
