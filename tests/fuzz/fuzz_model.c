/* The API fuzz driver and its reference model (see fuzz_model.h).
 *
 * The model knows, for every handle the pool issued: its size, owner, flags, acquisition
 * sequence number, whether it is held, and what bytes were written to it. From that it
 * predicts the result of every call (handle errors included: a released handle is stale when
 * a later handle reuses its slot, else doubly released), which buffers frame ends, scope ends,
 * owner releases and evictions return, and the counters the pool must report. Calls whose
 * outcome depends on memory the model does not track (budget, capacity, injected backend
 * faults) may fail only with their documented code, and must then change nothing. */
#include "fuzz_model.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bufpool.h"
#include "bufpool_fault.h"
#include "internal/pool.h"

#define MAX_RECS 256u      /* handles remembered (held ones are never forgotten) */
#define MAX_HELD 200u      /* acquires are skipped beyond this many held buffers */
#define GEN_SLOTS 1024u    /* slots tracked: more than MAX_OPS + preallocated buffers */
#define MAX_OWNERS 8u      /* owner ids 1..8 */
#define PATTERN_BYTES 32u  /* bytes written to each new buffer and verified later */
#define MAX_OPS 400u

typedef struct rec {
    uint64_t id, size, owner, seq;
    uint32_t flags;
    bool held, content_known;
    uint8_t salt;
} rec;

typedef struct scope_mark {
    uint64_t id, seq;
} scope_mark;

typedef struct fz {
    /* input */
    const uint8_t *data;
    size_t size, pos;
    /* system under test */
    bp_pool *pool, *other;
    bp_fault *fault;
    bp_buffer foreign;
    bp_scope foreign_mark;
    uint64_t allocs, frees;
    int log_counts[32];
    /* configuration */
    bool fixed, max_buffers_set, pow2;
    uint32_t guard;
    double fault_probability;
    /* model */
    rec recs[MAX_RECS];
    uint32_t nrec, held;
    uint64_t requested, acquires, releases, seq, budget;
    uint32_t maxgen[GEN_SLOTS];
    bool in_frame;
    scope_mark scopes[BP_MAX_SCOPE_DEPTH];
    uint32_t depth;
    uint64_t closed_marks[8];
    uint32_t nclosed, closed_next;
    bool priority_set[MAX_OWNERS + 1];
    bp_stats before;
    uint32_t op;
    const char *what;
} fz;

static void die(fz *f, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bufpool fuzz: op %u (%s): ", f->op, f->what ? f->what : "setup");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n  last error: %s\n", f->pool ? bp_pool_last_error(f->pool) : "-");
    abort();
}

static uint8_t u8(fz *f) { return f->pos < f->size ? f->data[f->pos++] : 0; }
static uint16_t u16(fz *f) { return (uint16_t)(u8(f) | u8(f) << 8); }

static void *fz_alloc(void *user, size_t size, size_t alignment) {
    fz *f = user;
    void *p = NULL;
    if (posix_memalign(&p, alignment < sizeof(void *) ? sizeof(void *) : alignment, size) != 0) return NULL;
    f->allocs++;
    return p;
}

static void fz_free(void *user, void *ptr) {
    fz *f = user;
    if (ptr) f->frees++;
    free(ptr);
}

static void fz_log(void *user, bp_log_level level, bp_log_item item, const char *message) {
    (void)level;
    (void)message;
    fz *f = user;
    if ((unsigned)item < 32) f->log_counts[item]++;
}

static uint32_t index_of(uint64_t id) { return (uint32_t)id & (BPI_MAX_SLOTS - 1u); }
static uint32_t gen_of(uint64_t id) { return (uint32_t)(id >> 32); }

/* ---- the model --------------------------------------------------------------------- */

static void model_release(fz *f, rec *r) {
    r->held = false;
    f->held--;
    f->requested -= r->size;
    f->releases++;
}

static rec *model_acquired(fz *f, bp_buffer b, uint64_t size, uint64_t owner, uint32_t flags) {
    if (f->nrec == MAX_RECS) { /* forget a released handle to make room */
        uint32_t i = 0;
        while (f->recs[i].held) i++;
        f->recs[i] = f->recs[--f->nrec];
    }
    rec *r = &f->recs[f->nrec++];
    *r = (rec){.id = b.id, .size = size, .owner = owner, .seq = ++f->seq, .flags = flags, .held = true};
    f->held++;
    f->requested += size;
    f->acquires++;
    uint32_t idx = index_of(b.id);
    if (idx < GEN_SLOTS) {
        if (gen_of(b.id) <= f->maxgen[idx]) die(f, "handle 0x%llx reissued a generation", (unsigned long long)b.id);
        f->maxgen[idx] = gen_of(b.id);
    }
    return r;
}

static uint32_t model_release_owner(fz *f, uint64_t owner) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < f->nrec; i++)
        if (f->recs[i].held && f->recs[i].owner == owner) {
            model_release(f, &f->recs[i]);
            n++;
        }
    if (owner <= MAX_OWNERS) f->priority_set[owner] = false;
    return n;
}

