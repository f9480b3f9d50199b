/* Fixed capacity (seed 004): the table is preallocated at creation and afterwards the pool
 * makes no backend call and no host allocation; beyond the cap an acquire fails cleanly.
 * High-water pools grow and never shrink. The object pool allocates only at creation. */
#include "test_support.h"

#define ELEMENTS 15000u

static const bp_capacity_entry seed004_table[] = {
    {.size = ELEMENTS * 4, .count = 8, .memory = BP_MEMORY_HOST_VISIBLE}, /* f32 */
    {.size = ELEMENTS * 8, .count = 4, .memory = BP_MEMORY_HOST_VISIBLE}, /* vec2 f32 */
    {.size = ELEMENTS * 4, .count = 2, .memory = BP_MEMORY_HOST_CACHED},  /* rgba8 */
};

static void fixed_pool_allocates_nothing_over_10000_frames(void **state) {
    (void)state;
    counting_alloc ca = {0};
    counting_backend cb;
    bp_backend be = ts_counting_backend(&cb);
    bp_pool_desc d = {.backend = &be, .allocator = ts_allocator(&ca), .capacity_mode = BP_CAPACITY_FIXED,
                      .capacity_table = seed004_table, .capacity_table_count = 3, .frames_in_flight = 1};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    assert_int_equal(cb.creates, 14);
    uint64_t allocs = ca.allocs, frees = ca.frees, calls = cb.calls;
    uint64_t rng = 1;
    for (uint32_t f = 0; f < 10000; f++) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t elements = 1000 + (uint32_t)(rng >> 33) % (ELEMENTS - 999); /* domain changes */
        assert_int_equal(bp_frame_begin(pool), BP_OK);
        bp_scope sc;
        assert_int_equal(bp_scope_begin(pool, &sc), BP_OK);
        for (int i = 0; i < 3; i++) {
            bp_array_desc f32 = {.count = elements, .type = BP_ELEMENT_F32, .memory = BP_MEMORY_HOST_VISIBLE,
                                 .flags = BP_ACQUIRE_TRANSIENT};
            bp_buffer b;
            assert_int_equal(bp_acquire_array(pool, &f32, &b, NULL), BP_OK);
        }
        bp_array_desc vec2 = {.count = elements, .components = 2, .memory = BP_MEMORY_HOST_VISIBLE};
        bp_array_desc rgba = {.count = elements, .components = 4, .type = BP_ELEMENT_U8,
                              .memory = BP_MEMORY_HOST_CACHED};
        bp_buffer v, c;
        assert_int_equal(bp_acquire_array(pool, &vec2, &v, NULL), BP_OK);
        assert_int_equal(bp_acquire_array(pool, &rgba, &c, NULL), BP_OK);
        assert_int_equal(bp_scope_end(pool, sc, NULL), BP_OK);
        assert_int_equal(bp_frame_end(pool), BP_OK);
    }
    assert_int_equal(ca.allocs, allocs);
    assert_int_equal(ca.frees, frees);
    assert_int_equal(cb.calls, calls);
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(s.acquires, 50000);
    assert_int_equal(s.hits, 50000);
    assert_int_equal(s.trims, 0);
    assert_int_equal(s.capacity_failures, 0);
    ts_check_and_destroy(pool);
    assert_int_equal(ca.allocs, ca.frees);
    assert_int_equal(cb.creates, cb.destroys);
}

static void over_cap_requests_fail_cleanly(void **state) {
    (void)state;
    counting_backend cb;
    bp_backend be = ts_counting_backend(&cb);
    log_record log = {0};
    bp_capacity_entry table[] = {{.size = 4096, .count = 2}, {.size = 65536, .count = 1}};
    bp_pool_desc d = {.backend = &be, .capacity_mode = BP_CAPACITY_FIXED, .capacity_table = table,
                      .capacity_table_count = 2, .logger = {ts_logger, &log}};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    uint64_t calls = cb.calls;
    bp_buffer big = {9};
    bp_acquire_desc too_big = {.size = 65537};
    bp_stats before, after;
    bp_get_stats(pool, &before);
    assert_int_equal(bp_acquire(pool, &too_big, &big), BP_ERR_CAPACITY);
    assert_int_equal(big.id, 0);
    assert_non_null(strstr(bp_pool_last_error(pool), "the cap is 3 buffers (largest 65536 bytes)"));
    assert_int_equal(log.count[BP_LOG_ITEM_CAPACITY], 1);
    bp_get_stats(pool, &after);
    assert_int_equal(after.capacity_failures, 1);
    assert_int_equal(after.bytes_reserved, before.bytes_reserved);
    assert_int_equal(after.buffers_in_use, 0);
    /* a larger pooled class serves a smaller request once its own class is empty */
    bp_buffer a = ts_acquire(pool, 100, 0), b = ts_acquire(pool, 4000, 0), c = ts_acquire(pool, 3000, 0);
    bp_buffer_info info;
    bp_buffer_get_info(pool, c, &info);
    assert_int_equal(info.capacity, 65536);
    bp_buffer none;
    bp_acquire_desc small = {.size = 16};
    assert_int_equal(bp_acquire(pool, &small, &none), BP_ERR_CAPACITY);
    bp_acquire_desc other_kind = {.size = 16, .memory = BP_MEMORY_HOST_CACHED}; /* not in the table */
    assert_int_equal(bp_acquire(pool, &other_kind, &none), BP_ERR_CAPACITY);
    assert_int_equal(cb.calls, calls);
    bp_release(pool, b);
    assert_int_equal(bp_acquire(pool, &small, &none), BP_OK); /* no frames: reusable at once */
    bp_release(pool, a);
    bp_release(pool, c);
    bp_release(pool, none);
    assert_int_equal(bp_trim(pool, true), BP_OK); /* a fixed pool keeps its table */
    bp_get_stats(pool, &after);
    assert_int_equal(after.buffers_pooled, 3);
    assert_int_equal(cb.calls, calls);
    ts_check_and_destroy(pool);
}

