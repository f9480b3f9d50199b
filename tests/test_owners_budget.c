/* Owners (despawn releases everything an entity held), priorities, and the budget:
 * trim first, then the application's eviction callback, then a clean failure. */
#include "test_support.h"

static void owner_release_frees_all_of_an_owner(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    bp_buffer mine[5], other;
    for (int i = 0; i < 5; i++) {
        bp_acquire_desc d = {.size = 1000u * (uint64_t)(i + 1), .owner = 7};
        assert_int_equal(bp_acquire(pool, &d, &mine[i]), BP_OK);
    }
    bp_acquire_desc d = {.size = 100, .owner = 8};
    assert_int_equal(bp_acquire(pool, &d, &other), BP_OK);
    bp_owner_usage u;
    assert_int_equal(bp_owner_get_usage(pool, 7, &u), BP_OK);
    assert_int_equal(u.buffers, 5);
    assert_int_equal(u.bytes, 1024 + 2048 + 3072 + 4096 + 5120);
    bp_release(pool, mine[2]); /* an explicit release leaves the owner's list too */
    assert_int_equal(bp_owner_get_usage(pool, 7, &u), BP_OK);
    assert_int_equal(u.buffers, 4);
    uint32_t n = 0;
    assert_int_equal(bp_owner_release(pool, 7, &n), BP_OK);
    assert_int_equal(n, 4);
    for (int i = 0; i < 5; i++) assert_false(bp_buffer_is_valid(pool, mine[i]));
    assert_true(bp_buffer_is_valid(pool, other));
    assert_int_equal(bp_owner_get_usage(pool, 7, &u), BP_ERR_NOT_FOUND);
    assert_int_equal(bp_owner_release(pool, 12345, &n), BP_OK); /* unknown: nothing */
    assert_int_equal(n, 0);
    assert_int_equal(bp_owner_release(pool, 0, &n), BP_ERR_INVALID_ARGUMENT);
    bp_release(pool, other);
    ts_check_and_destroy(pool);
}

static void many_owners_come_and_go(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    for (uint64_t round = 0; round < 5; round++) {
        for (uint64_t e = 1; e <= 500; e++) {
            bp_acquire_desc d = {.size = 256, .owner = round * 1000 + e};
            bp_buffer b;
            assert_int_equal(bp_acquire(pool, &d, &b), BP_OK);
            if (e % 3 == 0) bp_owner_set_priority(pool, round * 1000 + e, (float)e);
        }
        for (uint64_t e = 1; e <= 500; e += 2) bp_owner_release(pool, round * 1000 + e, NULL);
        uint32_t count;
        assert_int_equal(bp_calculate_owners(pool, NULL, 0, &count), BP_ERR_BUFFER_TOO_SMALL);
        assert_int_equal(count, 250);
        for (uint64_t e = 2; e <= 500; e += 2) bp_owner_release(pool, round * 1000 + e, NULL);
        assert_int_equal(bp_calculate_owners(pool, NULL, 0, &count), BP_OK);
        assert_int_equal(count, 0);
        assert_int_equal(bpi_check(pool), BP_OK);
    }
    ts_check_and_destroy(pool);
}

/* One sequence of owned acquires and releases; the owners' usage and the stats at the end. An
 * owner that keeps a buffer keeps its record, so its next requests are hits on the unlocked
 * owner path (plain pools); one whose last buffer goes loses its record unless it has a
 * priority. */
typedef struct owner_run {
    bp_stats stats;
    bp_owner_usage usage[4];
    bp_result found[4];
} owner_run;

