/* Pass by pass, on one heap: how a contender settles.
 *   bufpool_bench passes NAME|TRACE [--repeats N] [--write-pages]
 * `bufpool` (the default pool), `bufpool (pages populated)` and each allocator replay the
 * workload N + 1 times (default 16), each in a process of its own forked before anything else
 * used the allocators (the workload tables' workers), taking turns pass by pass in rotated
 * order, so that a slow phase of the machine falls on all of them; every pass is printed: ns per
 * acquire and page faults. The workload tables take a median over rounds; with buffers written,
 * a pool faults while its blocks fill up to their working set and then stops, and this shows
 * when (pass 0 is the cold one: every page is new). */
#include <stdlib.h>
#include <string.h>

#include "report.h"

enum { PASSES_MAX = 65 };

typedef struct pass_figures {
    int done; /* passes replayed: a failed acquire or worker ends them */
    double ns[PASSES_MAX];
    long faults[PASSES_MAX];
} pass_figures;

/* The median ns per acquire of passes [from, passes). */
static double median_from(const pass_figures *f, int from, int passes) {
    double v[PASSES_MAX];
    for (int p = from; p < passes; p++) v[p - from] = f->ns[p];
    return bench_median(v, passes - from);
}

/* A markdown header row of the contenders' names, and its rule. */
static void header(const char *first, const contender *cs, int n) {
    printf("| %s |", first);
    for (int i = 0; i < n; i++) printf(" %s |", cs[i].name);
    printf("\n|---:|");
    for (int i = 0; i < n; i++) printf("---:|");
    printf("\n");
}

int bench_passes(const char *name, const options *op, raw_alloc *allocs, int na) {
    contender all[CONTENDER_MAX], cs[CONTENDER_MAX];
    int n = 0, nall = contenders_make(all, CONTENDER_MAX, allocs, na);
    for (int i = 0; i < nall; i++) /* the default pool (the first), with pages populated, and the allocators */
        if (i == 0 || all[i].populate || (!all[i].is_pool && !all[i].baseline)) cs[n++] = all[i];
    event_list l = {0};
    if (!bench_workload_named(&l, name, op->quick)) return 1;
    if (!l.acquires) {
        fprintf(stderr, "bufpool_bench passes: %s has no acquire\n", name);
        events_free(&l);
        return 1;
    }
    int passes = op->repeats + 1 < PASSES_MAX ? op->repeats + 1 : PASSES_MAX;
    static pass_figures f[CONTENDER_MAX];
    static replay_workers workers;
    replay_workers_start(&l, cs, n, &workers);
    for (int p = 0; p < passes; p++)
        for (int k = 0; k < n; k++) {
            int i = (k + p) % n;
            if (workers.started[i] && f[i].done == p &&
                replay_worker_round(&workers.w[i], 1, &f[i].ns[p], &f[i].faults[p])) {
                f[i].ns[p] /= (double)l.acquires;
                f[i].done++;
            }
        }
    replay_workers_stop(&workers, n);
    bench_pin_describe(stdout);
    printf("- Workload: %s, %llu acquires a pass%s\n\n", name, (unsigned long long)l.acquires,
           bench_write_pages ? "; every buffer written, a byte in each 4 KiB page (`--write-pages`)" : "");
    printf("ns per acquire+release (page faults in the pass), each contender on a heap of its own:\n\n");
    header("pass", cs, n);
    for (int p = 0; p < passes; p++) {
        printf("| %d |", p);
        for (int i = 0; i < n; i++)
            if (p < f[i].done) printf(" %.1f (%ld) |", f[i].ns[p], f[i].faults[p]);
            else printf(" failed |");
        printf("\n");
    }
    /* the passes after the cold one, and the last half: where each has settled */
    if (passes > 2) {
        printf("\n");
        header("median", cs, n);
        const int firsts[2] = {1, passes / 2};
        for (int k = 0; k < 2; k++) {
            printf("| passes %d-%d |", firsts[k], passes - 1);
            for (int i = 0; i < n; i++)
                if (f[i].done == passes) printf(" %.1f |", median_from(&f[i], firsts[k], passes));
                else printf(" - |");
            printf("\n");
        }
    }
    events_free(&l);
    return 0;
}
