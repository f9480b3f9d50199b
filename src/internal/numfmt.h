/* Doubles written for machines (JSON, SVG coordinates, CSS, the report's numbers) the same in
 * every C locale. printf's %f and %g write the LC_NUMERIC decimal point, so a program that
 * calls setlocale(LC_ALL, "") under de_DE would get "hit_rate":0,983000 -- invalid JSON.
 *
 * The choice: format with printf itself, then replace the decimal point it wrote by '.'. The
 * digits and their rounding are printf's own, so the text is byte-identical to %.*f / %.*g
 * under the "C" locale; integer arithmetic would have to redo printf's exact rounding. The
 * decimal point is found in the output, not through localeconv(): for these conversions
 * (no ' flag, so no digit grouping) printf writes only a sign, ASCII digits, the letters of
 * "e", "inf" and "nan", and at most one decimal point, so the one run of other bytes is the
 * point, however many bytes long (some locales use a multibyte one). That also follows a
 * thread's uselocale(), and avoids localeconv()'s static result, which another thread's call
 * may overwrite. Header-only: the library and the bufpool tool both include it. */
#ifndef BPI_NUMFMT_H
#define BPI_NUMFMT_H

#include <stdbool.h>
#include <stdio.h>

/* Precision is clamped to 0 .. BPI_NUM_MAX_PRECISION, so that "%.17f" of -DBL_MAX (a sign,
 * 309 digits, the point and 17 decimals) fits without truncation. */
#define BPI_NUM_MAX_PRECISION 17
#define BPI_NUM_CHARS 336

/* A formatted number by value: `bpi_num_fixed(2, v).s` can be passed straight to printf, as
 * the temporary lives until the end of the full expression (C11 6.2.4p8). */
typedef struct bpi_num {
    char s[BPI_NUM_CHARS];
} bpi_num;

/* Rewrite, in place, the decimal point printf wrote (any run of bytes that is not an ASCII
 * letter, digit or sign) as '.'. A no-op under the "C" locale. */
static inline void bpi_num_c_point(char *s) {
    char *w = s;
    bool in_point = false;
    for (const char *r = s; *r; r++) {
        unsigned char c = (unsigned char)*r;
        bool plain = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
                     c == '+';
        if (plain) *w++ = *r;
        else if (!in_point) *w++ = '.';
        in_point = !plain;
    }
    *w = '\0';
}

/* printf's `%.<precision>f` (conversion 'f') or `%.<precision>g` ('g') of v, as under "C". */
static inline bpi_num bpi_num_format(char conversion, int precision, double v) {
    bpi_num n;
    if (precision < 0) precision = 0;
    if (precision > BPI_NUM_MAX_PRECISION) precision = BPI_NUM_MAX_PRECISION;
    snprintf(n.s, sizeof n.s, conversion == 'g' ? "%.*g" : "%.*f", precision, v);
    bpi_num_c_point(n.s);
    return n;
}

/* "%.<decimals>f" of v, as under the "C" locale. */
static inline bpi_num bpi_num_fixed(int decimals, double v) { return bpi_num_format('f', decimals, v); }

/* "%.<digits>g" of v, as under the "C" locale. */
static inline bpi_num bpi_num_general(int digits, double v) { return bpi_num_format('g', digits, v); }

#endif