static owner_run run_owned_sequence(const bp_pool_desc *pd) {
    bp_pool *pool;
    assert_int_equal(bp_pool_create(pd, &pool), BP_OK);
    bp_buffer anchor, b[12];
    assert_int_equal(bp_acquire(pool, &(bp_acquire_desc){.size = 5000, .owner = 1}, &anchor), BP_OK);
    assert_int_equal(bp_owner_set_priority(pool, 3, 2.0f), BP_OK);
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 12; i++) {
            bp_acquire_desc d = {.size = 700u + 300u * (uint64_t)(i % 3), .owner = 1u + (uint64_t)(i % 3), .tag = "owned"};
            assert_int_equal(bp_acquire(pool, &d, &b[i]), BP_OK);
        }
        bp_owner_usage u;
        assert_int_equal(bp_owner_get_usage(pool, 1, &u), BP_OK);
        assert_int_equal(u.buffers, 5); /* the anchor and 4 of these */
        for (int i = 0; i < 12; i += 2) assert_int_equal(bp_release(pool, b[i]), BP_OK);
        assert_int_equal(bp_release(pool, b[0]), BP_ERR_DOUBLE_RELEASE);
        uint32_t n = 0;
        assert_int_equal(bp_owner_release(pool, 2, &n), BP_OK);
        assert_int_equal(n, 2); /* b[1], b[7]: b[4], b[10] went above */
        for (int i = 1; i < 12; i += 2)
            if (i % 3 != 1) assert_int_equal(bp_release(pool, b[i]), BP_OK);
        assert_int_equal(bpi_check(pool), BP_OK);
    }
    owner_run out;
    for (int o = 0; o < 4; o++) out.found[o] = bp_owner_get_usage(pool, (uint64_t)o + 1u, &out.usage[o]);
    bp_get_stats(pool, &out.stats);
    assert_int_equal(bp_release(pool, anchor), BP_OK);
    ts_check_and_destroy(pool);
    return out;
}

static void owner_hits_and_releases_agree_with_the_locked_path(void **state) {
    (void)state;
    owner_run plain = run_owned_sequence(&(bp_pool_desc){.frames_in_flight = BP_IMMEDIATE_REUSE});
    owner_run locked = run_owned_sequence(&(bp_pool_desc){.frames_in_flight = BP_IMMEDIATE_REUSE, .thread_safe = true});
    assert_int_equal(plain.found[0], BP_OK);
    assert_int_equal(plain.usage[0].buffers, 1); /* the anchor */
    assert_int_equal(plain.usage[0].bytes, 5120);
    assert_int_equal(plain.found[1], BP_ERR_NOT_FOUND); /* no buffer, no priority: gone */
    assert_int_equal(plain.found[2], BP_OK);             /* a priority keeps the record */
    assert_int_equal(plain.usage[2].buffers, 0);
    assert_int_equal(plain.found[3], BP_ERR_NOT_FOUND);
    for (int o = 0; o < 4; o++) {
        assert_int_equal(plain.found[o], locked.found[o]);
        assert_int_equal(plain.usage[o].buffers, locked.usage[o].buffers);
        assert_int_equal(plain.usage[o].bytes, locked.usage[o].bytes);
    }
    assert_int_equal(plain.stats.acquires, 37);
    assert_int_equal(plain.stats.acquires, locked.stats.acquires);
    assert_int_equal(plain.stats.hits, locked.stats.hits);
    assert_int_equal(plain.stats.releases, locked.stats.releases);
    assert_int_equal(plain.stats.buffers_in_use, 1);
    assert_int_equal(plain.stats.bytes_in_use, locked.stats.bytes_in_use);
    assert_int_equal(plain.stats.bytes_requested, 5000);
    assert_int_equal(plain.stats.owner_releases, 6);
}

typedef struct evict_ctx {
    int calls;
    uint64_t first_owner;
    uint32_t owner_count;
    int cull; /* how many owners to release */
} evict_ctx;

static void evict_lowest(void *user, bp_pool *pool, uint64_t needed, const uint64_t *owners, uint32_t count) {
    evict_ctx *e = user;
    (void)needed;
    e->calls++;
    e->owner_count = count;
    e->first_owner = count ? owners[0] : 0;
    for (uint32_t i = 0; i < count && (int)i < e->cull; i++) bp_owner_release(pool, owners[i], NULL);
}

