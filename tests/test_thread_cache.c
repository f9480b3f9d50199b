/* Thread caches of thread_safe pools (lifecycle/thread_cache.c): a thread's plain acquires
 * and its releases of them skip the pool lock, yet every other call sees one pool: exact
 * counts, cached buffers back in their buckets (trims, caps, misses find them), wrong handles
 * refused from any thread. Run under TSan by `make check-sanitizers`. */
#include <pthread.h>

#include "test_support.h"

static bp_pool *ts_pool(bool no_cache) {
    bp_pool_desc d = {.thread_safe = true, .no_thread_cache = no_cache, .max_pooled_per_class = BP_NEVER};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    return pool;
}

/* One thread: the cache serves after the first acquire, and the counts, peaks included, are
 * those of a pool without caches. */
static void one_thread_counts_exactly(void **state) {
    (void)state;
    bp_pool *cached = ts_pool(false), *plain = ts_pool(true);
    bp_pool *pools[2] = {cached, plain};
    for (int p = 0; p < 2; p++) {
        bp_buffer b[3];
        for (int round = 0; round < 50; round++) {
            for (int i = 0; i < 3; i++) b[i] = ts_acquire(pools[p], 1000u + 3000u * (unsigned)i, 0);
            for (int i = 0; i < 3; i++) assert_int_equal(bp_release(pools[p], b[i]), BP_OK);
        }
    }
    assert_true(cached->tcache_count == 1);
    assert_true(plain->tcache_count == 0);
    bp_stats a = ts_stats(cached), b = ts_stats(plain);
    assert_int_equal(a.acquires, 150);
    assert_int_equal(a.acquires, b.acquires);
    assert_int_equal(a.hits, b.hits);
    assert_int_equal(a.misses, b.misses);
    assert_int_equal(a.releases, b.releases);
    assert_int_equal(a.peak_in_use, b.peak_in_use);
    assert_int_equal(a.peak_requested, b.peak_requested);
    assert_int_equal(a.buffers_pooled, b.buffers_pooled);
    assert_int_equal(a.bytes_pooled, b.bytes_pooled);
    assert_int_equal(a.buffers_in_use, 0);
    assert_int_equal(a.bytes_requested, 0);
    ts_check_and_destroy(cached);
    ts_check_and_destroy(plain);
}

/* Buffers a cache keeps are the pool's: a trim destroys them, the stats count them pooled. */
static void cached_buffers_are_trimmed_and_counted(void **state) {
    (void)state;
    bp_pool *pool = ts_pool(false);
    bp_buffer b[4];
    for (int i = 0; i < 4; i++) b[i] = ts_acquire(pool, 4096, 0); /* the first makes the cache */
    for (int i = 0; i < 4; i++) assert_int_equal(bp_release(pool, b[i]), BP_OK);
    bp_stats s = ts_stats(pool);
    assert_int_equal(s.buffers_pooled, 4);
    assert_int_equal(s.buffers_in_use, 0);
    assert_int_equal(bp_trim(pool, true), BP_OK);
    s = ts_stats(pool);
    assert_int_equal(s.buffers_pooled, 0);
    assert_int_equal(s.trims, 4);
    assert_int_equal(s.buffers_total, 0);
    ts_check_and_destroy(pool);
}

typedef struct handoff {
    bp_pool *pool;
    bp_buffer buf;
    bp_result first, second, stale;
} handoff;

static void *release_elsewhere(void *arg) {
    handoff *h = arg;
    h->first = bp_release(h->pool, h->buf);
    h->second = bp_release(h->pool, h->buf);
    return NULL;
}

/* A buffer acquired through one thread's cache and released by another thread goes back
 * through the lock; a second release is a double release there and in the first thread. */
