/* Register messages (SYS_PORT_CALL_REG, SYS_PORT_REPLY_RECV_REG; docs/
 * ipc.md "Register messages"): round trips in registers, on the fastpath
 * when its conditions hold (the threads' ipc_fast counts), and every
 * fall-back with the results of the buffer calls: either side using the
 * buffer calls, a message too big or with handles, an answer too big, no
 * receiver waiting, a bound port, the no-senders notice, another CPU, a
 * timeout, the server gone; hostile arguments get errors. The suite also
 * runs with ipc_fastpath=off, where the counts stay 0. */
#include <string.h>

#include "gtest.h"
#include "gutil.h"

#define T_LONG (5000 * MS)

static handle_t rg_recv, rg_send;
static volatile uint64_t rg_badge, rg_sender;

/* The register server: answers each call with its bytes + 1 (same
 * length) until a message of length 0; plain messages are counted and
 * not answered. Returns the calls served, or the error that stopped it. */
static int64_t reg_server(uint64_t arg)
{
	(void)arg;
	struct port_reg io = {0};
	int64_t served = 0;
	long r = sys_port_reply_recv_reg(0, 0, rg_recv, &io, DEADLINE_NONE);
	while (r == 0 && io.len) {
		int call = (io.flags & PORT_RX_IMPLICIT_REPLY) != 0;
		rg_badge = io.badge;
		rg_sender = io.sender;
		unsigned char *b = (unsigned char *)io.w;
		for (uint32_t i = 0; i < io.len; i++)
			b[i]++;
		served += call;
		r = sys_port_reply_recv_reg(call, call ? io.len : 0, rg_recv,
					    &io, DEADLINE_NONE);
		if (r == ERR_PEER_CLOSED)
			r = 0;
	}
	return r ? r : served;
}

static int64_t stop_server(struct gthread *srv)
{
	struct port_msg end = {.len = 0};
	int64_t st = -1;
	if (sys_port_send(rg_send, &end, g_now() + T_LONG) == 0)
		gthread_join(srv, g_now() + T_LONG, &st);
	return st;
}

static long call_reg(handle_t s, const void *in, uint32_t len,
		     struct port_reg *io, uint64_t deadline)
{
	memset(io, 0xa5, sizeof(*io)); /* garbage past len */
	memcpy(io->w, in, len);
	return sys_port_call_reg(s, len, io, deadline);
}

/* Every length 0..32 from a minted endpoint: contents, zeros past the
 * length, flags, badge, sender; both ways on the fastpath when on. */
GTEST(ipc_reg_round_trip)
{
	int on = g_ipc_fastpath_on();
	GCHECK(on >= 0);
	GCHECK_OK(sys_port_create(0, &rg_recv, &rg_send));
	handle_t minted;
	GCHECK_OK(sys_port_mint(rg_recv, 0x5eed0042ull, &minted));
	struct gthread srv;
	GCHECK_OK(gthread_start(&srv, reg_server, 0));
	g_wait_blocked(srv.h);
	handle_t me = execrt_handle(START_H_SELF_THREAD);
	uint64_t c0 = g_ipc_fast_count(me), s0 = g_ipc_fast_count(srv.h);
	unsigned calls = 0;
	for (uint32_t len = 1; len <= PORT_REG_MAX; len++) {
		unsigned char in[PORT_REG_MAX];
		for (uint32_t i = 0; i < len; i++)
			in[i] = (unsigned char)(len * 7 + i);
		struct port_reg io;
		GCHECK_OK(call_reg(minted, in, len, &io, g_now() + T_LONG));
		GCHECK_EQ(io.len, len);
		GCHECK_EQ(io.flags, 0);
		GCHECK_EQ(io.nhandles, 0);
		GCHECK_EQ(io.badge, 0);
		GCHECK_EQ(rg_badge, 0x5eed0042ull);
		GCHECK(rg_sender != 0);
		const unsigned char *o = (const unsigned char *)io.w;
		for (uint32_t i = 0; i < len; i++)
			GCHECK_EQ(o[i], (unsigned char)(len * 7 + i + 1));
		for (uint32_t i = len; i < PORT_REG_MAX; i++)
			GCHECK_EQ(o[i], 0);
		calls++;
	}
	uint64_t c1 = g_ipc_fast_count(me), s1 = g_ipc_fast_count(srv.h);
	GCHECK_EQ(stop_server(&srv), calls);
	if (on) {
		GCHECK_EQ(c1 - c0, calls);
		GCHECK(s1 - s0 >= calls - 1);
	} else {
		GCHECK_EQ(c1 - c0, 0);
		GCHECK_EQ(s1 - s0, 0);
	}
	GCHECK_OK(sys_handle_close(minted));
	GCHECK_OK(sys_handle_close(rg_send));
	GCHECK_OK(sys_handle_close(rg_recv));
}