/* thread_safe: the callback's bp_owner_release re-enters the pool lock the acquire holds. */
static void cull_then_succeed(bool thread_safe) {
    evict_ctx ctx = {.cull = 1};
    bp_pool *pool;
    bp_pool_desc d = {.budget_bytes = 40960, .evict = evict_lowest, .evict_user = &ctx,
                      .frames_in_flight = BP_IMMEDIATE_REUSE, .max_pooled_per_class = 1,
                      .thread_safe = thread_safe};
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    /* owners 1..4 hold 8 KiB each, priorities: 3 is the least important */
    float prio[5] = {0, 5.0f, 4.0f, 1.0f, 9.0f};
    for (uint64_t o = 1; o <= 4; o++) {
        bp_owner_set_priority(pool, o, prio[o]);
        bp_acquire_desc ad = {.size = 8192, .owner = o};
        bp_buffer b;
        assert_int_equal(bp_acquire(pool, &ad, &b), BP_OK);
    }
    bp_acquire_desc big = {.size = 16384, .owner = 99};
    bp_buffer b;
    assert_int_equal(bp_acquire(pool, &big, &b), BP_OK);
    assert_int_equal(ctx.calls, 1);
    assert_int_equal(ctx.first_owner, 3); /* lowest priority offered first */
    assert_int_equal(ctx.owner_count, 4);
    bp_owner_usage u;
    assert_int_equal(bp_owner_get_usage(pool, 3, &u), BP_ERR_NOT_FOUND);
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_true(s.bytes_reserved <= 40960);
    assert_int_equal(s.evictions, 1);
    ts_check_and_destroy(pool);
}

static void over_budget_acquire_succeeds_after_the_callback_culls(void **state) {
    (void)state;
    cull_then_succeed(false);
}

static void eviction_reenters_a_thread_safe_pool(void **state) {
    (void)state;
    cull_then_succeed(true);
}

static void over_budget_acquire_fails_with_the_pool_unchanged(void **state) {
    (void)state;
    evict_ctx ctx = {.cull = 0}; /* the application refuses to cull */
    bp_pool *pool;
    bp_pool_desc d = {.budget_bytes = 20000, .evict = evict_lowest, .evict_user = &ctx};
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    bp_acquire_desc ad = {.size = 8192, .owner = 1};
    bp_buffer a, b;
    assert_int_equal(bp_acquire(pool, &ad, &a), BP_OK);
    assert_int_equal(bp_acquire(pool, &ad, &b), BP_OK);
    bp_stats before, after;
    bp_get_stats(pool, &before);
    bp_buffer c = {5};
    assert_int_equal(bp_acquire(pool, &ad, &c), BP_ERR_BUDGET);
    assert_int_equal(c.id, 0);
    bp_get_stats(pool, &after);
    assert_int_equal(after.bytes_reserved, before.bytes_reserved);
    assert_int_equal(after.buffers_in_use, before.buffers_in_use);
    assert_int_equal(after.budget_failures, 1);
    assert_non_null(strstr(bp_pool_last_error(pool), "budget"));
    /* raising the budget lets it through */
    assert_int_equal(bp_set_budget(pool, 0), BP_OK);
    assert_int_equal(bp_acquire(pool, &ad, &c), BP_OK);
    ts_check_and_destroy(pool);
}

static void budget_trims_idle_pooled_buffers_first(void **state) {
    (void)state;
    bp_pool *pool;
    bp_pool_desc d = {.budget_bytes = 16384, .frames_in_flight = BP_IMMEDIATE_REUSE};
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    bp_buffer a = ts_acquire(pool, 8192, 0), b = ts_acquire(pool, 8192, 0);
    bp_release(pool, a);
    bp_release(pool, b);
    bp_buffer c = ts_acquire(pool, 12000, 0); /* needs the pooled 8 KiB buffers gone */
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_true(s.bytes_reserved <= 16384);
    assert_int_equal(s.buffers_pooled, 0);
    bp_release(pool, c);
    ts_check_and_destroy(pool);
}


