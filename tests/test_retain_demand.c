/* retain_demand (on by default): retention caps that follow what a class holds at once. A frame loop that
 * holds more buffers of one size than max_pooled_per_class misses for one frame, not every
 * frame; idle trimming brings a raised cap back down; the bytes cap still bounds the total;
 * a failed multi-buffer acquire leaves the caps as they were; pools that keep everything are
 * unaffected. */
#include "fault_support.h"

enum { SIZE = 4096, HELD = 20 };

/* The class stats row of `size`'s class. */
static bp_class_stats class_of(bp_pool *pool, uint64_t size) {
    bp_class_stats all[BPI_MAX_CLASSES];
    uint32_t n = 0;
    assert_int_equal(bp_calculate_class_stats(pool, all, BPI_MAX_CLASSES, &n), BP_OK);
    for (uint32_t i = 0; i < n; i++)
        if (all[i].class_size >= size) return all[i];
    fail_msg("no class for %llu bytes", (unsigned long long)size);
    return all[0];
}

/* One frame: `count` buffers of SIZE acquired, then all released. Returns the misses it took. */
static uint64_t frame(bp_pool *pool, int count) {
    uint64_t before = ts_stats(pool).misses;
    bp_buffer b[64];
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    for (int i = 0; i < count; i++) b[i] = ts_acquire(pool, SIZE, 0);
    for (int i = 0; i < count; i++) assert_int_equal(bp_release(pool, b[i]), BP_OK);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    return ts_stats(pool).misses - before;
}

/* demand: the default (retain_demand 0), else BP_NEVER (caps fixed at max_pooled_per_class). */
static bp_pool *make(bool demand, uint32_t idle_frames, uint64_t max_bytes, bp_capacity_mode mode) {
    bp_pool_desc d = {.frames_in_flight = BP_IMMEDIATE_REUSE, .retain_demand = demand ? 0 : BP_NEVER,
                      .idle_trim_frames = idle_frames, .idle_trim_seconds = -1, .max_pooled_bytes = max_bytes,
                      .capacity_mode = mode};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    return pool;
}

/* 20 buffers a frame against the default cap of 8: by default the second frame misses the 12
 * the cap destroyed and raises the cap to 20; from the third frame on every acquire hits. With
 * retain_demand BP_NEVER, every frame misses 12 (the control: the test could fail); with
 * retain_demand = true (the opt-in before it became the default) the caps follow demand too. */
static void frame_loop_stops_missing(void **state) {
    (void)state;
    bp_pool *pool = make(true, 0, 0, BP_CAPACITY_DYNAMIC);
    assert_int_equal(frame(pool, HELD), HELD);
    assert_int_equal(class_of(pool, SIZE).max_pooled, 8u);
    assert_int_equal(ts_stats(pool).buffers_pooled, 8u);
    assert_int_equal(frame(pool, HELD), HELD - 8);
    assert_int_equal(class_of(pool, SIZE).max_pooled, (uint32_t)HELD);
    for (int f = 0; f < 10; f++) assert_int_equal(frame(pool, HELD), 0);
    assert_int_equal(ts_stats(pool).buffers_pooled, (uint32_t)HELD);
    assert_int_equal(class_of(pool, SIZE).max_pooled, (uint32_t)HELD);
    ts_check_and_destroy(pool);

    pool = make(false, 0, 0, BP_CAPACITY_DYNAMIC);
    assert_int_equal(frame(pool, HELD), HELD);
    for (int f = 0; f < 5; f++) assert_int_equal(frame(pool, HELD), HELD - 8);
    assert_int_equal(class_of(pool, SIZE).max_pooled, 8u);
    ts_check_and_destroy(pool);

    bp_pool_desc d = {.frames_in_flight = BP_IMMEDIATE_REUSE, .retain_demand = true};
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    frame(pool, HELD);
    assert_int_equal(frame(pool, HELD), HELD - 8);
    assert_int_equal(frame(pool, HELD), 0);
    ts_check_and_destroy(pool);
}

