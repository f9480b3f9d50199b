/* Numbers written for machines do not depend on the C locale. A program may call
 * setlocale(LC_ALL, "") under de_DE or fr_FR, whose decimal point is a comma; the stats JSON
 * must stay valid JSON, byte for byte what it is under "C", and the shared formatter
 * (internal/numfmt.h) must write what printf writes under "C". With no decimal-comma locale
 * installed, the locale half prints "SKIPPED: no decimal-comma locale installed" and the
 * checks run under "C" only (scripts/install-deps.sh test generates de_DE.UTF-8). */
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>

#include "internal/numfmt.h"
#include "test_support.h"

static const char *const comma_locales[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8",
                                            "de_DE",       "fr_FR",      "de_DE@euro",  "fr_FR@euro",
                                            "nl_NL.UTF-8", "es_ES.UTF-8", "it_IT.UTF-8", "ru_RU.UTF-8"};

/* Switch LC_NUMERIC to the first installed locale whose decimal point is not '.'; false (and
 * "C" kept) when there is none. */
static bool set_comma_locale(void) {
    for (size_t i = 0; i < sizeof comma_locales / sizeof comma_locales[0]; i++)
        if (setlocale(LC_NUMERIC, comma_locales[i]) && strcmp(localeconv()->decimal_point, ".") != 0) return true;
    setlocale(LC_NUMERIC, "C");
    printf("SKIPPED: no decimal-comma locale installed\n");
    return false;
}

/* ---- a strict JSON validator: RFC 8259 grammar, numbers counted ---- */

typedef struct json_reader {
    const char *p;
    unsigned numbers;
} json_reader;

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static void json_ws(json_reader *j) {
    while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r') j->p++;
}

