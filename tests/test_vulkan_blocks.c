/* The Vulkan backend's block mode (bp_vulkan_desc.block_size) on a real device (lavapipe
 * here) with validation and synchronization validation on: small buffers share a
 * VkDeviceMemory at aligned, disjoint offsets; staged uploads, downloads, mapped writes and
 * GPU copies stay inside each buffer's range; big buffers are dedicated; deferred destroys
 * free their ranges and empty blocks but one spare; allocations stay far below buffers; a
 * refused block leaves the pool usable. The range granularity and block sizes are also
 * checked on made-up properties (no device). Skips (77) without a Vulkan device. */
#include "vk_test_support.h"

#include "backends/vulkan/vk_internal.h"

static bp_buffer acquire(bp_pool *pool, uint64_t size, bp_memory memory) {
    bp_acquire_desc d = {.size = size, .memory = memory, .tag = "vk-blocks"};
    bp_buffer b;
    assert_int_equal(bp_acquire(pool, &d, &b), BP_OK);
    return b;
}

static bp_buffer_info info_of(bp_pool *pool, bp_buffer b) {
    bp_buffer_info i;
    assert_int_equal(bp_buffer_get_info(pool, b, &i), BP_OK);
    return i;
}

static VkMemoryRequirements requirements(const bp_buffer_info *i) {
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(vk_ctx->device, bp_vulkan_buffer(i->native), &req);
    return req;
}

static void fill(uint8_t *p, size_t n, uint32_t seed) {
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)((i * 2654435761u + seed * 40503u) >> 11);
}

static bp_vulkan_stats stats_of(const bp_vulkan_backend *vk) {
    bp_vulkan_stats st;
    bp_vulkan_get_stats(vk, &st);
    return st;
}

/* Granularity: whole atoms on host-visible non-coherent memory only; block sizes grow 1/8,
 * 1/4, 1/2, 1 of block_size, hold twice the request, and are whole atoms. */
static void granularity_and_block_sizes(void **state) {
    (void)state;
    VkPhysicalDeviceMemoryProperties p = {.memoryTypeCount = 3};
    p.memoryTypes[0].propertyFlags = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
    p.memoryTypes[1].propertyFlags = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    p.memoryTypes[2].propertyFlags = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_CACHED_BIT;
    assert_int_equal(bpi_vk_range_granularity(&p, 0, 256), 16);
    assert_int_equal(bpi_vk_range_granularity(&p, 1, 256), 16);
    assert_int_equal(bpi_vk_range_granularity(&p, 2, 256), 256); /* flushes widen to atoms of its own */
    assert_int_equal(bpi_vk_range_granularity(&p, 2, 4), 16);
    assert_int_equal(bpi_vk_range_granularity(&p, 2, 96), 0);    /* not a power of two: dedicated */
    const VkDeviceSize mib = 1u << 20;
    assert_int_equal(bpi_vk_next_block_size(64 * mib, 0, 4096, 64), 8 * mib);
    assert_int_equal(bpi_vk_next_block_size(64 * mib, 1, 4096, 64), 16 * mib);
    assert_int_equal(bpi_vk_next_block_size(64 * mib, 2, 4096, 64), 32 * mib);
    assert_int_equal(bpi_vk_next_block_size(64 * mib, 7, 4096, 64), 64 * mib);
    assert_int_equal(bpi_vk_next_block_size(mib, 0, 200 << 10, 64), 512 << 10); /* twice the request */
    assert_int_equal(bpi_vk_next_block_size(mib, 0, 1, 64), 128 << 10);
    assert_int_equal(bpi_vk_next_block_size(256 << 10, 0, 1, 64), 64 << 10);    /* at least 64 KiB */
    assert_int_equal(bpi_vk_next_block_size(mib + 100, 3, 1, 256), mib);        /* whole atoms */
}

static void bad_block_sizes_are_refused(void **state) {
    (void)state;
    bp_vulkan_desc vd = {.block_size = 1000};
    bp_vulkan_desc_from_context(vk_ctx, &vd);
    bp_backend be;
    bp_vulkan_backend *vk;
    assert_int_equal(bp_vulkan_backend_create(&vd, &be, &vk), BP_ERR_INVALID_ARGUMENT);
    assert_null(vk);
}

