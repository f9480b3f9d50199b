/* TLSF range allocator (see tlsf.h). Class of a size s: below 32 bytes, first level 0 and
 * second level s (exact); from 32 bytes, first level log2(s) - 4 and second level the next 5
 * bits below the top bit. A free range sits in the list of the class its size falls in; an
 * allocation searches from the class its size rounds up to, so that every range found fits
 * without a walk. With an alignment above 1 the sure search asks for size + alignment - 1,
 * which any found range can hold wherever its aligned start falls (see find()). */
#include <stdio.h>
#include <string.h>

#include "placement/tlsf.h"

/* The list, split and merge steps inline into the allocation and the free, where GCC keeps
 * them out of line (each is called from several places): measured with the sub-allocation
 * benchmark (bufpool_bench ranges), a free + allocation pair ran 8% faster. */
#if defined(__GNUC__)
#define TLSF_INLINE static inline __attribute__((always_inline))
#else
#define TLSF_INLINE static inline
#endif

static int log2_floor(uint64_t v) { return 63 - __builtin_clzll(v); }

TLSF_INLINE void class_of(uint64_t size, uint32_t *fl, uint32_t *sl) {
    *fl = bpi_tlsf_fl_of(size);
    if (size < BPI_TLSF_SL_COUNT) {
        *sl = (uint32_t)size;
        return;
    }
    *sl = (uint32_t)(size >> (log2_floor(size) - (int)BPI_TLSF_SL_LOG2)) & (BPI_TLSF_SL_COUNT - 1u);
}

/* The class whose every range is at least `size` bytes. */
TLSF_INLINE void class_at_least(uint64_t size, uint32_t *fl, uint32_t *sl) {
    if (size >= BPI_TLSF_SL_COUNT) size += (1ull << (log2_floor(size) - (int)BPI_TLSF_SL_LOG2)) - 1u;
    class_of(size, fl, sl);
}

TLSF_INLINE void list_insert(bpi_tlsf *t, uint32_t n) {
    bpi_tlsf_node *node = &t->nodes[n];
    uint32_t fl, sl;
    class_of(node->size, &fl, &sl);
    uint32_t head = t->heads[fl][sl];
    node->state = BPI_NODE_FREE;
    node->fl = (uint8_t)fl;
    node->sl = (uint8_t)sl;
    node->prev_free = BPI_TLSF_NIL;
    node->next_free = head;
    if (head != BPI_TLSF_NIL) t->nodes[head].prev_free = n;
    t->heads[fl][sl] = n;
    t->sl_bitmap[fl] |= 1u << sl;
    t->fl_bitmap |= 1ull << fl;
    t->free_count++;
}

TLSF_INLINE void list_remove(bpi_tlsf *t, uint32_t n) {
    bpi_tlsf_node *node = &t->nodes[n];
    uint32_t fl = node->fl, sl = node->sl;
    if (node->prev_free != BPI_TLSF_NIL) t->nodes[node->prev_free].next_free = node->next_free;
    else t->heads[fl][sl] = node->next_free;
    if (node->next_free != BPI_TLSF_NIL) t->nodes[node->next_free].prev_free = node->prev_free;
    if (t->heads[fl][sl] == BPI_TLSF_NIL) {
        t->sl_bitmap[fl] &= ~(1u << sl);
        if (!t->sl_bitmap[fl]) t->fl_bitmap &= ~(1ull << fl);
    }
    t->free_count--;
}

/* Nodes that can become ranges without growing: the spare list and the untouched tail. */
static uint32_t spare_available(const bpi_tlsf *t) { return t->spare_count + (t->node_capacity - t->node_count); }

TLSF_INLINE uint32_t spare_take(bpi_tlsf *t) {
    uint32_t n = t->spare;
    if (n != BPI_TLSF_NIL) {
        t->spare = t->nodes[n].next_free;
        t->spare_count--;
        return n;
    }
    n = t->node_count++;
    t->nodes[n].generation = 0;
    return n;
}

TLSF_INLINE void spare_put(bpi_tlsf *t, uint32_t n) {
    bpi_tlsf_node *node = &t->nodes[n]; /* its generation stays: a stale id must stay recognisable */
    node->state = BPI_NODE_SPARE;
    node->offset = node->size = 0;
    node->user_data = NULL;
    node->prev_phys = node->next_phys = node->prev_free = node->next_free = BPI_TLSF_NIL;
    if (node->generation == UINT32_MAX) { /* its ids are used up: retired, never handed out again */
        t->retired++;
        return;
    }
    node->next_free = t->spare;
    t->spare = n;
    t->spare_count++;
}

