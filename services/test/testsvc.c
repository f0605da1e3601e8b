/* testsvc: the test service (/svc/test, docs/names.md "testsvc"): ports/v0
 * ping, echo, sleep, crash, exit, subscribe (tick events), status, so the
 * supervisor, portctl and clients meet something real. The protocol is
 * tsvc_proto.c; this file receives, keeps sleeping calls and subscribers,
 * and sends the ticks. Single-threaded: the receive deadline is the
 * earliest of the next tick and the earliest sleeping call. */
#include <stdio.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/sys.h>

#include "cl_ports.h"
#include "tsvc_proto.h"

struct sleeper {
	handle_t reply;
	uint64_t until, usec;
};

static struct tsvc svc;
static struct tsvc_out out;
static handle_t subs[TSVC_MAX_SUBS];
static struct sleeper sleepers[TSVC_MAX_SLEEPERS];
static char buf[PORT_MSG_MAX + 1];

static uint64_t now(void)
{
	long t = sys_clock_now();
	return t < 0 ? 0 : (uint64_t)t;
}

static void tick(void)
{
	char ev[96];
	int n = tsvc_tick(&svc, now(), ev, sizeof(ev));
	struct port_msg m = {.data = ev, .len = (uint32_t)n};
	for (int i = 0; i < TSVC_MAX_SUBS; i++) {
		if (!subs[i])
			continue;
		long r = sys_port_send(subs[i], &m, DEADLINE_POLL);
		if (r == ERR_SHOULD_WAIT) {
			svc.dropped++; /* a slow subscriber loses ticks */
		} else if (r < 0) {    /* subscriber gone */
			sys_handle_close(subs[i]);
			subs[i] = HANDLE_INVALID;
			svc.subscribers--;
		}
	}
}

static uint64_t wake_sleepers(uint64_t t)
{
	uint64_t next = DEADLINE_NONE;
	for (int i = 0; i < TSVC_MAX_SLEEPERS; i++) {
		struct sleeper *s = &sleepers[i];
		if (!s->reply)
			continue;
		if (s->until <= t) {
			char res[48];
			snprintf(res, sizeof(res), "{\"slept_usec\":%llu}",
				 (unsigned long long)s->usec);
			cl_reply_ok(s->reply, res, NULL, 0);
			s->reply = HANDLE_INVALID;
			svc.sleepers--;
		} else if (s->until < next) {
			next = s->until;
		}
	}
	return next;
}

static void crash(void)
{
	*(volatile int *)0 = 1; /* on purpose: the supervisor's test case */
}

/* One call; handles taken are set to 0. Returns false to exit. */
static bool call(handle_t reply, handle_t *h, uint32_t nh, uint32_t len)
{
	tsvc_handle(&svc, buf, len, nh, now(), &out);
	switch (out.act) {
	case TSVC_CRASH:
		crash();
		return false;
	case TSVC_SLEEP:
		for (int i = 0; i < TSVC_MAX_SLEEPERS; i++) {
			if (!sleepers[i].reply) {
				sleepers[i].reply = reply;
				sleepers[i].until = out.until_ns;
				sleepers[i].usec = out.usec;
				svc.sleepers++;
				return true;
			}
		}
		cl_reply_error(reply, "BUSY", "too many sleeping calls");
		return true;
	case TSVC_SUBSCRIBE:
		for (int i = 0; i < TSVC_MAX_SUBS; i++) {
			if (!subs[i]) {
				subs[i] = h[out.port];
				h[out.port] = HANDLE_INVALID;
				svc.subscribers++;
				break;
			}
		}
		cl_reply_ok(reply, NULL, NULL, 0);
		return true;
	case TSVC_EXIT:
		cl_reply_ok(reply, NULL, NULL, 0);
		return false;
	case TSVC_LOG:
		for (uint64_t i = 1; i <= out.lines; i++)
			printf("testsvc: log line %llu of %llu\n",
			       (unsigned long long)i,
			       (unsigned long long)out.lines);
		fflush(stdout);
		cl_reply_ok(reply, out.result, NULL, 0);
		return true;
	case TSVC_REPLY:
		if (out.ok)
			cl_reply_ok(reply, out.result, NULL, 0);
		else
			cl_reply_error(reply, out.code, out.message);
		return true;
	}
	return true;
}

int main(int argc, char **argv)
{
	char err[160];
	if (tsvc_init(&svc, argc, argv, now(), err, sizeof(err)) < 0) {
		printf("testsvc: %s\n", err);
		return 2;
	}
	handle_t recv, send;
	long r = sys_port_create(0, &recv, &send);
	if (r < 0) {
		printf("testsvc: port_create: %s\n", err_name(r));
		return 1;
	}
	cl_err_t e = cl_register(svc.name, send);
	if (e < 0) {
		printf("testsvc: register %s: %s\n", svc.name, cl_strerror(e));
		return 1;
	}
	/* One line for the log ring: a supervisor's `logs` shows the
	 * service came up and how. */
	printf("testsvc: serving %s (tick %llu ms)\n", svc.name,
	       (unsigned long long)(svc.tick_ns / 1000000));
	uint64_t next_tick = now() + svc.tick_ns;
	for (;;) {
		uint64_t t = now();
		uint64_t dl = wake_sleepers(t);
		if (svc.subscribers) {
			if (t >= next_tick) {
				tick();
				next_tick += svc.tick_ns;
				if (next_tick <= t) /* fell behind: no burst */
					next_tick = t + svc.tick_ns;
			}
			if (next_tick < dl)
				dl = next_tick;
		} else {
			next_tick = t + svc.tick_ns;
		}
		handle_t h[PORT_HANDLES_MAX];
		struct port_rx rx = {.buf = buf,
				     .cap = PORT_MSG_MAX,
				     .handles = h,
				     .hcap = PORT_HANDLES_MAX};
		r = sys_port_recv(recv, &rx, dl);
		if (r == ERR_TIMED_OUT)
			continue;
		if (r < 0) {
			printf("testsvc: receive: %s\n", err_name(r));
			return 1;
		}
		bool go_on = true;
		if (rx.reply)
			go_on = call(rx.reply, h, rx.nhandles, rx.len);
		for (uint32_t i = 0; i < rx.nhandles; i++)
			if (h[i])
				sys_handle_close(h[i]);
		if (!go_on)
			return (int)out.status;
	}
}
