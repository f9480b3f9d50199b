/* The small operations every acquire and release performs, inline so that they cost no call:
 * the lock test, the handle check, intrusive list links, bucket push/pop, the state
 * counters and the pool hit itself. Included by pool.h; the rest of each layer stays in its own .c file. */
#ifndef BPI_HOT_H
#define BPI_HOT_H

/* The pool hit's pieces are inlined even where a file calls them twice (the compiler would
 * otherwise outline them as they grow); the paths around a hit stay out of it. */
#if defined(__GNUC__)
#define BPI_HOT static inline __attribute__((always_inline))
#define BPI_NOINLINE __attribute__((noinline)) /* the locked/slow path a hit tail-calls */
#define BPI_UNLIKELY(x) __builtin_expect(!!(x), 0) /* lays the hit's common case out straight */
#define BPI_KNOWN_FALSE(x) (__builtin_constant_p(x) && !(x)) /* a constant false argument of an inline */
#else
#define BPI_KNOWN_FALSE(x) 0
#define BPI_UNLIKELY(x) (x)
#define BPI_HOT static inline
#define BPI_NOINLINE
#endif

/* ---- api: the pool lock (thread_safe pools only) ---- */

/* Pools that are not thread_safe pay one test; the lock itself is out of line (support.c). */
static inline void bpi_lock(bp_pool *pool) {
    if (pool->thread_safe) bpi_mutex_lock(pool);
}

static inline void bpi_unlock(bp_pool *pool) {
    if (pool->thread_safe) bpi_mutex_unlock(pool);
}

/* The lock for an acquire or release that its thread cache did not serve: the caches keep
 * their buffers (any other call puts them back in the buckets first). */
static inline void bpi_lock_keep_caches(bp_pool *pool) {
    if (pool->thread_safe) bpi_mutex_lock_ex(pool, BPI_CACHES_KEEP);
}

/* The lock for a frame boundary: the caches keep their magazines unless a cap or an idle
 * buffer needs them back (bpi_tcache_frame_check), so a thread's next frame hits its cache. */
static inline void bpi_lock_frame(bp_pool *pool) {
    if (pool->thread_safe) bpi_mutex_lock_ex(pool, BPI_CACHES_KEEP_MAGAZINES);
}

/* ... and its unlock, which first checks the kept magazines (a pool without a lock pays only
 * the test it always paid). */
static inline void bpi_unlock_frame(bp_pool *pool) {
    if (pool->thread_safe) bpi_tcache_unlock_frame(pool);
}

/* ---- handles: the slot of a buffer the application holds, or NULL; on NULL the caller
 * asks bpi_lookup what is wrong (zero, foreign, stale or released handle) ---- */

static inline bpi_slot *bpi_held_fast(bp_pool *pool, bp_buffer buf) {
    uint32_t index = bpi_id_index(pool, buf.id);
    if (index >= pool->slot_count) return NULL;
    bpi_slot *s = bpi_slot_at(pool, index);
    return s->id == buf.id && s->state == BPI_IN_USE ? s : NULL;
}

/* (state, linked) of a slot in one 16-bit word: held and in no list is one compare. */
static inline bool bpi_held_unlinked(const bpi_slot *s) {
    _Static_assert(offsetof(bpi_slot, linked) == offsetof(bpi_slot, state) + 1, "state and linked adjacent");
    static const uint8_t want[2] = {BPI_IN_USE, 0};
    uint16_t word, plain;
    memcpy(&word, &s->state, sizeof word);
    memcpy(&plain, want, sizeof plain);
    return word == plain;
}

/* Two adjacent 32-bit fields of a slot in one store: compilers merge two constant stores, not
 * a variable and a constant one (the hand-out's flags and scope depth, native generation and
 * line). `first` is the offset of the first field. */