/* Many small buffers: one VkDeviceMemory, offsets aligned to each buffer's requirement and
 * disjoint; the pool's caps no longer limit buffers by allocations. */
static void small_buffers_share_one_block(void **state) {
    (void)state;
    bp_vulkan_backend *vk;
    bp_vulkan_desc vd = {.block_size = 1u << 20};
    bp_pool *pool = vk_pool(NULL, &vd, &vk);
    enum { N = 24 };
    bp_buffer b[N];
    bp_buffer_info in[N];
    VkMemoryRequirements req[N];
    for (int i = 0; i < N; i++) {
        b[i] = acquire(pool, 700 + 97u * (uint32_t)i, i % 3 ? BP_MEMORY_DEVICE_LOCAL : BP_MEMORY_HOST_VISIBLE);
        in[i] = info_of(pool, b[i]);
        req[i] = requirements(&in[i]);
    }
    for (int i = 0; i < N; i++) {
        assert_int_equal(in[i].native_memory, in[0].native_memory);
        assert_int_equal(in[i].offset % req[i].alignment, 0);
        for (int j = 0; j < i; j++) {
            bool disjoint = in[i].offset + req[i].size <= in[j].offset || in[j].offset + req[j].size <= in[i].offset;
            assert_true(disjoint);
        }
        if (in[i].mapped) /* a block's mapping + the buffer's offset */
            assert_int_equal((char *)in[i].mapped - (char *)in[0].mapped, (ptrdiff_t)(in[i].offset - in[0].offset));
    }
    bp_vulkan_stats st = stats_of(vk);
    assert_int_equal(st.blocks, 1);
    assert_int_equal(st.block_allocations, 1);
    assert_int_equal(st.ranges, N);
    assert_int_equal(st.dedicated, 0);
    assert_int_equal(st.buffers, N);
    assert_int_equal(st.device_allocations, 2); /* the staging ring and the block */
    assert_int_equal(st.block_bytes, 128u << 10); /* the first block: 1/8 of block_size */
    for (int i = 0; i < N; i++) bp_release(pool, b[i]);
    vk_check_and_destroy(pool);
}

/* Staged uploads into neighbours of one block, a partial upload at a buffer's last bytes,
 * downloads, a GPU resize copy: every buffer reads back its own bytes. */
static void uploads_and_downloads_keep_neighbours_intact(void **state) {
    (void)state;
    bp_vulkan_backend *vk;
    bp_vulkan_desc vd = {.block_size = 1u << 20};
    bp_pool *pool = vk_pool(NULL, &vd, &vk);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    enum { N = 6, SIZE = 3000 };
    static uint8_t data[N][SIZE], back[SIZE];
    bp_buffer b[N];
    for (int i = 0; i < N; i++) {
        b[i] = acquire(pool, SIZE, BP_MEMORY_DEVICE_LOCAL);
        assert_int_equal(info_of(pool, b[i]).native_memory, info_of(pool, b[0]).native_memory);
        assert_null(info_of(pool, b[i]).mapped);
        fill(data[i], SIZE, (uint32_t)i + 1);
        assert_int_equal(bp_upload(pool, b[i], 0, data[i], SIZE), BP_OK);
    }
    /* the last bytes of buffer 2 (its neighbour starts right after its aligned range) */
    memset(data[2] + SIZE - 100, 0x5A, 100);
    assert_int_equal(bp_upload(pool, b[2], SIZE - 100, data[2] + SIZE - 100, 100), BP_OK);
    assert_int_equal(bp_vulkan_submit_uploads(vk), BP_OK);
    for (int i = 0; i < N; i++) {
        memset(back, 0, SIZE);
        assert_int_equal(bp_download(pool, b[i], 0, back, SIZE), BP_OK);
        assert_memory_equal(back, data[i], SIZE);
    }
    /* a resize copies on the GPU into a new range; the neighbours keep their bytes */
    assert_int_equal(bp_resize(pool, b[3], 3 * SIZE), BP_OK);
    assert_int_equal(info_of(pool, b[3]).native_memory, info_of(pool, b[0]).native_memory);
    for (int i = 0; i < N; i++) {
        memset(back, 0, SIZE);
        assert_int_equal(bp_download(pool, b[i], 0, back, SIZE), BP_OK);
        assert_memory_equal(back, data[i], SIZE);
    }
    for (int i = 0; i < N; i++) bp_release(pool, b[i]);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    vk_check_and_destroy(pool);
}

