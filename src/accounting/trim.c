/* Bounding memory: retention caps, idle trimming (frames and seconds), the pooled-bytes cap,
 * and making room under a budget. Each bucket is ordered by pooling time (its tail is its
 * oldest buffer), so trimming looks at bucket tails only, and only once the oldest buffer it
 * saw last time can have become idle. */
#include <math.h>

#include "internal/pool.h"

void bpi_destroy_pooled(bp_pool *pool, uint32_t index) {
    bpi_slot *s = &pool->slots[index];
    bpi_bucket_remove(pool, index);
    bpi_stats_state(pool, s, BPI_POOLED, BPI_FREE);
    bpi_destroy_native(pool, s);
    pool->stats.trims++;
    bpi_slot_retire(pool, index);
}

/* The same test for a buffer pooled at (frame, time) as for the oldest one seen. */
static bool is_idle_at(const bp_pool *pool, uint64_t frame, double time) {
    uint32_t frames = pool->desc.idle_trim_frames;
    double seconds = pool->desc.idle_trim_seconds;
    if (frames != BP_NEVER && pool->stats.frame - frame >= frames) return true;
    return seconds >= 0 && pool->now - time >= seconds;
}

bool bpi_trim_is_idle(const bp_pool *pool, uint64_t frame, double time) {
    return pool->desc.capacity_mode == BP_CAPACITY_DYNAMIC && is_idle_at(pool, frame, time);
}

/* When the frame end has to look at the bucket tails again (bpi_trim_due): once the oldest
 * buffer seen is idle, plus, for the frame threshold, a slack of 1/16 of it. Without it, a
 * pool whose pooled buffers have every age walks all its buckets at nearly every frame end
 * to destroy one or two; with it, one walk destroys the batch that became idle over the
 * slack (a buffer stays at most 1/16 longer; thresholds under 16 frames stay exact). The
 * seconds threshold stays exact, as bp_trim_older_than. */
/* trim_due_frame is what the frame end tests (bpi_trim_due, two compares): idle trimming's own
 * due frame, or 0 while a class over its cap is listed for a frame end. */
static void sync_due_frame(bp_pool *pool) {
    pool->trim_due_frame = pool->over_count ? 0 : pool->trim_idle_frame;
}

/* Is idle trimming itself due (not only a listed class)? */
static bool idle_trim_due(const bp_pool *pool) {
    return (pool->stats.frame >= pool->trim_idle_frame) | (pool->now >= pool->trim_due_time);
}

static void set_trim_due(bp_pool *pool, uint64_t oldest_frame, double oldest_time) {
    uint32_t frames = pool->desc.idle_trim_frames;
    double seconds = pool->desc.idle_trim_seconds;
    bool keep_all = pool->desc.capacity_mode != BP_CAPACITY_DYNAMIC;
    pool->trim_idle_frame = keep_all || frames == BP_NEVER ? UINT64_MAX : oldest_frame + frames + frames / 16u;
    sync_due_frame(pool);
    pool->trim_due_time = keep_all || seconds < 0 ? HUGE_VAL : oldest_time + seconds;
}

void bpi_trim_note_stamp(bp_pool *pool, uint64_t frame, double time) {
    uint64_t due_frame = pool->trim_idle_frame;
    double due_time = pool->trim_due_time;
    set_trim_due(pool, frame, time);
    if (due_frame < pool->trim_idle_frame) pool->trim_idle_frame = due_frame;
    sync_due_frame(pool);
    if (due_time < pool->trim_due_time) pool->trim_due_time = due_time;
}

/* A bucket down to its cap, newest first: it keeps the buffers a cap applied at each release
 * would have kept, and destroys the ones released last, still in cache (on the fixed_capacity
 * trace, whose classes pass their caps every frame, 5% less time than oldest first). With
 * retain_demand each buffer destroyed is one its class may miss (bpi_retain_demand_miss). */
static void trim_to_cap(bp_pool *pool, bpi_bucket *b) {
    while (bpi_bucket_count(b) > b->cap) {
        if (pool->retain_demand && b->capped < UINT32_MAX) b->capped++;
        bpi_destroy_pooled(pool, bpi_link_index(b->head));
    }
}

