/* The IPC fastpath (kernel/ipc/fastpath.c, docs/ipc.md "Fastpath"): calls
 * and reply_recv answers between threads of one CPU take it (the threads'
 * ipc_fast telemetry counts them), each condition of its checklist sends
 * the operation down the slow path instead, and the results are the same
 * either way: the suite also runs with ipc_fastpath=off (tools/check.sh),
 * where every count stays 0. */
#include <string.h>

#include "gtest.h"
#include "gutil.h"

#define T_LONG (5000 * MS)

/* Waits until thread th is blocked (a server in its receive, a caller in
 * its call): a loaded host may stall a vCPU for longer than any sleep. */
static handle_t fp_recv, fp_send;
static volatile int busy_got, busy_release;
static volatile uint64_t srv_badge;
static volatile long srv_err;

/* Answers every call with reply_recv: the request's bytes, each + 1,
 * and as many of them as came in (rx.cap decides what fits), until a
 * message of length 0. Records the last badge and error. */
static int64_t echo_server(uint64_t cap)
{
	static unsigned char buf[4096];
	handle_t hs[PORT_HANDLES_MAX];
	struct port_rx rx = {.buf = buf,
			     .cap = (uint32_t)cap,
			     .handles = hs,
			     .hcap = PORT_HANDLES_MAX};
	long r = sys_port_recv(fp_recv, &rx, DEADLINE_NONE);
	int64_t served = 0;
	while (r == 0 && rx.len) {
		for (uint32_t i = 0; i < rx.nhandles; i++)
			sys_handle_close(hs[i]);
		if (rx.reply == HANDLE_INVALID) {
			/* A plain message: busy, not receiving, until
			 * released (call_while_server_busy). */
			busy_got = 1;
			while (!busy_release)
				sys_sleep_until(g_now() + MS);
			memset(&rx, 0, sizeof(rx));
			rx.buf = buf;
			rx.cap = (uint32_t)cap;
			rx.handles = hs;
			rx.hcap = PORT_HANDLES_MAX;
			r = sys_port_recv(fp_recv, &rx, DEADLINE_NONE);
			continue;
		}
		srv_badge = rx.badge;
		for (uint32_t i = 0; i < rx.len; i++)
			buf[i]++;
		struct port_msg m = {.data = buf, .len = rx.len};
		handle_t reply = rx.reply;
		memset(&rx, 0, sizeof(rx));
		rx.buf = buf;
		rx.cap = (uint32_t)cap;
		rx.handles = hs;
		rx.hcap = PORT_HANDLES_MAX;
		r = sys_port_reply_recv(reply, &m, fp_recv, &rx, DEADLINE_NONE);
		if (r == ERR_PEER_CLOSED)
			r = 0; /* a caller gone: serve the next */
		served++;
	}
	srv_err = r;
	return r ? r : served;
}

static long call_bytes(handle_t s, const unsigned char *in, uint32_t len,
		       unsigned char *out, uint32_t cap, uint64_t deadline,
		       struct port_rx *rx)
{
	struct port_msg m = {.data = in, .len = len};
	memset(rx, 0, sizeof(*rx));
	rx->buf = out;
	rx->cap = cap;
	return sys_port_call(s, &m, rx, deadline);
}

static int64_t stop_server(struct gthread *srv)
{
	struct port_msg end = {.len = 0};
	int64_t st = -1;
	if (sys_port_send(fp_send, &end, g_now() + T_LONG) == 0)
		gthread_join(srv, g_now() + T_LONG, &st);
	return st;
}

/* Calls of every size up to a page from a minted endpoint: contents,
 * lengths, badge, and the answer's rx (no reply handle, badge 0). The
 * small ones take the fastpath, both ways, when it is on. */
