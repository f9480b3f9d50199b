/* Held buffers outside any scope sit in no list (the hot path skips the live list), so the
 * leak report and the outstanding calls find them by walking the slots: they must still list
 * every held buffer, non-transient ones in acquisition order, then the transient ones, and
 * scope ends must still release exactly what their scope acquired. */
#include <stdio.h>

#include "test_support.h"

static char leaks[16][512];
static int leak_n;
static void capture(void *user, bp_log_level level, bp_log_item item, const char *message) {
    (void)user;
    (void)level;
    if (item == BP_LOG_ITEM_LEAK && leak_n < 16) strncpy(leaks[leak_n++], message, 511);
}

static bp_buffer take(bp_pool *pool, const char *tag, uint32_t flags) {
    bp_acquire_desc d = {.size = 256, .flags = flags, .tag = tag};
    bp_buffer b;
    assert_int_equal(bp_acquire(pool, &d, &b), BP_OK);
    return b;
}

static void leak_report_lists_in_acquisition_order(void **state) {
    (void)state;
    bp_pool *pool;
    bp_pool_desc pd = {.logger = {capture, NULL}};
    assert_int_equal(bp_pool_create(&pd, &pool), BP_OK);
    /* Slot reuse puts later acquisitions in lower slots: order must come from acquisition. */
    bp_buffer spare[4];
    for (int i = 0; i < 4; i++) spare[i] = take(pool, "spare", 0);
    for (int i = 3; i >= 0; i--) bp_release(pool, spare[i]);
    take(pool, "a", 0);
    bp_scope mark;
    assert_int_equal(bp_scope_begin(pool, &mark), BP_OK);
    take(pool, "b_scoped", 0);
    take(pool, "c_no_scope", BP_ACQUIRE_NO_SCOPE);
    bp_buffer gone = take(pool, "gone", 0);
    take(pool, "d_scoped", 0);
    assert_int_equal(bp_release(pool, gone), BP_OK);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    take(pool, "t_transient", BP_ACQUIRE_TRANSIENT);
    take(pool, "e", 0);
    assert_int_equal(bpi_check(pool), BP_OK);
    leak_n = 0;
    bp_pool_destroy(pool);
    const char *want[] = {"'a'", "'b_scoped'", "'c_no_scope'", "'d_scoped'", "'e'", "'t_transient'"};
    assert_int_equal(leak_n, 6);
    for (int i = 0; i < 6; i++)
        if (!strstr(leaks[i], want[i])) fail_msg("leak %d: want %s, got %s", i, want[i], leaks[i]);
}

static void scope_end_releases_only_its_buffers(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    bp_buffer before = take(pool, "before", 0);
    bp_scope outer, inner;
    assert_int_equal(bp_scope_begin(pool, &outer), BP_OK);
    bp_buffer in_outer = take(pool, "in_outer", 0);
    bp_buffer kept = take(pool, "kept", BP_ACQUIRE_NO_SCOPE);
    assert_int_equal(bp_scope_begin(pool, &inner), BP_OK);
    take(pool, "in_inner", 0);
    uint32_t n = 0;
    assert_int_equal(bp_scope_end(pool, inner, &n), BP_OK);
    assert_int_equal(n, 1);
    assert_int_equal(bpi_check(pool), BP_OK);
    bp_buffer after_inner = take(pool, "after_inner", 0);
    assert_int_equal(bp_scope_end(pool, outer, &n), BP_OK);
    assert_int_equal(n, 2);
    assert_false(bp_buffer_is_valid(pool, in_outer));
    assert_false(bp_buffer_is_valid(pool, after_inner));
    assert_true(bp_buffer_is_valid(pool, before));
    assert_true(bp_buffer_is_valid(pool, kept));
    bp_tag_usage u[4];
    uint32_t count = 0;
    assert_int_equal(bp_calculate_tag_snapshot(pool, u, 4, &count), BP_OK);
    assert_int_equal(count, 2);
    assert_int_equal(bp_release(pool, before), BP_OK);
    assert_int_equal(bp_release(pool, kept), BP_OK);
    ts_check_and_destroy(pool);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(leak_report_lists_in_acquisition_order),
        cmocka_unit_test(scope_end_releases_only_its_buffers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
