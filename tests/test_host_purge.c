/* The host backend's block mode counts memory, not address space: a block it maps has no page
 * behind it until a range covers it, and free space unused for a while, or at bp_trim, goes
 * back to the kernel (madvise), so that what bp_host_backend_stats calls held is what the process holds. The
 * kernel's own view (mincore: which pages are resident) is the check. Linux only. */
#include <sys/mman.h>
#include <unistd.h>

#include "bufpool_fault.h"
#include "test_support.h"

#define MIB (1024u * 1024u)

#if defined(__linux__)
/* Resident pages of [p, p + size), the whole pages inside it. */
static size_t resident_pages(const void *p, size_t size) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    uintptr_t lo = ((uintptr_t)p + page - 1) & ~(uintptr_t)(page - 1), hi = ((uintptr_t)p + size) & ~(uintptr_t)(page - 1);
    if (hi <= lo) return 0;
    size_t n = (hi - lo) / page, count = 0;
    unsigned char *vec = malloc(n);
    assert_non_null(vec);
    assert_int_equal(mincore((void *)lo, hi - lo, vec), 0);
    for (size_t i = 0; i < n; i++) count += vec[i] & 1u;
    free(vec);
    return count;
}

static bp_host_backend_stats stats_of(bp_pool *pool) {
    bp_host_backend_stats s;
    assert_int_equal(bp_get_host_backend_stats(pool, &s), BP_OK);
    assert_int_equal(s.held_bytes, s.block_bytes - s.purged_bytes + s.dedicated_bytes);
    return s;
}

/* A pool on host backend `hd` that destroys a released buffer at once (one pooled a class, no
 * frame open), so that destroys, not bp_trim, free the ranges. */
static bp_pool *pool_on(bp_host_backend_desc hd, bp_backend *backend) {
    assert_int_equal(bp_host_backend(&hd, backend), BP_OK);
    bp_pool_desc d = {.backend = backend, .frames_in_flight = BP_IMMEDIATE_REUSE, .max_pooled_per_class = 1,
                      .retain_demand = BP_NEVER, .pooled_headroom = BP_NEVER};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    return pool;
}

/* ... on 8 MiB blocks, free space given back after `purge_after` ticks. */
static bp_pool *pool_with(uint32_t purge_after, bp_backend *backend) {
    return pool_on((bp_host_backend_desc){.block_size = 8 * MIB, .purge_after = purge_after}, backend);
}

/* The default pool's first buffer: its block is mapped, but only the buffer's pages are held,
 * and the kernel agrees (no page of the block resident until written). */
static void a_new_block_holds_only_the_pages_of_its_ranges(void **state) {
    (void)state;
    bp_pool *pool;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    bp_buffer b = ts_acquire(pool, 64 * 1024, 0);
    bp_buffer_info info;
    assert_int_equal(bp_buffer_get_info(pool, b, &info), BP_OK);
    bp_host_backend_stats s = stats_of(pool);
    assert_int_equal(s.blocks, 1);
    assert_true(s.block_bytes > 64 * 1024);
    assert_int_equal(s.held_bytes, 64 * 1024); /* the range's pages, not the block */
    void *block = (void *)(uintptr_t)info.native_memory;
    assert_int_equal(resident_pages(block, s.block_bytes), 0);
    memset(info.mapped, 0x5A, info.capacity);
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    assert_int_equal(resident_pages(block, s.block_bytes), info.capacity / page);
    assert_int_equal(bp_release(pool, b), BP_OK);
    ts_check_and_destroy(pool);
}

/* `populate`: a range's pages have memory as soon as it is placed (the kernel says so before
 * the program writes a byte), only its pages (the rest of the block has none), and the held
 * count is what it was without (a_new_block_holds_only_the_pages_of_its_ranges: no page of the
 * same buffer resident before its first write). */
