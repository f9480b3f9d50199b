/* Typed arrays for mesh processing (seed 002): sizes, overflow checks, skin pairs, copies
 * and duplicates, run-time retention caps and age-based cleanup. */
#include "test_support.h"

static void typed_arrays_have_the_right_sizes(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    bp_buffer pos, idx;
    float *p;
    uint32_t *ix;
    assert_int_equal(bp_acquire_positions(pool, 10000, &pos, &p), BP_OK);
    assert_non_null(p);
    bp_buffer_info info;
    assert_int_equal(bp_buffer_get_info(pool, pos, &info), BP_OK);
    assert_int_equal(info.size, 10000 * 3 * sizeof(float));
    assert_string_equal(info.tag, "positions");
    p[29999] = 1.5f; /* the last float is inside */
    assert_int_equal(bp_acquire_indices(pool, 3000, &idx, &ix), BP_OK);
    assert_int_equal(bp_buffer_get_info(pool, idx, &info), BP_OK);
    assert_int_equal(info.size, 3000 * 4);
    bp_array_desc d = {.count = 7, .components = 4, .type = BP_ELEMENT_U8, .owner = 5, .tag = "rgba8"};
    bp_buffer col;
    void *data;
    assert_int_equal(bp_acquire_array(pool, &d, &col, &data), BP_OK);
    assert_int_equal(bp_buffer_get_info(pool, col, &info), BP_OK);
    assert_int_equal(info.size, 28);
    assert_int_equal(info.owner, 5);
    assert_int_equal(bp_element_size(BP_ELEMENT_F64), 8);
    assert_int_equal(bp_element_size(BP_ELEMENT_U16), 2);
    assert_int_equal(bp_element_size((bp_element_type)99), 0);
    bp_release(pool, pos);
    bp_release(pool, idx);
    bp_release(pool, col);
    ts_check_and_destroy(pool);
}

static void size_products_never_wrap(void **state) {
    (void)state;
    uint64_t bytes = 1;
    assert_int_equal(bp_array_bytes(UINT64_MAX / 12 + 1, 3, BP_ELEMENT_F32, &bytes), BP_ERR_OVERFLOW);
    assert_int_equal(bytes, 0);
    assert_int_equal(bp_array_bytes(UINT64_MAX / 12, 3, BP_ELEMENT_F32, &bytes), BP_OK);
    assert_int_equal(bytes, (UINT64_MAX / 12) * 12);
    assert_int_equal(bp_array_bytes(1ull << 62, 4, BP_ELEMENT_F64, &bytes), BP_ERR_OVERFLOW);
    assert_int_equal(bp_array_bytes(2, UINT32_MAX, BP_ELEMENT_F64, &bytes), BP_OK);
    assert_int_equal(bytes, 2ull * UINT32_MAX * 8);
    assert_int_equal(bp_array_bytes(0, 3, BP_ELEMENT_F32, &bytes), BP_ERR_INVALID_SIZE);
    assert_int_equal(bp_array_bytes(1, 3, BP_ELEMENT_TYPE_COUNT, &bytes), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_array_bytes(1, 3, BP_ELEMENT_F32, NULL), BP_ERR_INVALID_ARGUMENT);

    counting_backend cb;
    bp_backend be = ts_counting_backend(&cb);
    log_record log = {0};
    bp_pool_desc pd = {.backend = &be, .logger = {ts_logger, &log}};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&pd, &pool), BP_OK);
    bp_buffer b = {123};
    float *p = (float *)&b;
    /* 2^62 + 1 vertices x 12 bytes wraps to a small number if computed naively */
    assert_int_equal(bp_acquire_positions(pool, (1ull << 62) + 1, &b, &p), BP_ERR_OVERFLOW);
    assert_int_equal(b.id, 0);
    assert_null(p);
    assert_non_null(strstr(bp_pool_last_error(pool), "BP_ERR_OVERFLOW"));
    bp_skin_arrays skin;
    assert_int_equal(bp_acquire_skin(pool, UINT64_MAX / 8, &skin), BP_ERR_OVERFLOW);
    assert_int_equal(skin.indices.id, 0);
    /* a product that fits in 64 bits but not in the backend is too large, not a wrap */
    assert_int_equal(bp_acquire_normals(pool, 1ull << 60, &b, &p), BP_ERR_TOO_LARGE);
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(s.acquires, 0);
    assert_int_equal(s.buffers_total, 0);
    assert_int_equal(cb.calls, 0);
    assert_int_equal(bp_acquire_array(pool, NULL, &b, NULL), BP_ERR_INVALID_ARGUMENT);
    ts_check_and_destroy(pool);
}

