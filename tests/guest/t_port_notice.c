/* The no-senders notice (SYS_PORT_MINT_EX with PORT_MINT_NOTIFY_CLOSED,
 * docs/ipc.md): when the last handle to such an endpoint is gone (closed,
 * its holder task ended, dropped in transit) one zero-length message with
 * its badge and PORT_RX_CLOSED arrives on the port, ahead of ordinary
 * messages and even on a full queue; charged to the minter until received
 * or until the port dies first. */
#include <string.h>

#include "gtest.h"
#include "gutil.h"

static long recv0(handle_t r, struct port_rx *rx, uint64_t deadline)
{
	static uint8_t buf[64];
	static handle_t hv[PORT_HANDLES_MAX];
	memset(rx, 0, sizeof(*rx));
	rx->buf = buf;
	rx->cap = sizeof(buf);
	rx->handles = hv;
	rx->hcap = PORT_HANDLES_MAX;
	rx->flags = 0xdead; /* must be overwritten */
	return sys_port_recv(r, rx, deadline);
}

/* The next message is badge's notice. */
static long expect_notice(handle_t r, uint64_t badge, uint64_t deadline)
{
	struct port_rx rx;
	long e = recv0(r, &rx, deadline);
	if (e < 0)
		return e;
	if (rx.len != 0 || rx.nhandles != 0 || rx.reply != HANDLE_INVALID ||
	    rx.badge != badge || rx.flags != PORT_RX_CLOSED) {
		printf("    got len %u nh %u reply %u badge %llu flags %#x\n",
		       rx.len, rx.nhandles, rx.reply,
		       (unsigned long long)rx.badge, rx.flags);
		return -100;
	}
	return 0;
}

static uint64_t mem_used(void)
{
	struct kernel_stats s;
	return g_stats(&s) == 0 ? s.mem_used : 0;
}

GTEST(port_notice_on_last_close)
{
	handle_t r, s0, s, d, plain;
	uint64_t used0 = mem_used();
	GCHECK_OK(sys_port_create(0, &r, &s0));
	GCHECK_ERR(sys_port_mint_ex(r, 42, 2, &s), ERR_INVALID_ARGS);
	GCHECK_ERR(sys_port_mint_ex(r, 42, ~0u, &s), ERR_INVALID_ARGS);
	GCHECK_OK(sys_port_mint_ex(r, 42, PORT_MINT_NOTIFY_CLOSED, &s));
	GCHECK_OK(sys_port_mint_ex(r, 43, 0, &plain)); /* = port_mint */
	struct port_rx rx;
	GCHECK_ERR(recv0(r, &rx, DEADLINE_POLL), ERR_SHOULD_WAIT);
	/* A duplicate keeps the endpoint alive. */
	GCHECK_OK(sys_handle_dup(s, RIGHT_SAME, &d));
	GCHECK_OK(sys_handle_close(s));
	GCHECK_ERR(recv0(r, &rx, DEADLINE_POLL), ERR_SHOULD_WAIT);
	/* Messages through it carry no flag. */
	struct port_msg m = {.data = "x", .len = 1};
	GCHECK_OK(sys_port_send(d, &m, DEADLINE_POLL));
	GCHECK_OK(recv0(r, &rx, DEADLINE_POLL));
	GCHECK_EQ(rx.flags, 0);
	GCHECK_EQ(rx.badge, 42);
	GCHECK_OK(sys_handle_close(d));
	GCHECK_OK(expect_notice(r, 42, DEADLINE_POLL));
	/* Once only; a plain endpoint sends none. */
	GCHECK_OK(sys_handle_close(plain));
	GCHECK_ERR(recv0(r, &rx, DEADLINE_POLL), ERR_SHOULD_WAIT);
	GCHECK_OK(sys_handle_close(s0));
	GCHECK_OK(sys_handle_close(r));
	GCHECK_EQ(mem_used(), used0);
}

