/* The class cap (max_pooled_per_class, 8 by default) holds at each frame end, as seed 000's
 * periodic cleanup: within a frame a class keeps every buffer released to it, so a size
 * released and asked for again in the same frame is a hit; the frame end trims each class to
 * its cap, keeping the buffers a cap at each release would have kept (the first released).
 * Outside a frame the cap holds at the release, as before. */
#include "test_support.h"

enum { SIZE = 4096, N = 12, CAP = 8 };

static bp_pool *make_pool(bp_pool_desc d) {
    bp_pool *pool;
    if (!d.frames_in_flight) d.frames_in_flight = BP_IMMEDIATE_REUSE;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    return pool;
}

static void acquire_n(bp_pool *pool, uint64_t size, bp_buffer *out, int n) {
    for (int i = 0; i < n; i++) out[i] = ts_acquire(pool, size, 0);
}

static void release_n(bp_pool *pool, const bp_buffer *b, int n) {
    for (int i = 0; i < n; i++) assert_int_equal(bp_release(pool, b[i]), BP_OK);
}

static void released_buffers_stay_until_the_frame_end(void **state) {
    (void)state;
    bp_pool *pool = make_pool((bp_pool_desc){0});
    bp_buffer b[N];
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    acquire_n(pool, SIZE, b, N);
    release_n(pool, b, N);
    bp_stats s = ts_stats(pool);
    assert_int_equal(s.buffers_pooled, N); /* over the cap of 8, within the frame */
    assert_int_equal(s.trims, 0);
    ts_check(pool);
    acquire_n(pool, SIZE, b, N); /* the same frame asks again: every one a hit */
    s = ts_stats(pool);
    assert_int_equal(s.hits, N);
    assert_int_equal(s.backend_creates, N);
    release_n(pool, b, N);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    s = ts_stats(pool);
    assert_int_equal(s.buffers_pooled, CAP);
    assert_int_equal(s.trims, N - CAP);
    assert_int_equal(s.backend_destroys, N - CAP);
    ts_check_and_destroy(pool);
}

/* The frame end destroys the last four released and keeps the first eight, as a cap at each
 * release would have. */
static void the_last_released_go_at_the_frame_end(void **state) {
    (void)state;
    bp_pool *pool = make_pool((bp_pool_desc){0});
    bp_buffer b[N];
    void *mapped[N];
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    acquire_n(pool, SIZE, b, N);
    for (int i = 0; i < N; i++) mapped[i] = ts_mapped(pool, b[i]);
    release_n(pool, b, N);
    assert_int_equal(bp_frame_next(pool), BP_OK);
    acquire_n(pool, SIZE, b, CAP);
    for (int i = 0; i < CAP; i++) {
        bool first = false;
        for (int k = 0; k < CAP; k++) first |= ts_mapped(pool, b[i]) == mapped[k];
        assert_true(first);
    }
    assert_int_equal(ts_stats(pool).backend_creates, N);
    release_n(pool, b, CAP);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    ts_check_and_destroy(pool);
}

static void outside_a_frame_the_cap_holds_at_the_release(void **state) {
    (void)state;
    bp_pool *pool = make_pool((bp_pool_desc){0});
    bp_buffer b[N];
    acquire_n(pool, SIZE, b, N);
    release_n(pool, b, N);
    bp_stats s = ts_stats(pool);
    assert_int_equal(s.buffers_pooled, CAP);
    assert_int_equal(s.trims, N - CAP);
    ts_check_and_destroy(pool);
}

/* A refused frame begin changes nothing, also on a thread_safe pool, whose frame begin checks
 * its threads' caches at the unlock. */
static void a_refused_frame_begin_trims_nothing(void **state) {
    (void)state;
    for (int ts = 0; ts < 2; ts++) {
        bp_pool *pool = make_pool((bp_pool_desc){.thread_safe = ts == 1});
        bp_buffer b[N];
        assert_int_equal(bp_frame_begin(pool), BP_OK);
        acquire_n(pool, SIZE, b, N);
        release_n(pool, b, N);
        bp_stats before = ts_stats(pool);
        assert_int_equal(bp_frame_begin(pool), BP_ERR_FRAME_STATE);
        bp_stats after = ts_stats(pool);
        assert_int_equal(after.trims, before.trims);
        assert_int_equal(after.backend_destroys, before.backend_destroys);
        assert_int_equal(after.buffers_total, before.buffers_total);
        ts_check(pool);
        assert_int_equal(bp_frame_end(pool), BP_OK);
        after = ts_stats(pool);
        assert_int_equal(after.buffers_total, CAP);
        assert_int_equal(after.buffers_pooled, CAP);
        ts_check_and_destroy(pool);
    }
}