static void other_threads_release_through_the_lock(void **state) {
    (void)state;
    bp_pool *pool = ts_pool(false);
    bp_buffer warm = ts_acquire(pool, 4096, 0);
    assert_int_equal(bp_release(pool, warm), BP_OK); /* now in this thread's cache */
    handoff h = {.pool = pool, .buf = ts_acquire(pool, 4096, 0)};
    assert_int_equal(h.buf.id, (warm.id & 0xffffffffu) | ((warm.id >> 32) + 1) << 32); /* the same slot */
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, release_elsewhere, &h), 0);
    pthread_join(t, NULL);
    assert_int_equal(h.first, BP_OK);
    assert_int_equal(h.second, BP_ERR_DOUBLE_RELEASE);
    assert_int_equal(bp_release(pool, h.buf), BP_ERR_DOUBLE_RELEASE);
    assert_int_equal(bp_release(pool, warm), BP_ERR_STALE_HANDLE);
    bp_stats s = ts_stats(pool);
    assert_int_equal(s.releases, 2);
    assert_int_equal(s.buffers_pooled, 1);
    ts_check_and_destroy(pool);
}

static void *acquire_one(void *arg) {
    handoff *h = arg;
    h->buf = ts_acquire(h->pool, 4096, 0);
    h->first = bp_release(h->pool, h->buf);
    return NULL;
}

/* A buffer sitting in one thread's cache serves another thread's miss: no new buffer. */
static void a_miss_takes_other_caches_buffers(void **state) {
    (void)state;
    bp_pool *pool = ts_pool(false);
    bp_buffer mine = ts_acquire(pool, 4096, 0);
    assert_int_equal(bp_release(pool, mine), BP_OK); /* in this thread's cache */
    handoff h = {.pool = pool};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, acquire_one, &h), 0);
    pthread_join(t, NULL);
    assert_int_equal(h.first, BP_OK);
    bp_stats s = ts_stats(pool);
    assert_int_equal(s.backend_creates, 1);
    assert_int_equal(s.hits, 1);
    ts_check_and_destroy(pool);
}

/* Fixed pools allocate nothing after creation: no caches. */
static void fixed_pools_have_no_cache(void **state) {
    (void)state;
    bp_capacity_entry table[] = {{.size = 4096, .count = 2}};
    bp_pool_desc d = {.thread_safe = true, .capacity_mode = BP_CAPACITY_FIXED, .capacity_table = table,
                      .capacity_table_count = 1};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    bp_buffer b = ts_acquire(pool, 4096, 0);
    assert_int_equal(bp_release(pool, b), BP_OK);
    assert_true(pool->tcache_count == 0);
    ts_check_and_destroy(pool);
}

/* A buffer a cache took from its bucket but never handed out keeps its pooled frame when it
 * goes back: idle buffers are trimmed as in a pool without caches, though every frame's first
 * acquire refills the cache from the bucket and the frame end puts them back. */
static void refilled_buffers_still_age(void **state) {
    (void)state;
    for (int fif = 0; fif < 2; fif++) {
    uint64_t pooled[2];
    for (int p = 0; p < 2; p++) {
        bp_pool_desc d = {.thread_safe = true, .no_thread_cache = p == 1, .max_pooled_per_class = BP_NEVER,
                          .frames_in_flight = fif ? 2 : BP_IMMEDIATE_REUSE, .idle_trim_frames = 4,
                          .idle_trim_seconds = -1};
        bp_pool *pool;
        assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
        bp_buffer b[5];
        for (int i = 0; i < 5; i++) b[i] = ts_acquire(pool, 4096, 0);
        for (int i = 0; i < 5; i++) assert_int_equal(bp_release(pool, b[i]), BP_OK);
        for (int f = 0; f < 20; f++) {
            assert_int_equal(bp_frame_begin(pool), BP_OK);
            bp_buffer x = ts_acquire(pool, 4096, 0);
            assert_int_equal(bp_release(pool, x), BP_OK);
            assert_int_equal(bp_frame_end(pool), BP_OK);
        }
        pooled[p] = ts_stats(pool).buffers_pooled;
        ts_check_and_destroy(pool);
    }
    assert_true(pooled[1] <= 2); /* the other buffers were idle */
    assert_int_equal(pooled[0], pooled[1]);
    }
}

