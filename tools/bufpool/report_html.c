/* The HTML report: one self-contained page (inline CSS and SVG, no script, no network) with
 * the verdict in words, summary cards, memory and hit rate over frames, the size classes at
 * the busiest frame (requested vs capacity: the rounding waste), top tags and owners. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal/numfmt.h" /* the page's numbers the same in every locale */
#include "run_report.h"
#include "svg_chart.h"

static const char *style =
    "body{margin:0;background:#f1f5f9;color:#0f172a;font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,"
    "'Helvetica Neue',Arial,sans-serif}"
    "main{max-width:1080px;margin:0 auto;padding:28px 24px 40px}"
    "h1{font-size:26px;margin:0}h2{font-size:17px;margin:0 0 10px}"
    ".sub{color:#64748b;margin:2px 0 20px}"
    "section{background:#fff;border-radius:12px;padding:18px 20px;margin:0 0 18px;"
    "box-shadow:0 1px 2px rgba(15,23,42,.06),0 1px 8px rgba(15,23,42,.04)}"
    ".verdict{border-left:8px solid}.verdict h2{font-size:21px;margin-bottom:4px}"
    ".ok{border-color:#16a34a}.ok h2{color:#15803d}.bad{border-color:#dc2626}.bad h2{color:#b91c1c}"
    ".short{border-color:#94a3b8}"
    ".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;background:none;"
    "box-shadow:none;padding:0}"
    ".card{background:#fff;border-radius:12px;padding:14px 16px;box-shadow:0 1px 2px rgba(15,23,42,.06)}"
    ".card b{display:block;font-size:21px;white-space:nowrap;font-variant-numeric:tabular-nums}.card span{color:#64748b;font-size:13px}"
    "svg{width:100%;height:auto;display:block}"
    "svg .tick{font-size:12px;fill:#64748b}svg .unit{font-size:12px;fill:#475569;font-weight:600}"
    "svg .legend{font-size:13px;fill:#334155}"
    ".note{color:#64748b;font-size:13px;margin:6px 0 0}"
    "table{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums}"
    "th{text-align:left;color:#64748b;font-weight:600;font-size:13px;border-bottom:1px solid #e2e8f0;padding:6px 8px}"
    "td{padding:6px 8px;border-bottom:1px solid #f1f5f9}td.n{text-align:right}th.n{text-align:right}"
    ".bar{height:10px;border-radius:5px;background:#3b82f6;min-width:2px}"
    "code{background:#f1f5f9;border-radius:4px;padding:1px 5px}";

static void bytes_text(FILE *f, double bytes) {
    double div;
    const char *unit = chart_byte_unit(bytes, &div);
    fprintf(f, "%s %s", bpi_num_fixed(div == 1.0 ? 0 : 2, bytes / div).s, unit);
}

/* A summary card: v as bytes, or with `decimals` decimals and `suffix`. */
static void card(FILE *f, const char *label, int decimals, const char *suffix, double v, bool bytes) {
    fprintf(f, "<div class=\"card\"><b>");
    if (bytes) bytes_text(f, v);
    else fprintf(f, "%s%s", bpi_num_fixed(decimals, v).s, suffix);
    fprintf(f, "</b><span>%s</span></div>\n", label);
}

