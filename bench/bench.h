/* bufpool_bench: bufpool against the allocators people would use instead, side by side in
 * one process. Every workload is a list of events (acquire, release, frame end) generated
 * before timing, so every contender replays exactly the same requests. */
#ifndef BENCH_H
#define BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bufpool.h"
#include "hit_loop.h"

/* ---- Contenders -------------------------------------------------------------------- */

/* An allocator's own malloc, free and usable-size calls. */
typedef struct raw_alloc {
    const char *name;
    void *(*malloc)(size_t size);
    void (*free)(void *p);
    size_t (*usable)(void *p);
    size_t (*held)(void); /* bytes the allocator holds now, by its own count (caches included) */
} raw_alloc;

/* glibc, then mimalloc and jemalloc where they load; returns how many. Those that cannot be
 * loaded are named in `missing` (comma-separated, may stay empty). */
int raw_allocators(raw_alloc *out, int max, char *missing, size_t missing_size);

/* A contender hands out tokens (a pointer or a bufpool handle id, never 0). */
typedef struct contender {
    const char *name;
    bool is_pool;      /* bufpool: memory figures come from its stats */
    void *ctx;         /* set by open */
    bool frames;       /* set by the replay: the workload has frame ends (bufpool then opens a
                          frame; a trace without frames reuses released buffers at once) */
    bool (*open)(struct contender *c);
    void (*close)(struct contender *c);
    uint64_t (*acquire)(void *ctx, size_t size);
    void (*release)(void *ctx, uint64_t token);
    void (*frame)(void *ctx); /* frame boundary; NULL when the contender has no frames */
    size_t (*usable)(void *ctx, uint64_t token); /* bytes really reserved for a live token */
    void *(*data)(void *ctx, uint64_t token);    /* its memory, for --write-pages; NULL: none to write */
    raw_alloc *lib;    /* malloc-like contenders: the allocator */
    bp_pool_desc pool_desc; /* bufpool contenders: how their pool is made */
    bool variant;      /* a bufpool configuration with its own verdict against the allocators */
    const char *why;   /* a variant: what it changes, for the targets' why-text (or NULL) */
    uint64_t host_block_size; /* bufpool on a host backend of its own: its block_size, or
                                 BENCH_HOST_PER_BUFFER; 0 = the pool's default backend */
    uint32_t purge_after;     /* ... with this purge_after (bp_host_backend_desc) */
    bool hold_at_peak;        /* ... and this hold_at_peak */
    bool populate;            /* ... and this populate */
    bp_backend backend;       /* that backend's table (its counts give the bytes held) */
    bool baseline;     /* the replay loop alone: allocates nothing, timed beside the others
                          (what every contender's figure holds besides its own calls) */
} contender;

enum { CONTENDER_MAX = 16 };

/* `bufpool_bench workload --write-pages`: every contender writes a byte in each 4 KiB page of a
 * buffer it acquired, as a program that fills its buffers does (page faults on fresh or
 * given-back memory are then in every figure). Set before the workers fork. */
extern bool bench_write_pages;

/* contender.host_block_size: a host backend making one allocation per buffer (block_size 0). */
#define BENCH_HOST_PER_BUFFER UINT64_MAX

/* Fill `out` with bufpool (immediate reuse; 2 frames in flight; exact classes; pooled bytes
 * capped; 64 MiB host blocks; one allocation per buffer; retention caps fixed at 8) and one
 * contender per allocator of `allocs`; returns how many. */
int contenders_make(contender *out, int max, raw_alloc *allocs, int n_allocs);

/* bufpool as a contender (ctx = the pool): shared by the host and Vulkan contenders. */
void bench_pool_close(contender *c); /* ends the open frame (if frames), destroys the pool */
uint64_t bench_pool_acquire(void *ctx, size_t size);
void bench_pool_release(void *ctx, uint64_t token);
void bench_pool_frame(void *ctx);    /* frame end + begin */

/* ---- Workloads as event lists ------------------------------------------------------- */

typedef struct bench_event {
    uint32_t kind : 2;   /* EV_ACQUIRE, EV_RELEASE, EV_FRAME, EV_ACQUIRE_TRANSIENT */
    uint32_t slot : 30;  /* dense index of the live buffer */
    uint32_t size;       /* bytes (acquire) */
} bench_event;

