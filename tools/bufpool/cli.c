/* The command line of the bufpool tool: one table of commands and one of options. The parser
 * and the help text both read them, so `--help` lists exactly what is accepted, and each
 * command's help exactly the options it takes. */
#include <stdio.h>
#include <string.h>

#include "tool.h"

enum {
    CMD_SCENARIO = 1u << 0,
    CMD_REPLAY = 1u << 1,
    CMD_REPORT = 1u << 2,
    CMD_RUNS = CMD_SCENARIO | CMD_REPLAY, /* the commands that run a pool */
    CMD_ALL = CMD_RUNS | CMD_REPORT
};

typedef struct cli_command {
    const char *name;
    unsigned bit;
    const char *args;    /* what follows the command name */
    const char *summary; /* one line for `bufpool --help` */
    const char *details; /* the rest of `bufpool <command> --help` */
} cli_command;

static const cli_command commands[] = {
    {"scenario", CMD_SCENARIO, "[WORKLOAD]", "run a built-in workload on a pool and report what memory did",
     "Runs WORKLOAD (default: instances) frame by frame on a pool and prints a summary, or with\n"
     "--json one JSON object: hits, misses, peaks, trims, leaks and the plateau verdict.\n"},
    {"replay", CMD_REPLAY, "TRACE", "replay an allocation trace and time the pool calls",
     "Replays TRACE, a text file of events, one per line ('#' starts a comment):\n"
     "  A <id> <bytes>   acquire <bytes> as buffer <id>\n"
     "  R <id>           release buffer <id>\n"
     "  F                end of frame\n"
     "A malformed line, an A of a live id or an R of an unknown id exits 2 naming the line.\n"
     "Buffers still held at the end are reported (leaked_buffers), not an error.\n"},
    {"report", CMD_REPORT, "RUN.json", "draw a run saved with --run as an HTML page (and/or CSV)",
     "Reads RUN.json, written by 'scenario' or 'replay' with --run FILE, and writes the page\n"
     "--html would have written (-o FILE) and/or the series as CSV (--csv FILE).\n"},
};

typedef int (*cli_set_fn)(tool_opts *o, const char *flag, const char *value);

typedef struct cli_option {
    const char *flag;
    const char *value; /* the value's name in the help, NULL for a flag without one */
    unsigned commands; /* the commands that take it */
    cli_set_fn set;    /* returns 0, or 2 after printing what is wrong */
    const char *help;
} cli_option;

static int usage_error(const char *what, const char *flag, const char *detail) {
    fprintf(stderr, "bufpool: %s '%s'%s\n(see bufpool --help)\n", what, flag, detail);
    return 2;
}

static int set_u64(const char *flag, const char *value, uint64_t max, uint64_t *out) {
    if (!tool_parse_u64(value, out)) return usage_error("option", flag, " needs a non-negative integer");
    if (*out > max) return usage_error("option", flag, " is too large");
    return 0;
}

static int set_json(tool_opts *o, const char *f, const char *v) {
    (void)f, (void)v;
    o->json = true;
    return 0;
}
static int set_frames(tool_opts *o, const char *f, const char *v) { return set_u64(f, v, UINT32_MAX, &o->frames); }
static int set_seed(tool_opts *o, const char *f, const char *v) { return set_u64(f, v, UINT64_MAX, &o->seed); }
static int set_frames_in_flight(tool_opts *o, const char *f, const char *v) {
    uint64_t n;
    if (set_u64(f, v, 1000, &n)) return 2;
    o->frames_in_flight = n ? (uint32_t)n : BP_IMMEDIATE_REUSE;
    return 0;
}
static int set_block_size(tool_opts *o, const char *f, const char *v) {
    uint64_t mib;
    if (set_u64(f, v, 1u << 20, &mib)) return 2;
    o->block_bytes = mib << 20; /* 0: one allocation per buffer */
    return 0;
}
/* --retain-demand is the default now; it stays accepted (and undoes an earlier --fixed-class-caps)
 * so that command lines written before keep running. */
