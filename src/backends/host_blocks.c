/* The host backend's block mode: a buffer of up to a quarter of `block_size` is a range of a
 * large host block, placed by TLSF (placement/tlsf.c, the algorithm behind bp_vblock), so a
 * pool miss costs a range search instead of a malloc (for big buffers: an mmap, and a munmap
 * when it is destroyed); one of up to twice `block_size` a range of a block of its own size
 * class. Bigger buffers get an allocation of their own. With libc's memory the blocks are
 * mapped here and counted by the page (host_purge.c). The block list is
 * behind a lock: bp_host_backend_get_stats may read it from any thread while a pool works. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "backends/host_blocks.h"
#include "backends/host_purge.h"
#include "internal/libc_alloc.h"
#include "placement/block_growth.h"
#include "placement/tlsf.h"

#define MIN_BLOCK_SIZE (64u * 1024u)
#define BLOCK_ALIGNMENT 4096u /* blocks start on a page: a range's alignment up to this holds */
#define NODE_BITS 24u         /* backend_data = (block index + 1) << NODE_BITS | TLSF node */
#define LARGE_BLOCKS 8u /* ranges up to a quarter of 8 block sizes, in blocks of their own size */
#define PURGE_MIN_RANGE (1024u * 1024u) /* smaller free ranges stay: each would be a madvise (about 1 us) */
#define PURGE_AFTER 1024u               /* purge_after 0: ticks of the backend's clock */
#define PURGE_FLOOR (2u << 20)          /* free bytes always kept (at most one block_size) */
#define PURGE_REWALK 64u                /* ticks before a walk that gave back too little walks again */
#define HOLD_MIN_RANGE (64u * 1024u)    /* hold_at_peak: free ranges it may give back */

typedef struct host_block {
    void *base;
    uint64_t size;
    bool spare;          /* empty and kept (host_blocks.spare_bytes) */
    bpi_tlsf tlsf;
    bpi_purge_map purge; /* which of its pages have memory behind them */
} host_block;

typedef struct host_blocks {
    bp_host_backend_desc desc;
    pthread_mutex_t lock;
    host_block **blocks; /* a freed block leaves NULL: the indices in live buffers stay right */
    /* Each block's TLSF first-level bitmap (0 for no block), kept beside the list: a placement
     * skips a block with no free range large enough (bpi_tlsf_may_fit) without touching it. On
     * the vegetation trace, whose misses walked a hundred fragmented blocks, each walk took
     * several cache misses in every block's TLSF heads and nodes. */
    uint64_t *fl_maps;
    uint32_t count, capacity;
    uint64_t spare_bytes; /* bytes of the empty blocks kept */
    bool mapped;         /* blocks are mapped here (libc's memory on Linux): pages are counted */
    uint32_t purge_after; /* ... and free space this old is given back; UINT32_MAX: never */
    bool hold_at_peak;    /* ... and free space given back before held would pass its peak */
    bool populate;        /* ... and pages a range takes get memory when it is placed */
    uint64_t purge_next; /* kept free bytes (not given back) past which the next purge walks */
    uint64_t ops;        /* ranges placed and freed, ever: the clock of free space's age */
    uint64_t walk_ops;   /* ops at which a purge walks again anyway (older free space by then) */
    bp_host_backend_stats stats;
} host_blocks;

/* Block indices fit the bits of backend_data above the node (all of uint32 on 64-bit). */
static uint32_t max_blocks(void) {
    uintptr_t limit = ((uintptr_t)-1 >> NODE_BITS) - 1u;
    return limit < UINT32_MAX / 2u ? (uint32_t)limit : UINT32_MAX / 2u;
}

/* What the backend holds: block pages with memory behind them, and dedicated buffers. */
static uint64_t held_of(const bp_host_backend_stats *s) {
    return s->block_bytes - s->purged_bytes + s->dedicated_bytes;
}

/* Bytes of blocks no range covers, given back or not (a range's bytes are its TLSF node's). */
static uint64_t free_of(const bp_host_backend_stats *s) { return s->block_bytes - s->range_bytes; }

static void note_held(host_blocks *h) {
    bp_host_backend_stats *s = &h->stats;
    s->held_bytes = held_of(s);
    if (s->held_bytes > s->peak_held_bytes) s->peak_held_bytes = s->held_bytes;
    if (s->blocks > s->peak_blocks) s->peak_blocks = s->blocks;
}

