/* Seed 002: a mesh-fitting loop that needs displacement, position and normal arrays every
 * iteration. Run once allocating with malloc every iteration (the "before") and once with
 * bufpool typed arrays inside a scope (the "after"); print allocations, peak bytes and time.
 * Exits non-zero if the two runs disagree or the pooled run allocates per iteration. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bufpool.h"

#define ITERATIONS 1000
#define VERTICES 12000

typedef struct counter {
    unsigned long long allocations, live_bytes, peak_bytes;
} counter;

/* The same accounting for both runs: every host allocation, live and peak bytes. A header of
 * the alignment's size (64 bytes at least) before the block keeps the block aligned as asked;
 * its last two words remember the size and the header's. */
static void *count_alloc(counter *c, size_t size, size_t alignment) {
    size_t header = alignment < 64 ? 64 : alignment;
    void *p = NULL;
    if (posix_memalign(&p, header, size + header) != 0) return NULL;
    size_t *words = (size_t *)((char *)p + header);
    words[-1] = header;
    words[-2] = size;
    c->allocations++;
    c->live_bytes += size;
    if (c->live_bytes > c->peak_bytes) c->peak_bytes = c->live_bytes;
    return words;
}

static void count_free(counter *c, void *ptr) {
    if (!ptr) return;
    const size_t *words = ptr;
    c->live_bytes -= words[-2];
    free((char *)ptr - words[-1]);
}

static void *alloc_cb(void *user, size_t size, size_t alignment) { return count_alloc(user, size, alignment); }
static void free_cb(void *user, void *ptr) { count_free(user, ptr); }

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* The target surface: a slightly squashed sphere the mesh is pulled towards. */
static void fit_step(const float *source, float *positions, float *normals, float *displacements, int iter) {
    float pull = 0.05f + 0.001f * (float)(iter % 10);
    for (int v = 0; v < VERTICES; v++) {
        const float *s = source + 3 * v;
        float len = sqrtf(s[0] * s[0] + s[1] * s[1] * 1.2f + s[2] * s[2]) + 1e-6f;
        for (int k = 0; k < 3; k++) {
            normals[3 * v + k] = s[k] / len;
            displacements[3 * v + k] = (normals[3 * v + k] - s[k]) * pull;
            positions[3 * v + k] = s[k] + displacements[3 * v + k];
        }
    }
}

static double checksum(const float *p) {
    double sum = 0;
    for (int i = 0; i < 3 * VERTICES; i++) sum += p[i];
    return sum;
}

static void make_mesh(float *mesh) {
    for (int v = 0; v < VERTICES; v++) {
        float t = (float)v * 0.01f, u = (float)v * 0.0007f;
        mesh[3 * v + 0] = 1.3f * cosf(t) * sinf(u);
        mesh[3 * v + 1] = 1.3f * sinf(t) * sinf(u);
        mesh[3 * v + 2] = 1.3f * cosf(u);
    }
}

typedef struct run_result {
    counter host;
    double ms, sum;
} run_result;

/* Before: three fresh arrays every iteration (the seed's `new Float32Array(...)`). */
static void run_malloc(const float *mesh, run_result *r) {
    memset(r, 0, sizeof *r);
    float *current = count_alloc(&r->host, sizeof(float) * 3 * VERTICES, 64);
    memcpy(current, mesh, sizeof(float) * 3 * VERTICES);
    double t0 = now_ms();
    for (int it = 0; it < ITERATIONS; it++) {
        size_t bytes = sizeof(float) * 3 * VERTICES;
        float *displacements = count_alloc(&r->host, bytes, 64);
        float *positions = count_alloc(&r->host, bytes, 64);
        float *normals = count_alloc(&r->host, bytes, 64);
        memset(displacements, 0, bytes);
        fit_step(current, positions, normals, displacements, it);
        memcpy(current, positions, bytes);
        count_free(&r->host, displacements);
        count_free(&r->host, positions);
        count_free(&r->host, normals);
    }
    r->ms = now_ms() - t0;
    r->sum = checksum(current);
    count_free(&r->host, current);
}

typedef struct fit_ctx {
    float *current;
    int iter;
} fit_ctx;

