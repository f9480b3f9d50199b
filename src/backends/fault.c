/* The fault-injecting backend wrapper: forwards every call to the wrapped backend, fails the
 * chosen ones before they reach it, and counts what the wrapped backend holds alive. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bufpool_fault.h"

struct bp_fault {
    bp_backend inner;
    bp_fault_desc desc;
    bp_fault_stats stats;
    uint64_t rng;
};

static void arm(bp_fault *f, const bp_fault_desc *desc) {
    f->desc = desc ? *desc : (bp_fault_desc){0};
    if (!f->desc.ops) f->desc.ops = BP_FAULT_CREATE;
    if (f->desc.error == BP_OK) f->desc.error = BP_ERR_OUT_OF_MEMORY;
    f->rng = f->desc.seed ? f->desc.seed : 0x9E3779B97F4A7C15ull;
    f->stats.calls = 0;
    f->stats.injected = 0;
}

/* NULL (never fail) or a probability in [0, 1]; NaN fails every comparison, so it is refused too. */
static bool valid_desc(const bp_fault_desc *desc) {
    return !desc || (desc->probability >= 0 && desc->probability <= 1);
}

static double next_unit(bp_fault *f) { /* xorshift64*, top 53 bits as [0, 1) */
    uint64_t x = f->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    f->rng = x;
    return (double)((x * 0x2545F4914F6CDD1Dull) >> 11) * 0x1.0p-53;
}

/* Count a call of kind `op`; true when it must fail. */
static bool should_fail(bp_fault *f, uint32_t op) {
    f->stats.all_calls++;
    if (!(f->desc.ops & op)) return false;
    uint64_t k = ++f->stats.calls;
    bool fail = (f->desc.fail_at && k == f->desc.fail_at) || (f->desc.fail_every && k % f->desc.fail_every == 0) ||
                (f->desc.probability > 0 && next_unit(f) < f->desc.probability);
    if (fail) f->stats.injected++;
    return fail;
}

static bp_result fault_create(void *user, const bp_backend_create_desc *d, bp_backend_buffer *out) {
    bp_fault *f = user;
    if (should_fail(f, BP_FAULT_CREATE)) return f->desc.error;
    bp_result r = f->inner.create(f->inner.user, d, out);
    if (r != BP_OK) return r;
    f->stats.creates++;
    f->stats.live_buffers++;
    f->stats.live_bytes += out->capacity ? out->capacity : d->size;
    return BP_OK;
}

static void fault_destroy(void *user, const bp_backend_buffer *buf) {
    bp_fault *f = user;
    f->stats.destroys++;
    f->stats.live_buffers--;
    f->stats.live_bytes -= buf->capacity;
    f->inner.destroy(f->inner.user, buf);
}

static bp_result fault_caps(void *user, bp_backend_caps *out) {
    bp_fault *f = user;
    if (should_fail(f, BP_FAULT_QUERY_CAPS)) return f->desc.error;
    return f->inner.query_caps ? f->inner.query_caps(f->inner.user, out) : BP_ERR_UNSUPPORTED;
}

static bp_result fault_flush(void *user, const bp_backend_buffer *buf, uint64_t offset, uint64_t size) {
    bp_fault *f = user;
    if (should_fail(f, BP_FAULT_FLUSH)) return f->desc.error;
    return f->inner.flush ? f->inner.flush(f->inner.user, buf, offset, size) : BP_OK;
}

static bp_result fault_invalidate(void *user, const bp_backend_buffer *buf, uint64_t offset, uint64_t size) {
    bp_fault *f = user;
    if (should_fail(f, BP_FAULT_INVALIDATE)) return f->desc.error;
    return f->inner.invalidate ? f->inner.invalidate(f->inner.user, buf, offset, size) : BP_OK;
}

static bp_result fault_upload(void *user, const bp_backend_buffer *dst, uint64_t offset, const void *data,
                              uint64_t size) {
    bp_fault *f = user;
    if (should_fail(f, BP_FAULT_UPLOAD)) return f->desc.error;
    return f->inner.upload(f->inner.user, dst, offset, data, size);
}

