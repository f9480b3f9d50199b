/* An installed OpenCL backend, used out of tree: a pool over the default OpenCL device when
   there is one (PoCL here), else only the link and the "no device" answer are checked. */
#include <bufpool_opencl.h>

#include "backend_roundtrip.h"

int main(void) {
    bp_backend backend;
    bp_opencl_desc cl;
    bp_result r = bp_opencl_backend_create_default(&backend, &cl);
    if (r == BP_ERR_UNSUPPORTED) {
        puts("consumer_opencl ok: linked; no OpenCL device here");
        return 0;
    }
    if (r != BP_OK) {
        fprintf(stderr, "consumer_opencl: %s\n", bp_result_string(r));
        return 1;
    }
    return backend_roundtrip("opencl", &backend, BP_MEMORY_DEVICE_LOCAL);
}
