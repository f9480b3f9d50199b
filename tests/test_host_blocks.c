/* The host backend's block mode: buffers as TLSF ranges of large host blocks, dedicated
 * allocations for big ones, one spare block kept, and nothing left after the pool. */
#include "internal/libc_alloc.h"
#include "bufpool_fault.h"
#include "test_support.h"

#define KIB 1024u

/* Counts like ts_allocator, but honours the alignment (blocks start on a page). */
static void *aligned_count_alloc(void *user, size_t size, size_t alignment) {
    ((counting_alloc *)user)->allocs++;
    return bpi_libc_alloc(NULL, size, alignment);
}
static bp_allocator aligned_counting(counting_alloc *c) { return (bp_allocator){aligned_count_alloc, ts_free, c}; }

static bp_pool *pool_on_blocks(uint64_t block_size, uint64_t alignment, counting_alloc *counts, bp_backend *out) {
    bp_host_backend_desc hd = {.block_size = block_size, .alignment = alignment,
                               .allocator = counts ? aligned_counting(counts) : (bp_allocator){0}};
    assert_int_equal(bp_host_backend(&hd, out), BP_OK);
    bp_pool_desc d = {.backend = out, .frames_in_flight = BP_IMMEDIATE_REUSE, .max_pooled_per_class = BP_NEVER};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    return pool;
}

/* The pool keeps a copy of the table; its `user` (the counts) is shared with `backend`. */
static bp_host_backend_stats stats_of(const bp_backend *backend) {
    bp_host_backend_stats s;
    assert_int_equal(bp_host_backend_get_stats(backend, &s), BP_OK);
    return s;
}

static void bad_desc_and_unsupported_tables(void **state) {
    (void)state;
    bp_backend b;
    bp_host_backend_desc small = {.block_size = 64 * KIB - 1};
    assert_int_equal(bp_host_backend(&small, &b), BP_ERR_INVALID_ARGUMENT);
    bp_host_backend_desc unaligned = {.block_size = 100 * KIB + 512, .alignment = 4096};
    assert_int_equal(bp_host_backend(&unaligned, &b), BP_ERR_INVALID_ARGUMENT);
    bp_host_backend_stats s = {.blocks = 7};
    assert_int_equal(bp_host_backend(NULL, &b), BP_OK);
    assert_int_equal(bp_host_backend_get_stats(&b, &s), BP_ERR_UNSUPPORTED);
    assert_int_equal(s.blocks, 0);
    assert_int_equal(bp_host_backend_get_stats(NULL, &s), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_host_backend_get_stats(&b, NULL), BP_ERR_INVALID_ARGUMENT);
}

/* Small buffers share blocks, at aligned offsets, without overlapping: each is filled with
 * its own byte and all are read back. A buffer over a quarter block is a range of a block of
 * its own size (four times it, rounded up to a power of two); one over a quarter of eight
 * block sizes is dedicated. An application's allocator: every byte of a block is held. */