GTEST(ipc_fast_call_reply_contents_and_badges)
{
	int on = g_ipc_fastpath_on();
	GCHECK(on >= 0);
	GCHECK_OK(sys_port_create(0, &fp_recv, &fp_send));
	handle_t minted;
	GCHECK_OK(sys_port_mint(fp_recv, 0xfeedbeef12ull, &minted));
	struct gthread srv;
	GCHECK_OK(gthread_start(&srv, echo_server, 4096));
	g_wait_blocked(srv.h);
	handle_t me = execrt_handle(START_H_SELF_THREAD);
	uint64_t c0 = g_ipc_fast_count(me), s0 = g_ipc_fast_count(srv.h);
	static unsigned char in[4096], out[4096];
	unsigned small = 0, calls = 0;
	for (uint32_t len = 1; len <= 4096; len = len * 3 / 2 + 1) {
		for (uint32_t i = 0; i < len; i++)
			in[i] = (unsigned char)(len + i);
		struct port_rx rx;
		GCHECK_OK(call_bytes(minted, in, len, out, sizeof(out),
				     g_now() + T_LONG, &rx));
		GCHECK_EQ(rx.len, len);
		GCHECK_EQ(rx.nhandles, 0);
		GCHECK_EQ(rx.reply, HANDLE_INVALID);
		GCHECK_EQ(rx.badge, 0);
		GCHECK_EQ(srv_badge, 0xfeedbeef12ull);
		for (uint32_t i = 0; i < len; i++)
			GCHECK_EQ(out[i], (unsigned char)(len + i + 1));
		small += len <= 256;
		calls++;
	}
	uint64_t c1 = g_ipc_fast_count(me), s1 = g_ipc_fast_count(srv.h);
	GCHECK_EQ(stop_server(&srv), calls);
	printf("    %u of %u calls small; fastpath: %llu calls, %llu answers "
	       "(fastpath %s)\n",
	       small, calls, (unsigned long long)(c1 - c0),
	       (unsigned long long)(s1 - s0), on ? "on" : "off");
	if (on) {
		GCHECK_EQ(c1 - c0, small); /* exactly the small ones */
		GCHECK(s1 - s0 >= small - 1);
	} else {
		GCHECK_EQ(c1 - c0, 0);
		GCHECK_EQ(s1 - s0, 0);
	}
	GCHECK_OK(sys_handle_close(minted));
	GCHECK_OK(sys_handle_close(fp_send));
	GCHECK_OK(sys_handle_close(fp_recv));
}

/* One call that must take the slow path: the server blocked receiving
 * (cap) on this CPU, the call made by `call` and checked by it; the
 * calling thread's fastpath count must not move. */
static long slow_case(uint64_t cap, long (*call)(void), uint64_t *fast)
{
	long r = sys_port_create(0, &fp_recv, &fp_send);
	if (r)
		return r;
	struct gthread srv;
	r = gthread_start(&srv, echo_server, cap);
	if (r)
		return r;
	g_wait_blocked(srv.h);
	handle_t me = execrt_handle(START_H_SELF_THREAD);
	uint64_t c0 = g_ipc_fast_count(me);
	r = call();
	*fast = g_ipc_fast_count(me) - c0;
	stop_server(&srv);
	sys_handle_close(fp_send);
	sys_handle_close(fp_recv);
	return r;
}

static long call_with_handle(void)
{
	handle_t n;
	long r = sys_notif_create(&n);
	if (r)
		return r;
	unsigned char b = 7, out = 0;
	struct port_msg m = {
		.data = &b, .len = 1, .handles = &n, .nhandles = 1};
	struct port_rx rx = {.buf = &out, .cap = 1};
	r = sys_port_call(fp_send, &m, &rx, g_now() + T_LONG);
	if (sys_handle_close(n) != ERR_BAD_HANDLE)
		return -1000; /* the handle moved with the message */
	return r ? r : out == 8 ? 0 : -1001;
}

static long call_big(void)
{
	static unsigned char in[1000], out[1000];
	memset(in, 3, sizeof(in));
	struct port_rx rx;
	long r = call_bytes(fp_send, in, sizeof(in), out, sizeof(out),
			    g_now() + T_LONG, &rx);
	if (!r && (rx.len != sizeof(in) || out[999] != 4))
		return -1000;
	return r;
}

static long call_poll(void)
{
	unsigned char b = 1, out;
	struct port_rx rx;
	long r = call_bytes(fp_send, &b, 1, &out, 1, DEADLINE_POLL, &rx);
	/* The woken server may have answered before the caller looked. */
	if (r == 0)
		return out == 2 ? 0 : -1000;
	return r == ERR_SHOULD_WAIT ? 0 : -1000 + r;
}

static long call_too_big_for_server(void)
{
	unsigned char in[64] = {1}, out[64];
	struct port_rx rx;
	/* The server receives with cap 16: BUFFER_TOO_SMALL there (it
	 * stops serving); the call stays queued until its deadline. */
	long r = call_bytes(fp_send, in, sizeof(in), out, sizeof(out),
			    g_now() + 20 * MS, &rx);
	return r == ERR_TIMED_OUT ? 0 : -1000 + r;
}

/* Lets the busy server go once the calling thread (arg) is blocked in
 * its call, i.e. once the call is queued. */
static int64_t releaser(uint64_t th)
{
	uint64_t end = g_now() + T_LONG;
	struct sched_thread_stats s = {0};
	while (g_now() < end && (g_thread_stats((handle_t)th, &s) ||
				 s.state != SCHED_TS_BLOCKED))
		sys_sleep_until(g_now() + MS);
	busy_release = 1;
	return 0;
}