static uint32_t owner_count(const fz *f, uint64_t owner) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < f->nrec; i++) n += f->recs[i].held && f->recs[i].owner == owner;
    return n;
}

/* ---- checks -------------------------------------------------------------------------- */

static void expect(fz *f, bp_result got, bp_result want) {
    if (got != want) die(f, "returned %s, the model expects %s", bp_result_string(got), bp_result_string(want));
}

static bp_stats snapshot(bp_pool *pool) {
    bp_stats s;
    bp_get_stats(pool, &s);
    s.errors = s.capacity_failures = s.budget_failures = 0; /* what a refused call may count */
    return s;
}

static void expect_unchanged(fz *f) {
    bp_stats now = snapshot(f->pool);
    if (memcmp(&now, &f->before, sizeof now) != 0) die(f, "a failed call changed the stats");
}

/* Errors an acquire may return for reasons the model does not track. */
static bool untracked_acquire_error(const fz *f, bp_result r) {
    return (r == BP_ERR_BUDGET && f->budget) || (r == BP_ERR_CAPACITY && (f->fixed || f->max_buffers_set)) ||
           (r == BP_ERR_OUT_OF_MEMORY && f->fault_probability > 0);
}

static void check_acquire_failure(fz *f, bp_result r, bp_buffer b) {
    if (!untracked_acquire_error(f, r)) die(f, "acquire returned %s", bp_result_string(r));
    if (b.id) die(f, "a failed acquire returned a handle");
    /* under a budget, making room trims pooled buffers and evicts before the create can fail */
    if (!f->budget) expect_unchanged(f);
}

/* Check an acquire's result against the expected one; true when it holds a new buffer. */
static bool acquire_succeeded(fz *f, bp_result want, bp_result r, bp_buffer out) {
    if (want != BP_OK) {
        expect(f, r, want);
        expect_unchanged(f);
        return false;
    }
    if (r != BP_OK) check_acquire_failure(f, r, out);
    return r == BP_OK;
}

static void check_all(fz *f) {
    bp_stats s;
    bp_get_stats(f->pool, &s);
    if (s.buffers_in_use != f->held) die(f, "%u buffers in use, the model holds %u", s.buffers_in_use, f->held);
    if (s.bytes_requested != f->requested)
        die(f, "%llu bytes requested, the model has %llu", (unsigned long long)s.bytes_requested,
            (unsigned long long)f->requested);
    if (s.acquires != f->acquires || s.releases != f->releases)
        die(f, "acquires/releases %llu/%llu, the model %llu/%llu", (unsigned long long)s.acquires,
            (unsigned long long)s.releases, (unsigned long long)f->acquires, (unsigned long long)f->releases);
    bp_fault_stats fs;
    bp_fault_get_stats(f->fault, &fs);
    if (s.bytes_reserved != fs.live_bytes || s.buffers_total != fs.live_buffers)
        die(f, "reserved %llu bytes in %u buffers, the backend holds %llu in %llu", (unsigned long long)s.bytes_reserved,
            s.buffers_total, (unsigned long long)fs.live_bytes, (unsigned long long)fs.live_buffers);
    if (bpi_check(f->pool) != BP_OK) die(f, "bpi_check: %s", bp_pool_last_error(f->pool));
    if (f->log_counts[BP_LOG_ITEM_CORRUPTION]) die(f, "corruption reported");
}

/* ---- handles the input names ------------------------------------------------------- */

typedef enum { H_HELD, H_RELEASED, H_ZERO, H_FOREIGN } hkind;

typedef struct pick {
    bp_buffer b;
    hkind kind;
    rec *r;
} pick;

static pick pick_handle(fz *f) {
    uint8_t c = u8(f);
    if (c < 232 && f->nrec) {
        rec *r = &f->recs[c % f->nrec];
        return (pick){{r->id}, r->held ? H_HELD : H_RELEASED, r};
    }
    if (c < 240 && f->held) { /* prefer a held one */
        for (uint32_t i = 0, n = c % f->held;; i++)
            if (f->recs[i].held && n-- == 0) return (pick){{f->recs[i].id}, H_HELD, &f->recs[i]};
    }
    if (c < 244) return (pick){BP_INVALID_BUFFER, H_ZERO, NULL};
    if (c < 248) return (pick){f->foreign, H_FOREIGN, NULL};
    uint64_t base = f->nrec ? f->recs[c % f->nrec].id : 5;
    if (c < 252) /* the pool tag replaced by 0: no pool has it */
        return (pick){{base & ~((uint64_t)0xFF << BPI_INDEX_BITS)}, H_FOREIGN, NULL};
    uint32_t idx = index_of(base);
    if (idx >= GEN_SLOTS || !f->nrec) return (pick){{(uint64_t)1 << 32 | 0xFFFFFFu}, H_FOREIGN, NULL};
    uint64_t gen = (uint64_t)f->maxgen[idx] + 1 + c % 4; /* a generation not issued yet */
    return (pick){{gen << 32 | (uint32_t)base}, H_FOREIGN, NULL};
}