static void small_buffers_are_ranges_of_growing_blocks(void **state) {
    (void)state;
    counting_alloc counts = {0};
    bp_backend backend;
    bp_pool *pool = pool_on_blocks(1024 * KIB, 256, &counts, &backend);
    enum { N = 40 };
    bp_buffer b[N];
    bp_buffer_info info[N];
    for (int i = 0; i < N; i++) {
        b[i] = ts_acquire(pool, 1000 + 517u * (unsigned)i, 0);
        assert_int_equal(bp_buffer_get_info(pool, b[i], &info[i]), BP_OK);
        assert_int_equal((uintptr_t)info[i].mapped % 256, 0);
        assert_ptr_equal((char *)(uintptr_t)info[i].native_memory + info[i].offset, info[i].mapped);
        memset(info[i].mapped, i + 1, info[i].capacity);
    }
    for (int i = 0; i < N; i++)
        for (uint64_t k = 0; k < info[i].capacity; k++) assert_int_equal(((unsigned char *)info[i].mapped)[k], i + 1);
    bp_host_backend_stats s = stats_of(&backend);
    /* about 440 KB: each block holds at most what the blocks before it hold (64 KiB at least),
     * within VMA's 1/8, 1/4 and 1/2 of the block size */
    assert_int_equal(s.blocks, 4);
    assert_int_equal(s.block_bytes, (64 + 64 + 128 + 256) * KIB);
    assert_int_equal(s.ranges, N);
    assert_int_equal(s.dedicated, 0);
    assert_int_equal(counts.allocs, 4); /* the blocks; TLSF nodes use libc */
    bp_buffer big = ts_acquire(pool, 300 * KIB, 0);
    s = stats_of(&backend);
    assert_int_equal(s.dedicated, 0);
    assert_int_equal(s.blocks, 5);
    assert_int_equal(s.block_bytes, (64 + 64 + 128 + 256 + 2048) * KIB);
    bp_buffer huge = ts_acquire(pool, 2048 * KIB + 1, 0);
    s = stats_of(&backend);
    assert_int_equal(s.dedicated, 1);
    assert_true(s.dedicated_bytes > 2048 * KIB);
    assert_int_equal(s.purged_bytes, 0);
    assert_int_equal(s.held_bytes, s.block_bytes + s.dedicated_bytes);
    assert_int_equal(bp_release(pool, huge), BP_OK);
    assert_int_equal(bp_release(pool, big), BP_OK);
    for (int i = 0; i < N; i++) assert_int_equal(bp_release(pool, b[i]), BP_OK);
    ts_check_and_destroy(pool);
    assert_int_equal(counts.allocs, counts.frees);
}

/* With 64 MiB blocks, a working set of 200 KB holds 256 KiB of blocks (64 + 64 + 128), not
 * VMA's 8 MiB first block; a large request opens a block of twice its size rounded up to a
 * power of two (VMA's rule alone would give the whole 64 MiB from the fourth block on). */
static void a_small_working_set_holds_small_blocks(void **state) {
    (void)state;
    bp_backend backend;
    bp_pool *pool = pool_on_blocks(64u << 20, 0, NULL, &backend);
    enum { N = 25 };
    bp_buffer b[N];
    for (int i = 0; i < N; i++) b[i] = ts_acquire(pool, 8000, 0);
    bp_host_backend_stats s = stats_of(&backend);
    assert_int_equal(s.blocks, 3);
    assert_int_equal(s.block_bytes, 256 * KIB);
    bp_buffer large = ts_acquire(pool, 3u << 20, 0);
    s = stats_of(&backend);
    assert_int_equal(s.dedicated, 0);
    assert_int_equal(s.blocks, 4);
    assert_int_equal(s.block_bytes, 256 * KIB + (8u << 20));
    bp_buffer larger = ts_acquire(pool, 7u << 20, 0);
    s = stats_of(&backend);
    assert_int_equal(s.blocks, 5);
    assert_int_equal(s.block_bytes, 256 * KIB + (24u << 20));
    assert_int_equal(bp_release(pool, large), BP_OK);
    assert_int_equal(bp_release(pool, larger), BP_OK);
    for (int i = 0; i < N; i++) assert_int_equal(bp_release(pool, b[i]), BP_OK);
    ts_check_and_destroy(pool);
}

/* A placement skips blocks by a copy of each block's TLSF bitmap (host_blocks.c fl_maps), so
 * the copy must follow every range placed and freed: a range freed in the first of several full
 * blocks is found again (no new block, the same block), and so is the space of a whole block
 * once its ranges are gone. */