static void skin_arrays_come_in_pairs(void **state) {
    (void)state;
    bp_pool *pool;
    bp_pool_desc pd = {.budget_bytes = 40000};
    assert_int_equal(bp_pool_create(&pd, &pool), BP_OK);
    bp_skin_arrays skin;
    assert_int_equal(bp_acquire_skin(pool, 1000, &skin), BP_OK);
    assert_non_null(skin.index_data);
    assert_non_null(skin.weight_data);
    for (int i = 0; i < 4000; i++) assert_true(skin.weight_data[i] == 0.0f && skin.index_data[i] == 0);
    bp_release(pool, skin.indices);
    bp_release(pool, skin.weights);
    /* indices fit the budget, weights do not: neither is held afterwards */
    assert_int_equal(bp_acquire_skin(pool, 2000, &skin), BP_ERR_BUDGET);
    assert_int_equal(skin.indices.id, 0);
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(s.buffers_in_use, 0);
    ts_check_and_destroy(pool);
}

typedef struct copy_backend {
    bp_backend inner;
    int copies;
} copy_backend;

static bp_result cb_copy(void *user, const bp_backend_buffer *src, uint64_t so, const bp_backend_buffer *dst,
                         uint64_t dof, uint64_t size) {
    copy_backend *c = user;
    c->copies++;
    memcpy((char *)dst->mapped + dof, (const char *)src->mapped + so, size);
    return BP_OK;
}
static bp_result cb2_create(void *u, const bp_backend_create_desc *d, bp_backend_buffer *o) {
    copy_backend *c = u;
    return c->inner.create(c->inner.user, d, o);
}
static void cb2_destroy(void *u, const bp_backend_buffer *b) {
    copy_backend *c = u;
    c->inner.destroy(c->inner.user, b);
}

static void copies_and_duplicates_keep_contents(void **state) {
    (void)state;
    for (int with_method = 0; with_method < 2; with_method++) {
        copy_backend cb = {0};
        bp_host_backend(NULL, &cb.inner);
        bp_backend be = cb.inner;
        be.user = &cb;
        be.create = cb2_create;
        be.destroy = cb2_destroy;
        be.query_caps = NULL;
        if (with_method) be.copy = cb_copy;
        bp_pool_desc pd = {.backend = &be};
        bp_pool *pool;
        assert_int_equal(bp_pool_create(&pd, &pool), BP_OK);
        bp_buffer src, dup, other;
        float *p;
        assert_int_equal(bp_acquire_positions(pool, 100, &src, &p), BP_OK);
        for (int i = 0; i < 300; i++) p[i] = (float)i * 0.5f;
        assert_int_equal(bp_duplicate(pool, src, 0, &dup), BP_OK);
        assert_true(dup.id != src.id);
        bp_buffer_info info;
        assert_int_equal(bp_buffer_get_info(pool, dup, &info), BP_OK);
        assert_int_equal(info.size, 1200);
        assert_string_equal(info.tag, "positions");
        assert_memory_equal(info.mapped, p, 1200);
        assert_int_equal(cb.copies, with_method ? 1 : 0);
        /* partial copy between buffers, and range errors */
        assert_int_equal(bp_acquire_normals(pool, 10, &other, &p), BP_OK);
        assert_int_equal(bp_copy(pool, src, 4, other, 8, 16), BP_OK);
        assert_true(p[2] == 0.5f && p[5] == 2.0f);
        assert_int_equal(bp_copy(pool, src, 0, other, 100, 40), BP_ERR_OUT_OF_RANGE);
        assert_int_equal(bp_copy(pool, src, UINT64_MAX - 2, other, 0, 8), BP_ERR_OVERFLOW);
        assert_int_equal(bp_copy(pool, src, 0, other, 0, 0), BP_ERR_INVALID_SIZE);
        bp_release(pool, other);
        assert_int_equal(bp_copy(pool, src, 0, other, 0, 4), BP_ERR_STALE_HANDLE);
        assert_int_equal(bp_duplicate(pool, other, 0, &dup), BP_ERR_STALE_HANDLE);
        assert_int_equal(dup.id, 0);
        assert_int_equal(bp_duplicate(pool, BP_INVALID_BUFFER, 0, &dup), BP_ERR_INVALID_HANDLE);
        assert_int_equal(bp_duplicate(pool, src, 0, NULL), BP_ERR_INVALID_ARGUMENT);
        bp_release(pool, src);
        ts_check_and_destroy(pool); /* dup leaks on purpose: destroy frees it */
    }
}

