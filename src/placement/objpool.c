/* bp_objpool: a fixed number of same-size objects in one allocation (seed 004's render-pass
 * pool). A stack of free indices makes acquire and release O(1); a byte per object tells a
 * held object from a free one, so a double release is caught. A pointer given back is only
 * compared with the storage range, never dereferenced before it is known to be ours. */
#include <stdlib.h>
#include <string.h>

#include "bufpool.h"
#include "internal/libc_alloc.h"

struct bp_objpool {
    bp_allocator alloc;
    char *objects;      /* capacity x stride bytes, aligned */
    size_t stride;
    uint32_t capacity, count;
    uint32_t free_top;  /* free indices: free_stack[0 .. free_top) */
    uint32_t *free_stack;
    uint8_t *held;
    bool zero_on_acquire;
};

static size_t round_up(size_t v, size_t a) { return (v + a - 1) & ~(a - 1); }

/* Layout: header | free stack | held bytes | (aligned) objects. False on overflow. */
static bool layout(const bp_objpool_desc *d, size_t align, size_t *stride, size_t *objects_at, size_t *total) {
    if (d->element_size > SIZE_MAX - align) return false;
    *stride = round_up(d->element_size, align);
    size_t cap = d->capacity;
    size_t meta = round_up(sizeof(struct bp_objpool), 8) + cap * sizeof(uint32_t) + cap;
    if (meta > SIZE_MAX - align) return false;
    *objects_at = round_up(meta, align);
    if (*stride > (SIZE_MAX - *objects_at) / cap) return false;
    *total = *objects_at + *stride * cap;
    return true;
}

bp_result bp_objpool_create(const bp_objpool_desc *desc, bp_objpool **out) {
    if (out) *out = NULL;
    if (!desc || !out || !desc->element_size || !desc->capacity) return BP_ERR_INVALID_ARGUMENT;
    size_t align = desc->alignment ? desc->alignment : 16;
    if ((align & (align - 1)) || !desc->allocator.alloc != !desc->allocator.free) return BP_ERR_INVALID_ARGUMENT;
    size_t stride, objects_at, total;
    if (!layout(desc, align, &stride, &objects_at, &total)) return BP_ERR_OVERFLOW;
    bp_allocator a = bpi_allocator_or_libc(desc->allocator);
    char *mem = a.alloc(a.user, total, align > 64 ? align : 64);
    if (!mem) return BP_ERR_OUT_OF_MEMORY;
    bp_objpool *p = (bp_objpool *)mem;
    memset(p, 0, sizeof *p);
    p->alloc = a;
    p->stride = stride;
    p->capacity = desc->capacity;
    p->zero_on_acquire = desc->zero_on_acquire;
    p->free_stack = (uint32_t *)(mem + round_up(sizeof *p, 8));
    p->held = (uint8_t *)(p->free_stack + desc->capacity);
    p->objects = mem + objects_at;
    bp_objpool_release_all(p);
    *out = p;
    return BP_OK;
}

void bp_objpool_destroy(bp_objpool *pool) {
    if (pool) pool->alloc.free(pool->alloc.user, pool);
}

bp_result bp_objpool_acquire(bp_objpool *pool, void **out) {
    if (out) *out = NULL;
    if (!pool || !out) return BP_ERR_INVALID_ARGUMENT;
    if (pool->free_top == 0) return BP_ERR_CAPACITY;
    uint32_t i = pool->free_stack[--pool->free_top];
    pool->held[i] = 1;
    pool->count++;
    char *obj = pool->objects + (size_t)i * pool->stride;
    if (pool->zero_on_acquire) memset(obj, 0, pool->stride);
    *out = obj;
    return BP_OK;
}

bp_result bp_objpool_release(bp_objpool *pool, void *obj) {
    if (!pool) return BP_ERR_INVALID_ARGUMENT;
    if (!obj) return BP_ERR_INVALID_HANDLE;
    uintptr_t base = (uintptr_t)pool->objects, at = (uintptr_t)obj;
    if (at < base || (at - base) / pool->stride >= pool->capacity || (at - base) % pool->stride)
        return BP_ERR_FOREIGN_HANDLE;
    uint32_t i = (uint32_t)((at - base) / pool->stride);
    if (!pool->held[i]) return BP_ERR_DOUBLE_RELEASE;
    pool->held[i] = 0;
    pool->count--;
    pool->free_stack[pool->free_top++] = i;
    return BP_OK;
}

void bp_objpool_release_all(bp_objpool *pool) {
    if (!pool) return;
    /* lowest index on top, so a fresh pool hands objects out in address order */
    for (uint32_t k = 0; k < pool->capacity; k++) pool->free_stack[k] = pool->capacity - 1 - k;
    memset(pool->held, 0, pool->capacity);
    pool->free_top = pool->capacity;
    pool->count = 0;
}

uint32_t bp_objpool_capacity(const bp_objpool *pool) { return pool ? pool->capacity : 0; }

uint32_t bp_objpool_count(const bp_objpool *pool) { return pool ? pool->count : 0; }
