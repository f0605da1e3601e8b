/* cl_blitter: see cl_blitter.h. */
#include "cl_blitter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/rights.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>

#include "vmgr_client.h"

static char req[PORT_MSG_MAX + 1]; /* clients are single-threaded */

static uint64_t now_ns(void)
{
	long t = sys_clock_now();
	return t < 0 ? 0 : (uint64_t)t;
}

cl_err_t cl_blit_open(const char *path, uint64_t deadline, cl_blit **out)
{
	if (!out)
		return CL_ERR_ARG;
	*out = NULL;
	cl_blit *b = calloc(1, sizeof(*b));
	if (!b)
		return CL_ERR_NOMEM;
	cl_err_t e = cl_gfx_open(&b->g, path ? path : CL_BLIT_PATH, deadline);
	if (e < 0) {
		free(b);
		return e;
	}
	*out = b;
	return CL_OK;
}

cl_blit *cl_blit_connect(const char *path)
{
	cl_blit *b;
	return cl_blit_open(path, now_ns() + CL_DEFAULT_TIMEOUT_NS, &b) < 0
		       ? NULL
		       : b;
}

cl_err_t cl_blit_reconnect(cl_blit *b, uint64_t deadline)
{
	return b ? cl_gfx_reopen(&b->g, deadline) : CL_ERR_ARG;
}

void cl_blit_close(cl_blit *b)
{
	if (!b)
		return;
	cl_gfx_close(&b->g);
	free(b);
}

const struct cl_resp *cl_blit_last(const cl_blit *b)
{
	return b ? &b->g.resp : NULL;
}

cl_err_t cl_blit_request(cl_blit *b, const char *json)
{
	return b ? cl_gfx_call(&b->g, json, NULL, 0) : CL_ERR_ARG;
}

uint32_t cl_blit_last_job(const cl_blit *b)
{
	uint32_t j = 0;
	return b && cl_gfx_result_u32(&b->g, "job", &j) == CL_OK ? j : 0;
}

/* One vmgr connection for every surface of this program. */
static struct vmgr_client vm;
static bool vm_open;
static long last_sys; /* the kernel's or vmgr's code of the last failure */

long cl_surface_last_error(void)
{
	return last_sys;
}

cl_err_t cl_surface_alloc(cl_surface_desc *s, uint32_t w, uint32_t h,
			  const char *format)
{
	if (!s || !w || !h || w > 16384 || h > 16384 || !cl_format_ok(format))
		return CL_ERR_ARG;
	memset(s, 0, sizeof(*s));
	if (!vm_open) {
		last_sys =
			vmgr_client_open(&vm, now_ns() + CL_DEFAULT_TIMEOUT_NS);
		if (last_sys < 0)
			return CL_ERR_CONN;
		vm_open = true;
	}
	uint64_t size = ((uint64_t)w * 4 * h + 4095) & ~4095ull;
	uint64_t id;
	long r = vmgr_buffer(&vm, size, &s->grant, &id);
	if (r < 0) {
		last_sys = r;
		return CL_ERR_NOMEM;
	}
	r = sys_grant_map(execrt_handle(START_H_SELF_TASK), s->grant,
			  VM_PROT_READ | VM_PROT_WRITE, 0, &s->addr);
	if (r < 0) {
		last_sys = r;
		sys_handle_close(s->grant);
		vmgr_release(&vm, id);
		s->grant = HANDLE_INVALID;
		return CL_ERR_NOMEM;
	}
	s->buf_id = id;
	s->w = w;
	s->h = h;
	s->stride = w * 4;
	s->size = size;
	strcpy(s->format, format);
	return CL_OK;
}

void cl_surface_free(cl_surface_desc *s)
{
	if (!s)
		return;
	if (s->addr)
		sys_grant_unmap(execrt_handle(START_H_SELF_TASK), s->addr);
	if (s->grant)
		sys_handle_close(s->grant);
	if (s->buf_id && vm_open)
		vmgr_release(&vm, s->buf_id);
	memset(s, 0, sizeof(*s));
}

cl_err_t cl_surface_dup(const cl_surface_desc *s, handle_t *out)
{
	if (!s || !s->grant || !out)
		return CL_ERR_ARG;
	return sys_handle_dup(s->grant, RIGHT_SAME, out) < 0 ? CL_ERR_NOMEM
							     : CL_OK;
}

