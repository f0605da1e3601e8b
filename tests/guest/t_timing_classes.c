/* RT and BE at work, and the limits over them: RT preemption, round-robin
 * quanta and FIFO order, weighted fair sharing, sleep precision, the RT
 * cap and task CPU quotas. The test thread runs at RT 99 so it keeps
 * control; every worker shares its CPU.
 *
 * The timing_* tests run in a boot under -icount (tools/check.sh): guest
 * time is then counted in instructions, so a stall of QEMU's host thread
 * is invisible and the bounds below can be those of the kernel itself. */
#include <stdlib.h>

#include "gtest.h"
#include "gutil.h"

static handle_t me(void)
{
	return execrt_handle(START_H_SELF_THREAD);
}

static struct sched_params rt(uint32_t prio, int rr, uint64_t quantum)
{
	return (struct sched_params){.cls = SCHED_CLASS_RT,
				     .priority = prio,
				     .flags = rr ? SCHED_FLAG_RR : 0,
				     .quantum_ns = quantum,
				     .cpu = SCHED_CPU_KEEP};
}

static struct sched_params be(uint32_t weight)
{
	return (struct sched_params){
		.cls = SCHED_CLASS_BE, .weight = weight, .cpu = SCHED_CPU_KEEP};
}

static volatile int stop;
static volatile uint64_t count[4];

