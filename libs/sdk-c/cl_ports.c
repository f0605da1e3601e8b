/* cl_ports: see cl_ports.h and docs/sdk-c.md. */
#include "cl_ports.h"

#include <stdio.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/rights.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>

static handle_t names_override = HANDLE_INVALID;

void cl_set_names(handle_t names_send)
{
	names_override = names_send;
}

handle_t cl_names(void)
{
	return names_override ? names_override : execrt_handle(START_H_NAMES);
}

const char *cl_strerror(cl_err_t e)
{
	switch (e) {
	case CL_OK:
		return "ok";
	case CL_ERR_ARG:
		return "bad argument";
	case CL_ERR_CONN:
		return "no connection";
	case CL_ERR_PROTO:
		return "protocol error";
	case CL_ERR_TIMEOUT:
		return "timed out";
	case CL_ERR_NOMEM:
		return "out of memory";
	case CL_ERR_NOT_FOUND:
		return "not found";
	case CL_ERR_REMOTE:
		return "service error";
	case CL_ERR_SPACE:
		return "too big";
	case CL_ERR_DENIED:
		return "access denied";
	default:
		return "?";
	}
}

static cl_err_t from_sys(long r)
{
	switch (r) {
	case ERR_TIMED_OUT:
	case ERR_SHOULD_WAIT:
		return CL_ERR_TIMEOUT;
	case ERR_NO_MEMORY:
	case ERR_NO_RESOURCES:
		return CL_ERR_NOMEM;
	case ERR_BUFFER_TOO_SMALL:
		return CL_ERR_SPACE;
	case ERR_INVALID_ARGS:
	case ERR_ACCESS_DENIED:
	case ERR_WRONG_TYPE:
		return CL_ERR_ARG;
	default:
		return CL_ERR_CONN;
	}
}

static uint64_t now_ns(void)
{
	long t = sys_clock_now();
	return t < 0 ? 0 : (uint64_t)t;
}

static void close_all(handle_t *h, uint32_t *n)
{
	for (uint32_t i = 0; i < *n; i++)
		if (h[i])
			sys_handle_close(h[i]);
	*n = 0;
}

cl_err_t cl_resp_parse(struct cl_resp *r)
{
	r->ok = false;
	r->result = -1;
	r->code[0] = r->message[0] = 0;
	r->buf[r->len] = 0;
	if (json_parse(&r->doc, r->buf, r->len) < 0 ||
	    json_type_of(&r->doc, 0) != JSON_OBJECT ||
	    json_get_bool(&r->doc, "ok", &r->ok) < 0)
		return CL_ERR_PROTO;
	if (r->ok) {
		r->result = json_find(&r->doc, 0, "result");
		if (r->result < 0)
			return CL_ERR_PROTO;
		return CL_OK;
	}
	if (json_get_str(&r->doc, "error.code", r->code, sizeof(r->code)) < 0)
		return CL_ERR_PROTO;
	int m = json_find(&r->doc, 0, "error.message");
	if (m >= 0 && json_str(&r->doc, m, r->message, sizeof(r->message)) ==
			      JSON_ERR_TYPE)
		return CL_ERR_PROTO;
	return strcmp(r->code, "DENIED") ? CL_ERR_REMOTE : CL_ERR_DENIED;
}

/* Handles move all or nothing: if they are still in our table right after
 * the call failed (no handle made since), none was delivered. */
static bool still_ours(const handle_t *h, uint32_t n)
{
	struct handle_info hi;
	for (uint32_t i = 0; i < n; i++)
		if (sys_handle_info(h[i], &hi) < 0)
			return false;
	return true;
}

static uint64_t koid_of(handle_t h)
{
	struct handle_info hi;
	return h && sys_handle_info(h, &hi) == 0 ? hi.koid : 0;
}

cl_err_t cl_reconnect(struct cl_conn *c, uint64_t deadline)
{
	if (!c || !c->name[0])
		return CL_ERR_ARG;
	uint64_t dead = koid_of(c->send);
	if (c->send)
		sys_handle_close(c->send);
	c->send = HANDLE_INVALID;
	for (;;) {
		struct cl_conn n;
		cl_err_t e = cl_connect(c->name, deadline, &n);
		if (e < 0)
			return e;
		if (!dead || koid_of(n.send) != dead) {
			c->send = n.send;
			c->reconnects++;
			return CL_OK;
		}
		/* The name service still has the dead endpoint: init has not
		 * sent its "forget" yet. Ask again shortly. */
		cl_close(&n);
		uint64_t t = now_ns();
		if (t >= deadline)
			return CL_ERR_TIMEOUT;
		uint64_t next = t + CL_RECONNECT_POLL_NS;
		sys_sleep_until(next < deadline ? next : deadline);
	}
}

