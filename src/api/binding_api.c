/* Binding tables (seed 003's ResourceBinder): name -> buffer, and a sync that reports exactly
 * the bindings whose buffer, native buffer or native generation changed since the last one,
 * so an application rewrites only those descriptors. Fixed capacity, allocated once. */
#include <string.h>

#include "internal/pool.h"

typedef struct binding {
    char name[BP_BINDING_NAME_MAX + 1]; /* "" = free entry */
    bp_buffer buffer;
    bool synced;                         /* the fields below describe the last sync */
    bp_buffer synced_buffer;
    uint64_t synced_native;
    uint32_t synced_generation;
} binding;

struct bp_binding_table {
    bp_pool *pool;
    uint32_t capacity;
    binding entries[];
};

bp_result bp_binding_table_create(bp_pool *pool, uint32_t capacity, bp_binding_table **out) {
    if (out) *out = NULL;
    if (!pool || !out || !capacity || capacity > 65536) return BP_ERR_INVALID_ARGUMENT;
    size_t bytes = sizeof(bp_binding_table) + (size_t)capacity * sizeof(binding);
    bpi_lock(pool);
    bp_binding_table *t = bpi_alloc(pool, bytes);
    bpi_unlock(pool);
    if (!t) return BP_ERR_OUT_OF_MEMORY;
    memset(t, 0, bytes);
    t->pool = pool;
    t->capacity = capacity;
    *out = t;
    return BP_OK;
}

void bp_binding_table_destroy(bp_binding_table *t) {
    if (!t) return;
    bp_pool *pool = t->pool;
    bpi_lock(pool);
    bpi_free(pool, t);
    bpi_unlock(pool);
}

static bool name_ok(const char *name) { return name && name[0] && strlen(name) <= BP_BINDING_NAME_MAX; }

static binding *find(bp_binding_table *t, const char *name) {
    for (uint32_t i = 0; i < t->capacity; i++)
        if (t->entries[i].name[0] && !strcmp(t->entries[i].name, name)) return &t->entries[i];
    return NULL;
}

bp_result bp_binding_set(bp_binding_table *t, const char *name, bp_buffer buf) {
    if (!t || !name_ok(name)) return BP_ERR_INVALID_ARGUMENT;
    bp_pool *pool = t->pool;
    bpi_lock(pool);
    bpi_slot *s;
    bp_result r = bpi_lookup_held(pool, buf, &s);
    binding *b = r == BP_OK ? find(t, name) : NULL;
    for (uint32_t i = 0; r == BP_OK && !b && i < t->capacity; i++) {
        if (t->entries[i].name[0]) continue;
        b = &t->entries[i];
        memset(b, 0, sizeof *b);
        strcpy(b->name, name);
    }
    if (r == BP_OK && !b)
        r = bpi_fail(pool, BP_ERR_CAPACITY, BP_LOG_ITEM_CAPACITY, "binding table full (%u bindings)", t->capacity);
    if (r == BP_OK) b->buffer = buf;
    bpi_unlock(pool);
    return r;
}

bp_result bp_binding_get(bp_binding_table *t, const char *name, bp_buffer *out_buf) {
    if (out_buf) out_buf->id = 0;
    if (!t || !name_ok(name) || !out_buf) return BP_ERR_INVALID_ARGUMENT;
    bpi_lock(t->pool);
    binding *b = find(t, name);
    if (b) *out_buf = b->buffer;
    bpi_unlock(t->pool);
    return b ? BP_OK : BP_ERR_NOT_FOUND;
}

bp_result bp_binding_remove(bp_binding_table *t, const char *name) {
    if (!t || !name_ok(name)) return BP_ERR_INVALID_ARGUMENT;
    bpi_lock(t->pool);
    binding *b = find(t, name);
    if (b) memset(b, 0, sizeof *b);
    bpi_unlock(t->pool);
    return b ? BP_OK : BP_ERR_NOT_FOUND;
}

/* What a binding is now, and whether (and why) it differs from its last sync. */
static bp_binding_change_kind changed(bp_pool *pool, const binding *b, bp_binding_change *now) {
    /* a released buffer is a change to report, not an error to log: the quiet check */
    const bpi_slot *s = bpi_held_fast(pool, b->buffer);
    bool held = s != NULL;
    now->buffer = b->buffer;
    now->native = held ? s->native.native : 0;
    now->native_generation = held ? s->native_generation : 0;
    if (!b->synced) return BP_BINDING_ADDED;
    if (b->synced_buffer.id != b->buffer.id) return BP_BINDING_BUFFER_CHANGED;
    if (!held) return b->synced_native ? BP_BINDING_RELEASED : 0;
    if (b->synced_native != now->native || b->synced_generation != now->native_generation)
        return BP_BINDING_NATIVE_REPLACED;
    return 0;
}

bp_result bp_binding_table_sync(bp_binding_table *t, bp_binding_change *out, uint32_t capacity,
                                uint32_t *out_count) {
    if (out_count) *out_count = 0;
    if (!t || !out_count || (capacity && !out)) return BP_ERR_INVALID_ARGUMENT;
    bp_pool *pool = t->pool;
    bpi_lock(pool);
    uint32_t n = 0;
    bp_binding_change now;
    for (uint32_t i = 0; i < t->capacity; i++)
        if (t->entries[i].name[0] && changed(pool, &t->entries[i], &now)) n++;
    *out_count = n;
    bp_result r = n > capacity ? BP_ERR_BUFFER_TOO_SMALL : BP_OK;
    for (uint32_t i = 0, k = 0; r == BP_OK && i < t->capacity; i++) {
        binding *b = &t->entries[i];
        if (!b->name[0]) continue;
        bp_binding_change_kind kind = changed(pool, b, &now);
        if (!kind) continue;
        now.name = b->name;
        now.index = i;
        now.kind = kind;
        out[k++] = now;
        b->synced = true;
        b->synced_buffer = b->buffer;
        b->synced_native = now.native;
        b->synced_generation = now.native_generation;
    }
    bpi_unlock(pool);
    return r;
}
