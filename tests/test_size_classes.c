/* Size classes: every size maps to a class that holds it, waste is bounded, lookup is exact. */
#include "test_support.h"

static void fine_classes_hold_every_size_with_bounded_waste(void **state) {
    (void)state;
    uint64_t prev_index = 0;
    for (uint64_t s = 1; s < (1u << 20); s += 1 + s / 97) {
        uint32_t c = bpi_fine_class(s);
        uint64_t cap = bpi_fine_class_size(c);
        assert_true(cap >= s);
        if (s > 128) assert_true((double)(cap - s) <= 0.125 * (double)s);
        if (c > 0) assert_true(bpi_fine_class_size(c - 1) < s); /* the smallest class that fits */
        assert_true(c >= prev_index);
        prev_index = c;
    }
    assert_int_equal(bpi_fine_class(BPI_MAX_CLASS_SIZE), BPI_FINE_CLASSES - 1);
    assert_true(bpi_fine_class_size(BPI_FINE_CLASSES - 1) == BPI_MAX_CLASS_SIZE);
}

static void pow2_classes_are_powers_of_two(void **state) {
    (void)state;
    assert_int_equal(bp_class_size_for(BP_CLASSES_POW2, 1), 16);
    assert_int_equal(bp_class_size_for(BP_CLASSES_POW2, 17), 32);
    assert_int_equal(bp_class_size_for(BP_CLASSES_POW2, 1000), 1024);
    assert_int_equal(bp_class_size_for(BP_CLASSES_POW2, 1024), 1024);
    assert_int_equal(bp_class_size_for(BP_CLASSES_POW2, 1025), 2048);
    assert_true(bp_class_size_for(BP_CLASSES_POW2, BPI_MAX_CLASS_SIZE) == BPI_MAX_CLASS_SIZE);
    for (uint64_t s = 1; s < (1u << 22); s = s * 3 + 1) {
        uint64_t cap = bp_class_size_for(BP_CLASSES_POW2, s);
        assert_true(cap >= s && (cap & (cap - 1)) == 0 && cap / 2 < (s > 16 ? s : 17));
    }
}

/* The class of a size by definition: the smallest class that holds it (a binary search over
 * the class sizes, which grow with the index). */
static uint32_t smallest_class_holding(int pow2, uint64_t size) {
    uint32_t lo = 0, hi = bpi_class_count(pow2) - 1u;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2u;
        if (bpi_class_size(pow2, mid) >= size) hi = mid;
        else lo = mid + 1u;
    }
    return lo;
}

/* Both schemes at every class boundary up to the largest class (the first and last size of
 * each class: a class index is a step function of the size, so its boundaries decide it),
 * then at random sizes of every magnitude, against the definition. */
static void every_size_maps_to_the_smallest_class_holding_it(void **state) {
    (void)state;
    for (int pow2 = 0; pow2 <= 1; pow2++) {
        for (uint32_t c = 0; c < bpi_class_count(pow2); c++) {
            uint64_t first = c ? bpi_class_size(pow2, c - 1) + 1u : 1u, last = bpi_class_size(pow2, c);
            assert_int_equal(bpi_class_of(pow2, first), c);
            assert_int_equal(bpi_class_of(pow2, last), c);
        }
        uint64_t x = 0x9E3779B97F4A7C15ull;
        for (int i = 0; i < 200000; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
            uint64_t size = (x >> (16 + x % 48)) % BPI_MAX_CLASS_SIZE + 1u;
            assert_int_equal(bpi_class_of(pow2, size), smallest_class_holding(pow2, size));
        }
    }
}

static void out_of_range_sizes_have_no_class(void **state) {
    (void)state;
    assert_int_equal(bp_class_size_for(BP_CLASSES_FINE, 0), 0);
    assert_int_equal(bp_class_size_for(BP_CLASSES_FINE, BPI_MAX_CLASS_SIZE + 1), 0);
    assert_int_equal(bp_class_size_for((bp_class_scheme)7, 100), 0);
    assert_int_equal(bp_class_size_for(BP_CLASSES_FINE, 129), 144);
    assert_int_equal(bp_class_size_for(BP_CLASSES_FINE, 16000), 16384);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fine_classes_hold_every_size_with_bounded_waste),
        cmocka_unit_test(pow2_classes_are_powers_of_two),
        cmocka_unit_test(every_size_maps_to_the_smallest_class_holding_it),
        cmocka_unit_test(out_of_range_sizes_have_no_class),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
