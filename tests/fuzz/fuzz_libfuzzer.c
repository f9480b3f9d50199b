/* libFuzzer entry point of the API fuzz driver (built with clang -fsanitize=fuzzer). */
#include "fuzz_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return bpfz_run(data, size); }
