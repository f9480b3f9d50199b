/* Failure atomicity: a public call that fails leaves the pool as it was (stats, buffers,
 * owners, scopes). Each test snapshots the stats, makes a call fail, and compares. */
#include <stdio.h>
#include <unistd.h>

#include "fault_support.h"

/* The stats that a failed call must not change (its failure counters may). */
static void assert_same(const bp_stats *a, const bp_stats *b) {
    assert_int_equal(a->bytes_reserved, b->bytes_reserved);
    assert_int_equal(a->bytes_in_use, b->bytes_in_use);
    assert_int_equal(a->bytes_requested, b->bytes_requested);
    assert_int_equal(a->bytes_pooled, b->bytes_pooled);
    assert_int_equal(a->bytes_pending, b->bytes_pending);
    assert_int_equal(a->buffers_in_use, b->buffers_in_use);
    assert_int_equal(a->buffers_pooled, b->buffers_pooled);
    assert_int_equal(a->buffers_pending, b->buffers_pending);
    assert_int_equal(a->buffers_total, b->buffers_total);
    assert_int_equal(a->acquires, b->acquires);
    assert_int_equal(a->releases, b->releases);
    assert_int_equal(a->hits, b->hits);
    assert_int_equal(a->misses, b->misses);
    assert_int_equal(a->backend_creates, b->backend_creates);
    assert_int_equal(a->backend_destroys, b->backend_destroys);
    assert_int_equal(a->trims, b->trims);
    assert_int_equal(a->frame, b->frame);
    assert_int_equal(a->owner_releases, b->owner_releases);
    assert_int_equal(a->scope_releases, b->scope_releases);
}

static bp_stats snap(bp_pool *pool) {
    bp_stats s;
    bp_get_stats(pool, &s);
    return s;
}

static void budget_refusal_keeps_pooled_buffers(void **state) {
    (void)state;
    bp_pool *pool;
    bp_pool_desc d = {.budget_bytes = 16384, .frames_in_flight = BP_IMMEDIATE_REUSE};
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    bp_buffer a = ts_acquire(pool, 8192, 0);
    assert_int_equal(bp_release(pool, a), BP_OK);
    bp_stats before = snap(pool);
    bp_acquire_desc ad = {.size = 65536};
    bp_buffer c;
    assert_int_equal(bp_acquire(pool, &ad, &c), BP_ERR_BUDGET);
    bp_stats after = snap(pool);
    assert_same(&before, &after);
    ts_check_and_destroy(pool);
}

static void scope_failures_change_nothing(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&(bp_pool_desc){.frames_in_flight = BP_IMMEDIATE_REUSE}, &pool), BP_OK);
    bp_pool *other;
    assert_int_equal(bp_pool_create(&(bp_pool_desc){0}, &other), BP_OK);
    bp_scope outer, inner, foreign;
    assert_int_equal(bp_scope_begin(pool, &outer), BP_OK);
    ts_acquire(pool, 100, 0);
    assert_int_equal(bp_scope_begin(pool, &inner), BP_OK);
    ts_acquire(pool, 100, 0);
    assert_int_equal(bp_scope_begin(other, &foreign), BP_OK);
    bp_stats before = snap(pool);
    uint32_t n = 7;
    assert_int_equal(bp_scope_end(pool, foreign, &n), BP_ERR_SCOPE);
    assert_int_equal(n, 0);
    assert_int_equal(bp_scope_end(pool, (bp_scope){inner.id + 1}, &n), BP_ERR_SCOPE);
    assert_int_equal(bp_scope_end(pool, (bp_scope){inner.id ^ (1ull << 40)}, &n), BP_ERR_SCOPE);
    assert_int_equal(bp_scope_end(pool, (bp_scope){0}, &n), BP_ERR_SCOPE);
    bp_stats after = snap(pool);
    assert_same(&before, &after);
    /* ending the outer closes the inner: the inner mark is stale afterwards */
    assert_int_equal(bp_scope_end(pool, outer, &n), BP_OK);
    assert_int_equal(n, 2);
    before = snap(pool);
    assert_int_equal(bp_scope_end(pool, inner, &n), BP_ERR_SCOPE);
    assert_int_equal(bp_scope_end(pool, outer, &n), BP_ERR_SCOPE);
    /* a reopened depth does not revive the stale mark */
    bp_scope again;
    assert_int_equal(bp_scope_begin(pool, &again), BP_OK);
    assert_int_equal(bp_scope_end(pool, outer, &n), BP_ERR_SCOPE);
    assert_int_equal(bp_scope_end(pool, again, &n), BP_OK);
    after = snap(pool);
    assert_same(&before, &after);
    /* nesting limit */
    bp_scope marks[BP_MAX_SCOPE_DEPTH + 1];
    for (uint32_t i = 0; i < BP_MAX_SCOPE_DEPTH; i++) assert_int_equal(bp_scope_begin(pool, &marks[i]), BP_OK);
    assert_int_equal(bp_scope_begin(pool, &marks[BP_MAX_SCOPE_DEPTH]), BP_ERR_SCOPE);
    assert_int_equal(marks[BP_MAX_SCOPE_DEPTH].id, 0);
    assert_int_equal(bp_scope_end(pool, marks[BP_MAX_SCOPE_DEPTH - 1], &n), BP_OK);
    assert_int_equal(bp_scope_end(pool, marks[0], &n), BP_OK);
    ts_check_and_destroy(pool);
    ts_check_and_destroy(other);
}