/* The frame end's part of the class cap: every bucket a release of the frame left over its cap
 * (bpi_pooled_over_cap listed it), or every bucket when more were. */
static void trim_over_caps(bp_pool *pool) {
    if (pool->over_count > BPI_OVER_MAX) {
        for (uint32_t g = 0; g < BPI_MAX_GROUPS; g++)
            if (pool->groups[g].used)
                for (uint32_t k = 0; k < pool->used_class_count; k++)
                    trim_to_cap(pool, &pool->groups[g].buckets[pool->used_classes[k]]);
    } else {
        for (uint32_t i = 0; i < pool->over_count; i++)
            trim_to_cap(pool, &pool->groups[pool->over[i] >> 16].buckets[pool->over[i] & 0xFFFFu]);
    }
    pool->over_count = 0;
    sync_due_frame(pool);
}

/* List a bucket for the frame end, once; past BPI_OVER_MAX the frame end walks them all. */
static void list_over(bp_pool *pool, uint32_t group, uint32_t cls) {
    uint32_t key = group << 16 | cls, n = pool->over_count;
    for (uint32_t i = 0; i < n && i < BPI_OVER_MAX; i++)
        if (pool->over[i] == key) return;
    if (n < BPI_OVER_MAX) pool->over[n] = key;
    if (n <= BPI_OVER_MAX) pool->over_count = n + 1;
    sync_due_frame(pool); /* 0: the frame end looks */
}

void bpi_trim_init(bp_pool *pool) {
    set_trim_due(pool, 0, 0.0); /* nothing pooled yet: the first frame end looks once */
    pool->clock_skip = pool->clock_stride = 1;
}

/* The frame end's clock reading stamps the buffers pooled until the next one and is what idle
 * trimming by seconds compares with; only dynamic pools read those stamps back (idle trimming,
 * bp_trim_older_than): fixed and high-water pools never destroy a pooled buffer by age, so
 * their frame ends never read it. An application's clock, and a thread_safe pool's (its
 * thread caches keep stamps of their own), is read at every frame end (tests step it frame by
 * frame). The built-in one is the coarse kernel tick (1-4 ms), which a loop of microsecond
 * frames would read unchanged thousands of times, at a vDSO call each (4-5 ns, a third of
 * such a frame end): while readings `stride` frame ends apart differ by under a millisecond,
 * the stride doubles, up to 16; a longer span sets it back to 1. */
#define BPI_CLOCK_STRIDE_MAX 16u
#define BPI_CLOCK_FAST_SPAN 1e-3

/* The buffers pooled after a frame end that skipped its reading carry the reading before it,
 * which may be long before their release (a pause after fast frames): they take the new one,
 * so that idle trimming never sees a buffer as older than it is. They are the newest of their
 * buckets (a bucket is ordered by pooling time), so the walk stops at each bucket's first
 * older buffer. */
static void restamp_since(bp_pool *pool, uint64_t frame, double t) {
    for (uint32_t g = 0; g < BPI_MAX_GROUPS; g++) {
        bpi_group *grp = &pool->groups[g];
        if (!grp->used) continue;
        for (uint32_t k = 0; k < pool->used_class_count; k++) {
            bpi_slot *s;
            for (uint32_t l = grp->buckets[pool->used_classes[k]].head; l != BPI_NIL; l = s->aux_next) {
                s = bpi_link_slot(pool, l);
                if (s->frame <= frame) break;
                s->pooled_time = t;
            }
        }
    }
}

/* A reading; `newest` is the newest frame a pooled buffer can carry (a frame end reads after
 * counting the frame, and pools nothing in the new one before it). */
static void clock_read(bp_pool *pool, uint64_t newest) {
    double t = bpi_clock(pool);
    if (newest > pool->clock_frame && t > pool->now && pool->desc.capacity_mode == BP_CAPACITY_DYNAMIC)
        restamp_since(pool, pool->clock_frame, t);
    pool->now = t;
    pool->clock_frame = pool->stats.frame;
}

void bpi_clock_now(bp_pool *pool) { clock_read(pool, pool->stats.frame); }