/* EV_ACQUIRE_TRANSIENT: an acquire whose buffer the frame end returns (events_transient). */
enum { EV_ACQUIRE = 0, EV_RELEASE = 1, EV_FRAME = 2, EV_ACQUIRE_TRANSIENT = 3 };

typedef struct event_list {
    bench_event *ev;
    size_t count, cap;
    uint32_t slots;      /* dense slots used (the token array size) */
    uint64_t acquires, frames;
    const char *name;
    char name_buf[64];   /* a trace's name lives here */
    char description[160];
} event_list;

bool events_push(event_list *l, uint32_t kind, uint32_t slot, uint64_t size);
void events_free(event_list *l);
/* `out`: `in` as a program using seed 000's per-frame return would run it. A buffer released
 * at the end of the frame it was acquired in (after that frame's last acquire) is acquired
 * transient and its release left to the frame end; the same buffers are live at every
 * acquire. */
bool events_transient(const event_list *in, event_list *out);

/* Generators (workloads.c) and the trace reader (trace.c). */
bool workload_instances(event_list *l, uint32_t frames, uint64_t seed);
bool workload_random_lifetimes(event_list *l, uint32_t frames, uint64_t seed);
bool workload_mesh_fitting(event_list *l, uint32_t iterations, uint32_t vertices);
bool workload_mixed(event_list *l, uint32_t frames, uint64_t seed);
bool events_write_trace(const event_list *l, const char *path);
/* Read a trace in the tool's format (README "Trace format"); prints an error, returns false. */
bool workload_trace(event_list *l, const char *path);

/* ---- Measuring ----------------------------------------------------------------------- */

typedef struct replay_result {
    double ns_per_acquire;    /* median over repeats: time / acquires (each with its release) */
    uint64_t peak_in_use;     /* bytes handed out at once: class capacities, or usable sizes */
    uint64_t peak_reserved;   /* bytes held at once, caches included: pool stats, or the
                                 allocator's own count: growth during the round, never
                                 below peak_in_use */
    uint64_t peak_requested;  /* bytes asked for at once */
    uint64_t peak_resident;   /* the kernel's count: the memory round's child process's peak
                                 resident set (every acquired page written) over its resident
                                 set when the round began; 0: not measured */
    double hit_rate;          /* bufpool: acquires served from the pool (memory round); else -1 */
    int passes;               /* replays of the list in each timed round (replay_time) */
    double faults_per_acquire; /* minor page faults in the timed rounds, per acquire */
    bool ok;
} replay_result;

/* The memory figures of `out` (and `ok`): one untimed round per contender, in a forked child
 * when `isolate` (call it before anything else uses the allocators; not with Vulkan). */
void replay_memory(const event_list *l, contender *cs, int n, bool isolate, replay_result *out);
/* A contender in a process of its own, forked before anything else used the allocators (as
 * the memory round's child): it opens the contender and times its rounds when replay_time asks,
 * taking turns with the other contenders. In one process the pools' buffers (hundreds of MiB on
 * the vegetation trace) and every contender's frees would interleave in glibc's heap: a
 * contender's misses found the free memory another left, and which one ran slow changed from
 * run to run. */
typedef struct replay_worker {
    int pid;
    int cmd, res; /* the pipe it reads each round's passes from, the one it answers on */
} replay_worker;

typedef struct replay_workers {
    replay_worker w[CONTENDER_MAX];
    bool started[CONTENDER_MAX];
} replay_workers;

/* Fork a worker per contender of `cs` for list `l` (not with Vulkan: a device does not survive
 * a fork). replay_time stops them. */
void replay_workers_start(const event_list *l, contender *cs, int n, replay_workers *out);
/* A round of `passes` replays in worker w: their time in *ns, their page faults added to
 * *faults; false when it failed. */
bool replay_worker_round(replay_worker *w, int passes, double *ns, long *faults);
/* Close the started workers' contenders and end them. */
void replay_workers_stop(replay_workers *w, int n);
/* The median time of `repeats` rounds (after a warm-up round), contenders rotated each round;
 * contenders whose memory round failed are skipped. With `workers`, each contender's rounds
 * run in its worker (then stopped); with NULL, every contender is opened in this process. */
