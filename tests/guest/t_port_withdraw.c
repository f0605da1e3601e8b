/* A call whose caller is gone leaves the port's queue at once (docs/ipc.md
 * "Peer death"): callers killed in child tasks or timed out while their
 * calls wait queued (no receive) give back their charges, task objects
 * and queue places before any receive, and a live call queued behind them
 * is the next received. Then the race: a server receiving on CPU 1 while
 * calls time out and callers are killed on CPU 0; every call is received
 * at most once, answered only if received, nothing left behind. The
 * harness checks the kernel's object counters after each test. */
#include <string.h>

#include "gchild.h"
#include "gtest.h"
#include "gutil.h"

#define T_LONG (5000 * MS)
#define NKILL  8

static handle_t w_recv, w_send;

/* Our quota use and task count back to s0's (teardown may finish late). */
static int settles(const struct kernel_stats *s0)
{
	struct kernel_stats s = {0};
	for (int i = 0; i < 1000; i++) {
		g_stats(&s);
		if (s.mem_used == s0->mem_used && s.tasks == s0->tasks)
			return 1;
		sys_sleep_until(g_now() + MS);
	}
	printf("    quota use %llu (was %llu), tasks %llu (were %llu)\n",
	       (unsigned long long)s.mem_used, (unsigned long long)s0->mem_used,
	       (unsigned long long)s.tasks, (unsigned long long)s0->tasks);
	return 0;
}

static long call_bytes(const void *b, uint32_t len, void *ans, uint32_t cap,
		       uint64_t deadline, uint32_t *got)
{
	struct port_msg q = {.data = b, .len = len};
	struct port_rx rx = {.buf = ans, .cap = cap};
	long r = sys_port_call(w_send, &q, &rx, deadline);
	if (got)
		*got = rx.len;
	return r;
}

static long recv_poll(void *buf, uint32_t cap, struct port_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
	rx->buf = buf;
	rx->cap = cap;
	return sys_port_recv(w_recv, rx, DEADLINE_POLL);
}

static volatile int live_go, live_calling;
static volatile long live_result;

static int64_t live_caller(uint64_t arg)
{
	(void)arg;
	while (!live_go)
		sys_sleep_until(g_now() + MS);
	unsigned char b = 'L', a[16];
	uint32_t got = 0;
	live_calling = 1; /* blocked from now on: in the call */
	long r = call_bytes(&b, 1, a, sizeof(a), g_now() + T_LONG, &got);
	live_result = !r && (got != 1 || a[0] != 'M') ? -1 : r;
	return 0;
}

/* Old code: the dead callers' messages stayed queued (charged to us, each
 * holding its task object) until received, and were received first. */
GTEST(port_withdraw_killed_callers)
{
	GCHECK_OK(sys_port_create(0, &w_recv, &w_send));
	live_go = live_calling = 0;
	live_result = 1;
	struct gthread live;
	GCHECK_OK(gthread_start(&live, live_caller, 0));
	struct kernel_stats s0, s1;
	g_stats(&s0);
	struct child c[NKILL];
	for (int i = 0; i < NKILL; i++) {
		handle_t d = g_dup(w_send, RIGHT_SAME);
		GCHECK_OK(g_spawn_ex(CHILD_WORK, "bigcall:@", CHILD_QUOTA, 0, d,
				     RIGHT_SAME, &c[i]));
	}
	for (int i = 0; i < NKILL; i++)
		g_wait_blocked(c[i].thread);
	g_stats(&s1);
	GCHECK(s1.mem_used >= s0.mem_used + NKILL * BIGCALL_LEN);
	live_go = 1; /* queued behind them */
	while (!live_calling)
		sys_sleep_until(g_now() + MS);
	g_wait_blocked(live.h);
	int64_t st;
	for (int i = 0; i < NKILL; i++) {
		GCHECK_OK(sys_task_kill(c[i].task, 5));
		g_reap(&c[i], T_LONG, &st);
	}
	/* Before any receive: charges and task objects are back. */
	GCHECK(settles(&s0));
	static unsigned char buf[BIGCALL_LEN];
	struct port_rx rx;
	GCHECK_OK(recv_poll(buf, sizeof(buf), &rx));
	GCHECK_EQ(rx.len, 1);
	GCHECK_EQ(buf[0], 'L');
	unsigned char m = 'M';
	struct port_msg a = {.data = &m, .len = 1};
	GCHECK_OK(sys_port_reply(rx.reply, &a));
	GCHECK_ERR(recv_poll(buf, sizeof(buf), &rx), ERR_SHOULD_WAIT);
	GCHECK_OK(gthread_join(&live, g_now() + T_LONG, &st));
	GCHECK_OK(live_result);
	GCHECK_OK(sys_handle_close(w_send));
	GCHECK_OK(sys_handle_close(w_recv));
}

/* Timed-out calls (blocking, polling, in registers) leave the queue:
 * PORT_QUEUE_MAX of them leave room for a plain message, received first.
 * Old code: the queue stayed full (ERR_SHOULD_WAIT) and charged. */
