/* Bugs the API fuzzer found in eviction under a budget, kept as regression tests. */
#include "test_support.h"

/* Eviction callback: release every owner offered. */
static void evict_all(void *user, bp_pool *pool, uint64_t bytes_needed, const uint64_t *owners, uint32_t count) {
    (void)bytes_needed;
    *(uint32_t *)user += count;
    for (uint32_t i = 0; i < count; i++) bp_owner_release(pool, owners[i], NULL);
}

static bp_pool *budget_pool(counting_alloc *ca, uint32_t *evicted) {
    bp_pool_desc pd = {.allocator = ts_allocator(ca), .evict = evict_all, .evict_user = evicted};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&pd, &pool), BP_OK);
    return pool;
}

static void budget_is_full(bp_pool *pool) {
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(bp_set_budget(pool, s.bytes_reserved), BP_OK);
}

/* The owner of the acquire being served is evicted by its own acquire: its record must
 * survive for the new buffer (this dereferenced NULL). */
static void eviction_of_the_acquiring_owner(void **state) {
    (void)state;
    counting_alloc ca = {0};
    uint32_t evicted = 0;
    bp_pool *pool = budget_pool(&ca, &evicted);
    bp_acquire_desc d = {.size = 4096, .owner = 7};
    bp_buffer old, fresh;
    assert_int_equal(bp_acquire(pool, &d, &old), BP_OK);
    assert_int_equal(bp_owner_set_priority(pool, 7, 2.0f), BP_OK);
    budget_is_full(pool);
    d.size = 3000; /* another class: a miss that needs room */
    assert_int_equal(bp_acquire(pool, &d, &fresh), BP_OK);
    assert_int_equal(evicted, 1);
    assert_false(bp_buffer_is_valid(pool, old));
    bp_owner_usage u;
    assert_int_equal(bp_owner_get_usage(pool, 7, &u), BP_OK);
    assert_int_equal(u.buffers, 1);
    assert_true(u.priority == 0.0f); /* released owners lose their priority */
    assert_int_equal(bp_owner_release(pool, 7, NULL), BP_OK);
    assert_int_equal(bp_owner_get_usage(pool, 7, &u), BP_ERR_NOT_FOUND);
    ts_check_and_destroy(pool);
    assert_int_equal(ca.allocs, ca.frees);
}

/* A duplicate whose source is evicted by the duplicate's own acquire reports the stale source
 * and holds nothing. */
static void duplicate_of_an_evicted_source(void **state) {
    (void)state;
    counting_alloc ca = {0};
    uint32_t evicted = 0;
    bp_pool *pool = budget_pool(&ca, &evicted);
    bp_acquire_desc d = {.size = 4096, .owner = 3};
    bp_buffer src, dup;
    assert_int_equal(bp_acquire(pool, &d, &src), BP_OK);
    budget_is_full(pool);
    assert_int_equal(bp_duplicate(pool, src, 0, &dup), BP_ERR_STALE_HANDLE);
    assert_int_equal(dup.id, 0);
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(s.buffers_in_use, 0);
    ts_check_and_destroy(pool);
    assert_int_equal(ca.allocs, ca.frees);
}

/* Owners with a priority and no buffers: the eviction list was allocated and never freed. */
static void priority_only_owners_do_not_leak(void **state) {
    (void)state;
    counting_alloc ca = {0};
    uint32_t evicted = 0;
    bp_pool *pool = budget_pool(&ca, &evicted);
    assert_int_equal(bp_owner_set_priority(pool, 5, 1.0f), BP_OK);
    assert_int_equal(bp_set_budget(pool, 100), BP_OK);
    bp_acquire_desc d = {.size = 4096};
    bp_buffer b;
    assert_int_equal(bp_acquire(pool, &d, &b), BP_ERR_BUDGET);
    assert_int_equal(evicted, 0);
    ts_check_and_destroy(pool);
    assert_int_equal(ca.allocs, ca.frees);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(eviction_of_the_acquiring_owner),
        cmocka_unit_test(duplicate_of_an_evicted_source),
        cmocka_unit_test(priority_only_owners_do_not_leak),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