static long call_while_server_busy(void)
{
	/* The server takes a plain message and is busy with it (not
	 * receiving) when the call comes: the call is queued. */
	unsigned char first = 9, b = 5, out = 0;
	struct port_msg m = {.data = &first, .len = 1};
	struct port_rx rx;
	busy_got = busy_release = 0;
	long r = sys_port_send(fp_send, &m, DEADLINE_POLL);
	uint64_t end = g_now() + T_LONG;
	while (!r && !busy_got && g_now() < end)
		sys_sleep_until(g_now() + MS);
	struct gthread rel;
	if (!r)
		r = gthread_start(&rel, releaser,
				  execrt_handle(START_H_SELF_THREAD));
	if (!r) {
		r = call_bytes(fp_send, &b, 1, &out, 1, g_now() + T_LONG, &rx);
		gthread_join(&rel, g_now() + T_LONG, NULL);
	}
	return r ? r : out == 6 ? 0 : -1000;
}

/* Everything outside the checklist falls back, with the same results. */
GTEST(ipc_fast_falls_back_handles_size_poll_buffer_queue)
{
	uint64_t fast = 99;
	GCHECK_OK(slow_case(4096, call_with_handle, &fast));
	GCHECK_EQ(fast, 0);
	GCHECK_OK(slow_case(4096, call_big, &fast));
	GCHECK_EQ(fast, 0);
	GCHECK_OK(slow_case(4096, call_poll, &fast));
	GCHECK_EQ(fast, 0);
	GCHECK_OK(slow_case(16, call_too_big_for_server, &fast));
	GCHECK_EQ(fast, 0);
	/* No receiver blocked on the port. */
	GCHECK_OK(slow_case(4096, call_while_server_busy, &fast));
	GCHECK_EQ(fast, 0);
}

/* A port bound to a notification: the message is queued and signals it. */
GTEST(ipc_fast_falls_back_bound_port)
{
	GCHECK_OK(sys_port_create(0, &fp_recv, &fp_send));
	handle_t n;
	GCHECK_OK(sys_notif_create(&n));
	GCHECK_OK(sys_port_bind_notif(fp_recv, n, 4));
	struct gthread srv;
	GCHECK_OK(gthread_start(&srv, echo_server, 64));
	g_wait_blocked(srv.h);
	handle_t me = execrt_handle(START_H_SELF_THREAD);
	uint64_t c0 = g_ipc_fast_count(me);
	unsigned char b = 1, out = 0;
	struct port_rx rx;
	GCHECK_OK(call_bytes(fp_send, &b, 1, &out, 1, g_now() + T_LONG, &rx));
	GCHECK_EQ(out, 2);
	GCHECK_EQ(g_ipc_fast_count(me) - c0, 0);
	uint64_t bits = 0;
	GCHECK_OK(sys_notif_wait(n, 4, DEADLINE_POLL, &bits));
	GCHECK_EQ(bits, 4);
	stop_server(&srv);
	GCHECK_OK(sys_handle_close(n));
	GCHECK_OK(sys_handle_close(fp_send));
	GCHECK_OK(sys_handle_close(fp_recv));
}

/* A receiver on another CPU: slow path (and an IPI), same answer. */
GTEST(ipc_fast_falls_back_other_cpu)
{
	if (g_ncpus() < 2)
		return;
	GCHECK_OK(sys_port_create(0, &fp_recv, &fp_send));
	struct gthread srv;
	GCHECK_OK(gthread_start(&srv, echo_server, 64));
	uint32_t other = g_my_cpu() ? 0 : 1;
	GCHECK_OK(sys_sched_affinity(g_sched(), srv.h, 1ull << other));
	g_wait_blocked(srv.h);
	handle_t me = execrt_handle(START_H_SELF_THREAD);
	uint64_t c0 = g_ipc_fast_count(me);
	for (int i = 0; i < 20; i++) {
		unsigned char b = (unsigned char)i, out = 0;
		struct port_rx rx;
		GCHECK_OK(call_bytes(fp_send, &b, 1, &out, 1, g_now() + T_LONG,
				     &rx));
		GCHECK_EQ(out, i + 1);
	}
	GCHECK_EQ(g_ipc_fast_count(me) - c0, 0);
	GCHECK_EQ(stop_server(&srv), 20);
	GCHECK_OK(sys_handle_close(fp_send));
	GCHECK_OK(sys_handle_close(fp_recv));
}

