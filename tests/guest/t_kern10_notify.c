/* SYS_OBJECT_NOTIFY (issue 10): a task's or thread's end signals
 * notification bits, at once when it has ended already; registrations are
 * bounded, removable and hold the notification only until the end. */
#include <execrt/cpio.h>
#include <execrt/spawn.h>
#include <string.h>

#include "gtest.h"
#include "gutil.h"

/* Collects bits of mask from n until all arrived or the deadline. */
static uint64_t collect(handle_t n, uint64_t mask, uint64_t timeout_ns)
{
	uint64_t got = 0, deadline = g_now() + timeout_ns;
	while ((got & mask) != mask) {
		uint64_t b = 0;
		if (sys_notif_wait(n, mask & ~got, deadline, &b) < 0)
			break;
		got |= b;
	}
	return got;
}

/* Bits pending on n right now (taken). */
static uint64_t pending(handle_t n)
{
	uint64_t b = 0;
	return sys_notif_wait(n, ~0ull, DEADLINE_POLL, &b) == 0 ? b : 0;
}

/* A child of `prog` whose task (tbits) and first thread (thbits) are
 * registered on n before it starts. */
static long spawn_notified(const char *prog, const char *arg, handle_t n,
			   uint64_t tbits, uint64_t thbits, struct child *c)
{
	struct cpio_file f;
	char path[64];
	memset(c, 0, sizeof(*c));
	snprintf(path, sizeof(path), "bin/%s", prog);
	if (cpio_find(g_initrd_buf, g_initrd_len, path, &f) != CPIO_OK)
		return ERR_NOT_FOUND;
	struct execrt_child ch;
	long r = execrt_spawn_create(prog, CHILD_QUOTA, &ch);
	if (r < 0)
		return r;
	if ((r = sys_object_notify(ch.task, n, tbits)) < 0 ||
	    (r = sys_object_notify(ch.thread, n, thbits)) < 0) {
		execrt_spawn_abort(&ch);
		return r;
	}
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "%s %s", prog, arg);
	struct execrt_spawn_args a = {.image = f.data,
				      .image_len = f.size,
				      .cmdline = cmd,
				      .quota = CHILD_QUOTA};
	a.give[START_H_CONSOLE] = g_console();
	int perr = 0;
	if ((r = execrt_spawn_start(&ch, &a, &perr)) < 0) {
		execrt_spawn_abort(&ch);
		return r;
	}
	c->task = ch.task;
	c->thread = ch.thread;
	c->thread_koid = g_koid(ch.thread);
	return 0;
}

/* The end seen through the notification; then the status must already be
 * there for SYS_OBJECT_WAIT (no poll can miss it). */
static void check_end(const char *prog, const char *arg,
		      void (*act)(struct child *), int64_t want)
{
	handle_t n;
	struct child c;
	int64_t st = 12345;
	GCHECK_OK(sys_notif_create(&n));
	long r = spawn_notified(prog, arg, n, 0x5, 0x10, &c);
	if (r < 0)
		sys_handle_close(n);
	GCHECK_OK(r);
	if (act)
		act(&c);
	uint64_t got = collect(n, 0x15, 5000 * MS);
	long w = sys_object_wait(c.task, DEADLINE_POLL, &st);
	long wt = sys_object_wait(c.thread, DEADLINE_POLL, NULL);
	uint64_t again = pending(n);
	g_reap(&c, 5000 * MS, NULL);
	sys_handle_close(n);
	GCHECK_EQ(got, 0x15);
	GCHECK_OK(w);
	GCHECK_OK(wt);
	GCHECK_EQ(st, want);
	GCHECK_EQ(again, 0); /* once */
}

GTEST(kern10_notify_fires_on_exit)
{
	check_end(CHILD_WORK, "exit:7", NULL, 7);
}

static void kill_it(struct child *c)
{
	sys_sleep_until(g_now() + 2 * MS); /* let it run */
	sys_task_kill(c->task, 42);
}

GTEST(kern10_notify_fires_on_kill)
{
	check_end(CHILD_WORK, "spin", kill_it, 42);
}

