/**
 * @file bufpool.h
 * @brief bufpool: leak-proof, bounded buffer pools for programs that run in frames.
 *
 * A pool (::bp_pool) hands out buffers (::bp_buffer handles) of any size, reuses them
 * instead of re-creating them, returns transient buffers at frame end, delays reuse until
 * the GPU can no longer read them (`frames_in_flight`), caps what it retains, and reports
 * what the program forgot to release.
 *
 * Conventions:
 * - Every fallible call returns ::bp_result; on failure out-params are set to invalid and
 *   the pool is unchanged.
 * - Handles are values, never pointers: a zero, stale, foreign or doubly released handle is
 *   reported with a distinct code and never crashes.
 * - Descs are zero-initialised; every zero field means "default".
 * - Thread-safety: a pool created with `thread_safe` may be called from any thread; otherwise
 *   one thread at a time per pool. Different pools are independent.
 * - Cost: `bp_get_*` calls are O(1); `bp_calculate_*` calls walk every buffer.
 */
#ifndef BUFPOOL_H
#define BUFPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bufpool_backend.h"

BP_BEGIN_DECLS

/** @name Version (the one place the version number lives) */
/** @{ */
#define BP_VERSION_MAJOR 0 /**< Major version. */
#define BP_VERSION_MINOR 1 /**< Minor version. */
#define BP_VERSION_PATCH 0 /**< Patch version. */
/** The version as one number, major * 10000 + minor * 100 + patch. */
#define BP_VERSION (BP_VERSION_MAJOR * 10000 + BP_VERSION_MINOR * 100 + BP_VERSION_PATCH)
#define BP_STRINGIFY_(x) #x /**< Helper of ::BP_STRINGIFY. */
#define BP_STRINGIFY(x) BP_STRINGIFY_(x) /**< Expands `x`, then makes it a string literal. */
/** The version as text, "MAJOR.MINOR.PATCH". */
#define BP_VERSION_STRING BP_STRINGIFY(BP_VERSION_MAJOR) "." BP_STRINGIFY(BP_VERSION_MINOR) "." BP_STRINGIFY(BP_VERSION_PATCH)
/** @} */

/** A pool: one per device/backend. Opaque. */
typedef struct bp_pool bp_pool;

/** A buffer handle: slot index (low 32 bits) | generation << 32. Zero is invalid. */
typedef struct bp_buffer {
    uint64_t id; /**< The handle's value; 0 = no buffer. */
} bp_buffer;

/** The invalid handle. */
#define BP_INVALID_BUFFER ((bp_buffer){0})

/** A value meaning "never" / "disabled" for 32-bit count options whose zero means default. */
#define BP_NEVER UINT32_MAX
/** A value meaning "disabled" for 64-bit byte options whose zero means default. */
#define BP_UNLIMITED UINT64_MAX
/** `frames_in_flight` value for CPU-only pools: a released buffer is reusable at once. */
#define BP_IMMEDIATE_REUSE UINT32_MAX

/** How request sizes are rounded to size classes. */
typedef enum bp_class_scheme {
    BP_CLASSES_FINE = 0, /**< 8 classes per power of two: at most 12.5% rounding waste. Default. */
    BP_CLASSES_POW2 = 1  /**< Powers of two (seed 000's buckets): up to 50% waste, fewer classes. */
} bp_class_scheme;

/** How the pool may grow. */
typedef enum bp_capacity_mode {
    BP_CAPACITY_DYNAMIC = 0,   /**< Create on miss, trim when idle. Default. */
    BP_CAPACITY_FIXED = 1,     /**< Everything preallocated at create; beyond that ::BP_ERR_CAPACITY. */
    BP_CAPACITY_HIGH_WATER = 2 /**< Grow to the largest demand seen; no idle trimming or retention
                                    caps (a miss under a budget or the backend's allocation cap
                                    may still destroy pooled buffers to make room). */
} bp_capacity_mode;

/** One row of a fixed-capacity table: `count` buffers of `size` bytes in `memory`. */
typedef struct bp_capacity_entry {
    uint64_t size;    /**< Bytes per buffer (rounded up to its size class). */
    uint32_t count;   /**< How many to preallocate. */
    bp_memory memory; /**< Memory kind. */
    uint32_t usage;   /**< Usage bits; 0 = all. */
} bp_capacity_entry;

/** Flags of ::bp_acquire_desc. */
enum bp_acquire_flags {
    BP_ACQUIRE_TRANSIENT = 1u << 0, /**< Returned automatically by the next ::bp_frame_end. */
    BP_ACQUIRE_ZERO = 1u << 1,      /**< Contents zeroed before the buffer is handed out (mapped memory). */
    BP_ACQUIRE_NO_SCOPE = 1u << 2   /**< Not released by an enclosing scope's end. */
};

/** What to acquire. Zero-initialise, then set `size` at least. */
typedef struct bp_acquire_desc {
    uint64_t size;      /**< Bytes needed; must be > 0. */
    bp_memory memory;   /**< Memory kind; default device-local. */
    uint32_t usage;     /**< ::bp_usage_bits; 0 = all usages. */
    uint32_t flags;     /**< ::bp_acquire_flags. */
    uint64_t owner;     /**< Owner id (an entity); 0 = none. */
    const char *tag;    /**< Static string naming the use, shown in leak reports; may be NULL. */
    uint64_t alignment; /**< Minimum alignment; 0 = the backend's. Must be a power of two. */
} bp_acquire_desc;

/** What a handle refers to now. */
typedef struct bp_buffer_info {
    uint64_t size;              /**< Bytes requested. */
    uint64_t capacity;          /**< Bytes reserved (size class, >= size). */
    bp_memory memory;           /**< Memory kind really used. */
    uint32_t usage;             /**< Usage bits the native buffer has. */
    uint32_t flags;             /**< The acquire flags. */
    uint32_t native_generation; /**< Times the native buffer behind this handle was replaced (starts at 1). */
    void *mapped;               /**< Host pointer, or NULL for unmapped device memory. */
    uint64_t offset;            /**< Offset of the buffer inside `native_memory`. */
    uint64_t native;            /**< Backend handle (VkBuffer, cl_mem, host address...). */
    uint64_t native_memory;     /**< Backing allocation (VkDeviceMemory) or 0. */
    uint64_t owner;             /**< Owner id or 0. */
    const char *tag;            /**< Tag or NULL. */
    uint64_t acquire_frame;     /**< Frame index when acquired. */
} bp_buffer_info;

/** Severity of a log message. */
typedef enum bp_log_level {
    BP_LOG_ERROR = 0, /**< A call failed because of the caller (bad handle, bad argument). */
    BP_LOG_WARNING,   /**< Something to look at (leaks at destroy, memory over threshold). */
    BP_LOG_INFO,      /**< Periodic diagnostics. */
    BP_LOG_DEBUG      /**< Chatty detail. */
} bp_log_level;

/** Stable identifiers of log items, so programs can filter or count them. */
typedef enum bp_log_item {
    BP_LOG_ITEM_NONE = 0,          /**< Unclassified. */
    BP_LOG_ITEM_BAD_ARGUMENT,      /**< An argument failed validation. */
    BP_LOG_ITEM_BAD_HANDLE,        /**< Zero, stale or foreign handle. */
    BP_LOG_ITEM_DOUBLE_RELEASE,    /**< A buffer released twice. */
    BP_LOG_ITEM_FRAME_ORDER,       /**< Frame calls out of order. */
    BP_LOG_ITEM_LEAK,              /**< A buffer still held at pool destruction (one per buffer). */
    BP_LOG_ITEM_LEAK_SUMMARY,      /**< Totals of the leak report. */
    BP_LOG_ITEM_WARN_THRESHOLD,    /**< Reserved bytes crossed the warning threshold. */
    BP_LOG_ITEM_BACKEND_FAILURE,   /**< The backend failed a call. */
    BP_LOG_ITEM_BUDGET,            /**< Budget exceeded or eviction ran. */
    BP_LOG_ITEM_CAPACITY,          /**< A fixed-capacity pool ran out. */
    BP_LOG_ITEM_DIAGNOSTICS,       /**< Periodic diagnostics line. */
    BP_LOG_ITEM_CORRUPTION,        /**< Guard bytes overwritten. */
    BP_LOG_ITEM_SCOPE              /**< Bad scope mark. */
} bp_log_item;

/** Logger callback; the library is silent without one. `message` is valid during the call.
 * Every callback of a pool but the eviction callback (the logger, the warning callback, the
 * clock, the metadata allocator, a backend's functions, the plot hook) may read the pool's
 * statistics (::bp_get_stats, ::bp_stats_to_json); any other call of that pool from inside one
 * gets ::BP_ERR_BUSY, and ::bp_pool_destroy is refused (logged; the pool stays usable). The
 * messages of calls refused inside the logger are not passed to the logger again. */
typedef struct bp_logger {
    void (*func)(void *user, bp_log_level level, bp_log_item item, const char *message); /**< Callback. */
    void *user; /**< Passed to `func`. */
} bp_logger;

struct bp_stats;
/** Called when reserved bytes first exceed `warn_reserved_bytes` (re-armed when they fall below);
 *  `stats` is valid during the call only. */
typedef void (*bp_warning_fn)(void *user, bp_pool *pool, const struct bp_stats *stats);
/** A monotonic clock in seconds; injectable so tests need not sleep. */
typedef double (*bp_clock_fn)(void *user);
/**
 * Budget eviction callback (seed 001's emergency culling). Called under the pool's lock with
 * the bytes needed and the owners sorted by priority, lowest first. The application may call
 * ::bp_release and ::bp_owner_release from inside it (and nothing else of this pool: other
 * calls get ::BP_ERR_BUSY, ::bp_pool_destroy is refused and logged).
 */
typedef void (*bp_evict_fn)(void *user, bp_pool *pool, uint64_t bytes_needed,
                            const uint64_t *owners_by_priority, uint32_t owner_count);

/** One named value for a profiler plot, e.g. {"bufpool.reserved_mb", 12.5}. */
typedef struct bp_plot_value {
    const char *name; /**< Static string: "bufpool.reserved_mb", "bufpool.hit_rate", ... */
    double value;     /**< The value at the end of the frame. */
} bp_plot_value;
/**
 * Profiler hook, called at the end of every frame (inside ::bp_frame_end, under the pool's
 * lock) with `count` named values: `bufpool.reserved_mb`, `bufpool.in_use_mb`,
 * `bufpool.pooled_mb`, `bufpool.pending_mb` (MiB), `bufpool.hit_rate` (0..1, this frame's
 * acquires; 1 when none), `bufpool.acquires`, `bufpool.creates`, `bufpool.destroys` (this
 * frame). `values` is valid during the call only. The hook must not call this pool.
 */
typedef void (*bp_plot_fn)(void *user, bp_pool *pool, const bp_plot_value *values, uint32_t count);