static void populate_gives_a_range_its_pages_when_placed(void **state) {
    (void)state;
    bp_backend backend;
    bp_pool *pool = pool_on((bp_host_backend_desc){.block_size = 8 * MIB, .populate = true}, &backend);
    bp_buffer b = ts_acquire(pool, 256 * 1024, 0);
    bp_buffer_info info;
    assert_int_equal(bp_buffer_get_info(pool, b, &info), BP_OK);
    bp_host_backend_stats s = stats_of(pool);
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    assert_int_equal(resident_pages(info.mapped, info.capacity), info.capacity / page);
    assert_int_equal(resident_pages((void *)(uintptr_t)info.native_memory, s.block_bytes), info.capacity / page);
    assert_int_equal(s.held_bytes, info.capacity);
    assert_int_equal(((unsigned char *)info.mapped)[info.capacity - 1], 0); /* zeroed pages, as a fault gives */
    assert_int_equal(bp_release(pool, b), BP_OK);
    ts_check_and_destroy(pool);
}

/* A buffer too large for blocks (an allocation of its own) is populated too; without the option
 * its pages have no memory until written. */
static void populate_gives_a_dedicated_buffer_its_pages(void **state) {
    (void)state;
    size_t page = (size_t)sysconf(_SC_PAGESIZE), size = 20 * MIB; /* over twice the 8 MiB blocks */
    for (int populate = 0; populate < 2; populate++) {
        bp_backend backend;
        bp_pool *pool = pool_on((bp_host_backend_desc){.block_size = 8 * MIB, .populate = populate}, &backend);
        bp_buffer b = ts_acquire(pool, size, 0);
        bp_buffer_info info;
        assert_int_equal(bp_buffer_get_info(pool, b, &info), BP_OK);
        assert_int_equal(stats_of(pool).dedicated, 1);
        size_t resident = resident_pages(info.mapped, info.capacity), pages = info.capacity / page;
        if (populate) assert_true(resident + 1 >= pages); /* every whole page inside it */
        else assert_true(resident < pages / 2);
        assert_int_equal(bp_release(pool, b), BP_OK);
        ts_check_and_destroy(pool);
    }
}

/* Seed 004's start-up with `populate`: a fixed pool's buffers, made when the pool is created,
 * have all their pages before the first frame writes one (without it, none), so its frames take
 * no page fault for them. */
static void populate_readies_a_fixed_pool_before_its_frames(void **state) {
    (void)state;
    static const bp_capacity_entry table[] = {{.size = 64 * 1024, .count = 4}, {.size = MIB, .count = 2}};
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    for (int populate = 0; populate < 2; populate++) {
        bp_backend backend;
        bp_host_backend_desc hd = {.block_size = 8 * MIB, .populate = populate};
        assert_int_equal(bp_host_backend(&hd, &backend), BP_OK);
        bp_pool_desc d = {.backend = &backend, .frames_in_flight = BP_IMMEDIATE_REUSE, .capacity_mode = BP_CAPACITY_FIXED,
                          .capacity_table = table, .capacity_table_count = 2};
        bp_pool *pool;
        assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
        bp_buffer b[6];
        size_t resident = 0, pages = 0;
        for (int i = 0; i < 6; i++) {
            b[i] = ts_acquire(pool, i < 4 ? 64 * 1024 : MIB, 0);
            bp_buffer_info info;
            assert_int_equal(bp_buffer_get_info(pool, b[i], &info), BP_OK);
            resident += resident_pages(info.mapped, info.capacity);
            pages += info.capacity / page;
        }
        assert_int_equal(resident, populate ? pages : 0);
        bp_stats st;
        bp_get_stats(pool, &st);
        assert_int_equal(st.misses, 0); /* all six from the table */
        for (int i = 0; i < 6; i++) assert_int_equal(bp_release(pool, b[i]), BP_OK);
        ts_check_and_destroy(pool);
    }
}

enum { N = 24 };

/* 24 written buffers of 1.5 MiB, then all but every sixth released (and destroyed, but one
 * pooled): the 4 left pin their blocks (the others are freed, one kept as the spare). */
