/* What the backend consumers check once their backend exists: a pool over it, one buffer
   uploaded, read back and compared, released, the pool destroyed. */
#ifndef BACKEND_ROUNDTRIP_H
#define BACKEND_ROUNDTRIP_H
#include <bufpool.h>
#include <stdio.h>

static int backend_roundtrip(const char *name, bp_backend *backend, bp_memory memory) {
    bp_pool *pool = NULL;
    bp_pool_desc desc = {.backend = backend};
    bp_result r = bp_pool_create(&desc, &pool);
    if (r != BP_OK) {
        fprintf(stderr, "consumer_%s: bp_pool_create: %s\n", name, bp_result_string(r));
        return 1;
    }
    bp_acquire_desc d = {.size = 4096, .memory = memory, .tag = name};
    bp_buffer buf;
    int in[16] = {1, 2, 3}, out[16] = {0};
    r = bp_acquire(pool, &d, &buf);
    if (r == BP_OK) r = bp_upload(pool, buf, 0, in, sizeof in);
    if (r == BP_OK) r = bp_download(pool, buf, 0, out, sizeof out);
    if (r == BP_OK) r = bp_release(pool, buf);
    bp_pool_destroy(pool);
    if (r != BP_OK || out[2] != 3) {
        fprintf(stderr, "consumer_%s: %s\n", name, bp_result_string(r));
        return 1;
    }
    printf("consumer_%s ok: uploaded and read back through the backend\n", name);
    return 0;
}
#endif
