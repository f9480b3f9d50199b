/**
 * @file bufpool_vulkan.h
 * @brief The Vulkan backend: pooled VkBuffers with memory strategies, staging uploads,
 *        deferred destruction and device budgets; plus a headless device helper.
 *
 * Memory strategies (::bp_memory) map to memory types like this:
 * - device-local: a `DEVICE_LOCAL` type, preferring one that is not host-visible (real VRAM);
 *   never mapped; written through the staging ring. Fallback: a host-visible type
 *   (reported as host-visible or host-cached, and mapped).
 * - host-visible: `HOST_VISIBLE | HOST_COHERENT`, preferring an uncached (write-combined)
 *   type; persistently mapped; no flush needed. Fallback: a non-coherent host-visible type,
 *   reported as host-cached because it then needs explicit flushes.
 * - host-cached: `HOST_VISIBLE | HOST_CACHED`; persistently mapped; ::bp_flush and
 *   ::bp_invalidate flush/invalidate ranges widened to `nonCoherentAtomSize`. Fallback:
 *   a coherent host-visible type (reported as host-visible).
 * The memory really used is reported in ::bp_buffer_info::memory.
 *
 * By default each buffer owns one `VkDeviceMemory` bound at offset 0, so every alignment
 * requirement holds; live allocations are counted and kept under `maxMemoryAllocationCount`.
 * With ::bp_vulkan_desc::block_size set (block mode, as AMD's Vulkan Memory Allocator does),
 * small buffers are bound at offsets of large `VkDeviceMemory` blocks, one list of blocks per
 * memory type: a pool miss then costs a range search instead of a driver allocation, and the
 * number of buffers is no longer limited by `maxMemoryAllocationCount`.
 *
 * A ::bp_copy between overlapping ranges of one buffer behaves like memmove; on unmapped
 * memory it records one copy per `|dst_offset - src_offset|` bytes (slow for tiny distances).
 *
 * Uploads to unmapped (device-local) memory are copied into a persistently mapped staging
 * ring (one region per frame in flight) and recorded into that frame's command buffer;
 * ::bp_vulkan_submit_uploads submits them, ending with a barrier that makes the writes
 * visible to every later submission on the same queue.
 *
 * Destroys are deferred: a VkBuffer the pool destroys in frame F is freed at the frame
 * begin of F + frames_in_flight (after the fence of frame F's uploads). With a
 * `frame_timeline` semaphore, both the pool's reuse of a buffer released in frame F and the
 * backend's destroy wait until that semaphore reaches F + 1 instead of counting frames.
 *
 * Thread-safety: the backend is called by its pool under the pool's lock; the
 * `bp_vulkan_*` calls below must not run concurrently with calls on that pool.
 */
#ifndef BUFPOOL_VULKAN_H
#define BUFPOOL_VULKAN_H

#include <stdbool.h>
#include <stdint.h>

#include <vulkan/vulkan.h>

#include "bufpool_backend.h"

BP_BEGIN_DECLS

/** Largest `frames_in_flight` the Vulkan backend supports. */
#define BP_VULKAN_MAX_FRAMES 8u

/** The backend's state; owned by the pool it was given to. Opaque. */
typedef struct bp_vulkan_backend bp_vulkan_backend;

/** What the Vulkan backend is built on. Zero-initialise; every zero optional field means default. */
typedef struct bp_vulkan_desc {
    VkInstance instance;              /**< The application's instance. Required. */
    VkPhysicalDevice physical_device; /**< Its physical device. Required. */
    VkDevice device;                  /**< Its device (Vulkan 1.1 or later). Required. */
    VkQueue queue;                    /**< Queue for staging copies (must support transfer). Required. */
    uint32_t queue_family;            /**< Family of `queue`. */
    uint32_t frames_in_flight;        /**< Must equal the pool's; 0 = 2; at most ::BP_VULKAN_MAX_FRAMES. */
    uint64_t staging_bytes;           /**< Staging ring bytes per frame; 0 = 4 MiB. */
    uint32_t max_allocations;         /**< Cap on live device allocations; 0 = maxMemoryAllocationCount. */
    bool memory_budget_enabled;       /**< The device was created with VK_EXT_memory_budget. */
    VkSemaphore frame_timeline;       /**< Optional timeline semaphore the application signals to F + 1
                                           when frame F's GPU work is complete; then buffers released
                                           or destroyed in frame F wait for it instead of a frame count. */
    const VkAllocationCallbacks *vk_allocator; /**< Passed to every Vulkan create/destroy; may be NULL. */
    /** 0 = one allocation per buffer (the default). Otherwise block mode: a buffer whose memory
     *  requirement is at most a quarter of this is bound at an offset of a `VkDeviceMemory`
     *  block of its memory type, placed by TLSF (::bp_vblock_alloc) at its
     *  `VkMemoryRequirements::alignment`, and on non-coherent memory at whole
     *  `nonCoherentAtomSize` atoms of its own, so a flush never touches a neighbour. Bigger
     *  buffers get an allocation of their own. The first three blocks of a type are smaller
     *  (1/8, 1/4, 1/2 of this, at least 64 KiB and twice the buffer that opens them); host-visible
     *  blocks are mapped once, when a mapped buffer first needs it, and stay mapped. A buffer's
     *  range is freed when its deferred destroy happens; a block left empty is freed unless it
     *  is its type's one empty spare. Blocks count as allocations under `max_allocations`; the
     *  pool no longer trims to stay under that cap (::bp_backend_caps::max_allocations is 0):
     *  a miss that needs a new block or dedicated allocation beyond it fails. At least 64 KiB,
     *  at most `maxMemoryAllocationSize`; rounded down to a multiple of `nonCoherentAtomSize`. */
    VkDeviceSize block_size;
} bp_vulkan_desc;