/* Node n (out of every list) would become a range with a wrapped generation: a spare node
 * takes its place in the chain and n retires. */
static uint32_t replace_exhausted(bpi_tlsf *t, uint32_t n) {
    uint32_t m = spare_take(t);
    uint32_t gen = t->nodes[m].generation;
    t->nodes[m] = t->nodes[n];
    t->nodes[m].generation = gen;
    bpi_tlsf_node *node = &t->nodes[m];
    if (node->prev_phys != BPI_TLSF_NIL) t->nodes[node->prev_phys].next_phys = m;
    else t->first = m;
    if (node->next_phys != BPI_TLSF_NIL) t->nodes[node->next_phys].prev_phys = m;
    spare_put(t, n);
    return m;
}

/* Room for `needed` more spare nodes: the node array doubles (never with fixed capacity). */
static bp_result grow(bpi_tlsf *t, uint32_t needed) {
    if (t->fixed) return BP_ERR_CAPACITY;
    uint32_t cap = t->node_capacity;
    needed -= t->spare_count;
    while (cap - t->node_count < needed && cap < t->max_nodes) cap = cap > t->max_nodes / 2 ? t->max_nodes : cap * 2;
    if (cap - t->node_count < needed) return BP_ERR_CAPACITY;
    bpi_tlsf_node *nodes = t->alloc.alloc(t->alloc.user, (size_t)cap * sizeof *nodes, 16);
    if (!nodes) return BP_ERR_OUT_OF_MEMORY;
    memcpy(nodes, t->nodes, (size_t)t->node_count * sizeof *nodes);
    t->alloc.free(t->alloc.user, t->nodes);
    t->nodes = nodes;
    t->node_capacity = cap;
    return BP_OK;
}

bp_result bpi_tlsf_init(bpi_tlsf *t, uint64_t size, uint32_t max_ranges, bp_allocator alloc) {
    memset(t, 0, sizeof *t);
    memset(t->heads, 0xff, sizeof t->heads);
    t->alloc = alloc;
    t->size = size;
    t->spare = BPI_TLSF_NIL;
    t->fixed = max_ranges > 0;
    t->max_nodes = t->fixed ? 2u * max_ranges + 1u : BPI_TLSF_MAX_NODES;
    t->node_capacity = t->fixed ? t->max_nodes : 64u;
    t->nodes = alloc.alloc(alloc.user, (size_t)t->node_capacity * sizeof *t->nodes, 16);
    if (!t->nodes) return BP_ERR_OUT_OF_MEMORY;
    t->first = spare_take(t);
    bpi_tlsf_node *n = &t->nodes[t->first];
    memset(n, 0, sizeof *n);
    n->size = size;
    n->prev_phys = n->next_phys = BPI_TLSF_NIL;
    list_insert(t, t->first);
    return BP_OK;
}

void bpi_tlsf_release(bpi_tlsf *t) {
    t->alloc.free(t->alloc.user, t->nodes);
    t->nodes = NULL;
}

/* Split node n at `at` bytes from its start: the tail becomes a new node right after n. */
TLSF_INLINE uint32_t split(bpi_tlsf *t, uint32_t n, uint64_t at) {
    uint32_t m = spare_take(t);
    bpi_tlsf_node *a = &t->nodes[n], *b = &t->nodes[m];
    b->user_data = NULL;
    b->freed_at = a->freed_at;
    b->offset = a->offset + at;
    b->size = a->size - at;
    b->prev_phys = n;
    b->next_phys = a->next_phys;
    if (a->next_phys != BPI_TLSF_NIL) t->nodes[a->next_phys].prev_phys = m;
    a->next_phys = m;
    a->size = at;
    return m;
}

/* Head of the first non-empty class at or above (fl, sl), or NIL. */
TLSF_INLINE uint32_t search(const bpi_tlsf *t, uint32_t fl, uint32_t sl) {
    uint32_t sl_map = fl < BPI_TLSF_FL_COUNT ? t->sl_bitmap[fl] & (~0u << sl) : 0;
    if (!sl_map) {
        uint64_t fl_map = fl + 1 < BPI_TLSF_FL_COUNT ? t->fl_bitmap & (~0ull << (fl + 1)) : 0;
        if (!fl_map) return BPI_TLSF_NIL;
        fl = (uint32_t)__builtin_ctzll(fl_map);
        sl_map = t->sl_bitmap[fl];
    }
    return t->heads[fl][(uint32_t)__builtin_ctz(sl_map)];
}

