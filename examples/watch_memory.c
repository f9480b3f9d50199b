/* Seed 004's "heap snapshot at start-up vs after ten minutes", with bufpool's own tools: a
 * frame loop records the per-frame series, feeds a profiler through the plot hook, takes a
 * snapshot of held buffers by tag at start-up and another at the end, lists what grew, and
 * asks for the leak / plateau verdict. Run twice: with a leak (a continuity snapshot buffer
 * acquired on every fourth frame and never released) and with it fixed. */
#include <stdio.h>
#include <string.h>

#include "bufpool.h"

#define FRAMES 3000u
#define STARTUP_FRAME 100u
#define CACHE_ENTRIES 200u

/* What a profiler would receive; here every 1000th frame is printed instead of plotted. */
typedef struct plot_printer {
    uint32_t frames;
} plot_printer;

static void print_plots(void *user, bp_pool *pool, const bp_plot_value *v, uint32_t count) {
    (void)pool;
    plot_printer *p = user;
    if (++p->frames % 1000u) return;
    printf("  plot @%-5u", p->frames);
    for (uint32_t i = 0; i < count && i < 5; i++) printf(" %s=%.3f", v[i].name + strlen("bufpool."), v[i].value);
    printf("\n");
}

static bp_buffer acquire(bp_pool *pool, uint64_t size, uint32_t flags, uint64_t owner, const char *tag) {
    bp_acquire_desc d = {.size = size, .flags = flags, .owner = owner, .tag = tag};
    bp_buffer b = BP_INVALID_BUFFER;
    if (BP_ACQUIRE(pool, &d, &b) != BP_OK) fprintf(stderr, "acquire failed: %s\n", bp_pool_last_error(pool));
    return b;
}

static const char *verdict_name(bp_verdict_kind k) {
    return k == BP_VERDICT_GROWING ? "GROWING" : k == BP_VERDICT_PLATEAU ? "plateau" : "too short";
}

static int run(bool fixed) {
    plot_printer printer = {0};
    /* [docs:series-pool] */
    bp_pool_desc desc = {.name = "watch", .series_frames = FRAMES, .plot = print_plots, .plot_user = &printer};
    /* [docs:series-pool] */
    bp_pool *pool;
    if (bp_pool_create(&desc, &pool) != BP_OK) return 1;
    printf("%s\n", fixed ? "after the fix:" : "with the leak:");
    bp_tag_usage startup[16], later[16], grew[16];
    uint32_t n_startup = 0, n_later = 0, n_grew = 0, cache = 0;
    bp_buffer snapshot = BP_INVALID_BUFFER;
    uint64_t rng = 42;
    for (uint32_t f = 0; f < FRAMES; f++) {
        bp_frame_begin(pool);
        for (int i = 0; i < 8; i++) { /* per-frame instance data, returned at frame end */
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            acquire(pool, 1024 + (rng >> 33) % 15000, BP_ACQUIRE_TRANSIENT, 0, "instances");
        }
        if (f % 5 == 0 && cache < CACHE_ENTRIES) { /* a cache that fills up, then stops */
            acquire(pool, 2048, 0, 1, "field_cache");
            cache++;
        }
        if (f % 4 == 0) { /* a domain change: continuity keeps a snapshot of the old state */
            if (fixed && snapshot.id) bp_release(pool, snapshot); /* the fix: drop the previous one */
            snapshot = acquire(pool, 4096, 0, 2, "continuity_snapshot");
        }
        bp_frame_end(pool);
        /* [docs:startup-snapshot] */
        if (f + 1 == STARTUP_FRAME) bp_calculate_tag_snapshot(pool, startup, 16, &n_startup);
        /* [docs:startup-snapshot] */
    }
    /* [docs:snapshot-diff] */
    bp_calculate_tag_snapshot(pool, later, 16, &n_later);
    bp_snapshot_diff(startup, n_startup, later, n_later, grew, 16, &n_grew);
    /* [docs:snapshot-diff] */
    printf("  grew since frame %u:\n", STARTUP_FRAME);
    for (uint32_t i = 0; i < n_grew && i < 16; i++)
        printf("    %-20s +%5u buffers  +%8llu bytes\n", grew[i].tag, grew[i].buffers, (unsigned long long)grew[i].bytes);
    bp_tag_usage held[16];
    uint32_t n_held = 0;
    bp_calculate_outstanding(pool, held, 16, &n_held);
    printf("  held now by tag and owner:\n");
    for (uint32_t i = 0; i < n_held && i < 16; i++)
        printf("    %-20s owner %llu: %5u buffers, %8llu bytes, oldest %llu frames old\n", held[i].tag,
               (unsigned long long)held[i].owner, held[i].buffers, (unsigned long long)held[i].bytes,
               (unsigned long long)held[i].age_frames);
    /* [docs:verdict] */
    bp_verdict v;
    bp_calculate_verdict(pool, &v);
    /* [docs:verdict] */
    printf("  verdict: %s (window peaks %.1f, %.1f, %.1f, %.1f KiB; %.0f bytes a frame)\n", verdict_name(v.kind),
           (double)v.peaks[0] / 1024, (double)v.peaks[1] / 1024, (double)v.peaks[2] / 1024,
           (double)v.peaks[3] / 1024, v.slope_bytes_per_frame);
    bp_pool_destroy(pool); /* the leak report would name what is still held; this run has no logger */
    return v.kind == (fixed ? BP_VERDICT_PLATEAU : BP_VERDICT_GROWING) ? 0 : 1;
}

int main(void) {
    int rc = run(false);
    rc |= run(true);
    return rc;
}
