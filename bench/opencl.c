/* OpenCL: a pool hit against what a program does without a pool, per request: clCreateBuffer
 * and clReleaseMemObject, with the flags the pool's buffers get (CL_MEM_READ_WRITE), on the
 * first device of the first platform (PoCL here, a GPU's driver where there is one). */
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <stdio.h>
#include <string.h>

#include "bufpool_opencl.h"
#include "device.h"

typedef struct raw_cl {
    bp_opencl_desc desc; /* the context every pool and the raw path share */
} raw_cl;

static raw_cl g_cl;

static bool cl_make_pool(void *user, const bp_pool_desc *in, uint64_t block_size, bp_pool **out) {
    (void)block_size; /* no block mode: one cl_mem per buffer */
    bp_backend be;
    bp_result r = bp_opencl_backend_create(&((raw_cl *)user)->desc, &be);
    if (r != BP_OK) return fprintf(stderr, "bufpool_bench: OpenCL backend: %s\n", bp_result_string(r)), false;
    return device_pool_create("OpenCL", &be, in, out);
}

static cl_mem raw_create(const raw_cl *r, size_t size) {
    cl_int err;
    cl_mem m = clCreateBuffer((cl_context)r->desc.context, CL_MEM_READ_WRITE, size, NULL, &err);
    return err == CL_SUCCESS ? m : NULL;
}

static bool cl_raw_pair(void *user, size_t size) {
    cl_mem m = raw_create(user, size);
    return m && clReleaseMemObject(m) == CL_SUCCESS;
}

/* The replay's raw contender: a token is the cl_mem itself. */
static uint64_t raw_acquire(void *ctx, size_t size) { return (uint64_t)(uintptr_t)raw_create(ctx, size); }
static void raw_release(void *ctx, uint64_t t) {
    (void)ctx;
    clReleaseMemObject((cl_mem)(uintptr_t)t);
}
static size_t raw_usable(void *ctx, uint64_t t) {
    (void)ctx;
    size_t size = 0;
    clGetMemObjectInfo((cl_mem)(uintptr_t)t, CL_MEM_SIZE, sizeof size, &size, NULL);
    return size;
}
static bool raw_open(contender *c) { return c->ctx != NULL; }
static void raw_close(contender *c) { (void)c; }

static bool cl_pool_open(contender *c) {
    bp_pool *pool;
    if (!cl_make_pool(&g_cl, &c->pool_desc, 0, &pool)) return false;
    c->ctx = pool;
    return !c->frames || bp_frame_begin(pool) == BP_OK;
}

/* The device's name and whether it is a CPU (PoCL's own device is). */
static bool device_info(char *name, size_t n) {
    cl_device_type type = 0;
    if (clGetDeviceInfo((cl_device_id)g_cl.desc.device, CL_DEVICE_NAME, n, name, NULL) != CL_SUCCESS)
        snprintf(name, n, "unknown");
    clGetDeviceInfo((cl_device_id)g_cl.desc.device, CL_DEVICE_TYPE, sizeof type, &type, NULL);
    return (type & CL_DEVICE_TYPE_CPU) != 0;
}

device_summary bench_opencl_section(FILE *o, const event_list *workload, int repeats, bool quick) {
    fprintf(stderr, "bufpool_bench: opencl\n");
    fprintf(o, "\n## OpenCL: pool hit vs. raw clCreateBuffer + clReleaseMemObject\n\n");
    bp_backend keeper_be; /* a pool of its own owns the context and queue this section uses */
    bp_pool *keeper = NULL;
    bp_result r = bp_opencl_backend_create_default(&keeper_be, &g_cl.desc);
    if (r == BP_OK) {
        bp_pool_desc kd = {.name = "bench-opencl-context", .backend = &keeper_be};
        r = bp_pool_create(&kd, &keeper);
    }
    if (r != BP_OK) {
        fprintf(o, "Not run: no OpenCL platform or device (%s).\n", bp_result_string(r));
        return (device_summary){0};
    }
    char name[256], platform[256] = "unknown";
    bool cpu = device_info(name, sizeof name);
    cl_platform_id pid;
    if (clGetDeviceInfo((cl_device_id)g_cl.desc.device, CL_DEVICE_PLATFORM, sizeof pid, &pid, NULL) == CL_SUCCESS)
        clGetPlatformInfo(pid, CL_PLATFORM_NAME, sizeof platform, platform, NULL);
    fprintf(o, "Device: %s (platform %s; %s). Raw = per request clCreateBuffer (CL_MEM_READ_WRITE, the flags of "
               "the pool's device-local buffers) and clReleaseMemObject, no other work in the loop; neither path "
               "uses the buffer, so an implementation that allocates on first use (PoCL may) is timed without that "
               "allocation: the raw figure is a lower bound. bufpool = bp_acquire + bp_release of a pooled buffer on "
               "the OpenCL backend, with the host backend's hit in the same loop beside it (no OpenCL call on a "
               "hit). Process CPU time, median of %d rounds.\n\n"
               "| size | bufpool hit, OpenCL | bufpool hit, host | raw OpenCL | ratio raw / OpenCL hit |\n"
               "|---:|---:|---:|---:|---:|\n",
            name, platform, cpu ? "a CPU device: no GPU in this run" : "a GPU or accelerator", repeats);
    device_api api = {"OpenCL", &g_cl, cl_make_pool, NULL, cl_raw_pair};
    device_summary sum = {.cpu = cpu};
    device_hit_rows(o, &api, repeats, quick, &sum);
    device_miss_rows(o, &api, repeats, quick ? 1000 : 5000);
    contender cs[2] = {
        {.name = "bufpool (OpenCL backend)", .is_pool = true, .open = cl_pool_open, .close = bench_pool_close,
         .acquire = bench_pool_acquire, .release = bench_pool_release, .frame = bench_pool_frame,
         .pool_desc = {.name = "bench-opencl"}},
        {.name = "raw OpenCL", .ctx = &g_cl, .open = raw_open, .close = raw_close, .acquire = raw_acquire,
         .release = raw_release, .usable = raw_usable},
    };
    fprintf(o, "\nThe %s workload on the device (%s; bufpool with 2 frames in flight, raw OpenCL releases at "
               "once):\n\n",
            workload->name, workload->description);
    device_workload_rows(o, workload, cs, repeats);
    bp_pool_destroy(keeper);
    return sum;
}