static bool json_string(json_reader *j) {
    if (*j->p++ != '"') return false;
    for (; *j->p != '"'; j->p++) {
        if (!*j->p || (unsigned char)*j->p < 0x20) return false;
        if (*j->p == '\\' && !*++j->p) return false;
    }
    j->p++;
    return true;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool json_number(json_reader *j) {
    const char *p = j->p;
    if (*p == '-') p++;
    if (*p == '0') p++;
    else if (is_digit(*p)) while (is_digit(*p)) p++;
    else return false;
    if (*p == '.') {
        if (!is_digit(*++p)) return false;
        while (is_digit(*p)) p++;
    }
    if (*p == 'e' || *p == 'E') {
        if (*++p == '+' || *p == '-') p++;
        if (!is_digit(*p)) return false;
        while (is_digit(*p)) p++;
    }
    j->p = p;
    j->numbers++;
    return true;
}

static bool json_value(json_reader *j);

/* The members of an object (close '}') or the elements of an array (close ']'). */
static bool json_items(json_reader *j, char close, bool keys) {
    j->p++;
    json_ws(j);
    if (*j->p == close) return j->p++, true;
    for (;;) {
        if (keys) {
            if (!json_string(j)) return false;
            json_ws(j);
            if (*j->p++ != ':') return false;
        }
        if (!json_value(j)) return false;
        json_ws(j);
        if (*j->p == close) return j->p++, true;
        if (*j->p++ != ',') return false;
        json_ws(j);
    }
}

static bool json_literal(json_reader *j, const char *word) {
    size_t n = strlen(word);
    if (strncmp(j->p, word, n) != 0) return false;
    j->p += n;
    return true;
}

static bool json_value(json_reader *j) {
    json_ws(j);
    switch (*j->p) {
    case '{': return json_items(j, '}', true);
    case '[': return json_items(j, ']', false);
    case '"': return json_string(j);
    case 't': return json_literal(j, "true");
    case 'f': return json_literal(j, "false");
    case 'n': return json_literal(j, "null");
    default: return json_number(j);
    }
}

/* True when `text` is one JSON value and nothing else; *numbers receives how many it holds. */
static bool json_valid(const char *text, unsigned *numbers) {
    json_reader j = {text, 0};
    bool ok = json_value(&j);
    json_ws(&j);
    *numbers = j.numbers;
    return ok && *j.p == '\0';
}

static void validator_rejects_comma_decimals(void **state) {
    (void)state;
    unsigned n;
    assert_true(json_valid("{\"a\":0.983000,\"b\":[1,-2e+3,0],\"c\":\"x,y\"}", &n));
    assert_int_equal(n, 4);
    assert_false(json_valid("{\"hit_rate\":0,983000,\"classes\":[]}", &n));
    assert_false(json_valid("[0,983000.]", &n));
    assert_false(json_valid("{\"a\":01}", &n));
    assert_false(json_valid("{\"a\":nan}", &n));
}

/* ---- the formatter: printf's "C" text in every locale ---- */

static const double values[] = {0.0, -0.0, 0.5, 2.0 / 3.0, -12.25, 1023.9, 1e-7, 123456789.0625, 1e300, -DBL_MAX};
static const int precisions[] = {0, 1, 2, 3, 4, 6, BPI_NUM_MAX_PRECISION};

/* Every value at every precision, %f and %g: bpi_num_format under the current locale against
 * `expected`, printf's text under "C" (values x precisions x 2 strings). */
static void check_formatter(char (*expected)[BPI_NUM_CHARS]) {
    size_t k = 0;
    for (size_t v = 0; v < sizeof values / sizeof values[0]; v++)
        for (size_t p = 0; p < sizeof precisions / sizeof precisions[0]; p++)
            for (int g = 0; g < 2; g++, k++) {
                bpi_num got = bpi_num_format(g ? 'g' : 'f', precisions[p], values[v]);
                assert_string_equal(got.s, expected[k]);
            }
    assert_string_equal(bpi_num_fixed(2, INFINITY).s, "inf");
    assert_string_equal(bpi_num_fixed(2, -INFINITY).s, "-inf");
    assert_string_equal(bpi_num_general(4, 1e21).s, "1e+21");
}

static void formatter_matches_c_printf(void **state) {
    (void)state;
    enum { N = sizeof values / sizeof values[0] * (sizeof precisions / sizeof precisions[0]) * 2 };
    char(*expected)[BPI_NUM_CHARS] = malloc(sizeof *expected * N);
    assert_non_null(expected);
    size_t k = 0;
    for (size_t v = 0; v < sizeof values / sizeof values[0]; v++)
        for (size_t p = 0; p < sizeof precisions / sizeof precisions[0]; p++)
            for (int g = 0; g < 2; g++, k++)
                assert_true(snprintf(expected[k], BPI_NUM_CHARS, g ? "%.*g" : "%.*f", precisions[p], values[v]) <
                            BPI_NUM_CHARS);
    check_formatter(expected);
    if (set_comma_locale()) {
        char probe[8];
        snprintf(probe, sizeof probe, "%.1f", 0.5);
        assert_string_not_equal(probe, "0.5"); /* printf itself does write the comma now */
        check_formatter(expected);
        setlocale(LC_NUMERIC, "C");
    }
    free(expected);
}

/* ---- the stats JSON ---- */

/* The JSON of `pool`, malloc'd. */
static char *stats_json(bp_pool *pool) {
    size_t need = 0;
    assert_int_equal(bp_stats_to_json(pool, NULL, 0, &need), BP_ERR_BUFFER_TOO_SMALL);
    char *text = malloc(need + 1);
    assert_non_null(text);
    assert_int_equal(bp_stats_to_json(pool, text, need + 1, NULL), BP_OK);
    return text;
}

/* Valid JSON with every counter a number, and the hit rate of 1 in 3 acquires as %.6f. */
static void assert_stats_json(const char *text) {
    unsigned numbers = 0;
    if (!json_valid(text, &numbers)) fail_msg("not valid JSON: %s", text);
    assert_true(numbers > 30);
    assert_non_null(strstr(text, "\"hit_rate\":0.333333,"));
}

static void stats_json_in_every_locale(void **state) {
    (void)state;
    bp_pool *pool = NULL;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    bp_acquire_desc d = {.size = 100, .tag = "locale"};
    bp_buffer a, b, c;
    assert_int_equal(bp_acquire(pool, &d, &a), BP_OK); /* miss */
    assert_int_equal(bp_release(pool, a), BP_OK);
    assert_int_equal(bp_acquire(pool, &d, &b), BP_OK); /* hit: no frame begun, reused at once */
    assert_int_equal(bp_acquire(pool, &d, &c), BP_OK); /* miss */
    char *in_c = stats_json(pool);
    assert_stats_json(in_c);
    if (set_comma_locale()) {
        char *in_comma = stats_json(pool);
        assert_stats_json(in_comma);
        assert_string_equal(in_comma, in_c);
        free(in_comma);
        setlocale(LC_NUMERIC, "C");
    }
    free(in_c);
    assert_int_equal(bp_release(pool, b), BP_OK);
    assert_int_equal(bp_release(pool, c), BP_OK);
    ts_check_and_destroy(pool);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(validator_rejects_comma_decimals),
        cmocka_unit_test(formatter_matches_c_printf),
        cmocka_unit_test(stats_json_in_every_locale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
