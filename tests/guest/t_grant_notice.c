/* The memory-gone notice (SYS_GRANT_NOTIFY, docs/ipc.md "Grants"): the
 * creator moves an endpoint minted with PORT_MINT_NOTIFY_CLOSED into the
 * grant's memory; its no-senders notice comes exactly once, when the last
 * handle and the last mapping of that memory are gone, not before. The
 * harness checks the object and frame counters after each test. */
#include <string.h>

#include "gtest.h"
#include "gutil.h"

/* 0: the next message on r is badge's notice; else what went wrong. */
static long notice(handle_t r, uint64_t badge, uint64_t deadline)
{
	static uint8_t buf[64];
	handle_t hv[PORT_HANDLES_MAX];
	struct port_rx rx = {.buf = buf,
			     .cap = sizeof(buf),
			     .handles = hv,
			     .hcap = PORT_HANDLES_MAX};
	long e = sys_port_recv(r, &rx, deadline);
	if (e < 0)
		return e;
	return rx.len == 0 && rx.badge == badge && rx.flags == PORT_RX_CLOSED
		       ? 0
		       : -100;
}

static long grant_with_notice(handle_t r, uint64_t badge, handle_t *g)
{
	handle_t e;
	long err = sys_grant_create(g_self(), 0, 2 * PAGE,
				    VM_PROT_READ | VM_PROT_WRITE, g);
	if (!err)
		err = sys_port_mint_ex(r, badge, PORT_MINT_NOTIFY_CLOSED, &e);
	if (!err)
		err = sys_grant_notify(*g, e);
	return err;
}

GTEST(grant_notice_when_the_memory_goes)
{
	handle_t r, s, g, e2, ro;
	struct handle_info hi;
	GCHECK_OK(sys_port_create(0, &r, &s));
	GCHECK_OK(grant_with_notice(r, 7, &g));
	/* Validated before anything moves: a second endpoint, a receive
	 * handle, a handle without MANAGE are refused and stay ours. */
	GCHECK_OK(sys_port_mint_ex(r, 8, PORT_MINT_NOTIFY_CLOSED, &e2));
	GCHECK_ERR(sys_grant_notify(g, e2), ERR_ALREADY_EXISTS);
	GCHECK_OK(sys_handle_info(e2, &hi));
	GCHECK_ERR(sys_grant_notify(g, r), ERR_WRONG_TYPE);
	ro = g_dup(g, RIGHT_READ | RIGHT_MAP | RIGHT_DUPLICATE);
	GCHECK_ERR(sys_grant_notify(ro, e2), ERR_ACCESS_DENIED);
	GCHECK_OK(sys_handle_close(e2));
	GCHECK_OK(notice(r, 8, DEADLINE_POLL)); /* e2's own, closed */
	/* A mapping and a handle hold the memory: no notice yet. */
	uint64_t a = 0;
	GCHECK_OK(sys_grant_map(g_self(), ro, VM_PROT_READ, 0, &a));
	GCHECK_OK(sys_handle_close(g));
	GCHECK_ERR(notice(r, 7, DEADLINE_POLL), ERR_SHOULD_WAIT);
	GCHECK_OK(sys_handle_close(ro));
	GCHECK_ERR(notice(r, 7, DEADLINE_POLL), ERR_SHOULD_WAIT);
	GCHECK_EQ(*(volatile uint8_t *)a, 0);
	GCHECK_OK(sys_grant_unmap(g_self(), a));
	GCHECK_OK(notice(r, 7, DEADLINE_POLL));
	GCHECK_ERR(notice(r, 7, DEADLINE_POLL), ERR_SHOULD_WAIT);
	/* The port gone first: the endpoint's notice is dropped with it. */
	GCHECK_OK(grant_with_notice(r, 9, &g));
	GCHECK_OK(sys_handle_close(r));
	GCHECK_OK(sys_handle_close(g));
	GCHECK_OK(sys_handle_close(s));
}

/* A child holds the memory: its death lets go. */
GTEST(grant_notice_when_the_holder_dies)
{
	handle_t r, s, g;
	struct child c;
	GCHECK_OK(sys_port_create(0, &r, &s));
	GCHECK_OK(grant_with_notice(r, 11, &g));
	handle_t give = g_dup(g, RIGHT_READ | RIGHT_MAP | RIGHT_TRANSFER);
	GCHECK_OK(g_spawn_ex(CHILD_WORK, "spin @", CHILD_QUOTA, 0, give,
			     RIGHT_SAME, &c));
	GCHECK_OK(sys_handle_close(g));
	GCHECK_ERR(notice(r, 11, DEADLINE_POLL), ERR_SHOULD_WAIT);
	GCHECK_OK(sys_task_kill(c.task, 1));
	g_reap(&c, 1000 * MS, NULL);
	GCHECK_OK(notice(r, 11, g_now() + 1000 * MS));
	GCHECK_OK(sys_handle_close(r));
	GCHECK_OK(sys_handle_close(s));
}

/* The last two holders let go at once on two CPUs (one unmaps and closes,
 * the other closes): exactly one notice per round, every time. */
static volatile uint64_t go, done;
static handle_t race_g;
static int64_t unmapper(uint64_t rounds)
{
	for (uint64_t i = 1; i <= rounds; i++) {
		while (__atomic_load_n(&go, __ATOMIC_ACQUIRE) != i)
			;
		uint64_t a = 0;
		if (sys_grant_map(g_self(), race_g, VM_PROT_READ, 0, &a) == 0)
			sys_grant_unmap(g_self(), a);
		sys_handle_close(race_g);
		__atomic_store_n(&done, i, __ATOMIC_RELEASE);
	}
	return 0;
}

GTEST(grant_notice_races_unmap_on_two_cpus)
{
	enum { ROUNDS = 200 };
	handle_t r, s, g;
	struct gthread t;
	GCHECK_OK(sys_port_create(0, &r, &s));
	go = done = 0;
	GCHECK_OK(gthread_start(&t, unmapper, ROUNDS));
	unsigned bad = 0;
	for (uint64_t i = 1; i <= ROUNDS; i++) { /* the thread needs all */
		bad += grant_with_notice(r, i, &g) != 0;
		race_g = g_dup(g, RIGHT_READ | RIGHT_MAP);
		__atomic_store_n(&go, i, __ATOMIC_RELEASE);
		g_spin(i % 7 * 2000); /* vary who is last */
		sys_handle_close(g);
		while (__atomic_load_n(&done, __ATOMIC_ACQUIRE) != i)
			;
		bad += notice(r, i, g_now() + 1000 * MS) != 0;
		bad += notice(r, i, DEADLINE_POLL) != ERR_SHOULD_WAIT;
	}
	GCHECK_OK(gthread_join(&t, g_now() + 5000 * MS, NULL));
	GCHECK_EQ(bad, 0);
	GCHECK_OK(sys_handle_close(r));
	GCHECK_OK(sys_handle_close(s));
}
