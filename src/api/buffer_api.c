/* Public API: acquire, release, info and data access. Validates, locks, calls the layers. */
#include <string.h>

#include "internal/pool.h"

/* Under the lock: the pool hit (unless already tried), else bpi_acquire. In a thread_safe
 * pool the calling thread's cache (made at its first acquire) adopts a plain buffer. */
BPI_NOINLINE static bp_result acquire_locked(bp_pool *pool, const bp_acquire_desc *desc, bp_buffer *out_buf,
                                             const char *file, int line, bool try_hit) {
    out_buf->id = 0;
    bpi_lock_keep_caches(pool);
    bp_result r = BP_OK;
    if (!try_hit || !bpi_acquire_hit(pool, desc, out_buf, file, line)) {
        r = bpi_not_in_eviction(pool, BP_LOG_ITEM_BUDGET, "bp_acquire");
        if (r == BP_OK) r = bpi_acquire(pool, desc, out_buf, file, line);
    }
    if (r == BP_OK && pool->tcache_on && !pool->in_eviction && !pool->in_callback) {
        bpi_tcache *c = bpi_tcache_attach(pool);
        if (c) bpi_tcache_adopt(pool, c, desc, (uint32_t)out_buf->id & (BPI_MAX_SLOTS - 1u));
    }
    bpi_unlock(pool);
    return r;
}

/* The thread's cache did not serve it: again once a pool lock holder gives the cache back
 * (bpi_tcache_wait), else the lock; a few times at most, so that a cache that keeps failing
 * for another reason while lock holders come and go still reaches the lock. */
enum { BPI_TCACHE_RETRIES = 8 };
BPI_NOINLINE static bp_result acquire_cache_missed(bp_pool *pool, const bp_acquire_desc *desc, bp_buffer *out_buf,
                                                   const char *file, int line) {
    bpi_tcache *c = bpi_tcache_mine(pool); /* found again: the usual call keeps no register for it */
    for (int tries = 0; tries < BPI_TCACHE_RETRIES && c && bpi_tcache_wait(pool, c); tries++)
        if (bpi_tcache_acquire(pool, c, desc, out_buf, file, line)) return BP_OK;
    return acquire_locked(pool, desc, out_buf, file, line, true);
}

/* A thread_safe pool: the thread's cache, else the lock (out of line, so that the unlocked
 * hit saves no registers for it). */
BPI_NOINLINE static bp_result acquire_thread_safe(bp_pool *pool, const bp_acquire_desc *desc, bp_buffer *out_buf,
                                                  const char *file, int line) {
    bpi_tcache *c = bpi_tcache_mine(pool);
    if (c && bpi_tcache_acquire(pool, c, desc, out_buf, file, line)) return BP_OK;
    return acquire_cache_missed(pool, desc, out_buf, file, line);
}

/* A pool without a lock, past its plain hit: an owner's hit, or the hit of a request that goes
 * into a list (transient, or in an open scope), else the rest (out of line, so that the plain
 * hit saves no registers for them). */
BPI_NOINLINE static bp_result acquire_owned_unlocked(bp_pool *pool, const bp_acquire_desc *desc, bp_buffer *out_buf,
                                                     const char *file, int line) {
    if (bpi_owner_acquire_hit(pool, desc, out_buf, file, line)) return BP_OK;
    return acquire_locked(pool, desc, out_buf, file, line, false); /* no lock: the hit was just tried */
}

BPI_NOINLINE static bp_result acquire_unlocked(bp_pool *pool, const bp_acquire_desc *desc, bp_buffer *out_buf,
                                               const char *file, int line) {
    if (desc->owner) return acquire_owned_unlocked(pool, desc, out_buf, file, line); /* its own registers */
    if (bpi_acquire_hit(pool, desc, out_buf, file, line)) return BP_OK;
    if (bpi_acquire_borrowed_hit(pool, desc, out_buf, file, line)) return BP_OK;
    return acquire_locked(pool, desc, out_buf, file, line, false); /* no lock: the hit was just tried */
}

/* Both acquire calls. A pool without a lock serves the plain hit with no call on the way
 * (the rest, transient and scoped hits included, is a tail call, so the hit saves no
 * registers); a thread_safe one, whose plain_key never matches, from the thread's cache,
 * under that cache's lock alone. */
BPI_HOT bp_result acquire(bp_pool *pool, const bp_acquire_desc *desc, bp_buffer *out_buf, const char *file,
                                int line) {
    if (!pool || !desc || !out_buf) {
        if (out_buf) out_buf->id = 0;
        return BP_ERR_INVALID_ARGUMENT;
    }
    if (bpi_acquire_plain(pool, desc, out_buf, file, line)) return BP_OK;
    if (pool->thread_safe) return acquire_thread_safe(pool, desc, out_buf, file, line);
    return acquire_unlocked(pool, desc, out_buf, file, line);
}

/* bp_acquire_size past its plain hit: bp_acquire of the same request as a descriptor (out of
 * line, so that the hit keeps no stack frame for the descriptor). */
