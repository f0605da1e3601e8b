/* Exact donation (docs/ipc.md "Donation"): a server runs on its caller's
 * parameters exactly while it serves the call, through chains of any
 * length; a queued call lends to the thread serving the port and takes
 * the lend back when it ends; a lend that would close a cycle of calls is
 * refused. The servers are best effort and the callers RT, so "runs on a
 * caller's parameters" shows in the telemetry as eff_cls RT and the
 * DONATED flag. */
#include <string.h>

#include "gtest.h"
#include "gutil.h"

#define T_LONG (5000 * MS)

/* Waits until thread th is blocked (a server in its receive, a caller in
 * its call): a loaded host may stall a vCPU for longer than any sleep. */
static int donated(handle_t th)
{
	struct sched_thread_stats s;
	if (g_thread_stats(th, &s) < 0)
		return -1;
	return (s.flags & SCHED_TS_DONATED) && s.eff_cls == SCHED_CLASS_RT;
}

static int plain(handle_t th)
{
	struct sched_thread_stats s;
	if (g_thread_stats(th, &s) < 0)
		return -1;
	return !(s.flags & SCHED_TS_DONATED) && s.eff_cls == SCHED_CLASS_BE;
}

static long call1(handle_t s, unsigned char v, uint64_t deadline)
{
	unsigned char out = 0;
	struct port_msg m = {.data = &v, .len = 1};
	struct port_rx rx = {.buf = &out, .cap = 1};
	long r = sys_port_call(s, &m, &rx, deadline);
	return r ? r : out == (unsigned char)(v + 1) ? 0 : -1000;
}

/* ---- one call at a time ---- */

static handle_t d_recv, d_send;
static struct gthread d_srv;

/* Checks its own state while serving (donated) and after answering each
 * call with a plain reply (its own again). */
static int64_t checking_server(uint64_t arg)
{
	(void)arg;
	int64_t n = 0;
	for (;;) {
		unsigned char b;
		struct port_rx rx = {.buf = &b, .cap = 1};
		long r = sys_port_recv(d_recv, &rx, DEADLINE_NONE);
		if (r)
			return r;
		if (!rx.len)
			return n;
		if (donated(d_srv.h) != 1)
			return -1000 - n;
		b++;
		struct port_msg m = {.data = &b, .len = 1};
		r = sys_port_reply(rx.reply, &m);
		if (r)
			return r;
		if (plain(d_srv.h) != 1)
			return -2000 - n;
		n++;
	}
}

GTEST(donation_ends_exactly_with_each_call)
{
	handle_t me = execrt_handle(START_H_SELF_THREAD);
	GCHECK_OK(sys_port_create(0, &d_recv, &d_send));
	GCHECK_OK(gthread_start(&d_srv, checking_server, 0));
	g_wait_blocked(d_srv.h);
	GCHECK_OK(g_set_rt(me, 10, 0, 0));
	long err = 0;
	for (int i = 0; i < 30 && !err; i++)
		err = call1(d_send, (unsigned char)i, g_now() + T_LONG);
	g_set_be(me, 0);
	struct port_msg end = {.len = 0};
	GCHECK_OK(sys_port_send(d_send, &end, g_now() + T_LONG));
	int64_t st = -1;
	GCHECK_OK(gthread_join(&d_srv, g_now() + T_LONG, &st));
	GCHECK_OK(err);
	GCHECK_EQ(st, 30);
	GCHECK_OK(sys_handle_close(d_send));
	GCHECK_OK(sys_handle_close(d_recv));
}

/* ---- a chain longer than the old limit of 16 ---- */

#define CHAIN 20
static handle_t ch_recv[CHAIN], ch_send[CHAIN];
static struct gthread ch_srv[CHAIN];
static volatile int ch_release, ch_reached;

