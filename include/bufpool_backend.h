/**
 * @file bufpool_backend.h
 * @brief The backend table: how a pool creates, maps, copies and destroys real memory.
 *
 * A backend knows nothing of pools. It is a versioned table of functions plus a `user`
 * pointer. Required methods: `create` and `destroy`. Every other method may be NULL; the
 * core then uses a fallback (for example `upload` falls back to a memcpy into `mapped`
 * followed by `flush`) or returns ::BP_ERR_UNSUPPORTED.
 *
 * Ownership: a table passed in ::bp_pool_desc is copied into the pool, and the pool calls
 * `release` (when not NULL) exactly once, at ::bp_pool_destroy, or when ::bp_pool_create
 * fails. Thread-safety: the pool calls a backend under its own lock when the pool is
 * `thread_safe`, and never calls one backend from two threads at once otherwise.
 */
#ifndef BUFPOOL_BACKEND_H
#define BUFPOOL_BACKEND_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

/**
 * @def BP_BEGIN_DECLS
 * Opens the declarations of a public header: C linkage for C++, and default visibility while
 * the library itself is compiled (it is built with hidden visibility, so only what public
 * headers declare is exported). Every public header wraps its declarations in
 * ::BP_BEGIN_DECLS ... ::BP_END_DECLS.
 * @def BP_END_DECLS
 * Closes ::BP_BEGIN_DECLS.
 */
#if defined(BP_BUILDING_LIBRARY) && defined(__GNUC__)
#define BP_VISIBILITY_PUSH_ _Pragma("GCC visibility push(default)") /**< Part of ::BP_BEGIN_DECLS. */
#define BP_VISIBILITY_POP_ _Pragma("GCC visibility pop")              /**< Part of ::BP_END_DECLS. */
#else
#define BP_VISIBILITY_PUSH_ /**< Part of ::BP_BEGIN_DECLS. */
#define BP_VISIBILITY_POP_  /**< Part of ::BP_END_DECLS. */
#endif
#ifdef __cplusplus
#define BP_BEGIN_DECLS extern "C" { BP_VISIBILITY_PUSH_
#define BP_END_DECLS BP_VISIBILITY_POP_ }
#else
#define BP_BEGIN_DECLS BP_VISIBILITY_PUSH_
#define BP_END_DECLS BP_VISIBILITY_POP_
#endif

BP_BEGIN_DECLS

/** Version of the backend table layout; a table with another version is refused. */
#define BP_BACKEND_VERSION 1u

#ifndef BP_RESULT_DEFINED
#define BP_RESULT_DEFINED /**< ::bp_result is defined (guards its one definition). */
/** Result of every fallible call. Zero is success; ::bp_result_string names each code. */
typedef enum bp_result {
    BP_OK = 0,                  /**< Success. */
    BP_ERR_INVALID_ARGUMENT,    /**< A NULL pointer, an unknown enum or flag, a bad desc field. */
    BP_ERR_INVALID_SIZE,        /**< A size of zero. */
    BP_ERR_TOO_LARGE,           /**< A size beyond what the backend (or class scheme) supports. */
    BP_ERR_OVERFLOW,            /**< count x element size (or offset + size) overflows 64 bits. */
    BP_ERR_INVALID_HANDLE,      /**< The zero handle. */
    BP_ERR_STALE_HANDLE,        /**< A handle whose buffer was released and handed out again. */
    BP_ERR_FOREIGN_HANDLE,      /**< A handle that belongs to another pool, or was never issued. */
    BP_ERR_DOUBLE_RELEASE,      /**< A handle released a second time. */
    BP_ERR_FRAME_STATE,         /**< Frame calls out of order (begin twice, end without begin). */
    BP_ERR_OUT_OF_MEMORY,       /**< Memory could not be allocated: host metadata, or a buffer whose backend said so. */
    BP_ERR_BACKEND,             /**< The backend failed to create, map, copy or upload. */
    BP_ERR_BUDGET,              /**< The acquire would exceed the memory budget, even after eviction. */
    BP_ERR_CAPACITY,            /**< A fixed cap is full: a fixed-capacity pool's buffers, `max_buffers`, the backend's
                                     allocation limit, a binding table, an object pool, a ring or a virtual block. */
    BP_ERR_UNSUPPORTED,         /**< The backend lacks the method, or the memory kind. */
    BP_ERR_SCOPE,               /**< A scope mark that is not open in this pool. */
    BP_ERR_BUFFER_TOO_SMALL,    /**< An output buffer (text, array) is too small; the size needed is returned. */
    BP_ERR_OUT_OF_RANGE,        /**< offset + size lies outside the buffer. */
    BP_ERR_CORRUPTION,          /**< Guard bytes after a buffer were overwritten, or an invariant check failed. */
    BP_ERR_NOT_FOUND,           /**< A name or owner that is not known. */
    BP_ERR_BUSY,                /**< A call the eviction callback may not make (acquire, resize, duplicate, scope end). */
    BP_RESULT_COUNT             /**< Number of result codes; not a result. */
} bp_result;
#endif

