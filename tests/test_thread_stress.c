/* Threads on one thread_safe pool: several threads acquire, write, verify and release their
 * own buffers (plain, transient, owned), upload and download, begin and end frames, release
 * their owner and trim, all at once. What is allowed from several threads (README):
 * - any call on a thread_safe pool from any thread; calls are serialized by the pool's lock;
 * - frames are the pool's, not a thread's: any thread may begin or end one, and a thread that
 *   loses the race gets BP_ERR_FRAME_STATE; a frame end returns every thread's transient
 *   buffers, so a transient handle may be stale by the time its thread uses it (an error
 *   code, never a crash and never someone else's memory);
 * - scopes are the pool's too: ending one releases other threads' buffers, so scoped code
 *   belongs to one thread at a time.
 * Checked: no buffer is ever held by two threads (each thread's bytes stay its own), every
 * result is one of the allowed codes, and at the end the counters balance, the invariant
 * walker passes and nothing leaked. Run under TSan by `make check-sanitizers`. */
#include <pthread.h>

#include "fault_support.h"

#define THREADS 4
#define ITERATIONS 6000
#define HELD 8

typedef struct worker {
    bp_pool *pool;
    uint32_t id;
    uint64_t acquires, frame_races, stale_transients;
    const char *error; /* first failure, reported by the main thread */
} worker;

static uint64_t rnd(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

#define FAIL(w, msg)          \
    do {                      \
        (w)->error = (msg);   \
        return NULL;          \
    } while (0)

typedef struct held_buf {
    bp_buffer b;
    uint8_t *p;
    uint64_t n;
    uint8_t mark;
    bool owned;
} held_buf;

static bool intact(const held_buf *h) {
    for (uint64_t i = 0; i < h->n; i++)
        if (h->p[i] != h->mark) return false;
    return true;
}

static void *work(void *arg) {
    worker *w = arg;
    uint64_t s = 0x9E3779B97F4A7C15ull * (w->id + 1);
    held_buf held[HELD];
    uint32_t nheld = 0;
    for (uint32_t it = 0; it < ITERATIONS; it++) {
        uint64_t r = rnd(&s);
        bool transient = r % 4 == 0, owned = !transient && r % 3 == 0;
        bp_acquire_desc d = {.size = 32 + (r >> 8) % 8192,
                             .memory = (bp_memory)((r >> 20) % 3),
                             .flags = transient ? BP_ACQUIRE_TRANSIENT : 0,
                             .owner = owned ? w->id + 1 : 0,
                             .tag = "stress"};
        bp_buffer b;
        if (bp_acquire(w->pool, &d, &b) != BP_OK) FAIL(w, "acquire failed");
        w->acquires++;
        uint8_t mark = (uint8_t)(w->id * 64 + it % 61 + 1);
        if (transient) {
            uint8_t data[32], back[32];
            memset(data, mark, sizeof data);
            bp_result up = bp_upload(w->pool, b, 0, data, sizeof data);
            bp_result down = up == BP_OK ? bp_download(w->pool, b, 0, back, sizeof back) : up;
            if (down == BP_OK) {
                if (memcmp(data, back, sizeof data) != 0) FAIL(w, "a transient buffer changed under its thread");
            } else if (down == BP_ERR_STALE_HANDLE) {
                w->stale_transients++; /* another thread ended the frame */
            } else {
                FAIL(w, "transient upload/download returned an unexpected code");
            }
        } else {
            bp_buffer_info info;
            if (bp_buffer_get_info(w->pool, b, &info) != BP_OK) FAIL(w, "info of a held buffer failed");
            if (nheld == HELD) { /* release the oldest after checking nobody wrote to it */
                if (!intact(&held[0])) FAIL(w, "a held buffer was written by someone else");
                if (bp_release(w->pool, held[0].b) != BP_OK) FAIL(w, "release of a held buffer failed");
                memmove(held, held + 1, sizeof held[0] * --nheld);
            }
            held[nheld] = (held_buf){b, info.mapped, d.size, mark, owned};
            memset(held[nheld].p, mark, d.size);
            nheld++;
        }
        if (r % 64 == 1) {
            unsigned which = (unsigned)((r >> 7) % 3); /* bp_frame_next too: one locked call */
            bp_result fr = which == 0 ? bp_frame_begin(w->pool) : which == 1 ? bp_frame_end(w->pool) : bp_frame_next(w->pool);
            if (fr == BP_ERR_FRAME_STATE) w->frame_races++;
            else if (fr != BP_OK) FAIL(w, "frame call returned an unexpected code");
        }
        if (r % 512 == 3) { /* despawn: this thread's owned buffers go, the others stay */
            uint32_t want = 0, released = 0;
            for (uint32_t i = 0; i < nheld; i++) want += held[i].owned;
            for (uint32_t i = 0; i < nheld; i++)
                if (!intact(&held[i])) FAIL(w, "a held buffer was written by someone else");
            if (bp_owner_release(w->pool, w->id + 1, &released) != BP_OK || released != want)
                FAIL(w, "owner release did not release exactly this thread's owned buffers");
            uint32_t k = 0;
            for (uint32_t i = 0; i < nheld; i++)
                if (!held[i].owned) held[k++] = held[i];
            nheld = k;
        }
        if (r % 1024 == 5) {
            bp_stats st;
            bp_get_stats(w->pool, &st);
            if (bp_trim(w->pool, false) != BP_OK) FAIL(w, "trim failed");
        }
    }
    for (uint32_t i = 0; i < nheld; i++) {
        if (!intact(&held[i])) FAIL(w, "a held buffer was written by someone else");
        if (bp_release(w->pool, held[i].b) != BP_OK) FAIL(w, "final release failed");
    }
    return NULL;
}

static void threads_share_one_pool(void **state) {
    (void)state;
    counting_alloc ca = {0};
    bp_backend host, wrapped;
    bp_host_backend(NULL, &host);
    bp_fault *fault;
    assert_int_equal(bp_fault_create(&host, NULL, &fault), BP_OK);
    bp_fault_backend(fault, &wrapped);
    bp_pool_desc pd = {.backend = &wrapped, .thread_safe = true, .allocator = ts_allocator(&ca),
                       .max_pooled_per_class = 4, .guard_bytes = 16, .poison_on_release = true};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&pd, &pool), BP_OK);
    worker w[THREADS];
    pthread_t t[THREADS];
    for (uint32_t i = 0; i < THREADS; i++) {
        w[i] = (worker){.pool = pool, .id = i};
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    uint64_t acquires = 0, races = 0;
    for (uint32_t i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        if (w[i].error) fail_msg("thread %u: %s", i, w[i].error);
        acquires += w[i].acquires;
        races += w[i].frame_races;
    }
    /* close whatever frame is open: its transient buffers come back */
    if (bp_frame_begin(pool) == BP_ERR_FRAME_STATE) races++;
    assert_int_equal(bp_frame_end(pool), BP_OK);
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(s.acquires, acquires);
    assert_int_equal(s.releases, acquires);
    assert_int_equal(s.buffers_in_use, 0);
    assert_true(s.frame > 10);
    print_message("%llu acquires, %llu frames, %llu frame calls lost a race\n", (unsigned long long)acquires,
                  (unsigned long long)s.frame, (unsigned long long)races);
    fs_assert_exact(pool, fault);
    ts_check_and_destroy(pool);
    bp_fault_stats f;
    bp_fault_get_stats(fault, &f);
    assert_int_equal(f.live_buffers, 0);
    bp_fault_destroy(fault);
    assert_int_equal(ca.allocs, ca.frees);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(threads_share_one_pool)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
