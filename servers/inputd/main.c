/* inputd: the input hub (docs/input.md; wire format
 * include/execrt/input_proto.h; state and rules in hub.c). The platform
 * half: ports, names, the receive loop, replies.
 *
 * Ports: one for subscribers (/svc/input and every subscription
 * endpoint), one for drivers' connects (/drv/input), and one per
 * device, so neither a flood of subscriber calls nor one driver's flood
 * can fill the queue another driver sends to. All are bound to one
 * notification: bit 0 subscribers, bit 1 connects, bit 2+i device slot i.
 * Single-threaded; the loop never waits on a client: events go out as
 * answers to INPUT_READ calls the hub holds (a reply never blocks), and
 * are taken off a queue only once the answer was delivered.
 *
 *   inputd [--port H]
 * With --port, H is a port's receive handle to serve instead of two
 * registered names (the benchmark, which has no name service): its
 * badge-0 endpoint is /svc/input, badge DEV_PUB_BADGE /drv/input; the
 * parent mints both before it hands H over. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/input_proto.h>
#include <execrt/rights.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>

#include "cl_ports.h"
#include "hub.h"
#include "json.h"

#define BIT_SUB	      (1ull << 0)
#define BIT_DRV	      (1ull << 1)
#define DEV_BIT0      2
#define SUB_BADGE     (1ull << 32) /* | subscription id */
#define DEV_PUB_BADGE 1ull	   /* --port: the drivers' endpoint */
#define DEV_BUDGET    16	   /* messages per device per turn */
#define PORT_BUDGET   32

_Static_assert(DEV_BIT0 + INPUT_DEVS_MAX <= 64, "one bit per device");

static struct hub hub;
static handle_t notif, sport, dport;
static handle_t devport[INPUT_DEVS_MAX];
static handle_t pend[INPUT_SUBS_MAX]; /* a held INPUT_READ's reply */
static uint32_t pend_max[INPUT_SUBS_MAX];
static _Alignas(8) uint8_t buf[PORT_MSG_MAX];
static _Alignas(8) uint8_t out[PORT_MSG_MAX];
static char js[PORT_MSG_MAX];

static uint64_t now(void)
{
	long t = sys_clock_now();
	return t < 0 ? 0 : (uint64_t)t;
}

/* An answer: input_resp + len bytes + nh handles. The reply handle is
 * consumed unless the reply itself was refused (then closed here). */
static long answer(handle_t reply, int32_t err, uint64_t val, const void *data,
		   uint32_t len, const handle_t *h, uint32_t nh)
{
	struct input_resp r = {.err = err, .val = val};
	memcpy(out, &r, sizeof(r));
	if (len)
		memcpy(out + sizeof(r), data, len);
	struct port_msg m = {.data = out,
			     .len = (uint32_t)sizeof(r) + len,
			     .nhandles = nh,
			     .handles = h};
	long e = sys_port_reply(reply, &m);
	if (e < 0 && e != ERR_PEER_CLOSED)
		sys_handle_close(reply);
	return e;
}

static void json_call(handle_t reply, uint32_t len)
{
	static struct json_doc d;
	char cmd[16] = "";
	if (json_parse(&d, (const char *)buf, len) < 0 ||
	    json_get_str(&d, "cmd", cmd, sizeof(cmd)) < 0) {
		cl_reply_error(reply, "BAD_JSON", "not a request");
	} else if (!strcmp(cmd, "ping")) {
		snprintf(js, sizeof(js),
			 "{\"name\":\"inputd\",\"version\":\"0.1.0\","
			 "\"protocol\":\"ports/v0\",\"input_proto\":%u}",
			 INPUT_PROTO_VERSION);
		cl_reply_ok(reply, js, NULL, 0);
	} else if (!strcmp(cmd, "status") &&
		   hub_status_json(&hub, js, sizeof(js) - 64) > 0) {
		cl_reply_ok(reply, js, NULL, 0);
	} else if (!strcmp(cmd, "status")) {
		cl_reply_error(reply, "INTERNAL", "status too big");
	} else {
		cl_reply_error(reply, "BAD_CMD", "unknown cmd");
	}
}