#ifndef BP_MEMORY_DEFINED
#define BP_MEMORY_DEFINED /**< ::bp_memory is defined (guards its one definition). */
/** Where a buffer lives (seed 003's memory strategies). */
typedef enum bp_memory {
    BP_MEMORY_DEVICE_LOCAL = 0, /**< Fastest for the device; on host-only backends, plain host memory. Default. */
    BP_MEMORY_HOST_VISIBLE = 1, /**< Mapped, coherent: CPU writes are seen without a flush. */
    BP_MEMORY_HOST_CACHED = 2,  /**< Mapped, cached: explicit ::bp_flush / ::bp_invalidate. */
    BP_MEMORY_COUNT = 3         /**< Number of memory kinds; not a kind. */
} bp_memory;
#endif

/** Buffer usage flags (a bit set). Zero means every usage the backend supports. */
enum bp_usage_bits {
    BP_USAGE_VERTEX = 1u << 0,       /**< Vertex or instance data. */
    BP_USAGE_INDEX = 1u << 1,        /**< Index data. */
    BP_USAGE_UNIFORM = 1u << 2,      /**< Uniform / constant buffer. */
    BP_USAGE_STORAGE = 1u << 3,      /**< Storage (read-write from shaders). */
    BP_USAGE_TRANSFER_SRC = 1u << 4, /**< Source of copies. */
    BP_USAGE_TRANSFER_DST = 1u << 5, /**< Destination of copies and uploads. */
    BP_USAGE_INDIRECT = 1u << 6,     /**< Indirect draw/dispatch arguments. */
    BP_USAGE_ALL = 0x7Fu             /**< Every usage above. */
};

/** One buffer as the backend sees it. The core stores it and passes it back unchanged. */
typedef struct bp_backend_buffer {
    uint64_t native;        /**< Backend handle: VkBuffer, cl_mem, CUdeviceptr or host address. */
    uint64_t native_memory; /**< Backing allocation (VkDeviceMemory), or 0. */
    uint64_t offset;        /**< Offset of the buffer inside `native_memory`, or 0. */
    uint64_t capacity;      /**< Bytes the backend really reserved (>= the size asked). */
    void *mapped;           /**< Host pointer when mapped persistently, else NULL. */
    uint32_t memory;        /**< The ::bp_memory really used (after any fallback). */
    uint32_t usage;         /**< The usage bits the buffer was created with. */
    void *backend_data;     /**< Private to the backend. */
} bp_backend_buffer;

/** What the core asks `create` for. */
typedef struct bp_backend_create_desc {
    uint64_t size;      /**< Bytes (already rounded to the size class). */
    uint32_t memory;    /**< Wanted ::bp_memory. */
    uint32_t usage;     /**< ::bp_usage_bits (never zero: the core resolves the default). */
    uint64_t alignment; /**< Minimum alignment in bytes (power of two). */
    const char *tag;    /**< The first user's tag, for debugging names; may be NULL. */
} bp_backend_create_desc;

/** Static facts about a backend, from `query_caps`. */
typedef struct bp_backend_caps {
    uint64_t max_buffer_size;  /**< Largest single buffer; 0 means no limit known. */
    uint64_t min_alignment;    /**< Alignment every buffer has. */
    uint32_t usage_sensitive;  /**< Nonzero: a pooled buffer is reused only for compatible usage. */
    uint32_t memory_kinds;     /**< Bit i set when ::bp_memory i is available (after fallback). */
    uint32_t max_allocations;  /**< Limit on live device allocations (maxMemoryAllocationCount); 0 = none. */
} bp_backend_caps;

/** Memory budget reported by the device (VK_EXT_memory_budget or heap sizes). */
typedef struct bp_backend_budget {
    uint64_t budget_bytes; /**< What the process may use. */
    uint64_t usage_bytes;  /**< What the process uses now. */
} bp_backend_budget;

/**
 * The backend table. Fill it with a backend constructor (::bp_host_backend,
 * `bp_vulkan_backend_create`, ...) or by hand for a backend of your own.
 */