static void copy_and_binding_failures_change_nothing(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&(bp_pool_desc){.frames_in_flight = BP_IMMEDIATE_REUSE}, &pool), BP_OK);
    bp_buffer a = ts_acquire(pool, 100, 0), b = ts_acquire(pool, 100, 0), gone = ts_acquire(pool, 100, 0);
    assert_int_equal(bp_release(pool, gone), BP_OK);
    bp_stats before = snap(pool);
    assert_int_equal(bp_copy(pool, a, 1, b, 0, 100), BP_ERR_OUT_OF_RANGE);
    assert_int_equal(bp_copy(pool, a, UINT64_MAX, b, 0, 2), BP_ERR_OVERFLOW);
    assert_int_equal(bp_copy(pool, a, 0, b, 0, 0), BP_ERR_INVALID_SIZE);
    assert_int_not_equal(bp_resize(pool, a, 0), BP_OK);
    assert_int_not_equal(bp_resize(pool, a, UINT64_MAX), BP_OK);
    bp_buffer d;
    assert_int_not_equal(bp_duplicate(pool, gone, 0, &d), BP_OK);
    assert_int_not_equal(bp_duplicate(pool, a, 0xFFFF0000u, &d), BP_OK);
    bp_binding_table *t;
    assert_int_equal(bp_binding_table_create(pool, 1, &t), BP_OK);
    assert_int_equal(bp_binding_set(t, "x", a), BP_OK);
    assert_int_equal(bp_binding_set(t, "y", b), BP_ERR_CAPACITY);
    assert_int_not_equal(bp_binding_set(t, "x", (bp_buffer){0}), BP_OK);
    bp_buffer got;
    assert_int_equal(bp_binding_get(t, "x", &got), BP_OK);
    assert_int_equal(got.id, a.id);
    bp_binding_table_destroy(t);
    bp_stats after = snap(pool);
    assert_same(&before, &after);
    ts_check_and_destroy(pool);
}

static void owner_failures_change_nothing(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&(bp_pool_desc){.frames_in_flight = BP_IMMEDIATE_REUSE, .budget_bytes = 8192}, &pool), BP_OK);
    bp_acquire_desc ad = {.size = 4096, .owner = 9};
    bp_buffer a;
    assert_int_equal(bp_acquire(pool, &ad, &a), BP_OK);
    assert_int_equal(bp_owner_set_priority(pool, 9, 2.0f), BP_OK);
    bp_stats before = snap(pool);
    bp_owner_usage u0, u1;
    assert_int_equal(bp_owner_get_usage(pool, 9, &u0), BP_OK);
    ad.size = 100000;
    assert_int_equal(bp_acquire(pool, &ad, &a), BP_ERR_BUDGET);
    ad.owner = 10;
    assert_int_equal(bp_acquire(pool, &ad, &a), BP_ERR_BUDGET);
    assert_int_equal(bp_owner_get_usage(pool, 10, &u1), BP_ERR_NOT_FOUND);
    assert_int_equal(bp_owner_set_priority(pool, 9, 0.0f / 0.0f), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_owner_get_usage(pool, 9, &u1), BP_OK);
    assert_memory_equal(&u0, &u1, sizeof u0);
    uint32_t count;
    assert_int_equal(bp_calculate_owners(pool, NULL, 0, &count), BP_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(count, 1);
    bp_stats after = snap(pool);
    assert_same(&before, &after);
    ts_check_and_destroy(pool);
}

