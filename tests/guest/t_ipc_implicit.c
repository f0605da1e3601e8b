/* Implicit replies (PORT_RX_IMPLICIT_REPLY, docs/ipc.md "Implicit
 * reply"): a receiver that opts in gets REPLY_IMPLICIT instead of a reply
 * handle, answers with it, and the call ends unanswered (the caller gets
 * ERR_PEER_CLOSED) when the receiver receives again, exits or closes
 * REPLY_IMPLICIT, unless it moved the call into a real reply handle with
 * handle_dup first. The suite runs with the fastpath on and off
 * (tools/check.sh); with it on, the implicit round trips take it. */
#include <stdbool.h>
#include <string.h>

#include "gtest.h"
#include "gutil.h"

#define T_LONG (5000 * MS)

static handle_t ir, is; /* the port of the current test */

/* A call of one byte v on `is`: the answer's byte, or the error. */
static int64_t call_one(uint64_t v)
{
	unsigned char b = (unsigned char)v, out = 0;
	struct port_msg m = {.data = &b, .len = 1};
	struct port_rx rx = {.buf = &out, .cap = 1};
	long r = sys_port_call(is, &m, &rx, g_now() + T_LONG);
	if (r)
		return r;
	if (rx.len != 1 || rx.reply != HANDLE_INVALID)
		return -1000;
	return out;
}

static void rx_init(struct port_rx *rx, unsigned char *buf, uint32_t cap)
{
	memset(rx, 0, sizeof(*rx));
	rx->buf = buf;
	rx->cap = cap;
	rx->flags = PORT_RX_IMPLICIT_REPLY;
}

/* Serves with reply_recv(REPLY_IMPLICIT) until a message of length 0:
 * answers b + 1; fails with -2000 - n if a call came with anything but
 * REPLY_IMPLICIT or the flag was not kept. Returns the calls served. */
static int64_t implicit_server(uint64_t unused)
{
	(void)unused;
	unsigned char buf[16];
	struct port_rx rx;
	rx_init(&rx, buf, sizeof(buf));
	long r = sys_port_recv(ir, &rx, DEADLINE_NONE);
	int64_t n = 0;
	while (r == 0 && rx.len) {
		if (rx.reply != REPLY_IMPLICIT ||
		    !(rx.flags & PORT_RX_IMPLICIT_REPLY))
			return -2000 - n;
		buf[0]++;
		struct port_msg m = {.data = buf, .len = 1};
		/* rx reused as it came back: still opted in */
		r = sys_port_reply_recv(REPLY_IMPLICIT, &m, ir, &rx,
					DEADLINE_NONE);
		n++;
	}
	return r ? r : n;
}

static void stop(struct gthread *srv, int64_t *st)
{
	struct port_msg end = {.len = 0};
	*st = -1;
	if (sys_port_send(is, &end, g_now() + T_LONG) == 0)
		gthread_join(srv, g_now() + T_LONG, st);
}

/* Round trips answered through REPLY_IMPLICIT: right answers, no handle
 * created in the task, and with the fastpath on, both ways fast. */
GTEST(ipc_implicit_reply_recv_round_trips)
{
	GCHECK_OK(sys_port_create(0, &ir, &is));
	struct gthread srv;
	GCHECK_OK(gthread_start(&srv, implicit_server, 0));
	g_wait_blocked(srv.h);
	handle_t me = execrt_handle(START_H_SELF_THREAD);
	uint64_t c0 = g_ipc_fast_count(me), s0 = g_ipc_fast_count(srv.h);
	struct handle_info hi;
	long h0 = sys_handle_info(is, &hi);
	GCHECK_OK(h0);
	for (unsigned i = 0; i < 100; i++)
		GCHECK_EQ(call_one(i), (i + 1) & 0xff);
	uint64_t c1 = g_ipc_fast_count(me), s1 = g_ipc_fast_count(srv.h);
	int64_t st;
	stop(&srv, &st);
	GCHECK_EQ(st, 100);
	if (g_ipc_fastpath_on() == 1) {
		GCHECK_EQ(c1 - c0, 100);
		GCHECK(s1 - s0 >= 99);
	} else {
		GCHECK_EQ(c1 - c0, 0);
		GCHECK_EQ(s1 - s0, 0);
	}
	GCHECK_OK(sys_handle_close(is));
	GCHECK_OK(sys_handle_close(ir));
}

/* A caller thread: its call's result, for the rule tests below. */
static struct gthread caller;
static void start_caller(uint64_t v)
{
	gthread_start(&caller, call_one, v);
}
static int64_t caller_result(void)
{
	int64_t st = -1;
	if (gthread_join(&caller, g_now() + T_LONG, &st))
		return -3000;
	return st;
}

