/* PNG = signature + IHDR + IDAT (zlib: header, stored deflate blocks of at most 65535 bytes,
 * Adler-32) + IEND; every chunk carries a CRC-32 of its type and data. */
#include "png_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t crc_table[256];

static void crc_init(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
}

static uint32_t crc_update(uint32_t crc, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) crc = crc_table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return crc;
}

static void put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static int chunk(FILE *f, const char *type, const uint8_t *data, uint32_t len) {
    uint8_t head[8];
    put32(head, len);
    memcpy(head + 4, type, 4);
    uint32_t crc = crc_update(0xFFFFFFFFu, head + 4, 4);
    crc = crc_update(crc, data, len) ^ 0xFFFFFFFFu;
    uint8_t tail[4];
    put32(tail, crc);
    return fwrite(head, 1, 8, f) == 8 && fwrite(data, 1, len, f) == len && fwrite(tail, 1, 4, f) == 4 ? 0 : -1;
}

int png_write_rgba(const char *path, const uint8_t *rgba, uint32_t width, uint32_t height) {
    crc_init();
    size_t row = (size_t)width * 4 + 1; /* filter byte 0 (none) + pixels */
    size_t raw_len = row * height;
    size_t blocks = (raw_len + 65534) / 65535;
    size_t z_len = 2 + raw_len + blocks * 5 + 4;
    uint8_t *raw = malloc(raw_len), *z = malloc(z_len);
    if (!raw || !z || z_len > 0xFFFFFFFFu) {
        free(raw);
        free(z);
        return -1;
    }
    for (uint32_t y = 0; y < height; y++) {
        raw[y * row] = 0;
        memcpy(raw + y * row + 1, rgba + (size_t)y * width * 4, (size_t)width * 4);
    }
    size_t o = 0;
    z[o++] = 0x78; /* deflate, 32K window */
    z[o++] = 0x01; /* (0x78 << 8 | 0x01) % 31 == 0 */
    uint32_t a = 1, b = 0;
    for (size_t done = 0; done < raw_len;) {
        size_t n = raw_len - done < 65535 ? raw_len - done : 65535;
        z[o++] = done + n == raw_len ? 1 : 0; /* BFINAL, BTYPE 00 = stored */
        z[o++] = (uint8_t)n;
        z[o++] = (uint8_t)(n >> 8);
        z[o++] = (uint8_t)~n;
        z[o++] = (uint8_t)(~n >> 8);
        memcpy(z + o, raw + done, n);
        for (size_t i = 0; i < n; i++) {
            a = (a + raw[done + i]) % 65521;
            b = (b + a) % 65521;
        }
        o += n;
        done += n;
    }
    put32(z + o, (b << 16) | a);
    o += 4;
    uint8_t ihdr[13];
    put32(ihdr, width);
    put32(ihdr + 4, height);
    ihdr[8] = 8;  /* bit depth */
    ihdr[9] = 6;  /* RGBA */
    ihdr[10] = 0; /* deflate */
    ihdr[11] = 0; /* adaptive filtering */
    ihdr[12] = 0; /* no interlace */
    static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    FILE *f = fopen(path, "wb");
    int rc = f ? 0 : -1;
    if (!rc && fwrite(signature, 1, 8, f) != 8) rc = -1;
    if (!rc) rc = chunk(f, "IHDR", ihdr, 13);
    if (!rc) rc = chunk(f, "IDAT", z, (uint32_t)o);
    static const uint8_t none[1] = {0};
    if (!rc) rc = chunk(f, "IEND", none, 0);
    if (f && fclose(f) != 0) rc = -1;
    free(raw);
    free(z);
    return rc;
}