static void freed_space_in_full_blocks_is_found(void **state) {
    (void)state;
    bp_backend backend;
    bp_host_backend_desc hd = {.block_size = 64u << 20};
    assert_int_equal(bp_host_backend(&hd, &backend), BP_OK);
    /* nothing pooled: each release destroys its buffer, each acquire places a range */
    bp_pool_desc d = {.backend = &backend, .frames_in_flight = BP_IMMEDIATE_REUSE, .max_pooled_bytes = 1};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    enum { N = 24 };
    bp_buffer b[N];
    for (int i = 0; i < N; i++) b[i] = ts_acquire(pool, 60 * KIB, 0);
    bp_host_backend_stats before = stats_of(&backend);
    assert_true(before.blocks >= 3);
    bp_buffer_info first, again_info;
    assert_int_equal(bp_buffer_get_info(pool, b[0], &first), BP_OK);
    assert_int_equal(bp_release(pool, b[0]), BP_OK);
    assert_int_equal(stats_of(&backend).ranges, N - 1);
    b[0] = ts_acquire(pool, 60 * KIB, 0);
    assert_int_equal(bp_buffer_get_info(pool, b[0], &again_info), BP_OK);
    bp_host_backend_stats after = stats_of(&backend);
    assert_int_equal(after.blocks, before.blocks);
    assert_int_equal(after.block_allocations, before.block_allocations);
    assert_true(again_info.native_memory == first.native_memory);
    assert_int_equal(again_info.offset, first.offset);
    for (int i = 0; i < N; i++) assert_int_equal(bp_release(pool, b[i]), BP_OK);
    after = stats_of(&backend);
    assert_int_equal(after.ranges, 0);
    assert_true(after.blocks >= 1); /* a spare kept: its whole space is free again */
    for (int i = 0; i < 4; i++) b[i] = ts_acquire(pool, 60 * KIB, 0);
    assert_int_equal(stats_of(&backend).block_allocations, after.block_allocations);
    for (int i = 4; i < N; i++) b[i] = ts_acquire(pool, 60 * KIB, 0);
    for (int i = 0; i < N; i++) assert_int_equal(bp_release(pool, b[i]), BP_OK);
    ts_check_and_destroy(pool);
}

/* A pool whose desc names no backend makes the host backend in block mode: small buffers share
 * a block, one over a quarter of 8 x BP_HOST_DEFAULT_BLOCK_SIZE has an allocation of its own, and
 * bp_get_host_backend_stats reads its counts. A host backend making one allocation per buffer
 * (bp_host_backend with no block size) has none to read. */
static void the_default_backend_places_buffers_in_blocks(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    bp_buffer a = ts_acquire(pool, 1000, 0), b = ts_acquire(pool, 5000, 0);
    bp_buffer_info ia, ib;
    assert_int_equal(bp_buffer_get_info(pool, a, &ia), BP_OK);
    assert_int_equal(bp_buffer_get_info(pool, b, &ib), BP_OK);
    assert_int_equal(ia.native_memory, ib.native_memory); /* one block */
    assert_true(ia.offset != ib.offset);
    bp_host_backend_stats s;
    assert_int_equal(bp_get_host_backend_stats(pool, &s), BP_OK);
    assert_int_equal(s.blocks, 1);
    assert_int_equal(s.ranges, 2);
    assert_true(s.block_bytes <= BP_HOST_DEFAULT_BLOCK_SIZE);
    bp_buffer big = ts_acquire(pool, BP_HOST_DEFAULT_BLOCK_SIZE * 2 + 1, 0);
    assert_int_equal(bp_get_host_backend_stats(pool, &s), BP_OK);
    assert_int_equal(s.dedicated, 1);
    assert_int_equal(s.held_bytes, s.block_bytes - s.purged_bytes + s.dedicated_bytes);
    assert_int_equal(bp_get_host_backend_stats(NULL, &s), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_get_host_backend_stats(pool, NULL), BP_ERR_INVALID_ARGUMENT);
    assert_int_equal(bp_release(pool, a), BP_OK);
    assert_int_equal(bp_release(pool, b), BP_OK);
    assert_int_equal(bp_release(pool, big), BP_OK);
    ts_check_and_destroy(pool);

    bp_backend plain;
    assert_int_equal(bp_host_backend(NULL, &plain), BP_OK);
    assert_int_equal(bp_pool_create(&(bp_pool_desc){.backend = &plain}, &pool), BP_OK);
    s.blocks = 7;
    assert_int_equal(bp_get_host_backend_stats(pool, &s), BP_ERR_UNSUPPORTED);
    assert_int_equal(s.blocks, 0);
    ts_check_and_destroy(pool);
}