/* ---- two-step calls: a later step fails after the new buffer was acquired ---------- */

/* Every stats field but `errors` (a failed call logs one). */
static void assert_stats_equal(const bp_stats *a, const bp_stats *b) {
    assert_same(a, b);
    assert_int_equal(a->peak_reserved, b->peak_reserved);
    assert_int_equal(a->peak_in_use, b->peak_in_use);
    assert_int_equal(a->peak_requested, b->peak_requested);
    assert_true(a->hit_rate == b->hit_rate);
    assert_int_equal(a->evictions, b->evictions);
    assert_int_equal(a->budget_failures, b->budget_failures);
    assert_int_equal(a->capacity_failures, b->capacity_failures);
    assert_int_equal(a->warnings, b->warnings);
    assert_int_equal(a->budget_bytes, b->budget_bytes);
}

/* What a failed call must leave as it was: the stats, the per-class stats, the acquisition
 * sequence (scope marks compare with it) and the handle table. */
typedef struct pool_state {
    bp_stats stats;
    bp_class_stats classes[BPI_MAX_CLASSES];
    uint32_t class_count;
    uint64_t seq;
    uint32_t slot_count, free_slots;
    bp_result owner_found;
    bp_owner_usage owner;
} pool_state;

#define TS_OWNER 7u

static void take_state(bp_pool *pool, pool_state *s) {
    memset(s, 0, sizeof *s);
    bp_get_stats(pool, &s->stats);
    assert_int_equal(bp_calculate_class_stats(pool, s->classes, BPI_MAX_CLASSES, &s->class_count), BP_OK);
    s->seq = pool->seq;
    s->slot_count = pool->slot_count;
    s->free_slots = pool->free_slots;
    s->owner_found = bp_owner_get_usage(pool, TS_OWNER, &s->owner);
}

static void assert_state_equal(const pool_state *a, const pool_state *b) {
    assert_stats_equal(&a->stats, &b->stats);
    assert_int_equal(a->class_count, b->class_count);
    for (uint32_t i = 0; i < a->class_count; i++) {
        const bp_class_stats *x = &a->classes[i], *y = &b->classes[i];
        assert_int_equal(x->class_size, y->class_size);
        assert_int_equal(x->in_use, y->in_use);
        assert_int_equal(x->pooled, y->pooled);
        assert_int_equal(x->pending, y->pending);
        assert_int_equal(x->bytes_requested, y->bytes_requested);
        assert_int_equal(x->acquires, y->acquires);
        assert_int_equal(x->hits, y->hits);
    }
    assert_int_equal(a->seq, b->seq);
    assert_int_equal(a->slot_count, b->slot_count);
    assert_int_equal(a->free_slots, b->free_slots);
    assert_int_equal(a->owner_found, b->owner_found);
    assert_int_equal(a->owner.bytes, b->owner.bytes);
    assert_int_equal(a->owner.buffers, b->owner.buffers);
}

/* A pool over the fault wrapper (a staging backend, so uploads and copies can fail), with the
 * buffers a scenario holds (released at the end) and the leak report counted. */
typedef struct rig {
    bp_pool *pool;
    bp_fault *fault;
    log_record log;
    bp_buffer src, held[2 * BP_FRAME_SET_MAX];
    uint32_t nheld;
} rig;

static void rig_open(rig *rg, bool thread_safe, const bp_pool_desc *base) {
    memset(rg, 0, sizeof *rg);
    bp_backend inner = fs_inner_backend(true), wrapped;
    assert_int_equal(bp_fault_create(&inner, NULL, &rg->fault), BP_OK);
    bp_fault_backend(rg->fault, &wrapped);
    bp_pool_desc d = base ? *base : (bp_pool_desc){.frames_in_flight = BP_IMMEDIATE_REUSE};
    d.backend = &wrapped;
    d.thread_safe = thread_safe;
    d.logger = (bp_logger){ts_logger, &rg->log};
    assert_int_equal(bp_pool_create(&d, &rg->pool), BP_OK);
}

static void rig_arm(rig *rg, uint32_t ops, uint64_t fail_at) {
    assert_int_equal(bp_fault_arm(rg->fault, &(bp_fault_desc){.ops = ops, .fail_at = fail_at}), BP_OK);
}

