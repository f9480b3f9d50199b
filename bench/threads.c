/* Throughput with 1 and 2 threads doing independent work: each thread acquires and releases
 * its own buffers. bufpool runs on one shared thread-safe pool (and, for reference, on one
 * pool per thread); the allocators are thread-safe already. Each worker reads the clock
 * itself around its loop: the main thread, woken from the barrier after the workers, may
 * find both cores taken and start its clock late (with 2 workers on 2 cores it read runs
 * of 0.1 ms for 10 ms of work). Each job has a cache line of its own (the workers write
 * their times there). */
#include <pthread.h>
#include <stdlib.h>

#include "bench.h"

typedef struct thread_job {
    _Alignas(64) const raw_alloc *alloc; /* NULL: bufpool */
    bp_pool *pool;
    size_t size;
    uint64_t pairs;
    pthread_barrier_t *start;
    double t0, t1; /* wall clock around the loop */
} thread_job;

/* `pairs` acquire + release pairs of the job's contender. */
static void pairs_of(const thread_job *j, uint64_t pairs) {
    if (j->alloc) {
        for (uint64_t i = 0; i < pairs; i++) {
            void *volatile p = j->alloc->malloc(j->size);
            j->alloc->free(p);
        }
    } else {
        bp_acquire_desc d = {.size = j->size};
        for (uint64_t i = 0; i < pairs; i++) {
            bp_buffer b;
            bp_acquire(j->pool, &d, &b);
            bp_release(j->pool, b);
        }
    }
}

/* Each thread warms up first (its allocator's thread cache, its pool's first buffer and
 * thread cache), as the single-thread sections do, then waits for the others. */
static void *worker(void *arg) {
    thread_job *j = arg;
    pairs_of(j, 1000);
    pthread_barrier_wait(j->start);
    j->t0 = bench_wall_ns();
    pairs_of(j, j->pairs);
    j->t1 = bench_wall_ns();
    return NULL;
}

/* Pairs per second of `threads` threads, each doing `pairs` pairs, from the first start to
 * the last end. sharing: one pool for all (thread-safe), or one pool each. */
static double run_threads(const raw_alloc *alloc, bench_sharing sharing, int threads, uint64_t pairs, size_t size) {
    bool shared = sharing != POOL_PER_THREAD;
    enum { T = 16 };
    pthread_t th[T];
    thread_job jobs[T];
    bp_pool *pools[T] = {0};
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
    bp_pool_desc pd = {.name = "threads", .thread_safe = shared, .no_thread_cache = sharing == POOL_SHARED_NO_CACHE};
    for (int t = 0; t < threads; t++) {
        if (!alloc && (t == 0 || !shared)) bp_pool_create(&pd, &pools[t]);
        jobs[t] = (thread_job){.alloc = alloc, .pool = alloc ? NULL : pools[shared ? 0 : t], .size = size,
                               .pairs = pairs, .start = &start};
        pthread_create(&th[t], NULL, worker, &jobs[t]);
    }
    pthread_barrier_wait(&start);
    double first = 0, last = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(th[t], NULL);
        if (!t || jobs[t].t0 < first) first = jobs[t].t0;
        if (!t || jobs[t].t1 > last) last = jobs[t].t1;
    }
    double ns = last - first;
    for (int t = 0; t < threads; t++) bp_pool_destroy(pools[t]);
    pthread_barrier_destroy(&start);
    return (double)pairs * threads / (ns * 1e-9);
}

/* Median throughput (pairs/s) of each row with counts[k] threads, k < n: out[row * n + k]. Each
 * round runs every row once, the rows' order rotated each round (as the workloads do), so that
 * something else taking a core for a while costs every row a round, not one row all of its. */
void bench_threads(const thread_row_desc *rows, int nrows, uint64_t pairs, size_t size, int repeats,
                   const int *counts, int n, double *out) {
    enum { R = 64, N = 8, ROWS = 16 };
    static double t[ROWS][N][R];
    if (repeats > R) repeats = R;
    if (n > N) n = N;
    if (nrows > ROWS) nrows = ROWS;
    for (int r = 0; r < repeats; r++)
        for (int q = 0; q < nrows; q++) {
            int row = (q + r) % nrows;
            for (int k = 0; k < n; k++)
                t[row][k][r] = run_threads(rows[row].alloc, rows[row].sharing, counts[k], pairs, size);
        }
    for (int row = 0; row < nrows; row++)
        for (int k = 0; k < n; k++) out[row * n + k] = bench_median(t[row][k], repeats);
}