/** Options of a pool. Zero-initialise; every zero field means its default. */
typedef struct bp_pool_desc {
    /** Backend table (copied; the pool owns it). NULL = the host backend in block mode, made by
     *  the pool (::BP_HOST_DEFAULT_BLOCK_SIZE, ::bp_get_host_backend_stats). */
    const bp_backend *backend;
    const char *name;              /**< Name used in logs and reports; default "bufpool". */
    bp_class_scheme class_scheme;  /**< Size classes; default ::BP_CLASSES_FINE. */
    /** Retention cap per class (seed 000's 8 per bucket); 0 = 8; ::BP_NEVER = no cap. It holds
     *  at each frame end, as seed 000's periodic cleanup: within a frame a class keeps every
     *  buffer released to it, so a size released and asked for again in the same frame is a
     *  hit, and ::bp_frame_end trims each class to its cap, keeping the buffers a cap at each
     *  release would have kept (it destroys the last released). With frames in flight, the
     *  buffers a frame end takes from the pending FIFO are kept for the next frame over the
     *  cap too, and the frame end after it trims. Outside a frame (and in a pool that never
     *  opens one) a release over the cap destroys the buffer at once. */
    uint32_t max_pooled_per_class;
    uint64_t max_pooled_bytes;     /**< Cap on bytes kept pooled; 0 = unlimited. */
    /** Size classes above a request's own that its miss may take a pooled buffer from, when that
     *  buffer has lain unused since before the previous frame (from 64 KiB up, since before this
     *  frame: a miss there is a large allocation): memory a nearby size no longer
     *  needs serves the request instead of a new buffer (its capacity is its own class's; it goes
     *  back to that class when released). The peak of held bytes drops where demand moves between
     *  sizes (bench/RESULTS.md's workloads); a request whose class has pooled buffers never looks.
     *  0 = with ::BP_CLASSES_FINE 1 below 64 KiB and 8 from 64 KiB up (at most 12.5% more
     *  capacity / up to twice the size: a miss of a large size is a large allocation, and saving
     *  one saves more; the benchmark's random workload held 21% less than with 2), none
     *  with ::BP_CLASSES_POW2 (one class up is twice the size); N = N at every size; ::BP_NEVER =
     *  only the request's own class. Dynamic and high-water pools (a fixed pool takes any larger
     *  class when its own is empty). */
    uint32_t reuse_larger_classes;
    /** Retention caps follow demand (dynamic pools; on by default): each released buffer a
     *  class's cap destroyed lets one later miss of that class (of the same memory kind and
     *  usage) raise its cap by one, so a loop that holds more buffers of one size at once than
     *  `max_pooled_per_class` misses for one frame, not every frame (a fixed cap would destroy at
     *  each frame end what the next frame asks for again: a create and a destroy per buffer per
     *  frame, the stutter a pool exists to remove). Misses the cap did not cause raise nothing, so
     *  a class keeps at most what it held at once. Idle trimming and ::bp_trim_older_than lower a
     *  raised cap by one per buffer they destroy, never below `max_pooled_per_class`;
     *  ::bp_set_max_pooled and ::bp_trim with `everything` reset every cap. `max_pooled_bytes`
     *  still bounds the total. The current caps: `bp_class_stats.max_pooled`. No cost on a hit or
     *  a release under the cap. 0 = on (the default); ::BP_NEVER = off, caps stay at
     *  `max_pooled_per_class` (seed 000's fixed 8 per bucket); any other value = on. */
    uint32_t retain_demand;
    /** Headroom of pooled memory over demand, in percent (dynamic pools; off by default):
     *  before a miss creates a buffer that would take the bytes the pool reserves (in use,
     *  pooled and pending) past the most bytes ever in use at once (this buffer counted) plus
     *  this percentage (at least 4 MiB), the oldest pooled buffers are destroyed, down to half
     *  the headroom. Retention caps count per class, so a pool whose demand moves between sizes
     *  keeps each class's own peak at once: the benchmark's random workload (log-uniform sizes,
     *  random lifetimes) holds 1.74 times its requested peak. In host blocks the pages of the
     *  buffers it destroys stay held until a range uses them again, so the held peak falls with
     *  the host backend's `hold_at_peak` as well: 10% here and that, 1.26 times, for 87% of its
     *  acquires hitting instead of 99%; where the program writes its buffers, those misses
     *  fault pages in again (bench/RESULTS-write-pages.md), hence off. Held buffers are never
     *  destroyed for it. 0 or ::BP_NEVER = off. */
    uint32_t pooled_headroom;
    uint32_t frames_in_flight;     /**< Frames before a released buffer is reusable; 0 = 2; ::BP_IMMEDIATE_REUSE. */
    uint32_t idle_trim_frames;     /**< Destroy a pooled buffer idle this many frames; 0 = 300; ::BP_NEVER.
                                        Frame ends destroy idle buffers in batches: one may stay up to 1/16 of
                                        this longer (exact under 16 frames). */
    double idle_trim_seconds;      /**< Destroy a pooled buffer idle this long (seed 002); 0 = 30; < 0 = never.
                                        Idle since the clock reading before its release (see ::bp_trim_older_than). */
    uint64_t warn_reserved_bytes;  /**< Warning threshold (seed 000); 0 = 100 MiB; ::BP_UNLIMITED = off. */
    /** Memory budget (seed 001); 0 = none (or the backend's, see `use_device_budget`). It counts
     *  the pool's buffers (their capacities, pooled and pending ones too), not what a backend in
     *  block mode holds around them: with the default host blocks the free space in blocks is
     *  outside it (see ::BP_HOST_DEFAULT_BLOCK_SIZE; one allocation per buffer keeps it close). */
    uint64_t budget_bytes;
    bool use_device_budget;        /**< Take the budget from the backend's `query_budget` when `budget_bytes` is 0. */
    bool thread_safe;              /**< Guard every call with a mutex. Each thread that acquires also gets a
                                        cache (not in fixed pools): its plain acquires of one memory kind and
                                        usage, and its releases of what it acquired, take the cache's lock
                                        instead of the pool's, so threads on one pool do not take turns. Any
                                        other call puts cached buffers back first and sees exact counts; the
                                        peaks (in use, requested) are then an upper bound while several
                                        threads use caches (exact with one). */
    bool no_thread_cache;          /**< A thread_safe pool without thread caches: every call takes the lock. */
    bool zero_on_release;          /**< Zero mapped contents when a buffer is released (seed 002). */
    bool poison_on_release;        /**< Fill released mapped buffers with 0xDD (debug). */
    /** Debug: every buffer is created this many bytes larger; for mapped memory those bytes
     *  after the usable capacity hold a pattern checked at ::bp_release (::BP_ERR_CORRUPTION,
     *  the buffer is released anyway) and when the buffer is destroyed (trim, pool destroy),
     *  each damage logged once as ::BP_LOG_ITEM_CORRUPTION with the buffer's tag. Byte
     *  counters include the guards; `bp_buffer_info.capacity` does not. 0 = off (no cost). */
    uint32_t guard_bytes;
    bp_capacity_mode capacity_mode;           /**< Growth policy; default dynamic. */
    const bp_capacity_entry *capacity_table;  /**< Preallocation table (required by fixed mode; in a dynamic
                                                   pool a warm-up that its retention caps then apply to). */
    uint32_t capacity_table_count;            /**< Rows in `capacity_table`. */
    uint32_t max_buffers;          /**< Cap on live buffers (handle slots); 0 = 1<<24. */
    uint32_t series_frames;        /**< Frames kept in the time-series ring (72 bytes each, allocated at create); 0 = off. */
    bp_allocator allocator;        /**< Host metadata allocator; zeroes = libc. */
    bp_logger logger;              /**< Logger; zeroes = silent. */
    bp_warning_fn warning;         /**< Warning threshold callback; may be NULL. */
    void *warning_user;            /**< Passed to `warning`. */
    bp_evict_fn evict;             /**< Eviction callback for budgets; may be NULL. */
    void *evict_user;              /**< Passed to `evict`. */
    bp_clock_fn clock;             /**< Clock in seconds, read at every frame end of a dynamic pool; NULL = CLOCK_MONOTONIC_COARSE (the kernel tick, 1-4 ms: idle times are seconds; without it CLOCK_MONOTONIC), which frames shorter than a millisecond read every 2-16 frame ends only (see ::bp_trim_older_than). */
    void *clock_user;              /**< Passed to `clock`. */
    uint32_t diagnostics_every_frames; /**< Log a ::BP_LOG_ITEM_DIAGNOSTICS line (::BP_LOG_INFO) every N frame ends; 0 = never. */
    bp_plot_fn plot;               /**< Profiler hook: named values at every frame end; may be NULL. */
    void *plot_user;               /**< Passed to `plot`. */
    /**
     * Record every acquire, release and frame end to this file in the trace format of
     * `bufpool replay` (`A id bytes`, `R id`, `F`). NULL = the environment variable
     * `BUFPOOL_TRACE` if set (later pools of the process append `.2`, `.3`...), else off.
     * Ids are the handles' values. The pool fails to create (::BP_ERR_INVALID_ARGUMENT) when
     * the file cannot be opened. Costs one formatted line per event; no allocation per event.
     */
    const char *trace_path;
} bp_pool_desc;

/** Counters of a pool; all O(1) to read (maintained incrementally). */
typedef struct bp_stats {
    uint64_t bytes_reserved;      /**< Bytes the backend holds for this pool (every live buffer). */
    uint64_t bytes_in_use;        /**< Capacity of buffers held by the application. */
    uint64_t bytes_requested;     /**< Sizes the application asked for, of buffers it holds. */
    uint64_t bytes_pooled;        /**< Capacity of buffers ready for reuse. */
    uint64_t bytes_pending;       /**< Capacity of released buffers waiting for frames in flight. */
    uint64_t peak_reserved;       /**< Highest `bytes_reserved` seen. */
    uint64_t peak_in_use;         /**< Highest `bytes_in_use` seen. */
    uint64_t peak_requested;      /**< Highest `bytes_requested` seen. */
    uint32_t buffers_in_use;      /**< Buffers held by the application. */
    uint32_t buffers_pooled;      /**< Buffers ready for reuse. */
    uint32_t buffers_pending;     /**< Buffers waiting for frames in flight. */
    uint32_t buffers_total;       /**< All live buffers (the three above). */
    uint64_t acquires;            /**< Successful acquires. */
    uint64_t releases;            /**< Releases (explicit, transient, scope, owner). */
    uint64_t hits;                /**< Acquires served from the pool. */
    uint64_t misses;              /**< Acquires that created a buffer. */
    double hit_rate;              /**< hits / acquires (0 when none). Seed 000's reuse ratio. */
    uint64_t backend_creates;     /**< Backend create calls that succeeded. */
    uint64_t backend_destroys;    /**< Backend destroy calls. */
    uint64_t trims;               /**< Pooled buffers destroyed: retention caps, idle trimming, trim calls,
                                       room made under a budget, an allocation cap or `pooled_headroom`. */
    uint64_t evictions;           /**< Eviction callback rounds run for the budget. */
    uint64_t budget_failures;     /**< Acquires refused with ::BP_ERR_BUDGET. */
    uint64_t capacity_failures;   /**< Acquires refused with ::BP_ERR_CAPACITY. */
    uint64_t errors;              /**< Errors logged: failed calls (not those refused before the pool is
                                       read, such as NULL arguments) and guard damage found when a
                                       buffer is destroyed. */
    uint64_t warnings;            /**< Warning threshold crossings. */
    uint64_t frame;               /**< Frames ended so far (the current frame index). */
    uint64_t budget_bytes;        /**< The budget in force (0 = none). */
    uint64_t owner_releases;      /**< Buffers released by ::bp_owner_release (despawn cleanup). */
    uint64_t scope_releases;      /**< Buffers released by ::bp_scope_end (and ::bp_with_scope). */
} bp_stats;

