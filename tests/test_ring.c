/* Per-frame rings: exact offsets, reuse only after frames_in_flight frame ends, wrap-around,
 * refusals that never overwrite in-flight bytes (randomized against a byte map of frames). */
#include "test_support.h"

static bp_ring *make(uint64_t size, uint32_t frames_in_flight) {
    bp_ring_desc d = {.size = size, .frames_in_flight = frames_in_flight};
    bp_ring *r = NULL;
    assert_int_equal(bp_ring_create(&d, &r), BP_OK);
    assert_non_null(r);
    return r;
}

static uint64_t take(bp_ring *r, uint64_t size, uint64_t alignment) {
    uint64_t off = UINT64_MAX;
    assert_int_equal(bp_ring_alloc(r, size, alignment, &off), BP_OK);
    return off;
}

static bp_ring_stats stats(const bp_ring *r) {
    bp_ring_stats s;
    assert_int_equal(bp_ring_get_stats(r, &s), BP_OK);
    return s;
}

static void test_offsets_and_alignment(void **state) {
    (void)state;
    bp_ring *r = make(1024, 0);
    assert_int_equal(take(r, 100, 0), 0);
    assert_int_equal(take(r, 10, 64), 128);
    assert_int_equal(take(r, 1, 1), 138);
    assert_int_equal(take(r, 8, 8), 144);
    bp_ring_stats s = stats(r);
    assert_int_equal(s.frame_bytes, 152);
    assert_int_equal(s.in_flight_bytes, 152);
    assert_int_equal(s.allocations, 4);
    assert_int_equal(s.frame, 0);
    uint64_t off = 7;
    assert_int_equal(bp_ring_alloc(r, 8, 3, &off), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(off, 0);
    assert_int_equal(bp_ring_alloc(r, 8, 2048, &off), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_ring_alloc(r, 0, 1, &off), BP_ERR_INVALID_SIZE);
    assert_int_equal(bp_ring_alloc(r, 1025, 1, &off), BP_ERR_TOO_LARGE);
    assert_int_equal(bp_ring_alloc(NULL, 1, 1, &off), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_ring_alloc(r, 1, 1, NULL), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(stats(r).allocations, 4); /* failures changed nothing */
    assert_int_equal(bp_ring_frame_end(r), BP_OK);
    assert_int_equal(stats(r).frame, 1);
    assert_int_equal(stats(r).frame_bytes, 0);
    assert_int_equal(take(r, 4, 0), 152); /* the next frame continues after the last */
    bp_ring_destroy(r);
    bp_ring_destroy(NULL);
}

static void test_reuse_after_frames_in_flight(void **state) {
    (void)state;
    for (uint32_t fif = 1; fif <= 3; fif++) {
        /* one frame's worth of room per frame in flight, plus the current frame */
        bp_ring *r = make(100u * (fif + 1u), fif);
        uint64_t off;
        for (uint32_t f = 0; f <= fif; f++) {
            assert_int_equal(take(r, 100, 0), 100u * f);
            if (f < fif) assert_int_equal(bp_ring_frame_end(r), BP_OK);
        }
        assert_int_equal(bp_ring_alloc(r, 1, 0, &off), BP_ERR_CAPACITY); /* full */
        /* frame 0 has seen fif - 1 later frame ends: still in flight */
        assert_int_equal(stats(r).in_flight_bytes, 100u * (fif + 1u));
        assert_int_equal(bp_ring_frame_end(r), BP_OK); /* the fif-th later end: frame 0 is done */
        assert_int_equal(stats(r).in_flight_bytes, 100u * fif);
        assert_int_equal(take(r, 100, 0), 0); /* wrapped onto frame 0's bytes */
        assert_int_equal(bp_ring_alloc(r, 1, 0, &off), BP_ERR_CAPACITY);
        assert_int_equal(stats(r).failures, 2);
        bp_ring_destroy(r);
    }
}

static void test_wrap_skips_the_tail_end(void **state) {
    (void)state;
    bp_ring *r = make(256, 2);
    assert_int_equal(take(r, 200, 0), 0);
    for (int i = 0; i < 2; i++) assert_int_equal(bp_ring_frame_end(r), BP_OK);
    uint64_t off;
    /* 56 bytes left at the end are not enough; offset 0 is still frame 0's */
    assert_int_equal(bp_ring_alloc(r, 100, 0, &off), BP_ERR_CAPACITY);
    assert_int_equal(take(r, 56, 0), 200); /* fits exactly before the end */
    assert_int_equal(bp_ring_frame_end(r), BP_OK); /* frame 0 done */
    assert_int_equal(take(r, 100, 0), 0);
    assert_int_equal(take(r, 100, 0), 100);
    assert_int_equal(bp_ring_alloc(r, 100, 0, &off), BP_ERR_CAPACITY); /* frame 2's bytes at 200 */
    /* once nothing is in flight any request up to the block's size fits, wherever the head is */
    for (int i = 0; i < 3; i++) assert_int_equal(bp_ring_frame_end(r), BP_OK);
    assert_int_equal(stats(r).in_flight_bytes, 0);
    assert_int_equal(take(r, 256, 0), 0);
    assert_int_equal(stats(r).in_flight_bytes, 256);
    bp_ring_destroy(r);
}

static void test_create_arguments(void **state) {
    (void)state;
    bp_ring *r = (bp_ring *)&r;
    bp_ring_desc d = {.size = 0};
    assert_int_equal(bp_ring_create(&d, &r), BP_ERR_INVALID_SIZE);
    assert_null(r);
    d.size = BP_VBLOCK_MAX_SIZE + 1;
    assert_int_equal(bp_ring_create(&d, &r), BP_ERR_TOO_LARGE);
    d.size = 64;
    d.frames_in_flight = 65;
    assert_int_equal(bp_ring_create(&d, &r), BP_ERR_INVALID_ARGUMENT);
    d.frames_in_flight = 64;
    d.size = 128; /* 64 frames of 1 byte in flight + the current one */
    d.allocator.free = ts_free;
    assert_int_equal(bp_ring_create(&d, &r), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_ring_create(NULL, &r), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_ring_frame_end(NULL), BP_ERR_INVALID_ARGUMENT);
    bp_ring_stats s;
    assert_int_equal(bp_ring_get_stats(NULL, &s), BP_ERR_INVALID_ARGUMENT);
    counting_alloc c = {0};
    d.allocator = ts_allocator(&c);
    assert_int_equal(bp_ring_create(&d, &r), BP_OK);
    for (int f = 0; f < 200; f++) {
        take(r, 1, 0);
        bp_ring_frame_end(r);
    }
    assert_int_equal(c.allocs, 1); /* nothing after creation */
    bp_ring_destroy(r);
    assert_int_equal(c.frees, 1);
}

static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void) { return ts_xorshift(&rng_state); }

#define RING 4096u

static void test_random_never_overwrites(void **state) {
    (void)state;
    static int64_t frame_of[RING]; /* frame that last took each byte, -1 = never */
    for (uint32_t fif = 1; fif <= 4; fif++) {
        for (uint32_t i = 0; i < RING; i++) frame_of[i] = -1;
        bp_ring *r = make(RING, fif);
        int64_t frame = 0;
        uint32_t ok = 0, refused = 0;
        for (int op = 0; op < 3000; op++) {
            if (rnd() % 100 < 20) {
                assert_int_equal(bp_ring_frame_end(r), BP_OK);
                frame++;
                continue;
            }
            uint64_t size = 1 + rnd() % ((rnd() % 4) ? 300 : 2000), align = 1ull << (rnd() % 8), off;
            bp_ring_stats before = stats(r);
            bp_result res = bp_ring_alloc(r, size, align, &off);
            if (res != BP_OK) {
                assert_int_equal(res, BP_ERR_CAPACITY);
                assert_true(before.in_flight_bytes > 0); /* an empty ring takes any fitting request */
                refused++;
                continue;
            }
            ok++;
            assert_int_equal(off % align, 0);
            assert_true(off + size <= RING);
            for (uint64_t i = off; i < off + size; i++) {
                /* the byte's last frame must have seen fif later frame ends: frame k ends
                 * as the (k+1)-th end, so `frame` (ends so far) must be >= k + 1 + fif */
                assert_true(frame_of[i] < 0 || frame_of[i] + 1 + (int64_t)fif <= frame);
                frame_of[i] = frame;
            }
            assert_true(stats(r).in_flight_bytes <= RING);
        }
        assert_true(ok > 1000);
        assert_true(refused > 10);
        bp_ring_destroy(r);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offsets_and_alignment),
        cmocka_unit_test(test_reuse_after_frames_in_flight),
        cmocka_unit_test(test_wrap_skips_the_tail_end),
        cmocka_unit_test(test_create_arguments),
        cmocka_unit_test(test_random_never_overwrites),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