/* A miss that fits no block opens a new one; when the pool destroys its buffers, the empty
 * blocks are freed but those within a quarter of the blocks' bytes (one at least: here one),
 * kept as spares; the pool's end frees them too. */
/* n buffers of 60 KiB (4 fill a 256 KiB block, less a little), then all released and trimmed:
 * the backend's stats when they were all held. */
static bp_host_backend_stats fill_then_empty(bp_pool *pool, const bp_backend *backend, int n) {
    bp_buffer b[32];
    assert_true(n <= 32);
    for (int i = 0; i < n; i++) b[i] = ts_acquire(pool, 60 * KIB, 0);
    bp_host_backend_stats full = stats_of(backend);
    for (int i = 0; i < n; i++) assert_int_equal(bp_release(pool, b[i]), BP_OK);
    assert_int_equal(bp_trim(pool, true), BP_OK);
    return full;
}

static void empty_blocks_are_freed_but_one_spare(void **state) {
    (void)state;
    counting_alloc counts = {0};
    bp_backend backend;
    bp_pool *pool = pool_on_blocks(256 * KIB, 0, &counts, &backend);
    bp_host_backend_stats s = fill_then_empty(pool, &backend, 12);
    assert_true(s.blocks >= 3);
    assert_int_equal(s.peak_blocks, s.blocks);
    uint64_t peak = s.peak_held_bytes;
    s = stats_of(&backend);
    assert_int_equal(s.ranges, 0);
    assert_int_equal(s.blocks, 1);
    assert_int_equal(s.held_bytes, s.block_bytes);
    assert_true(s.block_bytes >= 128 * KIB && s.block_bytes <= 256 * KIB); /* 64 KiB x 2 at least */
    assert_int_equal(s.peak_held_bytes, peak);
    assert_int_equal(counts.allocs - counts.frees, 1);
    bp_buffer again = ts_acquire(pool, 60 * KIB, 0); /* the spare serves it: no new block */
    assert_int_equal(counts.allocs - counts.frees, 1);
    assert_int_equal(bp_release(pool, again), BP_OK);
    ts_check_and_destroy(pool);
    assert_int_equal(counts.allocs, counts.frees);
}

/* Many blocks emptied at once: spares are kept while they stay within a quarter of the blocks'
 * bytes, the rest freed (32 buffers of 60 KiB in blocks of up to 256 KiB). */
static void spares_stay_within_a_quarter(void **state) {
    (void)state;
    counting_alloc counts = {0};
    bp_backend backend;
    bp_pool *pool = pool_on_blocks(256 * KIB, 0, &counts, &backend);
    uint64_t bytes = fill_then_empty(pool, &backend, 32).block_bytes;
    assert_true(bytes >= 8 * 256 * KIB);
    bp_host_backend_stats s = stats_of(&backend);
    assert_int_equal(s.ranges, 0);
    assert_true(s.blocks >= 2);
    assert_true(s.block_bytes > bytes / 8); /* more than the eighth kept before 2026-12-07 */
    assert_true(s.block_bytes <= bytes / 4);
    assert_int_equal(counts.allocs - counts.frees, s.blocks);
    ts_check_and_destroy(pool);
    assert_int_equal(counts.allocs, counts.frees);
}

/* Only one empty block is kept: a new block opened while the spare is empty does not make the
 * spare forget itself (two empty blocks would then be kept). */
