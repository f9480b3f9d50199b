/* Small services every layer uses: metadata allocation, clock, errors, logging, the pool lock. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#else
#include <sched.h>
#endif

#include "internal/pool.h"

void *bpi_alloc(bp_pool *pool, size_t size) {
    return pool->alloc.alloc(pool->alloc.user, size, 16);
}

void bpi_free(bp_pool *pool, void *ptr) {
    if (ptr) pool->alloc.free(pool->alloc.user, ptr);
}

/* Every frame end of a dynamic pool reads the clock, for idle times counted in seconds: the
 * kernel tick's resolution (1-4 ms) is plenty, and the coarse clock is read from the vDSO
 * without the time-stamp counter (measured: 7 ns a read against 23 for CLOCK_MONOTONIC, a
 * third of an empty frame end). Both count from the same point, so readings compare. */
#ifdef CLOCK_MONOTONIC_COARSE
#define BPI_DEFAULT_CLOCK CLOCK_MONOTONIC_COARSE
#else
#define BPI_DEFAULT_CLOCK CLOCK_MONOTONIC
#endif

double bpi_clock(bp_pool *pool) {
    if (pool->desc.clock) return pool->desc.clock(pool->desc.clock_user);
    struct timespec ts;
    clock_gettime(BPI_DEFAULT_CLOCK, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void vlog(bp_pool *pool, bp_log_level level, bp_log_item item, const char *fmt, va_list ap) {
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (level == BP_LOG_ERROR) memcpy(pool->last_error, msg, sizeof pool->last_error - 1);
    if (pool->desc.logger.func) pool->desc.logger.func(pool->desc.logger.user, level, item, msg);
}

void bpi_log(bp_pool *pool, bp_log_level level, bp_log_item item, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vlog(pool, level, item, fmt, ap);
    va_end(ap);
}

bp_result bpi_fail(bp_pool *pool, bp_result r, bp_log_item item, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vlog(pool, BP_LOG_ERROR, item, fmt, ap);
    va_end(ap);
    pool->stats.errors++;
    return r;
}

/* The pool lock of thread_safe pools: a futex word (0 free, 1 held, 2 held with sleepers;
 * Drepper, "Futexes Are Tricky", mutex 2), a short spin before sleeping, and recursion by
 * owner id, which the eviction callback needs (it releases buffers inside an acquire). A
 * third of the instructions of glibc's recursive mutex. Only the holder ever finds its own
 * id in lock_owner, so a relaxed load tells re-entry. */
static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Sleep while the word is 2 (wake = false), or wake one sleeper. */
static void lock_futex(atomic_int *word, bool wake) {
#ifdef __linux__
    syscall(SYS_futex, word, wake ? FUTEX_WAKE_PRIVATE : FUTEX_WAIT_PRIVATE, wake ? 1 : 2, NULL, NULL, 0);
#else
    (void)word;
    if (!wake) sched_yield();
#endif
}

static bool try_take(atomic_int *word) {
    int expected = 0;
    return atomic_compare_exchange_strong_explicit(word, &expected, 1, memory_order_acquire, memory_order_relaxed);
}

void bpi_mutex_lock(bp_pool *pool) {
    uintptr_t self = (uintptr_t)pthread_self();
    if (atomic_load_explicit(&pool->lock_owner, memory_order_relaxed) == self) {
        pool->lock_depth++;
        return;
    }
    atomic_int *word = &pool->lock_word;
    bool taken = try_take(word);
    for (int spin = 0; !taken && spin < 100; spin++) {
        cpu_relax();
        taken = atomic_load_explicit(word, memory_order_relaxed) == 0 && try_take(word);
    }
    if (!taken)
        while (atomic_exchange_explicit(word, 2, memory_order_acquire) != 0) lock_futex(word, false);
    atomic_store_explicit(&pool->lock_owner, self, memory_order_relaxed);
    pool->lock_depth = 1;
}

void bpi_mutex_unlock(bp_pool *pool) {
    if (--pool->lock_depth) return;
    atomic_store_explicit(&pool->lock_owner, 0, memory_order_relaxed);
    if (atomic_exchange_explicit(&pool->lock_word, 0, memory_order_release) == 2) lock_futex(&pool->lock_word, true);
}
