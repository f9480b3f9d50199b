/* The host backend's block mode: a buffer of up to a quarter of `block_size` is a range of a
 * large host block, placed by TLSF (placement/tlsf.c, the algorithm behind bp_vblock), so a
 * pool miss costs a range search instead of a malloc (for big buffers: an mmap, and a munmap
 * when it is destroyed). Bigger buffers get an allocation of their own. The block list is
 * behind a lock: bp_host_backend_get_stats may read it from any thread while a pool works. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "backends/host_blocks.h"
#include "internal/libc_alloc.h"
#include "placement/block_growth.h"
#include "placement/tlsf.h"

#define MIN_BLOCK_SIZE (64u * 1024u)
#define BLOCK_ALIGNMENT 4096u /* blocks start on a page: a range's alignment up to this holds */
#define NODE_BITS 24u         /* backend_data = (block index + 1) << NODE_BITS | TLSF node */
#define NO_SPARE UINT32_MAX

typedef struct host_block {
    void *base;
    uint64_t size;
    bpi_tlsf tlsf;
} host_block;

typedef struct host_blocks {
    bp_host_backend_desc desc;
    pthread_mutex_t lock;
    host_block **blocks; /* a freed block leaves NULL: the indices in live buffers stay right */
    uint32_t count, capacity;
    uint32_t spare;      /* the index of the empty block kept, or NO_SPARE */
    bp_host_backend_stats stats;
} host_blocks;

/* Block indices fit the bits of backend_data above the node (all of uint32 on 64-bit). */
static uint32_t max_blocks(void) {
    uintptr_t limit = ((uintptr_t)-1 >> NODE_BITS) - 1u;
    return limit < UINT32_MAX / 2u ? (uint32_t)limit : UINT32_MAX / 2u;
}

static void note_held(host_blocks *h) {
    bp_host_backend_stats *s = &h->stats;
    s->held_bytes = s->block_bytes + s->dedicated_bytes;
    if (s->held_bytes > s->peak_held_bytes) s->peak_held_bytes = s->held_bytes;
    if (s->blocks > s->peak_blocks) s->peak_blocks = s->blocks;
}

/* The size of the next block: VMA's growth (block_growth.h), but never more than the blocks
 * already hold (at least MIN_BLOCK_SIZE and twice the request), so that a small working set
 * holds small blocks: seed 000's instances (0.24 MiB at once) held a whole 8 MiB first block
 * of 64 MiB blocks, and now 1 MiB. Host memory has no allocation count to save, as a device's
 * has (the Vulkan backend keeps VMA's rule alone). */
static uint64_t host_block_size(const host_blocks *h, uint64_t request) {
    uint64_t vma = bpi_next_block_size(h->desc.block_size, h->stats.blocks, request, MIN_BLOCK_SIZE);
    uint64_t held = MIN_BLOCK_SIZE;
    while (held < 2 * request || held < h->stats.block_bytes) held *= 2;
    return held < vma ? held : vma;
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
        h->capacity = cap;
    }
    host_block *b = malloc(sizeof *b);
    if (!b) return BP_ERR_OUT_OF_MEMORY;
    bp_allocator libc = {bpi_libc_alloc, bpi_libc_free, NULL};
    b->size = host_block_size(h, request);
    if (bpi_tlsf_init(&b->tlsf, b->size, 0, libc) != BP_OK) {
        free(b);
        return BP_ERR_OUT_OF_MEMORY;
    }
    b->base = h->desc.allocator.alloc(h->desc.allocator.user, (size_t)b->size, BLOCK_ALIGNMENT);
    if (!b->base) {
        bpi_tlsf_release(&b->tlsf);
        free(b);
        return BP_ERR_OUT_OF_MEMORY;
    }
    h->blocks[i] = b;
    if (i == h->count) h->count++;
    h->stats.blocks++;
    h->stats.block_bytes += b->size;
    h->stats.block_allocations++;
    note_held(h);
    *out_index = i;
    return BP_OK;
}

static void free_block(host_blocks *h, uint32_t i) {
    host_block *b = h->blocks[i];
    h->stats.blocks--;
    h->stats.block_bytes -= b->size;
    h->desc.allocator.free(h->desc.allocator.user, b->base);
    bpi_tlsf_release(&b->tlsf);
    free(b);
    h->blocks[i] = NULL;
    if (i == h->spare) h->spare = NO_SPARE;
    note_held(h);
}

