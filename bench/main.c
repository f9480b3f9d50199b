/* bufpool_bench: runs every benchmark and writes the results as Markdown (bench/RESULTS.md).
 *   bufpool_bench [--out FILE] [--trace FILE]... [--repeats N] [--quick]
 *                 [--callgrind-ir N] [--callgrind-ir-thread-safe N] [--command TEXT] [--commit TEXT]
 *                 [--callgrind-frame-ir N] [--callgrind-frame-ir-fif2 N] [--callgrind-ir-size N]
 *                 [--callgrind-ir-shared N] [--callgrind-ir-shared-thread-safe N]
 *                 [--callgrind-kinds "KIND=N ..."]
 *   bufpool_bench callgrind-hit SIZE PAIRS [thread-safe|size]   the pool-hit loop alone, for callgrind
 *   bufpool_bench write-trace FILE [NAME]     write a workload as a trace file (default mixed;
 *                                             NAME as `workload`'s), for `bufpool replay`
 *   bufpool_bench ranges [--quick]            the sub-allocation section alone, to stdout
 *   bufpool_bench workload NAME [--repeats N] [--quick] [--write-pages]   one workload's table, to stdout
 *                                             (--write-pages: each acquired buffer written, a byte a page)
 *   bufpool_bench passes NAME [--repeats N] [--quick] [--write-pages]   every pass of the default pool,
 *                                             the pool with pages populated and each allocator (bench/passes.c)
 *   bufpool_bench callgrind-frames NAME ROUNDS [fif2|blocks|transient]   bufpool alone on it (bench/frames.c)
 *   bufpool_bench callgrind-kinds KIND FRAMES   one kind of request, for callgrind (bench/kinds.c)
 *   bufpool_bench threads [--quick] [--repeats N]   the thread section alone, to stdout */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report.h"

static int parse(int argc, char **argv, options *op) {
    *op = (options){.out = "bench/RESULTS.md", .repeats = 15, .callgrind_ir = -1, .callgrind_ir_ts = -1,
                    .callgrind_ir_so = -1, .callgrind_ir_so_ts = -1, .callgrind_ir_size = -1,
                    .callgrind_frame_ir = -1, .callgrind_frame_ir_fif2 = -1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--quick")) op->quick = true;
        else if (!strcmp(a, "--no-pin")) bench_pin_off = true;
        else if (!strcmp(a, "--write-pages")) op->write_pages = bench_write_pages = true;
        else if (!val) return fprintf(stderr, "bufpool_bench: %s needs a value\n", a), 2;
        else if (!strcmp(a, "--out")) op->out = val;
        else if (!strcmp(a, "--trace") && op->trace_count < 8) op->traces[op->trace_count++] = val;
        else if (!strcmp(a, "--repeats")) op->repeats = atoi(val);
        else if (!strcmp(a, "--callgrind-ir")) op->callgrind_ir = atof(val);
        else if (!strcmp(a, "--callgrind-ir-thread-safe")) op->callgrind_ir_ts = atof(val);
        else if (!strcmp(a, "--callgrind-ir-shared")) op->callgrind_ir_so = atof(val);
        else if (!strcmp(a, "--callgrind-ir-size")) op->callgrind_ir_size = atof(val);
        else if (!strcmp(a, "--callgrind-ir-shared-thread-safe")) op->callgrind_ir_so_ts = atof(val);
        else if (!strcmp(a, "--callgrind-frame-ir")) op->callgrind_frame_ir = atof(val);
        else if (!strcmp(a, "--callgrind-frame-ir-fif2")) op->callgrind_frame_ir_fif2 = atof(val);
        else if (!strcmp(a, "--callgrind-kinds")) op->callgrind_kinds = val;
        else if (!strcmp(a, "--command")) op->command = val;
        else if (!strcmp(a, "--commit")) op->commit = val;
        else return fprintf(stderr, "bufpool_bench: unknown option %s\n", a), 2;
        if (strcmp(a, "--quick") && strcmp(a, "--write-pages") && strcmp(a, "--no-pin")) i++;
    }
    if (op->repeats < 1) op->repeats = 1;
    return 0;
}

/* jemalloc uses initial-exec TLS, so dlopen needs room in the static TLS block; glibc only
 * reads that tunable at start-up, so the program starts itself again with it set. */
static void ensure_static_tls(char **argv) {
    const char *t = getenv("GLIBC_TUNABLES");
    if (t && strstr(t, "glibc.rtld.optional_static_tls")) return;
    char value[512];
    snprintf(value, sizeof value, "%s%sglibc.rtld.optional_static_tls=16384", t ? t : "", t ? ":" : "");
    setenv("GLIBC_TUNABLES", value, 1);
    execv("/proc/self/exe", argv);
    perror("bufpool_bench: re-exec"); /* go on without jemalloc */
}