/* Buffer calls to the register server: a small one is received in
 * registers and answered into the caller's buffer; one over 32 bytes or
 * with a handle: ERR_BUFFER_TOO_SMALL with its sizes and it stays queued
 * (the server then takes it with port_recv). */
static volatile long big_err;
static volatile uint32_t big_len, big_nh;
static int64_t mixed_server(uint64_t arg)
{
	(void)arg;
	struct port_reg io = {0};
	long r = sys_port_reply_recv_reg(0, 0, rg_recv, &io, DEADLINE_NONE);
	if (r)
		return r;
	((unsigned char *)io.w)[0]++;
	r = sys_port_reply_recv_reg(1, io.len, rg_recv, &io, DEADLINE_NONE);
	big_err = r;
	big_len = io.len;
	big_nh = io.nhandles;
	if (r != ERR_BUFFER_TOO_SMALL)
		return -100;
	static unsigned char buf[64];
	handle_t h[2];
	struct port_rx rx = {.buf = buf,
			     .cap = sizeof(buf),
			     .handles = h,
			     .hcap = 2,
			     .flags = PORT_RX_IMPLICIT_REPLY};
	r = sys_port_recv(rg_recv, &rx, DEADLINE_NONE);
	if (r)
		return r;
	for (uint32_t i = 0; i < rx.nhandles; i++)
		sys_handle_close(h[i]);
	if (rx.reply == REPLY_IMPLICIT) {
		struct port_msg m = {.data = buf, .len = 1};
		r = sys_port_reply(REPLY_IMPLICIT, &m);
	}
	return r ? r : rx.len;
}

GTEST(ipc_reg_buffer_caller_and_too_big)
{
	GCHECK_OK(sys_port_create(0, &rg_recv, &rg_send));
	struct gthread srv;
	/* 1. A 16-byte buffer call: received in registers. */
	GCHECK_OK(gthread_start(&srv, mixed_server, 0));
	g_wait_blocked(srv.h);
	unsigned char in[64], out[64];
	memset(in, 9, sizeof(in));
	struct port_msg m = {.data = in, .len = 16};
	struct port_rx rx = {.buf = out, .cap = sizeof(out)};
	GCHECK_OK(sys_port_call(rg_send, &m, &rx, g_now() + T_LONG));
	GCHECK_EQ(rx.len, 16);
	GCHECK_EQ(out[0], 10);
	GCHECK_EQ(out[1], 9);
	/* 2. 64 bytes: too big for the registers, queued until port_recv. */
	m.len = 64;
	rx = (struct port_rx){.buf = out, .cap = sizeof(out)};
	GCHECK_OK(sys_port_call(rg_send, &m, &rx, g_now() + T_LONG));
	GCHECK_EQ(rx.len, 1);
	int64_t st = -1;
	GCHECK_OK(gthread_join(&srv, g_now() + T_LONG, &st));
	GCHECK_EQ(st, 64);
	GCHECK_EQ(big_err, ERR_BUFFER_TOO_SMALL);
	GCHECK_EQ(big_len, 64);
	GCHECK_EQ(big_nh, 0);
	/* 3. A plain message with a handle: too small too (1 handle). */
	GCHECK_OK(gthread_start(&srv, mixed_server, 0));
	g_wait_blocked(srv.h);
	m.len = 2;
	GCHECK_OK(sys_port_call(rg_send, &m, &rx, g_now() + T_LONG));
	handle_t n;
	GCHECK_OK(sys_notif_create(&n));
	struct port_msg mh = {
		.data = in, .len = 3, .handles = &n, .nhandles = 1};
	GCHECK_OK(sys_port_send(rg_send, &mh, g_now() + T_LONG));
	GCHECK_OK(gthread_join(&srv, g_now() + T_LONG, &st));
	GCHECK_EQ(st, 3);
	GCHECK_EQ(big_len, 3);
	GCHECK_EQ(big_nh, 1);
	GCHECK_OK(sys_handle_close(rg_send));
	GCHECK_OK(sys_handle_close(rg_recv));
}