cl_err_t cl_request_raw(struct cl_conn *c, const void *data, uint32_t len,
			const handle_t *handles, uint32_t nhandles,
			uint64_t deadline, struct cl_resp *r)
{
	if (!c || !r || (!data && len) || nhandles > PORT_HANDLES_MAX)
		return CL_ERR_ARG;
	r->nhandles = 0;
	r->len = 0;
	r->ok = false;
	r->result = -1;
	r->code[0] = r->message[0] = 0;
	if (len > PORT_MSG_MAX)
		return CL_ERR_SPACE;
	if (!c->send && (!c->reconnect || cl_reconnect(c, deadline) < 0))
		return CL_ERR_CONN;
	struct port_msg m = {.data = data,
			     .len = len,
			     .nhandles = nhandles,
			     .handles = handles};
	struct port_rx rx = {.buf = r->buf,
			     .cap = PORT_MSG_MAX,
			     .handles = r->handles,
			     .hcap = PORT_HANDLES_MAX};
	long e = sys_port_call(c->send, &m, &rx, deadline);
	if (e == ERR_PEER_CLOSED && c->reconnect &&
	    still_ours(handles, nhandles)) {
		if (cl_reconnect(c, deadline) < 0)
			return CL_ERR_CONN;
		e = sys_port_call(c->send, &m, &rx, deadline);
	}
	if (e < 0)
		return from_sys(e);
	r->len = rx.len;
	r->nhandles = rx.nhandles;
	cl_err_t pe = cl_resp_parse(r);
	if (pe == CL_ERR_PROTO)
		close_all(r->handles, &r->nhandles);
	return pe;
}

cl_err_t cl_request_ex(struct cl_conn *c, const char *json,
		       const handle_t *handles, uint32_t nhandles,
		       uint64_t deadline, struct cl_resp *r)
{
	if (!json || !r)
		return CL_ERR_ARG;
	size_t n = strlen(json);
	if (n > PORT_MSG_MAX)
		return CL_ERR_SPACE;
	/* Never send what the service could not parse. */
	if (json_parse(&r->doc, json, n) < 0 ||
	    json_type_of(&r->doc, 0) != JSON_OBJECT)
		return CL_ERR_ARG;
	return cl_request_raw(c, json, (uint32_t)n, handles, nhandles, deadline,
			      r);
}

cl_err_t cl_request(struct cl_conn *c, const char *json, struct cl_resp *r)
{
	return cl_request_ex(c, json, NULL, 0, now_ns() + CL_DEFAULT_TIMEOUT_NS,
			     r);
}

handle_t cl_resp_take_handle(struct cl_resp *r, uint32_t i)
{
	if (!r || i >= r->nhandles)
		return HANDLE_INVALID;
	handle_t h = r->handles[i];
	r->handles[i] = HANDLE_INVALID;
	return h;
}

void cl_resp_close(struct cl_resp *r)
{
	if (r)
		close_all(r->handles, &r->nhandles);
}

static int result_tok(const struct cl_resp *r, const char *path)
{
	if (!r || !r->ok || r->result < 0 || !path)
		return CL_ERR_ARG;
	int t = json_find(&r->doc, r->result, path);
	return t < 0 ? CL_ERR_PROTO : t;
}

cl_err_t cl_resp_int(const struct cl_resp *r, const char *path, int64_t *out)
{
	int t = result_tok(r, path);
	if (t < 0)
		return t;
	return json_int(&r->doc, t, out) < 0 ? CL_ERR_PROTO : CL_OK;
}

cl_err_t cl_resp_str(const struct cl_resp *r, const char *path, char *out,
		     size_t cap)
{
	int t = result_tok(r, path);
	if (t < 0)
		return t;
	int e = json_str(&r->doc, t, out, cap);
	return e == JSON_ERR_SPACE ? CL_ERR_SPACE
	       : e < 0		   ? CL_ERR_PROTO
				   : CL_OK;
}

/* One lookup; *busy when the name service answered BUSY (a waiting
 * lookup displaced by a newer one of the same badge, or no waiter slot). */
