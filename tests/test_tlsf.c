/* Virtual blocks (TLSF): exact offsets, merging, alignment, out of space, bad frees, a
 * randomized run against a byte map, fixed capacity allocating nothing, exhausted generations. */
#include "test_support.h"

#include "placement/tlsf.h"

/* Most tests count exact bytes: granularity 1. */
static bp_vblock *make_g(uint64_t size, uint64_t granularity, uint32_t max_ranges, counting_alloc *c,
                         log_record *log) {
    bp_vblock_desc d = {.size = size, .max_ranges = max_ranges, .granularity = granularity, .name = "test"};
    if (c) d.allocator = ts_allocator(c);
    if (log) d.logger = (bp_logger){ts_logger, log};
    bp_vblock *b = NULL;
    assert_int_equal(bp_vblock_create(&d, &b), BP_OK);
    assert_non_null(b);
    return b;
}

static bp_vblock *make(uint64_t size, uint32_t max_ranges, counting_alloc *c, log_record *log) {
    return make_g(size, 1, max_ranges, c, log);
}

static bp_range alloc_ok(bp_vblock *b, uint64_t size, uint64_t alignment) {
    bp_range r;
    assert_int_equal(bp_vblock_alloc(b, size, alignment, &r), BP_OK);
    assert_int_equal(r.size, size);
    assert_true(r.id != 0);
    return r;
}

static bp_vblock_stats stats(const bp_vblock *b) {
    bp_vblock_stats s;
    assert_int_equal(bp_vblock_get_stats(b, &s), BP_OK);
    return s;
}

static void check_and_destroy(bp_vblock *b) {
    assert_int_equal(bp_vblock_check(b), BP_OK);
    bp_vblock_destroy(b);
}

static void test_exact_offsets(void **state) {
    (void)state;
    bp_vblock *b = make(1024, 0, NULL, NULL);
    bp_range a = alloc_ok(b, 100, 0), c = alloc_ok(b, 200, 1), d = alloc_ok(b, 50, 64);
    assert_int_equal(a.offset, 0);
    assert_int_equal(c.offset, 100);
    assert_int_equal(d.offset, 320); /* 300 rounded up to 64; the 20-byte gap stays free */
    bp_vblock_stats s = stats(b);
    assert_int_equal(s.used_bytes, 350);
    assert_int_equal(s.free_bytes, 674);
    assert_int_equal(s.ranges, 3);
    assert_int_equal(s.free_ranges, 2);
    assert_int_equal(s.largest_free, 1024 - 370);
    assert_true(s.fragmentation > 0.02 && s.fragmentation < 0.04); /* 1 - 654/674 */
    /* the gap is used by a small request that fits it */
    bp_range e = alloc_ok(b, 20, 4);
    assert_int_equal(e.offset, 300);
    assert_int_equal(stats(b).free_ranges, 1);
    assert_int_equal(bp_vblock_check(b), BP_OK);
    assert_int_equal(bp_vblock_free(b, c), BP_OK);
    assert_int_equal(bp_vblock_free(b, a), BP_OK); /* merges with c's bytes: 0..300 */
    s = stats(b);
    assert_int_equal(s.free_ranges, 2);
    assert_int_equal(s.largest_free, 654);
    bp_range f = alloc_ok(b, 300, 0);
    assert_int_equal(f.offset, 0);
    assert_int_equal(bp_vblock_free(b, d), BP_OK);
    assert_int_equal(bp_vblock_free(b, e), BP_OK);
    assert_int_equal(bp_vblock_free(b, f), BP_OK);
    s = stats(b);
    assert_int_equal(s.ranges, 0);
    assert_int_equal(s.free_ranges, 1);
    assert_int_equal(s.largest_free, 1024);
    assert_true(s.fragmentation == 0.0);
    check_and_destroy(b);
}

