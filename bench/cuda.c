/* CUDA: a pool hit against what a program does without a pool, per request: cudaMalloc and
 * cudaFree (what CUB's caching allocator and RMM's pool exist to avoid), on device 0. Built
 * where the toolkit is; it runs only where a CUDA GPU is. */
#include <cuda_runtime_api.h>
#include <stdio.h>

#include "bufpool_cuda.h"
#include "device.h"

static bool cuda_make_pool(void *user, const bp_pool_desc *in, uint64_t block_size, bp_pool **out) {
    (void)user, (void)block_size; /* no block mode: one cudaMalloc per buffer */
    bp_backend be;
    bp_result r = bp_cuda_backend_create(NULL, &be);
    if (r != BP_OK) return fprintf(stderr, "bufpool_bench: CUDA backend: %s\n", bp_result_string(r)), false;
    return device_pool_create("CUDA", &be, in, out);
}

static bool cuda_raw_pair(void *user, size_t size) {
    (void)user;
    void *p = NULL;
    return cudaMalloc(&p, size) == cudaSuccess && cudaFree(p) == cudaSuccess;
}

/* The replay's raw contender: a token is the device pointer. */
static uint64_t raw_acquire(void *ctx, size_t size) {
    (void)ctx;
    void *p = NULL;
    return cudaMalloc(&p, size) == cudaSuccess ? (uint64_t)(uintptr_t)p : 0;
}
static void raw_release(void *ctx, uint64_t t) {
    (void)ctx;
    cudaFree((void *)(uintptr_t)t);
}
static bool raw_open(contender *c) {
    c->ctx = c; /* no state: any non-NULL context */
    return true;
}
static void raw_close(contender *c) { c->ctx = NULL; }

static bool cuda_pool_open(contender *c) {
    bp_pool *pool;
    if (!cuda_make_pool(NULL, &c->pool_desc, 0, &pool)) return false;
    c->ctx = pool;
    return !c->frames || bp_frame_begin(pool) == BP_OK;
}

device_summary bench_cuda_section(FILE *o, const event_list *workload, int repeats, bool quick) {
    fprintf(stderr, "bufpool_bench: cuda\n");
    fprintf(o, "\n## CUDA: pool hit vs. raw cudaMalloc + cudaFree\n\n");
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess || count == 0) {
        fprintf(o, "Not run: no CUDA device (cudaGetDeviceCount: %s).\n", e != cudaSuccess ? cudaGetErrorString(e) : "0 devices");
        return (device_summary){0};
    }
    struct cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, 0) != cudaSuccess) snprintf(prop.name, sizeof prop.name, "unknown");
    fprintf(o, "Device: %s (device 0). Raw = per request cudaMalloc, then cudaFree, no other work in the loop. "
               "bufpool = bp_acquire + bp_release of a pooled buffer on the CUDA backend (device-local memory), "
               "with the host backend's hit in the same loop beside it (no CUDA call on a hit). Process CPU "
               "time (the driver's own threads included), median of %d rounds.\n\n"
               "| size | bufpool hit, CUDA | bufpool hit, host | raw CUDA | ratio raw / CUDA hit |\n"
               "|---:|---:|---:|---:|---:|\n",
            prop.name, repeats);
    device_api api = {"CUDA", NULL, cuda_make_pool, NULL, cuda_raw_pair};
    device_summary sum = {0};
    device_hit_rows(o, &api, repeats, quick, &sum);
    device_miss_rows(o, &api, repeats, quick ? 200 : 1000);
    contender cs[2] = {
        {.name = "bufpool (CUDA backend)", .is_pool = true, .open = cuda_pool_open, .close = bench_pool_close,
         .acquire = bench_pool_acquire, .release = bench_pool_release, .frame = bench_pool_frame,
         .pool_desc = {.name = "bench-cuda"}},
        {.name = "raw CUDA", .open = raw_open, .close = raw_close, .acquire = raw_acquire, .release = raw_release},
    };
    fprintf(o, "\nThe %s workload on the device (%s; bufpool with 2 frames in flight, raw CUDA frees at once):\n\n",
            workload->name, workload->description);
    device_workload_rows(o, workload, cs, repeats);
    return sum;
}
