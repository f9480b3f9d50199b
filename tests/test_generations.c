/* Seed 003's generations on the host backend: resize bumps the native generation only when
 * the native buffer is replaced, uploads never do; the binding table reports exactly the
 * bindings that changed; per-frame sets rotate; create-and-upload in one call. */
#include "test_support.h"

static bp_buffer_info info_of(bp_pool *pool, bp_buffer b) {
    bp_buffer_info i;
    assert_int_equal(bp_buffer_get_info(pool, b, &i), BP_OK);
    return i;
}

static void resize_bumps_generation_updates_do_not(void **state) {
    (void)state;
    bp_pool *pool;
    bp_pool_desc pd = {.frames_in_flight = 2};
    assert_int_equal(bp_pool_create(&pd, &pool), BP_OK);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    bp_acquire_desc d = {.size = 1000, .owner = 7, .tag = "ubo"};
    bp_buffer b;
    uint8_t data[1000];
    for (int i = 0; i < 1000; i++) data[i] = (uint8_t)(i * 7);
    assert_int_equal(bp_acquire_upload(pool, &d, data, sizeof data, &b), BP_OK);
    bp_buffer_info i0 = info_of(pool, b);
    assert_int_equal(i0.native_generation, 1);
    for (int k = 0; k < 100; k++) assert_int_equal(bp_upload(pool, b, 0, data, 500), BP_OK);
    assert_int_equal(info_of(pool, b).native_generation, 1); /* data updates: same native */
    /* within capacity: nothing native changes */
    assert_int_equal(bp_resize(pool, b, i0.capacity), BP_OK);
    bp_buffer_info i1 = info_of(pool, b);
    assert_int_equal(i1.native, i0.native);
    assert_int_equal(i1.native_generation, 1);
    assert_int_equal(i1.size, i0.capacity);
    assert_int_equal(bp_resize(pool, b, 1000), BP_OK);
    /* beyond capacity: a new native, contents kept, generation 2, same handle */
    assert_int_equal(bp_resize(pool, b, 5000), BP_OK);
    bp_buffer_info i2 = info_of(pool, b);
    assert_true(i2.native != i0.native);
    assert_int_equal(i2.native_generation, 2);
    assert_int_equal(i2.size, 5000);
    assert_true(i2.capacity >= 5000);
    uint8_t back[1000];
    assert_int_equal(bp_download(pool, b, 0, back, sizeof back), BP_OK);
    assert_memory_equal(back, data, sizeof back);
    assert_string_equal(i2.tag, "ubo");
    assert_int_equal(i2.owner, 7);
    bp_owner_usage ou;
    assert_int_equal(bp_owner_get_usage(pool, 7, &ou), BP_OK);
    assert_int_equal(ou.bytes, i2.capacity);
    assert_int_equal(ou.buffers, 1);
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(s.buffers_in_use, 1);
    assert_int_equal(s.buffers_pending, 1); /* the old native waits for frames in flight */
    assert_int_equal(s.bytes_requested, 5000);
    /* the old native is not handed out again before 2 frames have passed */
    bp_buffer t = ts_acquire(pool, 1000, BP_ACQUIRE_TRANSIENT);
    assert_true(info_of(pool, t).native != i0.native);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    bp_buffer u = ts_acquire(pool, 1000, 0), v = ts_acquire(pool, 1000, 0);
    assert_true(info_of(pool, u).native == i0.native || info_of(pool, v).native == i0.native);
    bp_release(pool, u);
    bp_release(pool, v);
    assert_int_equal(bp_resize(pool, b, 0), BP_ERR_INVALID_SIZE);
    assert_int_equal(bp_resize(pool, BP_INVALID_BUFFER, 10), BP_ERR_INVALID_HANDLE);
    assert_int_equal(bp_release(pool, b), BP_OK);
    assert_int_equal(bp_resize(pool, b, 10), BP_ERR_STALE_HANDLE);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    ts_check_and_destroy(pool);
}

/* A buffer acquired with BP_ACQUIRE_ZERO that grows past its capacity gets a zeroed new
 * native: the bytes past the copied ones are zero, not what the native's last holder left. */
