/* Backend fault sweep: a scenario is run once to count its backend calls, then once per call
 * with exactly that call failing. After every failure: the API call returned an error and
 * changed nothing, reserved bytes equal what the backend holds alive, the invariant walker
 * passes, the pool still works, and after destruction nothing has leaked. */
#include "fault_support.h"

typedef struct rig {
    counting_alloc alloc;
    fs_run run;
} rig;

static void rig_open(rig *rg, bool staging, const bp_fault_desc *fd, const bp_pool_desc *base) {
    memset(rg, 0, sizeof *rg);
    rg->run.allowed = (1u << BP_ERR_OUT_OF_MEMORY) | (1u << BP_ERR_BACKEND);
    bp_backend inner = fs_inner_backend(staging), wrapped;
    assert_int_equal(bp_fault_create(&inner, fd, &rg->run.fault), BP_OK);
    bp_fault_backend(rg->run.fault, &wrapped);
    bp_pool_desc pd = base ? *base : (bp_pool_desc){0};
    pd.backend = &wrapped;
    pd.allocator = ts_allocator(&rg->alloc);
    pd.frames_in_flight = pd.frames_in_flight ? pd.frames_in_flight : 1;
    if (staging) pd.guard_bytes = 24; /* guards on: reserved bytes include them, still exact */
    assert_int_equal(bp_pool_create(&pd, &rg->run.pool), BP_OK);
}

/* Destroy everything and prove nothing leaked. */
static void rig_close(rig *rg) {
    ts_check_and_destroy(rg->run.pool);
    bp_fault_stats f;
    bp_fault_get_stats(rg->run.fault, &f);
    assert_int_equal(f.live_buffers, 0);
    assert_int_equal(f.live_bytes, 0);
    assert_int_equal(f.creates, f.destroys);
    assert_int_equal(f.released, 1);
    assert_int_equal(rg->alloc.allocs, rg->alloc.frees);
    bp_fault_destroy(rg->run.fault);
}

/* The end of one API call: an error must be a backend one and must have changed nothing. */

static void fill(uint8_t *p, size_t n, uint32_t salt) {
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(i * 31u + salt);
}

/* Use a buffer: upload, download and compare (when both worked), flush, invalidate, copy. */
static void use(rig *rg, bp_buffer b, uint64_t size, uint32_t salt) {
    uint8_t data[256], back[256];
    size_t n = size < sizeof data ? (size_t)size : sizeof data;
    fill(data, n, salt);
    bp_result up = FS_STEP(&rg->run, bp_upload(rg->run.pool, b, 0, data, n));
    bp_result down = FS_STEP(&rg->run, bp_download(rg->run.pool, b, 0, back, n));
    if (up == BP_OK && down == BP_OK) assert_memory_equal(data, back, n);
    FS_STEP(&rg->run, bp_flush(rg->run.pool, b, 0, n));
    FS_STEP(&rg->run, bp_invalidate(rg->run.pool, b, 0, n));
    if (size >= 64) FS_STEP(&rg->run, bp_copy(rg->run.pool, b, 0, b, 32, 32)); /* copy, or invalidate + flush */
}

/* Frames with transient buffers (owned), held buffers released a frame later, owned buffers
 * released through their owner, over three memory kinds and a stricter alignment. */
static void scenario(rig *rg) {
    static const uint64_t sizes[] = {100, 5000, 70000, 24, 4096, 300000, 777};
    bp_buffer held[64];
    uint32_t held_count = 0, released_upto = 0;
    for (uint32_t f = 0; f < 5; f++) {
        FS_STEP(&rg->run, bp_frame_begin(rg->run.pool));
        for (uint32_t i = 0; i < 6; i++) {
            uint32_t kind = i % 3;
            bp_acquire_desc d = {.size = sizes[(f * 3 + i) % 7],
                                 .memory = (bp_memory)((f + i) % BP_MEMORY_COUNT),
                                 .flags = kind == 0 ? BP_ACQUIRE_TRANSIENT : 0,
                                 .owner = kind == 1 ? 0 : 100 + f,
                                 .alignment = i == 4 ? 4096 : 0,
                                 .tag = "sweep"};
            bp_buffer b;
            if (FS_STEP(&rg->run, bp_acquire(rg->run.pool, &d, &b)) != BP_OK) {
                assert_int_equal(b.id, 0);
                continue;
            }
            use(rg, b, d.size, f * 8 + i);
            if (kind == 1) held[held_count++] = b;
        }
        while (released_upto < held_count && released_upto + 2 < held_count)
            FS_STEP(&rg->run, bp_release(rg->run.pool, held[released_upto++]));
        if (f > 0) FS_STEP(&rg->run, bp_owner_release(rg->run.pool, 100 + f - 1, NULL));
        FS_STEP(&rg->run, bp_frame_end(rg->run.pool));
    }
    while (released_upto < held_count) FS_STEP(&rg->run, bp_release(rg->run.pool, held[released_upto++]));
    FS_STEP(&rg->run, bp_owner_release(rg->run.pool, 104, NULL));
}

