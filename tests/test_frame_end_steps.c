/* The optional steps of a frame end (lifecycle/frames.c) each run only when they have work:
 * these tests pin down that skipping them changes nothing — the clock reading idle trimming
 * depends on, promotion of pending buffers, the warning threshold, diagnostics and series. */
#include <time.h>

#include "test_support.h"

typedef struct counting_clock {
    double now;
    int reads;
} counting_clock;

static double cc_read(void *user) {
    counting_clock *c = user;
    c->reads++;
    return c->now;
}

static void end_frame(bp_pool *pool) {
    assert_int_equal(bp_frame_end(pool), BP_OK);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
}

/* A dynamic pool reads its clock once per frame end; a buffer released in a frame counts as
 * pooled at the previous frame end's reading and is trimmed at the first frame end whose
 * reading is `idle_trim_seconds` later. */
static void idle_seconds_trim_at_frame_end(void **state) {
    (void)state;
    counting_clock clk = {0};
    bp_pool_desc d = {.clock = cc_read, .clock_user = &clk, .idle_trim_seconds = 5.0,
                      .idle_trim_frames = BP_NEVER, .frames_in_flight = BP_IMMEDIATE_REUSE};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    bp_buffer a = ts_acquire(pool, 4096, 0);
    int reads = clk.reads;
    end_frame(pool); /* reading 0 */
    assert_int_equal(clk.reads, reads + 1);
    clk.now = 100.0;
    bp_release(pool, a); /* pooled at the last reading (0), not at 100 */
    assert_int_equal(ts_stats(pool).trims, 0);
    end_frame(pool); /* reading 100: idle 100 s */
    assert_int_equal(ts_stats(pool).trims, 1);
    assert_int_equal(ts_stats(pool).buffers_pooled, 0);

    bp_buffer b = ts_acquire(pool, 4096, 0);
    end_frame(pool); /* reading 100 */
    clk.now = 104.0;
    bp_release(pool, b); /* pooled at 100 */
    end_frame(pool);     /* reading 104: idle 4 s, kept */
    assert_int_equal(ts_stats(pool).trims, 1);
    assert_int_equal(ts_stats(pool).buffers_pooled, 1);
    clk.now = 105.0;
    end_frame(pool); /* idle 5 s: trimmed */
    assert_int_equal(ts_stats(pool).trims, 2);
    assert_int_equal(ts_stats(pool).buffers_pooled, 0);
    assert_int_equal(clk.reads, reads + 5);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    ts_check_and_destroy(pool);
}

/* The default clock (support.c: the coarse monotonic clock) advances: a buffer idle well past
 * idle_trim_seconds of real time is trimmed. Frames shorter than a millisecond have the frame
 * ends read it every few frames only (at most 16: accounting/trim.c's bpi_frame_clock), so
 * after a run of fast frames a pause is seen within 16 frame ends; a buffer released after
 * the pause is not trimmed with it. */
static void default_clock_trims_by_seconds(void **state) {
    (void)state;
    bp_pool_desc d = {.idle_trim_seconds = 0.02, .idle_trim_frames = BP_NEVER,
                      .frames_in_flight = BP_IMMEDIATE_REUSE};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    bp_release(pool, ts_acquire(pool, 4096, 0));
    for (int i = 0; i < 100; i++) end_frame(pool); /* fast frames: the stride grows */
    assert_int_equal(ts_stats(pool).trims, 0);
    struct timespec pause = {0, 80 * 1000 * 1000}; /* 4x the idle time, many kernel ticks */
    nanosleep(&pause, NULL);
    bp_release(pool, ts_acquire(pool, 65536, 0)); /* pooled after the pause */
    int frames = 0;
    while (ts_stats(pool).trims == 0 && frames < 100) end_frame(pool), frames++;
    assert_int_equal(ts_stats(pool).trims, 1);
    assert_true(frames <= 16);
    assert_int_equal(ts_stats(pool).buffers_pooled, 1); /* the young one stays */
    assert_int_equal(bp_frame_end(pool), BP_OK);
    ts_check_and_destroy(pool);
}

/* bp_trim_older_than after fast frames and a pause: the buffer pooled before the pause is
 * destroyed, the one released after it, in a frame whose frame end did not read the clock,
 * is not (it takes the trim's reading, not the one before the pause). */
