// The installed public headers used from C++: C linkage, no C-only constructs in what a
// C++ program compiles. Every installed bufpool*.h is included (the test passes -include).
#include <bufpool.h>

#include <cstdio>

int main() {
    if (bp_version() != BP_VERSION) return 1;
    bp_pool *pool = nullptr;
    if (bp_pool_create(nullptr, &pool) != BP_OK) return 1;
    bp_acquire_desc d = {};
    d.size = 1000;
    bp_buffer buf = {};
    bp_result r = BP_ACQUIRE(pool, &d, &buf);
    if (r == BP_OK) r = bp_release(pool, buf);
    bp_pool_destroy(pool);
    std::printf("consumer_cxx ok: %s\n", bp_result_string(r));
    return r == BP_OK ? 0 : 1;
}
