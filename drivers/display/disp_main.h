/* The platform half of a display driver (disp_main.c): the port and its
 * registration as /svc/display, the frame clock thread, the receive loop,
 * and the scanout buffers as grants. A driver (virtio-gpu, fbdisplay)
 * fills the device operations of struct disp_ops, adds its outputs to the
 * core and calls disp_run(). */
#pragma once
#include <execrt/sys.h>

#include "disp_core.h"

/* Notification bits of the driver's one notification: the port and the
 * frame clock here; a device's interrupts from DISP_BIT_DEV up. */
#define DISP_BIT_PORT 0
#define DISP_BIT_TICK 1
#define DISP_BIT_DEV  8

/* One output's buffers: each buffer's chunks mapped back to back in the
 * driver at va[i], each chunk a memory object and a grant over the
 * driver's mapping of it. */
struct disp_mem {
	uint8_t *va[DISP_BUFFERS_MAX];
	uint64_t size; /* bytes per buffer */
	uint32_t nvmo; /* count * nchunks */
	handle_t vmo[DISP_HANDLES_OUT];
	handle_t grant[DISP_HANDLES_OUT];
	uint64_t phys[DISP_HANDLES_OUT]; /* DMA chunks: physical bases */
	uint64_t chunk_len[DISP_HANDLES_OUT];
	uint64_t map[DISP_HANDLES_OUT]; /* where each chunk is mapped */
};

/* The driver's notification (made by disp_init). */
handle_t disp_notif(void);
/* Self task handle. */
handle_t disp_self(void);

/* Makes the buffers of geometry b: DMA chunks from dma_auth (physical
 * addresses in m->phys) or, with dma_auth 0, plain memory; fills the
 * client grants (duplicates without MANAGE). 0 or ERR_*. */
int disp_mem_alloc(handle_t dma_auth, const struct disp_buffers *b,
		   struct disp_mem *m, uint32_t *client);
/* Revokes the grants (every client mapping goes) and frees it all. */
void disp_mem_free(struct disp_mem *m);

/* The notification, before the device needs its bits. */
int disp_init(void);
/* Starts the frame clock with the core's period, registers /svc/display
 * and serves until a fatal error (returns its code). dev_ops: the
 * set_mode, buffers_new, buffers_free and present of the device; ctx:
 * theirs. */
int disp_run(struct disp_core *core, const struct disp_ops *dev_ops, void *ctx);