static void verdict_section(FILE *f, const run_report *r) {
    const bp_verdict *v = &r->verdict;
    const char *cls = v->kind == BP_VERDICT_GROWING ? "bad" : v->kind == BP_VERDICT_PLATEAU ? "ok" : "short";
    fprintf(f, "<section class=\"verdict %s\">", cls);
    if (v->kind == BP_VERDICT_TOO_SHORT) {
        fprintf(f, "<h2>Too short to judge</h2><p>The run has %u points; the verdict needs at least %u frames.</p>",
                r->series.count, BP_VERDICT_MIN_POINTS);
    } else {
        fprintf(f, v->kind == BP_VERDICT_GROWING ? "<h2>Memory is still growing: a leak?</h2><p>"
                                                 : "<h2>Memory plateaued</h2><p>");
        fprintf(f, "Over the second half of the run (from frame %llu) the peaks of reserved memory in four equal "
                   "windows were ", (unsigned long long)v->first_frame);
        for (int k = 0; k < 4; k++) {
            bytes_text(f, (double)v->peaks[k]);
            fputs(k < 3 ? " &rarr; " : ". ", f);
        }
        if (v->kind == BP_VERDICT_GROWING) {
            fprintf(f, "Every window rose, the last by ");
            bytes_text(f, (double)v->last_step_bytes);
            fprintf(f, " (at least one size class, ");
            bytes_text(f, (double)v->tolerance_bytes);
            fprintf(f, "): about ");
            bytes_text(f, v->slope_bytes_per_frame > 0 ? v->slope_bytes_per_frame : 0);
            fprintf(f, " a frame.");
        } else {
            fprintf(f, "They did not rise steadily by one size class (");
            bytes_text(f, (double)v->tolerance_bytes);
            fprintf(f, ") a window: the pool reuses what it holds.");
        }
        fprintf(f, "</p>");
    }
    if (r->held_count) {
        const bp_tag_usage *t = &r->held_at_end[0];
        fprintf(f, "<p>%u buffer(s) were still held when the run ended; the largest group: <code>", r->leaked_buffers);
        html_escape(f, t->tag);
        fprintf(f, "</code> (owner %llu), %u buffer(s), ", (unsigned long long)t->owner, t->buffers);
        bytes_text(f, (double)t->bytes);
        fprintf(f, ", the oldest held for %llu frames.</p>", (unsigned long long)t->age_frames);
    }
    fprintf(f, "</section>\n");
}

static void cards_section(FILE *f, const run_report *r) {
    const bp_stats *s = &r->stats;
    double warm = r->warm_acquires ? (double)r->warm_hits / (double)r->warm_acquires : s->hit_rate;
    fprintf(f, "<section class=\"cards\">\n");
    card(f, "peak reserved", 0, "", (double)s->peak_reserved, true);
    card(f, "reserved at the end", 0, "", (double)s->bytes_reserved, true);
    card(f, "peak requested", 0, "", (double)s->peak_requested, true);
    card(f, "hit rate after warm-up", 2, "%", warm * 100.0, false);
    card(f, "backend creates", 0, "", (double)s->backend_creates, false);
    card(f, "buffers held at the end", 0, "", (double)r->leaked_buffers, false);
    fprintf(f, "</section>\n");
}

static void memory_section(FILE *f, const run_report *r, double *x, double *ys) {
    uint32_t n = r->series.count;
    double peak = 0, div;
    for (uint32_t i = 0; i < n; i++) {
        const bp_series_point *p = &r->series.points[i];
        x[i] = (double)p->frame;
        if ((double)p->bytes_reserved > peak) peak = (double)p->bytes_reserved;
        if ((double)p->bytes_in_use > peak) peak = (double)p->bytes_in_use;
    }
    const char *unit = chart_byte_unit(peak, &div);
    double *res = ys, *use = ys + n, *pooled = ys + 2 * n, *pend = ys + 3 * n;
    for (uint32_t i = 0; i < n; i++) {
        const bp_series_point *p = &r->series.points[i];
        res[i] = (double)p->bytes_reserved / div;
        use[i] = (double)p->bytes_in_use / div;
        pooled[i] = (double)p->bytes_pooled / div;
        pend[i] = (double)p->bytes_pending / div;
    }
    chart_spec c = {.title = "Memory over frames", .x = x, .count = n, .y_unit = unit, .x_label = "frame",
                    .line_count = 4,
                    .lines = {{"reserved", "#2563eb", res, true, false},
                              {"pooled", "#16a34a", pooled, false, false},
                              {"in use", "#f97316", use, false, false},
                              {"pending", "#a855f7", pend, false, true}}};
    fprintf(f, "<section><h2>Memory over frames</h2>\n");
    svg_line_chart(f, &c);
    fprintf(f, "<p class=\"note\"><b>reserved</b>: what the backend holds; <b>in use</b>: held by the program at the "
               "end of the frame, transient buffers included; <b>pooled</b>: ready for reuse; <b>pending</b>: "
               "released, waiting for the GPU (frames in flight), dashed so that it shows where it equals in use.");
    if (r->series.stride > 1)
        fprintf(f, " Each point is the peak of %llu frames.", (unsigned long long)r->series.stride);
    fprintf(f, "</p></section>\n");
}