/* Answers with handles, and answers by plain port_reply: slow; the
 * caller gets the handle. */
static int64_t handle_server(uint64_t arg)
{
	(void)arg;
	unsigned char b;
	struct port_rx rx = {.buf = &b, .cap = 1};
	long r = sys_port_recv(fp_recv, &rx, DEADLINE_NONE);
	if (r)
		return r;
	handle_t n;
	r = sys_notif_create(&n);
	if (r)
		return r;
	struct port_msg m = {
		.data = &b, .len = 1, .handles = &n, .nhandles = 1};
	handle_t reply = rx.reply;
	memset(&rx, 0, sizeof(rx));
	rx.buf = &b;
	rx.cap = 1;
	r = sys_port_reply_recv(reply, &m, fp_recv, &rx, DEADLINE_NONE);
	if (r)
		return r;
	struct port_msg m2 = {.data = &b, .len = 1};
	return sys_port_reply(rx.reply, &m2); /* plain reply: woken */
}

GTEST(ipc_fast_answer_with_handle_falls_back)
{
	GCHECK_OK(sys_port_create(0, &fp_recv, &fp_send));
	struct gthread srv;
	GCHECK_OK(gthread_start(&srv, handle_server, 0));
	g_wait_blocked(srv.h);
	uint64_t s0 = g_ipc_fast_count(srv.h);
	unsigned char b = 1, out = 0;
	handle_t got = HANDLE_INVALID;
	struct port_msg m = {.data = &b, .len = 1};
	struct port_rx rx = {.buf = &out, .cap = 1, .handles = &got, .hcap = 1};
	GCHECK_OK(sys_port_call(fp_send, &m, &rx, g_now() + T_LONG));
	GCHECK_EQ(rx.nhandles, 1);
	/* The answer carried a handle: not a fastpath one. */
	GCHECK_EQ(g_ipc_fast_count(srv.h) - s0, 0);
	uint64_t bits;
	GCHECK_OK(sys_notif_signal(got, 1));
	GCHECK_OK(sys_notif_wait(got, 1, DEADLINE_POLL, &bits));
	GCHECK_OK(sys_handle_close(got));
	struct port_rx rx2;
	GCHECK_OK(call_bytes(fp_send, &b, 1, &out, 1, g_now() + T_LONG, &rx2));
	int64_t st = -1;
	GCHECK_OK(gthread_join(&srv, g_now() + T_LONG, &st));
	GCHECK_OK(st);
	GCHECK_OK(sys_handle_close(fp_send));
	GCHECK_OK(sys_handle_close(fp_recv));
}

/* Holds the first call it receives without answering; answers it late,
 * after the caller gave up. */
static volatile int late_go;
static volatile long late_result;
static int64_t late_server(uint64_t arg)
{
	(void)arg;
	unsigned char b;
	struct port_rx rx = {.buf = &b, .cap = 1};
	long r = sys_port_recv(fp_recv, &rx, DEADLINE_NONE);
	if (r)
		return r;
	while (!late_go)
		sys_sleep_until(g_now() + MS);
	struct port_msg m = {.data = &b, .len = 1};
	late_result = sys_port_reply(rx.reply, &m);
	return 0;
}

/* A call that times out while its reply handle is held: a late answer
 * gets PEER_CLOSED; the next call (its built-in reply object still
 * referenced by that handle) works and is answered correctly. */
GTEST(ipc_fast_timeout_and_late_answer)
{
	GCHECK_OK(sys_port_create(0, &fp_recv, &fp_send));
	late_go = 0;
	late_result = 1;
	struct gthread srv, echo;
	GCHECK_OK(gthread_start(&srv, late_server, 0));
	g_wait_blocked(srv.h);
	unsigned char b = 1, out = 0;
	struct port_rx rx;
	uint64_t t0 = g_now();
	GCHECK_ERR(call_bytes(fp_send, &b, 1, &out, 1, t0 + 20 * MS, &rx),
		   ERR_TIMED_OUT);
	GCHECK(g_now() >= t0 + 20 * MS);
	/* Now an echo server takes the next call. */
	GCHECK_OK(gthread_start(&echo, echo_server, 64));
	g_wait_blocked(echo.h);
	b = 41;
	GCHECK_OK(call_bytes(fp_send, &b, 1, &out, 1, g_now() + T_LONG, &rx));
	GCHECK_EQ(out, 42);
	late_go = 1;
	int64_t st;
	GCHECK_OK(gthread_join(&srv, g_now() + T_LONG, &st));
	GCHECK_EQ(late_result, ERR_PEER_CLOSED);
	GCHECK_EQ(stop_server(&echo), 1);
	GCHECK_OK(sys_handle_close(fp_send));
	GCHECK_OK(sys_handle_close(fp_recv));
}