static inline void bpi_slot_store_pair(bpi_slot *s, size_t first, uint32_t a, uint32_t b) {
    const uint32_t pair[2] = {a, b};
    uint64_t word;
    memcpy(&word, pair, sizeof word);
    memcpy((char *)s + first, &word, sizeof word);
}
_Static_assert(offsetof(bpi_slot, scope_depth) == offsetof(bpi_slot, flags) + 4 && offsetof(bpi_slot, flags) % 8 == 0 &&
                   offsetof(bpi_slot, line) == offsetof(bpi_slot, native_generation) + 4 &&
                   offsetof(bpi_slot, native_generation) % 8 == 0 && sizeof(int) == 4,
               "the hand-out's store pairs are adjacent and aligned");

/* ---- lifecycle: intrusive doubly linked lists of slots through their `list` links ---- */

static inline void bpi_list_push_back(bp_pool *pool, bpi_list *list, uint32_t index) {
    bpi_slot *s = bpi_slot_at(pool, index);
    s->list_next = BPI_NIL;
    s->list_prev = list->tail;
    if (list->tail != BPI_NIL) pool->slots[list->tail].list_next = index;
    else list->head = index;
    list->tail = index;
}

/* The head of a list leaves it: cheaper than bpi_list_remove, as a head has no prev (the
 * pending FIFO's promotion and the frame end's return of the transient list). */
static inline void bpi_list_pop_head(bp_pool *pool, bpi_list *list) {
    bpi_slot *s = bpi_slot_at(pool, list->head);
    uint32_t next = s->list_next;
    list->head = next;
    if (next != BPI_NIL) bpi_slot_at(pool, next)->list_prev = BPI_NIL;
    else list->tail = BPI_NIL;
    s->list_next = BPI_NIL;
}

static inline void bpi_list_remove(bp_pool *pool, bpi_list *list, uint32_t index) {
    bpi_slot *s = bpi_slot_at(pool, index);
    if (s->list_prev != BPI_NIL) pool->slots[s->list_prev].list_next = s->list_next;
    else list->head = s->list_next;
    if (s->list_next != BPI_NIL) pool->slots[s->list_next].list_prev = s->list_prev;
    else list->tail = s->list_prev;
    s->list_prev = s->list_next = BPI_NIL;
}

/* The list a held buffer sits in (see bpi_slot), or NULL. */
static inline bpi_list *bpi_held_list(bp_pool *pool, const bpi_slot *s) {
    if (s->flags & BP_ACQUIRE_TRANSIENT) return &pool->transient;
    return s->scope_depth ? &pool->live : NULL;
}

/* ---- placement: one bucket per (group, class) through the `aux` links, newest at the head ---- */

static inline bpi_bucket *bpi_bucket_of(bp_pool *pool, const bpi_slot *s) {
    (void)pool;
    return s->bucket;
}

/* A slot's buffer belongs to group g, class cls (bucket arrays never move once allocated). */
static inline void bpi_slot_set_class(bp_pool *pool, bpi_slot *s, int g, uint32_t cls) {
    s->group = (uint8_t)g;
    s->class_index = (uint16_t)cls;
    s->bucket = &pool->groups[g].buckets[cls];
}

/* Pooled buffers in a bucket (see bpi_bucket). */
static inline uint32_t bpi_bucket_count(const bpi_bucket *b) { return (uint32_t)((int64_t)b->release_cap - b->room); }

/* Returns true when the bucket now holds more than its release_cap. */
static inline bool bpi_bucket_push(bp_pool *pool, uint32_t index) {
    uint32_t link = bpi_link_of(index);
    bpi_slot *s = bpi_slot_at(pool, index);
    bpi_bucket *b = bpi_bucket_of(pool, s);
    uint32_t head = b->head;
    s->aux_next = head; /* its aux_prev is left as it was: a head's is never read */
    if (head != BPI_NIL) bpi_link_slot(pool, head)->aux_prev = link;
    else b->tail = link;
    b->head = link;
    return --b->room < 0;
}

/* A bucket's head keeps no back link (a pop does not touch the next slot's line), so a removal
 * tells the head by the bucket's head field. */
