/* Size classes: O(1) mapping of a byte size to a class index and back, no loops.
 * Placement layer: pure arithmetic on sizes, never calls a backend. */
#ifndef BPI_SIZE_CLASS_H
#define BPI_SIZE_CLASS_H

#include <stdint.h>

/* Largest request any scheme accepts: 2^48 bytes (256 TiB). */
#define BPI_MAX_CLASS_SIZE (1ull << 48)
/* Fine: 8 linear classes of 16 B up to 128 B, then 8 per power of two up to 2^48. */
#define BPI_FINE_CLASSES (8u + 41u * 8u)
/* Pow2: 16 B, 32 B, ... 2^48. */
#define BPI_POW2_CLASSES 45u
#define BPI_MAX_CLASSES BPI_FINE_CLASSES

static inline int bpi_log2_floor(uint64_t v) { return 63 - __builtin_clzll(v); }

/* Class index of a size (1 <= size <= BPI_MAX_CLASS_SIZE). */
static inline uint32_t bpi_fine_class(uint64_t size) {
    if (size <= 128) return (uint32_t)((size + 15) >> 4) - 1u;
    uint64_t v = size - 1;
    int e = bpi_log2_floor(v); /* >= 7 */
    uint32_t m = (uint32_t)(v >> (e - 3)) & 7u;
    return 8u + (uint32_t)(e - 7) * 8u + m;
}

static inline uint64_t bpi_fine_class_size(uint32_t index) {
    if (index < 8) return (uint64_t)(index + 1) * 16u;
    uint32_t e = 7u + (index - 8u) / 8u, m = (index - 8u) % 8u;
    return (uint64_t)(9u + m) << (e - 3u);
}

static inline uint32_t bpi_pow2_class(uint64_t size) {
    if (size <= 16) return 0;
    return (uint32_t)bpi_log2_floor(size - 1) + 1u - 4u;
}

static inline uint64_t bpi_pow2_class_size(uint32_t index) { return 1ull << (index + 4u); }

static inline uint32_t bpi_class_of(int pow2, uint64_t size) {
    return pow2 ? bpi_pow2_class(size) : bpi_fine_class(size);
}

static inline uint64_t bpi_class_size(int pow2, uint32_t index) {
    return pow2 ? bpi_pow2_class_size(index) : bpi_fine_class_size(index);
}

static inline uint32_t bpi_class_count(int pow2) { return pow2 ? BPI_POW2_CLASSES : BPI_FINE_CLASSES; }

#endif
