/* The thread cache's hit and release (lifecycle/thread_cache.c has the rest): a thread_safe
 * pool serves a plain acquire from the calling thread's cache, and takes back a buffer that
 * cache handed out, under that cache's lock alone, so threads on one pool do not take turns
 * at its lock or pass its cache lines around. The rule that makes it safe: every pool field
 * and every slot a cache does not own is written only under the pool lock with every cache's
 * lock held (bpi_mutex_lock); a thread holding its own cache's lock may read pool fields and
 * write its cache and the slots it owns (slot.cache == its id). Included by pool.h. */
#ifndef BPI_THREAD_CACHE_H
#define BPI_THREAD_CACHE_H

/* A thread's caches, one entry per pool it used lately: valid while `serial` matches the
 * pool's (a destroyed pool's address may come back as another pool). */
#define BPI_TLS_WAYS 4u
typedef struct bpi_tls_entry {
    const bp_pool *pool;
    uint64_t serial;
    bpi_tcache *cache;
} bpi_tls_entry;
/* Initial-exec: the thread_safe hit reads it at a fixed offset from the thread pointer. With
 * the default model the shared library calls __tls_get_addr on every acquire and release, and
 * even linked statically the compiler keeps registers for that call (measured with callgrind,
 * `bufpool_bench_shared` / `bufpool_bench callgrind-hit 4096 200000 thread-safe`: a pair is 227
 * instructions both ways instead of 268 and 244). The library's whole TLS (these 96 bytes: keep
 * it that small) then comes from the static TLS block; a dlopen of the library takes it from
 * glibc's surplus for that (512 bytes by default; test_dlopen_shared loads it so). */
#if defined(__GNUC__) && defined(__ELF__)
#define BPI_TLS_INITIAL_EXEC __attribute__((tls_model("initial-exec")))
#else
#define BPI_TLS_INITIAL_EXEC
#endif
extern _Thread_local bpi_tls_entry bpi_tls_caches[BPI_TLS_WAYS] BPI_TLS_INITIAL_EXEC;

static inline bpi_tcache *bpi_tcache_mine(const bp_pool *pool) {
    const bpi_tls_entry *e = &bpi_tls_caches[pool->serial & (BPI_TLS_WAYS - 1u)];
    return e->pool == pool && e->serial == pool->serial ? e->cache : NULL;
}

/* Held by a pool lock holder (or this thread, re-entering from a callback): false at once. */
static inline bool bpi_tcache_trylock(bpi_tcache *c) {
    return !atomic_exchange_explicit(&c->lock, 1, memory_order_acquire);
}

static inline void bpi_tcache_unlock(bpi_tcache *c) { atomic_store_explicit(&c->lock, 0, memory_order_release); }

/* After this thread's cache did not serve a call: when another thread's pool lock holds the
 * cache (bpi_tcache_stop), waits until it gives it back, and returns true: the call tries its
 * cache again. False at once when the cache is free (it failed for another reason) or this
 * thread holds the pool lock (a callback re-entering the pool): the locked path serves.
 * Falling back at once instead made two threads on one pool feed each other's fallbacks: the
 * fallen-back release put its buffer in the bucket, so the next acquire missed the cache and
 * took the pool lock, which held the other thread's cache in turn; rounds of 2 threads went
 * from 106 million pairs a second to 8-50, with tens of thousands of locked calls in a round
 * that should take none (lifecycle/thread_cache.c). */
bool bpi_tcache_wait(bp_pool *pool, bpi_tcache *c);

static inline bpi_magazine *bpi_tcache_way(bpi_tcache *c, uint32_t cls) { return &c->mag[cls % BPI_TCACHE_WAYS]; }

/* The counters a hand-out moves, kept in the cache until the next fold; only a hand-out can
 * raise the peaks. */
static inline void bpi_tcache_count_out(bpi_tcache *c, uint64_t capacity, uint64_t size) {
    c->acquires++;
    c->in_use += (int64_t)capacity;
    c->requested += (int64_t)size;
    if (c->in_use > c->peak_in_use) c->peak_in_use = c->in_use;
    if (c->requested > c->peak_requested) c->peak_requested = c->requested;
}

