/* Thread caches of thread_safe pools: the locked side. A thread gets a cache at its first
 * acquire through the pool lock; from then on a plain acquire of the cache's group it hands
 * out is tagged with the cache (slot.cache), so the thread's release of it goes back into the
 * cache's magazine under the cache's lock alone (internal/thread_cache.h), and an acquire of
 * the class takes it from there. Whoever takes the pool lock also takes every cache's lock
 * (bpi_tcache_stop), adds their counters to pool->stats (so every count is exact when read;
 * peaks are an upper bound while several threads use caches) and, unless the call is an
 * acquire or release that missed its cache or a frame boundary, puts the cached buffers back
 * into their buckets, so that trims, reports, the invariant check and the pool's end see one
 * pool as without caches. A frame boundary moves the pending releases only and keeps the
 * magazines, so that each thread's next frame hits its own cache, unless a class would hold
 * more than its cap or a cached buffer could be idle (bpi_tcache_frame_check): at every frame
 * boundary the caps and idle trimming hold as without caches. */
#include <sched.h>

#include "internal/pool.h"

_Thread_local bpi_tls_entry bpi_tls_caches[BPI_TLS_WAYS] BPI_TLS_INITIAL_EXEC;

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Until the cache's lock reads free. Its holder is in a hot path of a few dozen instructions
 * (its thread) or a pool-lock call (another thread); either may be preempted there. */
static void wait_unlocked(bpi_tcache *c) {
    for (unsigned spins = 1; atomic_load_explicit(&c->lock, memory_order_relaxed); spins++) {
        cpu_relax();
        if (spins % 1024u == 0) sched_yield();
    }
}

static void lock_cache(bpi_tcache *c) {
    while (atomic_exchange_explicit(&c->lock, 1, memory_order_acquire)) wait_unlocked(c);
}

bool bpi_tcache_wait(bp_pool *pool, bpi_tcache *c) {
    if (!atomic_load_explicit(&c->lock, memory_order_relaxed) || bpi_lock_held_here(pool)) return false;
    wait_unlocked(c);
    return true;
}

/* The counters a cache kept: into pool->stats. The peaks: the pool's in-use bytes at the last
 * fold plus each cache's highest rise since, an upper bound that is exact with one cache. */
static void fold(bp_pool *pool) {
    bp_stats *st = &pool->stats;
    uint64_t peak_in_use = st->bytes_in_use, peak_requested = st->bytes_requested;
    for (uint32_t i = 0; i < pool->tcache_count; i++) {
        bpi_tcache *c = pool->tcaches[i];
        st->acquires += c->acquires; /* all hits: hits = acquires - misses */
        st->releases += c->releases;
        st->bytes_requested += (uint64_t)c->requested;
        st->bytes_in_use += (uint64_t)c->in_use;
        st->bytes_pending += (uint64_t)c->pending;
        st->buffers_pending += (uint32_t)c->pending_buffers;
        peak_in_use += (uint64_t)c->peak_in_use;
        peak_requested += (uint64_t)c->peak_requested;
        c->acquires = c->releases = 0;
        c->requested = c->in_use = c->peak_in_use = c->peak_requested = 0;
        c->pending = c->pending_buffers = 0;
    }
    /* in use never exceeds reserved, nor requested in use: still upper bounds when clamped */
    if (peak_in_use > st->peak_reserved) peak_in_use = st->peak_reserved;
    if (peak_in_use > st->peak_in_use) st->peak_in_use = peak_in_use;
    if (peak_requested > st->peak_in_use) peak_requested = st->peak_in_use;
    if (peak_requested > st->peak_requested) st->peak_requested = peak_requested;
}

/* A cached buffer back in its bucket keeps the frame and time it was pooled at (its release
 * into the cache, or its bucket's stamp when a refill took it): a buffer a cache took and
 * never handed out must still become idle, though every frame end puts it back. The idle
 * trim looks again once it can be (accounting/trim.c's set_trim_due, for this buffer). */
static void keep_pooled_stamp(bp_pool *pool, bpi_slot *s, uint64_t frame, double time) {
    s->frame = frame;
    s->pooled_time = time;
    bpi_trim_note_stamp(pool, frame, time);
}

/* The caches' pending releases, in release order, at the FIFO's tail: every frame boundary is
 * a pool-lock call that brings them here first, so they are of the FIFO's newest frame. */
static void move_pending(bp_pool *pool) {
    for (uint32_t i = 0; i < pool->tcache_count; i++) {
        bpi_tcache *c = pool->tcaches[i];
        for (uint32_t k = 0; k < c->pending_count; k++) {
            pool->slots[c->pending_items[k]].cache = 0;
            bpi_list_push_back(pool, &pool->pending, c->pending_items[k]);
        }
        c->pending_count = 0;
    }
}

/* Every cached buffer back into its bucket, as if released when it entered the cache (the
 * caps apply), pending releases first. True when there was one. */
