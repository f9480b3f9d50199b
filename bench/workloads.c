/* Workloads as event lists, generated before any timing (seeded, so every run and every
 * contender sees the same requests). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

bool events_push(event_list *l, uint32_t kind, uint32_t slot, uint64_t size) {
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4096;
        bench_event *ev = realloc(l->ev, cap * sizeof *ev);
        if (!ev) return false;
        l->ev = ev;
        l->cap = cap;
    }
    if (size > UINT32_MAX || slot >= (1u << 30)) return false;
    l->ev[l->count++] = (bench_event){kind, slot, (uint32_t)size};
    if (slot >= l->slots) l->slots = slot + 1;
    if (kind == EV_ACQUIRE || kind == EV_ACQUIRE_TRANSIENT) l->acquires++;
    if (kind == EV_FRAME) l->frames++;
    return true;
}

void events_free(event_list *l) {
    free(l->ev);
    *l = (event_list){0};
}

bool events_transient(const event_list *in, event_list *out) {
    *out = (event_list){.name = in->name}; /* in's name: valid while in is */
    size_t *acquired_at = calloc(in->slots ? in->slots : 1, sizeof *acquired_at);
    bool *frame_local = calloc(in->count ? in->count : 1, sizeof *frame_local); /* by event index */
    bool ok = acquired_at && frame_local;
    for (size_t start = 0, end; ok && start < in->count; start = end + 1) {
        size_t last_acquire = start;
        bool any = false;
        for (end = start; end < in->count && in->ev[end].kind != EV_FRAME; end++) {
            if (in->ev[end].kind == EV_ACQUIRE) acquired_at[in->ev[end].slot] = end, last_acquire = end, any = true;
        }
        if (end == in->count) break; /* no frame end returns them */
        for (size_t i = any ? last_acquire + 1 : start; i < end; i++) {
            size_t a = acquired_at[in->ev[i].slot];
            if (in->ev[i].kind == EV_RELEASE && a >= start) frame_local[a] = frame_local[i] = true;
        }
    }
    for (size_t i = 0; ok && i < in->count; i++) {
        bench_event e = in->ev[i];
        if (e.kind == EV_RELEASE && frame_local[i]) continue;
        ok = events_push(out, e.kind == EV_ACQUIRE && frame_local[i] ? EV_ACQUIRE_TRANSIENT : e.kind, e.slot, e.size);
    }
    free(acquired_at);
    free(frame_local);
    return ok;
}