void replay_time(const event_list *l, contender *cs, int n, int repeats, replay_workers *workers,
                 replay_result *out);

/* hit.c: median ns per acquire+release pair, bufpool (bp_acquire with a descriptor, and
 * bp_acquire_size) and each allocator (malloc + free).
 * bench_pool_hits (hit_loop.h) is the timed loop (callgrind counts it too; the Vulkan section
 * reuses it). */
void bench_hit(size_t size, uint64_t pairs, int repeats, const raw_alloc *allocs, int n_allocs, double *out_pool,
               double *out_pool_size, double *out_allocs);

/* threads.c: median pairs per second with counts[k] threads (at most 16, 8 counts); alloc NULL =
 * bufpool (sharing: one pool per thread, or one thread-safe pool with or without thread caches). */
typedef enum bench_sharing { POOL_PER_THREAD, POOL_SHARED, POOL_SHARED_NO_CACHE } bench_sharing;
typedef struct thread_row_desc {
    const char *name;
    const raw_alloc *alloc; /* NULL: bufpool, as `sharing` says */
    bench_sharing sharing;
} thread_row_desc;
/* Median pairs/s of each row: one thread on each of cpus[0 .. ncpus) into one[row * ncpus + c],
 * counts[k] threads (on the first counts[k] cores of cpus when there are that many) into
 * out[row * n + k], each run lasting about `ms`; a count of 1 reads the mean of the cores' figures
 * (bench/threads.c says why). */
void bench_threads(const thread_row_desc *rows, int nrows, double ms, size_t size, int repeats, const int *counts,
                   int n, const int *cpus, int ncpus, double *out, double *one);

#include <stdio.h>
/* What a device section (Vulkan, OpenCL, CUDA) measured, for the targets table (speedup 0: not
 * run). */
typedef struct device_summary {
    double speedup;          /* smallest raw / hit ratio over the sizes */
    double raw_min, raw_max; /* the raw create + destroy (Vulkan: create+allocate+bind+destroy), ns */
    double hit_max;          /* slowest pool hit on the device over the sizes, ns */
    int cpu;                 /* 1: a CPU implementation (lavapipe, PoCL) */
} device_summary;

/* ranges.c: the sub-allocation section (virtual block vs. bucket pool vs. the allocators). */
void bench_ranges_section(FILE *o, int repeats, bool quick, const raw_alloc *allocs, int na);

#ifdef BP_HAVE_VULKAN
/* vulkan.c: the Vulkan section (pool hit vs raw Vulkan, and `workload` on the device);
 * speedup 0 when no device. */
device_summary bench_vulkan_section(FILE *o, const event_list *workload, int repeats, bool quick);
#endif
#ifdef BP_HAVE_OPENCL
/* opencl.c: the OpenCL section (pool hit vs raw clCreateBuffer + clReleaseMemObject). */
device_summary bench_opencl_section(FILE *o, const event_list *workload, int repeats, bool quick);
#endif
#ifdef BP_HAVE_CUDA
/* cuda.c: the CUDA section (pool hit vs raw cudaMalloc + cudaFree). */
device_summary bench_cuda_section(FILE *o, const event_list *workload, int repeats, bool quick);
#endif

double bench_cpu_ns(void);  /* process CPU time: the single-thread timings */
double bench_wall_ns(void); /* wall clock: the thread throughput */

/* ---- Pinning (bench/pin.c) --------------------------------------------------------------- */

/* Pin the process (and the workers it forks after) to the core it runs on, unless --no-pin set
 * bench_pin_off; returns that core, or -1 (not pinned). bench_unpin gives back the affinity it
 * had, for the threads section. */
extern bool bench_pin_off;
int bench_pin(void);
void bench_unpin(void);
/* One line for a results header: the core, or why none. */
void bench_pin_describe(FILE *o);
/* The calling thread onto core `cpu` (the threads section); false when refused. */
bool bench_pin_thread(int cpu);
/* The cores this process may run on, at most `max` of them, into out; returns how many. */
int bench_cores(int *out, int max);
double bench_median(double *v, int n);
uint64_t bench_rand(uint64_t *state);

#endif