/* What a lookup of a handle that is not held returns. */
static bp_result handle_error(const fz *f, const pick *p, bool releasing) {
    switch (p->kind) {
    case H_ZERO: return BP_ERR_INVALID_HANDLE;
    case H_FOREIGN: return BP_ERR_FOREIGN_HANDLE;
    case H_RELEASED: {
        uint32_t idx = index_of(p->b.id);
        bool reused = idx >= GEN_SLOTS || gen_of(p->b.id) < f->maxgen[idx];
        return releasing && !reused ? BP_ERR_DOUBLE_RELEASE : BP_ERR_STALE_HANDLE;
    }
    default: return BP_OK;
    }
}

/* ---- contents ---------------------------------------------------------------------- */

static void pattern(uint8_t *out, uint32_t n, uint8_t salt) {
    for (uint32_t i = 0; i < n; i++) out[i] = (uint8_t)(salt * 73u + i * 29u + 1u);
}

static uint32_t pattern_len(uint64_t size) { return size < PATTERN_BYTES ? (uint32_t)size : PATTERN_BYTES; }

/* Write the record's pattern; an injected backend failure leaves the contents unknown. */
static void write_pattern(fz *f, rec *r) {
    uint8_t buf[PATTERN_BYTES];
    r->salt = (uint8_t)(r->seq * 7u);
    pattern(buf, pattern_len(r->size), r->salt);
    f->before = snapshot(f->pool);
    bp_result res = bp_upload(f->pool, (bp_buffer){r->id}, 0, buf, pattern_len(r->size));
    if (res == BP_ERR_BACKEND && f->fault_probability > 0) {
        expect_unchanged(f);
        r->content_known = false;
        return;
    }
    expect(f, res, BP_OK);
    r->content_known = true;
}

static void verify_pattern(fz *f, rec *r) {
    if (!r->content_known) return;
    uint8_t want[PATTERN_BYTES], got[PATTERN_BYTES];
    uint32_t n = pattern_len(r->size);
    pattern(want, n, r->salt);
    bp_buffer_info info;
    expect(f, bp_buffer_get_info(f->pool, (bp_buffer){r->id}, &info), BP_OK);
    if (!info.mapped) return;
    memcpy(got, info.mapped, n);
    if (memcmp(want, got, n) != 0) die(f, "contents of handle 0x%llx changed under it", (unsigned long long)r->id);
}

/* ---- eviction ---------------------------------------------------------------------- */

static void evict(void *user, bp_pool *pool, uint64_t bytes_needed, const uint64_t *owners, uint32_t count) {
    (void)bytes_needed;
    fz *f = user;
    bp_acquire_desc d = {.size = 16};
    bp_buffer b;
    if (bp_acquire(pool, &d, &b) != BP_ERR_BUSY || b.id) die(f, "acquire inside eviction did not say BUSY");
    for (uint32_t i = 0; i < count; i++)
        if (owners[i] > MAX_OWNERS || !owner_count(f, owners[i])) die(f, "eviction offered owner %llu", (unsigned long long)owners[i]);
    if (!count) return;
    uint32_t released = 0;
    if (bp_owner_release(pool, owners[0], &released) != BP_OK) die(f, "owner release inside eviction failed");
    uint32_t want = model_release_owner(f, owners[0]);
    if (released != want) die(f, "eviction released %u buffers of owner %llu, the model %u", released,
                              (unsigned long long)owners[0], want);
}

/* ---- operations -------------------------------------------------------------------- */

static const uint64_t alignments[] = {0, 16, 256, 4096, 65536};

static uint64_t decode_size(fz *f) {
    uint16_t v = u16(f);
    switch (v >> 14) {
    case 0: return v & 0xFF;                    /* 0..255: tiny, 0 included */
    case 1: return 1 + (v & 0x0FFF);            /* up to 4 KiB */
    case 2: return 1 + ((uint64_t)(v & 0x3FFF) << 2); /* up to 64 KiB */
    default: return 1 + (v & 0x3FFF) * 3u;
    }
}

static void op_acquire(fz *f) {
    f->what = "acquire";
    uint8_t a = u8(f), b = u8(f), c = u8(f);
    bp_acquire_desc d = {.size = decode_size(f),
                         .memory = (bp_memory)(a % 3),
                         .flags = (uint32_t)(a >> 2) & 7u,
                         .owner = b % (MAX_OWNERS + 2) > MAX_OWNERS ? 0 : b % (MAX_OWNERS + 2),
                         .alignment = alignments[(b >> 4) % 5],
                         .usage = (c & 1) ? BP_USAGE_VERTEX | BP_USAGE_INDEX : 0,
                         .tag = "fuzz"};
    bp_result want = d.size == 0 ? BP_ERR_INVALID_SIZE : BP_OK;
    switch (c >> 5) { /* at most one bad field, so the result is known */
    case 1: if (want == BP_OK) { d.memory = (bp_memory)(3 + c % 5); want = BP_ERR_INVALID_ARGUMENT; } break;
    case 2: if (want == BP_OK) { d.flags |= 1u << (8 + c % 20); want = BP_ERR_INVALID_ARGUMENT; } break;
    case 3: if (want == BP_OK) { d.size = (1ull << 48) + c; want = BP_ERR_TOO_LARGE; } break;
    case 4: if (want == BP_OK) { d.alignment = 48; want = BP_ERR_INVALID_ARGUMENT; } break;
    default: break;
    }
    if (want == BP_OK && f->held >= MAX_HELD) return;
    bp_buffer out;
    f->before = snapshot(f->pool);
    /* a descriptor with nothing but the size (and the tag) is also bp_acquire_size's request */
    bool by_size = d.memory == 0 && !d.flags && !d.owner && !d.alignment && !d.usage && (c & 2);
    bp_result r = by_size ? bp_acquire_size(f->pool, d.size, &out) : bp_acquire(f->pool, &d, &out);
    if (!acquire_succeeded(f, want, r, out)) return;
    write_pattern(f, model_acquired(f, out, d.size, d.owner, d.flags));
}

