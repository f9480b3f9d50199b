/* The single-thread sections on one core, the fastest one. Left free (each worker process running on whichever
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
static double g_speed[2];  /* calibration ns of the chosen core and of the slowest one */
bool bench_pin_off;        /* --no-pin */

static bool set_one(int cpu) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    return sched_setaffinity(0, sizeof one, &one) == 0;
}

/* CPU time of a fixed loop of dependent loads and stores over 256 KiB (an L2-sized working set,
 * as the replays' tables are): what a core's neighbour takes from it shows here. The array is
 * static, so that the heap the workers inherit is untouched. */
static double calibrate(void) {
    enum { WORDS = 32768, STEPS = 1 << 20 };
    static uint64_t a[WORDS];
    for (uint32_t i = 0; i < WORDS; i++) a[i] = (i * 2654435761u + 1) % WORDS;
    double t0 = bench_cpu_ns();
    uint64_t x = 0;
    for (uint32_t i = 0; i < STEPS; i++) {
        x = a[x];
        a[(x + i) % WORDS] += i;
        x %= WORDS;
    }
    volatile uint64_t sink = x;
    (void)sink;
    return bench_cpu_ns() - t0;
}

/* The fastest of the cores it may use (the median of three calibration runs on each): the
 * cores of a virtual machine need not be alike, and a core whose neighbour is busy runs the
 * allocators' loops at up to half the speed of the other (see bench/threads.c). */
int bench_pin(void) {
    if (bench_pin_off || g_pinned >= 0) return g_pinned;
    if (sched_getaffinity(0, sizeof g_saved, &g_saved) != 0) return -1;
    int best = -1;
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (!CPU_ISSET(c, &g_saved) || !set_one(c)) continue;
        double t[3] = {calibrate(), calibrate(), calibrate()};
        double ns = bench_median(t, 3);
        if (best < 0 || ns < g_speed[0]) best = c, g_speed[0] = ns;
        if (ns > g_speed[1]) g_speed[1] = ns;
    }
    if (best < 0 || !set_one(best)) {
        sched_setaffinity(0, sizeof g_saved, &g_saved);
        return -1;
    }
    return g_pinned = best;
}

void bench_unpin(void) {
    if (g_pinned < 0) return;
    if (sched_setaffinity(0, sizeof g_saved, &g_saved) == 0) g_pinned = -1;
}

int bench_pinned_cpu(void) { return g_pinned; }

void bench_pin_describe(FILE *o) {
    if (g_pinned >= 0)
        fprintf(o, "- Single-thread sections pinned to core %d, the fastest of this process's cores by a calibration "
                   "loop (%.2f ms; the slowest core %.2f ms) (sched_setaffinity; the threads section uses every "
                   "core; `--no-pin` leaves them free)\n", g_pinned, g_speed[0] / 1e6, g_speed[1] / 1e6);
    else
        fprintf(o, "- Single-thread sections not pinned to a core%s\n", bench_pin_off ? " (`--no-pin`)" : " (sched_setaffinity failed)");
}

bool bench_pin_thread(int cpu) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
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