static void fill_and_thin(bp_pool *pool, bp_buffer *b, bp_buffer_info *info) {
    for (int i = 0; i < N; i++) {
        b[i] = ts_acquire(pool, 3 * MIB / 2, 0);
        assert_int_equal(bp_buffer_get_info(pool, b[i], &info[i]), BP_OK);
        memset(info[i].mapped, i + 1, info[i].capacity);
    }
    for (int i = 0; i < N; i++)
        if (i % 6) assert_int_equal(bp_release(pool, b[i]), BP_OK);
}

/* Whether buffer i's block is still mapped: a survivor shares it. */
static bool block_kept(const bp_buffer_info *info, int i) {
    for (int k = 0; k < N; k += 6)
        if (info[k].native_memory == info[i].native_memory) return true;
    return false;
}

/* Resident pages of the thinned buffers' blocks that are still mapped, and their pages. */
static size_t resident_of_kept(const bp_buffer_info *info, size_t *written) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE), resident = 0;
    *written = 0;
    for (int i = 0; i < N; i++) {
        if (!block_kept(info, i)) continue;
        resident += resident_pages(info[i].mapped, info[i].capacity);
        *written += info[i].capacity / page;
    }
    return resident;
}

static void release_survivors(bp_pool *pool, const bp_buffer *b, const bp_buffer_info *info) {
    for (int i = 0; i < N; i += 6) {
        assert_int_equal(((unsigned char *)info[i].mapped)[info[i].capacity - 1], i + 1); /* kept their bytes */
        assert_int_equal(bp_release(pool, b[i]), BP_OK);
    }
}

/* A pool with purge_after, filled and thinned (fill_and_thin). */
typedef struct thinned {
    bp_backend backend;
    bp_pool *pool;
    bp_buffer b[N];
    bp_buffer_info info[N];
} thinned;

static bp_host_backend_stats thin(thinned *t, uint32_t purge_after) {
    t->pool = pool_with(purge_after, &t->backend);
    fill_and_thin(t->pool, t->b, t->info);
    return stats_of(t->pool);
}

/* purge_after 1: free space past the limit goes back as soon as it is freed, and a range
 * placed over given-back pages holds them again (and they work). */
static void free_space_goes_back_at_once(void **state) {
    (void)state;
    thinned t;
    bp_host_backend_stats s = thin(&t, 1);
    assert_true(s.purge_calls > 0);
    assert_true(s.held_bytes <= s.range_bytes + 2 * MIB + 3 * MIB / 2); /* the floor, and the youngest */
    size_t written, resident = resident_of_kept(t.info, &written), page = (size_t)sysconf(_SC_PAGESIZE);
    assert_true(resident < written);
    assert_true(resident * page <= s.held_bytes); /* the kernel holds no more than the backend counts */
    uint64_t held = s.held_bytes;
    bp_buffer again = ts_acquire(t.pool, 5 * MIB / 2, 0); /* another class: no pooled one */
    bp_buffer_info ai;
    assert_int_equal(bp_buffer_get_info(t.pool, again, &ai), BP_OK);
    memset(ai.mapped, 0x77, ai.capacity);
    assert_int_equal(((unsigned char *)ai.mapped)[ai.capacity / 2], 0x77);
    s = stats_of(t.pool);
    assert_true(s.held_bytes > held);
    assert_int_equal(bp_release(t.pool, again), BP_OK);
    release_survivors(t.pool, t.b, t.info);
    ts_check_and_destroy(t.pool);
}

/* `populate` with free space given back at once: a range placed over given-back pages has
 * their memory again when it is placed, before its first write. */
static void populate_gives_given_back_pages_their_memory_again(void **state) {
    (void)state;
    thinned t;
    t.pool = pool_on((bp_host_backend_desc){.block_size = 8 * MIB, .purge_after = 1, .populate = true}, &t.backend);
    fill_and_thin(t.pool, t.b, t.info);
    bp_host_backend_stats s = stats_of(t.pool);
    assert_true(s.purge_calls > 0);
    uint64_t purged = s.purged_bytes;
    bp_buffer again = ts_acquire(t.pool, 5 * MIB / 2, 0); /* another class: no pooled one */
    bp_buffer_info ai;
    assert_int_equal(bp_buffer_get_info(t.pool, again, &ai), BP_OK);
    s = stats_of(t.pool);
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    assert_true(s.purged_bytes < purged); /* it took pages that had been given back (or never had memory) */
    assert_int_equal(resident_pages(ai.mapped, ai.capacity), ai.capacity / page);
    assert_int_equal(bp_release(t.pool, again), BP_OK);
    release_survivors(t.pool, t.b, t.info);
    ts_check_and_destroy(t.pool);
}