static void rig_hold(rig *rg, bp_buffer b) {
    assert_true(b.id != 0);
    rg->held[rg->nheld++] = b;
}

/* A buffer of `size` in `memory`, released at once: pooled for the next acquire to hit. */
static void rig_pool_one(rig *rg, uint64_t size, bp_memory memory) {
    bp_buffer b;
    assert_int_equal(bp_acquire(rg->pool, &(bp_acquire_desc){.size = size, .memory = memory}, &b), BP_OK);
    assert_int_equal(bp_release(rg->pool, b), BP_OK);
}

/* The pool still works, everything is released, nothing leaked (no leak report, no buffer
 * left in the backend). */
static void rig_close(rig *rg) {
    assert_int_equal(bp_fault_arm(rg->fault, NULL), BP_OK);
    bp_buffer b = ts_acquire(rg->pool, 1000, 0);
    assert_int_equal(bp_release(rg->pool, b), BP_OK);
    for (uint32_t i = 0; i < rg->nheld; i++) assert_int_equal(bp_release(rg->pool, rg->held[i]), BP_OK);
    if (rg->src.id) assert_int_equal(bp_release(rg->pool, rg->src), BP_OK);
    fs_assert_exact(rg->pool, rg->fault);
    ts_check_and_destroy(rg->pool);
    assert_int_equal(rg->log.count[BP_LOG_ITEM_LEAK], 0);
    assert_int_equal(rg->log.count[BP_LOG_ITEM_LEAK_SUMMARY], 0);
    bp_fault_stats f;
    bp_fault_get_stats(rg->fault, &f);
    assert_int_equal(f.live_buffers, 0);
    bp_fault_destroy(rg->fault);
}

/* One two-step call: `setup` makes the buffers it needs (pooling one first for a hit) and
 * arms the fault that fails its later step; `call` runs it, keeping what it returns. */
typedef struct two_step {
    void (*setup)(rig *rg, bool hit);
    bp_result (*call)(rig *rg);
    bp_result fails_with;
} two_step;

static void dup_setup(rig *rg, bool hit) {
    /* an owned source duplicated inside a scope: the new buffer is linked twice */
    assert_int_equal(bp_acquire(rg->pool, &(bp_acquire_desc){.size = 1000, .owner = TS_OWNER, .tag = "src"}, &rg->src),
                     BP_OK);
    if (hit) rig_pool_one(rg, 1000, 0);
    rig_arm(rg, BP_FAULT_COPY, 1);
}

static bp_result dup_call(rig *rg) {
    bp_scope s;
    assert_int_equal(bp_scope_begin(rg->pool, &s), BP_OK);
    bp_buffer out = {42};
    bp_result r = bp_duplicate(rg->pool, rg->src, 0, &out);
    if (r == BP_OK) rig_hold(rg, out);
    else assert_int_equal(out.id, 0);
    uint32_t n;
    assert_int_equal(bp_scope_end(rg->pool, s, &n), BP_OK);
    if (r == BP_OK) {
        assert_int_equal(n, 1); /* the duplicate was scoped: the scope end released it */
        rg->nheld--;
    }
    return r;
}

static void resize_setup(rig *rg, bool hit) {
    assert_int_equal(bp_acquire(rg->pool, &(bp_acquire_desc){.size = 1000, .tag = "grows"}, &rg->src), BP_OK);
    if (hit) rig_pool_one(rg, 5000, 0);
    rig_arm(rg, BP_FAULT_COPY, 1);
}

static bp_result resize_call(rig *rg) {
    bp_buffer_info a, b;
    assert_int_equal(bp_buffer_get_info(rg->pool, rg->src, &a), BP_OK);
    bp_result r = bp_resize(rg->pool, rg->src, 5000);
    assert_int_equal(bp_buffer_get_info(rg->pool, rg->src, &b), BP_OK);
    if (r != BP_OK) { /* the handle keeps its native */
        assert_int_equal(a.size, b.size);
        assert_ptr_equal(a.mapped, b.mapped);
        assert_int_equal(a.native_generation, b.native_generation);
    }
    return r;
}

static void upload_setup(rig *rg, bool hit) {
    if (hit) rig_pool_one(rg, 3000, 0);
    rig_arm(rg, BP_FAULT_UPLOAD, 1);
}

