/* cl_blitter: the client of /svc/blitterd (PHASE0-PROTOCOL.md sections 4
 * and 6, docs/graphics.md "blitterd"). A surface (cl_surface_desc) is a
 * grant: each request attaches a duplicate of it, unless the surface was
 * bound once with cl_blit_bind (then only its id travels). Requests are
 * synchronous: the pixels are written when the answer comes; its job id
 * is in cl_blit_last_job(). Results: CL_OK or a negative CL_ERR_*. */
#pragma once
#include "cl_gfx.h"
#include "cl_ports.h"

#define CL_BLIT_PATH "/svc/blitterd"

struct cl_blit {
	struct cl_gfx_conn g;
};
typedef struct cl_blit cl_blit;

cl_err_t cl_blit_open(const char *path, uint64_t deadline, cl_blit **out);
/* NULL path: CL_BLIT_PATH; waits up to 5 s; NULL on failure. */
cl_blit *cl_blit_connect(const char *path);
cl_err_t cl_blit_reconnect(cl_blit *b, uint64_t deadline);
void cl_blit_close(cl_blit *b);
const struct cl_resp *cl_blit_last(const cl_blit *b);
cl_err_t cl_blit_request(cl_blit *b, const char *json);
/* result.job of the last answer (0: none). */
uint32_t cl_blit_last_job(const cl_blit *b);

/* A new w x h surface (stride w*4) in a shared buffer from vmgr, mapped
 * read-write here (s->addr). Freed with cl_surface_free. */
cl_err_t cl_surface_alloc(cl_surface_desc *s, uint32_t w, uint32_t h,
			  const char *format);
void cl_surface_free(cl_surface_desc *s);
/* The kernel's or vmgr's error code (ERR_*) behind the last failed
 * cl_surface_alloc, for messages. */
long cl_surface_last_error(void);
/* A duplicate of s->grant (to move into a request). */
cl_err_t cl_surface_dup(const cl_surface_desc *s, handle_t *out);

/* surface_bind: s->surface = blitterd's id (only if it was 0). */
cl_err_t cl_blit_bind(cl_blit *b, cl_surface_desc *s);
cl_err_t cl_blit_rect_fill(cl_blit *b, const cl_surface_desc *dst,
			   const cl_rect *rect, const cl_color *color);
cl_err_t cl_blit_rect_copy(cl_blit *b, const cl_surface_desc *src,
			   const cl_surface_desc *dst, const cl_rect *src_rect,
			   int32_t dst_x, int32_t dst_y);
cl_err_t cl_blit_convert(cl_blit *b, const cl_surface_desc *src,
			 const cl_surface_desc *dst);
/* n rect_fills into a bound surface (cl_blit_bind): one batch job per
 * CL_GFX_BATCH_FILL_MAX of them. */
cl_err_t cl_blit_batch_fill(cl_blit *b, const cl_surface_desc *dst,
			    const cl_rect *rects, const cl_color *colors,
			    uint32_t n);

cl_err_t cl_blit_subscribe(cl_blit *b, const char *const *events, uint32_t n);
handle_t cl_blit_event_port(const cl_blit *b);
cl_err_t cl_blit_next_event(cl_blit *b, uint64_t deadline, struct cl_event *ev);
