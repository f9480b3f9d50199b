/* Core behaviour: acquire, release, reuse, info, stats, JSON, the leak report, counting. */
#include <stdio.h>

#include "test_support.h"

static void defaults_create_a_host_pool(void **state) {
    (void)state;
    bp_pool *pool = NULL;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    bp_buffer b = ts_acquire(pool, 1000, 0);
    bp_buffer_info info;
    assert_int_equal(bp_buffer_get_info(pool, b, &info), BP_OK);
    assert_int_equal(info.size, 1000);
    assert_int_equal(info.capacity, 1024);
    assert_non_null(info.mapped);
    assert_int_equal((uintptr_t)info.mapped % 64, 0);
    assert_int_equal(info.native_generation, 1);
    memset(info.mapped, 0xAB, info.size); /* the memory is real and writable */
    assert_int_equal(bp_release(pool, b), BP_OK);
    ts_check_and_destroy(pool);
}

static void a_released_buffer_is_reused_for_the_same_class(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    bp_buffer a = ts_acquire(pool, 5000, 0);
    bp_buffer_info ia, ib;
    bp_buffer_get_info(pool, a, &ia);
    assert_int_equal(bp_release(pool, a), BP_OK);
    bp_buffer b = ts_acquire(pool, 5100, 0); /* same fine class (5120) */
    bp_buffer_get_info(pool, b, &ib);
    assert_true(ia.native == ib.native);
    assert_true(a.id != b.id); /* a new handle for the same memory */
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(s.acquires, 2);
    assert_int_equal(s.hits, 1);
    assert_int_equal(s.misses, 1);
    assert_int_equal(s.backend_creates, 1);
    assert_true(s.hit_rate > 0.49 && s.hit_rate < 0.51);
    assert_int_equal(s.bytes_requested, 5100);
    assert_int_equal(s.bytes_in_use, 5120);
    bp_buffer c = ts_acquire(pool, 9000, 0); /* another class: a miss */
    bp_get_stats(pool, &s);
    assert_int_equal(s.misses, 2);
    bp_release(pool, b);
    bp_release(pool, c);
    ts_check_and_destroy(pool);
}

static void memory_kinds_and_usage_are_kept_apart(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    bp_acquire_desc d = {.size = 256, .memory = BP_MEMORY_HOST_CACHED};
    bp_buffer a, b;
    assert_int_equal(bp_acquire(pool, &d, &a), BP_OK);
    bp_release(pool, a);
    d.memory = BP_MEMORY_HOST_VISIBLE;
    assert_int_equal(bp_acquire(pool, &d, &b), BP_OK);
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(s.hits, 0); /* a cached buffer is not handed out as host-visible */
    bp_buffer_info info;
    bp_buffer_get_info(pool, b, &info);
    assert_int_equal(info.memory, BP_MEMORY_HOST_VISIBLE);
    bp_release(pool, b);
    ts_check_and_destroy(pool);
}

static void upload_and_download_round_trip(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    bp_buffer b = ts_acquire(pool, 64, 0);
    const char msg[] = "hello, pool";
    char back[sizeof msg] = {0};
    assert_int_equal(bp_upload(pool, b, 8, msg, sizeof msg), BP_OK);
    assert_int_equal(bp_download(pool, b, 8, back, sizeof msg), BP_OK);
    assert_string_equal(back, msg);
    assert_int_equal(bp_upload(pool, b, 60, msg, sizeof msg), BP_ERR_OUT_OF_RANGE);
    assert_int_equal(bp_upload(pool, b, UINT64_MAX, msg, 2), BP_ERR_OUT_OF_RANGE);
    assert_int_equal(bp_upload(pool, b, 0, NULL, 2), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_flush(pool, b, 0, 64), BP_OK);
    assert_int_equal(bp_invalidate(pool, b, 0, 64), BP_OK);
    bp_release(pool, b);
    assert_int_equal(bp_upload(pool, b, 0, msg, 2), BP_ERR_STALE_HANDLE);
    ts_check_and_destroy(pool);
}

