/* Owners (seed 001): buffers carry an owner id; an owner's buffers form a list so that
 * releasing the owner (despawn) is O(its buffers). Owner records live in an open-addressing
 * table keyed by id (linear probing, backward-shift deletion); a record exists while the
 * owner holds buffers or has a priority set. */
#include <stdlib.h>
#include <string.h>

#include "internal/pool.h"

typedef struct owner_rec {
    uint64_t id; /* 0 = empty */
    float priority;
    bool priority_set;
    uint32_t head, count; /* head: a slot link (bpi_link_of) */
    uint64_t bytes;
} owner_rec;

typedef struct owner_table {
    owner_rec *recs;
    uint32_t capacity, count; /* capacity: a power of two */
    /* The owner an acquire in progress reserved: its record survives until the acquire links
     * its buffer or gives up, even if the eviction callback releases that owner meanwhile. */
    uint64_t pinned;
} owner_table;

#define OWNERS(pool) ((owner_table *)(pool)->ext[0])

static uint32_t hash_id(uint64_t id) {
    id ^= id >> 33;
    id *= 0xff51afd7ed558ccdull;
    id ^= id >> 33;
    return (uint32_t)id;
}

static owner_rec *find(bp_pool *pool, uint64_t id) {
    owner_table *t = OWNERS(pool);
    if (!t || !t->capacity) return NULL;
    for (uint32_t i = hash_id(id) & (t->capacity - 1);; i = (i + 1) & (t->capacity - 1)) {
        if (t->recs[i].id == id) return &t->recs[i];
        if (t->recs[i].id == 0) return NULL;
    }
}

/* The record of a held slot's owner (nonzero): where the link found it (owner_rec), unless a
 * growth or an erase has moved it since (then another id, or none, is there), else by the
 * table. A release needs no hash. */
static owner_rec *find_of(bp_pool *pool, const bpi_slot *s) {
    owner_table *t = OWNERS(pool);
    if (t && s->owner_rec < t->capacity && t->recs[s->owner_rec].id == s->owner) return &t->recs[s->owner_rec];
    return find(pool, s->owner);
}

static bp_result grow(bp_pool *pool) {
    owner_table *t = OWNERS(pool);
    if (!t) {
        t = bpi_alloc(pool, sizeof *t);
        if (!t) return BP_ERR_OUT_OF_MEMORY;
        memset(t, 0, sizeof *t);
        pool->ext[0] = t;
    }
    uint32_t cap = t->capacity ? t->capacity * 2 : 64;
    /* A fixed pool allocates nothing per frame: the first growth makes room for one owner per
     * buffer (with the pinned one), so owned acquires never grow the table afterwards. */
    if (pool->desc.capacity_mode == BP_CAPACITY_FIXED)
        while ((uint64_t)(pool->stats.buffers_total + 1u) * 4u > (uint64_t)cap * 3u) cap *= 2;
    owner_rec *recs = bpi_alloc(pool, cap * sizeof *recs);
    if (!recs) return BP_ERR_OUT_OF_MEMORY;
    memset(recs, 0, cap * sizeof *recs);
    for (uint32_t j = 0; j < t->capacity; j++) {
        if (!t->recs[j].id) continue;
        uint32_t i = hash_id(t->recs[j].id) & (cap - 1);
        while (recs[i].id) i = (i + 1) & (cap - 1);
        recs[i] = t->recs[j];
    }
    bpi_free(pool, t->recs);
    t->recs = recs;
    t->capacity = cap;
    return BP_OK;
}

/* Find or insert; insertion may allocate (the first time an owner is seen). */
static owner_rec *get(bp_pool *pool, uint64_t id) {
    owner_rec *r = find(pool, id);
    if (r) return r;
    owner_table *t = OWNERS(pool);
    if ((!t || (t->count + 1) * 4 > t->capacity * 3) && grow(pool) != BP_OK) return NULL;
    t = OWNERS(pool);
    uint32_t i = hash_id(id) & (t->capacity - 1);
    while (t->recs[i].id) i = (i + 1) & (t->capacity - 1);
    r = &t->recs[i];
    memset(r, 0, sizeof *r);
    r->id = id;
    r->head = BPI_NIL;
    t->count++;
    return r;
}

static void erase(bp_pool *pool, owner_rec *r) {
    owner_table *t = OWNERS(pool);
    uint32_t mask = t->capacity - 1, i = (uint32_t)(r - t->recs);
    t->recs[i].id = 0;
    t->count--;
    for (uint32_t j = (i + 1) & mask; t->recs[j].id; j = (j + 1) & mask) {
        uint32_t home = hash_id(t->recs[j].id) & mask;
        /* move j back to the hole at i when its home is not in (i, j] cyclically */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            t->recs[i] = t->recs[j];
            t->recs[j].id = 0;
            i = j;
        }
    }
}