/** Per-size-class counters, from ::bp_calculate_class_stats. */
typedef struct bp_class_stats {
    uint64_t class_size;      /**< Capacity of buffers in this class. */
    uint32_t in_use;          /**< Buffers held. */
    uint32_t pooled;          /**< Buffers ready for reuse. */
    uint32_t pending;         /**< Buffers waiting for frames in flight. */
    uint64_t bytes_requested; /**< Requested bytes of held buffers (the rest is rounding waste). */
    uint64_t acquires;        /**< Acquires served by buffers of this class (a smaller request that
                                   took one, see `reuse_larger_classes`, counts here). */
    uint64_t hits;            /**< Of which served from the pool. */
    uint32_t max_pooled;      /**< Retention cap of the class now: `max_pooled_per_class`, or more where
                                   `retain_demand` raised it (the largest over memory kinds); ::BP_NEVER
                                   when the pool keeps everything. */
} bp_class_stats;

/**
 * Create a pool.
 * @param desc options (zero = defaults), or NULL for all defaults.
 * @param out_pool receives the pool; set to NULL on failure.
 * @return ::BP_OK, ::BP_ERR_INVALID_ARGUMENT (bad field, NULL out, a trace file that cannot be
 *         opened), ::BP_ERR_OUT_OF_MEMORY, or, when preallocating the `capacity_table` failed,
 *         ::BP_ERR_TOO_LARGE (an entry beyond the backend's size limit or memory kinds),
 *         ::BP_ERR_BACKEND, ::BP_ERR_BUDGET or ::BP_ERR_CAPACITY.
 * Ownership: the caller destroys the pool with ::bp_pool_destroy. Cost: allocates metadata;
 * also creates every buffer of `capacity_table` (any capacity mode). Thread-safety: reentrant.
 */
bp_result bp_pool_create(const bp_pool_desc *desc, bp_pool **out_pool);

/**
 * Destroy a pool: report every buffer still held (leak report through the logger, one
 * ::BP_LOG_ITEM_LEAK per buffer with its tag and file:line), then free all memory anyway.
 * NULL is ignored. Cost: O(buffers). Thread-safety: no other call may run on this pool.
 * Called from inside one of the pool's own callbacks, it is refused (a ::BP_ERR_BUSY error is
 * logged and the pool is unchanged); the callbacks it runs itself may not call the pool.
 * @ownership Frees the pool, every buffer it still holds (reported as leaks first), its scopes,
 *   series and owner records, and releases its backend; every handle and object pointer of the pool
 *   is invalid afterwards.
 */
void bp_pool_destroy(bp_pool *pool);

/**
 * Acquire a buffer of at least `desc->size` bytes: a pooled one of the same size class,
 * memory kind and compatible usage when there is one (a hit: no malloc, no backend call),
 * else a new one (a miss).
 * @return ::BP_OK; ::BP_ERR_INVALID_ARGUMENT, ::BP_ERR_INVALID_SIZE, ::BP_ERR_TOO_LARGE,
 *   ::BP_ERR_UNSUPPORTED (memory kind), ::BP_ERR_BACKEND, ::BP_ERR_OUT_OF_MEMORY,
 *   ::BP_ERR_BUDGET, ::BP_ERR_CAPACITY, ::BP_ERR_BUSY (called from the eviction callback).
 *   On failure `*out_buf` is the zero handle. Without an eviction callback, a miss that
 *   would not fit the budget even with every pooled buffer destroyed is refused with nothing
 *   destroyed; otherwise a miss refused for the budget or the backend's allocation cap may
 *   have destroyed pooled (never held) buffers first, and the eviction callback may have
 *   released what it chose.
 * Cost: O(1) for a hit. A miss adds the backend's create; under a budget or allocation cap,
 *   O(pooled buffers trimmed), and for eviction one allocation, an O(owners log owners) sort
 *   and the callback. Thread-safety: see `thread_safe`.
 * @ownership The buffer is held by the caller until ::bp_release, its frame's end
 *   (::BP_ACQUIRE_TRANSIENT), its scope's end, its owner's release or ::bp_pool_destroy; the pool
 *   owns the memory behind it.
 */
bp_result bp_acquire(bp_pool *pool, const bp_acquire_desc *desc, bp_buffer *out_buf);

/**
 * ::bp_acquire that records the call site shown by the leak report. Use ::BP_ACQUIRE.
 * @param pool, desc, out_buf as ::bp_acquire.
 * @param file, line the call site the leak report names (`file` must outlive the buffer: a string
 *   literal).
 * @return as ::bp_acquire.
 * @ownership as ::bp_acquire.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 * @cost As ::bp_acquire.
 */
bp_result bp_acquire_at(bp_pool *pool, const bp_acquire_desc *desc, bp_buffer *out_buf,
                        const char *file, int line);

/**
 * ::bp_acquire of `size` bytes with every other field of ::bp_acquire_desc at its default:
 * device-local memory (host memory on the host backend), all usages, no flags, owner, tag or
 * alignment. The call of a loop that only needs bytes, and the cheapest hit: there is no
 * descriptor to fill, read or check.
 * @param pool the pool.
 * @param size bytes needed; must be > 0.
 * @param out_buf receives the handle; the zero handle on failure.
 * @return as ::bp_acquire (::BP_ERR_INVALID_SIZE for 0).
 * @ownership as ::bp_acquire.
 * @threadsafety as ::bp_acquire.
 * @cost as ::bp_acquire; a hit is fewer instructions (bench/RESULTS.md counts both).
 */
bp_result bp_acquire_size(bp_pool *pool, uint64_t size, bp_buffer *out_buf);

/** Acquire recording `__FILE__`:`__LINE__` for the leak report. */
#define BP_ACQUIRE(pool, desc, out_buf) bp_acquire_at((pool), (desc), (out_buf), __FILE__, __LINE__)

/**
 * Release a buffer. It becomes reusable after `frames_in_flight` frame ends (at once with
 * ::BP_IMMEDIATE_REUSE), or is destroyed if the retention caps are full.
 * @return ::BP_OK, ::BP_ERR_INVALID_HANDLE, ::BP_ERR_STALE_HANDLE, ::BP_ERR_FOREIGN_HANDLE,
 *   ::BP_ERR_DOUBLE_RELEASE, ::BP_ERR_INVALID_ARGUMENT (NULL pool), ::BP_ERR_CORRUPTION
 *   (guard bytes overwritten; the buffer is released anyway), ::BP_ERR_BUSY (called from a
 *   callback other than the eviction callback).
 * Cost: O(1), no malloc. No backend call unless a cap (per class, pooled bytes) or an
 *   exhausted generation destroys buffers: then the backend's destroy, O(buffers destroyed).
 * @ownership The handle is invalid afterwards (a later use is reported as stale); the memory stays
 *   with the pool.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 */
bp_result bp_release(bp_pool *pool, bp_buffer buf);

/**
 * Describe a held buffer.
 * @return ::BP_OK or a handle error; `*out_info` is zeroed on failure. Cost: O(1).
 * @ownership `mapped` and `tag` point into the pool's buffer; valid while the buffer is held.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 */
bp_result bp_buffer_get_info(bp_pool *pool, bp_buffer buf, bp_buffer_info *out_info);

/**
 * Nonzero when `buf` is a buffer currently held in `pool`. Cost: O(1).
 * @return true for a held buffer; false for zero, stale, foreign or released handles and a NULL
 *   pool (nothing is logged).
 * @ownership Nothing to free; out-params belong to the caller.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 */
bool bp_buffer_is_valid(bp_pool *pool, bp_buffer buf);

/**
 * Begin a frame. @return ::BP_OK, ::BP_ERR_FRAME_STATE (a frame is already open) or
 *   ::BP_ERR_BUSY (called from the eviction callback).
 * Cost: O(1) plus the backend's `frame_begin`; with a backend that reports frame completion,
 *   also O(buffers promoted from pending to pooled).
 * @ownership Nothing changes hands.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 */
bp_result bp_frame_begin(bp_pool *pool);

/**
 * End the frame: release its transient buffers, advance the frame index, make buffers
 * released `frames_in_flight` frames ago reusable, apply retention caps and idle trimming.
 * @return ::BP_OK, ::BP_ERR_FRAME_STATE (no frame open) or ::BP_ERR_BUSY (called from the
 *   eviction callback: the frame stays open).
 * Cost: O(buffers released, promoted or trimmed); allocation-free.
 * @ownership Transient buffers of the frame return to the pool; their handles are invalid
 *   afterwards.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 */
bp_result bp_frame_end(bp_pool *pool);

/**
 * End the open frame and begin the next: ::bp_frame_end, then ::bp_frame_begin, in one call,
 * for a loop that does nothing between them (the frame end's steps and the next frame's
 * open, without the second call's checks; in the usual pool, one test of the pool's state).
 * @return ::BP_OK, ::BP_ERR_INVALID_ARGUMENT (NULL pool), ::BP_ERR_FRAME_STATE (no frame open:
 *   nothing changes) or ::BP_ERR_BUSY (called from the eviction callback or another callback
 *   of the pool: the frame stays open).
 * Cost: that of ::bp_frame_end plus ::bp_frame_begin; allocation-free.
 * @ownership As ::bp_frame_end: transient buffers of the ended frame return to the pool and
 *   their handles are invalid afterwards.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 */
bp_result bp_frame_next(bp_pool *pool);

/**
 * Trim now: destroy pooled buffers idle beyond the limits (or all pooled buffers when
 * `everything` is true). Buffers still pending are not touched. For programs without frames.
 * Fixed and high-water pools keep their buffers (never a backend call, never shrinking).
 * @return ::BP_OK, ::BP_ERR_INVALID_ARGUMENT or ::BP_ERR_BUSY (called from a callback of the
 *   pool). Cost: O(trimmed).
 * @ownership Destroyed buffers were pooled (not held): no handle of the caller changes.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 */
bp_result bp_trim(bp_pool *pool, bool everything);

/**
 * Copy the counters into `out_stats` (zeroed for a NULL pool). Cost: O(1).
 * @ownership Nothing to free; out-params belong to the caller.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 */
void bp_get_stats(bp_pool *pool, bp_stats *out_stats);

/**
 * ::bp_host_backend_get_stats of the backend `pool` uses: the host backend a pool makes for
 * itself (desc `backend` NULL), or a host backend in block mode that its desc gave.
 * @return ::BP_OK; ::BP_ERR_INVALID_ARGUMENT (NULL argument), ::BP_ERR_UNSUPPORTED (another
 *   backend, or a host backend making one allocation per buffer; `*out` is zeroed).
 * Cost: O(1). Thread-safety: safe from any thread while the pool lives (the backend's lock).
 * @ownership Takes nothing.
 */
bp_result bp_get_host_backend_stats(const bp_pool *pool, bp_host_backend_stats *out);

/**
 * Per-size-class counters for every class that has ever been used, in ascending size.
 * @param pool the pool.
 * @param out array of `capacity` entries (may be NULL when `capacity` is 0).
 * @param capacity entries `out` can take.
 * @param out_count receives the number of classes in use (also on ::BP_ERR_BUFFER_TOO_SMALL).
 * Cost: O(classes + buffers): the per-class state counts are recounted from the buffers.
 * @return ::BP_OK, ::BP_ERR_BUFFER_TOO_SMALL (the first `capacity` were copied),
 *   ::BP_ERR_INVALID_ARGUMENT (NULL pool or count).
 * @ownership Nothing to free; out-params belong to the caller.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 */