/* Receives one call with the flag (the port's creator runs the test). */
static long recv_call(struct port_rx *rx, unsigned char *buf)
{
	rx_init(rx, buf, 16);
	return sys_port_recv(ir, rx, g_now() + T_LONG);
}

/* Receiving again without answering ends the call: the caller gets
 * ERR_PEER_CLOSED, the receive goes on (a message sent meanwhile), and
 * REPLY_IMPLICIT names nothing afterwards for a plain message. */
GTEST(ipc_implicit_receiving_again_ends_the_call)
{
	GCHECK_OK(sys_port_create(0, &ir, &is));
	unsigned char buf[16];
	struct port_rx rx;
	start_caller(5);
	GCHECK_OK(recv_call(&rx, buf));
	GCHECK_EQ(rx.reply, REPLY_IMPLICIT);
	GCHECK_EQ(buf[0], 5);
	GCHECK_EQ(sys_port_recv(ir, &rx, DEADLINE_POLL), ERR_SHOULD_WAIT);
	GCHECK_EQ(caller_result(), ERR_PEER_CLOSED);
	/* A plain message: no reply, nothing to answer. */
	unsigned char b = 9;
	struct port_msg m = {.data = &b, .len = 1};
	GCHECK_OK(sys_port_send(is, &m, DEADLINE_POLL));
	GCHECK_OK(recv_call(&rx, buf));
	GCHECK_EQ(rx.reply, HANDLE_INVALID);
	GCHECK_EQ(sys_port_reply(REPLY_IMPLICIT, &m), ERR_BAD_HANDLE);
	GCHECK_OK(sys_handle_close(is));
	GCHECK_OK(sys_handle_close(ir));
}

/* Closing REPLY_IMPLICIT ends the call; a second close and an answer
 * find nothing; a receiver that did not opt in gets a real handle. */
GTEST(ipc_implicit_close_ends_the_call)
{
	GCHECK_OK(sys_port_create(0, &ir, &is));
	unsigned char buf[16];
	struct port_rx rx;
	start_caller(7);
	GCHECK_OK(recv_call(&rx, buf));
	GCHECK_EQ(rx.reply, REPLY_IMPLICIT);
	GCHECK_OK(sys_handle_close(REPLY_IMPLICIT));
	GCHECK_EQ(caller_result(), ERR_PEER_CLOSED);
	GCHECK_EQ(sys_handle_close(REPLY_IMPLICIT), ERR_BAD_HANDLE);
	struct port_msg m = {.data = buf, .len = 1};
	GCHECK_EQ(sys_port_reply(REPLY_IMPLICIT, &m), ERR_BAD_HANDLE);
	/* Not opted in: an ordinary handle, as before. */
	start_caller(10);
	rx_init(&rx, buf, sizeof(buf));
	rx.flags = 0;
	GCHECK_OK(sys_port_recv(ir, &rx, g_now() + T_LONG));
	GCHECK(rx.reply != HANDLE_INVALID && rx.reply != REPLY_IMPLICIT);
	GCHECK_EQ(rx.flags, 0);
	buf[0] = 11;
	GCHECK_OK(sys_port_reply(rx.reply, &m));
	GCHECK_EQ(caller_result(), 11);
	GCHECK_OK(sys_handle_close(is));
	GCHECK_OK(sys_handle_close(ir));
}

/* A bad answer changes nothing: the call still waits for a good one. */
GTEST(ipc_implicit_bad_answer_keeps_the_call)
{
	GCHECK_OK(sys_port_create(0, &ir, &is));
	unsigned char buf[16];
	struct port_rx rx;
	start_caller(20);
	GCHECK_OK(recv_call(&rx, buf));
	GCHECK_EQ(sys_port_reply(REPLY_IMPLICIT, (void *)16), ERR_FAULT);
	struct port_msg big = {.data = buf, .len = PORT_MSG_MAX + 1};
	GCHECK(sys_port_reply(REPLY_IMPLICIT, &big) < 0);
	buf[0] = 21;
	struct port_msg m = {.data = buf, .len = 1};
	GCHECK_OK(sys_port_reply(REPLY_IMPLICIT, &m));
	GCHECK_EQ(caller_result(), 21);
	GCHECK_EQ(sys_port_reply(REPLY_IMPLICIT, &m), ERR_BAD_HANDLE);
	GCHECK_OK(sys_handle_close(is));
	GCHECK_OK(sys_handle_close(ir));
}