/* Host kinds in a block: written through `mapped` (block mapping + offset), flushed, copied
 * by the GPU into a device-local neighbour and read back from there. */
static void mapped_buffers_are_written_flushed_and_read_back(void **state) {
    (void)state;
    bp_vulkan_backend *vk;
    bp_vulkan_desc vd = {.block_size = 1u << 20};
    bp_pool *pool = vk_pool(NULL, &vd, &vk);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    enum { SIZE = 5000 };
    static uint8_t a[SIZE], c[SIZE], back[SIZE];
    const bp_memory kinds[] = {BP_MEMORY_HOST_VISIBLE, BP_MEMORY_HOST_CACHED};
    for (int k = 0; k < 2; k++) {
        bp_buffer h = acquire(pool, SIZE, kinds[k]);
        bp_buffer h2 = acquire(pool, SIZE, kinds[k]);
        bp_buffer d = acquire(pool, SIZE, BP_MEMORY_DEVICE_LOCAL);
        bp_buffer_info hi = info_of(pool, h), h2i = info_of(pool, h2), di = info_of(pool, d);
        assert_non_null(hi.mapped);
        assert_int_equal(hi.native_memory, di.native_memory);
        assert_int_equal(hi.native_memory, h2i.native_memory);
        fill(a, SIZE, 31u + (uint32_t)k);
        fill(c, SIZE, 77u + (uint32_t)k);
        memcpy(h2i.mapped, c, SIZE);
        assert_int_equal(bp_flush(pool, h2, 0, SIZE), BP_OK);
        memcpy(hi.mapped, a, SIZE);
        assert_int_equal(bp_flush(pool, h, 0, SIZE), BP_OK);
        assert_int_equal(bp_flush(pool, h, 17, 33), BP_OK); /* widened to atoms inside its range */
        assert_int_equal(bp_copy(pool, h, 0, d, 0, SIZE), BP_OK);
        memset(back, 0, SIZE);
        assert_int_equal(bp_download(pool, d, 0, back, SIZE), BP_OK);
        assert_memory_equal(back, a, SIZE);
        assert_int_equal(bp_download(pool, h2, 0, back, SIZE), BP_OK);
        assert_memory_equal(back, c, SIZE);
        bp_release(pool, h);
        bp_release(pool, h2);
        bp_release(pool, d);
    }
    assert_int_equal(bp_frame_end(pool), BP_OK);
    vk_check_and_destroy(pool);
}

/* Above block_size / 4: an allocation of its own, at offset 0. */
static void large_buffer_is_dedicated(void **state) {
    (void)state;
    bp_vulkan_backend *vk;
    bp_vulkan_desc vd = {.block_size = 1u << 20};
    bp_pool *pool = vk_pool(NULL, &vd, &vk);
    bp_buffer s = acquire(pool, 4096, BP_MEMORY_DEVICE_LOCAL);
    bp_buffer l = acquire(pool, 600u << 10, BP_MEMORY_DEVICE_LOCAL);
    bp_buffer_info si = info_of(pool, s), li = info_of(pool, l);
    assert_true(li.native_memory != si.native_memory);
    assert_int_equal(li.offset, 0);
    bp_vulkan_stats st = stats_of(vk);
    assert_int_equal(st.dedicated, 1);
    assert_true(st.dedicated_bytes >= 600u << 10);
    assert_int_equal(st.ranges, 1);
    assert_int_equal(st.blocks, 1);
    assert_int_equal(st.device_allocations, 3); /* staging, block, dedicated */
    bp_release(pool, s);
    bp_release(pool, l);
    vk_check_and_destroy(pool);
}

