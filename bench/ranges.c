/* Sub-allocation: a virtual block's range allocation (TLSF) against the bucket pool's acquire
 * and the allocators' malloc, on one random sequence. A working set of LIVE allocations is
 * set up untimed; each timed step frees a random live one and allocates the next size of the
 * sequence in its place (sizes log-uniform from 256 B to 64 KiB), so every contender does the
 * same frees and allocations in the same order. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

enum { LIVE = 256 };
#define BLOCK_BYTES (64ull << 20) /* holds the working set (at most 16 MiB) with room to spare */

typedef struct sequence {
    uint32_t *size, *victim;
    uint64_t steps;
} sequence;

static bool sequence_make(sequence *s, uint64_t steps, uint64_t seed) {
    s->steps = steps;
    s->size = malloc((steps + LIVE) * sizeof *s->size);
    s->victim = malloc(steps * sizeof *s->victim);
    if (!s->size || !s->victim) return false;
    for (uint64_t i = 0; i < steps + LIVE; i++) /* 2^8 .. 2^16, uniform in log2 */
        s->size[i] = (uint32_t)exp2(8.0 + 8.0 * (double)(bench_rand(&seed) % 1000000) / 1e6);
    for (uint64_t i = 0; i < steps; i++) s->victim[i] = (uint32_t)(bench_rand(&seed) % LIVE);
    return true;
}

/* s->size[0 .. LIVE) fill the working set; step i allocates s->size[LIVE + i]. */

__attribute__((noinline)) static double round_vblock(bp_vblock *b, uint64_t alignment, const sequence *s,
                                                     uint64_t *failures) {
    static bp_range live[LIVE];
    for (int i = 0; i < LIVE; i++) *failures += bp_vblock_alloc(b, s->size[i], alignment, &live[i]) != BP_OK;
    double t0 = bench_cpu_ns();
    for (uint64_t i = 0; i < s->steps; i++) {
        bp_range *r = &live[s->victim[i]];
        bp_vblock_free(b, *r);
        *failures += bp_vblock_alloc(b, s->size[LIVE + i], alignment, r) != BP_OK;
    }
    double ns = (bench_cpu_ns() - t0) / (double)s->steps;
    for (int i = 0; i < LIVE; i++) bp_vblock_free(b, live[i]);
    return ns;
}

__attribute__((noinline)) static double round_pool(bp_pool *p, const sequence *s, uint64_t *failures) {
    static bp_buffer live[LIVE];
    bp_acquire_desc d = {0};
    for (int i = 0; i < LIVE; i++) {
        d.size = s->size[i];
        *failures += bp_acquire(p, &d, &live[i]) != BP_OK;
    }
    double t0 = bench_cpu_ns();
    for (uint64_t i = 0; i < s->steps; i++) {
        bp_buffer *b = &live[s->victim[i]];
        bp_release(p, *b);
        d.size = s->size[LIVE + i];
        *failures += bp_acquire(p, &d, b) != BP_OK;
    }
    double ns = (bench_cpu_ns() - t0) / (double)s->steps;
    for (int i = 0; i < LIVE; i++) bp_release(p, live[i]);
    return ns;
}

__attribute__((noinline)) static double round_malloc(const raw_alloc *a, const sequence *s, uint64_t *failures) {
    static void *live[LIVE];
    for (int i = 0; i < LIVE; i++) *failures += (live[i] = a->malloc(s->size[i])) == NULL;
    double t0 = bench_cpu_ns();
    for (uint64_t i = 0; i < s->steps; i++) {
        void **p = &live[s->victim[i]];
        a->free(*p);
        *failures += (*p = a->malloc(s->size[LIVE + i])) == NULL;
    }
    double ns = (bench_cpu_ns() - t0) / (double)s->steps;
    for (int i = 0; i < LIVE; i++) a->free(live[i]);
    return ns;
}

enum { ROWS = 4 + 8, MAX_REPEATS = 64 };

typedef struct row {
    char name[96];
    double ns[MAX_REPEATS];
    uint64_t failures;
} row;

/* Contender k of a round: the two vblock rows, the two pool rows, then the allocators. */
static double run_one(int k, bp_vblock *vb, bp_pool *const pools[2], const raw_alloc *allocs, const sequence *s,
                      uint64_t *failures) {
    if (k < 2) return round_vblock(vb, k == 0 ? 16 : 256, s, failures);
    if (k < 4) return round_pool(pools[k - 2], s, failures);
    return round_malloc(&allocs[k - 4], s, failures);
}

