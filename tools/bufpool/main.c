/* bufpool: run a workload or replay a trace on a pool and report what memory did. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

static const char *usage_text =
    "usage: bufpool <command> [options]\n"
    "\n"
    "commands:\n"
    "  scenario <workload>   run a built-in workload: instances (seed 000), mesh (seed 002),\n"
    "                        vegetation (seed 001, 512 MB budget), fixed (seed 004)\n"
    "  replay <trace>        replay an allocation trace (A <id> <bytes> / R <id> / F)\n"
    "\n"
    "options:\n"
    "  --frames N            frames to run (scenario; default 500)\n"
    "  --seed N              random seed (scenario)\n"
    "  --json                print one JSON object instead of the summary\n"
    "  --csv FILE            write the per-frame series as CSV\n"
    "  --html FILE           write a self-contained HTML report with charts\n"
    "  --backend NAME        host (default) or vulkan (when built with Vulkan)\n"
    "  --vk-validation       Vulkan: validation layer on; any message fails the run\n"
    "  --classes fine|pow2   size classes (default fine)\n"
    "  --frames-in-flight N  frames before a released buffer is reused (default 2)\n"
    "  --help, --version\n";

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

#ifdef BP_HAVE_VULKAN
#define TOOL_BACKENDS "host, vulkan"
#else
#define TOOL_BACKENDS "host"
#endif

bp_pool *tool_pool_create(const tool_opts *o, bp_pool_desc *desc) {
    desc->class_scheme = o->classes;
    desc->series_frames = 1; /* the report reads each frame's point and keeps the whole run itself */
    desc->frames_in_flight = o->frames_in_flight;
    bp_backend backend;
#ifdef BP_HAVE_VULKAN
    if (!strcmp(o->backend, "vulkan")) {
        uint32_t fif = o->frames_in_flight == BP_IMMEDIATE_REUSE ? 1 : o->frames_in_flight;
        if (!tool_vulkan_backend(o, fif, &backend)) return NULL;
        desc->backend = &backend;
    } else
#endif
    if (strcmp(o->backend, "host") != 0) {
        fprintf(stderr, "bufpool: unknown backend '%s' (this build has: " TOOL_BACKENDS ")\n", o->backend);
        return NULL;
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
    bp_pool_destroy(pool);
#ifdef BP_HAVE_VULKAN
    return tool_vulkan_finish();
#else
    return 0;
#endif
}

static int bad_usage(const char *fmt, const char *arg) {
    fprintf(stderr, "bufpool: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see bufpool --help)\n");
    return 2;
}

int main(int argc, char **argv) {
    tool_opts o = {.backend = "host"};
    const char *command = NULL, *target = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage_text, stdout);
            return 0;
        } else if (!strcmp(a, "--version")) {
            printf("bufpool %s\n", BP_VERSION_STRING);
            return 0;
        } else if (!strcmp(a, "--json")) {
            o.json = true;
        } else if (!strcmp(a, "--vk-validation")) {
            o.vk_validation = true;
        } else if (!strcmp(a, "--frames") || !strcmp(a, "--seed") || !strcmp(a, "--frames-in-flight")) {
            uint64_t v;
            if (!tool_parse_u64(next, &v)) return bad_usage("%s needs a non-negative integer", a);
            if (!strcmp(a, "--frames")) o.frames = v;
            else if (!strcmp(a, "--seed")) o.seed = v;
            else if (v > 1000) return bad_usage("%s must be at most 1000", a);
            else o.frames_in_flight = v ? (uint32_t)v : BP_IMMEDIATE_REUSE;
            i++;
        } else if (!strcmp(a, "--csv") || !strcmp(a, "--html")) {
            if (!next) return bad_usage("%s needs a file name", a);
            *(!strcmp(a, "--csv") ? &o.csv_path : &o.html_path) = argv[++i];
        } else if (!strcmp(a, "--backend")) {
            if (!next) return bad_usage("%s needs a name", a);
            o.backend = argv[++i];
        } else if (!strcmp(a, "--classes")) {
            if (!next || (strcmp(next, "fine") && strcmp(next, "pow2"))) return bad_usage("%s takes fine or pow2", a);
            o.classes = !strcmp(next, "pow2") ? BP_CLASSES_POW2 : BP_CLASSES_FINE;
            i++;
        } else if (a[0] == '-') {
            return bad_usage("unknown option '%s'", a);
        } else if (!command) {
            command = a;
        } else if (!target) {
            target = a;
        } else {
            return bad_usage("unexpected argument '%s'", a);
        }
    }
    if (!command) {
        fputs(usage_text, stderr);
        return 2;
    }
    static run_report report; /* ~330 KB: the series and the busiest frame's classes */
    memset(&report, 0, sizeof report);
    report.backend = o.backend;
    report.classes = o.classes == BP_CLASSES_POW2 ? "pow2" : "fine";
    int rc;
    if (!strcmp(command, "scenario")) {
        const char *w = target ? target : "instances";
        const tool_workload *wl = tool_workload_find(w);
        if (!wl) return bad_usage("unknown workload '%s' (" TOOL_WORKLOADS ")", w);
        bp_pool_desc desc = {.name = w};
        if (wl->configure) wl->configure(&o, &desc);
        bp_pool *pool = tool_pool_create(&o, &desc);
        if (!pool) return 1;
        rc = wl->run(pool, &o, &report);
        run_report_finish(&report, pool);
        if (tool_pool_destroy(pool) && rc == 0) rc = 1;
    } else if (!strcmp(command, "replay")) {
        if (!target) return bad_usage("%s needs a trace file", command);
        rc = replay_trace(target, &o, &report);
    } else {
        return bad_usage("unknown command '%s'", command);
    }
    if (rc == 0) run_report_print(&report, o.json, stdout);
    if (rc == 0 && o.csv_path) rc = run_report_write_csv(&report, o.csv_path);
    if (rc == 0 && o.html_path) rc = run_report_write_html(&report, o.html_path);
    return rc;
}
