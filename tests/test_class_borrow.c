/* reuse_larger_classes: a miss takes a pooled buffer of a nearby larger class when that buffer
 * has lain unused since before the previous frame, instead of creating one. With fine classes
 * 3000 B is class 3072, 3300 B class 3328 (the next one) and 3500 B class 3584 (two up). */
#include "test_support.h"

static bp_pool *make_pool(bp_pool_desc d) {
    bp_pool *pool;
    d.frames_in_flight = BP_IMMEDIATE_REUSE;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    return pool;
}

static void frames(bp_pool *pool, int n) {
    for (int i = 0; i < n; i++) assert_int_equal(bp_frame_next(pool), BP_OK);
}

/* Acquires `size` and releases it at once: one pooled buffer of its class. */
static void pool_one(bp_pool *pool, uint64_t size) {
    assert_int_equal(bp_release(pool, ts_acquire(pool, size, 0)), BP_OK);
}

static uint64_t capacity_of(bp_pool *pool, bp_buffer b) {
    bp_buffer_info info;
    assert_int_equal(bp_buffer_get_info(pool, b, &info), BP_OK);
    return info.capacity;
}

/* The pooled count of the class of `class_size`. */
static uint32_t pooled_in(bp_pool *pool, uint64_t class_size) {
    bp_class_stats cs[BPI_MAX_CLASSES];
    uint32_t n;
    assert_int_equal(bp_calculate_class_stats(pool, cs, BPI_MAX_CLASSES, &n), BP_OK);
    for (uint32_t i = 0; i < n; i++)
        if (cs[i].class_size == class_size) return cs[i].pooled;
    return 0;
}

/* Acquire `size` (with `flags`) and report whether it hit; it stays held. */
static bool hits(bp_pool *pool, uint64_t size, uint32_t flags, bp_buffer *out) {
    uint64_t before = ts_stats(pool).hits;
    *out = ts_acquire(pool, size, flags);
    return ts_stats(pool).hits == before + 1;
}

/* A pool of `desc` pools one buffer of `pooled_size`, lets it lie three frames, then asks for
 * `request`: whether that hit, and the capacity it got (the pool checked and destroyed). */
static bool idle_then_ask(bp_pool_desc desc, uint64_t pooled_size, uint64_t request, uint64_t *out_capacity) {
    bp_pool *pool = make_pool(desc);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    pool_one(pool, pooled_size);
    frames(pool, 3);
    bp_buffer b;
    bool hit = hits(pool, request, 0, &b);
    *out_capacity = capacity_of(pool, b);
    assert_int_equal(bp_release(pool, b), BP_OK);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    ts_check_and_destroy(pool);
    return hit;
}

static void idle_larger_buffer_serves_a_miss(void **state) {
    (void)state;
    bp_pool *pool = make_pool((bp_pool_desc){0});
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    pool_one(pool, 3300);
    frames(pool, 2);
    bp_buffer b;
    assert_true(hits(pool, 3000, 0, &b));
    assert_int_equal(ts_stats(pool).backend_creates, 1);
    assert_int_equal(capacity_of(pool, b), 3328); /* its own class's capacity */
    assert_int_equal(bp_release(pool, b), BP_OK);
    assert_int_equal(pooled_in(pool, 3328), 1); /* back in its own class */
    assert_int_equal(pooled_in(pool, 3072), 0);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    ts_check_and_destroy(pool);
}

/* A default pool with one buffer of `pooled` bytes released in an open frame, then a request
 * of `want` bytes in that frame (b[0]) and one in the next (b[1]): whether each hit. */
static bp_pool *this_frame_then_the_next(uint64_t pooled, uint64_t want, bp_buffer b[2], bool hit[2]) {
    bp_pool *pool = make_pool((bp_pool_desc){0});
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    pool_one(pool, pooled);
    hit[0] = hits(pool, want, 0, &b[0]);
    frames(pool, 1);
    hit[1] = hits(pool, want, 0, &b[1]);
    return pool;
}

static void release_both(bp_pool *pool, const bp_buffer b[2]) {
    assert_int_equal(bp_release(pool, b[0]), BP_OK);
    assert_int_equal(bp_release(pool, b[1]), BP_OK);
}

/* Released in this frame or the previous one: its own class likely wants it again. */
static void recent_buffer_is_left_to_its_class(void **state) {
    (void)state;
    bp_buffer b[2];
    bool hit[2];
    bp_pool *pool = this_frame_then_the_next(3300, 3000, b, hit);
    assert_false(hit[0]); /* this frame */
    assert_false(hit[1]); /* the previous frame */
    assert_int_equal(ts_stats(pool).backend_creates, 3);
    assert_int_equal(pooled_in(pool, 3328), 1);
    release_both(pool, b);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    ts_check_and_destroy(pool);
}

/* From 64 KiB up a miss is a large allocation: a buffer released in the previous frame is
 * borrowed, one released in this frame still is not. 66000 B is class 73728, 85000 B 90112. */
static void large_buffer_of_the_previous_frame_is_borrowed(void **state) {
    (void)state;
    bp_buffer b[2];
    bool hit[2];
    bp_pool *pool = this_frame_then_the_next(85000, 66000, b, hit);
    assert_false(hit[0]); /* this frame */
    assert_true(hit[1]);  /* the previous frame */
    assert_int_equal(ts_stats(pool).backend_creates, 2);
    assert_int_equal(capacity_of(pool, b[1]), 90112);
    assert_int_equal(pooled_in(pool, 90112), 0);
    release_both(pool, b);
    assert_int_equal(pooled_in(pool, 90112), 1); /* back in its own class */
    assert_int_equal(bp_frame_end(pool), BP_OK);
    ts_check_and_destroy(pool);
}

