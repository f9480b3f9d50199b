/* bufpool: run a workload or replay a trace on a pool and report what memory did. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

bool tool_parse_u64(const char *s, uint64_t *out) {
    if (!s || !*s) return false;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10) return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return true;
}

uint64_t tool_rand(uint64_t *state) {
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1Dull;
}


/* The host backend, in block mode unless `--block-size 0`: the table, and the most bytes its
 * blocks and dedicated buffers held, read when the pool is destroyed (the pool owns the
 * backend's state). */
static bp_backend host_blocks;
static bool host_blocks_on;
static uint64_t host_blocks_peak_held;

uint64_t tool_block_bytes(const tool_opts *o) {
    if (o->block_bytes != TOOL_BLOCKS_DEFAULT) return o->block_bytes;
    return strcmp(o->backend, "host") ? 0 : BP_HOST_DEFAULT_BLOCK_SIZE; /* as a pool given no backend */
}

bp_pool *tool_pool_create(const tool_opts *o, bp_pool_desc *desc) {
    desc->class_scheme = o->classes;
    desc->series_frames = 1; /* the report reads each frame's point and keeps the whole run itself */
    desc->frames_in_flight = o->frames_in_flight;
    if (o->fixed_class_caps) desc->retain_demand = BP_NEVER;
    desc->pooled_headroom = o->pooled_headroom; /* 0: off, the default */
    if (o->exact_classes) desc->reuse_larger_classes = BP_NEVER;
#ifdef BP_HAVE_VULKAN
    static bp_backend backend; /* the pool keeps a pointer to it until it is destroyed */
    if (!strcmp(o->backend, "vulkan")) {
        uint32_t fif = o->frames_in_flight == BP_IMMEDIATE_REUSE ? 1 : o->frames_in_flight;
        if (!tool_vulkan_backend(o, fif, &backend)) return NULL;
        desc->backend = &backend;
    } else
#endif
    if (strcmp(o->backend, "host") != 0) {
        fprintf(stderr, "bufpool: unknown backend '%s' (this build has: " TOOL_BACKENDS ")\n", o->backend);
        return NULL;
    } else {
        bp_host_backend_desc hd = {
            .block_size = tool_block_bytes(o), .hold_at_peak = o->hold_at_peak, .populate = o->populate};
        if (bp_host_backend(&hd, &host_blocks) != BP_OK) {
            fprintf(stderr, "bufpool: cannot create the host backend with %llu-byte blocks\n",
                    (unsigned long long)hd.block_size);
            return NULL;
        }
        desc->backend = &host_blocks;
        host_blocks_on = hd.block_size != 0;
    }
    bp_pool *pool = NULL;
    bp_result r = bp_pool_create(desc, &pool);
    if (r != BP_OK) {
        fprintf(stderr, "bufpool: cannot create the pool: %s\n", bp_result_string(r));
        tool_pool_destroy(NULL);
    }
    return pool;
}

int tool_pool_destroy(bp_pool *pool) {
    bp_host_backend_stats hs;
    if (pool && host_blocks_on && bp_host_backend_get_stats(&host_blocks, &hs) == BP_OK)
        host_blocks_peak_held = hs.peak_held_bytes;
    bp_pool_destroy(pool);
#ifdef BP_HAVE_VULKAN
    return tool_vulkan_finish();
#else
    return 0;
#endif
}

int main(int argc, char **argv) {
    tool_opts o = {.backend = "host", .block_bytes = TOOL_BLOCKS_DEFAULT};
    const char *command, *target;
    int status = tool_cli_parse(argc, argv, &o, &command, &target);
    if (status >= 0) return status; /* help, version or a usage error */
    static run_report report; /* ~330 KB: the series and the busiest frame's classes */
    memset(&report, 0, sizeof report);
    report.backend = o.backend;
    report.classes = o.classes == BP_CLASSES_POW2 ? "pow2" : "fine";
    int rc;
    if (!strcmp(command, "scenario")) {
        const char *w = target ? target : "instances";
        const tool_workload *wl = tool_workload_find(w);
        if (!wl) return tool_unknown_workload(w);
        bp_pool_desc desc = {.name = w};
        if (wl->configure) wl->configure(&o, &desc);
        bp_pool *pool = tool_pool_create(&o, &desc);
        if (!pool) return 1;
        rc = wl->run(pool, &o, &report);
        run_report_finish(&report, pool);
        if (tool_pool_destroy(pool) && rc == 0) rc = 1;
    } else if (!strcmp(command, "report")) {
        if (!target || (!o.html_path && !o.csv_path)) {
            fprintf(stderr, "bufpool: report needs a run file and -o FILE.html or --csv FILE\n"
                            "(see bufpool report --help)\n");
            return 2;
        }
        rc = run_report_read_run(&report, target);
        if (rc == 0 && o.csv_path) rc = run_report_write_csv(&report, o.csv_path);
        if (rc == 0 && o.html_path) rc = run_report_write_html(&report, o.html_path);
        run_file_release();
        return rc;
    } else { /* replay: the parser knows no other command */
        if (!target) {
            fprintf(stderr, "bufpool: replay needs a trace file\n(see bufpool replay --help)\n");
            return 2;
        }
        rc = replay_trace(target, &o, &report);
    }
    report.block_size = tool_block_bytes(&o);
    report.fixed_class_caps = o.fixed_class_caps;
    report.exact_classes = o.exact_classes;
    report.hold_at_peak = o.hold_at_peak; /* host blocks only: the command line refuses them elsewhere */
    report.populate = o.populate;
    report.pooled_headroom = o.pooled_headroom;
    report.backend_peak_held = host_blocks_peak_held;
    if (rc == 0) run_report_print(&report, o.json, stdout);
    if (rc == 0 && o.csv_path) rc = run_report_write_csv(&report, o.csv_path);
    if (rc == 0 && o.html_path) rc = run_report_write_html(&report, o.html_path);
    if (rc == 0 && o.run_path) rc = run_report_write_run(&report, o.run_path);
    return rc;
}