static bp_result upload_call(rig *rg) {
    static const char data[3000];
    bp_buffer out = {42};
    bp_result r = bp_acquire_upload(rg->pool, &(bp_acquire_desc){.size = 3000, .tag = "up"}, data, sizeof data, &out);
    if (r == BP_OK) rig_hold(rg, out);
    else assert_int_equal(out.id, 0);
    return r;
}

/* The hit is a borrow (reuse_larger_classes): the 3000 B upload takes the older of two idle
 * 3328 B buffers, the tail of their bucket; the undo must put it back there, behind the newer
 * one (bpi_check walks the pooling order). */
static void upload_borrow_setup(rig *rg, bool hit) {
    if (hit) {
        bp_buffer old, newer;
        assert_int_equal(bp_acquire(rg->pool, &(bp_acquire_desc){.size = 3300}, &old), BP_OK);
        assert_int_equal(bp_acquire(rg->pool, &(bp_acquire_desc){.size = 3300}, &newer), BP_OK);
        assert_int_equal(bp_release(rg->pool, old), BP_OK);
        for (int f = 0; f < 3; f++) {
            assert_int_equal(bp_frame_begin(rg->pool), BP_OK);
            assert_int_equal(bp_frame_end(rg->pool), BP_OK);
        }
        assert_int_equal(bp_release(rg->pool, newer), BP_OK);
    }
    rig_arm(rg, BP_FAULT_UPLOAD, 1);
}

/* Skin arrays are two acquires of the same class: a hit then a failed create, or two creates
 * of which the second fails. */
static void skin_setup(rig *rg, bool hit) {
    if (hit) rig_pool_one(rg, 100 * 16, BP_MEMORY_HOST_CACHED);
    rig_arm(rg, BP_FAULT_CREATE, hit ? 1 : 2);
}

static bp_result skin_call(rig *rg) {
    bp_skin_arrays s;
    bp_result r = bp_acquire_skin(rg->pool, 100, &s);
    if (r == BP_OK) {
        rig_hold(rg, s.indices);
        rig_hold(rg, s.weights);
    } else {
        assert_int_equal(s.indices.id, 0);
        assert_int_equal(s.weights.id, 0);
    }
    return r;
}

/* A set of three owned buffers: two hits and a failed create, or a third create that fails. */
static void set_setup(rig *rg, bool hit) {
    if (hit) {
        bp_buffer a, b;
        assert_int_equal(bp_acquire(rg->pool, &(bp_acquire_desc){.size = 700}, &a), BP_OK);
        assert_int_equal(bp_acquire(rg->pool, &(bp_acquire_desc){.size = 700}, &b), BP_OK);
        assert_int_equal(bp_release(rg->pool, a), BP_OK);
        assert_int_equal(bp_release(rg->pool, b), BP_OK);
    }
    rig_arm(rg, BP_FAULT_CREATE, hit ? 1 : 3);
}

static bp_result set_call(rig *rg) {
    bp_frame_set set;
    bp_result r = bp_frame_set_acquire(rg->pool, &(bp_acquire_desc){.size = 700, .owner = TS_OWNER}, 3, &set);
    if (r == BP_OK)
        for (uint32_t i = 0; i < set.count; i++) rig_hold(rg, set.buffers[i]);
    else assert_int_equal(set.count, 0);
    return r;
}

/* The later step fails and the pool is exactly as before; the same call without the fault
 * then succeeds, and hits the pool in the hit case (so the failed one did too). */
static void run_two_step(const two_step *t, bool hit, bool thread_safe) {
    rig rg;
    rig_open(&rg, thread_safe, NULL);
    t->setup(&rg, hit);
    static pool_state before, after;
    take_state(rg.pool, &before);
    assert_int_equal(t->call(&rg), t->fails_with);
    take_state(rg.pool, &after);
    assert_state_equal(&before, &after);
    fs_assert_exact(rg.pool, rg.fault);
    assert_int_equal(bpi_check(rg.pool), BP_OK);
    assert_int_equal(bp_fault_arm(rg.fault, NULL), BP_OK);
    assert_int_equal(t->call(&rg), BP_OK);
    take_state(rg.pool, &after);
    if (hit) assert_true(after.stats.hits > before.stats.hits);
    else assert_int_equal(after.stats.hits, before.stats.hits);
    rig_close(&rg);
}