/** Counters of the Vulkan backend (O(1) to read). */
typedef struct bp_vulkan_stats {
    uint32_t device_allocations;      /**< Live VkDeviceMemory objects: dedicated buffers + blocks (block
                                           mode) + staging + readback. Without block mode, one per buffer. */
    uint32_t peak_device_allocations; /**< Highest `device_allocations` seen. */
    uint64_t allocations_total;       /**< vkAllocateMemory calls that succeeded. */
    uint64_t frees_total;             /**< vkFreeMemory calls. */
    uint64_t device_bytes;            /**< Bytes of live allocations (memory requirements; whole blocks). */
    uint32_t buffers;                 /**< Live pooled VkBuffers (not yet destroyed, deferred included). */
    uint32_t deferred_destroys;       /**< Buffers the pool destroyed that wait for the GPU. */
    uint64_t destroyed_total;         /**< Buffers really destroyed. */
    uint64_t staged_uploads;          /**< Copies recorded through the staging ring. */
    uint64_t staged_bytes;            /**< Bytes copied through the staging ring. */
    uint64_t submits;                 /**< Queue submissions made by the backend. */
    uint64_t stalls;                  /**< Waits because the staging ring of a frame was full. */
    uint32_t memory_type_used[BP_MEMORY_COUNT]; /**< Memory type index chosen per strategy (UINT32_MAX = none yet). */
    uint32_t dedicated;               /**< Live pooled buffers with a VkDeviceMemory of their own (all of
                                           them without block mode); `buffers` = `dedicated` + `ranges`. */
    uint64_t dedicated_bytes;         /**< Bytes of those allocations. */
    uint32_t ranges;                  /**< Live pooled buffers bound inside a block (block mode). */
    uint64_t range_bytes;             /**< Bytes of their memory requirements (before atom rounding). */
    uint32_t blocks;                  /**< Live blocks, empty spares included (block mode). */
    uint32_t peak_blocks;             /**< Highest `blocks` seen. */
    uint64_t block_bytes;             /**< Bytes of the live blocks. */
    uint64_t block_allocations;       /**< Blocks ever allocated (each one vkAllocateMemory). */
} bp_vulkan_stats;

/**
 * Fill `out` with the Vulkan backend over the application's device.
 * @param desc the device and options (copied).
 * @param out the table to fill (give it to ::bp_pool_desc::backend; the pool then owns the
 *        backend and releases it at ::bp_pool_destroy, after waiting for the device's queue).
 * @param out_vk receives the backend's state for the `bp_vulkan_*` calls; may be NULL.
 *        Valid while the pool lives.
 * @return ::BP_OK, ::BP_ERR_INVALID_ARGUMENT (a required field missing, frames_in_flight too
 *         large, queue_family not a family of the physical device, staging_bytes x frames
 *         beyond maxMemoryAllocationSize, a nonzero block_size under 64 KiB or beyond
 *         maxMemoryAllocationSize), ::BP_ERR_OUT_OF_MEMORY, ::BP_ERR_BACKEND (staging ring or command pool failed).
 * Cost: creates the staging ring (one allocation), a command pool and a fence per frame.
 * @ownership The pool that receives the table owns the backend and releases it at
 *   ::bp_pool_destroy; the Vulkan objects of `desc` stay the application's.
 * @threadsafety Reentrant; the backend is then called under the pool's lock.
 */
bp_result bp_vulkan_backend_create(const bp_vulkan_desc *desc, bp_backend *out, bp_vulkan_backend **out_vk);

/**
 * Submit the uploads recorded in the current frame (no-op when none). The command buffer
 * ends with a memory barrier from transfer writes to every read and write of later
 * commands, so a submission made after this call sees the data.
 * @return ::BP_OK or ::BP_ERR_BACKEND. Cost: one vkQueueSubmit when uploads are pending.
 * @ownership Nothing changes hands.
 * @threadsafety Call from the thread that drives the pool's frames (it uses the backend's queue).
 */
