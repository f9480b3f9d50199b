/* Two-level segregated fit over a virtual block of `size` bytes: ranges are found, split and
 * coalesced in O(1) with two levels of bitmaps (a power of two, then 32 linear steps inside
 * it) and count-trailing-zeros; no loop over classes. Placement layer: offsets and sizes only,
 * never a backend. Ranges live in an array of nodes linked by index (physical neighbours and
 * the free list of their class); node indices are stable while a range is allocated, so the
 * public layer builds generational ids from them (src/api/vblock_api.c). */
#ifndef BPI_TLSF_H
#define BPI_TLSF_H

#include <stdbool.h>
#include <stdint.h>

#include "bufpool.h"

#define BPI_TLSF_SL_LOG2 5u                      /* 32 second-level classes per power of two */
#define BPI_TLSF_SL_COUNT (1u << BPI_TLSF_SL_LOG2)
#define BPI_TLSF_FL_COUNT 64u
#define BPI_TLSF_NIL UINT32_MAX
#define BPI_TLSF_MAX_NODES (1u << 24)             /* node index fits the 24 index bits of an id */

enum { BPI_NODE_SPARE = 0, BPI_NODE_FREE = 1, BPI_NODE_USED = 2 };

typedef struct bpi_tlsf_node {
    uint64_t offset, size;
    uint32_t prev_phys, next_phys; /* neighbours in offset order, or NIL */
    union {
        struct {
            uint32_t prev_free, next_free; /* free list of the class (FREE), spare list (SPARE: next_free) */
        };
        uint64_t asked; /* USED: the size the caller asked for (`size` may be rounded up) */
    };
    uint64_t freed_at;             /* FREE: the caller's stamp of when it became free (a split keeps
                                      it, a merge takes the newest; bpi_tlsf_free_at) */
    uint32_t generation;           /* bumped each time the node becomes an allocated range */
    uint8_t state;
    uint8_t fl, sl;                /* FREE: the class whose list holds it */
    void *user_data;
} bpi_tlsf_node;

typedef struct bpi_tlsf {
    bp_allocator alloc;
    uint64_t size;
    bpi_tlsf_node *nodes;
    uint32_t node_count;    /* nodes ever initialised: nodes[0 .. node_count) */
    uint32_t node_capacity; /* length of `nodes` */
    uint32_t max_nodes;     /* growth limit (fixed capacity: == node_capacity) */
    bool fixed;
    uint32_t spare;         /* list of SPARE nodes */
    uint32_t spare_count;
    uint32_t first;         /* node at offset 0 */
    uint64_t fl_bitmap;
    uint32_t sl_bitmap[BPI_TLSF_FL_COUNT];
    uint32_t heads[BPI_TLSF_FL_COUNT][BPI_TLSF_SL_COUNT];
    uint64_t used_bytes;
    uint32_t used_count, free_count;
    uint32_t retired;       /* nodes whose generation is used up (never reused) */
} bpi_tlsf;

/* Set up `t` over `size` bytes. max_ranges > 0: every node is allocated now (2 x max_ranges
 * + 1 cover any layout) and nothing later; 0: the node array grows by doubling. */
bp_result bpi_tlsf_init(bpi_tlsf *t, uint64_t size, uint32_t max_ranges, bp_allocator alloc);
void bpi_tlsf_release(bpi_tlsf *t);
/* A range of `size` bytes at a multiple of `alignment` (a power of two); *out_node is its
 * node. BP_ERR_CAPACITY when no free range fits (or the fixed node storage is used up),
 * BP_ERR_OUT_OF_MEMORY when growing the node array failed. Nothing changes on failure. */
bp_result bpi_tlsf_alloc(bpi_tlsf *t, uint64_t size, uint64_t alignment, uint32_t *out_node);
/* Free the allocated range of node `n` and merge it with free neighbours. */
void bpi_tlsf_free(bpi_tlsf *t, uint32_t n);
/* ... stamping the free range it ends up in `stamp` (bpi_tlsf_node.freed_at). */
void bpi_tlsf_free_at(bpi_tlsf *t, uint32_t n, uint64_t stamp);
/* The first-level class of a size: below BPI_TLSF_SL_COUNT bytes 0, from there log2(size) - 4
 * (tlsf.c's class_of; the second level is the next 5 bits). */
static inline uint32_t bpi_tlsf_fl_of(uint64_t size) {
    return size < BPI_TLSF_SL_COUNT ? 0u : (uint32_t)(63 - __builtin_clzll(size)) - BPI_TLSF_SL_LOG2 + 1u;
}

/* False when a TLSF whose first-level bitmap is `fl_bitmap` has no free range that can hold
 * `size` bytes (all of them lie in smaller first-level classes): a test that reads no node, so a
 * caller with many TLSFs (the host blocks) can keep their bitmaps together and skip a full one
 * without touching it. True says only that bpi_tlsf_alloc may succeed. */
static inline bool bpi_tlsf_may_fit(uint64_t fl_bitmap, uint64_t size) {
    return (fl_bitmap >> bpi_tlsf_fl_of(size)) != 0; /* at most 59 */
}
/* Size of the largest free range: walks the free list of the highest non-empty class only. */
uint64_t bpi_tlsf_largest_free(const bpi_tlsf *t);
/* Walks everything; returns false with a reason in `why` on the first broken invariant. */
bool bpi_tlsf_check(const bpi_tlsf *t, char *why, size_t why_size);

#endif