/* The size of the next block: VMA's growth (block_growth.h), but never more than the blocks
 * already hold (at least MIN_BLOCK_SIZE and twice the request), so that a small working set
 * holds small blocks: seed 000's instances (0.24 MiB at once) held a whole 8 MiB first block
 * of 64 MiB blocks, and now 1 MiB. Host memory has no allocation count to save, as a device's
 * has (the Vulkan backend keeps VMA's rule alone). */
static uint64_t host_block_size(const host_blocks *h, uint64_t request) {
    if (request > h->desc.block_size / 4) { /* a large range: a block of its own size class */
        uint64_t big = h->desc.block_size;
        while (big / 4 < request && big <= UINT64_MAX / 2) big *= 2; /* no overflow at absurd sizes */
        return big;
    }
    uint64_t vma = bpi_next_block_size(h->desc.block_size, h->stats.blocks, request, MIN_BLOCK_SIZE);
    uint64_t held = MIN_BLOCK_SIZE;
    while (held < 2 * request || held < h->stats.block_bytes) held *= 2;
    return held < vma ? held : vma;
}

static void release_memory(const host_blocks *h, host_block *b) {
    if (h->mapped) bpi_pages_unmap(b->base, b->size);
    else h->desc.allocator.free(h->desc.allocator.user, b->base);
}

/* A new block in the first free entry of the list (which doubles when full); its index. */
static bp_result add_block(host_blocks *h, uint64_t request, uint32_t *out_index) {
    uint32_t i = 0;
    while (i < h->count && h->blocks[i]) i++;
    if (i == h->capacity) {
        if (h->capacity >= max_blocks()) return BP_ERR_CAPACITY;
        uint32_t cap = h->capacity ? h->capacity * 2u : 8u;
        host_block **grown = realloc(h->blocks, (size_t)cap * sizeof *grown);
        if (!grown) return BP_ERR_OUT_OF_MEMORY;
        h->blocks = grown;
        uint64_t *maps = realloc(h->fl_maps, (size_t)cap * sizeof *maps);
        if (!maps) return BP_ERR_OUT_OF_MEMORY; /* the longer list stays, unused until both grow */
        h->fl_maps = maps;
        h->capacity = cap;
    }
    host_block *b = calloc(1, sizeof *b);
    if (!b) return BP_ERR_OUT_OF_MEMORY;
    bp_allocator libc = {bpi_libc_alloc, bpi_libc_free, NULL};
    b->size = host_block_size(h, request);
    if (bpi_tlsf_init(&b->tlsf, b->size, 0, libc) != BP_OK) {
        free(b);
        return BP_ERR_OUT_OF_MEMORY;
    }
    b->base = h->mapped ? bpi_pages_map(b->size)
                        : h->desc.allocator.alloc(h->desc.allocator.user, (size_t)b->size, BLOCK_ALIGNMENT);
    if (!b->base || !bpi_purge_map_init(&b->purge, b->base, b->size, h->mapped)) {
        if (b->base) release_memory(h, b);
        bpi_tlsf_release(&b->tlsf);
        free(b);
        return BP_ERR_OUT_OF_MEMORY;
    }
    h->blocks[i] = b;
    h->fl_maps[i] = b->tlsf.fl_bitmap;
    if (i == h->count) h->count++;
    h->stats.blocks++;
    h->stats.block_bytes += b->size;
    h->stats.purged_bytes += b->purge.purged_pages << b->purge.page_shift; /* a mapped block: all of it */
    h->stats.block_allocations++;
    note_held(h);
    *out_index = i;
    return BP_OK;
}

static void free_block(host_blocks *h, uint32_t i) {
    host_block *b = h->blocks[i];
    h->stats.blocks--;
    h->stats.block_bytes -= b->size;
    h->stats.purged_bytes -= b->purge.purged_pages << b->purge.page_shift;
    if (b->spare) h->spare_bytes -= b->size;
    release_memory(h, b);
    bpi_purge_map_release(&b->purge);
    bpi_tlsf_release(&b->tlsf);
    free(b);
    h->blocks[i] = NULL;
    h->fl_maps[i] = 0;
    note_held(h);
}

/* Free ranges of block b freed at least `age` ticks ago, from the largest class down (a
 * madvise gives back the most there) to ranges of `min_range`, until `excess` bytes are given
 * back; the bytes given back. */