/* Stage i serves port i: calls stage i+1 (the last waits for main). */
static int64_t stage(uint64_t i)
{
	for (;;) {
		unsigned char b;
		struct port_rx rx = {.buf = &b, .cap = 1};
		long r = sys_port_recv(ch_recv[i], &rx, DEADLINE_NONE);
		if (r)
			return r;
		if (!rx.len)
			return 0;
		if (i + 1 < CHAIN) {
			r = call1(ch_send[i + 1], b, g_now() + 4 * T_LONG);
			if (r)
				return r;
		} else {
			ch_reached = 1;
			while (!ch_release)
				sys_sleep_until(g_now() + MS);
		}
		b++;
		struct port_msg m = {.data = &b, .len = 1};
		r = sys_port_reply(rx.reply, &m);
		if (r)
			return r;
	}
}

static volatile long ch_result;
static int64_t chain_caller(uint64_t arg)
{
	(void)arg;
	ch_result = call1(ch_send[0], 7, g_now() + 4 * T_LONG);
	return 0;
}

GTEST(donation_chain_of_20_calls_is_exact)
{
	ch_release = ch_reached = 0;
	ch_result = 1;
	for (int i = 0; i < CHAIN; i++) {
		GCHECK_OK(sys_port_create(0, &ch_recv[i], &ch_send[i]));
		GCHECK_OK(gthread_start(&ch_srv[i], stage, (uint64_t)i));
	}
	for (int i = 0; i < CHAIN; i++)
		g_wait_blocked(ch_srv[i].h);
	struct gthread c;
	struct sched_params rt = {
		.cls = SCHED_CLASS_RT, .priority = 10, .cpu = SCHED_CPU_KEEP};
	GCHECK_OK(gthread_start_sched(&c, chain_caller, 0, &rt));
	uint64_t end = g_now() + T_LONG;
	while (!ch_reached && g_now() < end)
		sys_sleep_until(g_now() + MS);
	GCHECK(ch_reached);
	/* Every stage runs on the caller's RT parameters, the 17th to 20th
	 * too (the old walk stopped at 16 links). */
	int on = 0;
	for (int i = 0; i < CHAIN; i++)
		on += donated(ch_srv[i].h) == 1;
	ch_release = 1;
	int64_t st;
	GCHECK_OK(gthread_join(&c, g_now() + T_LONG, &st));
	GCHECK_OK(ch_result);
	sys_sleep_until(g_now() + 2 * MS); /* all back to receiving */
	int off = 0;
	for (int i = 0; i < CHAIN; i++)
		off += plain(ch_srv[i].h) == 1;
	printf("    %d of %d stages donated during the call, %d back to "
	       "their own after\n",
	       on, CHAIN, off);
	GCHECK_EQ(on, CHAIN);
	GCHECK_EQ(off, CHAIN);
	for (int i = 0; i < CHAIN; i++) {
		struct port_msg e = {.len = 0};
		GCHECK_OK(sys_port_send(ch_send[i], &e, g_now() + T_LONG));
		GCHECK_OK(gthread_join(&ch_srv[i], g_now() + T_LONG, &st));
		GCHECK_OK(st);
		GCHECK_OK(sys_handle_close(ch_send[i]));
		GCHECK_OK(sys_handle_close(ch_recv[i]));
	}
}

/* ---- a queued call's lend, taken back when the call gives up ---- */

static volatile int hold_release, hold_got;

/* Receives one call, holds it until released, answers it. */
static int64_t holding_server(uint64_t arg)
{
	(void)arg;
	unsigned char b;
	struct port_rx rx = {.buf = &b, .cap = 1};
	long r = sys_port_recv(d_recv, &rx, DEADLINE_NONE);
	if (r)
		return r;
	hold_got = 1;
	while (!hold_release)
		sys_sleep_until(g_now() + MS);
	b++;
	struct port_msg m = {.data = &b, .len = 1};
	return sys_port_reply(rx.reply, &m);
}

static volatile long be_result, rt_result;
static int64_t be_client(uint64_t arg)
{
	(void)arg;
	be_result = call1(d_send, 3, g_now() + T_LONG);
	return 0;
}

static int64_t rt_client(uint64_t arg)
{
	(void)arg;
	rt_result = call1(d_send, 4, g_now() + 300 * MS);
	return 0;
}

