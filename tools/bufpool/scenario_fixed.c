/* Seed 004's workload: a fixed-capacity pool holding every buffer 15,000 elements can need
 * (the seed's memory budget table), then frames that materialise f32, vec2 and rgba8 fields
 * and change domain every 1,000 frames. Nothing may be created after start-up: the run
 * reports backend_creates equal to the table and capacity_failures 0. */
#include "tool.h"

#define MAX_ELEMENTS 15000u

static bp_capacity_entry table[] = {
    {MAX_ELEMENTS * 4, 8, BP_MEMORY_HOST_VISIBLE, 0}, /* f32 fields */
    {MAX_ELEMENTS * 8, 4, BP_MEMORY_HOST_VISIBLE, 0}, /* vec2 fields */
    {MAX_ELEMENTS * 4, 2, BP_MEMORY_HOST_CACHED, 0},  /* rgba8 fields */
    {MAX_ELEMENTS * 4, 18, BP_MEMORY_DEVICE_LOCAL, 0}, /* continuity, snapshots, domain ids, mappings */
};
#define ROWS (sizeof table / sizeof table[0])
static const uint32_t per_frame[ROWS] = {8, 4, 2, 0};

/* Buffers released in a frame wait `frames_in_flight` frames: the per-frame rows need that
 * many extra copies. */
void scenario_fixed_configure(const tool_opts *o, bp_pool_desc *d) {
    uint32_t fif = o->frames_in_flight == BP_IMMEDIATE_REUSE ? 0 : o->frames_in_flight ? o->frames_in_flight : 2;
    for (uint32_t i = 0; i < ROWS; i++)
        if (per_frame[i]) table[i].count = per_frame[i] * (fif + 1);
    d->capacity_mode = BP_CAPACITY_FIXED;
    d->capacity_table = table;
    d->capacity_table_count = ROWS;
}

static bp_result take(bp_pool *pool, uint64_t elements, uint32_t components, bp_element_type type, bp_memory memory,
                      uint32_t flags) {
    bp_array_desc a = {.count = elements, .components = components, .type = type, .memory = memory,
                       .flags = flags, .tag = "field"};
    bp_buffer b;
    return bp_acquire_array(pool, &a, &b, NULL);
}

typedef struct fixed_ctx {
    uint64_t rng;
    uint32_t elements;
} fixed_ctx;

static bp_result fixed_frame(bp_pool *pool, uint64_t f, void *user) {
    fixed_ctx *c = user;
    bp_result r = BP_OK;
    if (f % 1000 == 0) { /* domain change: snapshot and remap inside a scope */
        c->elements = 1000 + (uint32_t)(tool_rand(&c->rng) % (MAX_ELEMENTS - 999));
        bp_scope s;
        r = bp_scope_begin(pool, &s);
        for (int i = 0; r == BP_OK && i < 6; i++) r = take(pool, c->elements, 1, BP_ELEMENT_U32, 0, 0);
        if (r == BP_OK) r = bp_scope_end(pool, s, NULL);
    }
    uint32_t fields = 1 + (uint32_t)(tool_rand(&c->rng) % 8);
    for (uint32_t i = 0; r == BP_OK && i < fields; i++)
        r = take(pool, c->elements, 1, BP_ELEMENT_F32, BP_MEMORY_HOST_VISIBLE, BP_ACQUIRE_TRANSIENT);
    for (uint32_t i = 0; r == BP_OK && i < 1 + f % 4; i++)
        r = take(pool, c->elements, 2, BP_ELEMENT_F32, BP_MEMORY_HOST_VISIBLE, BP_ACQUIRE_TRANSIENT);
    for (uint32_t i = 0; r == BP_OK && i < 2; i++)
        r = take(pool, c->elements, 4, BP_ELEMENT_U8, BP_MEMORY_HOST_CACHED, BP_ACQUIRE_TRANSIENT);
    return r;
}

int scenario_fixed(bp_pool *pool, const tool_opts *o, run_report *r) {
    fixed_ctx c = {.rng = o->seed ? o->seed : 0xF1CED};
    r->workload = "fixed";
    /* the continuity state held for the whole run: gauge and slew, 4 each */
    bp_buffer held[8];
    for (int i = 0; i < 8; i++) {
        bp_array_desc a = {.count = MAX_ELEMENTS, .tag = "continuity"};
        if (bp_acquire_array(pool, &a, &held[i], NULL) != BP_OK) return 1;
    }
    int rc = tool_run_frames(pool, r, o->frames ? o->frames : 10000, fixed_frame, &c);
    for (int i = 0; i < 8; i++) bp_release(pool, held[i]);
    return rc;
}
