/* The pool hit: acquire + release of a pooled buffer, single thread, against malloc + free of
 * the same size in each allocator. */
#include <stdlib.h>

#include "bench.h"

__attribute__((noinline)) static void alloc_pairs(const raw_alloc *a, size_t size, uint64_t pairs) {
    for (uint64_t i = 0; i < pairs; i++) {
        void *volatile p = a->malloc(size);
        a->free(p);
    }
}

/* Median ns per pair over `repeats` rounds of `pairs` pairs; contenders alternate each round. */
void bench_hit(size_t size, uint64_t pairs, int repeats, const raw_alloc *allocs, int n_allocs, double *out_pool,
               double *out_pool_size, double *out_allocs) {
    enum { R = 64, A = 8 };
    double tp[R], ts[R], ta[A][R];
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
        t0 = bench_cpu_ns();
        bench_pool_size_hits(pool, size, pairs);
        ts[r] = (bench_cpu_ns() - t0) / (double)pairs;
        for (int i = 0; i < n_allocs && i < A; i++) {
            t0 = bench_cpu_ns();
            alloc_pairs(&allocs[i], size, pairs);
            ta[i][r] = (bench_cpu_ns() - t0) / (double)pairs;
        }
    }
    *out_pool = bench_median(tp, repeats);
    *out_pool_size = bench_median(ts, repeats);
    for (int i = 0; i < n_allocs && i < A; i++) out_allocs[i] = bench_median(ta[i], repeats);
    bp_pool_destroy(pool);
}