bp_result bp_calculate_class_stats(bp_pool *pool, bp_class_stats *out, uint32_t capacity,
                                   uint32_t *out_count);

/**
 * Write the stats and per-class breakdown as one JSON object into `buf`.
 * @param pool the pool.
 * @param buf receives the NUL-terminated JSON; may be NULL when `buf_size` is 0 (to ask the
 *   length).
 * @param buf_size bytes `buf` can take.
 * @param out_len receives the length needed, without the NUL (also on ::BP_ERR_BUFFER_TOO_SMALL).
 * Cost: O(classes + buffers), as ::bp_calculate_class_stats.
 * @return ::BP_OK, ::BP_ERR_BUFFER_TOO_SMALL (nothing useful written; `*out_len` says how much is
 *   needed), ::BP_ERR_INVALID_ARGUMENT.
 * @ownership Writes only into the caller's `buf`.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 */
bp_result bp_stats_to_json(bp_pool *pool, char *buf, size_t buf_size, size_t *out_len);

/**
 * The version of the library linked at run time (::BP_VERSION of the build), to compare with
 * the ::BP_VERSION a program was compiled against. Cost: O(1). Thread-safety: reentrant.
 * @return ::BP_VERSION of the library.
 * @ownership Nothing changes hands.
 */
int bp_version(void);

/**
 * Name of a result code ("BP_OK", "BP_ERR_STALE_HANDLE", ...); never NULL.
 * @return a static string.
 * @ownership The string is static: never free it.
 * @threadsafety Reentrant: touches no shared state.
 * @cost O(1).
 */
const char *bp_result_string(bp_result result);

/**
 * Name of a memory kind ("device_local", "host_visible", "host_cached"); never NULL.
 * @return a static string.
 * @ownership The string is static: never free it.
 * @threadsafety Reentrant: touches no shared state.
 * @cost O(1).
 */
const char *bp_memory_string(bp_memory memory);

/**
 * The size-class capacity a request of `size` bytes gets under `scheme`.
 * @return the class size, or 0 when `size` is 0 or beyond the largest class.
 * @ownership Nothing changes hands.
 * @threadsafety Reentrant: touches no shared state.
 * @cost O(1).
 */
uint64_t bp_class_size_for(bp_class_scheme scheme, uint64_t size);

/**
 * The last error message of this pool (what failed and why); never NULL. Not thread-safe.
 * @return the message ("" when no call failed); "no pool" for NULL.
 * @ownership The text belongs to the pool; valid until its next failing call or its destruction.
 * @threadsafety Not thread-safe: another thread's failing call may overwrite the text while it is
 *   read.
 * @cost O(1).
 */
const char *bp_pool_last_error(bp_pool *pool);

/* ---- Data access ---------------------------------------------------------------- */

/**
 * Write `size` bytes at `offset` of a held buffer: memcpy + flush for mapped memory, the
 * backend's staging upload for device-local memory.
 * @return ::BP_OK, a handle error, ::BP_ERR_OUT_OF_RANGE, ::BP_ERR_BACKEND, ::BP_ERR_UNSUPPORTED.
 * @ownership `data` stays the caller's; the bytes are copied before the call returns (staged
 *   uploads are copied into the staging ring).
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 * @cost O(size); may record a staging copy (device-local memory).
 */
bp_result bp_upload(bp_pool *pool, bp_buffer buf, uint64_t offset, const void *data, uint64_t size);

/**
 * Read `size` bytes at `offset` back into `data`. Errors as ::bp_upload.
 * @return ::BP_OK, a handle error, ::BP_ERR_OUT_OF_RANGE, ::BP_ERR_BACKEND, ::BP_ERR_UNSUPPORTED.
 * @ownership `data` is the caller's and receives the bytes.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 * @cost O(size); may wait for the device.
 */
bp_result bp_download(bp_pool *pool, bp_buffer buf, uint64_t offset, void *data, uint64_t size);

/**
 * Flush CPU writes of host-cached memory. Errors as ::bp_upload.
 * @return ::BP_OK, a handle error, ::BP_ERR_OUT_OF_RANGE, ::BP_ERR_BACKEND.
 * @ownership Nothing changes hands.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 * @cost The backend's flush of the range (a no-op for coherent memory).
 */
bp_result bp_flush(bp_pool *pool, bp_buffer buf, uint64_t offset, uint64_t size);

/**
 * Invalidate host-cached memory before reading device writes. Errors as ::bp_upload.
 * @return ::BP_OK, a handle error, ::BP_ERR_OUT_OF_RANGE, ::BP_ERR_BACKEND.
 * @ownership Nothing changes hands.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 * @cost The backend's invalidate of the range (a no-op for coherent memory).
 */
bp_result bp_invalidate(bp_pool *pool, bp_buffer buf, uint64_t offset, uint64_t size);

/* ---- Owners, budgets, eviction (seed 001) ----------------------------------------- */

/** What one owner holds. */
typedef struct bp_owner_usage {
    uint64_t owner;   /**< Owner id. */
    uint64_t bytes;   /**< Capacity of the buffers it holds. */
    uint32_t buffers; /**< Buffers it holds. */
    float priority;   /**< Eviction priority (lower is evicted first); 0 by default. */
} bp_owner_usage;

/**
 * Release every buffer of `owner` (an entity despawned). Unknown owners release nothing.
 * @param pool the pool.
 * @param owner the owner id (not 0).
 * @param out_released receives how many buffers were released; may be NULL.
 * @return ::BP_OK, ::BP_ERR_INVALID_ARGUMENT (NULL pool, owner 0) or ::BP_ERR_BUSY (called from a
 *   callback other than the eviction callback). Cost: O(its buffers).
 * @ownership The owner's buffers return to the pool and their handles are invalid afterwards; the
 *   owner record (and its priority) is freed.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 */
bp_result bp_owner_release(bp_pool *pool, uint64_t owner, uint32_t *out_released);

/**
 * Set the eviction priority of `owner`; lower priorities are offered for eviction first.
 * The priority is kept until ::bp_owner_release. Cost: O(1); may allocate the owner record.
 * @return ::BP_OK, ::BP_ERR_INVALID_ARGUMENT (owner 0, NaN), ::BP_ERR_OUT_OF_MEMORY.
 * @ownership The pool keeps the owner record until ::bp_owner_release or destruction.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 */
bp_result bp_owner_set_priority(bp_pool *pool, uint64_t owner, float priority);

/**
 * Read what `owner` holds. Cost: O(1).
 * @return ::BP_OK, ::BP_ERR_NOT_FOUND (no buffers and no priority), ::BP_ERR_INVALID_ARGUMENT.
 * @ownership Nothing to free; out-params belong to the caller.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 */
bp_result bp_owner_get_usage(bp_pool *pool, uint64_t owner, bp_owner_usage *out);

/**
 * Every owner that holds buffers, lowest priority first. Cost: O(owners log owners), allocates.
 * @return ::BP_OK, ::BP_ERR_BUFFER_TOO_SMALL (`*out_count` says how many),
 *   ::BP_ERR_INVALID_ARGUMENT.
 * @ownership The temporary sort array is freed before return; `out` is the caller's.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 */
bp_result bp_calculate_owners(bp_pool *pool, bp_owner_usage *out, uint32_t capacity, uint32_t *out_count);

/**
 * Change the budget (0 = none). Lowering it does not release anything by itself: the next
 * acquire that would exceed it trims, evicts or fails. Cost: O(1).
 * @return ::BP_OK or ::BP_ERR_INVALID_ARGUMENT (NULL pool).
 * @ownership Nothing changes hands.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 */
bp_result bp_set_budget(bp_pool *pool, uint64_t budget_bytes);

/** Budget and owner diagnostics (seed 001's memory tracker), from ::bp_get_diagnostics. */
typedef struct bp_diagnostics {
    uint64_t bytes_reserved;     /**< Bytes the backend holds for this pool now. */
    uint64_t peak_reserved;      /**< Highest `bytes_reserved` seen. */
    uint64_t budget_bytes;       /**< The budget in force; 0 = none. */
    double budget_used_percent;  /**< bytes_reserved / budget x 100; 0 without a budget. */
    double peak_budget_percent;  /**< peak_reserved / budget x 100; 0 without a budget. */
    uint64_t evictions;          /**< Eviction callback rounds run. */
    uint64_t budget_failures;    /**< Acquires refused with ::BP_ERR_BUDGET. */
    uint64_t trims;              /**< Pooled buffers destroyed by caps, idle trimming and the budget. */
    uint64_t owner_releases;     /**< Buffers released through ::bp_owner_release. */
    uint64_t scope_releases;     /**< Buffers released by scope ends. */
    uint32_t owners;             /**< Owners known now (holding buffers or with a priority set). */
    uint32_t buffers_in_use;     /**< Buffers held by the application. */
} bp_diagnostics;

/**
 * Read the budget and owner diagnostics: usage as a percentage of the budget, peaks, and
 * eviction and cleanup counts. The same line is logged every `diagnostics_every_frames`
 * frames when that desc field is set.
 * @param pool the pool.
 * @param out receives the numbers; zeroed on failure.
 * @return ::BP_OK or ::BP_ERR_INVALID_ARGUMENT (NULL pool or out). Cost: O(1), no allocation.
 * Thread-safety: see `thread_safe`.
 * @ownership Nothing to free; out-params belong to the caller.
 */
bp_result bp_get_diagnostics(bp_pool *pool, bp_diagnostics *out);

/**
 * Format the diagnostics as one line of text ("reserved 12.0 MB (2.3% of a 512.0 MB budget),
 * peak ..."), the line the periodic log prints.
 * @param pool the pool.
 * @param buf receives the NUL-terminated line (truncated to `buf_size`).
 * @param buf_size bytes `buf` can take.
 * @return ::BP_OK, ::BP_ERR_INVALID_ARGUMENT (NULL pool, NULL buf with a size),
 *   ::BP_ERR_BUFFER_TOO_SMALL (the line was truncated). Cost: O(1).
 * @ownership Writes only into the caller's `buf`.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 */
bp_result bp_diagnostics_line(bp_pool *pool, char *buf, size_t buf_size);

/* ---- Scopes, typed arrays, copies (seed 002) -------------------------------------- */

/** A scope mark from ::bp_scope_begin. Zero is invalid. */
typedef struct bp_scope {
    uint64_t id; /**< Serial (high 32 bits) | pool tag | depth (low 24 bits). */
} bp_scope;

/** Deepest nesting of scopes a pool accepts. */
#define BP_MAX_SCOPE_DEPTH 64u

/**
 * Open a scope: ::bp_scope_end with the mark releases every buffer acquired after this call
 * (transient, owned or plain), except those acquired with ::BP_ACQUIRE_NO_SCOPE.
 * @param pool the pool.
 * @param out_mark receives the mark; zero on failure.
 * @return ::BP_OK, ::BP_ERR_INVALID_ARGUMENT (NULL), ::BP_ERR_SCOPE (more than
 *   ::BP_MAX_SCOPE_DEPTH open), ::BP_ERR_OUT_OF_MEMORY (the first scope of a pool allocates
 *   its small stack; fixed-capacity pools allocate it at creation), ::BP_ERR_BUSY (called from
 *   the eviction callback).
 * Cost: O(1). Thread-safety: see `thread_safe`; scopes are per pool, not per thread.
 * @ownership Buffers acquired after the mark belong to the scope until it ends (unless released
 *   before).
 */
