/* The CUDA backend: cudaMalloc for device-local memory, pinned mapped host memory for the
 * host-visible kinds, cudaMemcpy for transfers. Compiled by the C compiler against the
 * CUDA runtime (no kernels of its own). */
#include <cuda_runtime_api.h>
#include <stdlib.h>
#include <string.h>

#include "bufpool_cuda.h"

typedef struct cuda_state {
    int device;
    size_t total_memory;
} cuda_state;

static bp_result from_cuda(cudaError_t e) {
    if (e == cudaSuccess) return BP_OK;
    return e == cudaErrorMemoryAllocation ? BP_ERR_OUT_OF_MEMORY : BP_ERR_BACKEND;
}

static bp_result cu_create(void *user, const bp_backend_create_desc *d, bp_backend_buffer *out) {
    cuda_state *st = user;
    if (d->size > st->total_memory || d->size > SIZE_MAX) return BP_ERR_TOO_LARGE;
    if (cudaSetDevice(st->device) != cudaSuccess) return BP_ERR_BACKEND;
    if (d->memory == BP_MEMORY_DEVICE_LOCAL) {
        void *p = NULL;
        bp_result r = from_cuda(cudaMalloc(&p, (size_t)d->size));
        if (r != BP_OK) return r;
        out->native = (uint64_t)(uintptr_t)p;
    } else {
        unsigned flags = cudaHostAllocMapped;
        if (d->memory == BP_MEMORY_HOST_VISIBLE) flags |= cudaHostAllocWriteCombined;
        void *host = NULL, *dev = NULL;
        bp_result r = from_cuda(cudaHostAlloc(&host, (size_t)d->size, flags));
        if (r != BP_OK) return r;
        r = from_cuda(cudaHostGetDevicePointer(&dev, host, 0));
        if (r != BP_OK) {
            cudaFreeHost(host);
            return r;
        }
        out->native = (uint64_t)(uintptr_t)dev;
        out->mapped = host;
    }
    out->capacity = d->size;
    out->memory = d->memory;
    out->usage = d->usage;
    return BP_OK;
}

static void cu_destroy(void *user, const bp_backend_buffer *buf) {
    (void)user;
    if (buf->mapped) cudaFreeHost(buf->mapped);
    else cudaFree((void *)(uintptr_t)buf->native);
}

static bp_result cu_caps(void *user, bp_backend_caps *out) {
    cuda_state *st = user;
    memset(out, 0, sizeof *out);
    out->max_buffer_size = st->total_memory;
    out->min_alignment = 256; /* cudaMalloc's guarantee */
    out->memory_kinds = 7u;
    return BP_OK;
}

static bp_result cu_upload(void *user, const bp_backend_buffer *dst, uint64_t off, const void *data, uint64_t size) {
    (void)user;
    if (dst->mapped) {
        memcpy((char *)dst->mapped + off, data, (size_t)size);
        return BP_OK;
    }
    return from_cuda(cudaMemcpy((char *)(uintptr_t)dst->native + off, data, (size_t)size, cudaMemcpyHostToDevice));
}

static bp_result cu_download(void *user, const bp_backend_buffer *src, uint64_t off, void *data, uint64_t size) {
    (void)user;
    if (src->mapped) { /* the device may have written it: wait for the device first */
        bp_result r = from_cuda(cudaDeviceSynchronize());
        if (r == BP_OK) memcpy(data, (const char *)src->mapped + off, (size_t)size);
        return r;
    }
    return from_cuda(cudaMemcpy(data, (const char *)(uintptr_t)src->native + off, (size_t)size, cudaMemcpyDeviceToHost));
}

static bp_result cu_copy(void *user, const bp_backend_buffer *src, uint64_t src_off, const bp_backend_buffer *dst,
                         uint64_t dst_off, uint64_t size) {
    (void)user;
    return from_cuda(cudaMemcpy((char *)(uintptr_t)dst->native + dst_off, (const char *)(uintptr_t)src->native + src_off,
                                (size_t)size, cudaMemcpyDefault));
}

static bp_result cu_budget(void *user, bp_backend_budget *out) {
    cuda_state *st = user;
    size_t free_bytes = 0, total = 0;
    if (cudaSetDevice(st->device) != cudaSuccess || cudaMemGetInfo(&free_bytes, &total) != cudaSuccess)
        return BP_ERR_BACKEND;
    out->budget_bytes = total;
    out->usage_bytes = total - free_bytes;
    return BP_OK;
}

static void cu_release(void *user) { free(user); }

bp_result bp_cuda_backend_create(const bp_cuda_desc *desc, bp_backend *out) {
    if (!out) return BP_ERR_INVALID_ARGUMENT;
    int device = desc ? desc->device : 0, count = 0;
    if (device < 0) return BP_ERR_INVALID_ARGUMENT;
    if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) return BP_ERR_UNSUPPORTED;
    if (device >= count) return BP_ERR_INVALID_ARGUMENT;
    struct cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, device) != cudaSuccess) return BP_ERR_BACKEND;
    cuda_state *st = calloc(1, sizeof *st);
    if (!st) return BP_ERR_OUT_OF_MEMORY;
    st->device = device;
    st->total_memory = prop.totalGlobalMem;
    bp_backend_init(out, "cuda", st);
    out->create = cu_create;
    out->destroy = cu_destroy;
    out->query_caps = cu_caps;
    out->upload = cu_upload;
    out->download = cu_download;
    out->copy = cu_copy;
    out->query_budget = cu_budget;
    out->release = cu_release;
    return BP_OK;
}