static void test_coalescing_orders(void **state) {
    (void)state;
    /* free three neighbours in every order: the block ends as one free range each time */
    static const int orders[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    bp_vblock *b = make(3000, 0, NULL, NULL);
    for (int o = 0; o < 6; o++) {
        bp_range r[3];
        for (int i = 0; i < 3; i++) r[i] = alloc_ok(b, 1000, 0);
        assert_int_equal(stats(b).free_ranges, 0);
        assert_int_equal(stats(b).largest_free, 0);
        for (int i = 0; i < 3; i++) {
            assert_int_equal(bp_vblock_free(b, r[orders[o][i]]), BP_OK);
            assert_int_equal(bp_vblock_check(b), BP_OK);
        }
        bp_vblock_stats s = stats(b);
        assert_int_equal(s.free_ranges, 1);
        assert_int_equal(s.largest_free, 3000);
    }
    check_and_destroy(b);
}

static void test_alignment(void **state) {
    (void)state;
    bp_vblock *b = make(1u << 20, 0, NULL, NULL);
    alloc_ok(b, 3, 0);
    for (uint64_t a = 1; a <= 65536; a *= 2) {
        bp_range r = alloc_ok(b, 7 + a / 3, a);
        assert_int_equal(r.offset % a, 0);
        alloc_ok(b, 1, 0); /* misalign what follows */
    }
    bp_range r;
    assert_int_equal(bp_vblock_alloc(b, 8, 3, &r), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(r.id, 0);
    assert_int_equal(bp_vblock_alloc(b, 8, 1u << 21, &r), BP_ERR_INVALID_ARGUMENT); /* above the block */
    check_and_destroy(b);
}

static void test_out_of_space(void **state) {
    (void)state;
    log_record log = {0};
    bp_vblock *b = make(1024, 0, NULL, &log);
    bp_range r[4];
    for (int i = 0; i < 4; i++) r[i] = alloc_ok(b, 256, 256);
    bp_vblock_stats before = stats(b);
    bp_range x = {1, 2, 3};
    assert_int_equal(bp_vblock_alloc(b, 1, 0, &x), BP_ERR_CAPACITY);
    assert_int_equal(x.id, 0);
    assert_int_equal(x.offset, 0);
    assert_int_equal(bp_vblock_alloc(b, 1025, 0, &x), BP_ERR_TOO_LARGE);
    assert_int_equal(bp_vblock_alloc(b, 0, 0, &x), BP_ERR_INVALID_SIZE);
    assert_int_equal(bp_vblock_alloc(NULL, 1, 0, &x), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_vblock_alloc(b, 1, 0, NULL), BP_ERR_INVALID_ARGUMENT);
    bp_vblock_stats after = stats(b);
    assert_int_equal(after.used_bytes, before.used_bytes);
    assert_int_equal(after.ranges, 4);
    assert_int_equal(after.failures, 1);
    /* 512 free bytes in two separate ranges: 512 does not fit, 256 does */
    assert_int_equal(bp_vblock_free(b, r[0]), BP_OK);
    assert_int_equal(bp_vblock_free(b, r[2]), BP_OK);
    assert_int_equal(bp_vblock_alloc(b, 512, 0, &x), BP_ERR_CAPACITY);
    assert_true(stats(b).fragmentation > 0.49);
    x = alloc_ok(b, 256, 0);
    assert_true(x.offset == 0 || x.offset == 512);
    check_and_destroy(b);
}

static void test_bad_frees(void **state) {
    (void)state;
    log_record log = {0};
    bp_vblock *b = make(4096, 0, NULL, &log), *other = make(4096, 0, NULL, NULL);
    bp_range a = alloc_ok(b, 64, 0), keep = alloc_ok(b, 64, 0), foreign = alloc_ok(other, 64, 0);
    assert_int_equal(bp_vblock_free(b, (bp_range){0, 64, 0}), BP_ERR_INVALID_HANDLE);
    assert_int_equal(bp_vblock_free(b, foreign), BP_ERR_FOREIGN_HANDLE);
    assert_int_equal(bp_vblock_free(b, (bp_range){a.offset, a.size, a.id + (1ull << 32)}), BP_ERR_FOREIGN_HANDLE);
    assert_int_equal(bp_vblock_free(b, (bp_range){a.offset, a.size, a.id + 1000}), BP_ERR_FOREIGN_HANDLE);
    assert_int_equal(bp_vblock_free(b, (bp_range){a.offset + 8, a.size, a.id}), BP_ERR_FOREIGN_HANDLE);
    assert_int_equal(bp_vblock_free(b, (bp_range){a.offset, a.size - 1, a.id}), BP_ERR_FOREIGN_HANDLE);
    assert_int_equal(bp_vblock_free(NULL, a), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(stats(b).ranges, 2); /* none of that freed anything */
    assert_int_equal(bp_vblock_free(b, a), BP_OK);
    assert_int_equal(bp_vblock_free(b, a), BP_ERR_DOUBLE_RELEASE);
    bp_range again = alloc_ok(b, 64, 0); /* takes a's node again: a is stale now */
    assert_int_equal(again.offset, a.offset);
    assert_true(again.id != a.id);
    assert_int_equal(bp_vblock_free(b, a), BP_ERR_STALE_HANDLE);
    assert_int_equal(stats(b).ranges, 2);
    assert_int_equal(log.count[BP_LOG_ITEM_BAD_HANDLE], 7);
    assert_int_equal(log.count[BP_LOG_ITEM_DOUBLE_RELEASE], 1);
    /* user data follows the range, and the same checks guard it */
    int obj = 0;
    void *p = &p;
    assert_int_equal(bp_vblock_get_user_data(b, keep, &p), BP_OK);
    assert_null(p);
    assert_int_equal(bp_vblock_set_user_data(b, keep, &obj), BP_OK);
    assert_int_equal(bp_vblock_get_user_data(b, keep, &p), BP_OK);
    assert_ptr_equal(p, &obj);
    assert_int_equal(bp_vblock_set_user_data(b, a, &obj), BP_ERR_STALE_HANDLE);
    assert_int_equal(bp_vblock_get_user_data(b, foreign, &p), BP_ERR_FOREIGN_HANDLE);
    assert_null(p);
    assert_int_equal(bp_vblock_free(b, keep), BP_OK);
    assert_int_equal(bp_vblock_free(b, again), BP_OK);
    assert_int_equal(bp_vblock_free(other, foreign), BP_OK);
    check_and_destroy(other);
    check_and_destroy(b);
    assert_int_equal(log.count[BP_LOG_ITEM_LEAK], 0);
}

static void test_create_arguments(void **state) {
    (void)state;
    bp_vblock *b = (bp_vblock *)&b;
    bp_vblock_desc d = {.size = 0};
    assert_int_equal(bp_vblock_create(&d, &b), BP_ERR_INVALID_SIZE);
    assert_null(b);
    d.size = BP_VBLOCK_MAX_SIZE + 1;
    assert_int_equal(bp_vblock_create(&d, &b), BP_ERR_TOO_LARGE);
    d.size = 100;
    d.allocator.alloc = ts_alloc;
    assert_int_equal(bp_vblock_create(&d, &b), BP_ERR_INVALID_ARGUMENT);
    d.allocator.alloc = NULL;
    d.max_ranges = 1u << 24;
    assert_int_equal(bp_vblock_create(&d, &b), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_vblock_create(NULL, &b), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_vblock_create(&d, NULL), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_vblock_check(NULL), BP_ERR_INVALID_ARGUMENT);
    bp_vblock_stats s;
    assert_int_equal(bp_vblock_get_stats(NULL, &s), BP_ERR_INVALID_ARGUMENT);
    bp_vblock_destroy(NULL);
    /* a block as large as allowed works like any other */
    bp_vblock *big = make(BP_VBLOCK_MAX_SIZE, 0, NULL, NULL);
    bp_range r = alloc_ok(big, BP_VBLOCK_MAX_SIZE / 2, BP_VBLOCK_MAX_SIZE / 4);
    bp_range r2 = alloc_ok(big, BP_VBLOCK_MAX_SIZE / 4, 0);
    assert_int_equal(r.offset, 0);
    assert_int_equal(r2.offset, BP_VBLOCK_MAX_SIZE / 2);
    assert_int_equal(stats(big).largest_free, BP_VBLOCK_MAX_SIZE / 4);
    check_and_destroy(big);
}

static void test_leak_report(void **state) {
    (void)state;
    log_record log = {0};
    bp_vblock *b = make(4096, 0, NULL, &log);
    alloc_ok(b, 10, 0);
    bp_range r = alloc_ok(b, 20, 0);
    alloc_ok(b, 30, 0);
    assert_int_equal(bp_vblock_free(b, r), BP_OK);
    bp_vblock_destroy(b);
    assert_int_equal(log.count[BP_LOG_ITEM_LEAK], 2);
    assert_int_equal(log.count[BP_LOG_ITEM_LEAK_SUMMARY], 1);
    assert_non_null(strstr(log.last, "2 ranges (40 bytes) leaked"));
}

/* The reference model: who owns each byte (0 = free), and the live ranges. */
#define MODEL_SIZE 16384u
#define MODEL_LIVE 512u

typedef struct model {
    uint16_t owner[MODEL_SIZE];
    bp_range live[MODEL_LIVE];
    uint32_t count;
} model;

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) { return ts_xorshift(&rng_state); }

/* Smallest free range a TLSF search for `want` bytes is sure to accept: `want` rounded up to
 * the start of the next size class (classes: exact below 32, then 32 per power of two). */
static uint64_t sure_fit(uint64_t want) {
    if (want < 32) return want;
    int top = 63 - __builtin_clzll(want);
    uint64_t step = 1ull << (top - 5);
    return (want + step - 1) & ~(step - 1);
}

static void compare(const bp_vblock *b, const model *m) {
    uint64_t used = 0, largest = 0, run = 0;
    uint32_t runs = 0;
    for (uint32_t i = 0; i < MODEL_SIZE; i++) {
        if (m->owner[i]) {
            used++;
            run = 0;
            continue;
        }
        if (run++ == 0) runs++;
        if (run > largest) largest = run;
    }
    bp_vblock_stats s = stats(b);
    assert_int_equal(s.used_bytes, used);
    assert_int_equal(s.ranges, m->count);
    assert_int_equal(s.free_ranges, runs);
    assert_int_equal(s.largest_free, largest);
}

static uint64_t round_up(uint64_t v, uint64_t g) { return (v + g - 1) / g * g; }

static void random_run(uint64_t g) {
    static model m;
    memset(&m, 0, sizeof m);
    bp_vblock *b = make_g(MODEL_SIZE, g, 0, NULL, NULL);
    uint32_t ok = 0, refused = 0;
    for (int op = 0; op < 6000; op++) {
        bool do_alloc = m.count == 0 || (m.count < MODEL_LIVE && rnd() % 100 < 55);
        if (do_alloc) {
            uint64_t size = 1 + (rnd() % ((rnd() % 2) ? 64 : 1024));
            uint64_t align = 1ull << (rnd() % 9), occupied = round_up(size, g);
            bp_range r;
            bp_result res = bp_vblock_alloc(b, size, align, &r);
            if (align < g) align = g;
            if (res == BP_OK) {
                ok++;
                assert_int_equal(r.size, size);
                assert_int_equal(r.offset % align, 0);
                assert_true(r.offset + occupied <= MODEL_SIZE);
                for (uint64_t i = r.offset; i < r.offset + occupied; i++) {
                    assert_int_equal(m.owner[i], 0); /* never overlaps a live range */
                    m.owner[i] = (uint16_t)(m.count + 1);
                }
                bp_vblock_set_user_data(b, r, (void *)(uintptr_t)(r.offset + 1));
                m.live[m.count++] = r;
            } else {
                refused++;
                assert_int_equal(res, BP_ERR_CAPACITY);
                /* refused only when no free range is large enough for a sure fit */
                assert_true(stats(b).largest_free < sure_fit(occupied + align - 1));
            }
        } else {
            uint32_t k = (uint32_t)(rnd() % m.count);
            bp_range r = m.live[k];
            void *p;
            assert_int_equal(bp_vblock_get_user_data(b, r, &p), BP_OK);
            assert_int_equal((uintptr_t)p, r.offset + 1);
            assert_int_equal(bp_vblock_free(b, r), BP_OK);
            assert_int_equal(bp_vblock_free(b, r), BP_ERR_DOUBLE_RELEASE);
            memset(&m.owner[r.offset], 0, round_up(r.size, g) * sizeof m.owner[0]);
            m.live[k] = m.live[--m.count];
        }
        assert_int_equal(bp_vblock_check(b), BP_OK);
        compare(b, &m);
    }
    assert_true(ok > 2000);
    assert_true(refused > 10); /* the run did reach a full block */
    while (m.count) assert_int_equal(bp_vblock_free(b, m.live[--m.count]), BP_OK);
    assert_int_equal(stats(b).largest_free, MODEL_SIZE);
    check_and_destroy(b);
}

static void test_random_against_byte_map(void **state) {
    (void)state;
    random_run(1);  /* exact bytes */
    random_run(16); /* the default granularity */
}

static void test_default_granularity(void **state) {
    (void)state;
    bp_vblock_desc d = {.size = 1000};
    bp_vblock *b;
    assert_int_equal(bp_vblock_create(&d, &b), BP_OK);
    bp_range r1 = alloc_ok(b, 5, 0), r2 = alloc_ok(b, 17, 1), r3 = alloc_ok(b, 1, 64);
    assert_int_equal(r1.offset, 0);
    assert_int_equal(r2.offset, 16);
    assert_int_equal(r3.offset, 64);
    assert_int_equal(stats(b).used_bytes, 16 + 32 + 16);
    assert_int_equal(stats(b).free_ranges, 2); /* 48..64 and 80..1000 */
    bp_range x;
    assert_int_equal(bp_vblock_alloc(b, 995, 0, &x), BP_ERR_CAPACITY); /* 1008 bytes occupied > 1000 */
    assert_int_equal(bp_vblock_free(b, (bp_range){r2.offset, 20, r2.id}), BP_ERR_FOREIGN_HANDLE);
    assert_int_equal(bp_vblock_free(b, r2), BP_OK);
    assert_int_equal(bp_vblock_free(b, r1), BP_OK);
    assert_int_equal(bp_vblock_free(b, r3), BP_OK);
    assert_int_equal(stats(b).largest_free, 1000);
    bp_vblock *bad = NULL;
    d.granularity = 24;
    assert_int_equal(bp_vblock_create(&d, &bad), BP_ERR_INVALID_ARGUMENT);
    d.granularity = 2048; /* above the size */
    assert_int_equal(bp_vblock_create(&d, &bad), BP_ERR_INVALID_ARGUMENT);
    assert_null(bad);
    check_and_destroy(b);
}

static void test_fixed_capacity_allocates_nothing(void **state) {
    (void)state;
    counting_alloc c = {0};
    enum { MAX = 100 };
    bp_vblock *b = make(1u << 20, MAX, &c, NULL);
    uint64_t after_create = c.allocs;
    assert_int_equal(after_create, 2);
    bp_range r[MAX];
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < MAX; i++) r[i] = alloc_ok(b, 1 + rnd() % 3000, 1ull << (rnd() % 8));
        bp_range x;
        assert_int_equal(bp_vblock_alloc(b, 1, 0, &x), BP_ERR_CAPACITY);
        assert_int_equal(bp_vblock_check(b), BP_OK);
        for (int i = 0; i < MAX; i++) { /* free in a shuffled order, every other first */
            int k = (i * 37) % MAX;
            assert_int_equal(bp_vblock_free(b, r[k]), BP_OK);
        }
    }
    assert_int_equal(c.allocs, after_create);
    assert_int_equal(c.frees, 0);
    check_and_destroy(b);
    assert_int_equal(c.frees, 2);
}

