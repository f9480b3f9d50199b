/* The small operations every acquire and release performs, inline so that they cost no call:
 * the lock test, the handle check, intrusive list links, bucket push/pop and the state
 * counters. Included by pool.h; the rest of each layer stays in its own .c file. */
#ifndef BPI_HOT_H
#define BPI_HOT_H

/* ---- api: the pool lock (thread_safe pools only) ---- */

/* Pools that are not thread_safe pay one test; the lock itself is out of line (support.c). */
static inline void bpi_lock(bp_pool *pool) {
    if (pool->thread_safe) bpi_mutex_lock(pool);
}

static inline void bpi_unlock(bp_pool *pool) {
    if (pool->thread_safe) bpi_mutex_unlock(pool);
}

/* ---- handles: the slot of a buffer the application holds, or NULL; on NULL the caller
 * asks bpi_lookup what is wrong (zero, foreign, stale or released handle) ---- */

static inline bpi_slot *bpi_held_fast(bp_pool *pool, bp_buffer buf) {
    uint32_t low = (uint32_t)buf.id, index = low & (BPI_MAX_SLOTS - 1u);
    if ((low >> BPI_INDEX_BITS) != pool->tag || index >= pool->slot_count) return NULL;
    bpi_slot *s = &pool->slots[index];
    return s->generation == (uint32_t)(buf.id >> 32) && s->state == BPI_IN_USE ? s : NULL;
}

/* ---- lifecycle: intrusive doubly linked lists of slots through their `list` links ---- */

static inline void bpi_list_push_back(bp_pool *pool, bpi_list *list, uint32_t index) {
    bpi_slot *s = &pool->slots[index];
    s->list_next = BPI_NIL;
    s->list_prev = list->tail;
    if (list->tail != BPI_NIL) pool->slots[list->tail].list_next = index;
    else list->head = index;
    list->tail = index;
}

static inline void bpi_list_remove(bp_pool *pool, bpi_list *list, uint32_t index) {
    bpi_slot *s = &pool->slots[index];
    if (s->list_prev != BPI_NIL) pool->slots[s->list_prev].list_next = s->list_next;
    else list->head = s->list_next;
    if (s->list_next != BPI_NIL) pool->slots[s->list_next].list_prev = s->list_prev;
    else list->tail = s->list_prev;
    s->list_prev = s->list_next = BPI_NIL;
}

/* ---- placement: one LIFO bucket per (group, class) through the `aux` links ---- */

static inline void bpi_bucket_push(bp_pool *pool, uint32_t index) {
    bpi_slot *s = &pool->slots[index];
    bpi_group *g = &pool->groups[s->group];
    bpi_bucket *b = &g->buckets[s->class_index];
    s->aux_prev = BPI_NIL;
    s->aux_next = b->head;
    if (b->head != BPI_NIL) pool->slots[b->head].aux_prev = index;
    b->head = index;
    if (b->count++ == 0) g->nonempty[s->class_index >> 6] |= 1ull << (s->class_index & 63u);
}

static inline void bpi_bucket_remove(bp_pool *pool, uint32_t index) {
    bpi_slot *s = &pool->slots[index];
    bpi_group *g = &pool->groups[s->group];
    bpi_bucket *b = &g->buckets[s->class_index];
    if (s->aux_prev != BPI_NIL) pool->slots[s->aux_prev].aux_next = s->aux_next;
    else b->head = s->aux_next;
    if (s->aux_next != BPI_NIL) pool->slots[s->aux_next].aux_prev = s->aux_prev;
    s->aux_prev = s->aux_next = BPI_NIL;
    if (--b->count == 0) g->nonempty[s->class_index >> 6] &= ~(1ull << (s->class_index & 63u));
}

/* Take the most recently pooled buffer of a class, or BPI_NIL. */
static inline uint32_t bpi_bucket_pop(bp_pool *pool, int group, uint32_t class_index) {
    uint32_t index = pool->groups[group].buckets[class_index].head;
    if (index != BPI_NIL) bpi_bucket_remove(pool, index);
    return index;
}

/* ---- accounting: pool counters kept per state, so bp_get_stats is O(1) (per-class ones are
 * recounted when read) ---- */

static inline void bpi_stats_adjust(bp_pool *pool, const bpi_slot *slot, bpi_state state, int sign) {
    bp_stats *st = &pool->stats;
    uint64_t cap = slot->native.capacity;
    switch (state) {
    case BPI_IN_USE:
        st->bytes_in_use += sign > 0 ? cap : -cap;
        st->buffers_in_use += (uint32_t)sign;
        if (st->bytes_in_use > st->peak_in_use) st->peak_in_use = st->bytes_in_use;
        break;
    case BPI_PENDING:
        st->bytes_pending += sign > 0 ? cap : -cap;
        st->buffers_pending += (uint32_t)sign;
        break;
    case BPI_POOLED:
        st->bytes_pooled += sign > 0 ? cap : -cap;
        st->buffers_pooled += (uint32_t)sign;
        break;
    default:
        break;
    }
}

/* A slot moves between states; with constant states the switch folds away. */
static inline void bpi_stats_state(bp_pool *pool, const bpi_slot *slot, bpi_state from, bpi_state to) {
    bpi_stats_adjust(pool, slot, from, -1);
    bpi_stats_adjust(pool, slot, to, +1);
}

/* hits / acquires, computed when the stats are read rather than on every acquire. */
static inline double bpi_hit_rate(const bp_stats *st) {
    return st->acquires ? (double)st->hits / (double)st->acquires : 0.0;
}

#endif