static void one_spare_only(void **state) {
    (void)state;
    bp_backend backend;
    bp_pool *pool = pool_on_blocks(1024 * KIB, 0, NULL, &backend);
    bp_buffer a = ts_acquire(pool, 40 * KIB, 0);    /* block 0: 128 KiB */
    bp_buffer big = ts_acquire(pool, 100 * KIB, 0); /* no room next to a: block 1, 256 KiB */
    assert_int_equal(bp_release(pool, a), BP_OK);
    assert_int_equal(bp_trim(pool, true), BP_OK);   /* block 0 empties: the spare */
    assert_int_equal(stats_of(&backend).blocks, 2);
    bp_buffer c = ts_acquire(pool, 200 * KIB, 0);   /* fits neither: block 2, while 0 is the spare */
    assert_int_equal(stats_of(&backend).blocks, 3);
    assert_int_equal(bp_release(pool, c), BP_OK);
    assert_int_equal(bp_release(pool, big), BP_OK);
    assert_int_equal(bp_trim(pool, true), BP_OK);   /* blocks 1 and 2 empty: freed, 0 stays */
    bp_host_backend_stats s = stats_of(&backend);
    assert_int_equal(s.blocks, 1);
    assert_int_equal(s.block_bytes, 128 * KIB);
    ts_check_and_destroy(pool);
}

/* Random sizes and lifetimes with a small per-class cap (so buffers are destroyed and their
 * ranges reused): live buffers of one block never overlap, and the counts add up. */
static void random_churn_never_overlaps(void **state) {
    (void)state;
    bp_backend backend;
    bp_host_backend_desc hd = {.block_size = 512 * KIB};
    assert_int_equal(bp_host_backend(&hd, &backend), BP_OK);
    bp_pool_desc d = {.backend = &backend, .frames_in_flight = BP_IMMEDIATE_REUSE, .max_pooled_per_class = 1};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    enum { LIVE = 24 };
    bp_buffer live[LIVE] = {{0}};
    uint64_t rng = 0x1234567;
    for (int step = 0; step < 4000; step++) {
        int i = (int)(ts_xorshift(&rng) % LIVE);
        if (live[i].id) assert_int_equal(bp_release(pool, live[i]), BP_OK);
        live[i] = ts_acquire(pool, 64 + ts_xorshift(&rng) % (160 * KIB), 0);
        bp_buffer_info a, c;
        assert_int_equal(bp_buffer_get_info(pool, live[i], &a), BP_OK);
        for (int j = 0; j < LIVE; j++) {
            if (j == i || !live[j].id) continue;
            assert_int_equal(bp_buffer_get_info(pool, live[j], &c), BP_OK);
            uintptr_t a0 = (uintptr_t)a.mapped, c0 = (uintptr_t)c.mapped;
            assert_true(a0 + a.capacity <= c0 || c0 + c.capacity <= a0);
        }
    }
    bp_stats st;
    bp_get_stats(pool, &st);
    bp_host_backend_stats s = stats_of(&backend);
    assert_int_equal(s.ranges + s.dedicated, st.buffers_total);
    assert_int_equal(s.held_bytes, s.block_bytes - s.purged_bytes + s.dedicated_bytes);
    for (int i = 0; i < LIVE; i++)
        if (live[i].id) assert_int_equal(bp_release(pool, live[i]), BP_OK);
    ts_check_and_destroy(pool);
}

/* The allocator failing: the acquire fails cleanly and the pool works once it recovers. */
typedef struct failing_alloc {
    int fail;
} failing_alloc;
static void *maybe_alloc(void *user, size_t size, size_t alignment) {
    return ((failing_alloc *)user)->fail ? NULL : bpi_libc_alloc(NULL, size, alignment);
}
static void plain_free(void *user, void *ptr) {
    (void)user;
    free(ptr);
}

