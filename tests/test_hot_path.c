/* The acquire/release fast path agrees with the full checks: size limits at the edge, the
 * last-group shortcut across memory kinds, handle errors through the inline lookup, and
 * hit_rate computed when the stats are read. */
#include "test_support.h"

static bp_pool *pool_with_limit(uint64_t max_buffer_size) {
    bp_host_backend_desc hd = {.max_buffer_size = max_buffer_size};
    bp_backend host;
    assert_int_equal(bp_host_backend(&hd, &host), BP_OK);
    bp_pool_desc pd = {.backend = &host};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&pd, &pool), BP_OK);
    return pool;
}

/* Limit 5000: class of 4608 fits, 4609 rounds up to 5120 and must be refused. */
static void size_limit_edges(void **state) {
    (void)state;
    bp_pool *pool = pool_with_limit(5000);
    bp_buffer b;
    bp_acquire_desc d = {.size = 4608};
    assert_int_equal(bp_acquire(pool, &d, &b), BP_OK);
    assert_int_equal(bp_release(pool, b), BP_OK);
    d.size = 4609;
    assert_int_equal(bp_acquire(pool, &d, &b), BP_ERR_TOO_LARGE);
    assert_int_equal(b.id, 0);
    d.size = 0;
    assert_int_equal(bp_acquire(pool, &d, &b), BP_ERR_INVALID_SIZE);
    ts_check_and_destroy(pool);
}

/* Alternating memory kinds: each acquire hits its own group's buffer, never the other's. */
static void group_shortcut_keeps_kinds_apart(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    bp_acquire_desc dev = {.size = 1000}, host = {.size = 1000, .memory = BP_MEMORY_HOST_CACHED};
    bp_buffer a, b;
    for (int i = 0; i < 10; i++) {
        assert_int_equal(bp_acquire(pool, &dev, &a), BP_OK);
        assert_int_equal(bp_acquire(pool, &host, &b), BP_OK);
        bp_buffer_info ia, ib;
        assert_int_equal(bp_buffer_get_info(pool, a, &ia), BP_OK);
        assert_int_equal(bp_buffer_get_info(pool, b, &ib), BP_OK);
        assert_int_equal(ia.memory, BP_MEMORY_DEVICE_LOCAL);
        assert_int_equal(ib.memory, BP_MEMORY_HOST_CACHED);
        assert_int_equal(bp_release(pool, a), BP_OK);
        assert_int_equal(bp_release(pool, b), BP_OK);
    }
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(s.misses, 2);
    assert_int_equal(s.hits, 18);
    assert_true(s.hit_rate == 18.0 / 20.0);
    ts_check_and_destroy(pool);
}

static void handle_errors_through_the_inline_lookup(void **state) {
    (void)state;
    bp_pool *pool, *other;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    assert_int_equal(bp_pool_create(NULL, &other), BP_OK);
    bp_acquire_desc d = {.size = 64};
    bp_buffer b, theirs;
    assert_int_equal(bp_acquire(pool, &d, &b), BP_OK);
    assert_int_equal(bp_acquire(other, &d, &theirs), BP_OK);
    assert_int_equal(bp_release(pool, BP_INVALID_BUFFER), BP_ERR_INVALID_HANDLE);
    assert_int_equal(bp_release(pool, theirs), BP_ERR_FOREIGN_HANDLE);
    assert_int_equal(bp_release(pool, b), BP_OK);
    assert_int_equal(bp_release(pool, b), BP_ERR_DOUBLE_RELEASE);
    bp_buffer again;
    assert_int_equal(bp_acquire(pool, &d, &again), BP_OK); /* same slot, next generation */
    assert_int_equal(bp_release(pool, b), BP_ERR_STALE_HANDLE);
    assert_true(bp_buffer_is_valid(pool, again));
    assert_false(bp_buffer_is_valid(pool, b));
    assert_int_equal(bp_release(pool, again), BP_OK);
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(s.releases, 2);
    assert_int_equal(s.errors, 4);
    assert_int_equal(bp_release(other, theirs), BP_OK);
    ts_check_and_destroy(other);
    ts_check_and_destroy(pool);
}

static void hit_rate_is_zero_before_any_acquire(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_true(s.hit_rate == 0.0);
    char json[4096];
    size_t len;
    assert_int_equal(bp_stats_to_json(pool, json, sizeof json, &len), BP_OK);
    assert_non_null(strstr(json, "\"hit_rate\":0.000000"));
    ts_check_and_destroy(pool);
}