static uint64_t purge_block(host_blocks *h, host_block *b, uint64_t excess, uint64_t age, uint64_t min_range) {
    const bpi_tlsf *t = &b->tlsf;
    /* Every page a range touches has memory behind it, so a block whose held pages do not pass
     * its ranges' bytes by a page has no free page to give back: skipped without a walk (with
     * hold_at_peak most blocks are so, and each range that takes pages back would walk them
     * all: 40% of the vegetation trace's time with `pooled_headroom` 10 as well). */
    uint64_t held = (b->purge.pages - b->purge.purged_pages) << b->purge.page_shift;
    if (held < t->used_bytes + (1ull << b->purge.page_shift)) return 0;
    uint64_t given = 0;
    for (uint64_t fl_map = t->fl_bitmap; fl_map && given < excess;) { /* the classes with ranges, largest first */
        uint32_t fl = 63u - (uint32_t)__builtin_clzll(fl_map);
        fl_map &= ~(1ull << fl);
        for (uint32_t map = t->sl_bitmap[fl]; map && given < excess;) {
            uint32_t sl = 31u - (uint32_t)__builtin_clz(map);
            map &= ~(1u << sl);
            for (uint32_t n = t->heads[fl][sl]; n != BPI_TLSF_NIL && given < excess; n = t->nodes[n].next_free) {
                const bpi_tlsf_node *node = &t->nodes[n];
                if (node->size < min_range) return given; /* and every range after it */
                if (node->freed_at + age > h->ops) continue; /* freed lately: likely placed again soon */
                given += bpi_purge_range(&b->purge, (uintptr_t)b->base + node->offset, node->size,
                                         &h->stats.purge_calls);
            }
        }
    }
    return given;
}

/* purge_block over the blocks, newest first (the first-fit placement fills them last), until
 * `excess` bytes are given back; counted in purged_bytes; the bytes given back. None walked
 * when no free byte has memory behind it. */
static uint64_t purge_blocks(host_blocks *h, uint64_t excess, uint64_t age, uint64_t min_range) {
    uint64_t given = 0;
    if (free_of(&h->stats) <= h->stats.purged_bytes) return 0;
    for (uint32_t i = h->count; i-- > 0 && given < excess;)
        if (h->blocks[i]) given += purge_block(h, h->blocks[i], excess - given, age, min_range);
    h->stats.purged_bytes += given;
    return given;
}

/* hold_at_peak: a range has taken pages back (or a dedicated buffer was made); while the bytes
 * held pass their peak, free space goes back, what no range has used for purge_after ticks
 * first (the pages a range is likely to take again soon are the young ones), then any. The
 * free ranges it walks are those of at least HOLD_MIN_RANGE: smaller fragments stay (a madvise
 * each, for little). */
static void hold_at_peak(host_blocks *h) {
    uint64_t held = held_of(&h->stats), peak = h->stats.peak_held_bytes;
    if (held <= peak) return;
    uint64_t given = purge_blocks(h, held - peak, h->purge_after, HOLD_MIN_RANGE);
    if (given < held - peak) purge_blocks(h, held - peak - given, 0, HOLD_MIN_RANGE);
}

/* A range in block i; false when it has no room. */
static bool place_in(host_blocks *h, uint32_t i, uint64_t size, uint64_t align, const bp_backend_create_desc *d,
                     bp_backend_buffer *out) {
    host_block *b = h->blocks[i];
    uint32_t node;
    if (!b || bpi_tlsf_alloc(&b->tlsf, size, align, &node) != BP_OK) return false;
    h->fl_maps[i] = b->tlsf.fl_bitmap;
    if (b->spare) { /* a kept empty block is in use again */
        b->spare = false;
        h->spare_bytes -= b->size;
    }
    h->ops++;
    h->stats.ranges++;
    h->stats.range_bytes += size;
    uint64_t offset = b->tlsf.nodes[node].offset;
    if (b->purge.purged_pages) { /* pages given back are held again once the range is written */
        uint64_t taken = bpi_purge_unmark(&b->purge, (uintptr_t)b->base + offset, size, h->populate);
        h->stats.purged_bytes -= taken;
        if (taken && h->hold_at_peak) hold_at_peak(h);
        note_held(h);
    }
    bpi_host_buffer_out(d, (char *)b->base + offset, size, out);
    out->native_memory = (uint64_t)(uintptr_t)b->base;
    out->offset = offset;
    out->backend_data = (void *)(((uintptr_t)i + 1u) << NODE_BITS | node);
    return true;
}

