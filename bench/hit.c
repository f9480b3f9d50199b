/* The pool hit: acquire + release of a pooled buffer, single thread, against malloc + free of
 * the same size in each allocator. */
#include <stdlib.h>

#include "bench.h"

/* The loop callgrind counts (bench/run.sh toggles collection on this function). */
__attribute__((noinline)) void bench_pool_hits(bp_pool *pool, const bp_acquire_desc *d, uint64_t pairs) {
    for (uint64_t i = 0; i < pairs; i++) {
        bp_buffer b;
        bp_acquire(pool, d, &b);
        bp_release(pool, b);
    }
}

__attribute__((noinline)) static void alloc_pairs(const raw_alloc *a, size_t size, uint64_t pairs) {
    for (uint64_t i = 0; i < pairs; i++) {
        void *volatile p = a->malloc(size);
        a->free(p);
    }
}

/* Median ns per pair over `repeats` rounds of `pairs` pairs; contenders alternate each round. */
void bench_hit(size_t size, uint64_t pairs, int repeats, const raw_alloc *allocs, int n_allocs, double *out_pool,
               double *out_allocs) {
    enum { R = 64, A = 8 };
    double tp[R], ta[A][R];
    if (repeats > R) repeats = R;
    bp_pool *pool = NULL;
    bp_pool_create(NULL, &pool); /* no frames: a released buffer is reusable at once */
    bp_acquire_desc d = {.size = size};
    bench_pool_hits(pool, &d, 1000); /* warm: the first acquire creates the buffer */
    for (int i = 0; i < n_allocs && i < A; i++) alloc_pairs(&allocs[i], size, 1000);
    for (int r = 0; r < repeats; r++) {
        double t0 = bench_cpu_ns();
        bench_pool_hits(pool, &d, pairs);
        tp[r] = (bench_cpu_ns() - t0) / (double)pairs;
        for (int i = 0; i < n_allocs && i < A; i++) {
            t0 = bench_cpu_ns();
            alloc_pairs(&allocs[i], size, pairs);
            ta[i][r] = (bench_cpu_ns() - t0) / (double)pairs;
        }
    }
    *out_pool = bench_median(tp, repeats);
    for (int i = 0; i < n_allocs && i < A; i++) out_allocs[i] = bench_median(ta[i], repeats);
    bp_pool_destroy(pool);
}

/* For callgrind: only the pool loop, `pairs` times (thread_safe: a pool with its lock). */
int bench_hit_for_callgrind(size_t size, uint64_t pairs, bool thread_safe) {
    bp_pool *pool = NULL;
    bp_pool_desc pd = {.thread_safe = thread_safe};
    if (bp_pool_create(&pd, &pool) != BP_OK) return 1;
    bp_acquire_desc d = {.size = size};
    bp_buffer b; /* the miss that creates the buffer, outside the counted loop */
    if (bp_acquire(pool, &d, &b) != BP_OK || bp_release(pool, b) != BP_OK) return 1;
    bench_pool_hits(pool, &d, pairs);
    bp_stats st;
    bp_get_stats(pool, &st);
    bp_pool_destroy(pool);
    return st.hits == pairs ? 0 : 1;
}
