/* The timings every device section shares (device.h). */
#include <stdlib.h>

#include "device.h"

const size_t device_sizes[DEVICE_SIZES] = {4096, 65536, 1u << 20};

__attribute__((noinline)) static bool raw_pairs(const device_api *a, size_t size, uint64_t n) {
    bool ok = true;
    for (uint64_t i = 0; i < n; i++) ok &= a->raw_pair(a->user, size);
    return ok;
}

bool device_hit(const device_api *a, size_t size, uint64_t pairs, uint64_t raw_n, int repeats,
                device_hit_times *out) {
    enum { R = 64 };
    double td[R], th[R], tr[R];
    if (repeats > R) repeats = R;
    bp_pool *dev = NULL, *host = NULL;
    /* no frames: a pool that never began one reuses a released buffer at once */
    bp_pool_desc pd = {.name = "bench-device"};
    if (!a->make_pool(a->user, &pd, 0, &dev)) return false;
    bp_acquire_desc d = {.size = size};
    bench_pool_hits(dev, &d, 1000); /* warm: the first acquire creates the buffer */
    if (a->warmed) a->warmed(a->user, dev);
    bool ok = bp_pool_create(NULL, &host) == BP_OK;
    if (ok) bench_pool_hits(host, &d, 1000);
    for (int r = 0; ok && r < repeats; r++) {
        double t0 = bench_cpu_ns();
        bench_pool_hits(dev, &d, pairs);
        td[r] = (bench_cpu_ns() - t0) / (double)pairs;
        t0 = bench_cpu_ns();
        bench_pool_hits(host, &d, pairs);
        th[r] = (bench_cpu_ns() - t0) / (double)pairs;
        t0 = bench_cpu_ns();
        ok = raw_pairs(a, size, raw_n);
        tr[r] = (bench_cpu_ns() - t0) / (double)raw_n;
    }
    bp_stats st;
    bp_get_stats(dev, &st);
    ok = ok && st.misses == 1; /* every timed pair was a hit */
    bp_pool_destroy(host);
    bp_pool_destroy(dev);
    if (!ok) return false;
    *out = (device_hit_times){bench_median(td, repeats), bench_median(th, repeats), bench_median(tr, repeats)};
    return true;
}

double device_miss(const device_api *a, size_t size, uint64_t block_size, uint64_t pairs, int repeats) {
    enum { R = 64 };
    double t[R];
    if (repeats > R) repeats = R;
    bp_pool *pool;
    bp_pool_desc pd = {.name = "bench-device-miss", .max_pooled_bytes = 1};
    if (!a->make_pool(a->user, &pd, block_size, &pool)) return 0;
    bp_acquire_desc d = {.size = size};
    bench_pool_hits(pool, &d, 100); /* warm: block mode makes its block (then kept as the spare) */
    for (int r = 0; r < repeats; r++) {
        double t0 = bench_cpu_ns();
        bench_pool_hits(pool, &d, pairs);
        t[r] = (bench_cpu_ns() - t0) / (double)pairs;
    }
    bp_stats st;
    bp_get_stats(pool, &st);
    bool ok = st.misses >= (uint64_t)repeats * pairs; /* every timed pair was a miss */
    bp_pool_destroy(pool);
    return ok ? bench_median(t, repeats) : 0;
}

double device_raw(const device_api *a, size_t size, uint64_t pairs, int repeats) {
    enum { R = 64 };
    double t[R];
    if (repeats > R) repeats = R;
    bool ok = raw_pairs(a, size, pairs / 10 + 1); /* warm */
    for (int r = 0; ok && r < repeats; r++) {
        double t0 = bench_cpu_ns();
        ok = raw_pairs(a, size, pairs);
        t[r] = (bench_cpu_ns() - t0) / (double)pairs;
    }
    return ok ? bench_median(t, repeats) : 0;
}

void device_hit_rows(FILE *o, const device_api *a, int repeats, bool quick, device_summary *sum) {
    for (int s = 0; s < DEVICE_SIZES; s++) {
        device_hit_times t;
        if (!device_hit(a, device_sizes[s], quick ? 100000 : 1000000, quick ? 1000 : 5000, repeats, &t)) {
            fprintf(o, "| %zu B | failed | | | |\n", device_sizes[s]);
            continue;
        }
        double ratio = t.raw / t.device;
        fprintf(o, "| %zu B | %.1f ns | %.1f ns | %.0f ns | %.0fx |\n", device_sizes[s], t.device, t.host, t.raw, ratio);
        if (sum->speedup == 0 || ratio < sum->speedup) sum->speedup = ratio;
        if (sum->raw_min == 0 || t.raw < sum->raw_min) sum->raw_min = t.raw;
        if (t.raw > sum->raw_max) sum->raw_max = t.raw;
        if (t.device > sum->hit_max) sum->hit_max = t.device;
    }
}

bool device_pool_create(const char *api, bp_backend *be, const bp_pool_desc *in, bp_pool **out) {
    bp_pool_desc pd = *in;
    pd.backend = be;
    bp_result r = bp_pool_create(&pd, out);
    if (r != BP_OK) fprintf(stderr, "bufpool_bench: %s pool: %s\n", api, bp_result_string(r));
    return r == BP_OK;
}

void device_miss_rows(FILE *o, const device_api *a, int repeats, uint64_t pairs) {
    fprintf(o, "\nA pool miss + destroy (`max_pooled_bytes` 1: every acquire creates a buffer, every release "
               "destroys it) beside the raw pair it wraps: what the pool adds to a miss.\n\n"
               "| size | raw create + destroy | pool miss + destroy | pool's share |\n"
               "|---:|---:|---:|---:|\n");
    for (int s = 0; s < DEVICE_SIZES; s++) {
        double raw = device_raw(a, device_sizes[s], pairs, repeats);
        double miss = device_miss(a, device_sizes[s], 0, pairs, repeats);
        if (raw > 0 && miss > 0)
            fprintf(o, "| %zu B | %.0f ns | %.0f ns | %.0f ns |\n", device_sizes[s], raw, miss, miss - raw);
        else fprintf(o, "| %zu B | failed | | |\n", device_sizes[s]);
    }
}

void device_workload_rows(FILE *o, const event_list *w, contender cs[2], int repeats) {
    replay_result res[2];
    replay_memory(w, cs, 2, false, res);
    replay_time(w, cs, 2, repeats, NULL, res);
    fprintf(o, "| contender | ns per acquire+release (median) | ratio to bufpool | peak reserved |\n"
               "|---|---:|---:|---:|\n");
    for (int i = 0; i < 2; i++) {
        char held[32] = "-"; /* a raw API with no size query (CUDA) has no figure */
        if (cs[i].is_pool || cs[i].usable) snprintf(held, sizeof held, "%.2f MiB", (double)res[i].peak_reserved / 1048576.0);
        if (res[i].ok)
            fprintf(o, "| %s | %.1f | %.2fx | %s |\n", cs[i].name, res[i].ns_per_acquire,
                    res[i].ns_per_acquire / res[0].ns_per_acquire, held);
        else
            fprintf(o, "| %s | failed | | |\n", cs[i].name);
    }
}