/* Buffers destroyed in frame F keep their ranges (and blocks) until F + frames_in_flight;
 * then every block that emptied is freed but one spare, which the next miss reuses. */
static void deferred_destroy_frees_blocks_but_the_spare(void **state) {
    (void)state;
    bp_vulkan_backend *vk;
    bp_pool_desc pd = {.frames_in_flight = 2, .max_pooled_per_class = BP_NEVER}; /* keep all 20 pooled */
    bp_vulkan_desc vd = {.block_size = 256u << 10};
    bp_pool *pool = vk_pool(&pd, &vd, &vk);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    enum { N = 20 };
    bp_buffer b[N];
    uint32_t word = 7;
    for (int i = 0; i < N; i++) {
        b[i] = acquire(pool, 30000, BP_MEMORY_DEVICE_LOCAL);
        assert_int_equal(bp_upload(pool, b[i], 0, &word, sizeof word), BP_OK); /* the GPU touches it */
    }
    for (int i = 0; i < N; i++) bp_release(pool, b[i]);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    for (int f = 0; f < 3; f++) { /* let them become pooled */
        assert_int_equal(bp_frame_begin(pool), BP_OK);
        assert_int_equal(bp_frame_end(pool), BP_OK);
    }
    bp_vulkan_stats before = stats_of(vk), st;
    assert_true(before.blocks >= 3);
    assert_int_equal(before.ranges, N);
    assert_int_equal(bp_frame_begin(pool), BP_OK); /* frame F */
    assert_int_equal(bp_trim(pool, true), BP_OK);
    st = stats_of(vk);
    assert_int_equal(st.deferred_destroys, N);
    assert_int_equal(st.ranges, N); /* the GPU may still read them: ranges and blocks stay */
    assert_int_equal(st.blocks, before.blocks);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    assert_int_equal(bp_frame_begin(pool), BP_OK); /* F + 1 */
    assert_int_equal(stats_of(vk).ranges, N);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    assert_int_equal(bp_frame_begin(pool), BP_OK); /* F + 2: destroyed */
    st = stats_of(vk);
    assert_int_equal(st.buffers, 0);
    assert_int_equal(st.ranges, 0);
    assert_int_equal(st.deferred_destroys, 0);
    assert_int_equal(st.blocks, 1); /* the spare */
    assert_int_equal(st.device_allocations, 2); /* staging + spare */
    assert_int_equal(st.frees_total, before.frees_total + before.blocks - 1);
    assert_int_equal(st.peak_blocks, before.blocks);
    uint64_t made = st.block_allocations;
    bp_buffer again = acquire(pool, 30000, BP_MEMORY_DEVICE_LOCAL); /* into the spare */
    st = stats_of(vk);
    assert_int_equal(st.block_allocations, made);
    assert_int_equal(st.blocks, 1);
    assert_int_equal(st.ranges, 1);
    bp_release(pool, again);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    vk_check_and_destroy(pool);
}

/* A thousand buffers of three memory kinds under a cap of 8 allocations: the pool does not
 * refuse them (the caps say no cap), the backend needs a handful of blocks. */
static void allocations_stay_far_below_buffers(void **state) {
    (void)state;
    bp_vulkan_backend *vk;
    bp_vulkan_desc vd = {.block_size = 4u << 20, .max_allocations = 8};
    bp_pool *pool = vk_pool(NULL, &vd, &vk);
    enum { N = 1000 };
    static bp_buffer b[N];
    for (int i = 0; i < N; i++) b[i] = acquire(pool, 256u + (uint32_t)(i * 37 % 3840), (bp_memory)(i % 3));
    bp_vulkan_stats st = stats_of(vk);
    assert_int_equal(st.buffers, N);
    assert_int_equal(st.ranges, N);
    assert_true(st.device_allocations <= 8);
    assert_true(st.device_allocations * 100 < N);
    printf("block mode: %u buffers in %u blocks (%llu KiB), %u allocations\n", st.buffers, st.blocks,
           (unsigned long long)(st.block_bytes >> 10), st.device_allocations);
    for (int i = 0; i < N; i++) bp_release(pool, b[i]);
    vk_check_and_destroy(pool);
}

