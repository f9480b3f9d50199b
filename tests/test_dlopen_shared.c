/* The shared library loaded with dlopen, as a plugin would load it: its thread caches' entry
 * is initial-exec TLS (internal/thread_cache.h), which a dlopen must find room for in the
 * static TLS block. Two threads on one thread_safe pool then hit through their caches. */
#include <dlfcn.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "bufpool.h"

typedef struct api {
    bp_result (*create)(const bp_pool_desc *, bp_pool **);
    void (*destroy)(bp_pool *);
    bp_result (*acquire)(bp_pool *, const bp_acquire_desc *, bp_buffer *);
    bp_result (*release)(bp_pool *, bp_buffer);
    void (*stats)(bp_pool *, bp_stats *);
} api;

typedef struct worker {
    const api *f;
    bp_pool *pool;
    uint64_t size;
    int failures;
} worker;

enum { PAIRS = 20000 };

static void *run(void *arg) {
    worker *w = arg;
    bp_acquire_desc d = {.size = w->size};
    for (int i = 0; i < PAIRS; i++) {
        bp_buffer b;
        if (w->f->acquire(w->pool, &d, &b) != BP_OK || w->f->release(w->pool, b) != BP_OK) w->failures++;
    }
    return NULL;
}

static void loads_with_dlopen_and_hits_on_two_threads(void **state) {
    (void)state;
    void *lib = dlopen(BP_SHARED_LIBRARY, RTLD_NOW | RTLD_LOCAL);
    if (!lib) fail_msg("dlopen %s: %s", BP_SHARED_LIBRARY, dlerror());
    api f;
    *(void **)&f.create = dlsym(lib, "bp_pool_create");
    *(void **)&f.destroy = dlsym(lib, "bp_pool_destroy");
    *(void **)&f.acquire = dlsym(lib, "bp_acquire");
    *(void **)&f.release = dlsym(lib, "bp_release");
    *(void **)&f.stats = dlsym(lib, "bp_get_stats");
    assert_true(f.create && f.destroy && f.acquire && f.release && f.stats);
    bp_pool *pool;
    bp_pool_desc pd = {.thread_safe = true, .frames_in_flight = BP_IMMEDIATE_REUSE};
    assert_int_equal(f.create(&pd, &pool), BP_OK);
    worker w[2] = {{&f, pool, 4096, 0}, {&f, pool, 65536, 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&t[i], NULL, run, &w[i]), 0);
    for (int i = 0; i < 2; i++) assert_int_equal(pthread_join(t[i], NULL), 0);
    assert_int_equal(w[0].failures + w[1].failures, 0);
    bp_stats st;
    f.stats(pool, &st);
    assert_int_equal(st.acquires, 2 * PAIRS);
    assert_int_equal(st.releases, 2 * PAIRS);
    assert_int_equal(st.buffers_in_use, 0);
    assert_true(st.misses <= 4); /* one size a thread: the rest are hits */
    f.destroy(pool);
    assert_int_equal(dlclose(lib), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(loads_with_dlopen_and_hits_on_two_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
