/* Debug guard bytes (bp_pool_desc.guard_bytes, VMA's corruption-detection margins): every
 * buffer is created `guard_bytes` larger, and for mapped memory the extra bytes after the
 * usable capacity hold a pattern, written at creation and checked at release and when the
 * buffer is destroyed (trimming, pool destruction). A damaged guard is reported with the
 * buffer's tag, then restored so that each overwrite is reported once. With guard_bytes 0
 * nothing here runs. */
#include <string.h>

#include "internal/pool.h"

#define BPI_GUARD_BYTE 0xB7u

void bpi_guard_fill(const bp_pool *pool, const bp_backend_buffer *native) {
    uint32_t g = pool->desc.guard_bytes;
    if (g && native->mapped) memset((uint8_t *)native->mapped + native->capacity - g, BPI_GUARD_BYTE, g);
}

bp_result bpi_guard_check(bp_pool *pool, const bpi_slot *s, const char *when) {
    uint32_t g = pool->desc.guard_bytes;
    if (!g || !s->native.mapped) return BP_OK;
    uint8_t *guard = (uint8_t *)s->native.mapped + s->native.capacity - g;
    uint32_t first = g, damaged = 0;
    for (uint32_t i = 0; i < g; i++) {
        if (guard[i] == BPI_GUARD_BYTE) continue;
        if (first == g) first = i;
        damaged++;
    }
    if (!damaged) return BP_OK;
    memset(guard, BPI_GUARD_BYTE, g);
    /* a pooled slot's tag is its last holder's, whose string may be gone: not read */
    const char *tag = s->state == BPI_POOLED ? "(pooled: released earlier)" : s->tag ? s->tag : "(untagged)";
    return bpi_fail(pool, BP_ERR_CORRUPTION, BP_LOG_ITEM_CORRUPTION,
                    "corruption: buffer '%s' (%llu bytes asked, capacity %llu, acquired at %s:%d) has %u of its %u "
                    "guard bytes overwritten, the first %u bytes past its capacity; found %s",
                    tag, (unsigned long long)s->size, (unsigned long long)bpi_usable_capacity(pool, s),
                    s->file ? s->file : "?", s->line, damaged, g, first, when);
}