static void op_acquire_array(fz *f) {
    f->what = "acquire_array";
    uint8_t a = u8(f), b = u8(f);
    bp_array_desc d = {.count = u16(f) & 0x0FFF, .components = a % 5, .type = (bp_element_type)(b % 6),
                       .memory = (bp_memory)(a >> 4) % 3, .flags = (b >> 4) & 7u, .owner = (a >> 6) % 3, .tag = "arr"};
    if (b >> 7) d.count = UINT64_MAX / 2 + a; /* a product that overflows or exceeds every limit */
    static const uint32_t esize[] = {4, 4, 2, 1, 8};
    bp_result want = BP_OK;
    uint64_t bytes = 0;
    if ((unsigned)d.type >= BP_ELEMENT_TYPE_COUNT) want = BP_ERR_INVALID_ARGUMENT;
    else if (d.count == 0) want = BP_ERR_INVALID_SIZE;
    else if (__builtin_mul_overflow(d.count, (uint64_t)(d.components ? d.components : 1) * esize[d.type], &bytes))
        want = BP_ERR_OVERFLOW;
    else if (bp_class_size_for(f->pow2 ? BP_CLASSES_POW2 : BP_CLASSES_FINE, bytes) == 0 ||
             bp_class_size_for(f->pow2 ? BP_CLASSES_POW2 : BP_CLASSES_FINE, bytes) > (1ull << 40) - f->guard)
        want = BP_ERR_TOO_LARGE; /* the host backend's 1 TiB, less the debug guard */
    if (want == BP_OK && f->held >= MAX_HELD) return;
    bp_buffer out;
    void *mapped;
    f->before = snapshot(f->pool);
    bp_result r = bp_acquire_array(f->pool, &d, &out, &mapped);
    if (!acquire_succeeded(f, want, r, out)) return;
    if (!mapped) die(f, "a host array has no mapped pointer");
    write_pattern(f, model_acquired(f, out, bytes, d.owner, d.flags));
}

static void op_release(fz *f) {
    f->what = "release";
    pick p = pick_handle(f);
    if (p.kind == H_HELD) verify_pattern(f, p.r);
    f->before = snapshot(f->pool);
    bp_result r = bp_release(f->pool, p.b);
    if (p.kind == H_HELD) {
        expect(f, r, BP_OK);
        model_release(f, p.r);
        return;
    }
    expect(f, r, handle_error(f, &p, true));
    expect_unchanged(f);
}

/* The model's frame end: the frame's transient buffers are released. */
static void model_frame_end(fz *f) {
    for (uint32_t i = 0; i < f->nrec; i++)
        if (f->recs[i].held && (f->recs[i].flags & BP_ACQUIRE_TRANSIENT)) model_release(f, &f->recs[i]);
}

static void op_frame(fz *f, bool begin) {
    f->what = begin ? "frame_begin" : "frame_end";
    f->before = snapshot(f->pool);
    bp_result r = begin ? bp_frame_begin(f->pool) : bp_frame_end(f->pool);
    if (begin == f->in_frame) {
        expect(f, r, BP_ERR_FRAME_STATE);
        expect_unchanged(f);
        return;
    }
    expect(f, r, BP_OK);
    f->in_frame = begin;
    if (!begin) model_frame_end(f);
}

/* bp_frame_next: a frame end and a frame begin, refused with no frame open. */
static void op_frame_next(fz *f) {
    f->what = "frame_next";
    f->before = snapshot(f->pool);
    bp_result r = bp_frame_next(f->pool);
    if (!f->in_frame) {
        expect(f, r, BP_ERR_FRAME_STATE);
        expect_unchanged(f);
        return;
    }
    expect(f, r, BP_OK);
    model_frame_end(f);
}

static void op_scope_begin(fz *f) {
    f->what = "scope_begin";
    bp_scope mark;
    bp_result r = bp_scope_begin(f->pool, &mark);
    if (f->depth == BP_MAX_SCOPE_DEPTH) {
        expect(f, r, BP_ERR_SCOPE);
        return;
    }
    expect(f, r, BP_OK);
    f->scopes[f->depth++] = (scope_mark){mark.id, f->seq};
}