static bool req_of(uint32_t len, struct input_req *q)
{
	if (len < sizeof(*q))
		return false;
	memcpy(q, buf, sizeof(*q));
	return true;
}

static void devices(handle_t reply)
{
	struct input_dev_desc l[INPUT_DEVS_MAX];
	uint32_t n = hub_devices(&hub, l, INPUT_DEVS_MAX);
	answer(reply, 0, n, l, n * (uint32_t)sizeof(l[0]), NULL, 0);
}

/* ---- drivers ---- */

static void dev_gone(int slot)
{
	hub_dev_remove(&hub, slot, now());
	sys_handle_close(devport[slot]); /* drops what it still holds */
	devport[slot] = 0;
}

static void dev_connect(handle_t reply, const struct input_req *q, uint32_t len,
			uint64_t sender)
{
	struct input_dev_desc d;
	handle_t recv = 0, send0 = 0, ep = 0;
	int slot, err;
	if (len != sizeof(*q) + sizeof(d)) {
		answer(reply, -INPUT_EINVAL, 0, NULL, 0, NULL, 0);
		return;
	}
	if (q->a != INPUT_PROTO_VERSION) {
		answer(reply, -INPUT_EPROTO, 0, NULL, 0, NULL, 0);
		return;
	}
	memcpy(&d, buf + sizeof(*q), sizeof(d));
	if ((err = hub_dev_add(&hub, &d, sender, now(), &slot)) < 0) {
		answer(reply, err, 0, NULL, 0, NULL, 0);
		return;
	}
	uint32_t id = hub.dev[slot].id;
	if (sys_port_create(0, &recv, &send0) < 0 ||
	    sys_port_mint_ex(recv, id, PORT_MINT_NOTIFY_CLOSED, &ep) < 0 ||
	    sys_port_bind_notif(recv, notif, 1ull << (DEV_BIT0 + slot)) < 0) {
		if (send0)
			sys_handle_close(send0);
		if (ep)
			sys_handle_close(ep);
		if (recv)
			sys_handle_close(recv);
		hub_dev_remove(&hub, slot, now());
		answer(reply, -INPUT_ENOSPC, 0, NULL, 0, NULL, 0);
		return;
	}
	sys_handle_close(send0); /* only ep sends: its end is the device's */
	devport[slot] = recv;
	printf("inputd: device %u \"%s\" connected\n", id,
	       hub.dev[slot].desc.name);
	/* Refused or the driver gone: the handle stays here; closing it
	 * brings the no-senders notice that removes the device. */
	if (answer(reply, 0, id, NULL, 0, &ep, 1) < 0)
		sys_handle_close(ep);
}

/* One device's messages; true when its port may hold more. */
static bool dev_drain(int slot)
{
	for (int i = 0; i < DEV_BUDGET; i++) {
		handle_t h[PORT_HANDLES_MAX];
		struct port_rx rx = {.buf = buf,
				     .cap = PORT_MSG_MAX,
				     .handles = h,
				     .hcap = PORT_HANDLES_MAX};
		long r = sys_port_recv(devport[slot], &rx, DEADLINE_POLL);
		if (r < 0)
			return false;
		for (uint32_t k = 0; k < rx.nhandles; k++)
			sys_handle_close(h[k]);
		if (rx.flags & PORT_RX_CLOSED) {
			printf("inputd: device %u gone\n", hub.dev[slot].id);
			dev_gone(slot);
			return false;
		}
		int n = hub_dev_msg(&hub, slot, buf, rx.len);
		if (rx.reply)
			answer(rx.reply, n < 0 ? n : 0, n < 0 ? 0 : (uint64_t)n,
			       NULL, 0, NULL, 0);
	}
	return true;
}

/* A call on the drivers' public endpoint. */
static void drv_call(handle_t reply, uint32_t len, uint64_t sender)
{
	struct input_req q;
	if (len && buf[0] == '{')
		json_call(reply, len);
	else if (req_of(len, &q) && q.op == INPUT_DEV_CONNECT)
		dev_connect(reply, &q, len, sender);
	else
		answer(reply, -INPUT_EPERM, 0, NULL, 0, NULL, 0);
}