void bpi_frame_clock(bp_pool *pool) {
    if (pool->desc.capacity_mode != BP_CAPACITY_DYNAMIC) {
        pool->clock_skip = UINT32_MAX; /* never read: a frame end only counts down */
        return;
    }
    double before = pool->now;
    clock_read(pool, pool->stats.frame - 1u);
    uint32_t stride = 1;
    if (!pool->desc.clock && !pool->thread_safe && pool->now - before < BPI_CLOCK_FAST_SPAN)
        stride = pool->clock_stride * 2u < BPI_CLOCK_STRIDE_MAX ? pool->clock_stride * 2u : BPI_CLOCK_STRIDE_MAX;
    pool->clock_stride = pool->clock_skip = stride;
}

void bpi_trim_idle(bp_pool *pool, bool everything) {
    /* fixed pools never call the backend after creation; high-water pools never shrink */
    if (pool->desc.capacity_mode != BP_CAPACITY_DYNAMIC) return;
    /* the class caps at a frame end only (a thread_safe pool's frame begin comes here too), and
     * not at the one that pooled buffers from the pending FIFO over them */
    if (pool->over_count && !pool->in_frame && pool->stats.frame > pool->over_hold) trim_over_caps(pool);
    if (!everything && !idle_trim_due(pool)) return;
    /* buffers pooled from now on are no older than now */
    uint64_t oldest_frame = pool->stats.frame;
    double oldest_time = pool->now;
    for (uint32_t g = 0; g < BPI_MAX_GROUPS; g++) {
        bpi_group *grp = &pool->groups[g];
        if (!grp->used) continue;
        for (uint32_t k = 0; k < pool->used_class_count; k++) {
            bpi_bucket *b = &grp->buckets[pool->used_classes[k]];
            uint32_t t;
            while ((t = bpi_bucket_oldest(b)) != BPI_NIL &&
                   (everything || is_idle_at(pool, pool->slots[t].frame, pool->slots[t].pooled_time)))
                bpi_destroy_idle(pool, t);
            if (everything) bpi_bucket_caps_reset(pool, b); /* bp_trim(everything): demand starts over */
            if (t == BPI_NIL) continue;
            if (pool->slots[t].frame < oldest_frame) oldest_frame = pool->slots[t].frame;
            /* not fmin: a library call per bucket for NaN rules no clock reading needs */
            if (pool->slots[t].pooled_time < oldest_time) oldest_time = pool->slots[t].pooled_time;
        }
    }
    set_trim_due(pool, oldest_frame, oldest_time);
}

void bpi_backend_trim(bp_pool *pool) {
    if (pool->desc.capacity_mode != BP_CAPACITY_DYNAMIC || !pool->backend.trim) return;
    bpi_callback_guard g = bpi_callback_enter(pool);
    pool->backend.trim(pool->backend.user);
    bpi_callback_leave(pool, g);
}

/* A bucket's cap and the figure its releases compare with (0 with a bytes cap: every release
 * over nothing asks bpi_pooled_over_cap, which applies both caps). */
static void set_cap(const bp_pool *pool, bpi_bucket *b, uint32_t cap) {
    int64_t count = bpi_bucket_count(b);
    b->cap = cap;
    b->release_cap = pool->pooled_cap == UINT64_MAX ? cap : 0;
    b->room = (int64_t)b->release_cap - count;
}

void bpi_bucket_caps_reset(const bp_pool *pool, bpi_bucket *b) {
    set_cap(pool, b, pool->retain_cap);
    b->capped = 0;
}

void bpi_retention_init(bp_pool *pool) {
    bool keep_all = pool->desc.capacity_mode != BP_CAPACITY_DYNAMIC;
    pool->retain_cap = keep_all || pool->desc.max_pooled_per_class == BP_NEVER ? UINT32_MAX
                                                                                 : pool->desc.max_pooled_per_class;
    pool->pooled_cap = keep_all ? UINT64_MAX : pool->desc.max_pooled_bytes;
    pool->retain_demand = !keep_all && pool->desc.retain_demand != BP_NEVER; /* 0: on, the default */
    uint32_t headroom = pool->desc.pooled_headroom;
    pool->headroom = keep_all || headroom == 0 || headroom == BP_NEVER ? UINT32_MAX : headroom; /* 0: off */
    /* every class's bucket, used or not: a class used later starts from the new caps too */
    for (uint32_t g = 0; g < BPI_MAX_GROUPS; g++)
        if (pool->groups[g].used)
            for (uint32_t c = 0; c < bpi_class_count(pool->pow2); c++)
                bpi_bucket_caps_reset(pool, &pool->groups[g].buckets[c]);
}

