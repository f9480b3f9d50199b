/* Bad input to the Vulkan and OpenCL backends' public calls and to pools over them: NULLs,
 * absurd sizes, out-of-range transfers, overlapping copies, mismatched handles. The Vulkan
 * part runs with the validation layer on and fails on any message. Each part skips without
 * its device; the program skips (77) when neither exists. */
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <stdio.h>

#include "bufpool_opencl.h"
#include "vk_test_support.h"

static bool have_cl;

static bp_buffer acquire(bp_pool *pool, uint64_t size, bp_memory memory) {
    bp_acquire_desc d = {.size = size, .memory = memory, .usage = BP_USAGE_TRANSFER_SRC | BP_USAGE_TRANSFER_DST};
    bp_buffer b;
    assert_int_equal(bp_acquire(pool, &d, &b), BP_OK);
    return b;
}

static void fill(uint8_t *p, size_t n, uint32_t seed) {
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)((i * 2654435761u + seed) >> 13);
}

/* ---- Vulkan ---------------------------------------------------------------------------- */

static void vk_null_and_missing_arguments(void **state) {
    (void)state;
    if (!vk_ctx) skip();
    bp_vulkan_desc d = {0};
    bp_vulkan_desc_from_context(vk_ctx, &d);
    bp_backend be;
    bp_vulkan_backend *vk = (bp_vulkan_backend *)(uintptr_t)1;
    assert_int_equal(bp_vulkan_backend_create(NULL, &be, &vk), BP_ERR_INVALID_ARGUMENT);
    assert_null(vk);
    assert_int_equal(bp_vulkan_backend_create(&d, NULL, NULL), BP_ERR_INVALID_ARGUMENT);
    bp_vulkan_desc bad = d;
    bad.device = VK_NULL_HANDLE;
    assert_int_equal(bp_vulkan_backend_create(&bad, &be, NULL), BP_ERR_INVALID_ARGUMENT);
    bad = d;
    bad.frames_in_flight = BP_VULKAN_MAX_FRAMES + 1;
    assert_int_equal(bp_vulkan_backend_create(&bad, &be, NULL), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_vulkan_submit_uploads(NULL), BP_ERR_INVALID_ARGUMENT);
    bp_vulkan_get_stats(NULL, NULL);
    bp_vulkan_stats st;
    bp_vulkan_get_stats(NULL, &st);
    assert_int_equal(bp_vulkan_context_messages(NULL), 0);
    assert_int_equal(bp_vulkan_context_create_headless(NULL, NULL), BP_ERR_INVALID_ARGUMENT);
    bp_vulkan_desc_from_context(NULL, &d);
    bp_vulkan_desc_from_context(vk_ctx, NULL);
    bp_vulkan_context_destroy(NULL);
    assert_int_equal(bp_vulkan_context_messages(vk_ctx), 0);
}

/* A queue family the device does not have is refused before any Vulkan call uses it. */
static void vk_queue_family_out_of_range(void **state) {
    (void)state;
    if (!vk_ctx) skip();
    bp_vulkan_desc d = {0};
    bp_vulkan_desc_from_context(vk_ctx, &d);
    d.queue_family = 1000;
    bp_backend be;
    assert_int_equal(bp_vulkan_backend_create(&d, &be, NULL), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_vulkan_context_messages(vk_ctx), 0);
}

/* staging_bytes near UINT64_MAX must not wrap (to a zero-sized ring) when rounded or
 * multiplied by frames_in_flight. */
static void vk_absurd_staging_bytes(void **state) {
    (void)state;
    if (!vk_ctx) skip();
    const uint64_t sizes[] = {UINT64_MAX, UINT64_MAX - 100, UINT64_MAX / 2 + 1, UINT64_MAX / 3, (uint64_t)1 << 50};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        bp_vulkan_desc d = {.staging_bytes = sizes[i], .frames_in_flight = 3};
        bp_vulkan_desc_from_context(vk_ctx, &d);
        bp_backend be;
        bp_vulkan_backend *vk = (bp_vulkan_backend *)(uintptr_t)1;
        bp_result r = bp_vulkan_backend_create(&d, &be, &vk);
        if (r == BP_OK) be.release(be.user);
        assert_int_not_equal(r, BP_OK);
        assert_null(vk);
        assert_int_equal(bp_vulkan_context_messages(vk_ctx), 0);
    }
}

