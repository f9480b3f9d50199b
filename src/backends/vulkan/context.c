/* Headless device helper for tools, tests and examples: instance (with the validation layer
 * and a debug-utils messenger that counts warnings and errors), physical device choice,
 * device with timeline semaphores and VK_EXT_memory_budget when available, one queue. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/vulkan/vk_internal.h"

typedef struct context_full {
    bp_vulkan_context pub; /* first: the public part */
    atomic_uint messages;
} context_full;

static _Thread_local char last_error[256] = "";

const char *bp_vulkan_context_error(void) { return last_error; }

static bp_result fail(bp_result r, const char *what, VkResult vr) {
    snprintf(last_error, sizeof last_error, "%s (VkResult %d)", what, (int)vr);
    return r;
}

static VKAPI_ATTR VkBool32 VKAPI_CALL on_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                 VkDebugUtilsMessageTypeFlagsEXT types,
                                                 const VkDebugUtilsMessengerCallbackDataEXT *data, void *user) {
    (void)types;
    context_full *c = user;
    if (severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) {
        atomic_fetch_add(&c->messages, 1u);
        fprintf(stderr, "vulkan validation: %s\n", data && data->pMessage ? data->pMessage : "(no text)");
    }
    return VK_FALSE;
}

static bool has_layer(const char *name) {
    uint32_t n = 0;
    vkEnumerateInstanceLayerProperties(&n, NULL);
    VkLayerProperties *l = calloc(n ? n : 1, sizeof *l);
    bool found = false;
    if (l && vkEnumerateInstanceLayerProperties(&n, l) == VK_SUCCESS)
        for (uint32_t i = 0; i < n && !found; i++) found = !strcmp(l[i].layerName, name);
    free(l);
    return found;
}

static bool has_device_extension(VkPhysicalDevice pd, const char *name) {
    uint32_t n = 0;
    vkEnumerateDeviceExtensionProperties(pd, NULL, &n, NULL);
    VkExtensionProperties *e = calloc(n ? n : 1, sizeof *e);
    bool found = false;
    if (e && vkEnumerateDeviceExtensionProperties(pd, NULL, &n, e) == VK_SUCCESS)
        for (uint32_t i = 0; i < n && !found; i++) found = !strcmp(e[i].extensionName, name);
    free(e);
    return found;
}

static bp_result create_instance(context_full *c, const bp_vulkan_context_desc *d) {
    const char *layer = "VK_LAYER_KHRONOS_validation";
    const char *ext = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
    if (d->validation && !has_layer(layer))
        return fail(BP_ERR_UNSUPPORTED, "the Khronos validation layer is not installed", VK_SUCCESS);
    VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                             .pApplicationName = d->app_name ? d->app_name : "bufpool",
                             .pEngineName = "bufpool",
                             .apiVersion = VK_API_VERSION_1_2};
    VkValidationFeatureEnableEXT sync = VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT;
    VkValidationFeaturesEXT features = {.sType = VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT,
                                        .enabledValidationFeatureCount = 1,
                                        .pEnabledValidationFeatures = &sync};
    /* the messenger in the instance's chain also reports vkCreateInstance/vkDestroyInstance */
    VkDebugUtilsMessengerCreateInfoEXT mi = {
        .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
        .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
        .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
        .pfnUserCallback = on_message,
        .pUserData = c};
    VkInstanceCreateInfo ii = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                               .pNext = d->validation ? &mi : NULL,
                               .pApplicationInfo = &app,
                               .enabledLayerCount = d->validation ? 1u : 0u,
                               .ppEnabledLayerNames = &layer,
                               .enabledExtensionCount = d->validation ? 1u : 0u,
                               .ppEnabledExtensionNames = &ext};
    if (d->validation && d->sync_validation) {
        features.pNext = &mi;
        ii.pNext = &features;
    }
    VkResult vr = vkCreateInstance(&ii, NULL, &c->pub.instance);
    if (vr != VK_SUCCESS) return fail(BP_ERR_UNSUPPORTED, "no Vulkan instance (loader or driver missing)", vr);
    if (!d->validation) return BP_OK;
    PFN_vkCreateDebugUtilsMessengerEXT create_messenger =
        (PFN_vkCreateDebugUtilsMessengerEXT)vkGetInstanceProcAddr(c->pub.instance, "vkCreateDebugUtilsMessengerEXT");
    if (!create_messenger) return fail(BP_ERR_UNSUPPORTED, "VK_EXT_debug_utils is missing", VK_SUCCESS);
    vr = create_messenger(c->pub.instance, &mi, NULL, &c->pub.messenger);
    if (vr != VK_SUCCESS) return fail(BP_ERR_BACKEND, "vkCreateDebugUtilsMessengerEXT failed", vr);
    c->pub.validation = true;
    return BP_OK;
}

