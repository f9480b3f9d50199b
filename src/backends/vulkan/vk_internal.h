/* Vulkan backend internals shared by the files of src/backends/vulkan (names bpi_vk_). */
#ifndef BPI_VK_INTERNAL_H
#define BPI_VK_INTERNAL_H

#include "bufpool.h"
#include "bufpool_vulkan.h"

#define BPI_VK_NO_TYPE UINT32_MAX

#define BPI_VK_MIN_BLOCK_SIZE ((VkDeviceSize)64 << 10)

/* A VkDeviceMemory block of one memory type whose ranges are pooled buffers (block mode). */
typedef struct bpi_vk_block {
    VkDeviceMemory memory;
    VkDeviceSize size;
    uint32_t type_index;
    void *mapped;     /* whole block, mapped at the first mapped buffer and until freed */
    bp_vblock *ranges; /* TLSF over [0, size) */
    uint32_t used;     /* live ranges */
} bpi_vk_block;

/* One pooled VkBuffer: its own allocation bound at offset 0, or a range of a block. */
typedef struct bpi_vk_buffer {
    VkBuffer buffer;
    VkDeviceMemory memory;    /* its own, or its block's */
    VkDeviceSize memory_size; /* bytes of `memory` (a block's: the whole block) */
    VkDeviceSize offset;      /* where it is bound in `memory` */
    bpi_vk_block *block;      /* NULL: dedicated */
    bp_range range;           /* its range of `block` */
    uint32_t type_index;
    bool coherent;
    uint64_t retire_frame; /* frame in which the pool destroyed it (deferred queue) */
    struct bpi_vk_buffer *next_deferred;
} bpi_vk_buffer;

/* A host-visible helper buffer (staging ring, readback). */
typedef struct bpi_vk_host_buffer {
    VkBuffer buffer;
    VkDeviceMemory memory;
    VkDeviceSize size;
    void *mapped;
    bool coherent;
} bpi_vk_host_buffer;

/* Per frame in flight: its command buffer, fence and region of the staging ring. */
typedef struct bpi_vk_frame {
    VkCommandBuffer cmd;
    VkFence fence;
    uint64_t frame;      /* frame index this slot was last used for */
    bool recording;      /* cmd begun, not yet submitted */
    bool submitted;      /* fence will be signalled */
    uint32_t commands;   /* transfer commands recorded since begin */
    VkDeviceSize used;   /* bytes of the staging region used */
} bpi_vk_frame;

struct bp_vulkan_backend {
    bp_vulkan_desc desc;
    VkPhysicalDeviceMemoryProperties mem_props;
    VkPhysicalDeviceLimits limits;
    VkDeviceSize max_allocation_size; /* maxMemoryAllocationSize (Vulkan 1.1) */
    uint32_t api_version;
    VkCommandPool cmd_pool;
    bpi_vk_frame frames[BP_VULKAN_MAX_FRAMES];
    VkCommandBuffer sync_cmd;  /* one-shot downloads */
    VkFence sync_fence;
    bpi_vk_host_buffer staging;   /* frames_in_flight regions of staging_bytes */
    bpi_vk_host_buffer readback;  /* grown on demand by downloads */
    uint64_t frame;               /* current frame index (from frame_begin) */
    bool frames_seen;
    bpi_vk_buffer *deferred_head, *deferred_tail;
    bpi_vk_block **blocks;        /* block mode: every type's blocks, in creation order */
    uint32_t block_count, block_capacity;
    uint32_t type_blocks[VK_MAX_MEMORY_TYPES]; /* blocks per memory type */
    uint32_t type_empty[VK_MAX_MEMORY_TYPES];  /* empty blocks per type: 0 or 1 (the spare) */
    bp_vulkan_stats stats;
};

/* memory_types.c: pure selection, testable with made-up memory properties. */
uint32_t bpi_vk_pick_memory_type(const VkPhysicalDeviceMemoryProperties *props, uint32_t type_bits,
                                 uint32_t memory, uint32_t *out_used);
VkBufferUsageFlags bpi_vk_usage_flags(uint32_t usage);

/* budget.c: budget from VK_EXT_memory_budget values (may be NULL) or heap sizes. */
void bpi_vk_budget_from(const VkPhysicalDeviceMemoryProperties *props,
                        const VkPhysicalDeviceMemoryBudgetPropertiesEXT *ext, uint64_t own_bytes,
                        bp_backend_budget *out);
bp_result bpi_vk_query_budget(void *user, bp_backend_budget *out);