TLSF_INLINE bool fits(const bpi_tlsf *t, uint32_t n, uint64_t size, uint64_t alignment, uint64_t *pad) {
    if (n == BPI_TLSF_NIL) return false;
    const bpi_tlsf_node *node = &t->nodes[n];
    *pad = (0 - node->offset) & (alignment - 1); /* alignment is a power of two */
    return node->size >= *pad && node->size - *pad >= size;
}

/* Three O(1) probes, cheapest waste first: the head of the size's own class (an exact or
 * near fit, not guaranteed), the first class above whose ranges all hold `size` (guaranteed
 * unless the alignment gets in the way), and the first class whose ranges all hold
 * size + alignment - 1 (guaranteed). */
TLSF_INLINE uint32_t find(const bpi_tlsf *t, uint64_t size, uint64_t alignment, uint64_t *pad) {
    uint32_t fl, sl, n;
    class_of(size, &fl, &sl);
    n = t->heads[fl][sl];
    if (fits(t, n, size, alignment, pad)) return n;
    class_at_least(size, &fl, &sl);
    n = search(t, fl, sl);
    if (fits(t, n, size, alignment, pad) || alignment == 1) return n;
    uint64_t want = size + alignment - 1;
    if (want > t->size) return BPI_TLSF_NIL;
    class_at_least(want, &fl, &sl);
    n = search(t, fl, sl);
    return fits(t, n, size, alignment, pad) ? n : BPI_TLSF_NIL;
}

bp_result bpi_tlsf_alloc(bpi_tlsf *t, uint64_t size, uint64_t alignment, uint32_t *out_node) {
    uint64_t pad = 0;
    uint32_t n = find(t, size, alignment, &pad);
    if (n == BPI_TLSF_NIL) return BP_ERR_CAPACITY;
    const bpi_tlsf_node *found = &t->nodes[n];
    uint32_t needed = (pad > 0) + (found->size - pad > size) + (!pad && found->generation == UINT32_MAX);
    if (spare_available(t) < needed) {
        bp_result r = grow(t, needed);
        if (r != BP_OK) return r;
    }
    list_remove(t, n);
    if (pad) { /* the gap before the aligned start stays free: its own node */
        uint32_t m = split(t, n, pad);
        list_insert(t, n);
        n = m;
    }
    if (t->nodes[n].generation == UINT32_MAX) n = replace_exhausted(t, n);
    if (t->nodes[n].size > size) list_insert(t, split(t, n, size));
    bpi_tlsf_node *u = &t->nodes[n];
    u->state = BPI_NODE_USED;
    u->generation++;
    u->user_data = NULL;
    u->asked = size;
    t->used_bytes += size;
    t->used_count++;
    *out_node = n;
    return BP_OK;
}

/* Merge node b (right after a) into a; b becomes spare. */
TLSF_INLINE void absorb(bpi_tlsf *t, uint32_t a, uint32_t b) {
    bpi_tlsf_node *na = &t->nodes[a], *nb = &t->nodes[b];
    na->size += nb->size;
    if (nb->freed_at > na->freed_at) na->freed_at = nb->freed_at;
    na->next_phys = nb->next_phys;
    if (nb->next_phys != BPI_TLSF_NIL) t->nodes[nb->next_phys].prev_phys = a;
    spare_put(t, b);
}

void bpi_tlsf_free_at(bpi_tlsf *t, uint32_t n, uint64_t stamp) {
    bpi_tlsf_node *node = &t->nodes[n];
    t->used_bytes -= node->size;
    t->used_count--;
    node->state = BPI_NODE_FREE;
    node->user_data = NULL;
    node->freed_at = stamp;
    uint32_t next = node->next_phys, prev = node->prev_phys;
    if (next != BPI_TLSF_NIL && t->nodes[next].state == BPI_NODE_FREE) {
        list_remove(t, next);
        absorb(t, n, next);
    }
    if (prev != BPI_TLSF_NIL && t->nodes[prev].state == BPI_NODE_FREE) {
        list_remove(t, prev);
        absorb(t, prev, n);
        n = prev;
    }
    list_insert(t, n);
}

void bpi_tlsf_free(bpi_tlsf *t, uint32_t n) { bpi_tlsf_free_at(t, n, 0); }