static void diagnostics_report_budget_use_and_cleanups(void **state) {
    (void)state;
    log_record log = {0};
    bp_pool *pool;
    bp_pool_desc d = {.budget_bytes = 1 << 20, .diagnostics_every_frames = 10, .logger = {ts_logger, &log},
                      .frames_in_flight = 1};
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    for (int f = 0; f < 30; f++) {
        bp_frame_begin(pool);
        if (f == 0) {
            bp_acquire_desc ad = {.size = 262144, .owner = 3};
            bp_buffer b;
            assert_int_equal(bp_acquire(pool, &ad, &b), BP_OK);
        }
        bp_frame_end(pool);
    }
    assert_int_equal(log.count[BP_LOG_ITEM_DIAGNOSTICS], 3);
    assert_non_null(strstr(log.last, "25.0% of a 1.0 MB budget"));
    bp_diagnostics g;
    assert_int_equal(bp_get_diagnostics(pool, &g), BP_OK);
    assert_true(g.budget_used_percent > 24.99 && g.budget_used_percent < 25.01);
    assert_int_equal(g.owners, 1);
    assert_int_equal(g.buffers_in_use, 1);
    uint32_t n;
    bp_owner_release(pool, 3, &n);
    bp_frame_begin(pool); /* one frame in flight before it is pooled */
    bp_frame_end(pool);
    bp_trim(pool, true);
    assert_int_equal(bp_get_diagnostics(pool, &g), BP_OK);
    assert_int_equal(g.owner_releases, 1);
    assert_int_equal(g.trims, 1);
    assert_true(g.peak_budget_percent > 24.99 && g.budget_used_percent == 0.0);
    assert_int_equal(g.owners, 0);
    char line[64];
    assert_int_equal(bp_diagnostics_line(pool, line, sizeof line), BP_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(strlen(line), sizeof line - 1);
    assert_int_equal(bp_get_diagnostics(NULL, &g), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_diagnostics_line(pool, NULL, 8), BP_ERR_INVALID_ARGUMENT);
    ts_check_and_destroy(pool);
}

/* Owner records move: the table grows (rehash) and erasing a record shifts its neighbours
 * back. A held buffer remembers where its owner's record was when it was linked, so its
 * release, by bp_release or by the owner, must still find the record it belongs to after
 * both kinds of move. */
static void releases_find_owner_records_that_moved(void **state) {
    (void)state;
    bp_pool *pool;
    bp_pool_desc d = {.frames_in_flight = BP_IMMEDIATE_REUSE};
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    enum { OWNERS = 300 };
    bp_buffer held[OWNERS][2];
    for (int o = 0; o < OWNERS; o++) /* 300 records: the table grows from 64 entries, twice over */
        for (int k = 0; k < 2; k++)
            assert_int_equal(bp_acquire(pool, &(bp_acquire_desc){.size = 512, .owner = 1000u + (uint64_t)o}, &held[o][k]),
                             BP_OK);
    for (int o = 0; o < OWNERS; o += 3) { /* erase every third record: its neighbours shift back */
        uint32_t n = 0;
        assert_int_equal(bp_owner_release(pool, 1000u + (uint64_t)o, &n), BP_OK);
        assert_int_equal(n, 2);
    }
    assert_int_equal(bpi_check(pool), BP_OK);
    for (int o = 0; o < OWNERS; o++) {
        if (o % 3 == 0) continue;
        bp_owner_usage u;
        assert_int_equal(bp_owner_get_usage(pool, 1000u + (uint64_t)o, &u), BP_OK);
        assert_int_equal(u.buffers, 2);
        assert_int_equal(bp_release(pool, held[o][0]), BP_OK); /* by its handle: the owner's list shrinks */
        assert_int_equal(bp_owner_get_usage(pool, 1000u + (uint64_t)o, &u), BP_OK);
        assert_int_equal(u.buffers, 1);
        assert_int_equal(u.bytes, 512);
    }
    assert_int_equal(bpi_check(pool), BP_OK);
    for (int o = 0; o < OWNERS; o++)
        if (o % 3) assert_int_equal(bp_release(pool, held[o][1]), BP_OK);
    bp_stats st;
    bp_get_stats(pool, &st);
    assert_int_equal(st.buffers_in_use, 0);
    uint32_t count = 99;
    assert_int_equal(bp_calculate_owners(pool, NULL, 0, &count), BP_OK);
    assert_int_equal(count, 0); /* every record went with its last buffer */
    ts_check_and_destroy(pool);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(owner_release_frees_all_of_an_owner),
        cmocka_unit_test(many_owners_come_and_go),
        cmocka_unit_test(owner_hits_and_releases_agree_with_the_locked_path),
        cmocka_unit_test(over_budget_acquire_succeeds_after_the_callback_culls),
        cmocka_unit_test(eviction_reenters_a_thread_safe_pool),
        cmocka_unit_test(over_budget_acquire_fails_with_the_pool_unchanged),
        cmocka_unit_test(budget_trims_idle_pooled_buffers_first),
        cmocka_unit_test(diagnostics_report_budget_use_and_cleanups),
        cmocka_unit_test(releases_find_owner_records_that_moved),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