static void resize_of_a_zeroed_buffer_stays_zeroed(void **state) {
    (void)state;
    bp_pool *pool;
    bp_pool_desc pd = {.frames_in_flight = BP_IMMEDIATE_REUSE};
    assert_int_equal(bp_pool_create(&pd, &pool), BP_OK);
    bp_buffer dirty = ts_acquire(pool, 4000, 0);
    memset(info_of(pool, dirty).mapped, 0xFF, 4000);
    assert_int_equal(bp_release(pool, dirty), BP_OK); /* pooled: the resize's native */
    bp_buffer b = ts_acquire(pool, 100, BP_ACQUIRE_ZERO);
    memset(info_of(pool, b).mapped, 0x11, 100);
    assert_int_equal(bp_resize(pool, b, 4000), BP_OK);
    bp_buffer_info i = info_of(pool, b);
    assert_int_equal(i.native_generation, 2);
    const uint8_t *p = i.mapped;
    for (uint32_t k = 0; k < 100; k++) assert_int_equal(p[k], 0x11);
    for (uint32_t k = 100; k < 4000; k++) assert_int_equal(p[k], 0);
    assert_int_equal(bp_release(pool, b), BP_OK);
    ts_check_and_destroy(pool);
}

static void acquire_upload_checks_its_arguments(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    bp_acquire_desc d = {.size = 16};
    char data[32] = "0123456789abcdef0123456789abcde";
    bp_buffer b = {123};
    assert_int_equal(bp_acquire_upload(pool, &d, data, 32, &b), BP_ERR_OUT_OF_RANGE);
    assert_int_equal(b.id, 0);
    assert_int_equal(bp_acquire_upload(pool, &d, NULL, 8, &b), BP_ERR_INVALID_ARGUMENT);
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(s.buffers_total, 0); /* nothing created */
    assert_int_equal(bp_acquire_upload(pool, &d, data, 16, &b), BP_OK);
    assert_memory_equal(info_of(pool, b).mapped, data, 16);
    bp_release(pool, b);
    ts_check_and_destroy(pool);
}

static uint32_t sync(bp_binding_table *t, bp_binding_change *out, uint32_t cap) {
    uint32_t n;
    assert_int_equal(bp_binding_table_sync(t, out, cap, &n), BP_OK);
    return n;
}

static void binding_table_reports_exactly_the_changes(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    bp_binding_table *t;
    assert_int_equal(bp_binding_table_create(pool, 4, &t), BP_OK);
    bp_buffer ubo = ts_acquire(pool, 256, 0), inst = ts_acquire(pool, 4096, 0), mat = ts_acquire(pool, 512, 0);
    assert_int_equal(bp_binding_set(t, "GlobalUbo", ubo), BP_OK);
    assert_int_equal(bp_binding_set(t, "Instances", inst), BP_OK);
    assert_int_equal(bp_binding_set(t, "Materials", mat), BP_OK);
    bp_binding_change c[4];
    uint32_t n;
    assert_int_equal(bp_binding_table_sync(t, c, 2, &n), BP_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 3);
    assert_int_equal(sync(t, c, 4), 3); /* nothing was marked by the failed call */
    for (int i = 0; i < 3; i++) assert_int_equal(c[i].kind, BP_BINDING_ADDED);
    assert_string_equal(c[0].name, "GlobalUbo");
    assert_int_equal(sync(t, c, 4), 0);

    /* a thousand data updates: nothing to rewrite */
    float m[16] = {1};
    for (int i = 0; i < 1000; i++) bp_upload(pool, ubo, 0, m, sizeof m);
    assert_int_equal(sync(t, c, 4), 0);
    /* resizing within capacity: nothing either */
    assert_int_equal(bp_resize(pool, inst, 4000), BP_OK);
    assert_int_equal(sync(t, c, 4), 0);

    /* the instance buffer grows past its capacity: exactly that binding, once */
    uint64_t old_native = info_of(pool, inst).native;
    assert_int_equal(bp_resize(pool, inst, 100000), BP_OK);
    assert_int_equal(sync(t, c, 4), 1);
    assert_string_equal(c[0].name, "Instances");
    assert_int_equal(c[0].kind, BP_BINDING_NATIVE_REPLACED);
    assert_int_equal(c[0].native_generation, 2);
    assert_true(c[0].native != old_native && c[0].native == info_of(pool, inst).native);
    assert_int_equal(sync(t, c, 4), 0);

    /* rebinding to another buffer, and a released buffer */
    bp_buffer ubo2 = ts_acquire(pool, 256, 0);
    assert_int_equal(bp_binding_set(t, "GlobalUbo", ubo2), BP_OK);
    bp_release(pool, mat);
    assert_int_equal(sync(t, c, 4), 2);
    assert_int_equal(c[0].kind, BP_BINDING_BUFFER_CHANGED);
    assert_int_equal(c[0].buffer.id, ubo2.id);
    assert_string_equal(c[1].name, "Materials");
    assert_int_equal(c[1].kind, BP_BINDING_RELEASED);
    assert_int_equal(c[1].native, 0);
    assert_int_equal(sync(t, c, 4), 0);

    /* lookups, removal, capacity, bad input */
    bp_buffer got;
    assert_int_equal(bp_binding_get(t, "Instances", &got), BP_OK);
    assert_int_equal(got.id, inst.id);
    assert_int_equal(bp_binding_remove(t, "Materials"), BP_OK);
    assert_int_equal(bp_binding_get(t, "Materials", &got), BP_ERR_NOT_FOUND);
    assert_int_equal(bp_binding_set(t, "A", ubo), BP_OK);
    assert_int_equal(bp_binding_set(t, "B", ubo), BP_OK);
    assert_int_equal(bp_binding_set(t, "C", ubo), BP_ERR_CAPACITY);
    assert_int_equal(bp_binding_set(t, "D", mat), BP_ERR_STALE_HANDLE);
    assert_int_equal(bp_binding_set(t, "", ubo), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_binding_set(t, "a_name_that_is_far_too_long_for_a_binding_table_", ubo),
                     BP_ERR_INVALID_ARGUMENT);
    bp_binding_table_destroy(t);
    bp_release(pool, ubo);
    bp_release(pool, ubo2);
    bp_release(pool, inst);
    ts_check_and_destroy(pool);
}

