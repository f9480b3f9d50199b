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

/* A transient request a warm class can serve takes the unlocked hit, and the frame end returns
 * every transient buffer (the plain ones on its short path, an owner's and an early-released
 * one as bp_release does) with every count exact; with guards (release extras) all of them
 * take bp_release's path. */
static void check_transient_hits_and_return(const bp_pool_desc *pd) {
    bp_pool *pool;
    assert_int_equal(bp_pool_create(pd, &pool), BP_OK);
    bp_buffer warm[4];
    for (int i = 0; i < 4; i++) warm[i] = ts_acquire(pool, 1000, 0);
    for (int i = 0; i < 4; i++) assert_int_equal(bp_release(pool, warm[i]), BP_OK);
    bp_stats before, s;
    bp_get_stats(pool, &before);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    bp_buffer t[4];
    for (int i = 0; i < 4; i++) t[i] = ts_acquire(pool, 1000, i == 3 ? BP_ACQUIRE_TRANSIENT | BP_ACQUIRE_NO_SCOPE : BP_ACQUIRE_TRANSIENT);
    bp_acquire_desc owned = {.size = 1000, .flags = BP_ACQUIRE_TRANSIENT, .owner = 7};
    bp_buffer o;
    assert_int_equal(bp_acquire(pool, &owned, &o), BP_OK);
    bp_get_stats(pool, &s);
    assert_int_equal(s.hits - before.hits, 4);
    assert_int_equal(s.misses - before.misses, 1);
    assert_int_equal(s.buffers_in_use, 5);
    assert_int_equal(s.bytes_requested, 5000);
    assert_int_equal(bp_release(pool, t[1]), BP_OK); /* early: out of the middle of the list */
    assert_int_equal(bp_frame_end(pool), BP_OK);
    bp_get_stats(pool, &s);
    assert_int_equal(s.buffers_in_use, 0);
    assert_int_equal(s.bytes_requested, 0);
    assert_int_equal(s.releases, s.acquires);
    assert_int_equal(s.buffers_pooled, 5);
    for (int i = 0; i < 4; i++) assert_false(bp_buffer_is_valid(pool, t[i]));
    assert_false(bp_buffer_is_valid(pool, o));
    bp_owner_usage u;
    assert_int_equal(bp_owner_get_usage(pool, 7, &u), BP_ERR_NOT_FOUND); /* it holds nothing now */
    assert_int_equal(bp_frame_begin(pool), BP_OK); /* the next frame's transients hit again */
    for (int i = 0; i < 4; i++) t[i] = ts_acquire(pool, 1000, BP_ACQUIRE_TRANSIENT);
    bp_get_stats(pool, &s);
    assert_int_equal(s.misses - before.misses, 1);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    ts_check_and_destroy(pool);
}

static void transient_hits_and_the_frame_end_return_keep_every_count(void **state) {
    (void)state;
    check_transient_hits_and_return(&(bp_pool_desc){.frames_in_flight = BP_IMMEDIATE_REUSE});
    check_transient_hits_and_return(&(bp_pool_desc){.frames_in_flight = BP_IMMEDIATE_REUSE, .guard_bytes = 16});
    check_transient_hits_and_return(&(bp_pool_desc){.frames_in_flight = BP_IMMEDIATE_REUSE, .thread_safe = true});
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(transient_buffers_return_at_frame_end),
        cmocka_unit_test(frames_in_flight_one_two_three),
        cmocka_unit_test(default_is_two_frames_in_flight),
        cmocka_unit_test(immediate_reuse_and_frameless_pools),
        cmocka_unit_test(transient_outside_a_frame_returns_at_the_next_end),
        cmocka_unit_test(transient_hits_and_the_frame_end_return_keep_every_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
