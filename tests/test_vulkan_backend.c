/* The Vulkan backend on a real device (lavapipe here) with validation on: staged uploads
 * reach device-local memory, host memory kinds, deferred reuse and destruction, usage
 * sensitivity, the allocation cap, the budget. Skips (77) without a Vulkan device. */
#include "vk_test_support.h"

static bp_buffer acquire(bp_pool *pool, uint64_t size, bp_memory memory, uint32_t usage, uint32_t flags) {
    bp_acquire_desc d = {.size = size, .memory = memory, .usage = usage, .flags = flags, .tag = "vk-test"};
    bp_buffer b;
    assert_int_equal(bp_acquire(pool, &d, &b), BP_OK);
    return b;
}

static bp_buffer_info info_of(bp_pool *pool, bp_buffer b) {
    bp_buffer_info i;
    assert_int_equal(bp_buffer_get_info(pool, b, &i), BP_OK);
    return i;
}

static void fill(uint8_t *p, size_t n, uint32_t seed) {
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)((i * 2654435761u + seed) >> 13);
}

static void staged_upload_reaches_device_local(void **state) {
    (void)state;
    bp_vulkan_backend *vk;
    bp_vulkan_desc vd = {.staging_bytes = 64 << 10}; /* small ring: the big upload is chunked */
    bp_pool *pool = vk_pool(NULL, &vd, &vk);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    const size_t n = 300000;
    uint8_t *src = malloc(n), *back = malloc(n);
    fill(src, n, 7);
    bp_buffer b = acquire(pool, n, BP_MEMORY_DEVICE_LOCAL, BP_USAGE_VERTEX, 0);
    bp_buffer_info i = info_of(pool, b);
    assert_int_equal(i.memory, BP_MEMORY_DEVICE_LOCAL);
    assert_null(i.mapped); /* not host memory: the bytes can only get there by a GPU copy */
    assert_true(i.native != 0 && i.native_memory != 0);
    assert_int_equal(bp_upload(pool, b, 0, src, n), BP_OK);
    uint32_t patch = 0xA5A5F00D;
    assert_int_equal(bp_upload(pool, b, 1000, &patch, sizeof patch), BP_OK); /* ordered after */
    memcpy(src + 1000, &patch, sizeof patch);
    memset(back, 0, n);
    assert_int_equal(bp_download(pool, b, 0, back, n), BP_OK);
    assert_memory_equal(src, back, n);
    bp_vulkan_stats st;
    bp_vulkan_get_stats(vk, &st);
    assert_true(st.staged_uploads >= 6); /* 300000 bytes through 64 KiB regions, plus the patch */
    assert_int_equal(st.staged_bytes, n + sizeof patch);
    assert_true(st.stalls >= 1);
    /* the next frame's uploads also land */
    assert_int_equal(bp_frame_end(pool), BP_OK);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    fill(src, 4096, 99);
    assert_int_equal(bp_upload(pool, b, 4096, src, 4096), BP_OK);
    assert_int_equal(bp_vulkan_submit_uploads(vk), BP_OK);
    assert_int_equal(bp_download(pool, b, 4096, back, 4096), BP_OK);
    assert_memory_equal(src, back, 4096);
    assert_int_equal(bp_release(pool, b), BP_OK);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    free(src);
    free(back);
    vk_check_and_destroy(pool);
}

/* Uploads after bp_vulkan_submit_uploads in the same frame wait for that submission and keep
 * their staging bytes apart from each other. */
