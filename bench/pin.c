/* The single-thread sections on one core. Left free (each worker process running on whichever
 * core the scheduler gives it as it wakes), a process often kept one speed through all its
 * rounds: on the 2-core test machine the same contender's median varied by up to 2x from run
 * to run (bufpool against mimalloc on the instances workload read 1.43x to 3.20x over 8 runs;
 * pinned, 2.19x to 2.31x). Pinned, every contender runs its rounds on the same core, in turns
 * (the rounds rotate the order), so a busy neighbour slows them all alike. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

#include "bench.h"

static cpu_set_t g_saved;  /* the process's affinity before bench_pin */
static int g_pinned = -1;  /* the core the process is pinned to, or -1 */
bool bench_pin_off;        /* --no-pin */

static cpu_set_t one_core(int cpu) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    return one;
}

/* The core it runs on now, which it may use. Not the fastest by a calibration: on the test
 * machine a malloc + free loop ran at about 12 or 25 ns a pair on either core, switching every
 * few seconds, while a loop of dependent loads barely moved, so no short test picks a core that
 * stays fast. */
int bench_pin(void) {
    if (bench_pin_off || g_pinned >= 0) return g_pinned;
    int cpu = sched_getcpu();
    if (cpu < 0 || sched_getaffinity(0, sizeof g_saved, &g_saved) != 0) return -1;
    cpu_set_t one = one_core(cpu);
    if (sched_setaffinity(0, sizeof one, &one) != 0) return -1;
    return g_pinned = cpu;
}

void bench_unpin(void) {
    if (g_pinned < 0) return;
    if (sched_setaffinity(0, sizeof g_saved, &g_saved) == 0) g_pinned = -1;
}

void bench_pin_describe(FILE *o) {
    if (g_pinned >= 0)
        fprintf(o, "- Single-thread sections pinned to core %d (sched_setaffinity; the threads section uses every "
                   "core; `--no-pin` leaves them free)\n", g_pinned);
    else
        fprintf(o, "- Single-thread sections not pinned to a core%s\n", bench_pin_off ? " (`--no-pin`)" : " (sched_setaffinity failed)");
}

bool bench_pin_thread(int cpu) {
    cpu_set_t one = one_core(cpu);
    return pthread_setaffinity_np(pthread_self(), sizeof one, &one) == 0;
}

int bench_cores(int *out, int max) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 0;
    int n = 0;
    for (int c = 0; c < CPU_SETSIZE && n < max; c++)
        if (CPU_ISSET(c, &set)) out[n++] = c;
    return n;
}