/* After: the same work with pooled typed arrays, returned by the scope (seed's withBuffers). */
/* [docs:scoped-arrays] */
static bp_result fit_iteration(bp_pool *pool, void *user) {
    fit_ctx *c = user;
    bp_buffer db, pb, nb;
    float *displacements, *positions, *normals;
    bp_result r = bp_acquire_displacements(pool, VERTICES, &db, &displacements); /* zeroed */
    if (r == BP_OK) r = bp_acquire_positions(pool, VERTICES, &pb, &positions);
    if (r == BP_OK) r = bp_acquire_normals(pool, VERTICES, &nb, &normals);
    if (r != BP_OK) return r;
    fit_step(c->current, positions, normals, displacements, c->iter);
    memcpy(c->current, positions, sizeof(float) * 3 * VERTICES);
    return BP_OK;
}
/* [docs:scoped-arrays] */

static int run_pooled(const float *mesh, run_result *r, bp_stats *stats) {
    memset(r, 0, sizeof *r);
    bp_host_backend_desc hd = {.allocator = {alloc_cb, free_cb, &r->host}};
    bp_backend backend;
    bp_host_backend(&hd, &backend);
    /* [docs:scope-loop] */
    /* zero_on_release: seed 002 clears buffers before reuse; CPU work: reuse at once */
    bp_pool_desc pd = {.name = "mesh_fitting", .backend = &backend, .allocator = {alloc_cb, free_cb, &r->host},
                       .frames_in_flight = BP_IMMEDIATE_REUSE, .zero_on_release = true};
    bp_pool *pool;
    if (bp_pool_create(&pd, &pool) != BP_OK) return 1;
    bp_buffer cur_buf;
    float *current;
    if (bp_acquire_positions(pool, VERTICES, &cur_buf, &current) != BP_OK) return 1;
    memcpy(current, mesh, sizeof(float) * 3 * VERTICES);
    fit_ctx ctx = {current, 0};
    double t0 = now_ms();
    for (ctx.iter = 0; ctx.iter < ITERATIONS; ctx.iter++) {
        bp_result res = bp_with_scope(pool, fit_iteration, &ctx);
        if (res != BP_OK) {
            fprintf(stderr, "iteration %d: %s: %s\n", ctx.iter, bp_result_string(res), bp_pool_last_error(pool));
            return 1;
        }
    }
    /* [docs:scope-loop] */
    r->ms = now_ms() - t0;
    /* [docs:duplicate] */
    /* seed 002's copyFloat32Array: keep a copy of the result, then let it go */
    bp_buffer copy;
    if (bp_duplicate(pool, cur_buf, 0, &copy) != BP_OK) return 1;
    bp_buffer_info info;
    bp_buffer_get_info(pool, copy, &info);
    r->sum = checksum(info.mapped);
    bp_release(pool, copy);
    /* [docs:duplicate] */
    bp_release(pool, cur_buf);
    bp_get_stats(pool, stats);
    bp_pool_destroy(pool);
    return 0;
}

int main(void) {
    float *mesh = malloc(sizeof(float) * 3 * VERTICES);
    if (!mesh) return 1;
    make_mesh(mesh);
    run_result before, after;
    bp_stats st;
    run_malloc(mesh, &before);
    if (run_pooled(mesh, &after, &st) != 0) return 1;
    free(mesh);
    printf("mesh fitting (seed 002): %d iterations over %d vertices, displacement + position + normal arrays\n\n",
           ITERATIONS, VERTICES);
    printf("| metric                 | malloc every iteration | bufpool (scoped typed arrays) |\n");
    printf("|------------------------|-----------------------:|------------------------------:|\n");
    printf("| host allocations       | %22llu | %29llu |\n", before.host.allocations, after.host.allocations);
    printf("| peak host bytes        | %22llu | %29llu |\n", before.host.peak_bytes, after.host.peak_bytes);
    printf("| time (ms)              | %22.1f | %29.1f |\n", before.ms, after.ms);
    printf("| result checksum        | %22.4f | %29.4f |\n", before.sum, after.sum);
    printf("\npool: %llu acquires, hit rate %.1f%%, %llu scope releases, %u buffers pooled (%llu bytes)\n",
           (unsigned long long)st.acquires, st.hit_rate * 100.0, (unsigned long long)st.scope_releases,
           st.buffers_pooled, (unsigned long long)st.bytes_pooled);
    printf("host bytes still allocated after the pool is destroyed: %llu\n", after.host.live_bytes);
    int ok = before.sum == after.sum && after.host.allocations * 100 < before.host.allocations &&
             after.host.live_bytes == 0 && before.host.live_bytes == 0;
    printf("%s\n", ok ? "OK: same result, allocations per run instead of per iteration" : "FAILED");
    return ok ? 0 : 1;
}