/* A release whose bucket count passed its release_cap: the class cap, else the bytes cap. The
 * class cap holds at the frame end, as seed 000's periodic cleanup: within a frame the bucket
 * keeps the buffer, so a size released and asked for again in the same frame is a hit, not a
 * destroy and a create, and the frame end trims the bucket to its cap (trim_to_cap; on the
 * benchmark's vegetation trace, whose entities despawn and spawn in one frame, the host
 * backend's mallocs and frees then fault in fresh pages about 60% less often). Outside a frame, or
 * in a pool that never opens one, the released buffer is destroyed at once. With
 * retain_demand the class remembers each buffer its cap destroyed, for its next miss. */
void bpi_pooled_over_cap(bp_pool *pool, uint32_t index) {
    const bpi_slot *s = &pool->slots[index];
    bpi_bucket *b = s->bucket;
    bool over = bpi_bucket_count(b) > b->cap;
    if (over && (pool->in_frame || pool->promoting)) {
        list_over(pool, (uint32_t)s->group, s->class_index);
        if (pool->promoting) pool->over_hold = pool->stats.frame; /* offered for the next frame */
        over = false;
    }
    if (over) {
        if (pool->retain_demand && b->capped < UINT32_MAX) b->capped++;
        bpi_destroy_pooled(pool, index);
    } else if (bpi_bytes_pooled(pool) > pool->pooled_cap) {
        bpi_enforce_pooled_cap(pool);
    }
}

/* retain_demand: a miss in a class whose cap destroyed a buffer that no miss has answered yet
 * was the cap's doing, so the class keeps one more from now on. After one frame of a loop that
 * releases more buffers of a size than the cap, the cap is what the loop holds at once. */
bool bpi_retain_demand_miss(bp_pool *pool, uint32_t index) {
    bpi_bucket *b = pool->slots[index].bucket;
    if (!pool->retain_demand || !b->capped || b->cap == UINT32_MAX) return false;
    b->capped--;
    set_cap(pool, b, b->cap + 1);
    return true;
}

void bpi_retain_demand_unmiss(const bp_pool *pool, bpi_bucket *b) {
    b->capped++;
    set_cap(pool, b, b->cap - 1);
}

/* An idle buffer destroyed (idle trimming, bp_trim_older_than): a cap that demand raised comes
 * down by one with it, never below max_pooled_per_class. */
void bpi_destroy_idle(bp_pool *pool, uint32_t index) {
    bpi_bucket *b = pool->slots[index].bucket;
    bpi_destroy_pooled(pool, index);
    if (b->cap > pool->retain_cap) set_cap(pool, b, b->cap - 1);
}

/* Every bucket over its cap loses its oldest buffers (its tail) down to the cap. */
void bpi_enforce_class_cap(bp_pool *pool) {
    for (uint32_t g = 0; g < BPI_MAX_GROUPS; g++) {
        bpi_group *grp = &pool->groups[g];
        if (!grp->used) continue;
        for (uint32_t k = 0; k < pool->used_class_count; k++) {
            bpi_bucket *b = &grp->buckets[pool->used_classes[k]];
            while (bpi_bucket_count(b) > b->cap) bpi_destroy_pooled(pool, bpi_bucket_oldest(b));
        }
    }
}

void bpi_enforce_pooled_cap(bp_pool *pool) {
    uint64_t cap = pool->pooled_cap;
    uint32_t i;
    while (bpi_bytes_pooled(pool) > cap && (i = bpi_oldest_pooled(pool)) != BPI_NIL) bpi_destroy_pooled(pool, i);
}
