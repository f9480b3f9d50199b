/* Replaying an event list on every contender: timed rounds (order rotated each round, the
 * first round a warm-up), then one untimed round that measures memory. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

double bench_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One pass over the events; false when an acquire failed. Live tokens left at the end (a
 * trace may leave some) are released after the clock stops. */
static bool run_timed(const event_list *l, contender *c, uint64_t *tok, double *ns) {
    void *ctx = c->ctx;
    bool ok = true;
    double t0 = bench_now_ns();
    for (size_t i = 0; i < l->count; i++) {
        bench_event e = l->ev[i];
        if (e.kind == EV_ACQUIRE) {
            tok[e.slot] = c->acquire(ctx, e.size);
            ok &= tok[e.slot] != 0;
        } else if (e.kind == EV_RELEASE) {
            c->release(ctx, tok[e.slot]);
            tok[e.slot] = 0;
        } else if (c->frame) {
            c->frame(ctx);
        }
    }
    *ns = bench_now_ns() - t0;
    for (uint32_t s = 0; s < l->slots; s++)
        if (tok[s]) c->release(ctx, tok[s]);
    memset(tok, 0, l->slots * sizeof *tok);
    return ok;
}

/* The memory round: peak of requested bytes, and of reserved bytes (bufpool: its stats, every
 * buffer it holds, pooled and pending included; an allocator: the usable sizes of its live
 * blocks, a lower bound that leaves out its free lists and metadata). */
static bool run_memory(const event_list *l, contender *c, uint64_t *tok, replay_result *r) {
    if (!c->open(c)) return false;
    uint64_t *sizes = calloc(l->slots, sizeof *sizes), req = 0, res = 0;
    bool ok = sizes != NULL;
    for (size_t i = 0; ok && i < l->count; i++) {
        bench_event e = l->ev[i];
        if (e.kind == EV_ACQUIRE) {
            tok[e.slot] = c->acquire(c->ctx, e.size);
            ok = tok[e.slot] != 0;
            sizes[e.slot] = e.size;
            req += e.size;
            if (!c->is_pool && ok) res += c->usable(c->ctx, tok[e.slot]);
        } else if (e.kind == EV_RELEASE) {
            req -= sizes[e.slot];
            if (!c->is_pool) res -= c->usable(c->ctx, tok[e.slot]);
            c->release(c->ctx, tok[e.slot]);
            tok[e.slot] = 0;
        } else if (c->frame) {
            c->frame(c->ctx);
        }
        if (req > r->peak_requested) r->peak_requested = req;
        if (res > r->peak_reserved) r->peak_reserved = res;
    }
    if (c->is_pool) {
        bp_stats st;
        bp_get_stats(c->ctx, &st);
        r->peak_reserved = st.peak_reserved;
    }
    for (uint32_t s = 0; s < l->slots; s++)
        if (tok[s]) c->release(c->ctx, tok[s]);
    memset(tok, 0, l->slots * sizeof *tok);
    c->close(c);
    free(sizes);
    return ok;
}

enum { REPEATS_MAX = 64 };

void replay_all(const event_list *l, contender *cs, int n, int repeats, replay_result *out) {
    uint64_t *tok = calloc(l->slots ? l->slots : 1, sizeof *tok);
    double times[CONTENDER_MAX][REPEATS_MAX];
    if (repeats > REPEATS_MAX) repeats = REPEATS_MAX;
    bool opened[CONTENDER_MAX];
    memset(out, 0, (size_t)n * sizeof *out);
    for (int i = 0; i < n; i++) out[i].ok = opened[i] = tok && cs[i].open(&cs[i]);
    for (int round = 0; round <= repeats; round++)
        for (int k = 0; k < n; k++) {
            int i = (k + round) % n;
            double ns = 0;
            if (out[i].ok) out[i].ok = run_timed(l, &cs[i], tok, &ns);
            if (round > 0) times[i][round - 1] = ns;
        }
    for (int i = 0; i < n; i++) {
        if (opened[i]) cs[i].close(&cs[i]);
        if (out[i].ok) out[i].ns_per_acquire = bench_median(times[i], repeats) / (double)l->acquires;
        if (out[i].ok) out[i].ok = run_memory(l, &cs[i], tok, &out[i]);
    }
    free(tok);
}