/* Rank: discrete 3, integrated 2, virtual 1, CPU (lavapipe) 0; needs a fitting queue family. */
static bp_result pick_device(context_full *c, const bp_vulkan_context_desc *d) {
    uint32_t n = 0;
    vkEnumeratePhysicalDevices(c->pub.instance, &n, NULL);
    if (!n) return fail(BP_ERR_UNSUPPORTED, "no Vulkan physical device", VK_SUCCESS);
    VkPhysicalDevice *list = calloc(n, sizeof *list);
    if (!list) return BP_ERR_OUT_OF_MEMORY;
    vkEnumeratePhysicalDevices(c->pub.instance, &n, list);
    int best_rank = -1;
    VkQueueFlags need = d->require_graphics ? VK_QUEUE_GRAPHICS_BIT : VK_QUEUE_TRANSFER_BIT;
    for (uint32_t i = 0; i < n; i++) {
        VkPhysicalDeviceProperties p;
        vkGetPhysicalDeviceProperties(list[i], &p);
        if (p.apiVersion < VK_API_VERSION_1_1) continue;
        uint32_t qn = 0;
        vkGetPhysicalDeviceQueueFamilyProperties(list[i], &qn, NULL);
        VkQueueFamilyProperties q[16];
        if (qn > 16) qn = 16;
        vkGetPhysicalDeviceQueueFamilyProperties(list[i], &qn, q);
        uint32_t family = UINT32_MAX;
        for (uint32_t j = 0; j < qn && family == UINT32_MAX; j++) {
            /* graphics and compute queues support transfer without saying so */
            VkQueueFlags f = q[j].queueFlags;
            if (f & (VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT)) f |= VK_QUEUE_TRANSFER_BIT;
            if ((f & need) == need) family = j;
        }
        int rank = p.deviceType == VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU     ? 3
                   : p.deviceType == VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU ? 2
                   : p.deviceType == VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU    ? 1
                                                                            : 0;
        if (family != UINT32_MAX && rank > best_rank) {
            best_rank = rank;
            c->pub.physical_device = list[i];
            c->pub.queue_family = family;
            c->pub.api_version = p.apiVersion >= VK_API_VERSION_1_2 ? VK_API_VERSION_1_2 : VK_API_VERSION_1_1;
            snprintf(c->pub.device_name, sizeof c->pub.device_name, "%s", p.deviceName);
        }
    }
    free(list);
    return best_rank < 0 ? fail(BP_ERR_UNSUPPORTED, "no Vulkan 1.1 device with a fitting queue", VK_SUCCESS) : BP_OK;
}

static bp_result create_device(context_full *c) {
    VkPhysicalDevice pd = c->pub.physical_device;
    float priority = 1.0f;
    VkDeviceQueueCreateInfo qi = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                  .queueFamilyIndex = c->pub.queue_family,
                                  .queueCount = 1,
                                  .pQueuePriorities = &priority};
    VkPhysicalDeviceVulkan12Features f12 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
    VkPhysicalDeviceFeatures2 f2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, .pNext = &f12};
    bool v12 = c->pub.api_version >= VK_API_VERSION_1_2;
    if (v12) vkGetPhysicalDeviceFeatures2(pd, &f2);
    VkPhysicalDeviceVulkan12Features want12 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES,
                                               .timelineSemaphore = f12.timelineSemaphore};
    const char *ext = VK_EXT_MEMORY_BUDGET_EXTENSION_NAME;
    bool budget = has_device_extension(pd, ext);
    VkDeviceCreateInfo di = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                             .pNext = v12 ? &want12 : NULL,
                             .queueCreateInfoCount = 1,
                             .pQueueCreateInfos = &qi,
                             .enabledExtensionCount = budget ? 1u : 0u,
                             .ppEnabledExtensionNames = &ext};
    VkResult vr = vkCreateDevice(pd, &di, NULL, &c->pub.device);
    if (vr != VK_SUCCESS) return fail(BP_ERR_BACKEND, "vkCreateDevice failed", vr);
    vkGetDeviceQueue(c->pub.device, c->pub.queue_family, 0, &c->pub.queue);
    c->pub.memory_budget_enabled = budget;
    c->pub.timeline_semaphores = v12 && f12.timelineSemaphore;
    return BP_OK;
}

bp_result bp_vulkan_context_create_headless(const bp_vulkan_context_desc *desc, bp_vulkan_context **out) {
    if (!out) return BP_ERR_INVALID_ARGUMENT;
    *out = NULL;
    last_error[0] = 0;
    bp_vulkan_context_desc d = desc ? *desc : (bp_vulkan_context_desc){0};
    context_full *c = calloc(1, sizeof *c);
    if (!c) return BP_ERR_OUT_OF_MEMORY;
    atomic_init(&c->messages, 0u);
    bp_result r = create_instance(c, &d);
    if (r == BP_OK) r = pick_device(c, &d);
    if (r == BP_OK) r = create_device(c);
    if (r != BP_OK) {
        bp_vulkan_context_destroy(&c->pub);
        return r;
    }
    *out = &c->pub;
    return BP_OK;
}

void bp_vulkan_context_destroy(bp_vulkan_context *ctx) {
    if (!ctx) return;
    if (ctx->device) {
        vkDeviceWaitIdle(ctx->device);
        vkDestroyDevice(ctx->device, NULL);
    }
    if (ctx->messenger) {
        PFN_vkDestroyDebugUtilsMessengerEXT destroy_messenger =
            (PFN_vkDestroyDebugUtilsMessengerEXT)vkGetInstanceProcAddr(ctx->instance, "vkDestroyDebugUtilsMessengerEXT");
        if (destroy_messenger) destroy_messenger(ctx->instance, ctx->messenger, NULL);
    }
    if (ctx->instance) vkDestroyInstance(ctx->instance, NULL);
    free(ctx); /* ctx is the first member of its context_full */
}

uint32_t bp_vulkan_context_messages(const bp_vulkan_context *ctx) {
    if (!ctx) return 0;
    return atomic_load(&((context_full *)(uintptr_t)ctx)->messages);
}

void bp_vulkan_desc_from_context(const bp_vulkan_context *ctx, bp_vulkan_desc *out) {
    if (!ctx || !out) return;
    out->instance = ctx->instance;
    out->physical_device = ctx->physical_device;
    out->device = ctx->device;
    out->queue = ctx->queue;
    out->queue_family = ctx->queue_family;
    out->memory_budget_enabled = ctx->memory_budget_enabled;
}
