/* Shared pieces of the bufpool command-line tool. */
#ifndef BUFPOOL_TOOL_H
#define BUFPOOL_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bufpool.h"
#include "run_report.h"

typedef struct tool_opts {
    uint64_t frames;           /* 0 = the workload's default */
    uint64_t seed;
    bool json;
    const char *csv_path;      /* --csv FILE, or NULL */
    const char *html_path;     /* --html FILE (-o FILE for report), or NULL */
    const char *run_path;      /* --run FILE, or NULL */
    const char *backend;       /* "host" (default) */
    bp_class_scheme classes;
    uint32_t frames_in_flight; /* 0 = pool default */
    bool vk_validation;        /* --vk-validation: Khronos validation layer on, messages fail */
    uint64_t block_bytes;      /* --block-size N (MiB): the backend's block mode; 0 = off; TOOL_BLOCKS_DEFAULT =
                                  not given (host: the pool's default blocks; Vulkan: off) */
    bool fixed_class_caps;     /* --fixed-class-caps: retain_demand = BP_NEVER (bp_pool_desc) */
    bool exact_classes;        /* --exact-classes: reuse_larger_classes = BP_NEVER (bp_pool_desc) */
    uint32_t pooled_headroom;  /* --pooled-headroom off|N: bp_pool_desc.pooled_headroom (0: off, the default) */
    bool hold_at_peak;         /* --hold-at-peak: bp_host_backend_desc.hold_at_peak (host blocks) */
    bool populate;             /* --populate: bp_host_backend_desc.populate (host blocks) */
} tool_opts;

#define TOOL_BLOCKS_DEFAULT UINT64_MAX

/* The block size a run uses: --block-size, or the backend's default (tool_opts.block_bytes). */
uint64_t tool_block_bytes(const tool_opts *o);

#ifdef BP_HAVE_VULKAN
#define TOOL_BACKENDS "host, vulkan"
#else
#define TOOL_BACKENDS "host"
#endif

/* cli.c: parse argv into `o`, the command and its argument. Returns -1 to go on, else the
 * exit status to return at once (0 after --help or --version, 2 after a usage error). */
int tool_cli_parse(int argc, char **argv, tool_opts *o, const char **command, const char **target);
/* Print the workloads after an unknown name; returns the exit status 2. */
int tool_unknown_workload(const char *name);
/* Parse an unsigned decimal option value; false on junk or overflow. */
bool tool_parse_u64(const char *s, uint64_t *out);
/* A small deterministic RNG (xorshift64*), so runs repeat exactly. */
uint64_t tool_rand(uint64_t *state);
/* Create the pool the options ask for; prints the error and returns NULL on failure. */
bp_pool *tool_pool_create(const tool_opts *o, bp_pool_desc *desc);
/* Destroy a pool from tool_pool_create, then its device; returns 1 when validation spoke. */
int tool_pool_destroy(bp_pool *pool);
#ifdef BP_HAVE_VULKAN
/* vulkan_pool.c: the Vulkan backend over a headless device (false + message on failure). */
bool tool_vulkan_backend(const tool_opts *o, uint32_t frames_in_flight, bp_backend *out);
int tool_vulkan_finish(void);
#endif

int scenario_instances(bp_pool *pool, const tool_opts *o, run_report *r);
int scenario_mesh(bp_pool *pool, const tool_opts *o, run_report *r);
int scenario_vegetation(bp_pool *pool, const tool_opts *o, run_report *r);
int scenario_fixed(bp_pool *pool, const tool_opts *o, run_report *r);
/* Workloads whose pool needs more than the defaults (a budget, a capacity table). */
void scenario_vegetation_configure(const tool_opts *o, bp_pool_desc *desc);
void scenario_fixed_configure(const tool_opts *o, bp_pool_desc *desc);

/* workloads.c: the built-in workloads of `bufpool scenario`. */
typedef struct tool_workload {
    const char *name;
    const char *summary; /* one line for `bufpool scenario --help` */
    void (*configure)(const tool_opts *o, bp_pool_desc *desc); /* NULL: default pool */
    int (*run)(bp_pool *pool, const tool_opts *o, run_report *r);
} tool_workload;
const tool_workload *tool_workload_find(const char *name);
/* Every workload, in the order the help lists them. */
const tool_workload *tool_workloads(size_t *count);
/* One step of a workload, run between bp_frame_begin and bp_frame_end. */
typedef bp_result (*tool_step_fn)(bp_pool *pool, uint64_t frame, void *ctx);
/* Run `frames` frames of `step`, recording warm-up hits and the reserved series; 0 or 1. */
int tool_run_frames(bp_pool *pool, run_report *r, uint64_t frames, tool_step_fn step, void *ctx);
int replay_trace(const char *path, const tool_opts *o, run_report *r);

#endif