static void hit_rate_section(FILE *f, const run_report *r, const double *x, double *y) {
    double last = 100.0;
    for (uint32_t i = 0; i < r->series.count; i++) {
        const bp_series_point *p = &r->series.points[i];
        if (p->acquires) last = 100.0 * (double)p->hits / (double)p->acquires;
        y[i] = last; /* a frame without acquires keeps the previous rate */
    }
    chart_spec c = {.title = "Hit rate over frames", .x = x, .count = r->series.count, .y_max = 100.0,
                    .y_unit = "%", .x_label = "frame", .line_count = 1,
                    .lines = {{"acquires served from the pool", "#0d9488", y, true, false}}};
    fprintf(f, "<section><h2>Hit rate over frames</h2>\n");
    svg_line_chart(f, &c);
    fprintf(f, "<p class=\"note\">Whole run: %s%% of %llu acquires reused a pooled buffer; the rest created one.</p>"
               "</section>\n",
            bpi_num_fixed(2, r->stats.hit_rate * 100.0).s, (unsigned long long)r->stats.acquires);
}

/* "%.3g" and a unit letter, "1.02e+03K" at most; the %.*s bound only lets gcc see that it fits. */
static void class_label(char *buf, size_t n, uint64_t size) {
    int u = size < 1024 ? 0 : size < 1048576 ? 1 : size < 1073741824ull ? 2 : 3;
    if (u == 0) {
        snprintf(buf, n, "%llu", (unsigned long long)size);
        return;
    }
    bpi_num v = bpi_num_general(3, (double)size / (double)(1ull << (10 * u)));
    snprintf(buf, n, "%.*s%c", n > 2 ? (int)(n - 2) : 0, v.s, "KMG"[u - 1]);
}

static void classes_section(FILE *f, const run_report *r, bar_group *g, char (*labels)[16]) {
    uint32_t n = 0;
    double capacity = 0, requested = 0, peak = 0, div;
    bool held = false;
    for (uint32_t i = 0; i < r->class_count; i++) held |= r->classes_at_busiest[i].in_use > 0;
    for (uint32_t i = 0; i < r->class_count; i++) {
        const bp_class_stats *c = &r->classes_at_busiest[i];
        if (held && !c->in_use) continue;
        class_label(labels[n], sizeof labels[n], c->class_size);
        g[n].label = labels[n];
        g[n].values[0] = held ? (double)c->in_use * (double)c->class_size : (double)c->acquires;
        g[n].values[1] = held ? (double)c->bytes_requested : (double)c->hits;
        capacity += g[n].values[0];
        requested += g[n].values[1];
        if (g[n].values[0] > peak) peak = g[n].values[0];
        n++;
    }
    fprintf(f, "<section><h2>Size classes");
    if (held) fprintf(f, " at the busiest frame (frame %llu)", (unsigned long long)r->busiest_frame);
    fprintf(f, "</h2>\n");
    if (held) {
        const char *unit = chart_byte_unit(peak, &div);
        for (uint32_t i = 0; i < n; i++) g[i].values[0] /= div, g[i].values[1] /= div;
        bar_spec b = {.title = "Requested bytes vs class capacity", .groups = g, .count = n,
                      .series = {"capacity", "requested"}, .colors = {"#bfdbfe", "#2563eb"}, .y_unit = unit,
                      .x_label = "size class (bytes)"};
        svg_bar_chart(f, &b);
        fprintf(f, "<p class=\"note\">Buffers held at the busiest frame: ");
        bytes_text(f, requested);
        fprintf(f, " requested in ");
        bytes_text(f, capacity);
        fprintf(f, " of class capacity: %s%% rounding waste (",
                bpi_num_fixed(1, capacity > 0 ? 100.0 * (capacity - requested) / capacity : 0.0).s);
        html_escape(f, r->classes);
        fprintf(f, " size classes).</p>");
    } else {
        bar_spec b = {.title = "Acquires and hits per size class", .groups = g, .count = n,
                      .series = {"acquires", "hits"}, .colors = {"#bfdbfe", "#2563eb"}, .y_unit = "acquires",
                      .x_label = "size class (bytes)"};
        svg_bar_chart(f, &b);
        fprintf(f, "<p class=\"note\">No buffer was held at a frame end; acquires per class over the whole run.</p>");
    }
    fprintf(f, "</section>\n");
}

