/* Replaying an event list on every contender: one untimed round that measures memory, then
 * timed rounds (order rotated each round, the first round a warm-up). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static double clock_ns(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* CPU time of the process: time the scheduler gives other programs on the shared cores is
 * not counted (system time, page faults and driver threads are). */
double bench_cpu_ns(void) { return clock_ns(CLOCK_PROCESS_CPUTIME_ID); }

double bench_wall_ns(void) { return clock_ns(CLOCK_MONOTONIC); }

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Minor page faults of the process so far (the timed rounds run one contender at a time). */
static long minor_faults(void) {
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_minflt : 0;
}

/* A byte written in each 4 KiB page of the buffer behind `token` (nothing for a contender with
 * no memory to write), as a program that fills its buffers does. */
static inline void write_pages(const contender *c, void *ctx, uint64_t token, size_t size) {
    volatile char *p = token && c->data ? c->data(ctx, token) : NULL;
    for (size_t o = 0; p && o < size; o += 4096) p[o] = (char)o;
}

/* One pass over the events, its time added to *ns and its page faults to *faults; false when
 * an acquire failed. Live tokens left at the end (a trace may leave some) are released after
 * the clock stops. `write` (a constant in each caller below, so the plain pass keeps no test
 * for it): each acquired buffer written, a byte in each 4 KiB page (--write-pages). */
static inline __attribute__((always_inline)) bool pass(const event_list *l, contender *c, uint64_t *tok, double *ns,
                                                       long *faults, bool write) {
    void *ctx = c->ctx;
    bool ok = true;
    long f0 = minor_faults();
    double t0 = bench_cpu_ns();
    for (size_t i = 0; i < l->count; i++) {
        bench_event e = l->ev[i];
        if (e.kind == EV_ACQUIRE) {
            tok[e.slot] = c->acquire(ctx, e.size);
            ok &= tok[e.slot] != 0;
            if (write) write_pages(c, ctx, tok[e.slot], e.size);
        } else if (e.kind == EV_RELEASE) {
            c->release(ctx, tok[e.slot]);
            tok[e.slot] = 0;
        } else if (c->frame) {
            c->frame(ctx);
        }
    }
    *ns += bench_cpu_ns() - t0;
    *faults += minor_faults() - f0;
    for (uint32_t s = 0; s < l->slots; s++)
        if (tok[s]) c->release(ctx, tok[s]);
    memset(tok, 0, l->slots * sizeof *tok);
    return ok;
}

static bool run_pass(const event_list *l, contender *c, uint64_t *tok, double *ns, long *faults) {
    return pass(l, c, tok, ns, faults, false);
}

bool bench_write_pages;

static bool run_pass_written(const event_list *l, contender *c, uint64_t *tok, double *ns, long *faults) {
    return pass(l, c, tok, ns, faults, true);
}

/* `passes` passes, their times added up in *ns, their page faults in *faults. */
static bool run_timed(const event_list *l, contender *c, uint64_t *tok, int passes, double *ns, long *faults) {
    bool ok = true;
    *ns = 0;
    for (int p = 0; p < passes; p++)
        ok &= (bench_write_pages ? run_pass_written : run_pass)(l, c, tok, ns, faults);
    return ok;
}

/* Bytes of the process resident now (/proc/self/statm), 0 when unknown. */
static uint64_t resident_now(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    bool ok = f && fscanf(f, "%lu %lu", &size, &resident) == 2;
    if (f) fclose(f);
    long page = sysconf(_SC_PAGESIZE);
    return ok && page > 0 ? (uint64_t)resident * (uint64_t)page : 0;
}

/* The highest resident set of the process so far (getrusage: the kernel's high-water mark; a
 * forked child's starts at its resident set at the fork), 0 when unknown. */
static uint64_t resident_peak(void) {
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 && ru.ru_maxrss > 0 ? (uint64_t)ru.ru_maxrss * 1024u : 0;
}

/* The memory round, untimed: peaks of requested bytes, of bytes handed out (bufpool: class
 * capacities; an allocator: usable sizes of its live blocks) and of bytes held, caches
 * included (bufpool: what its backend holds, pooled and pending buffers too, block pages by
 * what ranges covered (bp_host_backend_stats.held_bytes); an
 * allocator: its own count, sampled after every acquire, growth since the round began).
 * `resident` (a child process of its own): every acquired buffer is written, a byte in each
 * 4 KiB page, so that the kernel's count of the pages the process holds (its resident set,
 * peak over start) is the same measure for every contender, whatever each counts itself. */