static void vk_pool_transfers_out_of_range(void **state) {
    (void)state;
    if (!vk_ctx) skip();
    bp_vulkan_desc vd = {.staging_bytes = 4096};
    bp_pool *pool = vk_pool(NULL, &vd, NULL);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    uint8_t tmp[64] = {0};
    for (int m = 0; m < BP_MEMORY_COUNT; m++) {
        bp_buffer b = acquire(pool, 1024, (bp_memory)m);
        assert_int_equal(bp_upload(pool, b, UINT64_MAX, tmp, 1), BP_ERR_OUT_OF_RANGE);
        assert_int_not_equal(bp_upload(pool, b, 8, tmp, UINT64_MAX - 4), BP_OK);
        assert_int_equal(bp_upload(pool, b, 1020, tmp, 8), BP_ERR_OUT_OF_RANGE);
        assert_int_equal(bp_upload(pool, b, 0, tmp, 0), BP_ERR_INVALID_SIZE);
        assert_int_not_equal(bp_upload(pool, b, 0, NULL, 4), BP_OK);
        assert_int_equal(bp_download(pool, b, UINT64_MAX, tmp, 1), BP_ERR_OUT_OF_RANGE);
        assert_int_not_equal(bp_download(pool, b, 1, tmp, UINT64_MAX), BP_OK);
        assert_int_not_equal(bp_download(pool, b, 0, NULL, 4), BP_OK);
        assert_int_not_equal(bp_copy(pool, b, UINT64_MAX, b, 0, 2), BP_OK);
        assert_int_not_equal(bp_copy(pool, b, 0, b, 1000, 100), BP_OK);
        assert_int_not_equal(bp_copy(pool, b, 0, b, 0, 0), BP_OK);
        assert_int_not_equal(bp_flush(pool, b, UINT64_MAX, 2), BP_OK);
        assert_int_not_equal(bp_invalidate(pool, b, 1000, UINT64_MAX), BP_OK);
        assert_int_equal(bp_release(pool, b), BP_OK);
    }
    bp_acquire_desc ad = {.size = UINT64_MAX};
    bp_buffer b;
    assert_int_not_equal(bp_acquire(pool, &ad, &b), BP_OK);
    ad.size = (uint64_t)1 << 62;
    assert_int_not_equal(bp_acquire(pool, &ad, &b), BP_OK);
    ad.size = 16;
    ad.memory = (bp_memory)7;
    assert_int_not_equal(bp_acquire(pool, &ad, &b), BP_OK);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    vk_check_and_destroy(pool);
}

/* bp_acquire_upload of more than a staging region (chunked), and of more than desc->size. */
static void vk_acquire_upload_larger_than_staging(void **state) {
    (void)state;
    if (!vk_ctx) skip();
    bp_vulkan_desc vd = {.staging_bytes = 4096};
    bp_pool *pool = vk_pool(NULL, &vd, NULL);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    const size_t n = 50000;
    uint8_t *src = malloc(n), *back = malloc(n);
    fill(src, n, 3);
    bp_acquire_desc ad = {.size = n, .memory = BP_MEMORY_DEVICE_LOCAL, .usage = BP_USAGE_STORAGE};
    bp_buffer b = {0};
    assert_int_equal(bp_acquire_upload(pool, &ad, src, n + 1, &b), BP_ERR_OUT_OF_RANGE);
    assert_int_equal(bp_acquire_upload(pool, &ad, NULL, n, &b), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_acquire_upload(pool, &ad, src, n, &b), BP_OK);
    assert_int_equal(bp_download(pool, b, 0, back, n), BP_OK);
    assert_memory_equal(src, back, n);
    assert_int_equal(bp_release(pool, b), BP_OK);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    free(src);
    free(back);
    vk_check_and_destroy(pool);
}

/* Copies within one buffer whose ranges overlap behave like memmove in every memory kind,
 * and record no overlapping vkCmdCopyBuffer regions (a validation error). */
static void vk_overlapping_copy_in_one_buffer(void **state) {
    (void)state;
    if (!vk_ctx) skip();
    bp_pool *pool = vk_pool(NULL, NULL, NULL);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    enum { N = 4096 };
    static uint8_t src[N], want[N], back[N];
    const uint64_t cases[][3] = {{0, 100, 3000}, {100, 0, 3000}, {0, 1, 2048}, {7, 0, 4000}};
    for (int m = 0; m < BP_MEMORY_COUNT; m++) {
        for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
            bp_buffer b = acquire(pool, N, (bp_memory)m);
            fill(src, N, (uint32_t)(m * 10 + c));
            assert_int_equal(bp_upload(pool, b, 0, src, N), BP_OK);
            memcpy(want, src, N);
            memmove(want + cases[c][1], want + cases[c][0], cases[c][2]);
            assert_int_equal(bp_copy(pool, b, cases[c][0], b, cases[c][1], cases[c][2]), BP_OK);
            assert_int_equal(bp_download(pool, b, 0, back, N), BP_OK);
            assert_memory_equal(want, back, N);
            assert_int_equal(bp_release(pool, b), BP_OK);
        }
    }
    assert_int_equal(bp_frame_end(pool), BP_OK);
    vk_check_and_destroy(pool);
}