/* Every acquire but `misses` was a hit and nothing is held; then the invariants and destroy. */
static void expect_counts_then_destroy(bp_pool *pool, uint64_t acquires, uint64_t misses) {
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(s.acquires, acquires);
    assert_int_equal(s.misses, misses);
    assert_int_equal(s.hits, acquires - misses);
    assert_int_equal(s.buffers_in_use, 0);
    ts_check_and_destroy(pool);
}

/* The hit's size cache starts at a valid size (1) and trusts a match: the sizes around it
 * still take the full checks, and a scope opened after the plain hit ran still lists its
 * buffers (the unlocked hit's key is cleared while a scope is open). */
static void size_cache_and_scopes_after_a_hit(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    bp_acquire_desc d = {.size = 1};
    bp_buffer b;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(bp_acquire(pool, &d, &b), BP_OK);
        assert_int_equal(bp_release(pool, b), BP_OK);
    }
    d.size = 0;
    assert_int_equal(bp_acquire(pool, &d, &b), BP_ERR_INVALID_SIZE);
    assert_int_equal(b.id, 0);
    d.size = UINT64_MAX;
    assert_int_not_equal(bp_acquire(pool, &d, &b), BP_OK);
    assert_int_equal(b.id, 0);
    d.size = 1;
    bp_scope mark;
    assert_int_equal(bp_scope_begin(pool, &mark), BP_OK);
    assert_int_equal(bp_acquire(pool, &d, &b), BP_OK); /* a hit, listed in the scope */
    uint32_t released = 0;
    assert_int_equal(bp_scope_end(pool, mark, &released), BP_OK);
    assert_int_equal(released, 1);
    assert_int_equal(bp_release(pool, b), BP_ERR_DOUBLE_RELEASE);
    assert_int_equal(bp_acquire(pool, &d, &b), BP_OK); /* the plain hit again */
    assert_int_equal(bp_release(pool, b), BP_OK);
    expect_counts_then_destroy(pool, 5, 1);
}

/* bp_acquire_size is bp_acquire of a descriptor with only the size set: the same buffer, fields
 * and counters, each call hitting what the other released; it never takes another group's
 * buffer (the last group found was host-cached), bad sizes fail as bp_acquire's do and change
 * nothing, and an open scope lists its buffers. */
