/* Public API: typed arrays for mesh processing (seed 002), buffer-to-buffer copies and
 * duplicates. Sizes are count x components x element size, checked for overflow. */
#include <string.h>

#include "internal/pool.h"

static const uint32_t element_sizes[BP_ELEMENT_TYPE_COUNT] = {4, 4, 2, 1, 8};

uint32_t bp_element_size(bp_element_type type) {
    return (unsigned)type < BP_ELEMENT_TYPE_COUNT ? element_sizes[type] : 0;
}

bp_result bp_array_bytes(uint64_t count, uint32_t components, bp_element_type type, uint64_t *out_bytes) {
    if (out_bytes) *out_bytes = 0;
    if (!out_bytes || (unsigned)type >= BP_ELEMENT_TYPE_COUNT) return BP_ERR_INVALID_ARGUMENT;
    if (count == 0) return BP_ERR_INVALID_SIZE;
    uint64_t per = (uint64_t)(components ? components : 1u) * element_sizes[type]; /* < 2^35 */
    if (count > UINT64_MAX / per) return BP_ERR_OVERFLOW;
    *out_bytes = count * per;
    return BP_OK;
}

/* Acquire under the lock and report the mapped pointer of the new buffer. */
static bp_result acquire_mapped(bp_pool *pool, const bp_acquire_desc *d, bp_buffer *out, void **out_data) {
    bpi_lock(pool);
    bp_result r = bpi_not_in_eviction(pool, BP_LOG_ITEM_BUDGET, "bp_acquire_array");
    if (r == BP_OK) r = bpi_acquire(pool, d, out, NULL, 0);
    if (r == BP_OK && out_data) *out_data = pool->slots[(uint32_t)out->id & (BPI_MAX_SLOTS - 1u)].native.mapped;
    bpi_unlock(pool);
    return r;
}

/* The acquire of a typed array, or its size error (logged). */
static bp_result array_request(bp_pool *pool, const bp_array_desc *desc, bp_acquire_desc *out) {
    uint64_t bytes;
    bp_result r = bp_array_bytes(desc->count, desc->components, desc->type, &bytes);
    if (r != BP_OK) {
        bpi_lock(pool);
        r = bpi_fail(pool, r, BP_LOG_ITEM_BAD_ARGUMENT,
                     "typed array of %llu x %u values of type %u: %s", (unsigned long long)desc->count,
                     desc->components ? desc->components : 1u, (unsigned)desc->type, bp_result_string(r));
        bpi_unlock(pool);
        return r;
    }
    *out = (bp_acquire_desc){.size = bytes, .memory = desc->memory, .usage = desc->usage, .flags = desc->flags,
                             .owner = desc->owner, .tag = desc->tag};
    return BP_OK;
}

bp_result bp_acquire_array(bp_pool *pool, const bp_array_desc *desc, bp_buffer *out, void **out_data) {
    if (out) out->id = 0;
    if (out_data) *out_data = NULL;
    if (!pool || !desc || !out) return BP_ERR_INVALID_ARGUMENT;
    bp_acquire_desc d;
    bp_result r = array_request(pool, desc, &d);
    return r == BP_OK ? acquire_mapped(pool, &d, out, out_data) : r;
}

static bp_array_desc mesh_desc(uint64_t count, uint32_t components, bp_element_type type, uint32_t flags,
                               const char *tag) {
    return (bp_array_desc){.count = count, .components = components, .type = type,
                           .memory = BP_MEMORY_HOST_CACHED, .flags = flags, .tag = tag};
}

static bp_result mesh_array(bp_pool *pool, uint64_t count, uint32_t components, bp_element_type type,
                            uint32_t flags, const char *tag, bp_buffer *out, void **out_data) {
    bp_array_desc d = mesh_desc(count, components, type, flags, tag);
    return bp_acquire_array(pool, &d, out, out_data);
}

bp_result bp_acquire_positions(bp_pool *pool, uint64_t vertices, bp_buffer *out, float **out_data) {
    return mesh_array(pool, vertices, 3, BP_ELEMENT_F32, 0, "positions", out, (void **)out_data);
}

bp_result bp_acquire_normals(bp_pool *pool, uint64_t vertices, bp_buffer *out, float **out_data) {
    return mesh_array(pool, vertices, 3, BP_ELEMENT_F32, 0, "normals", out, (void **)out_data);
}

bp_result bp_acquire_displacements(bp_pool *pool, uint64_t vertices, bp_buffer *out, float **out_data) {
    return mesh_array(pool, vertices, 3, BP_ELEMENT_F32, BP_ACQUIRE_ZERO, "displacements", out, (void **)out_data);
}

bp_result bp_acquire_indices(bp_pool *pool, uint64_t count, bp_buffer *out, uint32_t **out_data) {
    return mesh_array(pool, count, 1, BP_ELEMENT_U32, 0, "indices", out, (void **)out_data);
}