static void op_scope_end(fz *f) {
    f->what = "scope_end";
    uint8_t c = u8(f);
    bp_scope mark = {0};
    int32_t at = -1;
    if (c < 160 && f->depth) {
        at = (int32_t)(f->depth - 1 - (c % 3 < f->depth ? c % 3 : 0));
        mark.id = f->scopes[at].id;
    } else if (c < 200 && f->nclosed) {
        mark.id = f->closed_marks[c % f->nclosed];
    } else if (c < 230) {
        mark = f->foreign_mark;
    }
    f->before = snapshot(f->pool);
    uint32_t released = 0;
    bp_result r = bp_scope_end(f->pool, mark, &released);
    if (at < 0) {
        expect(f, r, BP_ERR_SCOPE);
        expect_unchanged(f);
        return;
    }
    expect(f, r, BP_OK);
    uint32_t want = 0;
    for (uint32_t i = 0; i < f->nrec; i++) {
        rec *x = &f->recs[i];
        if (x->held && x->seq > f->scopes[at].seq && !(x->flags & BP_ACQUIRE_NO_SCOPE)) {
            model_release(f, x);
            want++;
        }
    }
    if (released != want) die(f, "scope end released %u buffers, the model %u", released, want);
    for (uint32_t d = (uint32_t)at; d < f->depth; d++) {
        f->closed_marks[f->closed_next++ % 8] = f->scopes[d].id;
        if (f->nclosed < 8) f->nclosed++;
    }
    f->depth = (uint32_t)at;
}

static void op_owner(fz *f) {
    uint8_t c = u8(f);
    uint64_t owner = c % (MAX_OWNERS + 1);
    f->before = snapshot(f->pool);
    switch ((c >> 4) % 3) {
    case 0: {
        f->what = "owner_release";
        uint32_t released = 99;
        bp_result r = bp_owner_release(f->pool, owner, &released);
        if (!owner) {
            expect(f, r, BP_ERR_INVALID_ARGUMENT);
            expect_unchanged(f);
            return;
        }
        expect(f, r, BP_OK);
        uint32_t want = model_release_owner(f, owner);
        if (released != want) die(f, "owner release: %u released, the model %u", released, want);
        return;
    }
    case 1: {
        f->what = "owner_set_priority";
        uint8_t v = u8(f);
        float pr = v == 0xFF ? NAN : (float)(v % 7) - 3.0f;
        bp_result r = bp_owner_set_priority(f->pool, owner, pr);
        if (!owner || isnan(pr)) {
            expect(f, r, BP_ERR_INVALID_ARGUMENT);
            return;
        }
        expect(f, r, BP_OK);
        f->priority_set[owner] = true;
        return;
    }
    default: {
        f->what = "owner_get_usage";
        bp_owner_usage u;
        bp_result r = bp_owner_get_usage(f->pool, owner, &u);
        if (!owner) {
            expect(f, r, BP_ERR_INVALID_ARGUMENT);
            return;
        }
        uint32_t n = owner_count(f, owner);
        expect(f, r, n || f->priority_set[owner] ? BP_OK : BP_ERR_NOT_FOUND);
        if (u.buffers != n) die(f, "owner %llu holds %u buffers, the model %u", (unsigned long long)owner, u.buffers, n);
        return;
    }
    }
}

static void op_budget(fz *f) {
    f->what = "set_budget";
    uint8_t c = u8(f);
    bp_stats s;
    bp_get_stats(f->pool, &s);
    f->budget = c < 128 ? 0 : s.bytes_reserved + (uint64_t)(c - 128) * 2048u;
    expect(f, bp_set_budget(f->pool, f->budget), BP_OK);
}

static void op_inspect(fz *f) {
    f->what = "get_info";
    pick p = pick_handle(f);
    bp_buffer_info info;
    f->before = snapshot(f->pool);
    bp_result r = bp_buffer_get_info(f->pool, p.b, &info);
    bool valid = bp_buffer_is_valid(f->pool, p.b);
    if (valid != (p.kind == H_HELD)) die(f, "is_valid says %d for a handle of kind %d", valid, p.kind);
    if (p.kind != H_HELD) {
        expect(f, r, handle_error(f, &p, false));
        if (info.size || info.mapped) die(f, "info not zeroed on failure");
        expect_unchanged(f);
        return;
    }
    expect(f, r, BP_OK);
    if (info.size != p.r->size || info.owner != p.r->owner || info.flags != p.r->flags || info.capacity < info.size)
        die(f, "info differs from the model (size %llu/%llu, owner %llu/%llu)", (unsigned long long)info.size,
            (unsigned long long)p.r->size, (unsigned long long)info.owner, (unsigned long long)p.r->owner);
    verify_pattern(f, p.r);
}

