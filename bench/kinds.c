/* Instructions per buffer by kind of request, under callgrind:
 *   bufpool_bench callgrind-kinds KIND FRAMES
 * FRAMES frames of 16 buffers, sizes 1 KiB + 512 B x i (a new class at every acquire), a pool
 * that reuses a released buffer at once; every buffer a hit. bench/run.sh counts the loop
 * (bench_kind_loop) inclusive, divided by the buffers: the acquire, its release (by the caller,
 * the frame end or the scope end), a 16th of the frame boundary and the loop's own. KIND:
 *   plain      bp_acquire({.size}) + bp_release
 *   size       bp_acquire_size + bp_release
 *   transient  bp_acquire({.size, BP_ACQUIRE_TRANSIENT}), returned by the frame end (seed 000)
 *   owner      bp_acquire({.size, .owner}) + bp_release, 4 owners that each keep one more
 *              buffer throughout, as entities do (seed 001)
 *   scoped     bp_acquire({.size}) inside bp_scope_begin / bp_scope_end, which releases them
 *              (seed 002)
 *   thread-safe  plain, on a `thread_safe` pool (its thread's cache serves it) */
#include <stdio.h>
#include <string.h>

#include "report.h"

enum { PER_FRAME = 16 };
typedef enum kind { KIND_PLAIN, KIND_SIZE, KIND_TRANSIENT, KIND_OWNER, KIND_SCOPED, KIND_THREAD_SAFE, KIND_COUNT } kind;
static const char *const kind_names[KIND_COUNT] = {"plain", "size", "transient", "owner", "scoped", "thread-safe"};

static uint64_t size_of(int i) { return 1024u + 512u * (uint64_t)i; }

static void kind_frames(bp_pool *pool, kind k, uint64_t frames) {
    bp_buffer b[PER_FRAME];
    for (uint64_t f = 0; f < frames; f++) {
        bp_scope scope;
        if (k == KIND_SCOPED) bp_scope_begin(pool, &scope);
        for (int i = 0; i < PER_FRAME; i++) {
            bp_acquire_desc d = {.size = size_of(i),
                                 .flags = k == KIND_TRANSIENT ? BP_ACQUIRE_TRANSIENT : 0u,
                                 .owner = k == KIND_OWNER ? 1u + (uint64_t)(i % 4) : 0u};
            if (k == KIND_SIZE) bp_acquire_size(pool, d.size, &b[i]);
            else bp_acquire(pool, &d, &b[i]);
        }
        if (k == KIND_SCOPED) bp_scope_end(pool, scope, NULL);
        else if (k != KIND_TRANSIENT)
            for (int i = 0; i < PER_FRAME; i++) bp_release(pool, b[i]);
        bp_frame_next(pool);
    }
}

/* The loop callgrind counts (bench/run.sh toggles collection on this function). */
__attribute__((noinline)) void bench_kind_loop(bp_pool *pool, kind k, uint64_t frames);
__attribute__((noinline)) void bench_kind_loop(bp_pool *pool, kind k, uint64_t frames) { kind_frames(pool, k, frames); }

int bench_callgrind_kinds(const char *name, uint64_t frames) {
    kind k = KIND_COUNT;
    for (int i = 0; i < KIND_COUNT; i++)
        if (!strcmp(name, kind_names[i])) k = (kind)i;
    bp_pool *pool = NULL;
    bp_pool_desc pd = {.name = "kinds", .frames_in_flight = BP_IMMEDIATE_REUSE, .thread_safe = k == KIND_THREAD_SAFE};
    if (k == KIND_COUNT || bp_pool_create(&pd, &pool) != BP_OK) return 2;
    bp_buffer kept[4];
    for (int o = 0; o < 4; o++) /* the owners' long-lived buffers */
        if (bp_acquire(pool, &(bp_acquire_desc){.size = 100000, .owner = 1u + (uint64_t)o}, &kept[o]) != BP_OK) return 1;
    bp_frame_begin(pool);
    kind_frames(pool, k, 1); /* the misses that create the buffers, outside the count */
    bench_kind_loop(pool, k, frames);
    bp_frame_end(pool);
    for (int o = 0; o < 4; o++) bp_release(pool, kept[o]);
    bp_stats st;
    bp_get_stats(pool, &st);
    bool ok = st.buffers_in_use == 0 && st.misses == 4u + PER_FRAME && st.acquires == 4u + PER_FRAME * (frames + 1u);
    bp_pool_destroy(pool);
    if (!ok) fprintf(stderr, "callgrind-kinds %s: %llu misses, %u held at the end\n", name, (unsigned long long)st.misses,
                     st.buffers_in_use);
    return ok ? 0 : 1;
}
