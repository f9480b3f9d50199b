/* Scopes (seed 002): nesting, an outer end closing inner scopes, NO_SCOPE buffers kept,
 * bad marks refused with the pool unchanged, and the callback form. */
#include "test_support.h"

static void nested_scopes_release_what_each_acquired(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    bp_buffer before = ts_acquire(pool, 64, 0);
    bp_scope outer, inner;
    assert_int_equal(bp_scope_begin(pool, &outer), BP_OK);
    bp_buffer a = ts_acquire(pool, 100, 0);
    assert_int_equal(bp_scope_begin(pool, &inner), BP_OK);
    bp_buffer b = ts_acquire(pool, 200, 0);
    bp_buffer kept = ts_acquire(pool, 300, BP_ACQUIRE_NO_SCOPE);
    bp_buffer b2 = ts_acquire(pool, 400, 0);
    assert_int_equal(bp_release(pool, b2), BP_OK); /* released early: not released twice */
    uint32_t n = 99;
    assert_int_equal(bp_scope_end(pool, inner, &n), BP_OK);
    assert_int_equal(n, 1);
    assert_false(bp_buffer_is_valid(pool, b));
    assert_true(bp_buffer_is_valid(pool, a));
    assert_true(bp_buffer_is_valid(pool, kept));
    bp_buffer d = ts_acquire(pool, 500, 0);
    assert_int_equal(bp_scope_end(pool, outer, &n), BP_OK);
    assert_int_equal(n, 2);
    assert_false(bp_buffer_is_valid(pool, a));
    assert_false(bp_buffer_is_valid(pool, d));
    assert_true(bp_buffer_is_valid(pool, kept));
    assert_true(bp_buffer_is_valid(pool, before));
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(s.scope_releases, 3);
    assert_int_equal(s.buffers_in_use, 2);
    assert_int_equal(s.releases, 4); /* b2 by bp_release, b, a and d by the scope ends */
    assert_int_equal(s.bytes_requested, 64 + 300);
    bp_release(pool, kept);
    bp_release(pool, before);
    ts_check_and_destroy(pool);
}

static void ending_an_outer_scope_closes_inner_ones(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    bp_scope s1, s2, s3;
    assert_int_equal(bp_scope_begin(pool, &s1), BP_OK);
    assert_int_equal(bp_scope_begin(pool, &s2), BP_OK);
    bp_buffer x = ts_acquire(pool, 100, 0);
    assert_int_equal(bp_scope_begin(pool, &s3), BP_OK);
    bp_buffer y = ts_acquire(pool, 100, BP_ACQUIRE_TRANSIENT);
    uint32_t n;
    assert_int_equal(bp_scope_end(pool, s1, &n), BP_OK);
    assert_int_equal(n, 2);
    assert_false(bp_buffer_is_valid(pool, x));
    assert_false(bp_buffer_is_valid(pool, y));
    /* the inner marks closed with it */
    assert_int_equal(bp_scope_end(pool, s3, &n), BP_ERR_SCOPE);
    assert_int_equal(bp_scope_end(pool, s2, &n), BP_ERR_SCOPE);
    assert_int_equal(bp_scope_end(pool, s1, &n), BP_ERR_SCOPE);
    /* a new scope at the same depth is not the old one */
    bp_scope again;
    assert_int_equal(bp_scope_begin(pool, &again), BP_OK);
    assert_int_equal(bp_scope_end(pool, s1, NULL), BP_ERR_SCOPE);
    assert_int_equal(bp_scope_end(pool, again, NULL), BP_OK);
    ts_check_and_destroy(pool);
}