static void acquire_size_is_the_default_request(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    bp_buffer a, b;
    assert_int_equal(bp_acquire_size(pool, 1000, &a), BP_OK); /* the miss */
    bp_buffer_info ia, ib;
    assert_int_equal(bp_buffer_get_info(pool, a, &ia), BP_OK);
    assert_int_equal(ia.size, 1000);
    assert_int_equal(ia.capacity, 1024);
    assert_int_equal(ia.memory, BP_MEMORY_DEVICE_LOCAL);
    assert_int_equal(ia.flags, 0);
    assert_int_equal(ia.owner, 0);
    assert_null(ia.tag);
    assert_int_equal(bp_release(pool, a), BP_OK);
    bp_acquire_desc d = {.size = 1000};
    assert_int_equal(bp_acquire(pool, &d, &b), BP_OK); /* the descriptor call hits it */
    assert_int_equal(bp_buffer_get_info(pool, b, &ib), BP_OK);
    assert_true(ib.native == ia.native);
    assert_int_equal(bp_release(pool, b), BP_OK);
    assert_int_equal(bp_acquire_size(pool, 1000, &a), BP_OK); /* and the size call hits it back */
    assert_int_equal(bp_buffer_get_info(pool, a, &ia), BP_OK);
    assert_true(ia.native == ib.native);
    assert_int_equal(bp_release(pool, a), BP_OK);

    bp_acquire_desc cached = {.size = 1000, .memory = BP_MEMORY_HOST_CACHED};
    assert_int_equal(bp_acquire(pool, &cached, &b), BP_OK); /* the hot group is now host-cached */
    assert_int_equal(bp_buffer_get_info(pool, b, &ib), BP_OK);
    assert_int_equal(bp_release(pool, b), BP_OK);
    assert_int_equal(bp_acquire_size(pool, 1000, &a), BP_OK);
    assert_int_equal(bp_buffer_get_info(pool, a, &ia), BP_OK);
    assert_int_equal(ia.memory, BP_MEMORY_DEVICE_LOCAL); /* the device-local buffer, not the cached one */
    assert_true(ia.native != ib.native);
    assert_int_equal(bp_release(pool, a), BP_OK);

    bp_stats before, after;
    bp_get_stats(pool, &before);
    assert_int_equal(before.acquires, 5);
    assert_int_equal(before.misses, 2);
    assert_int_equal(bp_acquire_size(pool, 0, &a), BP_ERR_INVALID_SIZE);
    assert_int_equal(a.id, 0);
    assert_int_not_equal(bp_acquire_size(pool, UINT64_MAX, &a), BP_OK);
    assert_int_equal(a.id, 0);
    assert_int_equal(bp_acquire_size(NULL, 1000, &a), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(a.id, 0);
    assert_int_equal(bp_acquire_size(pool, 1000, NULL), BP_ERR_INVALID_ARGUMENT);
    bp_get_stats(pool, &after);
    assert_int_equal(after.acquires, before.acquires);
    assert_int_equal(after.buffers_total, before.buffers_total);

    bp_scope mark;
    assert_int_equal(bp_scope_begin(pool, &mark), BP_OK);
    assert_int_equal(bp_acquire_size(pool, 1000, &a), BP_OK); /* a hit, listed in the scope */
    uint32_t released = 0;
    assert_int_equal(bp_scope_end(pool, mark, &released), BP_OK);
    assert_int_equal(released, 1);
    assert_int_equal(bp_release(pool, a), BP_ERR_DOUBLE_RELEASE);
    ts_check_and_destroy(pool);
}

/* The class entry of `size` (its smallest class that holds it) among the used classes. */
static bp_class_stats class_of_size(bp_pool *pool, uint64_t size) {
    bp_class_stats cs[16];
    uint32_t n = 0;
    assert_int_equal(bp_calculate_class_stats(pool, cs, 16, &n), BP_OK);
    for (uint32_t i = 0; i < n; i++)
        if (cs[i].class_size >= size) return cs[i];
    fail_msg("no class holds %llu bytes", (unsigned long long)size);
    return cs[0];
}

/* A hit counts itself through its slot's generation (no counter of its own): the class keeps a
 * native's hits when the native moves (bp_resize hands the holder a new one and pools the old)
 * and after it is destroyed (bp_trim everything). */
static void class_hits_follow_their_native(void **state) {
    (void)state;
    bp_pool *pool;
    bp_pool_desc d = {.frames_in_flight = BP_IMMEDIATE_REUSE};
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    bp_release(pool, ts_acquire(pool, 4096, 0)); /* the miss */
    bp_release(pool, ts_acquire(pool, 4096, 0)); /* hit 1 */
    bp_buffer b = ts_acquire(pool, 4096, 0);     /* hit 2, held */
    assert_int_equal(bp_resize(pool, b, 100000), BP_OK); /* a miss of the larger class; 4096's native pooled */
    bp_class_stats small = class_of_size(pool, 4096), large = class_of_size(pool, 100000);
    assert_int_equal(small.acquires, 3);
    assert_int_equal(small.hits, 2);
    assert_int_equal(large.acquires, 1);
    assert_int_equal(large.hits, 0);
    bp_release(pool, ts_acquire(pool, 4096, 0)); /* hit 3: the old native again */
    bp_release(pool, b);
    assert_int_equal(bp_trim(pool, true), BP_OK); /* every native destroyed: the counts stay */
    small = class_of_size(pool, 4096);
    large = class_of_size(pool, 100000);
    assert_int_equal(small.acquires, 4);
    assert_int_equal(small.hits, 3);
    assert_int_equal(large.acquires, 1);
    assert_int_equal(large.hits, 0);
    bp_stats st;
    bp_get_stats(pool, &st);
    assert_int_equal(st.hits, 3);
    assert_int_equal(st.buffers_total, 0);
    ts_check_and_destroy(pool);
}

/* A thread_safe pool serves bp_acquire_size from the thread's cache as it serves bp_acquire. */
static void acquire_size_on_a_thread_safe_pool(void **state) {
    (void)state;
    bp_pool *pool;
    bp_pool_desc pd = {.thread_safe = true, .frames_in_flight = BP_IMMEDIATE_REUSE};
    assert_int_equal(bp_pool_create(&pd, &pool), BP_OK);
    bp_buffer b;
    for (int i = 0; i < 100; i++) {
        assert_int_equal(bp_acquire_size(pool, 4096, &b), BP_OK);
        assert_int_equal(bp_release(pool, b), BP_OK);
    }
    expect_counts_then_destroy(pool, 100, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(size_limit_edges),
        cmocka_unit_test(group_shortcut_keeps_kinds_apart),
        cmocka_unit_test(handle_errors_through_the_inline_lookup),
        cmocka_unit_test(hit_rate_is_zero_before_any_acquire),
        cmocka_unit_test(size_cache_and_scopes_after_a_hit),
        cmocka_unit_test(acquire_size_is_the_default_request),
        cmocka_unit_test(acquire_size_on_a_thread_safe_pool),
        cmocka_unit_test(class_hits_follow_their_native),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
