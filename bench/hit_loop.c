/* The pool-hit loop, alone: bufpool_bench links it with the static library, and
 * bufpool_bench_shared with libbufpool.so, so that callgrind counts the hit both ways (a shared
 * library's calls go through the PLT). Needs nothing but bufpool.h. */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "bufpool.h"
#include "hit_loop.h"

/* The loop callgrind counts (bench/run.sh toggles collection on this function). */
__attribute__((noinline)) void bench_pool_hits(bp_pool *pool, const bp_acquire_desc *d, uint64_t pairs) {
    for (uint64_t i = 0; i < pairs; i++) {
        bp_buffer b;
        bp_acquire(pool, d, &b);
        bp_release(pool, b);
    }
}

/* The same with bp_acquire_size: the request has no descriptor. */
__attribute__((noinline)) void bench_pool_size_hits(bp_pool *pool, uint64_t size, uint64_t pairs) {
    for (uint64_t i = 0; i < pairs; i++) {
        bp_buffer b;
        bp_acquire_size(pool, size, &b);
        bp_release(pool, b);
    }
}

/* For callgrind: only the pool loop, `pairs` times. mode "thread-safe": a pool with its lock;
 * "size": bp_acquire_size instead of bp_acquire; anything else: neither. */
int bench_hit_for_callgrind(size_t size, uint64_t pairs, const char *mode) {
    bool thread_safe = !strcmp(mode, "thread-safe"), by_size = !strcmp(mode, "size");
    bp_pool *pool = NULL;
    bp_pool_desc pd = {.thread_safe = thread_safe};
    if (bp_pool_create(&pd, &pool) != BP_OK) return 1;
    bp_acquire_desc d = {.size = size};
    bp_buffer b; /* the miss that creates the buffer, outside the counted loop */
    if (bp_acquire(pool, &d, &b) != BP_OK || bp_release(pool, b) != BP_OK) return 1;
    if (by_size) bench_pool_size_hits(pool, size, pairs);
    else bench_pool_hits(pool, &d, pairs);
    bp_stats st;
    bp_get_stats(pool, &st);
    bp_pool_destroy(pool);
    return st.hits == pairs ? 0 : 1;
}
