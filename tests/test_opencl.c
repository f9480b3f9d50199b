/* The OpenCL backend on a real device (PoCL here): pooled cl_mem buffers that a kernel
 * reads and writes, uploads and downloads, reuse of the same cl_mem, budget from the device. */
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <stdio.h>

#include "bufpool_opencl.h"
#include "test_support.h"

static bp_backend backend;
static bp_opencl_desc cl;
static bool pool_owns_backend; /* a pool releases its backend at destruction */

static int make_backend(void **state) {
    (void)state;
    pool_owns_backend = false;
    return bp_opencl_backend_create_default(&backend, &cl) == BP_OK ? 0 : -1;
}

static int drop_backend(void **state) {
    (void)state;
    if (!pool_owns_backend) backend.release(backend.user);
    return 0;
}

static const char *kernel_src =
    "__kernel void add_one(__global float *x) { size_t i = get_global_id(0); x[i] = x[i] + 1.0f; }";

static void a_kernel_runs_on_a_pooled_buffer(void **state) {
    (void)state;
    bp_pool *pool;
    bp_pool_desc d = {.backend = &backend, .frames_in_flight = BP_IMMEDIATE_REUSE};
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    pool_owns_backend = true;
    enum { N = 4096 };
    static float in[N], out[N];
    for (int i = 0; i < N; i++) in[i] = (float)i * 0.5f;
    bp_acquire_desc ad = {.size = sizeof in, .usage = BP_USAGE_STORAGE, .tag = "cl_data"};
    bp_buffer b;
    assert_int_equal(bp_acquire(pool, &ad, &b), BP_OK);
    bp_buffer_info info;
    assert_int_equal(bp_buffer_get_info(pool, b, &info), BP_OK);
    assert_null(info.mapped);
    assert_true(info.native != 0);
    assert_int_equal(bp_upload(pool, b, 0, in, sizeof in), BP_OK);

    cl_int err;
    cl_program prog = clCreateProgramWithSource((cl_context)cl.context, 1, &kernel_src, NULL, &err);
    assert_int_equal(err, CL_SUCCESS);
    cl_device_id dev = (cl_device_id)cl.device;
    assert_int_equal(clBuildProgram(prog, 1, &dev, NULL, NULL, NULL), CL_SUCCESS);
    cl_kernel k = clCreateKernel(prog, "add_one", &err);
    assert_int_equal(err, CL_SUCCESS);
    cl_mem mem = (cl_mem)(uintptr_t)info.native;
    assert_int_equal(clSetKernelArg(k, 0, sizeof mem, &mem), CL_SUCCESS);
    size_t global = N;
    assert_int_equal(clEnqueueNDRangeKernel((cl_command_queue)cl.queue, k, 1, NULL, &global, NULL, 0, NULL, NULL),
                     CL_SUCCESS);
    assert_int_equal(clFinish((cl_command_queue)cl.queue), CL_SUCCESS);
    assert_int_equal(bp_download(pool, b, 0, out, sizeof out), BP_OK);
    for (int i = 0; i < N; i++) assert_true(out[i] == in[i] + 1.0f);
    clReleaseKernel(k);
    clReleaseProgram(prog);

    /* released and acquired again: the same cl_mem, no new device allocation */
    assert_int_equal(bp_release(pool, b), BP_OK);
    bp_buffer again;
    assert_int_equal(bp_acquire(pool, &ad, &again), BP_OK);
    bp_buffer_info info2;
    bp_buffer_get_info(pool, again, &info2);
    assert_true(info2.native == info.native);
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(s.backend_creates, 1);
    assert_int_equal(s.hits, 1);
    bp_release(pool, again);
    ts_check_and_destroy(pool);
}

static void host_visible_falls_back_and_transfers_work(void **state) {
    (void)state;
    bp_pool *pool;
    bp_pool_desc d = {.backend = &backend};
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    pool_owns_backend = true;
    bp_acquire_desc ad = {.size = 300, .memory = BP_MEMORY_HOST_VISIBLE};
    bp_buffer b;
    assert_int_equal(bp_acquire(pool, &ad, &b), BP_OK);
    bp_buffer_info info;
    bp_buffer_get_info(pool, b, &info);
    assert_int_equal(info.memory, BP_MEMORY_DEVICE_LOCAL); /* reported honestly */
    char msg[] = "pooled on an OpenCL device", back[sizeof msg] = {0};
    assert_int_equal(bp_upload(pool, b, 10, msg, sizeof msg), BP_OK);
    assert_int_equal(bp_download(pool, b, 10, back, sizeof msg), BP_OK);
    assert_string_equal(back, msg);
    assert_int_equal(bp_upload(pool, b, 290, msg, sizeof msg), BP_ERR_OUT_OF_RANGE);
    bp_release(pool, b);
    ts_check_and_destroy(pool);
}

static void bad_descs_are_refused(void **state) {
    (void)state;
    bp_backend be;
    bp_opencl_desc d = {0};
    assert_int_equal(bp_opencl_backend_create(&d, &be), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_opencl_backend_create(NULL, &be), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_opencl_backend_create_default(NULL, NULL), BP_ERR_INVALID_ARGUMENT);
}

int main(void) {
    bp_backend probe;
    bp_result r = bp_opencl_backend_create_default(&probe, NULL);
    if (r != BP_OK) {
        printf("SKIPPED: no OpenCL platform or device (%s)\n", bp_result_string(r));
        return 77;
    }
    probe.release(probe.user);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_kernel_runs_on_a_pooled_buffer, make_backend, drop_backend),
        cmocka_unit_test_setup_teardown(host_visible_falls_back_and_transfers_work, make_backend, drop_backend),
        cmocka_unit_test_setup_teardown(bad_descs_are_refused, make_backend, drop_backend),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