/* A buffer server answering a register caller: fits, or 64 bytes that
 * do not (ERR_BUFFER_TOO_SMALL, the size; the server's answer was
 * accepted). */
static volatile long buf_answer_err;
static int64_t buffer_server(uint64_t ans_len)
{
	static unsigned char buf[64];
	struct port_rx rx = {.buf = buf, .cap = sizeof(buf)};
	long r = sys_port_recv(rg_recv, &rx, DEADLINE_NONE);
	if (r)
		return r;
	buf[0]++;
	struct port_msg m = {.data = buf, .len = (uint32_t)ans_len};
	buf_answer_err = sys_port_reply(rx.reply, &m);
	return rx.len;
}

GTEST(ipc_reg_buffer_server_and_answer_too_big)
{
	GCHECK_OK(sys_port_create(0, &rg_recv, &rg_send));
	struct gthread srv;
	GCHECK_OK(gthread_start(&srv, buffer_server, 5));
	g_wait_blocked(srv.h);
	struct port_reg io;
	uint64_t v = 0x1122334455667788ull;
	GCHECK_OK(call_reg(rg_send, &v, 8, &io, g_now() + T_LONG));
	GCHECK_EQ(io.len, 5);
	GCHECK_EQ(io.w[0], 0x4455667789ull);
	int64_t st = -1;
	GCHECK_OK(gthread_join(&srv, g_now() + T_LONG, &st));
	GCHECK_EQ(st, 8);
	GCHECK_OK(buf_answer_err);
	GCHECK_OK(gthread_start(&srv, buffer_server, 64));
	g_wait_blocked(srv.h);
	GCHECK_ERR(call_reg(rg_send, &v, 8, &io, g_now() + T_LONG),
		   ERR_BUFFER_TOO_SMALL);
	GCHECK_EQ(io.len, 64);
	GCHECK_EQ(io.nhandles, 0);
	GCHECK_OK(gthread_join(&srv, g_now() + T_LONG, &st));
	GCHECK_OK(buf_answer_err);
	GCHECK_OK(sys_handle_close(rg_send));
	GCHECK_OK(sys_handle_close(rg_recv));
}

/* No receiver waiting: the register call is queued (slow path) and
 * answered once the server receives; a bound port signals; the
 * no-senders notice arrives in registers. */
