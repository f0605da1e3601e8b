/* cl_copper: see cl_copper.h. */
#include "cl_copper.h"

#include <stdlib.h>

#include <execrt/sys.h>

static char req[PORT_MSG_MAX + 1]; /* clients are single-threaded */

static uint64_t now_ns(void)
{
	long t = sys_clock_now();
	return t < 0 ? 0 : (uint64_t)t;
}

cl_err_t cl_copper_open(const char *path, uint64_t deadline, cl_copper **out)
{
	if (!out)
		return CL_ERR_ARG;
	*out = NULL;
	cl_copper *c = calloc(1, sizeof(*c));
	if (!c)
		return CL_ERR_NOMEM;
	cl_err_t e = cl_gfx_open(&c->g, path ? path : CL_COPPER_PATH, deadline);
	if (e < 0) {
		free(c);
		return e;
	}
	*out = c;
	return CL_OK;
}

cl_copper *cl_copper_connect(const char *path)
{
	cl_copper *c;
	return cl_copper_open(path, now_ns() + CL_DEFAULT_TIMEOUT_NS, &c) < 0
		       ? NULL
		       : c;
}

cl_err_t cl_copper_reconnect(cl_copper *c, uint64_t deadline)
{
	return c ? cl_gfx_reopen(&c->g, deadline) : CL_ERR_ARG;
}

void cl_copper_close(cl_copper *c)
{
	if (!c)
		return;
	cl_gfx_close(&c->g);
	free(c);
}

const struct cl_resp *cl_copper_last(const cl_copper *c)
{
	return c ? &c->g.resp : NULL;
}

cl_err_t cl_copper_request(cl_copper *c, const char *json)
{
	return c ? cl_gfx_call(&c->g, json, NULL, 0) : CL_ERR_ARG;
}

static cl_err_t loaded(cl_copper *c, int n, uint32_t *prog_id)
{
	cl_err_t e = cl_gfx_call_fmt(&c->g, n, req, NULL, 0);
	return e < 0 ? e : cl_gfx_result_u32(&c->g, "id", prog_id);
}

cl_err_t cl_copper_load_masked(cl_copper *c, const char *json,
			       const char *mask_json, uint32_t *prog_id)
{
	if (!c || !prog_id)
		return CL_ERR_ARG;
	return loaded(c, cl_gfx_fmt_load(req, sizeof(req), json, mask_json),
		      prog_id);
}

cl_err_t cl_copper_load(cl_copper *c, const char *json, uint32_t *prog_id)
{
	return cl_copper_load_masked(c, json, NULL, prog_id);
}

cl_err_t cl_copper_load_binary(cl_copper *c, const uint64_t *ops, uint32_t n,
			       uint32_t *prog_id)
{
	if (!c || !prog_id)
		return CL_ERR_ARG;
	return loaded(c, cl_gfx_fmt_load_binary(req, sizeof(req), ops, n),
		      prog_id);
}

static cl_err_t by_id(cl_copper *c, const char *cmd, uint32_t id)
{
	if (!c)
		return CL_ERR_ARG;
	int n = cl_gfx_fmt_id(req, sizeof(req), cmd, id);
	return cl_gfx_call_fmt(&c->g, n, req, NULL, 0);
}

cl_err_t cl_copper_start(cl_copper *c, uint32_t prog_id)
{
	return by_id(c, "start", prog_id);
}

cl_err_t cl_copper_stop(cl_copper *c, uint32_t prog_id)
{
	return by_id(c, "stop", prog_id);
}

cl_err_t cl_copper_unload(cl_copper *c, uint32_t prog_id)
{
	return by_id(c, "unload", prog_id);
}

cl_err_t cl_copper_subscribe(cl_copper *c, const char *const *events,
			     uint32_t n)
{
	return c ? cl_gfx_subscribe(&c->g, events, n) : CL_ERR_ARG;
}

handle_t cl_copper_event_port(const cl_copper *c)
{
	return c ? c->g.events.recv : HANDLE_INVALID;
}

cl_err_t cl_copper_next_event(cl_copper *c, uint64_t deadline,
			      struct cl_event *ev)
{
	return c ? cl_gfx_next_event(&c->g, deadline, ev) : CL_ERR_ARG;
}