static inline void bpi_bucket_remove(bp_pool *pool, uint32_t index) {
    uint32_t link = bpi_link_of(index);
    bpi_slot *s = bpi_link_slot(pool, link);
    bpi_bucket *b = bpi_bucket_of(pool, s);
    uint32_t prev = b->head == link ? BPI_NIL : s->aux_prev, next = s->aux_next;
    if (prev == BPI_NIL) b->head = next;
    else bpi_link_slot(pool, prev)->aux_next = next;
    if (next != BPI_NIL) bpi_link_slot(pool, next)->aux_prev = prev;
    else b->tail = prev;
    s->aux_prev = s->aux_next = BPI_NIL;
    b->room++;
}

/* Take the most recently pooled buffer of a bucket, or BPI_NIL. The new head's back link is
 * left as it was: heads have none (bpi_bucket_remove); so is the taken slot's forward link
 * (an owner's list, the only other user of the links, sets both), and so is the tail when the
 * bucket empties: an empty bucket's tail is never read (bpi_bucket_oldest). */
static inline bpi_slot *bpi_bucket_pop_slot(bp_pool *pool, bpi_bucket *b) {
    uint32_t link = b->head;
    if (link == BPI_NIL) return NULL;
    bpi_slot *s = bpi_link_slot(pool, link);
    b->head = s->aux_next; /* left as it was: a held slot's is never read */
    b->room++;
    return s;
}

/* ... as an index, or BPI_NIL. */
static inline uint32_t bpi_bucket_pop(bp_pool *pool, bpi_bucket *b) {
    bpi_slot *s = bpi_bucket_pop_slot(pool, b);
    return s ? bpi_slot_index(pool, s) : BPI_NIL;
}

/* The oldest pooled buffer of a bucket (its tail's index), or BPI_NIL when it is empty. */
static inline uint32_t bpi_bucket_oldest(const bpi_bucket *b) {
    return b->head == BPI_NIL ? BPI_NIL : bpi_link_index(b->tail);
}

/* ---- accounting: pool counters kept per state, so bp_get_stats is O(1) (per-class ones are
 * recounted when read) ---- */

static inline void bpi_stats_adjust(bp_pool *pool, const bpi_slot *slot, bpi_state state, int sign) {
    bp_stats *st = &pool->stats;
    uint64_t cap = slot->native.capacity;
    switch (state) {
    case BPI_IN_USE: /* the count is acquires - releases (bpi_buffers_in_use) */
        st->bytes_in_use += sign > 0 ? cap : -cap;
        if (sign > 0 && st->bytes_in_use > st->peak_in_use) st->peak_in_use = st->bytes_in_use;
        break;
    case BPI_PENDING:
        st->bytes_pending += sign > 0 ? cap : -cap;
        st->buffers_pending += (uint32_t)sign;
        break;
    default: /* pooled counts are derived (bpi_stats_read): a hit and a release move two fewer */
        break;
    }
}

/* A slot moves between states; with constant states the switch folds away. */
static inline void bpi_stats_state(bp_pool *pool, const bpi_slot *slot, bpi_state from, bpi_state to) {
    bpi_stats_adjust(pool, slot, from, -1);
    bpi_stats_adjust(pool, slot, to, +1);
}

/* ---- lifecycle: an acquire hands out a slot (hit or new buffer); the common hit is inline ---- */

#define BPI_KNOWN_FLAGS (BP_ACQUIRE_TRANSIENT | BP_ACQUIRE_ZERO | BP_ACQUIRE_NO_SCOPE)

/* The common request in one test: a size the backend can hold, a known memory kind the
 * backend has, known usage and flag bits, no alignment. Anything else takes the full checks. */
static inline bool bpi_valid_fast(const bp_pool *pool, const bp_acquire_desc *d) {
    uint32_t m = (uint32_t)d->memory;
    return (d->size - 1u < pool->fast_max_size) & (m < BP_MEMORY_COUNT) & ((pool->caps.memory_kinds >> (m & 31u)) & 1u) &
           !((d->usage & ~(uint32_t)BP_USAGE_ALL) | (d->flags & ~(uint32_t)BPI_KNOWN_FLAGS) | d->alignment);
}

