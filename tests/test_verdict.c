/* The leak / plateau verdict on three runs of a real pool (a plateau, a slow leak of one
 * buffer a frame, a sawtooth that returns its memory) and on hand-made series (a late
 * spike, noise, too short). */
#include "test_support.h"

#define FRAMES 400u

typedef enum run_kind { RUN_PLATEAU, RUN_SLOW_LEAK, RUN_SAWTOOTH } run_kind;

static bp_verdict run(run_kind kind) {
    bp_pool *pool;
    bp_pool_desc d = {.series_frames = FRAMES};
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    bp_buffer held[40];
    uint32_t held_count = 0;
    uint64_t rng = 12345;
    for (uint32_t f = 0; f < FRAMES; f++) {
        assert_int_equal(bp_frame_begin(pool), BP_OK);
        for (int i = 0; i < 10; i++) { /* steady transient work, sizes 1000..5000 */
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            ts_acquire(pool, 1000 + (rng >> 33) % 4001, BP_ACQUIRE_TRANSIENT);
        }
        if (kind == RUN_SLOW_LEAK) ts_acquire(pool, 256, 0); /* never released */
        if (kind == RUN_SAWTOOTH) {
            held[held_count++] = ts_acquire(pool, 2048, 0);
            if (held_count == 40) /* every 40 frames everything held goes back */
                while (held_count) assert_int_equal(bp_release(pool, held[--held_count]), BP_OK);
        }
        assert_int_equal(bp_frame_end(pool), BP_OK);
    }
    bp_verdict v;
    assert_int_equal(bp_calculate_verdict(pool, &v), BP_OK);
    while (held_count) bp_release(pool, held[--held_count]);
    ts_check_and_destroy(pool);
    return v;
}

static void plateau_run_is_a_plateau(void **state) {
    bp_verdict v = run(RUN_PLATEAU);
    assert_int_equal(v.kind, BP_VERDICT_PLATEAU);
    assert_int_equal(v.window_points, FRAMES / 8);
    assert_true(v.last_step_bytes < v.tolerance_bytes); /* the caps still fill, slower and slower */
    assert_true(v.tolerance_bytes >= 4096); /* the largest class used */
}

static void slow_leak_is_growing(void **state) {
    bp_verdict v = run(RUN_SLOW_LEAK);
    assert_int_equal(v.kind, BP_VERDICT_GROWING);
    assert_true(v.peaks[0] < v.peaks[1] && v.peaks[1] < v.peaks[2] && v.peaks[2] < v.peaks[3]);
    /* 256-byte buffers, one a frame: the slope is 256 bytes a frame, plus the slowing warm-up */
    assert_true(v.slope_bytes_per_frame > 240.0 && v.slope_bytes_per_frame < 400.0);
    assert_true(v.last_step_bytes >= v.tolerance_bytes);
    assert_true(v.growth_bytes >= 3 * (FRAMES / 8) * 256 - 2 * 256);
}

static void sawtooth_is_not_a_leak(void **state) {
    bp_verdict v = run(RUN_SAWTOOTH);
    assert_int_equal(v.kind, BP_VERDICT_PLATEAU);
    assert_true(v.peaks[0] > 40 * 2048); /* the teeth are really there */
}

static void series_of(bp_series_point *p, uint32_t n, uint64_t (*reserved)(uint32_t)) {
    for (uint32_t i = 0; i < n; i++) p[i] = (bp_series_point){.frame = i, .bytes_reserved = reserved(i)};
}

static uint64_t late_spike(uint32_t i) { return i == 390 ? 10u << 20 : 1u << 20; }
static uint64_t noisy_flat(uint32_t i) { return (1u << 20) + (i * 7919u) % 4096u; }
static uint64_t leak_with_noise(uint32_t i) { return (1u << 20) + i * 1024u + (i * 7919u) % 4096u; }
static uint64_t pure_sawtooth(uint32_t i) { return (uint64_t)(i % 40) * 65536u; }

static void hand_made_series(void **state) {
    bp_series_point p[400];
    bp_verdict v;
    series_of(p, 400, late_spike);
    assert_int_equal(bp_series_verdict(p, 400, 4096, &v), BP_OK);
    assert_int_equal(v.kind, BP_VERDICT_PLATEAU); /* one spike raises one window only */
    series_of(p, 400, noisy_flat);
    assert_int_equal(bp_series_verdict(p, 400, 4096, &v), BP_OK);
    assert_int_equal(v.kind, BP_VERDICT_PLATEAU);
    series_of(p, 400, pure_sawtooth);
    assert_int_equal(bp_series_verdict(p, 400, 65536, &v), BP_OK);
    assert_int_equal(v.kind, BP_VERDICT_PLATEAU);
    series_of(p, 400, leak_with_noise);
    assert_int_equal(bp_series_verdict(p, 400, 4096, &v), BP_OK);
    assert_int_equal(v.kind, BP_VERDICT_GROWING);
    assert_int_equal(v.first_frame, 200);
    /* the same leak under a tolerance larger than its growth is noise */
    assert_int_equal(bp_series_verdict(p, 400, 1u << 20, &v), BP_OK);
    assert_int_equal(v.kind, BP_VERDICT_PLATEAU);
    assert_int_equal(bp_series_verdict(p, BP_VERDICT_MIN_POINTS - 1, 4096, &v), BP_OK);
    assert_int_equal(v.kind, BP_VERDICT_TOO_SHORT);
    assert_int_equal(bp_series_verdict(NULL, 5, 4096, &v), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_series_verdict(p, 5, 4096, NULL), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_calculate_verdict(NULL, &v), BP_ERR_INVALID_ARGUMENT);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plateau_run_is_a_plateau),
        cmocka_unit_test(slow_leak_is_growing),
        cmocka_unit_test(sawtooth_is_not_a_leak),
        cmocka_unit_test(hand_made_series),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
