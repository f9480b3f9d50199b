/* Bad input: each gets a distinct result and leaves the pool unchanged; nothing crashes. */
#include "test_support.h"

/* Snapshot of everything observable, to prove a failed call changed nothing. */
typedef struct snapshot {
    bp_stats stats;
} snapshot;

static snapshot snap(bp_pool *pool) {
    snapshot s;
    bp_get_stats(pool, &s.stats);
    s.stats.errors = 0; /* the error counter is the one thing a failure may move */
    return s;
}

static void assert_unchanged(bp_pool *pool, const snapshot *before) {
    snapshot now = snap(pool);
    assert_memory_equal(&now.stats, &before->stats, sizeof now.stats);
    assert_int_equal(bpi_check(pool), BP_OK);
}

static void bad_acquires(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    bp_buffer keep = ts_acquire(pool, 100, 0);
    snapshot before = snap(pool);
    bp_buffer out = {123};
    bp_acquire_desc d = {0};
    assert_int_equal(bp_acquire(pool, &d, &out), BP_ERR_INVALID_SIZE);
    assert_int_equal(out.id, 0);
    d.size = (1ull << 48) + 1;
    assert_int_equal(bp_acquire(pool, &d, &out), BP_ERR_TOO_LARGE);
    d.size = 1ull << 41; /* beyond the host backend's 1 TiB */
    assert_int_equal(bp_acquire(pool, &d, &out), BP_ERR_TOO_LARGE);
    d.size = 10;
    d.memory = (bp_memory)9;
    assert_int_equal(bp_acquire(pool, &d, &out), BP_ERR_INVALID_ARGUMENT);
    d.memory = BP_MEMORY_DEVICE_LOCAL;
    d.usage = 1u << 20;
    assert_int_equal(bp_acquire(pool, &d, &out), BP_ERR_INVALID_ARGUMENT);
    d.usage = 0;
    d.flags = 1u << 30;
    assert_int_equal(bp_acquire(pool, &d, &out), BP_ERR_INVALID_ARGUMENT);
    d.flags = 0;
    d.alignment = 48;
    assert_int_equal(bp_acquire(pool, &d, &out), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_acquire(pool, NULL, &out), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_acquire(pool, &d, NULL), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_acquire(NULL, &d, &out), BP_ERR_INVALID_ARGUMENT);
    assert_unchanged(pool, &before);
    bp_release(pool, keep);
    ts_check_and_destroy(pool);
}

static void bad_handles(void **state) {
    (void)state;
    bp_pool *pool, *other;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    assert_int_equal(bp_pool_create(NULL, &other), BP_OK);
    bp_buffer a = ts_acquire(pool, 100, 0);
    bp_buffer foreign = ts_acquire(other, 100, 0);
    assert_int_equal(bp_release(pool, a), BP_OK);
    snapshot before = snap(pool);
    bp_buffer_info info;
    assert_int_equal(bp_release(pool, BP_INVALID_BUFFER), BP_ERR_INVALID_HANDLE);
    assert_int_equal(bp_release(pool, a), BP_ERR_DOUBLE_RELEASE);
    assert_int_equal(bp_release(pool, foreign), BP_ERR_FOREIGN_HANDLE);
    assert_int_equal(bp_release(pool, (bp_buffer){0xFFFFFFFFFFFFFFFFull}), BP_ERR_FOREIGN_HANDLE);
    assert_int_equal(bp_release(pool, (bp_buffer){(uint64_t)77 << 32 | 5}), BP_ERR_FOREIGN_HANDLE);
    assert_int_equal(bp_buffer_get_info(pool, a, &info), BP_ERR_STALE_HANDLE);
    assert_int_equal(info.size, 0);
    assert_int_equal(bp_buffer_get_info(pool, foreign, &info), BP_ERR_FOREIGN_HANDLE);
    assert_false(bp_buffer_is_valid(pool, a));
    assert_false(bp_buffer_is_valid(pool, foreign));
    assert_true(bp_buffer_is_valid(other, foreign));
    assert_int_equal(bp_release(NULL, a), BP_ERR_INVALID_ARGUMENT);
    assert_unchanged(pool, &before);

    /* the slot is reused: the old handle is now stale, not a double release */
    bp_buffer b = ts_acquire(pool, 100, 0);
    assert_true((uint32_t)b.id == (uint32_t)a.id);
    snapshot before2 = snap(pool);
    assert_int_equal(bp_release(pool, a), BP_ERR_STALE_HANDLE);
    assert_unchanged(pool, &before2);
    assert_int_equal(bp_release(pool, b), BP_OK);
    bp_release(other, foreign);
    ts_check_and_destroy(pool);
    ts_check_and_destroy(other);
}

