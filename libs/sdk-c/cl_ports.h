/* cl_ports: the low layer of the C SDK (docs/sdk-c.md). Connects to a
 * service by name through the name service, sends JSON requests and parses
 * the responses ({"ok":true,"result":{...}} or {"ok":false,"error":
 * {"code":...,"message":...}}, PHASE0-PROTOCOL.md section 1), subscribes
 * to event streams and attaches handles to requests. Errors are negative
 * CL_ERR_*. A few helpers for services answer in the same shape. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <execrt/ipc.h>
#include <execrt/types.h>

#include "json.h"

typedef int cl_err_t;

#define CL_OK		 0
#define CL_ERR_ARG	 (-1) /* a bad argument (or a request not JSON) */
#define CL_ERR_CONN	 (-2) /* no name service, service gone */
#define CL_ERR_PROTO	 (-3) /* the peer's answer is not ports v0 */
#define CL_ERR_TIMEOUT	 (-4) /* the deadline passed */
#define CL_ERR_NOMEM	 (-5) /* out of memory or handles */
#define CL_ERR_NOT_FOUND (-6) /* no service of that name */
#define CL_ERR_REMOTE	 (-7) /* the service answered ok:false */
#define CL_ERR_SPACE	 (-8) /* a request or event too big */
#define CL_ERR_DENIED	 (-9) /* the service answered code DENIED (ACL) */

#define CL_DEFAULT_TIMEOUT_NS 5000000000ull /* cl_request: 5 s */
#define CL_NAME_MAX	      64

struct cl_conn {
	handle_t send; /* the service's send endpoint */
	char name[CL_NAME_MAX];
	/* Opt-in (set after cl_connect): a request that finds the service
	 * gone (ERR_PEER_CLOSED, also an in-flight call) looks the name up
	 * again, waiting up to the request's deadline, and is sent once more
	 * on the new endpoint. Requests with handles only if the handles are
	 * still the caller's (nothing was delivered). */
	bool reconnect;
	uint32_t reconnects; /* how many times it did */
};

/* A parsed response. Large (about 9 KiB): keep it static or on the heap.
 * Handles that came with it belong to the caller: take them
 * (cl_resp_take_handle) or let cl_resp_close close them. */
struct cl_resp {
	bool ok;
	int result;    /* token of "result" in doc (ok), else -1 */
	char code[32]; /* error.code (not ok) */
	char message[128];
	uint32_t nhandles;
	handle_t handles[PORT_HANDLES_MAX];
	uint32_t len;
	char buf[PORT_MSG_MAX + 1];
	struct json_doc doc;
};

/* One event of a stream: {"event":"<name>", ...}. */
struct cl_event {
	char name[32];
	uint32_t nhandles;
	handle_t handles[PORT_HANDLES_MAX];
	uint32_t len;
	char buf[PORT_MSG_MAX + 1];
	struct json_doc doc;
};

struct cl_stream {
	handle_t recv; /* the client-owned port events arrive on */
	struct cl_conn *conn;
};

/* The name service: start_info's START_H_NAMES unless set here. */
void cl_set_names(handle_t names_send);
handle_t cl_names(void);

/* Looks name ("/svc/x") up; with a deadline in the future the name
 * service waits for the name to appear until then (DEADLINE_POLL: no
 * wait). CL_ERR_NOT_FOUND, CL_ERR_CONN (no name service). A wait the
 * name service gives up early (BUSY: displaced by a newer lookup of the
 * same badge) goes on as a lookup every CL_LOOKUP_POLL_NS. */
#define CL_LOOKUP_POLL_NS 10000000ull
cl_err_t cl_connect(const char *name, uint64_t deadline, struct cl_conn *c);
void cl_close(struct cl_conn *c);
/* Looks c->name up again for a new endpoint (what c->reconnect does):
 * waits up to deadline; an answer naming the endpoint that just died (the
 * name service has not been told yet) is asked again every
 * CL_RECONNECT_POLL_NS. */
#define CL_RECONNECT_POLL_NS 5000000ull
cl_err_t cl_reconnect(struct cl_conn *c, uint64_t deadline);

/* Sends json (one object) and waits for the answer (CL_DEFAULT_TIMEOUT_NS
 * from now). CL_OK with resp->ok, CL_ERR_REMOTE with resp->code/message
 * (CL_ERR_DENIED when the code is "DENIED"), CL_ERR_CONN when the service
 * is gone (ERR_PEER_CLOSED; see cl_conn.reconnect),
 * CL_ERR_PROTO when the answer is malformed, CL_ERR_ARG when json is not
 * an object. */
cl_err_t cl_request(struct cl_conn *c, const char *json, struct cl_resp *r);
/* The same with handles moved to the service (the request names each by
 * its index: {"cmd":"attach","buffer":0}; on an error before sending they
 * stay with the caller) and an absolute deadline. */
cl_err_t cl_request_ex(struct cl_conn *c, const char *json,
		       const handle_t *handles, uint32_t nhandles,
		       uint64_t deadline, struct cl_resp *r);
/* Sends len bytes as they are (no check: tests send garbage with it). */
cl_err_t cl_request_raw(struct cl_conn *c, const void *data, uint32_t len,
			const handle_t *handles, uint32_t nhandles,
			uint64_t deadline, struct cl_resp *r);
/* Parses an answer already received (len bytes in r->buf). */
cl_err_t cl_resp_parse(struct cl_resp *r);
handle_t cl_resp_take_handle(struct cl_resp *r, uint32_t i);
void cl_resp_close(struct cl_resp *r);
/* result.<path> of a successful response. */
cl_err_t cl_resp_int(const struct cl_resp *r, const char *path, int64_t *out);
cl_err_t cl_resp_str(const struct cl_resp *r, const char *path, char *out,
		     size_t cap);

/* {"cmd":"subscribe","events":[...],"port":0} with a send handle of a new
 * client-owned port attached as handle 0. */
cl_err_t cl_subscribe(struct cl_conn *c, const char *const *events,
		      uint32_t nevents, struct cl_stream *s);
/* The next event (absolute deadline). A malformed event is consumed and
 * gives CL_ERR_PROTO; its handles are closed. */
cl_err_t cl_next_event(struct cl_stream *s, uint64_t deadline,
		       struct cl_event *ev);
cl_err_t cl_event_int(const struct cl_event *ev, const char *path,
		      int64_t *out);
void cl_event_close(struct cl_event *ev);
void cl_stream_close(struct cl_stream *s);

const char *cl_strerror(cl_err_t e);

/* ---- for services ---- */

/* Answers a call: {"ok":true,"result":<result_json>} ("{}" if NULL). */
long cl_reply_ok(handle_t reply, const char *result_json,
		 const handle_t *handles, uint32_t nhandles);
/* {"ok":false,"error":{"code":code,"message":message}}. */
long cl_reply_error(handle_t reply, const char *code, const char *message);
/* Registers name with the name service for send endpoint send (moved).
 * CL_ERR_DENIED (not allowed), CL_ERR_REMOTE with code BUSY (another
 * service holds the name). */
cl_err_t cl_register(const char *name, handle_t send);
/* Gives up a name this service registered. */
cl_err_t cl_unregister(const char *name);
