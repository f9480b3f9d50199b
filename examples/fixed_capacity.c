/* Seed 004: a stable memory model for 15,000 elements. Every buffer the runtime can need is
 * preallocated when the pool is created (BP_CAPACITY_FIXED); 10,000 frames with domain
 * changes then run without a single allocation; render-pass descriptors come from a
 * bp_objpool. Prints the memory budget table and the allocations after start-up (must be 0). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bufpool.h"

#define MAX_ELEMENTS 15000u
#define SIGNALS 1000u
#define FRAMES 10000u
#define MAX_PASSES 10u

typedef struct row {
    const char *name;
    uint32_t count;
    uint64_t elements, element_bytes;
    bp_memory memory;
} row;

/* Seed 004's memory budget: what the runtime holds at most at once. */
static const row budget[] = {
    {"f32 buffers", 8, MAX_ELEMENTS, 4, BP_MEMORY_HOST_VISIBLE},
    {"vec2f32 buffers", 4, MAX_ELEMENTS, 8, BP_MEMORY_HOST_VISIBLE},
    {"rgba8 buffers", 2, MAX_ELEMENTS, 4, BP_MEMORY_HOST_CACHED},
    {"continuity gauge", 4, MAX_ELEMENTS, 4, BP_MEMORY_DEVICE_LOCAL},
    {"continuity slew", 4, MAX_ELEMENTS, 4, BP_MEMORY_DEVICE_LOCAL},
    {"continuity snapshot", 2, MAX_ELEMENTS, 4, BP_MEMORY_DEVICE_LOCAL},
    {"domain id arrays", 2, MAX_ELEMENTS, 4, BP_MEMORY_DEVICE_LOCAL},
    {"mapping arrays", 2, MAX_ELEMENTS, 4, BP_MEMORY_DEVICE_LOCAL},
    {"signal values", 1, SIGNALS, 8, BP_MEMORY_DEVICE_LOCAL},
    {"signal stamps", 1, SIGNALS, 4, BP_MEMORY_DEVICE_LOCAL},
};
#define ROWS (sizeof budget / sizeof budget[0])

typedef struct counts {
    unsigned long long allocations;
} counts;

static void *alloc_cb(void *user, size_t size, size_t alignment) {
    void *p = NULL;
    ((counts *)user)->allocations++;
    return posix_memalign(&p, alignment < 64 ? 64 : alignment, size) == 0 ? p : NULL;
}
static void free_cb(void *user, void *ptr) {
    (void)user;
    free(ptr);
}

typedef struct render_pass {
    uint32_t target, first_element, element_count;
    float clear[4];
} render_pass;

static bp_result take(bp_pool *pool, uint64_t elements, uint32_t components, bp_element_type type,
                      bp_memory memory, uint32_t flags, bp_buffer *out) {
    bp_array_desc d = {.count = elements, .components = components, .type = type, .memory = memory,
                       .flags = flags, .tag = "field"};
    return bp_acquire_array(pool, &d, out, NULL);
}

/* One frame: materialise fields, render passes from the object pool, all returned at the end. */
static bp_result frame(bp_pool *pool, bp_objpool *passes, uint32_t f, uint32_t elements) {
    bp_buffer b;
    bp_result r = BP_OK;
    uint32_t fields = 3 + f % 6, vec2 = 1 + f % 4;
    for (uint32_t i = 0; r == BP_OK && i < fields; i++)
        r = take(pool, elements, 1, BP_ELEMENT_F32, BP_MEMORY_HOST_VISIBLE, BP_ACQUIRE_TRANSIENT, &b);
    for (uint32_t i = 0; r == BP_OK && i < vec2; i++)
        r = take(pool, elements, 2, BP_ELEMENT_F32, BP_MEMORY_HOST_VISIBLE, BP_ACQUIRE_TRANSIENT, &b);
    for (uint32_t i = 0; r == BP_OK && i < 2; i++)
        r = take(pool, elements, 4, BP_ELEMENT_U8, BP_MEMORY_HOST_CACHED, BP_ACQUIRE_TRANSIENT, &b);
    /* [docs:objpool-frame] */
    for (uint32_t i = 0; r == BP_OK && i < 1 + f % MAX_PASSES; i++) {
        render_pass *p;
        if (bp_objpool_acquire(passes, (void **)&p) != BP_OK) return BP_ERR_CAPACITY;
        *p = (render_pass){i, 0, elements, {0, 0, 0, 1}};
    }
    bp_objpool_release_all(passes);
    /* [docs:objpool-frame] */
    return r;
}

/* A domain change: snapshot the continuity state, build id and mapping arrays, drop them. */
static bp_result domain_change(bp_pool *pool, uint32_t elements) {
    bp_scope s;
    bp_result r = bp_scope_begin(pool, &s);
    bp_buffer b;
    for (int i = 0; r == BP_OK && i < 2; i++) r = take(pool, elements, 1, BP_ELEMENT_F32, 0, 0, &b);
    for (int i = 0; r == BP_OK && i < 2; i++) r = take(pool, elements, 1, BP_ELEMENT_U32, 0, 0, &b);
    for (int i = 0; r == BP_OK && i < 2; i++) r = take(pool, elements, 1, BP_ELEMENT_U32, 0, 0, &b);
    if (r == BP_OK) r = bp_scope_end(pool, s, NULL);
    return r;
}