static bool drv_drain(void)
{
	for (int i = 0; i < PORT_BUDGET; i++) {
		handle_t h[PORT_HANDLES_MAX];
		struct port_rx rx = {.buf = buf,
				     .cap = PORT_MSG_MAX,
				     .handles = h,
				     .hcap = PORT_HANDLES_MAX};
		long r = sys_port_recv(dport, &rx, DEADLINE_POLL);
		if (r < 0)
			return false;
		for (uint32_t k = 0; k < rx.nhandles; k++)
			sys_handle_close(h[k]);
		if (rx.reply)
			drv_call(rx.reply, rx.len, rx.sender);
	}
	return true;
}

/* ---- subscribers ---- */

/* A held or new read of slot s: answered if events are queued. */
static bool deliver(int s, handle_t reply, uint32_t max)
{
	static struct input_event ev[INPUT_BATCH_MAX];
	uint32_t n = hub_sub_peek(&hub, s, ev, max);
	if (!n)
		return false;
	if (answer(reply, 0, n, ev, n * (uint32_t)sizeof(ev[0]), NULL, 0) == 0)
		hub_sub_consume(&hub, s, n);
	/* else the reader gave up: the events stay for its next read */
	return true;
}

/* A new read replaces a held one, which gets INPUT_EBUSY: the holder
 * may be a reader that timed out and reads again (its old call is
 * cancelled, and the hub cannot tell), and a read is held only while the
 * queue is empty, so nothing is lost either way. */
static void drop_held(int s)
{
	if (pend[s])
		answer(pend[s], -INPUT_EBUSY, 0, NULL, 0, NULL, 0);
	pend[s] = 0;
	hub.sub[s].held = false;
}

static void sub_gone(int s)
{
	if (pend[s])
		sys_handle_close(pend[s]); /* its caller gets PEER_CLOSED */
	pend[s] = 0;
	hub_sub_remove(&hub, s);
}

static void subscribe(handle_t reply, const struct input_req *q,
		      uint64_t sender)
{
	int s, err;
	handle_t ep;
	if (q->a != INPUT_PROTO_VERSION) {
		answer(reply, -INPUT_EPROTO, 0, NULL, 0, NULL, 0);
		return;
	}
	if ((err = hub_sub_add(&hub, sender, &s)) < 0) {
		answer(reply, err, 0, NULL, 0, NULL, 0);
		return;
	}
	uint32_t id = hub.sub[s].id;
	if (sys_port_mint_ex(sport, SUB_BADGE | id, PORT_MINT_NOTIFY_CLOSED,
			     &ep) < 0) {
		hub_sub_remove(&hub, s);
		answer(reply, -INPUT_ENOSPC, 0, NULL, 0, NULL, 0);
		return;
	}
	if (answer(reply, 0, id, NULL, 0, &ep, 1) < 0)
		sys_handle_close(ep); /* the notice ends the subscription */
}

static void read_call(int s, handle_t reply, const struct input_req *q)
{
	if (q->a < 1 || q->a > INPUT_BATCH_MAX ||
	    (q->flags & ~INPUT_READ_NOWAIT)) {
		answer(reply, -INPUT_EINVAL, 0, NULL, 0, NULL, 0);
		return;
	}
	drop_held(s);
	if (deliver(s, reply, q->a))
		return;
	if (q->flags & INPUT_READ_NOWAIT) {
		answer(reply, -INPUT_EAGAIN, 0, NULL, 0, NULL, 0);
		return;
	}
	pend[s] = reply;
	pend_max[s] = q->a;
	hub.sub[s].held = true;
}

static void sub_call(handle_t reply, uint64_t badge, uint32_t len,
		     uint64_t sender)
{
	struct input_req q;
	bool pub = badge == 0;
	if (badge == DEV_PUB_BADGE) { /* --port: drivers share the port */
		drv_call(reply, len, sender);
		return;
	}
	int s = pub ? -1 : hub_sub_slot(&hub, (uint32_t)badge);
	if (len && buf[0] == '{' && pub) {
		json_call(reply, len);
		return;
	}
	if (!req_of(len, &q) || (!pub && s < 0)) {
		answer(reply, -INPUT_EINVAL, 0, NULL, 0, NULL, 0);
		return;
	}
	if (q.op == INPUT_DEVICES) {
		devices(reply);
	} else if (q.op == INPUT_SUBSCRIBE && pub) {
		subscribe(reply, &q, sender);
	} else if (q.op == INPUT_READ && !pub) {
		read_call(s, reply, &q);
	} else {
		answer(reply, -INPUT_EPERM, 0, NULL, 0, NULL, 0);
	}
}

