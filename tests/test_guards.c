/* Debug guard bytes: a write past a buffer's capacity is caught at release (BP_ERR_CORRUPTION,
 * the buffer still released) or when the buffer is destroyed, named by its tag, once. */
#include "fault_support.h"

typedef struct guarded {
    log_record log;
    counting_alloc alloc;
    bp_fault *fault;
    bp_pool *pool;
} guarded;

static void open_pool(guarded *g, uint32_t guard_bytes, bool poison) {
    memset(g, 0, sizeof *g);
    bp_backend host, wrapped;
    bp_host_backend(NULL, &host);
    assert_int_equal(bp_fault_create(&host, NULL, &g->fault), BP_OK);
    bp_fault_backend(g->fault, &wrapped);
    bp_pool_desc pd = {.backend = &wrapped,
                       .guard_bytes = guard_bytes,
                       .poison_on_release = poison,
                       .frames_in_flight = BP_IMMEDIATE_REUSE,
                       .allocator = ts_allocator(&g->alloc),
                       .logger = {ts_logger, &g->log}};
    assert_int_equal(bp_pool_create(&pd, &g->pool), BP_OK);
}

static void close_pool(guarded *g) {
    ts_check_and_destroy(g->pool);
    bp_fault_stats f;
    bp_fault_get_stats(g->fault, &f);
    assert_int_equal(f.live_buffers, 0);
    bp_fault_destroy(g->fault);
    assert_int_equal(g->alloc.allocs, g->alloc.frees);
}

static bp_buffer acquire_tagged(bp_pool *pool, uint64_t size, uint32_t flags, const char *tag, uint8_t **mapped,
                                uint64_t *capacity) {
    bp_acquire_desc d = {.size = size, .flags = flags, .tag = tag};
    bp_buffer b;
    assert_int_equal(BP_ACQUIRE(pool, &d, &b), BP_OK);
    bp_buffer_info info;
    assert_int_equal(bp_buffer_get_info(pool, b, &info), BP_OK);
    *mapped = info.mapped;
    *capacity = info.capacity;
    return b;
}

static void overrun_is_caught_at_release(void **state) {
    (void)state;
    guarded g;
    open_pool(&g, 32, false);
    uint8_t *p;
    uint64_t cap;
    bp_buffer b = acquire_tagged(g.pool, 1000, 0, "vertex_staging", &p, &cap);
    assert_int_equal(cap, bp_class_size_for(BP_CLASSES_FINE, 1000)); /* the guard is not usable capacity */
    memset(p, 1, cap);                                                /* the whole capacity is fine */
    p[cap + 3] = 0;                                                    /* 4th byte past the end is not */
    assert_int_equal(bp_release(g.pool, b), BP_ERR_CORRUPTION);
    assert_false(bp_buffer_is_valid(g.pool, b));                       /* released anyway */
    bp_stats s;
    bp_get_stats(g.pool, &s);
    assert_int_equal(s.buffers_in_use, 0);
    assert_int_equal(s.releases, 1);
    assert_int_equal(g.log.count[BP_LOG_ITEM_CORRUPTION], 1);
    assert_non_null(strstr(g.log.last, "'vertex_staging'"));
    assert_non_null(strstr(g.log.last, "1 of its 32 guard bytes"));
    assert_non_null(strstr(g.log.last, "the first 3 bytes past"));
    assert_non_null(strstr(g.log.last, "test_guards.c:"));
    /* the pattern was restored: the buffer is reused and nothing is reported again */
    bp_buffer again = acquire_tagged(g.pool, 1000, 0, "again", &p, &cap);
    assert_int_equal(bp_release(g.pool, again), BP_OK);
    close_pool(&g);
    assert_int_equal(g.log.count[BP_LOG_ITEM_CORRUPTION], 1);
}

static void reserved_bytes_include_the_guard(void **state) {
    (void)state;
    guarded g;
    open_pool(&g, 64, false);
    uint8_t *p;
    uint64_t cap;
    bp_buffer b = acquire_tagged(g.pool, 5000, BP_ACQUIRE_ZERO, "zeroed", &p, &cap);
    bp_stats s;
    bp_get_stats(g.pool, &s);
    assert_int_equal(s.bytes_reserved, cap + 64);
    fs_assert_exact(g.pool, g.fault);
    assert_int_equal(bp_release(g.pool, b), BP_OK); /* zeroing touched only usable bytes */
    close_pool(&g);
    assert_int_equal(g.log.count[BP_LOG_ITEM_CORRUPTION], 0);
}

static void poison_spares_the_guard(void **state) {
    (void)state;
    guarded g;
    open_pool(&g, 16, true);
    uint8_t *p;
    uint64_t cap;
    bp_buffer b = acquire_tagged(g.pool, 200, 0, "poisoned", &p, &cap);
    memset(p, 7, cap);
    assert_int_equal(bp_release(g.pool, b), BP_OK);
    for (uint64_t i = 0; i < cap; i++) assert_int_equal(p[i], 0xDD); /* pooled, still mapped */
    close_pool(&g);
    assert_int_equal(g.log.count[BP_LOG_ITEM_CORRUPTION], 0);
}

