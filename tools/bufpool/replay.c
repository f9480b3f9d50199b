/* Replay an allocation trace, streaming: parse a chunk of events (checking them and mapping
 * each trace id to a dense slot), then time only the pool calls that replay the chunk.
 *   A <id> <bytes>   acquire      R <id>   release      F   end of frame      # comment */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define CHUNK_EVENTS 65536u

typedef struct event {
    char kind;      /* 'A', 'R', 'F' */
    uint32_t slot;  /* dense index of the live buffer */
    uint64_t bytes;
} event;

typedef struct id_entry {
    uint64_t id;
    uint32_t slot;
    uint32_t used;
} id_entry;

typedef struct replay_state {
    id_entry *map;          /* open addressing, backward-shift deletion */
    uint32_t map_cap, map_count;
    uint32_t *free_slots;   /* recycled dense slots */
    uint32_t free_count, slot_count, slot_cap;
    bp_buffer *handles;     /* by dense slot */
    uint64_t line;
    bool in_frames;         /* a frame is open (bp_frame_begin called) */
} replay_state;

static uint32_t hash64(uint64_t v) {
    v ^= v >> 33;
    v *= 0xff51afd7ed558ccdull;
    v ^= v >> 33;
    return (uint32_t)v;
}

static id_entry *map_find(replay_state *st, uint64_t id) {
    if (!st->map_cap) return NULL;
    for (uint32_t i = hash64(id) & (st->map_cap - 1);; i = (i + 1) & (st->map_cap - 1)) {
        if (!st->map[i].used) return NULL;
        if (st->map[i].id == id) return &st->map[i];
    }
}

static bool map_grow(replay_state *st) {
    uint32_t cap = st->map_cap ? st->map_cap * 2 : 1024;
    id_entry *m = calloc(cap, sizeof *m);
    if (!m) return false;
    for (uint32_t j = 0; j < st->map_cap; j++) {
        if (!st->map[j].used) continue;
        uint32_t i = hash64(st->map[j].id) & (cap - 1);
        while (m[i].used) i = (i + 1) & (cap - 1);
        m[i] = st->map[j];
    }
    free(st->map);
    st->map = m;
    st->map_cap = cap;
    return true;
}

static bool map_insert(replay_state *st, uint64_t id, uint32_t slot) {
    if ((st->map_count + 1) * 4 > st->map_cap * 3 && !map_grow(st)) return false;
    uint32_t i = hash64(id) & (st->map_cap - 1);
    while (st->map[i].used) i = (i + 1) & (st->map_cap - 1);
    st->map[i] = (id_entry){id, slot, 1};
    st->map_count++;
    return true;
}

static void map_erase(replay_state *st, id_entry *e) {
    uint32_t mask = st->map_cap - 1, i = (uint32_t)(e - st->map);
    st->map[i].used = 0;
    st->map_count--;
    for (uint32_t j = (i + 1) & mask; st->map[j].used; j = (j + 1) & mask) {
        uint32_t home = hash64(st->map[j].id) & mask;
        if (((j - home) & mask) >= ((j - i) & mask)) {
            st->map[i] = st->map[j];
            st->map[j].used = 0;
            i = j;
        }
    }
}

static bool new_slot(replay_state *st, uint32_t *out) {
    if (st->free_count) {
        *out = st->free_slots[--st->free_count];
        return true;
    }
    if (st->slot_count == st->slot_cap) {
        uint32_t cap = st->slot_cap ? st->slot_cap * 2 : 1024;
        bp_buffer *h = realloc(st->handles, cap * sizeof *h);
        if (!h) return false;
        st->handles = h;
        uint32_t *f = realloc(st->free_slots, cap * sizeof *f);
        if (!f) return false;
        st->free_slots = f;
        st->slot_cap = cap;
    }
    *out = st->slot_count++;
    return true;
}

static const char *skip_space(const char *p) {
    while (*p == ' ' || *p == '\t') p++;
    return p;
}

/* The end of a line: a CR counts only before LF or at the end, so "A 1 8\rR 1" is an error,
 * not an acquire whose release is silently dropped. */