/* More classes over their caps in one frame than the frame lists: its end walks them all. */
static void many_classes_over_their_caps(void **state) {
    (void)state;
    enum { CLASSES = 24 };
    bp_pool *pool = make_pool((bp_pool_desc){0});
    bp_buffer b[CLASSES][N];
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    uint32_t first = bpi_class_of(false, SIZE); /* 24 classes in a row, fine scheme */
    for (int c = 0; c < CLASSES; c++) acquire_n(pool, bpi_class_size(false, first + (uint32_t)c), b[c], N);
    for (int c = 0; c < CLASSES; c++) release_n(pool, b[c], N);
    assert_int_equal(ts_stats(pool).buffers_pooled, CLASSES * N);
    ts_check(pool);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    bp_stats s = ts_stats(pool);
    assert_int_equal(s.buffers_pooled, CLASSES * CAP);
    assert_int_equal(s.trims, CLASSES * (N - CAP));
    ts_check_and_destroy(pool);
}

/* retain_demand counts what the frame end destroyed: the next frame's misses raise the cap. */
static void retain_demand_learns_from_the_frame_end(void **state) {
    (void)state;
    bp_pool *pool = make_pool((bp_pool_desc){0});
    bp_buffer b[N];
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    acquire_n(pool, SIZE, b, N);
    release_n(pool, b, N);
    assert_int_equal(bp_frame_next(pool), BP_OK); /* destroys 4 */
    acquire_n(pool, SIZE, b, N);                  /* 8 hits, 4 misses: the cap becomes 12 */
    assert_int_equal(ts_stats(pool).misses, N + (N - CAP));
    release_n(pool, b, N);
    assert_int_equal(bp_frame_next(pool), BP_OK); /* keeps all 12 */
    assert_int_equal(ts_stats(pool).buffers_pooled, N);
    acquire_n(pool, SIZE, b, N);
    assert_int_equal(ts_stats(pool).misses, N + (N - CAP)); /* all hits */
    release_n(pool, b, N);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    ts_check_and_destroy(pool);
}

/* The bytes cap still holds at every release. */
static void the_bytes_cap_holds_at_once(void **state) {
    (void)state;
    bp_pool *pool = make_pool((bp_pool_desc){.max_pooled_bytes = 3 * SIZE});
    bp_buffer b[N];
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    acquire_n(pool, SIZE, b, N);
    release_n(pool, b, N);
    assert_true(ts_stats(pool).bytes_pooled <= 3 * SIZE);
    ts_check(pool);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    ts_check_and_destroy(pool);
}

/* `frames` frames that each acquire N buffers and release them. */
static void steady_frames(bp_pool *pool, bp_buffer *b, int frames) {
    for (int f = 0; f < frames; f++) {
        acquire_n(pool, SIZE, b, N);
        release_n(pool, b, N);
        assert_int_equal(bp_frame_next(pool), BP_OK);
        ts_check(pool);
    }
}

/* With frames in flight, the frame end that pools released buffers from the pending FIFO keeps
 * them all for the next frame, which may ask for them; the frame end after it trims. A loop
 * that holds 12 of one size every frame then misses only in its first frames. */
static void pending_buffers_are_offered_for_a_frame(void **state) {
    (void)state;
    bp_pool *pool = make_pool((bp_pool_desc){.frames_in_flight = 2});
    bp_buffer b[N];
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    acquire_n(pool, SIZE, b, N);
    release_n(pool, b, N);
    assert_int_equal(bp_frame_next(pool), BP_OK); /* frame 0 ends: pending */
    assert_int_equal(ts_stats(pool).buffers_pending, N);
    assert_int_equal(bp_frame_next(pool), BP_OK); /* frame 1 ends: frame 0's are done, pooled */
    bp_stats s = ts_stats(pool);
    assert_int_equal(s.buffers_pooled, N);
    assert_int_equal(s.trims, 0);
    ts_check(pool);
    assert_int_equal(bp_frame_next(pool), BP_OK); /* frame 2 ends without asking: trimmed */
    s = ts_stats(pool);
    assert_int_equal(s.buffers_pooled, CAP);
    assert_int_equal(s.trims, N - CAP);
    ts_check(pool);
    /* a steady loop: 12 held each frame, released in it */
    uint64_t creates = s.backend_creates;
    steady_frames(pool, b, 10);
    /* three frames' buffers circulate (two in flight); after they exist, no creates */
    uint64_t warm = ts_stats(pool).backend_creates;
    steady_frames(pool, b, 10);
    assert_int_equal(ts_stats(pool).backend_creates, warm);
    assert_true(warm - creates <= 3 * N);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    ts_check_and_destroy(pool);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(released_buffers_stay_until_the_frame_end),
        cmocka_unit_test(the_last_released_go_at_the_frame_end),
        cmocka_unit_test(outside_a_frame_the_cap_holds_at_the_release),
        cmocka_unit_test(a_refused_frame_begin_trims_nothing),
        cmocka_unit_test(many_classes_over_their_caps),
        cmocka_unit_test(retain_demand_learns_from_the_frame_end),
        cmocka_unit_test(the_bytes_cap_holds_at_once),
        cmocka_unit_test(pending_buffers_are_offered_for_a_frame),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