static cl_err_t lookup_once(const char *name, uint64_t deadline,
			    struct cl_conn *c, bool *busy)
{
	*busy = false;
	struct cl_conn ns = {.send = cl_names()};
	if (!ns.send)
		return CL_ERR_CONN;
	uint64_t now = now_ns();
	uint64_t wait_us = deadline > now && deadline != DEADLINE_NONE
				   ? (deadline - now) / 1000
				   : 0;
	if (deadline == DEADLINE_NONE)
		wait_us = UINT32_MAX; /* about 71 minutes */
	static struct cl_resp r;      /* programs are single-threaded */
	char req[160];
	struct json_w w;
	json_w_init(&w, req, sizeof(req));
	json_w_obj(&w);
	json_w_key(&w, "cmd");
	json_w_str(&w, "lookup");
	json_w_key(&w, "name");
	json_w_str(&w, name);
	json_w_key(&w, "wait_usec");
	json_w_uint(&w, wait_us);
	json_w_end(&w);
	if (json_w_finish(&w) < 0)
		return CL_ERR_ARG;
	/* The name service answers by itself when the wait ends; leave it a
	 * second beyond that. */
	uint64_t dl = deadline == DEADLINE_NONE
			      ? DEADLINE_NONE
			      : now + wait_us * 1000 + 1000000000ull;
	cl_err_t e = cl_request_ex(&ns, req, NULL, 0, dl, &r);
	if (e == CL_ERR_REMOTE) {
		cl_resp_close(&r);
		*busy = !strcmp(r.code, "BUSY");
		return !strcmp(r.code, "NOT_FOUND") ? CL_ERR_NOT_FOUND
		       : !strcmp(r.code, "TIMEOUT") ? CL_ERR_TIMEOUT
						    : CL_ERR_REMOTE;
	}
	if (e == CL_ERR_DENIED) {
		cl_resp_close(&r);
		return e;
	}
	if (e < 0)
		return e;
	int64_t idx = 0;
	if (cl_resp_int(&r, "port", &idx) < 0 || idx < 0 ||
	    (uint64_t)idx >= r.nhandles) {
		cl_resp_close(&r);
		return CL_ERR_PROTO;
	}
	c->send = cl_resp_take_handle(&r, (uint32_t)idx);
	cl_resp_close(&r);
	memcpy(c->name, name, strlen(name) + 1);
	return CL_OK;
}

/* A name service answer to "lookup": the send handle attached. A waiting
 * lookup displaced by a newer one (several clients of one badge waiting
 * at once: a reconnect storm) polls instead until its deadline, without
 * displacing anyone in turn. */
cl_err_t cl_connect(const char *name, uint64_t deadline, struct cl_conn *c)
{
	if (!name || !c || strlen(name) >= CL_NAME_MAX)
		return CL_ERR_ARG;
	memset(c, 0, sizeof(*c));
	bool busy, polling = false;
	for (;;) {
		cl_err_t e = lookup_once(
			name, polling ? DEADLINE_POLL : deadline, c, &busy);
		if (!busy && !(polling && e == CL_ERR_NOT_FOUND))
			return e;
		polling = true;
		uint64_t t = now_ns();
		if (deadline == DEADLINE_POLL || t >= deadline)
			return e;
		uint64_t next = t + CL_LOOKUP_POLL_NS;
		sys_sleep_until(next < deadline ? next : deadline);
	}
}

void cl_close(struct cl_conn *c)
{
	if (c && c->send) {
		sys_handle_close(c->send);
		c->send = HANDLE_INVALID;
	}
}

cl_err_t cl_subscribe(struct cl_conn *c, const char *const *events,
		      uint32_t nevents, struct cl_stream *s)
{
	if (!c || !s || (!events && nevents))
		return CL_ERR_ARG;
	memset(s, 0, sizeof(*s));
	char req[1024];
	struct json_w w;
	json_w_init(&w, req, sizeof(req));
	json_w_obj(&w);
	json_w_key(&w, "cmd");
	json_w_str(&w, "subscribe");
	json_w_key(&w, "events");
	json_w_arr(&w);
	for (uint32_t i = 0; i < nevents; i++)
		json_w_str(&w, events[i]);
	json_w_end(&w);
	json_w_key(&w, "port");
	json_w_uint(&w, 0);
	json_w_end(&w);
	int n = json_w_finish(&w);
	if (n < 0)
		return n == JSON_ERR_SPACE ? CL_ERR_SPACE : CL_ERR_ARG;
	handle_t recv, send;
	long e = sys_port_create(0, &recv, &send);
	if (e < 0)
		return from_sys(e);
	static struct cl_resp r;
	cl_err_t ce = cl_request_ex(c, req, &send, 1,
				    now_ns() + CL_DEFAULT_TIMEOUT_NS, &r);
	cl_resp_close(&r);
	if (ce < 0) {
		/* Moved only if the call got as far as being queued; closing
		 * a handle already gone is harmless (ERR_BAD_HANDLE). */
		sys_handle_close(send);
		sys_handle_close(recv);
		return ce;
	}
	s->recv = recv;
	s->conn = c;
	return CL_OK;
}