/* The device sections, by the name the child process is given. */
typedef device_summary (*device_section_fn)(FILE *o, const event_list *workload, int repeats, bool quick);
typedef struct device_section {
    const char *name, *title, *missing; /* missing: why this build has no such section */
    device_section_fn run;              /* NULL: not built */
} device_section;

static const device_section device_sections[] = {
#ifdef BP_HAVE_VULKAN
    {"vulkan", "Vulkan", NULL, bench_vulkan_section},
#else
    {"vulkan", "Vulkan", "this build has no Vulkan backend (Vulkan headers or loader not found)", NULL},
#endif
#ifdef BP_HAVE_OPENCL
    {"opencl", "OpenCL", NULL, bench_opencl_section},
#else
    {"opencl", "OpenCL", "this build has no OpenCL backend (OpenCL headers or ICD loader not found)", NULL},
#endif
#ifdef BP_HAVE_CUDA
    {"cuda", "CUDA", NULL, bench_cuda_section},
#else
    {"cuda", "CUDA", "this build has no CUDA backend (the CUDA toolkit was not found)", NULL},
#endif
};

static const device_section *device_section_named(const char *name) {
    for (size_t i = 0; i < sizeof device_sections / sizeof device_sections[0]; i++)
        if (!strcmp(device_sections[i].name, name)) return &device_sections[i];
    return NULL;
}

/* A device section runs in a child process: lavapipe's and PoCL's LLVM crash in a process where
 * jemalloc has been loaded (dlopen, RTLD_LOCAL), and the allocators are not needed there.
 * The child writes its section to OUT.NAME and its summary on a last comment line. */
static device_summary device_in_child(FILE *o, const device_section *d, const char *self, const char *out,
                                      const options *op) {
    if (!d->run) {
        fprintf(o, "\n## %s\n\nNot run: %s.\n", d->title, d->missing);
        return (device_summary){0};
    }
    char path[4096], reps[16];
    snprintf(path, sizeof path, "%s.%s", out, d->name);
    snprintf(reps, sizeof reps, "%d", op->repeats);
    fflush(o);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/proc/self/exe", self, "device-section", d->name, path, reps, op->quick ? "quick" : "full", (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(o, "\n## %s\n\nNot run: the %s benchmark process failed (status %d).\n", d->title, d->title, status);
        remove(path);
        return (device_summary){0};
    }
    FILE *f = fopen(path, "r");
    char line[1024];
    device_summary sum = {0};
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "<!-- device speedup %lf raw %lf %lf hit %lf cpu %d -->", &sum.speedup, &sum.raw_min,
                   &sum.raw_max, &sum.hit_max, &sum.cpu) != 5)
            fputs(line, o);
    if (f) fclose(f);
    remove(path);
    return sum;
}