/* A deferred answer: handle_dup moves the call into a real reply handle,
 * which survives the next receive (a second call, answered implicitly
 * first); then the first is answered through the handle. Closing the
 * converted handle unanswered ends its call as any reply handle does. */
GTEST(ipc_implicit_converted_to_a_handle_survives_receiving)
{
	GCHECK_OK(sys_port_create(0, &ir, &is));
	unsigned char buf[16];
	struct port_rx rx;
	start_caller(30);
	GCHECK_OK(recv_call(&rx, buf));
	handle_t h;
	GCHECK_EQ(sys_handle_dup(REPLY_IMPLICIT, RIGHT_DUPLICATE, &h),
		  ERR_ACCESS_DENIED);
	GCHECK_OK(sys_handle_dup(REPLY_IMPLICIT, RIGHT_SAME, &h));
	GCHECK(h != REPLY_IMPLICIT && h != HANDLE_INVALID);
	GCHECK_EQ(sys_handle_close(REPLY_IMPLICIT), ERR_BAD_HANDLE);
	struct gthread first = caller;
	start_caller(40);
	GCHECK_OK(recv_call(&rx, buf)); /* the first call stays open */
	GCHECK_EQ(rx.reply, REPLY_IMPLICIT);
	GCHECK_EQ(buf[0], 40);
	buf[0] = 41;
	struct port_msg m = {.data = buf, .len = 1};
	GCHECK_OK(sys_port_reply(REPLY_IMPLICIT, &m));
	GCHECK_EQ(caller_result(), 41);
	buf[0] = 31;
	GCHECK_OK(sys_port_reply(h, &m)); /* consumes h */
	caller = first;
	GCHECK_EQ(caller_result(), 31);
	GCHECK_EQ(sys_handle_close(h), ERR_BAD_HANDLE);
	/* Converted and then closed: the call ends. */
	start_caller(50);
	GCHECK_OK(recv_call(&rx, buf));
	GCHECK_OK(sys_handle_dup(REPLY_IMPLICIT, RIGHT_SAME, &h));
	GCHECK_OK(sys_handle_close(h));
	GCHECK_EQ(caller_result(), ERR_PEER_CLOSED);
	GCHECK_OK(sys_handle_close(is));
	GCHECK_OK(sys_handle_close(ir));
}

/* A server thread that receives one call implicitly and exits. */
static int64_t recv_and_exit(uint64_t unused)
{
	(void)unused;
	unsigned char buf[16];
	struct port_rx rx;
	rx_init(&rx, buf, sizeof(buf));
	long r = sys_port_recv(ir, &rx, g_now() + T_LONG);
	if (r)
		return r;
	return rx.reply == REPLY_IMPLICIT ? 1 : -1;
}

/* A call that gives up after 300 ms. */
static int64_t call_short(uint64_t v)
{
	unsigned char b = (unsigned char)v, out = 0;
	struct port_msg m = {.data = &b, .len = 1};
	struct port_rx rx = {.buf = &out, .cap = 1};
	return sys_port_call(is, &m, &rx, g_now() + 300 * MS);
}

/* Exiting ends the call; so does the caller's timeout end it for the
 * answer (ERR_PEER_CLOSED, and REPLY_IMPLICIT is used up). */
GTEST(ipc_implicit_exit_and_timeout_end_the_call)
{
	GCHECK_OK(sys_port_create(0, &ir, &is));
	struct gthread srv;
	GCHECK_OK(gthread_start(&srv, recv_and_exit, 0));
	g_wait_blocked(srv.h);
	GCHECK_EQ(call_one(60), ERR_PEER_CLOSED);
	int64_t st = -1;
	GCHECK_OK(gthread_join(&srv, g_now() + T_LONG, &st));
	GCHECK_EQ(st, 1);
	/* The caller gives up first: the answer finds the call over and
	 * uses REPLY_IMPLICIT up. */
	unsigned char buf[16];
	struct port_rx rx;
	gthread_start(&caller, call_short, 71);
	GCHECK_OK(recv_call(&rx, buf));
	GCHECK_EQ(rx.reply, REPLY_IMPLICIT);
	GCHECK_EQ(caller_result(), ERR_TIMED_OUT);
	struct port_msg m = {.data = buf, .len = 1};
	GCHECK_EQ(sys_port_reply(REPLY_IMPLICIT, &m), ERR_PEER_CLOSED);
	GCHECK_EQ(sys_port_reply(REPLY_IMPLICIT, &m), ERR_BAD_HANDLE);
	GCHECK_OK(sys_handle_close(is));
	GCHECK_OK(sys_handle_close(ir));
}
