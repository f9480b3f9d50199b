/* The contenders: glibc malloc/free, mimalloc and jemalloc, and bufpool on the host backend.
 * Debian's libmimalloc and libjemalloc both export `malloc` and `free`; linked normally, the
 * first one would replace glibc's malloc for the whole process. They are opened with
 * dlopen(RTLD_LOCAL) instead and called through the handle, so all three allocators live side
 * by side in one process and glibc keeps its own malloc. */
#include <dlfcn.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* What each allocator holds, by its own count: glibc's main arena plus its mmapped chunks,
 * mimalloc's committed memory, jemalloc's resident pages (stats.resident: pages of live
 * allocations, free dirty pages not yet given back, and metadata; until 2026-12-07 stats.mapped,
 * which leaves out free extents however dirty, so read lower than what it held). */
static size_t glibc_held(void) {
    struct mallinfo2 mi = mallinfo2();
    return mi.arena + mi.hblkhd;
}

typedef void (*mi_process_info_fn)(size_t *, size_t *, size_t *, size_t *, size_t *, size_t *, size_t *,
                                   size_t *);
static mi_process_info_fn mi_process_info;
static size_t mimalloc_held(void) {
    size_t t[8] = {0};
    mi_process_info(&t[0], &t[1], &t[2], &t[3], &t[4], &t[5], &t[6], &t[7]);
    return t[5]; /* current_commit */
}

typedef int (*mallctl_fn)(const char *, void *, size_t *, void *, size_t);
static mallctl_fn je_mallctl;
static size_t jemalloc_held(void) {
    uint64_t epoch = 1;
    size_t resident = 0, n = sizeof epoch;
    je_mallctl("epoch", &epoch, &n, &epoch, n); /* refresh the statistics */
    n = sizeof resident;
    return je_mallctl("stats.resident", &resident, &n, NULL, 0) == 0 ? resident : 0;
}

static void *g_handle; /* the library `load` opened last */

static bool load(raw_alloc *a, const char *name, const char *lib, const char *m, const char *f, const char *u) {
    void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (!h) return false;
    g_handle = h;
    a->name = name;
    *(void **)&a->malloc = dlsym(h, m);
    *(void **)&a->free = dlsym(h, f);
    *(void **)&a->usable = dlsym(h, u);
    return a->malloc && a->free && a->usable;
}

static void note_missing(char *missing, size_t size, const char *name) {
    size_t len = strlen(missing);
    snprintf(missing + len, size - len, "%s%s", len ? ", " : "", name);
}

int raw_allocators(raw_alloc *out, int max, char *missing, size_t missing_size) {
    int n = 0;
    missing[0] = 0;
    if (max < 3) return 0;
    out[n++] = (raw_alloc){"glibc", malloc, free, malloc_usable_size, glibc_held};
    if (load(&out[n], "mimalloc", "libmimalloc.so.2", "mi_malloc", "mi_free", "mi_usable_size")) {
        *(void **)&mi_process_info = dlsym(g_handle, "mi_process_info");
        if (mi_process_info) out[n].held = mimalloc_held;
        n++;
    } else {
        note_missing(missing, missing_size, "mimalloc (libmimalloc.so.2)");
    }
    /* jemalloc's unprefixed names, looked up in its own handle, are its functions. */
    if (load(&out[n], "jemalloc", "libjemalloc.so.2", "malloc", "free", "malloc_usable_size")) {
        *(void **)&je_mallctl = dlsym(g_handle, "mallctl");
        if (je_mallctl) out[n].held = jemalloc_held;
        n++;
    } else {
        note_missing(missing, missing_size, "jemalloc (libjemalloc.so.2)");
    }
    return n;
}

/* ---- malloc-like contenders ---- */