static int set_retain_demand(tool_opts *o, const char *f, const char *v) {
    (void)v;
    o->fixed_class_caps = !strcmp(f, "--fixed-class-caps");
    return 0;
}
static int set_exact_classes(tool_opts *o, const char *f, const char *v) {
    (void)f, (void)v;
    o->exact_classes = true;
    return 0;
}
/* --hold-at-peak and --populate: the host blocks' switches */
static int set_blocks_switch(tool_opts *o, const char *f, const char *v) {
    (void)v;
    *(!strcmp(f, "--populate") ? &o->populate : &o->hold_at_peak) = true;
    return 0;
}
static int set_pooled_headroom(tool_opts *o, const char *f, const char *v) {
    uint64_t pct = 0; /* off: the pool's default */
    if (strcmp(v, "off") != 0 && (set_u64(f, v, 1000000, &pct) || !pct))
        return pct ? 2 : usage_error("option", f, " takes a percent of at least 1, or off");
    o->pooled_headroom = (uint32_t)pct;
    return 0;
}
static int set_csv(tool_opts *o, const char *f, const char *v) {
    (void)f;
    o->csv_path = v;
    return 0;
}
static int set_html(tool_opts *o, const char *f, const char *v) {
    (void)f;
    o->html_path = v;
    return 0;
}
static int set_run(tool_opts *o, const char *f, const char *v) {
    (void)f;
    o->run_path = v;
    return 0;
}
static int set_backend(tool_opts *o, const char *f, const char *v) {
    bool known = !strcmp(v, "host");
#ifdef BP_HAVE_VULKAN
    known = known || !strcmp(v, "vulkan");
#endif
    if (!known) return usage_error("option", f, " takes " TOOL_BACKENDS " (the backends of this build)");
    o->backend = v;
    return 0;
}
#ifdef BP_HAVE_VULKAN
static int set_vk_validation(tool_opts *o, const char *f, const char *v) {
    (void)f, (void)v;
    o->vk_validation = true;
    return 0;
}
#endif
static int set_classes(tool_opts *o, const char *f, const char *v) {
    if (strcmp(v, "fine") != 0 && strcmp(v, "pow2") != 0) return usage_error("option", f, " takes fine or pow2");
    o->classes = !strcmp(v, "pow2") ? BP_CLASSES_POW2 : BP_CLASSES_FINE;
    return 0;
}

