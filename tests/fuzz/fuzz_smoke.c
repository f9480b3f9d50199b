/* The API fuzz driver without libFuzzer: runs every file of the corpus directories given on
 * the command line, then N inputs from a fixed-seed generator, so `make test` repeats the
 * same deterministic run with any compiler.
 * Usage: fuzz_smoke [-n INPUTS] [-s SEED] [CORPUS_DIR...] */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_model.h"

static uint64_t next(uint64_t *s) {
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

/* The input being run, written out when the driver aborts so that it can be replayed. */
static const uint8_t *current;
static size_t current_len;

static void save_current(int sig) {
    (void)sig;
    FILE *fp = fopen("fuzz-smoke-failure.bin", "wb");
    if (fp) {
        fwrite(current, 1, current_len, fp);
        fclose(fp);
        fputs("fuzz_smoke: the failing input is in fuzz-smoke-failure.bin (replay: fuzz_smoke -n 0 DIR)\n", stderr);
    }
    signal(SIGABRT, SIG_DFL);
}

static void run_one(const uint8_t *data, size_t len) {
    current = data;
    current_len = len;
    bpfz_run(data, len);
}

static int run_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "fuzz_smoke: cannot open %s\n", dir);
        return -1;
    }
    int n = 0;
    static uint8_t buf[1 << 16];
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *fp = fopen(path, "rb");
        if (!fp) continue;
        size_t len = fread(buf, 1, sizeof buf, fp);
        fclose(fp);
        run_one(buf, len);
        n++;
    }
    closedir(d);
    return n;
}

int main(int argc, char **argv) {
    unsigned long inputs = 2000;
    uint64_t seed = 0x5EED;
    int files = 0;
    signal(SIGABRT, save_current);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc) inputs = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "-s") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
        else {
            int n = run_dir(argv[i]);
            if (n < 0) return 1;
            files += n;
        }
    }
    static uint8_t buf[2048];
    uint64_t s = seed ? seed : 1;
    for (unsigned long k = 0; k < inputs; k++) {
        size_t len = 2 + next(&s) % (sizeof buf - 2);
        for (size_t i = 0; i < len; i++) buf[i] = (uint8_t)(next(&s) >> 56);
        run_one(buf, len);
    }
    printf("fuzz_smoke: %d corpus files and %lu generated inputs (seed %llu) matched the model\n", files, inputs,
           (unsigned long long)seed);
    return 0;
}
