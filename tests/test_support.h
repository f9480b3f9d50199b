/* Test support: a counting allocator, a counting backend wrapper, a fake clock, a log
 * recorder, and the invariant check every test runs before it destroys its pool. */
#ifndef BP_TEST_SUPPORT_H
#define BP_TEST_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bufpool.h"
#include "internal/pool.h"

typedef struct counting_alloc {
    uint64_t allocs, frees;
} counting_alloc;

static inline void *ts_alloc(void *user, size_t size, size_t alignment) {
    (void)alignment;
    ((counting_alloc *)user)->allocs++;
    return malloc(size);
}

static inline void ts_free(void *user, void *ptr) {
    if (ptr) ((counting_alloc *)user)->frees++;
    free(ptr);
}

static inline bp_allocator ts_allocator(counting_alloc *c) { return (bp_allocator){ts_alloc, ts_free, c}; }

/* Wraps the host backend and counts every call. */
typedef struct counting_backend {
    bp_backend inner;
    uint64_t creates, destroys, calls, live_bytes;
} counting_backend;

static inline bp_result cb_create(void *user, const bp_backend_create_desc *d, bp_backend_buffer *out) {
    counting_backend *c = user;
    c->calls++;
    bp_result r = c->inner.create(c->inner.user, d, out);
    if (r == BP_OK) {
        c->creates++;
        c->live_bytes += out->capacity ? out->capacity : d->size;
    }
    return r;
}

static inline void cb_destroy(void *user, const bp_backend_buffer *b) {
    counting_backend *c = user;
    c->calls++;
    c->destroys++;
    c->live_bytes -= b->capacity;
    c->inner.destroy(c->inner.user, b);
}

static inline bp_result cb_caps(void *user, bp_backend_caps *out) {
    counting_backend *c = user;
    return c->inner.query_caps(c->inner.user, out);
}

static inline bp_backend ts_counting_backend(counting_backend *c) {
    memset(c, 0, sizeof *c);
    bp_host_backend(NULL, &c->inner);
    bp_backend b = c->inner;
    b.user = c;
    b.create = cb_create;
    b.destroy = cb_destroy;
    b.query_caps = cb_caps;
    b.release = NULL;
    return b;
}

typedef struct fake_clock {
    double now;
} fake_clock;

static inline double ts_clock(void *user) { return ((fake_clock *)user)->now; }

typedef struct log_record {
    int count[32];
    char last[512];
    int total;
} log_record;

static inline void ts_logger(void *user, bp_log_level level, bp_log_item item, const char *message) {
    (void)level;
    log_record *l = user;
    if ((unsigned)item < 32) l->count[item]++;
    l->total++;
    strncpy(l->last, message, sizeof l->last - 1);
}

/* A warning callback that counts its calls in the int its `warning_user` points to. */
static inline void ts_count_warning(void *user, bp_pool *pool, const bp_stats *stats) {
    (void)pool;
    (void)stats;
    (*(int *)user)++;
}

/* Run the invariant walker; a failure fails the test with its message. */
static inline void ts_check(bp_pool *pool) {
    if (bpi_check(pool) != BP_OK) fail_msg("invariant check failed: %s", bp_pool_last_error(pool));
}

/* ... then destroy the pool. */
static inline void ts_check_and_destroy(bp_pool *pool) {
    ts_check(pool);
    bp_pool_destroy(pool);
}

/* The pool's stats, as a value. */
static inline bp_stats ts_stats(bp_pool *pool) {
    bp_stats s;
    bp_get_stats(pool, &s);
    return s;
}

/* A held buffer's host pointer. */
static inline void *ts_mapped(bp_pool *pool, bp_buffer b) {
    bp_buffer_info info;
    assert_int_equal(bp_buffer_get_info(pool, b, &info), BP_OK);
    return info.mapped;
}

static inline bp_buffer ts_acquire(bp_pool *pool, uint64_t size, uint32_t flags) {
    bp_acquire_desc d = {.size = size, .flags = flags, .tag = "test"};
    bp_buffer b;
    assert_int_equal(bp_acquire(pool, &d, &b), BP_OK);
    assert_true(b.id != 0);
    return b;
}

/* A small deterministic generator (xorshift64) for randomized tests; *state must not be 0. */
static inline uint64_t ts_xorshift(uint64_t *state) {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

#endif
