/* The default metadata allocator of pools and the standalone containers (object pools, virtual
 * blocks, rings): posix_memalign and free. */
#ifndef BPI_LIBC_ALLOC_H
#define BPI_LIBC_ALLOC_H

#include <stdlib.h>

#include "bufpool_backend.h"

/* Metadata that threads write is laid out on whole cache lines (pools, slot tables). */
#define BPI_CACHE_LINE ((size_t)64)

/* `size` rounded up to whole cache lines (unchanged where that would overflow). */
static inline size_t bpi_line_round(size_t size) {
    return size > (size_t)-1 - (BPI_CACHE_LINE - 1) ? size : (size + BPI_CACHE_LINE - 1) & ~(BPI_CACHE_LINE - 1);
}

static inline void *bpi_libc_alloc(void *user, size_t size, size_t alignment) {
    (void)user;
    void *p = NULL;
    return posix_memalign(&p, alignment < sizeof(void *) ? sizeof(void *) : alignment, size) == 0 ? p : NULL;
}

static inline void bpi_libc_free(void *user, void *ptr) {
    (void)user;
    free(ptr);
}

/* `a` when it is set, else the libc allocator. */
static inline bp_allocator bpi_allocator_or_libc(bp_allocator a) {
    return a.alloc ? a : (bp_allocator){bpi_libc_alloc, bpi_libc_free, NULL};
}

#endif