bp_result bpi_owner_reserve(bp_pool *pool, uint64_t owner) {
    if (!owner) return BP_OK;
    if (!find(pool, owner) && !get(pool, owner))
        return bpi_fail(pool, BP_ERR_OUT_OF_MEMORY, BP_LOG_ITEM_NONE, "out of host memory for owners");
    OWNERS(pool)->pinned = owner;
    return BP_OK;
}

void bpi_owner_unreserve(bp_pool *pool, uint64_t owner) {
    owner_rec *r = find(pool, owner);
    OWNERS(pool)->pinned = 0;
    if (r && r->count == 0 && !r->priority_set) erase(pool, r);
}

/* Slot `index` (in use, its owner set) at the head of record r's list. */
static void link_to(bp_pool *pool, owner_rec *r, uint32_t index) {
    uint32_t link = bpi_link_of(index);
    bpi_slot *s = bpi_link_slot(pool, link);
    s->owner_rec = (uint32_t)(r - OWNERS(pool)->recs);
    s->aux_prev = BPI_NIL;
    s->aux_next = r->head;
    if (r->head != BPI_NIL) bpi_link_slot(pool, r->head)->aux_prev = link;
    r->head = link;
    r->count++;
    r->bytes += s->native.capacity;
}

void bpi_owner_link(bp_pool *pool, uint32_t index) {
    owner_rec *r = find(pool, pool->slots[index].owner); /* reserved by bpi_owner_reserve before the acquire */
    OWNERS(pool)->pinned = 0;
    link_to(pool, r, index);
}

/* Seed 001 names an owner in every acquire: an owner that holds buffers (or has a priority)
 * has its record, so a hit of its request is the plain hit plus the link, with no reserve (a
 * hit creates nothing, so no eviction callback can run meanwhile and nothing needs pinning).
 * plain_key, as for the plain hit: no lock, no open scope, hits not blocked, the hot group. */
bool bpi_owner_acquire_hit(bp_pool *pool, const bp_acquire_desc *d, bp_buffer *out, const char *file, int line) {
    uint32_t flags = d->flags;
    if ((bpi_request_key(d) != pool->plain_key) || (flags & ~(uint32_t)BP_ACQUIRE_NO_SCOPE) || d->alignment ||
        !d->owner)
        return false;
    owner_rec *r = find(pool, d->owner);
    if (!r) return false;
    bpi_slot *s = bpi_take_hot(pool, d->size);
    if (!s) return false;
    out->id = bpi_hand_out_fields(pool, s, d->size, flags, 0, true, d->tag, file, line);
    s->owner = d->owner;
    link_to(pool, r, bpi_slot_index(pool, s));
    return true;
}

/* Slot `index` out of record r's list (the record goes with its last buffer unless it has a
 * priority or an acquire in progress pinned it). */
static void unlink_from(bp_pool *pool, owner_rec *r, uint32_t index) {
    bpi_slot *s = &pool->slots[index];
    if (s->aux_prev != BPI_NIL) bpi_link_slot(pool, s->aux_prev)->aux_next = s->aux_next;
    else r->head = s->aux_next;
    if (s->aux_next != BPI_NIL) bpi_link_slot(pool, s->aux_next)->aux_prev = s->aux_prev;
    s->aux_prev = s->aux_next = BPI_NIL;
    r->count--;
    r->bytes -= s->native.capacity;
    if (r->count == 0 && !r->priority_set && OWNERS(pool)->pinned != s->owner) erase(pool, r);
}

void bpi_owner_unlink(bp_pool *pool, uint32_t index) { unlink_from(pool, find_of(pool, &pool->slots[index]), index); }

/* bp_release of a held buffer whose only link is its owner's, where the plain release runs
 * (bpi_release_mode: no lock, extras, trace or callback): as bpi_release_held does it. */
bool bpi_owner_release_plain(bp_pool *pool, bp_buffer buf) {
    if (bpi_get_release_mode(pool) == BPI_RELEASE_LOCKED) return false;
    bpi_slot *s = bpi_held_fast(pool, buf);
    if (!s || !s->owner || (s->flags & BP_ACQUIRE_TRANSIENT) || s->scope_depth) return false;
    uint32_t index = bpi_slot_index(pool, s);
    unlink_from(pool, find_of(pool, s), index);
    s->owner = 0;
    bpi_release_counted(pool, index);
    return true;
}

