/* Fault-injection test support: a host-metadata allocator that fails its k-th call, a
 * backend with its own upload/download (so the wrapper can fail those too), and the check
 * that a pool's stats match what the wrapped backend holds alive. */
#ifndef BP_FAULT_SUPPORT_H
#define BP_FAULT_SUPPORT_H

#include "test_support.h"
#include "bufpool_fault.h"

typedef struct failing_alloc {
    uint64_t calls;   /* alloc calls since arming */
    uint64_t fail_at; /* fail this call (1-based); 0 = never */
    uint64_t failed;  /* failures returned */
    uint64_t allocs, frees;
} failing_alloc;

static inline void *fa_alloc(void *user, size_t size, size_t alignment) {
    failing_alloc *a = user;
    if (++a->calls == a->fail_at) {
        a->failed++;
        return NULL;
    }
    void *p = NULL;
    if (posix_memalign(&p, alignment < sizeof(void *) ? sizeof(void *) : alignment, size) != 0) return NULL;
    a->allocs++;
    return p;
}

static inline void fa_free(void *user, void *ptr) {
    if (ptr) ((failing_alloc *)user)->frees++;
    free(ptr);
}

static inline bp_allocator fa_allocator(failing_alloc *a) { return (bp_allocator){fa_alloc, fa_free, a}; }

static inline void fa_arm(failing_alloc *a, uint64_t fail_at) {
    a->calls = 0;
    a->fail_at = fail_at;
}

/* Upload/download/copy by memcpy, as a staging backend would: lets the wrapper fail them. */
static inline bp_result staging_upload(void *user, const bp_backend_buffer *dst, uint64_t offset, const void *data,
                                       uint64_t size) {
    (void)user;
    memcpy((char *)dst->mapped + offset, data, size);
    return BP_OK;
}

static inline bp_result staging_download(void *user, const bp_backend_buffer *src, uint64_t offset, void *data,
                                         uint64_t size) {
    (void)user;
    memcpy(data, (const char *)src->mapped + offset, size);
    return BP_OK;
}

static inline bp_result staging_copy(void *user, const bp_backend_buffer *src, uint64_t src_offset,
                                     const bp_backend_buffer *dst, uint64_t dst_offset, uint64_t size) {
    (void)user;
    memmove((char *)dst->mapped + dst_offset, (const char *)src->mapped + src_offset, size);
    return BP_OK;
}

/* The host backend, optionally with upload/download/copy methods. */
static inline bp_backend fs_inner_backend(bool staging) {
    bp_backend b;
    bp_host_backend(NULL, &b);
    if (staging) {
        b.upload = staging_upload;
        b.download = staging_download;
        b.copy = staging_copy;
    }
    return b;
}

/* Stats are exact: what the pool counts as reserved is what the backend holds alive. */
static inline void fs_assert_exact(bp_pool *pool, const bp_fault *fault) {
    bp_stats s;
    bp_fault_stats f;
    bp_get_stats(pool, &s);
    bp_fault_get_stats(fault, &f);
    assert_int_equal(s.bytes_reserved, f.live_bytes);
    assert_int_equal(s.buffers_total, f.live_buffers);
    if (bpi_check(pool) != BP_OK) fail_msg("invariant check failed: %s", bp_pool_last_error(pool));
}

/* Stats with the one counter a failed call may move cleared. */
static inline bp_stats fs_snapshot(bp_pool *pool) {
    bp_stats s;
    bp_get_stats(pool, &s);
    s.errors = 0;
    return s;
}

/* One scenario run under fault injection: the pool, its wrapper, and the API errors seen. */
typedef struct fs_run {
    bp_pool *pool;
    bp_fault *fault;
    bp_stats before;
    uint32_t allowed;  /* bit (1 << code) for each error a step may return */
    uint32_t failures; /* steps that returned an error */
} fs_run;

/* The end of one API call: an error must be an allowed one and must have changed nothing;
 * stats stay exact either way. BP_ERR_BUFFER_TOO_SMALL reports a size, not a failure. */
static inline bp_result fs_step_end(fs_run *run, bp_result r, const char *what) {
    if (r != BP_OK && r != BP_ERR_BUFFER_TOO_SMALL) {
        if (!(run->allowed & (1u << r))) fail_msg("%s returned %s", what, bp_result_string(r));
        bp_stats now = fs_snapshot(run->pool);
        if (memcmp(&now, &run->before, sizeof now) != 0) fail_msg("%s failed and changed the stats", what);
        run->failures++;
    }
    fs_assert_exact(run->pool, run->fault);
    return r;
}

/* Run one API call as a checked step. */
#define FS_STEP(run, call) ((run)->before = fs_snapshot((run)->pool), fs_step_end((run), (call), #call))

#endif