/* The request's own class first; then one class up by default, more when asked, never with
 * BP_NEVER. */
static void how_far_up(void **state) {
    (void)state;
    const struct {
        uint32_t reuse;
        uint64_t pooled_size, request;
        bool hit;
    } cases[] = {
        {0, 3000, 3000, true},        {0, 3500, 3000, false}, {2, 3500, 3000, true},
        {BP_NEVER, 3300, 3000, false}, {0, 2800, 3000, false}, /* never a smaller class */
        /* from 64 KiB up the default is eight classes (a power of two): 66000 B is class
         * 73728, 85000 B 90112, 140000 B 147456 (8 up), 150000 B 163840 (9 up) */
        {0, 85000, 66000, true},      {1, 85000, 66000, false}, {0, 140000, 66000, true},
        {0, 150000, 66000, false},    {7, 140000, 66000, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t capacity;
        bool hit = idle_then_ask((bp_pool_desc){.reuse_larger_classes = cases[i].reuse}, cases[i].pooled_size,
                                 cases[i].request, &capacity);
        assert_int_equal(hit, cases[i].hit);
        assert_true(capacity >= cases[i].request);
    }
}

/* Powers of two: one class up is twice the size, so the default stays exact. */
static void pow2_classes_borrow_only_when_asked(void **state) {
    (void)state;
    for (uint32_t reuse = 0; reuse < 2; reuse++) {
        uint64_t capacity;
        bool hit = idle_then_ask((bp_pool_desc){.class_scheme = BP_CLASSES_POW2, .reuse_larger_classes = reuse},
                                 5000 /* class 8192 */, 3000 /* class 4096 */, &capacity);
        assert_int_equal(hit, reuse == 1);
        assert_int_equal(capacity, reuse == 1 ? 8192 : 4096);
    }
}

/* The oldest idle buffer of the class goes (its bucket's tail), the newer ones stay. */
static void the_oldest_is_borrowed(void **state) {
    (void)state;
    bp_pool *pool = make_pool((bp_pool_desc){0});
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    bp_buffer old = ts_acquire(pool, 3300, 0), newer = ts_acquire(pool, 3300, 0);
    void *old_ptr = ts_mapped(pool, old), *newer_ptr = ts_mapped(pool, newer);
    assert_int_equal(bp_release(pool, old), BP_OK);
    frames(pool, 3);
    assert_int_equal(bp_release(pool, newer), BP_OK);
    frames(pool, 2);
    bp_buffer b;
    assert_true(hits(pool, 3000, 0, &b));
    assert_ptr_equal(ts_mapped(pool, b), old_ptr);
    bp_buffer c;
    assert_true(hits(pool, 3300, 0, &c)); /* its own class still has the newer one */
    assert_ptr_equal(ts_mapped(pool, c), newer_ptr);
    assert_int_equal(bpi_check(pool), BP_OK);
    assert_int_equal(bp_release(pool, b), BP_OK);
    assert_int_equal(bp_release(pool, c), BP_OK);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    ts_check_and_destroy(pool);
}

/* Transient and owned requests take the same path, and so do thread_safe pools. */
static void every_kind_of_request_borrows(void **state) {
    (void)state;
    for (int ts = 0; ts < 2; ts++) {
        bp_pool *pool = make_pool((bp_pool_desc){.thread_safe = ts});
        assert_int_equal(bp_frame_begin(pool), BP_OK);
        pool_one(pool, 3300);
        pool_one(pool, 3300);
        pool_one(pool, 3300); /* one pooled: the same buffer each time */
        bp_buffer two = ts_acquire(pool, 3300, 0), three = ts_acquire(pool, 3300, 0);
        assert_int_equal(bp_release(pool, two), BP_OK);
        assert_int_equal(bp_release(pool, three), BP_OK); /* two pooled */
        frames(pool, 3);
        bp_buffer t, o;
        assert_true(hits(pool, 3000, BP_ACQUIRE_TRANSIENT, &t));
        uint64_t before = ts_stats(pool).hits;
        assert_int_equal(bp_acquire(pool, &(bp_acquire_desc){.size = 3000, .owner = 5}, &o), BP_OK);
        assert_int_equal(ts_stats(pool).hits, before + 1);
        assert_int_equal(bp_owner_release(pool, 5, NULL), BP_OK);
        assert_int_equal(bp_frame_end(pool), BP_OK); /* returns the transient one */
        assert_int_equal(ts_stats(pool).backend_creates, 2);
        assert_int_equal(ts_stats(pool).buffers_in_use, 0);
        ts_check_and_destroy(pool);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(idle_larger_buffer_serves_a_miss), cmocka_unit_test(recent_buffer_is_left_to_its_class),
        cmocka_unit_test(large_buffer_of_the_previous_frame_is_borrowed),
        cmocka_unit_test(how_far_up),
        cmocka_unit_test(pow2_classes_borrow_only_when_asked),
        cmocka_unit_test(the_oldest_is_borrowed),
        cmocka_unit_test(every_kind_of_request_borrows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