/* The first block with room, in list order: the newest blocks take what the older ones cannot,
 * so they are the ones that empty and are freed. No block is added: for a buffer too large for
 * blocks, the free space they hold, else an allocation of its own. */
static bool place_held(host_blocks *h, uint64_t size, uint64_t align, const bp_backend_create_desc *d,
                       bp_backend_buffer *out) {
    for (uint32_t i = 0; i < h->count; i++)
        if (bpi_tlsf_may_fit(h->fl_maps[i], size) && place_in(h, i, size, align, d, out)) return true;
    return false;
}

/* A range in the blocks held, else in a new block. */
static bp_result place(host_blocks *h, uint64_t size, uint64_t align, const bp_backend_create_desc *d,
                       bp_backend_buffer *out) {
    if (place_held(h, size, align, d, out)) return BP_OK;
    uint32_t i;
    bp_result r = add_block(h, size, &i);
    if (r != BP_OK) return r;
    if (place_in(h, i, size, align, d, out)) return BP_OK;
    free_block(h, i); /* cannot happen: a new block holds twice its request at a page alignment */
    return BP_ERR_OUT_OF_MEMORY;
}

/* Free space no range has used for purge_after ticks is given back to the kernel while the
 * free space kept passes a sixteenth of what ranges use (and 2 MiB): down to half that, from
 * the newest blocks (which the first-fit placement fills last) back. A working set that
 * shrinks in blocks pinned by a few live ranges holds the space its peak left otherwise (the
 * benchmark's vegetation trace: 197 MiB free in 464 MiB of blocks when its large buffers
 * peaked). A range placed there later takes the pages back (bpi_purge_unmark); the kernel maps
 * zeroed ones at the first touch, a page fault each: young free space stays, as it is likely
 * used again soon. */
static void purge_if_over(host_blocks *h) {
    uint64_t kept = free_of(&h->stats) - h->stats.purged_bytes;
    uint64_t floor = h->desc.block_size < PURGE_FLOOR ? h->desc.block_size : PURGE_FLOOR;
    uint64_t limit = h->stats.range_bytes / 16u > floor ? h->stats.range_bytes / 16u : floor;
    if (h->purge_after == UINT32_MAX || kept <= limit || (kept <= h->purge_next && h->ops < h->walk_ops)) return;
    kept -= purge_blocks(h, kept - limit / 2u, h->purge_after, PURGE_MIN_RANGE);
    /* what the walk could not give back (free ranges too small or too young) is not walked
     * again until the kept bytes grow by half the limit or the young ones have aged */
    h->purge_next = kept + limit / 2u;
    h->walk_ops = h->ops + (h->purge_after > PURGE_REWALK ? h->purge_after : PURGE_REWALK);
    note_held(h);
}

/* bp_trim with `everything`: every free page goes back, whatever its age (unless never). */
static void blocks_trim(void *user) {
    host_blocks *h = user;
    pthread_mutex_lock(&h->lock);
    if (h->purge_after != UINT32_MAX) purge_blocks(h, UINT64_MAX, 0, 1);
    note_held(h);
    pthread_mutex_unlock(&h->lock);
}

static bp_result create_dedicated(host_blocks *h, uint64_t size, uint64_t align, const bp_backend_create_desc *d,
                                  bp_backend_buffer *out) {
    void *p = h->desc.allocator.alloc(h->desc.allocator.user, (size_t)size, (size_t)align);
    if (!p) return BP_ERR_OUT_OF_MEMORY;
    if (h->populate) bpi_pages_populate(p, size); /* libc's memory, no buffer's yet */
    bpi_host_buffer_out(d, p, size, out);
    h->stats.dedicated++;
    h->stats.dedicated_bytes += size;
    if (h->hold_at_peak) hold_at_peak(h); /* its bytes count as held too */
    note_held(h);
    return BP_OK;
}

static bp_result blocks_create(void *user, const bp_backend_create_desc *d, bp_backend_buffer *out) {
    host_blocks *h = user;
    uint64_t align = d->alignment > h->desc.alignment ? d->alignment : h->desc.alignment;
    if (d->size > h->desc.max_buffer_size || d->size > SIZE_MAX - align) return BP_ERR_TOO_LARGE;
    uint64_t size = (d->size + align - 1) & ~(align - 1);
    pthread_mutex_lock(&h->lock);
    bp_result r;
    if (align > BLOCK_ALIGNMENT) r = create_dedicated(h, size, align, d, out);
    else if (size / LARGE_BLOCKS <= h->desc.block_size / 4) r = place(h, size, align, d, out);
    else r = place_held(h, size, align, d, out) ? BP_OK : create_dedicated(h, size, align, d, out);
    pthread_mutex_unlock(&h->lock);
    return r;
}

