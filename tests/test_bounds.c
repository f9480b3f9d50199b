/* Bounds: retention caps, the pooled-bytes cap, idle trimming by frames and by seconds,
 * the warning threshold, and zero malloc / zero backend calls per frame once warm. */
#include "test_support.h"

static void retention_cap_per_class(void **state) {
    (void)state;
    bp_pool *pool;
    bp_pool_desc d = {.frames_in_flight = BP_IMMEDIATE_REUSE, .max_pooled_per_class = 3};
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    bp_buffer b[10];
    for (int i = 0; i < 10; i++) b[i] = ts_acquire(pool, 2000, 0);
    for (int i = 0; i < 10; i++) bp_release(pool, b[i]);
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(s.buffers_pooled, 3);
    assert_int_equal(s.trims, 7);
    assert_int_equal(s.backend_destroys, 7);
    ts_check_and_destroy(pool);
}

/* Regression: bp_set_max_pooled changed the desc but not the caps the release path reads. */
static void caps_set_at_run_time_apply_to_later_releases_and_now(void **state) {
    (void)state;
    bp_pool *pool;
    bp_pool_desc d = {.frames_in_flight = BP_IMMEDIATE_REUSE};
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    bp_buffer b[6];
    for (int i = 0; i < 6; i++) b[i] = ts_acquire(pool, 4096, 0);
    for (int i = 0; i < 5; i++) bp_release(pool, b[i]); /* under the default cap of 8 */
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(s.buffers_pooled, 5);
    assert_int_equal(bp_set_max_pooled(pool, 2, 0), BP_OK); /* lowered: 3 destroyed now */
    bp_get_stats(pool, &s);
    assert_int_equal(s.buffers_pooled, 2);
    assert_int_equal(s.trims, 3);
    bp_release(pool, b[5]); /* over the new cap: destroyed as it returns */
    bp_get_stats(pool, &s);
    assert_int_equal(s.buffers_pooled, 2);
    assert_int_equal(s.trims, 4);
    assert_int_equal(bp_set_max_pooled(pool, BP_NEVER, 4096), BP_OK); /* bytes: one 4 KiB buffer */
    bp_get_stats(pool, &s);
    assert_int_equal(s.buffers_pooled, 1);
    for (int i = 0; i < 3; i++) b[i] = ts_acquire(pool, 4096, 0);
    for (int i = 0; i < 3; i++) bp_release(pool, b[i]);
    bp_get_stats(pool, &s);
    assert_true(s.bytes_pooled <= 4096);
    assert_int_equal(bp_set_max_pooled(pool, 0, BP_UNLIMITED), BP_OK); /* no caps: all kept */
    for (int i = 0; i < 6; i++) b[i] = ts_acquire(pool, 4096, 0);
    for (int i = 0; i < 6; i++) bp_release(pool, b[i]);
    bp_get_stats(pool, &s);
    assert_int_equal(s.buffers_pooled, 6);
    ts_check_and_destroy(pool);
}

static void default_cap_is_eight(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    bp_buffer b[12];
    for (int i = 0; i < 12; i++) b[i] = ts_acquire(pool, 2000, 0);
    for (int i = 0; i < 12; i++) bp_release(pool, b[i]);
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(s.buffers_pooled, 8);
    ts_check_and_destroy(pool);
}

static void pooled_bytes_cap_drops_the_oldest(void **state) {
    (void)state;
    bp_pool *pool;
    bp_pool_desc d = {.frames_in_flight = BP_IMMEDIATE_REUSE, .max_pooled_bytes = 10000};
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    bp_buffer b[6];
    for (int i = 0; i < 6; i++) b[i] = ts_acquire(pool, 4096, 0);
    for (int i = 0; i < 6; i++) bp_release(pool, b[i]);
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_true(s.bytes_pooled <= 10000);
    assert_int_equal(s.buffers_pooled, 2);
    ts_check_and_destroy(pool);
}

static void idle_trim_after_frames(void **state) {
    (void)state;
    bp_pool *pool;
    bp_pool_desc d = {.frames_in_flight = 1, .idle_trim_frames = 5, .idle_trim_seconds = -1};
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    bp_frame_begin(pool);
    bp_buffer a = ts_acquire(pool, 100, 0);
    bp_release(pool, a);
    bp_frame_end(pool); /* pooled at frame 1 */
    bp_stats s;
    for (int f = 0; f < 4; f++) {
        bp_frame_begin(pool);
        bp_frame_end(pool);
    }
    bp_get_stats(pool, &s);
    assert_int_equal(s.buffers_pooled, 1); /* idle 4 frames */
    bp_frame_begin(pool);
    bp_frame_end(pool);
    bp_get_stats(pool, &s);
    assert_int_equal(s.buffers_pooled, 0); /* idle 5 frames: trimmed */
    assert_int_equal(s.trims, 1);
    assert_int_equal(s.bytes_reserved, 0);
    ts_check_and_destroy(pool);
}