static const cli_option options[] = {
    {"--frames", "N", CMD_SCENARIO, set_frames, "frames to run (default: the workload's own)"},
    {"--seed", "N", CMD_SCENARIO, set_seed, "random seed; the same seed repeats a run exactly"},
    {"--json", NULL, CMD_RUNS, set_json, "print one JSON object instead of the summary"},
    {"--csv", "FILE", CMD_ALL, set_csv, "write the per-frame series as CSV"},
    {"--html", "FILE", CMD_RUNS, set_html, "write a self-contained HTML report with charts"},
    {"-o", "FILE", CMD_REPORT, set_html, "the HTML page to write"},
    {"--run", "FILE", CMD_RUNS, set_run, "save the whole run as JSON, for 'bufpool report'"},
    {"--backend", "NAME", CMD_RUNS, set_backend, "memory to pool: " TOOL_BACKENDS " (default host)"},
#ifdef BP_HAVE_VULKAN
    {"--vk-validation", NULL, CMD_RUNS, set_vk_validation,
     "Vulkan: validation layer on; any message fails the run"},
#endif
    {"--classes", "fine|pow2", CMD_RUNS, set_classes, "size classes: fine (default, <= 12.5% waste) or pow2"},
    {"--frames-in-flight", "N", CMD_RUNS, set_frames_in_flight,
     "frames before a released buffer is reused (default 2; 0 = at once)"},
    {"--block-size", "N", CMD_RUNS, set_block_size,
     "N-MiB blocks; 0 = one allocation a buffer (default: host 8, Vulkan 0)"},
    {"--fixed-class-caps", NULL, CMD_RUNS, set_retain_demand,
     "retention caps stay at 8 a class (default: rise where they caused misses)"},
    {"--retain-demand", NULL, CMD_RUNS, set_retain_demand, "the default: undoes --fixed-class-caps"},
    {"--exact-classes", NULL, CMD_RUNS, set_exact_classes,
     "a miss takes only its own size class (default: an idle one above too)"},
    {"--pooled-headroom", "off|N", CMD_RUNS, set_pooled_headroom,
     "pooled buffers kept within N% over the peak in use (default off)"},
    {"--hold-at-peak", NULL, CMD_RUNS, set_blocks_switch,
     "host blocks: free space given back before held bytes pass their peak"},
    {"--populate", NULL, CMD_RUNS, set_blocks_switch,
     "host blocks: a buffer's pages get their memory when it is made"},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const cli_command *find_command(const char *name) {
    for (size_t i = 0; i < COUNT(commands); i++)
        if (!strcmp(commands[i].name, name)) return &commands[i];
    return NULL;
}

static void print_options(FILE *out, unsigned bit) {
    for (size_t i = 0; i < COUNT(options); i++) {
        const cli_option *op = &options[i];
        if (!(op->commands & bit)) continue;
        char left[40];
        snprintf(left, sizeof left, "%s%s%s", op->flag, op->value ? " " : "", op->value ? op->value : "");
        fprintf(out, "  %-24s %s\n", left, op->help);
    }
    fprintf(out, "  %-24s %s\n", "-h, --help", "show this help");
}

static void print_workloads(FILE *out) {
    size_t n;
    const tool_workload *w = tool_workloads(&n);
    for (size_t i = 0; i < n; i++) fprintf(out, "  %-12s %s\n", w[i].name, w[i].summary);
}

static void print_help(FILE *out, const cli_command *c) {
    if (!c) {
        fprintf(out, "bufpool %s: run a workload or replay a trace on a buffer pool and report what\n"
                     "memory did (hits, peaks, leaks, plateau verdict; JSON, CSV, HTML).\n\n"
                     "usage: bufpool <command> [options]\n"
                     "       bufpool <command> --help\n"
                     "       bufpool --version\n\ncommands:\n", BP_VERSION_STRING);
        for (size_t i = 0; i < COUNT(commands); i++) {
            char left[40];
            snprintf(left, sizeof left, "%s %s", commands[i].name, commands[i].args);
            fprintf(out, "  %-24s %s\n", left, commands[i].summary);
        }
        fprintf(out, "\noptions (bufpool <command> --help says which each command takes):\n");
        print_options(out, CMD_ALL);
        fprintf(out, "  %-24s %s\n", "--version", "print the version and exit");
    } else {
        fprintf(out, "usage: bufpool %s %s [options]\n\n%s", c->name, c->args, c->details);
        if (c->bit == CMD_SCENARIO) {
            fprintf(out, "\nworkloads:\n");
            print_workloads(out);
        }
        fprintf(out, "\noptions:\n");
        print_options(out, c->bit);
    }
    fprintf(out, "\nexit status: 0 done; 1 the run failed (pool, backend, validation, file);\n"
                 "2 bad usage, a malformed trace or run file.\n");
}

int tool_unknown_workload(const char *name) {
    fprintf(stderr, "bufpool: unknown workload '%s'; the workloads are:\n", name);
    print_workloads(stderr);
    return 2;
}

int tool_cli_parse(int argc, char **argv, tool_opts *o, const char **command, const char **target) {
    const cli_command *cmd = NULL;
    bool help = false;
    const cli_option *seen[COUNT(options)];
    size_t nseen = 0;
    *command = *target = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            help = true;
        } else if (!strcmp(a, "--version")) {
            printf("bufpool %s\n", BP_VERSION_STRING);
            return 0;
        } else if (a[0] == '-' && a[1]) {
            const cli_option *op = NULL;
            for (size_t k = 0; k < COUNT(options) && !op; k++)
                if (!strcmp(options[k].flag, a)) op = &options[k];
            if (!op) return usage_error("unknown option", a, "");
            const char *value = NULL;
            if (op->value) {
                if (i + 1 >= argc) return usage_error("option", a, op->value[0] == 'N' ? " needs a number" : " needs a value");
                value = argv[++i];
            }
            if (op->set(o, a, value)) return 2;
            if (nseen < COUNT(seen)) seen[nseen++] = op;
        } else if (!*command) {
            *command = a;
            cmd = find_command(a);
            if (!cmd && !help) {
                fprintf(stderr, "bufpool: unknown command '%s'; the commands are:", a);
                for (size_t k = 0; k < COUNT(commands); k++) fprintf(stderr, " %s", commands[k].name);
                fprintf(stderr, "\n(see bufpool --help)\n");
                return 2;
            }
        } else if (!*target) {
            *target = a;
        } else {
            return usage_error("unexpected argument", a, "");
        }
    }
    for (size_t k = 0; cmd && k < nseen; k++)
        if (!(seen[k]->commands & cmd->bit)) {
            fprintf(stderr, "bufpool: option '%s' does not apply to '%s'\n(see bufpool %s --help)\n",
                    seen[k]->flag, cmd->name, cmd->name);
            return 2;
        }
    if (help) {
        print_help(stdout, cmd);
        return 0;
    }
    if (!cmd) {
        fprintf(stderr, "bufpool: no command given\n\n");
        print_help(stderr, NULL);
        return 2;
    }
    /* options that only one backend's block mode has */
    if ((o->hold_at_peak || o->populate) && (strcmp(o->backend, "host") != 0 || o->block_bytes == 0))
        return usage_error("option", o->hold_at_peak ? "--hold-at-peak" : "--populate",
                           " needs the host backend in block mode (not --block-size 0)");
    return -1;
}
