/* Virtual blocks (bp_vblock_*): argument checks, generational range ids, error logging and
 * the leak report over the TLSF range allocator of placement/tlsf.c.
 * A range id is ((generation + block salt) << 32) | (block tag << 24) | node index, as the
 * pool's handles: the tag tells another block's ids apart, the generation a freed range's.
 * The 8-bit tag repeats every 255 blocks, so the salt (32 bits, added to the generation
 * modulo 2^32) tells apart blocks that share a tag: see block_identity(). */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "internal/libc_alloc.h"
#include "placement/tlsf.h"

#define INDEX_BITS 24u

struct bp_vblock {
    bpi_tlsf tlsf;
    bp_logger logger;
    uint32_t tag;
    uint32_t salt; /* added to generations in ids; differs between blocks that share a tag */
    uint64_t granularity;
    uint64_t failures;
    char name[48];
};

static atomic_uint next_block = 0; /* 32 bits: lock-free everywhere, no libatomic */

/* A bijection of 32-bit values (a multiply by an odd constant, 2^32 / the golden ratio) that
 * sends neighbouring inputs far apart. */
static uint32_t spread32(uint32_t x) { return x * 0x9E3779B9u; }

/* Block number k gets tag k % 255 + 1 and salt spread32(k / 255). Two blocks created fewer
 * than 2^32 blocks apart that share a tag have different k / 255, so (spread32 being a
 * bijection) different salts; another block's range then decodes to its generation plus a
 * salt difference, which equals a live generation of this block's node only by a 2^-32
 * chance (and must then match its offset and size too). Deterministic, so runs repeat; the
 * first 255 blocks get salt 0, the ids they had before salts. */
static void block_identity(bp_vblock *b) {
    uint32_t k = atomic_fetch_add(&next_block, 1u);
    b->tag = k % 255u + 1u;
    b->salt = spread32(k / 255u);
}