static int64_t counter(uint64_t i)
{
	while (!stop)
		count[i]++;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* ---- RT ---- */

static volatile uint64_t hi_late_max, hi_rounds;

static int64_t hi_sleeper(uint64_t arg)
{
	(void)arg;
	for (int i = 0; i < 20; i++) {
		uint64_t due = g_now() + 5 * MS;
		sys_sleep_until(due);
		uint64_t late = g_now() - due;
		if (late > hi_late_max)
			hi_late_max = late;
		hi_rounds++;
	}
	return 0;
}

GTEST(timing_rt_higher_priority_preempts)
{
	GCHECK_OK(g_set_rt(me(), 99, 0, 0));
	stop = 0;
	count[0] = 0;
	hi_late_max = hi_rounds = 0;
	struct gthread lo, hi;
	struct sched_params plo = rt(10, 0, 0), phi = rt(20, 0, 0);
	long err = gthread_start_sched(&lo, counter, 0, &plo);
	if (!err)
		err = gthread_start_sched(&hi, hi_sleeper, 0, &phi);
	long jerr = err ? err : gthread_join(&hi, g_now() + 2000 * MS, NULL);
	stop = 1;
	gthread_join(&lo, g_now() + 1000 * MS, NULL);
	GCHECK_OK(g_set_be(me(), 0));
	printf("    RT 20 over a spinning RT 10: worst wake-up %llu us\n",
	       (unsigned long long)(hi_late_max / 1000));
	GCHECK_OK(err);
	GCHECK_OK(jerr);
	GCHECK_EQ(hi_rounds, 20);
	GCHECK(count[0] > 0);	      /* the lower one did run */
	GCHECK(hi_late_max < 200000); /* and never held the higher one */
}

/* Two round-robin equals take turns of one quantum each. */
GTEST(timing_rt_round_robin_quanta)
{
	GCHECK_OK(g_set_rt(me(), 99, 0, 0));
	stop = 0;
	struct gthread a, b;
	struct sched_params p = rt(30, 1, 5 * MS);
	long err = gthread_start_sched(&a, counter, 0, &p);
	if (!err)
		err = gthread_start_sched(&b, counter, 1, &p);
	struct sched_params where;
	sys_sched_get(me(), &where);
	struct sched_trace_status ts;
	static struct sched_trace_rec rec[256];
	sys_sched_trace_read(g_telemetry(), (uint32_t)where.cpu, ~0ull >> 1,
			     rec, 0, &ts);
	uint64_t from = ts.head;
	sys_sleep_until(g_now() + 200 * MS);
	long n = sys_sched_trace_read(g_telemetry(), (uint32_t)where.cpu, from,
				      rec, 256, &ts);
	stop = 1;
	gthread_join(&a, g_now() + 1000 * MS, NULL);
	gthread_join(&b, g_now() + 1000 * MS, NULL);
	GCHECK_OK(g_set_be(me(), 0));
	GCHECK_OK(err);
	GCHECK(n > 0);
	/* Their dispatches that ended at a quantum (not our wake-up). */
	uint64_t q[256];
	unsigned nq = 0, turns = 0;
	uint64_t last = 0;
	for (long i = 0; i < n; i++) {
		if (rec[i].thread_koid != a.koid &&
		    rec[i].thread_koid != b.koid)
			continue;
		if (last && rec[i].thread_koid != last)
			turns++;
		last = rec[i].thread_koid;
		if (rec[i].flags & SCHED_TREC_PREEMPTED)
			q[nq++] = rec[i].runtime_ns;
	}
	qsort(q, nq, sizeof(q[0]), cmp_u64);
	uint64_t med = nq ? q[nq / 2] : 0;
	printf("    %u turns in 200 ms, median quantum %llu us\n", turns,
	       (unsigned long long)(med / 1000));
	GCHECK(turns >= 25); /* ~40 quanta of 5 ms */
	GCHECK(med >= 4 * MS && med <= 7 * MS);
}

/* FIFO equals: the first runs until it blocks; the second waits. */
GTEST(timing_rt_fifo_runs_to_completion)
{
	GCHECK_OK(g_set_rt(me(), 99, 0, 0));
	stop = 0;
	count[0] = count[1] = 0;
	struct gthread a, b;
	struct sched_params p = rt(30, 0, 0);
	long err = gthread_start_sched(&a, counter, 0, &p);
	if (!err)
		err = gthread_start_sched(&b, counter, 1, &p);
	sys_sleep_until(g_now() + 50 * MS);
	uint64_t ra = g_runtime(a.koid), rb = g_runtime(b.koid);
	stop = 1;
	gthread_join(&a, g_now() + 1000 * MS, NULL);
	gthread_join(&b, g_now() + 1000 * MS, NULL);
	GCHECK_OK(g_set_be(me(), 0));
	GCHECK_OK(err);
	GCHECK(ra >= 30 * MS);
	GCHECK(rb < MS);
}

/* ---- BE ---- */

/* CPU time of two BE spinners with the given weights over one second. */
static long share(uint32_t wa, uint32_t wb, uint64_t *ta, uint64_t *tb)
{
	stop = 0;
	struct gthread a, b;
	struct sched_params pa = be(wa), pb = be(wb);
	long err = gthread_start_sched(&a, counter, 0, &pa);
	if (!err)
		err = gthread_start_sched(&b, counter, 1, &pb);
	if (err)
		return err;
	sys_sleep_until(g_now() + 50 * MS); /* settled */
	uint64_t a0 = g_runtime(a.koid), b0 = g_runtime(b.koid);
	sys_sleep_until(g_now() + 1000 * MS);
	*ta = g_runtime(a.koid) - a0;
	*tb = g_runtime(b.koid) - b0;
	stop = 1;
	gthread_join(&a, g_now() + 1000 * MS, NULL);
	gthread_join(&b, g_now() + 1000 * MS, NULL);
	return 0;
}

GTEST(timing_be_fair_share)
{
	GCHECK_OK(g_set_rt(me(), 99, 0, 0));
	uint64_t a, b, c, d;
	long e1 = share(1024, 1024, &a, &b);
	long e2 = share(2048, 1024, &c, &d);
	GCHECK_OK(g_set_be(me(), 0));
	GCHECK_OK(e1);
	GCHECK_OK(e2);
	printf("    equal weights: %llu / %llu ms; 2:1: %llu / %llu ms\n",
	       (unsigned long long)(a / MS), (unsigned long long)(b / MS),
	       (unsigned long long)(c / MS), (unsigned long long)(d / MS));
	GCHECK(a > 300 * MS && b > 300 * MS);
	/* Within 5% of each other; 2:1 within 10%. */
	GCHECK(a * 100 <= b * 105 && b * 100 <= a * 105);
	GCHECK(c * 10 >= d * 18 && c * 10 <= d * 22);
}

/* ---- sleeping ---- */

GTEST(timing_sleep_wake_precision)
{
	GCHECK_OK(g_set_rt(me(), 99, 0, 0));
	static uint64_t late[200];
	for (int i = 0; i < 200; i++) {
		uint64_t due = g_now() + MS;
		sys_sleep_until(due);
		late[i] = g_now() - due;
	}
	GCHECK_OK(g_set_be(me(), 0));
	qsort(late, 200, sizeof(late[0]), cmp_u64);
	printf("    1 ms sleeps: lateness median %llu us, p99 %llu us, max "
	       "%llu us\n",
	       (unsigned long long)(late[100] / 1000),
	       (unsigned long long)(late[198] / 1000),
	       (unsigned long long)(late[199] / 1000));
	GCHECK(late[100] < 50000);
	GCHECK(late[199] < 200000);
}

/* ---- limits ---- */

/* An RT spinner leaves best effort its 5% of every second. */
GTEST(timing_rt_cap_keeps_best_effort_alive)
{
	GCHECK_OK(g_set_rt(me(), 99, 0, 0));
	stop = 0;
	struct gthread hog, bet;
	struct sched_params p = rt(50, 0, 0), pb = be(0);
	long err = gthread_start_sched(&bet, counter, 1, &pb);
	if (!err)
		err = gthread_start_sched(&hog, counter, 0, &p);
	sys_sleep_until(g_now() + 200 * MS);
	uint64_t b0 = g_runtime(bet.koid), t0 = g_now();
	sys_sleep_until(t0 + 2000 * MS);
	uint64_t got = g_runtime(bet.koid) - b0, span = g_now() - t0;
	stop = 1;
	gthread_join(&hog, g_now() + 1000 * MS, NULL);
	gthread_join(&bet, g_now() + 1000 * MS, NULL);
	GCHECK_OK(g_set_be(me(), 0));
	printf("    best effort under an RT spinner: %llu ms in %llu ms\n",
	       (unsigned long long)(got / MS), (unsigned long long)(span / MS));
	GCHECK_OK(err);
	/* Best effort runs in the last 5% of each 1 s window in which RT
	 * used its 95%. The windows keep their phase from boot, so the
	 * window the spinner started in may never cap, and 2 s hold one or
	 * two capped windows: 50 ms (less this thread's own RT time) to
	 * 100 ms, and a window edge more at most. */
	GCHECK(got >= 40 * MS && got <= 160 * MS);
}

/* A task's quota holds its threads to 20%, whatever their class. */
GTEST(timing_task_quota_contains_a_runaway)
{
	GCHECK_OK(g_set_rt(me(), 99, 0, 0));
	struct child c;
	GCHECK_OK(g_spawn(CHILD_WORK, "spin", CHILD_QUOTA, 0, &c));
	GCHECK_OK(sys_task_set_cpu_quota(g_sched(), c.task, 20 * MS, 100 * MS));
	uint64_t k = c.thread_koid, used[2], span[2];
	for (int round = 0; round < 2; round++) {
		if (round == 1)
			GCHECK_OK(g_set_rt(c.thread, 60, 0, 0));
		sys_sleep_until(g_now() + 100 * MS);
		uint64_t r0 = g_runtime(k), t0 = g_now();
		sys_sleep_until(t0 + 1000 * MS);
		used[round] = g_runtime(k) - r0;
		span[round] = g_now() - t0;
	}
	int64_t st;
	g_reap(&c, 10 * MS, &st);
	GCHECK_OK(g_set_be(me(), 0));
	printf("    quota 20%%: BE %llu of %llu ms, RT %llu of %llu ms\n",
	       (unsigned long long)(used[0] / MS),
	       (unsigned long long)(span[0] / MS),
	       (unsigned long long)(used[1] / MS),
	       (unsigned long long)(span[1] / MS));
	for (int round = 0; round < 2; round++)
		GCHECK(used[round] >= span[round] / 5 - 30 * MS &&
		       used[round] <= span[round] / 5 + 30 * MS);
}

/* Turning the cap off while it holds RT back lets RT run again at once. */
GTEST(timing_rt_cap_off_while_engaged)
{
	GCHECK_OK(g_set_rt(me(), 99, 0, 0));
	struct sched_config cfg, off;
	GCHECK_OK(sys_sched_config(g_sched(), NULL, &cfg));
	off = cfg;
	off.rt_cap_runtime_ns = MS;
	off.rt_cap_period_ns = 100 * MS; /* 1% for DL+RT: engages fast */
	off.dl_bound_ppm = 0;
	long e0 = sys_sched_config(g_sched(), &off, NULL);
	stop = 0;
	struct gthread hog, bet;
	struct sched_params p = rt(50, 0, 0), pb = be(0);
	long err = gthread_start_sched(&bet, counter, 1, &pb);
	if (!err)
		err = gthread_start_sched(&hog, counter, 0, &p);
	sys_sleep_until(g_now() + 50 * MS);	      /* capped now */
	off.rt_cap_runtime_ns = off.rt_cap_period_ns; /* no cap */
	long e1 = sys_sched_config(g_sched(), &off, NULL);
	uint64_t h0 = g_runtime(hog.koid), t0 = g_now();
	sys_sleep_until(t0 + 200 * MS);
	uint64_t got = g_runtime(hog.koid) - h0, span = g_now() - t0;
	stop = 1;
	gthread_join(&hog, g_now() + 1000 * MS, NULL);
	gthread_join(&bet, g_now() + 1000 * MS, NULL);
	long e2 = sys_sched_config(g_sched(), &cfg, NULL);
	GCHECK_OK(g_set_be(me(), 0));
	GCHECK_OK(e0);
	GCHECK_OK(e1);
	GCHECK_OK(e2);
	GCHECK_OK(err);
	GCHECK(got >= span * 9 / 10); /* the RT spinner has the CPU */
}
