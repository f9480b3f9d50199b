/* bp_ring: linear per-frame allocation inside a block. Positions are virtual and only grow:
 * position p is offset p % size, and a wrap skips to the next multiple of size. The bytes in
 * flight are the positions [tail, head); an allocation ending at e is allowed only while
 * e - tail <= size, so it can never reach an offset that is still in flight. Each frame end
 * queues its head; when `frames_in_flight` ends are queued, the oldest leaves the queue and
 * becomes the new tail, which frees that frame's region. Placement layer: no backend. */
#include <string.h>

#include "bufpool.h"
#include "internal/libc_alloc.h"

#define MAX_FRAMES_IN_FLIGHT 64u

struct bp_ring {
    bp_allocator alloc;
    uint64_t size;
    uint64_t head, tail, frame_start;
    uint64_t frame, allocations, failures, peak;
    uint32_t frames_in_flight;
    uint32_t queued, oldest;              /* queue of frame ends: ends[oldest], ... (circular) */
    uint64_t ends[MAX_FRAMES_IN_FLIGHT];
};

bp_result bp_ring_create(const bp_ring_desc *desc, bp_ring **out) {
    if (out) *out = NULL;
    if (!desc || !out || !desc->allocator.alloc != !desc->allocator.free ||
        desc->frames_in_flight > MAX_FRAMES_IN_FLIGHT)
        return BP_ERR_INVALID_ARGUMENT;
    if (desc->size == 0) return BP_ERR_INVALID_SIZE;
    if (desc->size > BP_VBLOCK_MAX_SIZE) return BP_ERR_TOO_LARGE;
    bp_allocator a = bpi_allocator_or_libc(desc->allocator);
    bp_ring *r = a.alloc(a.user, sizeof *r, 64);
    if (!r) return BP_ERR_OUT_OF_MEMORY;
    memset(r, 0, sizeof *r);
    r->alloc = a;
    r->size = desc->size;
    r->frames_in_flight = desc->frames_in_flight ? desc->frames_in_flight : 2u;
    *out = r;
    return BP_OK;
}

void bp_ring_destroy(bp_ring *ring) {
    if (ring) ring->alloc.free(ring->alloc.user, ring);
}

/* Positions only grow: with a block near BP_VBLOCK_MAX_SIZE they would pass 2^64 after a few
 * full frames (head % size and `end > tail` then go wrong and the ring jams). Before they get
 * near, move every position back by the same multiple of size: offsets and every difference
 * stay the same. A queued end below the new origin is behind the tail already: it becomes 0. */
static void rebase(bp_ring *r) {
    uint64_t low = r->tail < r->frame_start ? r->tail : r->frame_start;
    uint64_t base = low - low % r->size;
    r->head -= base;
    r->tail -= base;
    r->frame_start -= base;
    for (uint32_t k = 0; k < r->queued; k++) {
        uint64_t *end = &r->ends[(r->oldest + k) % r->frames_in_flight];
        *end = *end > base ? *end - base : 0;
    }
}

bp_result bp_ring_alloc(bp_ring *ring, uint64_t size, uint64_t alignment, uint64_t *out_offset) {
    if (out_offset) *out_offset = 0;
    if (!ring || !out_offset) return BP_ERR_INVALID_ARGUMENT;
    if (alignment == 0) alignment = 1;
    if ((alignment & (alignment - 1)) || alignment > ring->size) return BP_ERR_INVALID_ARGUMENT;
    if (size == 0) return BP_ERR_INVALID_SIZE;
    if (size > ring->size) return BP_ERR_TOO_LARGE;
    if (ring->tail >= (1ull << 62)) rebase(ring); /* then tail < 2 x size: no stored position wraps */
    uint64_t off = ring->head % ring->size;
    uint64_t aligned = (off + alignment - 1) & ~(alignment - 1);
    /* does not fit before the end: skip the rest of the block and start again at offset 0 */
    uint64_t start = ring->head - off + (aligned + size <= ring->size ? aligned : ring->size);
    /* nothing in flight: no byte to protect, not even the skipped ones */
    uint64_t tail = ring->tail == ring->head ? start : ring->tail;
    if (start + size - tail > ring->size) {
        ring->failures++;
        return BP_ERR_CAPACITY;
    }
    ring->tail = tail;
    ring->head = start + size;
    ring->allocations++;
    if (ring->head - ring->tail > ring->peak) ring->peak = ring->head - ring->tail;
    *out_offset = start % ring->size;
    return BP_OK;
}

bp_result bp_ring_frame_end(bp_ring *ring) {
    if (!ring) return BP_ERR_INVALID_ARGUMENT;
    uint32_t cap = ring->frames_in_flight;
    if (ring->queued == cap) { /* the frame that ended frames_in_flight ends ago is done */
        uint64_t end = ring->ends[ring->oldest];
        if (end > ring->tail) ring->tail = end; /* an empty ring may have moved past it */
        ring->oldest = (ring->oldest + 1u) % cap;
        ring->queued--;
    }
    ring->ends[(ring->oldest + ring->queued) % cap] = ring->head;
    ring->queued++;
    ring->frame_start = ring->head;
    ring->frame++;
    return BP_OK;
}

bp_result bp_ring_get_stats(const bp_ring *ring, bp_ring_stats *out) {
    if (out) memset(out, 0, sizeof *out);
    if (!ring || !out) return BP_ERR_INVALID_ARGUMENT;
    out->size = ring->size;
    out->frame = ring->frame;
    out->frame_bytes = ring->head - ring->frame_start;
    out->in_flight_bytes = ring->head - ring->tail;
    out->peak_in_flight = ring->peak;
    out->allocations = ring->allocations;
    out->failures = ring->failures;
    return BP_OK;
}
