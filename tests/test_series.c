/* The per-frame time series (bounded ring, no allocation per frame), the profiler hook,
 * outstanding buffers by tag and owner with their age, tag snapshots and their diff. */
#include "test_support.h"

static void ring_keeps_the_last_frames(void **state) {
    counting_alloc ca = {0};
    bp_pool *pool;
    bp_pool_desc d = {.series_frames = 16, .allocator = ts_allocator(&ca)};
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    uint64_t allocs_after_create = 0;
    for (uint32_t f = 0; f < 20; f++) {
        if (f == 2) allocs_after_create = ca.allocs;
        assert_int_equal(bp_frame_begin(pool), BP_OK);
        for (uint32_t i = 0; i <= f % 3; i++) ts_acquire(pool, 1000, BP_ACQUIRE_TRANSIENT);
        assert_int_equal(bp_frame_end(pool), BP_OK);
    }
    assert_int_equal(ca.allocs, allocs_after_create); /* recording allocates nothing */
    bp_series_point pts[32];
    uint32_t n = 0;
    assert_int_equal(bp_calculate_series(pool, pts, 32, &n), BP_OK);
    assert_int_equal(n, 16);
    for (uint32_t i = 0; i < n; i++) {
        uint64_t f = 4 + i;
        assert_int_equal(pts[i].frame, f);
        assert_int_equal(pts[i].acquires, f % 3 + 1);
        assert_int_equal(pts[i].bytes_in_use, (f % 3 + 1) * bp_class_size_for(BP_CLASSES_FINE, 1000));
        assert_int_equal(pts[i].hits + pts[i].creates, pts[i].acquires);
        assert_true(pts[i].bytes_reserved >= pts[i].bytes_pooled + pts[i].bytes_pending);
    }
    assert_int_equal(bp_calculate_series(pool, pts, 4, &n), BP_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 16);
    assert_int_equal(pts[0].frame, 4);
    bp_series_point last;
    assert_int_equal(bp_get_series_point(pool, 0, &last), BP_OK);
    assert_int_equal(last.frame, 19);
    assert_int_equal(bp_get_series_point(pool, 15, &last), BP_OK);
    assert_int_equal(last.frame, 4);
    assert_int_equal(bp_get_series_point(pool, 16, &last), BP_ERR_NOT_FOUND);
    assert_int_equal(last.frame, 0);
    ts_check_and_destroy(pool);
    assert_int_equal(ca.allocs, ca.frees);
}

static void no_series_by_default(void **state) {
    bp_pool *pool;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    uint32_t n = 7;
    assert_int_equal(bp_calculate_series(pool, NULL, 0, &n), BP_OK);
    assert_int_equal(n, 0);
    bp_series_point p;
    assert_int_equal(bp_get_series_point(pool, 0, &p), BP_ERR_NOT_FOUND);
    assert_int_equal(bp_calculate_series(NULL, NULL, 0, &n), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_calculate_series(pool, NULL, 3, &n), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_get_series_point(pool, 0, NULL), BP_ERR_INVALID_ARGUMENT);
    ts_check_and_destroy(pool);
}

typedef struct plot_log {
    int calls;
    uint32_t count;
    double reserved_mb, hit_rate, acquires;
} plot_log;

static void record_plot(void *user, bp_pool *pool, const bp_plot_value *v, uint32_t count) {
    plot_log *l = user;
    l->calls++;
    l->count = count;
    for (uint32_t i = 0; i < count; i++) {
        if (!strcmp(v[i].name, "bufpool.reserved_mb")) l->reserved_mb = v[i].value;
        if (!strcmp(v[i].name, "bufpool.hit_rate")) l->hit_rate = v[i].value;
        if (!strcmp(v[i].name, "bufpool.acquires")) l->acquires = v[i].value;
    }
}

static void plot_hook_gets_named_values(void **state) {
    plot_log log = {0};
    bp_pool *pool;
    bp_pool_desc d = {.plot = record_plot, .plot_user = &log, .frames_in_flight = BP_IMMEDIATE_REUSE};
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    for (int f = 0; f < 3; f++) {
        assert_int_equal(bp_frame_begin(pool), BP_OK);
        ts_acquire(pool, 1u << 20, BP_ACQUIRE_TRANSIENT);
        ts_acquire(pool, 1u << 20, BP_ACQUIRE_TRANSIENT);
        assert_int_equal(bp_frame_end(pool), BP_OK);
    }
    assert_int_equal(log.calls, 3);
    assert_int_equal(log.count, 8);
    assert_true(log.reserved_mb >= 2.0 && log.reserved_mb < 3.0);
    assert_true(log.acquires == 2.0);   /* this frame's, not the total */
    assert_true(log.hit_rate == 1.0);   /* frame 2 reuses frame 1's buffers */
    ts_check_and_destroy(pool);
}