typedef struct bp_backend {
    uint32_t version;     /**< ::BP_BACKEND_VERSION. */
    uint32_t struct_size; /**< sizeof(bp_backend). */
    const char *name;     /**< Short name, e.g. "host", "vulkan". */
    void *user;           /**< Passed as the first argument of every method. */

    /** Create a buffer. Required. On failure leave `out` untouched and return an error. */
    bp_result (*create)(void *user, const bp_backend_create_desc *desc, bp_backend_buffer *out);
    /** Destroy a buffer made by `create`. Required. */
    void (*destroy)(void *user, const bp_backend_buffer *buf);
    /** Fill `out` with the backend's limits. Optional (defaults: buffers up to 2^48 bytes, 16-byte
     *  alignment, every memory kind); a zero field also takes its default. */
    bp_result (*query_caps)(void *user, bp_backend_caps *out);
    /** Make CPU writes in [offset, offset+size) visible to the device. Optional (no-op). */
    bp_result (*flush)(void *user, const bp_backend_buffer *buf, uint64_t offset, uint64_t size);
    /** Make device writes visible to the CPU. Optional (no-op). */
    bp_result (*invalidate)(void *user, const bp_backend_buffer *buf, uint64_t offset, uint64_t size);
    /** Write bytes into a buffer (staging for device-local memory). Optional (memcpy to `mapped` + flush). */
    bp_result (*upload)(void *user, const bp_backend_buffer *dst, uint64_t offset, const void *data, uint64_t size);
    /** Read bytes back. Optional (invalidate + memcpy from `mapped`). */
    bp_result (*download)(void *user, const bp_backend_buffer *src, uint64_t offset, void *data, uint64_t size);
    /** Copy between two buffers. Optional (memcpy between `mapped` pointers). */
    bp_result (*copy)(void *user, const bp_backend_buffer *src, uint64_t src_offset,
                      const bp_backend_buffer *dst, uint64_t dst_offset, uint64_t size);
    /** Report the device's memory budget. Optional (::BP_ERR_UNSUPPORTED). */
    bp_result (*query_budget)(void *user, bp_backend_budget *out);
    /** Called by ::bp_frame_begin with the new frame index. Optional. */
    void (*frame_begin)(void *user, uint64_t frame);
    /** Called by ::bp_frame_end with the ending frame index. Optional. */
    void (*frame_end)(void *user, uint64_t frame);
    /** Release the backend itself; called once when the pool is destroyed. Optional. */
    void (*release)(void *user);
    /** Whether the device has finished the work of frame `frame` (a fence or timeline semaphore
     *  says so): 1 yes, 0 not yet, -1 unknown. When it answers 0 or 1, a released buffer waits
     *  for that instead of `frames_in_flight` frame ends. Optional (the frame count). */
    int (*frame_complete)(void *user, uint64_t frame);
    /** Give memory the backend holds but no buffer uses back to the system (free space in
     *  blocks); called by ::bp_trim with `everything` after it destroyed the pooled buffers.
     *  Optional (no-op). */
    void (*trim)(void *user);
} bp_backend;

/** Host memory allocation callbacks (used for metadata and by the host backend). */
typedef struct bp_allocator {
    /** Allocate `size` bytes aligned to `alignment` (a power of two). Return NULL on failure. */
    void *(*alloc)(void *user, size_t size, size_t alignment);
    /** Free memory from `alloc`; `ptr` may be NULL. */
    void (*free)(void *user, void *ptr);
    void *user; /**< Passed to both callbacks. */
} bp_allocator;

