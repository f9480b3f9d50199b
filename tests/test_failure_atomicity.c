/* Failure atomicity: a public call that fails leaves the pool as it was (stats, buffers,
 * owners, scopes). Each test snapshots the stats, makes a call fail, and compares. */
#include "test_support.h"

/* The stats that a failed call must not change (its failure counters may). */
static void assert_same(const bp_stats *a, const bp_stats *b) {
    assert_int_equal(a->bytes_reserved, b->bytes_reserved);
    assert_int_equal(a->bytes_in_use, b->bytes_in_use);
    assert_int_equal(a->bytes_requested, b->bytes_requested);
    assert_int_equal(a->bytes_pooled, b->bytes_pooled);
    assert_int_equal(a->bytes_pending, b->bytes_pending);
    assert_int_equal(a->buffers_in_use, b->buffers_in_use);
    assert_int_equal(a->buffers_pooled, b->buffers_pooled);
    assert_int_equal(a->buffers_pending, b->buffers_pending);
    assert_int_equal(a->buffers_total, b->buffers_total);
    assert_int_equal(a->acquires, b->acquires);
    assert_int_equal(a->releases, b->releases);
    assert_int_equal(a->hits, b->hits);
    assert_int_equal(a->misses, b->misses);
    assert_int_equal(a->backend_creates, b->backend_creates);
    assert_int_equal(a->backend_destroys, b->backend_destroys);
    assert_int_equal(a->trims, b->trims);
    assert_int_equal(a->frame, b->frame);
    assert_int_equal(a->owner_releases, b->owner_releases);
    assert_int_equal(a->scope_releases, b->scope_releases);
}

static bp_stats snap(bp_pool *pool) {
    bp_stats s;
    bp_get_stats(pool, &s);
    return s;
}

static void budget_refusal_keeps_pooled_buffers(void **state) {
    (void)state;
    bp_pool *pool;
    bp_pool_desc d = {.budget_bytes = 16384, .frames_in_flight = BP_IMMEDIATE_REUSE};
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    bp_buffer a = ts_acquire(pool, 8192, 0);
    assert_int_equal(bp_release(pool, a), BP_OK);
    bp_stats before = snap(pool);
    bp_acquire_desc ad = {.size = 65536};
    bp_buffer c;
    assert_int_equal(bp_acquire(pool, &ad, &c), BP_ERR_BUDGET);
    bp_stats after = snap(pool);
    assert_same(&before, &after);
    ts_check_and_destroy(pool);
}

static void scope_failures_change_nothing(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&(bp_pool_desc){.frames_in_flight = BP_IMMEDIATE_REUSE}, &pool), BP_OK);
    bp_pool *other;
    assert_int_equal(bp_pool_create(&(bp_pool_desc){0}, &other), BP_OK);
    bp_scope outer, inner, foreign;
    assert_int_equal(bp_scope_begin(pool, &outer), BP_OK);
    ts_acquire(pool, 100, 0);
    assert_int_equal(bp_scope_begin(pool, &inner), BP_OK);
    ts_acquire(pool, 100, 0);
    assert_int_equal(bp_scope_begin(other, &foreign), BP_OK);
    bp_stats before = snap(pool);
    uint32_t n = 7;
    assert_int_equal(bp_scope_end(pool, foreign, &n), BP_ERR_SCOPE);
    assert_int_equal(n, 0);
    assert_int_equal(bp_scope_end(pool, (bp_scope){inner.id + 1}, &n), BP_ERR_SCOPE);
    assert_int_equal(bp_scope_end(pool, (bp_scope){inner.id ^ (1ull << 40)}, &n), BP_ERR_SCOPE);
    assert_int_equal(bp_scope_end(pool, (bp_scope){0}, &n), BP_ERR_SCOPE);
    bp_stats after = snap(pool);
    assert_same(&before, &after);
    /* ending the outer closes the inner: the inner mark is stale afterwards */
    assert_int_equal(bp_scope_end(pool, outer, &n), BP_OK);
    assert_int_equal(n, 2);
    before = snap(pool);
    assert_int_equal(bp_scope_end(pool, inner, &n), BP_ERR_SCOPE);
    assert_int_equal(bp_scope_end(pool, outer, &n), BP_ERR_SCOPE);
    /* a reopened depth does not revive the stale mark */
    bp_scope again;
    assert_int_equal(bp_scope_begin(pool, &again), BP_OK);
    assert_int_equal(bp_scope_end(pool, outer, &n), BP_ERR_SCOPE);
    assert_int_equal(bp_scope_end(pool, again, &n), BP_OK);
    after = snap(pool);
    assert_same(&before, &after);
    /* nesting limit */
    bp_scope marks[BP_MAX_SCOPE_DEPTH + 1];
    for (uint32_t i = 0; i < BP_MAX_SCOPE_DEPTH; i++) assert_int_equal(bp_scope_begin(pool, &marks[i]), BP_OK);
    assert_int_equal(bp_scope_begin(pool, &marks[BP_MAX_SCOPE_DEPTH]), BP_ERR_SCOPE);
    assert_int_equal(marks[BP_MAX_SCOPE_DEPTH].id, 0);
    assert_int_equal(bp_scope_end(pool, marks[BP_MAX_SCOPE_DEPTH - 1], &n), BP_OK);
    assert_int_equal(bp_scope_end(pool, marks[0], &n), BP_OK);
    ts_check_and_destroy(pool);
    ts_check_and_destroy(other);
}

