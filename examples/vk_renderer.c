/* The drawing half of examples/vk_instances.c (see vk_renderer.h). Plain Vulkan 1.1/1.2: an
 * RGBA8 image, a one-subpass render pass whose external dependencies order each frame's
 * clear after the previous frame's writes and read-back, and a graphics pipeline built from
 * SPIR-V compiled at build time by glslangValidator. */
#include "vk_renderer.h"

#include <stdio.h>
#include <string.h>

#include "instances_frag.h"
#include "instances_vert.h"

#define FORMAT VK_FORMAT_R8G8B8A8_UNORM
#define CHECK(call)                                                                  \
    do {                                                                             \
        VkResult vr_ = (call);                                                       \
        if (vr_ != VK_SUCCESS) {                                                     \
            fprintf(stderr, "vk_instances: %s failed (VkResult %d)\n", #call, vr_);  \
            return false;                                                            \
        }                                                                            \
    } while (0)

static bool find_type(const bp_vulkan_context *ctx, uint32_t bits, VkMemoryPropertyFlags want, uint32_t *out) {
    VkPhysicalDeviceMemoryProperties mp;
    vkGetPhysicalDeviceMemoryProperties(ctx->physical_device, &mp);
    for (uint32_t i = 0; i < mp.memoryTypeCount; i++)
        if ((bits & (1u << i)) && (mp.memoryTypes[i].propertyFlags & want) == want) {
            *out = i;
            return true;
        }
    return false;
}

static bool create_target(renderer *r, const bp_vulkan_context *ctx) {
    VkImageCreateInfo ii = {.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
                            .imageType = VK_IMAGE_TYPE_2D,
                            .format = FORMAT,
                            .extent = {r->width, r->height, 1},
                            .mipLevels = 1,
                            .arrayLayers = 1,
                            .samples = VK_SAMPLE_COUNT_1_BIT,
                            .tiling = VK_IMAGE_TILING_OPTIMAL,
                            .usage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT,
                            .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED};
    CHECK(vkCreateImage(r->device, &ii, NULL, &r->image));
    VkMemoryRequirements req;
    vkGetImageMemoryRequirements(r->device, r->image, &req);
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, .allocationSize = req.size};
    if (!find_type(ctx, req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, &ai.memoryTypeIndex) &&
        !find_type(ctx, req.memoryTypeBits, 0, &ai.memoryTypeIndex))
        return false;
    CHECK(vkAllocateMemory(r->device, &ai, NULL, &r->image_memory));
    CHECK(vkBindImageMemory(r->device, r->image, r->image_memory, 0));
    VkImageViewCreateInfo vi = {.sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
                                .image = r->image,
                                .viewType = VK_IMAGE_VIEW_TYPE_2D,
                                .format = FORMAT,
                                .subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1}};
    CHECK(vkCreateImageView(r->device, &vi, NULL, &r->view));
    VkAttachmentDescription att = {.format = FORMAT,
                                   .samples = VK_SAMPLE_COUNT_1_BIT,
                                   .loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR,
                                   .storeOp = VK_ATTACHMENT_STORE_OP_STORE,
                                   .stencilLoadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE,
                                   .stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE,
                                   .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED,
                                   .finalLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL};
    VkAttachmentReference ref = {0, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL};
    VkSubpassDescription sub = {.pipelineBindPoint = VK_PIPELINE_BIND_POINT_GRAPHICS,
                                .colorAttachmentCount = 1,
                                .pColorAttachments = &ref};
    VkSubpassDependency deps[2] = {
        /* in: after the previous frame's colour writes and read-back of the same image */
        {.srcSubpass = VK_SUBPASS_EXTERNAL,
         .dstSubpass = 0,
         .srcStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
         .dstStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT,
         .srcAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT,
         .dstAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT | VK_ACCESS_COLOR_ATTACHMENT_READ_BIT},
        /* out: the image is read by a transfer */
        {.srcSubpass = 0,
         .dstSubpass = VK_SUBPASS_EXTERNAL,
         .srcStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT,
         .dstStageMask = VK_PIPELINE_STAGE_TRANSFER_BIT,
         .srcAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT,
         .dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT}};
    VkRenderPassCreateInfo pi = {.sType = VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO,
                                 .attachmentCount = 1,
                                 .pAttachments = &att,
                                 .subpassCount = 1,
                                 .pSubpasses = &sub,
                                 .dependencyCount = 2,
                                 .pDependencies = deps};
    CHECK(vkCreateRenderPass(r->device, &pi, NULL, &r->pass));
    VkFramebufferCreateInfo fi = {.sType = VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO,
                                  .renderPass = r->pass,
                                  .attachmentCount = 1,
                                  .pAttachments = &r->view,
                                  .width = r->width,
                                  .height = r->height,
                                  .layers = 1};
    CHECK(vkCreateFramebuffer(r->device, &fi, NULL, &r->framebuffer));
    return true;
}

