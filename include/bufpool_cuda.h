/**
 * @file bufpool_cuda.h
 * @brief The CUDA backend: pooled device memory through the CUDA runtime.
 *
 * Memory kinds: ::BP_MEMORY_DEVICE_LOCAL is `cudaMalloc` memory (not mapped; ::bp_upload and
 * ::bp_download copy through `cudaMemcpy`); ::BP_MEMORY_HOST_VISIBLE is pinned, mapped,
 * write-combined host memory (`cudaHostAlloc` with `cudaHostAllocMapped |
 * cudaHostAllocWriteCombined`: fast for the CPU to write and the GPU to read);
 * ::BP_MEMORY_HOST_CACHED is pinned, mapped, cached host memory (good for reading back).
 * For mapped memory `native` is the device pointer and `mapped` the host pointer.
 * The CUDA headers stay inside the backend.
 */
#ifndef BUFPOOL_CUDA_H
#define BUFPOOL_CUDA_H

#include "bufpool_backend.h"

BP_BEGIN_DECLS

/** Options of the CUDA backend; zero-initialised means defaults. */
typedef struct bp_cuda_desc {
    int device; /**< CUDA device ordinal; default 0. */
} bp_cuda_desc;

/**
 * Fill `out` with a CUDA backend on `desc->device` (desc may be NULL).
 * @return ::BP_OK, ::BP_ERR_UNSUPPORTED (no CUDA device or driver), ::BP_ERR_INVALID_ARGUMENT,
 *   ::BP_ERR_OUT_OF_MEMORY. Ownership: the pool that receives the table releases it.
 * Cost: initialises the CUDA runtime on first use. Thread-safety: reentrant.
 */
bp_result bp_cuda_backend_create(const bp_cuda_desc *desc, bp_backend *out);

BP_END_DECLS
#endif /* BUFPOOL_CUDA_H */