GTEST(port_notice_charged_to_minter_until_received)
{
	handle_t r, s0, s;
	GCHECK_OK(sys_port_create(0, &r, &s0));
	uint64_t used0 = mem_used();
	GCHECK_OK(sys_port_mint(r, 1, &s));
	uint64_t plain = mem_used() - used0;
	GCHECK_OK(sys_handle_close(s));
	GCHECK_EQ(mem_used(), used0);
	GCHECK_OK(sys_port_mint_ex(r, 1, PORT_MINT_NOTIFY_CLOSED, &s));
	uint64_t with = mem_used() - used0;
	GCHECK(with > plain); /* the notice is allocated at mint */
	GCHECK_OK(sys_handle_close(s));
	GCHECK(mem_used() > used0); /* queued, still the minter's */
	GCHECK_OK(expect_notice(r, 1, DEADLINE_POLL));
	GCHECK_EQ(mem_used(), used0);
	GCHECK_OK(sys_handle_close(s0));
	GCHECK_OK(sys_handle_close(r));
}

/* A full queue (PORT_QUEUE_MAX) takes the notice anyway, first in line,
 * and the notice does not take a sender's place. */
GTEST(port_notice_on_full_queue_goes_first)
{
	handle_t r, s0, s;
	GCHECK_OK(sys_port_create(0, &r, &s0));
	GCHECK_OK(sys_port_mint_ex(r, 7, PORT_MINT_NOTIFY_CLOSED, &s));
	struct port_msg m = {.data = "y", .len = 1};
	for (int i = 0; i < PORT_QUEUE_MAX; i++)
		GCHECK_OK(sys_port_send(s0, &m, DEADLINE_POLL));
	GCHECK_ERR(sys_port_send(s0, &m, DEADLINE_POLL), ERR_SHOULD_WAIT);
	GCHECK_OK(sys_handle_close(s));
	GCHECK_ERR(sys_port_send(s0, &m, DEADLINE_POLL), ERR_SHOULD_WAIT);
	GCHECK_OK(expect_notice(r, 7, DEADLINE_POLL));
	GCHECK_ERR(sys_port_send(s0, &m, DEADLINE_POLL), ERR_SHOULD_WAIT);
	struct port_rx rx;
	for (int i = 0; i < PORT_QUEUE_MAX; i++) {
		GCHECK_OK(recv0(r, &rx, DEADLINE_POLL));
		GCHECK_EQ(rx.len, 1);
		GCHECK_EQ(rx.flags, 0);
	}
	GCHECK_ERR(recv0(r, &rx, DEADLINE_POLL), ERR_SHOULD_WAIT);
	GCHECK_OK(sys_handle_close(s0));
	GCHECK_OK(sys_handle_close(r));
}

/* The holder task dies: its table is closed, the notice comes. */
GTEST(port_notice_on_holder_death)
{
	handle_t r, s0, s, n;
	GCHECK_OK(sys_port_create(0, &r, &s0));
	GCHECK_OK(sys_notif_create(&n));
	GCHECK_OK(sys_port_bind_notif(r, n, 4));
	GCHECK_OK(sys_port_mint_ex(r, 99, PORT_MINT_NOTIFY_CLOSED, &s));
	struct child c;
	GCHECK_OK(g_spawn_ex(CHILD_WORK, "spin @", CHILD_QUOTA, 0, s,
			     RIGHT_SAME, &c));
	struct port_rx rx;
	GCHECK_ERR(recv0(r, &rx, g_now() + 20 * MS), ERR_TIMED_OUT);
	GCHECK_OK(sys_task_kill(c.task, 3));
	int64_t st;
	GCHECK_OK(g_reap(&c, 5000 * MS, &st));
	uint64_t bits = 0;
	GCHECK_OK(sys_notif_wait(n, 4, g_now() + 5000 * MS, &bits));
	GCHECK_EQ(bits, 4);
	GCHECK_OK(expect_notice(r, 99, DEADLINE_POLL));
	GCHECK_ERR(recv0(r, &rx, DEADLINE_POLL), ERR_SHOULD_WAIT);
	GCHECK_OK(sys_handle_close(s0));
	GCHECK_OK(sys_handle_close(r));
	GCHECK_OK(sys_handle_close(n));
}

/* In a message the endpoint still has a handle; once received and closed,
 * or dropped with the message, the notice comes. */