GTEST(ipc_reg_queued_bound_and_notice)
{
	GCHECK_OK(sys_port_create(0, &rg_recv, &rg_send));
	handle_t n, minted;
	GCHECK_OK(sys_notif_create(&n));
	GCHECK_OK(sys_port_bind_notif(rg_recv, n, 8));
	GCHECK_OK(sys_port_mint_ex(rg_recv, 77, PORT_MINT_NOTIFY_CLOSED,
				   &minted));
	GCHECK_OK(sys_handle_close(minted)); /* the notice is queued */
	struct port_reg io = {0};
	GCHECK_OK(sys_port_reply_recv_reg(0, 0, rg_recv, &io, DEADLINE_POLL));
	GCHECK_EQ(io.flags, PORT_RX_CLOSED);
	GCHECK_EQ(io.badge, 77);
	GCHECK_EQ(io.len, 0);
	GCHECK_EQ(io.sender, 0);
	uint64_t bits = 0;
	GCHECK_OK(sys_notif_wait(n, 8, DEADLINE_POLL, &bits));
	/* Nobody receiving yet: the call waits in the queue. */
	struct gthread srv;
	handle_t me = execrt_handle(START_H_SELF_THREAD);
	uint64_t c0 = g_ipc_fast_count(me);
	GCHECK_OK(gthread_start(&srv, reg_server, 0));
	unsigned char b[3] = {1, 2, 3};
	GCHECK_OK(call_reg(rg_send, b, 3, &io, g_now() + T_LONG));
	GCHECK_EQ(io.len, 3);
	GCHECK_EQ(io.w[0], 0x040302ull);
	GCHECK_EQ(g_ipc_fast_count(me) - c0, 0); /* bound: never the fastpath */
	GCHECK_OK(sys_notif_wait(n, 8, DEADLINE_POLL, &bits));
	GCHECK_EQ(bits, 8);
	GCHECK_EQ(stop_server(&srv), 1);
	GCHECK_OK(sys_handle_close(n));
	GCHECK_OK(sys_handle_close(rg_send));
	GCHECK_OK(sys_handle_close(rg_recv));
}

/* Holds the call it received in registers: answers late (after the
 * caller timed out: ERR_PEER_CLOSED), or exits without answering. The
 * caller's next call meanwhile cannot use its built-in reply object. */
static volatile int hold_go;
static volatile long hold_result;
static int64_t holding_server(uint64_t answer)
{
	struct port_reg io = {0};
	long r = sys_port_reply_recv_reg(0, 0, rg_recv, &io, DEADLINE_NONE);
	if (r)
		return r;
	if (!answer)
		return 0; /* the thread's exit ends the call */
	while (!hold_go)
		sys_sleep_until(g_now() + MS);
	hold_result =
		sys_port_reply_recv_reg(1, io.len, rg_recv, &io, DEADLINE_POLL);
	return 0;
}

GTEST(ipc_reg_timeout_and_server_exit)
{
	GCHECK_OK(sys_port_create(0, &rg_recv, &rg_send));
	hold_go = 0;
	struct gthread srv;
	GCHECK_OK(gthread_start(&srv, holding_server, 1));
	g_wait_blocked(srv.h);
	struct port_reg io;
	uint64_t t0 = g_now();
	GCHECK_ERR(call_reg(rg_send, "x", 1, &io, t0 + 20 * MS), ERR_TIMED_OUT);
	GCHECK(g_now() >= t0 + 20 * MS);
	/* Our built-in reply object is still held by that server: the next
	 * call takes an allocated one (the slow path), to an echo server. */
	struct gthread echo;
	GCHECK_OK(gthread_start(&echo, reg_server, 0));
	g_wait_blocked(echo.h);
	GCHECK_OK(call_reg(rg_send, "ab", 2, &io, g_now() + T_LONG));
	GCHECK_EQ(io.len, 2);
	GCHECK_EQ(io.w[0], 0x6362ull);
	GCHECK_EQ(stop_server(&echo), 1);
	hold_go = 1;
	int64_t st;
	GCHECK_OK(gthread_join(&srv, g_now() + T_LONG, &st));
	/* The late answer finds the call over; the receive then polls. */
	GCHECK_EQ(hold_result, ERR_SHOULD_WAIT);
	/* A server thread that exits holding the call. */
	GCHECK_OK(gthread_start(&srv, holding_server, 0));
	g_wait_blocked(srv.h);
	GCHECK_ERR(call_reg(rg_send, "y", 1, &io, g_now() + T_LONG),
		   ERR_PEER_CLOSED);
	GCHECK_OK(gthread_join(&srv, g_now() + T_LONG, &st));
	/* The port closed under a queued call and then for new ones. */
	GCHECK_OK(sys_handle_close(rg_recv));
	GCHECK_ERR(call_reg(rg_send, "z", 1, &io, g_now() + T_LONG),
		   ERR_PEER_CLOSED);
	GCHECK_OK(sys_handle_close(rg_send));
}