/* A block whose last range was freed is kept empty while the empty blocks kept stay within a
 * quarter of all blocks' bytes (and one block at least), else unmapped: a pool that breathes
 * does not map its blocks again, which a program that writes its buffers pays as a page fault
 * per page (about 10 us each on the benchmark's virtual machine). With one spare only, the
 * vegetation trace mapped 5-10 new blocks a pass over its 600 frames; with an eighth, its
 * passes still alternated between 2-6 and 27-44 us an acquire with every page written (its
 * large-range blocks of 32-64 MiB unmapped and mapped again); with a quarter they settle at 2-3
 * us. The peak held is the same: a kept block's pages go back to the kernel as any free space
 * does (purge_after). */
static void keep_or_free(host_blocks *h, uint32_t i) {
    host_block *b = h->blocks[i];
    if (h->spare_bytes && h->spare_bytes + b->size > h->stats.block_bytes / 4u) {
        free_block(h, i);
        return;
    }
    b->spare = true;
    h->spare_bytes += b->size;
}

static void blocks_destroy(void *user, const bp_backend_buffer *buf) {
    host_blocks *h = user;
    uintptr_t data = (uintptr_t)buf->backend_data;
    pthread_mutex_lock(&h->lock);
    if (!data) {
        h->desc.allocator.free(h->desc.allocator.user, buf->mapped);
        h->stats.dedicated--;
        h->stats.dedicated_bytes -= buf->capacity;
        note_held(h);
    } else {
        uint32_t i = (uint32_t)(data >> NODE_BITS) - 1u;
        host_block *b = h->blocks[i];
        bpi_tlsf_free_at(&b->tlsf, (uint32_t)(data & ((1u << NODE_BITS) - 1u)), ++h->ops);
        h->fl_maps[i] = b->tlsf.fl_bitmap;
        h->stats.ranges--;
        h->stats.range_bytes -= buf->capacity;
        if (b->tlsf.used_count == 0) keep_or_free(h, i);
        purge_if_over(h);
    }
    pthread_mutex_unlock(&h->lock);
}

/* The pool destroys every buffer before it releases its backend: what is left are spares. */
static void blocks_release(void *user) {
    host_blocks *h = user;
    for (uint32_t i = 0; i < h->count; i++)
        if (h->blocks[i]) free_block(h, i);
    free(h->blocks);
    free(h->fl_maps);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

bp_result bpi_host_blocks_backend(const bp_host_backend_desc *d, bool libc, bp_backend *out) {
    if (d->block_size < MIN_BLOCK_SIZE || d->block_size % d->alignment || d->block_size > SIZE_MAX)
        return BP_ERR_INVALID_ARGUMENT;
    host_blocks *h = calloc(1, sizeof *h);
    if (!h) return BP_ERR_OUT_OF_MEMORY;
    if (pthread_mutex_init(&h->lock, NULL) != 0) {
        free(h);
        return BP_ERR_OUT_OF_MEMORY;
    }
    h->desc = *d;
    /* madvise only memory it knows: libc's (private anonymous pages); an application's
     * allocator may hand out memory where giving pages back means something else */
    h->mapped = libc && bpi_purge_supported();
    h->purge_after = !h->mapped ? UINT32_MAX : d->purge_after ? d->purge_after : PURGE_AFTER;
    h->hold_at_peak = d->hold_at_peak && h->purge_after != UINT32_MAX;
    h->populate = d->populate && h->mapped;
    bp_backend_init(out, "host", h);
    out->create = blocks_create;
    out->destroy = blocks_destroy;
    out->query_caps = bpi_host_caps; /* the desc is the state's first member */
    out->trim = blocks_trim;
    out->release = blocks_release;
    return BP_OK;
}

bp_result bp_host_backend_get_stats(const bp_backend *backend, bp_host_backend_stats *out) {
    if (!backend || !out) return BP_ERR_INVALID_ARGUMENT;
    memset(out, 0, sizeof *out);
    if (backend->create != blocks_create || !backend->user) return BP_ERR_UNSUPPORTED;
    host_blocks *h = backend->user;
    pthread_mutex_lock(&h->lock);
    *out = h->stats;
    pthread_mutex_unlock(&h->lock);
    return BP_OK;
}
