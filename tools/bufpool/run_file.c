/* The run file: `--run FILE` writes the --json summary plus everything the HTML page draws;
 * `bufpool report RUN.json -o report.html` reads it back. The reader is a small JSON parser
 * for this one shape: unknown keys are skipped, so newer files still read. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "run_report.h"

#define RUN_FILE_MAX (64u << 20) /* a run file is under 2 MB; anything far larger is not one */

static char *file_text; /* the strings read point into this buffer */

static void json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
        else if (ch < 0x20) fprintf(f, "\\u%04x", ch);
        else fputc(ch, f);
    }
    fputc('"', f);
}

static void tag_rows(FILE *f, const char *key, const bp_tag_usage *t, uint32_t n) {
    fprintf(f, ",\"%s\":[", key);
    for (uint32_t i = 0; i < n; i++) {
        fprintf(f, "%s[", i ? "," : "");
        json_string(f, t[i].tag);
        fprintf(f, ",%llu,%u,%llu,%llu,%llu]", (unsigned long long)t[i].owner, t[i].buffers,
                (unsigned long long)t[i].bytes, (unsigned long long)t[i].oldest_frame,
                (unsigned long long)t[i].age_frames);
    }
    fprintf(f, "]");
}

int run_report_write_run(const run_report *r, const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "bufpool: cannot write '%s': %s\n", path, strerror(errno));
        return 1;
    }
    run_report_print_json_fields(r, f);
    fprintf(f, ",\n\"classes\":\"%s\",\"warm_acquires\":%llu,\"warm_hits\":%llu,\"busiest_frame\":%llu,"
               "\"tags_frame\":%llu,\"tag_groups\":%u,\"held_groups\":%u,\"series_stride\":%llu",
            r->classes, (unsigned long long)r->warm_acquires, (unsigned long long)r->warm_hits,
            (unsigned long long)r->busiest_frame, (unsigned long long)r->tags_frame, r->tag_groups, r->held_groups,
            (unsigned long long)r->series.stride);
    fprintf(f, ",\n\"series_columns\":\"frame reserved in_use pooled pending acquires hits creates destroys\","
               "\n\"series\":[");
    for (uint32_t i = 0; i < r->series.count; i++) {
        const bp_series_point *p = &r->series.points[i];
        fprintf(f, "%s[%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu]", i ? ",\n" : "", (unsigned long long)p->frame,
                (unsigned long long)p->bytes_reserved, (unsigned long long)p->bytes_in_use,
                (unsigned long long)p->bytes_pooled, (unsigned long long)p->bytes_pending,
                (unsigned long long)p->acquires, (unsigned long long)p->hits, (unsigned long long)p->creates,
                (unsigned long long)p->destroys);
    }
    fprintf(f, "],\n\"classes_at_busiest\":[");
    for (uint32_t i = 0; i < r->class_count; i++) {
        const bp_class_stats *c = &r->classes_at_busiest[i];
        fprintf(f, "%s[%llu,%u,%u,%u,%llu,%llu,%llu]", i ? "," : "", (unsigned long long)c->class_size, c->in_use,
                c->pooled, c->pending, (unsigned long long)c->bytes_requested, (unsigned long long)c->acquires,
                (unsigned long long)c->hits);
    }
    fprintf(f, "]");
    tag_rows(f, "top_tags", r->top_tags, r->top_count);
    tag_rows(f, "held_at_end", r->held_at_end, r->held_count);
    fprintf(f, "}\n");
    if (fclose(f) != 0) {
        fprintf(stderr, "bufpool: cannot write '%s'\n", path);
        return 1;
    }
    return 0;
}

/* ---- reading ---------------------------------------------------------------------- */

typedef struct cursor {
    char *p;
    const char *why; /* first error, or NULL */
    bool saw_series;
} cursor;

static bool fail(cursor *c, const char *why) {
    if (!c->why) c->why = why;
    return false;
}

static void space(cursor *c) {
    while (*c->p == ' ' || *c->p == '\n' || *c->p == '\r' || *c->p == '\t') c->p++;
}

static bool eat(cursor *c, char ch) {
    space(c);
    if (*c->p != ch) return false;
    c->p++;
    return true;
}

