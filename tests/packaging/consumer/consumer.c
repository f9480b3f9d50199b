/* An out-of-tree program using an installed bufpool: built by the install test with CMake's
   find_package and with plain cc + pkg-config, against the shared and the static library. */
#include <bufpool.h>
#include <stdio.h>
#include <string.h>

int main(void) {
    if (bp_version() != BP_VERSION) {
        fprintf(stderr, "consumer: compiled against bufpool %d, linked with %d\n", BP_VERSION, bp_version());
        return 1;
    }
    bp_pool *pool = NULL;
    bp_result r = bp_pool_create(NULL, &pool);
    if (r != BP_OK) {
        fprintf(stderr, "consumer: bp_pool_create: %s\n", bp_result_string(r));
        return 1;
    }
    unsigned char in[256], out[256];
    for (unsigned i = 0; i < sizeof in; i++) in[i] = (unsigned char)(i * 7u);
    for (int frame = 0; frame < 20; frame++) {
        bp_frame_begin(pool);
        bp_acquire_desc d = {.size = sizeof in + (uint64_t)frame, .memory = BP_MEMORY_HOST_VISIBLE,
                             .flags = BP_ACQUIRE_TRANSIENT, .tag = "consumer"};
        bp_buffer buf;
        r = BP_ACQUIRE(pool, &d, &buf);
        if (r == BP_OK) r = bp_upload(pool, buf, 0, in, sizeof in);
        if (r == BP_OK) r = bp_download(pool, buf, 0, out, sizeof out);
        if (r != BP_OK || memcmp(in, out, sizeof in) != 0) {
            fprintf(stderr, "consumer: frame %d: %s\n", frame, bp_result_string(r));
            return 1;
        }
        bp_frame_end(pool);
    }
    bp_stats st;
    bp_get_stats(pool, &st);
    bp_pool_destroy(pool);
    if (st.acquires != 20 || st.hits == 0 || st.buffers_in_use != 0) {
        fprintf(stderr, "consumer: unexpected stats: %llu acquires, %llu hits, %u in use\n",
                (unsigned long long)st.acquires, (unsigned long long)st.hits, st.buffers_in_use);
        return 1;
    }
    printf("consumer ok: bufpool %s, %llu acquires, %llu hits\n", BP_VERSION_STRING,
           (unsigned long long)st.acquires, (unsigned long long)st.hits);
    return 0;
}