static void outstanding_by_tag_and_owner(void **state) {
    bp_pool *pool;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    bp_buffer keep[3];
    bp_tag_usage before[8], after[8], grew[8], out[8];
    uint32_t nb = 0, na = 0, ng = 0, n = 0;
    assert_int_equal(bp_calculate_tag_snapshot(pool, before, 8, &nb), BP_OK);
    assert_int_equal(nb, 0);
    char mesh_tag[] = "mesh"; /* a tag equal as a string, at another address */
    for (uint32_t f = 0; f < 5; f++) {
        assert_int_equal(bp_frame_begin(pool), BP_OK);
        if (f == 0) {
            bp_acquire_desc d = {.size = 100, .owner = 7, .tag = "mesh"};
            assert_int_equal(bp_acquire(pool, &d, &keep[0]), BP_OK);
            assert_int_equal(bp_calculate_tag_snapshot(pool, before, 8, &nb), BP_OK);
        }
        if (f == 2) {
            bp_acquire_desc d = {.size = 300, .owner = 7, .tag = mesh_tag};
            assert_int_equal(bp_acquire(pool, &d, &keep[1]), BP_OK);
            bp_acquire_desc e = {.size = 5000, .owner = 9};
            assert_int_equal(bp_acquire(pool, &e, &keep[2]), BP_OK);
        }
        assert_int_equal(bp_frame_end(pool), BP_OK);
    }
    assert_int_equal(bp_calculate_outstanding(pool, out, 8, &n), BP_OK);
    assert_int_equal(n, 2);
    assert_string_equal(out[0].tag, "(untagged)");
    assert_int_equal(out[0].owner, 9);
    assert_int_equal(out[0].bytes, 5000);
    assert_int_equal(out[0].age_frames, 3);
    assert_string_equal(out[1].tag, "mesh");
    assert_int_equal(out[1].owner, 7);
    assert_int_equal(out[1].buffers, 2);
    assert_int_equal(out[1].bytes, 400);
    assert_int_equal(out[1].oldest_frame, 0);
    assert_int_equal(out[1].age_frames, 5);
    assert_int_equal(bp_calculate_outstanding(pool, out, 1, &n), BP_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 2);
    assert_int_equal(out[0].bytes, 5000);

    assert_int_equal(bp_calculate_tag_snapshot(pool, after, 8, &na), BP_OK);
    assert_int_equal(na, 2);
    assert_int_equal(bp_snapshot_diff(before, nb, after, na, grew, 8, &ng), BP_OK);
    assert_int_equal(ng, 2);
    assert_string_equal(grew[0].tag, "(untagged)");
    assert_int_equal(grew[0].bytes, 5000);
    assert_string_equal(grew[1].tag, "mesh");
    assert_int_equal(grew[1].bytes, 300);
    assert_int_equal(grew[1].buffers, 1);
    assert_int_equal(bp_snapshot_diff(after, na, before, nb, grew, 8, &ng), BP_OK);
    assert_int_equal(ng, 0); /* nothing grew going backwards */
    assert_int_equal(bp_snapshot_diff(before, nb, after, na, NULL, 0, &ng), BP_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(ng, 2);
    assert_int_equal(bp_calculate_outstanding(NULL, out, 8, &n), BP_ERR_INVALID_ARGUMENT);
    for (int i = 0; i < 3; i++) assert_int_equal(bp_release(pool, keep[i]), BP_OK);
    assert_int_equal(bp_calculate_outstanding(pool, out, 8, &n), BP_OK);
    assert_int_equal(n, 0);
    ts_check_and_destroy(pool);
}

static bool refuse;
static void *refusing_alloc(void *user, size_t size, size_t alignment) {
    return refuse ? NULL : ts_alloc(user, size, alignment);
}

/* The walks that need scratch memory fail cleanly when the allocator refuses. */
static void out_of_memory_in_walks(void **state) {
    counting_alloc ca = {0};
    bp_pool *pool;
    bp_pool_desc d = {.series_frames = 16, .allocator = {refusing_alloc, ts_free, &ca}};
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    bp_buffer b = ts_acquire(pool, 100, 0);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    refuse = true;
    bp_tag_usage out[4];
    uint32_t n = 9;
    bp_verdict v;
    assert_int_equal(bp_calculate_outstanding(pool, out, 4, &n), BP_ERR_OUT_OF_MEMORY);
    assert_int_equal(n, 0);
    assert_int_equal(bp_calculate_verdict(pool, &v), BP_ERR_OUT_OF_MEMORY);
    assert_int_equal(v.kind, BP_VERDICT_TOO_SHORT);
    refuse = false;
    assert_int_equal(bp_calculate_outstanding(pool, out, 4, &n), BP_OK);
    assert_int_equal(n, 1);
    bp_release(pool, b);
    ts_check_and_destroy(pool);
    assert_int_equal(ca.allocs, ca.frees);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ring_keeps_the_last_frames),
        cmocka_unit_test(no_series_by_default),
        cmocka_unit_test(plot_hook_gets_named_values),
        cmocka_unit_test(outstanding_by_tag_and_owner),
        cmocka_unit_test(out_of_memory_in_walks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