GTEST(port_notice_after_transfer)
{
	handle_t r, s0, s, cr, cs;
	GCHECK_OK(sys_port_create(0, &r, &s0));
	GCHECK_OK(sys_port_create(0, &cr, &cs)); /* the carrier */
	GCHECK_OK(sys_port_mint_ex(r, 5, PORT_MINT_NOTIFY_CLOSED, &s));
	struct port_msg m = {
		.data = "h", .len = 1, .nhandles = 1, .handles = &s};
	GCHECK_OK(sys_port_send(cs, &m, DEADLINE_POLL));
	struct port_rx rx;
	GCHECK_ERR(recv0(r, &rx, DEADLINE_POLL), ERR_SHOULD_WAIT);
	GCHECK_OK(recv0(cr, &rx, DEADLINE_POLL));
	GCHECK_EQ(rx.nhandles, 1);
	handle_t got = rx.handles[0];
	GCHECK_ERR(recv0(r, &rx, DEADLINE_POLL), ERR_SHOULD_WAIT);
	GCHECK_OK(sys_handle_close(got));
	GCHECK_OK(expect_notice(r, 5, DEADLINE_POLL));

	/* Dropped in transit: the carrier port dies with it queued. */
	GCHECK_OK(sys_port_mint_ex(r, 6, PORT_MINT_NOTIFY_CLOSED, &s));
	m.handles = &s;
	GCHECK_OK(sys_port_send(cs, &m, DEADLINE_POLL));
	GCHECK_ERR(recv0(r, &rx, DEADLINE_POLL), ERR_SHOULD_WAIT);
	GCHECK_OK(sys_handle_close(cr));
	GCHECK_OK(expect_notice(r, 6, DEADLINE_POLL));
	GCHECK_OK(sys_handle_close(cs));
	GCHECK_OK(sys_handle_close(s0));
	GCHECK_OK(sys_handle_close(r));
}

/* The port dies first: queued notices and those still held by live
 * endpoints are freed (the harness checks objects and frames; the
 * minter's charge comes back). */
GTEST(port_notice_port_gone_first)
{
	uint64_t used0 = mem_used();
	handle_t r, s0, a, b;
	GCHECK_OK(sys_port_create(0, &r, &s0));
	GCHECK_OK(sys_port_mint_ex(r, 1, PORT_MINT_NOTIFY_CLOSED, &a));
	GCHECK_OK(sys_port_mint_ex(r, 2, PORT_MINT_NOTIFY_CLOSED, &b));
	GCHECK_OK(sys_handle_close(a)); /* queued, never received */
	GCHECK_OK(sys_handle_close(r));
	struct port_msg m = {.data = "z", .len = 1};
	GCHECK_ERR(sys_port_send(b, &m, DEADLINE_POLL), ERR_PEER_CLOSED);
	GCHECK_OK(sys_handle_close(b)); /* its notice has no port to go to */
	GCHECK_OK(sys_handle_close(s0));
	GCHECK_EQ(mem_used(), used0);
}

/* Many endpoints, closed in a random order: one notice each, in the
 * order of the closes (FIFO among notices), none lost or doubled. */
GTEST(port_notice_many_in_close_order)
{
	enum { N = 200 };
	handle_t r, s0, h[N];
	gtest_allow_growth(); /* this task's handle table grows */
	GCHECK_OK(sys_port_create(0, &r, &s0));
	for (int i = 0; i < N; i++)
		GCHECK_OK(sys_port_mint_ex(r, 1000 + (uint64_t)i,
					   PORT_MINT_NOTIFY_CLOSED, &h[i]));
	int order[N];
	for (int i = 0; i < N; i++)
		order[i] = i;
	uint32_t x = 12345;
	for (int i = N - 1; i > 0; i--) {
		x = x * 1103515245u + 12345u;
		int j = (int)((x >> 8) % (uint32_t)(i + 1));
		int t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (int i = 0; i < N; i++)
		GCHECK_OK(sys_handle_close(h[order[i]]));
	for (int i = 0; i < N; i++)
		GCHECK_OK(expect_notice(r, 1000 + (uint64_t)order[i],
					DEADLINE_POLL));
	struct port_rx rx;
	GCHECK_ERR(recv0(r, &rx, DEADLINE_POLL), ERR_SHOULD_WAIT);
	GCHECK_OK(sys_handle_close(s0));
	GCHECK_OK(sys_handle_close(r));
}