GTEST(kern10_notify_fires_on_fault)
{
	check_end(CHILD_FAULT, "pf", NULL, TASK_STATUS_FAULT(14));
}

GTEST(kern10_notify_after_death_fires_at_once)
{
	handle_t n;
	struct child c;
	GCHECK_OK(sys_notif_create(&n));
	GCHECK_OK(g_spawn(CHILD_WORK, "exit:3", CHILD_QUOTA, 0, &c));
	GCHECK_OK(sys_object_wait(c.task, g_now() + 5000 * MS, NULL));
	GCHECK_OK(sys_object_wait(c.thread, g_now() + 5000 * MS, NULL));
	long rt = sys_object_notify(c.task, n, 0x100);
	uint64_t b1 = pending(n);
	long rth = sys_object_notify(c.thread, n, 0x200);
	uint64_t b2 = pending(n);
	/* Removing after the end: nothing to remove, nothing signalled. */
	long rm = sys_object_notify(c.task, n, 0);
	uint64_t b3 = pending(n);
	g_reap(&c, 1000 * MS, NULL);
	sys_handle_close(n);
	GCHECK_OK(rt);
	GCHECK_EQ(b1, 0x100);
	GCHECK_OK(rth);
	GCHECK_EQ(b2, 0x200);
	GCHECK_OK(rm);
	GCHECK_EQ(b3, 0);
}

GTEST(kern10_notify_rights_and_types)
{
	handle_t t, n, v;
	GCHECK_OK(sys_task_create(g_self(), "watched", 7, 1 << 20, &t));
	GCHECK_OK(sys_notif_create(&n));
	GCHECK_OK(sys_vmo_create(PAGE, &v));
	handle_t t_nowait = g_dup(t, RIGHTS_TASK & ~RIGHT_WAIT);
	handle_t n_nosig = g_dup(n, RIGHTS_NOTIF & ~RIGHT_SIGNAL);
	long r1 = sys_object_notify(t_nowait, n, 1);
	long r2 = sys_object_notify(t, n_nosig, 1);
	long r3 = sys_object_notify(v, n, 1);
	long r4 = sys_object_notify(t, v, 1);
	long r5 = sys_object_notify(HANDLE_INVALID, n, 1);
	long r6 = sys_object_notify(t, HANDLE_INVALID, 1);
	long r7 = execrt_syscall6(SYS_OBJECT_NOTIFY, (long)t | (1l << 32), n, 1,
				  0, 0, 0);
	long r8 = execrt_syscall6(SYS_OBJECT_NOTIFY, t, (long)n | (1l << 32), 1,
				  0, 0, 0);
	/* None of them registered anything: the kill signals nothing. */
	sys_task_kill(t, 1);
	long w = sys_object_wait(t, g_now() + 1000 * MS, NULL);
	uint64_t b = pending(n);
	/* Even a handle that cannot wait gives nothing away once ended. */
	long r9 = sys_object_notify(t_nowait, n, 1);
	sys_handle_close(t_nowait);
	sys_handle_close(n_nosig);
	sys_handle_close(v);
	sys_handle_close(n);
	sys_handle_close(t);
	GCHECK_ERR(r1, ERR_ACCESS_DENIED);
	GCHECK_ERR(r2, ERR_ACCESS_DENIED);
	GCHECK_ERR(r3, ERR_WRONG_TYPE);
	GCHECK_ERR(r4, ERR_WRONG_TYPE);
	GCHECK_ERR(r5, ERR_BAD_HANDLE);
	GCHECK_ERR(r6, ERR_BAD_HANDLE);
	GCHECK_ERR(r7, ERR_BAD_HANDLE);
	GCHECK_ERR(r8, ERR_BAD_HANDLE);
	GCHECK_ERR(r9, ERR_ACCESS_DENIED);
	GCHECK_OK(w);
	GCHECK_EQ(b, 0);
}

