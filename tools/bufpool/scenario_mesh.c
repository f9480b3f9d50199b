/* Seed 002's workload: a mesh-fitting loop. Every iteration (one frame) takes displacement,
 * position and normal arrays inside a scope, copies the source positions (copyFloat32Array),
 * and every tenth iteration skin indices and weights; the scope returns them all. The mesh
 * size varies between 10,000 and 14,000 vertices, as meshes in a batch do. */
#include <string.h>

#include "tool.h"

typedef struct mesh_ctx {
    uint64_t rng;
    bp_buffer source; /* the mesh being fitted, held for the whole run */
} mesh_ctx;

static bp_result fit_iteration(bp_pool *pool, uint64_t frame, void *user) {
    mesh_ctx *c = user;
    uint64_t vertices = 10000 + tool_rand(&c->rng) % 4001;
    bp_scope scope;
    bp_result r = bp_scope_begin(pool, &scope);
    bp_buffer d, p, n, original;
    float *disp, *pos, *nrm;
    if (r == BP_OK) r = bp_acquire_displacements(pool, vertices, &d, &disp);
    if (r == BP_OK) r = bp_acquire_positions(pool, vertices, &p, &pos);
    if (r == BP_OK) r = bp_acquire_normals(pool, vertices, &n, &nrm);
    if (r == BP_OK) r = bp_duplicate(pool, c->source, 0, &original);
    if (r == BP_OK && frame % 10 == 0) {
        bp_skin_arrays skin;
        r = bp_acquire_skin(pool, vertices, &skin);
    }
    if (r == BP_OK && disp && pos && nrm) { /* touch the data the way the fitting would */
        disp[0] = 0.01f;
        pos[3 * vertices - 1] = (float)frame;
        nrm[0] = 1.0f;
    }
    bp_result end = scope.id ? bp_scope_end(pool, scope, NULL) : BP_OK;
    return r != BP_OK ? r : end;
}

int scenario_mesh(bp_pool *pool, const tool_opts *o, run_report *r) {
    mesh_ctx c = {.rng = o->seed ? o->seed : 0x3E54};
    r->workload = "mesh";
    float *src;
    if (bp_acquire_positions(pool, 12000, &c.source, &src) != BP_OK) return 1;
    if (src) memset(src, 0, 12000 * 3 * sizeof *src);
    int rc = tool_run_frames(pool, r, o->frames ? o->frames : 1000, fit_iteration, &c);
    bp_release(pool, c.source);
    return rc;
}