static void trim_older_than_after_skipped_readings(void **state) {
    (void)state;
    bp_pool_desc d = {.idle_trim_seconds = -1, .idle_trim_frames = BP_NEVER, .frames_in_flight = BP_IMMEDIATE_REUSE};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    bp_release(pool, ts_acquire(pool, 4096, 0));
    for (int i = 0; i < 100; i++) end_frame(pool);
    struct timespec pause = {0, 80 * 1000 * 1000};
    nanosleep(&pause, NULL);
    end_frame(pool); /* likely skips its reading: frames were fast */
    bp_release(pool, ts_acquire(pool, 65536, 0));
    uint32_t n = 0;
    assert_int_equal(bp_trim_older_than(pool, 0.04, &n), BP_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ts_stats(pool).buffers_pooled, 1);
    bp_buffer_info info;
    bp_buffer b = ts_acquire(pool, 65536, 0); /* the young one is still pooled: a hit */
    assert_int_equal(bp_buffer_get_info(pool, b, &info), BP_OK);
    assert_int_equal(ts_stats(pool).buffers_pooled, 0);
    assert_int_equal(ts_stats(pool).backend_creates, 2);
    bp_release(pool, b);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    ts_check_and_destroy(pool);
}

/* bp_frame_next is bp_frame_end + bp_frame_begin: the same sequence run both ways, on the usual
 * pool (its one-test path), on one with a series (frame end extras) and on a thread_safe one
 * (the general path), ends every frame with the same counts, transient buffers returned and
 * buffers of frames in flight promoted, and a frame open. */
static void frame_next_is_end_then_begin(void **state) {
    (void)state;
    for (int variant = 0; variant < 3; variant++) {
        counting_clock ca = {0}, cb = {0};
        bp_pool_desc d = {.clock = cc_read, .idle_trim_seconds = 3.0, .idle_trim_frames = 7,
                          .series_frames = variant == 1 ? 8 : 0, .thread_safe = variant == 2};
        bp_pool *a, *b;
        d.clock_user = &ca;
        assert_int_equal(bp_pool_create(&d, &a), BP_OK);
        d.clock_user = &cb;
        assert_int_equal(bp_pool_create(&d, &b), BP_OK);
        assert_int_equal(bp_frame_begin(a), BP_OK);
        assert_int_equal(bp_frame_begin(b), BP_OK);
        for (int f = 0; f < 40; f++) {
            ca.now = cb.now = f * 0.25;
            bp_pool *pools[2] = {a, b};
            for (int k = 0; k < 2; k++) {
                bp_pool *p = pools[k];
                if (f < 20) {
                    bp_release(p, ts_acquire(p, 1000u + (uint64_t)f * 300u, 0));
                    ts_acquire(p, 4096, BP_ACQUIRE_TRANSIENT);
                }
                if (k == 0) assert_int_equal(bp_frame_next(p), BP_OK);
                else end_frame(p);
            }
            bp_stats x = ts_stats(a), y = ts_stats(b);
            assert_int_equal(x.buffers_in_use, 0); /* the transient ones came back */
            uint64_t fx[] = {x.frame, x.releases, x.buffers_pooled, x.buffers_pending, x.trims, x.bytes_reserved,
                             (uint64_t)ca.reads};
            uint64_t fy[] = {y.frame, y.releases, y.buffers_pooled, y.buffers_pending, y.trims, y.bytes_reserved,
                             (uint64_t)cb.reads};
            assert_memory_equal(fx, fy, sizeof fx);
        }
        assert_true(ts_stats(a).trims > 0); /* idle trimming ran in both */
        assert_int_equal(bp_frame_begin(a), BP_ERR_FRAME_STATE); /* the next frame is open */
        assert_int_equal(bp_frame_end(a), BP_OK);
        assert_int_equal(bp_frame_end(b), BP_OK);
        ts_check_and_destroy(a);
        ts_check_and_destroy(b);
    }
}

static bp_result next_from_warning;
static void warning_calls_frame_next(void *user, bp_pool *pool, const bp_stats *st) {
    (void)user;
    (void)st;
    next_from_warning = bp_frame_next(pool);
}

/* Refused calls change nothing: a NULL pool, no frame open, and from inside a callback. */
static void frame_next_refusals(void **state) {
    (void)state;
    assert_int_equal(bp_frame_next(NULL), BP_ERR_INVALID_ARGUMENT);
    bp_pool_desc d = {.warn_reserved_bytes = 1, .warning = warning_calls_frame_next};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    assert_int_equal(bp_frame_next(pool), BP_ERR_FRAME_STATE); /* never begun */
    assert_int_equal(ts_stats(pool).frame, 0);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    assert_int_equal(bp_frame_next(pool), BP_OK);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    assert_int_equal(bp_frame_next(pool), BP_ERR_FRAME_STATE); /* ended, not begun again */
    assert_int_equal(ts_stats(pool).frame, 2);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    next_from_warning = BP_OK;
    bp_buffer b = ts_acquire(pool, 4096, 0); /* crosses the threshold: the callback runs */
    assert_int_equal(next_from_warning, BP_ERR_BUSY);
    assert_int_equal(ts_stats(pool).frame, 2);
    bp_release(pool, b);
    assert_int_equal(bp_frame_next(pool), BP_OK);
    assert_int_equal(ts_stats(pool).frame, 3);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    ts_check_and_destroy(pool);
}