/* The group cache's key of (memory, usage key, alignment shift). */
static inline uint64_t bpi_group_key(uint32_t memory, uint32_t ukey, uint32_t ashift) {
    return (uint64_t)ukey << 32 | ashift << 8 | memory;
}

/* The fields of a slot handed to the application (counted in use already, list links NIL)
 * and the request counters; returns the new id. `depth` is the open scope it records, `linked`
 * whether the slot goes into a list or an owner's (the caller links it, bpi_link_held). The
 * owner field is 0 (pooled and new slots have none) and stays so unless the caller sets it. */
BPI_HOT uint64_t bpi_hand_out_fields(bp_pool *pool, bpi_slot *s, uint64_t size, uint32_t flags, uint32_t depth,
                                     bool linked, const char *tag, const char *file, int line) {
    uint64_t id = bpi_slot_next_id(s);
    s->state = BPI_IN_USE;
    /* the plain hit stores no link flag: pooled and new slots are unlinked already (bpi_check) */
    if (!BPI_KNOWN_FALSE(linked)) s->linked = linked;
    if (BPI_KNOWN_FALSE(depth)) s->flags = flags; /* a slot that is not held has no scope depth (bpi_check) */
    else bpi_slot_store_pair(s, offsetof(bpi_slot, flags), flags, depth);
    bpi_slot_store_pair(s, offsetof(bpi_slot, native_generation), 1, (uint32_t)line);
    s->size = size;
    s->tag = tag;
    s->file = file;
    s->frame = pool->stats.frame;
    bp_stats *st = &pool->stats;
    s->seq = ++st->acquires; /* the acquisition order is the acquires count (see bpi_slot.seq) */
    st->bytes_requested += size;
    if (st->bytes_requested > st->peak_requested) st->peak_requested = st->bytes_requested;
    return id;
}

/* ... for a request whose list membership follows from its flags, the open scope (unless it
 * opts out) and owner. */
BPI_HOT uint64_t bpi_hand_out_linked(bp_pool *pool, bpi_slot *s, uint64_t size, uint32_t flags, bool owned,
                                     const char *tag, const char *file, int line) {
    uint32_t depth = (flags & BP_ACQUIRE_NO_SCOPE) ? 0 : pool->scope_depth;
    bool linked = (flags & BP_ACQUIRE_TRANSIENT) || depth || owned;
    return bpi_hand_out_fields(pool, s, size, flags, depth, linked, tag, file, line);
}

/* The general hand-out (lifecycle/acquire.c): fields, links, zeroing. */
BPI_HOT uint64_t bpi_hand_out(bp_pool *pool, uint32_t index, const bp_acquire_desc *d, const char *file,
                                    int line) {
    uint32_t flags = d->flags;
    bpi_slot *s = bpi_slot_at(pool, index);
    uint64_t id = bpi_hand_out_linked(pool, s, d->size, flags, d->owner != 0, d->tag, file, line);
    s->owner = d->owner;
    if (s->linked) bpi_link_held(pool, index);
    if ((flags & BP_ACQUIRE_ZERO) && s->native.mapped) memset(s->native.mapped, 0, bpi_usable_capacity(pool, s));
    return id;
}

/* A pooled buffer (out of its bucket) taken for the application: counted in use. Its hit
 * counts itself: the hand-out's new id (bpi_slot_hits); the pool's hits are acquires -
 * misses (bpi_stats_read). */
BPI_HOT void bpi_take_pooled(bp_pool *pool, bpi_slot *s) {
    bpi_stats_state(pool, s, BPI_POOLED, BPI_IN_USE);
}