/* The default waits: free space freed lately stays (a program likely uses it again soon),
 * until bp_trim with `everything` gives every free page back. */
static void young_free_space_stays_until_a_trim(void **state) {
    (void)state;
    thinned t;
    bp_host_backend_stats s = thin(&t, 0);
    assert_int_equal(s.purge_calls, 0);
    size_t written, resident = resident_of_kept(t.info, &written);
    assert_int_equal(resident, written);
    uint64_t held = s.held_bytes;
    assert_int_equal(bp_trim(t.pool, true), BP_OK);
    s = stats_of(t.pool);
    assert_true(s.purge_calls > 0);
    assert_true(s.held_bytes < held);
    assert_true(s.held_bytes <= s.range_bytes + (uint64_t)N * (size_t)sysconf(_SC_PAGESIZE));
    assert_true(resident_of_kept(t.info, &written) < resident);
    release_survivors(t.pool, t.b, t.info);
    ts_check_and_destroy(t.pool);
}

/* purge_after UINT32_MAX: nothing is given back, not even by bp_trim; every written page of
 * a kept block stays resident. */
static void never_gives_pages_back(void **state) {
    (void)state;
    thinned t;
    bp_host_backend_stats s = thin(&t, UINT32_MAX);
    assert_int_equal(bp_trim(t.pool, true), BP_OK);
    s = stats_of(t.pool);
    assert_int_equal(s.purge_calls, 0);
    size_t written, resident = resident_of_kept(t.info, &written), page = (size_t)sysconf(_SC_PAGESIZE);
    assert_int_equal(resident, written);
    assert_true(resident * page <= s.held_bytes);
    release_survivors(t.pool, t.b, t.info);
    ts_check_and_destroy(t.pool);
}

/* bp_trim reaches the blocks through the fault wrapper too (it forwards `trim`), and a table
 * without `trim` (one allocation per buffer) leaves bp_trim as it was. */
static void trim_reaches_a_wrapped_backend(void **state) {
    (void)state;
    bp_backend blocks, wrapped, plain;
    assert_int_equal(bp_host_backend(&(bp_host_backend_desc){.block_size = 8 * MIB}, &blocks), BP_OK);
    bp_fault *fault;
    assert_int_equal(bp_fault_create(&blocks, NULL, &fault), BP_OK);
    bp_fault_backend(fault, &wrapped);
    assert_non_null(wrapped.trim);
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&(bp_pool_desc){.backend = &wrapped, .max_pooled_per_class = BP_NEVER}, &pool),
                     BP_OK);
    bp_buffer b = ts_acquire(pool, 3 * MIB, 0), keep = ts_acquire(pool, 64 * 1024, 0);
    memset(ts_mapped(pool, b), 1, 3 * MIB);
    assert_int_equal(bp_release(pool, b), BP_OK);
    assert_int_equal(bp_trim(pool, true), BP_OK); /* destroys b, then gives its pages back */
    bp_host_backend_stats s;
    assert_int_equal(bp_host_backend_get_stats(&blocks, &s), BP_OK);
    assert_true(s.purge_calls > 0);
    assert_true(s.held_bytes < 3 * MIB);
    assert_int_equal(bp_release(pool, keep), BP_OK);
    ts_check_and_destroy(pool);
    bp_fault_destroy(fault);

    assert_int_equal(bp_host_backend(NULL, &plain), BP_OK);
    assert_null(plain.trim);
    assert_int_equal(bp_pool_create(&(bp_pool_desc){.backend = &plain}, &pool), BP_OK);
    bp_release(pool, ts_acquire(pool, 4096, 0));
    assert_int_equal(bp_trim(pool, true), BP_OK);
    assert_int_equal(ts_stats(pool).buffers_total, 0);
    ts_check_and_destroy(pool);
}