static void high_water_grows_and_never_shrinks(void **state) {
    (void)state;
    bp_capacity_entry warm[] = {{.size = 1024, .count = 2}};
    bp_pool_desc d = {.capacity_mode = BP_CAPACITY_HIGH_WATER, .capacity_table = warm, .capacity_table_count = 1,
                      .idle_trim_frames = 5, .idle_trim_seconds = -1, .max_pooled_per_class = 1,
                      .max_pooled_bytes = 1};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    bp_buffer b[6];
    bp_frame_begin(pool);
    for (int i = 0; i < 6; i++) b[i] = ts_acquire(pool, 1024, 0);
    for (int i = 0; i < 6; i++) bp_release(pool, b[i]);
    bp_frame_end(pool);
    for (int f = 0; f < 50; f++) {
        bp_frame_begin(pool);
        bp_frame_end(pool);
    }
    bp_trim(pool, true);
    uint32_t n = 9;
    bp_trim_older_than(pool, 0.0, &n);
    assert_int_equal(n, 0);
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(s.buffers_pooled, 6); /* the high-water mark stays */
    assert_int_equal(s.trims, 0);
    assert_int_equal(s.backend_creates, 6);
    ts_check_and_destroy(pool);
}

typedef struct render_pass {
    uint32_t id;
    float clear[4];
    void *target;
} render_pass;

static void objpool_holds_render_pass_descriptors(void **state) {
    (void)state;
    counting_alloc ca = {0};
    bp_objpool_desc d = {.element_size = sizeof(render_pass), .capacity = 10, .zero_on_acquire = true,
                         .allocator = ts_allocator(&ca)};
    bp_objpool *op;
    assert_int_equal(bp_objpool_create(&d, &op), BP_OK);
    assert_int_equal(ca.allocs, 1);
    assert_int_equal(bp_objpool_capacity(op), 10);
    render_pass *held[10];
    for (int round = 0; round < 1000; round++) {
        for (int i = 0; i < 10; i++) {
            assert_int_equal(bp_objpool_acquire(op, (void **)&held[i]), BP_OK);
            assert_int_equal(held[i]->id, 0); /* zeroed */
            assert_int_equal((uintptr_t)held[i] % 16, 0);
            held[i]->id = (uint32_t)i + 1;
        }
        void *extra = (void *)1;
        assert_int_equal(bp_objpool_acquire(op, &extra), BP_ERR_CAPACITY);
        assert_null(extra);
        assert_int_equal(bp_objpool_count(op), 10);
        if (round % 2) {
            bp_objpool_release_all(op);
        } else {
            for (int i = 0; i < 10; i++) assert_int_equal(bp_objpool_release(op, held[i]), BP_OK);
        }
        assert_int_equal(bp_objpool_count(op), 0);
    }
    for (int i = 0; i < 10; i++) held[i] = NULL;
    assert_int_equal(ca.allocs, 1);
    void *p;
    assert_int_equal(bp_objpool_acquire(op, &p), BP_OK);
    assert_int_equal(bp_objpool_release(op, p), BP_OK);
    assert_int_equal(bp_objpool_release(op, p), BP_ERR_DOUBLE_RELEASE);
    assert_int_equal(bp_objpool_release(op, (char *)p + 1), BP_ERR_FOREIGN_HANDLE);
    render_pass outside;
    assert_int_equal(bp_objpool_release(op, &outside), BP_ERR_FOREIGN_HANDLE);
    assert_int_equal(bp_objpool_release(op, (char *)p + 64 * 1024), BP_ERR_FOREIGN_HANDLE);
    assert_int_equal(bp_objpool_release(op, NULL), BP_ERR_INVALID_HANDLE);
    assert_int_equal(bp_objpool_release(NULL, p), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_objpool_count(op), 0);
    bp_objpool_destroy(op);
    assert_int_equal(ca.frees, 1);
}