bp_result bp_scope_begin(bp_pool *pool, bp_scope *out_mark);

/**
 * Close the scope `mark` and every scope opened inside it that is still open, releasing
 * every buffer acquired since `mark` was opened (newest first), except ::BP_ACQUIRE_NO_SCOPE
 * buffers and buffers already released.
 * @param pool the pool.
 * @param mark the mark from ::bp_scope_begin.
 * @param out_released receives how many buffers were released; may be NULL.
 * @return ::BP_OK, ::BP_ERR_INVALID_ARGUMENT (NULL pool), ::BP_ERR_SCOPE (zero, foreign,
 *   already closed or never issued mark; the pool is unchanged), ::BP_ERR_BUSY (called from the
 *   eviction callback).
 * Cost: O(buffers acquired since the mark and still held). No allocation; each release is
 *   ::bp_release's (a backend destroy only when a cap destroys the buffer).
 * @ownership The scope's buffers return to the pool; their handles are invalid afterwards.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 */
bp_result bp_scope_end(bp_pool *pool, bp_scope mark, uint32_t *out_released);

/** Work run inside a scope by ::bp_with_scope. Its result is returned by ::bp_with_scope. */
typedef bp_result (*bp_scope_fn)(bp_pool *pool, void *user);

/**
 * Run `fn(pool, user)` inside a scope (seed 002's `withBuffers`): every buffer `fn` acquires
 * and does not mark ::BP_ACQUIRE_NO_SCOPE is released when it returns, whatever it returns.
 * @return `fn`'s result; or the error of opening the scope (then `fn` is not called); or
 *   ::BP_ERR_SCOPE when `fn` itself ended this scope (its buffers are then already released).
 * Cost: that of `fn` plus O(buffers it left held).
 * @ownership As ::bp_scope_end for what `fn` acquired.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool. `fn` runs on the calling thread; with a `thread_safe` pool the lock is not held while
 *   it runs.
 */
bp_result bp_with_scope(bp_pool *pool, bp_scope_fn fn, void *user);

/** Element types of typed arrays. */
typedef enum bp_element_type {
    BP_ELEMENT_F32 = 0, /**< float (positions, normals, displacements, skin weights). */
    BP_ELEMENT_U32 = 1, /**< uint32_t (indices, skin indices). */
    BP_ELEMENT_U16 = 2, /**< uint16_t. */
    BP_ELEMENT_U8 = 3,  /**< uint8_t (colours). */
    BP_ELEMENT_F64 = 4, /**< double. */
    BP_ELEMENT_TYPE_COUNT = 5 /**< Number of element types; not a type. */
} bp_element_type;

/** A typed array: `count` elements of `components` values of `type`. Zero-initialise. */
typedef struct bp_array_desc {
    uint64_t count;        /**< Elements (vertices, indices...); must be > 0. */
    uint32_t components;   /**< Values per element (3 for a position); 0 = 1. */
    bp_element_type type;  /**< Value type; default ::BP_ELEMENT_F32. */
    bp_memory memory;      /**< Memory kind; default ::BP_MEMORY_DEVICE_LOCAL (mapped on the host backend). */
    uint32_t usage;        /**< ::bp_usage_bits; 0 = all. */
    uint32_t flags;        /**< ::bp_acquire_flags (::BP_ACQUIRE_ZERO clears it). */
    uint64_t owner;        /**< Owner id or 0. */
    const char *tag;       /**< Static tag for leak reports; may be NULL. */
} bp_array_desc;

/**
 * Bytes of one value of `type`; 0 for an unknown type. Cost: O(1).
 * @return the size in bytes, or 0 for an unknown type.
 * @ownership Nothing changes hands.
 * @threadsafety Reentrant: touches no shared state.
 */
uint32_t bp_element_size(bp_element_type type);

/**
 * Bytes of `count` elements of `components` values of `type`, checked for overflow.
 * @return ::BP_OK, ::BP_ERR_INVALID_SIZE (count 0), ::BP_ERR_INVALID_ARGUMENT (unknown type,
 *   NULL out), ::BP_ERR_OVERFLOW (the product does not fit in 64 bits; never wraps).
 *   `*out_bytes` is 0 on failure. Cost: O(1).
 * @ownership Nothing changes hands.
 * @threadsafety Reentrant: touches no shared state.
 */
bp_result bp_array_bytes(uint64_t count, uint32_t components, bp_element_type type, uint64_t *out_bytes);

/**
 * Acquire a typed array (through ::bp_acquire: pooled, counted, scoped like any buffer).
 * @param pool the pool.
 * @param desc what to acquire.
 * @param out receives the handle; zero on failure.
 * @param out_data receives the mapped pointer, or NULL for unmapped memory; may be NULL.
 * @return ::bp_array_bytes's errors (the pool is unchanged), then ::bp_acquire's
 *   (::BP_ERR_TOO_LARGE for a product beyond the backend's limit). Cost: as ::bp_acquire.
 * @ownership As ::bp_acquire; `*out_data` points into the buffer and is valid while it is held.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 */
bp_result bp_acquire_array(bp_pool *pool, const bp_array_desc *desc, bp_buffer *out, void **out_data);

/**
 * Positions: `vertices` x 3 floats, host-cached memory, tag "positions". As ::bp_acquire_array.
 * @return as ::bp_acquire_array.
 * @ownership As ::bp_acquire_array.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 * @cost As ::bp_acquire.
 */
bp_result bp_acquire_positions(bp_pool *pool, uint64_t vertices, bp_buffer *out, float **out_data);
/**
 * Normals: `vertices` x 3 floats, host-cached memory, tag "normals". As ::bp_acquire_array.
 * @return as ::bp_acquire_array.
 * @ownership As ::bp_acquire_array.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 * @cost As ::bp_acquire.
 */
bp_result bp_acquire_normals(bp_pool *pool, uint64_t vertices, bp_buffer *out, float **out_data);
/**
 * Displacements: `vertices` x 3 floats, zeroed, host-cached, tag "displacements". As ::bp_acquire_array.
 * @return as ::bp_acquire_array.
 * @ownership As ::bp_acquire_array.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 * @cost As ::bp_acquire, plus zeroing.
 */
bp_result bp_acquire_displacements(bp_pool *pool, uint64_t vertices, bp_buffer *out, float **out_data);
/**
 * Indices: `count` uint32, host-cached memory, tag "indices". As ::bp_acquire_array.
 * @return as ::bp_acquire_array.
 * @ownership As ::bp_acquire_array.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 * @cost As ::bp_acquire.
 */
bp_result bp_acquire_indices(bp_pool *pool, uint64_t count, bp_buffer *out, uint32_t **out_data);

/** A pair of skin buffers from ::bp_acquire_skin. */
typedef struct bp_skin_arrays {
    bp_buffer indices;  /**< `vertices` x 4 uint32 bone indices. */
    bp_buffer weights;  /**< `vertices` x 4 float weights. */
    uint32_t *index_data; /**< Mapped bone indices. */
    float *weight_data;   /**< Mapped weights. */
} bp_skin_arrays;

/**
 * Skin indices and weights (x4 per vertex), both or neither: on failure nothing is held,
 * `*out` is zeroed and the pool is as before (the first array's acquire is undone, not
 * released; but pooled buffers trimmed to make room under a budget stay destroyed).
 * Host-cached memory, zeroed. Errors as ::bp_acquire_array.
 * @return as ::bp_acquire_array.
 * @ownership Two buffers held by the caller (release both); the data pointers are valid while they
 *   are held.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 * @cost Two acquires plus zeroing.
 */
bp_result bp_acquire_skin(bp_pool *pool, uint64_t vertices, bp_skin_arrays *out);

/**
 * Copy `size` bytes between two held buffers of this pool: the backend's `copy`, else a
 * memcpy between mapped pointers (`memmove` when both are the same buffer).
 * @return ::BP_OK, handle errors, ::BP_ERR_INVALID_SIZE (0), ::BP_ERR_OVERFLOW (offset + size
 *   wraps), ::BP_ERR_OUT_OF_RANGE, ::BP_ERR_UNSUPPORTED (no copy method and unmapped memory),
 *   ::BP_ERR_BACKEND. Cost: O(size); no allocation.
 * @ownership Nothing changes hands.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 */
bp_result bp_copy(bp_pool *pool, bp_buffer src, uint64_t src_offset, bp_buffer dst, uint64_t dst_offset,
                  uint64_t size);

/**
 * A new pooled buffer with the same size, memory kind, usage, owner and tag as `src` and the
 * same contents (seed 002's `copyFloat32Array`). `flags` are the new buffer's acquire flags.
 * @return ::BP_OK; `src`'s handle errors; ::bp_acquire's errors; ::bp_copy's errors (the new
 *   buffer's acquire is then undone: the pool is as before, but for pooled buffers trimmed to
 *   make room under a budget). `*out` is zero on failure. Cost: ::bp_acquire + O(size).
 * @ownership The new buffer is held by the caller, as from ::bp_acquire; `src` is untouched.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 */
bp_result bp_duplicate(bp_pool *pool, bp_buffer src, uint32_t flags, bp_buffer *out);

/**
 * Change the retention caps at run time (seed 002's `maxPoolSize`): at most `per_class`
 * pooled buffers per size class (::BP_NEVER = no cap; 0 keeps the current value) and at most
 * `bytes` pooled bytes (::BP_UNLIMITED = no cap; 0 keeps the current value). Both caps apply
 * to every later release, and pooled buffers beyond a lowered cap are destroyed now, oldest
 * first. Ignored by fixed and high-water pools (they keep everything).
 * @return ::BP_OK, ::BP_ERR_INVALID_ARGUMENT or ::BP_ERR_BUSY (called from a callback of the
 *   pool). Cost: O(size classes used + buffers destroyed).
 * @ownership Destroyed buffers were pooled (not held): no handle of the caller changes.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 */
bp_result bp_set_max_pooled(bp_pool *pool, uint32_t per_class, uint64_t bytes);

/**
 * Age-based cleanup (seed 002's periodic cleanup of old buffers): destroy pooled buffers that
 * have been idle at least `seconds` by the pool's clock. Releases do not read the clock: a
 * buffer counts as pooled at the pool's last clock reading before its release (the last frame
 * end, ::bp_trim or ::bp_trim_older_than call, or creation), so in a program without frames a
 * buffer released since the previous trim call is as old as that call. With the built-in
 * clock, frames shorter than a millisecond read it every 2-16 frame ends only (the coarse
 * clock would return the same tick); a buffer released after a frame end that did not read it
 * counts as pooled at the next reading, never older than it is. Fixed and high-water
 * pools keep theirs. @param out_destroyed receives how many were destroyed; may be NULL.
 * @param pool the pool.
 * @param seconds idle time (by the pool's clock) at or beyond which a pooled buffer is destroyed.
 * @return ::BP_OK, ::BP_ERR_INVALID_ARGUMENT (NULL pool, negative or NaN seconds) or
 *   ::BP_ERR_BUSY (called from a callback of the pool).
 * Cost: O(destroyed) (the pooled list is ordered by age).
 * @ownership Destroyed buffers were pooled (not held): no handle of the caller changes.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 */
