/* The Markdown report of bufpool_bench: the sections and the targets with their verdicts. */
#ifndef BENCH_REPORT_H
#define BENCH_REPORT_H

#include <stdio.h>

#include "bench.h"

typedef struct options {
    const char *out, *traces[8], *command, *commit;
    int trace_count, repeats;
    bool quick;
    bool write_pages; /* workload: every acquired buffer written, a byte a page (bench_write_pages) */
    double callgrind_ir, callgrind_ir_ts; /* instructions per pair (bench/run.sh); < 0 = not measured */
    double callgrind_ir_so, callgrind_ir_so_ts; /* the same through libbufpool.so (bufpool_bench_shared) */
    double callgrind_ir_size;                   /* with bp_acquire_size instead of bp_acquire */
    double callgrind_frame_ir, callgrind_frame_ir_fif2; /* per frame end + begin, mesh loop; < 0 = not measured */
    const char *callgrind_kinds; /* "kind=instructions ..." per buffer (bench/kinds.c), or NULL */
} options;

/* A bufpool configuration with a verdict of its own (contender.variant): its speedup over the
 * fastest allocator and its peak held over the allocator that held least, per workload. */
typedef struct variant_verdict {
    const char *name;
    const char *why; /* what the configuration changes (contender.why) */
    double worst_speedup;
    char worst_workload[64], speedups[512], memory[512];
    char both_misses[512]; /* workloads where it missed 2x or the fastest allocator's resident peak */
} variant_verdict;

enum { VARIANT_MAX = 8 };

typedef struct verdicts {
    double hit_ns, hit_ir, hit_fastest_alloc_ns, worst_speedup, scaling, scaling_locked, scaling_per_thread_pools;
    device_summary vulkan, opencl, cuda; /* the device sections (speedup 0: not run) */
    const char *hit_fastest_alloc;
    bool memory_ok, have_worst;
    char worst_workload[64], memory_misses[512], speedups[512];
    /* the same against the fastest allocator of each workload (the one the speed target names) */
    int memory_fastest_misses_count;
    char memory_fastest_misses[512];
    /* the same by the kernel's count, the memory round writing every page (peak_resident) */
    bool resident_measured;
    char resident_misses[512], resident_fastest_misses[512];
    /* both targets of one setting: >= 2x the fastest allocator and a resident peak no worse than
     * its; the default's misses here, each variant's in its verdict */
    char both_misses[512];
    variant_verdict variants[VARIANT_MAX];
    int variant_count;
} verdicts;

void report_machine(FILE *o); /* CPU model, cores, date, load average */
/* One workload's table: the timed rounds in `w`'s workers (memory figures already in `r`),
 * ratios to bufpool. */
void report_workload(FILE *o, const event_list *l, contender *cs, int n, int repeats, replay_workers *w,
                     replay_result *r, verdicts *v);
void report_hit(FILE *o, const options *op, raw_alloc *allocs, int na, verdicts *v);
/* Instructions per frame boundary (bp_frame_next), when bench/run.sh counted them. */
void report_frame_ir(FILE *o, const options *op);
void report_threads(FILE *o, const options *op, raw_alloc *allocs, int na, verdicts *v);
void report_targets(FILE *o, const verdicts *v); /* the targets table and why each miss */

/* frames.c: one workload by name (instances, random, mesh, mixed, or a trace file). */
bool bench_workload_named(event_list *l, const char *name, bool quick);
int bench_callgrind_frames(const char *name, int rounds, const char *mode); /* NULL, "fif2", "blocks" or "transient" */
int bench_callgrind_kinds(const char *kind, uint64_t frames); /* kinds.c */
int bench_workload_alone(const char *name, const options *op, raw_alloc *allocs, int na);
int bench_passes(const char *name, const options *op, raw_alloc *allocs, int na); /* passes.c */

#endif