bool bpi_tcache_flush(bp_pool *pool) {
    bool any = false;
    move_pending(pool);
    for (uint32_t i = 0; i < pool->tcache_count; i++) {
        bpi_tcache *c = pool->tcaches[i];
        c->floor_set = false;
        for (uint32_t w = 0; w < BPI_TCACHE_WAYS; w++) {
            bpi_magazine *m = &c->mag[w];
            for (uint32_t k = 0; k < m->count; k++) { /* oldest first: the newest ends at the head */
                bpi_slot *s = &pool->slots[m->items[k]];
                uint64_t frame = s->frame;
                double time = s->pooled_time;
                s->cache = 0;
                bpi_pool_slot(pool, m->items[k]);
                if (s->state == BPI_POOLED) keep_pooled_stamp(pool, s, frame, time); /* not destroyed or moved */
            }
            any |= m->count != 0;
            m->count = 0;
        }
    }
    return any;
}


/* Can a frame boundary keep the magazines at all? Not where releases wait for frames or a bytes
 * cap applies (bpi_tcache_frame_check says why). */
static bool magazines_may_stay(const bp_pool *pool) { return !pool->release_defers && pool->pooled_cap == UINT64_MAX; }

void bpi_tcache_stop(bp_pool *pool, bpi_cache_mode mode) {
    for (uint32_t i = 0; i < pool->tcache_count; i++) lock_cache(pool->tcaches[i]);
    fold(pool);
    /* where a frame boundary cannot keep them, the magazines go back first, below the buffers
     * the frame end pools from the pending FIFO, as in a pool without caches */
    if (mode == BPI_CACHES_KEEP_MAGAZINES && !magazines_may_stay(pool)) mode = BPI_CACHES_FLUSH;
    if (mode == BPI_CACHES_FLUSH) bpi_tcache_flush(pool);
    else if (mode == BPI_CACHES_KEEP_MAGAZINES) move_pending(pool);
}

/* A cache's floor, if it has none yet: the stamp of the last check, which every buffer
 * released into it since then carries or exceeds. */
static void floor_start(const bp_pool *pool, bpi_tcache *c) {
    if (c->floor_set) return;
    c->floor_set = true;
    c->floor_frame = pool->tcache_check_frame;
    c->floor_time = pool->tcache_check_time;
}

/* Does a class hold more than its cap, counting every cache's magazine of it? With many
 * caches the sum is not worth its cost at every frame boundary: they go back. */
enum { FRAME_CHECK_MAX_CACHES = 8 };
static bool over_cap(const bp_pool *pool) {
    if (pool->tcache_count > FRAME_CHECK_MAX_CACHES) return true;
    for (uint32_t i = 0; i < pool->tcache_count; i++) {
        const bpi_tcache *c = pool->tcaches[i];
        for (uint32_t w = 0; w < BPI_TCACHE_WAYS; w++) {
            const bpi_magazine *m = &c->mag[w];
            if (!m->count) continue;
            const bpi_bucket *b = &pool->groups[c->group].buckets[m->cls];
            uint64_t held = bpi_bucket_count(b);
            for (uint32_t j = 0; j < pool->tcache_count; j++) {
                const bpi_tcache *o = pool->tcaches[j];
                const bpi_magazine *n = &o->mag[w]; /* a class has one way in every cache */
                if (o->group == c->group && n->count && n->cls == m->cls) held += n->count;
            }
            if (held > b->cap) return true;
        }
    }
    return false;
}

/* At a frame boundary (every cache locked, pending releases moved): the magazines go back into
 * their buckets when keeping them would break what a pool without caches guarantees at a frame
 * boundary: a class over its retention cap (a release of the frame may have filled its
 * bucket), a buffer that idle trimming should see (the cache's floor is idle), a bytes cap, or
 * frames in flight (the first frame begin turns them on): the buffers a frame end pools from
 * the pending FIFO are the newest of their bucket, and a pool without caches reuses them
 * first, where a kept magazine would hand out its own older ones and keep more buffers in
 * use than the frames need (none idle, none trimmed). A cache with buffers and no floor got
 * them all by releases since the last check, stamped with that check's frame and clock or
 * later. */
bool bpi_tcache_frame_check(bp_pool *pool) {
    bool flush = !magazines_may_stay(pool) || over_cap(pool);
    for (uint32_t i = 0; i < pool->tcache_count && !flush; i++) {
        bpi_tcache *c = pool->tcaches[i];
        bool any = false;
        for (uint32_t w = 0; w < BPI_TCACHE_WAYS && !any; w++) any = c->mag[w].count != 0;
        if (!any) continue;
        floor_start(pool, c);
        flush = bpi_trim_is_idle(pool, c->floor_frame, c->floor_time);
    }
    if (flush) bpi_tcache_flush(pool);
    pool->tcache_check_frame = pool->stats.frame;
    pool->tcache_check_time = pool->now;
    return flush;
}