GTEST(port_withdraw_timed_out_calls)
{
	GCHECK_OK(sys_port_create(0, &w_recv, &w_send));
	struct kernel_stats s0;
	g_stats(&s0);
	static unsigned char big[BIGCALL_LEN];
	unsigned char ans[16];
	for (int i = 0; i < 4; i++)
		GCHECK_ERR(call_bytes(big, sizeof(big), ans, sizeof(ans),
				      g_now() + 5 * MS, NULL),
			   ERR_TIMED_OUT);
	for (int i = 0; i < PORT_QUEUE_MAX; i++) {
		struct port_reg io = {.w = {(uint64_t)i}};
		long r =
			i % 2 ? sys_port_call_reg(w_send, 8, &io, DEADLINE_POLL)
			      : call_bytes(big, (uint32_t)(1 + i * 60), ans,
					   sizeof(ans), DEADLINE_POLL, NULL);
		GCHECK_ERR(r, ERR_SHOULD_WAIT);
	}
	GCHECK(settles(&s0));
	unsigned char p = 'P';
	struct port_msg q = {.data = &p, .len = 1};
	GCHECK_OK(sys_port_send(w_send, &q, DEADLINE_POLL));
	struct port_rx rx;
	GCHECK_OK(recv_poll(big, sizeof(big), &rx));
	GCHECK_EQ(rx.len, 1);
	GCHECK_EQ(rx.reply, HANDLE_INVALID);
	GCHECK_EQ(big[0], 'P');
	GCHECK_ERR(recv_poll(big, sizeof(big), &rx), ERR_SHOULD_WAIT);
	GCHECK_OK(sys_handle_close(w_send));
	GCHECK_OK(sys_handle_close(w_recv));
}

/* The withdrawn call's attached handles are closed at once, before any
 * receive: here the last handle to an endpoint of the same port, whose
 * no-senders notice is then the only message queued. Old code: the
 * cancelled call was still queued, holding the handle. */
GTEST(port_withdraw_closes_attached_handles)
{
	GCHECK_OK(sys_port_create(0, &w_recv, &w_send));
	handle_t n;
	GCHECK_OK(sys_port_mint_ex(w_recv, 77, PORT_MINT_NOTIFY_CLOSED, &n));
	unsigned char b = 'h', ans[16];
	struct port_msg q = {
		.data = &b, .len = 1, .nhandles = 1, .handles = &n};
	struct port_rx arx = {.buf = ans, .cap = sizeof(ans)};
	GCHECK_ERR(sys_port_call(w_send, &q, &arx, g_now() + 5 * MS),
		   ERR_TIMED_OUT);
	static unsigned char buf[64];
	struct port_rx rx;
	GCHECK_OK(recv_poll(buf, sizeof(buf), &rx));
	GCHECK_EQ(rx.flags & PORT_RX_CLOSED, PORT_RX_CLOSED);
	GCHECK_EQ(rx.badge, 77);
	GCHECK_EQ(rx.len, 0);
	GCHECK_ERR(recv_poll(buf, sizeof(buf), &rx), ERR_SHOULD_WAIT);
	GCHECK_OK(sys_handle_close(w_send));
	GCHECK_OK(sys_handle_close(w_recv));
}

/* ---- the race: server on CPU 1, callers giving up on CPU 0 ---- */

#define RC_CALLERS 3
#define RC_CALLS   1000
#define RC_KILLS   16
#define RC_SEQS	   (RC_CALLERS * RC_CALLS)

static volatile int rc_stop;
static uint8_t rc_seen[RC_SEQS];
static volatile uint64_t rc_dup, rc_srv_ok, rc_srv_closed, rc_srv_other,
	rc_srv_recv, rc_big_ok;
static uint64_t rc_ok[RC_CALLERS], rc_gone[RC_CALLERS], rc_bad[RC_CALLERS];

/* Answers every call (seq + 1); spins a little now and then so calls
 * wait queued. Until stopped and the queue stays empty. */
static int64_t rc_server(uint64_t arg)
{
	(void)arg;
	static unsigned char buf[BIGCALL_LEN];
	for (;;) {
		struct port_rx rx = {.buf = buf, .cap = sizeof(buf)};
		long r = sys_port_recv(w_recv, &rx, g_now() + 20 * MS);
		if (r == ERR_TIMED_OUT && rc_stop)
			return 0;
		if (r == ERR_TIMED_OUT)
			continue;
		if (r)
			return r;
		rc_srv_recv++;
		uint32_t seq = 0, ans;
		memcpy(&seq, buf, sizeof(seq));
		if (rx.len == BIGCALL_LEN) {
			seq = ~0u; /* a child's: not numbered */
		} else if (seq >= RC_SEQS || rc_seen[seq]++) {
			rc_dup++;
		}
		if (seq % 4 == 0)
			g_spin((seq % 97) * 2000);
		ans = seq + 1;
		struct port_msg m = {.data = &ans, .len = sizeof(ans)};
		r = sys_port_reply(rx.reply, &m);
		if (!r) {
			rc_srv_ok++;
			rc_big_ok += seq == ~0u;
		} else if (r == ERR_PEER_CLOSED) {
			rc_srv_closed++;
		} else {
			rc_srv_other++;
		}
	}
}