/* Sends req with a duplicate of each unbound surface's grant, in the
 * order cl_gfx_fmt_* numbered them (src before dst). */
static cl_err_t send_with(cl_blit *b, int n, uint32_t nh,
			  const cl_surface_desc *s0, const cl_surface_desc *s1)
{
	if (n < 0)
		return n;
	handle_t h[2] = {HANDLE_INVALID, HANDLE_INVALID};
	uint32_t k = 0;
	const cl_surface_desc *ss[2] = {s0, s1};
	for (int i = 0; i < 2 && k < nh; i++) {
		if (!ss[i] || ss[i]->surface)
			continue;
		cl_err_t e = cl_surface_dup(ss[i], &h[k]);
		if (e < 0) {
			while (k)
				sys_handle_close(h[--k]);
			return e;
		}
		k++;
	}
	cl_err_t e = cl_gfx_call(&b->g, req, h, k);
	if (e == CL_ERR_ARG || e == CL_ERR_SPACE) /* not sent: still ours */
		while (k)
			sys_handle_close(h[--k]);
	return e;
}

cl_err_t cl_blit_bind(cl_blit *b, cl_surface_desc *s)
{
	if (!b || !s)
		return CL_ERR_ARG;
	if (s->surface)
		return CL_OK;
	int n = cl_gfx_fmt_surface_bind(req, sizeof(req), s);
	cl_err_t e = send_with(b, n, 1, s, NULL);
	return e < 0 ? e : cl_gfx_result_u32(&b->g, "surface", &s->surface);
}

cl_err_t cl_blit_rect_fill(cl_blit *b, const cl_surface_desc *dst,
			   const cl_rect *rect, const cl_color *color)
{
	if (!b)
		return CL_ERR_ARG;
	uint32_t nh = 0;
	int n = cl_gfx_fmt_rect_fill(req, sizeof(req), dst, rect, color, &nh);
	return send_with(b, n, nh, dst, NULL);
}

cl_err_t cl_blit_rect_copy(cl_blit *b, const cl_surface_desc *src,
			   const cl_surface_desc *dst, const cl_rect *src_rect,
			   int32_t dst_x, int32_t dst_y)
{
	if (!b)
		return CL_ERR_ARG;
	uint32_t nh = 0;
	int n = cl_gfx_fmt_rect_copy(req, sizeof(req), src, dst, src_rect,
				     dst_x, dst_y, &nh);
	return send_with(b, n, nh, src, dst);
}

cl_err_t cl_blit_convert(cl_blit *b, const cl_surface_desc *src,
			 const cl_surface_desc *dst)
{
	if (!b)
		return CL_ERR_ARG;
	uint32_t nh = 0;
	int n = cl_gfx_fmt_convert(req, sizeof(req), src, dst, &nh);
	return send_with(b, n, nh, src, dst);
}

cl_err_t cl_blit_batch_fill(cl_blit *b, const cl_surface_desc *dst,
			    const cl_rect *rects, const cl_color *colors,
			    uint32_t n)
{
	if (!b || !rects || !colors || !n)
		return CL_ERR_ARG;
	for (uint32_t i = 0; i < n; i += CL_GFX_BATCH_FILL_MAX) {
		uint32_t k = n - i < CL_GFX_BATCH_FILL_MAX
				     ? n - i
				     : CL_GFX_BATCH_FILL_MAX;
		int len = cl_gfx_fmt_batch_fill(req, sizeof(req), dst,
						rects + i, colors + i, k);
		cl_err_t e = cl_gfx_call_fmt(&b->g, len, req, NULL, 0);
		if (e < 0)
			return e;
	}
	return CL_OK;
}

cl_err_t cl_blit_subscribe(cl_blit *b, const char *const *events, uint32_t n)
{
	return b ? cl_gfx_subscribe(&b->g, events, n) : CL_ERR_ARG;
}

handle_t cl_blit_event_port(const cl_blit *b)
{
	return b ? b->g.events.recv : HANDLE_INVALID;
}

cl_err_t cl_blit_next_event(cl_blit *b, uint64_t deadline, struct cl_event *ev)
{
	return b ? cl_gfx_next_event(&b->g, deadline, ev) : CL_ERR_ARG;
}
