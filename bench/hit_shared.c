/* bufpool_bench_shared SIZE PAIRS [thread-safe|size]: the pool-hit loop for callgrind, linked with
 * libbufpool.so instead of the static library (bench/run.sh counts both). */
#include <stdlib.h>

#include "hit_loop.h"

int main(int argc, char **argv) {
    if (argc != 3 && argc != 4) return 2;
    return bench_hit_for_callgrind((size_t)atoll(argv[1]), (uint64_t)atoll(argv[2]), argc == 4 ? argv[3] : "");
}