static int hex(char ch) {
    return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

/* A string, unescaped in place (never longer than its source). */
static char *string(cursor *c) {
    if (!eat(c, '"')) return fail(c, "expected a string"), NULL;
    char *out = c->p, *w = c->p;
    for (;;) {
        char ch = *c->p++;
        if (ch == '"') break;
        if (ch == 0) return c->p--, fail(c, "unterminated string"), NULL;
        if (ch == '\\') {
            char e = *c->p++;
            if (e == 'n') ch = '\n';
            else if (e == 't') ch = '\t';
            else if (e == 'r') ch = '\r';
            else if (e == 'b') ch = '\b';
            else if (e == 'f') ch = '\f';
            else if (e == 'u') {
                int v = 0;
                for (int k = 0; k < 4; k++) {
                    int h = hex(*c->p);
                    if (h < 0) return fail(c, "bad \\u escape"), NULL;
                    v = v * 16 + h;
                    c->p++;
                }
                ch = v < 0x80 ? (char)v : '?'; /* tags are ASCII; others shown as '?' */
            } else if (e == '"' || e == '\\' || e == '/') ch = e;
            else return fail(c, "bad escape"), NULL;
        }
        *w++ = ch;
    }
    *w = 0;
    return out;
}

static bool number(cursor *c, uint64_t *u, double *d) {
    space(c);
    char *end;
    double v = strtod(c->p, &end);
    if (end == c->p) return fail(c, "expected a number");
    bool integer = v >= 0 && strcspn(c->p, ".eE-,]} \n") >= (size_t)(end - c->p);
    /* clamped: converting a double past 2^64 (1e300, inf) to an integer is undefined */
    if (u) *u = integer ? strtoull(c->p, NULL, 10) : v >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)(v > 0 ? v : 0);
    if (d) *d = v;
    c->p = end;
    return true;
}

static bool skip_value(cursor *c, int depth) {
    space(c);
    if (depth > 32) return fail(c, "nested too deeply");
    char ch = *c->p;
    if (ch == '"') return string(c) != NULL;
    if (ch == '{' || ch == '[') {
        char close = ch == '{' ? '}' : ']';
        c->p++;
        if (eat(c, close)) return true;
        do {
            if (ch == '{' && (!string(c) || !eat(c, ':'))) return fail(c, "expected \"key\":");
            if (!skip_value(c, depth + 1)) return false;
        } while (eat(c, ','));
        return eat(c, close) || fail(c, "expected , or a closing bracket");
    }
    if (!strncmp(c->p, "true", 4) || !strncmp(c->p, "null", 4)) return c->p += 4, true;
    if (!strncmp(c->p, "false", 5)) return c->p += 5, true;
    return number(c, NULL, NULL);
}

/* An array of rows of `width` numbers (a string first when `tags`), at most `max` kept. */
static uint32_t rows(cursor *c, uint32_t width, uint32_t max, uint64_t (*out)[9], char **tag) {
    uint32_t n = 0;
    if (!eat(c, '[')) return fail(c, "expected an array"), 0;
    if (eat(c, ']')) return 0;
    do {
        uint64_t row[9] = {0};
        char *t = NULL;
        if (!eat(c, '[')) return fail(c, "expected a row"), n;
        if (tag && (!(t = string(c)) || !eat(c, ','))) return fail(c, "expected a tag"), n;
        for (uint32_t k = 0; k < width; k++)
            if ((k && !eat(c, ',')) || !number(c, &row[k], NULL)) return fail(c, "short row"), n;
        if (!eat(c, ']')) return fail(c, "long row"), n;
        if (n < max) {
            memcpy(out[n], row, sizeof row);
            if (tag) tag[n] = t;
        }
        n++;
    } while (eat(c, ','));
    if (!eat(c, ']')) fail(c, "expected ] after the rows");
    return n < max ? n : max;
}

static uint32_t tag_table(cursor *c, bp_tag_usage *t) {
    uint64_t v[RUN_TOP][9];
    char *tags[RUN_TOP];
    uint32_t n = rows(c, 5, RUN_TOP, v, tags);
    for (uint32_t i = 0; i < n; i++)
        t[i] = (bp_tag_usage){tags[i], v[i][0], (uint32_t)v[i][1], v[i][2], v[i][3], v[i][4]};
    return n;
}

typedef struct u64_field {
    const char *key;
    size_t offset; /* in run_report */
    int size;      /* 8, 4 */
} u64_field;

#define F64(key, member) {key, offsetof(run_report, member), 8}
#define F32(key, member) {key, offsetof(run_report, member), 4}
static const u64_field fields[] = {
    F64("frames", frames), F64("acquires", stats.acquires), F64("releases", stats.releases),
    F64("hits", stats.hits), F64("misses", stats.misses), F64("peak_reserved_bytes", stats.peak_reserved),
    F64("final_reserved_bytes", stats.bytes_reserved), F64("peak_requested_bytes", stats.peak_requested),
    F64("peak_in_use_bytes", stats.peak_in_use), F64("backend_creates", stats.backend_creates),
    F64("backend_destroys", stats.backend_destroys), F64("trims", stats.trims), F64("evictions", stats.evictions),
    F64("budget_failures", stats.budget_failures), F64("capacity_failures", stats.capacity_failures),
    F64("largest_class_bytes", largest_class), F32("leaked_buffers", leaked_buffers), F64("ops", ops),
    F64("warm_acquires", warm_acquires), F64("warm_hits", warm_hits), F64("busiest_frame", busiest_frame),
    F64("tags_frame", tags_frame), F32("tag_groups", tag_groups), F32("held_groups", held_groups),
    F64("series_stride", series.stride), F64("block_size_bytes", block_size),
    F64("backend_peak_held_bytes", backend_peak_held), F32("pooled_headroom", pooled_headroom),
};