/* A range in block i; false when it has no room. */
static bool place_in(host_blocks *h, uint32_t i, uint64_t size, uint64_t align, const bp_backend_create_desc *d,
                     bp_backend_buffer *out) {
    host_block *b = h->blocks[i];
    uint32_t node;
    if (!b || bpi_tlsf_alloc(&b->tlsf, size, align, &node) != BP_OK) return false;
    if (i == h->spare) h->spare = NO_SPARE; /* the spare is in use again */
    uint64_t offset = b->tlsf.nodes[node].offset;
    bpi_host_buffer_out(d, (char *)b->base + offset, size, out);
    out->native_memory = (uint64_t)(uintptr_t)b->base;
    out->offset = offset;
    out->backend_data = (void *)(((uintptr_t)i + 1u) << NODE_BITS | node);
    h->stats.ranges++;
    h->stats.range_bytes += size;
    return true;
}

/* The first block with room, in list order, then a new one: the newest blocks take what
 * the older ones cannot, so they are the ones that empty and are freed. */
static bp_result place(host_blocks *h, uint64_t size, uint64_t align, const bp_backend_create_desc *d,
                       bp_backend_buffer *out) {
    for (uint32_t i = 0; i < h->count; i++)
        if (place_in(h, i, size, align, d, out)) return BP_OK;
    uint32_t i;
    bp_result r = add_block(h, size, &i);
    if (r != BP_OK) return r;
    if (place_in(h, i, size, align, d, out)) return BP_OK;
    free_block(h, i); /* cannot happen for size <= block_size / 4 at a page alignment */
    return BP_ERR_OUT_OF_MEMORY;
}

static bp_result create_dedicated(host_blocks *h, uint64_t size, uint64_t align, const bp_backend_create_desc *d,
                                  bp_backend_buffer *out) {
    void *p = h->desc.allocator.alloc(h->desc.allocator.user, (size_t)size, (size_t)align);
    if (!p) return BP_ERR_OUT_OF_MEMORY;
    bpi_host_buffer_out(d, p, size, out);
    h->stats.dedicated++;
    h->stats.dedicated_bytes += size;
    note_held(h);
    return BP_OK;
}

static bp_result blocks_create(void *user, const bp_backend_create_desc *d, bp_backend_buffer *out) {
    host_blocks *h = user;
    uint64_t align = d->alignment > h->desc.alignment ? d->alignment : h->desc.alignment;
    if (d->size > h->desc.max_buffer_size || d->size > SIZE_MAX - align) return BP_ERR_TOO_LARGE;
    uint64_t size = (d->size + align - 1) & ~(align - 1);
    pthread_mutex_lock(&h->lock);
    bp_result r = size <= h->desc.block_size / 4 && align <= BLOCK_ALIGNMENT ? place(h, size, align, d, out)
                                                                              : create_dedicated(h, size, align, d, out);
    pthread_mutex_unlock(&h->lock);
    return r;
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
        bpi_tlsf_free(&b->tlsf, (uint32_t)(data & ((1u << NODE_BITS) - 1u)));
        h->stats.ranges--;
        h->stats.range_bytes -= buf->capacity;
        if (b->tlsf.used_count == 0) { /* keep one empty block, so a pool that breathes does not churn */
            if (h->spare != NO_SPARE) free_block(h, i);
            else h->spare = i;
        }
    }
    pthread_mutex_unlock(&h->lock);
}

/* The pool destroys every buffer before it releases its backend: what is left is the spare. */
static void blocks_release(void *user) {
    host_blocks *h = user;
    for (uint32_t i = 0; i < h->count; i++)
        if (h->blocks[i]) free_block(h, i);
    free(h->blocks);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

bp_result bpi_host_blocks_backend(const bp_host_backend_desc *d, bp_backend *out) {
    if (d->block_size < MIN_BLOCK_SIZE || d->block_size % d->alignment || d->block_size > SIZE_MAX)
        return BP_ERR_INVALID_ARGUMENT;
    host_blocks *h = calloc(1, sizeof *h);
    if (!h) return BP_ERR_OUT_OF_MEMORY;
    if (pthread_mutex_init(&h->lock, NULL) != 0) {
        free(h);
        return BP_ERR_OUT_OF_MEMORY;
    }
    h->desc = *d;
    h->spare = NO_SPARE;
    bp_backend_init(out, "host", h);
    out->create = blocks_create;
    out->destroy = blocks_destroy;
    out->query_caps = bpi_host_caps; /* the desc is the state's first member */
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
