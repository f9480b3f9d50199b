/* More bad input (the README's table): transfers, memory kinds, owners, scopes, typed arrays,
 * pool descs, calls from inside the eviction callback, too-small output buffers. Each gets
 * its documented code and, where a pool is involved, leaves it unchanged. */
#include <math.h>

#include "fault_support.h"

static void assert_unchanged(bp_pool *pool, const bp_stats *before) {
    bp_stats now = fs_snapshot(pool);
    assert_memory_equal(&now, before, sizeof now);
    assert_int_equal(bpi_check(pool), BP_OK);
}

static void bad_transfers(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    bp_buffer a = ts_acquire(pool, 100, 0), gone = ts_acquire(pool, 50, 0);
    assert_int_equal(bp_release(pool, gone), BP_OK);
    uint8_t data[200] = {0};
    bp_stats before = fs_snapshot(pool);
    assert_int_equal(bp_upload(pool, a, 0, NULL, 10), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_upload(pool, a, 0, data, 0), BP_ERR_INVALID_SIZE);
    assert_int_equal(bp_upload(pool, a, 0, data, 101), BP_ERR_OUT_OF_RANGE); /* past the size asked */
    assert_int_equal(bp_upload(pool, a, 101, data, 1), BP_ERR_OUT_OF_RANGE);
    assert_int_equal(bp_download(pool, a, UINT64_MAX, data, 2), BP_ERR_OUT_OF_RANGE);
    assert_int_equal(bp_download(pool, gone, 0, data, 2), BP_ERR_STALE_HANDLE);
    assert_int_equal(bp_flush(pool, BP_INVALID_BUFFER, 0, 1), BP_ERR_INVALID_HANDLE);
    assert_int_equal(bp_copy(pool, a, 0, a, 50, 0), BP_ERR_INVALID_SIZE);
    assert_int_equal(bp_copy(pool, a, UINT64_MAX - 1, a, 0, 4), BP_ERR_OVERFLOW);
    assert_int_equal(bp_copy(pool, a, 0, a, 60, 50), BP_ERR_OUT_OF_RANGE);
    assert_int_equal(bp_copy(pool, gone, 0, a, 0, 4), BP_ERR_STALE_HANDLE);
    bp_buffer dup = {7};
    assert_int_equal(bp_duplicate(pool, gone, 0, &dup), BP_ERR_STALE_HANDLE);
    assert_int_equal(dup.id, 0);
    assert_int_equal(bp_duplicate(pool, a, 1u << 30, &dup), BP_ERR_INVALID_ARGUMENT);
    assert_unchanged(pool, &before);
    assert_int_equal(bp_release(pool, a), BP_OK);
    ts_check_and_destroy(pool);
}

static bp_result device_only_caps(void *user, bp_backend_caps *out) {
    (void)user;
    memset(out, 0, sizeof *out);
    out->memory_kinds = 1u << BP_MEMORY_DEVICE_LOCAL;
    return BP_OK;
}

static void memory_kind_the_backend_lacks(void **state) {
    (void)state;
    bp_backend b;
    bp_host_backend(NULL, &b);
    b.query_caps = device_only_caps;
    bp_pool_desc pd = {.backend = &b};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&pd, &pool), BP_OK);
    bp_stats before = fs_snapshot(pool);
    bp_acquire_desc d = {.size = 64, .memory = BP_MEMORY_HOST_CACHED};
    bp_buffer out;
    assert_int_equal(bp_acquire(pool, &d, &out), BP_ERR_UNSUPPORTED);
    assert_unchanged(pool, &before);
    ts_check_and_destroy(pool);
}