static void uploads_after_a_submit_in_the_same_frame(void **state) {
    (void)state;
    bp_vulkan_backend *vk;
    bp_pool *pool = vk_pool(NULL, NULL, &vk);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    uint8_t a[2000], b[2000], c[3000], back[3000];
    fill(a, sizeof a, 11);
    fill(b, sizeof b, 12);
    fill(c, sizeof c, 13);
    bp_buffer x = acquire(pool, 4000, BP_MEMORY_DEVICE_LOCAL, BP_USAGE_VERTEX, 0);
    bp_buffer y = acquire(pool, 4000, BP_MEMORY_DEVICE_LOCAL, BP_USAGE_VERTEX, 0);
    assert_int_equal(bp_upload(pool, x, 0, a, sizeof a), BP_OK);
    assert_int_equal(bp_vulkan_submit_uploads(vk), BP_OK);
    assert_int_equal(bp_upload(pool, x, 2000, b, sizeof b), BP_OK); /* waits for the submit */
    assert_int_equal(bp_upload(pool, y, 0, c, sizeof c), BP_OK);
    assert_int_equal(bp_download(pool, x, 0, back, 2000), BP_OK);
    assert_memory_equal(back, a, 2000);
    assert_int_equal(bp_download(pool, x, 2000, back, 2000), BP_OK);
    assert_memory_equal(back, b, 2000);
    assert_int_equal(bp_download(pool, y, 0, back, 3000), BP_OK);
    assert_memory_equal(back, c, 3000);
    bp_vulkan_stats st;
    bp_vulkan_get_stats(vk, &st);
    assert_int_equal(st.stalls, 1);
    bp_release(pool, x);
    bp_release(pool, y);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    vk_check_and_destroy(pool);
}

static void host_memory_kinds_are_mapped_and_flushed(void **state) {
    (void)state;
    bp_vulkan_backend *vk;
    bp_pool *pool = vk_pool(NULL, NULL, &vk);
    uint8_t data[1000], back[1000];
    for (unsigned m = BP_MEMORY_HOST_VISIBLE; m <= BP_MEMORY_HOST_CACHED; m++) {
        bp_buffer b = acquire(pool, sizeof data, (bp_memory)m, BP_USAGE_UNIFORM, 0);
        bp_buffer_info i = info_of(pool, b);
        assert_non_null(i.mapped);
        assert_true(i.memory == BP_MEMORY_HOST_VISIBLE || i.memory == BP_MEMORY_HOST_CACHED);
        fill(data, sizeof data, m);
        memcpy(i.mapped, data, sizeof data); /* direct write, then an explicit flush */
        assert_int_equal(bp_flush(pool, b, 3, 500), BP_OK);
        assert_int_equal(bp_invalidate(pool, b, 0, sizeof data), BP_OK);
        assert_int_equal(bp_download(pool, b, 0, back, sizeof back), BP_OK);
        assert_memory_equal(data, back, sizeof data);
        bp_release(pool, b);
    }
    bp_vulkan_stats st;
    bp_vulkan_get_stats(vk, &st);
    assert_true(st.memory_type_used[BP_MEMORY_HOST_VISIBLE] != UINT32_MAX);
    assert_true(st.memory_type_used[BP_MEMORY_HOST_CACHED] != UINT32_MAX);
    assert_int_equal(st.staged_uploads, 0);
    vk_check_and_destroy(pool);
}

/* Released in frame F: not handed out again before F + frames_in_flight; its VkBuffer is not
 * destroyed (even when trimmed at once) before the GPU is done with frame F. */