static const two_step duplicate_step = {dup_setup, dup_call, BP_ERR_BACKEND};
static const two_step resize_step = {resize_setup, resize_call, BP_ERR_BACKEND};
static const two_step upload_step = {upload_setup, upload_call, BP_ERR_BACKEND};
static const two_step skin_step = {skin_setup, skin_call, BP_ERR_OUT_OF_MEMORY};
static const two_step upload_borrow_step = {upload_borrow_setup, upload_call, BP_ERR_BACKEND};
static const two_step set_step = {set_setup, set_call, BP_ERR_OUT_OF_MEMORY};

/* Hit and miss, in a plain and in a thread_safe pool (the call holds the lock throughout). */
static void two_step_cases(const two_step *t) {
    for (int ts = 0; ts < 2; ts++) {
        run_two_step(t, true, ts);
        run_two_step(t, false, ts);
    }
}

static void failed_duplicate_changes_nothing(void **state) {
    (void)state;
    two_step_cases(&duplicate_step);
}

static void failed_resize_changes_nothing(void **state) {
    (void)state;
    two_step_cases(&resize_step);
}

static void failed_acquire_upload_changes_nothing(void **state) {
    (void)state;
    two_step_cases(&upload_step);
    two_step_cases(&upload_borrow_step);
}

static void failed_acquire_skin_changes_nothing(void **state) {
    (void)state;
    two_step_cases(&skin_step);
}

static void failed_frame_set_acquire_changes_nothing(void **state) {
    (void)state;
    two_step_cases(&set_step);
}

static void temp_trace(char *path) {
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
}

/* Replays a trace as `bufpool replay` would read it: an A of a live id or an R of an unknown
 * one fails. Counts its acquires and releases; the file is removed. */
static void replay_trace(const char *path, uint64_t *acquires, uint64_t *releases, uint32_t *live_at_end) {
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[256];
    uint64_t live[64];
    uint32_t nlive = 0;
    *acquires = *releases = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long long id, size;
        if (sscanf(line, "A %llu %llu", &id, &size) == 2) {
            for (uint32_t i = 0; i < nlive; i++) assert_true(live[i] != id);
            assert_true(nlive < 64);
            live[nlive++] = id;
            ++*acquires;
        } else if (sscanf(line, "R %llu", &id) == 1) {
            uint32_t i = 0;
            while (i < nlive && live[i] != id) i++;
            assert_true(i < nlive); /* released what was acquired */
            live[i] = live[--nlive];
            ++*releases;
        }
    }
    fclose(f);
    unlink(path);
    *live_at_end = nlive;
}

/* A failed two-step call leaves no event in the trace: it replays to the same counters. The
 * test's own successful acquires: the source, two to pool, the set of three, rig_close's one. */
static void failed_two_step_calls_leave_no_trace(void **state) {
    (void)state;
    char path[] = "/tmp/bp_atomic_trace_XXXXXX";
    temp_trace(path);
    rig rg;
    rig_open(&rg, false, &(bp_pool_desc){.frames_in_flight = BP_IMMEDIATE_REUSE, .trace_path = path});
    dup_setup(&rg, false);
    assert_int_equal(dup_call(&rg), BP_ERR_BACKEND);
    set_setup(&rg, true);
    assert_int_equal(set_call(&rg), BP_ERR_OUT_OF_MEMORY);
    assert_int_equal(bp_fault_arm(rg.fault, NULL), BP_OK);
    assert_int_equal(set_call(&rg), BP_OK);
    bp_stats st;
    bp_get_stats(rg.pool, &st);
    rig_close(&rg); /* +1 acquire and release, then every held buffer's release */
    uint64_t acquires, releases;
    uint32_t live;
    replay_trace(path, &acquires, &releases, &live);
    assert_int_equal(live, 0);
    assert_int_equal(st.acquires, 6);
    assert_int_equal(acquires, 7);
    assert_int_equal(releases, acquires);
}

static void release_owner_evict(void *user, bp_pool *pool, uint64_t bytes, const uint64_t *owners, uint32_t count) {
    (void)bytes;
    for (uint32_t i = 0; i < count; i++) assert_int_equal(bp_owner_release(pool, owners[i], NULL), BP_OK);
    ++*(int *)user;
}

/* The eviction callback, making room for a set's second buffer, releases the set's owner and
 * so its first buffer; then the create fails. That release stands (with its acquire: the
 * buffer was destroyed to make room), the trace still replays, and the pool is consistent. */