GTEST(kern10_notify_slots_update_and_remove)
{
	handle_t t, n[5];
	GCHECK_OK(sys_task_create(g_self(), "watched", 7, 1 << 20, &t));
	for (int i = 0; i < 5; i++)
		GCHECK_OK(sys_notif_create(&n[i]));
	long r[12];
	for (int i = 0; i < 4; i++)
		r[i] = sys_object_notify(t, n[i], 1ull << i);
	r[4] = sys_object_notify(t, n[4], 1);	  /* a 5th: refused */
	r[5] = sys_object_notify(t, n[1], 0xf0);  /* same notif: new bits */
	r[6] = sys_object_notify(t, n[4], 1);	  /* still refused */
	r[7] = sys_object_notify(t, n[0], 0);	  /* removed ... */
	r[8] = sys_object_notify(t, n[0], 0);	  /* ... twice is fine */
	r[9] = sys_object_notify(t, n[4], 0x100); /* a slot is free now */
	sys_task_kill(t, 1);
	long w = sys_object_wait(t, g_now() + 1000 * MS, NULL);
	uint64_t b[5];
	for (int i = 0; i < 5; i++)
		b[i] = pending(n[i]);
	for (int i = 0; i < 5; i++)
		sys_handle_close(n[i]);
	sys_handle_close(t);
	for (int i = 0; i < 4; i++)
		GCHECK_OK(r[i]);
	GCHECK_ERR(r[4], ERR_NO_RESOURCES);
	GCHECK_OK(r[5]);
	GCHECK_ERR(r[6], ERR_NO_RESOURCES);
	GCHECK_OK(r[7]);
	GCHECK_OK(r[8]);
	GCHECK_OK(r[9]);
	GCHECK_OK(w);
	GCHECK_EQ(b[0], 0);
	GCHECK_EQ(b[1], 0xf0);
	GCHECK_EQ(b[2], 4);
	GCHECK_EQ(b[3], 8);
	GCHECK_EQ(b[4], 0x100);
}

static uint64_t kobjects(void)
{
	struct kernel_stats ks = {0};
	g_stats(&ks);
	return ks.kobjects_live;
}

GTEST(kern10_notify_holds_notification_until_end)
{
	handle_t t, n, w;
	GCHECK_OK(sys_task_create(g_self(), "watched", 7, 1 << 20, &t));
	GCHECK_OK(sys_notif_create(&n));
	w = g_dup(n, RIGHT_WAIT); /* to see the bits, not to keep it */
	GCHECK_OK(sys_object_notify(t, n, 2));
	GCHECK_OK(sys_handle_close(n));
	uint64_t live = kobjects();
	GCHECK_OK(sys_handle_close(w));
	/* The registration keeps the notification object. */
	uint64_t live_after_close = kobjects();
	sys_task_kill(t, 1);
	GCHECK_OK(sys_object_wait(t, g_now() + 1000 * MS, NULL));
	/* The end drops it (the task object stays while t is open). */
	uint64_t live_after_end = kobjects();
	sys_handle_close(t);
	GCHECK_EQ(live_after_close, live);
	GCHECK_EQ(live_after_end, live - 1);
}

GTEST(kern10_notify_unstarted_thread_drops_registration)
{
	handle_t th, n;
	GCHECK_OK(sys_thread_create(g_self(), "never", 5, &th));
	GCHECK_OK(sys_notif_create(&n));
	GCHECK_OK(sys_object_notify(th, n, 1));
	uint64_t live = kobjects();
	/* The thread goes with its last handle: it never ended, so nothing
	 * is signalled, and its reference to the notification goes too. */
	GCHECK_OK(sys_handle_close(th));
	uint64_t after = kobjects();
	uint64_t b = pending(n);
	sys_handle_close(n);
	GCHECK_EQ(after, live - 1);
	GCHECK_EQ(b, 0);
}

/* ---- racing the end on two CPUs ---- */

#define RACE_TASK_ROUNDS   300 /* tasks that never ran: killed at once */
#define RACE_CHILD_ROUNDS  20  /* running children: ended by their thread */
#define RACE_THREAD_ROUNDS 60

static volatile unsigned race_round, race_killed_round;
static volatile handle_t race_task;

static void spin_a_little(unsigned salt)
{
	for (volatile unsigned i = 0; i < (salt * 37) % 400; i++)
		;
}