static void retention_caps_and_age_cleanup_at_run_time(void **state) {
    (void)state;
    fake_clock clk = {100.0};
    bp_pool_desc pd = {.clock = ts_clock, .clock_user = &clk, .max_pooled_per_class = BP_NEVER,
                       .idle_trim_seconds = -1, .idle_trim_frames = BP_NEVER};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&pd, &pool), BP_OK);
    bp_buffer b[6];
    for (int i = 0; i < 6; i++) b[i] = ts_acquire(pool, 4096, 0);
    for (int i = 0; i < 3; i++) bp_release(pool, b[i]);
    clk.now = 130.0;
    bp_trim(pool, false); /* reads the clock: the next releases are pooled at t=130 */
    for (int i = 3; i < 6; i++) bp_release(pool, b[i]);
    clk.now = 140.0;
    uint32_t n;
    assert_int_equal(bp_trim_older_than(pool, 20.0, &n), BP_OK);
    assert_int_equal(n, 3); /* the three pooled at t=100 */
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(s.buffers_pooled, 3);
    assert_int_equal(bp_set_max_pooled(pool, 0, 4096), BP_OK);
    bp_get_stats(pool, &s);
    assert_int_equal(s.buffers_pooled, 1);
    assert_int_equal(bp_trim_older_than(pool, -1.0, &n), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_set_max_pooled(NULL, 1, 1), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_trim_older_than(pool, 0.0, &n), BP_OK);
    assert_int_equal(n, 1);
    ts_check_and_destroy(pool);
}

static void poison_and_idle_seconds(void **state) {
    (void)state;
    fake_clock clk = {0.0};
    bp_pool_desc pd = {.poison_on_release = true, .clock = ts_clock, .clock_user = &clk, .idle_trim_seconds = 5.0,
                       .idle_trim_frames = BP_NEVER, .frames_in_flight = 1};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&pd, &pool), BP_OK);
    bp_frame_begin(pool);
    bp_buffer b = ts_acquire(pool, 256, 0);
    bp_buffer_info info;
    bp_buffer_get_info(pool, b, &info);
    unsigned char *m = info.mapped;
    memset(m, 0x11, 256);
    bp_release(pool, b);
    assert_int_equal(m[0], 0xDD);
    assert_int_equal(m[255], 0xDD);
    bp_frame_end(pool);
    bp_stats s;
    for (int f = 0; f < 3; f++) {
        clk.now += 1.0;
        bp_frame_begin(pool);
        bp_frame_end(pool);
    }
    bp_get_stats(pool, &s);
    assert_int_equal(s.buffers_pooled, 1); /* idle 3 s < 5 s */
    clk.now += 10.0;
    bp_frame_begin(pool);
    bp_frame_end(pool);
    bp_get_stats(pool, &s);
    assert_int_equal(s.buffers_pooled, 0);
    ts_check_and_destroy(pool);
}


/* Every new entry point refuses NULL pools and outputs with an error code, never a crash. */
static void null_arguments_are_errors(void **state) {
    (void)state;
    bp_buffer b = {7};
    float *f = (float *)&b;
    uint32_t *u = (uint32_t *)&b;
    bp_skin_arrays skin;
    assert_int_equal(bp_acquire_positions(NULL, 10, &b, &f), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(b.id, 0);
    assert_null(f);
    assert_int_equal(bp_acquire_normals(NULL, 10, &b, &f), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_acquire_displacements(NULL, 10, &b, &f), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_acquire_indices(NULL, 10, &b, &u), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_acquire_skin(NULL, 10, &skin), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_copy(NULL, b, 0, b, 0, 1), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_duplicate(NULL, b, 0, &b), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_trim_older_than(NULL, 1.0, NULL), BP_ERR_INVALID_ARGUMENT);
    bp_pool *pool;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    assert_int_equal(bp_acquire_positions(pool, 10, NULL, &f), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_acquire_positions(pool, 0, &b, &f), BP_ERR_INVALID_SIZE);
    assert_int_equal(bp_acquire_skin(pool, 10, NULL), BP_ERR_INVALID_ARGUMENT);
    bp_array_desc bad_type = {.count = 4, .type = (bp_element_type)42};
    assert_int_equal(bp_acquire_array(pool, &bad_type, &b, NULL), BP_ERR_INVALID_ARGUMENT);
    bp_array_desc bad_flags = {.count = 4, .flags = 1u << 20};
    assert_int_equal(bp_acquire_array(pool, &bad_flags, &b, NULL), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_trim_older_than(pool, 0.0 / 0.0, NULL), BP_ERR_INVALID_ARGUMENT);
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(s.buffers_total, 0);
    ts_check_and_destroy(pool);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(typed_arrays_have_the_right_sizes),
        cmocka_unit_test(size_products_never_wrap),
        cmocka_unit_test(skin_arrays_come_in_pairs),
        cmocka_unit_test(copies_and_duplicates_keep_contents),
        cmocka_unit_test(retention_caps_and_age_cleanup_at_run_time),
        cmocka_unit_test(poison_and_idle_seconds),
        cmocka_unit_test(null_arguments_are_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