static void copy_and_binding_failures_change_nothing(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&(bp_pool_desc){.frames_in_flight = BP_IMMEDIATE_REUSE}, &pool), BP_OK);
    bp_buffer a = ts_acquire(pool, 100, 0), b = ts_acquire(pool, 100, 0), gone = ts_acquire(pool, 100, 0);
    assert_int_equal(bp_release(pool, gone), BP_OK);
    bp_stats before = snap(pool);
    assert_int_equal(bp_copy(pool, a, 1, b, 0, 100), BP_ERR_OUT_OF_RANGE);
    assert_int_equal(bp_copy(pool, a, UINT64_MAX, b, 0, 2), BP_ERR_OVERFLOW);
    assert_int_equal(bp_copy(pool, a, 0, b, 0, 0), BP_ERR_INVALID_SIZE);
    assert_int_not_equal(bp_resize(pool, a, 0), BP_OK);
    assert_int_not_equal(bp_resize(pool, a, UINT64_MAX), BP_OK);
    bp_buffer d;
    assert_int_not_equal(bp_duplicate(pool, gone, 0, &d), BP_OK);
    assert_int_not_equal(bp_duplicate(pool, a, 0xFFFF0000u, &d), BP_OK);
    bp_binding_table *t;
    assert_int_equal(bp_binding_table_create(pool, 1, &t), BP_OK);
    assert_int_equal(bp_binding_set(t, "x", a), BP_OK);
    assert_int_equal(bp_binding_set(t, "y", b), BP_ERR_CAPACITY);
    assert_int_not_equal(bp_binding_set(t, "x", (bp_buffer){0}), BP_OK);
    bp_buffer got;
    assert_int_equal(bp_binding_get(t, "x", &got), BP_OK);
    assert_int_equal(got.id, a.id);
    bp_binding_table_destroy(t);
    bp_stats after = snap(pool);
    assert_same(&before, &after);
    ts_check_and_destroy(pool);
}

static void owner_failures_change_nothing(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&(bp_pool_desc){.frames_in_flight = BP_IMMEDIATE_REUSE, .budget_bytes = 8192}, &pool), BP_OK);
    bp_acquire_desc ad = {.size = 4096, .owner = 9};
    bp_buffer a;
    assert_int_equal(bp_acquire(pool, &ad, &a), BP_OK);
    assert_int_equal(bp_owner_set_priority(pool, 9, 2.0f), BP_OK);
    bp_stats before = snap(pool);
    bp_owner_usage u0, u1;
    assert_int_equal(bp_owner_get_usage(pool, 9, &u0), BP_OK);
    ad.size = 100000;
    assert_int_equal(bp_acquire(pool, &ad, &a), BP_ERR_BUDGET);
    ad.owner = 10;
    assert_int_equal(bp_acquire(pool, &ad, &a), BP_ERR_BUDGET);
    assert_int_equal(bp_owner_get_usage(pool, 10, &u1), BP_ERR_NOT_FOUND);
    assert_int_equal(bp_owner_set_priority(pool, 9, 0.0f / 0.0f), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_owner_get_usage(pool, 9, &u1), BP_OK);
    assert_memory_equal(&u0, &u1, sizeof u0);
    uint32_t count;
    assert_int_equal(bp_calculate_owners(pool, NULL, 0, &count), BP_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(count, 1);
    bp_stats after = snap(pool);
    assert_same(&before, &after);
    ts_check_and_destroy(pool);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(budget_refusal_keeps_pooled_buffers),
        cmocka_unit_test(scope_failures_change_nothing),
        cmocka_unit_test(copy_and_binding_failures_change_nothing),
        cmocka_unit_test(owner_failures_change_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