/* With failures off again, the pool serves, uses and takes back a buffer. */
static void still_works(rig *rg) {
    assert_int_equal(bp_fault_arm(rg->run.fault, NULL), BP_OK);
    bp_acquire_desc d = {.size = 123456, .memory = BP_MEMORY_HOST_CACHED};
    bp_buffer b;
    assert_int_equal(bp_acquire(rg->run.pool, &d, &b), BP_OK);
    uint8_t data[64], back[64];
    fill(data, sizeof data, 7);
    assert_int_equal(bp_upload(rg->run.pool, b, 1000, data, sizeof data), BP_OK);
    assert_int_equal(bp_download(rg->run.pool, b, 1000, back, sizeof back), BP_OK);
    assert_memory_equal(data, back, sizeof data);
    assert_int_equal(bp_release(rg->run.pool, b), BP_OK);
    fs_assert_exact(rg->run.pool, rg->run.fault);
}

static uint64_t count_calls(bool staging) {
    rig rg;
    rig_open(&rg, staging, NULL, NULL);
    assert_int_equal(bp_fault_arm(rg.run.fault, &(bp_fault_desc){.ops = BP_FAULT_ALL}), BP_OK);
    scenario(&rg);
    bp_fault_stats f;
    bp_fault_get_stats(rg.run.fault, &f);
    assert_int_equal(rg.run.failures, 0);
    rig_close(&rg);
    return f.calls;
}

static void sweep(bool staging) {
    uint64_t n = count_calls(staging);
    assert_true(n > 60); /* creates, flushes, invalidates (and uploads/downloads with staging) */
    print_message("sweeping %llu backend calls\n", (unsigned long long)n);
    for (uint64_t k = 1; k <= n; k++) {
        rig rg;
        rig_open(&rg, staging, NULL, NULL);
        assert_int_equal(bp_fault_arm(rg.run.fault, &(bp_fault_desc){.ops = BP_FAULT_ALL, .fail_at = k}), BP_OK);
        scenario(&rg);
        bp_fault_stats f;
        bp_fault_get_stats(rg.run.fault, &f);
        if (f.injected != 1 || rg.run.failures != 1)
            fail_msg("call %llu of %llu: %llu injected, %u API errors", (unsigned long long)k,
                     (unsigned long long)n, (unsigned long long)f.injected, rg.run.failures);
        still_works(&rg);
        rig_close(&rg);
    }
}

static void sweep_every_call_host(void **state) {
    (void)state;
    sweep(false);
}

static void sweep_every_call_staging(void **state) {
    (void)state;
    sweep(true);
}

/* Every k-th call, and seeded random failures: each injected failure is one API error. */
static void every_kth_and_random(void **state) {
    (void)state;
    const bp_fault_desc modes[] = {
        {.ops = BP_FAULT_ALL, .fail_every = 2},
        {.ops = BP_FAULT_ALL, .fail_every = 5, .error = BP_ERR_BACKEND},
        {.ops = BP_FAULT_CREATE, .fail_every = 1},
        {.ops = BP_FAULT_ALL, .probability = 0.3, .seed = 42},
        {.ops = BP_FAULT_UPLOAD | BP_FAULT_DOWNLOAD, .probability = 0.5, .seed = 7},
    };
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        rig rg;
        rig_open(&rg, true, NULL, NULL);
        assert_int_equal(bp_fault_arm(rg.run.fault, &modes[m]), BP_OK);
        scenario(&rg);
        bp_fault_stats f;
        bp_fault_get_stats(rg.run.fault, &f);
        assert_true(f.injected > 0);
        assert_int_equal(rg.run.failures, f.injected);
        still_works(&rg);
        rig_close(&rg);
    }
}

