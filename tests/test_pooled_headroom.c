/* pooled_headroom: a pool whose demand moves between sizes keeps at most its peak in use plus
 * the headroom, not every class's own peak at once; a steady loop keeps every hit. */
#include "test_support.h"

#define MIB (1024u * 1024u)

static bp_pool *pool_with(uint32_t headroom) {
    bp_pool_desc d = {.frames_in_flight = BP_IMMEDIATE_REUSE, .pooled_headroom = headroom,
                      .max_pooled_per_class = BP_NEVER};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    return pool;
}

/* 24 frames, each holding 8 buffers of a size of its own (1 MiB and up, a class each), all
 * released at the frame end; the most reserved at once after any acquire. */
static uint64_t shifting_sizes(bp_pool *pool) {
    uint64_t most = 0;
    bp_buffer b[8];
    for (uint32_t f = 0; f < 24; f++) {
        assert_int_equal(bp_frame_begin(pool), BP_OK);
        for (int i = 0; i < 8; i++) {
            b[i] = ts_acquire(pool, MIB + f * (MIB / 4), 0);
            bp_stats st = ts_stats(pool);
            if (st.bytes_reserved > most) most = st.bytes_reserved;
        }
        for (int i = 0; i < 8; i++) assert_int_equal(bp_release(pool, b[i]), BP_OK);
        assert_int_equal(bp_frame_end(pool), BP_OK);
    }
    ts_check(pool);
    return most;
}

/* Within 50% and 10% over the peak in use; without a headroom (the default) every class
 * keeps its 8. */
static void reserved_stays_within_the_headroom(void **state) {
    (void)state;
    const uint32_t settings[] = {50, 10, 0, BP_NEVER};
    const uint32_t percent[] = {50, 10, 0, 0};
    for (int k = 0; k < 4; k++) {
        bp_pool *pool = pool_with(settings[k]);
        uint64_t most = shifting_sizes(pool);
        bp_stats st = ts_stats(pool);
        uint64_t room = st.peak_in_use / 100u * percent[k];
        if (room < 4 * MIB) room = 4 * MIB;
        if (!percent[k]) {
            assert_true(most > 3 * st.peak_in_use); /* every class kept: measured 9.6 times */
        } else {
            assert_true(most <= st.peak_in_use + room);
            assert_true(st.backend_destroys > 0);
        }
        bp_pool_destroy(pool);
    }
}

/* A loop that asks the same every frame loses no hit to the headroom: after its first frame,
 * every acquire is a hit, and nothing is destroyed. */
static void a_steady_loop_keeps_every_hit(void **state) {
    (void)state;
    bp_pool *pool = pool_with(50);
    const uint64_t sizes[] = {3 * MIB, 300 * 1024, 4096, 5 * MIB, 64};
    bp_buffer b[5];
    for (int f = 0; f < 50; f++) {
        assert_int_equal(bp_frame_begin(pool), BP_OK);
        for (int i = 0; i < 5; i++) b[i] = ts_acquire(pool, sizes[i], 0);
        for (int i = 0; i < 5; i++) assert_int_equal(bp_release(pool, b[i]), BP_OK);
        assert_int_equal(bp_frame_end(pool), BP_OK);
    }
    bp_stats st = ts_stats(pool);
    assert_int_equal(st.misses, 5);
    assert_int_equal(st.backend_destroys, 0);
    ts_check_and_destroy(pool);
}

/* Held buffers are never destroyed to make room: when everything reserved is in use, the miss
 * creates past the headroom (it bounds what is pooled, not what the program holds). */
static void held_buffers_are_never_evicted(void **state) {
    (void)state;
    bp_pool *pool = pool_with(10);
    bp_buffer b[16];
    for (int i = 0; i < 16; i++) b[i] = ts_acquire(pool, (uint64_t)(i + 1) * MIB, 0);
    bp_stats st = ts_stats(pool);
    assert_int_equal(st.backend_destroys, 0);
    assert_int_equal(st.bytes_reserved, st.bytes_in_use);
    for (int i = 0; i < 16; i++) {
        ((unsigned char *)ts_mapped(pool, b[i]))[0] = (unsigned char)i;
        assert_int_equal(bp_release(pool, b[i]), BP_OK);
    }
    ts_check_and_destroy(pool);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reserved_stays_within_the_headroom),
        cmocka_unit_test(a_steady_loop_keeps_every_hit),
        cmocka_unit_test(held_buffers_are_never_evicted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