bp_result bp_trim_older_than(bp_pool *pool, double seconds, uint32_t *out_destroyed);

/* ---- Fixed capacity and object pools (seed 004) ----------------------------------- */

/** A fixed-size object pool for small structs (render-pass descriptors...). Opaque. */
typedef struct bp_objpool bp_objpool;

/** Options of ::bp_objpool_create. Zero-initialise. */
typedef struct bp_objpool_desc {
    size_t element_size;   /**< Bytes per object; must be > 0. */
    uint32_t capacity;     /**< Objects; must be > 0. All are allocated at creation. */
    size_t alignment;      /**< Alignment of each object (power of two); 0 = 16. */
    bool zero_on_acquire;  /**< Hand out zeroed objects. */
    bp_allocator allocator;/**< Where the storage comes from; zeroes = libc. */
} bp_objpool_desc;

/**
 * Create an object pool: one allocation holding every object and the bookkeeping; nothing
 * is allocated afterwards.
 * @return ::BP_OK, ::BP_ERR_INVALID_ARGUMENT (NULL, zero size or capacity, bad alignment,
 *   half an allocator), ::BP_ERR_OVERFLOW (size x capacity too large), ::BP_ERR_OUT_OF_MEMORY.
 *   `*out` is NULL on failure. Cost: one allocation, O(capacity). Thread-safety: reentrant;
 *   an object pool is used by one thread at a time.
 * @ownership The caller destroys the object pool with ::bp_objpool_destroy.
 */
bp_result bp_objpool_create(const bp_objpool_desc *desc, bp_objpool **out);

/**
 * Destroy an object pool and all its objects (held or not). NULL is ignored.
 * @ownership Frees the storage: every object pointer of the pool is invalid afterwards.
 * @threadsafety No other call may run on this object pool.
 * @cost One free.
 */
void bp_objpool_destroy(bp_objpool *pool);

/**
 * Take a free object. @param out receives it; NULL on failure.
 * @param pool the object pool.
 * @return ::BP_OK, ::BP_ERR_INVALID_ARGUMENT (NULL), ::BP_ERR_CAPACITY (all `capacity` held).
 * Cost: O(1), no allocation.
 * @ownership The object is the caller's until ::bp_objpool_release or ::bp_objpool_release_all; the
 *   storage stays the pool's.
 * @threadsafety One thread at a time per object pool (no lock).
 */
bp_result bp_objpool_acquire(bp_objpool *pool, void **out);

/**
 * Return an object. @return ::BP_OK, ::BP_ERR_INVALID_ARGUMENT (NULL pool),
 * ::BP_ERR_INVALID_HANDLE (NULL object), ::BP_ERR_FOREIGN_HANDLE (a pointer that is not the
 * start of one of this pool's objects), ::BP_ERR_DOUBLE_RELEASE (not held). Never crashes on
 * a bad pointer: it is compared, not dereferenced. Cost: O(1).
 * @ownership The object pointer is invalid afterwards.
 * @threadsafety One thread at a time per object pool (no lock).
 */
bp_result bp_objpool_release(bp_objpool *pool, void *obj);

/**
 * Return every object at once (seed 004's `releaseAll`). Cost: O(capacity). NULL is ignored.
 * @ownership Every object pointer handed out is invalid afterwards.
 * @threadsafety One thread at a time per object pool (no lock).
 */
void bp_objpool_release_all(bp_objpool *pool);

/**
 * Objects the pool holds in all (0 for NULL). Cost: O(1).
 * @return the capacity.
 * @ownership Nothing changes hands.
 * @threadsafety Reads an immutable field: any thread.
 */
uint32_t bp_objpool_capacity(const bp_objpool *pool);

/**
 * Objects handed out and not yet returned (0 for NULL). Cost: O(1).
 * @return the objects held.
 * @ownership Nothing changes hands.
 * @threadsafety One thread at a time per object pool (no lock).
 */
uint32_t bp_objpool_count(const bp_objpool *pool);

/* ---- Generations, bindings, per-frame sets (seed 003) ----------------------------- */

/**
 * Acquire a buffer and upload `size` bytes of `data` at offset 0 in one call (seed 003's
 * createAndUpload): a memcpy for mapped memory, a staged copy for device-local memory.
 * @return ::bp_acquire's errors; ::BP_ERR_INVALID_ARGUMENT (NULL data); ::BP_ERR_OUT_OF_RANGE
 *   (`size` > `desc->size`); ::bp_upload's errors, after which the acquire is undone (the pool
 *   is as before, but for pooled buffers trimmed to make room under a budget). `*out_buf` is
 *   zero on failure.
 * Cost: ::bp_acquire + O(size).
 * @ownership As ::bp_acquire; `data` stays the caller's (copied before return).
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 */
bp_result bp_acquire_upload(bp_pool *pool, const bp_acquire_desc *desc, const void *data, uint64_t size,
                            bp_buffer *out_buf);

/**
 * Change the size of a held buffer, keeping its handle. A size within its capacity changes
 * nothing native (no copy, same native generation). A larger size gets a new native buffer
 * of the same memory kind, usage and alignment, copies the old contents (the old size's
 * bytes; the rest is zero when the buffer was acquired with ::BP_ACQUIRE_ZERO), releases the old native through the pending path (the GPU may still read it for
 * `frames_in_flight` frames) and increments ::bp_buffer_info::native_generation, so that
 * descriptors are rewritten (see ::bp_binding_table_sync). Data updates never change the
 * generation. The new native counts as one acquire in the stats.
 * @return ::BP_OK, handle errors, ::BP_ERR_INVALID_SIZE (0), ::bp_acquire's errors,
 *   ::bp_copy's errors (the handle then keeps its old native and the new native's acquire is
 *   undone: the pool is as before, but for pooled buffers trimmed to make room under a
 *   budget). Cost: ::bp_acquire + O(size).
 * @ownership The handle stays the caller's; a replaced native buffer goes back to the pool
 *   (pending), so `mapped`, `native` and offsets read before are invalid afterwards.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 */
bp_result bp_resize(bp_pool *pool, bp_buffer buf, uint64_t new_size);

/** Longest binding name, without the NUL. */
#define BP_BINDING_NAME_MAX 47

/** A table of named buffer bindings (name -> buffer) that says which descriptors to rewrite. */
typedef struct bp_binding_table bp_binding_table;

/** Why a binding is reported by ::bp_binding_table_sync. */
typedef enum bp_binding_change_kind {
    BP_BINDING_ADDED = 1,        /**< New since the last sync. */
    BP_BINDING_BUFFER_CHANGED,   /**< Bound to another buffer handle. */
    BP_BINDING_NATIVE_REPLACED,  /**< Same handle, new native buffer (its generation went up). */
    BP_BINDING_RELEASED          /**< Its buffer was released: the descriptor would dangle. */
} bp_binding_change_kind;

/** One binding that changed since the last sync. */
typedef struct bp_binding_change {
    const char *name;            /**< The table's copy of the name (valid until removed). */
    uint32_t index;              /**< Stable index of the binding in the table. */
    bp_binding_change_kind kind; /**< What changed. */
    bp_buffer buffer;            /**< The bound handle. */
    uint64_t native;             /**< Its native buffer now (0 when released). */
    uint32_t native_generation;  /**< Its native generation now (0 when released). */
} bp_binding_change;

/**
 * Create a binding table of at most `capacity` bindings over `pool` (allocated once, with
 * the pool's allocator). Destroy it before the pool.
 * @return ::BP_OK, ::BP_ERR_INVALID_ARGUMENT (NULL, capacity 0 or > 65536), ::BP_ERR_OUT_OF_MEMORY.
 * @ownership The caller destroys the table with ::bp_binding_table_destroy before the pool.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 * @cost One allocation of `capacity` bindings.
 */
bp_result bp_binding_table_create(bp_pool *pool, uint32_t capacity, bp_binding_table **out);

/**
 * Destroy a binding table (the buffers are not released). NULL is ignored.
 * @ownership Frees the table; bound buffers stay held by the caller.
 * @threadsafety No other call may run on this table.
 * @cost One free.
 */
void bp_binding_table_destroy(bp_binding_table *table);

/**
 * Bind `name` to `buf` (a held buffer of the table's pool), adding the binding or replacing
 * its buffer. Cost: O(bindings) name search, no allocation.
 * @return ::BP_OK, handle errors, ::BP_ERR_INVALID_ARGUMENT (NULL or too long name),
 *   ::BP_ERR_CAPACITY (table full).
 * @ownership The table copies `name`; the buffer stays the caller's (binding does not hold it).
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 */
bp_result bp_binding_set(bp_binding_table *table, const char *name, bp_buffer buf);

/**
 * The buffer bound to `name`. @return ::BP_OK, ::BP_ERR_NOT_FOUND, ::BP_ERR_INVALID_ARGUMENT.
 * @ownership Nothing changes hands.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 * @cost O(bindings) name search.
 */
bp_result bp_binding_get(bp_binding_table *table, const char *name, bp_buffer *out_buf);

/**
 * Remove a binding. @return ::BP_OK, ::BP_ERR_NOT_FOUND, ::BP_ERR_INVALID_ARGUMENT.
 * @ownership The binding is dropped; the buffer stays the caller's.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 * @cost O(bindings) name search.
 */
bp_result bp_binding_remove(bp_binding_table *table, const char *name);

/**
 * Report exactly the bindings whose buffer, native buffer or native generation changed (or
 * that were added, or whose buffer was released) since the last successful sync, and mark
 * them synced. Data uploads never make a binding change.
 * @param table the binding table.
 * @param out array of `capacity` entries (may be NULL when `capacity` is 0).
 * @param capacity entries `out` can take.
 * @param out_count receives the number of changes (also on ::BP_ERR_BUFFER_TOO_SMALL, in
 *   which case nothing is marked synced).
 * Cost: O(bindings). Thread-safety: takes the pool's lock.
 * @return ::BP_OK, ::BP_ERR_BUFFER_TOO_SMALL (nothing marked synced), ::BP_ERR_INVALID_ARGUMENT.
 * @ownership `name` in each change points into the table (valid until the binding is removed).
 */
bp_result bp_binding_table_sync(bp_binding_table *table, bp_binding_change *out, uint32_t capacity,
                                uint32_t *out_count);

/** Most buffers in a ::bp_frame_set. */
#define BP_FRAME_SET_MAX 8u

/** One buffer per frame in flight (a global uniform buffer...): a plain value, no allocation. */
typedef struct bp_frame_set {
    bp_buffer buffers[BP_FRAME_SET_MAX]; /**< The buffers; `count` of them are valid. */
    uint32_t count;                      /**< How many. */
} bp_frame_set;

/**
 * Acquire `count` buffers described by `desc` (0 = the pool's frames in flight, 1 for
 * immediate reuse). Transient buffers are refused: a set lives across frames.
 * @return ::BP_OK, ::BP_ERR_INVALID_ARGUMENT (NULL, transient flag, count > ::BP_FRAME_SET_MAX),
 *   ::bp_acquire's errors (the acquires so far are undone: the pool is as before, but for
 *   pooled buffers trimmed to make room under a budget). Cost: count acquires.
 * @ownership The set's buffers are held by the caller until ::bp_frame_set_release.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 */