static bool create_pipeline(renderer *r) {
    VkDescriptorSetLayoutBinding b = {0, VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, 1, VK_SHADER_STAGE_VERTEX_BIT, NULL};
    VkDescriptorSetLayoutCreateInfo si = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
                                          .bindingCount = 1,
                                          .pBindings = &b};
    CHECK(vkCreateDescriptorSetLayout(r->device, &si, NULL, &r->set_layout));
    VkPipelineLayoutCreateInfo li = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                     .setLayoutCount = 1,
                                     .pSetLayouts = &r->set_layout};
    CHECK(vkCreatePipelineLayout(r->device, &li, NULL, &r->layout));
    VkShaderModule vs, fs;
    VkShaderModuleCreateInfo mi = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                   .codeSize = sizeof instances_vert,
                                   .pCode = instances_vert};
    CHECK(vkCreateShaderModule(r->device, &mi, NULL, &vs));
    mi.codeSize = sizeof instances_frag;
    mi.pCode = instances_frag;
    CHECK(vkCreateShaderModule(r->device, &mi, NULL, &fs));
    VkPipelineShaderStageCreateInfo stages[2] = {
        {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO, .stage = VK_SHADER_STAGE_VERTEX_BIT,
         .module = vs, .pName = "main"},
        {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO, .stage = VK_SHADER_STAGE_FRAGMENT_BIT,
         .module = fs, .pName = "main"}};
    VkVertexInputBindingDescription vb = {0, INSTANCE_BYTES, VK_VERTEX_INPUT_RATE_INSTANCE};
    VkVertexInputAttributeDescription attrs[5];
    for (uint32_t i = 0; i < 5; i++) attrs[i] = (VkVertexInputAttributeDescription){i, 0, VK_FORMAT_R32G32B32A32_SFLOAT, i * 16};
    VkPipelineVertexInputStateCreateInfo vi = {.sType = VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO,
                                               .vertexBindingDescriptionCount = 1,
                                               .pVertexBindingDescriptions = &vb,
                                               .vertexAttributeDescriptionCount = 5,
                                               .pVertexAttributeDescriptions = attrs};
    VkPipelineInputAssemblyStateCreateInfo ia = {.sType = VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO,
                                                 .topology = VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST};
    VkViewport viewport = {0, 0, (float)r->width, (float)r->height, 0, 1};
    VkRect2D scissor = {{0, 0}, {r->width, r->height}};
    VkPipelineViewportStateCreateInfo vp = {.sType = VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO,
                                            .viewportCount = 1, .pViewports = &viewport,
                                            .scissorCount = 1, .pScissors = &scissor};
    VkPipelineRasterizationStateCreateInfo rs = {.sType = VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO,
                                                 .polygonMode = VK_POLYGON_MODE_FILL,
                                                 .cullMode = VK_CULL_MODE_NONE,
                                                 .lineWidth = 1.0f};
    VkPipelineMultisampleStateCreateInfo ms = {.sType = VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO,
                                               .rasterizationSamples = VK_SAMPLE_COUNT_1_BIT};
    VkPipelineColorBlendAttachmentState blend = {.colorWriteMask = 0xF};
    VkPipelineColorBlendStateCreateInfo cb = {.sType = VK_STRUCTURE_TYPE_PIPELINE_COLOR_BLEND_STATE_CREATE_INFO,
                                              .attachmentCount = 1, .pAttachments = &blend};
    VkGraphicsPipelineCreateInfo gi = {.sType = VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO,
                                       .stageCount = 2, .pStages = stages,
                                       .pVertexInputState = &vi, .pInputAssemblyState = &ia,
                                       .pViewportState = &vp, .pRasterizationState = &rs,
                                       .pMultisampleState = &ms, .pColorBlendState = &cb,
                                       .layout = r->layout, .renderPass = r->pass, .subpass = 0};
    VkResult vr = vkCreateGraphicsPipelines(r->device, VK_NULL_HANDLE, 1, &gi, NULL, &r->pipeline);
    vkDestroyShaderModule(r->device, vs, NULL);
    vkDestroyShaderModule(r->device, fs, NULL);
    CHECK(vr);
    return true;
}