static void block_allocation_failure_is_clean(void **state) {
    (void)state;
    failing_alloc fa = {.fail = 1};
    bp_backend backend;
    bp_host_backend_desc hd = {.block_size = 128 * KIB, .allocator = {maybe_alloc, plain_free, &fa}};
    assert_int_equal(bp_host_backend(&hd, &backend), BP_OK);
    bp_pool_desc d = {.backend = &backend, .frames_in_flight = BP_IMMEDIATE_REUSE};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    bp_acquire_desc ad = {.size = 4096};
    bp_buffer b;
    assert_int_equal(bp_acquire(pool, &ad, &b), BP_ERR_OUT_OF_MEMORY);
    bp_host_backend_stats s = stats_of(&backend);
    assert_int_equal(s.blocks, 0);
    assert_int_equal(s.held_bytes, 0);
    fa.fail = 0;
    assert_int_equal(bp_acquire(pool, &ad, &b), BP_OK);
    assert_int_equal(stats_of(&backend).blocks, 1);
    assert_int_equal(bp_release(pool, b), BP_OK);
    ts_check_and_destroy(pool);
}

/* A backend that refuses for a cap of its own (as the Vulkan block mode at its allocation
 * count) gives BP_ERR_CAPACITY, counted as a capacity failure, not BP_ERR_BACKEND. */
static void a_backends_capacity_refusal_keeps_its_code(void **state) {
    (void)state;
    bp_backend host, wrapped;
    assert_int_equal(bp_host_backend(NULL, &host), BP_OK);
    bp_fault *fault;
    assert_int_equal(bp_fault_create(&host, &(bp_fault_desc){.fail_at = 1, .error = BP_ERR_CAPACITY}, &fault), BP_OK);
    bp_fault_backend(fault, &wrapped);
    bp_pool_desc d = {.backend = &wrapped};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    bp_acquire_desc ad = {.size = 4096};
    bp_buffer b;
    assert_int_equal(bp_acquire(pool, &ad, &b), BP_ERR_CAPACITY);
    bp_stats st;
    bp_get_stats(pool, &st);
    assert_int_equal(st.capacity_failures, 1);
    assert_int_equal(st.buffers_total, 0);
    assert_int_equal(bp_acquire(pool, &ad, &b), BP_OK); /* the next create is not refused */
    assert_int_equal(bp_release(pool, b), BP_OK);
    ts_check_and_destroy(pool);
    bp_fault_destroy(fault);
}

/* Absurd sizes fail cleanly: a block size of 2^62 and a buffer over a quarter of it need a
 * block no system maps (its size computed without overflow), and the pool stays usable. */
static void absurd_block_sizes_fail_cleanly(void **state) {
    (void)state;
    bp_backend backend;
    bp_host_backend_desc hd = {.block_size = 1ull << 62, .max_buffer_size = 1ull << 63};
    assert_int_equal(bp_host_backend(&hd, &backend), BP_OK);
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&(bp_pool_desc){.backend = &backend}, &pool), BP_OK);
    const uint64_t sizes[] = {(1ull << 60) + 1, (1ull << 62) + 1, 1ull << 63};
    for (int i = 0; i < 3; i++) {
        bp_buffer b;
        bp_result r = bp_acquire_size(pool, sizes[i], &b);
        assert_true(r == BP_ERR_OUT_OF_MEMORY || r == BP_ERR_TOO_LARGE);
        assert_int_equal(b.id, 0);
    }
    bp_buffer small = ts_acquire(pool, 4096, 0);
    assert_int_equal(bp_release(pool, small), BP_OK);
    ts_check_and_destroy(pool);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_desc_and_unsupported_tables),
        cmocka_unit_test(small_buffers_are_ranges_of_growing_blocks),
        cmocka_unit_test(a_small_working_set_holds_small_blocks),
        cmocka_unit_test(freed_space_in_full_blocks_is_found),
        cmocka_unit_test(the_default_backend_places_buffers_in_blocks),
        cmocka_unit_test(empty_blocks_are_freed_but_one_spare),
        cmocka_unit_test(one_spare_only),
        cmocka_unit_test(spares_stay_within_a_quarter),
        cmocka_unit_test(random_churn_never_overlaps),
        cmocka_unit_test(block_allocation_failure_is_clean),
        cmocka_unit_test(a_backends_capacity_refusal_keeps_its_code),
        cmocka_unit_test(absurd_block_sizes_fail_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