/* Two frames of HELD buffers: the second raises the class's cap to HELD. */
static void two_frames_of_held(bp_pool *pool) {
    frame(pool, HELD);
    frame(pool, HELD);
    assert_int_equal(class_of(pool, SIZE).max_pooled, (uint32_t)HELD);
}

/* The cap rises by the misses the cap caused, not by every miss: a class that never went over
 * its cap keeps the configured one however often it misses for the first time. */
static void only_capped_misses_raise(void **state) {
    (void)state;
    bp_pool *pool = make(true, 0, 0, BP_CAPACITY_DYNAMIC);
    assert_int_equal(frame(pool, 6), 6); /* 6 misses, none caused by the cap */
    assert_int_equal(class_of(pool, SIZE).max_pooled, 8u);
    assert_int_equal(frame(pool, 10), 4); /* 6 hits, 4 first-time misses: still no cap destroy */
    assert_int_equal(class_of(pool, SIZE).max_pooled, 8u);
    /* that frame released 10: the cap kept 8 and destroyed 2, so 2 later misses raise it */
    assert_int_equal(frame(pool, 12), 4);
    assert_int_equal(class_of(pool, SIZE).max_pooled, 10u);
    ts_check_and_destroy(pool);
}

/* Idle trimming lowers a raised cap by one per idle buffer destroyed, never below the
 * configured cap; the caps of a quieter loop come back to it. */
static void idle_trim_lowers_the_cap(void **state) {
    (void)state;
    bp_pool *pool = make(true, 4, 0, BP_CAPACITY_DYNAMIC);
    two_frames_of_held(pool);
    for (int f = 0; f < 12; f++) assert_int_equal(frame(pool, 2), 0); /* 18 buffers go idle */
    assert_int_equal(class_of(pool, SIZE).max_pooled, 8u);
    assert_int_equal(ts_stats(pool).buffers_pooled, 2u);
    /* the configured cap applies again: a burst of 20 misses 18, keeps 8 */
    assert_int_equal(frame(pool, HELD), HELD - 2);
    assert_int_equal(ts_stats(pool).buffers_pooled, 8u);
    ts_check_and_destroy(pool);
}

/* bp_set_max_pooled and bp_trim(everything) start demand over from the configured cap. */
static void set_max_pooled_and_full_trim_reset(void **state) {
    (void)state;
    bp_pool *pool = make(true, 0, 0, BP_CAPACITY_DYNAMIC);
    two_frames_of_held(pool);
    assert_int_equal(bp_set_max_pooled(pool, 4, 0), BP_OK);
    assert_int_equal(class_of(pool, SIZE).max_pooled, 4u);
    assert_int_equal(ts_stats(pool).buffers_pooled, 4u);
    frame(pool, HELD);
    assert_int_equal(frame(pool, HELD), HELD - 4); /* the 16 the cap of 4 destroyed */
    assert_int_equal(class_of(pool, SIZE).max_pooled, (uint32_t)HELD);
    assert_int_equal(bp_trim(pool, true), BP_OK);
    assert_int_equal(class_of(pool, SIZE).max_pooled, 4u);
    assert_int_equal(ts_stats(pool).buffers_pooled, 0u);
    assert_int_equal(frame(pool, HELD), HELD); /* nothing pooled, nothing the cap destroyed */
    assert_int_equal(class_of(pool, SIZE).max_pooled, 4u);
    ts_check_and_destroy(pool);
}

/* max_pooled_bytes still bounds what the pool keeps while the class cap rises. */
static void bytes_cap_still_bounds(void **state) {
    (void)state;
    bp_pool *pool = make(true, 0, 12 * (uint64_t)SIZE, BP_CAPACITY_DYNAMIC);
    for (int f = 0; f < 6; f++) {
        frame(pool, HELD);
        assert_true(ts_stats(pool).bytes_pooled <= 12 * (uint64_t)SIZE);
    }
    assert_true(ts_stats(pool).buffers_pooled <= 12u);
    ts_check_and_destroy(pool);
}