/* device_memory.c: allocations (counted) and host helper buffers. */
bp_result bpi_vk_allocate(bp_vulkan_backend *vk, const VkMemoryRequirements *req, uint32_t type_index,
                          VkDeviceMemory *out);
void bpi_vk_free(bp_vulkan_backend *vk, VkDeviceMemory memory, VkDeviceSize size);
bp_result bpi_vk_host_buffer_create(bp_vulkan_backend *vk, VkDeviceSize size, VkBufferUsageFlags usage,
                                    uint32_t memory, bpi_vk_host_buffer *out);
void bpi_vk_host_buffer_destroy(bp_vulkan_backend *vk, bpi_vk_host_buffer *b);
/* Flush or invalidate [offset, offset+size) of a mapped allocation of `alloc_size` bytes
 * (offsets in the allocation: a range of a block adds its own), widened to nonCoherentAtomSize. */
bp_result bpi_vk_sync_range(bp_vulkan_backend *vk, VkDeviceMemory memory, VkDeviceSize alloc_size,
                            uint64_t offset, uint64_t size, bool flush);

/* buffers.c: the table's create/destroy/flush/invalidate/caps, and the deferred queue. */
bp_result bpi_vk_create(void *user, const bp_backend_create_desc *desc, bp_backend_buffer *out);
void bpi_vk_destroy(void *user, const bp_backend_buffer *buf);
bp_result bpi_vk_flush(void *user, const bp_backend_buffer *buf, uint64_t offset, uint64_t size);
bp_result bpi_vk_invalidate(void *user, const bp_backend_buffer *buf, uint64_t offset, uint64_t size);
bp_result bpi_vk_query_caps(void *user, bp_backend_caps *out);
void bpi_vk_destroy_ready(bp_vulkan_backend *vk, bool everything);
int bpi_vk_frame_complete(void *user, uint64_t frame); /* -1 without a frame timeline */

/* blocks.c: block mode (desc.block_size != 0). bpi_vk_block_place binds `b->buffer` (whose
 * requirements are `req`) at a range of a block of `b->type_index` (a new block when none has
 * room) and fills memory, memory_size, offset, block and range; `mapped` (may be NULL) then
 * receives the block's mapping + offset, mapping the block first. Nothing changes on failure. */
bp_result bpi_vk_block_place(bp_vulkan_backend *vk, bpi_vk_buffer *b, const VkMemoryRequirements *req,
                             VkDeviceSize alignment, void **mapped);
/* Return a range (after its VkBuffer is destroyed); an empty block is freed unless it is the
 * spare of its type. */
void bpi_vk_block_free_range(bp_vulkan_backend *vk, bpi_vk_buffer *b);
/* Free every block (backend release: every buffer is gone, only spares are left). */
void bpi_vk_blocks_release(bp_vulkan_backend *vk);
/* The granularity of the blocks of memory type `type_index`: every range starts at a
 * multiple of it and occupies a multiple of it. `atom` (nonCoherentAtomSize) for host-visible
 * non-coherent memory, so a flush widened to atoms stays inside its own range; else 16.
 * Pure: tested with made-up properties. */
VkDeviceSize bpi_vk_range_granularity(const VkPhysicalDeviceMemoryProperties *props, uint32_t type_index,
                                      VkDeviceSize atom);
/* The size of the next block of a type that already has `blocks` blocks, for a request of
 * `request` bytes (pure). */
VkDeviceSize bpi_vk_next_block_size(VkDeviceSize block_size, uint32_t blocks, VkDeviceSize request,
                                    VkDeviceSize atom);

/* staging.c: frame command buffers, the staging ring, uploads, downloads, copies. */
bp_result bpi_vk_frames_init(bp_vulkan_backend *vk);
void bpi_vk_frames_destroy(bp_vulkan_backend *vk);
bp_result bpi_vk_frame_wait(bp_vulkan_backend *vk, bpi_vk_frame *f);
bp_result bpi_vk_upload(void *user, const bp_backend_buffer *dst, uint64_t offset, const void *data, uint64_t size);
bp_result bpi_vk_download(void *user, const bp_backend_buffer *src, uint64_t offset, void *data, uint64_t size);
bp_result bpi_vk_copy(void *user, const bp_backend_buffer *src, uint64_t src_offset, const bp_backend_buffer *dst,
                      uint64_t dst_offset, uint64_t size);
bpi_vk_frame *bpi_vk_current_frame(bp_vulkan_backend *vk);

#endif