void bench_ranges_section(FILE *o, int repeats, bool quick, const raw_alloc *allocs, int na) {
    fprintf(stderr, "bufpool_bench: sub-allocation\n");
    if (repeats > MAX_REPEATS) repeats = MAX_REPEATS;
    if (na > ROWS - 4) na = ROWS - 4;
    sequence s = {0};
    uint64_t steps = quick ? 50000 : 200000;
    bp_vblock *vb = NULL;
    bp_pool *pools[2] = {NULL, NULL};
    bp_vblock_desc vd = {.size = BLOCK_BYTES, .max_ranges = LIVE, .name = "bench"};
    bp_pool_desc capped = {0}, uncapped = {.max_pooled_per_class = BP_NEVER};
    fprintf(o, "\n## Sub-allocation: ranges of a block (TLSF) vs. the bucket pool vs. malloc\n\n");
    if (!sequence_make(&s, steps, 0xB10C) || bp_vblock_create(&vd, &vb) != BP_OK ||
        bp_pool_create(&capped, &pools[0]) != BP_OK || bp_pool_create(&uncapped, &pools[1]) != BP_OK) {
        fprintf(o, "Not run: could not set up the contenders.\n");
        goto done;
    }
    static row rows[ROWS];
    memset(rows, 0, sizeof rows);
    int n = 4 + na;
    snprintf(rows[0].name, sizeof rows[0].name, "bufpool virtual block (TLSF), alignment 16");
    snprintf(rows[1].name, sizeof rows[1].name, "bufpool virtual block (TLSF), alignment 256");
    snprintf(rows[2].name, sizeof rows[2].name, "bufpool bucket pool (defaults: 8 a class, raised by demand)");
    snprintf(rows[3].name, sizeof rows[3].name, "bufpool bucket pool (no retention cap)");
    for (int i = 0; i < na; i++) snprintf(rows[4 + i].name, sizeof rows[4 + i].name, "%s malloc + free", allocs[i].name);
    for (int k = 0; k < n; k++) { /* warm-up round, not counted */
        uint64_t ignored = 0;
        run_one(k, vb, pools, allocs, &s, &ignored);
    }
    for (int r = 0; r < repeats; r++)
        for (int j = 0; j < n; j++) { /* the order rotates each round */
            int k = (j + r) % n;
            rows[k].ns[r] = run_one(k, vb, pools, allocs, &s, &rows[k].failures);
        }
    bp_vblock_stats st;
    bp_vblock_get_stats(vb, &st);
    fprintf(o, "A working set of %d live allocations; each step frees a random one and allocates the next size "
               "of one random sequence (log-uniform, 256 B to 64 KiB), %llu steps a round, %d rounds after a "
               "warm-up round, the contenders' order rotated each round. Median ns per step (one free + one "
               "allocation). The virtual block is %llu MiB with `max_ranges` %d (it allocates nothing after "
               "creation) and only computes offsets; the pools hand out host buffers (on a miss, "
               "a range of their backend's host blocks of up to 8 MiB); malloc returns memory.\n\n",
            LIVE, (unsigned long long)steps, repeats, (unsigned long long)(BLOCK_BYTES >> 20), LIVE);
    fprintf(o, "| contender | ns per free + allocation (median) | ratio to TLSF (alignment 16) | failed |\n"
               "|---|---:|---:|---:|\n");
    double base = bench_median(rows[0].ns, repeats);
    for (int k = 0; k < n; k++) {
        double med = k == 0 ? base : bench_median(rows[k].ns, repeats);
        fprintf(o, "| %s | %.1f | %.2fx | %llu |\n", rows[k].name, med, base > 0 ? med / base : 0,
                (unsigned long long)rows[k].failures);
    }
    bp_stats ps[2];
    bp_get_stats(pools[0], &ps[0]);
    bp_get_stats(pools[1], &ps[1]);
    fprintf(o, "\nPool hit rates over all rounds: %.1f%% with the defaults, %.1f%% without the retention cap. "
               "The block after the last round: %u free range(s), largest %llu MiB.\n",
            100.0 * ps[0].hit_rate, 100.0 * ps[1].hit_rate, st.free_ranges,
            (unsigned long long)(st.largest_free >> 20));
done:
    bp_vblock_destroy(vb);
    bp_pool_destroy(pools[0]);
    bp_pool_destroy(pools[1]);
    free(s.size);
    free(s.victim);
}
