/* Which pages of a host block have memory behind them, one bit a page: a block mapped here
 * (mmap) starts with none, a range placed in it backs the pages it covers (the kernel maps them
 * at the first touch), and free space given back to the kernel (madvise MADV_DONTNEED) has none
 * again; so the host backend's block mode counts the memory it holds, not its address space. */
#ifndef BPI_HOST_PURGE_H
#define BPI_HOST_PURGE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct bpi_purge_map {
    uint64_t *bits;        /* bit i: page i has no memory behind it (never covered, or given back) */
    uintptr_t first;       /* address of page 0: the block's start rounded up to a page */
    uint64_t pages;        /* whole pages inside the block */
    uint64_t purged_pages; /* bits set: pages without memory */
    uint32_t page_shift;
} bpi_purge_map;

/* Whether this system maps blocks here and gives pages back (Linux: mmap, madvise with
 * MADV_DONTNEED); the page size. */
bool bpi_purge_supported(void);
uint64_t bpi_purge_page_size(void);

/* A block of `size` bytes mapped here (private anonymous pages, none touched), or NULL; and
 * its unmapping. Only where bpi_purge_supported. */
void *bpi_pages_map(uint64_t size);
void bpi_pages_unmap(void *p, uint64_t size);

/* The map of the block [base, base + size): `fresh`, no page has memory behind it yet (a block
 * from bpi_pages_map), else every page has; false when out of memory. */
bool bpi_purge_map_init(bpi_purge_map *m, void *base, uint64_t size, bool fresh);
void bpi_purge_map_release(bpi_purge_map *m);

/* Give back the whole pages inside [addr, addr + size) that are held (one madvise a run of
 * them); the bytes given back. *calls counts the madvise calls. */
uint64_t bpi_purge_range(bpi_purge_map *m, uintptr_t addr, uint64_t size, uint64_t *calls);

/* A range [addr, addr + size) is handed out: every page it touches is held again (the kernel
 * maps a zeroed page at the first touch; with `populate`, the pages that had no memory get it
 * now, bpi_pages_populate a run of them); the bytes taken back. */
uint64_t bpi_purge_unmark(bpi_purge_map *m, uintptr_t addr, uint64_t size, bool populate);

/* Memory behind the pages of [p, p + size) now, as their first writes would fault it in: one
 * madvise(MADV_POPULATE_WRITE), which changes no byte; where the kernel does not know it
 * (before Linux 5.14), a zero written at each page's first byte inside the span, so only for
 * memory that is no buffer's yet. Out of memory, nothing more: the pages fault in later. */
void bpi_pages_populate(void *p, uint64_t size);

#endif