static void test_growing_storage(void **state) {
    (void)state;
    counting_alloc c = {0};
    bp_vblock *b = make(100000, 0, &c, NULL);
    static bp_range r[5000];
    for (int i = 0; i < 5000; i++) r[i] = alloc_ok(b, 20, 0);
    assert_true(c.allocs > 2); /* the node array doubled */
    assert_true(c.allocs < 2 + 10);
    for (int i = 0; i < 5000; i += 2) assert_int_equal(bp_vblock_free(b, r[i]), BP_OK);
    assert_int_equal(stats(b).free_ranges, 2500);
    assert_int_equal(bp_vblock_check(b), BP_OK);
    for (int i = 1; i < 5000; i += 2) assert_int_equal(bp_vblock_free(b, r[i]), BP_OK);
    assert_int_equal(stats(b).free_ranges, 1);
    check_and_destroy(b);
    assert_int_equal(c.frees, c.allocs);
}

static void test_exhausted_generation_retires(void **state) {
    (void)state;
    bpi_tlsf t;
    counting_alloc c = {0};
    assert_int_equal(bpi_tlsf_init(&t, 100, 0, ts_allocator(&c)), BP_OK);
    uint32_t n, m;
    char why[200];
    assert_int_equal(bpi_tlsf_alloc(&t, 100, 1, &n), BP_OK);
    t.nodes[n].generation = UINT32_MAX; /* as after 4 billion allocations of this node */
    bpi_tlsf_free(&t, n);
    assert_int_equal(bpi_tlsf_alloc(&t, 10, 1, &m), BP_OK);
    assert_true(m != n); /* another node stands in; n never gets generation 0 */
    assert_int_equal(t.nodes[m].generation, 1);
    assert_int_equal(t.retired, 1);
    assert_true(bpi_tlsf_check(&t, why, sizeof why));
    bpi_tlsf_free(&t, m);
    assert_true(bpi_tlsf_check(&t, why, sizeof why));
    bpi_tlsf_release(&t);
    assert_int_equal(c.frees, c.allocs);
}