static void deferred_reuse_and_destruction(void **state) {
    (void)state;
    for (uint32_t fif = 1; fif <= 3; fif++) {
        bp_vulkan_backend *vk;
        bp_pool_desc pd = {.frames_in_flight = fif};
        bp_pool *pool = vk_pool(&pd, NULL, &vk);
        assert_int_equal(bp_frame_begin(pool), BP_OK);
        bp_buffer a = acquire(pool, 5000, BP_MEMORY_DEVICE_LOCAL, BP_USAGE_VERTEX, 0);
        uint64_t native = info_of(pool, a).native;
        uint32_t word = 42;
        assert_int_equal(bp_upload(pool, a, 0, &word, sizeof word), BP_OK); /* the GPU touches it in frame 0 */
        assert_int_equal(bp_release(pool, a), BP_OK);
        for (uint32_t f = 0; f < fif; f++) {
            bp_buffer b = acquire(pool, 5000, BP_MEMORY_DEVICE_LOCAL, BP_USAGE_VERTEX, BP_ACQUIRE_TRANSIENT);
            assert_true(info_of(pool, b).native != native);
            assert_int_equal(bp_frame_end(pool), BP_OK);
            assert_int_equal(bp_frame_begin(pool), BP_OK);
        }
        bp_buffer c = acquire(pool, 5000, BP_MEMORY_DEVICE_LOCAL, BP_USAGE_VERTEX, 0);
        bp_buffer e = acquire(pool, 5000, BP_MEMORY_DEVICE_LOCAL, BP_USAGE_VERTEX, 0);
        assert_true(info_of(pool, c).native == native || info_of(pool, e).native == native);
        bp_release(pool, c);
        bp_release(pool, e);
        assert_int_equal(bp_frame_end(pool), BP_OK);
        for (uint32_t f = 0; f <= fif; f++) { /* let them become pooled */
            assert_int_equal(bp_frame_begin(pool), BP_OK);
            assert_int_equal(bp_frame_end(pool), BP_OK);
        }
        bp_vulkan_stats before, st;
        bp_vulkan_get_stats(vk, &before);
        assert_int_equal(bp_frame_begin(pool), BP_OK); /* frame F */
        assert_int_equal(bp_trim(pool, true), BP_OK);  /* the pool destroys every pooled buffer now */
        bp_stats ps;
        bp_get_stats(pool, &ps);
        assert_int_equal(ps.buffers_total, 0);
        bp_vulkan_get_stats(vk, &st);
        assert_int_equal(st.deferred_destroys, before.buffers);
        assert_int_equal(st.buffers, before.buffers);                       /* still alive */
        assert_int_equal(st.device_allocations, before.device_allocations); /* memory too */
        assert_int_equal(bp_frame_end(pool), BP_OK);
        for (uint32_t f = 1; f < fif; f++) {
            assert_int_equal(bp_frame_begin(pool), BP_OK);
            bp_vulkan_get_stats(vk, &st);
            assert_int_equal(st.buffers, before.buffers); /* frames F+1 .. F+fif-1: kept */
            assert_int_equal(bp_frame_end(pool), BP_OK);
        }
        assert_int_equal(bp_frame_begin(pool), BP_OK); /* frame F + fif: gone */
        bp_vulkan_get_stats(vk, &st);
        assert_int_equal(st.buffers, 0);
        assert_int_equal(st.deferred_destroys, 0);
        assert_int_equal(st.device_allocations, before.device_allocations - before.buffers);
        assert_int_equal(bp_frame_end(pool), BP_OK);
        vk_check_and_destroy(pool);
    }
}

static void signal_timeline(VkSemaphore timeline, uint64_t value) {
    VkSemaphoreSignalInfo sig = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO, .semaphore = timeline, .value = value};
    assert_int_equal(vkSignalSemaphore(vk_ctx->device, &sig), VK_SUCCESS);
}

static void run_frame(bp_pool *pool) {
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    assert_int_equal(bp_frame_end(pool), BP_OK);
}

/* With a frame timeline, reuse and destruction wait for the GPU's word (the application
 * signals F + 1 when frame F is done), not for a frame count. */
