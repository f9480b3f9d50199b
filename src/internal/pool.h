/* Internal pool layout shared by every layer. Names bpi_ are internal, cross-file. */
#ifndef BPI_POOL_H
#define BPI_POOL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bufpool.h"
#include "placement/size_class.h"

#define BPI_NIL UINT32_MAX
#define BPI_NO_KEY UINT64_MAX              /* a hot_key no request has (memory kinds are small) */
#define BPI_MAX_GROUPS 32u                 /* distinct (memory, usage, alignment) keys */
#define BPI_INDEX_BITS 24u                 /* low 24 bits of the id: slot index */
#define BPI_MAX_SLOTS (1u << BPI_INDEX_BITS)

typedef enum bpi_state {
    BPI_FREE = 0,   /* slot holds no buffer */
    BPI_IN_USE,     /* held by the application */
    BPI_PENDING,    /* released, waiting for frames in flight */
    BPI_POOLED      /* ready for reuse */
} bpi_state;

/* One buffer. The `list` links chain the slot in at most one list chosen by its state:
 * in use -> transient list (transient), live list (acquired inside a scope: scope_depth > 0),
 * or none (both links NIL); pending -> pending FIFO; free -> free slots. Pooled slots are in
 * no list. The `aux` links chain it in its owner's list (in use) or its bucket (pooled).
 * The fields a pool hit and a plain release touch come first. */
typedef struct bpi_slot {
    /* Slots on whole 128-byte line pairs (the table is allocated on one, handle_table.c): two
     * threads' slots share no line, nor a pair the adjacent-line prefetcher fetches together.
     * With 192-byte slots, 2 threads on one thread_safe pool did 57 million pairs a second
     * instead of 68 (bufpool_bench threads, five alternating runs), depending on where the
     * table fell. */
    /* The id the slot issued last, whole: a hit adds 1 << 32 to hand out the next and a release
     * compares a handle with it in one compare. Its low word (tag | index) is set when the slot
     * is taken (bpi_slot_new) and kept through every reset; the high word is the generation. */
    _Alignas(128) union {
        uint64_t id;
        struct {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
            uint32_t generation, id_low;
#else
            uint32_t id_low, generation;
#endif
        };
    };
    uint8_t state;
    uint8_t linked;             /* in use and in a list or an owner's: not a plain release */
    uint8_t group;
    uint8_t cache;              /* thread cache owning it (its id, 1..): see lifecycle/thread_cache.c */
    uint16_t class_index;
    uint32_t aux_prev, aux_next; /* slot links (bpi_link_of), not indices */
    /* Pairs a hand-out writes in one store each (bpi_slot_store_pair): flags and scope_depth, then
     * native_generation and line. */
    uint32_t flags;             /* acquire flags */
    uint32_t scope_depth;       /* scope open when acquired (0 = none) */
    uint32_t native_generation;
    int line;
    struct bpi_bucket *bucket;  /* groups[group].buckets[class_index]: a release finds it in one load */
    uint64_t size;              /* requested */
    uint64_t frame;             /* acquire frame (in use), release frame (pending), pooled frame */
    uint64_t seq;               /* in use: stats.acquires after its acquire (acquisition order; an
                                   undone acquire uncounts itself); pooled: pool->seq, which
                                   counts the poolings (pooling order) */
    /* The generation when this native's hits were last zero: every hit hands out one more
     * id, so its hits are generation - hit_base (bpi_slot_hits), counted by no call. Folded
     * into the class when the native is destroyed or moves (bpi_slot_fold_hits). */
    uint32_t hit_base;
    uint32_t owner_rec;         /* held with an owner: where its record was when linked (owners.c) */
    const char *tag;
    const char *file;
    double pooled_time;
    uint64_t owner;
    uint32_t list_prev, list_next;
    bp_backend_buffer native;
} bpi_slot;

/* What bp_release may do before any lock or call (bpi_release_mode): nothing (a lock,
 * release extras, a trace or a callback running), pool a plain buffer, or queue it for the
 * frames in flight. */
typedef enum bpi_release_mode { BPI_RELEASE_LOCKED = 0, BPI_RELEASE_POOLS, BPI_RELEASE_DEFERS } bpi_release_mode;

/* A bucket is ordered by pooling: head most recently pooled (warm caches), tail the oldest,
 * so the oldest pooled buffer of the pool is the oldest of the bucket tails. */
/* A bucket's retention cap is its own: `cap` starts at the pool's retain_cap and, with
 * retain_demand, rises with the class's misses (trim.c). `release_cap` is what a release
 * compares its count with: `cap`, or 0 with a bytes cap (bpi_pooled_over_cap applies both).
 * The bucket keeps `room`, release_cap - count, rather than its count (bpi_bucket_count): a
 * release takes one and is over the cap when that leaves less than none, one instruction and
 * its jump where the count took a load, add, store, compare and jump. */
