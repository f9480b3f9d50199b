/* The pool-hit loop (bench/hit_loop.c), shared by bufpool_bench and bufpool_bench_shared. */
#ifndef BENCH_HIT_LOOP_H
#define BENCH_HIT_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bufpool.h"

/* `pairs` acquire + release pairs of one pooled buffer (callgrind counts this function). */
void bench_pool_hits(bp_pool *pool, const bp_acquire_desc *d, uint64_t pairs);
/* ... with bp_acquire_size (no descriptor). */
void bench_pool_size_hits(bp_pool *pool, uint64_t size, uint64_t pairs);
/* For callgrind: a pool ("thread-safe": with its lock), one miss, then only the loop ("size":
 * bench_pool_size_hits; "": bench_pool_hits); 0 when every counted pair was a hit. */
int bench_hit_for_callgrind(size_t size, uint64_t pairs, const char *mode);

#endif
