/* The drawing half of examples/vk_instances.c: an offscreen colour target, a render pass, a
 * pipeline that draws one quad per instance from per-instance attributes, one descriptor set
 * and command buffer per frame in flight, and read-back of the image. */
#ifndef BP_EXAMPLE_VK_RENDERER_H
#define BP_EXAMPLE_VK_RENDERER_H

#include <stdbool.h>

#include "bufpool_vulkan.h"

#define RENDER_FRAMES 2u
#define INSTANCE_BYTES 80u /* mat4 model + vec4 colour, as in seed 000 */

typedef struct renderer {
    VkDevice device;
    VkQueue queue;
    uint32_t width, height;
    VkImage image;
    VkDeviceMemory image_memory;
    VkImageView view;
    VkRenderPass pass;
    VkFramebuffer framebuffer;
    VkDescriptorSetLayout set_layout;
    VkPipelineLayout layout;
    VkPipeline pipeline;
    VkDescriptorPool descriptor_pool;
    VkDescriptorSet sets[RENDER_FRAMES];
    VkCommandPool cmd_pool;
    VkCommandBuffer cmds[RENDER_FRAMES];
    VkFence fences[RENDER_FRAMES];
    bool submitted[RENDER_FRAMES];
    VkSemaphore timeline; /* signalled to frame + 1 when a frame's drawing is done (or NULL) */
} renderer;

bool renderer_create(renderer *r, const bp_vulkan_context *ctx, uint32_t width, uint32_t height);
void renderer_destroy(renderer *r);
/* Wait until frame slot `slot` may be reused (its previous submission finished). */
bool renderer_wait(renderer *r, uint32_t slot);
/* Point the slot's descriptor set at a uniform buffer (only when the binding changed). */
void renderer_bind_globals(renderer *r, uint32_t slot, VkBuffer ubo, VkDeviceSize size);
/* Begin the slot's command buffer and the render pass (clears the image). */
bool renderer_begin(renderer *r, uint32_t slot);
void renderer_draw(renderer *r, uint32_t slot, VkBuffer instances, uint32_t count);
/* End, submit (signalling the timeline to frame + 1 when there is one). */
bool renderer_submit(renderer *r, uint32_t slot, uint64_t frame);
/* Copy the image into a host-visible buffer (already mapped by the caller) and wait. */
bool renderer_read_back(renderer *r, VkBuffer dst);

#endif