typedef struct bpi_bucket {
    uint32_t head, tail; /* slot links (bpi_link_of) */
    int64_t room;
    uint32_t release_cap;
    uint32_t cap;
    uint32_t capped; /* retain_demand: buffers the cap destroyed that no miss has answered yet */
} bpi_bucket;

typedef struct bpi_group {
    uint32_t used;
    uint32_t memory;
    uint32_t usage;      /* 0 when the backend is not usage-sensitive */
    uint32_t align_shift;/* 0 = the backend's alignment */
    bpi_bucket *buckets; /* one per size class */
} bpi_group;

/* Per-class history kept off the hot path: `used` once a buffer of the class was created,
 * acquires = misses + the hits of destroyed buffers (live buffers count theirs in the slot).
 * The per-class state counts are recounted from the slots when read (bpi_class_totals). */
typedef struct bpi_class_counters {
    uint32_t used;
    uint64_t acquires, hits;
} bpi_class_counters;

typedef struct bpi_list {
    uint32_t head, tail;
} bpi_list;

/* Thread caches of thread_safe pools (lifecycle/thread_cache.c). A cache serves one thread:
 * up to BPI_TCACHE_WAYS classes of one group, BPI_TCACHE_DEPTH pooled buffers each, and the
 * counters of its hits and releases not yet added to pool->stats. */
#define BPI_MAX_TCACHES 64u
#define BPI_TCACHE_WAYS 32u /* a frame's classes in rotation: 32 consecutive fine classes span 16x in size */
#define BPI_TCACHE_DEPTH 8u
#define BPI_TCACHE_PENDING 64u /* releases a cache keeps between two pool-lock calls, with frames in flight */

typedef struct bpi_magazine {
    uint32_t cls, count; /* the class its buffers are of (while count > 0) */
    uint32_t items[BPI_TCACHE_DEPTH];
} bpi_magazine;

typedef struct bpi_tcache {
    _Alignas(128) atomic_int lock; /* its thread's hot path, or a pool lock holder */
    uint8_t id;                   /* slot.cache of the slots it owns */
    const void *owner;            /* its thread (the address of that thread's bpi_tls_caches) */
    uint8_t group;
    uint64_t key;                 /* bpi_request_key of its group; BPI_NO_KEY until set */
    uint64_t last_size;           /* the last size it served, always a valid one (1 at first), */
    uint32_t last_cls;            /* and its class: a repeated size skips the checks and lookup */
    /* A lower bound of the pooled stamps of its magazines' buffers, when floor_set: a frame
     * boundary that keeps the magazines puts them back if one could be idle (bpi_tcache_frame_check). */
    bool floor_set;
    uint64_t floor_frame;
    double floor_time;
    bpi_magazine mag[BPI_TCACHE_WAYS];
    /* not yet in pool->stats (bpi_tcache_fold). Not beside the lock: there (measured with
     * `bufpool_bench threads`, five alternating runs) 2 threads did 47 million pairs a second
     * instead of 58, and the hit was no shorter. */
    uint64_t acquires, releases;
    int64_t requested, in_use, pending, pending_buffers;
    int64_t peak_requested, peak_in_use; /* highest `requested` and `in_use` since the fold */
    uint32_t pending_count;       /* released with frames in flight: the pool's pending FIFO's next */
    uint32_t pending_items[BPI_TCACHE_PENDING];
    /* whole 128-byte line pairs (thread_cache.c allocates on them): the adjacent-line prefetch
     * of one cache never pulls in another's */
    char pad_[128];
} bpi_tcache;

#define BPI_OVER_MAX 16u /* buckets over their cap a frame lists before its end walks them all */
#define BPI_BORROW_LARGE_SIZE (64u << 10) /* where the default reuse_larger_classes rises (pool_api.c) */
#define BPI_BORROW_LARGE_CLASSES 8u   /* ... to a power of two of fine classes */
#define BPI_HEADROOM_BATCH 32u /* buffers one walk over the buckets finds for make_headroom */
#define BPI_HEADROOM_FLOOR (4ull << 20) /* ... and never less: a small working set keeps its classes */