static bool alloc_open(contender *c) { return (c->ctx = c->lib) != NULL; }
static void alloc_close(contender *c) { c->ctx = NULL; }
static uint64_t alloc_acquire(void *ctx, size_t size) {
    return (uint64_t)(uintptr_t)((raw_alloc *)ctx)->malloc(size);
}
static void alloc_release(void *ctx, uint64_t t) { ((raw_alloc *)ctx)->free((void *)(uintptr_t)t); }
static size_t alloc_usable(void *ctx, uint64_t t) { return ((raw_alloc *)ctx)->usable((void *)(uintptr_t)t); }
static void *alloc_data(void *ctx, uint64_t t) { return (void)ctx, (void *)(uintptr_t)t; }

/* ---- bufpool ---- */

static bool pool_open(contender *c) {
    bp_pool *pool;
    if (c->host_block_size) { /* a new table each time: the pool owns (and releases) the last one */
        bp_host_backend_desc hd = {.block_size = c->host_block_size == BENCH_HOST_PER_BUFFER ? 0 : c->host_block_size,
                                   .purge_after = c->purge_after, .hold_at_peak = c->hold_at_peak,
                                   .populate = c->populate};
        if (bp_host_backend(&hd, &c->backend) != BP_OK) return false;
        c->pool_desc.backend = &c->backend;
    }
    if (bp_pool_create(&c->pool_desc, &pool) != BP_OK) {
        if (c->host_block_size && c->backend.release) c->backend.release(c->backend.user);
        return false;
    }
    if (c->frames) bp_frame_begin(pool);
    c->ctx = pool;
    return true;
}
void bench_pool_close(contender *c) {
    if (c->frames) bp_frame_end(c->ctx);
    bp_pool_destroy(c->ctx);
    c->ctx = NULL;
}
/* A request of bytes, as malloc's: bp_acquire_size (the same request as a descriptor with only
 * the size set, without the descriptor). */
uint64_t bench_pool_acquire(void *ctx, size_t size) {
    bp_buffer b;
    return bp_acquire_size(ctx, size, &b) == BP_OK ? b.id : 0;
}
void bench_pool_release(void *ctx, uint64_t t) { bp_release(ctx, (bp_buffer){t}); }
static void *pool_data(void *ctx, uint64_t t) {
    bp_buffer_info info;
    return bp_buffer_get_info(ctx, (bp_buffer){t}, &info) == BP_OK ? info.mapped : NULL;
}
/* The frame boundary: bp_frame_next (bp_frame_end + bp_frame_begin in one call). */
void bench_pool_frame(void *ctx) { bp_frame_next(ctx); }

/* A bufpool contender reusing a released buffer at once, as the CPU programs do; `variant`:
 * with a verdict of its own, `why` saying what it changes (or NULL). */
static contender pool_contender(const char *name, bp_pool_desc desc, uint64_t host_block_size, bool variant,
                                const char *why) {
    desc.frames_in_flight = desc.frames_in_flight ? desc.frames_in_flight : BP_IMMEDIATE_REUSE;
    return (contender){.name = name, .is_pool = true, .open = pool_open, .close = bench_pool_close,
                       .acquire = bench_pool_acquire, .release = bench_pool_release, .frame = bench_pool_frame,
                       .data = pool_data, .pool_desc = desc, .host_block_size = host_block_size, .variant = variant,
                       .why = why};
}

/* What each variant changes, said under the targets table. */
static const char why_blocks_64[] =
    "Blocks of up to 64 MiB instead of 8: buffers of up to 16 MiB share blocks (not 2 MiB), larger ones up "
    "to 128 MiB are ranges too; fewer, larger blocks, whose free space that ranges have covered is held as "
    "in 8 MiB ones.";
static const char why_purge_now[] =
    "Free space in blocks given back to the kernel (madvise) as soon as the kept free space passes its "
    "limit, however young, instead of once no range has used it for 1024 ticks: less held where a working "
    "set shrinks in blocks that stay pinned by a few ranges (the vegetation trace), for a madvise per free "
    "range given back. A program that writes its buffers also pays a page fault for each page given back "
    "and used again, which this replay (it writes nothing) does not show: with every page written "
    "(bench/RESULTS-write-pages.md) 1.4x the time on the random workload, 18x on the mixed trace and "
    "21x on vegetation, so it is not the default.";