/* Upload or download a range: range errors are exact; injected faults are BP_ERR_BACKEND. */
static void op_transfer(fz *f) {
    uint8_t c = u8(f);
    bool up = c & 1;
    f->what = up ? "upload" : "download";
    pick p = pick_handle(f);
    uint64_t size = p.kind == H_HELD ? p.r->size : 64;
    uint64_t off = (c & 2) ? u8(f) % (size + 2) : 0, len = u8(f) % 40;
    if (c & 4) off = UINT64_MAX - (c >> 3); /* an offset far outside */
    uint8_t buf[64] = {0};
    f->before = snapshot(f->pool);
    bp_result r = up ? bp_upload(f->pool, p.b, off, buf, len) : bp_download(f->pool, p.b, off, buf, len);
    bp_result want = handle_error(f, &p, false);
    if (want == BP_OK && len == 0) want = BP_ERR_INVALID_SIZE;
    if (want == BP_OK && (off > size || len > size - off)) want = BP_ERR_OUT_OF_RANGE;
    if (want == BP_OK && r == BP_ERR_BACKEND && f->fault_probability > 0) want = BP_ERR_BACKEND;
    expect(f, r, want);
    if (r != BP_OK) {
        expect_unchanged(f);
        if (up && r == BP_ERR_BACKEND) p.r->content_known = false; /* memcpy done, flush failed */
        return;
    }
    if (up && off < PATTERN_BYTES) p.r->content_known = false;
}

static void op_copy(fz *f) {
    f->what = "copy";
    pick s = pick_handle(f), d = pick_handle(f);
    uint8_t c = u8(f);
    uint64_t ssize = s.kind == H_HELD ? s.r->size : 0, dsize = d.kind == H_HELD ? d.r->size : 0;
    uint64_t so = c & 1 ? u8(f) : 0, dof = c & 2 ? u8(f) : 0, n = u8(f);
    if (c & 4) so = UINT64_MAX - 3; /* offset + size wraps */
    f->before = snapshot(f->pool);
    bp_result r = bp_copy(f->pool, s.b, so, d.b, dof, n);
    bp_result want = handle_error(f, &s, false);
    if (want == BP_OK) want = handle_error(f, &d, false);
    if (want == BP_OK && n == 0) want = BP_ERR_INVALID_SIZE;
    if (want == BP_OK && so > UINT64_MAX - n) want = BP_ERR_OVERFLOW;
    if (want == BP_OK && so + n > ssize) want = BP_ERR_OUT_OF_RANGE;
    if (want == BP_OK && dof > UINT64_MAX - n) want = BP_ERR_OVERFLOW;
    if (want == BP_OK && dof + n > dsize) want = BP_ERR_OUT_OF_RANGE;
    if (want == BP_OK && r == BP_ERR_BACKEND && f->fault_probability > 0) want = BP_ERR_BACKEND;
    expect(f, r, want);
    if (r == BP_ERR_BACKEND) {
        expect_unchanged(f);
        d.r->content_known = false; /* the invalidate or the flush failed around the memmove */
        return;
    }
    if (r != BP_OK) {
        expect_unchanged(f);
        return;
    }
    if (dof < PATTERN_BYTES) d.r->content_known = false;
}

/* A handle the application never saw advanced some slot's generation (the temporary buffer of
 * a resize; a failed duplicate's is undone, generation included): learn the generations from
 * the pool. */
static void learn_generations(fz *f) {
    for (uint32_t i = 0; i < f->pool->slot_count && i < GEN_SLOTS; i++)
        if (f->pool->slots[i].generation > f->maxgen[i]) f->maxgen[i] = f->pool->slots[i].generation;
}

/* Duplicate and resize acquire a buffer and copy into it; when the copy fails (an injected
 * fault, or the source released by the acquire's own eviction) the acquire is undone: nothing
 * changed but what making room under a budget did (trims, the eviction's releases, which the
 * eviction callback has modelled). True when the call failed. */
static bool copy_step_failed(fz *f, const rec *src, bp_result r, bp_buffer out) {
    if ((!src->held && r == BP_ERR_STALE_HANDLE) || (r == BP_ERR_BACKEND && f->fault_probability > 0)) {
        if (out.id) die(f, "a failed call returned a handle");
        bp_stats now = snapshot(f->pool);
        if (now.acquires != f->before.acquires || now.hits != f->before.hits)
            die(f, "a failed call counted its undone acquire");
        if (!f->budget) expect_unchanged(f);
        return true;
    }
    if (r != BP_OK) check_acquire_failure(f, r, out);
    return r != BP_OK;
}

static void op_duplicate(fz *f) {
    f->what = "duplicate";
    pick p = pick_handle(f);
    uint32_t flags = u8(f) & 7u;
    if (f->held >= MAX_HELD) return;
    bp_buffer out;
    f->before = snapshot(f->pool);
    bp_result r = bp_duplicate(f->pool, p.b, flags, &out);
    bp_result want = handle_error(f, &p, false);
    if (want != BP_OK) {
        expect(f, r, want);
        expect_unchanged(f);
        return;
    }
    if (copy_step_failed(f, p.r, r, out)) return;
    rec src = *p.r;
    rec *n = model_acquired(f, out, src.size, src.owner, flags);
    n->salt = src.salt;
    n->content_known = src.content_known;
    verify_pattern(f, n);
}

/* Resize: within the capacity only the size changes; beyond it a temporary buffer is acquired
 * (one acquire), the contents copied and the old native released (one release). */
