/* Random sequences of every buffer operation, including those the API fuzzer does not drive
 * (bp_resize) and re-entry from the eviction callback (releases, owner releases, trims, frame
 * ends, refused acquires), across capacity modes, frames in flight, guards, retention caps
 * and scrubbing. The invariant walker runs after every step, and the same sequence run on a
 * thread_safe pool (which takes the locked path for every hit and release) must end with the
 * same stats as on a plain pool (whose hits and plain releases take the inline path). */
#include "test_support.h"

#define STEPS 1500
#define MAX_HELD 64

typedef struct run_state {
    uint64_t rng;
    bp_buffer held[MAX_HELD];
    int held_count;
    bool frames_in_callback;
} run_state;

static run_state rs;

static void evict_cb(void *user, bp_pool *pool, uint64_t bytes, const uint64_t *owners, uint32_t count) {
    (void)user;
    (void)bytes;
    uint64_t r = ts_xorshift(&rs.rng);
    if (count && (r & 1)) bp_owner_release(pool, owners[r % count], NULL);
    if (rs.held_count && (r & 2)) bp_release(pool, rs.held[r % (uint64_t)rs.held_count]);
    if (r & 4) bp_trim(pool, (r & 8) != 0);
    if ((r & 16) && rs.frames_in_callback) {
        bp_frame_end(pool);
        bp_frame_begin(pool);
    }
    bp_buffer b;
    bp_acquire_desc d = {.size = 10};
    if (r & 32) assert_int_equal(bp_acquire(pool, &d, &b), BP_ERR_BUSY);
    if (r & 64) bp_owner_set_priority(pool, 1 + r % 5, (float)(r % 7));
}

static void step(bp_pool *pool, bp_scope *scopes, int *scope_count) {
    uint64_t r = ts_xorshift(&rs.rng), size = 1 + ts_xorshift(&rs.rng) % 20000;
    bp_buffer b;
    int n = rs.held_count;
    switch (r % 16) {
    case 0: case 1: case 2: {
        bp_acquire_desc d = {.size = size,
                             .owner = (r >> 8) % 3 ? 0 : 1 + (r >> 12) % 5,
                             .flags = ((r >> 16) % 5 == 0 ? BP_ACQUIRE_TRANSIENT : 0u) |
                                      ((r >> 20) % 7 == 0 ? BP_ACQUIRE_ZERO : 0u),
                             .alignment = (r >> 24) % 9 == 0 ? 4096 : 0,
                             .memory = (bp_memory)((r >> 28) % 3)};
        if (bp_acquire(pool, &d, &b) == BP_OK && n < MAX_HELD) rs.held[rs.held_count++] = b;
        break;
    }
    case 3: case 4:
        if (n) {
            int i = (int)(r % (uint64_t)n);
            bp_release(pool, rs.held[i]);
            rs.held[i] = rs.held[--rs.held_count];
        }
        break;
    case 5: case 6: if (n) bp_resize(pool, rs.held[r % (uint64_t)n], size); break;
    case 7:
        if (n && n < MAX_HELD && bp_duplicate(pool, rs.held[r % (uint64_t)n], 0, &b) == BP_OK)
            rs.held[rs.held_count++] = b;
        break;
    case 8:
        if (r & 256) bp_frame_next(pool); /* the same as the two calls, by its own path */
        else bp_frame_end(pool), bp_frame_begin(pool);
        break;
    case 9: if (*scope_count < 4 && bp_scope_begin(pool, &scopes[*scope_count]) == BP_OK) ++*scope_count; break;
    case 10: if (*scope_count) bp_scope_end(pool, scopes[--*scope_count], NULL); break;
    case 11: bp_set_budget(pool, (r >> 8) % 3 ? 0 : 20000 + (r >> 12) % 200000); break;
    case 12: bp_owner_release(pool, 1 + (r >> 8) % 5, NULL); break;
    case 13: if (n) bp_release(pool, rs.held[r % (uint64_t)n]); break; /* often stale or released */
    case 14: bp_trim_older_than(pool, 0, NULL); break;
    default: if (n > 1) bp_copy(pool, rs.held[0], 0, rs.held[1], 0, 1 + r % 64); break;
    }
}

/* One run; returns its final stats. Mode bits: 0 frames in the callback, 1 immediate reuse,
 * 2-3 capacity mode, 4 guards, 5 one pooled per class, 6 zero on release, 7 thread_safe. */
static bp_stats run(uint64_t seed, unsigned mode) {
    memset(&rs, 0, sizeof rs);
    rs.rng = seed;
    rs.frames_in_callback = mode & 1u;
    bp_capacity_entry table[2] = {{.size = 256, .count = 4}, {.size = 8192, .count = 2}};
    bp_capacity_mode cm = (bp_capacity_mode)(((mode >> 2) & 3u) % 3u);
    bp_pool_desc pd = {.evict = evict_cb,
                       .frames_in_flight = (mode & 2u) ? BP_IMMEDIATE_REUSE : 2,
                       .capacity_mode = cm,
                       .capacity_table = table,
                       .capacity_table_count = cm == BP_CAPACITY_DYNAMIC ? 0 : 2,
                       .guard_bytes = (mode & 16u) ? 16 : 0,
                       .max_pooled_per_class = (mode & 32u) ? 1 : 0,
                       .zero_on_release = (mode & 64u) != 0,
                       .thread_safe = (mode & 128u) != 0};
    bp_pool *pool;
    assert_int_equal(bp_pool_create(&pd, &pool), BP_OK);
    bp_frame_begin(pool);
    bp_scope scopes[4];
    int scope_count = 0;
    for (int k = 0; k < STEPS; k++) {
        step(pool, scopes, &scope_count);
        if (bpi_check(pool) != BP_OK)
            fail_msg("seed %llu mode %u step %d: %s", (unsigned long long)seed, mode, k, bp_pool_last_error(pool));
    }
    bp_stats s;
    bp_get_stats(pool, &s);
    bp_pool_destroy(pool);
    return s;
}

static void locked_and_inline_paths_agree(void **state) {
    (void)state;
    uint64_t evictions = 0;
    for (uint64_t seed = 1; seed <= 3; seed++)
        for (unsigned mode = 0; mode < 128; mode += 1u + (unsigned)(seed % 5)) {
            bp_stats plain = run(seed * 7919u, mode), locked = run(seed * 7919u, mode | 128u);
            assert_true(plain.acquires > 0);
            assert_int_equal(plain.acquires, locked.acquires);
            assert_int_equal(plain.hits, locked.hits);
            assert_int_equal(plain.releases, locked.releases);
            assert_int_equal(plain.backend_creates, locked.backend_creates);
            assert_int_equal(plain.bytes_reserved, locked.bytes_reserved);
            assert_int_equal(plain.bytes_requested, locked.bytes_requested);
            assert_int_equal(plain.errors, locked.errors);
            assert_int_equal(plain.trims, locked.trims);
            evictions += plain.evictions;
        }
    assert_true(evictions > 0); /* the callback's re-entry was exercised */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(locked_and_inline_paths_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