static bool sub_drain(void)
{
	for (int i = 0; i < PORT_BUDGET; i++) {
		handle_t h[PORT_HANDLES_MAX];
		struct port_rx rx = {.buf = buf,
				     .cap = PORT_MSG_MAX,
				     .handles = h,
				     .hcap = PORT_HANDLES_MAX};
		long r = sys_port_recv(sport, &rx, DEADLINE_POLL);
		if (r == ERR_BUFFER_TOO_SMALL)
			continue; /* cannot be: 4096 and 8 are the maxima */
		if (r < 0)
			return false;
		for (uint32_t k = 0; k < rx.nhandles; k++)
			sys_handle_close(h[k]);
		if (rx.flags & PORT_RX_CLOSED) {
			int s = hub_sub_slot(&hub, (uint32_t)rx.badge);
			if ((rx.badge & SUB_BADGE) && s >= 0)
				sub_gone(s);
		} else if (rx.reply) {
			sub_call(rx.reply, rx.badge, rx.len, rx.sender);
		}
	}
	return true;
}

/* Held reads with events to give. */
static void flush(void)
{
	for (int s = 0; s < (int)INPUT_SUBS_MAX; s++) {
		if (!pend[s] || !hub_sub_queued(&hub, s))
			continue;
		handle_t r = pend[s];
		pend[s] = 0;
		hub.sub[s].held = false;
		deliver(s, r, pend_max[s]);
	}
}

static long make_port(const char *name, handle_t *recv, uint64_t bit)
{
	handle_t send;
	long r = sys_port_create(0, recv, &send);
	if (r == 0)
		r = sys_port_bind_notif(*recv, notif, bit);
	if (r < 0)
		return r;
	cl_err_t e = cl_register(name, send);
	if (e != CL_OK) {
		printf("inputd: cannot register %s: %s\n", name,
		       cl_strerror(e));
		return ERR_NOT_FOUND;
	}
	return 0;
}

int main(int argc, char **argv)
{
	hub_init(&hub);
	long r = sys_notif_create(&notif);
	if (argc == 3 && !strcmp(argv[1], "--port")) {
		sport = (handle_t)strtoul(argv[2], NULL, 0);
		if (r == 0)
			r = sys_port_bind_notif(sport, notif, BIT_SUB);
	} else {
		if (r == 0)
			r = make_port(INPUT_DEV_SVC_NAME, &dport, BIT_DRV);
		if (r == 0)
			r = make_port(INPUT_SVC_NAME, &sport, BIT_SUB);
	}
	if (r < 0) {
		printf("inputd: cannot start: %s\n", err_name(r));
		return 1;
	}
	if (dport)
		printf("inputd: serving %s and %s\n", INPUT_SVC_NAME,
		       INPUT_DEV_SVC_NAME);
	uint64_t more = 0;
	for (;;) {
		uint64_t bits = 0;
		r = sys_notif_wait(notif, ~0ull,
				   more ? DEADLINE_POLL : DEADLINE_NONE, &bits);
		if (r < 0 && r != ERR_SHOULD_WAIT) {
			printf("inputd: wait: %s\n", err_name(r));
			return 1;
		}
		bits |= more;
		more = 0;
		/* Drivers first: their events are what everyone waits for. */
		for (int i = 0; i < (int)INPUT_DEVS_MAX; i++) {
			uint64_t b = 1ull << (DEV_BIT0 + i);
			if ((bits & b) && devport[i] && dev_drain(i))
				more |= b;
		}
		if ((bits & BIT_DRV) && drv_drain())
			more |= BIT_DRV;
		if ((bits & BIT_SUB) && sub_drain())
			more |= BIT_SUB;
		flush();
	}
}