static void op_resize(fz *f) {
    f->what = "resize";
    pick p = pick_handle(f);
    uint16_t v = u16(f);
    uint64_t capacity = 0;
    if (p.kind == H_HELD) {
        bp_buffer_info info;
        expect(f, bp_buffer_get_info(f->pool, p.b, &info), BP_OK);
        capacity = info.capacity;
    }
    uint64_t size = v >> 15 ? 1 + (v & 0x7FFF) * 2u : capacity ? 1 + v % capacity : v & 0xFF;
    if ((v & 0x7FF) == 0x7FF) size = (1ull << 48) + 1;
    if (p.kind == H_HELD && size > capacity && f->held >= MAX_HELD) return;
    f->before = snapshot(f->pool);
    bp_result r = bp_resize(f->pool, p.b, size);
    bp_result want = handle_error(f, &p, false);
    if (want == BP_OK && size == 0) want = BP_ERR_INVALID_SIZE;
    if (want == BP_OK && size > capacity && size > (1ull << 40) - f->guard) want = BP_ERR_TOO_LARGE;
    if (want != BP_OK) {
        expect(f, r, want);
        expect_unchanged(f);
        return;
    }
    if (size <= capacity) {
        expect(f, r, BP_OK);
        f->requested += size - p.r->size;
        if (pattern_len(size) > pattern_len(p.r->size)) p.r->content_known = false; /* bytes never written */
        p.r->size = size;
        return;
    }
    if (copy_step_failed(f, p.r, r, BP_INVALID_BUFFER)) return;
    f->acquires++;
    f->releases++;
    f->seq++;
    f->requested += size - p.r->size;
    if (pattern_len(size) > pattern_len(p.r->size)) p.r->content_known = false; /* only the old size was copied */
    p.r->size = size;
    learn_generations(f);
    verify_pattern(f, p.r);
}

static void op_maintenance(fz *f) {
    uint8_t c = u8(f);
    switch (c % 5) {
    case 0:
        f->what = "trim";
        expect(f, bp_trim(f->pool, c & 8), BP_OK);
        break;
    case 1:
        f->what = "trim_older_than";
        expect(f, bp_trim_older_than(f->pool, c & 8 ? -1.0 : 0.0, NULL), c & 8 ? BP_ERR_INVALID_ARGUMENT : BP_OK);
        break;
    case 2:
        f->what = "set_max_pooled";
        expect(f, bp_set_max_pooled(f->pool, c >> 5, (uint64_t)(c >> 3) << 14), BP_OK);
        break;
    case 3: {
        f->what = "stats_to_json";
        char buf[96];
        size_t len = 0;
        bp_result r = bp_stats_to_json(f->pool, buf, sizeof buf, &len);
        expect(f, r, len < sizeof buf ? BP_OK : BP_ERR_BUFFER_TOO_SMALL);
        if (len < 60) die(f, "stats JSON of %zu bytes", len);
        break;
    }
    default: {
        f->what = "calculate_owners";
        bp_owner_usage u[2];
        uint32_t count = 0, want = 0;
        for (uint64_t o = 1; o <= MAX_OWNERS; o++) want += owner_count(f, o) > 0;
        bp_result r = bp_calculate_owners(f->pool, u, 2, &count);
        expect(f, r, want > 2 ? BP_ERR_BUFFER_TOO_SMALL : BP_OK);
        if (count != want) die(f, "%u owners with buffers, the model %u", count, want);
        break;
    }
    }
}

static void op_fault(fz *f) {
    f->what = "fault";
    uint8_t c = u8(f);
    f->fault_probability = c < 192 ? 0.0 : (double)(c - 191) / 256.0;
    expect(f, bp_fault_arm(f->fault, &(bp_fault_desc){.ops = BP_FAULT_ALL, .probability = f->fault_probability, .seed = c}),
           BP_OK);
}

/* ---- setup and teardown ------------------------------------------------------------- */

static const bp_capacity_entry fixed_table[] = {
    {.size = 64, .count = 6}, {.size = 1024, .count = 6}, {.size = 70000, .count = 3},
    {.size = 300, .count = 4, .memory = BP_MEMORY_HOST_VISIBLE}, {.size = 4096, .count = 4, .memory = BP_MEMORY_HOST_CACHED},
};

