/* The API fuzz driver: decodes bytes into a pool configuration and a sequence of API calls,
 * runs them against a real pool and against a small reference model, and aborts with a
 * message at the first difference (a result code, the live set, a count, buffer contents)
 * or when the invariant walker bpi_check fails. Used by the libFuzzer target and by the
 * fixed-seed smoke run in `make test`. */
#ifndef BP_FUZZ_MODEL_H
#define BP_FUZZ_MODEL_H

#include <stddef.h>
#include <stdint.h>

/* Run one input; returns 0 (a mismatch aborts the process after printing what differed). */
int bpfz_run(const uint8_t *data, size_t size);

#endif
