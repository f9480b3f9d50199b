/* An installed CUDA backend, used out of tree: a pool on CUDA device 0 when there is one,
   else only the link and the "no device" answer are checked. */
#include <bufpool_cuda.h>

#include "backend_roundtrip.h"

int main(void) {
    bp_backend backend;
    bp_result r = bp_cuda_backend_create(NULL, &backend);
    if (r == BP_ERR_UNSUPPORTED) {
        puts("consumer_cuda ok: linked; no CUDA device here");
        return 0;
    }
    if (r != BP_OK) {
        fprintf(stderr, "consumer_cuda: %s\n", bp_result_string(r));
        return 1;
    }
    return backend_roundtrip("cuda", &backend, BP_MEMORY_DEVICE_LOCAL);
}
