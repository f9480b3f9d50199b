/* The host backend: aligned host memory, always mapped. The default backend; one allocation
 * per buffer here, ranges of large blocks in block mode (host_blocks.c). */
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

static bp_result host_create(void *user, const bp_backend_create_desc *d, bp_backend_buffer *out) {
    const bp_host_backend_desc *hd = user;
    uint64_t align = d->alignment > hd->alignment ? d->alignment : hd->alignment;
    if (d->size > hd->max_buffer_size || d->size > SIZE_MAX) return BP_ERR_TOO_LARGE;
    void *p = hd->allocator.alloc(hd->allocator.user, (size_t)d->size, (size_t)align);
    if (!p) return BP_ERR_OUT_OF_MEMORY;
    bpi_host_buffer_out(d, p, d->size, out);
    return BP_OK;
}

static void host_destroy(void *user, const bp_backend_buffer *buf) {
    const bp_host_backend_desc *hd = user;
    hd->allocator.free(hd->allocator.user, buf->mapped);
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

static const bp_host_backend_desc host_defaults = {64, 1ull << 40, {bpi_libc_alloc, bpi_libc_free, NULL}, 0};

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
    if (!d.allocator.alloc) d.allocator = host_defaults.allocator;
    if (d.block_size) return bpi_host_blocks_backend(&d, out);
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