static void timeline_completion_gates_reuse_and_destruction(void **state) {
    (void)state;
    if (!vk_ctx->timeline_semaphores) {
        print_message("no timeline semaphores on this device; frame counting covers it\n");
        return;
    }
    VkSemaphoreTypeCreateInfo ti = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO,
                                    .semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE};
    VkSemaphoreCreateInfo si = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO, .pNext = &ti};
    VkSemaphore timeline;
    assert_int_equal(vkCreateSemaphore(vk_ctx->device, &si, NULL, &timeline), VK_SUCCESS);
    bp_vulkan_backend *vk;
    bp_vulkan_desc vd = {.frame_timeline = timeline};
    bp_pool_desc pd = {.frames_in_flight = 2};
    bp_pool *pool = vk_pool(&pd, &vd, &vk);
    assert_int_equal(bp_frame_begin(pool), BP_OK); /* frame 0 */
    bp_buffer a = acquire(pool, 5000, BP_MEMORY_HOST_VISIBLE, BP_USAGE_UNIFORM, 0);
    uint64_t native = info_of(pool, a).native;
    bp_release(pool, a);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    for (int f = 1; f <= 4; f++) { /* the GPU "never finishes" frame 0: no reuse, however many frames */
        assert_int_equal(bp_frame_begin(pool), BP_OK);
        bp_buffer t = acquire(pool, 5000, BP_MEMORY_HOST_VISIBLE, BP_USAGE_UNIFORM, BP_ACQUIRE_TRANSIENT);
        assert_true(info_of(pool, t).native != native);
        assert_int_equal(bp_frame_end(pool), BP_OK);
    }
    bp_stats ps;
    bp_get_stats(pool, &ps);
    assert_int_equal(ps.buffers_pending, 5); /* counting 2 frames would have pooled 4 of them */
    assert_int_equal(ps.buffers_pooled, 0);
    signal_timeline(timeline, 1); /* frame 0 done */
    run_frame(pool);              /* frame 5: its end pools frame 0's buffer only */
    bp_get_stats(pool, &ps);
    assert_int_equal(ps.buffers_pooled, 1);
    assert_int_equal(bp_frame_begin(pool), BP_OK); /* frame 6 */
    bp_buffer b = acquire(pool, 5000, BP_MEMORY_HOST_VISIBLE, BP_USAGE_UNIFORM, 0);
    assert_true(info_of(pool, b).native == native);
    bp_release(pool, b);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    signal_timeline(timeline, 7); /* frames 0..6 done */
    run_frame(pool);              /* frame 7: everything pooled */
    assert_int_equal(bp_frame_begin(pool), BP_OK); /* frame 8 */
    assert_int_equal(bp_trim(pool, true), BP_OK);  /* the pool destroys all five in frame 8 */
    assert_int_equal(bp_frame_end(pool), BP_OK);
    bp_vulkan_stats st;
    for (int f = 0; f < 4; f++) { /* kept while the GPU has not finished frame 8 */
        run_frame(pool);
        bp_vulkan_get_stats(vk, &st);
        assert_int_equal(st.buffers, 5);
    }
    signal_timeline(timeline, 8); /* frames up to 7 */
    run_frame(pool);
    bp_vulkan_get_stats(vk, &st);
    assert_int_equal(st.buffers, 5);
    signal_timeline(timeline, 9); /* frame 8 done */
    run_frame(pool);
    bp_vulkan_get_stats(vk, &st);
    assert_int_equal(st.buffers, 0);
    vk_check_and_destroy(pool);
    vkDestroySemaphore(vk_ctx->device, timeline, NULL);
}

static void pooled_buffers_reused_only_for_the_same_usage(void **state) {
    (void)state;
    bp_pool *pool = vk_pool(NULL, NULL, NULL);
    bp_buffer v = acquire(pool, 2048, BP_MEMORY_DEVICE_LOCAL, BP_USAGE_VERTEX, 0);
    uint64_t native = info_of(pool, v).native;
    bp_release(pool, v); /* frameless pool: pooled at once */
    bp_buffer u = acquire(pool, 2048, BP_MEMORY_DEVICE_LOCAL, BP_USAGE_UNIFORM, 0);
    assert_true(info_of(pool, u).native != native);
    assert_int_equal(info_of(pool, u).usage, BP_USAGE_UNIFORM);
    bp_buffer v2 = acquire(pool, 2048, BP_MEMORY_DEVICE_LOCAL, BP_USAGE_VERTEX, 0);
    assert_true(info_of(pool, v2).native == native);
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_int_equal(s.hits, 1);
    bp_release(pool, u);
    bp_release(pool, v2);
    vk_check_and_destroy(pool);
}

