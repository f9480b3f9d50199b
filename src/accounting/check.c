/* bpi_check: the invariant walker (like tlsf_check). Recounts everything from the slots and
 * lists and compares with the incremental counters. Tests run it after every test. */
#include <stdio.h>

#include "internal/pool.h"

#define CHECK(cond, ...)                                                                                       \
    do {                                                                                                       \
        if (!(cond)) {                                                                                         \
            snprintf(pool->last_error, sizeof pool->last_error, __VA_ARGS__);                                  \
            return BP_ERR_CORRUPTION;                                                                          \
        }                                                                                                      \
    } while (0)

static bp_result walk(bp_pool *pool, const bpi_list *l, bpi_state want, uint32_t *count, uint64_t *bytes) {
    uint32_t prev = BPI_NIL, n = 0;
    for (uint32_t i = l->head; i != BPI_NIL; i = pool->slots[i].list_next) {
        CHECK(i < pool->slot_count, "list index %u out of range", i);
        CHECK(pool->slots[i].state == want, "slot %u in the wrong list (state %u, want %u)", i,
              pool->slots[i].state, want);
        CHECK(pool->slots[i].list_prev == prev, "slot %u: broken back link", i);
        CHECK(++n <= pool->slot_count, "cycle in a list");
        *bytes += pool->slots[i].native.capacity;
        prev = i;
    }
    CHECK(l->tail == prev, "list tail is wrong");
    *count += n;
    return BP_OK;
}

/* The per-class figures (recounted from the slots plus each class's history) add up to the
 * pool's counters, and only classes marked used have any. */
static bp_result check_classes(bp_pool *pool, const uint32_t *used, uint32_t used_count) {
    /* on the stack as in bp_calculate_class_stats: the library's TLS stays small (thread_cache.h) */
    bp_class_stats all[BPI_MAX_CLASSES];
    bpi_class_totals(pool, all);
    bp_class_stats sum = {0};
    for (uint32_t k = 0; k < used_count; k++) {
        const bp_class_stats *c = &all[used[k]];
        sum.in_use += c->in_use;
        sum.pooled += c->pooled;
        sum.pending += c->pending;
        sum.bytes_requested += c->bytes_requested;
        sum.acquires += c->acquires;
        sum.hits += c->hits;
        CHECK(c->hits <= c->acquires, "class of %llu bytes: more hits than acquires",
              (unsigned long long)c->class_size);
    }
    const bp_stats stats = bpi_stats_read(pool), *st = &stats;
    CHECK(sum.in_use == st->buffers_in_use && sum.pooled == st->buffers_pooled && sum.pending == st->buffers_pending,
          "per-class buffer counts do not add up to the pool's");
    CHECK(sum.bytes_requested == st->bytes_requested, "per-class requested bytes do not add up");
    CHECK(sum.acquires == st->acquires && sum.hits == st->hits, "per-class acquires or hits do not add up");
    return BP_OK;
}

static bp_result check_pool(bp_pool *pool);

/* Is bucket (g, c) listed for the frame end's class caps (or did the list overflow)? */
static bool over_listed(const bp_pool *pool, uint32_t g, uint32_t c) {
    if (pool->over_count > BPI_OVER_MAX) return true;
    for (uint32_t i = 0; i < pool->over_count; i++)
        if (pool->over[i] == (g << 16 | c)) return true;
    return false;
}

/* Under the lock, which also puts thread caches' buffers back in their buckets. */
bp_result bpi_check(bp_pool *pool) {
    bpi_lock(pool);
    bp_result r = check_pool(pool);
    bpi_unlock(pool);
    return r;
}