/* ---- OpenCL ---------------------------------------------------------------------------- */

static void cl_null_arguments(void **state) {
    (void)state;
    if (!have_cl) skip();
    bp_backend be;
    bp_opencl_desc d = {0};
    assert_int_equal(bp_opencl_backend_create(NULL, &be), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_opencl_backend_create(&d, NULL), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_opencl_backend_create(&d, &be), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_opencl_backend_create_default(NULL, NULL), BP_ERR_INVALID_ARGUMENT);
    bp_opencl_desc got;
    assert_int_equal(bp_opencl_backend_create_default(&be, &got), BP_OK);
    d = got;
    d.queue = NULL;
    bp_backend be2;
    assert_int_equal(bp_opencl_backend_create(&d, &be2), BP_ERR_INVALID_ARGUMENT);
    be.release(be.user);
}

/* A queue of another context (or for another device than `device`) is refused. */
static void cl_queue_of_another_context(void **state) {
    (void)state;
    if (!have_cl) skip();
    bp_backend a, b;
    bp_opencl_desc da, db;
    assert_int_equal(bp_opencl_backend_create_default(&a, &da), BP_OK);
    assert_int_equal(bp_opencl_backend_create_default(&b, &db), BP_OK);
    bp_opencl_desc mixed = {da.context, da.device, db.queue};
    bp_backend c;
    assert_int_equal(bp_opencl_backend_create(&mixed, &c), BP_ERR_INVALID_ARGUMENT);
    a.release(a.user);
    b.release(b.user);
}

static void cl_pool_transfers(void **state) {
    (void)state;
    if (!have_cl) skip();
    bp_backend be;
    assert_int_equal(bp_opencl_backend_create_default(&be, NULL), BP_OK);
    bp_pool_desc pd = {.backend = &be, .frames_in_flight = BP_IMMEDIATE_REUSE};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&pd, &pool), BP_OK);
    enum { N = 4096 };
    static uint8_t src[N], want[N], back[N];
    bp_buffer b = acquire(pool, N, BP_MEMORY_DEVICE_LOCAL);
    assert_int_equal(bp_upload(pool, b, UINT64_MAX, src, 1), BP_ERR_OUT_OF_RANGE);
    assert_int_not_equal(bp_upload(pool, b, 8, src, UINT64_MAX - 4), BP_OK);
    assert_int_not_equal(bp_download(pool, b, 0, NULL, 4), BP_OK);
    assert_int_not_equal(bp_copy(pool, b, UINT64_MAX, b, 0, 2), BP_OK);
    bp_acquire_desc ad = {.size = UINT64_MAX};
    bp_buffer x;
    assert_int_not_equal(bp_acquire(pool, &ad, &x), BP_OK);
    /* overlapping copy in one buffer: memmove semantics */
    const uint64_t cases[][3] = {{0, 100, 3000}, {100, 0, 3000}, {0, 1, 2048}};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        fill(src, N, (uint32_t)c);
        assert_int_equal(bp_upload(pool, b, 0, src, N), BP_OK);
        memcpy(want, src, N);
        memmove(want + cases[c][1], want + cases[c][0], cases[c][2]);
        assert_int_equal(bp_copy(pool, b, cases[c][0], b, cases[c][1], cases[c][2]), BP_OK);
        assert_int_equal(bp_download(pool, b, 0, back, N), BP_OK);
        assert_memory_equal(want, back, N);
    }
    assert_int_equal(bp_release(pool, b), BP_OK);
    ts_check_and_destroy(pool);
}

int main(void) {
    int vk = vk_open_or_skip();
    if (vk == 1) return 1;
    bp_backend probe;
    have_cl = bp_opencl_backend_create_default(&probe, NULL) == BP_OK;
    if (have_cl) probe.release(probe.user);
    else printf("no OpenCL device: the OpenCL part skips\n");
    if (!vk_ctx && !have_cl) return VK_SKIP_CODE;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vk_null_and_missing_arguments),
        cmocka_unit_test(vk_queue_family_out_of_range),
        cmocka_unit_test(vk_absurd_staging_bytes),
        cmocka_unit_test(vk_pool_transfers_out_of_range),
        cmocka_unit_test(vk_acquire_upload_larger_than_staging),
        cmocka_unit_test(vk_overlapping_copy_in_one_buffer),
        cmocka_unit_test(cl_null_arguments),
        cmocka_unit_test(cl_queue_of_another_context),
        cmocka_unit_test(cl_pool_transfers),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    bp_vulkan_context_destroy(vk_ctx);
    return failed;
}