bp_result bp_frame_set_acquire(bp_pool *pool, const bp_acquire_desc *desc, uint32_t count, bp_frame_set *out);

/**
 * The buffer of the current frame: buffers[frame index % count]. Zero handle for a bad set. Cost: O(1).
 * @return the current frame's buffer, or the zero handle.
 * @ownership Nothing changes hands.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 */
bp_buffer bp_frame_set_current(bp_pool *pool, const bp_frame_set *set);

/**
 * Release every buffer of the set and clear it. @return the first release error, else ::BP_OK.
 * @ownership The buffers return to the pool; the set is cleared.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 * @cost `count` releases.
 */
bp_result bp_frame_set_release(bp_pool *pool, bp_frame_set *set);

/* ---- Time series, verdicts, snapshots, profiler hook ------------------------------ */

/**
 * One frame of the time series (`bp_pool_desc.series_frames` > 0). Byte fields are what the
 * pool held when the frame ended, except `bytes_in_use`, taken just before the frame's
 * transient buffers returned (so a frame that only uses transient buffers still shows them).
 * Counters count this frame's calls only.
 */
typedef struct bp_series_point {
    uint64_t frame;          /**< Index of the frame that ended (0 = the first). */
    uint64_t bytes_reserved; /**< Bytes the backend holds. */
    uint64_t bytes_in_use;   /**< Held by the application at the end of the frame, transients included. */
    uint64_t bytes_pooled;   /**< Ready for reuse. */
    uint64_t bytes_pending;  /**< Released, waiting for frames in flight. */
    uint64_t acquires;       /**< Successful acquires in this frame. */
    uint64_t hits;           /**< Of which served from the pool. */
    uint64_t creates;        /**< Backend buffers created in this frame. */
    uint64_t destroys;       /**< Backend buffers destroyed in this frame. */
} bp_series_point;

/**
 * Copy the time series, oldest frame first: the last `series_frames` frames at most.
 * @param pool the pool.
 * @param out array of `capacity` points (may be NULL when `capacity` is 0).
 * @param capacity points `out` can take.
 * @param out_count receives the number of points held (also on ::BP_ERR_BUFFER_TOO_SMALL,
 *        when the oldest `capacity` points were copied).
 * @return ::BP_OK, ::BP_ERR_BUFFER_TOO_SMALL, ::BP_ERR_INVALID_ARGUMENT (NULL pool or count).
 *         A pool without a series holds 0 points.
 * Cost: O(points). Thread-safety: takes the pool lock.
 * @ownership Nothing to free; out-params belong to the caller.
 */
bp_result bp_calculate_series(bp_pool *pool, bp_series_point *out, uint32_t capacity, uint32_t *out_count);

/**
 * Read one point of the series: `back` = 0 is the frame that ended last, 1 the one before...
 * @return ::BP_OK, ::BP_ERR_NOT_FOUND (no such point: series off or too short; `*out`
 *         zeroed), ::BP_ERR_INVALID_ARGUMENT. Cost: O(1).
 * @ownership Nothing to free; out-params belong to the caller.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 */
bp_result bp_get_series_point(bp_pool *pool, uint32_t back, bp_series_point *out);

/** What the memory of a run did. */
typedef enum bp_verdict_kind {
    BP_VERDICT_TOO_SHORT = 0, /**< Fewer than ::BP_VERDICT_MIN_POINTS points: no verdict. */
    BP_VERDICT_PLATEAU = 1,   /**< Reserved memory stopped growing. */
    BP_VERDICT_GROWING = 2    /**< Reserved memory grew through the whole second half: a leak? */
} bp_verdict_kind;

/** Points a series needs before ::bp_series_verdict judges it. */
#define BP_VERDICT_MIN_POINTS 8u

/**
 * The leak / plateau verdict and the numbers behind it. The rule: the first half of the
 * series is warm-up and ignored; the second half is cut into 4 equal windows and the peak of
 * `bytes_reserved` is taken in each. The run is GROWING when every window's peak is higher
 * than the one before and the last window's peak exceeds the third's by at least
 * `tolerance_bytes`; otherwise it is a PLATEAU. A leak grows at a steady rate and raises
 * every window; a one-off spike raises one window, a sawtooth shorter than a window leaves
 * the peaks equal, and a pool still filling its retention caps slows down: none of these is
 * called a leak. A leak of r bytes a frame is seen once r x (frames / 8) >= the tolerance.
 */
typedef struct bp_verdict {
    bp_verdict_kind kind;      /**< The verdict. */
    uint64_t window_points;    /**< Points per window. */
    uint64_t first_frame;      /**< Frame of the first point judged (start of the first window). */
    uint64_t peaks[4];         /**< Peak reserved bytes of each window, oldest first. */
    uint64_t tolerance_bytes;  /**< The tolerance used. */
    uint64_t growth_bytes;     /**< peaks[3] - peaks[0] (0 when it fell). */
    uint64_t last_step_bytes;  /**< peaks[3] - peaks[2] (0 when it fell). */
    double slope_bytes_per_frame; /**< Least-squares slope of reserved bytes over the second half. */
} bp_verdict;

/**
 * Judge a series (from ::bp_calculate_series or built by hand) by the rule of ::bp_verdict.
 * Points must be in frame order; they may be sampled (one point per several frames).
 * @param points the series, in frame order.
 * @param count points in `points`.
 * @param tolerance_bytes growth below this is noise; 0 = 1 byte. One size class (the largest
 *        used) is a good choice: the pool grows in whole buffers.
 * @param out receives the verdict.
 * @return ::BP_OK (also for a too short series), ::BP_ERR_INVALID_ARGUMENT (NULL out, or
 *         NULL points with count > 0). Cost: O(count); pure, allocation-free.
 * @ownership Nothing to free; out-params belong to the caller.
 * @threadsafety Reentrant: touches no shared state.
 */
bp_result bp_series_verdict(const bp_series_point *points, uint32_t count, uint64_t tolerance_bytes,
                            bp_verdict *out);

/**
 * ::bp_series_verdict over the pool's own series with a tolerance of the largest size class
 * the pool has used. @return as ::bp_series_verdict, ::BP_ERR_OUT_OF_MEMORY (copying the
 * series). Cost: O(series_frames + classes); allocates a temporary copy.
 * @ownership The temporary copy is freed before return; `out` is the caller's.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 */
bp_result bp_calculate_verdict(bp_pool *pool, bp_verdict *out);

/** Buffers held by the application, grouped by tag (and owner, for ::bp_calculate_outstanding). */
typedef struct bp_tag_usage {
    const char *tag;       /**< The acquire's tag (a static string), or "(untagged)". */
    uint64_t owner;        /**< Owner id (0 = none); always 0 in tag snapshots. */
    uint32_t buffers;      /**< Buffers held. */
    uint64_t bytes;        /**< Their requested bytes. */
    uint64_t oldest_frame; /**< Acquire frame of the oldest one. */
    uint64_t age_frames;   /**< Frames since then (the oldest one's age). */
} bp_tag_usage;

/**
 * Outstanding buffers (held by the application, transients included) grouped by tag and
 * owner, most bytes first, with the age in frames of the oldest in each group. Tags are
 * compared as strings.
 * @return ::BP_OK, ::BP_ERR_BUFFER_TOO_SMALL (`*out_count` says how many groups; the largest
 *         `capacity` were copied), ::BP_ERR_INVALID_ARGUMENT, ::BP_ERR_OUT_OF_MEMORY.
 * Cost: O(held buffers x groups) with a temporary allocation. Thread-safety: takes the lock.
 * @ownership `tag` strings point to the application's static tags; the temporary array is freed
 *   before return.
 */
bp_result bp_calculate_outstanding(bp_pool *pool, bp_tag_usage *out, uint32_t capacity, uint32_t *out_count);

/**
 * Snapshot of held buffers by tag only (owners merged; `owner` is 0), most bytes first:
 * take one at start-up and one later, then ::bp_snapshot_diff (seed 004's heap snapshot
 * compare). Results and cost as ::bp_calculate_outstanding.
 * @return as ::bp_calculate_outstanding.
 * @ownership As ::bp_calculate_outstanding.
 * @threadsafety Pool-locked: any thread when the pool is `thread_safe`, else one thread at a time
 *   per pool.
 * @cost As ::bp_calculate_outstanding.
 */
bp_result bp_calculate_tag_snapshot(bp_pool *pool, bp_tag_usage *out, uint32_t capacity, uint32_t *out_count);

/**
 * What grew between two snapshots: every tag of `after` holding more bytes or buffers than in
 * `before` (missing there = 0), with `buffers` and `bytes` set to the growth, most bytes
 * first. Pure: no pool needed.
 * @return ::BP_OK, ::BP_ERR_BUFFER_TOO_SMALL (`*out_count` says how many; `out` then holds
 *   the first `capacity` growths in `after`'s order, sorted, not necessarily the largest),
 *   ::BP_ERR_INVALID_ARGUMENT.
 * Cost: O(before x after).
 * @ownership `out` is the caller's; its `tag` pointers are those of `after`.
 * @threadsafety Reentrant: touches no shared state.
 */
bp_result bp_snapshot_diff(const bp_tag_usage *before, uint32_t before_count, const bp_tag_usage *after,
                           uint32_t after_count, bp_tag_usage *out, uint32_t capacity, uint32_t *out_count);

/* ---- Virtual blocks: sub-allocation of ranges (TLSF) and per-frame rings ---------- */

/** Largest block size a virtual block or a ring accepts: 2^62 bytes. */
#define BP_VBLOCK_MAX_SIZE (1ull << 62)

/**
 * A virtual block: hands out ranges (offset, size) of a block of `size` bytes that the
 * application owns elsewhere (one large GPU buffer, a mapped heap, a file), with two-level
 * segregated fit: allocation and free in O(1), free neighbours merged at once. It never
 * touches memory: it only does the arithmetic. Opaque.
 */
typedef struct bp_vblock bp_vblock;

/** Options of ::bp_vblock_create. Zero-initialise; every zero field means its default. */
typedef struct bp_vblock_desc {
    uint64_t size;          /**< Bytes of the block; 1 .. ::BP_VBLOCK_MAX_SIZE. */
    uint32_t max_ranges;    /**< Fixed capacity: storage for this many ranges is allocated at
                                 creation and nothing afterwards (more is ::BP_ERR_CAPACITY);
                                 0 = grow as needed (up to about 8 million ranges). */
    uint64_t granularity;   /**< Every range starts at a multiple of this and occupies a multiple
                                 of it (a power of two); 0 = 16. Without it, odd sizes leave
                                 slivers of a few bytes between ranges; 1 = exact bytes. */
    const char *name;       /**< Name used in log messages; default "vblock". Copied. */
    bp_allocator allocator; /**< Host metadata allocator; zeroes = libc. */
    bp_logger logger;       /**< Errors and the leak report at destroy; zeroes = silent. */
} bp_vblock_desc;

/** A range of a virtual block. `id` is generational: a freed range's id is stale. */
typedef struct bp_range {
    uint64_t offset; /**< Start, a multiple of the alignment asked for. */
    uint64_t size;   /**< Bytes, exactly as asked for (it occupies them rounded up to the granularity). */
    uint64_t id;     /**< Slot index | block tag << 24 | (generation + a per-block salt) << 32; 0 = no range. */
} bp_range;

