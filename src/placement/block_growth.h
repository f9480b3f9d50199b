/* How big the next block of a block allocator is (the host backend's and the Vulkan backend's
 * block modes): the first three are 1/8, 1/4 and 1/2 of the preferred size, as AMD's Vulkan
 * Memory Allocator grows its blocks, so a small working set does not hold a whole block; each
 * holds at least twice the request that opens it, and none is larger than the preferred size.
 * Header-only: the Vulkan library links the core's exported bp_ names only. */
#ifndef BPI_BLOCK_GROWTH_H
#define BPI_BLOCK_GROWTH_H

#include <stdint.h>

static inline uint64_t bpi_next_block_size(uint64_t preferred, uint32_t blocks, uint64_t request, uint64_t min_size) {
    uint64_t size = preferred >> (blocks < 3u ? 3u - blocks : 0u);
    if (size < min_size) size = min_size;
    while (size < 2 * request && size < preferred) size *= 2;
    return size < preferred ? size : preferred;
}

#endif