struct bp_pool {
    /* The hot block: everything a pool hit and a plain release read, together. */
    bpi_slot *slots;
    uint32_t slot_count;
    uint32_t tag_bits;          /* the pool's tag (1..255) << BPI_INDEX_BITS: the high 8 bits of every
                                   id's low word (bpi_id_index) */
    uint64_t fast_max_size;     /* sizes 1..this pass the size checks of an acquire */
    uint64_t plain_key;         /* hot_key where the unlocked plain hit may run (no lock, no open
                                   scope), else BPI_NO_KEY: one compare tests all three */
    uint64_t hot_key;           /* (memory, usage) of the last plain request's group (see */
    bpi_bucket *hot_buckets;    /* bpi_request_key), and its buckets; BPI_NO_KEY when no hit */
    uint64_t hot_size;          /* may skip the slow path (none found, eviction callback, trace) */
    bpi_bucket *hot_bucket;     /* hot_size's bucket in hot_buckets (hot_size is always valid) */
    bool thread_safe;
    bool release_pools;         /* the bpi_release_mode, as one flag per plain release, so that */
    bool release_queues;        /* bp_release tests each with one compare (bpi_set_release_mode) */
    bool release_defers;        /* a release waits frames_in_flight frame ends (frames began) */
    uint32_t scope_depth;
    uint32_t retain_cap;        /* max_pooled_per_class; UINT32_MAX when the pool keeps all; each
                                   bucket's cap starts here (bpi_bucket) */
    bool retain_demand;         /* a dynamic pool's desc.retain_demand: caps follow the misses */
    uint32_t headroom;          /* a dynamic pool's pooled_headroom in percent; UINT32_MAX = off */
    uint64_t pooled_cap;        /* max_pooled_bytes; UINT64_MAX when the pool keeps all */
    uint64_t seq;
    double now;                 /* clock read at frame end / trim; hot paths do not read it */
    uint32_t clock_skip;        /* frame ends left until the next reading (bpi_frame_clock) */
    uint32_t clock_stride;      /* frame ends between readings: 1, or more for fast frames */
    uint64_t clock_frame;       /* stats.frame at the last reading */
    bp_stats stats;

    bp_pool_desc desc;          /* resolved: no zero defaults left */
    char name[64];
    bp_backend backend;
    bp_backend_caps caps;
    bp_allocator alloc;
    int pow2;
    uint32_t borrow_classes;    /* reuse_larger_classes as a count (0: none) below BPI_BORROW_LARGE_SIZE */
    uint32_t borrow_classes_large; /* ... and from that size up (>= borrow_classes) */
    atomic_int lock_word;       /* the pool lock (support.c): 0 free, 1 held, 2 held with sleepers */
    atomic_uintptr_t lock_owner; /* pthread_self() of the holder, 0 when free */
    uint32_t lock_depth;        /* holder's nesting (the eviction callback re-enters the pool) */

    uint32_t slot_capacity;
    uint32_t free_slots;        /* singly linked through list_next */

    bpi_group groups[BPI_MAX_GROUPS];
    uint32_t group_count;
    bpi_class_counters *classes;
    uint16_t used_classes[BPI_MAX_CLASSES]; /* classes that ever held a buffer, ascending */
    uint32_t used_class_count;

    bpi_list live, transient, pending; /* live: held non-transient buffers with scope_depth > 0 */
    /* Idle trimming looks at the bucket tails only once one can be idle: the frame and the
     * clock reading at which the oldest pooled buffer it saw when it last looked becomes idle
     * (later pooled buffers are younger). Never (UINT64_MAX, HUGE_VAL) in pools that keep all. */
    uint64_t trim_due_frame;
    double trim_due_time;
    /* The class cap within a frame (trim.c): a release over its class's cap while a frame is
     * open keeps the buffer and lists the bucket (group << 16 | class) for the frame end, which
     * trims it to its cap; over_count past BPI_OVER_MAX: walk every bucket. While any is listed,
     * trim_due_frame is 0 (the frame end looks) and trim_idle_frame keeps idle trimming's own. */
    uint64_t trim_idle_frame;
    uint32_t over_count;
    uint32_t over[BPI_OVER_MAX];
    /* Buffers a frame end pools from the pending FIFO are offered for one frame before their
     * class's cap applies: while promoting, a class over its cap is listed too, and the list
     * waits for a frame end after frame over_hold. */
    bool promoting;
    uint64_t over_hold;

    bool in_frame;
    bool warned;
    bool frames_used;
    bool in_eviction;
    bool in_callback;           /* in another application callback (bpi_callback_enter): pool calls refused */
    bool in_logger;             /* the logger is running: messages of refused calls are not logged again */
    char last_error[256];

    FILE *trace;                /* event trace (accounting/trace.c), or NULL */
    struct bpi_undo *undo;      /* the two-step call in progress (lifecycle/undo.c), or NULL */
    void *ext[4];               /* feature state (owners, scopes, series...) owned by their files */

    bool release_extras;        /* guard bytes, poison or zero on release: fixed at creation */
    bool release_short;         /* no release extras, no trace: a release may take a short path (the
                                   thread cache's, the frame end's, the scope end's; bpi_fast_flags) */
    bool frame_extras;          /* a series or plot hook, a trace, the backend's frame end or
                                   diagnostics: the frame end's optional steps (bpi_fast_flags) */
    bool frame_begin_plain;     /* no lock, frames begun before, no backend frame hook: a frame
                                   begin only opens the frame, outside callbacks (bpi_fast_flags) */
    bool frame_next_plain;      /* frame_begin_plain and no frame_extras: bp_frame_next is the
                                   plain frame end and an open (bpi_fast_flags) */
    bool hit_blocked;           /* in the eviction callback, or tracing: acquires take the full path */

