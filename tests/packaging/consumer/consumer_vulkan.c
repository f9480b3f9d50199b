/* An installed Vulkan backend, used out of tree: a pool over a headless device when there is
   one (lavapipe here), else only the link and the "no device" answer are checked. */
#include <bufpool_vulkan.h>

#include "backend_roundtrip.h"

int main(void) {
    bp_vulkan_context *ctx = NULL;
    bp_vulkan_context_desc cd = {.app_name = "consumer_vulkan"};
    bp_result r = bp_vulkan_context_create_headless(&cd, &ctx);
    if (r == BP_ERR_UNSUPPORTED) {
        printf("consumer_vulkan ok: linked; no Vulkan device here (%s)\n", bp_vulkan_context_error());
        return 0;
    }
    bp_vulkan_desc vd = {0};
    bp_backend backend;
    if (r == BP_OK) {
        bp_vulkan_desc_from_context(ctx, &vd);
        r = bp_vulkan_backend_create(&vd, &backend, NULL);
    }
    if (r != BP_OK) {
        fprintf(stderr, "consumer_vulkan: %s\n", bp_result_string(r));
        bp_vulkan_context_destroy(ctx);
        return 1;
    }
    int rc = backend_roundtrip("vulkan", &backend, BP_MEMORY_HOST_VISIBLE);
    bp_vulkan_context_destroy(ctx);
    return rc;
}
