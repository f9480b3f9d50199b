/* The OpenCL backend: one cl_mem per pooled buffer; transfers through a blocking queue. */
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <stdlib.h>
#include <string.h>

#include "bufpool_opencl.h"

typedef struct cl_state {
    cl_context context;
    cl_device_id device;
    cl_command_queue queue;
    cl_ulong max_alloc;
    cl_uint align_bits;
} cl_state;

static bp_result cl_create(void *user, const bp_backend_create_desc *d, bp_backend_buffer *out) {
    cl_state *st = user;
    if (d->size > st->max_alloc || d->size > SIZE_MAX) return BP_ERR_TOO_LARGE;
    cl_mem_flags flags = CL_MEM_READ_WRITE;
    if (d->memory != BP_MEMORY_DEVICE_LOCAL) flags |= CL_MEM_ALLOC_HOST_PTR;
    cl_int err;
    cl_mem mem = clCreateBuffer(st->context, flags, (size_t)d->size, NULL, &err);
    if (err != CL_SUCCESS || !mem) return err == CL_OUT_OF_HOST_MEMORY ? BP_ERR_OUT_OF_MEMORY : BP_ERR_BACKEND;
    out->native = (uint64_t)(uintptr_t)mem;
    out->capacity = d->size;
    out->memory = BP_MEMORY_DEVICE_LOCAL; /* never mapped: see bufpool_opencl.h */
    out->usage = d->usage;
    return BP_OK;
}

static void cl_destroy(void *user, const bp_backend_buffer *buf) {
    (void)user;
    clReleaseMemObject((cl_mem)(uintptr_t)buf->native);
}

static bp_result cl_caps(void *user, bp_backend_caps *out) {
    cl_state *st = user;
    memset(out, 0, sizeof *out);
    out->max_buffer_size = st->max_alloc;
    out->min_alignment = st->align_bits >= 8 ? st->align_bits / 8 : 16;
    out->memory_kinds = 7u;
    return BP_OK;
}

static bp_result cl_upload(void *user, const bp_backend_buffer *dst, uint64_t off, const void *data, uint64_t size) {
    cl_state *st = user;
    cl_int err = clEnqueueWriteBuffer(st->queue, (cl_mem)(uintptr_t)dst->native, CL_TRUE, (size_t)off, (size_t)size,
                                      data, 0, NULL, NULL);
    return err == CL_SUCCESS ? BP_OK : BP_ERR_BACKEND;
}

static bp_result cl_download(void *user, const bp_backend_buffer *src, uint64_t off, void *data, uint64_t size) {
    cl_state *st = user;
    cl_int err = clEnqueueReadBuffer(st->queue, (cl_mem)(uintptr_t)src->native, CL_TRUE, (size_t)off, (size_t)size,
                                     data, 0, NULL, NULL);
    return err == CL_SUCCESS ? BP_OK : BP_ERR_BACKEND;
}

static bp_result cl_copy(void *user, const bp_backend_buffer *src, uint64_t src_off, const bp_backend_buffer *dst,
                         uint64_t dst_off, uint64_t size) {
    cl_state *st = user;
    if (src->native == dst->native && (src_off < dst_off ? dst_off - src_off : src_off - dst_off) < size) {
        /* overlapping ranges of one cl_mem fail with CL_MEM_COPY_OVERLAP: bounce through the host */
        if (src_off == dst_off) return BP_OK;
        void *tmp = malloc((size_t)size);
        if (!tmp) return BP_ERR_OUT_OF_MEMORY;
        bp_result r = cl_download(user, src, src_off, tmp, size);
        if (r == BP_OK) r = cl_upload(user, dst, dst_off, tmp, size);
        free(tmp);
        return r;
    }
    cl_int err = clEnqueueCopyBuffer(st->queue, (cl_mem)(uintptr_t)src->native, (cl_mem)(uintptr_t)dst->native,
                                     (size_t)src_off, (size_t)dst_off, (size_t)size, 0, NULL, NULL);
    if (err == CL_SUCCESS) err = clFinish(st->queue);
    return err == CL_SUCCESS ? BP_OK : BP_ERR_BACKEND;
}

