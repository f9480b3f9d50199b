/* What the device sections (Vulkan, OpenCL, CUDA) share: a pool hit, a pool miss and the raw
 * create + destroy of one API, timed the same way, and the device workload's table. */
#ifndef BENCH_DEVICE_H
#define BENCH_DEVICE_H

#include "bench.h"

/* One device API as the shared timings see it. */
typedef struct device_api {
    const char *name; /* "Vulkan", "OpenCL", "CUDA" */
    void *user;
    /* A pool on this API's backend made from `pd` (its backend field is set here); block_size:
     * the backend's block mode where it has one (0: one allocation per buffer). */
    bool (*make_pool)(void *user, const bp_pool_desc *pd, uint64_t block_size, bp_pool **out);
    /* After the warm-up hits of the timed pool, which created its one buffer (may be NULL). */
    void (*warmed)(void *user, bp_pool *pool);
    /* One raw create + destroy of `size` bytes, as a program without a pool does it. */
    bool (*raw_pair)(void *user, size_t size);
} device_api;

typedef struct device_hit_times {
    double device, host, raw; /* median ns per pair */
} device_hit_times;

/* Median ns per pair over `repeats` rounds of: pool hits on the API's backend, pool hits on the
 * host backend (the same loop, bench_pool_hits, as the pool-hit section), and raw pairs.
 * False when a pool failed. */
bool device_hit(const device_api *a, size_t size, uint64_t pairs, uint64_t raw_pairs, int repeats,
                device_hit_times *out);

/* Median ns per pool miss + destroy: a pool that keeps nothing pooled (each acquire creates a
 * buffer, each release destroys it; no frames, so at once). 0 when it failed. */
double device_miss(const device_api *a, size_t size, uint64_t block_size, uint64_t pairs, int repeats);

/* Median ns per raw create + destroy alone; 0 when it failed. */
double device_raw(const device_api *a, size_t size, uint64_t pairs, int repeats);

/* A pool from `in` on backend `be` (the pool owns it from here); false, with the reason on
 * stderr, when the pool failed. For the make_pool of each API. */
bool device_pool_create(const char *api, bp_backend *be, const bp_pool_desc *in, bp_pool **out);

/* The sizes every device section times. */
enum { DEVICE_SIZES = 3 };
extern const size_t device_sizes[DEVICE_SIZES];

/* The hit table's rows, one per size (| size | hit | host hit | raw | ratio |); fills the
 * summary's speedup, raw_min, raw_max and hit_max. */
void device_hit_rows(FILE *o, const device_api *a, int repeats, bool quick, device_summary *sum);

/* The table of a pool miss + destroy (`max_pooled_bytes` 1) beside the raw pair it wraps, one
 * row per size, `pairs` of each a round: what the pool adds to a miss. */
void device_miss_rows(FILE *o, const device_api *a, int repeats, uint64_t pairs);

/* The workload replayed by cs[0] (bufpool on the device) and cs[1] (the raw API), as a table. */
void device_workload_rows(FILE *o, const event_list *w, contender cs[2], int repeats);

#endif
