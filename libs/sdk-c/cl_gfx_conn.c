/* cl_gfx_conn: sessions of the graphics clients (see cl_gfx.h). */
#include <string.h>

#include <execrt/sys.h>

#include "cl_gfx.h"

static uint64_t now_ns(void)
{
	long t = sys_clock_now();
	return t < 0 ? 0 : (uint64_t)t;
}

/* {"cmd":"connect"} on the public endpoint: the session's send handle
 * comes attached (result.port names its index; 0 if absent). */
static cl_err_t open_session(struct cl_gfx_conn *g, uint64_t deadline)
{
	g->has_session = false;
	memset(&g->session, 0, sizeof(g->session));
	cl_err_t e = cl_request_ex(&g->svc, "{\"cmd\":\"connect\"}", NULL, 0,
				   deadline, &g->resp);
	if (e == CL_ERR_REMOTE && !strcmp(g->resp.code, "BAD_CMD")) {
		/* No sessions: talk to the public endpoint. */
		g->session.send = g->svc.send;
		return CL_OK;
	}
	if (e < 0)
		return e;
	int64_t idx = 0;
	if (cl_resp_int(&g->resp, "port", &idx) < 0)
		idx = 0;
	if (idx < 0 || (uint64_t)idx >= g->resp.nhandles) {
		cl_resp_close(&g->resp);
		return CL_ERR_PROTO;
	}
	g->session.send = cl_resp_take_handle(&g->resp, (uint32_t)idx);
	cl_resp_close(&g->resp);
	g->has_session = true;
	return CL_OK;
}

cl_err_t cl_gfx_open(struct cl_gfx_conn *g, const char *path, uint64_t deadline)
{
	if (!g || !path)
		return CL_ERR_ARG;
	memset(g, 0, sizeof(*g));
	cl_err_t e = cl_connect(path, deadline, &g->svc);
	if (e < 0)
		return e;
	e = open_session(g, deadline);
	if (e < 0)
		cl_close(&g->svc);
	return e;
}

static void drop_session(struct cl_gfx_conn *g)
{
	cl_stream_close(&g->events);
	if (g->has_session)
		cl_close(&g->session);
	g->session.send = HANDLE_INVALID;
	g->has_session = false;
}

cl_err_t cl_gfx_reopen(struct cl_gfx_conn *g, uint64_t deadline)
{
	if (!g || !g->svc.name[0])
		return CL_ERR_ARG;
	drop_session(g);
	cl_err_t e = cl_reconnect(&g->svc, deadline);
	if (e == CL_OK)
		e = open_session(g, deadline);
	if (e == CL_OK && g->nevents) {
		const char *ev[CL_GFX_EVENTS_MAX];
		for (uint32_t i = 0; i < g->nevents; i++)
			ev[i] = g->event_names[i];
		e = cl_subscribe(&g->session, ev, g->nevents, &g->events);
	}
	return e;
}

void cl_gfx_close(struct cl_gfx_conn *g)
{
	if (!g)
		return;
	drop_session(g);
	cl_close(&g->svc);
}

cl_err_t cl_gfx_call(struct cl_gfx_conn *g, const char *json, const handle_t *h,
		     uint32_t nh)
{
	if (!g || !g->session.send)
		return CL_ERR_CONN;
	cl_err_t e = cl_request_ex(&g->session, json, h, nh,
				   now_ns() + CL_DEFAULT_TIMEOUT_NS, &g->resp);
	/* Handles an answer brings are not wanted by these clients. */
	cl_resp_close(&g->resp);
	return e;
}

cl_err_t cl_gfx_call_fmt(struct cl_gfx_conn *g, int n, const char *json,
			 const handle_t *h, uint32_t nh)
{
	if (n < 0)
		return n;
	return cl_gfx_call(g, json, h, nh);
}

cl_err_t cl_gfx_subscribe(struct cl_gfx_conn *g, const char *const *events,
			  uint32_t n)
{
	if (!g || !events || !n || n > CL_GFX_EVENTS_MAX)
		return CL_ERR_ARG;
	for (uint32_t i = 0; i < n; i++)
		if (!events[i] ||
		    strlen(events[i]) >= sizeof(g->event_names[0]))
			return CL_ERR_ARG;
	cl_stream_close(&g->events);
	cl_err_t e = cl_subscribe(&g->session, events, n, &g->events);
	if (e < 0)
		return e;
	for (uint32_t i = 0; i < n; i++)
		strcpy(g->event_names[i], events[i]);
	g->nevents = n;
	return CL_OK;
}

cl_err_t cl_gfx_next_event(struct cl_gfx_conn *g, uint64_t deadline,
			   struct cl_event *ev)
{
	if (!g || !g->events.recv)
		return CL_ERR_ARG;
	return cl_next_event(&g->events, deadline, ev);
}

cl_err_t cl_gfx_result_u32(const struct cl_gfx_conn *g, const char *key,
			   uint32_t *out)
{
	int64_t v = 0;
	if (!g || !out)
		return CL_ERR_ARG;
	if (cl_resp_int(&g->resp, key, &v) < 0 || v < 0 || v > UINT32_MAX)
		return CL_ERR_PROTO;
	*out = (uint32_t)v;
	return CL_OK;
}