/* A pool on host blocks of `block` bytes (hold_at_peak as `hold`) that destroys a released
 * buffer at once (nothing pooled), holding `n` buffers of `size` bytes, buffer i written with
 * i + 1 throughout. */
static bp_pool *written_buffers(uint64_t block, bool hold, uint64_t size, bp_buffer *b, int n) {
    bp_backend backend;
    assert_int_equal(bp_host_backend(&(bp_host_backend_desc){.block_size = block, .hold_at_peak = hold}, &backend),
                     BP_OK);
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&(bp_pool_desc){.backend = &backend, .max_pooled_bytes = 1}, &pool), BP_OK);
    for (int i = 0; i < n; i++) {
        b[i] = ts_acquire(pool, size, 0);
        memset(ts_mapped(pool, b[i]), i + 1, (size_t)size);
    }
    return pool;
}

/* Six written 1 MiB buffers, every other one destroyed (three 1 MiB holes of written pages),
 * then a written 2.5 MiB buffer, which fits no hole: the peak of held bytes, and the buffers'
 * pages resident after. With hold_at_peak the holes go back before the new pages count. */
static uint64_t shift_sizes(bool hold, size_t *hole_resident, size_t *big_resident) {
    bp_buffer b[6];
    bp_buffer_info info[6];
    bp_pool *pool = written_buffers(8 * MIB, hold, MIB, b, 6);
    for (int i = 0; i < 6; i++) assert_int_equal(bp_buffer_get_info(pool, b[i], &info[i]), BP_OK);
    for (int i = 0; i < 6; i += 2) assert_int_equal(bp_release(pool, b[i]), BP_OK); /* destroyed: nothing pooled */
    assert_int_equal(stats_of(pool).held_bytes, 6 * MIB); /* young holes stay (purge_after) */
    bp_buffer big = ts_acquire(pool, 5 * MIB / 2, 0);
    bp_buffer_info bi;
    assert_int_equal(bp_buffer_get_info(pool, big, &bi), BP_OK);
    memset(bi.mapped, 0x33, bi.capacity);
    bp_host_backend_stats s = stats_of(pool);
    *hole_resident = 0;
    for (int i = 0; i < 6; i += 2) *hole_resident += resident_pages(info[i].mapped, MIB);
    *big_resident = resident_pages(bi.mapped, bi.capacity);
    for (int i = 1; i < 6; i += 2) {
        assert_int_equal(((unsigned char *)info[i].mapped)[MIB - 1], i + 1); /* the live ones kept their bytes */
        assert_int_equal(bp_release(pool, b[i]), BP_OK);
    }
    assert_int_equal(bp_release(pool, big), BP_OK);
    ts_check_and_destroy(pool);
    return s.peak_held_bytes;
}

/* hold_at_peak: the held bytes stay at their peak (6 MiB) where free space can make room for a
 * buffer that takes new pages; without it they rise by the new buffer (8.5 MiB). */
static void held_stays_at_its_peak(void **state) {
    (void)state;
    size_t page = (size_t)sysconf(_SC_PAGESIZE), holes, big;
    assert_int_equal(shift_sizes(false, &holes, &big), 17 * MIB / 2);
    assert_int_equal(holes, 3 * MIB / page);
    assert_int_equal(big, 5 * MIB / 2 / page);
    assert_int_equal(shift_sizes(true, &holes, &big), 6 * MIB);
    assert_int_equal(holes, 0); /* given back to the kernel */
    assert_int_equal(big, 5 * MIB / 2 / page);
}

/* The same with a buffer too large for blocks (an allocation of its own, whose bytes count as
 * held): 1 MiB blocks, six written 256 KiB buffers, every other one destroyed, then 2.5 MiB. */