/* bpi_tlsf_may_fit (the host blocks' skip test) may say yes when no range fits, never no when
 * one does: over a random run of allocations and frees in 1 MiB of sizes from 1 byte to 1 MiB
 * with alignments up to 4 KiB, every allocation it rules out fails, and it rules out a share of the
 * requests that fail (a test that never said no would not skip anything). */
static void test_may_fit_never_misses_a_fit(void **state) {
    (void)state;
    bpi_tlsf t;
    counting_alloc c = {0};
    assert_int_equal(bpi_tlsf_init(&t, 1u << 20, 0, ts_allocator(&c)), BP_OK); /* full often */
    enum { LIVE = 64, STEPS = 20000 };
    uint32_t live[LIVE];
    bool used[LIVE] = {false};
    uint64_t seed = 7, ruled_out = 0, failed = 0;
    for (int i = 0; i < STEPS; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t k = (uint32_t)(seed >> 33) % LIVE;
        if (used[k]) {
            bpi_tlsf_free(&t, live[k]);
            used[k] = false;
            continue;
        }
        uint64_t size = 1ull + ((seed >> 13) % (1u << (1u + (seed >> 40) % 20u)));
        uint64_t align = 1ull << ((seed >> 50) % 13u);
        bool may = bpi_tlsf_may_fit(t.fl_bitmap, size);
        bp_result r = bpi_tlsf_alloc(&t, size, align, &live[k]);
        if (!may) assert_int_not_equal(r, BP_OK);
        if (r != BP_OK) failed++, ruled_out += !may;
        else used[k] = true;
    }
    assert_true(failed > 0);
    assert_true(ruled_out > 0);
    char why[200];
    assert_true(bpi_tlsf_check(&t, why, sizeof why));
    for (int k = 0; k < LIVE; k++)
        if (used[k]) bpi_tlsf_free(&t, live[k]);
    assert_int_equal(t.used_count, 0);
    assert_false(bpi_tlsf_may_fit(0, 1));
    assert_true(bpi_tlsf_may_fit(t.fl_bitmap, 1u << 20));
    assert_false(bpi_tlsf_may_fit(t.fl_bitmap, 2u << 20));
    bpi_tlsf_release(&t);
    assert_int_equal(c.frees, c.allocs);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_offsets),
        cmocka_unit_test(test_coalescing_orders),
        cmocka_unit_test(test_alignment),
        cmocka_unit_test(test_out_of_space),
        cmocka_unit_test(test_bad_frees),
        cmocka_unit_test(test_create_arguments),
        cmocka_unit_test(test_leak_report),
        cmocka_unit_test(test_random_against_byte_map),
        cmocka_unit_test(test_default_granularity),
        cmocka_unit_test(test_fixed_capacity_allocates_nothing),
        cmocka_unit_test(test_growing_storage),
        cmocka_unit_test(test_exhausted_generation_retires),
        cmocka_unit_test(test_may_fit_never_misses_a_fit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