/* A miss of a new group under a budget makes room with the buffers a cache keeps, as a pool
 * without caches does: they are pooled, not held. */
static void a_new_groups_miss_trims_cached_buffers(void **state) {
    (void)state;
    for (int p = 0; p < 2; p++) {
        bp_pool_desc d = {.thread_safe = true, .no_thread_cache = p == 1, .budget_bytes = 8192};
        bp_pool *pool;
        assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
        bp_buffer a = ts_acquire(pool, 4096, 0);
        assert_int_equal(bp_release(pool, a), BP_OK); /* into this thread's cache */
        bp_acquire_desc hv = {.size = 8192, .memory = BP_MEMORY_HOST_VISIBLE};
        bp_buffer b;
        assert_int_equal(bp_acquire(pool, &hv, &b), BP_OK);
        bp_stats s = ts_stats(pool);
        assert_int_equal(s.trims, 1);
        assert_int_equal(s.budget_failures, 0);
        assert_int_equal(bp_release(pool, b), BP_OK);
        ts_check_and_destroy(pool);
    }
}

/* A thread using two pools whose serials share a TLS way keeps one cache per pool: after its
 * entry was taken by the other pool, the lock finds its cache again instead of making another
 * (64 of them would leave every other thread without one). */
static void two_pools_sharing_a_tls_way_keep_one_cache(void **state) {
    (void)state;
    bp_pool *pools[BPI_TLS_WAYS + 1];
    for (uint32_t i = 0; i <= BPI_TLS_WAYS; i++) pools[i] = ts_pool(false);
    bp_pool *a = pools[0], *b = pools[BPI_TLS_WAYS];
    assert_true((a->serial & (BPI_TLS_WAYS - 1u)) == (b->serial & (BPI_TLS_WAYS - 1u)));
    for (int round = 0; round < 100; round++) {
        bp_buffer x = ts_acquire(a, 4096, 0), y = ts_acquire(b, 4096, 0);
        assert_int_equal(bp_release(a, x), BP_OK);
        assert_int_equal(bp_release(b, y), BP_OK);
    }
    assert_int_equal(a->tcache_count, 1);
    assert_int_equal(b->tcache_count, 1);
    for (uint32_t i = 0; i <= BPI_TLS_WAYS; i++) ts_check_and_destroy(pools[i]);
}

#define MANY_THREADS (BPI_MAX_TCACHES + 6u)

typedef struct many {
    bp_pool *pool;
    pthread_barrier_t *start;
    uint64_t seed;
    int failures;
} many;

static void *many_work(void *arg) {
    many *m = arg;
    pthread_barrier_wait(m->start); /* all alive at once: the last ones find no cache left */
    for (int i = 0; i < 200; i++) {
        bp_acquire_desc d = {.size = 64 + ts_xorshift(&m->seed) % 8192};
        bp_buffer a, b;
        if (bp_acquire(m->pool, &d, &a) != BP_OK) m->failures++;
        if (bp_acquire(m->pool, &d, &b) != BP_OK) m->failures++;
        if (bp_release(m->pool, a) != BP_OK) m->failures++;
        if (bp_release(m->pool, b) != BP_OK) m->failures++;
    }
    return NULL;
}