/* The same seed fails the same calls. */
static void random_failures_repeat(void **state) {
    (void)state;
    uint64_t injected[2];
    bp_stats st[2];
    for (int run = 0; run < 2; run++) {
        rig rg;
        rig_open(&rg, false, NULL, NULL);
        assert_int_equal(
            bp_fault_arm(rg.run.fault, &(bp_fault_desc){.ops = BP_FAULT_ALL, .probability = 0.25, .seed = 99}), BP_OK);
        scenario(&rg);
        bp_fault_stats f;
        bp_fault_get_stats(rg.run.fault, &f);
        injected[run] = f.injected;
        bp_get_stats(rg.run.pool, &st[run]);
        rig_close(&rg);
    }
    assert_int_equal(injected[0], injected[1]);
    assert_memory_equal(&st[0], &st[1], sizeof st[0]);
}

/* Pool creation that preallocates: each failing create fails the whole creation cleanly. */
static void sweep_preallocation(void **state) {
    (void)state;
    const bp_capacity_entry table[] = {
        {.size = 1000, .count = 2},
        {.size = 65536, .count = 1, .memory = BP_MEMORY_HOST_VISIBLE},
        {.size = 300, .count = 3, .memory = BP_MEMORY_HOST_CACHED, .usage = BP_USAGE_UNIFORM},
    };
    for (int mode = 0; mode < 2; mode++) {
        for (uint64_t k = 1;; k++) {
            counting_alloc ca = {0};
            bp_backend inner = fs_inner_backend(false), wrapped;
            bp_fault *fault;
            assert_int_equal(bp_fault_create(&inner, &(bp_fault_desc){.fail_at = k}, &fault), BP_OK);
            bp_fault_backend(fault, &wrapped);
            bp_pool_desc pd = {.backend = &wrapped,
                               .allocator = ts_allocator(&ca),
                               .capacity_mode = mode ? BP_CAPACITY_FIXED : BP_CAPACITY_HIGH_WATER,
                               .capacity_table = table,
                               .capacity_table_count = 3};
            bp_pool *pool = (bp_pool *)&ca;
            bp_result r = bp_pool_create(&pd, &pool);
            bp_fault_stats f;
            bp_fault_get_stats(fault, &f);
            if (r == BP_OK) {
                assert_int_equal(k, 7); /* 6 buffers, then the 7th create is never asked for */
                assert_int_equal(f.live_buffers, 6);
                ts_check_and_destroy(pool);
                bp_fault_destroy(fault);
                assert_int_equal(ca.allocs, ca.frees);
                break;
            }
            assert_int_equal(r, BP_ERR_OUT_OF_MEMORY);
            assert_null(pool);
            assert_int_equal(f.live_buffers, 0);
            assert_int_equal(f.released, 1);
            assert_int_equal(ca.allocs, ca.frees);
            bp_fault_destroy(fault);
        }
    }
}

/* A failing query_caps is a missing one: the pool takes the defaults and works. */
static void failing_query_caps_means_defaults(void **state) {
    (void)state;
    rig rg;
    rig_open(&rg, false, &(bp_fault_desc){.ops = BP_FAULT_QUERY_CAPS, .fail_every = 1}, NULL);
    bp_fault_stats f;
    bp_fault_get_stats(rg.run.fault, &f);
    assert_int_equal(f.injected, 1);
    still_works(&rg);
    rig_close(&rg);
}

static void wrapper_arguments(void **state) {
    (void)state;
    bp_fault *f = (bp_fault *)1;
    bp_backend bad = {0}, host;
    bp_host_backend(NULL, &host);
    assert_int_equal(bp_fault_create(&bad, NULL, &f), BP_ERR_INVALID_ARGUMENT);
    assert_null(f);
    assert_int_equal(bp_fault_create(NULL, NULL, &f), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_fault_create(&host, NULL, NULL), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_fault_create(&host, &(bp_fault_desc){.probability = 2}, &f), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_fault_create(&host, NULL, &f), BP_OK);
    bp_backend table;
    bp_fault_backend(f, &table);
    assert_null(table.upload); /* the host backend has none: the pool's memcpy fallback stays */
    assert_non_null(table.flush);
    bp_fault_destroy(f); /* never used by a pool: releases the wrapped backend itself */
    bp_fault_destroy(NULL);
    bp_fault_stats s;
    bp_fault_get_stats(NULL, &s);
    assert_int_equal(s.calls, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sweep_every_call_host),
        cmocka_unit_test(sweep_every_call_staging),
        cmocka_unit_test(every_kth_and_random),
        cmocka_unit_test(random_failures_repeat),
        cmocka_unit_test(sweep_preallocation),
        cmocka_unit_test(failing_query_caps_means_defaults),
        cmocka_unit_test(wrapper_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