static uint64_t dedicated_after_holes(bool hold, uint64_t *held_before) {
    bp_buffer b[6];
    bp_pool *pool = written_buffers(MIB, hold, MIB / 4, b, 6);
    for (int i = 0; i < 6; i += 2) assert_int_equal(bp_release(pool, b[i]), BP_OK);
    *held_before = stats_of(pool).peak_held_bytes;
    bp_buffer big = ts_acquire(pool, 5 * MIB / 2, 0);
    bp_host_backend_stats s = stats_of(pool);
    assert_int_equal(s.dedicated, 1);
    for (int i = 1; i < 6; i += 2) assert_int_equal(bp_release(pool, b[i]), BP_OK);
    assert_int_equal(bp_release(pool, big), BP_OK);
    ts_check_and_destroy(pool);
    return s.peak_held_bytes;
}

static void a_dedicated_buffer_is_held_at_the_peak_too(void **state) {
    (void)state;
    uint64_t before, without = dedicated_after_holes(false, &before);
    assert_int_equal(without, before + 5 * MIB / 2);
    uint64_t with = dedicated_after_holes(true, &before);
    assert_true(with < without);
    assert_int_equal(with, before + 5 * MIB / 2 - 3 * MIB / 4); /* the three holes went back */
}

/* hold_at_peak among blocks with no free page: twelve written 256 KiB buffers in blocks of up
 * to 1 MiB (the first ones smaller), the first and third destroyed (two holes in the oldest
 * blocks, apart), then a 512 KiB buffer, which fits no hole and takes new pages (the newest
 * block's tail): the purge walk passes the blocks with no free page by and gives back the
 * holes, and the held bytes stay at their peak (3 MiB) instead of 3.5. */
static void holes_among_full_blocks_go_back(void **state) {
    (void)state;
    bp_buffer b[12];
    bp_pool *pool = written_buffers(MIB, true, MIB / 4, b, 12);
    bp_host_backend_stats t = stats_of(pool);
    assert_true(t.blocks >= 3); /* several blocks, every page of them but the newest's tail held */
    assert_int_equal(t.held_bytes, 3 * MIB);
    void *hole[2] = {ts_mapped(pool, b[0]), ts_mapped(pool, b[2])};
    assert_int_equal(bp_release(pool, b[0]), BP_OK); /* destroyed: nothing pooled */
    assert_int_equal(bp_release(pool, b[2]), BP_OK);
    assert_int_equal(stats_of(pool).held_bytes, 3 * MIB); /* young holes stay until needed */
    bp_buffer big = ts_acquire(pool, MIB / 2, 0);
    memset(ts_mapped(pool, big), 0x33, MIB / 2);
    bp_host_backend_stats s = stats_of(pool);
    assert_int_equal(s.peak_held_bytes, 3 * MIB);
    assert_int_equal(s.held_bytes, 3 * MIB);
    assert_int_equal(resident_pages(hole[0], MIB / 4) + resident_pages(hole[1], MIB / 4), 0);
    for (int i = 1; i < 12; i++)
        if (i != 2) {
            assert_int_equal(((unsigned char *)ts_mapped(pool, b[i]))[MIB / 4 - 1], i + 1); /* kept their bytes */
            assert_int_equal(bp_release(pool, b[i]), BP_OK);
        }
    assert_int_equal(bp_release(pool, big), BP_OK);
    ts_check_and_destroy(pool);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_dedicated_buffer_is_held_at_the_peak_too),
        cmocka_unit_test(held_stays_at_its_peak),
        cmocka_unit_test(holes_among_full_blocks_go_back),
        cmocka_unit_test(a_new_block_holds_only_the_pages_of_its_ranges),
        cmocka_unit_test(populate_gives_a_range_its_pages_when_placed),
        cmocka_unit_test(populate_gives_a_dedicated_buffer_its_pages),
        cmocka_unit_test(populate_gives_given_back_pages_their_memory_again),
        cmocka_unit_test(populate_readies_a_fixed_pool_before_its_frames),
        cmocka_unit_test(free_space_goes_back_at_once),
        cmocka_unit_test(young_free_space_stays_until_a_trim),
        cmocka_unit_test(never_gives_pages_back),
        cmocka_unit_test(trim_reaches_a_wrapped_backend),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
#else
int main(void) {
    printf("SKIPPED: test_host_purge needs Linux (mincore, madvise MADV_DONTNEED)\n");
    return 77;
}
#endif