static void zero_flag_and_zero_on_release_clear_contents(void **state) {
    (void)state;
    bp_pool *pool;
    bp_pool_desc pd = {.zero_on_release = true};
    assert_int_equal(bp_pool_create(&pd, &pool), BP_OK);
    bp_buffer b = ts_acquire(pool, 100, 0);
    bp_buffer_info info;
    bp_buffer_get_info(pool, b, &info);
    memset(info.mapped, 7, info.capacity);
    void *mem = info.mapped;
    bp_release(pool, b);
    for (uint64_t i = 0; i < info.capacity; i++) assert_int_equal(((unsigned char *)mem)[i], 0);
    bp_pool_destroy(pool);

    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    b = ts_acquire(pool, 100, 0);
    bp_buffer_get_info(pool, b, &info);
    memset(info.mapped, 7, info.capacity);
    bp_release(pool, b);
    b = ts_acquire(pool, 100, BP_ACQUIRE_ZERO);
    bp_buffer_get_info(pool, b, &info);
    for (uint64_t i = 0; i < info.capacity; i++) assert_int_equal(((unsigned char *)info.mapped)[i], 0);
    bp_release(pool, b);
    ts_check_and_destroy(pool);
}

static void json_holds_stats_and_classes(void **state) {
    (void)state;
    bp_pool *pool;
    bp_pool_desc pd = {.name = "json\"test"};
    assert_int_equal(bp_pool_create(&pd, &pool), BP_OK);
    bp_buffer a = ts_acquire(pool, 100, 0), b = ts_acquire(pool, 3000, 0);
    size_t need = 0;
    assert_int_equal(bp_stats_to_json(pool, NULL, 0, &need), BP_ERR_BUFFER_TOO_SMALL);
    assert_true(need > 100);
    char *buf = malloc(need + 1);
    assert_int_equal(bp_stats_to_json(pool, buf, need + 1, &need), BP_OK);
    assert_non_null(strstr(buf, "\"pool\":\"json\\\"test\""));
    assert_non_null(strstr(buf, "\"bytes_requested\":3100"));
    assert_non_null(strstr(buf, "\"class_size\":112"));
    assert_non_null(strstr(buf, "\"class_size\":3072"));
    assert_int_equal(buf[need - 1], '}');
    free(buf);
    bp_class_stats cs[4];
    uint32_t n;
    assert_int_equal(bp_calculate_class_stats(pool, cs, 4, &n), BP_OK);
    assert_int_equal(n, 2);
    assert_int_equal(cs[0].class_size, 112);
    assert_int_equal(cs[0].in_use, 1);
    assert_int_equal(cs[1].bytes_requested, 3000);
    assert_int_equal(bp_calculate_class_stats(pool, cs, 1, &n), BP_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 2);
    bp_release(pool, a);
    bp_release(pool, b);
    ts_check_and_destroy(pool);
}

static void destroy_reports_leaks_with_tag_and_line(void **state) {
    (void)state;
    log_record log = {0};
    counting_alloc ca = {0};
    bp_pool *pool;
    bp_pool_desc pd = {.logger = {ts_logger, &log}, .allocator = ts_allocator(&ca)};
    assert_int_equal(bp_pool_create(&pd, &pool), BP_OK);
    bp_acquire_desc d = {.size = 4096, .tag = "forgotten_mesh", .owner = 42};
    bp_buffer b;
    assert_int_equal(BP_ACQUIRE(pool, &d, &b), BP_OK);
    bp_buffer c = ts_acquire(pool, 10, 0);
    bp_release(pool, c);
    assert_int_equal(bpi_check(pool), BP_OK);
    bp_pool_destroy(pool);
    assert_int_equal(log.count[BP_LOG_ITEM_LEAK], 1);
    assert_int_equal(log.count[BP_LOG_ITEM_LEAK_SUMMARY], 1);
    assert_int_equal(ca.allocs, ca.frees); /* everything freed anyway */
}

static char captured[8][512];
static int captured_n;
static void capture(void *user, bp_log_level level, bp_log_item item, const char *message) {
    (void)user;
    (void)level;
    if (item == BP_LOG_ITEM_LEAK && captured_n < 8) strncpy(captured[captured_n++], message, 511);
}

static void logger_sees_leak_text(void **state) {
    (void)state;
    bp_pool *pool;
    bp_pool_desc pd = {.logger = {capture, NULL}};
    captured_n = 0;
    assert_int_equal(bp_pool_create(&pd, &pool), BP_OK);
    bp_acquire_desc d = {.size = 4096, .tag = "forgotten_mesh"};
    bp_buffer b;
    int line = __LINE__ + 1;
    assert_int_equal(BP_ACQUIRE(pool, &d, &b), BP_OK);
    bp_pool_destroy(pool);
    char where[64];
    snprintf(where, sizeof where, "test_core.c:%d", line);
    assert_int_equal(captured_n, 1);
    assert_non_null(strstr(captured[0], "forgotten_mesh"));
    assert_non_null(strstr(captured[0], where));
}