/* More threads than caches: the rest take the lock, and the counts stay exact. */
static void more_threads_than_caches(void **state) {
    (void)state;
    bp_pool *pool = ts_pool(false);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, MANY_THREADS);
    static many m[MANY_THREADS];
    pthread_t t[MANY_THREADS];
    for (uint32_t i = 0; i < MANY_THREADS; i++) {
        m[i] = (many){.pool = pool, .start = &start, .seed = 0x2545F4914F6CDD1Dull * (i + 1u)};
        assert_int_equal(pthread_create(&t[i], NULL, many_work, &m[i]), 0);
    }
    for (uint32_t i = 0; i < MANY_THREADS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(m[i].failures, 0);
    }
    pthread_barrier_destroy(&start);
    assert_int_equal(pool->tcache_count, BPI_MAX_TCACHES);
    bp_stats s = ts_stats(pool);
    assert_int_equal(s.acquires, 400u * MANY_THREADS);
    assert_int_equal(s.releases, 400u * MANY_THREADS);
    assert_int_equal(s.buffers_in_use, 0);
    assert_int_equal(s.bytes_in_use, 0);
    assert_int_equal(s.bytes_requested, 0);
    assert_true(s.peak_in_use <= s.peak_reserved);
    ts_check_and_destroy(pool);
}

#define WORKERS 4
#define STEPS 20000

typedef struct churn {
    bp_pool *pool;
    uint64_t seed, acquires;
    bp_buffer *shared; /* a mailbox: a handle one worker leaves and another releases */
    int id;
    const char *error;
} churn;

/* Random sizes, own and other threads' buffers, wrong handles; writes each buffer's bytes and
 * checks them back, so two threads holding one buffer would show. */
static void *churn_work(void *arg) {
    churn *w = arg;
    bp_buffer held[6] = {{0}};
    for (int step = 0; step < STEPS && !w->error; step++) {
        int i = (int)(ts_xorshift(&w->seed) % 6);
        if (held[i].id) {
            bp_buffer_info info;
            if (bp_buffer_get_info(w->pool, held[i], &info) != BP_OK) w->error = "info of a held buffer";
            else if (((unsigned char *)info.mapped)[0] != (unsigned char)w->id) w->error = "bytes changed";
            bp_buffer old = held[i];
            if (step % 7 == 0) { /* into the mailbox; release whatever was there (another's, or ours) */
                bp_buffer got;
                __atomic_exchange(w->shared, &old, &got, __ATOMIC_ACQ_REL);
                if (got.id && bp_release(w->pool, got) != BP_OK) w->error = "release of a handed buffer";
            } else {
                if (bp_release(w->pool, old) != BP_OK) w->error = "release";
                if (bp_release(w->pool, old) == BP_OK) w->error = "a second release succeeded";
            }
            held[i].id = 0;
        }
        bp_acquire_desc d = {.size = 64 + ts_xorshift(&w->seed) % 20000};
        if (bp_acquire(w->pool, &d, &held[i]) != BP_OK) {
            w->error = "acquire";
            break;
        }
        w->acquires++;
        bp_buffer_info info;
        if (bp_buffer_get_info(w->pool, held[i], &info) != BP_OK) w->error = "info";
        else memset(info.mapped, w->id, info.size);
        if (step % 500 == 0) {
            bp_stats s;
            bp_get_stats(w->pool, &s);
            if (s.hits + s.misses != s.acquires) w->error = "hits + misses != acquires";
            if (w->id == 0) bp_trim(w->pool, false);
        }
    }
    for (int i = 0; i < 6; i++)
        if (held[i].id) bp_release(w->pool, held[i]);
    return NULL;
}

static void threads_churn_one_pool(void **state) {
    (void)state;
    bp_pool *pool = ts_pool(false);
    bp_buffer shared[1] = {{0}};
    churn w[WORKERS];
    pthread_t t[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        w[i] = (churn){.pool = pool, .seed = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1), .shared = shared, .id = i + 1};
        assert_int_equal(pthread_create(&t[i], NULL, churn_work, &w[i]), 0);
    }
    uint64_t acquires = 0;
    for (int i = 0; i < WORKERS; i++) {
        pthread_join(t[i], NULL);
        if (w[i].error) fail_msg("worker %d: %s", i, w[i].error);
        acquires += w[i].acquires;
    }
    if (shared[0].id) assert_int_equal(bp_release(pool, shared[0]), BP_OK);
    bp_stats s = ts_stats(pool);
    assert_int_equal(s.acquires, acquires);
    assert_int_equal(s.releases, acquires);
    assert_int_equal(s.buffers_in_use, 0);
    assert_int_equal(s.bytes_requested, 0);
    assert_int_equal(s.hits + s.misses, acquires);
    assert_true(s.peak_in_use <= s.peak_reserved);
    ts_check_and_destroy(pool);
}