static void bad_owner_scope_and_trim_calls(void **state) {
    (void)state;
    bp_pool *pool, *other;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    assert_int_equal(bp_pool_create(NULL, &other), BP_OK);
    bp_scope foreign, closed, open;
    assert_int_equal(bp_scope_begin(other, &foreign), BP_OK);
    assert_int_equal(bp_scope_begin(pool, &closed), BP_OK);
    assert_int_equal(bp_scope_end(pool, closed, NULL), BP_OK);
    assert_int_equal(bp_scope_begin(pool, &open), BP_OK);
    bp_stats before = fs_snapshot(pool);
    uint32_t n = 5;
    bp_owner_usage u;
    assert_int_equal(bp_owner_release(pool, 0, &n), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(n, 0);
    assert_int_equal(bp_owner_set_priority(pool, 0, 1.0f), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_owner_set_priority(pool, 3, NAN), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_owner_get_usage(pool, 0, &u), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_owner_get_usage(pool, 42, &u), BP_ERR_NOT_FOUND);
    assert_int_equal(bp_owner_release(pool, 42, &n), BP_OK); /* unknown owner: nothing to release */
    assert_int_equal(n, 0);
    assert_int_equal(bp_scope_end(pool, (bp_scope){0}, NULL), BP_ERR_SCOPE);
    assert_int_equal(bp_scope_end(pool, foreign, NULL), BP_ERR_SCOPE);
    assert_int_equal(bp_scope_end(pool, closed, NULL), BP_ERR_SCOPE);
    assert_int_equal(bp_scope_begin(pool, NULL), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_trim_older_than(pool, -1.0, NULL), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_trim_older_than(pool, NAN, NULL), BP_ERR_INVALID_ARGUMENT);
    assert_unchanged(pool, &before);
    bp_scope marks[BP_MAX_SCOPE_DEPTH];
    for (uint32_t i = 1; i < BP_MAX_SCOPE_DEPTH; i++) assert_int_equal(bp_scope_begin(pool, &marks[i]), BP_OK);
    assert_int_equal(bp_scope_begin(pool, &marks[0]), BP_ERR_SCOPE); /* the 65th */
    assert_int_equal(marks[0].id, 0);
    assert_int_equal(bp_scope_end(pool, open, NULL), BP_OK); /* closes the 63 inside it too */
    ts_check_and_destroy(pool);
    ts_check_and_destroy(other);
}

static void bad_typed_arrays(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    bp_stats before = fs_snapshot(pool);
    bp_buffer out;
    void *p;
    bp_array_desc d = {.count = 0, .components = 3};
    assert_int_equal(bp_acquire_array(pool, &d, &out, &p), BP_ERR_INVALID_SIZE);
    d = (bp_array_desc){.count = 10, .type = (bp_element_type)9};
    assert_int_equal(bp_acquire_array(pool, &d, &out, &p), BP_ERR_INVALID_ARGUMENT);
    d = (bp_array_desc){.count = UINT64_MAX / 4, .components = 4, .type = BP_ELEMENT_F64};
    assert_int_equal(bp_acquire_array(pool, &d, &out, &p), BP_ERR_OVERFLOW);
    d = (bp_array_desc){.count = 1ull << 45, .components = 4, .type = BP_ELEMENT_F32}; /* 512 TiB */
    assert_int_equal(bp_acquire_array(pool, &d, &out, &p), BP_ERR_TOO_LARGE);
    assert_int_equal(out.id, 0);
    assert_null(p);
    uint64_t bytes = 1;
    assert_int_equal(bp_array_bytes(3, 1, BP_ELEMENT_U8, NULL), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_array_bytes(UINT64_MAX, 2, BP_ELEMENT_U16, &bytes), BP_ERR_OVERFLOW);
    assert_int_equal(bytes, 0);
    assert_unchanged(pool, &before);
    ts_check_and_destroy(pool);
}

static void more_bad_pool_descs(void **state) {
    (void)state;
    bp_pool *pool = (bp_pool *)1;
    const bp_capacity_entry zero_size = {.size = 0, .count = 1}, bad_memory = {.size = 64, .count = 1, .memory = (bp_memory)7},
                            bad_usage = {.size = 64, .count = 1, .usage = 1u << 20};
    bp_backend small, no_destroy;
    bp_host_backend(NULL, &small);
    small.struct_size = 8;
    bp_host_backend(NULL, &no_destroy);
    no_destroy.destroy = NULL;
    const bp_pool_desc bad[] = {
        {.capacity_table_count = 2},
        {.idle_trim_seconds = NAN},
        {.max_buffers = (1u << 24) + 1},
        {.capacity_mode = (bp_capacity_mode)9},
        {.capacity_table = &zero_size, .capacity_table_count = 1},
        {.capacity_table = &bad_memory, .capacity_table_count = 1},
        {.capacity_table = &bad_usage, .capacity_table_count = 1},
        {.backend = &small},
        {.backend = &no_destroy},
        {.allocator = {.free = ts_free}},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pool = (bp_pool *)1;
        if (bp_pool_create(&bad[i], &pool) != BP_ERR_INVALID_ARGUMENT) fail_msg("bad desc %zu accepted", i);
        assert_null(pool);
    }
    bp_fault *f = (bp_fault *)1;
    bp_backend host;
    bp_host_backend(NULL, &host);
    assert_int_equal(bp_fault_create(&host, &(bp_fault_desc){.probability = -0.5}, &f), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_fault_create(&host, &(bp_fault_desc){.probability = NAN}, &f), BP_ERR_INVALID_ARGUMENT);
    assert_null(f);
}

typedef struct reentry {
    bp_buffer held;
    bp_result acquire, scope_end, duplicate;
} reentry;

static void evict_and_reenter(void *user, bp_pool *pool, uint64_t bytes_needed, const uint64_t *owners, uint32_t count) {
    (void)bytes_needed;
    (void)owners;
    (void)count;
    reentry *re = user;
    bp_acquire_desc d = {.size = 16};
    bp_buffer b;
    re->acquire = bp_acquire(pool, &d, &b);
    re->scope_end = bp_scope_end(pool, (bp_scope){1}, NULL);
    re->duplicate = bp_duplicate(pool, re->held, 0, &b);
}

static void calls_from_inside_the_eviction_callback(void **state) {
    (void)state;
    reentry re = {0};
    bp_pool_desc pd = {.evict = evict_and_reenter, .evict_user = &re, .budget_bytes = 4096};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&pd, &pool), BP_OK);
    re.held = ts_acquire(pool, 4096, 0);
    bp_acquire_desc d = {.size = 100};
    bp_buffer b;
    assert_int_equal(bp_acquire(pool, &d, &b), BP_ERR_BUDGET);
    assert_int_equal(re.acquire, BP_ERR_BUSY);
    assert_int_equal(re.scope_end, BP_ERR_BUSY);
    assert_int_equal(re.duplicate, BP_ERR_BUSY);
    assert_int_equal(bp_release(pool, re.held), BP_OK);
    ts_check_and_destroy(pool);
}