void bpi_owner_capacity_changed(bp_pool *pool, uint32_t index, uint64_t old_capacity) {
    const bpi_slot *s = &pool->slots[index];
    owner_rec *r = s->owner ? find_of(pool, s) : NULL;
    if (r) r->bytes = r->bytes - old_capacity + s->native.capacity;
}

bp_result bpi_owner_release(bp_pool *pool, uint64_t owner, uint32_t *out_released) {
    uint32_t n = 0;
    owner_rec *r = find(pool, owner);
    while (r && r->head != BPI_NIL) {
        bpi_release_slot(pool, bpi_link_index(r->head)); /* may erase r when the last buffer goes */
        n++;
        r = find(pool, owner);
    }
    if (r && OWNERS(pool)->pinned == owner) { /* released from the eviction callback of its own acquire */
        r->priority = 0;
        r->priority_set = false;
    } else if (r) {
        erase(pool, r);
    }
    pool->stats.owner_releases += n;
    if (out_released) *out_released = n;
    return BP_OK;
}

bp_result bpi_owner_set_priority(bp_pool *pool, uint64_t owner, float priority) {
    owner_rec *r = get(pool, owner);
    if (!r) return bpi_fail(pool, BP_ERR_OUT_OF_MEMORY, BP_LOG_ITEM_NONE, "out of host memory for owners");
    r->priority = priority;
    r->priority_set = true;
    return BP_OK;
}

bp_result bpi_owner_usage(bp_pool *pool, uint64_t owner, bp_owner_usage *out) {
    owner_rec *r = find(pool, owner);
    memset(out, 0, sizeof *out);
    out->owner = owner;
    if (!r) return BP_ERR_NOT_FOUND;
    out->bytes = r->bytes;
    out->buffers = r->count;
    out->priority = r->priority;
    return BP_OK;
}

static int by_priority(const void *a, const void *b) {
    const owner_rec *x = a, *y = b;
    if (x->priority != y->priority) return x->priority < y->priority ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* All owners with buffers, as records sorted by priority (lowest first). */
static bp_result sorted(bp_pool *pool, owner_rec **out, uint32_t *out_count) {
    owner_table *t = OWNERS(pool);
    uint32_t n = 0;
    *out = NULL;
    *out_count = 0;
    if (!t || !t->count) return BP_OK;
    owner_rec *list = bpi_alloc(pool, t->count * sizeof *list);
    if (!list) return BP_ERR_OUT_OF_MEMORY;
    for (uint32_t i = 0; i < t->capacity; i++)
        if (t->recs[i].id && t->recs[i].count) list[n++] = t->recs[i];
    if (!n) { /* only owners with a priority and no buffers */
        bpi_free(pool, list);
        return BP_OK;
    }
    qsort(list, n, sizeof *list, by_priority);
    *out = list;
    *out_count = n;
    return BP_OK;
}

bp_result bpi_owners_by_priority(bp_pool *pool, uint64_t **out, uint32_t *out_count) {
    owner_rec *recs;
    uint32_t n;
    *out = NULL;
    *out_count = 0;
    bp_result r = sorted(pool, &recs, &n);
    if (r != BP_OK || n == 0) return r;
    uint64_t *ids = bpi_alloc(pool, n * sizeof *ids);
    if (!ids) {
        bpi_free(pool, recs);
        return BP_ERR_OUT_OF_MEMORY;
    }
    for (uint32_t i = 0; i < n; i++) ids[i] = recs[i].id;
    bpi_free(pool, recs);
    *out = ids;
    *out_count = n;
    return BP_OK;
}

bp_result bpi_calculate_owners(bp_pool *pool, bp_owner_usage *out, uint32_t capacity, uint32_t *out_count) {
    owner_rec *recs;
    uint32_t n;
    bp_result r = sorted(pool, &recs, &n);
    if (r != BP_OK) return bpi_fail(pool, r, BP_LOG_ITEM_NONE, "out of host memory");
    *out_count = n;
    for (uint32_t i = 0; i < n && i < capacity; i++)
        out[i] = (bp_owner_usage){recs[i].id, recs[i].bytes, recs[i].count, recs[i].priority};
    bpi_free(pool, recs);
    return n > capacity ? BP_ERR_BUFFER_TOO_SMALL : BP_OK;
}

void bpi_owners_destroy(bp_pool *pool) {
    owner_table *t = OWNERS(pool);
    if (!t) return;
    bpi_free(pool, t->recs);
    bpi_free(pool, t);
    pool->ext[0] = NULL;
}

uint32_t bpi_owner_count(bp_pool *pool) {
    owner_table *t = OWNERS(pool);
    return t ? t->count : 0;
}
