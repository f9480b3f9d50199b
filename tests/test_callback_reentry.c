/* Application callbacks that call back into their pool: the logger, the warning callback,
 * the clock, the metadata allocator, a backend's functions, the plot hook and the eviction
 * callback. A call the pool cannot serve from there is refused with BP_ERR_BUSY (destroying
 * the pool from its own callback is refused, and the pool stays usable), for pools with and
 * without the lock. */
#include "test_support.h"

#include "bufpool_backend.h"

enum { A_ACQUIRE, A_RELEASE, A_FRAME_END, A_TRIM, A_SET_MAX_POOLED, A_OWNER_RELEASE, A_DESTROY, A_COUNT };
static const char *action_names[] = {"acquire", "release", "frame_end", "trim", "set_max_pooled", "owner_release",
                                     "destroy"};

static struct {
    bp_pool *pool;
    const char *where; /* the callback that calls back */
    int action, armed, fired, released;
    bp_result r;
    bp_buffer held;
    bp_backend inner;
} re;

static void reenter(const char *where) {
    if (!re.armed || re.fired || strcmp(where, re.where) != 0) return;
    re.fired = 1;
    bp_pool *p = re.pool;
    bp_acquire_desc d = {.size = 100, .tag = "callback"};
    bp_buffer b;
    uint32_t n;
    switch (re.action) {
    case A_ACQUIRE: re.r = bp_acquire(p, &d, &b); break;
    case A_RELEASE: re.r = bp_release(p, re.held); break;
    case A_FRAME_END: re.r = bp_frame_end(p); break;
    case A_TRIM: re.r = bp_trim(p, true); break;
    case A_SET_MAX_POOLED: re.r = bp_set_max_pooled(p, 1, 1); break;
    case A_OWNER_RELEASE: re.r = bp_owner_release(p, 7, &n); break;
    case A_DESTROY: bp_pool_destroy(p); re.r = BP_OK; break;
    }
}

static void rcb_logger(void *u, bp_log_level l, bp_log_item it, const char *m) {
    (void)u, (void)l, (void)it, (void)m;
    reenter("logger");
}
static void rcb_warning(void *u, bp_pool *p, const bp_stats *s) {
    (void)u, (void)p, (void)s;
    reenter("warning");
}
static void rcb_evict(void *u, bp_pool *p, uint64_t bytes, const uint64_t *owners, uint32_t count) {
    (void)u, (void)bytes, (void)owners, (void)count;
    reenter("evict");
    uint32_t n;
    bp_owner_release(p, 7, &n);
}
static void rcb_plot(void *u, bp_pool *p, const bp_plot_value *v, uint32_t count) {
    (void)u, (void)p, (void)v, (void)count;
    reenter("plot");
}
static double rcb_clock(void *u) {
    (void)u;
    reenter("clock");
    return 1.0;
}
static void *rcb_alloc(void *u, size_t size, size_t align) {
    (void)u;
    reenter("alloc");
    return aligned_alloc(align < 16 ? 16 : align, (size + 63) & ~(size_t)63);
}
static void rcb_free(void *u, void *ptr) {
    (void)u;
    reenter("free");
    free(ptr);
}
static bp_result rcb_create(void *u, const bp_backend_create_desc *d, bp_backend_buffer *out) {
    (void)u;
    reenter("create");
    return re.inner.create(re.inner.user, d, out);
}
static void rcb_destroy(void *u, const bp_backend_buffer *b) {
    (void)u;
    reenter("destroy");
    re.inner.destroy(re.inner.user, b);
}
static void rcb_frame_end(void *u, uint64_t frame) {
    (void)u, (void)frame;
    reenter("frame_end");
}
static void rcb_release(void *u) {
    (void)u;
    re.released = 1; /* the pool was destroyed */
    if (re.inner.release) re.inner.release(re.inner.user);
}

