/* The event trace: every acquire (A <id> <bytes>), release (R <id>) and frame end (F) of a
 * pool, in the format `bufpool replay` reads, so a real program's allocation pattern can be
 * replayed, compared between allocators and turned into a report. */
#include <stdatomic.h>
#include <stdlib.h>

#include "internal/pool.h"

static atomic_uint env_pools; /* pools that took BUFPOOL_TRACE: the first gets the plain name */

bp_result bpi_trace_open(bp_pool *pool) {
    const char *path = pool->desc.trace_path;
    char numbered[4096];
    if (!path) {
        path = getenv("BUFPOOL_TRACE");
        if (!path || !*path) return BP_OK;
        unsigned n = atomic_fetch_add(&env_pools, 1u) + 1u;
        if (n > 1) {
            snprintf(numbered, sizeof numbered, "%s.%u", path, n);
            path = numbered;
        }
    }
    pool->trace = fopen(path, "w");
    if (!pool->trace)
        return bpi_fail(pool, BP_ERR_INVALID_ARGUMENT, BP_LOG_ITEM_BAD_ARGUMENT, "cannot open the trace file '%s'",
                        path);
    char name[sizeof pool->name]; /* a line break in the name would end the comment line */
    size_t k = 0;
    for (; pool->name[k] && k + 1 < sizeof name; k++)
        name[k] = pool->name[k] == '\n' || pool->name[k] == '\r' ? '?' : pool->name[k];
    name[k] = 0;
    fprintf(pool->trace, "# bufpool %s trace of pool '%s'\n", BP_VERSION_STRING, name);
    bpi_fast_flags(pool);
    pool->desc.trace_path = NULL; /* the caller's string need not outlive the call */
    return BP_OK;
}

void bpi_trace_close(bp_pool *pool) {
    if (!pool->trace) return;
    fclose(pool->trace);
    pool->trace = NULL;
    bpi_fast_flags(pool);
}