/* (memory, usage) of a request in one word: they are adjacent in bp_acquire_desc. */
static inline uint64_t bpi_request_key(const bp_acquire_desc *d) {
    _Static_assert(offsetof(bp_acquire_desc, usage) == offsetof(bp_acquire_desc, memory) + 4 &&
                       sizeof(bp_memory) == 4,
                   "memory and usage must be adjacent 32-bit fields");
    uint64_t key;
    memcpy(&key, &d->memory, sizeof key);
    return key;
}

/* Points pool->hot_bucket at the bucket of a plain request's size in the hot group, or returns
 * false for a size no acquire takes: a cache of the size checks and the class lookup, right
 * whether or not the acquire hits. The cached size is always a valid one (find_group starts it
 * at 1), so a match needs no check: the caller tests `size != pool->hot_size` first. */
BPI_HOT bool bpi_hot_bucket_refresh(bp_pool *pool, uint64_t size) {
    if (size - 1u >= pool->fast_max_size) return false;
    pool->hot_size = size;
    pool->hot_bucket = pool->hot_buckets + bpi_class_of(pool->pow2, size);
    return true;
}

/* The pooled buffer of `size` in the hot group's bucket, taken for the application (counted in
 * use), or NULL (no such buffer, or a size no acquire takes), having changed nothing the
 * caller can see. The caller has matched the request's key with the hot group's. */
BPI_HOT bpi_slot *bpi_take_hot(bp_pool *pool, uint64_t size) {
    if (BPI_UNLIKELY(size != pool->hot_size) && !bpi_hot_bucket_refresh(pool, size)) return NULL;
    bpi_slot *s = bpi_bucket_pop_slot(pool, pool->hot_bucket);
    if (s) bpi_take_pooled(pool, s);
    return s;
}

/* The oldest idle buffer of the classes a miss of class cls may borrow from, out of its bucket
 * (it stays of its own class), or BPI_NIL (lifecycle/acquire.c). */
uint32_t bpi_borrow_idle_larger(bp_pool *pool, bpi_bucket *buckets, uint32_t cls);

/* The plain hit's second chance, on its caller's slow path: when the hot bucket of `size` was
 * empty (bpi_take_hot has just looked), an idle buffer of a larger class, as the full acquire
 * would find it first (pop_pooled), taken for the application, or NULL. A pool whose demand
 * settled on a larger class's idle buffers (the fixed_capacity trace: 5,000 borrows a pass)
 * otherwise paid the whole acquire for each. Kept off the hit itself, which would grow by
 * six instructions. A fixed pool's borrow (any larger class) stays with the full acquire. */
static inline bpi_slot *bpi_take_hot_borrowed(bp_pool *pool, uint64_t size) {
    /* hot_size differs only for a size no acquire takes (bpi_take_hot refreshed it otherwise) */
    if (size != pool->hot_size || !pool->borrow_classes_large) return NULL;
    uint32_t t = bpi_borrow_idle_larger(pool, pool->hot_buckets, (uint32_t)(pool->hot_bucket - pool->hot_buckets));
    if (t == BPI_NIL) return NULL;
    bpi_slot *s = &pool->slots[t];
    bpi_take_pooled(pool, s);
    return s;
}

/* A pool hit: a plain request (no owner, alignment or zeroing) with the memory kind and usage
 * of the last group found, served from its bucket. The memory kind and usage were validated
 * when the group was found, so comparing them validates them. Returns false, having changed
 * nothing the caller can see, for everything else (bpi_acquire). With `listed` false (a
 * constant) it refuses transient requests, and through plain_key open scopes and a lock: such
 * a buffer goes into no list, so the hit makes no call. `borrowed` (a constant): the second
 * chance's, a larger class's idle buffer instead of the bucket's. */
