/* Vulkan test support: a headless lavapipe (or real) device with the Khronos validation
 * layer on; tests skip (CTest code 77) when there is no device, and fail on any message. */
#ifndef BP_VK_TEST_SUPPORT_H
#define BP_VK_TEST_SUPPORT_H

#include <stdio.h>

#include "bufpool_vulkan.h"
#include "test_support.h"

#define VK_SKIP_CODE 77

static bp_vulkan_context *vk_ctx;

/* Open the device once per test program; on failure print why and return the skip code. */
static inline int vk_open_or_skip(void) {
    bp_vulkan_context_desc cd = {.app_name = "bufpool-tests", .validation = true, .sync_validation = true};
    bp_result r = bp_vulkan_context_create_headless(&cd, &vk_ctx);
    if (r == BP_ERR_UNSUPPORTED) {
        printf("SKIPPED: no Vulkan device with validation: %s\n", bp_vulkan_context_error());
        return VK_SKIP_CODE;
    }
    if (r != BP_OK) {
        printf("FAILED: Vulkan context: %s: %s\n", bp_result_string(r), bp_vulkan_context_error());
        return 1;
    }
    printf("device: %s\n", vk_ctx->device_name);
    return 0;
}

/* A pool over the Vulkan backend; `vd` (may be NULL) overrides backend options. */
static inline bp_pool *vk_pool(bp_pool_desc *pd, const bp_vulkan_desc *vd, bp_vulkan_backend **out_vk) {
    bp_vulkan_desc d = vd ? *vd : (bp_vulkan_desc){0};
    bp_vulkan_desc_from_context(vk_ctx, &d);
    bp_pool_desc p = pd ? *pd : (bp_pool_desc){0};
    if (!d.frames_in_flight) d.frames_in_flight = p.frames_in_flight ? p.frames_in_flight : 2;
    bp_backend backend;
    assert_int_equal(bp_vulkan_backend_create(&d, &backend, out_vk), BP_OK);
    p.backend = &backend;
    bp_pool *pool = NULL;
    assert_int_equal(bp_pool_create(&p, &pool), BP_OK);
    return pool;
}

/* Every test ends here: invariants, pool destroyed, and not one validation message. */
static inline void vk_check_and_destroy(bp_pool *pool) {
    ts_check_and_destroy(pool);
    assert_int_equal(bp_vulkan_context_messages(vk_ctx), 0);
}

#endif
