/* The host backend: aligned host memory, always mapped. The default backend; one allocation
 * per buffer here, ranges of large blocks in block mode (host_blocks.c). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backends/host_blocks.h"
#include "bufpool_backend.h"
#include "internal/libc_alloc.h"

void bpi_host_buffer_out(const bp_backend_create_desc *d, void *p, uint64_t size, bp_backend_buffer *out) {
    out->native = (uint64_t)(uintptr_t)p;
    out->mapped = p;
    out->capacity = size;
    out->memory = d->memory;
    out->usage = d->usage;
}

/* The default allocator's posix_memalign carves the aligned block out of a larger chunk and
 * frees the pieces around it, which costs glibc more than the malloc itself (under callgrind,
 * a third of a miss-heavy trace's instructions). A buffer large enough that the slack is at
 * most 1/512 of it is instead malloc'ed with the slack and aligned inside: at most 0.2% more
 * memory than it asked, the allocator's own overhead, not counted in the buffer's capacity.
 * Smaller ones keep posix_memalign, where the slack would be a large share. */
#define HOST_MALLOC_ALIGN ((uint64_t)_Alignof(max_align_t))

static bool host_aligns_inside(const bp_host_backend_desc *hd, uint64_t size, uint64_t align) {
    return hd->allocator.alloc == bpi_libc_alloc && align > HOST_MALLOC_ALIGN && size / 512u >= align;
}

static bp_result host_create(void *user, const bp_backend_create_desc *d, bp_backend_buffer *out) {
    const bp_host_backend_desc *hd = user;
    uint64_t align = d->alignment > hd->alignment ? d->alignment : hd->alignment;
    if (d->size > hd->max_buffer_size || d->size > SIZE_MAX - align) return BP_ERR_TOO_LARGE;
    if (host_aligns_inside(hd, d->size, align)) {
        void *raw = malloc((size_t)(d->size + align - HOST_MALLOC_ALIGN));
        if (!raw) return BP_ERR_OUT_OF_MEMORY;
        uintptr_t p = ((uintptr_t)raw + (uintptr_t)(align - 1)) & ~(uintptr_t)(align - 1);
        bpi_host_buffer_out(d, (void *)p, d->size, out);
        out->backend_data = raw; /* what free takes */
        return BP_OK;
    }
    void *p = hd->allocator.alloc(hd->allocator.user, (size_t)d->size, (size_t)align);
    if (!p) return BP_ERR_OUT_OF_MEMORY;
    bpi_host_buffer_out(d, p, d->size, out);
    return BP_OK;
}

static void host_destroy(void *user, const bp_backend_buffer *buf) {
    const bp_host_backend_desc *hd = user;
    if (buf->backend_data) free(buf->backend_data);
    else hd->allocator.free(hd->allocator.user, buf->mapped);
}

bp_result bpi_host_caps(void *user, bp_backend_caps *out) {
    const bp_host_backend_desc *hd = user;
    memset(out, 0, sizeof *out);
    out->max_buffer_size = hd->max_buffer_size;
    out->min_alignment = hd->alignment;
    out->memory_kinds = 7u;
    return BP_OK;
}

static void host_release(void *user) { free(user); }

static const bp_host_backend_desc host_defaults = {64, 1ull << 40, {bpi_libc_alloc, bpi_libc_free, NULL}, 0, 0, false, false};

void bp_backend_init(bp_backend *out, const char *name, void *user) {
    if (!out) return;
    memset(out, 0, sizeof *out);
    out->version = BP_BACKEND_VERSION;
    out->struct_size = sizeof *out;
    out->name = name;
    out->user = user;
}

bp_result bp_host_backend(const bp_host_backend_desc *desc, bp_backend *out) {
    if (!out) return BP_ERR_INVALID_ARGUMENT;
    bp_host_backend_desc d = desc ? *desc : (bp_host_backend_desc){0};
    if (d.alignment & (d.alignment - 1)) return BP_ERR_INVALID_ARGUMENT;
    if (!d.allocator.alloc != !d.allocator.free) return BP_ERR_INVALID_ARGUMENT;
    if (!d.alignment) d.alignment = host_defaults.alignment;
    if (!d.max_buffer_size) d.max_buffer_size = host_defaults.max_buffer_size;
    bool libc = !d.allocator.alloc;
    if (libc) d.allocator = host_defaults.allocator;
    if (d.block_size) return bpi_host_blocks_backend(&d, libc, out);
    bp_backend_init(out, "host", NULL);
    out->create = host_create;
    out->destroy = host_destroy;
    out->query_caps = bpi_host_caps;
    if (!desc) {
        out->user = (void *)&host_defaults; /* no allocation for the default backend */
        return BP_OK;
    }
    bp_host_backend_desc *state = malloc(sizeof *state);
    if (!state) return BP_ERR_OUT_OF_MEMORY;
    *state = d;
    out->user = state;
    out->release = host_release;
    return BP_OK;
}