static void output_buffers_too_small(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    bp_buffer a = ts_acquire(pool, 100, 0), b = ts_acquire(pool, 5000, 0);
    char json[16];
    size_t len = 0;
    assert_int_equal(bp_stats_to_json(pool, json, sizeof json, &len), BP_ERR_BUFFER_TOO_SMALL);
    assert_true(len > sizeof json); /* the length needed */
    assert_int_equal(bp_stats_to_json(pool, NULL, 10, &len), BP_ERR_INVALID_ARGUMENT);
    bp_class_stats cls[1];
    uint32_t n = 0;
    assert_int_equal(bp_calculate_class_stats(pool, cls, 1, &n), BP_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 2);
    assert_int_equal(bp_calculate_class_stats(pool, NULL, 3, &n), BP_ERR_INVALID_ARGUMENT);
    bp_release(pool, a);
    bp_release(pool, b);
    ts_check_and_destroy(pool);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_transfers),
        cmocka_unit_test(memory_kind_the_backend_lacks),
        cmocka_unit_test(bad_owner_scope_and_trim_calls),
        cmocka_unit_test(bad_typed_arrays),
        cmocka_unit_test(more_bad_pool_descs),
        cmocka_unit_test(calls_from_inside_the_eviction_callback),
        cmocka_unit_test(output_buffers_too_small),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