static bool create_frames(renderer *r, const bp_vulkan_context *ctx) {
    VkDescriptorPoolSize size = {VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, RENDER_FRAMES};
    VkDescriptorPoolCreateInfo dp = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                     .maxSets = RENDER_FRAMES, .poolSizeCount = 1, .pPoolSizes = &size};
    CHECK(vkCreateDescriptorPool(r->device, &dp, NULL, &r->descriptor_pool));
    VkDescriptorSetLayout layouts[RENDER_FRAMES];
    for (uint32_t i = 0; i < RENDER_FRAMES; i++) layouts[i] = r->set_layout;
    VkDescriptorSetAllocateInfo da = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                      .descriptorPool = r->descriptor_pool,
                                      .descriptorSetCount = RENDER_FRAMES, .pSetLayouts = layouts};
    CHECK(vkAllocateDescriptorSets(r->device, &da, r->sets));
    VkCommandPoolCreateInfo cp = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                  .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
                                  .queueFamilyIndex = ctx->queue_family};
    CHECK(vkCreateCommandPool(r->device, &cp, NULL, &r->cmd_pool));
    VkCommandBufferAllocateInfo ca = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                      .commandPool = r->cmd_pool, .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                      .commandBufferCount = RENDER_FRAMES};
    CHECK(vkAllocateCommandBuffers(r->device, &ca, r->cmds));
    VkFenceCreateInfo fi = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    for (uint32_t i = 0; i < RENDER_FRAMES; i++) CHECK(vkCreateFence(r->device, &fi, NULL, &r->fences[i]));
    if (ctx->timeline_semaphores) {
        VkSemaphoreTypeCreateInfo ti = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO,
                                        .semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE};
        VkSemaphoreCreateInfo si = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO, .pNext = &ti};
        CHECK(vkCreateSemaphore(r->device, &si, NULL, &r->timeline));
    }
    return true;
}

bool renderer_create(renderer *r, const bp_vulkan_context *ctx, uint32_t width, uint32_t height) {
    memset(r, 0, sizeof *r);
    r->device = ctx->device;
    r->queue = ctx->queue;
    r->width = width;
    r->height = height;
    return create_target(r, ctx) && create_pipeline(r) && create_frames(r, ctx);
}

void renderer_destroy(renderer *r) {
    VkDevice d = r->device;
    if (!d) return;
    vkDeviceWaitIdle(d);
    for (uint32_t i = 0; i < RENDER_FRAMES; i++) vkDestroyFence(d, r->fences[i], NULL);
    vkDestroySemaphore(d, r->timeline, NULL);
    vkDestroyCommandPool(d, r->cmd_pool, NULL);
    vkDestroyDescriptorPool(d, r->descriptor_pool, NULL);
    vkDestroyPipeline(d, r->pipeline, NULL);
    vkDestroyPipelineLayout(d, r->layout, NULL);
    vkDestroyDescriptorSetLayout(d, r->set_layout, NULL);
    vkDestroyFramebuffer(d, r->framebuffer, NULL);
    vkDestroyRenderPass(d, r->pass, NULL);
    vkDestroyImageView(d, r->view, NULL);
    vkDestroyImage(d, r->image, NULL);
    vkFreeMemory(d, r->image_memory, NULL);
    memset(r, 0, sizeof *r);
}

