/* Frames: transient buffers return at frame end; a released buffer is not handed out again
 * before `frames_in_flight` frame ends have passed. */
#include "test_support.h"

static uint64_t native_of(bp_pool *pool, bp_buffer b) {
    bp_buffer_info i;
    assert_int_equal(bp_buffer_get_info(pool, b, &i), BP_OK);
    return i.native;
}

static void transient_buffers_return_at_frame_end(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    bp_buffer t = ts_acquire(pool, 1000, BP_ACQUIRE_TRANSIENT);
    bp_buffer p = ts_acquire(pool, 1000, 0);
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(s.buffers_in_use, 2);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    bp_get_stats(pool, &s);
    assert_int_equal(s.buffers_in_use, 1);
    assert_int_equal(s.buffers_pending, 1);
    assert_false(bp_buffer_is_valid(pool, t));
    assert_true(bp_buffer_is_valid(pool, p));
    assert_int_equal(bp_release(pool, t), BP_ERR_DOUBLE_RELEASE);
    bp_release(pool, p);
    ts_check_and_destroy(pool);
}

/* Released in frame F: not reused in frames F .. F+fif-1, reused in frame F+fif. */
static void check_frames_in_flight(uint32_t fif) {
    bp_pool *pool;
    bp_pool_desc d = {.frames_in_flight = fif};
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    bp_buffer a = ts_acquire(pool, 4096, 0);
    uint64_t released_native = native_of(pool, a);
    bp_release(pool, a); /* released in frame 0 */
    for (uint32_t f = 0; f < fif; f++) {
        bp_buffer b = ts_acquire(pool, 4096, BP_ACQUIRE_TRANSIENT);
        assert_true(native_of(pool, b) != released_native); /* frame f < fif: still in flight */
        assert_int_equal(bp_frame_end(pool), BP_OK);
        assert_int_equal(bp_frame_begin(pool), BP_OK);
    }
    /* frame fif: reusable now (the frame-0 transient came back at the same time, so take two) */
    bp_buffer c = ts_acquire(pool, 4096, 0), e = ts_acquire(pool, 4096, 0);
    assert_true(native_of(pool, c) == released_native || native_of(pool, e) == released_native);
    bp_release(pool, c);
    bp_release(pool, e);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    ts_check_and_destroy(pool);
}

static void frames_in_flight_one_two_three(void **state) {
    (void)state;
    check_frames_in_flight(1);
    check_frames_in_flight(2);
    check_frames_in_flight(3);
}

static void default_is_two_frames_in_flight(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    bp_buffer a = ts_acquire(pool, 100, 0);
    bp_release(pool, a);
    bp_frame_end(pool);
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(s.buffers_pending, 1); /* one frame later: still pending */
    bp_frame_begin(pool);
    bp_frame_end(pool);
    bp_get_stats(pool, &s);
    assert_int_equal(s.buffers_pending, 0);
    assert_int_equal(s.buffers_pooled, 1);
    assert_int_equal(s.frame, 2);
    ts_check_and_destroy(pool);
}

static void immediate_reuse_and_frameless_pools(void **state) {
    (void)state;
    bp_pool *pool;
    bp_pool_desc d = {.frames_in_flight = BP_IMMEDIATE_REUSE};
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    bp_frame_begin(pool);
    bp_buffer a = ts_acquire(pool, 100, 0);
    uint64_t n = native_of(pool, a);
    bp_release(pool, a);
    bp_buffer b = ts_acquire(pool, 100, 0);
    assert_true(native_of(pool, b) == n);
    bp_release(pool, b);
    bp_frame_end(pool);
    ts_check_and_destroy(pool);

    /* a pool that never began a frame has nothing in flight */
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    a = ts_acquire(pool, 100, 0);
    n = native_of(pool, a);
    bp_release(pool, a);
    b = ts_acquire(pool, 100, 0);
    assert_true(native_of(pool, b) == n);
    bp_release(pool, b);
    ts_check_and_destroy(pool);
}

static void transient_outside_a_frame_returns_at_the_next_end(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    bp_buffer t = ts_acquire(pool, 100, BP_ACQUIRE_TRANSIENT);
    assert_true(bp_buffer_is_valid(pool, t));
    bp_frame_begin(pool);
    bp_frame_end(pool);
    assert_false(bp_buffer_is_valid(pool, t));
    ts_check_and_destroy(pool);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(transient_buffers_return_at_frame_end),
        cmocka_unit_test(frames_in_flight_one_two_three),
        cmocka_unit_test(default_is_two_frames_in_flight),
        cmocka_unit_test(immediate_reuse_and_frameless_pools),
        cmocka_unit_test(transient_outside_a_frame_returns_at_the_next_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