static void bad_marks_leave_the_pool_unchanged(void **state) {
    (void)state;
    bp_pool *pool, *other;
    log_record log = {0};
    bp_pool_desc d = {.logger = {ts_logger, &log}};
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    assert_int_equal(bp_pool_create(NULL, &other), BP_OK);
    bp_scope mine, theirs;
    assert_int_equal(bp_scope_begin(pool, &mine), BP_OK);
    assert_int_equal(bp_scope_begin(other, &theirs), BP_OK);
    bp_buffer a = ts_acquire(pool, 128, 0);
    bp_stats before, after;
    bp_get_stats(pool, &before);
    uint32_t n = 7;
    assert_int_equal(bp_scope_end(pool, (bp_scope){0}, &n), BP_ERR_SCOPE);
    assert_int_equal(n, 0);
    assert_int_equal(bp_scope_end(pool, theirs, NULL), BP_ERR_SCOPE);
    assert_int_equal(bp_scope_end(pool, (bp_scope){mine.id + 1}, NULL), BP_ERR_SCOPE);  /* depth not open */
    assert_int_equal(bp_scope_end(pool, (bp_scope){mine.id ^ (1ull << 40)}, NULL), BP_ERR_SCOPE); /* serial */
    assert_int_equal(bp_scope_end(NULL, mine, NULL), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_scope_begin(pool, NULL), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(log.count[BP_LOG_ITEM_SCOPE], 4);
    bp_get_stats(pool, &after);
    assert_true(bp_buffer_is_valid(pool, a));
    assert_int_equal(after.buffers_in_use, before.buffers_in_use);
    assert_int_equal(after.releases, before.releases);
    assert_int_equal(bp_scope_end(pool, mine, &n), BP_OK); /* still open after the bad calls */
    assert_int_equal(n, 1);
    assert_int_equal(bp_scope_end(other, theirs, NULL), BP_OK);
    ts_check_and_destroy(other);
    ts_check_and_destroy(pool);
}

static void scope_depth_is_bounded(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    bp_scope marks[BP_MAX_SCOPE_DEPTH], extra;
    for (uint32_t i = 0; i < BP_MAX_SCOPE_DEPTH; i++) {
        assert_int_equal(bp_scope_begin(pool, &marks[i]), BP_OK);
        ts_acquire(pool, 16 + i, 0);
    }
    assert_int_equal(bp_scope_begin(pool, &extra), BP_ERR_SCOPE);
    assert_int_equal(extra.id, 0);
    uint32_t n;
    assert_int_equal(bp_scope_end(pool, marks[0], &n), BP_OK);
    assert_int_equal(n, BP_MAX_SCOPE_DEPTH);
    ts_check_and_destroy(pool);
}

static void scope_end_releases_owned_buffers_from_their_owner(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    bp_acquire_desc d = {.size = 1000, .owner = 42};
    bp_buffer keep, b;
    assert_int_equal(bp_acquire(pool, &d, &keep), BP_OK);
    bp_scope m;
    assert_int_equal(bp_scope_begin(pool, &m), BP_OK);
    assert_int_equal(bp_acquire(pool, &d, &b), BP_OK);
    bp_owner_usage u;
    assert_int_equal(bp_owner_get_usage(pool, 42, &u), BP_OK);
    assert_int_equal(u.buffers, 2);
    assert_int_equal(bp_scope_end(pool, m, NULL), BP_OK);
    assert_int_equal(bp_owner_get_usage(pool, 42, &u), BP_OK);
    assert_int_equal(u.buffers, 1);
    bp_release(pool, keep);
    ts_check_and_destroy(pool);
}

typedef struct work {
    int calls;
    bp_result result;
    bp_buffer got[3];
} work;

static bp_result fit_mesh(bp_pool *pool, void *user) {
    work *w = user;
    w->calls++;
    float *p;
    if (bp_acquire_positions(pool, 1000, &w->got[0], &p) != BP_OK) return BP_ERR_BACKEND;
    if (bp_acquire_normals(pool, 1000, &w->got[1], &p) != BP_OK) return BP_ERR_BACKEND;
    if (bp_acquire_displacements(pool, 1000, &w->got[2], &p) != BP_OK) return BP_ERR_BACKEND;
    return w->result;
}

static void with_scope_releases_whatever_the_callback_returns(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    work w = {.result = BP_OK};
    assert_int_equal(bp_with_scope(pool, fit_mesh, &w), BP_OK);
    for (int i = 0; i < 3; i++) assert_false(bp_buffer_is_valid(pool, w.got[i]));
    w.result = BP_ERR_NOT_FOUND; /* the work failed: its buffers still return */
    assert_int_equal(bp_with_scope(pool, fit_mesh, &w), BP_ERR_NOT_FOUND);
    for (int i = 0; i < 3; i++) assert_false(bp_buffer_is_valid(pool, w.got[i]));
    assert_int_equal(w.calls, 2);
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(s.scope_releases, 6);
    assert_int_equal(s.buffers_in_use, 0);
    assert_int_equal(s.hits, 3); /* the second run reused the first run's buffers */
    assert_int_equal(bp_with_scope(pool, NULL, &w), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_with_scope(NULL, fit_mesh, &w), BP_ERR_INVALID_ARGUMENT);
    ts_check_and_destroy(pool);
}


static bp_result end_own_scope(bp_pool *pool, void *user) {
    (void)user;
    ts_acquire(pool, 100, 0);
    /* the innermost open scope is the one bp_with_scope opened: depth 1, ended here */
    bp_scope probe;
    bp_scope_begin(pool, &probe);
    bp_scope outer = {(probe.id & ~0xFFFFFFull) | 1u};
    outer.id -= 1ull << 32; /* the serial issued just before the probe's */
    return bp_scope_end(pool, outer, NULL);
}

static void with_scope_reports_a_scope_its_callback_ended(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    assert_int_equal(bp_with_scope(pool, end_own_scope, NULL), BP_ERR_SCOPE);
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(s.buffers_in_use, 0);
    bp_scope again;
    assert_int_equal(bp_scope_begin(pool, &again), BP_OK); /* depth back at 0: this is depth 1 */
    assert_int_equal((uint32_t)again.id & 0xFFFFFFu, 1);
    assert_int_equal(bp_scope_end(pool, again, NULL), BP_OK);
    ts_check_and_destroy(pool);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nested_scopes_release_what_each_acquired),
        cmocka_unit_test(ending_an_outer_scope_closes_inner_ones),
        cmocka_unit_test(bad_marks_leave_the_pool_unchanged),
        cmocka_unit_test(scope_depth_is_bounded),
        cmocka_unit_test(scope_end_releases_owned_buffers_from_their_owner),
        cmocka_unit_test(with_scope_releases_whatever_the_callback_returns),
        cmocka_unit_test(with_scope_reports_a_scope_its_callback_ended),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
