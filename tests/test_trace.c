/* The event trace: a pool records its acquires, releases and frame ends in the replay format,
 * and a bad trace path fails the creation cleanly. */
#include <stdio.h>
#include <unistd.h>

#include "test_support.h"

static void read_file(const char *path, char *buf, size_t cap) {
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = 0;
    fclose(f);
}

/* An empty file for the trace to overwrite; its name replaces the Xs in `path`. */
static void make_temp(char *path) {
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
}

static void events_are_recorded_in_replay_format(void **state) {
    (void)state;
    char path[] = "/tmp/bp_trace_XXXXXX";
    make_temp(path);
    bp_pool *pool;
    bp_pool_desc d = {.trace_path = path};
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    assert_int_equal(bp_frame_begin(pool), BP_OK);
    bp_buffer a = ts_acquire(pool, 1000, 0), t = ts_acquire(pool, 300, BP_ACQUIRE_TRANSIENT);
    assert_int_equal(bp_release(pool, a), BP_OK);
    assert_int_equal(bp_frame_end(pool), BP_OK);
    bp_buffer kept = ts_acquire(pool, 50, 0);
    bp_pool_destroy(pool); /* kept is still live: no R line for it */
    char text[4096], want[512];
    read_file(path, text, sizeof text);
    snprintf(want, sizeof want, "A %llu 1000\nA %llu 300\nR %llu\nR %llu\nF\nA %llu 50\n", (unsigned long long)a.id,
             (unsigned long long)t.id, (unsigned long long)a.id, (unsigned long long)t.id,
             (unsigned long long)kept.id);
    const char *body = strchr(text, '\n'); /* after the comment line */
    assert_non_null(body);
    assert_true(text[0] == '#');
    assert_string_equal(body + 1, want);
    unlink(path);
}

/* A line break in the pool's name must not end the header's comment line (the replay would
 * read the rest of the name as events). */
static void a_line_break_in_the_name_stays_in_the_comment(void **state) {
    (void)state;
    char path[] = "/tmp/bp_trace_XXXXXX";
    make_temp(path);
    bp_pool *pool;
    bp_pool_desc d = {.trace_path = path, .name = "evil\nA 1 100\r\nR 1"};
    assert_int_equal(bp_pool_create(&d, &pool), BP_OK);
    bp_buffer a = ts_acquire(pool, 64, 0);
    assert_int_equal(bp_release(pool, a), BP_OK);
    bp_pool_destroy(pool);
    char text[4096], want[256];
    read_file(path, text, sizeof text);
    const char *body = strchr(text, '\n');
    assert_non_null(body);
    assert_non_null(strstr(text, "evil?A 1 100??R 1"));
    snprintf(want, sizeof want, "A %llu 64\nR %llu\n", (unsigned long long)a.id, (unsigned long long)a.id);
    assert_string_equal(body + 1, want);
    unlink(path);
}

static void an_unwritable_trace_path_fails_creation(void **state) {
    (void)state;
    counting_alloc ca = {0};
    bp_pool *pool = (bp_pool *)1;
    bp_pool_desc d = {.trace_path = "/nonexistent-dir/x.trace", .allocator = ts_allocator(&ca)};
    assert_int_equal(bp_pool_create(&d, &pool), BP_ERR_INVALID_ARGUMENT);
    assert_null(pool);
    assert_int_equal(ca.allocs, ca.frees);
}

static void the_environment_variable_names_the_file(void **state) {
    (void)state;
    char path[] = "/tmp/bp_trace_env_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    setenv("BUFPOOL_TRACE", path, 1);
    bp_pool *pool;
    assert_int_equal(bp_pool_create(NULL, &pool), BP_OK);
    unsetenv("BUFPOOL_TRACE");
    bp_buffer b = ts_acquire(pool, 64, 0);
    bp_release(pool, b);
    ts_check_and_destroy(pool);
    char text[1024];
    read_file(path, text, sizeof text);
    assert_non_null(strstr(text, " 64\nR "));
    unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(events_are_recorded_in_replay_format),
        cmocka_unit_test(a_line_break_in_the_name_stays_in_the_comment),
        cmocka_unit_test(an_unwritable_trace_path_fails_creation),
        cmocka_unit_test(the_environment_variable_names_the_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
