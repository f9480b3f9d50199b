/* Bad input to the secondary APIs: virtual blocks, per-frame rings, object pools and the
 * fault-injecting backend. NULLs, zero and huge sizes, bad alignments, double, foreign and
 * never-issued handles, exhausted capacity: each gets its documented code and changes nothing. */
#include <math.h>

#include "fault_support.h"
#include "internal/libc_alloc.h"

static bp_vblock *make_block(uint64_t size, uint32_t max_ranges, uint64_t granularity) {
    bp_vblock_desc d = {.size = size, .max_ranges = max_ranges, .granularity = granularity};
    bp_vblock *b = NULL;
    assert_int_equal(bp_vblock_create(&d, &b), BP_OK);
    assert_non_null(b);
    return b;
}

static bp_vblock_stats block_stats(const bp_vblock *b) {
    bp_vblock_stats s;
    assert_int_equal(bp_vblock_get_stats(b, &s), BP_OK);
    return s;
}

static void assert_block_unchanged(const bp_vblock *b, const bp_vblock_stats *before) {
    bp_vblock_stats now = block_stats(b);
    assert_memory_equal(&now, before, sizeof now);
    assert_int_equal(bp_vblock_check(b), BP_OK);
}

static void vblock_bad_create(void **state) {
    (void)state;
    bp_vblock *b = (bp_vblock *)&b;
    bp_vblock_desc d = {.size = 1024};
    assert_int_equal(bp_vblock_create(NULL, &b), BP_ERR_INVALID_ARGUMENT);
    assert_null(b);
    assert_int_equal(bp_vblock_create(&d, NULL), BP_ERR_INVALID_ARGUMENT);
    d.size = 0;
    assert_int_equal(bp_vblock_create(&d, &b), BP_ERR_INVALID_SIZE);
    d.size = UINT64_MAX;
    assert_int_equal(bp_vblock_create(&d, &b), BP_ERR_TOO_LARGE);
    d.size = BP_VBLOCK_MAX_SIZE + 1;
    assert_int_equal(bp_vblock_create(&d, &b), BP_ERR_TOO_LARGE);
    d.size = 1024;
    d.granularity = 24; /* not a power of two */
    assert_int_equal(bp_vblock_create(&d, &b), BP_ERR_INVALID_ARGUMENT);
    d.granularity = 2048; /* above the size */
    assert_int_equal(bp_vblock_create(&d, &b), BP_ERR_INVALID_ARGUMENT);
    d.granularity = 1ull << 63;
    assert_int_equal(bp_vblock_create(&d, &b), BP_ERR_INVALID_ARGUMENT);
    d.granularity = 0;
    d.max_ranges = UINT32_MAX;
    assert_int_equal(bp_vblock_create(&d, &b), BP_ERR_INVALID_ARGUMENT);
    d.max_ranges = 0;
    d.allocator.alloc = bpi_libc_alloc; /* half an allocator */
    assert_int_equal(bp_vblock_create(&d, &b), BP_ERR_INVALID_ARGUMENT);
    assert_null(b);
    bp_vblock_destroy(NULL);
}