BPI_HOT bool bpi_acquire_hit_as(bp_pool *pool, const bp_acquire_desc *d, bp_buffer *out, const char *file,
                                int line, bool listed, bool borrowed) {
    uint64_t size = d->size;
    uint32_t flags = d->flags;
    uint32_t allowed = listed ? (uint32_t)(BP_ACQUIRE_TRANSIENT | BP_ACQUIRE_NO_SCOPE) : (uint32_t)BP_ACQUIRE_NO_SCOPE;
    if ((bpi_request_key(d) != (listed ? pool->hot_key : pool->plain_key)) ||
        ((flags & ~allowed) | d->alignment | d->owner))
        return false;
    bpi_slot *s = borrowed ? bpi_take_hot_borrowed(pool, size) : bpi_take_hot(pool, size);
    if (!s) return false;
    if (!listed) {
        out->id = bpi_hand_out_fields(pool, s, size, flags, 0, false, d->tag, file, line);
        return true;
    }
    out->id = bpi_hand_out_linked(pool, s, size, flags, false, d->tag, file, line);
    /* a hit has no owner: the list of its flags or scope is its only link (bpi_link_held) */
    bpi_list *list = bpi_held_list(pool, s);
    if (list) bpi_list_push_back(pool, list, bpi_slot_index(pool, s));
    return true;
}

/* The usual acquire of a pool without a lock: the hit with no list and no call. */
BPI_HOT bool bpi_acquire_plain(bp_pool *pool, const bp_acquire_desc *d, bp_buffer *out, const char *file,
                               int line) {
    return bpi_acquire_hit_as(pool, d, out, file, line, false, false);
}

/* The plain hit of bp_acquire_size: every field but the size at its default, so the request
 * key is 0 (device-local memory, usage 0) and there are no flags, owner, tag or alignment to
 * read or check; one compare of plain_key tests the group, the lock and an open scope. */
#define BPI_DEFAULT_REQUEST_KEY 0u
_Static_assert(BP_MEMORY_DEVICE_LOCAL == 0, "a zeroed descriptor's request key is BPI_DEFAULT_REQUEST_KEY");
BPI_HOT bool bpi_acquire_plain_size_as(bp_pool *pool, uint64_t size, bp_buffer *out, bool borrowed) {
    if (pool->plain_key != BPI_DEFAULT_REQUEST_KEY) return false;
    bpi_slot *s = borrowed ? bpi_take_hot_borrowed(pool, size) : bpi_take_hot(pool, size);
    if (!s) return false;
    out->id = bpi_hand_out_fields(pool, s, size, 0, 0, false, NULL, NULL, 0);
    return true;
}

BPI_HOT bool bpi_acquire_plain_size(bp_pool *pool, uint64_t size, bp_buffer *out) {
    return bpi_acquire_plain_size_as(pool, size, out, false);
}

/* Any pool hit, transient and scoped ones included (under the lock in a thread_safe pool). */
BPI_HOT bool bpi_acquire_hit(bp_pool *pool, const bp_acquire_desc *d, bp_buffer *out, const char *file,
                             int line) {
    return bpi_acquire_hit_as(pool, d, out, file, line, true, false);
}

/* ... and its second chance, an idle buffer a larger class lends (bpi_take_hot_borrowed), after
 * bpi_acquire_hit found the hot bucket empty. */
BPI_HOT bool bpi_acquire_borrowed_hit(bp_pool *pool, const bp_acquire_desc *d, bp_buffer *out, const char *file,
                                      int line) {
    return bpi_acquire_hit_as(pool, d, out, file, line, true, true);
}

/* ---- lifecycle: a release; the common one (no frame to wait for) pools the buffer inline ---- */

/* The rare end of pooling a buffer (lifecycle/release.c): its bucket is over its retention
 * cap, or its slot has issued its last id. Returns BP_OK, so that a release can tail-call it. */
bp_result bpi_pool_slot_finish(bp_pool *pool, uint32_t index);

/* A released buffer (counted as pooled already) goes into its bucket. Returns true when
 * bpi_pool_slot_finish must follow: the retention cap of its class is full (it is destroyed),
 * or its slot has issued its last id (it is destroyed, or, in a pool that keeps its buffers,
 * moves to a fresh slot). */
