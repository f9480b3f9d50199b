/* Read a whole trace in the tool's format (README "Trace format") into an event list:
 *   A <id> <bytes>   R <id>   F   # comment
 * Trace ids are mapped to dense slots through a small open-addressing table. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

typedef struct id_table {
    uint64_t *ids;     /* id + 1 (0 = empty, 1 = deleted) */
    uint32_t *slot_of;
    uint32_t cap, used;
    uint32_t *free_slots, free_n, free_cap;
} id_table;

static uint32_t home(const id_table *t, uint64_t id) {
    return (uint32_t)((id * 0x9E3779B97F4A7C15ull) >> 32) & (t->cap - 1);
}

static uint32_t *lookup(id_table *t, uint64_t id) {
    for (uint32_t i = home(t, id);; i = (i + 1) & (t->cap - 1)) {
        if (t->ids[i] == 0) return NULL;
        if (t->ids[i] == id + 2) return &t->slot_of[i];
    }
}

static bool rehash(id_table *t, uint32_t cap) {
    id_table n = {calloc(cap, sizeof *n.ids), calloc(cap, sizeof *n.slot_of), cap, 0, 0, 0, 0};
    if (!n.ids || !n.slot_of) return false;
    for (uint32_t i = 0; i < t->cap; i++) {
        if (t->ids[i] < 2) continue;
        uint32_t j = home(&n, t->ids[i] - 2);
        while (n.ids[j]) j = (j + 1) & (cap - 1);
        n.ids[j] = t->ids[i];
        n.slot_of[j] = t->slot_of[i];
        n.used++;
    }
    free(t->ids);
    free(t->slot_of);
    t->ids = n.ids;
    t->slot_of = n.slot_of;
    t->cap = cap;
    t->used = n.used;
    return true;
}

/* Insert a live id (deleted entries count as used until the next rehash, which drops them
 * and doubles the table only when live ids fill more than a quarter of it). */
static bool insert(id_table *t, uint64_t id, uint32_t slot, uint32_t live) {
    if ((t->used + 1) * 2 > t->cap && !rehash(t, (live + 1) * 4 > t->cap ? t->cap * 2 : t->cap)) return false;
    uint32_t i = home(t, id);
    while (t->ids[i] >= 2) i = (i + 1) & (t->cap - 1);
    if (t->ids[i] == 0) t->used++;
    t->ids[i] = id + 2;
    t->slot_of[i] = slot;
    return true;
}

static bool parse_event(event_list *l, id_table *t, const char *p, const char **why) {
    uint64_t id, bytes;
    int used = 0;
    while (*p == ' ' || *p == '\t') p++;
    if (*p == '#' || *p == '\n' || *p == '\r' || *p == 0) return true;
    if (*p == 'F' && sscanf(p, "F %n", &used) >= 0 && used && p[used] == 0) return events_push(l, EV_FRAME, 0, 0);
    if (*p == 'A' && sscanf(p, "A %" SCNu64 " %" SCNu64 " %n", &id, &bytes, &used) == 2 && used && !p[used]) {
        if (bytes == 0 || id > UINT64_MAX - 2 || lookup(t, id)) return *why = "bad or live id, or size 0", false;
        if (!t->free_n && l->slots + 1 > t->free_cap) { /* room for every slot to be free at once */
            uint32_t cap = t->free_cap ? t->free_cap * 2 : 1024;
            uint32_t *f = realloc(t->free_slots, cap * sizeof *f);
            if (!f) return *why = "out of memory", false;
            t->free_slots = f;
            t->free_cap = cap;
        }
        uint32_t live = l->slots - t->free_n;
        uint32_t slot = t->free_n ? t->free_slots[--t->free_n] : l->slots;
        return (insert(t, id, slot, live) && events_push(l, EV_ACQUIRE, slot, bytes)) || (*why = "too large", false);
    }
    if (*p == 'R' && sscanf(p, "R %" SCNu64 " %n", &id, &used) == 1 && used && !p[used]) {
        uint32_t *s = id > UINT64_MAX - 2 ? NULL : lookup(t, id);
        if (!s) return *why = "release of an unknown id", false;
        uint32_t slot = *s;
        t->ids[s - t->slot_of] = 1;
        t->free_slots[t->free_n++] = slot;
        return events_push(l, EV_RELEASE, slot, 0);
    }
    return *why = "malformed line", false;
}

bool workload_trace(event_list *l, const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return false;
    }
    id_table t = {calloc(1024, sizeof(uint64_t)), calloc(1024, sizeof(uint32_t)), 1024, 0, 0, 0, 0};
    char line[512];
    uint64_t n = 0;
    bool ok = t.ids && t.slot_of;
    const char *why = "out of memory";
    while (ok && fgets(line, sizeof line, f)) {
        n++;
        ok = parse_event(l, &t, line, &why);
    }
    if (!ok) fprintf(stderr, "bufpool_bench: %s:%" PRIu64 ": %s\n", path, n, why);
    /* buffers still live at the end are released by the replay, untimed */
    fclose(f);
    free(t.ids);
    free(t.slot_of);
    free(t.free_slots);
    const char *base = strrchr(path, '/');
    snprintf(l->name_buf, sizeof l->name_buf, "trace %s", base ? base + 1 : path);
    l->name = l->name_buf;
    snprintf(l->description, sizeof l->description, "replay of %s (%" PRIu64 " acquires)", base ? base + 1 : path,
             l->acquires);
    return ok;
}