static int device_child(const char *name, const char *path, int repeats, bool quick) {
    const device_section *d = device_section_named(name);
    FILE *o = d && d->run ? fopen(path, "w") : NULL;
    event_list l = {0};
    if (!o || !workload_instances(&l, quick ? 100 : 500, 0x5EED)) return 1;
    device_summary sum = d->run(o, &l, repeats, quick);
    fprintf(o, "<!-- device speedup %.3f raw %.1f %.1f hit %.2f cpu %d -->\n", sum.speedup, sum.raw_min, sum.raw_max,
            sum.hit_max, sum.cpu);
    events_free(&l);
    return fclose(o) == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc == 6 && !strcmp(argv[1], "device-section"))
        return device_child(argv[2], argv[3], atoi(argv[4]), !strcmp(argv[5], "quick"));
    if (argc < 2 || (strcmp(argv[1], "callgrind-hit") && strcmp(argv[1], "write-trace") &&
                     strcmp(argv[1], "callgrind-frames") && strcmp(argv[1], "callgrind-kinds")))
        ensure_static_tls(argv);
    if (argc == 4 && !strcmp(argv[1], "callgrind-kinds")) return bench_callgrind_kinds(argv[2], (uint64_t)atoll(argv[3]));
    if ((argc == 4 || argc == 5) && !strcmp(argv[1], "callgrind-frames"))
        return bench_callgrind_frames(argv[2], atoi(argv[3]), argc == 5 ? argv[4] : NULL);
    if ((argc == 4 || argc == 5) && !strcmp(argv[1], "callgrind-hit"))
        return bench_hit_for_callgrind((size_t)atoll(argv[2]), (uint64_t)atoll(argv[3]), argc == 5 ? argv[4] : "");
    if ((argc == 3 || argc == 4) && !strcmp(argv[1], "write-trace")) {
        event_list l = {0};
        bool ok = bench_workload_named(&l, argc == 4 ? argv[3] : "mixed", false) && events_write_trace(&l, argv[2]);
        events_free(&l);
        return ok ? 0 : 1;
    }
    options op;
    bool ranges_only = argc >= 2 && !strcmp(argv[1], "ranges");
    bool threads_only = argc >= 2 && !strcmp(argv[1], "threads");
    const char *workload_only = argc >= 3 && !strcmp(argv[1], "workload") ? argv[2] : NULL;
    const char *passes_only = argc >= 3 && !strcmp(argv[1], "passes") ? argv[2] : NULL;
    int skip = ranges_only || threads_only ? 1 : workload_only || passes_only ? 2 : 0;
    if (skip) argv[skip] = argv[0]; /* parse the options after the command */
    if (parse(argc - skip, argv + skip, &op)) return 2;
    raw_alloc allocs[4];
    char missing[128];
    int na = raw_allocators(allocs, 4, missing, sizeof missing);
    if (!threads_only) bench_pin(); /* the single-thread sections (bench/pin.c) */
    if (workload_only) return bench_workload_alone(workload_only, &op, allocs, na);
    if (passes_only) return bench_passes(passes_only, &op, allocs, na);
    if (ranges_only) {
        report_machine(stdout);
        bench_pin_describe(stdout);
        printf("- Command: `bufpool_bench ranges%s` (this section alone)\n", op.quick ? " --quick" : "");
        bench_ranges_section(stdout, op.repeats, op.quick, allocs, na);
        return 0;
    }
    if (threads_only) {
        verdicts v = {0};
        report_machine(stdout);
        printf("- Command: `bufpool_bench threads%s` (this section alone)\n", op.quick ? " --quick" : "");
        report_threads(stdout, &op, allocs, na, &v);
        return 0;
    }
    contender cs[CONTENDER_MAX];
    int nc = contenders_make(cs, CONTENDER_MAX, allocs, na);
    FILE *o = fopen(op.out, "w");
    if (!o) return perror(op.out), 1;
    fprintf(o, "# bufpool benchmark results\n\n");
    report_machine(o);
    bench_pin_describe(o);
    fprintf(o, "- Command: `%s`%s%s%s\n", op.command ? op.command : "build/bench/bufpool_bench",
            op.commit ? "\n- Commit: `" : "", op.commit ? op.commit : "", op.commit ? "`" : "");