BPI_NOINLINE static bp_result acquire_size_slow(bp_pool *pool, uint64_t size, bp_buffer *out_buf) {
    if (bpi_acquire_plain_size_as(pool, size, out_buf, true)) return BP_OK; /* a larger class lends */
    const bp_acquire_desc desc = {.size = size};
    /* not acquire(): its plain hit is the one bp_acquire_size just tried (the same key, 0) */
    if (pool->thread_safe) return acquire_thread_safe(pool, &desc, out_buf, NULL, 0);
    return acquire_unlocked(pool, &desc, out_buf, NULL, 0);
}

bp_result bp_acquire_size(bp_pool *pool, uint64_t size, bp_buffer *out_buf) {
    if (!pool || !out_buf) {
        if (out_buf) out_buf->id = 0;
        return BP_ERR_INVALID_ARGUMENT;
    }
    if (bpi_acquire_plain_size(pool, size, out_buf)) return BP_OK;
    return acquire_size_slow(pool, size, out_buf);
}

bp_result bp_acquire_at(bp_pool *pool, const bp_acquire_desc *desc, bp_buffer *out_buf, const char *file, int line) {
    return acquire(pool, desc, out_buf, file, line);
}

bp_result bp_acquire(bp_pool *pool, const bp_acquire_desc *desc, bp_buffer *out_buf) {
    return acquire(pool, desc, out_buf, NULL, 0);
}

/* An owner's buffer on its short path; else, under the lock, a held buffer is released and a
 * wrong handle says how it is wrong. */
BPI_NOINLINE static bp_result release_locked(bp_pool *pool, bp_buffer buf) {
    if (bpi_owner_release_plain(pool, buf)) return BP_OK; /* false at once in a thread_safe pool */
    bpi_lock_keep_caches(pool);
    bpi_slot *s = bpi_held_fast(pool, buf);
    bp_result r = bpi_not_in_callback(pool, BP_LOG_ITEM_NONE, "bp_release"); /* the eviction callback may */
    if (r == BP_OK && !s) { /* the handle is wrong: say how (a held buffer never gets here) */
        r = bpi_lookup(pool, buf, &s);
        if (r == BP_OK)
            r = bpi_fail(pool, BP_ERR_DOUBLE_RELEASE, BP_LOG_ITEM_DOUBLE_RELEASE, "handle 0x%llx released twice",
                         (unsigned long long)buf.id);
    }
    if (r == BP_OK) r = bpi_release_held(pool, (uint32_t)(s - pool->slots));
    bpi_unlock(pool);
    return r;
}

/* The thread's cache did not take it back: again once a pool lock holder gives the cache back
 * (bpi_tcache_wait), else the lock. */
BPI_NOINLINE static bp_result release_cache_missed(bp_pool *pool, bp_buffer buf) {
    bpi_tcache *c = bpi_tcache_mine(pool);
    for (int tries = 0; tries < BPI_TCACHE_RETRIES && c && bpi_tcache_wait(pool, c); tries++)
        if (bpi_tcache_release(pool, c, buf)) return BP_OK;
    return release_locked(pool, buf);
}

/* A buffer this thread's cache handed out goes back into it; the rest takes the lock. Out of
 * line, so that the plain release saves no registers for it. */
BPI_NOINLINE static bp_result release_slow(bp_pool *pool, bp_buffer buf) {
    if (!pool->thread_safe) return release_locked(pool, buf); /* an owner's, or a wrong handle */
    bpi_tcache *c = bpi_tcache_mine(pool);
    if (c && bpi_tcache_release(pool, c, buf)) return BP_OK;
    return release_cache_missed(pool, buf);
}

/* A pool without a lock pools a plain held buffer with no call on the way; the rest, and a
 * plain release over its class's cap, is a tail call. */
bp_result bp_release(bp_pool *pool, bp_buffer buf) {
    if (!pool) return BP_ERR_INVALID_ARGUMENT;
    uint32_t done = bpi_release_plain(pool, buf); /* never for a thread_safe pool */
    if (done == BPI_PLAIN_DONE) return BP_OK;
    if (done != BPI_NOT_PLAIN) return bpi_pool_slot_finish(pool, done);
    return release_slow(pool, buf);
}

static void fill_info(const bp_pool *pool, const bpi_slot *s, bp_buffer_info *o) {
    o->size = s->size;
    o->capacity = bpi_usable_capacity(pool, s);
    o->memory = (bp_memory)s->native.memory;
    o->usage = s->native.usage;
    o->flags = s->flags;
    o->native_generation = s->native_generation;
    o->mapped = s->native.mapped;
    o->offset = s->native.offset;
    o->native = s->native.native;
    o->native_memory = s->native.native_memory;
    o->owner = s->owner;
    o->tag = s->tag;
    o->acquire_frame = s->frame;
}

bp_result bp_buffer_get_info(bp_pool *pool, bp_buffer buf, bp_buffer_info *out_info) {
    if (out_info) memset(out_info, 0, sizeof *out_info);
    if (!pool || !out_info) return BP_ERR_INVALID_ARGUMENT;
    bpi_lock_keep_caches(pool); /* a held buffer's: the thread caches' buffers may stay */
    bpi_slot *s;
    bp_result r = bpi_lookup_held(pool, buf, &s);
    if (r == BP_OK) fill_info(pool, s, out_info);
    bpi_unlock(pool);
    return r;
}