static bp_result check_pool(bp_pool *pool) {
    const bp_stats stats = bpi_stats_read(pool), *st = &stats; /* pooled counts derived: checked below */
    uint32_t in_use = 0, pending = 0, pooled = 0, live = 0, listed = 0, transient = 0, scoped = 0;
    uint64_t b_in_use = 0, b_pending = 0, b_pooled = 0, b_listed = 0, reserved = 0, requested = 0;
    bp_result r;
    /* Held buffers sit in the live list (acquired inside a scope), the transient list, or none. */
    if ((r = walk(pool, &pool->live, BPI_IN_USE, &listed, &b_listed)) != BP_OK) return r;
    for (uint32_t i = pool->live.head; i != BPI_NIL; i = pool->slots[i].list_next)
        CHECK(pool->slots[i].scope_depth && !(pool->slots[i].flags & BP_ACQUIRE_TRANSIENT),
              "slot %u in the live list without a scope", i);
    uint32_t live_listed = listed;
    if ((r = walk(pool, &pool->transient, BPI_IN_USE, &listed, &b_listed)) != BP_OK) return r;
    for (uint32_t i = pool->transient.head; i != BPI_NIL; i = pool->slots[i].list_next)
        CHECK(pool->slots[i].flags & BP_ACQUIRE_TRANSIENT, "slot %u in the transient list is not transient", i);
    if ((r = walk(pool, &pool->pending, BPI_PENDING, &pending, &b_pending)) != BP_OK) return r;
    for (uint32_t i = 0; i < pool->slot_count; i++) {
        const bpi_slot *s = &pool->slots[i];
        if (s->state == BPI_FREE) continue;
        live++;
        reserved += s->native.capacity;
        if (s->state == BPI_IN_USE) {
            requested += s->size;
            in_use++;
            b_in_use += s->native.capacity;
            if (s->flags & BP_ACQUIRE_TRANSIENT) transient++;
            else if (s->scope_depth) scoped++;
            else CHECK(s->list_prev == BPI_NIL && s->list_next == BPI_NIL, "unlisted held slot %u has list links", i);
            CHECK(s->linked == ((s->flags & BP_ACQUIRE_TRANSIENT) || s->scope_depth || s->owner),
                  "held slot %u: linked flag drifted", i);
        } else if (s->state == BPI_POOLED) {
            pooled++;
            b_pooled += s->native.capacity;
            CHECK(s->list_prev == BPI_NIL && s->list_next == BPI_NIL, "pooled slot %u has list links", i);
        }
        CHECK(s->native.capacity >= bpi_class_size(pool->pow2, s->class_index), "slot %u smaller than its class", i);
        CHECK(s->bucket == &pool->groups[s->group].buckets[s->class_index], "slot %u: bucket is not its class's", i);
        /* a preallocated buffer never handed out keeps generation 0 */
        CHECK(s->generation > 0 || s->state == BPI_POOLED, "live slot %u with generation 0", i);
        CHECK(s->id_low == (uint32_t)bpi_make_id(pool, i, 0), "slot %u: its last id names another slot", i);
        CHECK(s->state == BPI_IN_USE || (!s->linked && !s->scope_depth), "slot %u: linked or scoped but not held", i);
    }
    CHECK(live_listed == scoped && listed - live_listed == transient, "held buffers missing from their list");
    CHECK(b_listed <= b_in_use, "listed held bytes exceed the held bytes");
    CHECK(in_use == st->buffers_in_use && b_in_use == st->bytes_in_use, "in-use counters drifted");
    CHECK(pending == st->buffers_pending && b_pending == st->bytes_pending, "pending counters drifted");
    CHECK(pooled == st->buffers_pooled && b_pooled == st->bytes_pooled, "pooled counters drifted");
    CHECK(live == st->buffers_total && live == in_use + pending + pooled, "live buffer count drifted");
    CHECK(reserved == st->bytes_reserved, "reserved bytes drifted (%llu counted, %llu in stats)",
          (unsigned long long)reserved, (unsigned long long)st->bytes_reserved);
    CHECK(requested == st->bytes_requested, "requested bytes drifted");
    CHECK(st->backend_creates - st->backend_destroys == live, "creates - destroys != live buffers");
    CHECK(st->misses <= st->acquires, "more misses than acquires");
    /* Buckets: only classes that ever held a buffer can have one (used_classes, sorted), so
     * walk those. This keeps the walk cheap enough to run after every step of the fuzzer. */
    uint32_t classes = bpi_class_count(pool->pow2), used[BPI_MAX_CLASSES], used_count = 0;
    for (uint32_t c = 0; c < classes; c++)
        if (pool->classes[c].used) used[used_count++] = c;
    CHECK(used_count == pool->used_class_count, "used class list drifted");
    for (uint32_t k = 0; k < used_count; k++) CHECK(pool->used_classes[k] == used[k], "used class list out of order");
    uint32_t bucketed = 0;
    for (uint32_t g = 0; g < BPI_MAX_GROUPS; g++) {
        const bpi_group *grp = &pool->groups[g];
        if (!grp->used) continue;
        for (uint32_t k = 0; k < used_count; k++) {
            uint32_t c = used[k], n = 0, prev = BPI_NIL;
            for (uint32_t l = grp->buckets[c].head, i; l != BPI_NIL; l = pool->slots[i].aux_next) {
                i = bpi_link_index(l);
                CHECK(l == bpi_link_of(i) && i < pool->slot_count, "bucket link %u out of range", l);
                CHECK(pool->slots[i].state == BPI_POOLED && pool->slots[i].class_index == c &&
                          pool->slots[i].group == g,
                      "slot %u in the wrong bucket", i);
                CHECK(prev == BPI_NIL || pool->slots[i].aux_prev == bpi_link_of(prev), "slot %u: broken bucket back link", i);
                CHECK(prev == BPI_NIL || pool->slots[prev].seq > pool->slots[i].seq, "bucket %u out of pooling order", c);
                CHECK(++n <= pool->slot_count, "cycle in a bucket");
                prev = i;
            }
            CHECK(n == bpi_bucket_count(&grp->buckets[c]), "bucket count drifted");
            CHECK(bpi_bucket_oldest(&grp->buckets[c]) == prev, "bucket tail is wrong");
            const bpi_bucket *b = &grp->buckets[c];
            CHECK(b->cap >= pool->retain_cap && b->release_cap == (pool->pooled_cap == UINT64_MAX ? b->cap : 0u),
                  "bucket %u: caps drifted from the pool's", c);
            CHECK(pool->retain_demand || (b->cap == pool->retain_cap && !b->capped),
                  "bucket %u: cap raised without retain_demand", c);
            /* over its cap only within a frame, or after a frame end that pooled pending buffers
             * over it, listed for the next frame end (bpi_pooled_over_cap) */
            bool may_be_over = pool->in_frame || pool->over_hold >= pool->stats.frame;
            CHECK(n <= b->cap || (may_be_over && over_listed(pool, g, c)), "bucket %u: %u pooled over its cap of %u%s",
                  c, n, b->cap, may_be_over ? " and not listed for the frame end" : " outside a frame");
            bucketed += n;
        }
    }
    CHECK(bucketed == pooled, "pooled buffers outside buckets");
    return check_classes(pool, used, used_count);
}
