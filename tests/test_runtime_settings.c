/* Settings and derived state changed at run time: the caps, flags and latches a pool caches
 * (retain_cap, pooled_cap, warned...) follow every public call that changes what they are
 * derived from, not only pool creation or the next frame end. */
#include "test_support.h"

/* bp_set_max_pooled applies to every later release (the release path reads caps cached in
 * the pool): lowered and raised, per class and in bytes. */
static void max_pooled_applies_to_later_releases(void **state) {
    (void)state;
    bp_pool_desc d = {.max_pooled_per_class = 1, .frames_in_flight = BP_IMMEDIATE_REUSE};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    bp_buffer b[4];
    for (int i = 0; i < 4; i++) b[i] = ts_acquire(pool, 4096, 0);
    assert_int_equal(bp_set_max_pooled(pool, 3, 0), BP_OK); /* raised */
    for (int i = 0; i < 4; i++) assert_int_equal(bp_release(pool, b[i]), BP_OK);
    assert_int_equal(ts_stats(pool).buffers_pooled, 3);
    for (int i = 0; i < 3; i++) b[i] = ts_acquire(pool, 4096, 0);
    assert_int_equal(bp_set_max_pooled(pool, BP_NEVER, 2 * 4096), BP_OK); /* bytes lowered */
    for (int i = 0; i < 3; i++) assert_int_equal(bp_release(pool, b[i]), BP_OK);
    assert_int_equal(ts_stats(pool).buffers_pooled, 2);
    assert_true(ts_stats(pool).bytes_pooled <= 2 * 4096);
    ts_check_and_destroy(pool);
}

/* The warning is re-armed when reserved bytes fall back under the threshold, whichever call
 * destroyed the buffers: a program without frames that trims with bp_trim (or lowers the
 * caps) and then crosses the threshold again is warned again. The latch (pool->warned) was
 * only re-armed by a frame end or a later miss that found the pool under the threshold. */
static void warning_rearmed_by_trim_calls(void **state) {
    (void)state;
    int warnings_seen = 0;
    bp_pool_desc d = {.warn_reserved_bytes = 6000, .frames_in_flight = BP_IMMEDIATE_REUSE,
                      .warning = ts_count_warning, .warning_user = &warnings_seen};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    for (int round = 1; round <= 3; round++) {
        bp_buffer a = ts_acquire(pool, 8192, 0);
        assert_int_equal(ts_stats(pool).warnings, round);
        assert_int_equal(bp_release(pool, a), BP_OK);
        if (round == 1) assert_int_equal(bp_trim(pool, true), BP_OK);
        else if (round == 2) assert_int_equal(bp_trim_older_than(pool, 0.0, NULL), BP_OK);
        else assert_int_equal(bp_set_max_pooled(pool, 0, 1), BP_OK);
        assert_int_equal(ts_stats(pool).bytes_reserved, 0);
        assert_false(pool->warned);
    }
    assert_int_equal(warnings_seen, 3);
    ts_check_and_destroy(pool);
}

/* The eviction callback may release (buffers, owners) and nothing else: a frame end from
 * inside it closed the frame in the middle of the acquire that ran it, and the application's
 * own bp_frame_end then failed. Frame and scope calls there are now BP_ERR_BUSY. */
typedef struct reentry {
    bp_result frame_end, frame_begin, scope_begin;
    int calls;
} reentry;

static void evict_and_misbehave(void *user, bp_pool *pool, uint64_t needed, const uint64_t *owners, uint32_t count) {
    (void)needed;
    reentry *e = user;
    e->calls++;
    bp_scope mark;
    e->frame_end = bp_frame_end(pool);
    e->frame_begin = bp_frame_begin(pool);
    e->scope_begin = bp_scope_begin(pool, &mark);
    if (count) bp_owner_release(pool, owners[0], NULL);
}

static void eviction_callback_cannot_end_the_frame(void **state) {
    (void)state;
    reentry e = {0};
    bp_pool_desc d = {.budget_bytes = 8192, .evict = evict_and_misbehave, .evict_user = &e,
                      .frames_in_flight = BP_IMMEDIATE_REUSE};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    bp_acquire_desc a = {.size = 8192, .owner = 7};
    bp_buffer b1, b2;
    assert_int_equal(bp_acquire(pool, &a, &b1), BP_OK);
    a.owner = 8;
    assert_int_equal(bp_acquire(pool, &a, &b2), BP_OK); /* over the budget: owner 7 is culled */
    assert_int_equal(e.calls, 1);
    assert_int_equal(e.frame_end, BP_ERR_BUSY);
    assert_int_equal(e.frame_begin, BP_ERR_BUSY);
    assert_int_equal(e.scope_begin, BP_ERR_BUSY);
    assert_int_equal(bp_frame_end(pool), BP_OK); /* the frame was still open */
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(s.frame, 1);
    assert_int_equal(bp_release(pool, b2), BP_OK);
    ts_check_and_destroy(pool);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(eviction_callback_cannot_end_the_frame),
        cmocka_unit_test(max_pooled_applies_to_later_releases),
        cmocka_unit_test(warning_rearmed_by_trim_calls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