cl_err_t cl_next_event(struct cl_stream *s, uint64_t deadline,
		       struct cl_event *ev)
{
	if (!s || !ev || !s->recv)
		return CL_ERR_ARG;
	ev->nhandles = 0;
	ev->len = 0;
	ev->name[0] = 0;
	struct port_rx rx = {.buf = ev->buf,
			     .cap = PORT_MSG_MAX,
			     .handles = ev->handles,
			     .hcap = PORT_HANDLES_MAX,
			     /* a stray call: no reply handle to install */
			     .flags = PORT_RX_IMPLICIT_REPLY};
	long e = sys_port_recv(s->recv, &rx, deadline);
	if (e < 0)
		return from_sys(e);
	ev->len = rx.len;
	ev->nhandles = rx.nhandles;
	if (rx.reply) /* nobody calls an event stream: end it now */
		sys_handle_close(rx.reply); /* (REPLY_IMPLICIT) */
	ev->buf[ev->len] = 0;
	if (json_parse(&ev->doc, ev->buf, ev->len) < 0 ||
	    json_type_of(&ev->doc, 0) != JSON_OBJECT ||
	    json_get_str(&ev->doc, "event", ev->name, sizeof(ev->name)) < 0) {
		close_all(ev->handles, &ev->nhandles);
		return CL_ERR_PROTO;
	}
	return CL_OK;
}

cl_err_t cl_event_int(const struct cl_event *ev, const char *path, int64_t *out)
{
	if (!ev || !path || !out)
		return CL_ERR_ARG;
	return json_get_int(&ev->doc, path, out) < 0 ? CL_ERR_PROTO : CL_OK;
}

void cl_event_close(struct cl_event *ev)
{
	if (ev)
		close_all(ev->handles, &ev->nhandles);
}

void cl_stream_close(struct cl_stream *s)
{
	if (s && s->recv) {
		sys_handle_close(s->recv);
		s->recv = HANDLE_INVALID;
	}
}

/* ---- services ---- */

long cl_reply_ok(handle_t reply, const char *result_json,
		 const handle_t *handles, uint32_t nhandles)
{
	char buf[PORT_MSG_MAX];
	int n = snprintf(buf, sizeof(buf), "{\"ok\":true,\"result\":%s}",
			 result_json ? result_json : "{}");
	if (n < 0 || n >= (int)sizeof(buf))
		return cl_reply_error(reply, "INTERNAL", "answer too big");
	struct port_msg m = {.data = buf,
			     .len = (uint32_t)n,
			     .nhandles = nhandles,
			     .handles = handles};
	return sys_port_reply(reply, &m);
}

long cl_reply_error(handle_t reply, const char *code, const char *message)
{
	char buf[512];
	int n = json_w_error(buf, sizeof(buf), code, message);
	if (n < 0) {
		static const char fallback[] =
			"{\"ok\":false,\"error\":{\"code\":\"INTERNAL\","
			"\"message\":\"\"}}";
		memcpy(buf, fallback, sizeof(fallback));
		n = (int)sizeof(fallback) - 1;
	}
	struct port_msg m = {.data = buf, .len = (uint32_t)n};
	return sys_port_reply(reply, &m);
}

/* {"cmd":cmd,"name":name} to the name service, with send attached as
 * "port":0 when given. */
static cl_err_t names_call(const char *cmd, const char *name, handle_t send)
{
	if (!name || strlen(name) >= CL_NAME_MAX)
		return CL_ERR_ARG;
	struct cl_conn ns = {.send = cl_names()};
	if (!ns.send)
		return CL_ERR_CONN;
	char req[160];
	struct json_w w;
	json_w_init(&w, req, sizeof(req));
	json_w_obj(&w);
	json_w_key(&w, "cmd");
	json_w_str(&w, cmd);
	json_w_key(&w, "name");
	json_w_str(&w, name);
	if (send) {
		json_w_key(&w, "port");
		json_w_uint(&w, 0);
	}
	json_w_end(&w);
	if (json_w_finish(&w) < 0)
		return CL_ERR_ARG;
	static struct cl_resp r;
	cl_err_t e = cl_request_ex(&ns, req, send ? &send : NULL, send ? 1 : 0,
				   now_ns() + CL_DEFAULT_TIMEOUT_NS, &r);
	cl_resp_close(&r);
	return e;
}

cl_err_t cl_register(const char *name, handle_t send)
{
	if (!send)
		return CL_ERR_ARG;
	return names_call("register", name, send);
}

cl_err_t cl_unregister(const char *name)
{
	return names_call("unregister", name, HANDLE_INVALID);
}
