/* The buffers the application holds, in the order the leak report and the outstanding calls
 * list them: the non-transient ones in acquisition order, then the transient list. The live
 * list links only buffers acquired inside a scope (scope ends walk it; the hot path skips it
 * otherwise), so the rest are found by walking the slots and sorted by their acquisition
 * sequence number in place, through their unused list links. No allocation. */
#include "internal/pool.h"

static uint32_t merge(bpi_slot *sl, uint32_t a, uint32_t b) {
    uint32_t head = BPI_NIL, *tail = &head;
    while (a != BPI_NIL && b != BPI_NIL) {
        uint32_t i;
        if (sl[a].seq < sl[b].seq) {
            i = a;
            a = sl[a].list_next;
        } else {
            i = b;
            b = sl[b].list_next;
        }
        *tail = i;
        tail = &sl[i].list_next;
    }
    *tail = a != BPI_NIL ? a : b;
    return head;
}

/* Merge sort of a chain of `n` slots through list_next (depth log2 n). */
static uint32_t sort_by_seq(bpi_slot *sl, uint32_t head, uint32_t n) {
    if (n < 2) return head;
    uint32_t mid = head;
    for (uint32_t k = 1; k < n / 2; k++) mid = sl[mid].list_next;
    uint32_t second = sl[mid].list_next;
    sl[mid].list_next = BPI_NIL;
    return merge(sl, sort_by_seq(sl, head, n / 2), sort_by_seq(sl, second, n - n / 2));
}

/* Held outside the live and transient lists: no scope was open when it was acquired. */
static bool unlisted(const bpi_slot *s) {
    return s->state == BPI_IN_USE && !(s->flags & BP_ACQUIRE_TRANSIENT) && s->scope_depth == 0;
}

void bpi_for_each_held(bp_pool *pool, bpi_held_fn fn, void *ctx) {
    bpi_slot *sl = pool->slots;
    uint32_t chain = BPI_NIL, n = 0;
    for (uint32_t i = pool->slot_count; i-- > 0;)
        if (unlisted(&sl[i])) {
            sl[i].list_next = chain;
            chain = i;
            n++;
        }
    chain = sort_by_seq(sl, chain, n);
    uint32_t live = pool->live.head;
    while (chain != BPI_NIL || live != BPI_NIL) {
        uint32_t i;
        if (live == BPI_NIL || (chain != BPI_NIL && sl[chain].seq < sl[live].seq)) {
            i = chain;
            chain = sl[i].list_next;
            sl[i].list_next = BPI_NIL; /* unlisted slots keep NIL links */
        } else {
            i = live;
            live = sl[i].list_next;
        }
        fn(pool, &sl[i], ctx);
    }
    for (uint32_t i = pool->transient.head; i != BPI_NIL;) {
        uint32_t next = sl[i].list_next;
        fn(pool, &sl[i], ctx);
        i = next;
    }
}
