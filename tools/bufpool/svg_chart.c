#include "svg_chart.h"

#include <math.h>
#include <string.h>

#include "internal/numfmt.h"

/* Coordinates and numbers in the SVG go through bpi_num (internal/numfmt.h), never %f: the page
 * must not depend on the C locale. N1(v) is "%.1f" of v, N0(v) "%.0f". */
#define N1(v) (bpi_num_fixed(1, (v)).s)
#define N0(v) (bpi_num_fixed(0, (v)).s)

/* The plot area inside a 1000 x 300 view box. */
#define VB_W 1000.0
#define VB_H 300.0
#define PAD_L 64.0
#define PAD_R 16.0
#define PAD_T 36.0
#define PAD_B 44.0
#define AXIS "#94a3b8"
#define GRID "#e2e8f0"
#define INK "#475569"

double chart_nice_step(double max, int ticks) {
    if (!(max > 0)) return 1.0;
    double raw = max / ticks, mag = pow(10.0, floor(log10(raw))), f = raw / mag;
    return (f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 5.0 ? 5.0 : 10.0) * mag;
}

const char *chart_byte_unit(double max_bytes, double *divisor) {
    static const char *const names[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    *divisor = 1.0;
    while (u < 4 && max_bytes >= 1024.0 * *divisor) {
        *divisor *= 1024.0;
        u++;
    }
    return names[u];
}

void html_escape(FILE *f, const char *s) {
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* Tick label: integers plainly, fractions with as many decimals as the step needs. */
static void tick_label(FILE *f, double v, double step) {
    int decimals = step >= 1.0 ? 0 : step >= 0.1 ? 1 : step >= 0.01 ? 2 : 3;
    fputs(bpi_num_fixed(decimals, v).s, f);
}

static void y_axis(FILE *f, double y_max, double step, const char *unit) {
    for (double v = 0; v <= y_max + step * 1e-9; v += step) {
        double y = VB_H - PAD_B - v / y_max * (VB_H - PAD_T - PAD_B);
        fprintf(f, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"%s\"/>", N1(PAD_L), N1(y), N1(VB_W - PAD_R),
                N1(y), v == 0 ? AXIS : GRID);
        fprintf(f, "<text x=\"%s\" y=\"%s\" text-anchor=\"end\" class=\"tick\">", N1(PAD_L - 8), N1(y + 4));
        tick_label(f, v, step);
        fprintf(f, "</text>\n");
    }
    fprintf(f, "<text x=\"%s\" y=\"%s\" class=\"unit\">", N1(PAD_L - 8), N1(PAD_T - 14));
    html_escape(f, unit);
    fprintf(f, "</text>\n");
}

static void legend(FILE *f, const char *const *labels, const char *const *colors, uint32_t n) {
    double x = VB_W - PAD_R;
    for (uint32_t i = n; i-- > 0;) { /* right-aligned, first series leftmost */
        double w = 26.0 + 7.2 * (double)strlen(labels[i]);
        x -= w;
        fprintf(f, "<rect x=\"%s\" y=\"10\" width=\"12\" height=\"12\" rx=\"3\" fill=\"%s\"/>", N1(x), colors[i]);
        fprintf(f, "<text x=\"%s\" y=\"20\" class=\"legend\">", N1(x + 17));
        html_escape(f, labels[i]);
        fprintf(f, "</text>\n");
    }
}

static void open_svg(FILE *f, const char *title) {
    fprintf(f, "<svg viewBox=\"0 0 %s %s\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\"><title>", N0(VB_W),
            N0(VB_H));
    html_escape(f, title);
    fprintf(f, "</title>\n");
}

static void x_label(FILE *f, const char *label) {
    fprintf(f, "<text x=\"%s\" y=\"%s\" text-anchor=\"middle\" class=\"unit\">", N1((PAD_L + VB_W - PAD_R) / 2),
            N1(VB_H - 6));
    html_escape(f, label);
    fprintf(f, "</text>\n");
}

void svg_line_chart(FILE *f, const chart_spec *c) {
    open_svg(f, c->title);
    double y_max = c->y_max;
    for (uint32_t l = 0; c->y_max == 0.0 && l < c->line_count; l++)
        for (uint32_t i = 0; i < c->count; i++)
            if (c->lines[l].y[i] > y_max) y_max = c->lines[l].y[i];
    double step = chart_nice_step(y_max > 0 ? y_max : 1.0, 5);
    y_max = c->y_max != 0.0 ? c->y_max : ceil((y_max > 0 ? y_max : 1.0) / step) * step;
    y_axis(f, y_max, step, c->y_unit);
    double x0 = c->count ? c->x[0] : 0, x1 = c->count ? c->x[c->count - 1] : 1;
    if (x1 <= x0) x1 = x0 + 1;
    double pw = VB_W - PAD_L - PAD_R, ph = VB_H - PAD_T - PAD_B;
    double xstep = chart_nice_step(x1 - x0, 8);
    /* ticks counted, not v += xstep: past 2^53 (a hostile run file) adding the step stops moving v */
    double first = ceil(x0 / xstep) * xstep, v;
    for (int k = 0; k <= 16 && (v = first + k * xstep) <= x1; k++) {
        double x = PAD_L + (v - x0) / (x1 - x0) * pw;
        fprintf(f, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"%s\"/>", N1(x), N1(VB_H - PAD_B), N1(x),
                N1(VB_H - PAD_B + 5), AXIS);
        fprintf(f, "<text x=\"%s\" y=\"%s\" text-anchor=\"middle\" class=\"tick\">%s</text>\n", N1(x),
                N1(VB_H - PAD_B + 19), N0(v));
    }
    x_label(f, c->x_label);
    const char *labels[CHART_MAX_LINES], *colors[CHART_MAX_LINES];
    for (uint32_t l = 0; l < c->line_count; l++) {
        const chart_line *ln = &c->lines[l];
        labels[l] = ln->label;
        colors[l] = ln->color;
        if (!c->count) continue;
        if (ln->area) {
            fprintf(f, "<path fill=\"%s\" fill-opacity=\"0.12\" d=\"M%s %s", ln->color, N1(PAD_L), N1(VB_H - PAD_B));
            for (uint32_t i = 0; i < c->count; i++)
                fprintf(f, " L%s %s", N1(PAD_L + (c->x[i] - x0) / (x1 - x0) * pw),
                        N1(VB_H - PAD_B - fmin(ln->y[i], y_max) / y_max * ph));
            fprintf(f, " L%s %s Z\"/>\n", N1(PAD_L + pw), N1(VB_H - PAD_B));
        }
        fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" stroke-linejoin=\"round\"%s points=\"",
                ln->color, ln->dashed ? " stroke-dasharray=\"7 5\"" : "");
        for (uint32_t i = 0; i < c->count; i++)
            fprintf(f, "%s,%s ", N1(PAD_L + (c->x[i] - x0) / (x1 - x0) * pw),
                    N1(VB_H - PAD_B - fmin(ln->y[i], y_max) / y_max * ph));
        fprintf(f, "\"><title>");
        html_escape(f, ln->label);
        fprintf(f, "</title></polyline>\n");
    }
    legend(f, labels, colors, c->line_count);
    fprintf(f, "</svg>\n");
}

void svg_bar_chart(FILE *f, const bar_spec *b) {
    open_svg(f, b->title);
    double y_max = 0;
    for (uint32_t i = 0; i < b->count; i++)
        for (int k = 0; k < 2; k++)
            if (b->groups[i].values[k] > y_max) y_max = b->groups[i].values[k];
    double step = chart_nice_step(y_max > 0 ? y_max : 1.0, 5);
    y_max = ceil((y_max > 0 ? y_max : 1.0) / step) * step;
    y_axis(f, y_max, step, b->y_unit);
    double pw = VB_W - PAD_L - PAD_R, ph = VB_H - PAD_T - PAD_B;
    double gw = b->count ? fmin(pw / b->count, 90.0) : pw, bw = gw * 0.38;
    double left = PAD_L + (pw - gw * b->count) / 2; /* few classes: narrow bars, centred */
    uint32_t label_every = b->count > 24 ? (b->count + 23) / 24 : 1;
    for (uint32_t i = 0; i < b->count; i++) {
        double gx = left + gw * i + gw * 0.12;
        for (int k = 0; k < 2; k++) {
            double h = b->groups[i].values[k] / y_max * ph;
            fprintf(f, "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" rx=\"1.5\" fill=\"%s\"><title>",
                    N1(gx + bw * k), N1(VB_H - PAD_B - h), N1(bw), N1(h), b->colors[k]);
            html_escape(f, b->groups[i].label);
            fprintf(f, ": %s %s %s</title></rect>", b->series[k], bpi_num_general(4, b->groups[i].values[k]).s,
                    b->y_unit);
        }
        if (i % label_every == 0) {
            fprintf(f, "<text x=\"%s\" y=\"%s\" text-anchor=\"middle\" class=\"tick\">", N1(gx + bw),
                    N1(VB_H - PAD_B + 19));
            html_escape(f, b->groups[i].label);
            fprintf(f, "</text>");
        }
        fputc('\n', f);
    }
    x_label(f, b->x_label);
    legend(f, b->series, b->colors, 2);
    fprintf(f, "</svg>\n");
}