static bp_result cl_budget(void *user, bp_backend_budget *out) {
    cl_state *st = user;
    cl_ulong global = 0;
    if (clGetDeviceInfo(st->device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof global, &global, NULL) != CL_SUCCESS)
        return BP_ERR_BACKEND;
    out->budget_bytes = global;
    out->usage_bytes = 0; /* OpenCL 1.2 reports no current usage */
    return BP_OK;
}

static void cl_release(void *user) {
    cl_state *st = user;
    clFinish(st->queue);
    clReleaseCommandQueue(st->queue);
    clReleaseContext(st->context);
    free(st);
}

bp_result bp_opencl_backend_create(const bp_opencl_desc *desc, bp_backend *out) {
    if (!desc || !out || !desc->context || !desc->device || !desc->queue) return BP_ERR_INVALID_ARGUMENT;
    cl_state *st = calloc(1, sizeof *st);
    if (!st) return BP_ERR_OUT_OF_MEMORY;
    st->context = desc->context;
    st->device = desc->device;
    st->queue = desc->queue;
    if (clGetDeviceInfo(st->device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof st->max_alloc, &st->max_alloc, NULL) !=
            CL_SUCCESS ||
        clGetDeviceInfo(st->device, CL_DEVICE_MEM_BASE_ADDR_ALIGN, sizeof st->align_bits, &st->align_bits, NULL) !=
            CL_SUCCESS) {
        free(st);
        return BP_ERR_BACKEND;
    }
    /* the queue must belong to `context` and `device` (else every transfer fails) */
    cl_context queue_context = NULL;
    cl_device_id queue_device = NULL;
    if (clGetCommandQueueInfo(st->queue, CL_QUEUE_CONTEXT, sizeof queue_context, &queue_context, NULL) != CL_SUCCESS ||
        clGetCommandQueueInfo(st->queue, CL_QUEUE_DEVICE, sizeof queue_device, &queue_device, NULL) != CL_SUCCESS ||
        queue_context != st->context || queue_device != st->device) {
        free(st);
        return BP_ERR_INVALID_ARGUMENT;
    }
    clRetainContext(st->context);
    clRetainCommandQueue(st->queue);
    bp_backend_init(out, "opencl", st);
    out->create = cl_create;
    out->destroy = cl_destroy;
    out->query_caps = cl_caps;
    out->upload = cl_upload;
    out->download = cl_download;
    out->copy = cl_copy;
    out->query_budget = cl_budget;
    out->release = cl_release;
    return BP_OK;
}

bp_result bp_opencl_backend_create_default(bp_backend *out, bp_opencl_desc *out_desc) {
    if (!out) return BP_ERR_INVALID_ARGUMENT;
    cl_platform_id platform;
    cl_uint n = 0;
    if (clGetPlatformIDs(1, &platform, &n) != CL_SUCCESS || n == 0) return BP_ERR_UNSUPPORTED;
    cl_device_id device;
    if (clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 1, &device, &n) != CL_SUCCESS || n == 0)
        return BP_ERR_UNSUPPORTED;
    cl_int err;
    cl_context ctx = clCreateContext(NULL, 1, &device, NULL, NULL, &err);
    if (err != CL_SUCCESS) return BP_ERR_BACKEND;
    cl_command_queue q = clCreateCommandQueue(ctx, device, 0, &err);
    if (err != CL_SUCCESS) {
        clReleaseContext(ctx);
        return BP_ERR_BACKEND;
    }
    bp_opencl_desc d = {ctx, device, q};
    bp_result r = bp_opencl_backend_create(&d, out);
    /* the backend retained both; drop our own references so it owns them alone */
    clReleaseCommandQueue(q);
    clReleaseContext(ctx);
    if (r == BP_OK && out_desc) *out_desc = d;
    return r;
}