/* One pool, every callback set; the script below gives each callback a chance to fire. */
static void run_case(const char *where, int action, bool thread_safe) {
    memset(&re, 0, sizeof re);
    re.where = where;
    re.action = action;
    re.r = (bp_result)-12345;
    bp_host_backend(NULL, &re.inner);
    bp_backend be = re.inner;
    be.create = rcb_create;
    be.destroy = rcb_destroy;
    be.frame_end = rcb_frame_end;
    be.release = rcb_release;
    bp_pool_desc desc = {.thread_safe = thread_safe, .logger = {rcb_logger, NULL}, .warning = rcb_warning,
                         .evict = rcb_evict, .plot = rcb_plot, .clock = rcb_clock, .allocator = {rcb_alloc, rcb_free, NULL},
                         .backend = &be, .warn_reserved_bytes = 1u << 20, .budget_bytes = 1u << 21,
                         .frames_in_flight = BP_IMMEDIATE_REUSE};
    assert_int_equal(bp_pool_create(&desc, &re.pool), BP_OK);
    bp_pool *pool = re.pool;
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    bp_acquire_desc owned = {.size = 1u << 19, .owner = 7, .tag = "owned"};
    bp_buffer o1, o2, h;
    assert_int_equal(bp_acquire(pool, &owned, &o1), BP_OK);
    assert_int_equal(bp_acquire(pool, &owned, &o2), BP_OK);
    re.held = ts_acquire(pool, 64, 0);
    h = ts_acquire(pool, 64, 0);
    assert_int_equal(bp_release(pool, h), BP_OK);
    re.armed = 1;
    bp_release(pool, h); /* logger: released twice */
    bp_buffer small[100];
    for (int i = 0; i < 100; i++) small[i] = ts_acquire(pool, 16, 0); /* allocator: the handle table grows */
    for (int i = 0; i < 100; i++) bp_release(pool, small[i]);
    bp_acquire_desc big = {.size = 1u << 20, .tag = "big"};
    bp_buffer b;
    bp_acquire(pool, &big, &b); /* create, warning, evict */
    bp_frame_end(pool);         /* clock, plot, frame_end */
    bp_frame_begin(pool);
    bp_trim(pool, true); /* destroy */
    re.armed = 0;
    if (!re.fired) fail_msg("%s: never fired", where);
    assert_false(re.released); /* the pool survived its callback */
    bool allowed = !strcmp(where, "evict") && (action == A_RELEASE || action == A_OWNER_RELEASE);
    if (action != A_DESTROY && !allowed && re.r != BP_ERR_BUSY)
        fail_msg("%s from the %s callback (thread_safe %d): %s, not BP_ERR_BUSY", action_names[action], where,
                 thread_safe, bp_result_string(re.r));
    bp_stats st;
    bp_get_stats(pool, &st); /* still usable */
    bp_frame_end(pool);
    ts_check_and_destroy(pool);
    assert_true(re.released);
}

static void run_callback(const char *where) {
    for (int ts = 0; ts < 2; ts++)
        for (int a = 0; a < A_COUNT; a++) run_case(where, a, ts);
}

static void test_logger(void **s) { (void)s, run_callback("logger"); }
static void test_warning(void **s) { (void)s, run_callback("warning"); }
static void test_evict(void **s) { (void)s, run_callback("evict"); }
static void test_plot(void **s) { (void)s, run_callback("plot"); }
static void test_clock(void **s) { (void)s, run_callback("clock"); }
static void test_metadata_alloc(void **s) { (void)s, run_callback("alloc"); }
static void test_metadata_free(void **s) { (void)s, run_callback("free"); }
static void test_backend_create(void **s) { (void)s, run_callback("create"); }
static void test_backend_destroy(void **s) { (void)s, run_callback("destroy"); }
static void test_backend_frame_end(void **s) { (void)s, run_callback("frame_end"); }

/* A logger that calls the pool on every message is not called again for the message of the
 * refusal it caused (no unbounded recursion). */
static int logger_calls;
static void looping_logger(void *u, bp_log_level l, bp_log_item it, const char *m) {
    (void)l, (void)it, (void)m;
    logger_calls++;
    bp_acquire_desc d = {.size = 100};
    bp_buffer b;
    assert_int_equal(bp_acquire((bp_pool *)*(bp_pool **)u, &d, &b), BP_ERR_BUSY);
}

static void test_looping_logger(void **s) {
    (void)s;
    for (int ts = 0; ts < 2; ts++) {
        bp_pool *pool = NULL;
        bp_pool_desc desc = {.thread_safe = ts, .logger = {looping_logger, &pool}};
        assert_int_equal(bp_pool_create(&desc, &pool), BP_OK);
        logger_calls = 0;
        assert_int_equal(bp_release(pool, (bp_buffer){0}), BP_ERR_INVALID_HANDLE);
        assert_int_equal(logger_calls, 1);
        ts_check_and_destroy(pool);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logger),         cmocka_unit_test(test_warning),
        cmocka_unit_test(test_evict),          cmocka_unit_test(test_plot),
        cmocka_unit_test(test_clock),          cmocka_unit_test(test_metadata_alloc),
        cmocka_unit_test(test_metadata_free),           cmocka_unit_test(test_backend_create),
        cmocka_unit_test(test_backend_destroy), cmocka_unit_test(test_backend_frame_end),
        cmocka_unit_test(test_looping_logger),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