#ifndef BENCH_BUILD_TYPE
#define BENCH_BUILD_TYPE "unknown"
#endif
    /* the optimisation level moves the instruction counts (-O2 against -O3: 6-21 more a buffer
     * in the kinds table), so a run names its build */
    fprintf(o, "- Build: %s (CMake build type; `make bench` builds its own Release tree)\n", BENCH_BUILD_TYPE);
    fprintf(o, "- Contenders: bufpool (host backend), glibc malloc/free");
    for (int i = 1; i < na; i++) fprintf(o, ", %s", allocs[i].name);
    fprintf(o, " (mimalloc and jemalloc loaded with dlopen so all three run in this one process)%s%s\n",
            *missing ? "; not loaded: " : "", missing);
    fprintf(o, "\nThe machine is shared (other work runs on the same cores), so every figure is the median of "
               "repeated rounds and every ratio compares contenders of the same run. Single-thread times are the "
               "process's CPU time (CLOCK_PROCESS_CPUTIME_ID): time the scheduler gives other programs is not "
               "counted, system time (mmap, munmap, page faults) is; thread throughput is wall-clock. Ratio = "
               "the contender's time / bufpool's: above 1 means bufpool is faster. Instruction counts under "
               "callgrind are the stable figure.\n");
    /* Workloads first built and measured for memory, before anything else uses the allocators. */
    uint32_t scale = op.quick ? 5 : 1;
    event_list lists[4 + 8] = {{0}};
    int nl = 0;
    bool ok = workload_instances(&lists[nl++], 500 / scale, 0x5EED) &&
              workload_random_lifetimes(&lists[nl++], 2000 / scale, 42) &&
              workload_mesh_fitting(&lists[nl++], 1000 / scale, 10000);
    for (int t = 0; ok && t < op.trace_count; t++) ok = workload_trace(&lists[nl++], op.traces[t]);
    if (!ok) return fprintf(stderr, "bufpool_bench: could not build the workloads\n"), 1;
    static replay_result results[4 + 8][CONTENDER_MAX];
    fprintf(stderr, "bufpool_bench: memory rounds\n");
    for (int i = 0; i < nl; i++) replay_memory(&lists[i], cs, nc, true, results[i]);
    static replay_workers workers[4 + 8]; /* the timed rounds' processes, forked as fresh */
    for (int i = 0; i < nl; i++) replay_workers_start(&lists[i], cs, nc, &workers[i]);

    verdicts v = {.memory_ok = true};
    report_hit(o, &op, allocs, na, &v);

    fprintf(o, "\n## Workloads\n\nEach workload is generated once as a list of events, then replayed by every "
               "contender: %d timed rounds after a warm-up round, the contenders' order rotated each round; a "
               "round replays the list as many times as make the fastest contender's round last about 2 ms "
               "(at most 64; the warm-up round, one replay each, sets the count), so that a short list is not "
               "timed in rounds of microseconds. Each contender replays in a process of its own, forked "
               "before anything else used the allocators (as the memory round's), and runs its rounds when "
               "its turn comes: its pool or its allocator's heap is its own, as in a program that uses only "
               "it. (Until 2026-12-07 every contender replayed in this one process, where the pools' buffers "
               "and every contender's frees shared glibc's heap: the pool's misses, mallocs through the host "
               "backend, found the free memory the others had left, and glibc had raised its mmap and trim "
               "thresholds for the sections before; bufpool's ratios on the miss-heavy workloads were up to "
               "2x better there, and glibc's figures far better.) Every process runs on one core, the one the suite started on "
               "(bench/pin.c; `--no-pin` leaves them free): left to run on either core, a process often kept "
               "one speed through all its rounds, so that rows that behave alike (the same hits and bytes, "
               "such as `bufpool` and `bufpool (fixed class caps)` where no class holds more than 8 at once) "
               "came out 10-50%% apart on the workloads that are all hits, and bufpool's ratio to the fastest "
               "allocator on the instances workload read 1.43x to 3.20x over 8 runs (pinned: 2.19x to 2.31x). "
               "Pinned, such rows can still differ by up to 20%%, so compare runs before reading a difference "
               "of that size. "
               "A bufpool contender asks for bytes as malloc does, with bp_acquire_size, and ends each frame "
               "with bp_frame_next (bp_frame_end + bp_frame_begin in one call). "
               "`bufpool` reuses a released buffer at once (host memory has no GPU reading it); "
               "`bufpool (2 frames in flight)` keeps the GPU default. Memory comes from one more, untimed round "
               "per contender, run in a child process forked before anything else used the allocators, so "
               "each starts fresh. *Page faults*: the process's minor page faults during the contender's timed "
               "rounds (getrusage), per 1000 acquires: the kernel's share of its time (system time counts in "
               "the process CPU time). The replay writes no buffer, so these are the allocator's own (its "
               "headers on fresh pages, memory given back to the kernel and taken again), fewer than a program "
               "that fills new memory would meet. *Peak in use*: bytes handed out at once (bufpool: size-class capacities; an "
               "allocator: usable sizes of its live blocks). *Peak held*: bytes held at once, caches included "
               "(bufpool: what its backend holds, pooled and pending buffers too; in the default host blocks "
               "the pages that ranges have covered and that were not given back to the kernel since, and the "
               "buffers with an allocation of their own; glibc: main arena + "
               "mmapped chunks from mallinfo2; mimalloc: committed bytes from mi_process_info; jemalloc: "
               "stats.resident (until 2026-12-07 stats.mapped, which leaves out its free dirty extents); an "
               "allocator's figure is its growth during the round, sampled after every "
               "acquire, and never below its peak in use: glibc may reuse free space the process already had, so "
               "its own count can read low). *Peak resident, pages written*: the kernel's count, the same for "
               "every contender whatever each counts itself: the memory round writes a byte in each 4 KiB page "
               "of every buffer it acquires, and this is the child process's highest resident set (getrusage "
               "ru_maxrss) less its resident set when the round began (/proc/self/statm), allocator metadata "
               "and the pool's tables included; memory given back to the kernel (madvise, munmap, trims) leaves "
               "it at once. Where bufpool's two figures agree, its own count of held pages is right.\n",
            op.repeats);
    report_frame_ir(o, &op);
    for (int i = 0; i < nl; i++) report_workload(o, &lists[i], cs, nc, op.repeats, &workers[i], results[i], &v);

    bench_unpin(); /* the threads need every core */
    report_threads(o, &op, allocs, na, &v);
    bench_pin();
    bench_ranges_section(o, op.repeats, op.quick, allocs, na);
    v.vulkan = device_in_child(o, device_section_named("vulkan"), argv[0], op.out, &op);
    v.opencl = device_in_child(o, device_section_named("opencl"), argv[0], op.out, &op);
    v.cuda = device_in_child(o, device_section_named("cuda"), argv[0], op.out, &op);
    for (int i = 0; i < nl; i++) events_free(&lists[i]);
    report_targets(o, &v);
    fclose(o);
    fprintf(stderr, "bufpool_bench: wrote %s\n", op.out);
    return 0;
}
