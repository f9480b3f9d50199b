/* A small PNG writer for the examples: 8-bit RGBA, zlib stream of stored (uncompressed)
 * deflate blocks, so it needs no compression library. */
#ifndef BP_EXAMPLE_PNG_WRITE_H
#define BP_EXAMPLE_PNG_WRITE_H

#include <stdint.h>

/* Write `rgba` (width x height pixels, rows top to bottom) to `path`. 0 on success, -1 on error. */
int png_write_rgba(const char *path, const uint8_t *rgba, uint32_t width, uint32_t height);

#endif