static void frame_calls_out_of_order(void **state) {
    (void)state;
    log_record log = {0};
    bp_pool *pool;
    bp_pool_desc pd = {.logger = {ts_logger, &log}};
    assert_int_equal(bp_pool_create(&pd, &pool), BP_OK);
    snapshot before = snap(pool);
    assert_int_equal(bp_frame_end(pool), BP_ERR_FRAME_STATE);
    assert_unchanged(pool, &before);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    before = snap(pool);
    assert_int_equal(bp_frame_begin(pool), BP_ERR_FRAME_STATE);
    assert_unchanged(pool, &before);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    assert_int_equal(log.count[BP_LOG_ITEM_FRAME_ORDER], 2);
    assert_int_equal(bp_frame_begin(NULL), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_frame_end(NULL), BP_ERR_INVALID_ARGUMENT);
    ts_check_and_destroy(pool);
}

static void bad_pool_descs(void **state) {
    (void)state;
    bp_pool *pool = (bp_pool *)1;
    bp_pool_desc d = {.class_scheme = (bp_class_scheme)5};
    assert_int_equal(bp_pool_create(&d, &pool), BP_ERR_INVALID_ARGUMENT);
    assert_null(pool);
    d = (bp_pool_desc){.capacity_mode = BP_CAPACITY_FIXED}; /* fixed needs a table */
    assert_int_equal(bp_pool_create(&d, &pool), BP_ERR_INVALID_ARGUMENT);
    bp_backend bad = {0};
    d = (bp_pool_desc){.backend = &bad};
    assert_int_equal(bp_pool_create(&d, &pool), BP_ERR_INVALID_ARGUMENT);
    bp_host_backend(NULL, &bad);
    bad.version = 99;
    assert_int_equal(bp_pool_create(&d, &pool), BP_ERR_INVALID_ARGUMENT);
    d = (bp_pool_desc){.allocator = {.alloc = ts_alloc}};
    assert_int_equal(bp_pool_create(&d, &pool), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_pool_create(NULL, NULL), BP_ERR_INVALID_ARGUMENT);
    bp_pool_destroy(NULL); /* ignored */
    bp_stats s;
    bp_get_stats(NULL, &s);
    assert_int_equal(s.acquires, 0);
}

static void result_strings_name_every_code(void **state) {
    (void)state;
    for (int r = 0; r < BP_RESULT_COUNT; r++) {
        const char *s = bp_result_string((bp_result)r);
        assert_non_null(s);
        assert_true(strncmp(s, "BP_", 3) == 0);
        for (int q = 0; q < r; q++) assert_string_not_equal(s, bp_result_string((bp_result)q));
    }
    assert_string_equal(bp_result_string((bp_result)999), "BP_ERR_UNKNOWN");
    assert_string_equal(bp_result_string(BP_ERR_STALE_HANDLE), "BP_ERR_STALE_HANDLE");
}

static bp_result failing_create(void *user, const bp_backend_create_desc *d, bp_backend_buffer *out) {
    (void)user; (void)d; (void)out;
    return BP_ERR_OUT_OF_MEMORY;
}
static void noop_destroy(void *user, const bp_backend_buffer *b) { (void)user; (void)b; }

static void a_backend_failure_changes_nothing(void **state) {
    (void)state;
    bp_backend be;
    bp_host_backend(NULL, &be);
    be.create = failing_create;
    be.destroy = noop_destroy;
    bp_pool_desc d = {.backend = &be};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    snapshot before = snap(pool);
    bp_acquire_desc ad = {.size = 100, .owner = 5};
    bp_buffer b;
    assert_int_equal(bp_acquire(pool, &ad, &b), BP_ERR_OUT_OF_MEMORY);
    assert_int_equal(b.id, 0);
    assert_unchanged(pool, &before);
    bp_owner_usage u;
    assert_int_equal(bp_owner_get_usage(pool, 5, &u), BP_ERR_NOT_FOUND);
    assert_non_null(strstr(bp_pool_last_error(pool), "failed to create"));
    ts_check_and_destroy(pool);
}

