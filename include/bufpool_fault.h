/**
 * @file bufpool_fault.h
 * @brief A fault-injecting backend wrapper, for testing what a pool does when its backend fails.
 *
 * Wraps any ::bp_backend and makes chosen calls fail: the k-th one, every k-th one, or each
 * with a seeded probability (SQLite's fault-injecting malloc, applied to buffer backends).
 * It also counts what the wrapped backend holds alive, so a test can check that a pool's
 * `bytes_reserved` is exact after every injected failure.
 *
 * Typical use:
 * @code
 * bp_backend host, wrapped;
 * bp_host_backend(NULL, &host);
 * bp_fault *fault;
 * bp_fault_create(&host, &(bp_fault_desc){.fail_at = 3}, &fault);  // 3rd create fails
 * bp_fault_backend(fault, &wrapped);
 * bp_pool_desc pd = {.backend = &wrapped};
 * ... bp_pool_create(&pd, &pool) ... bp_pool_destroy(pool);
 * bp_fault_destroy(fault);                                        // after the pool
 * @endcode
 */
#ifndef BUFPOOL_FAULT_H
#define BUFPOOL_FAULT_H

#include <stdint.h>

#include "bufpool_backend.h"

BP_BEGIN_DECLS

/** Backend calls the wrapper may fail (a bit set). */
enum bp_fault_ops {
    BP_FAULT_CREATE = 1u << 0,       /**< `create` */
    BP_FAULT_FLUSH = 1u << 1,        /**< `flush` (also the one after a host upload's memcpy) */
    BP_FAULT_INVALIDATE = 1u << 2,   /**< `invalidate` */
    BP_FAULT_UPLOAD = 1u << 3,       /**< `upload` (only when the wrapped backend has one) */
    BP_FAULT_DOWNLOAD = 1u << 4,     /**< `download` (only when the wrapped backend has one) */
    BP_FAULT_COPY = 1u << 5,         /**< `copy` (only when the wrapped backend has one) */
    BP_FAULT_QUERY_BUDGET = 1u << 6, /**< `query_budget` (only when the wrapped backend has one) */
    BP_FAULT_QUERY_CAPS = 1u << 7,   /**< `query_caps` */
    BP_FAULT_ALL = 0xFFu             /**< Every call above. */
};

/** When to fail. Zero-initialised: the counted calls are creates and nothing fails. */
typedef struct bp_fault_desc {
    uint32_t ops;        /**< ::bp_fault_ops counted and failed; 0 = ::BP_FAULT_CREATE. */
    uint64_t fail_at;    /**< Fail the k-th counted call after arming (1-based); 0 = off. */
    uint64_t fail_every; /**< Fail every k-th counted call; 0 = off. */
    double probability;  /**< Fail each counted call with this chance (0..1); 0 = off. */
    uint64_t seed;       /**< Seed of the probability's generator; 0 = a fixed default. */
    bp_result error;     /**< What a failed call returns; 0 (::BP_OK) = ::BP_ERR_OUT_OF_MEMORY. */
} bp_fault_desc;

/** What the wrapper has seen. */
typedef struct bp_fault_stats {
    uint64_t calls;        /**< Counted calls since the last arming. */
    uint64_t injected;     /**< Failures injected since the last arming. */
    uint64_t all_calls;    /**< Fallible calls of every kind since creation. */
    uint64_t creates;      /**< Buffers the wrapped backend created. */
    uint64_t destroys;     /**< Buffers destroyed. */
    uint64_t live_buffers; /**< Buffers alive in the wrapped backend now. */
    uint64_t live_bytes;   /**< Their capacity in bytes. */
    uint32_t released;     /**< 1 once the wrapped backend's `release` has run. */
} bp_fault_stats;

/** The wrapper's state. Opaque. */
typedef struct bp_fault bp_fault;

/**
 * Create a wrapper around `inner` (copied; the wrapper then owns it and releases it once,
 * when the pool using the wrapper is destroyed, or at ::bp_fault_destroy if no pool did).
 * @param inner the backend to wrap (version and required methods checked).
 * @param desc  when to fail; NULL = never.
 * @param out   receives the wrapper; NULL on failure.
 * @return ::BP_OK, ::BP_ERR_INVALID_ARGUMENT, ::BP_ERR_OUT_OF_MEMORY.
 * Cost: one malloc. Thread-safety: reentrant.
 * @ownership The caller destroys the wrapper with ::bp_fault_destroy, after the pool that used it.
 */
bp_result bp_fault_create(const bp_backend *inner, const bp_fault_desc *desc, bp_fault **out);

/**
 * Fill `out` with the wrapper's backend table, to put in ::bp_pool_desc::backend. Optional
 * methods of the wrapped backend stay optional: the table has `upload`, `download`, `copy`
 * and `query_budget` only where `inner` has them; `flush`, `invalidate` and `query_caps`
 * are always present (no-ops or ::BP_ERR_UNSUPPORTED where `inner` lacks them, which is how
 * a pool treats a missing method). Use the table with one pool at a time. A NULL wrapper
 * zeroes `out` (a table ::bp_pool_create refuses); a NULL `out` is ignored.
 * Cost: O(1). Thread-safety: the wrapper's counters are guarded by the pool's lock.
 * @ownership The table refers to the wrapper, which must outlive the pool that uses it.
 */
void bp_fault_backend(bp_fault *fault, bp_backend *out);

/**
 * Re-arm: replace when to fail (NULL = never) and restart the counted calls and injected
 * failures from zero. Alive counts are kept. Cost: O(1). Not thread-safe against pool calls.
 * @param fault the wrapper.
 * @param desc  when to fail; NULL = never.
 * @return ::BP_OK, ::BP_ERR_INVALID_ARGUMENT (NULL wrapper, `probability` outside 0..1 or
 *   NaN, as ::bp_fault_create checks it). On failure the wrapper stays armed as before and
 *   its counters are unchanged.
 * @ownership `desc` is copied.
 * @threadsafety Not thread-safe against calls of the pool that uses the wrapper.
 */
bp_result bp_fault_arm(bp_fault *fault, const bp_fault_desc *desc);

/**
 * Copy the counters into `out` (zeroed for a NULL wrapper). Cost: O(1).
 * @ownership Nothing to free; out-params belong to the caller.
 * @threadsafety Call when no pool call is running on the wrapper's pool.
 */
void bp_fault_get_stats(const bp_fault *fault, bp_fault_stats *out);

/**
 * Free the wrapper (after the pool that used it is destroyed); releases the wrapped backend
 * if no pool did. NULL is ignored.
 * @ownership Frees the wrapper (and releases the wrapped backend if no pool did).
 * @threadsafety No call may run on the wrapper or its pool.
 * @cost One free.
 */
void bp_fault_destroy(bp_fault *fault);

BP_END_DECLS
#endif /* BUFPOOL_FAULT_H */