static bool at_line_end(const char *p) {
    return *p == '\n' || *p == 0 || (*p == '\r' && (p[1] == '\n' || p[1] == 0));
}

static bool parse_u64(const char **p, uint64_t *out) {
    const char *s = skip_space(*p);
    if (!isdigit((unsigned char)*s)) return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno) return false;
    *out = v;
    *p = end;
    return true;
}

static int trace_error(const char *path, uint64_t line, const char *what) {
    fprintf(stderr, "bufpool: %s:%llu: %s\n", path, (unsigned long long)line, what);
    return 2;
}

/* Parse one line into an event; returns 0 (event), 1 (nothing on the line) or 2 (error). */
static int parse_line(const char *path, replay_state *st, const char *text, event *ev) {
    const char *p = skip_space(text);
    if (*p == '#' || at_line_end(p)) return 1;
    char kind = *p++;
    uint64_t id = 0, bytes = 0;
    if (kind == 'F') {
        ev->kind = 'F';
    } else if (kind == 'A' || kind == 'R') {
        if (!parse_u64(&p, &id)) return trace_error(path, st->line, "expected an unsigned id");
        if (kind == 'A' && (!parse_u64(&p, &bytes) || bytes == 0))
            return trace_error(path, st->line, "expected a size in bytes (> 0)");
        id_entry *e = map_find(st, id);
        if (kind == 'A') {
            if (e) return trace_error(path, st->line, "acquire of an id that is still live");
            if (!new_slot(st, &ev->slot) || !map_insert(st, id, ev->slot))
                return trace_error(path, st->line, "out of memory");
        } else {
            if (!e) return trace_error(path, st->line, "release of an unknown id");
            ev->slot = e->slot;
            st->free_slots[st->free_count++] = e->slot;
            map_erase(st, e);
        }
        ev->kind = kind;
        ev->bytes = bytes;
    } else {
        return trace_error(path, st->line, "unknown event (expected A, R, F or #)");
    }
    p = skip_space(p);
    if (!at_line_end(p)) return trace_error(path, st->line, "unexpected text after the event");
    return 0;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int replay_chunk(bp_pool *pool, replay_state *st, const event *ev, uint32_t n, run_report *r) {
    double t0 = now_seconds();
    for (uint32_t i = 0; i < n; i++) {
        bp_result res = BP_OK;
        if (ev[i].kind == 'A') {
            bp_acquire_desc d = {.size = ev[i].bytes, .tag = "trace"};
            res = bp_acquire(pool, &d, &st->handles[ev[i].slot]);
        } else if (ev[i].kind == 'R') {
            res = bp_release(pool, st->handles[ev[i].slot]);
        } else {
            /* the first F after a first chunk without one, in a trace that could not be searched
             * ahead (a pipe): frames begin here */
            if (!st->in_frames) res = bp_frame_begin(pool);
            st->in_frames = true;
            if (res == BP_OK) res = run_frame_end(r, pool);
            if (res == BP_OK) res = bp_frame_begin(pool);
            r->frames++;
        }
        if (res != BP_OK) {
            fprintf(stderr, "bufpool: replay failed: %s: %s\n", bp_result_string(res), bp_pool_last_error(pool));
            return 1;
        }
    }
    r->seconds += now_seconds() - t0;
    r->ops += n;
    return 0;
}

/* A progress line on a terminal (never when stderr is piped): drawn after the first chunk of
 * events, then at most 5 times a second, erased at the end. */
typedef struct progress {
    bool on, shown;
    double size, last;
    uint64_t events;
} progress;

static void progress_show(progress *p, FILE *f, bp_pool *pool, const run_report *r, bool done) {
    if (!p->on) return;
    double now = now_seconds();
    if (done) {
        if (p->shown) fputs("\r\033[K", stderr);
        return;
    }
    if (p->shown && now - p->last < 0.2) return;
    p->last = now;
    p->shown = true;
    bp_stats s;
    bp_get_stats(pool, &s);
    long pos = ftell(f);
    fprintf(stderr, "\r\033[Kbufpool: replay %3.0f%%  %llu events, %llu frames, %.1f MiB reserved",
            p->size > 0 && pos >= 0 ? 100.0 * (double)pos / p->size : 0.0, (unsigned long long)p->events,
            (unsigned long long)r->frames, (double)s.bytes_reserved / 1048576.0);
}

/* Whether an F line follows in the rest of the trace; the file position is kept. False when the
 * file cannot be searched (a pipe). */
static bool frames_ahead(FILE *f) {
    long pos = ftell(f);
    if (pos < 0) return false;
    char buf[512];
    bool at_start = true, found = false;
    while (!found && fgets(buf, sizeof buf, f)) {
        found = at_start && *skip_space(buf) == 'F';
        at_start = strchr(buf, '\n') != NULL;
    }
    clearerr(f);
    return fseek(f, pos, SEEK_SET) == 0 && found;
}

int replay_trace(const char *path, const tool_opts *o, run_report *r) {
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "bufpool: cannot open trace '%s': %s\n", path, strerror(errno));
        return 2;
    }
    replay_state st;
    memset(&st, 0, sizeof st);
    event *chunk = malloc(CHUNK_EVENTS * sizeof *chunk);
    bp_pool_desc desc = {.name = "replay"};
    bp_pool *pool = chunk ? tool_pool_create(o, &desc) : NULL;
    int rc = pool ? 0 : 1;
    bool started = false;
    char line[512];
    r->workload = "replay";
    r->has_timing = true;
    uint32_t n = 0;
    struct stat st_file;
    progress prog = {.on = isatty(STDERR_FILENO) && !fstat(fileno(f), &st_file)};
    if (prog.on) prog.size = (double)st_file.st_size;
    while (rc == 0) {
        bool eof = !fgets(line, sizeof line, f);
        if (eof && ferror(f)) { /* a directory, an I/O error: not an empty trace */
            fprintf(stderr, "bufpool: cannot read trace '%s': %s\n", path, strerror(errno));
            rc = 2;
            break;
        }
        if (!eof) {
            st.line++;
            if (!strchr(line, '\n') && !feof(f)) {
                /* fgets stops early only at a newline or the end: a short piece holds a NUL byte */
                if (strlen(line) < sizeof line - 1) {
                    rc = trace_error(path, st.line, "NUL byte in the line");
                    break;
                }
                if (*skip_space(line) != '#') {
                    rc = trace_error(path, st.line, "line too long (over 510 characters)");
                    break;
                }
                int ch; /* a long comment (a long pool name in the header): skip the rest */
                while ((ch = getc(f)) != EOF && ch != '\n') {}
                continue;
            }
            int p = parse_line(path, &st, line, &chunk[n]);
            if (p == 2) rc = 2;
            else if (p == 0) n++;
        }
        if (rc == 0 && (n == CHUNK_EVENTS || (eof && n))) {
            if (!started) { /* a trace with frames runs inside frames; one without reuses at once */
                started = true;
                bool frames = false;
                for (uint32_t i = 0; i < n && !frames; i++) frames = chunk[i].kind == 'F';
                if (!frames && !eof) frames = frames_ahead(f); /* the first F may come after this chunk */
                if (frames) {
                    rc = bp_frame_begin(pool) == BP_OK ? 0 : 1;
                    st.in_frames = true;
                }
            }
            if (rc == 0) rc = replay_chunk(pool, &st, chunk, n, r);
            prog.events += n;
            n = 0;
            progress_show(&prog, f, pool, r, false);
        }
        if (eof) break;
    }
    progress_show(&prog, f, pool, r, true);
    if (pool) {
        run_report_finish(r, pool);
        if (r->leaked_buffers && !o->json)
            fprintf(stderr, "bufpool: %u buffer(s) still live at the end of the trace\n", r->leaked_buffers);
        if (tool_pool_destroy(pool) && rc == 0) rc = 1;
    }
    fclose(f);
    free(chunk);
    free(st.map);
    free(st.free_slots);
    free(st.handles);
    return rc;
}