static bool run_memory(const event_list *l, contender *c, uint64_t *tok, replay_result *r, bool resident) {
    /* the round's own tables written first, so that their pages are not the contender's */
    uint64_t *sizes = calloc(l->slots ? l->slots : 1, sizeof *sizes), req = 0, use = 0;
    if (!sizes) return false;
    memset(sizes, 0, l->slots * sizeof *sizes);
    memset(tok, 0, l->slots * sizeof *tok);
    uint64_t rss0 = resident ? resident_now() : 0;
    if (!c->open(c)) {
        free(sizes);
        return false;
    }
    const raw_alloc *a = c->lib; /* malloc-like contenders */
    size_t base = a && a->held ? a->held() : 0;
    bool ok = true;
    r->hit_rate = -1;
    for (size_t i = 0; ok && i < l->count; i++) {
        bench_event e = l->ev[i];
        if (e.kind == EV_ACQUIRE) {
            tok[e.slot] = c->acquire(c->ctx, e.size);
            ok = tok[e.slot] != 0;
            sizes[e.slot] = e.size;
            req += e.size;
            if (c->usable && ok) use += c->usable(c->ctx, tok[e.slot]);
            if (resident) write_pages(c, c->ctx, tok[e.slot], e.size);
            if (a && a->held) {
                size_t h = a->held();
                if (h > base && h - base > r->peak_reserved) r->peak_reserved = h - base;
            }
        } else if (e.kind == EV_RELEASE) {
            req -= sizes[e.slot];
            if (c->usable) use -= c->usable(c->ctx, tok[e.slot]);
            c->release(c->ctx, tok[e.slot]);
            tok[e.slot] = 0;
        } else if (c->frame) {
            c->frame(c->ctx);
        }
        if (req > r->peak_requested) r->peak_requested = req;
        if (use > r->peak_in_use) r->peak_in_use = use;
    }
    if (c->is_pool) {
        bp_stats st;
        bp_get_stats(c->ctx, &st);
        r->peak_reserved = st.peak_reserved;
        bp_host_backend_stats hs; /* block mode: the block pages ranges covered, and dedicated buffers */
        if (bp_get_host_backend_stats(c->ctx, &hs) == BP_OK) r->peak_reserved = hs.peak_held_bytes;
        r->peak_in_use = st.peak_in_use;
        r->hit_rate = st.hit_rate;
    } else if (r->peak_reserved < r->peak_in_use) {
        /* no count of its own, or one that reads low (glibc reusing free space the process
         * already had): it holds at least what it handed out */
        r->peak_reserved = r->peak_in_use;
    }
    uint64_t rss = resident && rss0 ? resident_peak() : 0;
    r->peak_resident = rss > rss0 ? rss - rss0 : 0;
    for (uint32_t s = 0; s < l->slots; s++)
        if (tok[s]) c->release(c->ctx, tok[s]);
    memset(tok, 0, l->slots * sizeof *tok);
    c->close(c);
    free(sizes);
    return ok;
}

/* The memory round in a child process forked before anything else used the allocators, so
 * that each starts from its state at start-up, not with the caches earlier rounds left. */
static bool run_memory_isolated(const event_list *l, contender *c, uint64_t *tok, replay_result *r) {
    int fd[2];
    if (pipe(fd) != 0) return false;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        replay_result mine = {0};
        mine.ok = run_memory(l, c, tok, &mine, true);
        ssize_t w = write(fd[1], &mine, sizeof mine);
        _exit(w == (ssize_t)sizeof mine ? 0 : 1);
    }
    close(fd[1]);
    replay_result got = {0};
    bool ok = pid > 0 && read(fd[0], &got, sizeof got) == (ssize_t)sizeof got && got.ok;
    close(fd[0]);
    int status;
    if (pid > 0) waitpid(pid, &status, 0);
    if (ok) {
        r->peak_in_use = got.peak_in_use;
        r->peak_reserved = got.peak_reserved;
        r->peak_requested = got.peak_requested;
        r->hit_rate = got.hit_rate;
        r->peak_resident = got.peak_resident;
    }
    return ok;
}

enum { REPEATS_MAX = 64 };

void replay_memory(const event_list *l, contender *cs, int n, bool isolate, replay_result *out) {
    uint64_t *tok = calloc(l->slots ? l->slots : 1, sizeof *tok);
    memset(out, 0, (size_t)n * sizeof *out);
    for (int i = 0; i < n; i++) cs[i].frames = l->frames > 0;
    for (int i = 0; i < n; i++)
        out[i].ok = tok && (cs[i].baseline || (isolate ? run_memory_isolated(l, &cs[i], tok, &out[i])
                                                       : run_memory(l, &cs[i], tok, &out[i], false)));
    free(tok);
}

/* What a contender's worker process sends back for a timed round. */
typedef struct round_result {
    bool ok;
    double ns;
    long faults;
} round_result;

/* A worker (replay_workers_start): opens its contender, then times a round of the passes each
 * command asks for (0: close and exit). */
