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

/* Two SYS_GRANT_NOTIFY calls on one grant at once from two CPUs (docs/
 * ipc.md "Memory-gone notice": one endpoint per memory object, claimed
 * by an atomic exchange): exactly one succeeds, the other is refused with
 * its handle left in place (ERR_ALREADY_EXISTS; with the same handle it
 * may instead find it gone, ERR_BAD_HANDLE). The kept endpoint's notice
 * comes exactly once, when the memory goes; a refused endpoint's own
 * notice when it is closed. Odd rounds race two endpoints, even rounds
 * one endpoint named by both threads. */
static struct {
	volatile uint64_t go, done;
	handle_t g, e;
	long res;
} nr;

static int64_t notifier(uint64_t rounds)
{
	for (uint64_t i = 1; i <= rounds; i++) {
		while (__atomic_load_n(&nr.go, __ATOMIC_ACQUIRE) != i)
			if (__atomic_load_n(&nr.go, __ATOMIC_ACQUIRE) == ~0ull)
				return 0;
		nr.res = sys_grant_notify(nr.g, nr.e);
		__atomic_store_n(&nr.done, i, __ATOMIC_RELEASE);
	}
	return 0;
}

GTEST(grant_notice_two_notify_calls_on_two_cpus)
{
	enum { ROUNDS = 300 };
	handle_t r, s;
	struct gthread t;
	struct handle_info hi;
	GCHECK_OK(sys_port_create(0, &r, &s));
	memset((void *)&nr, 0, sizeof(nr));
	struct sched_params me, other = {.cls = SCHED_CLASS_BE};
	GCHECK_OK(sys_sched_get(execrt_handle(START_H_SELF_THREAD), &me));
	other.cpu = g_ncpus() > 1 ? me.cpu == 0 : 0;
	GCHECK_OK(gthread_start_sched(&t, notifier, ROUNDS, &other));
	unsigned bad = 0, mine = 0, theirs = 0, gone = 0;
	uint64_t i, stop_at = g_now() + 4000 * MS; /* a loaded host */
	for (i = 1; i <= ROUNDS && g_now() < stop_at && !bad; i++) {
		bool same = !(i & 1);
		uint64_t ba = 2 * i, bb = 2 * i + 1;
		handle_t g, ea, eb = HANDLE_INVALID;
		bad += sys_grant_create(g_self(), 0, PAGE,
					VM_PROT_READ | VM_PROT_WRITE, &g) != 0;
		bad += sys_port_mint_ex(r, ba, PORT_MINT_NOTIFY_CLOSED, &ea) !=
		       0;
		if (!same)
			bad += sys_port_mint_ex(r, bb, PORT_MINT_NOTIFY_CLOSED,
						&eb) != 0;
		nr.g = g;
		nr.e = same ? ea : eb;
		__atomic_store_n(&nr.go, i, __ATOMIC_RELEASE);
		g_spin(i % 5 * 1000); /* vary who comes first */
		long ra = sys_grant_notify(g, ea);
		while (__atomic_load_n(&nr.done, __ATOMIC_ACQUIRE) != i)
			;
		long rb = nr.res;
		/* exactly one kept it */
		long lost = ra == 0 ? rb : ra;
		if ((ra == 0) == (rb == 0) ||
		    (lost != ERR_ALREADY_EXISTS &&
		     !(same && lost == ERR_BAD_HANDLE))) {
			printf("    round %llu: %ld and %ld\n",
			       (unsigned long long)i, ra, rb);
			bad++;
		}
		mine += ra == 0;
		theirs += rb == 0;
		gone += lost == ERR_BAD_HANDLE;
		uint64_t kept = ra == 0 || same ? ba : bb;
		if (!same) {
			/* the refused endpoint is still its caller's */
			handle_t loser = ra == 0 ? eb : ea;
			bad += sys_handle_info(loser, &hi) != 0;
			bad += sys_handle_close(loser) != 0;
			bad += notice(r, ra == 0 ? bb : ba, DEADLINE_POLL) != 0;
		} else {
			bad += sys_handle_info(ea, &hi) != ERR_BAD_HANDLE;
		}
		/* nothing while the grant's handle holds the memory; then
		 * one notice, once */
		bad += notice(r, kept, DEADLINE_POLL) != ERR_SHOULD_WAIT;
		bad += sys_handle_close(g) != 0;
		bad += notice(r, kept, g_now() + 1000 * MS) != 0;
		bad += notice(r, kept, DEADLINE_POLL) != ERR_SHOULD_WAIT;
	}
	__atomic_store_n(&nr.go, ~0ull, __ATOMIC_RELEASE);
	GCHECK_OK(gthread_join(&t, g_now() + 5000 * MS, NULL));
	printf("    %llu rounds: this CPU kept it %u times, the other %u, "
	       "a handle already moved %u\n",
	       (unsigned long long)(i - 1), mine, theirs, gone);
	GCHECK_EQ(bad, 0);
	GCHECK(i - 1 >= 50);
	GCHECK_OK(sys_handle_close(r));
	GCHECK_OK(sys_handle_close(s));
}