/* High-water and fixed pools keep everything: retain_demand changes nothing there. */
static void keep_all_pools_unaffected(void **state) {
    (void)state;
    bp_pool *pool = make(true, 0, 0, BP_CAPACITY_HIGH_WATER);
    frame(pool, HELD);
    assert_int_equal(frame(pool, HELD), 0);
    assert_int_equal(class_of(pool, SIZE).max_pooled, BP_NEVER);
    ts_check_and_destroy(pool);
}

/* A thread_safe pool (its thread's cache serves what it can, the buckets the rest): the
 * caps converge too, and then no frame misses. */
static void thread_safe_pool_converges(void **state) {
    (void)state;
    bp_pool_desc d = {.frames_in_flight = BP_IMMEDIATE_REUSE, .thread_safe = true};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    for (int f = 0; f < 5; f++) frame(pool, HELD + 20);
    for (int f = 0; f < 5; f++) assert_int_equal(frame(pool, HELD + 20), 0);
    ts_check_and_destroy(pool);
}

/* A two-buffer acquire (bp_acquire_skin: two arrays of one class) whose first buffer is a miss
 * that raises the cap and whose second create fails leaves the cap and the class's count of
 * destroyed buffers as they were. */
static void failed_acquire_undoes_the_raise(void **state) {
    (void)state;
    bp_backend host, wrapped;
    assert_int_equal(bp_host_backend(NULL, &host), BP_OK);
    bp_fault *fault;
    assert_int_equal(bp_fault_create(&host, NULL, &fault), BP_OK);
    bp_fault_backend(fault, &wrapped);
    bp_pool_desc d = {.backend = &wrapped, .frames_in_flight = BP_IMMEDIATE_REUSE, .max_pooled_per_class = 1};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    enum { VERTICES = 1000 };
    bp_skin_arrays s[3];
    assert_int_equal(bp_acquire_skin(pool, VERTICES, &s[0]), BP_OK);
    assert_int_equal(bp_acquire_skin(pool, VERTICES, &s[1]), BP_OK);
    uint32_t index = (uint32_t)s[0].indices.id & (BPI_MAX_SLOTS - 1u);
    bpi_bucket *b = pool->slots[index].bucket;
    assert_ptr_equal(pool->slots[(uint32_t)s[0].weights.id & (BPI_MAX_SLOTS - 1u)].bucket, b); /* one class */
    for (int i = 0; i < 2; i++) {
        assert_int_equal(bp_release(pool, s[i].indices), BP_OK);
        assert_int_equal(bp_release(pool, s[i].weights), BP_OK);
    }
    assert_int_equal(b->cap, 1u); /* kept 1, destroyed 3 */
    assert_int_equal(b->capped, 3u);
    assert_int_equal(bp_acquire_skin(pool, VERTICES, &s[2]), BP_OK); /* a hit, then a miss that raises */
    assert_int_equal(b->cap, 2u);
    assert_int_equal(b->capped, 2u);
    assert_int_equal(bp_fault_arm(fault, &(bp_fault_desc){.fail_at = 2}), BP_OK);
    bp_stats before = ts_stats(pool);
    bp_skin_arrays failed;
    assert_int_equal(bp_acquire_skin(pool, VERTICES, &failed), BP_ERR_OUT_OF_MEMORY);
    assert_int_equal(b->cap, 2u);
    assert_int_equal(b->capped, 2u);
    assert_int_equal(ts_stats(pool).misses, before.misses);
    assert_int_equal(ts_stats(pool).buffers_total, before.buffers_total);
    assert_int_equal(bp_fault_arm(fault, NULL), BP_OK);
    assert_int_equal(bp_release(pool, s[2].indices), BP_OK);
    assert_int_equal(bp_release(pool, s[2].weights), BP_OK);
    ts_check_and_destroy(pool);
    bp_fault_destroy(fault);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(frame_loop_stops_missing),
        cmocka_unit_test(only_capped_misses_raise),
        cmocka_unit_test(idle_trim_lowers_the_cap),
        cmocka_unit_test(set_max_pooled_and_full_trim_reset),
        cmocka_unit_test(bytes_cap_still_bounds),
        cmocka_unit_test(keep_all_pools_unaffected),
        cmocka_unit_test(thread_safe_pool_converges),
        cmocka_unit_test(failed_acquire_undoes_the_raise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