uint64_t bench_rand(uint64_t *s) { /* splitmix64 */
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Seed 000: each frame prepares 8-24 batches of 1-200 instances of 80 bytes, one transient
 * instance buffer per batch, all returned at frame end (the tool's `scenario instances`). */
bool workload_instances(event_list *l, uint32_t frames, uint64_t seed) {
    l->name = "instances";
    snprintf(l->description, sizeof l->description,
             "seed 000: %u frames, 8-24 buffers of 80 B x 1-200 instances each, all released at frame end",
             frames);
    for (uint32_t f = 0; f < frames; f++) {
        uint32_t batches = 8 + (uint32_t)(bench_rand(&seed) % 17);
        for (uint32_t b = 0; b < batches; b++)
            if (!events_push(l, EV_ACQUIRE, b, (1 + bench_rand(&seed) % 200) * 80u)) return false;
        for (uint32_t b = 0; b < batches; b++)
            if (!events_push(l, EV_RELEASE, b, 0)) return false;
        if (!events_push(l, EV_FRAME, 0, 0)) return false;
    }
    return true;
}

/* Sizes uniform on a log scale from 256 B to 4 MiB; each buffer lives 1-8 frames. */
#define LIFE_MAX 8u
bool workload_random_lifetimes(event_list *l, uint32_t frames, uint64_t seed) {
    enum { PER_FRAME = 16 };
    l->name = "random";
    snprintf(l->description, sizeof l->description,
             "%u frames, %d buffers a frame, sizes log-uniform 256 B - 4 MiB, lifetimes 1-%u frames", frames,
             PER_FRAME, LIFE_MAX);
    /* due[f % (LIFE_MAX+1)] lists the slots released at the start of frame f */
    uint32_t due[LIFE_MAX + 1][PER_FRAME * (LIFE_MAX + 1)], due_n[LIFE_MAX + 1] = {0};
    uint32_t free_slots[PER_FRAME * (LIFE_MAX + 1)], free_n = 0, next_slot = 0;
    for (uint32_t f = 0; f < frames + LIFE_MAX; f++) {
        uint32_t *d = due[f % (LIFE_MAX + 1)], *dn = &due_n[f % (LIFE_MAX + 1)];
        for (uint32_t i = 0; i < *dn; i++) {
            if (!events_push(l, EV_RELEASE, d[i], 0)) return false;
            free_slots[free_n++] = d[i];
        }
        *dn = 0;
        for (uint32_t i = 0; f < frames && i < PER_FRAME; i++) {
            double u = (double)(bench_rand(&seed) >> 11) * 0x1.0p-53;
            uint64_t size = (uint64_t)(256.0 * exp2(u * 14.0)); /* 2^8 .. 2^22 */
            uint32_t life = 1 + (uint32_t)(bench_rand(&seed) % LIFE_MAX);
            uint32_t slot = free_n ? free_slots[--free_n] : next_slot++;
            if (!events_push(l, EV_ACQUIRE, slot, size)) return false;
            uint32_t at = (f + life) % (LIFE_MAX + 1);
            due[at][due_n[at]++] = slot;
        }
        if (f < frames && !events_push(l, EV_FRAME, 0, 0)) return false;
    }
    return true;
}

/* Seed 002: a fitting loop that takes three float arrays of vertices x 3 (displacements,
 * original positions, normals) every iteration and gives them back at its end. */
bool workload_mesh_fitting(event_list *l, uint32_t iterations, uint32_t vertices) {
    l->name = "mesh";
    snprintf(l->description, sizeof l->description,
             "seed 002: %u iterations x 3 float arrays of %u vertices x 3 (%u B each)", iterations, vertices,
             vertices * 12u);
    for (uint32_t it = 0; it < iterations; it++) {
        for (uint32_t a = 0; a < 3; a++)
            if (!events_push(l, EV_ACQUIRE, a, (uint64_t)vertices * 3u * sizeof(float))) return false;
        for (uint32_t a = 0; a < 3; a++)
            if (!events_push(l, EV_RELEASE, a, 0)) return false;
        if (!events_push(l, EV_FRAME, 0, 0)) return false;
    }
    return true;
}

/* A renderer-like mix, used as the default trace: every frame 8-24 transient instance
 * buffers and a 256 B uniform buffer, and now and then a mesh of 64 KiB - 4 MiB that stays
 * for 50-500 frames. */
bool workload_mixed(event_list *l, uint32_t frames, uint64_t seed) {
    enum { MESHES = 64 };
    uint32_t mesh_slot[MESHES], mesh_until[MESHES] = {0}, next = 32;
    for (uint32_t m = 0; m < MESHES; m++) mesh_slot[m] = UINT32_MAX;
    l->name = "mixed";
    snprintf(l->description, sizeof l->description, "%u frames of transient instances, uniforms and long-lived meshes",
             frames);
    for (uint32_t f = 0; f < frames; f++) {
        uint32_t batches = 8 + (uint32_t)(bench_rand(&seed) % 17);
        if (!events_push(l, EV_ACQUIRE, 0, 256)) return false;
        for (uint32_t b = 1; b <= batches; b++)
            if (!events_push(l, EV_ACQUIRE, b, (1 + bench_rand(&seed) % 200) * 80u)) return false;
        for (uint32_t m = 0; m < MESHES; m++) {
            if (mesh_slot[m] != UINT32_MAX && mesh_until[m] == f) {
                if (!events_push(l, EV_RELEASE, mesh_slot[m], 0)) return false;
                mesh_slot[m] = UINT32_MAX;
            }
            if (mesh_slot[m] == UINT32_MAX && bench_rand(&seed) % 100 < 2) {
                double u = (double)(bench_rand(&seed) >> 11) * 0x1.0p-53;
                mesh_slot[m] = next++;
                mesh_until[m] = f + 50 + (uint32_t)(bench_rand(&seed) % 451);
                if (!events_push(l, EV_ACQUIRE, mesh_slot[m], (uint64_t)(65536.0 * exp2(u * 6.0)))) return false;
            }
        }
        for (uint32_t b = 0; b <= batches; b++)
            if (!events_push(l, EV_RELEASE, b, 0)) return false;
        if (!events_push(l, EV_FRAME, 0, 0)) return false;
    }
    for (uint32_t m = 0; m < MESHES; m++)
        if (mesh_slot[m] != UINT32_MAX && !events_push(l, EV_RELEASE, mesh_slot[m], 0)) return false;
    return true;
}

/* Write an event list in the tool's trace format (slots serve as ids: unique while live). */
bool events_write_trace(const event_list *l, const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) return false;
    fprintf(f, "# bufpool_bench write-trace: %s\n", l->description);
    for (size_t i = 0; i < l->count; i++) {
        const bench_event *e = &l->ev[i];
        if (e->kind == EV_ACQUIRE) fprintf(f, "A %u %u\n", (unsigned)e->slot, (unsigned)e->size);
        else if (e->kind == EV_RELEASE) fprintf(f, "R %u\n", (unsigned)e->slot);
        else fputs("F\n", f);
    }
    return fclose(f) == 0;
}