/* A frame boundary's unlock: the check runs after the frame end (its frame and clock are the
 * new ones); the buffers it puts back get the idle trim a frame end gives its buckets. */
void bpi_tcache_unlock_frame(bp_pool *pool) {
    if (pool->lock_depth == 1 && pool->tcache_count && bpi_tcache_frame_check(pool) && bpi_trim_due(pool))
        bpi_trim_idle(pool, false);
    bpi_mutex_unlock(pool);
}

void bpi_tcache_resume(bp_pool *pool) {
    for (uint32_t i = 0; i < pool->tcache_count; i++) bpi_tcache_unlock(pool->tcaches[i]);
}

/* This thread's cache, made and registered now if it has none (under the pool lock and
 * locked, as the others are: bpi_tcache_resume unlocks it). NULL when the pool has no
 * caches, all BPI_MAX_TCACHES are taken or the allocation failed: the locked path serves. */
bpi_tcache *bpi_tcache_attach(bp_pool *pool) {
    bpi_tcache *c = bpi_tcache_mine(pool);
    if (c || !pool->tcache_on) return c;
    /* This thread's entry may have gone to another pool of the same way: its cache is found
     * again (or that of an exited thread whose thread-local block this one took over). */
    for (uint32_t i = 0; i < pool->tcache_count && !c; i++)
        if (pool->tcaches[i]->owner == (const void *)bpi_tls_caches) c = pool->tcaches[i];
    if (!c) {
        if (pool->tcache_count == BPI_MAX_TCACHES) return NULL;
        c = bpi_alloc_aligned(pool, sizeof *c, _Alignof(bpi_tcache)); /* its 128-byte line pairs */
        if (!c) return NULL;
        memset(c, 0, sizeof *c);
        atomic_init(&c->lock, 1);
        c->id = (uint8_t)(pool->tcache_count + 1u);
        c->owner = bpi_tls_caches;
        c->key = BPI_NO_KEY;
        c->last_size = 1;
        c->last_cls = bpi_class_of(pool->pow2, 1);
        pool->tcaches[pool->tcache_count++] = c;
    }
    bpi_tls_caches[pool->serial & (BPI_TLS_WAYS - 1u)] = (bpi_tls_entry){pool, pool->serial, c};
    return c;
}

/* After a plain acquire through the pool lock (`index` handed out for request `d`): the
 * buffer is tagged with the cache, so its release goes back into the cache, and up to half
 * a magazine of pooled buffers of its class move from the bucket into the cache. */
void bpi_tcache_adopt(bp_pool *pool, bpi_tcache *c, const bp_acquire_desc *d, uint32_t index) {
    bpi_slot *s = &pool->slots[index];
    if ((d->flags & ~(uint32_t)BP_ACQUIRE_NO_SCOPE) || d->alignment || d->owner || s->linked || pool->trace ||
        pool->release_extras)
        return;
    if (c->key == BPI_NO_KEY) {
        c->key = bpi_request_key(d);
        c->group = s->group;
    }
    if (c->key != bpi_request_key(d) || c->group != s->group) return;
    s->cache = c->id;
    bpi_magazine *m = bpi_tcache_way(c, s->class_index);
    if (m->count && m->cls != s->class_index) return;
    m->cls = s->class_index;
    bpi_bucket *b = s->bucket; /* its cap: the pool's, or raised by retain_demand */
    uint32_t fill = BPI_TCACHE_DEPTH / 2u < b->cap ? BPI_TCACHE_DEPTH / 2u : b->cap;
    uint32_t next, first = m->count;
    while (m->count < fill && (next = bpi_bucket_pop(pool, b)) != BPI_NIL) {
        const bpi_slot *t = &pool->slots[next];
        pool->slots[next].cache = c->id;
        m->items[m->count++] = next;
        /* the floor: no higher than what releases since the last check were stamped with, nor
         * than a refilled buffer's own stamp (kept: see keep_pooled_stamp) */
        floor_start(pool, c);
        if (t->frame < c->floor_frame) c->floor_frame = t->frame;
        if (t->pooled_time < c->floor_time) c->floor_time = t->pooled_time;
    }
    /* the bucket's order kept: its newest on top (the next hit's), its oldest back first */
    for (uint32_t lo = first, hi = m->count; lo + 1u < hi; lo++, hi--) {
        uint32_t t = m->items[lo];
        m->items[lo] = m->items[hi - 1u];
        m->items[hi - 1u] = t;
    }
}

/* The pool's end (no other thread may use it now): cached buffers back, caches freed. */
void bpi_tcache_destroy(bp_pool *pool) {
    fold(pool);
    bpi_tcache_flush(pool);
    for (uint32_t i = 0; i < pool->tcache_count; i++) bpi_free(pool, pool->tcaches[i]);
    pool->tcache_count = 0;
}