static bp_result fault_download(void *user, const bp_backend_buffer *src, uint64_t offset, void *data,
                                uint64_t size) {
    bp_fault *f = user;
    if (should_fail(f, BP_FAULT_DOWNLOAD)) return f->desc.error;
    return f->inner.download(f->inner.user, src, offset, data, size);
}

static bp_result fault_copy(void *user, const bp_backend_buffer *src, uint64_t src_offset,
                            const bp_backend_buffer *dst, uint64_t dst_offset, uint64_t size) {
    bp_fault *f = user;
    if (should_fail(f, BP_FAULT_COPY)) return f->desc.error;
    return f->inner.copy(f->inner.user, src, src_offset, dst, dst_offset, size);
}

static bp_result fault_budget(void *user, bp_backend_budget *out) {
    bp_fault *f = user;
    if (should_fail(f, BP_FAULT_QUERY_BUDGET)) return f->desc.error;
    return f->inner.query_budget(f->inner.user, out);
}

static void fault_frame_begin(void *user, uint64_t frame) {
    bp_fault *f = user;
    f->inner.frame_begin(f->inner.user, frame);
}

static void fault_frame_end(void *user, uint64_t frame) {
    bp_fault *f = user;
    f->inner.frame_end(f->inner.user, frame);
}

static int fault_frame_complete(void *user, uint64_t frame) {
    bp_fault *f = user;
    return f->inner.frame_complete(f->inner.user, frame);
}

static void fault_trim(void *user) {
    bp_fault *f = user;
    f->inner.trim(f->inner.user);
}

static void fault_release(void *user) {
    bp_fault *f = user;
    if (f->stats.released) return;
    f->stats.released = 1;
    if (f->inner.release) f->inner.release(f->inner.user);
}

bp_result bp_fault_create(const bp_backend *inner, const bp_fault_desc *desc, bp_fault **out) {
    if (!out) return BP_ERR_INVALID_ARGUMENT;
    *out = NULL;
    if (!inner || inner->version != BP_BACKEND_VERSION || inner->struct_size < sizeof(bp_backend) ||
        !inner->create || !inner->destroy)
        return BP_ERR_INVALID_ARGUMENT;
    if (!valid_desc(desc)) return BP_ERR_INVALID_ARGUMENT;
    bp_fault *f = calloc(1, sizeof *f);
    if (!f) return BP_ERR_OUT_OF_MEMORY;
    f->inner = *inner;
    arm(f, desc);
    *out = f;
    return BP_OK;
}

void bp_fault_backend(bp_fault *f, bp_backend *out) {
    if (!out) return;
    if (!f) { /* a zeroed table, which every pool refuses, rather than what `out` held */
        memset(out, 0, sizeof *out);
        return;
    }
    bp_backend_init(out, f->inner.name ? f->inner.name : "fault", f);
    out->create = fault_create;
    out->destroy = fault_destroy;
    out->query_caps = fault_caps;
    out->flush = fault_flush;
    out->invalidate = fault_invalidate;
    out->upload = f->inner.upload ? fault_upload : NULL;
    out->download = f->inner.download ? fault_download : NULL;
    out->copy = f->inner.copy ? fault_copy : NULL;
    out->query_budget = f->inner.query_budget ? fault_budget : NULL;
    out->frame_begin = f->inner.frame_begin ? fault_frame_begin : NULL;
    out->frame_end = f->inner.frame_end ? fault_frame_end : NULL;
    out->frame_complete = f->inner.frame_complete ? fault_frame_complete : NULL;
    out->trim = f->inner.trim ? fault_trim : NULL;
    out->release = fault_release;
}

bp_result bp_fault_arm(bp_fault *f, const bp_fault_desc *desc) {
    /* checked as bp_fault_create does; a refused arming keeps the previous one */
    if (!f || !valid_desc(desc)) return BP_ERR_INVALID_ARGUMENT;
    arm(f, desc);
    return BP_OK;
}

void bp_fault_get_stats(const bp_fault *f, bp_fault_stats *out) {
    if (!out) return;
    if (!f) memset(out, 0, sizeof *out);
    else *out = f->stats;
}

void bp_fault_destroy(bp_fault *f) {
    if (!f) return;
    fault_release(f);
    free(f);
}