static void eviction_releasing_the_calls_own_buffer(void **state) {
    (void)state;
    char path[] = "/tmp/bp_atomic_trace_XXXXXX";
    temp_trace(path);
    int evictions = 0;
    rig rg;
    rig_open(&rg, false,
             &(bp_pool_desc){.frames_in_flight = BP_IMMEDIATE_REUSE, .budget_bytes = 1500, .trace_path = path,
                             .evict = release_owner_evict, .evict_user = &evictions});
    rig_arm(&rg, BP_FAULT_CREATE, 2);
    bp_stats before = fs_snapshot(rg.pool);
    bp_frame_set set;
    assert_int_equal(bp_frame_set_acquire(rg.pool, &(bp_acquire_desc){.size = 1000, .owner = TS_OWNER}, 2, &set),
                     BP_ERR_OUT_OF_MEMORY);
    assert_int_equal(evictions, 1);
    bp_stats after = fs_snapshot(rg.pool);
    assert_int_equal(after.acquires, before.acquires + 1);
    assert_int_equal(after.releases, before.releases + 1);
    assert_int_equal(after.owner_releases, before.owner_releases + 1);
    assert_int_equal(after.buffers_total, 0);
    assert_int_equal(after.bytes_requested, 0);
    bp_owner_usage u;
    assert_int_equal(bp_owner_get_usage(rg.pool, TS_OWNER, &u), BP_ERR_NOT_FOUND);
    fs_assert_exact(rg.pool, rg.fault);
    rig_close(&rg);
    uint64_t acquires, releases;
    uint32_t live;
    replay_trace(path, &acquires, &releases, &live);
    assert_int_equal(live, 0);
    assert_int_equal(acquires, 2); /* the set's first buffer and rig_close's */
    assert_int_equal(releases, 2);
}

/* The one exception: a miss under a budget may have trimmed pooled buffers to make room
 * before its create failed; those stay destroyed, everything else is undone. */
static void budget_trims_are_the_exception(void **state) {
    (void)state;
    rig rg;
    rig_open(&rg, false, &(bp_pool_desc){.frames_in_flight = BP_IMMEDIATE_REUSE, .budget_bytes = 6000});
    rig_pool_one(&rg, 4000, BP_MEMORY_HOST_CACHED); /* trimmed to make room for the second skin array */
    rig_arm(&rg, BP_FAULT_CREATE, 2);
    static pool_state before, after;
    take_state(rg.pool, &before);
    assert_int_equal(skin_call(&rg), BP_ERR_OUT_OF_MEMORY);
    take_state(rg.pool, &after);
    const bp_stats *a = &before.stats, *b = &after.stats;
    assert_int_equal(b->trims, a->trims + 1);
    assert_int_equal(b->backend_destroys, a->backend_destroys + 1);
    assert_int_equal(b->buffers_pooled, a->buffers_pooled - 1);
    assert_int_equal(b->bytes_reserved, a->bytes_reserved - a->bytes_pooled);
    assert_int_equal(b->acquires, a->acquires);
    assert_int_equal(b->hits, a->hits);
    assert_int_equal(b->misses, a->misses);
    assert_int_equal(b->backend_creates, a->backend_creates);
    assert_int_equal(b->bytes_in_use, a->bytes_in_use);
    assert_int_equal(b->bytes_requested, a->bytes_requested);
    assert_int_equal(b->peak_in_use, a->peak_in_use);
    assert_int_equal(b->peak_requested, a->peak_requested);
    assert_int_equal(b->peak_reserved, a->peak_reserved);
    assert_int_equal(after.seq, before.seq);
    fs_assert_exact(rg.pool, rg.fault);
    rig_close(&rg);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(budget_refusal_keeps_pooled_buffers),
        cmocka_unit_test(scope_failures_change_nothing),
        cmocka_unit_test(copy_and_binding_failures_change_nothing),
        cmocka_unit_test(owner_failures_change_nothing),
        cmocka_unit_test(failed_duplicate_changes_nothing),
        cmocka_unit_test(failed_resize_changes_nothing),
        cmocka_unit_test(failed_acquire_upload_changes_nothing),
        cmocka_unit_test(failed_acquire_skin_changes_nothing),
        cmocka_unit_test(failed_frame_set_acquire_changes_nothing),
        cmocka_unit_test(failed_two_step_calls_leave_no_trace),
        cmocka_unit_test(budget_trims_are_the_exception),
        cmocka_unit_test(eviction_releasing_the_calls_own_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