/* max_allocations 2: the staging ring and one block. A miss that needs a second block (or a
 * dedicated allocation) fails and changes nothing; freed ranges are used again. */
static void a_refused_block_leaves_the_pool_usable(void **state) {
    (void)state;
    bp_vulkan_backend *vk;
    bp_vulkan_desc vd = {.block_size = 256u << 10, .max_allocations = 2};
    bp_pool *pool = vk_pool(NULL, &vd, &vk);
    bp_buffer b[4];
    for (int i = 0; i < 4; i++) b[i] = acquire(pool, 16000, BP_MEMORY_HOST_VISIBLE); /* fill the 64 KiB block */
    bp_vulkan_stats before = stats_of(vk);
    assert_int_equal(before.blocks, 1);
    assert_int_equal(before.block_bytes, 64u << 10);
    bp_stats ps_before, ps;
    bp_get_stats(pool, &ps_before);
    bp_acquire_desc d = {.size = 16000, .memory = BP_MEMORY_HOST_VISIBLE};
    bp_buffer x = {0};
    assert_int_not_equal(bp_acquire(pool, &d, &x), BP_OK); /* no room, no second block */
    d.size = 200000;                                        /* dedicated: refused too */
    assert_int_not_equal(bp_acquire(pool, &d, &x), BP_OK);
    bp_vulkan_stats st = stats_of(vk);
    assert_int_equal(st.blocks, 1);
    assert_int_equal(st.ranges, 4);
    assert_int_equal(st.dedicated, 0);
    assert_int_equal(st.device_allocations, 2);
    bp_get_stats(pool, &ps);
    assert_int_equal(ps.buffers_total, ps_before.buffers_total);
    assert_int_equal(ps.bytes_reserved, ps_before.bytes_reserved);
    /* a held buffer still works */
    uint8_t data[16000], back[16000];
    fill(data, sizeof data, 5);
    assert_int_equal(bp_upload(pool, b[1], 0, data, sizeof data), BP_OK);
    assert_int_equal(bp_download(pool, b[1], 0, back, sizeof back), BP_OK);
    assert_memory_equal(back, data, sizeof data);
    /* release one and trim it: its range is free again and the next miss takes it */
    bp_release(pool, b[2]);
    assert_int_equal(bp_trim(pool, true), BP_OK);
    assert_int_equal(stats_of(vk).ranges, 3);
    d.size = 16000;
    assert_int_equal(bp_acquire(pool, &d, &b[2]), BP_OK);
    assert_int_equal(stats_of(vk).ranges, 4);
    assert_int_equal(stats_of(vk).block_allocations, 1);
    for (int i = 0; i < 4; i++) bp_release(pool, b[i]);
    vk_check_and_destroy(pool);
}

int main(void) {
    const struct CMUnitTest pure[] = {cmocka_unit_test(granularity_and_block_sizes)};
    int failed = cmocka_run_group_tests_name("vulkan blocks (no device)", pure, NULL, NULL);
    int rc = vk_open_or_skip();
    if (rc) return failed ? failed : rc;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_block_sizes_are_refused),
        cmocka_unit_test(small_buffers_share_one_block),
        cmocka_unit_test(uploads_and_downloads_keep_neighbours_intact),
        cmocka_unit_test(mapped_buffers_are_written_flushed_and_read_back),
        cmocka_unit_test(large_buffer_is_dedicated),
        cmocka_unit_test(deferred_destroy_frees_blocks_but_the_spare),
        cmocka_unit_test(allocations_stay_far_below_buffers),
        cmocka_unit_test(a_refused_block_leaves_the_pool_usable),
    };
    failed += cmocka_run_group_tests(tests, NULL, NULL);
    bp_vulkan_context_destroy(vk_ctx);
    return failed;
}
