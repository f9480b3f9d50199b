/* Hand-written SVG charts for the HTML report: line charts over frames and grouped bar
 * charts. Plain SVG elements, no script, so the page renders anywhere without a network. */
#ifndef BUFPOOL_TOOL_SVG_CHART_H
#define BUFPOOL_TOOL_SVG_CHART_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CHART_MAX_LINES 4

typedef struct chart_line {
    const char *label;
    const char *color;
    const double *y;   /* one value per x */
    bool area;         /* fill under the line */
    bool dashed;       /* dashed, so a line it covers still shows */
} chart_line;

typedef struct chart_spec {
    const char *title;      /* accessible name of the figure */
    const double *x;        /* shared x values (frames), ascending */
    uint32_t count;
    chart_line lines[CHART_MAX_LINES];
    uint32_t line_count;
    double y_max;           /* 0 = from the data */
    const char *y_unit;     /* label after tick values: "MiB", "%" ... */
    const char *x_label;
} chart_spec;

typedef struct bar_group {
    const char *label;      /* x label under the group */
    double values[2];
} bar_group;

typedef struct bar_spec {
    const char *title;
    const bar_group *groups;
    uint32_t count;
    const char *series[2];  /* legend names of values[0], values[1] */
    const char *colors[2];
    const char *y_unit;
    const char *x_label;
} bar_spec;

/* A "nice" axis: step 1, 2 or 5 x 10^k, at most about `ticks` steps up to >= max. */
double chart_nice_step(double max, int ticks);
/* Byte unit that suits `max_bytes`: sets the divisor and returns "B", "KiB", "MiB" or "GiB". */
const char *chart_byte_unit(double max_bytes, double *divisor);
/* Write text with &, <, >, " escaped. */
void html_escape(FILE *f, const char *s);
void svg_line_chart(FILE *f, const chart_spec *c);
void svg_bar_chart(FILE *f, const bar_spec *b);

#endif
