/* Host-metadata out-of-memory sweep: the pool's allocator fails its k-th call, for every k
 * of pool creation and of a scenario that grows the handle table, creates buckets for new
 * (memory, usage, alignment) groups, grows the owner table and evicts under a budget. Every
 * failure returns BP_ERR_OUT_OF_MEMORY and changes nothing; nothing leaks. */
#include "fault_support.h"

typedef struct rig {
    failing_alloc alloc;
    fs_run run;
} rig;

static const bp_capacity_entry warm[] = {
    {.size = 512, .count = 2},
    {.size = 4096, .count = 1, .memory = BP_MEMORY_HOST_VISIBLE, .usage = BP_USAGE_INDEX},
};

/* Eviction: release the 20 lowest-priority owners. */
static void evict_lowest(void *user, bp_pool *pool, uint64_t bytes_needed, const uint64_t *owners, uint32_t count) {
    (void)user;
    (void)bytes_needed;
    for (uint32_t i = 0; i < count && i < 20; i++) bp_owner_release(pool, owners[i], NULL);
}

static bp_result rig_open(rig *rg, uint64_t fail_at) {
    memset(rg, 0, sizeof *rg);
    rg->run.allowed = 1u << BP_ERR_OUT_OF_MEMORY;
    bp_backend inner = fs_inner_backend(false), wrapped;
    assert_int_equal(bp_fault_create(&inner, NULL, &rg->run.fault), BP_OK);
    bp_fault_backend(rg->run.fault, &wrapped);
    fa_arm(&rg->alloc, fail_at);
    bp_pool_desc pd = {.backend = &wrapped,
                       .allocator = fa_allocator(&rg->alloc),
                       .capacity_mode = BP_CAPACITY_HIGH_WATER,
                       .capacity_table = warm,
                       .capacity_table_count = 2,
                       .frames_in_flight = BP_IMMEDIATE_REUSE,
                       .series_frames = 32,
                       .evict = evict_lowest};
    rg->run.pool = (bp_pool *)rg;
    return bp_pool_create(&pd, &rg->run.pool);
}

static void rig_close(rig *rg) {
    ts_check_and_destroy(rg->run.pool);
    bp_fault_stats f;
    bp_fault_get_stats(rg->run.fault, &f);
    assert_int_equal(f.live_buffers, 0);
    bp_fault_destroy(rg->run.fault);
    assert_int_equal(rg->alloc.allocs, rg->alloc.frees);
}


static void scenario(rig *rg) {
    bp_buffer held[80];
    uint32_t n = 0;
    /* 80 held buffers (the handle table grows past 64) in 12 groups, 60 owners (the owner
     * table grows past 48), some with priorities */
    for (uint32_t i = 0; i < 80; i++) {
        bp_acquire_desc d = {.size = 64 + i * 40,
                             .memory = (bp_memory)(i % 3),
                             .usage = (i / 3) % 2 ? BP_USAGE_VERTEX : 0,
                             .alignment = (i / 6) % 2 ? 256 : 0,
                             .owner = i < 60 ? i + 1 : 0};
        if (i % 10 == 0) FS_STEP(&rg->run, bp_owner_set_priority(rg->run.pool, i % 20 ? i + 1 : 1000 + i, (float)i));
        if (FS_STEP(&rg->run, bp_acquire(rg->run.pool, &d, &held[n])) == BP_OK) n++;
    }
    bp_owner_usage usage[8];
    uint32_t count;
    FS_STEP(&rg->run, bp_calculate_owners(rg->run.pool, usage, 8, &count));
    /* over budget: pooled buffers are trimmed, then owners evicted lowest priority first */
    for (uint32_t i = 0; i < 10 && i < n; i++) FS_STEP(&rg->run, bp_release(rg->run.pool, held[i]));
    bp_stats st;
    bp_get_stats(rg->run.pool, &st);
    FS_STEP(&rg->run, bp_set_budget(rg->run.pool, st.bytes_reserved));
    bp_acquire_desc big = {.size = 20000, .owner = 999};
    bp_buffer b;
    FS_STEP(&rg->run, bp_acquire(rg->run.pool, &big, &b));
    FS_STEP(&rg->run, bp_set_budget(rg->run.pool, 0));
    for (uint32_t i = 60; i < n; i++) FS_STEP(&rg->run, bp_owner_release(rg->run.pool, i + 1, NULL));
    for (uint32_t i = 0; i < 62; i++) FS_STEP(&rg->run, bp_owner_release(rg->run.pool, i + 1, NULL));
    FS_STEP(&rg->run, bp_owner_release(rg->run.pool, 999, NULL));
    for (uint32_t i = 60; i < n; i++) bp_release(rg->run.pool, held[i]);
}

static void still_works(rig *rg) {
    fa_arm(&rg->alloc, 0);
    bp_acquire_desc d = {.size = 100, .memory = BP_MEMORY_HOST_CACHED, .usage = BP_USAGE_STORAGE, .owner = 77};
    bp_buffer b;
    assert_int_equal(bp_acquire(rg->run.pool, &d, &b), BP_OK);
    assert_int_equal(bp_owner_release(rg->run.pool, 77, NULL), BP_OK);
    assert_false(bp_buffer_is_valid(rg->run.pool, b));
}

static void pool_creation(void **state) {
    (void)state;
    uint64_t k = 1;
    for (;; k++) {
        rig rg;
        bp_result r = rig_open(&rg, k);
        if (r == BP_OK) {
            rig_close(&rg);
            break;
        }
        assert_int_equal(r, BP_ERR_OUT_OF_MEMORY);
        assert_null(rg.run.pool);
        assert_int_equal(rg.alloc.failed, 1);
        assert_int_equal(rg.alloc.allocs, rg.alloc.frees);
        bp_fault_stats f;
        bp_fault_get_stats(rg.run.fault, &f);
        assert_int_equal(f.live_buffers, 0);
        assert_int_equal(f.released, 1);
        bp_fault_destroy(rg.run.fault);
    }
    assert_true(k > 4); /* pool, classes, slots, buckets of two groups */
}

static void every_allocation_of_a_scenario(void **state) {
    (void)state;
    rig rg;
    assert_int_equal(rig_open(&rg, 0), BP_OK);
    fa_arm(&rg.alloc, 0);
    scenario(&rg);
    uint64_t n = rg.alloc.calls;
    assert_int_equal(rg.run.failures, 0);
    rig_close(&rg);
    print_message("sweeping %llu host allocations\n", (unsigned long long)n);
    assert_true(n >= 10); /* slots, buckets of new groups, owner tables, eviction lists */
    for (uint64_t k = 1; k <= n; k++) {
        assert_int_equal(rig_open(&rg, 0), BP_OK);
        fa_arm(&rg.alloc, k);
        scenario(&rg);
        if (rg.alloc.failed != 1 || rg.run.failures != 1)
            fail_msg("allocation %llu of %llu: %llu failed, %u API errors", (unsigned long long)k,
                     (unsigned long long)n, (unsigned long long)rg.alloc.failed, rg.run.failures);
        still_works(&rg);
        rig_close(&rg);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pool_creation),
        cmocka_unit_test(every_allocation_of_a_scenario),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
