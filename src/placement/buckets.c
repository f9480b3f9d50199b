/* Buckets: per (memory, usage, alignment) group, one list of pooled buffers per size class,
 * newest first. Only classes that ever held a buffer (pool->used_classes, kept sorted) can
 * have one, so searches walk those: the next larger class with a buffer, the oldest tail. */
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
    for (uint32_t c = 0; c < classes; c++) {
        buckets[c] = (bpi_bucket){.head = BPI_NIL, .tail = BPI_NIL};
        bpi_bucket_caps_reset(pool, &buckets[c]);
    }
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

int bpi_bucket_next_nonempty(const bp_pool *pool, int g, uint32_t from_class) {
    const bpi_bucket *buckets = pool->groups[g].buckets;
    for (uint32_t k = 0; k < pool->used_class_count; k++) {
        uint32_t c = pool->used_classes[k];
        if (c >= from_class && bpi_bucket_count(&buckets[c])) return (int)c;
    }
    return -1;
}

void bpi_bucket_push_tail(bp_pool *pool, uint32_t index) {
    uint32_t link = bpi_link_of(index);
    bpi_slot *s = bpi_slot_at(pool, index);
    bpi_bucket *b = bpi_bucket_of(pool, s);
    s->aux_next = BPI_NIL;
    s->aux_prev = b->head == BPI_NIL ? BPI_NIL : b->tail;
    if (b->head == BPI_NIL) b->head = link;
    else bpi_link_slot(pool, b->tail)->aux_next = link;
    b->tail = link;
    b->room--;
}

uint32_t bpi_oldest_pooled_n(const bp_pool *pool, uint32_t *out, uint32_t max) {
    uint32_t n = 0;
    for (uint32_t g = 0; g < BPI_MAX_GROUPS; g++) {
        const bpi_group *grp = &pool->groups[g];
        if (!grp->used) continue;
        for (uint32_t k = 0; k < pool->used_class_count; k++) {
            uint32_t t = bpi_bucket_oldest(&grp->buckets[pool->used_classes[k]]);
            if (t == BPI_NIL) continue;
            uint64_t seq = pool->slots[t].seq;
            if (n == max && seq >= pool->slots[out[n - 1]].seq) continue;
            uint32_t j = n < max ? n++ : max - 1; /* insertion into the sorted list, the newest falls off */
            while (j > 0 && pool->slots[out[j - 1]].seq > seq) {
                out[j] = out[j - 1];
                j--;
            }
            out[j] = t;
        }
    }
    return n;
}

uint32_t bpi_oldest_pooled(const bp_pool *pool) {
    uint32_t t;
    return bpi_oldest_pooled_n(pool, &t, 1) ? t : BPI_NIL;
}

void bpi_class_note_used(bp_pool *pool, uint32_t class_index) {
    if (pool->classes[class_index].used) return;
    pool->classes[class_index].used = 1;
    uint32_t k = pool->used_class_count++;
    while (k > 0 && pool->used_classes[k - 1] > class_index) {
        pool->used_classes[k] = pool->used_classes[k - 1];
        k--;
    }
    pool->used_classes[k] = (uint16_t)class_index;
}