/** Options of the host backend; zero-initialised means defaults. */
typedef struct bp_host_backend_desc {
    uint64_t alignment;       /**< Alignment of every buffer; 0 = 64 (a cache line). */
    uint64_t max_buffer_size; /**< Largest buffer; 0 = 1 TiB. */
    /** Where buffer memory comes from. Zeroes = libc: posix_memalign/free, except for a buffer
     *  of at least 512 times its alignment (32 KiB at the default 64), which is a malloc of its
     *  size plus the alignment less 16, aligned inside (glibc's posix_memalign splits and
     *  frees chunks around the block: measured 23% of a miss-heavy trace's instructions). That
     *  slack, at most 0.2% of the buffer, is the allocator's, not counted in its capacity. */
    bp_allocator allocator;
    /** 0 = one allocation per buffer (a pool given no backend makes its own with
     *  ::BP_HOST_DEFAULT_BLOCK_SIZE instead). Otherwise block mode: buffers are ranges of host
     *  blocks placed by TLSF (as ::bp_vblock_alloc), so creating one costs a range search
     *  instead of a malloc and destroying one returns its range to the block. Buffers of up to
     *  a quarter of this size share blocks of up to this size: a new block is at most what the
     *  blocks already hold (at least 64 KiB and twice the buffer that opens it, rounded up to a
     *  power of two), and the first three at most 1/8, 1/4 and 1/2 of it, so a small working
     *  set holds small blocks (seed 000's instances: 1 MiB). Larger ones, up to twice this
     *  size, open blocks of their own size class (four times the buffer, rounded up to a power
     *  of two) that later buffers share too; larger still, an allocation each. A block whose
     *  last range is freed is kept empty while the empty blocks kept stay within a quarter of
     *  all blocks' bytes (one at least), else freed. A multiple of `alignment`, at least 64 KiB.
     *  With libc's memory on Linux the blocks are mapped by the backend and counted by the page:
     *  a page is held once a range has covered it (see `purge_after` for giving pages back), so
     *  `held_bytes` is what a program that writes its buffers holds, not the blocks' address
     *  space; with an application's `allocator` every byte of a block counts.
     *  The pool's counters, its budget and its retention caps count its buffers' bytes, not
     *  the blocks: free space in blocks is outside them. ::bp_host_backend_get_stats reports
     *  what the backend holds. */
    uint64_t block_size;
    /** Block mode with libc's memory on Linux (never with an application's `allocator`):
     *  blocks are mapped (mmap) and only the pages ranges have covered count as held; free
     *  space no range has used for this many range placements and frees (the backend's clock:
     *  it ticks with pool misses and destroys) is given back to the kernel
     *  (`madvise(MADV_DONTNEED)`) while the free space kept passes a sixteenth of the bytes
     *  ranges use and 2 MiB, newest blocks first, largest free ranges (of at least 1 MiB)
     *  first. A range placed there later faults in zeroed pages at its first touch: a program
     *  that writes its buffers pays a page fault per page given back and used again (with every
     *  page written, 1 = at once took 1.4x the time on the benchmark's random workload and 18x
     *  on its mixed trace: bench/RESULTS-write-pages.md). ::bp_trim with `everything` gives
     *  back every free page at once. 0 = 1024;
     *  1 = at once; `UINT32_MAX` = never (all of it stays mapped). */
    uint32_t purge_after;
    /** Block mode with libc's memory on Linux (with `purge_after` other than `UINT32_MAX`):
     *  the bytes held never pass their peak while free space can make room. Before a range
     *  that takes pages with no memory behind them, or a buffer too large for blocks (an
     *  allocation of its own), would raise `peak_held_bytes`, as many bytes
     *  of free block space go back to the kernel first (free ranges of at least 64 KiB, those
     *  unused for `purge_after` ticks first, then any, largest and newest blocks first), so
     *  the process's resident memory stays at the most its buffers needed at once plus the
     *  smaller free fragments. The benchmark's vegetation trace held 643 MiB instead of 828
     *  (its peak in use 518), the mixed trace 102 instead of 108; with `pooled_headroom` 10 as
     *  well, random 72 instead of 100. Off by default: where the program writes its buffers,
     *  the space given back faults in again when a range uses it (with every page written the
     *  mixed trace took 9.1x the time, vegetation 5.1x, random 1.8x;
     *  bench/RESULTS-write-pages.md). */
    bool hold_at_peak;
    /** Block mode with libc's memory on Linux: the pages a range takes that have no memory
     *  behind them (pages of a new block, or given back) get it at once, when the range is
     *  placed, one `madvise(MADV_POPULATE_WRITE)` a run of them (Linux 5.14; a kernel that does
     *  not know it gets a byte written in each page; out of memory, the pages fault in later,
     *  as without the option), and so do the pages of a buffer too large for blocks. Without
     *  it each such page is a page fault at its first write, in whatever frame writes it first.
     *  With it a pool whose buffers are made before its frames
     *  (`capacity_table`, a warm-up frame) takes no page fault in them, and a miss pays for its
     *  pages in one call, cheaper than fault by fault (on the benchmark's virtual machine the
     *  first write of a fresh page cost 9.2 us; populating it 0.5 us and its first write then
     *  4.0, the hypervisor's share: the first pass of the mixed trace with every page written
     *  took half the time). The price: pages a program never writes are memory all the same
     *  (the held count already counts them). Off by default. */
    bool populate;
} bp_host_backend_desc;