static void setup(fz *f) {
    uint8_t a = u8(f), b = u8(f);
    bp_backend host, wrapped;
    /* b & 128: small host blocks giving free pages back at once (with a & 64: holding their
     * bytes at the peak instead), populating the pages ranges take (with a & 4, a bit of the
     * frames in flight too), and a tight pooled_headroom */
    bp_host_backend_desc blocks = {
        .block_size = 256u << 10, .purge_after = a & 64 ? 0 : 1, .hold_at_peak = a & 64, .populate = a & 4};
    if (bp_host_backend(b & 128 ? &blocks : NULL, &host) != BP_OK) die(f, "host backend");
    if (bp_fault_create(&host, NULL, &f->fault) != BP_OK) die(f, "fault wrapper");
    bp_fault_backend(f->fault, &wrapped);
    static const uint32_t fifs[] = {0, 1, BP_IMMEDIATE_REUSE, 3};
    static const uint32_t caps[] = {0, 1, 2, BP_NEVER};
    bp_pool_desc pd = {.backend = &wrapped,
                       .class_scheme = a & 1 ? BP_CLASSES_POW2 : BP_CLASSES_FINE,
                       .frames_in_flight = fifs[(a >> 1) & 3],
                       .guard_bytes = a & 8 ? 16 : 0,
                       .poison_on_release = a & 16,
                       .zero_on_release = a & 32,
                       .thread_safe = a & 64,
                       .retain_demand = a & 128 ? BP_NEVER : 0, /* 0: on, the default */
                       .max_pooled_per_class = caps[b & 3],
                       .max_buffers = b & 4 ? 24 : 0,
                       .idle_trim_frames = b & 8 ? 3 : 0,
                       .reuse_larger_classes = b & 64 ? 3 : 0, /* 0: the default (1 with fine classes) */
                       .pooled_headroom = b & 128 ? 10 : 0,
                       .allocator = {fz_alloc, fz_free, f},
                       .logger = {fz_log, f},
                       .evict = evict,
                       .evict_user = f};
    uint32_t mode = (b >> 4) % 4;
    if (mode == 1) {
        pd.capacity_mode = BP_CAPACITY_FIXED;
        f->fixed = true;
    } else if (mode == 2) {
        pd.capacity_mode = BP_CAPACITY_HIGH_WATER;
    }
    if (mode) {
        pd.capacity_table = fixed_table;
        pd.capacity_table_count = 5;
        pd.max_buffers = 0;
    }
    f->max_buffers_set = pd.max_buffers != 0;
    f->pow2 = pd.class_scheme == BP_CLASSES_POW2;
    f->guard = pd.guard_bytes;
    if (bp_pool_create(&pd, &f->pool) != BP_OK) die(f, "pool creation");
    if (bp_pool_create(NULL, &f->other) != BP_OK) die(f, "second pool");
    bp_acquire_desc d = {.size = 100};
    if (bp_acquire(f->other, &d, &f->foreign) != BP_OK || bp_scope_begin(f->other, &f->foreign_mark) != BP_OK)
        die(f, "second pool's handle");
    if (b & 128) op_fault(f);
}

/* Release what is held (or leave it to the leak report), then destroy and count. */
static void teardown(fz *f, bool leave_leaks) {
    f->what = "teardown";
    uint32_t leaked = 0;
    for (uint32_t i = 0; i < f->nrec; i++) {
        if (!f->recs[i].held) continue;
        verify_pattern(f, &f->recs[i]);
        if (leave_leaks) {
            leaked++;
            continue;
        }
        expect(f, bp_release(f->pool, (bp_buffer){f->recs[i].id}), BP_OK);
        model_release(f, &f->recs[i]);
    }
    check_all(f);
    bp_pool_destroy(f->pool);
    f->pool = NULL;
    bp_pool_destroy(f->other);
    if ((uint32_t)f->log_counts[BP_LOG_ITEM_LEAK] != leaked)
        die(f, "%d leaks reported, %u left held", f->log_counts[BP_LOG_ITEM_LEAK], leaked);
    if (f->log_counts[BP_LOG_ITEM_CORRUPTION]) die(f, "corruption reported at destroy");
    bp_fault_stats fs;
    bp_fault_get_stats(f->fault, &fs);
    if (fs.live_buffers || fs.live_bytes || !fs.released) die(f, "the backend still holds %llu buffers", (unsigned long long)fs.live_buffers);
    bp_fault_destroy(f->fault);
    if (f->allocs != f->frees) die(f, "%llu host allocations, %llu frees", (unsigned long long)f->allocs, (unsigned long long)f->frees);
}

int bpfz_run(const uint8_t *data, size_t size) {
    static fz state;
    static int trace = -1; /* BPFZ_TRACE=1 prints every operation */
    if (trace < 0) trace = getenv("BPFZ_TRACE") != NULL;
    fz *f = &state;
    memset(f, 0, sizeof *f);
    f->data = data;
    f->size = size;
    setup(f);
    check_all(f);
    for (f->op = 1; f->pos < f->size && f->op <= MAX_OPS; f->op++) {
        uint8_t code = u8(f);
        switch (code % 20) {
        case 0: case 1: case 2: op_acquire(f); break;
        case 3: op_acquire_array(f); break;
        case 4: case 5: op_release(f); break;
        case 6: op_frame(f, true); break;
        case 7: if (code & 0x80) op_frame_next(f); else op_frame(f, false); break;
        case 8: op_scope_begin(f); break;
        case 9: op_scope_end(f); break;
        case 10: case 11: op_owner(f); break;
        case 12: op_budget(f); break;
        case 13: op_inspect(f); break;
        case 14: op_transfer(f); break;
        case 15: op_resize(f); break;
        case 16: op_copy(f); break;
        case 17: op_duplicate(f); break;
        case 18: op_maintenance(f); break;
        default: op_fault(f); break;
        }
        check_all(f);
        if (trace) fprintf(stderr, "op %u: %s, %u held\n", f->op, f->what, f->held);
    }
    teardown(f, size & 1);
    return 0;
}