    /* The pool lock's sleepers (api/support.c): threads waiting for the lock, and the futex
     * word they sleep on (1: an unlock woke one that has not looked at the lock yet). */
    atomic_uint lock_waiters;
    atomic_int lock_wake;

    /* Thread caches: written under the pool lock with every cache's lock held; a thread
     * holding only its own cache's lock reads pool fields and writes its cache and the slots
     * it owns (lifecycle/thread_cache.c). */
    uint64_t serial;            /* unique per pool created: tells a thread's cache entry apart */
    bool tcache_on;             /* thread_safe, not no_thread_cache, not fixed capacity */
    uint32_t tcache_count;
    bpi_tcache *tcaches[BPI_MAX_TCACHES];
    uint64_t tcache_check_frame; /* the frame and clock at the last bpi_tcache_frame_check: what */
    double tcache_check_time;    /* every buffer released into a cache since then is stamped with, or later */
};

/* The key of the unlocked plain hit follows hot_key and the scope depth. A thread_safe pool's
 * stays BPI_NO_KEY from creation on (bpi_acquire_init) and is never written again: an acquire
 * reads it before taking the lock, so a write here would race with that read. */
static inline void bpi_plain_key_update(bp_pool *pool) {
    if (!pool->thread_safe) pool->plain_key = pool->scope_depth ? BPI_NO_KEY : pool->hot_key;
}

/* Every write of hot_key goes through here. */
static inline void bpi_set_hot_key(bp_pool *pool, uint64_t key) {
    pool->hot_key = key;
    bpi_plain_key_update(pool);
}

static inline bpi_release_mode bpi_get_release_mode(const bp_pool *pool) {
    return pool->release_pools ? BPI_RELEASE_POOLS : pool->release_queues ? BPI_RELEASE_DEFERS : BPI_RELEASE_LOCKED;
}

static inline void bpi_set_release_mode(bp_pool *pool, bpi_release_mode mode) {
    pool->release_pools = mode == BPI_RELEASE_POOLS;
    pool->release_queues = mode == BPI_RELEASE_DEFERS;
}

/* The pool-wide conditions of the inline hit and release, recomputed whenever one changes
 * (eviction callback, trace file, first frame). */
static inline void bpi_fast_flags(bp_pool *pool) {
    pool->hit_blocked = pool->in_eviction || pool->trace;
    if (pool->hit_blocked) bpi_set_hot_key(pool, BPI_NO_KEY);
    /* A pool that never began a frame has no GPU frame to wait for. */
    pool->release_defers = pool->desc.frames_in_flight != BP_IMMEDIATE_REUSE && pool->frames_used;
    pool->release_short = !pool->release_extras && !pool->trace; /* a thread cache reads it under its lock */
    pool->frame_extras = pool->ext[2] || pool->trace || pool->backend.frame_end || pool->desc.diagnostics_every_frames;
    pool->frame_begin_plain =
        !pool->thread_safe && pool->frames_used && !pool->backend.frame_begin && !pool->backend.frame_complete;
    pool->frame_next_plain = pool->frame_begin_plain && !pool->frame_extras;
    /* A thread_safe pool's mode stays BPI_RELEASE_LOCKED from creation on and is never written
     * again: bp_release reads it before taking the lock, so a write here would race with that read. */
    if (!pool->thread_safe)
        bpi_set_release_mode(pool, !pool->release_short ? BPI_RELEASE_LOCKED
                                   : pool->release_defers              ? BPI_RELEASE_DEFERS
                                                                       : BPI_RELEASE_POOLS);
}

/* support.c */
void *bpi_alloc(bp_pool *pool, size_t size);
void *bpi_alloc_aligned(bp_pool *pool, size_t size, size_t alignment); /* a power of two */
void bpi_free(bp_pool *pool, void *ptr);
double bpi_clock(bp_pool *pool);
void bpi_mutex_lock(bp_pool *pool);   /* thread_safe pools: through bpi_lock/bpi_unlock */
/* What taking the pool lock does with the thread caches' buffers (lifecycle/thread_cache.c). */
typedef enum bpi_cache_mode {
    BPI_CACHES_FLUSH,          /* back into their buckets, pending releases into the FIFO */
    BPI_CACHES_KEEP,           /* left where they are: an acquire or release that missed its cache */
    BPI_CACHES_KEEP_MAGAZINES, /* pending releases into the FIFO, magazines kept: a frame boundary */
} bpi_cache_mode;
void bpi_mutex_lock_ex(bp_pool *pool, bpi_cache_mode mode); /* bpi_lock_keep_caches, bpi_lock_frame */
void bpi_mutex_unlock(bp_pool *pool);
bool bpi_lock_held_here(const bp_pool *pool); /* does the calling thread hold the pool lock? */