uint64_t bpi_tlsf_largest_free(const bpi_tlsf *t) {
    if (!t->fl_bitmap) return 0;
    uint32_t fl = (uint32_t)log2_floor(t->fl_bitmap);
    uint32_t sl = (uint32_t)log2_floor(t->sl_bitmap[fl]);
    uint64_t best = 0;
    for (uint32_t n = t->heads[fl][sl]; n != BPI_TLSF_NIL; n = t->nodes[n].next_free)
        if (t->nodes[n].size > best) best = t->nodes[n].size;
    return best;
}

#define FAIL(...) return (snprintf(why, why_size, __VA_ARGS__), false)

static bool check_lists(const bpi_tlsf *t, uint32_t free_nodes, char *why, size_t why_size) {
    uint32_t listed = 0;
    for (uint32_t fl = 0; fl < BPI_TLSF_FL_COUNT; fl++) {
        if (!!(t->fl_bitmap & (1ull << fl)) != !!t->sl_bitmap[fl]) FAIL("first-level bit %u disagrees", fl);
        for (uint32_t sl = 0; sl < BPI_TLSF_SL_COUNT; sl++) {
            uint32_t head = t->heads[fl][sl], prev = BPI_TLSF_NIL;
            if (!!(t->sl_bitmap[fl] & (1u << sl)) != (head != BPI_TLSF_NIL)) FAIL("bitmap of class %u.%u disagrees", fl, sl);
            for (uint32_t n = head; n != BPI_TLSF_NIL; prev = n, n = t->nodes[n].next_free) {
                uint32_t f, s;
                if (n >= t->node_count || ++listed > free_nodes) FAIL("free list %u.%u is broken", fl, sl);
                class_of(t->nodes[n].size, &f, &s);
                if (t->nodes[n].state != BPI_NODE_FREE || f != fl || s != sl || t->nodes[n].prev_free != prev)
                    FAIL("node %u is in the wrong free list (%u.%u)", n, fl, sl);
            }
        }
    }
    if (listed != free_nodes) FAIL("%u free ranges, %u in the free lists", free_nodes, listed);
    return true;
}

bool bpi_tlsf_check(const bpi_tlsf *t, char *why, size_t why_size) {
    uint64_t offset = 0, used = 0;
    uint32_t nodes = 0, used_count = 0, free_count = 0, prev = BPI_TLSF_NIL;
    for (uint32_t n = t->first; n != BPI_TLSF_NIL; prev = n, n = t->nodes[n].next_phys) {
        if (n >= t->node_count || ++nodes > t->node_count) FAIL("the range chain is broken at node %u", n);
        const bpi_tlsf_node *node = &t->nodes[n];
        if (node->prev_phys != prev) FAIL("node %u: wrong previous neighbour", n);
        if (node->offset != offset || node->size == 0) FAIL("node %u: offset %llu size %llu, expected offset %llu", n,
                                                            (unsigned long long)node->offset,
                                                            (unsigned long long)node->size, (unsigned long long)offset);
        if (node->state == BPI_NODE_USED) {
            used += node->size;
            used_count++;
        } else if (node->state == BPI_NODE_FREE) {
            free_count++;
            if (prev != BPI_TLSF_NIL && t->nodes[prev].state == BPI_NODE_FREE) FAIL("free neighbours %u and %u not merged", prev, n);
        } else FAIL("spare node %u in the range chain", n);
        offset += node->size;
    }
    if (offset != t->size) FAIL("ranges cover %llu of %llu bytes", (unsigned long long)offset, (unsigned long long)t->size);
    if (used != t->used_bytes || used_count != t->used_count || free_count != t->free_count)
        FAIL("counters disagree: used %llu/%llu bytes, %u/%u ranges, %u/%u free", (unsigned long long)used,
             (unsigned long long)t->used_bytes, used_count, t->used_count, free_count, t->free_count);
    uint32_t spare = 0;
    for (uint32_t n = t->spare; n != BPI_TLSF_NIL; n = t->nodes[n].next_free)
        if (n >= t->node_count || ++spare > t->node_count || t->nodes[n].state != BPI_NODE_SPARE) FAIL("spare list is broken");
    if (spare != t->spare_count) FAIL("%u spare nodes listed, %u counted", spare, t->spare_count);
    if (nodes + spare + t->retired != t->node_count)
        FAIL("%u nodes in ranges + %u spare + %u retired != %u", nodes, spare, t->retired, t->node_count);
    if (nodes > 2u * used_count + 1u) FAIL("%u nodes for %u ranges", nodes, used_count);
    return check_lists(t, free_count, why, why_size);
}