/* The run's switches: `true` where the command line gave them (absent otherwise). */
static const struct {
    const char *key;
    size_t offset;
} switches[] = {
    {"fixed_class_caps", offsetof(run_report, fixed_class_caps)},
    {"exact_classes", offsetof(run_report, exact_classes)},
    {"hold_at_peak", offsetof(run_report, hold_at_peak)},
    {"populate", offsetof(run_report, populate)},
};

static bool read_key(cursor *c, run_report *r, const char *key) {
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (strcmp(key, fields[i].key)) continue;
        uint64_t v;
        if (!number(c, &v, NULL)) return false;
        char *at = (char *)r + fields[i].offset;
        if (fields[i].size == 8) memcpy(at, &v, 8);
        else {
            uint32_t v32 = (uint32_t)v;
            memcpy(at, &v32, 4);
        }
        return true;
    }
    if (!strcmp(key, "workload") || !strcmp(key, "backend") || !strcmp(key, "classes")) {
        char *s = string(c);
        *(!strcmp(key, "workload") ? &r->workload : !strcmp(key, "backend") ? &r->backend : &r->classes) = s;
        return s != NULL;
    }
    if (!strcmp(key, "hit_rate")) return number(c, NULL, &r->stats.hit_rate);
    for (size_t i = 0; i < sizeof switches / sizeof switches[0]; i++) {
        if (strcmp(key, switches[i].key)) continue;
        space(c);
        *(bool *)((char *)r + switches[i].offset) = !strncmp(c->p, "true", 4);
        return skip_value(c, 0);
    }
    if (!strcmp(key, "seconds")) return r->has_timing = true, number(c, NULL, &r->seconds);
    if (!strcmp(key, "series")) {
        c->saw_series = true;
        static uint64_t v[RUN_SERIES_POINTS][9];
        r->series.count = rows(c, 9, RUN_SERIES_POINTS, v, NULL);
        for (uint32_t i = 0; i < r->series.count; i++)
            r->series.points[i] = (bp_series_point){v[i][0], v[i][1], v[i][2], v[i][3], v[i][4],
                                                    v[i][5], v[i][6], v[i][7], v[i][8]};
        return !c->why;
    }
    if (!strcmp(key, "classes_at_busiest")) {
        static uint64_t v[RUN_MAX_CLASSES][9];
        r->class_count = rows(c, 7, RUN_MAX_CLASSES, v, NULL);
        for (uint32_t i = 0; i < r->class_count; i++)
            r->classes_at_busiest[i] = (bp_class_stats){v[i][0], (uint32_t)v[i][1], (uint32_t)v[i][2],
                                                        (uint32_t)v[i][3], v[i][4], v[i][5], v[i][6], 0};
        return !c->why;
    }
    if (!strcmp(key, "top_tags")) return r->top_count = tag_table(c, r->top_tags), !c->why;
    if (!strcmp(key, "held_at_end")) return r->held_count = tag_table(c, r->held_at_end), !c->why;
    return skip_value(c, 0);
}

int run_report_read_run(run_report *r, const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "bufpool: cannot open run file '%s': %s\n", path, strerror(errno));
        return 2;
    }
    run_file_release();
    struct stat sb; /* a directory or a pipe has no size to read; a huge file is not a run file */
    bool regular = fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode);
    if (!regular || sb.st_size > RUN_FILE_MAX) {
        fprintf(stderr, "bufpool: '%s' is not a run file (%s)\n", path, regular ? "over 64 MiB" : "not a regular file");
        fclose(f);
        return 2;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    file_text = size >= 0 ? malloc((size_t)size + 1) : NULL;
    size_t got = file_text ? fread(file_text, 1, (size_t)size, f) : 0;
    fclose(f);
    if (!file_text || got != (size_t)size) {
        fprintf(stderr, "bufpool: cannot read run file '%s'\n", path);
        return 2;
    }
    file_text[size] = 0;
    cursor c = {file_text, NULL, false};
    memset(r, 0, sizeof *r);
    if (!eat(&c, '{')) fail(&c, "not a JSON object");
    while (!c.why && !eat(&c, '}')) {
        char *key = string(&c);
        if (!key || !eat(&c, ':')) {
            fail(&c, "expected \"key\":");
            break;
        }
        if (!read_key(&c, r, key)) break;
        if (!eat(&c, ',') && (space(&c), *c.p != '}')) fail(&c, "expected , or }");
    }
    if (!c.why && (space(&c), *c.p)) c.why = "text after the JSON object";
    if (!c.why && !r->workload) c.why = "no \"workload\": not a bufpool run file";
    if (!c.why && !c.saw_series) c.why = "no \"series\": write it with --run FILE";
    if (c.why) {
        fprintf(stderr, "bufpool: %s: byte %ld: %s\n", path, (long)(c.p - file_text), c.why);
        return 2;
    }
    if (!r->backend) r->backend = "unknown";
    if (!r->classes) r->classes = "fine";
    bp_series_verdict(r->series.points, r->series.count, r->largest_class, &r->verdict);
    return 0;
}

void run_file_release(void) {
    free(file_text);
    file_text = NULL;
}