bp_result bp_acquire_skin(bp_pool *pool, uint64_t vertices, bp_skin_arrays *out) {
    if (out) memset(out, 0, sizeof *out);
    if (!pool || !out) return BP_ERR_INVALID_ARGUMENT;
    bp_array_desc ai = mesh_desc(vertices, 4, BP_ELEMENT_U32, BP_ACQUIRE_ZERO, "skin_indices");
    bp_array_desc aw = mesh_desc(vertices, 4, BP_ELEMENT_F32, BP_ACQUIRE_ZERO, "skin_weights");
    bp_acquire_desc di, dw;
    bp_result r = array_request(pool, &ai, &di);
    if (r == BP_OK) r = array_request(pool, &aw, &dw);
    if (r != BP_OK) return r;
    bpi_lock(pool); /* both acquires under one lock: the undo of the first sees no other call */
    r = bpi_not_in_eviction(pool, BP_LOG_ITEM_BUDGET, "bp_acquire_skin");
    if (r == BP_OK) {
        bp_skin_arrays s;
        bpi_undo u;
        bpi_undo_begin(pool, &u);
        r = bpi_undo_acquire(pool, &u, &di, &s.indices, NULL, 0);
        if (r == BP_OK) r = bpi_undo_acquire(pool, &u, &dw, &s.weights, NULL, 0);
        bpi_undo_end(pool, &u, r); /* on failure the first array is undone, not released */
        if (r == BP_OK) {
            s.index_data = pool->slots[(uint32_t)s.indices.id & (BPI_MAX_SLOTS - 1u)].native.mapped;
            s.weight_data = pool->slots[(uint32_t)s.weights.id & (BPI_MAX_SLOTS - 1u)].native.mapped;
            *out = s;
        }
    }
    bpi_unlock(pool);
    return r;
}

/* [offset, offset + size) inside the requested size of a held buffer. */
static bp_result check_range(bp_pool *pool, const bpi_slot *s, uint64_t offset, uint64_t size) {
    if (offset > UINT64_MAX - size)
        return bpi_fail(pool, BP_ERR_OVERFLOW, BP_LOG_ITEM_BAD_ARGUMENT, "copy offset %llu + size %llu overflows",
                        (unsigned long long)offset, (unsigned long long)size);
    if (offset + size > s->size)
        return bpi_fail(pool, BP_ERR_OUT_OF_RANGE, BP_LOG_ITEM_BAD_ARGUMENT,
                        "copy of bytes [%llu, +%llu) outside a buffer of %llu bytes", (unsigned long long)offset,
                        (unsigned long long)size, (unsigned long long)s->size);
    return BP_OK;
}

bp_result bpi_copy_locked(bp_pool *pool, bp_buffer src, uint64_t so, bp_buffer dst, uint64_t dof, uint64_t size) {
    bpi_slot *s, *d;
    bp_result r = bpi_lookup_held(pool, src, &s);
    if (r == BP_OK) r = bpi_lookup_held(pool, dst, &d);
    if (r != BP_OK) return r;
    if (size == 0) return bpi_fail(pool, BP_ERR_INVALID_SIZE, BP_LOG_ITEM_BAD_ARGUMENT, "copy of 0 bytes");
    if ((r = check_range(pool, s, so, size)) != BP_OK || (r = check_range(pool, d, dof, size)) != BP_OK) return r;
    const bp_backend *b = &pool->backend;
    if (b->copy) {
        r = b->copy(b->user, &s->native, so, &d->native, dof, size);
        if (r == BP_OK) return BP_OK;
        return bpi_fail(pool, r == BP_ERR_UNSUPPORTED ? r : BP_ERR_BACKEND, BP_LOG_ITEM_BACKEND_FAILURE,
                        "backend '%s' failed to copy %llu bytes (%s)", b->name, (unsigned long long)size,
                        bp_result_string(r));
    }
    if (!s->native.mapped || !d->native.mapped)
        return bpi_fail(pool, BP_ERR_UNSUPPORTED, BP_LOG_ITEM_BACKEND_FAILURE,
                        "backend '%s' has no copy method and the memory is not mapped", b->name);
    if (b->invalidate && (r = b->invalidate(b->user, &s->native, so, size)) != BP_OK)
        return bpi_fail(pool, BP_ERR_BACKEND, BP_LOG_ITEM_BACKEND_FAILURE, "invalidate before copy failed");
    memmove((char *)d->native.mapped + dof, (const char *)s->native.mapped + so, size);
    if (b->flush && (r = b->flush(b->user, &d->native, dof, size)) != BP_OK)
        return bpi_fail(pool, BP_ERR_BACKEND, BP_LOG_ITEM_BACKEND_FAILURE, "flush after copy failed");
    return BP_OK;
}

bp_result bp_copy(bp_pool *pool, bp_buffer src, uint64_t src_offset, bp_buffer dst, uint64_t dst_offset,
                  uint64_t size) {
    if (!pool) return BP_ERR_INVALID_ARGUMENT;
    bpi_lock(pool);
    bp_result r = bpi_copy_locked(pool, src, src_offset, dst, dst_offset, size);
    bpi_unlock(pool);
    return r;
}

bp_result bp_duplicate(bp_pool *pool, bp_buffer src, uint32_t flags, bp_buffer *out) {
    if (out) out->id = 0;
    if (!pool || !out) return BP_ERR_INVALID_ARGUMENT;
    bpi_lock(pool);
    bpi_slot *s;
    bp_result r = bpi_not_in_eviction(pool, BP_LOG_ITEM_BUDGET, "bp_duplicate");
    if (r == BP_OK) r = bpi_lookup_held(pool, src, &s);
    if (r == BP_OK) {
        const bpi_group *g = &pool->groups[s->group];
        bp_acquire_desc d = {.size = s->size, .memory = (bp_memory)g->memory, .usage = g->usage,
                             .flags = flags, .owner = s->owner, .tag = s->tag};
        if (g->align_shift) d.alignment = 1ull << g->align_shift;
        bpi_undo u; /* a failed copy undoes the acquire: the call changes nothing */
        bpi_undo_begin(pool, &u);
        r = bpi_undo_acquire(pool, &u, &d, out, s->file, s->line); /* may move pool->slots: s is stale after */
        if (r == BP_OK) r = bpi_copy_locked(pool, src, 0, *out, 0, d.size);
        bpi_undo_end(pool, &u, r);
        if (r != BP_OK) out->id = 0;
    }
    bpi_unlock(pool);
    return r;
}