/** What a virtual block holds. */
typedef struct bp_vblock_stats {
    uint64_t size;          /**< Bytes of the block. */
    uint64_t used_bytes;    /**< Bytes allocated ranges occupy (sizes rounded up to the granularity). */
    uint64_t free_bytes;    /**< size - used_bytes (alignment gaps included). */
    uint64_t largest_free;  /**< The largest free range: an allocation of this size (alignment 1) succeeds. */
    uint32_t ranges;        /**< Allocated ranges. */
    uint32_t free_ranges;   /**< Free ranges (after merging neighbours). */
    uint64_t failures;      /**< Allocations refused since creation (no space, no capacity). */
    double fragmentation;   /**< 1 - largest_free / free_bytes: 0 = one free range, near 1 = scattered; 0 when full. */
} bp_vblock_stats;

/**
 * Create a virtual block.
 * @param desc the options (read during the call only).
 * @param out receives the block; NULL on failure.
 * @return ::BP_OK, ::BP_ERR_INVALID_ARGUMENT (NULL, half an allocator, `max_ranges` above
 *   about 8 million, a granularity that is not a power of two or above the size),
 *   ::BP_ERR_INVALID_SIZE (size 0), ::BP_ERR_TOO_LARGE (size above
 *   ::BP_VBLOCK_MAX_SIZE), ::BP_ERR_OUT_OF_MEMORY.
 * @ownership The caller destroys the block with ::bp_vblock_destroy.
 * @threadsafety Reentrant; a block is then used by one thread at a time (it has no lock).
 * @cost Two allocations (the block, its range storage: 64 ranges' worth, or all of
 *   `max_ranges`); O(max_ranges).
 */
bp_result bp_vblock_create(const bp_vblock_desc *desc, bp_vblock **out);

/**
 * Destroy a virtual block. Every range still allocated is reported through the logger, one
 * ::BP_LOG_ITEM_LEAK warning each (offset, size) and one ::BP_LOG_ITEM_LEAK_SUMMARY. NULL is
 * ignored.
 * @param block the block.
 * @ownership Frees the block and its storage; every range id of it is meaningless afterwards.
 * @threadsafety No other call may run on this block.
 * @cost O(ranges) with a logger, else O(1); two frees.
 */
void bp_vblock_destroy(bp_vblock *block);

/**
 * Allocate a range of `size` bytes whose offset is a multiple of `alignment` (and of the
 * block's granularity).
 * @param block the block.
 * @param size bytes; > 0.
 * @param alignment a power of two; 0 = the granularity.
 * @param out receives the range; all zero on failure.
 * @return ::BP_OK, ::BP_ERR_INVALID_ARGUMENT (NULL, alignment not a power of two or above
 *   the block size), ::BP_ERR_INVALID_SIZE (0), ::BP_ERR_TOO_LARGE (size above the block),
 *   ::BP_ERR_CAPACITY (no free range fits, or `max_ranges` are allocated),
 *   ::BP_ERR_OUT_OF_MEMORY (growing the range storage failed). Failures change nothing.
 * @ownership The range is the caller's until ::bp_vblock_free or the block's destruction.
 * @threadsafety One thread at a time per block (no lock).
 * @cost O(1): two bitmap lookups with count-trailing-zeros; an allocation only when the range
 *   storage of a growing block is full (it doubles), never with `max_ranges`.
 */
bp_result bp_vblock_alloc(bp_vblock *block, uint64_t size, uint64_t alignment, bp_range *out);

/**
 * Free a range and merge it with free neighbours. The whole range is compared (id, offset,
 * size), never trusted.
 * @param block the block.
 * @param range a range from ::bp_vblock_alloc.
 * @return ::BP_OK, ::BP_ERR_INVALID_ARGUMENT (NULL block), ::BP_ERR_INVALID_HANDLE (id 0),
 *   ::BP_ERR_FOREIGN_HANDLE (not issued by this block, or offset/size changed),
 *   ::BP_ERR_STALE_HANDLE (freed, and its slot handed out again since),
 *   ::BP_ERR_DOUBLE_RELEASE (freed already). Errors are logged and change nothing.
 * @ownership The range goes back to the block; its id is stale afterwards.
 * @threadsafety One thread at a time per block (no lock).
 * @cost O(1), no allocation.
 */
bp_result bp_vblock_free(bp_vblock *block, bp_range range);

/**
 * Attach a pointer to an allocated range (an object, a tag); cleared when the range is freed.
 * @param block the block.
 * @param range an allocated range.
 * @param user_data any pointer; the block never dereferences it.
 * @return ::BP_OK or the errors of ::bp_vblock_free.
 * @ownership `user_data` stays the caller's.
 * @threadsafety One thread at a time per block (no lock).
 * @cost O(1).
 */
bp_result bp_vblock_set_user_data(bp_vblock *block, bp_range range, void *user_data);

/**
 * Read the pointer attached to an allocated range (NULL when none was set).
 * @param block the block.
 * @param range an allocated range.
 * @param out receives the pointer; NULL on failure.
 * @return ::BP_OK, ::BP_ERR_INVALID_ARGUMENT (NULL out) or the errors of ::bp_vblock_free.
 * @ownership Nothing changes hands.
 * @threadsafety One thread at a time per block (no lock).
 * @cost O(1).
 */
bp_result bp_vblock_get_user_data(bp_vblock *block, bp_range range, void **out);

/**
 * Statistics of a block.
 * @param block the block.
 * @param out receives them; zeroed on failure.
 * @return ::BP_OK or ::BP_ERR_INVALID_ARGUMENT (NULL).
 * @ownership Nothing to free.
 * @threadsafety One thread at a time per block (no lock).
 * @cost O(1) but for `largest_free`, which reads the free ranges of the largest non-empty
 *   size class (usually one or two).
 */
bp_result bp_vblock_get_stats(const bp_vblock *block, bp_vblock_stats *out);

/**
 * Invariant walker: ranges tile the block without gaps or overlaps, no two free ranges
 * touch, every free range is in the list of its size class and the bitmaps agree, counters
 * match. For tests and debugging.
 * @param block the block.
 * @return ::BP_OK, ::BP_ERR_INVALID_ARGUMENT (NULL), ::BP_ERR_CORRUPTION (logged with the
 *   broken invariant).
 * @ownership Nothing changes hands.
 * @threadsafety One thread at a time per block (no lock).
 * @cost O(ranges + size classes).
 */
bp_result bp_vblock_check(const bp_vblock *block);

/**
 * A per-frame ring: linear allocation inside a block of `size` bytes (a persistently mapped
 * upload or uniform buffer). Each allocation takes the next bytes; ::bp_ring_frame_end closes
 * the frame's region, and a region is reused only after `frames_in_flight` later frame ends,
 * because the GPU may still read it. Allocation wraps to offset 0 when the end is reached,
 * and an allocation that would reach in-flight bytes fails instead. Arithmetic only. Opaque.
 */
typedef struct bp_ring bp_ring;

/** Options of ::bp_ring_create. Zero-initialise; every zero field means its default. */
typedef struct bp_ring_desc {
    uint64_t size;             /**< Bytes of the block; 1 .. ::BP_VBLOCK_MAX_SIZE. */
    uint32_t frames_in_flight; /**< Frame ends before a frame's region is reused; 0 = 2; at most 64. */
    bp_allocator allocator;    /**< Host metadata allocator; zeroes = libc. */
} bp_ring_desc;

/** What a ring holds. */
typedef struct bp_ring_stats {
    uint64_t size;            /**< Bytes of the block. */
    uint64_t frame;           /**< Frames ended so far (the current frame's number). */
    uint64_t frame_bytes;     /**< Bytes the current frame has taken (alignment and wrap gaps included). */
    uint64_t in_flight_bytes; /**< Bytes not reusable yet: the current frame and the frames in flight. */
    uint64_t peak_in_flight;  /**< The most `in_flight_bytes` has been. */
    uint64_t allocations;     /**< Allocations since creation. */
    uint64_t failures;        /**< Allocations refused (no room without reaching in-flight bytes). */
} bp_ring_stats;

/**
 * Create a ring.
 * @param desc the options (read during the call only).
 * @param out receives the ring; NULL on failure.
 * @return ::BP_OK, ::BP_ERR_INVALID_ARGUMENT (NULL, half an allocator, `frames_in_flight`
 *   above 64), ::BP_ERR_INVALID_SIZE (size 0), ::BP_ERR_TOO_LARGE (size above
 *   ::BP_VBLOCK_MAX_SIZE), ::BP_ERR_OUT_OF_MEMORY.
 * @ownership The caller destroys the ring with ::bp_ring_destroy.
 * @threadsafety Reentrant; a ring is then used by one thread at a time (it has no lock).
 * @cost One allocation; nothing is allocated afterwards.
 */
bp_result bp_ring_create(const bp_ring_desc *desc, bp_ring **out);

/**
 * Destroy a ring. NULL is ignored.
 * @param ring the ring.
 * @ownership Frees the ring; its offsets mean nothing afterwards.
 * @threadsafety No other call may run on this ring.
 * @cost One free.
 */
void bp_ring_destroy(bp_ring *ring);

/**
 * Take `size` bytes at a multiple of `alignment` for the current frame. The bytes stay the
 * frame's until its region is reclaimed, `frames_in_flight` frame ends after its own.
 * @param ring the ring.
 * @param size bytes; > 0.
 * @param alignment a power of two; 0 = 1.
 * @param out_offset receives the offset in the block; 0 on failure.
 * @return ::BP_OK, ::BP_ERR_INVALID_ARGUMENT (NULL, alignment not a power of two or above the
 *   block size), ::BP_ERR_INVALID_SIZE (0), ::BP_ERR_TOO_LARGE (size above the block),
 *   ::BP_ERR_CAPACITY (no room before the in-flight bytes: never overwrites them). Failures
 *   change nothing.
 * @ownership The bytes are the caller's for this frame; nothing is freed individually.
 * @threadsafety One thread at a time per ring (no lock).
 * @cost O(1), no allocation.
 */
bp_result bp_ring_alloc(bp_ring *ring, uint64_t size, uint64_t alignment, uint64_t *out_offset);

/**
 * End the current frame: its allocations form one region, and the region of the frame that
 * ended `frames_in_flight` frame ends ago becomes reusable.
 * @param ring the ring.
 * @return ::BP_OK or ::BP_ERR_INVALID_ARGUMENT (NULL).
 * @ownership The reclaimed region's bytes go back to the ring.
 * @threadsafety One thread at a time per ring (no lock).
 * @cost O(1), no allocation.
 */
bp_result bp_ring_frame_end(bp_ring *ring);

/**
 * Statistics of a ring.
 * @param ring the ring.
 * @param out receives them; zeroed on failure.
 * @return ::BP_OK or ::BP_ERR_INVALID_ARGUMENT (NULL).
 * @ownership Nothing to free.
 * @threadsafety One thread at a time per ring (no lock).
 * @cost O(1).
 */
bp_result bp_ring_get_stats(const bp_ring *ring, bp_ring_stats *out);

BP_END_DECLS
#endif /* BUFPOOL_H */