static void metadata_goes_through_the_allocator(void **state) {
    (void)state;
    counting_alloc ca = {0};
    bp_pool *pool;
    bp_pool_desc pd = {.allocator = ts_allocator(&ca)};
    assert_int_equal(bp_pool_create(&pd, &pool), BP_OK);
    assert_true(ca.allocs >= 2); /* the pool and its class counters */
    bp_buffer b = ts_acquire(pool, 100, 0);
    bp_release(pool, b);
    ts_check_and_destroy(pool);
    assert_int_equal(ca.allocs, ca.frees);
}

/* Every host buffer starts on its alignment and all of its capacity is writable, on both of
 * the default backend's paths: posix_memalign, and a malloc aligned inside for buffers at
 * least 512 times their alignment (the pool's default of 64 from 32 KiB). */
static void host_buffers_are_aligned_on_both_paths(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    const uint64_t sizes[] = {100, 4096, 32767, 32768, 40000, 1u << 20, (3u << 20) + 5};
    const uint64_t aligns[] = {0, 128, 256, 4096, 65536};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        for (size_t k = 0; k < sizeof aligns / sizeof *aligns; k++) {
            bp_acquire_desc d = {.size = sizes[i], .alignment = aligns[k]};
            bp_buffer b;
            assert_int_equal(bp_acquire(pool, &d, &b), BP_OK);
            bp_buffer_info info;
            assert_int_equal(bp_buffer_get_info(pool, b, &info), BP_OK);
            uint64_t want = aligns[k] ? aligns[k] : 64;
            assert_int_equal((uintptr_t)info.mapped % want, 0);
            assert_true(info.capacity >= sizes[i]);
            memset(info.mapped, 0xAB, info.capacity); /* ASan and Valgrind see an overrun */
            assert_int_equal(bp_release(pool, b), BP_OK);
        }
    ts_check_and_destroy(pool); /* destroying frees each through the path that made it */
}

/* The backend itself: which buffers take the aligned-inside malloc (a private pointer to free)
 * and which posix_memalign (none), and that each is freed by its own path. */
static void host_backend_aligns_large_buffers_inside_a_malloc(void **state) {
    (void)state;
    bp_backend be;
    assert_int_equal(bp_host_backend(NULL, &be), BP_OK);
    const struct {
        uint64_t size, alignment;
        bool inside;
    } cases[] = {{32768, 64, true},  {32767, 64, false},     {32768, 128, false},
                 {1u << 20, 2048, true}, {1u << 20, 4096, false}, {100, 64, false}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        bp_backend_create_desc cd = {.size = cases[i].size, .memory = BP_MEMORY_HOST_CACHED,
                                     .usage = BP_USAGE_ALL, .alignment = cases[i].alignment};
        bp_backend_buffer out;
        memset(&out, 0, sizeof out);
        assert_int_equal(be.create(be.user, &cd, &out), BP_OK);
        assert_int_equal((uintptr_t)out.mapped % cases[i].alignment, 0);
        assert_true(out.native == (uint64_t)(uintptr_t)out.mapped);
        assert_int_equal(out.capacity, cases[i].size);
        assert_int_equal(out.backend_data != NULL, cases[i].inside);
        if (cases[i].inside) /* the slack before the buffer is under its alignment */
            assert_true((uintptr_t)out.mapped - (uintptr_t)out.backend_data < cases[i].alignment);
        memset(out.mapped, 0xCD, (size_t)out.capacity);
        be.destroy(be.user, &out);
    }
    if (be.release) be.release(be.user);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_create_a_host_pool),
        cmocka_unit_test(a_released_buffer_is_reused_for_the_same_class),
        cmocka_unit_test(memory_kinds_and_usage_are_kept_apart),
        cmocka_unit_test(upload_and_download_round_trip),
        cmocka_unit_test(zero_flag_and_zero_on_release_clear_contents),
        cmocka_unit_test(json_holds_stats_and_classes),
        cmocka_unit_test(destroy_reports_leaks_with_tag_and_line),
        cmocka_unit_test(logger_sees_leak_text),
        cmocka_unit_test(metadata_goes_through_the_allocator),
        cmocka_unit_test(host_buffers_are_aligned_on_both_paths),
        cmocka_unit_test(host_backend_aligns_large_buffers_inside_a_malloc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