static void tags_table(FILE *f, const char *title, const bp_tag_usage *t, uint32_t n, uint32_t groups) {
    fprintf(f, "<section><h2>%s</h2>\n<table><tr><th>tag</th><th>owner</th><th class=\"n\">buffers</th>"
               "<th class=\"n\">bytes</th><th style=\"width:34%%\"></th><th class=\"n\">oldest (frames)</th></tr>\n",
            title);
    for (uint32_t i = 0; i < n; i++) {
        fprintf(f, "<tr><td><code>");
        html_escape(f, t[i].tag);
        fprintf(f, "</code></td><td>");
        if (t[i].owner) fprintf(f, "%llu", (unsigned long long)t[i].owner);
        else fprintf(f, "&ndash;");
        fprintf(f, "</td><td class=\"n\">%u</td><td class=\"n\">", t[i].buffers);
        bytes_text(f, (double)t[i].bytes);
        double w = t[0].bytes ? 100.0 * (double)t[i].bytes / (double)t[0].bytes : 0;
        fprintf(f, "</td><td><div class=\"bar\" style=\"width:%s%%\"></div></td><td class=\"n\">%llu</td></tr>\n",
                bpi_num_fixed(1, w).s, (unsigned long long)t[i].age_frames);
    }
    fprintf(f, "</table>");
    if (groups > n) fprintf(f, "<p class=\"note\">%u more groups not shown.</p>", groups - n);
    fprintf(f, "</section>\n");
}

int run_report_write_html(const run_report *r, const char *path) {
    uint32_t n = r->series.count ? r->series.count : 1;
    double *x = malloc(sizeof(double) * n), *ys = malloc(sizeof(double) * 4 * n);
    bar_group *g = malloc(sizeof *g * RUN_MAX_CLASSES);
    char (*labels)[16] = malloc(sizeof *labels * RUN_MAX_CLASSES);
    FILE *f = x && ys && g && labels ? fopen(path, "w") : NULL;
    if (!f) {
        fprintf(stderr, "bufpool: cannot write '%s': %s\n", path, strerror(errno));
        free(x), free(ys), free(g), free(labels);
        return 1;
    }
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
               "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>bufpool report: ");
    html_escape(f, r->workload);
    fprintf(f, "</title><style>%s</style></head>\n<body><main>\n<h1>bufpool report: ", style);
    html_escape(f, r->workload);
    fprintf(f, "</h1><p class=\"sub\">%llu frames on the ", (unsigned long long)r->frames);
    html_escape(f, r->backend);
    fprintf(f, " backend, "); /* classes comes from the run file: escaped like the other strings */
    html_escape(f, r->classes);
    fprintf(f, " size classes &middot; bufpool %s</p>\n", BP_VERSION_STRING);
    verdict_section(f, r);
    cards_section(f, r);
    memory_section(f, r, x, ys);
    hit_rate_section(f, r, x, ys);
    classes_section(f, r, g, labels);
    char title[96];
    snprintf(title, sizeof title, "Top tags and owners at frame %llu (the most held)", (unsigned long long)r->tags_frame);
    if (r->top_count) tags_table(f, title, r->top_tags, r->top_count, r->tag_groups);
    if (r->held_count) tags_table(f, "Still held when the run ended", r->held_at_end, r->held_count, r->held_groups);
    fprintf(f, "<p class=\"note\">The verdict: the first half of the run is warm-up; the second half is cut into four "
               "windows. Memory is growing when the peak of reserved bytes rose in every window and the last rise "
               "is at least one size class (the largest used); otherwise it plateaued.</p>\n</main></body></html>\n");
    int rc = fclose(f) == 0 ? 0 : 1;
    if (rc) fprintf(stderr, "bufpool: cannot write '%s'\n", path);
    free(x), free(ys), free(g), free(labels);
    return rc;
}
