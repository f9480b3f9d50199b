/**
 * @file bufpool_opencl.h
 * @brief The OpenCL backend: pooled `cl_mem` buffers (runs on PoCL, or any OpenCL 1.2 device).
 *
 * OpenCL types appear here as `void *` so that this header does not pull in the OpenCL SDK;
 * pass `cl_context`, `cl_device_id` and `cl_command_queue` values as they are.
 *
 * Memory kinds: every ::bp_memory is accepted. OpenCL 1.2 forbids using a buffer on the device
 * while it is mapped, so no buffer is kept mapped: `mapped` is NULL, the memory reported is
 * ::BP_MEMORY_DEVICE_LOCAL, host-visible requests get `CL_MEM_ALLOC_HOST_PTR` (pinned host
 * memory where the driver has it), and ::bp_upload / ::bp_download / copies go through the
 * command queue (blocking). Usage flags become `CL_MEM_READ_WRITE`. A copy between overlapping
 * ranges of one buffer behaves like memmove (it goes through a host buffer of `size` bytes).
 */
#ifndef BUFPOOL_OPENCL_H
#define BUFPOOL_OPENCL_H

#include "bufpool_backend.h"

BP_BEGIN_DECLS

/** What the OpenCL backend works on. */
typedef struct bp_opencl_desc {
    void *context;  /**< `cl_context` (retained by the backend while it lives). */
    void *device;   /**< `cl_device_id` the queue belongs to. */
    void *queue;    /**< `cl_command_queue` for transfers (retained). */
} bp_opencl_desc;

/**
 * Fill `out` with an OpenCL backend over the application's context and queue.
 * @return ::BP_OK, ::BP_ERR_INVALID_ARGUMENT (NULL fields, or a queue of another context or
 *   device), ::BP_ERR_OUT_OF_MEMORY,
 *   ::BP_ERR_BACKEND.
 * Ownership: the pool that receives the table releases it (and its retains) at destruction.
 * Cost: a few OpenCL queries. Thread-safety: reentrant.
 */
bp_result bp_opencl_backend_create(const bp_opencl_desc *desc, bp_backend *out);

/**
 * Fill `out` with an OpenCL backend on the first device of the first platform, with a context
 * and an in-order queue of its own (released with the backend).
 * @param out the table to fill.
 * @param out_desc receives the context, device and queue it made (to build kernels); may be NULL.
 * @return ::BP_OK, ::BP_ERR_UNSUPPORTED (no OpenCL platform or device), ::BP_ERR_BACKEND.
 * @ownership The pool that receives the table releases it, with the context and queue it made, at
 *   destruction.
 * @threadsafety Reentrant: touches no shared state.
 * @cost Platform and device queries, a context and a queue.
 */
bp_result bp_opencl_backend_create_default(bp_backend *out, bp_opencl_desc *out_desc);

BP_END_DECLS
#endif /* BUFPOOL_OPENCL_H */
