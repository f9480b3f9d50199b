/* Public API: statistics, names of codes, size classes. */
#include <string.h>

#include "internal/pool.h"

void bp_get_stats(bp_pool *pool, bp_stats *out_stats) {
    if (!out_stats) return;
    if (!pool) {
        memset(out_stats, 0, sizeof *out_stats);
        return;
    }
    bpi_lock(pool);
    *out_stats = bpi_stats_read(pool);
    bpi_unlock(pool);
}

bp_result bp_calculate_class_stats(bp_pool *pool, bp_class_stats *out, uint32_t capacity, uint32_t *out_count) {
    if (out_count) *out_count = 0;
    if (!pool || !out_count || (capacity && !out)) return BP_ERR_INVALID_ARGUMENT;
    bpi_lock(pool);
    uint32_t n = 0, classes = bpi_class_count(pool->pow2);
    bp_class_stats all[BPI_MAX_CLASSES];
    bpi_class_totals(pool, all);
    for (uint32_t c = 0; c < classes; c++) {
        if (!pool->classes[c].used) continue;
        if (n < capacity) out[n] = all[c];
        n++;
    }
    bpi_unlock(pool);
    *out_count = n;
    return n > capacity ? BP_ERR_BUFFER_TOO_SMALL : BP_OK;
}

static const char *const result_names[BP_RESULT_COUNT] = {
    "BP_OK", "BP_ERR_INVALID_ARGUMENT", "BP_ERR_INVALID_SIZE", "BP_ERR_TOO_LARGE", "BP_ERR_OVERFLOW",
    "BP_ERR_INVALID_HANDLE", "BP_ERR_STALE_HANDLE", "BP_ERR_FOREIGN_HANDLE", "BP_ERR_DOUBLE_RELEASE",
    "BP_ERR_FRAME_STATE", "BP_ERR_OUT_OF_MEMORY", "BP_ERR_BACKEND", "BP_ERR_BUDGET", "BP_ERR_CAPACITY",
    "BP_ERR_UNSUPPORTED", "BP_ERR_SCOPE", "BP_ERR_BUFFER_TOO_SMALL", "BP_ERR_OUT_OF_RANGE", "BP_ERR_CORRUPTION",
    "BP_ERR_NOT_FOUND", "BP_ERR_BUSY",
};

int bp_version(void) { return BP_VERSION; }

const char *bp_result_string(bp_result result) {
    if ((unsigned)result >= BP_RESULT_COUNT) return "BP_ERR_UNKNOWN";
    return result_names[result];
}

const char *bp_memory_string(bp_memory memory) {
    switch (memory) {
    case BP_MEMORY_DEVICE_LOCAL: return "device_local";
    case BP_MEMORY_HOST_VISIBLE: return "host_visible";
    case BP_MEMORY_HOST_CACHED: return "host_cached";
    default: return "unknown";
    }
}

uint64_t bp_class_size_for(bp_class_scheme scheme, uint64_t size) {
    if (size == 0 || size > BPI_MAX_CLASS_SIZE || (unsigned)scheme > BP_CLASSES_POW2) return 0;
    int pow2 = scheme == BP_CLASSES_POW2;
    return bpi_class_size(pow2, bpi_class_of(pow2, size));
}

bp_result bp_get_host_backend_stats(const bp_pool *pool, bp_host_backend_stats *out) {
    if (!out) return BP_ERR_INVALID_ARGUMENT;
    if (!pool) {
        memset(out, 0, sizeof *out);
        return BP_ERR_INVALID_ARGUMENT;
    }
    /* the pool's copy of its table never changes after creation: no pool lock */
    return bp_host_backend_get_stats(&pool->backend, out);
}
