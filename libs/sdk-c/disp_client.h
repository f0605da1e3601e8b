/* disp_client: the C client of /svc/display (include/execrt/
 * display_proto.h, docs/display.md): connect, list outputs and modes, set
 * a mode, get the scanout buffers mapped, present damage, wait for a
 * frame. Synchronous; one connection per struct. Every call returns 0 or
 * a negative ERR_* (the driver's, or the kernel's: ERR_PEER_CLOSED when
 * the driver is gone: disp_close, then disp_open again). */
#pragma once
#include <stdint.h>

#include <execrt/display_proto.h>
#include <execrt/types.h>

struct disp_client {
	handle_t conn;		  /* the connection endpoint */
	uint32_t output;	  /* the output buffers/presents use (0) */
	struct disp_buffers geom; /* count 0: no buffers */
	uint8_t *buf[DISP_BUFFERS_MAX]; /* each buffer, mapped */
	uint64_t map[DISP_BUFFERS_MAX * DISP_CHUNKS_MAX]; /* each chunk */
	handle_t grant[DISP_BUFFERS_MAX * DISP_CHUNKS_MAX];
	uint32_t ngrants;
};

/* Looks /svc/display up (waiting until deadline) and connects. */
int disp_open(struct disp_client *c, uint64_t deadline);
void disp_close(struct disp_client *c);
/* Up to max outputs / modes; the count there is. */
int disp_outputs(struct disp_client *c, struct disp_output *out, uint32_t max);
int disp_modes(struct disp_client *c, uint32_t output, struct disp_mode *m,
	       uint32_t max);
/* Mode index (drops the buffers, which are then unmapped here). */
int disp_set_mode(struct disp_client *c, uint32_t mode);
/* count buffers (1 or 2) of the current mode, mapped at c->buf[i];
 * flags DISP_BUF_* (DISP_BUF_TAKE: from another owner). */
int disp_buffers(struct disp_client *c, uint32_t count);
int disp_buffers_ex(struct disp_client *c, uint32_t count, uint32_t flags);
void disp_unmap(struct disp_client *c);
/* Present buffer buf with n damage rectangles (0: all); flags
 * DISP_PRESENT_*; f (may be NULL) gets the answer. */
int disp_present(struct disp_client *c, uint32_t buf, const struct disp_rect *r,
		 uint32_t n, uint32_t flags, struct disp_frame *f);
/* Waits until frame `after` has passed (0: the next tick). */
int disp_wait_frame(struct disp_client *c, uint64_t after,
		    struct disp_frame *f);