/* A binding whose buffer was released is a normal state for a sync to report, not an
 * error: syncing logs nothing and counts no error (it logged "refers to a released buffer"
 * and bumped stats.errors on every sync). */
static void sync_of_a_released_binding_is_no_error(void **state) {
    (void)state;
    bp_pool *pool;
    log_record log = {0};
    bp_pool_desc pd = {.logger = {ts_logger, &log}};
    assert_int_equal(bp_pool_create(&pd, &pool), BP_OK);
    bp_binding_table *t;
    assert_int_equal(bp_binding_table_create(pool, 2, &t), BP_OK);
    bp_buffer b = ts_acquire(pool, 256, 0);
    assert_int_equal(bp_binding_set(t, "Ubo", b), BP_OK);
    bp_binding_change c[2];
    uint32_t n;
    assert_int_equal(bp_binding_table_sync(t, c, 2, &n), BP_OK);
    assert_int_equal(bp_release(pool, b), BP_OK);
    for (int i = 0; i < 3; i++) assert_int_equal(bp_binding_table_sync(t, c, 2, &n), BP_OK);
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(s.errors, 0);
    assert_int_equal(log.count[BP_LOG_ITEM_BAD_HANDLE], 0);
    bp_binding_table_destroy(t);
    ts_check_and_destroy(pool);
}

static void frame_sets_rotate_per_frame(void **state) {
    (void)state;
    bp_pool *pool;
    bp_pool_desc pd = {.frames_in_flight = 3};
    assert_int_equal(bp_pool_create(&pd, &pool), BP_OK);
    bp_acquire_desc d = {.size = 256, .memory = BP_MEMORY_HOST_VISIBLE, .usage = BP_USAGE_UNIFORM, .tag = "GlobalUBO"};
    bp_frame_set set;
    assert_int_equal(bp_frame_set_acquire(pool, &d, 0, &set), BP_OK);
    assert_int_equal(set.count, 3);
    assert_true(set.buffers[0].id != set.buffers[1].id && set.buffers[1].id != set.buffers[2].id);
    for (uint32_t f = 0; f < 7; f++) {
        assert_int_equal(bp_frame_begin(pool), BP_OK);
        bp_buffer cur = bp_frame_set_current(pool, &set);
        assert_int_equal(cur.id, set.buffers[f % 3].id);
        float ubo[4] = {(float)f};
        assert_int_equal(bp_upload(pool, cur, 0, ubo, sizeof ubo), BP_OK);
        assert_int_equal(info_of(pool, cur).native_generation, 1);
        assert_int_equal(bp_frame_end(pool), BP_OK);
    }
    bp_acquire_desc bad = d;
    bad.flags = BP_ACQUIRE_TRANSIENT;
    bp_frame_set other;
    assert_int_equal(bp_frame_set_acquire(pool, &bad, 0, &other), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_frame_set_acquire(pool, &d, BP_FRAME_SET_MAX + 1, &other), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_frame_set_release(pool, &set), BP_OK);
    assert_int_equal(set.count, 0);
    assert_int_equal(bp_frame_set_current(pool, &set).id, 0);
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(s.buffers_in_use, 0);
    ts_check_and_destroy(pool);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(resize_bumps_generation_updates_do_not),
        cmocka_unit_test(resize_of_a_zeroed_buffer_stays_zeroed),
        cmocka_unit_test(acquire_upload_checks_its_arguments),
        cmocka_unit_test(binding_table_reports_exactly_the_changes),
        cmocka_unit_test(sync_of_a_released_binding_is_no_error),
        cmocka_unit_test(frame_sets_rotate_per_frame),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