static void write_after_release_is_caught_when_destroyed(void **state) {
    (void)state;
    guarded g;
    open_pool(&g, 16, false);
    uint8_t *p;
    uint64_t cap;
    bp_buffer b = acquire_tagged(g.pool, 100, 0, "freed", &p, &cap);
    assert_int_equal(bp_release(g.pool, b), BP_OK);
    p[cap] = 0; /* a stale pointer writes past the end of a pooled buffer */
    assert_int_equal(bp_trim(g.pool, true), BP_OK);
    assert_int_equal(g.log.count[BP_LOG_ITEM_CORRUPTION], 1);
    assert_non_null(strstr(g.log.last, "pooled"));
    assert_non_null(strstr(g.log.last, "when the buffer was destroyed"));
    close_pool(&g);
}

static void leaked_buffer_damage_is_named_at_destroy(void **state) {
    (void)state;
    guarded g;
    open_pool(&g, 8, false);
    uint8_t *p;
    uint64_t cap;
    acquire_tagged(g.pool, 48, 0, "forgotten_mesh", &p, &cap);
    memset(p + cap, 0, 8);
    close_pool(&g);
    assert_int_equal(g.log.count[BP_LOG_ITEM_LEAK], 1);
    assert_int_equal(g.log.count[BP_LOG_ITEM_CORRUPTION], 1);
    assert_non_null(strstr(g.log.last, "'forgotten_mesh'"));
    assert_non_null(strstr(g.log.last, "8 of its 8 guard bytes"));
}

static void transient_overrun_is_logged_at_frame_end(void **state) {
    (void)state;
    guarded g;
    open_pool(&g, 16, false);
    assert_int_equal(bp_frame_begin(g.pool), BP_OK);
    uint8_t *p;
    uint64_t cap;
    acquire_tagged(g.pool, 64, BP_ACQUIRE_TRANSIENT, "per_frame", &p, &cap);
    p[cap + 15] ^= 0xFF;
    assert_int_equal(bp_frame_end(g.pool), BP_OK);
    assert_int_equal(g.log.count[BP_LOG_ITEM_CORRUPTION], 1);
    assert_non_null(strstr(g.log.last, "'per_frame'"));
    close_pool(&g);
}

/* The guard comes out of the backend's size limit. */
static void guard_counts_against_the_size_limit(void **state) {
    (void)state;
    bp_host_backend_desc hd = {.max_buffer_size = 4096};
    bp_backend host;
    assert_int_equal(bp_host_backend(&hd, &host), BP_OK);
    bp_pool_desc pd = {.backend = &host, .guard_bytes = 64};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&pd, &pool), BP_OK);
    bp_acquire_desc d = {.size = 4096};
    bp_buffer b;
    assert_int_equal(bp_acquire(pool, &d, &b), BP_ERR_TOO_LARGE);
    d.size = 3500; /* class 3584 + 64 fits */
    assert_int_equal(bp_acquire(pool, &d, &b), BP_OK);
    assert_int_equal(bp_release(pool, b), BP_OK);
    ts_check_and_destroy(pool);
}

/* A capacity-table entry is held to the same limit as an acquire: its class plus the guard
 * must fit the backend (it reached the backend and came back as BP_ERR_BACKEND). */
static void guard_counts_against_the_limit_of_preallocation(void **state) {
    (void)state;
    bp_host_backend_desc hd = {.max_buffer_size = 4096};
    bp_backend host;
    assert_int_equal(bp_host_backend(&hd, &host), BP_OK);
    bp_capacity_entry e = {.size = 4096, .count = 1};
    bp_pool_desc pd = {.backend = &host, .guard_bytes = 64, .capacity_mode = BP_CAPACITY_HIGH_WATER,
                       .capacity_table = &e, .capacity_table_count = 1};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&pd, &pool), BP_ERR_TOO_LARGE);
    assert_null(pool);
    e.size = 3500; /* class 3584 + 64 fits */
    assert_int_equal(bp_host_backend(&hd, &host), BP_OK);
    assert_int_equal(bp_pool_create(&pd, &pool), BP_OK);
    ts_check_and_destroy(pool);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(overrun_is_caught_at_release),
        cmocka_unit_test(reserved_bytes_include_the_guard),
        cmocka_unit_test(poison_spares_the_guard),
        cmocka_unit_test(write_after_release_is_caught_when_destroyed),
        cmocka_unit_test(leaked_buffer_damage_is_named_at_destroy),
        cmocka_unit_test(transient_overrun_is_logged_at_frame_end),
        cmocka_unit_test(guard_counts_against_the_size_limit),
        cmocka_unit_test(guard_counts_against_the_limit_of_preallocation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