/* ... and a take-back. */
static inline void bpi_tcache_count_back(bpi_tcache *c, uint64_t capacity, uint64_t size) {
    c->releases++;
    c->in_use -= (int64_t)capacity;
    c->requested -= (int64_t)size;
}

/* A plain acquire (no owner, alignment, zeroing, transient flag or open scope) of the cache's
 * group, served from its magazine for the class. False, having changed nothing, otherwise. */
BPI_HOT bool bpi_tcache_acquire(bp_pool *pool, bpi_tcache *c, const bp_acquire_desc *d, bp_buffer *out,
                                const char *file, int line) {
    uint64_t size = d->size;
    uint32_t flags = d->flags;
    if ((bpi_request_key(d) != c->key) ||
        ((flags & ~(uint32_t)BP_ACQUIRE_NO_SCOPE) | d->alignment | d->owner))
        return false;
    uint32_t cls = c->last_cls; /* last_size and last_cls are the cache's own: no lock needed */
    if (size != c->last_size) {
        if (size - 1u >= pool->fast_max_size) return false;
        c->last_size = size;
        cls = c->last_cls = bpi_class_of(pool->pow2, size);
    }
    if (!bpi_tcache_trylock(c)) return false;
    bpi_magazine *m = bpi_tcache_way(c, cls);
    if ((m->count == 0) | (m->cls != cls) | pool->hit_blocked | (pool->scope_depth && !(flags & BP_ACQUIRE_NO_SCOPE))) {
        bpi_tcache_unlock(c);
        return false;
    }
    uint32_t index = m->items[--m->count];
    bpi_slot *s = bpi_slot_at(pool, index);
    out->id = bpi_slot_next_id(s);
    s->state = BPI_IN_USE;
    s->flags = flags; /* it has no scope depth: only unlinked buffers enter a cache */
    bpi_slot_store_pair(s, offsetof(bpi_slot, native_generation), 1, (uint32_t)line);
    s->size = size;
    s->tag = d->tag;
    s->file = file;
    s->frame = pool->stats.frame;
    s->seq = pool->stats.acquires; /* the pool's count is not ours to move: ties with the last one */
    bpi_tcache_count_out(c, s->native.capacity, size);
    bpi_tcache_unlock(c);
    return true;
}

/* A plain held buffer this cache handed out goes back into its magazine, or, with frames in
 * flight, into its list of pending releases (the pool's pending FIFO takes them at the next
 * pool-lock call, before any frame end). Not with release extras, a trace, or, for the
 * magazine, a bytes cap. False, having changed nothing, otherwise (a wrong handle included:
 * the locked path says what is wrong). */
BPI_HOT bool bpi_tcache_release(bp_pool *pool, bpi_tcache *c, bp_buffer buf) {
    if (!bpi_tcache_trylock(c)) return false;
    uint32_t index = bpi_id_index(pool, buf.id);
    bool ok = pool->release_short & (index < pool->slot_count);
    bpi_slot *s = ok ? bpi_slot_at(pool, index) : NULL;
    /* only the slots this cache owns are read further: no other thread writes them now */
    ok = ok && s->cache == c->id && s->id == buf.id && bpi_held_unlinked(s) && s->generation != UINT32_MAX;
    if (ok && pool->release_defers) {
        ok = c->pending_count < BPI_TCACHE_PENDING;
        if (ok) {
            c->pending_items[c->pending_count++] = index;
            s->state = BPI_PENDING;
            s->frame = pool->stats.frame;
            c->pending += (int64_t)s->native.capacity;
            c->pending_buffers++;
        }
    } else if (ok) {
        bpi_magazine *m = bpi_tcache_way(c, s->class_index);
        ok = (pool->pooled_cap == UINT64_MAX) & (m->count == 0 || m->cls == s->class_index) &
             (m->count < BPI_TCACHE_DEPTH) & (m->count < s->bucket->cap); /* written with every cache locked */
        if (ok) {
            m->cls = s->class_index;
            m->items[m->count++] = index;
            s->state = BPI_POOLED;
            s->frame = pool->stats.frame;
            s->pooled_time = pool->now;
        }
    }
    if (ok) bpi_tcache_count_back(c, s->native.capacity, s->size);
    bpi_tcache_unlock(c);
    return ok;
}

#endif
