/* Buckets: per (memory, usage, alignment) group, one LIFO free list of pooled buffers per
 * size class, plus a bitmap of non-empty classes so "the next larger class that has a
 * buffer" is a find-first-set, not a loop over classes. */
#include <string.h>

#include "internal/pool.h"

static uint32_t group_hash(uint32_t memory, uint32_t usage, uint32_t align_shift) {
    uint32_t h = memory * 0x9E3779B1u ^ usage * 0x85EBCA77u ^ align_shift * 0xC2B2AE3Du;
    return (h ^ (h >> 15)) & (BPI_MAX_GROUPS - 1u);
}

int bpi_group_find(bp_pool *pool, uint32_t memory, uint32_t usage, uint32_t align_shift) {
    uint32_t h = group_hash(memory, usage, align_shift);
    for (uint32_t probe = 0; probe < BPI_MAX_GROUPS; probe++) {
        bpi_group *g = &pool->groups[(h + probe) & (BPI_MAX_GROUPS - 1u)];
        if (!g->used) return -1;
        if (g->memory == memory && g->usage == usage && g->align_shift == align_shift)
            return (int)((h + probe) & (BPI_MAX_GROUPS - 1u));
    }
    return -1;
}

/* Find or create a group (creation allocates; only on a miss path or at pool creation). */
bp_result bpi_group_get(bp_pool *pool, uint32_t memory, uint32_t usage, uint32_t align_shift, int *out) {
    int g = bpi_group_find(pool, memory, usage, align_shift);
    if (g >= 0) {
        *out = g;
        return BP_OK;
    }
    if (pool->group_count == BPI_MAX_GROUPS)
        return bpi_fail(pool, BP_ERR_CAPACITY, BP_LOG_ITEM_CAPACITY,
                        "more than %u distinct (memory, usage, alignment) combinations", BPI_MAX_GROUPS);
    uint32_t classes = bpi_class_count(pool->pow2);
    bpi_bucket *buckets = bpi_alloc(pool, classes * sizeof *buckets);
    if (!buckets) return bpi_fail(pool, BP_ERR_OUT_OF_MEMORY, BP_LOG_ITEM_NONE, "out of host memory for buckets");
    for (uint32_t c = 0; c < classes; c++) buckets[c] = (bpi_bucket){BPI_NIL, 0};
    uint32_t h = group_hash(memory, usage, align_shift);
    while (pool->groups[h].used) h = (h + 1u) & (BPI_MAX_GROUPS - 1u);
    bpi_group *grp = &pool->groups[h];
    memset(grp, 0, sizeof *grp);
    grp->used = 1;
    grp->memory = memory;
    grp->usage = usage;
    grp->align_shift = align_shift;
    grp->buckets = buckets;
    pool->group_count++;
    *out = (int)h;
    return BP_OK;
}

/* Smallest class >= from_class with a pooled buffer, or -1. At most BPI_BITMAP_WORDS steps. */
int bpi_bucket_next_nonempty(const bpi_group *g, uint32_t from_class, uint32_t class_count) {
    for (uint32_t w = from_class >> 6; w < BPI_BITMAP_WORDS; w++) {
        uint64_t bits = g->nonempty[w];
        if (w == from_class >> 6) bits &= ~0ull << (from_class & 63u);
        if (bits) {
            uint32_t c = w * 64u + (uint32_t)__builtin_ctzll(bits);
            return c < class_count ? (int)c : -1;
        }
    }
    return -1;
}
