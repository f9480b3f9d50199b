/* `--backend vulkan`: a headless device (lavapipe when there is no GPU) under the pool; with
 * `--vk-validation` the Khronos validation layer is on and any message fails the run. */
#include <stdio.h>

#include "bufpool_vulkan.h"
#include "tool.h"

static bp_vulkan_context *ctx;

bool tool_vulkan_backend(const tool_opts *o, uint32_t frames_in_flight, bp_backend *out) {
    bp_vulkan_context_desc cd = {.app_name = "bufpool", .validation = o->vk_validation,
                                 .sync_validation = o->vk_validation};
    bp_result r = bp_vulkan_context_create_headless(&cd, &ctx);
    if (r != BP_OK) {
        fprintf(stderr, "bufpool: cannot open a Vulkan device: %s (%s)\n", bp_vulkan_context_error(), bp_result_string(r));
        return false;
    }
    bp_vulkan_desc d = {.frames_in_flight = frames_in_flight, .block_size = tool_block_bytes(o)};
    bp_vulkan_desc_from_context(ctx, &d);
    r = bp_vulkan_backend_create(&d, out, NULL);
    if (r != BP_OK) {
        fprintf(stderr, "bufpool: cannot create the Vulkan backend: %s\n", bp_result_string(r));
        bp_vulkan_context_destroy(ctx);
        ctx = NULL;
    }
    return r == BP_OK;
}

int tool_vulkan_finish(void) {
    if (!ctx) return 0;
    uint32_t messages = bp_vulkan_context_messages(ctx);
    bp_vulkan_context_destroy(ctx);
    ctx = NULL;
    if (!messages) return 0;
    fprintf(stderr, "bufpool: %u Vulkan validation messages\n", messages);
    return 1;
}
