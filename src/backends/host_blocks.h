/* The host backend's block mode (host_blocks.c), chosen by bp_host_backend for a nonzero
 * `block_size`. */
#ifndef BPI_HOST_BLOCKS_H
#define BPI_HOST_BLOCKS_H

#include "bufpool_backend.h"

/* Fill `out` with the block-mode table over the resolved desc `d` (alignment, limit and
 * allocator set; `libc`: the allocator is libc's, not the application's);
 * BP_ERR_INVALID_ARGUMENT for a bad block_size. */
bp_result bpi_host_blocks_backend(const bp_host_backend_desc *d, bool libc, bp_backend *out);

/* host.c, shared with block mode: a host buffer `p` of `size` bytes for request `d` into
 * `out`; the caps of the state `user`, whose first member is the resolved desc. */
void bpi_host_buffer_out(const bp_backend_create_desc *d, void *p, uint64_t size, bp_backend_buffer *out);
bp_result bpi_host_caps(void *user, bp_backend_caps *out);

#endif