bp_result bp_vulkan_submit_uploads(bp_vulkan_backend *vk);

/**
 * Copy the backend's counters. Cost: O(1).
 * @ownership Nothing to free; out-params belong to the caller.
 * @threadsafety Call when no pool call is running (the counters are not atomic).
 */
void bp_vulkan_get_stats(const bp_vulkan_backend *vk, bp_vulkan_stats *out);

/**
 * The VkBuffer of a buffer's `native` handle (::bp_buffer_info::native).
 * @return the VkBuffer.
 * @ownership The VkBuffer stays the pool's; valid while the buffer is held.
 * @threadsafety Reentrant: touches no shared state.
 * @cost O(1).
 */
static inline VkBuffer bp_vulkan_buffer(uint64_t native) { return (VkBuffer)(uintptr_t)native; }

/* ---- Headless device helper (tools, tests, examples) ------------------------------- */

/** Options of ::bp_vulkan_context_create_headless. */
typedef struct bp_vulkan_context_desc {
    const char *app_name;        /**< Application name; NULL = "bufpool". */
    bool validation;             /**< Enable VK_LAYER_KHRONOS_validation and count its messages. */
    bool sync_validation;        /**< Also enable synchronization validation (slower). */
    bool require_graphics;       /**< Pick a queue family with graphics (for drawing). */
} bp_vulkan_context_desc;

/** A headless instance + device + queue. Fields are read-only for the application. */
typedef struct bp_vulkan_context {
    VkInstance instance;              /**< The instance. */
    VkPhysicalDevice physical_device; /**< The chosen physical device. */
    VkDevice device;                  /**< The device (API 1.2 when available, else 1.1). */
    VkQueue queue;                    /**< Queue 0 of `queue_family`. */
    uint32_t queue_family;            /**< Family index. */
    uint32_t api_version;             /**< Device API version in use. */
    bool memory_budget_enabled;       /**< VK_EXT_memory_budget enabled. */
    bool timeline_semaphores;         /**< timelineSemaphore feature enabled. */
    bool validation;                  /**< The validation layer is on. */
    VkDebugUtilsMessengerEXT messenger; /**< Counts validation messages. */
    char device_name[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE]; /**< deviceName of the chosen device. */
} bp_vulkan_context;

/**
 * Create an instance, a device and a queue with no window system. Prefers a discrete, then
 * an integrated GPU, then any device (lavapipe). With `validation`, every validation
 * warning or error is counted (::bp_vulkan_context_messages) and printed to stderr.
 * @param desc options; NULL = defaults (no validation).
 * @param out receives the context; NULL on failure.
 * @return ::BP_OK; ::BP_ERR_UNSUPPORTED (no Vulkan loader, device or validation layer —
 *         ::bp_vulkan_context_error says which); ::BP_ERR_BACKEND; ::BP_ERR_OUT_OF_MEMORY.
 * Ownership: destroy with ::bp_vulkan_context_destroy after every pool using it.
 * @threadsafety Reentrant: touches no shared state.
 * @cost Instance and device creation (tens of milliseconds).
 */
bp_result bp_vulkan_context_create_headless(const bp_vulkan_context_desc *desc, bp_vulkan_context **out);

/**
 * Destroy a context (waits for its device to be idle). NULL is ignored.
 * @ownership Frees the context and its Vulkan objects.
 * @threadsafety No other call may use the context or its device.
 * @cost vkDeviceWaitIdle plus destruction.
 */
void bp_vulkan_context_destroy(bp_vulkan_context *ctx);

/**
 * Validation warnings and errors reported so far (0 without validation). Thread-safe.
 * @return the count.
 * @threadsafety Any thread (the count is atomic).
 * @ownership Nothing changes hands.
 * @cost O(1).
 */
uint32_t bp_vulkan_context_messages(const bp_vulkan_context *ctx);

/**
 * Why the last ::bp_vulkan_context_create_headless of this thread failed; never NULL.
 * @return a thread-local string.
 * @ownership The string is static per thread: never free it.
 * @threadsafety Per thread.
 * @cost O(1).
 */
const char *bp_vulkan_context_error(void);

/**
 * Fill the device fields of `out` (instance, devices, queue, budget extension) from `ctx`.
 * @ownership `out` refers to the context's objects: the context must outlive the pool.
 * @threadsafety Reentrant: touches no shared state.
 * @cost O(1).
 */
void bp_vulkan_desc_from_context(const bp_vulkan_context *ctx, bp_vulkan_desc *out);

BP_END_DECLS
#endif /* BUFPOOL_VULKAN_H */