/* A slot whose generation would wrap retires for good: no id is ever issued twice. */
/* A slot's generation moved on as if it had issued that many more ids; those acquires were
 * never counted, so neither are their hits (the slot's hit count follows its generation). */
static void skip_generations(bpi_slot *s, uint32_t generation) {
    s->hit_base += generation - s->generation;
    s->generation = generation;
}

static void exhausted_generation_retires_the_slot(void **state) {
    (void)state;
    bp_pool *pool;
    bp_pool_desc d = {.frames_in_flight = BP_IMMEDIATE_REUSE};
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    bp_buffer a = ts_acquire(pool, 100, 0);
    uint32_t index = (uint32_t)a.id & (BPI_MAX_SLOTS - 1u);
    bp_release(pool, a);
    skip_generations(&pool->slots[index], UINT32_MAX - 1); /* as if it had been reused 4 billion times */
    bp_buffer last = ts_acquire(pool, 100, 0);
    assert_int_equal((uint32_t)(last.id >> 32), UINT32_MAX);
    assert_int_equal(bp_release(pool, last), BP_OK); /* destroyed, not pooled */
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(s.buffers_pooled, 0);
    bp_buffer next = ts_acquire(pool, 100, 0);
    assert_true((uint32_t)next.id != (uint32_t)last.id); /* another slot */
    assert_int_equal(bp_release(pool, last), BP_ERR_DOUBLE_RELEASE);
    bp_release(pool, next);
    ts_check_and_destroy(pool);
}

/* A fixed pool cannot create a buffer again, so a buffer whose slot issued its last id moves
 * to a fresh slot instead of being destroyed: the pool keeps its capacity and makes no backend
 * call (it was destroyed, and the next acquire failed with BP_ERR_CAPACITY). */
static void exhausted_generation_in_a_fixed_pool_keeps_the_buffer(void **state) {
    (void)state;
    bp_capacity_entry e = {.size = 256, .count = 1};
    bp_pool_desc d = {.capacity_mode = BP_CAPACITY_FIXED, .capacity_table = &e, .capacity_table_count = 1,
                      .frames_in_flight = 1};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    bp_buffer a = ts_acquire(pool, 100, 0);
    uint32_t index = (uint32_t)a.id & (BPI_MAX_SLOTS - 1u);
    void *mem = pool->slots[index].native.mapped;
    bp_release(pool, a);
    skip_generations(&pool->slots[index], UINT32_MAX - 1); /* as if it had been reused 4 billion times */
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    bp_buffer last = ts_acquire(pool, 100, 0);
    assert_int_equal((uint32_t)(last.id >> 32), UINT32_MAX);
    assert_int_equal(bp_release(pool, last), BP_OK); /* pending: pooled at the frame end */
    assert_int_equal(bp_frame_end(pool), BP_OK);
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(s.buffers_pooled, 1);
    assert_int_equal(s.backend_destroys, 0);
    bp_buffer next = ts_acquire(pool, 100, 0);
    assert_true((uint32_t)next.id != (uint32_t)last.id); /* another slot, the same memory */
    bp_buffer_info info;
    assert_int_equal(bp_buffer_get_info(pool, next, &info), BP_OK);
    assert_ptr_equal(info.mapped, mem);
    assert_int_not_equal(bp_release(pool, last), BP_OK);
    assert_int_equal(bp_release(pool, next), BP_OK);
    ts_check_and_destroy(pool);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_acquires),
        cmocka_unit_test(bad_handles),
        cmocka_unit_test(frame_calls_out_of_order),
        cmocka_unit_test(bad_pool_descs),
        cmocka_unit_test(result_strings_name_every_code),
        cmocka_unit_test(a_backend_failure_changes_nothing),
        cmocka_unit_test(exhausted_generation_retires_the_slot),
        cmocka_unit_test(exhausted_generation_in_a_fixed_pool_keeps_the_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