/* Pending buffers are promoted after the clock is read: a buffer that waited frames in flight
 * counts as pooled at the reading of the frame end that promoted it. */
static void promoted_buffers_age_from_their_promotion(void **state) {
    (void)state;
    counting_clock clk = {0};
    bp_pool_desc d = {.clock = cc_read, .clock_user = &clk, .idle_trim_seconds = 5.0,
                      .idle_trim_frames = BP_NEVER, .frames_in_flight = 2};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    bp_release(pool, ts_acquire(pool, 4096, 0)); /* released in frame 0 */
    clk.now = 10.0;
    end_frame(pool); /* end of frame 0: still pending */
    assert_int_equal(ts_stats(pool).buffers_pending, 1);
    clk.now = 12.0;
    end_frame(pool); /* end of frame 1: promoted, pooled at 12 */
    assert_int_equal(ts_stats(pool).buffers_pending, 0);
    assert_int_equal(ts_stats(pool).buffers_pooled, 1);
    clk.now = 16.0;
    end_frame(pool);
    assert_int_equal(ts_stats(pool).trims, 0);
    clk.now = 17.0;
    end_frame(pool);
    assert_int_equal(ts_stats(pool).trims, 1);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    ts_check_and_destroy(pool);
}

/* The pending FIFO is promoted frame by frame, in release order, with three frames in flight
 * from the very first frames (before the frame counter reaches frames_in_flight). */
static void pending_promoted_by_release_frame(void **state) {
    (void)state;
    bp_pool_desc d = {.frames_in_flight = 3};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    bp_buffer f0[2] = {ts_acquire(pool, 1000, 0), ts_acquire(pool, 2000, 0)};
    bp_buffer f1 = ts_acquire(pool, 3000, 0);
    bp_release(pool, f0[0]);
    bp_release(pool, f0[1]); /* frame 0 */
    end_frame(pool);
    bp_release(pool, f1); /* frame 1 */
    uint32_t pooled_after[5];
    for (int i = 0; i < 5; i++) {
        end_frame(pool); /* ends of frames 1, 2, 3, 4, 5 */
        pooled_after[i] = ts_stats(pool).buffers_pooled;
        assert_int_equal(ts_stats(pool).buffers_pending, 3 - pooled_after[i]);
    }
    assert_int_equal(pooled_after[0], 0);
    assert_int_equal(pooled_after[1], 2); /* frame 0's, at the end of frame 2 */
    assert_int_equal(pooled_after[2], 3); /* frame 1's, at the end of frame 3 */
    assert_int_equal(pooled_after[4], 3);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    ts_check_and_destroy(pool);
}

/* Fixed and high-water pools never trim by age, so their frame ends do not read the clock:
 * buffers stay pooled however far it jumps. */
static void check_no_clock_at_frame_end(bp_capacity_mode mode) {
    counting_clock clk = {0};
    bp_capacity_entry table[1] = {{.size = 4096, .count = 2}};
    bp_pool_desc d = {.clock = cc_read, .clock_user = &clk, .idle_trim_seconds = 1.0, .capacity_mode = mode,
                      .capacity_table = table, .capacity_table_count = 1};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    int reads = clk.reads;
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    bp_release(pool, ts_acquire(pool, 4096, 0));
    for (int i = 0; i < 5; i++) {
        clk.now += 1000.0;
        end_frame(pool);
    }
    assert_int_equal(clk.reads, reads);
    assert_int_equal(ts_stats(pool).buffers_pooled, 2);
    assert_int_equal(ts_stats(pool).trims, 0);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    ts_check_and_destroy(pool);
}

static void fixed_and_high_water_frames_skip_the_clock(void **state) {
    (void)state;
    check_no_clock_at_frame_end(BP_CAPACITY_FIXED);
    check_no_clock_at_frame_end(BP_CAPACITY_HIGH_WATER);
}

/* A frame end that trims reserved bytes back under the threshold re-arms the warning: the
 * next crossing warns again (one log line and one callback each time). */