static const char why_headroom[] =
    "Pooled buffers within 50% over the peak in use (`pooled_headroom`, off by default): where the size mix "
    "shifts (random) the oldest pooled buffers make room for a miss, so the pool reserves less and misses "
    "more; in host blocks the pages those buffers covered stay held until a range uses them again, so the "
    "held peak falls only with `hold_at_peak` too (the lean row, at 10%); where the mix does not shift, the "
    "two agree.";
static const char why_hold[] =
    "Held bytes kept at their peak (`hold_at_peak` of the host backend, off by default): before a range "
    "that takes new pages would raise the peak of held bytes, as much free block space goes back to the "
    "kernel (free ranges of 64 KiB or more, old ones first): the held peak stays near the peak of what "
    "the buffers need at once (vegetation, mixed). A program that writes its buffers pays a page fault "
    "for each page given back and used again, which this replay does not show: with every page written "
    "(bench/RESULTS-write-pages.md) it cost the mixed trace several times its time, so it is not the "
    "default. Where the pool itself keeps more than its buffers need at once (random), it changes nothing.";
static const char why_lean[] =
    "The memory settings together: held bytes kept at their peak (`hold_at_peak`) and pooled buffers "
    "within 10% over the peak in use (`pooled_headroom` 10): the pool keeps little beyond what is in use, "
    "the blocks little beyond what the pool keeps, for misses (random: about one acquire in eight) and, "
    "where buffers are written, the page faults of the space given back.";
static const char why_populate[] =
    "The pages a range takes that have no memory behind them get it when the range is placed "
    "(`populate` of the host backend, off by default: one madvise(MADV_POPULATE_WRITE) a run of pages) "
    "instead of a page fault at each page's first write. This replay writes nothing, so the row shows "
    "the price, pages given memory that nothing writes; with every page written "
    "(bench/RESULTS-write-pages.md) it shows what it saves, on a pool's first passes above all.";
static const char why_per_buffer[] =
    "One allocation per buffer (the host backend's default before 2026-12-07): every miss is a malloc of "
    "glibc's and every destroy a free, with the maps, trims and page faults above; it holds only its buffers.";
static const char why_fixed_caps[] =
    "With fixed class caps (`retain_demand = BP_NEVER`: seed 000's 8 per bucket, the default before "
    "2026-12-07), each frame end destroys what a class pooled over 8, so a loop that holds more than 8 "
    "buffers of one size at once misses them again every frame (the fixed_capacity and vegetation traces). "
    "By default such a class's cap rises by the misses it caused, to what the class held at once, until idle "
    "trimming lowers it again. The hits cost the same, so where no class holds more than 8 at once (mesh, "
    "instances) the two agree.";

/* ---- the replay loop alone: the allocators' contender with a malloc that returns the size made
 * odd (a token is never 0) and a free that does nothing, so it pays their calls but no work ---- */

static void *loop_malloc(size_t size) { return (void *)(uintptr_t)(size | 1u); }
static void loop_free(void *p) { __asm__ volatile("" ::"r"(p)); /* a call the compiler cannot drop */ }
static size_t loop_usable(void *p) { return (size_t)(uintptr_t)p; }
static raw_alloc loop_alloc = {"none", loop_malloc, loop_free, loop_usable, NULL};

