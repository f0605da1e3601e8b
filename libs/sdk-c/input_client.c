/* A client of the input hub (input_client.h). */
#include "input_client.h"

#include <string.h>

#include <execrt/errors.h>
#include <execrt/ipc.h>
#include <execrt/sys.h>

#include "cl_ports.h"

handle_t input_lookup(const char *name, uint64_t deadline)
{
	struct cl_conn c;
	return cl_connect(name, deadline, &c) == CL_OK ? c.send : 0;
}

/* One call: the answer's header in *r, its payload (up to cap bytes) in
 * data, *dlen bytes of it; handles into h. */
static long call(handle_t ep, const struct input_req *q, const void *payload,
		 uint32_t plen, uint64_t deadline, struct input_resp *r,
		 void *data, uint32_t cap, uint32_t *dlen, handle_t *h,
		 uint32_t hcap)
{
	/* On the stack: threads may call at the same time. Every request
	 * and answer fits (a full batch is the largest). */
	_Alignas(8) uint8_t msg[INPUT_MSG_MAX];
	_Alignas(8) uint8_t ans[INPUT_MSG_MAX];
	if (plen > sizeof(msg) - sizeof(*q))
		return ERR_INVALID_ARGS;
	memcpy(msg, q, sizeof(*q));
	if (plen)
		memcpy(msg + sizeof(*q), payload, plen);
	struct port_msg m = {.data = msg, .len = (uint32_t)sizeof(*q) + plen};
	handle_t hs[PORT_HANDLES_MAX];
	struct port_rx rx = {.buf = ans,
			     .cap = sizeof(ans),
			     .handles = hs,
			     .hcap = PORT_HANDLES_MAX};
	long e = sys_port_call(ep, &m, &rx, deadline);
	if (e < 0)
		return e;
	uint32_t keep = 0;
	if (rx.len < sizeof(*r)) {
		e = ERR_BAD_STATE;
	} else {
		memcpy(r, ans, sizeof(*r));
		uint32_t n = rx.len - (uint32_t)sizeof(*r);
		if (r->err < 0)
			e = INPUT_HUB_ERR(-r->err);
		else if (n > cap)
			e = ERR_BUFFER_TOO_SMALL;
		else {
			if (n)
				memcpy(data, ans + sizeof(*r), n);
			if (dlen)
				*dlen = n;
			keep = rx.nhandles < hcap ? rx.nhandles : hcap;
			for (uint32_t i = 0; i < keep; i++)
				h[i] = hs[i];
		}
	}
	for (uint32_t i = keep; i < rx.nhandles; i++)
		sys_handle_close(hs[i]);
	return e;
}

long input_dev_connect(handle_t dev_pub, const struct input_dev_desc *d,
		       handle_t *ep, uint32_t *id)
{
	struct input_req q = {.op = INPUT_DEV_CONNECT,
			      .a = INPUT_PROTO_VERSION};
	struct input_resp r;
	handle_t h[1] = {0};
	long e = call(dev_pub, &q, d, sizeof(*d), DEADLINE_NONE, &r, NULL, 0,
		      NULL, h, 1);
	if (e < 0)
		return e;
	if (!h[0])
		return ERR_BAD_STATE;
	*ep = h[0];
	if (id)
		*id = (uint32_t)r.val;
	return 0;
}

static uint32_t batch(uint8_t *msg, uint32_t op, const struct input_event *ev,
		      uint32_t n)
{
	struct input_req q = {.op = op, .count = n};
	memcpy(msg, &q, sizeof(q));
	memcpy(msg + sizeof(q), ev, n * sizeof(*ev));
	return (uint32_t)(sizeof(q) + n * sizeof(*ev));
}

long input_dev_send(handle_t ep, const struct input_event *ev, uint32_t n,
		    uint64_t deadline)
{
	_Alignas(8) uint8_t msg[INPUT_MSG_MAX];
	uint32_t sent = 0;
	while (sent < n) {
		uint32_t k = n - sent;
		if (k > INPUT_BATCH_MAX)
			k = INPUT_BATCH_MAX;
		struct port_msg m = {
			.data = msg,
			.len = batch(msg, INPUT_DEV_EVENTS, ev + sent, k)};
		long e = sys_port_send(ep, &m, deadline);
		if (e < 0)
			return sent ? (long)sent : e;
		sent += k;
	}
	return (long)sent;
}

long input_dev_call(handle_t ep, const struct input_event *ev, uint32_t n,
		    uint64_t deadline)
{
	if (!n || n > INPUT_BATCH_MAX)
		return ERR_INVALID_ARGS;
	struct input_req q = {.op = INPUT_DEV_EVENTS, .count = n};
	struct input_resp r;
	long e = call(ep, &q, ev, n * (uint32_t)sizeof(*ev), deadline, &r, NULL,
		      0, NULL, NULL, 0);
	return e < 0 ? e : (long)r.val;
}

long input_subscribe(handle_t pub, handle_t *sub, uint32_t *id)
{
	struct input_req q = {.op = INPUT_SUBSCRIBE, .a = INPUT_PROTO_VERSION};
	struct input_resp r;
	handle_t h[1] = {0};
	long e = call(pub, &q, NULL, 0, DEADLINE_NONE, &r, NULL, 0, NULL, h, 1);
	if (e < 0)
		return e;
	if (!h[0])
		return ERR_BAD_STATE;
	*sub = h[0];
	if (id)
		*id = (uint32_t)r.val;
	return 0;
}

long input_read(handle_t sub, struct input_event *ev, uint32_t max,
		uint32_t flags, uint64_t deadline)
{
	struct input_req q = {.op = INPUT_READ, .flags = flags, .a = max};
	struct input_resp r;
	uint32_t len = 0;
	if (max > INPUT_BATCH_MAX)
		max = q.a = INPUT_BATCH_MAX;
	long e = call(sub, &q, NULL, 0, deadline, &r, ev,
		      max * (uint32_t)sizeof(*ev), &len, NULL, 0);
	if (e < 0)
		return e;
	if (len != r.val * sizeof(*ev))
		return ERR_BAD_STATE;
	return (long)r.val;
}

long input_devices(handle_t ep, struct input_dev_desc *out, uint32_t max)
{
	struct input_dev_desc l[INPUT_DEVS_MAX];
	struct input_req q = {.op = INPUT_DEVICES};
	struct input_resp r;
	uint32_t len = 0;
	long e = call(ep, &q, NULL, 0, DEADLINE_NONE, &r, l, sizeof(l), &len,
		      NULL, 0);
	if (e < 0)
		return e;
	uint32_t n = len / (uint32_t)sizeof(l[0]);
	if (n > max)
		n = max;
	memcpy(out, l, n * sizeof(l[0]));
	return (long)n;
}