/** The block size of the host backend a pool makes for itself when its desc names no backend:
 *  its buffers of up to 2 MiB are TLSF ranges of host blocks of at most 8 MiB (the first ones
 *  smaller, see `block_size`), those up to 16 MiB ranges of blocks of their own size class,
 *  larger ones an allocation each. A pool miss is then a range search, not a malloc: glibc
 *  maps, unmaps and trims large blocks, and a miss through it cost microseconds in the
 *  benchmark (bench/RESULTS.md) against tens of ns in blocks. The price is the free space in
 *  blocks that ranges have covered, held until it is used again or given back (see
 *  `purge_after`), outside the pool's counters and budget. A table from ::bp_host_backend with
 *  a zero `block_size` makes one allocation per buffer. */
#define BP_HOST_DEFAULT_BLOCK_SIZE (8ull << 20)

/** What a host backend in block mode holds (::bp_host_backend_get_stats). */
typedef struct bp_host_backend_stats {
    uint32_t blocks;             /**< Blocks allocated now (the empty ones kept included). */
    uint32_t peak_blocks;        /**< Most blocks at once. */
    uint64_t block_bytes;        /**< Bytes of those blocks. */
    uint64_t block_allocations;  /**< Blocks ever allocated from `allocator`. */
    uint32_t ranges;             /**< Buffers placed in blocks now. */
    uint64_t range_bytes;        /**< Their bytes (sizes rounded to `alignment`). */
    uint32_t dedicated;          /**< Buffers with an allocation of their own now. */
    uint64_t dedicated_bytes;    /**< Their bytes. */
    uint64_t held_bytes;         /**< block_bytes - purged_bytes + dedicated_bytes: what the backend holds. */
    uint64_t peak_held_bytes;    /**< Most held_bytes at once. */
    /** Bytes of blocks with no memory behind them now: pages no range has covered since the
     *  block was mapped, or given back to the kernel (see `purge_after`); 0 with an
     *  application's allocator, whose blocks count whole. */
    uint64_t purged_bytes;
    uint64_t purge_calls;        /**< madvise calls that gave pages back, ever. */
} bp_host_backend_stats;

/**
 * Fill `out` with the host backend: aligned host memory, always mapped.
 * @param desc options, or NULL for defaults.
 * @param out  the table to fill.
 * @return ::BP_OK, ::BP_ERR_INVALID_ARGUMENT (NULL `out`, alignment not a power of two, only one
 *   of `allocator.alloc` and `allocator.free`, a `block_size` under 64 KiB or not a multiple of
 *   the alignment), ::BP_ERR_OUT_OF_MEMORY (a copy of `desc`).
 * Cost: O(1); no allocation for NULL `desc`, else one malloc for the copy of `desc` (and, in
 *   block mode, its lock and block list; blocks are allocated by `create` as needed).
 * Thread-safety: reentrant.
 * @ownership For NULL `desc` the table refers to no allocation; otherwise to a copy of `desc`
 *   that the table's `release` frees, which a pool given the table calls at its destruction
 *   (a table never given to a pool must be released by calling its `release`).
 */
bp_result bp_host_backend(const bp_host_backend_desc *desc, bp_backend *out);

/**
 * What a host backend in block mode (`block_size` set) holds: blocks, ranges, dedicated
 * buffers and the peak of the bytes held.
 * @param backend a table filled by ::bp_host_backend with a nonzero `block_size` (or a pool's
 *   copy of it: the counts live behind its `user`).
 * @param out the counts.
 * @return ::BP_OK; ::BP_ERR_INVALID_ARGUMENT (NULL argument), ::BP_ERR_UNSUPPORTED (not a host
 *   backend in block mode; `*out` is zeroed).
 * Cost: O(1). Thread-safety: safe with pools using the backend on other threads (the backend's
 * lock). @ownership Takes nothing.
 */
bp_result bp_host_backend_get_stats(const bp_backend *backend, bp_host_backend_stats *out);

/**
 * Start a backend table: zero every method, then set `version`, `struct_size`, `name` and
 * `user`. A backend then fills in `create`, `destroy` and the optional methods it has.
 * @param out  the table; NULL is ignored.
 * @param name short name shown in logs and reports (a static string).
 * @param user passed as the first argument of every method.
 * @ownership Takes nothing: `name` and `user` are stored, not copied.
 * @threadsafety Reentrant. @cost O(1), no allocation.
 */
void bp_backend_init(bp_backend *out, const char *name, void *user);

BP_END_DECLS
#endif /* BUFPOOL_BACKEND_H */