GTEST(donation_lend_taken_back_when_the_queued_call_ends)
{
	hold_release = hold_got = 0;
	be_result = rt_result = 1;
	GCHECK_OK(sys_port_create(0, &d_recv, &d_send));
	GCHECK_OK(gthread_start(&d_srv, holding_server, 0));
	struct gthread a, b;
	GCHECK_OK(gthread_start(&a, be_client, 0));
	uint64_t end = g_now() + T_LONG;
	while (!hold_got && g_now() < end)
		sys_sleep_until(g_now() + MS);
	GCHECK(hold_got);
	GCHECK_EQ(plain(d_srv.h), 1); /* a BE call lends nothing */
	struct sched_params rt = {
		.cls = SCHED_CLASS_RT, .priority = 10, .cpu = SCHED_CPU_KEEP};
	GCHECK_OK(gthread_start_sched(&b, rt_client, 0, &rt));
	g_wait_blocked(b.h);
	/* The RT call waits queued: lent to the server, which serves the
	 * port's call now. */
	int lent = donated(d_srv.h);
	int64_t st;
	GCHECK_OK(gthread_join(&b, g_now() + T_LONG, &st));
	GCHECK_ERR(rt_result, ERR_TIMED_OUT);
	/* The call is over: the lend is gone, exactly. */
	int after = plain(d_srv.h);
	hold_release = 1;
	GCHECK_OK(gthread_join(&a, g_now() + T_LONG, &st));
	GCHECK_OK(be_result);
	GCHECK_OK(gthread_join(&d_srv, g_now() + T_LONG, &st));
	GCHECK_OK(st);
	GCHECK_EQ(lent, 1);
	GCHECK_EQ(after, 1);
	GCHECK_OK(sys_handle_close(d_send));
	GCHECK_OK(sys_handle_close(d_recv));
}

/* ---- a cycle of calls ---- */

static handle_t cy_recv[2], cy_send[2];
static struct gthread cy_srv[2];
static volatile long cy_inner;

/* S1 (port 0) calls port 1 for each call; S2 (port 1) calls port 0 (S1
 * is busy in its own call: queued, and lending it to S1 would close the
 * cycle S2 -> S1 -> S2) with a short deadline, then answers. */
static int64_t cycle_server(uint64_t i)
{
	unsigned char b;
	struct port_rx rx = {.buf = &b, .cap = 1};
	long r = sys_port_recv(cy_recv[i], &rx, DEADLINE_NONE);
	if (r)
		return r;
	if (i == 0) {
		r = call1(cy_send[1], b, g_now() + T_LONG);
		if (r)
			return r;
	} else {
		cy_inner = call1(cy_send[0], b, g_now() + 30 * MS);
	}
	b++;
	struct port_msg m = {.data = &b, .len = 1};
	return sys_port_reply(rx.reply, &m);
}

GTEST(donation_cycle_of_calls_is_refused_cleanly)
{
	handle_t me = execrt_handle(START_H_SELF_THREAD);
	cy_inner = 1;
	for (int i = 0; i < 2; i++) {
		GCHECK_OK(sys_port_create(0, &cy_recv[i], &cy_send[i]));
		GCHECK_OK(gthread_start(&cy_srv[i], cycle_server, (uint64_t)i));
	}
	for (int i = 0; i < 2; i++)
		g_wait_blocked(cy_srv[i].h);
	GCHECK_OK(g_set_rt(me, 10, 0, 0));
	long r = call1(cy_send[0], 1, g_now() + T_LONG);
	g_set_be(me, 0);
	GCHECK_OK(r);
	GCHECK_ERR(cy_inner, ERR_TIMED_OUT);
	int64_t st;
	for (int i = 0; i < 2; i++) {
		GCHECK_OK(gthread_join(&cy_srv[i], g_now() + T_LONG, &st));
		GCHECK_OK(st);
	}
	/* The queued inner call (cancelled, never received) goes with the
	 * port. */
	for (int i = 0; i < 2; i++) {
		GCHECK_OK(sys_handle_close(cy_send[i]));
		GCHECK_OK(sys_handle_close(cy_recv[i]));
	}
}