/* With frames in flight a thread's releases go into its cache's pending list and reach the
 * pool's FIFO at the next pool-lock call: the counts and the reuse are a lock-only pool's. */
static void frames_in_flight_release_through_the_cache(void **state) {
    (void)state;
    bp_pool *pools[2];
    for (int p = 0; p < 2; p++) {
        bp_pool_desc d = {.thread_safe = true, .no_thread_cache = p == 1, .frames_in_flight = 2};
        assert_int_equal(bp_pool_create(&d, &pools[p]), BP_OK);
        bp_pool *pool = pools[p];
        for (int frame = 0; frame < 20; frame++) {
            assert_int_equal(bp_frame_begin(pool), BP_OK);
            bp_buffer b[3];
            for (int i = 0; i < 3; i++) b[i] = ts_acquire(pool, 1000u + 3000u * (unsigned)i, 0);
            for (int i = 0; i < 3; i++) assert_int_equal(bp_release(pool, b[i]), BP_OK);
            if (frame == 5) { /* released this frame: pending, not reusable yet */
                if (p == 0) assert_int_equal(pool->tcaches[0]->pending_count, 3); /* no lock taken */
                bp_stats s = ts_stats(pool);
                assert_int_equal(s.buffers_pending, 6); /* this frame's and the last one's */
                bp_buffer again = ts_acquire(pool, 1000, 0);
                for (int i = 0; i < 3; i++) assert_true((again.id & 0xffffffu) != (b[i].id & 0xffffffu));
                assert_int_equal(bp_release(pool, again), BP_OK);
            }
            assert_int_equal(bp_frame_end(pool), BP_OK);
        }
    }
    assert_true(pools[0]->tcache_count == 1);
    bp_stats a = ts_stats(pools[0]), b = ts_stats(pools[1]);
    assert_int_equal(a.acquires, b.acquires);
    assert_int_equal(a.hits, b.hits);
    assert_int_equal(a.misses, b.misses);
    assert_int_equal(a.releases, b.releases);
    assert_int_equal(a.backend_creates, b.backend_creates);
    assert_int_equal(a.buffers_pending, b.buffers_pending);
    assert_int_equal(a.bytes_pending, b.bytes_pending);
    assert_int_equal(a.buffers_pooled, b.buffers_pooled);
    assert_int_equal(a.peak_in_use, b.peak_in_use);
    assert_int_equal(a.peak_reserved, b.peak_reserved);
    ts_check_and_destroy(pools[0]);
    ts_check_and_destroy(pools[1]);
}

/* The cache's size memo: a repeated size skips the checks, a new one takes them. Sizes that
 * alternate between classes each get a buffer of their own class; 0 and a size no class holds
 * are refused with the pool unchanged, after the memo was warm. */
static void a_size_memo_keeps_classes_and_checks(void **state) {
    (void)state;
    bp_pool *pool = ts_pool(false);
    const uint64_t sizes[3] = {100, 70000, 100};
    for (int round = 0; round < 20; round++)
        for (int i = 0; i < 3; i++) {
            bp_buffer b = ts_acquire(pool, sizes[i], 0);
            bp_buffer_info info;
            assert_int_equal(bp_buffer_get_info(pool, b, &info), BP_OK);
            assert_true(info.capacity >= sizes[i] && info.capacity < 2 * sizes[i] + 64);
            assert_int_equal(bp_release(pool, b), BP_OK);
        }
    bp_stats before = ts_stats(pool);
    bp_acquire_desc d = {.size = 0};
    bp_buffer b;
    assert_int_equal(bp_acquire(pool, &d, &b), BP_ERR_INVALID_SIZE);
    d.size = UINT64_MAX;
    assert_int_not_equal(bp_acquire(pool, &d, &b), BP_OK);
    assert_int_equal(b.id, 0);
    bp_stats after = ts_stats(pool);
    assert_int_equal(after.acquires, before.acquires);
    assert_int_equal(after.acquires, 60);
    assert_int_equal(after.misses, 2);
    ts_check_and_destroy(pool);
}