static void idle_trim_after_seconds_with_an_injected_clock(void **state) {
    (void)state;
    fake_clock clk = {100.0};
    bp_pool *pool;
    bp_pool_desc d = {.frames_in_flight = BP_IMMEDIATE_REUSE, .idle_trim_frames = BP_NEVER, .clock = ts_clock,
                      .clock_user = &clk};
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    bp_buffer a = ts_acquire(pool, 100, 0), b = ts_acquire(pool, 5000, 0);
    bp_release(pool, a); /* pooled at t=100 */
    clk.now = 120.0;
    bp_trim(pool, false);
    bp_release(pool, b); /* pooled at t=120 */
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(s.buffers_pooled, 2);
    clk.now = 130.0; /* a: 30 s idle (seed 002's limit), b: 10 s */
    bp_trim(pool, false);
    bp_get_stats(pool, &s);
    assert_int_equal(s.buffers_pooled, 1);
    assert_int_equal(s.bytes_pooled, 5120);
    bp_trim(pool, true); /* everything */
    bp_get_stats(pool, &s);
    assert_int_equal(s.buffers_pooled, 0);
    ts_check_and_destroy(pool);
}

static int warnings_seen;
static void on_warning(void *user, bp_pool *pool, const bp_stats *s) {
    (void)pool;
    warnings_seen++;
    *(uint64_t *)user = s->bytes_reserved;
}

static void warning_threshold_fires_once_per_crossing(void **state) {
    (void)state;
    uint64_t at = 0;
    warnings_seen = 0;
    bp_pool *pool;
    bp_pool_desc d = {.warn_reserved_bytes = 1 << 20, .warning = on_warning, .warning_user = &at,
                      .frames_in_flight = BP_IMMEDIATE_REUSE, .max_pooled_per_class = BP_NEVER};
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    bp_buffer b[3];
    for (int i = 0; i < 3; i++) b[i] = ts_acquire(pool, 400000, 0);
    assert_int_equal(warnings_seen, 1);
    assert_true(at > (1 << 20));
    bp_buffer extra = ts_acquire(pool, 400000, 0);
    assert_int_equal(warnings_seen, 1); /* still above: no second warning */
    for (int i = 0; i < 3; i++) bp_release(pool, b[i]);
    bp_release(pool, extra);
    bp_trim(pool, true);
    bp_frame_begin(pool);
    bp_frame_end(pool); /* below again: re-armed */
    for (int i = 0; i < 3; i++) b[i] = ts_acquire(pool, 400000, 0);
    assert_int_equal(warnings_seen, 2);
    for (int i = 0; i < 3; i++) bp_release(pool, b[i]);
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(s.warnings, 2);
    ts_check_and_destroy(pool);
}

/* Once warm, a frame of acquires and releases calls neither malloc nor the backend. */
static void zero_malloc_and_zero_backend_calls_when_warm(void **state) {
    (void)state;
    counting_alloc ca = {0};
    counting_backend cb;
    bp_backend be = ts_counting_backend(&cb);
    bp_pool *pool;
    bp_pool_desc d = {.backend = &be, .allocator = ts_allocator(&ca)};
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    uint64_t rng = 1;
    for (int frame = 0; frame < 200; frame++) {
        if (frame == 100) { /* warm: count from here */
            ca.allocs = ca.frees = 0;
            cb.calls = 0;
        }
        rng = 1; /* the same sizes every frame, as a steady-state renderer */
        assert_int_equal(bp_frame_begin(pool), BP_OK);
        for (int i = 0; i < 40; i++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            uint64_t size = 64 + (rng >> 33) % 20000;
            ts_acquire(pool, size, BP_ACQUIRE_TRANSIENT);
        }
        assert_int_equal(bp_frame_end(pool), BP_OK);
    }
    assert_int_equal(ca.allocs, 0);
    assert_int_equal(ca.frees, 0);
    assert_int_equal(cb.calls, 0);
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(s.bytes_reserved, cb.live_bytes);
    ts_check_and_destroy(pool);
    assert_int_equal(cb.live_bytes, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(retention_cap_per_class),
        cmocka_unit_test(caps_set_at_run_time_apply_to_later_releases_and_now),
        cmocka_unit_test(default_cap_is_eight),
        cmocka_unit_test(pooled_bytes_cap_drops_the_oldest),
        cmocka_unit_test(idle_trim_after_frames),
        cmocka_unit_test(idle_trim_after_seconds_with_an_injected_clock),
        cmocka_unit_test(warning_threshold_fires_once_per_crossing),
        cmocka_unit_test(zero_malloc_and_zero_backend_calls_when_warm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
