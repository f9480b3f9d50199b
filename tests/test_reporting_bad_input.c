/* Reporting and accounting calls under bad or edge-case input: the "ask for the count"
 * idiom (NULL, 0), capacities one short, exact and huge, text buffers of 0, 1 and one byte
 * short, series of 0 and 1 frames, NULL and very long tags, out-of-range enum values. */
#include "fault_support.h"

static bp_pool *make_pool(uint32_t series_frames, log_record *log) {
    bp_pool_desc d = {.series_frames = series_frames};
    if (log) d.logger = (bp_logger){.func = ts_logger, .user = log};
    bp_pool *pool = NULL;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    return pool;
}

static bp_buffer acquire_tagged(bp_pool *pool, uint64_t size, const char *tag, uint64_t owner) {
    bp_acquire_desc d = {.size = size, .tag = tag, .owner = owner};
    bp_buffer b;
    assert_int_equal(bp_acquire(pool, &d, &b), BP_OK);
    return b;
}

static void class_stats_capacities(void **state) {
    (void)state;
    bp_pool *pool = make_pool(0, NULL);
    bp_buffer a = ts_acquire(pool, 100, 0), b = ts_acquire(pool, 5000, 0), c = ts_acquire(pool, 100000, 0);
    uint32_t n = 99;
    assert_int_equal(bp_calculate_class_stats(pool, NULL, 0, &n), BP_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 3);
    bp_class_stats cs[4];
    memset(cs, 0xAB, sizeof cs);
    assert_int_equal(bp_calculate_class_stats(pool, cs, 2, &n), BP_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 3);
    assert_true(cs[0].class_size < cs[1].class_size);
    assert_int_equal(cs[2].in_use, 0xABABABABu); /* untouched beyond capacity */
    assert_int_equal(bp_calculate_class_stats(pool, cs, 3, &n), BP_OK);
    assert_int_equal(n, 3);
    assert_int_equal(bp_calculate_class_stats(pool, cs, UINT32_MAX, &n), BP_OK);
    assert_int_equal(bp_calculate_class_stats(pool, NULL, 1, &n), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_calculate_class_stats(pool, cs, 3, NULL), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_calculate_class_stats(NULL, cs, 3, &n), BP_ERR_INVALID_ARGUMENT);
    bp_release(pool, a);
    bp_release(pool, b);
    bp_release(pool, c);
    ts_check_and_destroy(pool);
}

