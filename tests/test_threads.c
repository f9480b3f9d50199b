/* thread_safe pools under several threads: every call keeps the pool consistent and the
 * counters exact (the pool lock is a futex word with recursion by owner), frames may end on
 * one thread while others acquire, and the eviction callback may re-enter the pool. */
#include <pthread.h>

#include "test_support.h"

enum { THREADS = 4, ROUNDS = 20000, HELD = 4 };

typedef struct worker_arg {
    bp_pool *pool;
    int id;
    uint64_t acquires, releases, failures;
} worker_arg;

static void *worker(void *p) {
    worker_arg *w = p;
    bp_buffer held[HELD] = {{0}};
    uint64_t rng = 0x9E3779B97F4A7C15ull * (uint64_t)(w->id + 1);
    for (int i = 0; i < ROUNDS; i++) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        int k = (int)(rng % HELD);
        if (held[k].id) {
            if (bp_release(w->pool, held[k]) == BP_OK) w->releases++;
            else w->failures++;
            held[k].id = 0;
        } else {
            bp_acquire_desc d = {.size = 64u << (rng >> 20) % 8, .tag = "thread"};
            if (bp_acquire(w->pool, &d, &held[k]) == BP_OK) w->acquires++;
            else w->failures++;
        }
        if (w->id == 0 && i % 100 == 99) { /* one thread runs the frames */
            bp_frame_end(w->pool);
            bp_frame_begin(w->pool);
        }
        if (i % 1000 == 0) {
            bp_stats s;
            bp_get_stats(w->pool, &s);
            if (s.acquires != s.hits + s.misses) w->failures++;
        }
    }
    for (int k = 0; k < HELD; k++)
        if (held[k].id) {
            if (bp_release(w->pool, held[k]) == BP_OK) w->releases++;
            else w->failures++;
        }
    return NULL;
}

static void threads_keep_the_pool_exact(void **state) {
    (void)state;
    bp_pool_desc pd = {.thread_safe = true};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&pd, &pool), BP_OK);
    bp_frame_begin(pool);
    pthread_t th[THREADS];
    worker_arg args[THREADS];
    for (int t = 0; t < THREADS; t++) {
        args[t] = (worker_arg){.pool = pool, .id = t};
        assert_int_equal(pthread_create(&th[t], NULL, worker, &args[t]), 0);
    }
    uint64_t acquires = 0, releases = 0;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(th[t], NULL);
        assert_int_equal(args[t].failures, 0);
        acquires += args[t].acquires;
        releases += args[t].releases;
    }
    bp_frame_end(pool);
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(s.acquires, acquires);
    assert_int_equal(s.releases, releases);
    assert_int_equal(acquires, releases);
    assert_int_equal(s.buffers_in_use, 0);
    assert_int_equal(s.errors, 0);
    ts_check_and_destroy(pool);
}

static void evict_all(void *user, bp_pool *pool, uint64_t needed, const uint64_t *owners, uint32_t count) {
    (void)needed;
    (*(int *)user)++;
    for (uint32_t i = 0; i < count; i++) bp_owner_release(pool, owners[i], NULL); /* re-enters the lock */
}

/* The eviction callback runs under the pool lock and calls back into the pool. */
static void eviction_reenters_a_thread_safe_pool(void **state) {
    (void)state;
    int calls = 0;
    bp_pool_desc pd = {.thread_safe = true, .budget_bytes = 16384, .evict = evict_all, .evict_user = &calls,
                       .frames_in_flight = BP_IMMEDIATE_REUSE, .max_pooled_per_class = 1};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&pd, &pool), BP_OK);
    bp_acquire_desc a = {.size = 8192, .owner = 7}, big = {.size = 12288, .owner = 8};
    bp_buffer b1, b2, b3;
    assert_int_equal(bp_acquire(pool, &a, &b1), BP_OK);
    assert_int_equal(bp_acquire(pool, &a, &b2), BP_OK);
    assert_int_equal(bp_acquire(pool, &big, &b3), BP_OK);
    assert_int_equal(calls, 1);
    assert_false(bp_buffer_is_valid(pool, b1));
    assert_true(bp_buffer_is_valid(pool, b3));
    assert_int_equal(bp_release(pool, b3), BP_OK);
    ts_check_and_destroy(pool);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(threads_keep_the_pool_exact),
        cmocka_unit_test(eviction_reenters_a_thread_safe_pool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
