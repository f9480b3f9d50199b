/* Small services every layer uses: metadata allocation, clock, errors, logging (locking: inline in internal/hot.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "internal/pool.h"

void *bpi_alloc(bp_pool *pool, size_t size) {
    return pool->alloc.alloc(pool->alloc.user, size, 16);
}

void bpi_free(bp_pool *pool, void *ptr) {
    if (ptr) pool->alloc.free(pool->alloc.user, ptr);
}

double bpi_clock(bp_pool *pool) {
    if (pool->desc.clock) return pool->desc.clock(pool->desc.clock_user);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void vlog(bp_pool *pool, bp_log_level level, bp_log_item item, const char *fmt, va_list ap) {
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (level == BP_LOG_ERROR) memcpy(pool->last_error, msg, sizeof pool->last_error - 1);
    if (pool->desc.logger.func) pool->desc.logger.func(pool->desc.logger.user, level, item, msg);
}

void bpi_log(bp_pool *pool, bp_log_level level, bp_log_item item, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vlog(pool, level, item, fmt, ap);
    va_end(ap);
}

bp_result bpi_fail(bp_pool *pool, bp_result r, bp_log_item item, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vlog(pool, BP_LOG_ERROR, item, fmt, ap);
    va_end(ap);
    pool->stats.errors++;
    return r;
}