static int64_t race_killer(uint64_t rounds)
{
	for (unsigned r = 1; r <= rounds; r++) {
		while (race_round != r)
			;
		spin_a_little(r);
		sys_task_kill(race_task, (int64_t)r);
		race_killed_round = r;
	}
	return 0;
}

static int64_t race_exiter(uint64_t salt)
{
	spin_a_little((unsigned)salt);
	return 0;
}

GTEST(kern10_notify_racing_the_end_two_cpus)
{
	gtest_allow_growth(); /* thread stacks: page tables may stay */
	unsigned ncpu = g_ncpus();
	handle_t n;
	GCHECK_OK(sys_notif_create(&n));
	race_round = race_killed_round = 0;
	struct gthread killer;
	struct sched_params p = {
		.cls = SCHED_CLASS_BE, .weight = 1024, .cpu = 1 % (int)ncpu};
	GCHECK_OK(gthread_start_sched(&killer, race_killer,
				      RACE_TASK_ROUNDS + RACE_CHILD_ROUNDS,
				      &p));
	unsigned missed = 0, twice = 0, failed = 0, at_once = 0;
	for (unsigned r = 1; r <= RACE_TASK_ROUNDS; r++) {
		handle_t t;
		if (sys_task_create(g_self(), "racer", 5, 1 << 16, &t) < 0) {
			failed++;
			break;
		}
		race_task = t;
		race_round = r;
		spin_a_little(r * 7);
		if (sys_object_notify(t, n, 1) < 0)
			failed++;
		uint64_t got = pending(n);
		at_once += got == 1;
		if (!got)
			got = collect(n, 1, 2000 * MS);
		/* Reset for the next round only once this one's kill is in. */
		while (race_killed_round != r)
			sys_yield();
		missed += got != 1;
		twice += pending(n) != 0;
		sys_handle_close(t);
	}
	/* Running children: the last of their threads ends them, on the
	 * other CPU or here, while we register on the task and its thread. */
	for (unsigned r = RACE_TASK_ROUNDS + 1;
	     r <= RACE_TASK_ROUNDS + RACE_CHILD_ROUNDS; r++) {
		struct child c;
		if (g_spawn(CHILD_WORK, "spin", CHILD_QUOTA, 0, &c) < 0) {
			failed++;
			race_task = HANDLE_INVALID; /* the kill just fails */
			race_round = r;
			continue;
		}
		race_task = c.task;
		race_round = r;
		spin_a_little(r * 13);
		if (sys_object_notify(c.task, n, 4) < 0 ||
		    sys_object_notify(c.thread, n, 8) < 0)
			failed++;
		uint64_t got = collect(n, 0xc, 2000 * MS);
		while (race_killed_round != r)
			sys_yield();
		missed += got != 0xc;
		twice += pending(n) != 0;
		g_reap(&c, 2000 * MS, NULL);
	}
	int64_t st;
	long jk = gthread_join(&killer, g_now() + 10000 * MS, &st);

	/* Threads of this task ending while they are registered. */
	unsigned tmissed = 0;
	for (unsigned r = 0; r < RACE_THREAD_ROUNDS; r++) {
		struct gthread th;
		if (gthread_start_sched(&th, race_exiter, r, &p) < 0) {
			failed++;
			break;
		}
		spin_a_little(r * 11);
		if (sys_object_notify(th.h, n, 2) < 0)
			failed++;
		tmissed += collect(n, 2, 2000 * MS) != 2;
		twice += pending(n) != 0;
		gthread_join(&th, g_now() + 2000 * MS, NULL);
	}
	sys_handle_close(n);
	printf("    %u unstarted task rounds (%u signalled at once), %u "
	       "running child rounds, %u thread rounds\n",
	       RACE_TASK_ROUNDS, at_once, RACE_CHILD_ROUNDS,
	       RACE_THREAD_ROUNDS);
	GCHECK_OK(jk);
	GCHECK_EQ(failed, 0);
	GCHECK_EQ(missed, 0);
	GCHECK_EQ(tmissed, 0);
	GCHECK_EQ(twice, 0);
}