static void json_small_buffers(void **state) {
    (void)state;
    bp_pool *pool = make_pool(0, NULL);
    bp_buffer a = ts_acquire(pool, 100, 0);
    size_t need = 0;
    assert_int_equal(bp_stats_to_json(pool, NULL, 0, &need), BP_ERR_BUFFER_TOO_SMALL);
    assert_true(need > 10);
    char *buf = malloc(need + 8);
    size_t len = 0;
    memset(buf, 'x', need + 8);
    assert_int_equal(bp_stats_to_json(pool, buf, 1, &len), BP_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(len, need);
    assert_int_equal(buf[0], '\0');
    assert_int_equal(buf[1], 'x');
    memset(buf, 'x', need + 8);
    assert_int_equal(bp_stats_to_json(pool, buf, need - 1, &len), BP_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(len, need);
    assert_int_equal(buf[need - 2], '\0');
    assert_int_equal(buf[need - 1], 'x');
    memset(buf, 'x', need + 8);
    assert_int_equal(bp_stats_to_json(pool, buf, need, &len), BP_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(buf[need - 1], '\0');
    assert_int_equal(buf[need], 'x');
    memset(buf, 'x', need + 8);
    assert_int_equal(bp_stats_to_json(pool, buf, need + 1, &len), BP_OK);
    assert_int_equal(len, need);
    assert_int_equal(strlen(buf), need);
    assert_int_equal(buf[need - 1], '}');
    assert_int_equal(bp_stats_to_json(pool, NULL, 5, &len), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_stats_to_json(NULL, buf, need + 1, &len), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_stats_to_json(pool, buf, need + 1, NULL), BP_OK);
    free(buf);
    bp_release(pool, a);
    ts_check_and_destroy(pool);
}

static void json_escapes_the_name(void **state) {
    (void)state;
    bp_pool_desc d = {.name = "a\"b\\c\n\x01\x7f"};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    char buf[4096];
    size_t len;
    assert_int_equal(bp_stats_to_json(pool, buf, sizeof buf, &len), BP_OK);
    assert_non_null(strstr(buf, "\"pool\":\"a\\\"b\\\\c\\u000a\\u0001"));
    ts_check_and_destroy(pool);
}

static void series_of_one_frame(void **state) {
    (void)state;
    bp_pool *pool = make_pool(1, NULL);
    uint32_t n = 7;
    bp_series_point p;
    assert_int_equal(bp_calculate_series(pool, NULL, 0, &n), BP_OK);
    assert_int_equal(n, 0);
    memset(&p, 0xFF, sizeof p);
    assert_int_equal(bp_get_series_point(pool, 0, &p), BP_ERR_NOT_FOUND);
    assert_int_equal(p.frame, 0);
    for (int f = 0; f < 3; f++) {
        assert_int_equal(bp_frame_begin(pool), BP_OK);
        ts_acquire(pool, 100 * (f + 1), BP_ACQUIRE_TRANSIENT);
        assert_int_equal(bp_frame_end(pool), BP_OK);
    }
    assert_int_equal(bp_calculate_series(pool, NULL, 0, &n), BP_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 1);
    bp_series_point pts[2];
    assert_int_equal(bp_calculate_series(pool, pts, UINT32_MAX, &n), BP_OK);
    assert_int_equal(n, 1);
    assert_int_equal(pts[0].frame, 2);
    assert_int_equal(bp_get_series_point(pool, 0, &p), BP_OK);
    assert_int_equal(p.frame, 2);
    assert_int_equal(bp_get_series_point(pool, 1, &p), BP_ERR_NOT_FOUND);
    assert_int_equal(bp_get_series_point(pool, UINT32_MAX, &p), BP_ERR_NOT_FOUND);
    assert_int_equal(p.frame, 0);
    bp_verdict v;
    assert_int_equal(bp_calculate_verdict(pool, &v), BP_OK);
    assert_int_equal(v.kind, BP_VERDICT_TOO_SHORT);
    ts_check_and_destroy(pool);
}

static void series_off_with_plot_only(void **state) {
    (void)state;
    bp_pool *pool = make_pool(0, NULL);
    for (int f = 0; f < 3; f++) {
        assert_int_equal(bp_frame_begin(pool), BP_OK);
        assert_int_equal(bp_frame_end(pool), BP_OK);
    }
    uint32_t n = 5;
    assert_int_equal(bp_calculate_series(pool, NULL, 0, &n), BP_OK);
    assert_int_equal(n, 0);
    bp_verdict v;
    assert_int_equal(bp_calculate_verdict(pool, &v), BP_OK);
    assert_int_equal(v.kind, BP_VERDICT_TOO_SHORT);
    assert_int_equal(bp_calculate_verdict(pool, NULL), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_calculate_verdict(NULL, &v), BP_ERR_INVALID_ARGUMENT);
    ts_check_and_destroy(pool);
}

static void verdict_edges(void **state) {
    (void)state;
    bp_verdict v;
    assert_int_equal(bp_series_verdict(NULL, 0, 0, &v), BP_OK);
    assert_int_equal(v.kind, BP_VERDICT_TOO_SHORT);
    assert_int_equal(v.tolerance_bytes, 1);
    assert_int_equal(bp_series_verdict(NULL, 8, 0, &v), BP_ERR_INVALID_ARGUMENT);
    bp_series_point pts[9] = {{0}};
    assert_int_equal(bp_series_verdict(pts, 9, 0, NULL), BP_ERR_INVALID_ARGUMENT);
    for (uint32_t i = 0; i < 9; i++) pts[i] = (bp_series_point){.frame = 5, .bytes_reserved = i * 1000}; /* same frame */
    assert_int_equal(bp_series_verdict(pts, 9, 0, &v), BP_OK);
    assert_true(v.slope_bytes_per_frame == v.slope_bytes_per_frame); /* not NaN */
    for (uint32_t i = 0; i < 9; i++) pts[i] = (bp_series_point){.frame = i, .bytes_reserved = UINT64_MAX - 8 + i};
    assert_int_equal(bp_series_verdict(pts, 9, UINT64_MAX, &v), BP_OK);
    assert_int_equal(v.kind, BP_VERDICT_PLATEAU);
}

static const char *long_tag(void) {
    static char tag[5000];
    if (!tag[0]) {
        memset(tag, 'L', sizeof tag - 1);
        tag[sizeof tag - 1] = '\0';
    }
    return tag;
}

static void outstanding_and_snapshots(void **state) {
    (void)state;
    bp_pool *pool = make_pool(0, NULL);
    uint32_t n = 9;
    assert_int_equal(bp_calculate_outstanding(pool, NULL, 0, &n), BP_OK);
    assert_int_equal(n, 0);
    bp_tag_usage before[4];
    uint32_t nb = 0;
    assert_int_equal(bp_calculate_tag_snapshot(pool, before, 4, &nb), BP_OK);
    assert_int_equal(nb, 0);
    bp_buffer b1 = acquire_tagged(pool, 100, NULL, 0);
    bp_buffer b2 = acquire_tagged(pool, 200, long_tag(), 7);
    bp_buffer b3 = acquire_tagged(pool, 300, "x", 7);
    bp_buffer b4 = acquire_tagged(pool, 300, "x", 8);
    char copy[5000];
    memcpy(copy, long_tag(), sizeof copy); /* same text, another pointer: one group */
    bp_buffer b5 = acquire_tagged(pool, 50, copy, 7);
    assert_int_equal(bp_calculate_outstanding(pool, NULL, 0, &n), BP_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 4);
    bp_tag_usage out[8];
    memset(out, 0xCD, sizeof out);
    assert_int_equal(bp_calculate_outstanding(pool, out, 3, &n), BP_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 4);
    assert_int_equal(out[0].bytes, 300);
    assert_int_equal(out[1].bytes, 300);
    assert_int_equal(out[2].bytes, 250);
    assert_int_equal(out[3].buffers, 0xCDCDCDCDu);
    assert_int_equal(bp_calculate_outstanding(pool, out, 4, &n), BP_OK);
    assert_int_equal(out[3].bytes, 100);
    assert_string_equal(out[3].tag, "(untagged)");
    bp_tag_usage after[8];
    uint32_t na = 0;
    assert_int_equal(bp_calculate_tag_snapshot(pool, after, UINT32_MAX, &na), BP_OK);
    assert_int_equal(na, 3);
    assert_int_equal(after[0].bytes, 600);
    assert_int_equal(after[0].owner, 0);
    /* the diff against an empty start: every tag grew */
    assert_int_equal(bp_snapshot_diff(before, nb, after, na, NULL, 0, &n), BP_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 3);
    assert_int_equal(bp_snapshot_diff(NULL, 0, after, na, out, 1, &n), BP_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 3);
    assert_int_equal(bp_snapshot_diff(NULL, 0, after, na, out, 3, &n), BP_OK);
    assert_int_equal(out[0].bytes, 600);
    /* before with a NULL tag matches after's "(untagged)" */
    bp_tag_usage hand_before[1] = {{.tag = NULL, .buffers = 1, .bytes = 100}};
    assert_int_equal(bp_snapshot_diff(hand_before, 1, after, na, out, 8, &n), BP_OK);
    assert_int_equal(n, 2);
    /* after with a NULL tag */
    bp_tag_usage hand_after[2] = {{.tag = NULL, .buffers = 2, .bytes = 10}, {.tag = "y", .buffers = 1, .bytes = 10}};
    assert_int_equal(bp_snapshot_diff(NULL, 0, hand_after, 2, out, 8, &n), BP_OK);
    assert_int_equal(n, 2);
    assert_non_null(out[0].tag);
    assert_non_null(out[1].tag);
    assert_int_equal(bp_snapshot_diff(NULL, 1, after, na, out, 8, &n), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_snapshot_diff(before, 0, NULL, 1, out, 8, &n), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_snapshot_diff(before, 0, after, na, NULL, 1, &n), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_snapshot_diff(before, 0, after, na, out, 8, NULL), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_calculate_outstanding(NULL, out, 8, &n), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_calculate_outstanding(pool, NULL, 8, &n), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_calculate_tag_snapshot(pool, out, 8, NULL), BP_ERR_INVALID_ARGUMENT);
    bp_release(pool, b1);
    bp_release(pool, b2);
    bp_release(pool, b3);
    bp_release(pool, b4);
    bp_release(pool, b5);
    ts_check_and_destroy(pool);
}

static void owner_listing(void **state) {
    (void)state;
    bp_pool *pool = make_pool(0, NULL);
    uint32_t n = 9;
    assert_int_equal(bp_calculate_owners(pool, NULL, 0, &n), BP_OK);
    assert_int_equal(n, 0);
    assert_int_equal(bp_owner_set_priority(pool, 5, 1.0f), BP_OK); /* no buffers: not listed */
    assert_int_equal(bp_calculate_owners(pool, NULL, 0, &n), BP_OK);
    assert_int_equal(n, 0);
    bp_buffer a = acquire_tagged(pool, 100, "a", 5), b = acquire_tagged(pool, 100, "b", 6);
    assert_int_equal(bp_calculate_owners(pool, NULL, 0, &n), BP_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 2);
    bp_owner_usage u[3];
    memset(u, 0xEE, sizeof u);
    assert_int_equal(bp_calculate_owners(pool, u, 1, &n), BP_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 2);
    assert_int_equal(u[0].owner, 6); /* priority 0 before 1 */
    assert_int_equal(u[1].buffers, 0xEEEEEEEEu);
    assert_int_equal(bp_calculate_owners(pool, u, UINT32_MAX, &n), BP_OK);
    assert_int_equal(n, 2);
    assert_int_equal(bp_calculate_owners(pool, NULL, 1, &n), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_calculate_owners(pool, u, 1, NULL), BP_ERR_INVALID_ARGUMENT);
    bp_diagnostics dg;
    assert_int_equal(bp_get_diagnostics(pool, &dg), BP_OK);
    assert_int_equal(dg.owners, 2);
    assert_int_equal(dg.buffers_in_use, 2);
    bp_release(pool, a);
    bp_release(pool, b);
    ts_check_and_destroy(pool);
}

static void diagnostics_line_buffers(void **state) {
    (void)state;
    bp_pool *pool = make_pool(0, NULL);
    char buf[512];
    memset(buf, 'x', sizeof buf);
    assert_int_equal(bp_diagnostics_line(pool, NULL, 0), BP_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(bp_diagnostics_line(pool, buf, 1), BP_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(buf[0], '\0');
    assert_int_equal(buf[1], 'x');
    assert_int_equal(bp_diagnostics_line(pool, buf, sizeof buf), BP_OK);
    size_t len = strlen(buf);
    memset(buf, 'x', sizeof buf);
    assert_int_equal(bp_diagnostics_line(pool, buf, len), BP_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(buf[len - 1], '\0');
    assert_int_equal(bp_diagnostics_line(pool, buf, len + 1), BP_OK);
    assert_int_equal(strlen(buf), len);
    assert_int_equal(bp_diagnostics_line(pool, NULL, 4), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_diagnostics_line(NULL, buf, 4), BP_ERR_INVALID_ARGUMENT);
    bp_diagnostics dg;
    memset(&dg, 0xFF, sizeof dg);
    assert_int_equal(bp_get_diagnostics(NULL, &dg), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(dg.bytes_reserved, 0);
    assert_int_equal(bp_get_diagnostics(pool, NULL), BP_ERR_INVALID_ARGUMENT);
    ts_check_and_destroy(pool);
}

static void names_of_bad_enums(void **state) {
    (void)state;
    assert_string_equal(bp_result_string(BP_OK), "BP_OK");
    assert_string_equal(bp_result_string(BP_ERR_BUSY), "BP_ERR_BUSY");
    for (int r = 0; r < (int)BP_RESULT_COUNT; r++) {
        assert_non_null(bp_result_string((bp_result)r));
        assert_true(strncmp(bp_result_string((bp_result)r), "BP_", 3) == 0);
    }
    assert_non_null(bp_result_string(BP_RESULT_COUNT));
    assert_non_null(bp_result_string((bp_result)-1));
    assert_non_null(bp_result_string((bp_result)0x7fffffff));
    assert_non_null(bp_memory_string((bp_memory)3));
    assert_non_null(bp_memory_string((bp_memory)-1));
    assert_non_null(bp_memory_string((bp_memory)0x7fffffff));
    bp_get_stats(NULL, NULL);
    bp_stats st;
    memset(&st, 0xFF, sizeof st);
    bp_get_stats(NULL, &st);
    assert_int_equal(st.acquires, 0);
    assert_true(st.hit_rate == 0.0);
}

static void leak_report_long_and_null_tags(void **state) {
    (void)state;
    log_record log = {0};
    bp_pool *pool = make_pool(0, &log);
    acquire_tagged(pool, 100, long_tag(), 3);
    acquire_tagged(pool, 200, NULL, 0);
    bp_acquire_desc d = {.size = 300, .tag = "site"};
    bp_buffer b;
    assert_int_equal(bp_acquire_at(pool, &d, &b, "some/file.c", 42), BP_OK);
    bp_pool_destroy(pool);
    assert_int_equal(log.count[BP_LOG_ITEM_LEAK], 3);
    assert_int_equal(log.count[BP_LOG_ITEM_LEAK_SUMMARY], 1);
    assert_non_null(strstr(log.last, "3 buffer(s), 600 bytes"));
}

static void listings_follow_scopes_and_transients(void **state) {
    (void)state;
    log_record log = {0};
    bp_pool *pool = make_pool(16, &log);
    bp_buffer keep = acquire_tagged(pool, 64, "keep", 1);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    bp_scope m;
    assert_int_equal(bp_scope_begin(pool, &m), BP_OK);
    bp_acquire_desc t = {.size = 128, .tag = "tr", .flags = BP_ACQUIRE_TRANSIENT, .owner = 2};
    bp_buffer tb;
    assert_int_equal(bp_acquire(pool, &t, &tb), BP_OK);
    bp_buffer s1 = acquire_tagged(pool, 256, "sc", 2);
    bp_buffer s2 = acquire_tagged(pool, 256, "sc", 3);
    assert_int_equal(bp_release(pool, s1), BP_OK);
    bp_tag_usage out[8];
    uint32_t n;
    assert_int_equal(bp_calculate_outstanding(pool, out, 8, &n), BP_OK);
    assert_int_equal(n, 3);
    assert_int_equal(bp_calculate_tag_snapshot(pool, out, 8, &n), BP_OK);
    assert_int_equal(n, 3);
    bp_owner_usage u[4];
    assert_int_equal(bp_calculate_owners(pool, u, 4, &n), BP_OK);
    assert_int_equal(n, 3);
    (void)s2; (void)keep;
    uint32_t rel;
    assert_int_equal(bp_scope_end(pool, m, &rel), BP_OK);
    assert_int_equal(bp_calculate_outstanding(pool, out, 8, &n), BP_OK);
    assert_int_equal(n, 1); /* the scope's transient went with it */
    assert_int_equal(bp_frame_end(pool), BP_OK);
    assert_int_equal(bp_calculate_outstanding(pool, out, 8, &n), BP_OK);
    assert_int_equal(n, 1);
    for (int f = 0; f < 10; f++) {
        assert_int_equal(bp_frame_begin(pool), BP_OK);
        acquire_tagged(pool, 1000, "leak", 4);
        assert_int_equal(bp_frame_end(pool), BP_OK);
    }
    bp_verdict v;
    assert_int_equal(bp_calculate_verdict(pool, &v), BP_OK);
    assert_int_equal(v.kind, BP_VERDICT_GROWING);
    assert_int_equal(bp_owner_release(pool, 4, &rel), BP_OK);
    assert_int_equal(rel, 10);
    assert_int_equal(bp_calculate_owners(pool, u, 4, &n), BP_OK);
    assert_int_equal(n, 1);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    acquire_tagged(pool, 100, "open", 0);
    t.owner = 0;
    assert_int_equal(bp_acquire(pool, &t, &tb), BP_OK);
    bp_pool_destroy(pool);
    assert_int_equal(log.count[BP_LOG_ITEM_LEAK], 3);
}

/* "the stats" as JSON: every counter of bp_stats, the seed 001/002 cleanup counts included. */
static void json_lists_every_counter(void **state) {
    (void)state;
    bp_pool *pool = make_pool(0, NULL);
    acquire_tagged(pool, 100, "a", 9);
    acquire_tagged(pool, 100, "a", 9);
    uint32_t rel;
    assert_int_equal(bp_owner_release(pool, 9, &rel), BP_OK);
    bp_scope m;
    assert_int_equal(bp_scope_begin(pool, &m), BP_OK);
    acquire_tagged(pool, 100, "s", 0);
    assert_int_equal(bp_scope_end(pool, m, &rel), BP_OK);
    char js[4096];
    size_t len;
    assert_int_equal(bp_stats_to_json(pool, js, sizeof js, &len), BP_OK);
    assert_non_null(strstr(js, "\"owner_releases\":2,"));
    assert_non_null(strstr(js, "\"scope_releases\":1,"));
    assert_non_null(strstr(js, "\"peak_requested\":"));
    ts_check_and_destroy(pool);
}

/* A listing whose temporary allocation fails: BP_ERR_OUT_OF_MEMORY, nothing written, and, as
 * every failed call after the pool is read (bp_stats.errors), counted and named in the last
 * error, as bp_calculate_owners does. */
static void listings_out_of_memory(void **state) {
    (void)state;
    failing_alloc fa = {0};
    bp_pool_desc d = {.series_frames = 4, .allocator = fa_allocator(&fa)};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    bp_buffer a = acquire_tagged(pool, 100, "a", 5);
    for (int f = 0; f < 2; f++) {
        assert_int_equal(bp_frame_begin(pool), BP_OK);
        assert_int_equal(bp_frame_end(pool), BP_OK);
    }
    bp_stats before, after;
    bp_get_stats(pool, &before);
    bp_tag_usage out[2];
    memset(out, 0x5A, sizeof out);
    uint32_t n = 9;
    fa_arm(&fa, 1);
    assert_int_equal(bp_calculate_outstanding(pool, out, 2, &n), BP_ERR_OUT_OF_MEMORY);
    assert_int_equal(n, 0);
    assert_int_equal(out[0].buffers, 0x5A5A5A5Au);
    bp_get_stats(pool, &after);
    assert_int_equal(after.errors, before.errors + 1);
    assert_true(bp_pool_last_error(pool)[0] != '\0');
    fa_arm(&fa, 1);
    n = 9;
    assert_int_equal(bp_calculate_tag_snapshot(pool, out, 2, &n), BP_ERR_OUT_OF_MEMORY);
    assert_int_equal(n, 0);
    bp_get_stats(pool, &after);
    assert_int_equal(after.errors, before.errors + 2);
    fa_arm(&fa, 1);
    bp_verdict v;
    assert_int_equal(bp_calculate_verdict(pool, &v), BP_ERR_OUT_OF_MEMORY);
    bp_get_stats(pool, &after);
    assert_int_equal(after.errors, before.errors + 3);
    fa_arm(&fa, 1);
    bp_owner_usage u[2];
    assert_int_equal(bp_calculate_owners(pool, u, 2, &n), BP_ERR_OUT_OF_MEMORY);
    bp_get_stats(pool, &after);
    assert_int_equal(after.errors, before.errors + 4);
    fa_arm(&fa, 0);
    assert_int_equal(bp_calculate_outstanding(pool, out, 2, &n), BP_OK);
    assert_int_equal(n, 1);
    bp_release(pool, a);
    ts_check_and_destroy(pool);
    assert_int_equal(fa.allocs, fa.frees);
}

static void diagnostics_count_known_owners(void **state) {
    (void)state;
    bp_pool *pool = make_pool(0, NULL);
    bp_buffer a = acquire_tagged(pool, 100, "a", 5);
    bp_diagnostics dg;
    assert_int_equal(bp_get_diagnostics(pool, &dg), BP_OK);
    assert_int_equal(dg.owners, 1);
    bp_release(pool, a);
    assert_int_equal(bp_get_diagnostics(pool, &dg), BP_OK);
    assert_int_equal(dg.owners, 0);
    assert_int_equal(bp_owner_set_priority(pool, 6, 2.0f), BP_OK);
    assert_int_equal(bp_get_diagnostics(pool, &dg), BP_OK);
    assert_int_equal(dg.owners, 1);
    bp_owner_usage u;
    assert_int_equal(bp_owner_get_usage(pool, 5, &u), BP_ERR_NOT_FOUND);
    ts_check_and_destroy(pool);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(class_stats_capacities),   cmocka_unit_test(json_small_buffers),
        cmocka_unit_test(json_escapes_the_name),    cmocka_unit_test(series_of_one_frame),
        cmocka_unit_test(series_off_with_plot_only), cmocka_unit_test(verdict_edges),
        cmocka_unit_test(outstanding_and_snapshots), cmocka_unit_test(owner_listing),
        cmocka_unit_test(diagnostics_line_buffers), cmocka_unit_test(names_of_bad_enums),
        cmocka_unit_test(leak_report_long_and_null_tags), cmocka_unit_test(listings_follow_scopes_and_transients), cmocka_unit_test(json_lists_every_counter), cmocka_unit_test(listings_out_of_memory), cmocka_unit_test(diagnostics_count_known_owners),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