int main(void) {
    counts host = {0};
    bp_host_backend_desc hd = {.allocator = {alloc_cb, free_cb, &host}};
    bp_backend backend;
    bp_host_backend(&hd, &backend);
    /* [docs:capacity-table] */
    bp_capacity_entry table[ROWS];
    for (size_t i = 0; i < ROWS; i++)
        table[i] = (bp_capacity_entry){budget[i].elements * budget[i].element_bytes, budget[i].count,
                                       budget[i].memory, 0};
    /* CPU-side runtime: a released buffer is reusable at once */
    bp_pool_desc pd = {.name = "seed004", .backend = &backend, .allocator = {alloc_cb, free_cb, &host},
                       .capacity_mode = BP_CAPACITY_FIXED, .capacity_table = table,
                       .capacity_table_count = (uint32_t)ROWS, .frames_in_flight = BP_IMMEDIATE_REUSE};
    bp_pool *pool;
    bp_result r = bp_pool_create(&pd, &pool);
    /* [docs:capacity-table] */
    if (r != BP_OK) return 1;
    /* [docs:objpool] */
    bp_objpool_desc od = {.element_size = sizeof(render_pass), .capacity = MAX_PASSES,
                          .allocator = {alloc_cb, free_cb, &host}};
    bp_objpool *passes;
    if (bp_objpool_create(&od, &passes) != BP_OK) return 1;
    /* [docs:objpool] */

    /* start-up: the state held for the whole run (continuity gauge/slew, signals) */
    bp_buffer held[10];
    int n = 0;
    for (int i = 0; r == BP_OK && i < 8; i++) r = take(pool, MAX_ELEMENTS, 1, BP_ELEMENT_F32, 0, 0, &held[n++]);
    if (r == BP_OK) r = take(pool, SIGNALS, 1, BP_ELEMENT_F64, 0, 0, &held[n++]);
    if (r == BP_OK) r = take(pool, SIGNALS, 1, BP_ELEMENT_U32, 0, 0, &held[n++]);
    if (r != BP_OK) return 1;
    bp_stats start;
    bp_get_stats(pool, &start);
    unsigned long long allocations_at_start = host.allocations;

    static const uint32_t domains[] = {15000, 9000, 12000, 4000, 15000, 7500, 11000, 2000, 14000, 6000};
    uint32_t elements = domains[0], changes = 0;
    for (uint32_t f = 0; f < FRAMES && r == BP_OK; f++) {
        if (f % 1000 == 0) { /* the patch edits its domain */
            elements = domains[(f / 1000) % 10];
            r = domain_change(pool, elements);
            changes++;
        }
        if (r == BP_OK) r = bp_frame_begin(pool);
        if (r == BP_OK) r = frame(pool, passes, f, elements);
        if (r == BP_OK) r = bp_frame_end(pool);
    }
    if (r != BP_OK) {
        fprintf(stderr, "failed: %s: %s\n", bp_result_string(r), bp_pool_last_error(pool));
        return 1;
    }
    bp_stats end;
    bp_get_stats(pool, &end);
    unsigned long long allocations_after = host.allocations - allocations_at_start;

    printf("fixed capacity (seed 004): %u elements, %u frames, %u domain changes\n\n", MAX_ELEMENTS, FRAMES,
           changes);
    printf("| buffer type         | count | size each (class) | total     |\n");
    printf("|---------------------|------:|------------------:|----------:|\n");
    uint64_t total = 0;
    for (size_t i = 0; i < ROWS; i++) {
        uint64_t each = bp_class_size_for(BP_CLASSES_FINE, table[i].size);
        total += each * budget[i].count;
        printf("| %-19s | %5u | %15llu B | %6.1f KB |\n", budget[i].name, budget[i].count,
               (unsigned long long)each, (double)(each * budget[i].count) / 1024.0);
    }
    printf("| total               | %5u |                   | %6.1f KB |\n", end.buffers_total, (double)total / 1024.0);
    printf("\nreserved by the pool: %.1f KB (peak %.1f KB); render-pass pool: %u descriptors\n",
           (double)end.bytes_reserved / 1024.0, (double)end.peak_reserved / 1024.0, bp_objpool_capacity(passes));
    printf("acquires after start-up: %llu, all served from the table (hit rate %.1f%%)\n",
           (unsigned long long)(end.acquires - start.acquires), end.hit_rate * 100.0);
    printf("backend creates after start-up: %llu\n", (unsigned long long)(end.backend_creates - start.backend_creates));
    printf("host allocations after start-up: %llu\n", allocations_after);

    /* seed 004's hard cap: a domain beyond the table fails cleanly and changes nothing */
    bp_buffer over;
    r = take(pool, 20000, 2, BP_ELEMENT_F32, BP_MEMORY_HOST_VISIBLE, 0, &over);
    printf("a 20,000-element vec2 request: %s: %s\n", bp_result_string(r), bp_pool_last_error(pool));
    bp_stats after_over;
    bp_get_stats(pool, &after_over);

    for (int i = 0; i < n; i++) bp_release(pool, held[i]);
    bp_objpool_destroy(passes);
    bp_pool_destroy(pool);
    int ok = allocations_after == 0 && end.backend_creates == start.backend_creates && r == BP_ERR_CAPACITY &&
             after_over.bytes_reserved == end.bytes_reserved && end.capacity_failures == 0;
    printf("%s\n", ok ? "OK: zero allocations after start-up; over-cap request refused" : "FAILED");
    return ok ? 0 : 1;
}