/* A caller killed during its register call: the server's answer gets
 * ERR_PEER_CLOSED (and its receive goes on); a server task killed
 * holding the call: the caller gets ERR_PEER_CLOSED. Each in a child
 * task (child_work.c "regcall:" / "reghold:"). */
static int64_t answer_late_server(uint64_t arg)
{
	(void)arg;
	struct port_reg io = {0};
	long r = sys_port_reply_recv_reg(0, 0, rg_recv, &io, DEADLINE_NONE);
	if (r)
		return r;
	while (!hold_go)
		sys_sleep_until(g_now() + MS);
	hold_result =
		sys_port_reply_recv_reg(1, io.len, rg_recv, &io, DEADLINE_POLL);
	return 0;
}

static struct child kill_child;
/* Kills the child once its thread runs (it received the call). */
static int64_t kill_later(uint64_t arg)
{
	(void)arg;
	uint64_t end = g_now() + T_LONG;
	struct sched_thread_stats s = {0};
	while (g_now() < end && (g_thread_stats(kill_child.thread, &s) ||
				 s.state == SCHED_TS_BLOCKED))
		sys_sleep_until(g_now() + MS);
	return sys_task_kill(kill_child.task, 5);
}

GTEST(ipc_reg_kill_either_side)
{
	GCHECK_OK(sys_port_create(0, &rg_recv, &rg_send));
	hold_go = 0;
	hold_result = 1;
	struct gthread srv;
	GCHECK_OK(gthread_start(&srv, answer_late_server, 0));
	g_wait_blocked(srv.h);
	handle_t d;
	GCHECK_OK(sys_handle_dup(rg_send, RIGHT_SAME, &d));
	GCHECK_OK(g_spawn_ex(CHILD_WORK, "regcall:@", CHILD_QUOTA, 0, d,
			     RIGHT_SAME, &kill_child));
	g_wait_blocked(kill_child.thread);
	g_wait_blocked(srv.h); /* its call is being served */
	GCHECK_OK(sys_task_kill(kill_child.task, 5));
	int64_t st = 0;
	g_reap(&kill_child, T_LONG, &st);
	hold_go = 1;
	GCHECK_OK(gthread_join(&srv, g_now() + T_LONG, &st));
	/* The answer found the caller gone; the receive then polled. */
	GCHECK_EQ(hold_result, ERR_SHOULD_WAIT);
	/* The server side in a child task, killed holding our call. */
	GCHECK_OK(sys_handle_dup(rg_recv, RIGHT_SAME, &d));
	GCHECK_OK(g_spawn_ex(CHILD_WORK, "reghold:@", CHILD_QUOTA, 0, d,
			     RIGHT_SAME, &kill_child));
	g_wait_blocked(kill_child.thread);
	struct gthread killer;
	GCHECK_OK(gthread_start(&killer, kill_later, 0));
	struct port_reg io;
	GCHECK_ERR(call_reg(rg_send, "k", 1, &io, g_now() + T_LONG),
		   ERR_PEER_CLOSED);
	GCHECK_OK(gthread_join(&killer, g_now() + T_LONG, &st));
	GCHECK_OK(st);
	g_reap(&kill_child, T_LONG, &st);
	GCHECK_OK(sys_handle_close(rg_send));
	GCHECK_OK(sys_handle_close(rg_recv));
}

/* Hostile arguments: errors, nothing taken, nothing left behind (the
 * harness checks the kernel's counters). */