BPI_HOT bool bpi_pool_slot_push(bp_pool *pool, uint32_t index) {
    bpi_slot *s = bpi_slot_at(pool, index);
    s->state = BPI_POOLED;
    s->frame = pool->stats.frame;
    s->pooled_time = pool->now;
    s->seq = ++pool->seq;
    /* the tag stays: a pooled slot's is never read (the application's string may not outlive
     * the holding), and the next hand-out sets it; owner is 0 already */
    /* the generation's rare case (after 2^32 - 1 acquires) joins the caps' */
    return bpi_bucket_push(pool, index) || s->generation == UINT32_MAX;
}

BPI_HOT void bpi_pool_slot(bp_pool *pool, uint32_t index) {
    if (bpi_pool_slot_push(pool, index)) bpi_pool_slot_finish(pool, index);
}

/* A held buffer out of its lists waits `frames_in_flight` frame ends in the pending FIFO, or,
 * with no frame to wait for, is pooled at once. Returns true when bpi_pool_slot_finish must
 * follow (bpi_pool_slot_push). */
BPI_HOT bool bpi_release_unlinked_push_as(bp_pool *pool, uint32_t index, bool defers) {
    bpi_slot *s = bpi_slot_at(pool, index);
    if (defers) {
        bpi_stats_state(pool, s, BPI_IN_USE, BPI_PENDING);
        s->state = BPI_PENDING;
        s->frame = pool->stats.frame;
        bpi_list_push_back(pool, &pool->pending, index);
        return false;
    }
    bpi_stats_state(pool, s, BPI_IN_USE, BPI_POOLED);
    return bpi_pool_slot_push(pool, index);
}

BPI_HOT bool bpi_release_unlinked_push(bp_pool *pool, uint32_t index) {
    return bpi_release_unlinked_push_as(pool, index, pool->release_defers);
}

BPI_HOT void bpi_release_unlinked(bp_pool *pool, uint32_t index) {
    if (bpi_release_unlinked_push(pool, index)) bpi_pool_slot_finish(pool, index);
}

/* The counters every release of a held buffer moves. */
static inline void bpi_count_release(bp_pool *pool, const bpi_slot *s) {
    pool->stats.bytes_requested -= s->size;
    pool->stats.releases++;
}

/* The end every release of a held buffer shares once its links are undone: no cache's, no
 * link, counted released, then pending or pooled. */
BPI_HOT void bpi_release_counted(bp_pool *pool, uint32_t index) {
    bpi_slot *s = bpi_slot_at(pool, index);
    s->cache = 0; /* no longer a thread cache's (thread_safe pools) */
    s->linked = 0;
    s->scope_depth = 0; /* a plain hit of the slot leaves it as it finds it (bpi_hand_out_fields) */
    bpi_count_release(pool, s);
    bpi_release_unlinked(pool, index);
}

/* Release a held buffer: it waits `frames_in_flight` frame ends in the pending FIFO, or, with
 * no frame to wait for, is pooled at once. */
BPI_HOT bp_result bpi_release_held(bp_pool *pool, uint32_t index) {
    bpi_slot *s = bpi_slot_at(pool, index);
    bool extras = pool->release_extras;
    bp_result r = extras && pool->desc.guard_bytes ? bpi_guard_check(pool, s, "at release") : BP_OK;
    bpi_trace_release(pool, s->id);
    if (s->linked) {
        if ((s->flags & BP_ACQUIRE_TRANSIENT) | s->scope_depth) bpi_list_remove(pool, bpi_held_list(pool, s), index);
        if (s->owner) bpi_owner_unlink(pool, index);
        s->owner = 0;
    }
    if (extras && (pool->desc.poison_on_release || pool->desc.zero_on_release) && s->native.mapped) bpi_scrub(pool, s);
    bpi_release_counted(pool, index);
    return r;
}

/* bpi_release_held for a held buffer whose only link is `list` (the transient list or an open
 * scope's: no owner) in a pool without release extras or a trace: the same changes, without
 * the tests (the frame end's and the scope end's releases). */
