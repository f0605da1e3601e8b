/* names: the name service (docs/names.md). Receives on a port whose
 * receive handle it gets at START_H_SERVICE (or as argv[1], the guest
 * tests); init keeps a duplicate and mints every client's send handle with
 * a badge (1 = init's control endpoint). The protocol, the access-control
 * lists and the waiting lookups are names_core (no system calls, host
 * tested); this file receives, and does what the core asks: answer, close,
 * check and reduce a registered handle.
 * Single-threaded: waiting lookups keep their reply handles until the name
 * appears or their deadline passes (the receive deadline is the earliest). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/rights.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>

#include "cl_ports.h"
#include "names_core.h"

#ifndef START_H_SERVICE
#define START_H_SERVICE 12 /* ISSUE10 contract; until syscall.h has it */
#endif

/* Registered endpoints keep only what a client needs to call and to pass
 * the handle on. */
#define KEPT_RIGHTS (RIGHT_WRITE | RIGHT_DUPLICATE | RIGHT_TRANSFER)

static struct names_core core;
static char buf[PORT_MSG_MAX + 1];

static uint64_t now(void)
{
	long t = sys_clock_now();
	return t < 0 ? 0 : (uint64_t)t;
}

/* A reply refused by its checks stays ours (docs/ipc.md): never keep it. */
static void settle(handle_t reply, long r)
{
	if (r < 0 && r != ERR_PEER_CLOSED)
		sys_handle_close(reply);
}

static void op_reply_ok(void *ctx, uint32_t reply, const char *result,
			uint32_t send)
{
	(void)ctx;
	handle_t d = HANDLE_INVALID;
	if (send && sys_handle_dup(send, RIGHT_SAME, &d) < 0) {
		settle(reply, cl_reply_error(reply, "NO_MEMORY",
					     "cannot duplicate handle"));
		return;
	}
	long r = cl_reply_ok(reply, result, d ? &d : NULL, d ? 1 : 0);
	if (r < 0 && d)
		sys_handle_close(d); /* not delivered: still ours */
	settle(reply, r);
}

static void op_reply_err(void *ctx, uint32_t reply, const char *code,
			 const char *msg)
{
	(void)ctx;
	settle(reply, cl_reply_error(reply, code, msg));
}

static void op_close(void *ctx, uint32_t h)
{
	(void)ctx;
	sys_handle_close(h);
}

static int op_adopt_send(void *ctx, uint32_t h, uint32_t *out)
{
	(void)ctx;
	struct handle_info hi;
	if (sys_handle_info(h, &hi) < 0 || hi.type != OBJ_PORT_SEND ||
	    !(hi.rights & RIGHT_WRITE) || !(hi.rights & RIGHT_DUPLICATE))
		return -1;
	handle_t d;
	if (sys_handle_dup(h, hi.rights & KEPT_RIGHTS, &d) < 0)
		return -1;
	sys_handle_close(h);
	*out = d;
	return 0;
}

int main(int argc, char **argv)
{
	handle_t port = execrt_handle(START_H_SERVICE);
	if (!port && argc > 1)
		port = (handle_t)strtoul(argv[1], NULL, 0);
	if (!port) {
		printf("names: no receive handle (START_H_SERVICE or "
		       "argv[1])\n");
		return 2;
	}
	static const struct nc_ops ops = {.reply_ok = op_reply_ok,
					  .reply_err = op_reply_err,
					  .close = op_close,
					  .adopt_send = op_adopt_send};
	nc_init(&core, &ops);
	for (;;) {
		handle_t h[PORT_HANDLES_MAX];
		struct port_rx rx = {.buf = buf,
				     .cap = PORT_MSG_MAX,
				     .handles = h,
				     .hcap = PORT_HANDLES_MAX};
		long r = sys_port_recv(port, &rx, nc_expire(&core, now()));
		/* Nothing can be too big: the buffers take the maximum. */
		if (r == ERR_TIMED_OUT)
			continue;
		if (r < 0) {
			printf("names: receive: %s\n", err_name(r));
			return 1;
		}
		if (rx.reply) /* not a call: nobody to answer */
			nc_request(&core, rx.badge, buf, rx.len, h, rx.nhandles,
				   rx.reply, now());
		for (uint32_t i = 0; i < rx.nhandles; i++)
			if (h[i])
				sys_handle_close(h[i]);
	}
}