static void objpool_bad_input(void **state) {
    (void)state;
    bp_objpool *op = (bp_objpool *)1;
    bp_objpool_desc d = {.element_size = 0, .capacity = 4};
    assert_int_equal(bp_objpool_create(&d, &op), BP_ERR_INVALID_ARGUMENT);
    assert_null(op);
    d = (bp_objpool_desc){.element_size = 8, .capacity = 0};
    assert_int_equal(bp_objpool_create(&d, &op), BP_ERR_INVALID_ARGUMENT);
    d = (bp_objpool_desc){.element_size = 8, .capacity = 4, .alignment = 24};
    assert_int_equal(bp_objpool_create(&d, &op), BP_ERR_INVALID_ARGUMENT);
    d = (bp_objpool_desc){.element_size = SIZE_MAX / 2, .capacity = 4};
    assert_int_equal(bp_objpool_create(&d, &op), BP_ERR_OVERFLOW);
    d = (bp_objpool_desc){.element_size = SIZE_MAX - 4, .capacity = 1};
    assert_int_equal(bp_objpool_create(&d, &op), BP_ERR_OVERFLOW);
    counting_alloc ca = {0};
    d = (bp_objpool_desc){.element_size = 8, .capacity = 4, .allocator = {ts_alloc, NULL, &ca}};
    assert_int_equal(bp_objpool_create(&d, &op), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_objpool_create(NULL, &op), BP_ERR_INVALID_ARGUMENT);
    d = (bp_objpool_desc){.element_size = 3, .capacity = 5, .alignment = 256};
    assert_int_equal(bp_objpool_create(&d, NULL), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_objpool_create(&d, &op), BP_OK);
    void *p;
    assert_int_equal(bp_objpool_acquire(op, &p), BP_OK);
    assert_int_equal((uintptr_t)p % 256, 0);
    assert_int_equal(bp_objpool_acquire(op, NULL), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_objpool_acquire(NULL, &p), BP_ERR_INVALID_ARGUMENT);
    assert_null(p);
    assert_int_equal(bp_objpool_capacity(NULL), 0);
    assert_int_equal(bp_objpool_count(NULL), 0);
    bp_objpool_release_all(NULL);
    bp_objpool_destroy(NULL);
    bp_objpool_destroy(op);
}

/* Owned acquires in a fixed pool allocate nothing after the first: the owner table it makes
 * has room for one owner per buffer (more owners grew it, allocating in later frames). */
static void fixed_pool_owned_acquires_allocate_nothing(void **state) {
    (void)state;
    counting_alloc ca = {0};
    bp_capacity_entry e = {.size = 256, .count = 200};
    bp_pool_desc d = {.allocator = ts_allocator(&ca), .capacity_mode = BP_CAPACITY_FIXED, .capacity_table = &e,
                      .capacity_table_count = 1, .frames_in_flight = BP_IMMEDIATE_REUSE};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    bp_buffer b[200];
    bp_acquire_desc first = {.size = 200, .owner = 99999};
    assert_int_equal(bp_acquire(pool, &first, &b[0]), BP_OK); /* makes the owner table */
    assert_int_equal(bp_release(pool, b[0]), BP_OK);
    uint64_t allocs = ca.allocs;
    for (uint32_t round = 0; round < 3; round++) {
        for (uint32_t i = 0; i < 200; i++) {
            bp_acquire_desc a = {.size = 200, .owner = 1000u * round + i + 1u};
            assert_int_equal(bp_acquire(pool, &a, &b[i]), BP_OK);
        }
        for (uint32_t i = 0; i < 200; i += 2) assert_int_equal(bp_release(pool, b[i]), BP_OK);
        for (uint32_t i = 1; i < 200; i += 2) {
            uint32_t n;
            assert_int_equal(bp_owner_release(pool, 1000u * round + i + 1u, &n), BP_OK);
            assert_int_equal(n, 1);
        }
    }
    assert_int_equal(ca.allocs, allocs);
    ts_check_and_destroy(pool);
    assert_int_equal(ca.allocs, ca.frees);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fixed_pool_allocates_nothing_over_10000_frames),
        cmocka_unit_test(fixed_pool_owned_acquires_allocate_nothing),
        cmocka_unit_test(over_cap_requests_fail_cleanly),
        cmocka_unit_test(high_water_grows_and_never_shrinks),
        cmocka_unit_test(objpool_holds_render_pass_descriptors),
        cmocka_unit_test(objpool_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
