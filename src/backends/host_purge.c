/* Pages of host blocks given back to the kernel (see host_purge.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backends/host_purge.h"

#if defined(__linux__) && defined(MADV_DONTNEED)
/* Linux frees a private anonymous page at MADV_DONTNEED and maps a zeroed one at its next
 * touch; other systems may keep the page, so nothing is counted as given back there. */
#define PURGE_SUPPORTED 1
#else
#define PURGE_SUPPORTED 0
#endif

bool bpi_purge_supported(void) { return PURGE_SUPPORTED; }

uint64_t bpi_purge_page_size(void) {
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? (uint64_t)p : 4096u;
}

void *bpi_pages_map(uint64_t size) {
#if PURGE_SUPPORTED
    void *p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
#else
    (void)size;
    return NULL;
#endif
}

void bpi_pages_unmap(void *p, uint64_t size) {
#if PURGE_SUPPORTED
    munmap(p, (size_t)size);
#else
    (void)p, (void)size;
#endif
}

/* Set (or clear) the bits of pages [i, j); the count that changed. */
static uint64_t mark(bpi_purge_map *m, uint64_t i, uint64_t j, bool set) {
    uint64_t changed = 0;
    while (i < j) {
        uint64_t end = (i & ~63ull) + 64u < j ? (i & ~63ull) + 64u : j;
        uint64_t span = end - i, mask = (span == 64u ? ~0ull : ((1ull << span) - 1u)) << (i % 64u);
        uint64_t *w = &m->bits[i / 64u];
        changed += (uint64_t)__builtin_popcountll(set ? mask & ~*w : mask & *w);
        *w = set ? *w | mask : *w & ~mask;
        i = end;
    }
    return changed;
}

bool bpi_purge_map_init(bpi_purge_map *m, void *base, uint64_t size, bool fresh) {
    memset(m, 0, sizeof *m);
    uint64_t page = bpi_purge_page_size();
    while ((1ull << m->page_shift) < page) m->page_shift++;
    uintptr_t start = (uintptr_t)base, end = start + (uintptr_t)size;
    m->first = (start + (uintptr_t)page - 1u) & ~((uintptr_t)page - 1u);
    m->pages = end > m->first ? (uint64_t)(end - m->first) >> m->page_shift : 0;
    m->bits = calloc(m->pages / 64u + 1u, sizeof *m->bits);
    if (!m->bits) return false;
    if (fresh) m->purged_pages = mark(m, 0, m->pages, true);
    return true;
}

void bpi_purge_map_release(bpi_purge_map *m) {
    free(m->bits);
    m->bits = NULL;
}

/* The first page in [i, hi) whose bit is `set`, or hi: a word of 64 pages a step. */
static uint64_t next_page(const bpi_purge_map *m, uint64_t i, uint64_t hi, bool set) {
    while (i < hi) {
        uint64_t w = m->bits[i / 64u] ^ (set ? 0u : ~0ull);
        w &= ~0ull << (i % 64u);
        if (w) {
            uint64_t found = (i & ~63ull) + (uint64_t)__builtin_ctzll(w);
            return found < hi ? found : hi;
        }
        i = (i & ~63ull) + 64u;
    }
    return hi;
}

uint64_t bpi_purge_range(bpi_purge_map *m, uintptr_t addr, uint64_t size, uint64_t *calls) {
    if (!PURGE_SUPPORTED || addr + size <= m->first) return 0;
    uint64_t page = 1ull << m->page_shift;
    uint64_t lo = addr > m->first ? (addr - m->first + page - 1u) >> m->page_shift : 0; /* whole pages only */
    uint64_t hi = (addr + size - m->first) >> m->page_shift;
    if (hi > m->pages) hi = m->pages;
    uint64_t given = 0;
    for (uint64_t i = next_page(m, lo, hi, false); i < hi; i = next_page(m, i, hi, false)) {
        uint64_t j = next_page(m, i, hi, true); /* a run of held pages: one call */
        ++*calls;
        if (madvise((void *)(m->first + (uintptr_t)(i << m->page_shift)), (size_t)((j - i) << m->page_shift),
                    MADV_DONTNEED) == 0) {
            m->purged_pages += mark(m, i, j, true);
            given += (j - i) << m->page_shift;
        }
        i = j;
    }
    return given;
}

void bpi_pages_populate(void *p, uint64_t size) {
    if (!size) return;
    uintptr_t page = (uintptr_t)bpi_purge_page_size(), start = (uintptr_t)p & ~(page - 1u);
#if PURGE_SUPPORTED && defined(MADV_POPULATE_WRITE)
    /* the whole pages the span touches: populating changes no byte, so the ends may be shared.
     * Only a kernel that does not know the advice (EINVAL) gets the writes: out of memory
     * (ENOMEM) or a signal, the pages fault in at their first writes, as without the option. */
    if (madvise((void *)start, (size_t)((uintptr_t)p + (uintptr_t)size - start), MADV_POPULATE_WRITE) == 0 ||
        errno != EINVAL)
        return;
#endif
    volatile char *c = p; /* the first byte of each page inside the span */
    for (uintptr_t a = (uintptr_t)p; a < (uintptr_t)p + (uintptr_t)size; a = (a & ~(page - 1u)) + page)
        c[a - (uintptr_t)p] = 0;
}

uint64_t bpi_purge_unmark(bpi_purge_map *m, uintptr_t addr, uint64_t size, bool populate) {
    if (!m->purged_pages || addr + size <= m->first) return 0;
    uint64_t lo = addr > m->first ? (addr - m->first) >> m->page_shift : 0;
    uint64_t hi = (addr + size - m->first + (1ull << m->page_shift) - 1u) >> m->page_shift; /* every page touched */
    if (hi > m->pages) hi = m->pages;
    /* runs of pages with no memory: no buffer's bytes are there, so the fallback may write */
    if (populate)
        for (uint64_t i = next_page(m, lo, hi, true), j; i < hi; i = next_page(m, j, hi, true)) {
            j = next_page(m, i, hi, false);
            bpi_pages_populate((void *)(m->first + (uintptr_t)(i << m->page_shift)), (j - i) << m->page_shift);
        }
    uint64_t taken = lo < hi ? mark(m, lo, hi, false) : 0;
    m->purged_pages -= taken;
    return taken << m->page_shift;
}