static void warning_rearmed_by_frame_end_trim(void **state) {
    (void)state;
    log_record log = {0};
    int warnings_seen = 0;
    bp_pool_desc d = {.warn_reserved_bytes = 6000, .idle_trim_frames = 1, .frames_in_flight = BP_IMMEDIATE_REUSE,
                      .logger = {ts_logger, &log}, .warning = ts_count_warning,
                      .warning_user = &warnings_seen};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    for (int round = 1; round <= 2; round++) {
        bp_buffer a = ts_acquire(pool, 4096, 0), b = ts_acquire(pool, 4096, 0);
        assert_int_equal(ts_stats(pool).warnings, round);
        end_frame(pool); /* still over: no second warning */
        assert_int_equal(ts_stats(pool).warnings, round);
        bp_release(pool, a);
        bp_release(pool, b);
        end_frame(pool); /* idle one frame: both trimmed, reserved 0 */
        assert_int_equal(ts_stats(pool).bytes_reserved, 0);
        assert_false(pool->warned);
    }
    assert_int_equal(log.count[BP_LOG_ITEM_WARN_THRESHOLD], 2);
    assert_int_equal(warnings_seen, 2);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    ts_check_and_destroy(pool);
}

/* Diagnostics every N frame ends and one series point per frame end, as before. */
static void diagnostics_and_series_at_frame_end(void **state) {
    (void)state;
    log_record log = {0};
    bp_pool_desc d = {.diagnostics_every_frames = 2, .series_frames = 8, .logger = {ts_logger, &log},
                      .frames_in_flight = BP_IMMEDIATE_REUSE};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    for (int f = 0; f < 5; f++) {
        bp_buffer t = ts_acquire(pool, 1000, BP_ACQUIRE_TRANSIENT);
        (void)t;
        end_frame(pool);
    }
    assert_int_equal(log.count[BP_LOG_ITEM_DIAGNOSTICS], 2); /* frames 2 and 4 */
    bp_series_point p[8];
    uint32_t n = 0;
    assert_int_equal(bp_calculate_series(pool, p, 8, &n), BP_OK);
    assert_int_equal(n, 5);
    for (uint32_t i = 0; i < n; i++) {
        assert_int_equal(p[i].frame, i);
        assert_int_equal(p[i].acquires, 1);
        assert_true(p[i].bytes_in_use >= 1000); /* measured before the transient returned */
    }
    assert_int_equal(bp_frame_end(pool), BP_OK);
    ts_check_and_destroy(pool);
}

/* Idle trimming by frames runs in batches: a frame end looks at the bucket tails again only
 * once the oldest buffer seen is idle plus 1/16 of the threshold (2 frames of 32), then
 * destroys every buffer idle by then; none is destroyed early. */
static void idle_frames_trim_in_batches(void **state) {
    (void)state;
    bp_pool_desc d = {.idle_trim_frames = 32, .idle_trim_seconds = -1, .frames_in_flight = BP_IMMEDIATE_REUSE,
                      .max_pooled_per_class = BP_NEVER};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    bp_buffer b[6];
    for (int i = 0; i < 6; i++) b[i] = ts_acquire(pool, 4096, 0);
    for (int i = 0; i < 6; i++) { /* pooled at frames 0..5 */
        assert_int_equal(bp_release(pool, b[i]), BP_OK);
        end_frame(pool);
    }
    while (ts_stats(pool).frame < 33) {
        assert_int_equal(ts_stats(pool).trims, 0); /* frame 32: the first is idle, the slack waits */
        end_frame(pool);
    }
    assert_int_equal(ts_stats(pool).trims, 0);
    end_frame(pool); /* frame 34: those pooled at 0, 1 and 2 are idle 32 frames or more */
    assert_int_equal(ts_stats(pool).trims, 3);
    end_frame(pool);
    end_frame(pool);
    assert_int_equal(ts_stats(pool).trims, 3);
    end_frame(pool); /* frame 37: the oldest left was pooled at 3 */
    assert_int_equal(ts_stats(pool).trims, 6);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    ts_check_and_destroy(pool);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(idle_seconds_trim_at_frame_end),
        cmocka_unit_test(idle_frames_trim_in_batches),
        cmocka_unit_test(default_clock_trims_by_seconds),
        cmocka_unit_test(trim_older_than_after_skipped_readings),
        cmocka_unit_test(frame_next_is_end_then_begin),
        cmocka_unit_test(frame_next_refusals),
        cmocka_unit_test(promoted_buffers_age_from_their_promotion),
        cmocka_unit_test(pending_promoted_by_release_frame),
        cmocka_unit_test(fixed_and_high_water_frames_skip_the_clock),
        cmocka_unit_test(warning_rearmed_by_frame_end_trim),
        cmocka_unit_test(diagnostics_and_series_at_frame_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