int contenders_make(contender *out, int max, raw_alloc *allocs, int n_allocs) {
    int n = 0;
    if (max < 13 + n_allocs) return 0;
    /* Host memory has no GPU reading it: a CPU program reuses a released buffer at once. The
     * second bufpool row keeps the GPU default (2 frames in flight) to show what that costs. */
    out[n++] = pool_contender("bufpool", (bp_pool_desc){.name = "bench"}, 0, false, NULL);
    out[n++] = pool_contender("bufpool (2 frames in flight)", (bp_pool_desc){.name = "bench-fif2", .frames_in_flight = 2},
                              0, false, NULL);
    /* Before reuse_larger_classes: a miss takes only a buffer of its own class. */
    out[n++] = pool_contender("bufpool (exact classes)",
                              (bp_pool_desc){.name = "bench-exact", .reuse_larger_classes = BP_NEVER}, 0, true, NULL);
    /* The memory knob: what bounding the pooled bytes costs in time and saves in memory. */
    out[n++] = pool_contender("bufpool (max_pooled_bytes 8 MiB)",
                              (bp_pool_desc){.name = "bench-capped", .max_pooled_bytes = 8u << 20}, 0, false, NULL);
    /* The pool's own backend is the host backend with 8 MiB blocks: larger blocks, and one
     * allocation per buffer (the default until 2026-12-07: each miss a malloc of glibc's). */
    out[n++] = pool_contender("bufpool (host blocks 64 MiB)", (bp_pool_desc){.name = "bench-blocks"}, 64u << 20, true,
                              why_blocks_64);
    out[n++] = pool_contender("bufpool (one allocation per buffer)", (bp_pool_desc){.name = "bench-per-buffer"},
                              BENCH_HOST_PER_BUFFER, true, why_per_buffer);
    /* The memory knob of the blocks: free space given back to the kernel as soon as the kept
     * free space passes its limit, however young (the default waits 1024 ticks). */
    out[n] = pool_contender("bufpool (free pages given back at once)", (bp_pool_desc){.name = "bench-purge"},
                            BP_HOST_DEFAULT_BLOCK_SIZE, true, why_purge_now);
    out[n++].purge_after = 1;
    /* The blocks' memory knob: held bytes kept at their peak (off by default). */
    out[n] = pool_contender("bufpool (held kept at its peak)", (bp_pool_desc){.name = "bench-hold"},
                            BP_HOST_DEFAULT_BLOCK_SIZE, true, why_hold);
    out[n++].hold_at_peak = true;
    /* Both memory knobs at once: the held peak and a 10% pooled headroom. */
    out[n] = pool_contender("bufpool (lean: held at its peak, headroom 10%)",
                            (bp_pool_desc){.name = "bench-lean", .pooled_headroom = 10}, BP_HOST_DEFAULT_BLOCK_SIZE,
                            true, why_lean);
    out[n++].hold_at_peak = true;
    /* The blocks' page knob: memory given to a range's pages when it is placed (off by default). */
    out[n] = pool_contender("bufpool (pages populated)", (bp_pool_desc){.name = "bench-populate"},
                            BP_HOST_DEFAULT_BLOCK_SIZE, true, why_populate);
    out[n++].populate = true;
    /* The pool's memory knob: pooled buffers within 50% over the peak in use (off by default). */
    out[n++] = pool_contender("bufpool (pooled headroom 50%)",
                              (bp_pool_desc){.name = "bench-headroom", .pooled_headroom = 50}, 0, true, why_headroom);
    /* Before retention caps followed demand: seed 000's fixed 8 per class, the default until
     * 2026-12-07 (a class that holds more at once misses them again every frame). */
    out[n++] = pool_contender("bufpool (fixed class caps)",
                              (bp_pool_desc){.name = "bench-fixed-caps", .retain_demand = BP_NEVER}, 0, true, why_fixed_caps);
    for (int i = 0; i < n_allocs; i++)
        out[n++] = (contender){.name = allocs[i].name, .open = alloc_open, .close = alloc_close,
                               .acquire = alloc_acquire, .release = alloc_release, .usable = alloc_usable,
                               .data = alloc_data, .lib = &allocs[i]};
    out[n++] = (contender){.name = "the replay loop alone", .open = alloc_open, .close = alloc_close,
                           .acquire = alloc_acquire, .release = alloc_release, .lib = &loop_alloc, .baseline = true};
    return n;
}