static void allocation_cap_is_respected(void **state) {
    (void)state;
    bp_vulkan_backend *vk;
    bp_vulkan_desc vd = {.max_allocations = 5}; /* staging + read-back + 3 buffers */
    bp_pool *pool = vk_pool(NULL, &vd, &vk);
    bp_buffer b[3];
    for (int i = 0; i < 3; i++) b[i] = acquire(pool, 1000, BP_MEMORY_HOST_VISIBLE, 0, 0);
    bp_acquire_desc d = {.size = 1000, .memory = BP_MEMORY_HOST_VISIBLE};
    bp_buffer x;
    assert_int_equal(bp_acquire(pool, &d, &x), BP_ERR_CAPACITY);
    bp_release(pool, b[0]);
    d.size = 90000; /* another class: the pooled buffer is trimmed to make room */
    assert_int_equal(bp_acquire(pool, &d, &x), BP_OK);
    bp_vulkan_stats st;
    bp_vulkan_get_stats(vk, &st);
    assert_true(st.device_allocations <= 5);
    assert_int_equal(st.peak_device_allocations, 4); /* staging + 3 (no read-back made) */
    bp_release(pool, b[1]);
    bp_release(pool, b[2]);
    bp_release(pool, x);
    vk_check_and_destroy(pool);
}

/* Resize on the GPU: the copy into the new VkBuffer is ordered after the upload into the old
 * one and before later uploads; generation 2; the binding table reports the one binding. */
static void resize_copies_on_the_gpu(void **state) {
    (void)state;
    bp_vulkan_backend *vk;
    bp_pool *pool = vk_pool(NULL, NULL, &vk);
    bp_binding_table *t;
    assert_int_equal(bp_binding_table_create(pool, 4, &t), BP_OK);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    uint8_t a[1000], b[2000], back[2000];
    fill(a, sizeof a, 1);
    fill(b, sizeof b, 2);
    bp_acquire_desc d = {.size = sizeof a, .usage = BP_USAGE_STORAGE, .tag = "particles"};
    bp_buffer buf, ubo;
    assert_int_equal(bp_acquire_upload(pool, &d, a, sizeof a, &buf), BP_OK);
    ubo = acquire(pool, 256, BP_MEMORY_HOST_VISIBLE, BP_USAGE_UNIFORM, 0);
    assert_int_equal(bp_binding_set(t, "particles", buf), BP_OK);
    assert_int_equal(bp_binding_set(t, "globals", ubo), BP_OK);
    bp_binding_change c[4];
    uint32_t n;
    assert_int_equal(bp_binding_table_sync(t, c, 4, &n), BP_OK);
    assert_int_equal(n, 2);
    uint64_t old = info_of(pool, buf).native;
    assert_int_equal(bp_resize(pool, buf, 100000), BP_OK);
    assert_int_equal(bp_upload(pool, buf, 50000, b, sizeof b), BP_OK);
    assert_int_equal(bp_upload(pool, ubo, 0, b, 256), BP_OK); /* data only */
    bp_buffer_info i = info_of(pool, buf);
    assert_true(i.native != old);
    assert_int_equal(i.native_generation, 2);
    assert_int_equal(i.memory, BP_MEMORY_DEVICE_LOCAL);
    assert_int_equal(bp_binding_table_sync(t, c, 4, &n), BP_OK);
    assert_int_equal(n, 1);
    assert_string_equal(c[0].name, "particles");
    assert_int_equal(c[0].kind, BP_BINDING_NATIVE_REPLACED);
    assert_int_equal(bp_download(pool, buf, 0, back, sizeof a), BP_OK);
    assert_memory_equal(back, a, sizeof a);
    assert_int_equal(bp_download(pool, buf, 50000, back, sizeof b), BP_OK);
    assert_memory_equal(back, b, sizeof b);
    bp_release(pool, buf);
    bp_release(pool, ubo);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    bp_binding_table_destroy(t);
    vk_check_and_destroy(pool);
}