static void vblock_bad_alloc(void **state) {
    (void)state;
    bp_vblock *b = make_block(4096, 0, 16);
    bp_range keep;
    assert_int_equal(bp_vblock_alloc(b, 100, 0, &keep), BP_OK);
    bp_vblock_stats before = block_stats(b);
    bp_range r = {1, 2, 3};
    assert_int_equal(bp_vblock_alloc(NULL, 16, 0, &r), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(r.id, 0);
    assert_int_equal(bp_vblock_alloc(b, 16, 0, NULL), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_vblock_alloc(b, 0, 0, &r), BP_ERR_INVALID_SIZE);
    assert_int_equal(bp_vblock_alloc(b, 16, 3, &r), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_vblock_alloc(b, 16, 48, &r), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_vblock_alloc(b, 16, UINT64_MAX, &r), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_vblock_alloc(b, 16, 1ull << 63, &r), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_vblock_alloc(b, 16, 8192, &r), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_vblock_alloc(b, UINT64_MAX, 0, &r), BP_ERR_TOO_LARGE);
    assert_int_equal(bp_vblock_alloc(b, UINT64_MAX - 14, 0, &r), BP_ERR_TOO_LARGE); /* rounding would wrap */
    assert_int_equal(bp_vblock_alloc(b, 4097, 0, &r), BP_ERR_TOO_LARGE);
    assert_int_equal(r.id, 0);
    assert_block_unchanged(b, &before);
    /* no room: refused (counted), nothing else changes */
    assert_int_equal(bp_vblock_alloc(b, 4096, 0, &r), BP_ERR_CAPACITY);
    assert_int_equal(bp_vblock_alloc(b, 2048, 4096, &r), BP_ERR_CAPACITY);
    assert_int_equal(block_stats(b).failures, before.failures + 2);
    assert_int_equal(bp_vblock_check(b), BP_OK);
    assert_int_equal(bp_vblock_free(b, keep), BP_OK);
    bp_vblock_destroy(b);
}

static void vblock_huge_block(void **state) {
    (void)state;
    bp_vblock *b = make_block(BP_VBLOCK_MAX_SIZE, 0, 1);
    bp_range a, c;
    assert_int_equal(bp_vblock_alloc(b, BP_VBLOCK_MAX_SIZE, BP_VBLOCK_MAX_SIZE, &a), BP_OK);
    assert_int_equal(a.offset, 0);
    assert_int_equal(bp_vblock_alloc(b, 1, 0, &c), BP_ERR_CAPACITY);
    assert_int_equal(bp_vblock_free(b, a), BP_OK);
    assert_int_equal(bp_vblock_alloc(b, 1, 0, &a), BP_OK);
    assert_int_equal(bp_vblock_alloc(b, BP_VBLOCK_MAX_SIZE / 2, BP_VBLOCK_MAX_SIZE / 2, &c), BP_OK);
    assert_int_equal(c.offset, BP_VBLOCK_MAX_SIZE / 2);
    assert_int_equal(bp_vblock_alloc(b, BP_VBLOCK_MAX_SIZE / 2, 0, &c), BP_ERR_CAPACITY);
    assert_int_equal(bp_vblock_check(b), BP_OK);
    bp_vblock_destroy(b); /* leaks two ranges: no logger, silent */
}

static void vblock_bad_ranges(void **state) {
    (void)state;
    bp_vblock *b = make_block(4096, 8, 16), *other = make_block(4096, 8, 16);
    bp_range a, freed, theirs, stale;
    assert_int_equal(bp_vblock_alloc(b, 100, 0, &a), BP_OK);
    assert_int_equal(bp_vblock_alloc(b, 50, 0, &freed), BP_OK);
    assert_int_equal(bp_vblock_alloc(other, 100, 0, &theirs), BP_OK);
    assert_int_equal(bp_vblock_free(b, freed), BP_OK);
    bp_vblock_stats before = block_stats(b);
    assert_int_equal(bp_vblock_free(NULL, a), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_vblock_free(b, (bp_range){0}), BP_ERR_INVALID_HANDLE);
    assert_int_equal(bp_vblock_free(b, freed), BP_ERR_DOUBLE_RELEASE);
    assert_int_equal(bp_vblock_free(b, theirs), BP_ERR_FOREIGN_HANDLE);
    assert_int_equal(bp_vblock_free(other, a), BP_ERR_FOREIGN_HANDLE);
    bp_range forged = a;
    forged.id = a.id + 5; /* a node index never issued */
    assert_int_equal(bp_vblock_free(b, forged), BP_ERR_FOREIGN_HANDLE);
    forged.id = a.id | 0x00FFFFFFull;
    assert_int_equal(bp_vblock_free(b, forged), BP_ERR_FOREIGN_HANDLE);
    forged.id = a.id + (1ull << 32); /* a generation not reached yet */
    assert_int_equal(bp_vblock_free(b, forged), BP_ERR_FOREIGN_HANDLE);
    forged.id = a.id & 0xFFFFFFFFull; /* generation 0 */
    assert_int_equal(bp_vblock_free(b, forged), BP_ERR_FOREIGN_HANDLE);
    forged = a;
    forged.size++;
    assert_int_equal(bp_vblock_free(b, forged), BP_ERR_FOREIGN_HANDLE);
    forged = a;
    forged.offset = UINT64_MAX;
    assert_int_equal(bp_vblock_free(b, forged), BP_ERR_FOREIGN_HANDLE);
    forged = (bp_range){.offset = 0, .size = 100, .id = UINT64_MAX};
    assert_int_equal(bp_vblock_free(b, forged), BP_ERR_FOREIGN_HANDLE);
    void *ud = (void *)&ud;
    assert_int_equal(bp_vblock_set_user_data(NULL, a, ud), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_vblock_set_user_data(b, freed, ud), BP_ERR_DOUBLE_RELEASE);
    assert_int_equal(bp_vblock_set_user_data(b, theirs, ud), BP_ERR_FOREIGN_HANDLE);
    assert_int_equal(bp_vblock_get_user_data(b, a, NULL), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_vblock_get_user_data(NULL, a, &ud), BP_ERR_INVALID_ARGUMENT);
    assert_null(ud);
    ud = (void *)&ud;
    assert_int_equal(bp_vblock_get_user_data(b, freed, &ud), BP_ERR_DOUBLE_RELEASE);
    assert_null(ud);
    assert_block_unchanged(b, &before);
    /* the freed slot handed out again: the old id is stale, not the new range's */
    assert_int_equal(bp_vblock_alloc(b, 50, 0, &stale), BP_OK);
    if ((uint32_t)stale.id == (uint32_t)freed.id) {
        assert_int_equal(bp_vblock_free(b, freed), BP_ERR_STALE_HANDLE);
        assert_int_equal(bp_vblock_check(b), BP_OK);
    }
    assert_int_equal(bp_vblock_free(b, stale), BP_OK);
    assert_int_equal(bp_vblock_free(b, a), BP_OK);
    assert_int_equal(bp_vblock_free(other, theirs), BP_OK);
    bp_vblock_stats s;
    assert_int_equal(bp_vblock_get_stats(NULL, &s), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_vblock_get_stats(b, NULL), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_vblock_check(NULL), BP_ERR_INVALID_ARGUMENT);
    bp_vblock_destroy(b);
    bp_vblock_destroy(other);
}

static void vblock_max_ranges_exhausted(void **state) {
    (void)state;
    bp_vblock *b = make_block(4096, 3, 1);
    bp_range r[3], x;
    for (int i = 0; i < 3; i++) assert_int_equal(bp_vblock_alloc(b, 7, 64, &r[i]), BP_OK);
    bp_vblock_stats before = block_stats(b);
    assert_int_equal(bp_vblock_alloc(b, 1, 0, &x), BP_ERR_CAPACITY);
    assert_int_equal(x.id, 0);
    before.failures++;
    assert_block_unchanged(b, &before);
    assert_int_equal(bp_vblock_free(b, r[1]), BP_OK);
    assert_int_equal(bp_vblock_alloc(b, 1, 0, &x), BP_OK);
    /* freed already (its slot spare or free) or stale (its slot is x's now) */
    assert_int_equal(bp_vblock_free(b, r[1]),
                     (uint32_t)x.id == (uint32_t)r[1].id ? BP_ERR_STALE_HANDLE : BP_ERR_DOUBLE_RELEASE);
    for (int i = 0; i < 3; i += 2) assert_int_equal(bp_vblock_free(b, r[i]), BP_OK);
    assert_int_equal(bp_vblock_free(b, x), BP_OK);
    assert_int_equal(bp_vblock_check(b), BP_OK);
    bp_vblock_destroy(b);
}

/* A range's block tag (8 bits of its id). */
static uint32_t range_tag(bp_range r) { return (uint32_t)(r.id >> 24) & 0xFFu; }

/* Block tags repeat every 255 blocks: two live blocks with the same tag hand out the same
 * node index, generation, offset and size for the same first allocation. Each must still
 * refuse the other's range (foreign) and stay as it was. */
static void vblock_same_tag_ranges(void **state) {
    (void)state;
    enum { BLOCKS = 257 }; /* more than 255: at least two pairs of blocks share a tag */
    bp_vblock *blocks[BLOCKS];
    bp_range ranges[BLOCKS];
    int twin = -1;
    for (int i = 0; i < BLOCKS; i++) {
        blocks[i] = make_block(4096, 8, 16);
        assert_int_equal(bp_vblock_alloc(blocks[i], 100, 0, &ranges[i]), BP_OK);
        if (twin < 0 && i > 0 && range_tag(ranges[i]) == range_tag(ranges[0])) twin = i;
    }
    assert_true(twin > 0);
    bp_vblock *a = blocks[0], *b = blocks[twin];
    bp_range ra = ranges[0], rb = ranges[twin];
    assert_true(ra.offset == rb.offset && ra.size == rb.size && (uint32_t)ra.id == (uint32_t)rb.id);
    void *ud = (void *)&ud;
    assert_int_equal(bp_vblock_set_user_data(a, ra, ud), BP_OK);
    bp_vblock_stats sa = block_stats(a), sb = block_stats(b);
    assert_int_equal(bp_vblock_free(b, ra), BP_ERR_FOREIGN_HANDLE);
    assert_int_equal(bp_vblock_free(a, rb), BP_ERR_FOREIGN_HANDLE);
    assert_int_equal(bp_vblock_set_user_data(b, ra, ud), BP_ERR_FOREIGN_HANDLE);
    void *got = (void *)&got;
    assert_int_equal(bp_vblock_get_user_data(b, ra, &got), BP_ERR_FOREIGN_HANDLE);
    assert_null(got);
    assert_block_unchanged(a, &sa);
    assert_block_unchanged(b, &sb);
    assert_int_equal(bp_vblock_get_user_data(a, ra, &got), BP_OK);
    assert_ptr_equal(got, ud);
    /* every block refuses every other block's range, tag shared or not */
    for (int i = 0; i < BLOCKS; i++)
        for (int k = 0; k < BLOCKS; k++)
            if (k != i) assert_int_equal(bp_vblock_free(blocks[k], ranges[i]), BP_ERR_FOREIGN_HANDLE);
    for (int i = 0; i < BLOCKS; i++) {
        assert_int_equal(bp_vblock_check(blocks[i]), BP_OK);
        assert_int_equal(bp_vblock_free(blocks[i], ranges[i]), BP_OK);
        assert_int_equal(bp_vblock_check(blocks[i]), BP_OK);
        bp_vblock_destroy(blocks[i]);
    }
}

/* ---- rings ---- */

static bp_ring *make_ring(uint64_t size, uint32_t frames_in_flight) {
    bp_ring_desc d = {.size = size, .frames_in_flight = frames_in_flight};
    bp_ring *r = NULL;
    assert_int_equal(bp_ring_create(&d, &r), BP_OK);
    return r;
}

static void ring_bad_input(void **state) {
    (void)state;
    bp_ring *r = (bp_ring *)&r;
    bp_ring_desc d = {.size = 0};
    assert_int_equal(bp_ring_create(NULL, &r), BP_ERR_INVALID_ARGUMENT);
    assert_null(r);
    assert_int_equal(bp_ring_create(&d, NULL), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_ring_create(&d, &r), BP_ERR_INVALID_SIZE);
    d.size = UINT64_MAX;
    assert_int_equal(bp_ring_create(&d, &r), BP_ERR_TOO_LARGE);
    d.size = 64;
    d.frames_in_flight = 65;
    assert_int_equal(bp_ring_create(&d, &r), BP_ERR_INVALID_ARGUMENT);
    d.frames_in_flight = UINT32_MAX;
    assert_int_equal(bp_ring_create(&d, &r), BP_ERR_INVALID_ARGUMENT);
    d.frames_in_flight = 0;
    d.allocator.free = bpi_libc_free;
    assert_int_equal(bp_ring_create(&d, &r), BP_ERR_INVALID_ARGUMENT);
    assert_null(r);
    bp_ring_destroy(NULL);
    assert_int_equal(bp_ring_frame_end(NULL), BP_ERR_INVALID_ARGUMENT);
    bp_ring_stats s;
    assert_int_equal(bp_ring_get_stats(NULL, &s), BP_ERR_INVALID_ARGUMENT);

    r = make_ring(1024, 1);
    uint64_t off = 5;
    assert_int_equal(bp_ring_alloc(r, 100, 0, &off), BP_OK);
    bp_ring_stats before, now;
    assert_int_equal(bp_ring_get_stats(r, &before), BP_OK);
    assert_int_equal(bp_ring_get_stats(r, NULL), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_ring_alloc(r, UINT64_MAX, 0, &off), BP_ERR_TOO_LARGE);
    assert_int_equal(bp_ring_alloc(r, 1, UINT64_MAX, &off), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_ring_alloc(r, 1, 1ull << 63, &off), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_ring_alloc(r, 1, 96, &off), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_ring_alloc(r, 0, 1, &off), BP_ERR_INVALID_SIZE);
    assert_int_equal(off, 0);
    assert_int_equal(bp_ring_get_stats(r, &now), BP_OK);
    assert_memory_equal(&now, &before, sizeof now);
    bp_ring_destroy(r);
}

/* Positions are virtual and only grow: with the largest blocks they pass 2^64 after a few
 * full frames. Reuse after frames_in_flight must keep working (and offsets stay in range). */
static void ring_huge_block_keeps_cycling(void **state) {
    (void)state;
    const uint64_t sizes[] = {BP_VBLOCK_MAX_SIZE, 3ull << 60, BP_VBLOCK_MAX_SIZE - 1};
    for (unsigned k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        uint64_t size = sizes[k];
        bp_ring *r = make_ring(size, 1);
        for (int frame = 0; frame < 40; frame++) {
            uint64_t off = UINT64_MAX;
            assert_int_equal(bp_ring_alloc(r, size / 2, 0, &off), BP_OK);
            assert_true(off <= size - size / 2);
            assert_int_equal(bp_ring_frame_end(r), BP_OK);
            bp_ring_stats s;
            assert_int_equal(bp_ring_get_stats(r, &s), BP_OK);
            assert_true(s.in_flight_bytes <= size);
        }
        bp_ring_destroy(r);
    }
}

/* ---- object pools ---- */

static void objpool_bad_input(void **state) {
    (void)state;
    bp_objpool *p = (bp_objpool *)&p;
    bp_objpool_desc d = {.element_size = 24, .capacity = 4};
    assert_int_equal(bp_objpool_create(NULL, &p), BP_ERR_INVALID_ARGUMENT);
    assert_null(p);
    assert_int_equal(bp_objpool_create(&d, NULL), BP_ERR_INVALID_ARGUMENT);
    d.element_size = 0;
    assert_int_equal(bp_objpool_create(&d, &p), BP_ERR_INVALID_ARGUMENT);
    d.element_size = 24;
    d.capacity = 0;
    assert_int_equal(bp_objpool_create(&d, &p), BP_ERR_INVALID_ARGUMENT);
    d.capacity = 4;
    d.alignment = 24;
    assert_int_equal(bp_objpool_create(&d, &p), BP_ERR_INVALID_ARGUMENT);
    d.alignment = 0;
    d.element_size = SIZE_MAX;
    assert_int_equal(bp_objpool_create(&d, &p), BP_ERR_OVERFLOW);
    d.element_size = SIZE_MAX / 2;
    assert_int_equal(bp_objpool_create(&d, &p), BP_ERR_OVERFLOW);
    d.element_size = 1;
    d.alignment = (size_t)1 << 63;
    assert_int_equal(bp_objpool_create(&d, &p), BP_ERR_OVERFLOW);
    d.alignment = 0;
    d.element_size = 24;
    d.allocator.alloc = bpi_libc_alloc;
    assert_int_equal(bp_objpool_create(&d, &p), BP_ERR_INVALID_ARGUMENT);
    assert_null(p);
    d.allocator.alloc = NULL;
    bp_objpool_destroy(NULL);
    bp_objpool_release_all(NULL);
    assert_int_equal(bp_objpool_capacity(NULL), 0);
    assert_int_equal(bp_objpool_count(NULL), 0);
    void *o = (void *)&o;
    assert_int_equal(bp_objpool_acquire(NULL, &o), BP_ERR_INVALID_ARGUMENT);
    assert_null(o);

    bp_objpool *other;
    assert_int_equal(bp_objpool_create(&d, &p), BP_OK);
    assert_int_equal(bp_objpool_create(&d, &other), BP_OK);
    void *objs[4], *theirs;
    assert_int_equal(bp_objpool_acquire(p, NULL), BP_ERR_INVALID_ARGUMENT);
    for (int i = 0; i < 4; i++) assert_int_equal(bp_objpool_acquire(p, &objs[i]), BP_OK);
    assert_int_equal(bp_objpool_acquire(p, &o), BP_ERR_CAPACITY);
    assert_null(o);
    assert_int_equal(bp_objpool_acquire(other, &theirs), BP_OK);
    assert_int_equal(bp_objpool_release(NULL, objs[0]), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_objpool_release(p, NULL), BP_ERR_INVALID_HANDLE);
    assert_int_equal(bp_objpool_release(p, theirs), BP_ERR_FOREIGN_HANDLE);
    assert_int_equal(bp_objpool_release(p, (char *)objs[1] + 1), BP_ERR_FOREIGN_HANDLE);
    assert_int_equal(bp_objpool_release(p, (char *)objs[0] - 1), BP_ERR_FOREIGN_HANDLE);
    assert_int_equal(bp_objpool_release(p, (char *)objs[3] + 32), BP_ERR_FOREIGN_HANDLE); /* one past the end */
    assert_int_equal(bp_objpool_release(p, (void *)UINTPTR_MAX), BP_ERR_FOREIGN_HANDLE);
    assert_int_equal(bp_objpool_release(p, (void *)(uintptr_t)1), BP_ERR_FOREIGN_HANDLE);
    assert_int_equal(bp_objpool_count(p), 4);
    assert_int_equal(bp_objpool_release(p, objs[2]), BP_OK);
    assert_int_equal(bp_objpool_release(p, objs[2]), BP_ERR_DOUBLE_RELEASE);
    assert_int_equal(bp_objpool_count(p), 3);
    bp_objpool_release_all(p);
    assert_int_equal(bp_objpool_release(p, objs[0]), BP_ERR_DOUBLE_RELEASE);
    assert_int_equal(bp_objpool_count(p), 0);
    bp_objpool_destroy(p);
    bp_objpool_destroy(other);
}

/* ---- the fault-injecting backend ---- */

static void fault_bad_input(void **state) {
    (void)state;
    bp_backend host, bad;
    bp_host_backend(NULL, &host);
    bp_fault *f = (bp_fault *)&f;
    assert_int_equal(bp_fault_create(&host, NULL, NULL), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_fault_create(NULL, NULL, &f), BP_ERR_INVALID_ARGUMENT);
    assert_null(f);
    bad = host;
    bad.version++;
    assert_int_equal(bp_fault_create(&bad, NULL, &f), BP_ERR_INVALID_ARGUMENT);
    bad = host;
    bad.create = NULL;
    assert_int_equal(bp_fault_create(&bad, NULL, &f), BP_ERR_INVALID_ARGUMENT);
    const double bad_p[] = {-0.1, 1.5, NAN, INFINITY, -INFINITY};
    for (unsigned i = 0; i < sizeof bad_p / sizeof bad_p[0]; i++) {
        assert_int_equal(bp_fault_create(&host, &(bp_fault_desc){.probability = bad_p[i]}, &f),
                         BP_ERR_INVALID_ARGUMENT);
        assert_null(f);
    }
    bp_fault_destroy(NULL);
    bp_fault_stats s;
    memset(&s, 0xab, sizeof s);
    bp_fault_get_stats(NULL, &s);
    assert_int_equal(s.calls, 0);
    bp_fault_get_stats(NULL, NULL);
    bp_backend table;
    memset(&table, 0xab, sizeof table);
    bp_fault_backend(NULL, &table); /* zeroed, not left holding garbage */
    assert_null(table.create);
    assert_int_equal(table.version, 0);
    bp_pool *pool = (bp_pool *)&pool;
    assert_int_equal(bp_pool_create(&(bp_pool_desc){.backend = &table}, &pool), BP_ERR_INVALID_ARGUMENT);
    assert_null(pool);
    bp_fault_backend(NULL, NULL);
}

/* bp_fault_arm checks `probability` as bp_fault_create does, and a refused arming keeps the
 * wrapper armed as before (its counters too). */
static void fault_arm_validates(void **state) {
    (void)state;
    bp_backend host, wrapped;
    bp_host_backend(NULL, &host);
    bp_fault *f;
    assert_int_equal(bp_fault_create(&host, &(bp_fault_desc){.fail_at = 2}, &f), BP_OK);
    bp_fault_backend(f, &wrapped);
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&(bp_pool_desc){.backend = &wrapped}, &pool), BP_OK);
    bp_buffer a = ts_acquire(pool, 100, 0);
    bp_fault_stats before, now;
    bp_fault_get_stats(f, &before);
    assert_int_equal(before.calls, 1);
    const double bad_p[] = {-0.1, 1.0000001, NAN, -NAN, INFINITY, -INFINITY};
    for (unsigned i = 0; i < sizeof bad_p / sizeof bad_p[0]; i++) {
        assert_int_equal(bp_fault_arm(f, &(bp_fault_desc){.probability = bad_p[i]}), BP_ERR_INVALID_ARGUMENT);
        bp_fault_get_stats(f, &now);
        assert_memory_equal(&now, &before, sizeof now);
    }
    assert_int_equal(bp_fault_arm(NULL, NULL), BP_ERR_INVALID_ARGUMENT);
    /* still armed as created: the 2nd create fails */
    bp_acquire_desc d = {.size = 1u << 20};
    bp_buffer b;
    assert_int_equal(bp_acquire(pool, &d, &b), BP_ERR_OUT_OF_MEMORY);
    assert_int_equal(bp_fault_arm(f, &(bp_fault_desc){.probability = 1.0}), BP_OK);
    assert_int_equal(bp_acquire(pool, &d, &b), BP_ERR_OUT_OF_MEMORY);
    assert_int_equal(bp_fault_arm(f, NULL), BP_OK);
    assert_int_equal(bp_acquire(pool, &d, &b), BP_OK);
    assert_int_equal(bp_release(pool, b), BP_OK);
    assert_int_equal(bp_release(pool, a), BP_OK);
    ts_check_and_destroy(pool);
    bp_fault_destroy(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vblock_bad_create),
        cmocka_unit_test(vblock_bad_alloc),
        cmocka_unit_test(vblock_huge_block),
        cmocka_unit_test(vblock_bad_ranges),
        cmocka_unit_test(vblock_max_ranges_exhausted),
        cmocka_unit_test(vblock_same_tag_ranges),
        cmocka_unit_test(ring_bad_input),
        cmocka_unit_test(ring_huge_block_keeps_cycling),
        cmocka_unit_test(objpool_bad_input),
        cmocka_unit_test(fault_bad_input),
        cmocka_unit_test(fault_arm_validates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
