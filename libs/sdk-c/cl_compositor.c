/* cl_compositor: see cl_compositor.h. Requests are built by cl_gfx.c
 * (host-tested) and sent by cl_gfx_conn.c. */
#include "cl_compositor.h"

#include <stdlib.h>

#include <execrt/sys.h>

static char req[PORT_MSG_MAX + 1]; /* clients are single-threaded */

static uint64_t now_ns(void)
{
	long t = sys_clock_now();
	return t < 0 ? 0 : (uint64_t)t;
}

cl_err_t cl_comp_open(const char *path, uint64_t deadline, cl_comp **out)
{
	if (!out)
		return CL_ERR_ARG;
	*out = NULL;
	cl_comp *c = calloc(1, sizeof(*c));
	if (!c)
		return CL_ERR_NOMEM;
	cl_err_t e = cl_gfx_open(&c->g, path ? path : CL_COMP_PATH, deadline);
	if (e < 0) {
		free(c);
		return e;
	}
	*out = c;
	return CL_OK;
}

cl_comp *cl_comp_connect(const char *path)
{
	cl_comp *c;
	return cl_comp_open(path, now_ns() + CL_DEFAULT_TIMEOUT_NS, &c) < 0
		       ? NULL
		       : c;
}

cl_err_t cl_comp_reconnect(cl_comp *c, uint64_t deadline)
{
	return c ? cl_gfx_reopen(&c->g, deadline) : CL_ERR_ARG;
}

void cl_comp_close(cl_comp *c)
{
	if (!c)
		return;
	cl_gfx_close(&c->g);
	free(c);
}

const struct cl_resp *cl_comp_last(const cl_comp *c)
{
	return c ? &c->g.resp : NULL;
}

cl_err_t cl_comp_request(cl_comp *c, const char *json)
{
	return c ? cl_gfx_call(&c->g, json, NULL, 0) : CL_ERR_ARG;
}

cl_err_t cl_comp_create_layer(cl_comp *c, uint32_t *id)
{
	if (!c || !id)
		return CL_ERR_ARG;
	cl_err_t e = cl_gfx_call(&c->g, "{\"cmd\":\"create_layer\"}", NULL, 0);
	return e < 0 ? e : cl_gfx_result_u32(&c->g, "id", id);
}

static cl_err_t by_id(cl_comp *c, const char *cmd, uint32_t id)
{
	if (!c)
		return CL_ERR_ARG;
	int n = cl_gfx_fmt_id(req, sizeof(req), cmd, id);
	return cl_gfx_call_fmt(&c->g, n, req, NULL, 0);
}

cl_err_t cl_comp_destroy_layer(cl_comp *c, uint32_t id)
{
	return by_id(c, "destroy_layer", id);
}

cl_err_t cl_comp_unbind(cl_comp *c, uint32_t id)
{
	return by_id(c, "unbind", id);
}

cl_err_t cl_comp_bind_image(cl_comp *c, uint32_t id, const char *path,
			    uint32_t w, uint32_t h, const char *format)
{
	if (!c)
		return CL_ERR_ARG;
	int n = cl_gfx_fmt_bind_image(req, sizeof(req), id, path, w, h, format);
	return cl_gfx_call_fmt(&c->g, n, req, NULL, 0);
}

cl_err_t cl_comp_bind_dmabuf(cl_comp *c, uint32_t id, handle_t grant,
			     uint32_t w, uint32_t h, const char *format,
			     uint32_t stride)
{
	if (!c || !grant)
		return CL_ERR_ARG;
	int n = cl_gfx_fmt_bind_dmabuf(req, sizeof(req), id, w, h, format,
				       stride);
	return cl_gfx_call_fmt(&c->g, n, req, &grant, 1);
}

cl_err_t cl_comp_set(cl_comp *c, uint32_t id, const cl_comp_layer_params *p)
{
	if (!c)
		return CL_ERR_ARG;
	int n = cl_gfx_fmt_set(req, sizeof(req), id, p);
	return cl_gfx_call_fmt(&c->g, n, req, NULL, 0);
}

cl_err_t cl_comp_set_regs(cl_comp *c, const cl_reg_write *w, uint32_t n)
{
	if (!c)
		return CL_ERR_ARG;
	int len = cl_gfx_fmt_set_regs(req, sizeof(req), w, n);
	return cl_gfx_call_fmt(&c->g, len, req, NULL, 0);
}

cl_err_t cl_comp_damage(cl_comp *c, uint32_t id, const cl_rect *r)
{
	if (!c)
		return CL_ERR_ARG;
	int n = cl_gfx_fmt_damage(req, sizeof(req), id, r);
	return cl_gfx_call_fmt(&c->g, n, req, NULL, 0);
}

cl_err_t cl_comp_commit(cl_comp *c)
{
	return c ? cl_gfx_call(&c->g, "{\"cmd\":\"commit\"}", NULL, 0)
		 : CL_ERR_ARG;
}

uint64_t cl_comp_last_frame(const cl_comp *c)
{
	int64_t f = 0;
	if (!c || cl_resp_int(&c->g.resp, "frame", &f) < 0 || f < 0)
		return 0;
	return (uint64_t)f;
}

cl_err_t cl_comp_subscribe(cl_comp *c, const char *const *events, uint32_t n)
{
	return c ? cl_gfx_subscribe(&c->g, events, n) : CL_ERR_ARG;
}

handle_t cl_comp_event_port(const cl_comp *c)
{
	return c ? c->g.events.recv : HANDLE_INVALID;
}

cl_err_t cl_comp_next_event(cl_comp *c, uint64_t deadline, struct cl_event *ev)
{
	return c ? cl_gfx_next_event(&c->g, deadline, ev) : CL_ERR_ARG;
}