static void worker_loop(const event_list *l, contender *c, int cmd, int res) {
    uint64_t *tok = calloc(l->slots ? l->slots : 1, sizeof *tok);
    bool open = tok && c->open(c);
    int passes;
    while (read(cmd, &passes, sizeof passes) == (ssize_t)sizeof passes && passes > 0) {
        round_result r = {.ok = open};
        if (open) r.ok = run_timed(l, c, tok, passes, &r.ns, &r.faults);
        if (write(res, &r, sizeof r) != (ssize_t)sizeof r) break;
    }
    if (open) c->close(c);
    _exit(0);
}

static bool worker_start(const event_list *l, contender *c, replay_worker *w) {
    int cmd[2], res[2];
    if (pipe(cmd) != 0) return false;
    if (pipe(res) != 0) {
        close(cmd[0]), close(cmd[1]);
        return false;
    }
    fflush(NULL);
    w->pid = fork();
    if (w->pid == 0) {
        close(cmd[1]), close(res[0]);
        worker_loop(l, c, cmd[0], res[1]);
    }
    close(cmd[0]), close(res[1]);
    w->cmd = cmd[1], w->res = res[0];
    if (w->pid > 0) return true;
    close(w->cmd), close(w->res);
    return false;
}

bool replay_worker_round(replay_worker *w, int passes, double *ns, long *faults) {
    round_result r = {0};
    bool ok = write(w->cmd, &passes, sizeof passes) == (ssize_t)sizeof passes &&
              read(w->res, &r, sizeof r) == (ssize_t)sizeof r && r.ok;
    *ns = r.ns;
    *faults += r.faults;
    return ok;
}

static void worker_stop(replay_worker *w) {
    int zero = 0;
    if (write(w->cmd, &zero, sizeof zero) != (ssize_t)sizeof zero) kill(w->pid, SIGKILL);
    close(w->cmd), close(w->res);
    int status;
    waitpid(w->pid, &status, 0);
}

void replay_workers_start(const event_list *l, contender *cs, int n, replay_workers *out) {
    memset(out, 0, sizeof *out);
    for (int i = 0; i < n; i++) {
        cs[i].frames = l->frames > 0;
        out->started[i] = worker_start(l, &cs[i], &out->w[i]);
    }
}

void replay_workers_stop(replay_workers *w, int n) {
    for (int i = 0; i < n; i++)
        if (w->started[i]) worker_stop(&w->w[i]);
}

/* A timed round replays the list often enough that the fastest contender's round lasts about
 * ROUND_NS: a short list (the mesh loop's 3000 acquires take 25 us) would otherwise be timed
 * in rounds that one interrupt or one unlucky cache placement decides. */
enum { PASSES_MAX = 64 };
#define ROUND_NS 2e6

void replay_time(const event_list *l, contender *cs, int n, int repeats, replay_workers *workers,
                 replay_result *out) {
    uint64_t *tok = calloc(l->slots ? l->slots : 1, sizeof *tok);
    double times[CONTENDER_MAX][REPEATS_MAX], fastest = 0;
    long faults[CONTENDER_MAX] = {0}, warm_faults = 0; /* the timed rounds', the warm-up's */
    bool opened[CONTENDER_MAX];
    int passes = 1;
    if (repeats > REPEATS_MAX) repeats = REPEATS_MAX;
    for (int i = 0; i < n; i++) cs[i].frames = l->frames > 0;
    for (int i = 0; i < n; i++)
        out[i].ok = opened[i] = out[i].ok && tok && (workers ? workers->started[i] : cs[i].open(&cs[i]));
    for (int round = 0; round <= repeats; round++) {
        for (int k = 0; k < n; k++) {
            int i = (k + round) % n;
            double ns = 0;
            int p = round ? passes : 1;
            long *f = round ? &faults[i] : &warm_faults;
            if (out[i].ok)
                out[i].ok = workers ? replay_worker_round(&workers->w[i], p, &ns, f) : run_timed(l, &cs[i], tok, p, &ns, f);
            if (round > 0) times[i][round - 1] = ns / passes;
            else if (out[i].ok && !cs[i].baseline && ns > 0 && (fastest == 0 || ns < fastest)) fastest = ns;
        }
        if (round == 0 && fastest > 0) { /* the warm-up round sets the passes */
            double want = ROUND_NS / fastest;
            passes = want >= PASSES_MAX ? PASSES_MAX : want > 1 ? (int)want + 1 : 1;
        }
    }
    for (int i = 0; i < n; i++) {
        if (opened[i] && !workers) cs[i].close(&cs[i]);
        out[i].passes = passes;
        if (out[i].ok) out[i].ns_per_acquire = bench_median(times[i], repeats) / (double)l->acquires;
        out[i].faults_per_acquire = (double)faults[i] / ((double)l->acquires * passes * repeats);
    }
    if (workers) replay_workers_stop(workers, n);
    free(tok);
}