bool renderer_wait(renderer *r, uint32_t slot) {
    if (!r->submitted[slot]) return true;
    CHECK(vkWaitForFences(r->device, 1, &r->fences[slot], VK_TRUE, UINT64_MAX));
    CHECK(vkResetFences(r->device, 1, &r->fences[slot]));
    r->submitted[slot] = false;
    return true;
}

void renderer_bind_globals(renderer *r, uint32_t slot, VkBuffer ubo, VkDeviceSize size) {
    VkDescriptorBufferInfo bi = {ubo, 0, size};
    VkWriteDescriptorSet w = {.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                              .dstSet = r->sets[slot], .dstBinding = 0, .descriptorCount = 1,
                              .descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, .pBufferInfo = &bi};
    vkUpdateDescriptorSets(r->device, 1, &w, 0, NULL);
}

bool renderer_begin(renderer *r, uint32_t slot) {
    VkCommandBuffer cmd = r->cmds[slot];
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                   .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    CHECK(vkBeginCommandBuffer(cmd, &bi));
    VkClearValue clear = {.color = {{0.04f, 0.05f, 0.09f, 1.0f}}};
    VkRenderPassBeginInfo rp = {.sType = VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO,
                                .renderPass = r->pass, .framebuffer = r->framebuffer,
                                .renderArea = {{0, 0}, {r->width, r->height}},
                                .clearValueCount = 1, .pClearValues = &clear};
    vkCmdBeginRenderPass(cmd, &rp, VK_SUBPASS_CONTENTS_INLINE);
    vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, r->pipeline);
    vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, r->layout, 0, 1, &r->sets[slot], 0, NULL);
    return true;
}

void renderer_draw(renderer *r, uint32_t slot, VkBuffer instances, uint32_t count) {
    VkDeviceSize offset = 0;
    vkCmdBindVertexBuffers(r->cmds[slot], 0, 1, &instances, &offset);
    vkCmdDraw(r->cmds[slot], 6, count, 0, 0);
}

bool renderer_submit(renderer *r, uint32_t slot, uint64_t frame) {
    VkCommandBuffer cmd = r->cmds[slot];
    vkCmdEndRenderPass(cmd);
    CHECK(vkEndCommandBuffer(cmd));
    uint64_t value = frame + 1;
    VkTimelineSemaphoreSubmitInfo ts = {.sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
                                        .signalSemaphoreValueCount = 1, .pSignalSemaphoreValues = &value};
    VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1, .pCommandBuffers = &cmd};
    if (r->timeline) {
        si.pNext = &ts;
        si.signalSemaphoreCount = 1;
        si.pSignalSemaphores = &r->timeline;
    }
    CHECK(vkQueueSubmit(r->queue, 1, &si, r->fences[slot]));
    r->submitted[slot] = true;
    return true;
}

bool renderer_read_back(renderer *r, VkBuffer dst) {
    for (uint32_t i = 0; i < RENDER_FRAMES; i++)
        if (!renderer_wait(r, i)) return false;
    VkCommandBuffer cmd = r->cmds[0];
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                   .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    CHECK(vkBeginCommandBuffer(cmd, &bi));
    VkBufferImageCopy region = {.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                                .imageExtent = {r->width, r->height, 1}};
    vkCmdCopyImageToBuffer(cmd, r->image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, dst, 1, &region);
    VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                          .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT, .dstAccessMask = VK_ACCESS_HOST_READ_BIT};
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0, NULL, 0, NULL);
    CHECK(vkEndCommandBuffer(cmd));
    VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1, .pCommandBuffers = &cmd};
    CHECK(vkQueueSubmit(r->queue, 1, &si, r->fences[0]));
    r->submitted[0] = true;
    return renderer_wait(r, 0);
}