/* Receives one call (on the fastpath when it is on), then closes the
 * reply handle without answering. */
static int64_t dropping_server(uint64_t arg)
{
	(void)arg;
	unsigned char b;
	struct port_rx rx = {.buf = &b, .cap = 1};
	long r = sys_port_recv(fp_recv, &rx, DEADLINE_NONE);
	if (r)
		return r;
	sys_sleep_until(g_now() + 2 * MS);
	return sys_handle_close(rx.reply);
}

/* The server drops the call: the caller gets PEER_CLOSED, nothing is
 * left behind (the harness checks the counters). */
GTEST(ipc_fast_peer_drops_the_call)
{
	GCHECK_OK(sys_port_create(0, &fp_recv, &fp_send));
	struct gthread srv;
	GCHECK_OK(gthread_start(&srv, dropping_server, 0));
	g_wait_blocked(srv.h);
	unsigned char b = 1, out = 0;
	struct port_rx rx;
	GCHECK_ERR(call_bytes(fp_send, &b, 1, &out, 1, g_now() + T_LONG, &rx),
		   ERR_PEER_CLOSED);
	int64_t st;
	GCHECK_OK(gthread_join(&srv, g_now() + T_LONG, &st));
	GCHECK_OK(st);
	GCHECK_OK(sys_handle_close(fp_send));
	GCHECK_OK(sys_handle_close(fp_recv));
}

/* Two client/server pairs, unpinned, racing over two CPUs (calls go fast
 * or slow as placement has it): every answer right. */
#define RACE_CALLS 3000
static handle_t race_r[2], race_s[2];

static int64_t race_server(uint64_t i)
{
	uint32_t v;
	struct port_rx rx = {.buf = &v, .cap = sizeof(v)};
	long r = sys_port_recv(race_r[i], &rx, DEADLINE_NONE);
	int64_t n = 0;
	while (r == 0 && rx.len) {
		v = v * 2 + 1;
		struct port_msg m = {.data = &v, .len = sizeof(v)};
		handle_t reply = rx.reply;
		memset(&rx, 0, sizeof(rx));
		rx.buf = &v;
		rx.cap = sizeof(v);
		r = sys_port_reply_recv(reply, &m, race_r[i], &rx,
					DEADLINE_NONE);
		n++;
	}
	return r ? r : n;
}

static int64_t race_client(uint64_t i)
{
	uint64_t end = g_now() + 3000 * MS; /* a loaded host: fewer */
	uint32_t k = 0;
	for (; k < RACE_CALLS && g_now() < end; k++) {
		uint32_t v = k + (uint32_t)i * 100000, out = 0;
		struct port_msg m = {.data = &v, .len = sizeof(v)};
		struct port_rx rx = {.buf = &out, .cap = sizeof(out)};
		long r = sys_port_call(race_s[i], &m, &rx, g_now() + T_LONG);
		if (r)
			return r;
		if (out != v * 2 + 1)
			return -1000;
	}
	return k;
}

GTEST(ipc_fast_two_pairs_race_on_two_cpus)
{
	if (g_ncpus() < 2)
		return;
	struct gthread srv[2], cl[2];
	for (int i = 0; i < 2; i++) {
		GCHECK_OK(sys_port_create(0, &race_r[i], &race_s[i]));
		GCHECK_OK(gthread_start(&srv[i], race_server, (uint64_t)i));
		GCHECK_OK(
			sys_sched_affinity(g_sched(), srv[i].h, g_all_cpus()));
		GCHECK_OK(gthread_start(&cl[i], race_client, (uint64_t)i));
		GCHECK_OK(sys_sched_affinity(g_sched(), cl[i].h, g_all_cpus()));
	}
	int64_t done[2];
	for (int i = 0; i < 2; i++) {
		int64_t st = -1;
		GCHECK_OK(gthread_join(&cl[i], g_now() + 2 * T_LONG, &st));
		GCHECK(st > 0);
		done[i] = st;
		struct port_msg end = {.len = 0};
		GCHECK_OK(sys_port_send(race_s[i], &end, g_now() + T_LONG));
		GCHECK_OK(gthread_join(&srv[i], g_now() + T_LONG, &st));
		GCHECK_EQ(st, done[i]);
		GCHECK_OK(sys_handle_close(race_s[i]));
		GCHECK_OK(sys_handle_close(race_r[i]));
	}
	printf("    %lld + %lld calls answered right\n", (long long)done[0],
	       (long long)done[1]);
}
