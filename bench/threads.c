/* Throughput with 1 and more threads doing independent work: each thread acquires and releases
 * its own buffers. bufpool runs on one shared thread-safe pool (and, for reference, on one
 * pool per thread); the allocators are thread-safe already.
 *
 * Each thread runs pinned to a core of its own, for a fixed time (until the main thread raises
 * `stop`), and one thread's throughput is measured on each of those cores. The cores of a
 * virtual machine need not be alike: on the 2-core test machine one ran the allocators' loops at
 * half the other's speed for minutes at a time (jemalloc 87 against 170 million pairs a second),
 * so a single thread's figure depended on the core it landed on, and equal work per thread left
 * the fast one idle while the slow one finished. The scaling divides by the mean of the cores'
 * single-thread figures: 2x is two threads doing all that each core does alone. Each worker reads
 * the clock itself around its loop; each job has a cache line of its own. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "bench.h"

typedef struct thread_job {
    _Alignas(64) const raw_alloc *alloc; /* NULL: bufpool */
    bp_pool *pool;
    size_t size;
    int cpu;          /* the core it is pinned to, or -1 */
    pthread_barrier_t *start;
    atomic_bool *stop;
    uint64_t pairs;   /* pairs done */
    double t0, t1;    /* wall clock around the loop */
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

/* Each thread goes to its core and warms up first (its allocator's thread cache, its pool's
 * first buffer and thread cache), as the single-thread sections do, then waits for the others
 * and runs until told to stop, looking at the flag every 256 pairs. */
static void *worker(void *arg) {
    thread_job *j = arg;
    if (j->cpu >= 0) bench_pin_thread(j->cpu);
    pairs_of(j, 1000);
    pthread_barrier_wait(j->start);
    j->t0 = bench_wall_ns();
    uint64_t done = 0;
    while (!atomic_load_explicit(j->stop, memory_order_relaxed)) {
        pairs_of(j, 256);
        done += 256;
    }
    j->t1 = bench_wall_ns();
    j->pairs = done;
    return NULL;
}

/* Pairs per second of `threads` threads on cores cpus[0 .. threads), running for about `ms`
 * milliseconds, from the first start to the last end. sharing: one pool for all (thread-safe),
 * or one pool each. */
static double run_threads(const raw_alloc *alloc, bench_sharing sharing, int threads, const int *cpus, double ms,
                          size_t size) {
    bool shared = sharing != POOL_PER_THREAD;
    enum { T = 16 };
    pthread_t th[T];
    thread_job jobs[T];
    bp_pool *pools[T] = {0};
    pthread_barrier_t start;
    atomic_bool stop = false;
    pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
    bp_pool_desc pd = {.name = "threads", .thread_safe = shared, .no_thread_cache = sharing == POOL_SHARED_NO_CACHE};
    for (int t = 0; t < threads; t++) {
        if (!alloc && (t == 0 || !shared)) bp_pool_create(&pd, &pools[t]);
        jobs[t] = (thread_job){.alloc = alloc, .pool = alloc ? NULL : pools[shared ? 0 : t], .size = size,
                               .cpu = cpus ? cpus[t] : -1, .start = &start, .stop = &stop};
        pthread_create(&th[t], NULL, worker, &jobs[t]);
    }
    pthread_barrier_wait(&start);
    struct timespec wait = {(time_t)(ms / 1000), (long)((ms - 1000 * (double)(time_t)(ms / 1000)) * 1e6)};
    nanosleep(&wait, NULL);
    atomic_store(&stop, true);
    double first = 0, last = 0, pairs = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(th[t], NULL);
        if (!t || jobs[t].t0 < first) first = jobs[t].t0;
        if (!t || jobs[t].t1 > last) last = jobs[t].t1;
        pairs += (double)jobs[t].pairs;
    }
    for (int t = 0; t < threads; t++) bp_pool_destroy(pools[t]);
    pthread_barrier_destroy(&start);
    return pairs / ((last - first) * 1e-9);
}

/* Median throughput (pairs/s) of each row: with one thread on each core of `cpus`
 * (one[row * ncpus + c]) and with counts[k] threads on the first counts[k] cores (out[row * n +
 * k]). Each round runs every row once, the rows' order rotated each round (as the workloads
 * do), so that something else taking a core for a while costs every row a round, not one row
 * all of its. */
void bench_threads(const thread_row_desc *rows, int nrows, double ms, size_t size, int repeats, const int *counts,
                   int n, const int *cpus, int ncpus, double *out, double *one) {
    enum { R = 64, N = 8, ROWS = 16, C = 16 };
    static double t[ROWS][N][R], single[ROWS][C][R];
    if (repeats > R) repeats = R;
    if (n > N) n = N;
    if (nrows > ROWS) nrows = ROWS;
    if (ncpus > C) ncpus = C;
    for (int r = 0; r < repeats; r++)
        for (int q = 0; q < nrows; q++) {
            int row = (q + r) % nrows;
            for (int c = 0; c < ncpus; c++)
                single[row][c][r] = run_threads(rows[row].alloc, rows[row].sharing, 1, &cpus[c], ms, size);
            for (int k = 0; k < n; k++) /* one thread: on each core above (unpinned when none is known) */
                t[row][k][r] = counts[k] == 1 && ncpus ? 0
                                                       : run_threads(rows[row].alloc, rows[row].sharing, counts[k],
                                                                     counts[k] <= ncpus ? cpus : NULL, ms, size);
        }
    for (int row = 0; row < nrows; row++) {
        double mean = 0;
        for (int c = 0; c < ncpus; c++) mean += one[row * ncpus + c] = bench_median(single[row][c], repeats);
        for (int k = 0; k < n; k++)
            out[row * n + k] = counts[k] == 1 && ncpus ? mean / ncpus : bench_median(t[row][k], repeats);
    }
}