static void say(const bp_vblock *b, bp_log_level level, bp_log_item item, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void say(const bp_vblock *b, bp_log_level level, bp_log_item item, const char *fmt, ...) {
    if (!b->logger.func) return;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    b->logger.func(b->logger.user, level, item, msg);
}

static bool valid_alignment(uint64_t a) { return (a & (a - 1)) == 0; }

bp_result bp_vblock_create(const bp_vblock_desc *desc, bp_vblock **out) {
    if (out) *out = NULL;
    if (!desc || !out || !desc->allocator.alloc != !desc->allocator.free) return BP_ERR_INVALID_ARGUMENT;
    if (desc->size == 0) return BP_ERR_INVALID_SIZE;
    if (desc->size > BP_VBLOCK_MAX_SIZE) return BP_ERR_TOO_LARGE;
    uint64_t g = desc->granularity ? desc->granularity : 16u;
    if (desc->max_ranges > (BPI_TLSF_MAX_NODES - 1u) / 2u || !valid_alignment(g) || g > desc->size)
        return BP_ERR_INVALID_ARGUMENT;
    bp_allocator a = bpi_allocator_or_libc(desc->allocator);
    bp_vblock *b = a.alloc(a.user, sizeof *b, 64);
    if (!b) return BP_ERR_OUT_OF_MEMORY;
    memset(b, 0, sizeof *b);
    bp_result r = bpi_tlsf_init(&b->tlsf, desc->size, desc->max_ranges, a);
    if (r != BP_OK) {
        a.free(a.user, b);
        return r;
    }
    b->logger = desc->logger;
    b->granularity = g;
    block_identity(b);
    snprintf(b->name, sizeof b->name, "%s", desc->name ? desc->name : "vblock");
    *out = b;
    return BP_OK;
}

void bp_vblock_destroy(bp_vblock *block) {
    if (!block) return;
    const bpi_tlsf *t = &block->tlsf;
    if (block->logger.func && t->used_count) {
        for (uint32_t n = t->first; n != BPI_TLSF_NIL; n = t->nodes[n].next_phys)
            if (t->nodes[n].state == BPI_NODE_USED)
                say(block, BP_LOG_WARNING, BP_LOG_ITEM_LEAK, "vblock '%s': range at offset %llu, %llu bytes never freed",
                    block->name, (unsigned long long)t->nodes[n].offset, (unsigned long long)t->nodes[n].size);
        say(block, BP_LOG_WARNING, BP_LOG_ITEM_LEAK_SUMMARY, "vblock '%s': %u ranges (%llu bytes) leaked", block->name,
            t->used_count, (unsigned long long)t->used_bytes);
    }
    bp_allocator a = block->tlsf.alloc;
    bpi_tlsf_release(&block->tlsf);
    a.free(a.user, block);
}

bp_result bp_vblock_alloc(bp_vblock *block, uint64_t size, uint64_t alignment, bp_range *out) {
    if (out) memset(out, 0, sizeof *out);
    if (!block || !out) return BP_ERR_INVALID_ARGUMENT;
    if (alignment < block->granularity && valid_alignment(alignment)) alignment = block->granularity;
    bp_result r = BP_OK;
    if (!valid_alignment(alignment) || alignment > block->tlsf.size) r = BP_ERR_INVALID_ARGUMENT;
    else if (size == 0) r = BP_ERR_INVALID_SIZE;
    else if (size > block->tlsf.size) r = BP_ERR_TOO_LARGE;
    if (r != BP_OK) {
        say(block, BP_LOG_ERROR, BP_LOG_ITEM_BAD_ARGUMENT, "vblock '%s': bad allocation (size %llu, alignment %llu)",
            block->name, (unsigned long long)size, (unsigned long long)alignment);
        return r;
    }
    uint32_t n;
    uint64_t occupied = (size + block->granularity - 1) & ~(block->granularity - 1);
    if (block->tlsf.fixed && block->tlsf.used_count == (block->tlsf.max_nodes - 1u) / 2u) r = BP_ERR_CAPACITY;
    else if (occupied > block->tlsf.size) r = BP_ERR_CAPACITY; /* fits the block only unrounded */
    else r = bpi_tlsf_alloc(&block->tlsf, occupied, alignment, &n);
    if (r != BP_OK) {
        block->failures++;
        return r;
    }
    bpi_tlsf_node *node = &block->tlsf.nodes[n];
    node->asked = size;
    out->offset = node->offset;
    out->size = size;
    out->id = ((uint64_t)(node->generation + block->salt) << 32) | ((uint64_t)block->tag << INDEX_BITS) | n;
    return BP_OK;
}

/* The node of an allocated range, or the error that tells why `range` is not one. */
static bp_result lookup(const bp_vblock *b, bp_range range, uint32_t *out_node) {
    if (range.id == 0) {
        say(b, BP_LOG_ERROR, BP_LOG_ITEM_BAD_HANDLE, "vblock '%s': the zero range id", b->name);
        return BP_ERR_INVALID_HANDLE;
    }
    uint32_t low = (uint32_t)range.id, n = low & ((1u << INDEX_BITS) - 1u);
    uint32_t gen = (uint32_t)(range.id >> 32) - b->salt; /* modulo 2^32, as the salt was added */
    const bpi_tlsf *t = &b->tlsf;
    if ((low >> INDEX_BITS) != b->tag || n >= t->node_count || gen == 0 || gen > t->nodes[n].generation) {
        say(b, BP_LOG_ERROR, BP_LOG_ITEM_BAD_HANDLE, "vblock '%s': range id 0x%llx was not issued by this block",
            b->name, (unsigned long long)range.id);
        return BP_ERR_FOREIGN_HANDLE;
    }
    const bpi_tlsf_node *node = &t->nodes[n];
    if (gen < node->generation) {
        say(b, BP_LOG_ERROR, BP_LOG_ITEM_BAD_HANDLE, "vblock '%s': range id 0x%llx is stale (freed and reissued)",
            b->name, (unsigned long long)range.id);
        return BP_ERR_STALE_HANDLE;
    }
    if (node->state != BPI_NODE_USED) {
        say(b, BP_LOG_ERROR, BP_LOG_ITEM_DOUBLE_RELEASE, "vblock '%s': range at offset %llu freed twice", b->name,
            (unsigned long long)range.offset);
        return BP_ERR_DOUBLE_RELEASE;
    }
    if (node->offset != range.offset || node->asked != range.size) {
        say(b, BP_LOG_ERROR, BP_LOG_ITEM_BAD_HANDLE, "vblock '%s': range id 0x%llx is at offset %llu (%llu bytes), "
            "not %llu (%llu bytes)", b->name, (unsigned long long)range.id, (unsigned long long)node->offset,
            (unsigned long long)node->size, (unsigned long long)range.offset, (unsigned long long)range.size);
        return BP_ERR_FOREIGN_HANDLE;
    }
    *out_node = n;
    return BP_OK;
}

bp_result bp_vblock_free(bp_vblock *block, bp_range range) {
    if (!block) return BP_ERR_INVALID_ARGUMENT;
    uint32_t n;
    bp_result r = lookup(block, range, &n);
    if (r == BP_OK) bpi_tlsf_free(&block->tlsf, n);
    return r;
}

bp_result bp_vblock_set_user_data(bp_vblock *block, bp_range range, void *user_data) {
    if (!block) return BP_ERR_INVALID_ARGUMENT;
    uint32_t n;
    bp_result r = lookup(block, range, &n);
    if (r == BP_OK) block->tlsf.nodes[n].user_data = user_data;
    return r;
}

bp_result bp_vblock_get_user_data(bp_vblock *block, bp_range range, void **out) {
    if (out) *out = NULL;
    if (!block || !out) return BP_ERR_INVALID_ARGUMENT;
    uint32_t n;
    bp_result r = lookup(block, range, &n);
    if (r == BP_OK) *out = block->tlsf.nodes[n].user_data;
    return r;
}

bp_result bp_vblock_get_stats(const bp_vblock *block, bp_vblock_stats *out) {
    if (out) memset(out, 0, sizeof *out);
    if (!block || !out) return BP_ERR_INVALID_ARGUMENT;
    const bpi_tlsf *t = &block->tlsf;
    out->size = t->size;
    out->used_bytes = t->used_bytes;
    out->free_bytes = t->size - t->used_bytes;
    out->largest_free = bpi_tlsf_largest_free(t);
    out->ranges = t->used_count;
    out->free_ranges = t->free_count;
    out->failures = block->failures;
    out->fragmentation = out->free_bytes ? 1.0 - (double)out->largest_free / (double)out->free_bytes : 0.0;
    return BP_OK;
}

bp_result bp_vblock_check(const bp_vblock *block) {
    if (!block) return BP_ERR_INVALID_ARGUMENT;
    char why[200];
    if (bpi_tlsf_check(&block->tlsf, why, sizeof why)) return BP_OK;
    say(block, BP_LOG_ERROR, BP_LOG_ITEM_CORRUPTION, "vblock '%s': %s", block->name, why);
    return BP_ERR_CORRUPTION;
}