GTEST(ipc_reg_hostile_arguments)
{
	GCHECK_OK(sys_port_create(0, &rg_recv, &rg_send));
	struct port_reg io = {.w = {~0ull, ~0ull, ~0ull, ~0ull}};
	GCHECK_ERR(sys_port_call_reg(HANDLE_INVALID, 1, &io, DEADLINE_POLL),
		   ERR_BAD_HANDLE);
	GCHECK_ERR(sys_port_call_reg(0x12345, 1, &io, DEADLINE_POLL),
		   ERR_BAD_HANDLE);
	GCHECK_ERR(sys_port_call_reg(rg_recv, 1, &io, DEADLINE_POLL),
		   ERR_WRONG_TYPE);
	GCHECK_ERR(sys_port_call_reg(rg_send, PORT_REG_MAX + 1, &io,
				     DEADLINE_POLL),
		   ERR_INVALID_ARGS);
	GCHECK_ERR(sys_port_call_reg(rg_send, 0xffffffffu, &io, DEADLINE_POLL),
		   ERR_INVALID_ARGS);
	/* Nobody receiving, poll: the call cannot wait for its answer. */
	GCHECK_ERR(sys_port_call_reg(rg_send, 8, &io, DEADLINE_POLL),
		   ERR_SHOULD_WAIT);
	/* (it was queued and cancelled: the receive drops it) */
	long r = sys_port_reply_recv_reg(0, 0, rg_recv, &io, DEADLINE_POLL);
	GCHECK(r == 0 || r == ERR_SHOULD_WAIT);
	GCHECK_ERR(sys_port_reply_recv_reg(0, 0, rg_send, &io, DEADLINE_POLL),
		   ERR_WRONG_TYPE);
	GCHECK_ERR(sys_port_reply_recv_reg(0, 0, rg_recv, &io, DEADLINE_POLL),
		   ERR_SHOULD_WAIT);
	/* No implicit call to answer. */
	GCHECK_ERR(sys_port_reply_recv_reg(1, 4, rg_recv, &io, DEADLINE_POLL),
		   ERR_BAD_HANDLE);
	/* A length without an answer, too long, unknown flag bits. */
	GCHECK_ERR(sys_port_reply_recv_reg(0, 4, rg_recv, &io, DEADLINE_POLL),
		   ERR_INVALID_ARGS);
	GCHECK_ERR(sys_port_reply_recv_reg(1, 33, rg_recv, &io, DEADLINE_POLL),
		   ERR_INVALID_ARGS);
	GCHECK_ERR(execrt_syscall_reg(SYS_PORT_REPLY_RECV_REG,
				      PORT_REG_CTL(rg_recv, 0) | 1ull << 60,
				      DEADLINE_POLL, &io),
		   ERR_INVALID_ARGS);
	/* Garbage in the words past len reaches nobody: see
	 * ipc_reg_round_trip (zeros past the length). */
	GCHECK_OK(sys_handle_close(rg_send));
	GCHECK_OK(sys_handle_close(rg_recv));
}

/* A server on another CPU: slow path (an IPI each way), same answers. */
GTEST(ipc_reg_other_cpu)
{
	if (g_ncpus() < 2)
		return;
	GCHECK_OK(sys_port_create(0, &rg_recv, &rg_send));
	struct gthread srv;
	GCHECK_OK(gthread_start(&srv, reg_server, 0));
	uint32_t other = g_my_cpu() ? 0 : 1;
	GCHECK_OK(sys_sched_affinity(g_sched(), srv.h, 1ull << other));
	g_wait_blocked(srv.h);
	handle_t me = execrt_handle(START_H_SELF_THREAD);
	uint64_t c0 = g_ipc_fast_count(me);
	for (int i = 0; i < 20; i++) {
		uint64_t v = 0x0101010101010101ull * (unsigned)i;
		struct port_reg io;
		GCHECK_OK(call_reg(rg_send, &v, 8, &io, g_now() + T_LONG));
		GCHECK_EQ(io.len, 8);
		GCHECK_EQ(io.w[0], v + 0x0101010101010101ull);
	}
	GCHECK_EQ(g_ipc_fast_count(me) - c0, 0);
	GCHECK_EQ(stop_server(&srv), 20);
	GCHECK_OK(sys_handle_close(rg_send));
	GCHECK_OK(sys_handle_close(rg_recv));
}
