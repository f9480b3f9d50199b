/* One workload at a time, for measuring per-frame work:
 *   bufpool_bench workload NAME [--repeats N]   that workload's table alone, to stdout
 *   bufpool_bench callgrind-frames NAME ROUNDS [fif2|blocks|transient]   bufpool alone replaying it
 *     ROUNDS times (fif2: 2 frames in flight; blocks: the host backend in block mode, 64 MiB
 *     blocks; transient: buffers released at the end of their own frame acquired transient
 *     instead, returned by the frame end, as seed 000's clear(): events_transient)
 * NAME: instances, random, mesh, mixed, or a trace file. Under callgrind, the frame boundary
 * (bench_pool_frame: bp_frame_next, the frame end and the next begin) and the whole replay (bench_frames_round)
 * are separate functions, so `callgrind_annotate --inclusive=yes` gives both. */
#include <stdlib.h>
#include <string.h>

#include "report.h"

bool bench_workload_named(event_list *l, const char *name, bool quick) {
    uint32_t scale = quick ? 5 : 1;
    if (!strcmp(name, "instances")) return workload_instances(l, 500 / scale, 0x5EED);
    if (!strcmp(name, "random")) return workload_random_lifetimes(l, 2000 / scale, 42);
    if (!strcmp(name, "mesh")) return workload_mesh_fitting(l, 1000 / scale, 10000);
    if (!strcmp(name, "mixed")) return workload_mixed(l, 3000 / scale, 7);
    return workload_trace(l, name);
}

/* A transient acquire: no token to keep, the frame end returns the buffer. */
static void acquire_transient(bp_pool *pool, size_t size) {
    bp_buffer b;
    bp_acquire(pool, &(bp_acquire_desc){.size = size, .flags = BP_ACQUIRE_TRANSIENT}, &b);
}

/* One replay of every event on the pool (the round callgrind's figures are divided by). */
__attribute__((noinline)) void bench_frames_round(const event_list *l, bp_pool *pool, uint64_t *tok);
__attribute__((noinline)) void bench_frames_round(const event_list *l, bp_pool *pool, uint64_t *tok) {
    for (size_t i = 0; i < l->count; i++) {
        bench_event e = l->ev[i];
        if (e.kind == EV_ACQUIRE) tok[e.slot] = bench_pool_acquire(pool, e.size);
        else if (e.kind == EV_RELEASE) bench_pool_release(pool, tok[e.slot]), tok[e.slot] = 0;
        else if (e.kind == EV_FRAME) bench_pool_frame(pool);
        else acquire_transient(pool, e.size);
    }
    for (uint32_t s = 0; s < l->slots; s++)
        if (tok[s]) bench_pool_release(pool, tok[s]), tok[s] = 0;
}

int bench_callgrind_frames(const char *name, int rounds, const char *mode) {
    event_list generated = {0}, transient = {0};
    if (!bench_workload_named(&generated, name, false)) return 1;
    const event_list *l = &generated;
    if (mode && !strcmp(mode, "transient")) {
        if (!events_transient(&generated, &transient)) return 1;
        l = &transient;
    }
    bool fif2 = mode && !strcmp(mode, "fif2");
    bp_pool_desc pd = {.name = "bench", .frames_in_flight = fif2 ? 0 : BP_IMMEDIATE_REUSE};
    bp_backend blocks;
    if (mode && !strcmp(mode, "blocks")) { /* the host backend in block mode, as that contender */
        bp_host_backend_desc hd = {.block_size = 64u << 20};
        if (bp_host_backend(&hd, &blocks) != BP_OK) return 1;
        pd.backend = &blocks;
    }
    bp_pool *pool = NULL;
    uint64_t *tok = calloc(l->slots ? l->slots : 1, sizeof *tok);
    if (!tok || bp_pool_create(&pd, &pool) != BP_OK) return 1;
    bp_frame_begin(pool);
    for (int r = 0; r < rounds; r++) bench_frames_round(l, pool, tok);
    bp_frame_end(pool);
    bp_stats st;
    bp_get_stats(pool, &st);
    if (st.buffers_in_use || st.acquires != st.releases || st.acquires != l->acquires * (uint64_t)rounds) {
        fprintf(stderr, "callgrind-frames: %llu acquires, %llu releases, %u held at the end\n",
                (unsigned long long)st.acquires, (unsigned long long)st.releases, st.buffers_in_use);
        return 1;
    }
    printf("%s: %llu frames and %llu acquires a round, %d rounds\n", l->name, (unsigned long long)l->frames,
           (unsigned long long)l->acquires, rounds);
    bp_pool_destroy(pool);
    free(tok);
    events_free(&transient);
    events_free(&generated);
    return 0;
}

int bench_workload_alone(const char *name, const options *op, raw_alloc *allocs, int na) {
    contender cs[CONTENDER_MAX];
    int nc = contenders_make(cs, CONTENDER_MAX, allocs, na);
    event_list l = {0};
    if (!bench_workload_named(&l, name, op->quick)) return 1;
    static replay_result r[CONTENDER_MAX];
    replay_memory(&l, cs, nc, true, r);
    static replay_workers workers;
    replay_workers_start(&l, cs, nc, &workers);
    verdicts v = {.memory_ok = true};
    bench_pin_describe(stdout);
    if (op->write_pages)
        printf("Every contender writes a byte in each 4 KiB page of each buffer it acquires, after the acquire "
               "(`--write-pages`; bufpool finds the pointer with bp_buffer_get_info); the replay loop alone "
               "writes nothing.\n\n");
    report_workload(stdout, &l, cs, nc, op->repeats, &workers, r, &v);
    events_free(&l);
    return 0;
}
