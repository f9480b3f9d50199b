/* The CUDA backend on a real GPU: pooled device and pinned memory, transfers, reuse, budget.
 * Skips (exit 77) where no CUDA device exists, as on machines without a GPU. */
#include <stdio.h>

#include "bufpool_cuda.h"
#include "test_support.h"

static void each_memory_kind_round_trips(void **state) {
    (void)state;
    bp_backend be;
    assert_int_equal(bp_cuda_backend_create(NULL, &be), BP_OK);
    bp_pool *pool;
    bp_pool_desc d = {.backend = &be, .frames_in_flight = BP_IMMEDIATE_REUSE};
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    for (int m = 0; m < BP_MEMORY_COUNT; m++) {
        bp_acquire_desc ad = {.size = 1 << 20, .memory = (bp_memory)m};
        bp_buffer a, b;
        assert_int_equal(bp_acquire(pool, &ad, &a), BP_OK);
        static unsigned char in[1 << 20], out[1 << 20];
        for (size_t i = 0; i < sizeof in; i++) in[i] = (unsigned char)(i * 31 + (size_t)m);
        assert_int_equal(bp_upload(pool, a, 0, in, sizeof in), BP_OK);
        assert_int_equal(bp_download(pool, a, 0, out, sizeof out), BP_OK);
        assert_memory_equal(in, out, sizeof in);
        bp_buffer_info ia;
        bp_buffer_get_info(pool, a, &ia);
        assert_true(ia.native != 0);
        assert_true((m == BP_MEMORY_DEVICE_LOCAL) == (ia.mapped == NULL));
        bp_release(pool, a);
        assert_int_equal(bp_acquire(pool, &ad, &b), BP_OK);
        bp_buffer_info ib;
        bp_buffer_get_info(pool, b, &ib);
        assert_true(ib.native == ia.native); /* reused, not re-allocated */
        bp_release(pool, b);
    }
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(s.backend_creates, 3);
    ts_check_and_destroy(pool);
}

static void device_budget_is_read(void **state) {
    (void)state;
    bp_backend be;
    assert_int_equal(bp_cuda_backend_create(NULL, &be), BP_OK);
    bp_pool *pool;
    bp_pool_desc d = {.backend = &be, .use_device_budget = true};
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_true(s.budget_bytes > (1ull << 30));
    ts_check_and_destroy(pool);
}

int main(void) {
    bp_backend probe;
    bp_result r = bp_cuda_backend_create(NULL, &probe);
    if (r != BP_OK) {
        printf("SKIPPED: no CUDA device (%s); the CUDA backend compiled but cannot run here\n", bp_result_string(r));
        return 77;
    }
    probe.release(probe.user);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_memory_kind_round_trips),
        cmocka_unit_test(device_budget_is_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