/* Frame boundaries keep a thread's magazines (its next frame hits its own cache) only as far as
 * the pool's guarantees allow: at every frame end a class holds no more than its retention cap,
 * counting the caches, and the counts match a pool without caches, with caps fixed at 2 and with
 * caps that follow demand (the default). Sixteen classes a frame in rotation fit the cache's ways. */
static void frame_ends_keep_magazines_within_the_caps(void **state) {
    (void)state;
    for (int demand = 0; demand < 2; demand++) {
        bp_stats end[2];
        for (int p = 0; p < 2; p++) {
            bp_pool_desc d = {.thread_safe = true, .no_thread_cache = p == 1, .max_pooled_per_class = 2,
                              .retain_demand = demand ? 0 : BP_NEVER, .frames_in_flight = BP_IMMEDIATE_REUSE};
            bp_pool *pool;
            assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
            for (int f = 0; f < 6; f++) {
                assert_int_equal(bp_frame_begin(pool), BP_OK);
                bp_buffer b[6], v[16];
                for (int i = 0; i < 6; i++) b[i] = ts_acquire(pool, 4096, 0);
                for (int i = 0; i < 6; i++) assert_int_equal(bp_release(pool, b[i]), BP_OK);
                for (int i = 0; i < 16; i++) v[i] = ts_acquire(pool, 1024 + 512 * (uint64_t)i, 0);
                for (int i = 0; i < 16; i++) assert_int_equal(bp_release(pool, v[i]), BP_OK);
                assert_int_equal(bp_frame_end(pool), BP_OK);
            }
            end[p] = ts_stats(pool);
            assert_int_equal(end[p].buffers_in_use, 0);
            assert_int_equal(bpi_check(pool), BP_OK);
            ts_check_and_destroy(pool);
        }
        /* fixed: 2 of the 4096-byte class (1024 + 512 x 6 is one more of it), one of each of the
         * 15 others; following demand, the 4096-byte class keeps the 6 a frame holds at once
         * (1024 + 512 x 6, asked for after they are released, takes one of them) */
        assert_int_equal(end[0].buffers_pooled, (demand ? 6 : 2) + 15);
        assert_int_equal(end[0].buffers_pooled, end[1].buffers_pooled);
        assert_int_equal(end[0].hits, end[1].hits);
        assert_int_equal(end[0].misses, end[1].misses);
        assert_int_equal(end[0].trims, end[1].trims);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_thread_counts_exactly),
        cmocka_unit_test(a_size_memo_keeps_classes_and_checks),
        cmocka_unit_test(cached_buffers_are_trimmed_and_counted),
        cmocka_unit_test(other_threads_release_through_the_lock),
        cmocka_unit_test(a_miss_takes_other_caches_buffers),
        cmocka_unit_test(fixed_pools_have_no_cache),
        cmocka_unit_test(frames_in_flight_release_through_the_cache),
        cmocka_unit_test(threads_churn_one_pool),
        cmocka_unit_test(refilled_buffers_still_age),
        cmocka_unit_test(a_new_groups_miss_trims_cached_buffers),
        cmocka_unit_test(two_pools_sharing_a_tls_way_keep_one_cache),
        cmocka_unit_test(more_threads_than_caches),
        cmocka_unit_test(frame_ends_keep_magazines_within_the_caps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