/* A program without frames: a destroy first submits the copies still recorded, then waits
 * for them, so no command buffer refers to a destroyed VkBuffer. */
static void frameless_destroy_waits_for_recorded_copies(void **state) {
    (void)state;
    bp_vulkan_backend *vk;
    bp_pool *pool = vk_pool(NULL, NULL, &vk);
    uint32_t word = 7;
    bp_buffer a = acquire(pool, 4096, BP_MEMORY_DEVICE_LOCAL, BP_USAGE_STORAGE, 0);
    assert_int_equal(bp_upload(pool, a, 0, &word, sizeof word), BP_OK); /* recorded, not submitted */
    assert_int_equal(bp_release(pool, a), BP_OK);                      /* pooled at once */
    assert_int_equal(bp_trim(pool, true), BP_OK);                      /* destroyed now */
    bp_vulkan_stats st;
    bp_vulkan_get_stats(vk, &st);
    assert_int_equal(st.buffers, 0);
    assert_int_equal(st.submits, 1);
    bp_buffer b = acquire(pool, 4096, BP_MEMORY_DEVICE_LOCAL, BP_USAGE_STORAGE, 0);
    uint32_t back = 0;
    assert_int_equal(bp_upload(pool, b, 0, &word, sizeof word), BP_OK);
    assert_int_equal(bp_download(pool, b, 0, &back, sizeof back), BP_OK);
    assert_int_equal(back, 7);
    bp_release(pool, b);
    vk_check_and_destroy(pool);
}

static void budget_comes_from_the_device(void **state) {
    (void)state;
    bp_pool_desc pd = {.use_device_budget = true};
    bp_pool *pool = vk_pool(&pd, NULL, NULL);
    VkPhysicalDeviceMemoryProperties mp;
    vkGetPhysicalDeviceMemoryProperties(vk_ctx->physical_device, &mp);
    uint64_t heaps = 0;
    for (uint32_t h = 0; h < mp.memoryHeapCount; h++) heaps += mp.memoryHeaps[h].size;
    bp_stats s;
    bp_get_stats(pool, &s);
    assert_true(s.budget_bytes > 0 && s.budget_bytes <= heaps);
    vk_check_and_destroy(pool);
}

static void validation_messages_are_counted(void **state) {
    (void)state;
    /* Prove the counter is live: a buffer of size 0 is invalid usage. */
    uint32_t before = bp_vulkan_context_messages(vk_ctx);
    VkBufferCreateInfo bi = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                             .size = 0,
                             .usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                             .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkBuffer b = VK_NULL_HANDLE;
    VkResult vr = vkCreateBuffer(vk_ctx->device, &bi, NULL, &b);
    if (vr == VK_SUCCESS && b) vkDestroyBuffer(vk_ctx->device, b, NULL);
    assert_true(bp_vulkan_context_messages(vk_ctx) > before);
}

int main(void) {
    int skip = vk_open_or_skip();
    if (skip) return skip;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(staged_upload_reaches_device_local),
        cmocka_unit_test(uploads_after_a_submit_in_the_same_frame),
        cmocka_unit_test(host_memory_kinds_are_mapped_and_flushed),
        cmocka_unit_test(deferred_reuse_and_destruction),
        cmocka_unit_test(timeline_completion_gates_reuse_and_destruction),
        cmocka_unit_test(pooled_buffers_reused_only_for_the_same_usage),
        cmocka_unit_test(allocation_cap_is_respected),
        cmocka_unit_test(resize_copies_on_the_gpu),
        cmocka_unit_test(frameless_destroy_waits_for_recorded_copies),
        cmocka_unit_test(budget_comes_from_the_device),
        cmocka_unit_test(validation_messages_are_counted), /* last: it makes a message on purpose */
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    bp_vulkan_context_destroy(vk_ctx);
    return failed;
}