BPI_HOT void bpi_release_listed(bp_pool *pool, bpi_list *list, uint32_t index) {
    bpi_list_remove(pool, list, index);
    bpi_release_counted(pool, index);
}

/* What bpi_release_plain did: released the buffer (BPI_PLAIN_DONE), nothing (BPI_NOT_PLAIN),
 * or released it with bpi_pool_slot_finish still to run on the index it returns. */
#define BPI_PLAIN_DONE BPI_NIL
#define BPI_NOT_PLAIN (BPI_NIL - 1u)

/* The usual release: a held buffer with no owner, list, guard, scrubbing or trace, in a pool
 * with no lock, goes straight to the pending FIFO or its bucket. Changes nothing for everything
 * else (bpi_release_held). The rare end is the caller's, so that it can be a tail call and the
 * plain release needs no stack frame. */
BPI_HOT uint32_t bpi_release_plain_as(bp_pool *pool, bp_buffer buf, bool defers) {
    uint32_t index = bpi_id_index(pool, buf.id);
    if (index >= pool->slot_count) return BPI_NOT_PLAIN;
    bpi_slot *s = bpi_slot_at(pool, index);
    if ((s->id != buf.id) | !bpi_held_unlinked(s)) return BPI_NOT_PLAIN;
    bpi_count_release(pool, s); /* unlinked: no cache's, no link, no scope depth to clear */
    return bpi_release_unlinked_push_as(pool, index, defers) ? index : BPI_PLAIN_DONE;
}

/* The release mode says which of the two a pool runs (one compare each), read before any
 * slot: a locked pool's slots are guarded. */
BPI_HOT uint32_t bpi_release_plain(bp_pool *pool, bp_buffer buf) {
    if (pool->release_pools) return bpi_release_plain_as(pool, buf, false);
    if (pool->release_queues) return bpi_release_plain_as(pool, buf, true);
    return BPI_NOT_PLAIN;
}

/* Can a pooled buffer be idle (idle_trim_frames or idle_trim_seconds)? Two compares, so an
 * idle-free frame end pays no call (accounting/trim.c keeps the thresholds). */
static inline bool bpi_trim_due(const bp_pool *pool) {
    return (pool->stats.frame >= pool->trim_due_frame) | (pool->now >= pool->trim_due_time);
}

/* hits / acquires, computed when the stats are read rather than on every acquire. */
static inline double bpi_hit_rate(const bp_stats *st) {
    return st->acquires ? (double)st->hits / (double)st->acquires : 0.0;
}

/* Pooled bytes: every live buffer is in use, pending or pooled, so they are what the other two
 * leave of the reserved bytes (no call moves a counter for them). */
static inline uint64_t bpi_bytes_pooled(const bp_pool *pool) {
    return pool->stats.bytes_reserved - pool->stats.bytes_in_use - pool->stats.bytes_pending;
}

/* Held buffers: every acquire hands one out and every release takes one back (an undone
 * acquire uncounts itself), so no call moves a counter for them. */
static inline uint32_t bpi_buffers_in_use(const bp_pool *pool) {
    return (uint32_t)(pool->stats.acquires - pool->stats.releases);
}

/* The pool's stats as a reader sees them: pool->stats with the fields no call keeps (hits,
 * held buffers, pooled bytes and buffers, hit rate) computed: an acquire that created no buffer is a hit. For every reader: the stats calls, JSON, series, the
 * warning callback, bpi_check. */
static inline bp_stats bpi_stats_read(const bp_pool *pool) {
    bp_stats st = pool->stats;
    st.hits = st.acquires - st.misses;
    st.bytes_pooled = bpi_bytes_pooled(pool);
    st.buffers_in_use = bpi_buffers_in_use(pool);
    st.buffers_pooled = st.buffers_total - st.buffers_in_use - st.buffers_pending;
    st.hit_rate = bpi_hit_rate(&st);
    return st;
}

#endif