bool bp_buffer_is_valid(bp_pool *pool, bp_buffer buf) {
    if (!pool || !buf.id) return false;
    bpi_lock_keep_caches(pool);
    bool ok = bpi_held_fast(pool, buf) != NULL;
    bpi_unlock(pool);
    return ok;
}

/* Look up a held buffer and check that [offset, offset+size) lies inside its requested size. */
static bp_result range(bp_pool *pool, bp_buffer buf, uint64_t offset, uint64_t size, const void *data,
                       bpi_slot **out) {
    bp_result r = bpi_lookup_held(pool, buf, out);
    if (r != BP_OK) return r;
    if (!data) return bpi_fail(pool, BP_ERR_INVALID_ARGUMENT, BP_LOG_ITEM_BAD_ARGUMENT, "NULL data pointer");
    if (size == 0) return bpi_fail(pool, BP_ERR_INVALID_SIZE, BP_LOG_ITEM_BAD_ARGUMENT, "transfer of 0 bytes");
    if (offset > (*out)->size || size > (*out)->size - offset)
        return bpi_fail(pool, BP_ERR_OUT_OF_RANGE, BP_LOG_ITEM_BAD_ARGUMENT,
                        "bytes [%llu, +%llu) outside a buffer of %llu bytes", (unsigned long long)offset,
                        (unsigned long long)size, (unsigned long long)(*out)->size);
    return BP_OK;
}

typedef enum { XFER_UPLOAD, XFER_DOWNLOAD, XFER_FLUSH, XFER_INVALIDATE } xfer_kind;

static bp_result backend_err(bp_pool *pool, bp_result r, const char *what) {
    if (r == BP_OK) return r;
    return bpi_fail(pool, r == BP_ERR_UNSUPPORTED ? r : BP_ERR_BACKEND, BP_LOG_ITEM_BACKEND_FAILURE,
                    "backend '%s' failed to %s (%s)", pool->backend.name, what, bp_result_string(r));
}

static bp_result transfer(bp_pool *pool, bpi_slot *s, xfer_kind kind, uint64_t off, void *data, uint64_t size) {
    const bp_backend *b = &pool->backend;
    const bp_backend_buffer *n = &s->native;
    switch (kind) {
    case XFER_UPLOAD:
        if (b->upload) return backend_err(pool, b->upload(b->user, n, off, data, size), "upload");
        if (!n->mapped) return backend_err(pool, BP_ERR_UNSUPPORTED, "upload to unmapped memory");
        memcpy((char *)n->mapped + off, data, size);
        return b->flush ? backend_err(pool, b->flush(b->user, n, off, size), "flush") : BP_OK;
    case XFER_DOWNLOAD:
        if (b->download) return backend_err(pool, b->download(b->user, n, off, data, size), "download");
        if (!n->mapped) return backend_err(pool, BP_ERR_UNSUPPORTED, "download from unmapped memory");
        if (b->invalidate) {
            bp_result r = backend_err(pool, b->invalidate(b->user, n, off, size), "invalidate");
            if (r != BP_OK) return r;
        }
        memcpy(data, (char *)n->mapped + off, size);
        return BP_OK;
    case XFER_FLUSH:
        return b->flush ? backend_err(pool, b->flush(b->user, n, off, size), "flush") : BP_OK;
    case XFER_INVALIDATE:
        return b->invalidate ? backend_err(pool, b->invalidate(b->user, n, off, size), "invalidate") : BP_OK;
    }
    return BP_ERR_INVALID_ARGUMENT;
}

static bp_result xfer(bp_pool *pool, bp_buffer buf, xfer_kind kind, uint64_t off, void *data, uint64_t size) {
    if (!pool) return BP_ERR_INVALID_ARGUMENT;
    bpi_lock_keep_caches(pool); /* a held buffer's bytes: the thread caches' buffers may stay */
    bpi_slot *s;
    bp_result r = range(pool, buf, off, size, data, &s);
    if (r == BP_OK) r = transfer(pool, s, kind, off, data, size);
    bpi_unlock(pool);
    return r;
}

bp_result bp_upload(bp_pool *pool, bp_buffer buf, uint64_t offset, const void *data, uint64_t size) {
    return xfer(pool, buf, XFER_UPLOAD, offset, (void *)(uintptr_t)data, size);
}

bp_result bp_download(bp_pool *pool, bp_buffer buf, uint64_t offset, void *data, uint64_t size) {
    return xfer(pool, buf, XFER_DOWNLOAD, offset, data, size);
}

static char no_data; /* flush/invalidate move no bytes; `range` wants a non-NULL pointer */

bp_result bp_flush(bp_pool *pool, bp_buffer buf, uint64_t offset, uint64_t size) {
    return xfer(pool, buf, XFER_FLUSH, offset, &no_data, size);
}

bp_result bp_invalidate(bp_pool *pool, bp_buffer buf, uint64_t offset, uint64_t size) {
    return xfer(pool, buf, XFER_INVALIDATE, offset, &no_data, size);
}