/* Calls with deadlines from 0 to ~300 us, some in a kernel allocation
 * (over IPC_SLOT_MAX bytes): the answer is seq + 1, or the call is gone. */
static int64_t rc_caller(uint64_t k)
{
	static unsigned char msgs[RC_CALLERS][300];
	unsigned char *b = msgs[k];
	for (uint32_t i = 0; i < RC_CALLS; i++) {
		uint32_t seq = (uint32_t)k * RC_CALLS + i, ans = 0, got = 0;
		memcpy(b, &seq, sizeof(seq));
		uint64_t dl = g_now() + (seq * 7919u % 300u) * 1000u;
		long r = call_bytes(b, i % 3 ? 8 : 300, &ans, sizeof(ans), dl,
				    &got);
		if (!r && got == sizeof(ans) && ans == seq + 1)
			rc_ok[k]++;
		else if (r == ERR_TIMED_OUT)
			rc_gone[k]++;
		else
			rc_bad[k]++;
	}
	return 0;
}

GTEST(port_withdraw_race_two_cpus)
{
	if (g_ncpus() < 2) {
		printf("    one CPU: skipped\n");
		return;
	}
	GCHECK_OK(sys_port_create(0, &w_recv, &w_send));
	rc_stop = 0;
	rc_dup = rc_srv_ok = rc_srv_closed = rc_srv_other = rc_srv_recv = 0;
	rc_big_ok = 0;
	memset(rc_seen, 0, sizeof(rc_seen));
	memset(rc_ok, 0, sizeof(rc_ok));
	memset(rc_gone, 0, sizeof(rc_gone));
	memset(rc_bad, 0, sizeof(rc_bad));
	struct kernel_stats s0;
	g_stats(&s0);
	struct sched_params on1 = {.cls = SCHED_CLASS_BE,
				   .weight = SCHED_BE_WEIGHT_DEFAULT,
				   .cpu = 1};
	struct sched_params on0 = on1;
	on0.cpu = 0;
	struct gthread srv, cl[RC_CALLERS];
	GCHECK_OK(gthread_start_sched(&srv, rc_server, 0, &on1));
	for (int k = 0; k < RC_CALLERS; k++)
		GCHECK_OK(gthread_start_sched(&cl[k], rc_caller, (uint64_t)k,
					      &on0));
	/* Meanwhile callers in child tasks, killed at once or a little
	 * later: in the queue, being received, or answered. */
	int64_t st;
	for (int i = 0; i < RC_KILLS; i++) {
		struct child c;
		handle_t d = g_dup(w_send, RIGHT_SAME);
		GCHECK_OK(g_spawn_ex(CHILD_WORK, "bigcall:@", CHILD_QUOTA, 0, d,
				     RIGHT_SAME, &c));
		g_spin((uint64_t)(i % 8) * 2 * MS);
		GCHECK_OK(sys_task_kill(c.task, 5));
		g_reap(&c, T_LONG, &st);
	}
	uint64_t ok = 0, gone = 0, bad = 0;
	for (int k = 0; k < RC_CALLERS; k++) {
		GCHECK_OK(gthread_join(&cl[k], g_now() + 60000 * MS, &st));
		ok += rc_ok[k];
		gone += rc_gone[k];
		bad += rc_bad[k];
	}
	rc_stop = 1;
	GCHECK_OK(gthread_join(&srv, g_now() + T_LONG, &st));
	printf("    %u calls: %llu answered, %llu timed out (%llu received "
	       "late); %llu child calls answered\n",
	       RC_SEQS, (unsigned long long)ok, (unsigned long long)gone,
	       (unsigned long long)rc_srv_closed,
	       (unsigned long long)rc_big_ok);
	GCHECK_OK(st);
	GCHECK_EQ(bad, 0);
	GCHECK_EQ(rc_dup, 0);
	GCHECK_EQ(rc_srv_other, 0);
	/* Each answer accepted reached its caller; the rest found it gone. */
	GCHECK_EQ(rc_srv_ok - rc_big_ok, ok);
	GCHECK_EQ(rc_srv_recv, rc_srv_ok + rc_srv_closed);
	GCHECK(rc_srv_closed <= gone + RC_KILLS);
	static unsigned char buf[BIGCALL_LEN];
	struct port_rx rx;
	GCHECK_ERR(recv_poll(buf, sizeof(buf), &rx), ERR_SHOULD_WAIT);
	GCHECK(settles(&s0));
	GCHECK_OK(sys_handle_close(w_send));
	GCHECK_OK(sys_handle_close(w_recv));
}
