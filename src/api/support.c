/* Small services every layer uses: metadata allocation, clock, errors, logging, the pool lock. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#ifdef __linux__
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>
#else
#include <sched.h>
#endif

#include "internal/libc_alloc.h"
#include "internal/pool.h"

/* Arrays of a cache line or more (the slot table, buckets, class counters) start on a line
 * and fill whole lines, so no other object, another thread's pool's included, shares them. */
void *bpi_alloc_aligned(bp_pool *pool, size_t size, size_t alignment) {
    bpi_callback_guard g = bpi_callback_enter(pool); /* e.g. inside a handle table growth */
    void *p = pool->alloc.alloc(pool->alloc.user, size, alignment);
    bpi_callback_leave(pool, g);
    return p;
}

void *bpi_alloc(bp_pool *pool, size_t size) {
    if (size < BPI_CACHE_LINE) return bpi_alloc_aligned(pool, size, 16);
    return bpi_alloc_aligned(pool, bpi_line_round(size), BPI_CACHE_LINE);
}

void bpi_free(bp_pool *pool, void *ptr) {
    if (!ptr) return;
    bpi_callback_guard g = bpi_callback_enter(pool);
    pool->alloc.free(pool->alloc.user, ptr);
    bpi_callback_leave(pool, g);
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

/* The application's clock, a callback like any other; out of line so that the default
 * clock, read at every frame end, saves no registers for it. */
BPI_NOINLINE static double user_clock(bp_pool *pool) {
    bpi_callback_guard g = bpi_callback_enter(pool);
    double t = pool->desc.clock(pool->desc.clock_user);
    bpi_callback_leave(pool, g);
    return t;
}

double bpi_clock(bp_pool *pool) {
    if (pool->desc.clock) return user_clock(pool);
    struct timespec ts;
    clock_gettime(BPI_DEFAULT_CLOCK, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void vlog(bp_pool *pool, bp_log_level level, bp_log_item item, const char *fmt, va_list ap) {
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (level == BP_LOG_ERROR) memcpy(pool->last_error, msg, sizeof pool->last_error - 1);
    /* Not from inside the logger itself: a logger that calls the pool on every message would
     * recurse on the messages of its own refused calls. */
    if (!pool->desc.logger.func || pool->in_logger) return;
    bpi_callback_guard g = bpi_callback_enter(pool);
    pool->in_logger = true;
    pool->desc.logger.func(pool->desc.logger.user, level, item, msg);
    pool->in_logger = false;
    bpi_callback_leave(pool, g);
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

/* The pool lock of thread_safe pools. Uncontended, a lock is one CAS and an unlock one
 * release store. lock_word is 0 free, 1 held. A thread that finds it held spins a little,
 * then counts itself in lock_waiters and sleeps (futex) on lock_wake, which an unlock that
 * sees waiters turns from 0 to 1, waking one sleeper; the flag stays 1 until a woken thread
 * looks at the lock again, so a burst of unlocks makes one system call, not one each.
 * Recursion goes by owner id, which the eviction callback needs (it releases buffers inside
 * an acquire); only the holder ever finds its own id in lock_owner, so a relaxed load tells
 * re-entry.
 *
 * The unlock stores 0 and then reads lock_waiters with no fence between, which alone could
 * miss a thread that counted itself just then and saw the lock still held (the 0 still in
 * the unlocker's store buffer): it would sleep with nobody to wake it. The sleeping side pays
 * for the fence instead: after counting itself, a waiter calls
 * membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), a full barrier on every CPU running this
 * process, so either the unlocker sees the count or the waiter sees the 0 (the asymmetric
 * Dekker of liburcu and folly). Where there is no membarrier, the unlock exchanges the word
 * instead of storing it, a full barrier of its own. */
static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* This thread's id: its thread pointer (one instruction), else pthread_self(). */
static inline uintptr_t thread_id(void) {
#if defined(__x86_64__) && defined(__has_builtin)
#if __has_builtin(__builtin_thread_pointer)
    return (uintptr_t)__builtin_thread_pointer();
#endif
#endif
    return (uintptr_t)pthread_self();
}

bool bpi_lock_held_here(const bp_pool *pool) {
    return atomic_load_explicit(&pool->lock_owner, memory_order_relaxed) == thread_id();
}

#if defined(__linux__) && defined(SYS_membarrier)
#define HAVE_MEMBARRIER 1
#else
#define HAVE_MEMBARRIER 0
#endif

/* 1: waiters fence with membarrier, unlocks store; -1: no membarrier, unlocks exchange; 0:
 * not asked yet (unlocks exchange). Set once, from 0, by the first unlock or waiter. */
static atomic_int heavy_fence_state;

#if HAVE_MEMBARRIER
static bool membarrier_call(int cmd) { return syscall(SYS_membarrier, cmd, 0, 0) == 0; }
#endif

static int heavy_fence_setup(void) {
    int state = atomic_load(&heavy_fence_state);
    if (state) return state;
    int want = -1;
#if HAVE_MEMBARRIER
    if (membarrier_call(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED)) want = 1;
#endif
    atomic_compare_exchange_strong(&heavy_fence_state, &state, want);
    return atomic_load(&heavy_fence_state);
}

/* The waiter's side of the fence; false when it could not be made (sleep with a timeout). */
static bool heavy_fence(void) {
    if (heavy_fence_setup() < 0) return true; /* unlocks exchange */
#if HAVE_MEMBARRIER
    /* a registration is per process: a child of fork() may need its own */
    return membarrier_call(MEMBARRIER_CMD_PRIVATE_EXPEDITED) ||
           (membarrier_call(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) &&
            membarrier_call(MEMBARRIER_CMD_PRIVATE_EXPEDITED));
#else
    return false;
#endif
}

/* Sleep while *word is 0 (wake = false; at most 1 ms when `timed`), or wake one sleeper. */
static void lock_futex(atomic_int *word, bool wake, bool timed) {
#ifdef __linux__
    struct timespec ms = {0, 1000000};
    syscall(SYS_futex, word, wake ? FUTEX_WAKE_PRIVATE : FUTEX_WAIT_PRIVATE, wake ? 1 : 0, timed ? &ms : NULL,
            NULL, 0);
#else
    (void)word, (void)timed;
    if (!wake) sched_yield();
#endif
}

/* Take the lock if it is free; `tries` times, pausing between, twice as long each time up to
 * 128 pauses (about 3 us here). Each look pulls the lock's cache line away from the holder,
 * so a waiter that looks less often lets the holder run at one thread's speed: two threads
 * hammering one pool measured 30 M pairs/s with this backoff, 10 M with a pause between
 * looks. */
static bool try_take(atomic_int *word, int tries) {
    for (int i = 0, pauses = 1; i < tries; i++) {
        int expected = 0;
        if (atomic_load(word) == 0 && atomic_compare_exchange_strong(word, &expected, 1)) return true;
        for (int k = 0; k < pauses; k++) cpu_relax();
        if (pauses < 128) pauses *= 2;
    }
    return false;
}

/* The lock was held: by this thread (re-entry from the eviction callback), or by another,
 * then spin a while (the holder's critical section is short) and sleep until woken. */
BPI_NOINLINE static void lock_contended(bp_pool *pool) {
    if (bpi_lock_held_here(pool)) {
        pool->lock_depth++;
        return;
    }
    if (!try_take(&pool->lock_word, 32)) { /* about 80 us of looking, then sleep */
        atomic_fetch_add(&pool->lock_waiters, 1);
        bool fenced = heavy_fence();
        for (;;) {
            if (try_take(&pool->lock_word, 8)) break;
            /* Cleared before the last look at the word: an unlock after it sets it again, so
             * the futex sees 1 and does not sleep, or wakes us. */
            atomic_store(&pool->lock_wake, 0);
            if (try_take(&pool->lock_word, 1)) break;
            lock_futex(&pool->lock_wake, false, !fenced);
        }
        atomic_store(&pool->lock_wake, 0); /* the next unlock wakes another sleeper, if any */
        atomic_fetch_sub(&pool->lock_waiters, 1);
    }
    atomic_store_explicit(&pool->lock_owner, thread_id(), memory_order_relaxed);
    pool->lock_depth = 1;
}

/* The pool lock, then (not when re-entered) every thread cache's, their buffers as `mode` says:
 * see lifecycle/thread_cache.c. */
void bpi_mutex_lock_ex(bp_pool *pool, bpi_cache_mode mode) {
    int expected = 0;
    if (!atomic_compare_exchange_strong_explicit(&pool->lock_word, &expected, 1, memory_order_acquire,
                                                 memory_order_relaxed)) {
        lock_contended(pool);
    } else {
        atomic_store_explicit(&pool->lock_owner, thread_id(), memory_order_relaxed);
        pool->lock_depth = 1;
    }
    if (pool->lock_depth == 1 && pool->tcache_count) bpi_tcache_stop(pool, mode);
}

void bpi_mutex_lock(bp_pool *pool) { bpi_mutex_lock_ex(pool, BPI_CACHES_FLUSH); }

/* Someone waits: wake one sleeper, unless one was woken and has not looked yet. */
BPI_NOINLINE static void wake_one(bp_pool *pool) {
    if (!atomic_exchange(&pool->lock_wake, 1)) lock_futex(&pool->lock_wake, true, false);
}

/* Without membarrier (or before asking, the first time in the process), the unlock is a full
 * barrier of its own. */
BPI_NOINLINE static void unlock_exchange(bp_pool *pool) {
    heavy_fence_setup();
    atomic_exchange(&pool->lock_word, 0);
}

void bpi_mutex_unlock(bp_pool *pool) {
    if (pool->lock_depth == 1 && pool->tcache_count) bpi_tcache_resume(pool);
    if (--pool->lock_depth) return;
    atomic_store_explicit(&pool->lock_owner, 0, memory_order_relaxed);
    if (atomic_load_explicit(&heavy_fence_state, memory_order_relaxed) > 0) {
        atomic_store_explicit(&pool->lock_word, 0, memory_order_release);
        atomic_signal_fence(memory_order_seq_cst); /* the compiler keeps the store before the load */
    } else {
        unlock_exchange(pool);
    }
    if (atomic_load(&pool->lock_waiters)) wake_one(pool);
}