/* lifecycle/thread_cache.c (the hit and release: internal/thread_cache.h) */
void bpi_tcache_stop(bp_pool *pool, bpi_cache_mode mode); /* lock every cache, fold, then as `mode` says */
void bpi_tcache_resume(bp_pool *pool);                  /* unlock every cache */
struct bpi_tcache *bpi_tcache_attach(bp_pool *pool);    /* this thread's, made if need be; or NULL */
void bpi_tcache_adopt(bp_pool *pool, struct bpi_tcache *c, const bp_acquire_desc *d, uint32_t index);
bool bpi_tcache_flush(bp_pool *pool);                   /* cached buffers back to buckets; any? (caches exist) */
bool bpi_tcache_frame_check(bp_pool *pool); /* a frame boundary's: magazines back where a cap or idleness needs them */
void bpi_tcache_unlock_frame(bp_pool *pool); /* that check, then the pool lock's unlock */
bool bpi_trim_is_idle(const bp_pool *pool, uint64_t frame, double time); /* accounting/trim.c: would idle trimming destroy it */
void bpi_tcache_destroy(bp_pool *pool);
bp_result bpi_fail(bp_pool *pool, bp_result r, bp_log_item item, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void bpi_log(bp_pool *pool, bp_log_level level, bp_log_item item, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* BP_OK, or BP_ERR_BUSY for a call (`call` names it) that the eviction callback may not make:
 * it would create buffers or end scopes inside the make-room loop that called it. */
static inline bp_result bpi_not_in_eviction(bp_pool *pool, bp_log_item item, const char *call) {
    if (!(pool->in_eviction | pool->in_callback)) return BP_OK; /* one test on the frame path */
    return bpi_fail(pool, BP_ERR_BUSY, item, "%s called from inside the %s callback", call,
                    pool->in_callback ? "an application" : "eviction");
}

/* BP_OK, or BP_ERR_BUSY for a call from inside any callback but the eviction callback (which
 * may release): the pool is in the middle of a call of its own. */
static inline bp_result bpi_not_in_callback(bp_pool *pool, bp_log_item item, const char *call) {
    if (!pool->in_callback) return BP_OK;
    return bpi_fail(pool, BP_ERR_BUSY, item, "%s called from inside an application callback", call);
}

/* Around a call of an application callback other than eviction (logger, warning, clock,
 * metadata allocator, backend, plot hook): pool calls from it are refused (BP_ERR_BUSY,
 * bpi_not_in_eviction / bpi_not_in_callback), the inline hit and release included (no hot
 * key, no plain release); both come back as they were, since the callback changed nothing. */
typedef struct bpi_callback_guard {
    uint64_t hot_key;
    bool in_callback;
    bpi_release_mode release_mode;
} bpi_callback_guard;

static inline bpi_callback_guard bpi_callback_enter(bp_pool *pool) {
    bpi_callback_guard g = {pool->hot_key, pool->in_callback, bpi_get_release_mode(pool)};
    pool->in_callback = true;
    bpi_set_hot_key(pool, BPI_NO_KEY);
    if (!pool->thread_safe) bpi_set_release_mode(pool, BPI_RELEASE_LOCKED); /* a thread_safe pool's always is */
    return g;
}

static inline void bpi_callback_leave(bp_pool *pool, bpi_callback_guard g) {
    pool->in_callback = g.in_callback;
    bpi_set_hot_key(pool, g.hot_key);
    if (!pool->thread_safe) bpi_set_release_mode(pool, g.release_mode);
}

/* The aux links (buckets, owners' lists) name a slot by its place in the table in bytes,
 * index * sizeof(bpi_slot): the hit and the release reach a slot from a link with one add,
 * where an index takes a shift as well. BPI_NIL is no slot's link (2^24 slots of 256 bytes
 * end at 2^32 - 256). */
#define BPI_SLOT_SHIFT 8u
_Static_assert(sizeof(bpi_slot) == 1u << BPI_SLOT_SHIFT, "a slot link is its index shifted by BPI_SLOT_SHIFT");
_Static_assert((uint64_t)BPI_MAX_SLOTS << BPI_SLOT_SHIFT <= (uint64_t)UINT32_MAX + 1u, "every link fits 32 bits");
/* (both from one 64-bit shift, which a slot's address and its link then share) */
static inline uint64_t bpi_slot_offset(uint32_t index) { return (uint64_t)index << BPI_SLOT_SHIFT; }
static inline uint32_t bpi_link_of(uint32_t index) { return (uint32_t)bpi_slot_offset(index); }
static inline uint32_t bpi_link_index(uint32_t link) { return link >> BPI_SLOT_SHIFT; }
static inline bpi_slot *bpi_link_slot(const bp_pool *pool, uint32_t link) {
    return (bpi_slot *)(void *)((char *)pool->slots + link);
}
static inline uint32_t bpi_slot_index(const bp_pool *pool, const bpi_slot *s) { return (uint32_t)(s - pool->slots); }
/* &pool->slots[index] as the hot paths address slots, so that a release computes a slot's
 * address and link once (index < slot_count: the link does not wrap). */
static inline bpi_slot *bpi_slot_at(const bp_pool *pool, uint32_t index) {
    return (bpi_slot *)(void *)((char *)pool->slots + bpi_slot_offset(index));
}

/* Pool hits of a slot's native since its last fold (bpi_slot.hit_base). */
static inline uint32_t bpi_slot_hits(const bpi_slot *s) { return s->generation - s->hit_base; }
/* accounting/stats.c: a native's hits into its class's counters, the slot's back to zero. */
void bpi_slot_fold_hits(bp_pool *pool, bpi_slot *s);

/* handles/handle_table.c */
static inline uint64_t bpi_make_id(const bp_pool *p, uint32_t index, uint32_t gen) {
    return ((uint64_t)gen << 32) | p->tag_bits | index;
}
/* The slot index an id names, in one xor: another pool's tag leaves bits above the index, so
 * the result is past every slot count (tag and range are one compare). */
static inline uint32_t bpi_id_index(const bp_pool *p, uint64_t id) { return (uint32_t)id ^ p->tag_bits; }
/* A hand-out's id: the slot's last one with the generation one higher, recorded as its last
 * (its low word is bpi_make_id's already: bpi_slot_new). */
static inline uint64_t bpi_slot_next_id(bpi_slot *s) {
    s->id += (uint64_t)1 << 32;
    return s->id;
}
bp_result bpi_slot_new(bp_pool *pool, uint32_t *out_index);
void bpi_slot_retire(bp_pool *pool, uint32_t index);
void bpi_slot_unnew(bp_pool *pool, uint32_t index, uint32_t old_count);
bp_result bpi_lookup(bp_pool *pool, bp_buffer buf, bpi_slot **out_slot);
/* A pooled buffer whose slot issued its last id moves to a fresh slot (destroyed when none). */
void bpi_slot_renew_pooled(bp_pool *pool, uint32_t index);
bp_result bpi_lookup_held(bp_pool *pool, bp_buffer buf, bpi_slot **out_slot);

/* lists, bucket push/pop and state counters: inline, in internal/hot.h (end of this file) */

/* placement/buckets.c */
int bpi_group_find(bp_pool *pool, uint32_t memory, uint32_t usage, uint32_t align_shift);
bp_result bpi_group_get(bp_pool *pool, uint32_t memory, uint32_t usage, uint32_t align_shift, int *out);
/* Smallest used class >= from_class with a pooled buffer in group g, or -1. */
int bpi_bucket_next_nonempty(const bp_pool *pool, int g, uint32_t from_class);
/* The oldest pooled buffer (lowest pooling seq among the bucket tails), or BPI_NIL. */
uint32_t bpi_oldest_pooled(const bp_pool *pool);
/* The oldest pooled buffer of each bucket, up to `max` of the oldest of them, oldest first
 * (one walk over the buckets for a batch of destroys); their count. */
uint32_t bpi_oldest_pooled_n(const bp_pool *pool, uint32_t *out, uint32_t max);
void bpi_class_note_used(bp_pool *pool, uint32_t class_index); /* keeps used_classes sorted */
void bpi_bucket_push_tail(bp_pool *pool, uint32_t index);      /* as the oldest (an undone borrow) */

/* lifecycle/resize.c: a new native when `new_size` exceeds the capacity (generation + 1). */
bp_result bpi_resize(bp_pool *pool, bp_buffer buf, uint64_t new_size);

/* api/array_api.c: copy between two held buffers (the backend's copy, else memmove). */
bp_result bpi_copy_locked(bp_pool *pool, bp_buffer src, uint64_t src_offset, bp_buffer dst, uint64_t dst_offset,
                          uint64_t size);

/* lifecycle/acquire.c, release.c, frames.c */
void bpi_acquire_init(bp_pool *pool); /* after the caps are known */
bp_result bpi_acquire(bp_pool *pool, const bp_acquire_desc *desc, bp_buffer *out, const char *file, int line);

/* lifecycle/undo.c: the acquires of a two-step call (bp_duplicate, bp_resize,
 * bp_acquire_upload, bp_acquire_skin, bp_frame_set_acquire), undone exactly when a later
 * step fails. Under the pool lock: bpi_undo_begin, then bpi_undo_acquire for each buffer,
 * then bpi_undo_commit (success) or bpi_undo_rollback (any failure, the acquire's own too).
 * Their trace lines wait for the commit. Only these calls pay for it: plain acquires and
 * releases never look at it. */
#define BPI_UNDO_MAX 8u /* acquires in one call: BP_FRAME_SET_MAX */

typedef struct bpi_undo_entry {
    uint32_t index;       /* the slot handed out */
    uint32_t slot_count;  /* a miss: the table's length before (index beyond it: a fresh slot) */
    bool hit;
    bool tail;            /* a hit: it left its bucket's tail (borrowed by a smaller class) */
    bool class_was_used;  /* a miss: its class had held a buffer before */
    bool raised_cap;      /* a miss: it raised its bucket's cap (retain_demand) */
    bool traced;          /* its A line is written (bpi_undo_trace) */
    uint64_t id, size;
    bpi_slot pooled;      /* a hit: the slot as it lay at the head of its bucket */
} bpi_undo_entry;

typedef struct bpi_undo {
    uint32_t count;       /* acquires done; e[count] is the one in progress */
    uint64_t peak_reserved, peak_in_use, peak_requested, warnings;
    bool warned;
    bpi_undo_entry e[BPI_UNDO_MAX];
} bpi_undo;

void bpi_undo_begin(bp_pool *pool, bpi_undo *u);
bp_result bpi_undo_acquire(bp_pool *pool, bpi_undo *u, const bp_acquire_desc *desc, bp_buffer *out,
                           const char *file, int line); /* lifecycle/acquire.c */
void bpi_undo_save_hit(bp_pool *pool, bpi_undo *u, uint32_t index, bool tail); /* bpi_undo_acquire's steps */
void bpi_undo_save_miss(bp_pool *pool, bpi_undo *u, uint32_t class_index);
void bpi_undo_push(bpi_undo *u, uint64_t id, uint64_t size);
void bpi_undo_trace(bp_pool *pool); /* write the A lines now (before the eviction callback runs) */
void bpi_undo_commit(bp_pool *pool, bpi_undo *u);
void bpi_undo_rollback(bp_pool *pool, bpi_undo *u);
void bpi_undo_end(bp_pool *pool, bpi_undo *u, bp_result r); /* commit on BP_OK, else roll back */
bp_result bpi_release_slot(bp_pool *pool, uint32_t index); /* bpi_release_held, out of line */
void bpi_link_held(bp_pool *pool, uint32_t index); /* a held slot into its list and owner's */
void bpi_scrub(bp_pool *pool, bpi_slot *slot);              /* poison or zero on release */
bp_result bpi_create_native(bp_pool *pool, int group, uint32_t class_index, const char *tag,
                            bp_backend_buffer *out);
void bpi_destroy_native(bp_pool *pool, bpi_slot *slot);
void bpi_make_pooled(bp_pool *pool, uint32_t index); /* bpi_pool_slot, out of line */
void bpi_promote_pending(bp_pool *pool);
bp_result bpi_frame_end(bp_pool *pool);
bp_result bpi_frame_next(bp_pool *pool); /* bp_frame_next's usual case (frame_next_plain) */

/* accounting/trim.c */
void bpi_destroy_pooled(bp_pool *pool, uint32_t index);
void bpi_trim_idle(bp_pool *pool, bool everything);
/* bp_trim with `everything`: the backend gives back the memory no buffer uses (its `trim`;
 * dynamic pools: a fixed or high-water pool never calls the backend after creation). */
void bpi_backend_trim(bp_pool *pool);
/* A pooled buffer stamped (frame, time) older than the pool's clock: the idle trim looks again
 * once it can be idle (trim.c keeps the thresholds). */
void bpi_trim_note_stamp(bp_pool *pool, uint64_t frame, double time);
void bpi_trim_init(bp_pool *pool); /* at creation, once the desc is resolved */
void bpi_frame_clock(bp_pool *pool); /* accounting/trim.c: a frame end's clock reading, when due */
void bpi_clock_now(bp_pool *pool);   /* a reading outside the frame end (bp_trim, bp_trim_older_than) */
void bpi_enforce_pooled_cap(bp_pool *pool);
void bpi_pooled_over_cap(bp_pool *pool, uint32_t index); /* a release over its bucket's release_cap */
/* retain_cap and pooled_cap from the desc (creation, bp_set_max_pooled), every bucket's caps
 * reset to them; then the caps' enforcement on what is pooled already */
void bpi_retention_init(bp_pool *pool);
void bpi_bucket_caps_reset(const bp_pool *pool, bpi_bucket *b); /* a bucket's caps from the pool's */
bool bpi_retain_demand_miss(bp_pool *pool, uint32_t index); /* a miss's buffer: true if it raised its cap */
void bpi_retain_demand_unmiss(const bp_pool *pool, bpi_bucket *b); /* that raise undone */
void bpi_destroy_idle(bp_pool *pool, uint32_t index); /* trimmed for age: a raised cap comes down */
void bpi_enforce_class_cap(bp_pool *pool);
bp_result bpi_make_room(bp_pool *pool, uint64_t bytes);
/* owners: a newly allocated array (free with bpi_free) of owner ids, lowest priority first. */
bp_result bpi_owners_by_priority(bp_pool *pool, uint64_t **out, uint32_t *out_count);

/* accounting/stats.c */
void bpi_stats_created(bp_pool *pool, const bpi_slot *slot);
void bpi_stats_destroyed(bp_pool *pool, bpi_slot *slot);
/* Every class's stats (indexed by class; class_size set for all), recounted from the slots. */
void bpi_class_totals(const bp_pool *pool, bp_class_stats all[BPI_MAX_CLASSES]);
void bpi_check_warning(bp_pool *pool);

/* accounting/held.c: every held buffer, non-transient ones in acquisition order, then the
 * transient list. `fn` must not release or acquire. */
typedef void (*bpi_held_fn)(bp_pool *pool, const bpi_slot *slot, void *ctx);
void bpi_for_each_held(bp_pool *pool, bpi_held_fn fn, void *ctx);

/* accounting/leak_report.c */
void bpi_report_leaks(bp_pool *pool);

/* accounting/check.c: recount everything; BP_ERR_CORRUPTION with last_error on a mismatch. */
bp_result bpi_check(bp_pool *pool);

/* lifecycle/owners.c (state in ext[0]) */
bp_result bpi_owner_reserve(bp_pool *pool, uint64_t owner); /* before an acquire: may allocate */
void bpi_owner_unreserve(bp_pool *pool, uint64_t owner);  /* undo a reserve of a failed acquire */
void bpi_owner_link(bp_pool *pool, uint32_t index);         /* slot became in use with an owner */
void bpi_owner_unlink(bp_pool *pool, uint32_t index);       /* slot leaves in-use */
/* The unlocked owner hit and release (no lock, open scope, extras or trace): false, having
 * changed nothing, where the full path must run. */
bool bpi_owner_acquire_hit(bp_pool *pool, const bp_acquire_desc *d, bp_buffer *out, const char *file, int line);
bool bpi_owner_release_plain(bp_pool *pool, bp_buffer buf);
void bpi_owner_capacity_changed(bp_pool *pool, uint32_t index, uint64_t old_capacity); /* native replaced */
bp_result bpi_owner_release(bp_pool *pool, uint64_t owner, uint32_t *out_released);
bp_result bpi_owner_set_priority(bp_pool *pool, uint64_t owner, float priority);
bp_result bpi_owner_usage(bp_pool *pool, uint64_t owner, bp_owner_usage *out);
bp_result bpi_calculate_owners(bp_pool *pool, bp_owner_usage *out, uint32_t capacity, uint32_t *out_count);
void bpi_owners_destroy(bp_pool *pool);

/* lifecycle/scopes.c (state in ext[1]) */
bp_result bpi_scopes_reserve(bp_pool *pool); /* allocate the scope stack now (fixed pools) */
bp_result bpi_scope_begin(bp_pool *pool, bp_scope *out);
bp_result bpi_scope_end(bp_pool *pool, bp_scope mark, uint32_t *out_released);
void bpi_scopes_destroy(bp_pool *pool);

/* accounting/diagnostics.c: periodic diagnostics line, called at every frame end */
void bpi_diagnostics_frame(bp_pool *pool);
uint32_t bpi_owner_count(bp_pool *pool); /* lifecycle/owners.c: owners known now */

/* accounting/guards.c: debug guard bytes after mapped buffers (pool->desc.guard_bytes) */
static inline uint64_t bpi_usable_capacity(const bp_pool *pool, const bpi_slot *s) {
    return s->native.capacity - pool->desc.guard_bytes; /* byte counters include the guard */
}
void bpi_guard_fill(const bp_pool *pool, const bp_backend_buffer *native);
/* BP_OK, or BP_ERR_CORRUPTION (logged with the tag; the pattern is restored). */
bp_result bpi_guard_check(bp_pool *pool, const bpi_slot *slot, const char *when);

/* accounting/trace.c: the replayable event trace (A/R/F lines), when pool->trace is open */
bp_result bpi_trace_open(bp_pool *pool);
void bpi_trace_close(bp_pool *pool);
static inline void bpi_trace_acquire(bp_pool *pool, uint64_t id, uint64_t size) {
    if (pool->trace) fprintf(pool->trace, "A %llu %llu\n", (unsigned long long)id, (unsigned long long)size);
}
static inline void bpi_trace_release(bp_pool *pool, uint64_t id) {
    if (pool->trace) fprintf(pool->trace, "R %llu\n", (unsigned long long)id);
}
static inline void bpi_trace_frame(bp_pool *pool) {
    if (pool->trace) fputs("F\n", pool->trace);
}

/* Feature hooks called by the core (ext[1..3] belong to scopes, series, debug). */
void bpi_series_frame(bp_pool *pool);     /* a frame ended */

/* accounting/series.c (state in ext[2]) */
bp_result bpi_series_init(bp_pool *pool);       /* at create: the ring of series_frames points */
void bpi_series_frame_closing(bp_pool *pool);   /* bp_frame_end, before transients return */
void bpi_series_destroy(bp_pool *pool);
void bpi_features_destroy(bp_pool *pool); /* free ext[1..3] */

#include "internal/hot.h"
#include "internal/thread_cache.h"

#endif
