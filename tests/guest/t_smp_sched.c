/* SMP scheduling (docs/scheduling.md "Placement and migration"): load
 * placement and balancing of best effort, RT push, affinity masks, DL
 * placement at admission and re-admission, DL donation across CPUs.
 * The harness pins each test to one CPU (gtest.c); these tests widen the
 * affinity of the threads they create (they inherit the creator's). */
#include <string.h>

#include "gtest.h"
#include "gutil.h"

static handle_t me(void)
{
	return execrt_handle(START_H_SELF_THREAD);
}

static uint64_t cpu_density(unsigned cpu)
{
	struct sched_cpu_info ci;
	if (sys_sched_cpu_info(g_telemetry(), cpu, &ci) < 0)
		return ~0ull;
	return ci.dl_density_ppm;
}

static uint64_t cpu_idle(unsigned cpu)
{
	struct sched_cpu_info ci = {0};
	sys_sched_cpu_info(g_telemetry(), cpu, &ci);
	return ci.idle_ns;
}

static int32_t cpu_of(handle_t t)
{
	struct sched_params p;
	return sys_sched_get(t, &p) ? -1 : p.cpu;
}

/* Waits up to 2 s for t to be on cpu. */
static int wait_on_cpu(handle_t t, int32_t cpu)
{
	uint64_t end = g_now() + 2000 * MS;
	while (cpu_of(t) != cpu && g_now() < end)
		sys_sleep_until(g_now() + MS);
	return cpu_of(t) == cpu;
}

static volatile int stop;

/* ---- best effort: placement and balancing ---- */

static volatile uint64_t iters, done_at[4], sink;

static int64_t cpu_work(uint64_t i)
{
	uint64_t x = 0;
	for (uint64_t k = 0; k < iters; k++)
		__asm__ volatile("" : "+r"(x) : "r"(k)); /* not folded */
	sink = x;
	done_at[i] = g_now();
	return 0;
}

static uint64_t first; /* when the first of run_workers() finished */
static unsigned samples, even_samples; /* of the placement while all run */
static uint64_t all_ran, all_idle;     /* while all ran: how long, CPU idle */

static uint64_t idle_sum(void)
{
	uint64_t idle = 0;
	for (unsigned c = 0; c < g_ncpus(); c++)
		idle += cpu_idle(c);
	return idle;
}

/* Runs n workers at once; returns when the last finished (ns). Every
 * 10 ms meanwhile, while all n run, counts whether the CPUs hold them
 * within one of even. */
static uint64_t run_workers(unsigned n)
{
	struct gthread w[4];
	samples = even_samples = 0;
	for (unsigned i = 0; i < n; i++)
		done_at[i] = 0;
	uint64_t t0 = g_now(), idle0 = idle_sum();
	for (unsigned i = 0; i < n; i++)
		if (gthread_start(&w[i], cpu_work, i))
			return 0;
	for (;;) {
		sys_sleep_until(g_now() + 10 * MS);
		unsigned on[64] = {0}, running = 0;
		for (unsigned i = 0; i < n; i++) {
			int32_t c = done_at[i] ? -1 : cpu_of(w[i].h);
			if (c >= 0 && c < 64) {
				on[c]++;
				running++;
			}
		}
		if (running < n) {
			all_ran = g_now() - t0;
			all_idle = idle_sum() - idle0;
			break;
		}
		unsigned lo = ~0u, hi = 0;
		for (unsigned c = 0; c < g_ncpus() && c < 64; c++) {
			lo = on[c] < lo ? on[c] : lo;
			hi = on[c] > hi ? on[c] : hi;
		}
		samples++;
		even_samples += hi - lo <= 1;
	}
	uint64_t last = 0;
	first = ~0ull;
	for (unsigned i = 0; i < n; i++) {
		gthread_join(&w[i], g_now() + 60000 * MS, NULL);
		last = done_at[i] > last ? done_at[i] : last;
		first = done_at[i] < first ? done_at[i] : first;
	}
	first -= t0;
	return last - t0;
}

GTEST(smp_sched_be_threads_spread_over_cpus)
{
	unsigned n = g_ncpus();
	/* The workers inherit every CPU; this thread stays where it is. */
	GCHECK_OK(sys_sched_affinity(g_sched(), me(), g_all_cpus()));
	uint64_t t0 = g_now();
	iters = 1000000;
	cpu_work(0);
	uint64_t per = g_now() - t0 + 1;
	iters = 1000000 * (200 * MS) / per; /* about 200 ms alone */
	uint64_t one = run_workers(1);
	uint64_t four = run_workers(4);
	uint64_t idle = all_idle;
	g_pin_self();
	unsigned used = n < 4 ? n : 4;
	printf("    4 CPU-bound BE threads on %u CPUs: one alone %llu ms, four "
	       "%llu ms (first done at %llu ms; %llu.%02llux); CPUs idle %llu "
	       "ms of %llu meanwhile; placement within one of even in %u of "
	       "%u samples\n",
	       n, (unsigned long long)(one / MS),
	       (unsigned long long)(four / MS),
	       (unsigned long long)(first / MS),
	       (unsigned long long)(four / one),
	       (unsigned long long)(four * 100 / one % 100),
	       (unsigned long long)(idle / MS),
	       (unsigned long long)(all_ran * used / MS), even_samples,
	       samples);
	GCHECK(one > 0 && four > 0);
	/* Every CPU kept busy while all four had work (start-up aside). */
	GCHECK(idle * 100 < all_ran * used * 15);
	/* Within one thread of even nearly all the time (a sample may
	 * fall between a wake-up and the pull that follows). */
	GCHECK(samples > 0 && even_samples * 10 >= samples * 9);
	/* About 4/CPUs times one (2x on two). The wall-clock ratio depends
	 * on the host giving each vCPU a core (on a loaded host it nears
	 * 4x although both CPUs are busy), so it is only printed; on one
	 * CPU it must be about 4x. */
	if (n == 1)
		GCHECK(four * 10 > one * 30);
}

/* ---- RT push ---- */

static volatile uint64_t w_late, w_due;
static volatile int32_t w_cpu;
static struct gthread lo, w;

static int64_t rt_spin(uint64_t arg)
{
	(void)arg;
	while (!stop)
		;
	return 0;
}

static int64_t rt_sleeper(uint64_t arg)
{
	(void)arg;
	sys_sleep_until(w_due);
	w_late = g_now() - w_due;
	w_cpu = cpu_of(w.h);
	return 0;
}

GTEST(smp_sched_rt_woken_runs_on_cpu_of_lower_rt)
{
	if (g_ncpus() < 2)
		return; /* nothing to push to */
	int32_t c0 = (int32_t)g_my_cpu(), c1 = c0 ? 0 : 1;
	GCHECK_OK(g_set_rt(me(), 60, 0, 0));
	stop = 0;
	w_cpu = -1;
	struct sched_params rt30 = {
		.cls = SCHED_CLASS_RT, .priority = 30, .cpu = SCHED_CPU_KEEP};
	long e = gthread_start(&lo, rt_spin, 0);
	if (!e)
		e = sys_sched_affinity(g_sched(), lo.h, 1ull << c1);
	if (!e)
		e = g_set_rt(lo.h, 10, 0, 0);
	if (!e && !wait_on_cpu(lo.h, c1))
		e = -1000;
	w_due = g_now() + 300 * MS;
	uint64_t spin_end = w_due + 400 * MS;
	if (!e)
		e = gthread_start_sched(&w, rt_sleeper, 0, &rt30);
	sys_sleep_until(g_now() + 10 * MS); /* it sleeps on our CPU */
	int32_t w_slept_on = cpu_of(w.h);
	if (!e)
		e = sys_sched_affinity(g_sched(), w.h, g_all_cpus());
	/* Busy at RT 60 here until well past its wake-up: only the other
	 * CPU, running RT 10, can take it at once. (Not a timing_* test:
	 * under -icount a vCPU spinning with no timer armed starves the
	 * other vCPU, QEMU runs them round-robin until the next deadline.) */
	int32_t w_seen = -1; /* where it is queued (or ran) soon after */
	while (g_now() < spin_end)
		if (w_seen < 0 && g_now() > w_due + 50 * MS)
			w_seen = cpu_of(w.h);
	struct sched_thread_stats ws = {0};
	sys_object_wait(w.h, g_now() + 1000 * MS, NULL);
	g_thread_stats(w.h, &ws);
	stop = 1;
	gthread_join(&w, g_now() + 1000 * MS, NULL);
	gthread_join(&lo, g_now() + 1000 * MS, NULL);
	GCHECK_OK(g_set_be(me(), 0));
	GCHECK_OK(e);
	printf("    RT 30 woken on cpu %d (busy at RT 60) while cpu %d ran RT "
	       "10: ran on cpu %d, %llu us late (telemetry: wake-up latency "
	       "max %llu us)\n",
	       w_slept_on, c1, w_cpu, (unsigned long long)(w_late / 1000),
	       (unsigned long long)(ws.lat_max_ns / 1000));
	GCHECK_EQ(w_slept_on, c0);
	/* Pushed to the other CPU (with more CPUs, maybe an idle one): this
	 * one stays busy until 400 ms after. Latency is an IPI (2-10 ms
	 * under TCG on an idle host; a loaded host can stall a vCPU for a
	 * long time: the bound only says it did not wait for us). */
	if (g_ncpus() == 2) {
		GCHECK_EQ(w_seen, c1);
		GCHECK_EQ(w_cpu, c1);
	}
	GCHECK(w_cpu >= 0 && w_cpu != c0);
	GCHECK(w_late < 300 * MS);
	GCHECK(ws.wakeups >= 1 && ws.lat_max_ns < 300 * MS);
}

/* ---- affinity ---- */

static int64_t be_spin(uint64_t arg)
{
	(void)arg;
	while (!stop)
		sys_yield();
	return 0;
}

GTEST(smp_sched_affinity_checks_and_moves)
{
	unsigned n = g_ncpus();
	handle_t h;
	GCHECK_OK(sys_thread_create(g_self(), "aff", 3, &h));
	GCHECK_ERR(sys_sched_affinity(g_sched(), h, 0), ERR_INVALID_ARGS);
	if (n < 64)
		GCHECK_ERR(sys_sched_affinity(g_sched(), h, 1ull << n),
			   ERR_INVALID_ARGS);
	GCHECK_ERR(sys_sched_affinity(g_sched(), h, ~0ull), ERR_INVALID_ARGS);
	handle_t ro = g_dup(g_sched(), RIGHT_READ);
	GCHECK_ERR(sys_sched_affinity(ro, h, 1), ERR_ACCESS_DENIED);
	sys_handle_close(ro);
	GCHECK_ERR(sys_sched_affinity(g_sched(), g_self(), 1), ERR_WRONG_TYPE);
	/* An authority limited to CPU 0 places nothing elsewhere, and
	 * derives nothing wider. */
	struct sched_auth_limits lim = {
		.classes = SCHED_CLASS_MASK(SCHED_CLASS_BE),
		.cpu_mask = 1,
	};
	handle_t a, b;
	GCHECK_OK(sys_sched_auth_derive(g_sched(), &lim, &a));
	struct sched_auth_info ai;
	GCHECK_OK(sys_sched_auth_info(a, &ai));
	GCHECK_EQ(ai.limits.cpu_mask, 1);
	lim.cpu_mask = 3;
	GCHECK_ERR(sys_sched_auth_derive(a, &lim, &b), ERR_ACCESS_DENIED);
	lim.cpu_mask = 0; /* the parent's */
	GCHECK_OK(sys_sched_auth_derive(a, &lim, &b));
	GCHECK_OK(sys_sched_auth_info(b, &ai));
	GCHECK_EQ(ai.limits.cpu_mask, 1);
	GCHECK_OK(sys_sched_affinity(a, h, 1));
	GCHECK_EQ(cpu_of(h), 0);
	if (n >= 2)
		GCHECK_ERR(sys_sched_affinity(b, h, 2), ERR_INVALID_ARGS);
	sys_handle_close(b);
	sys_handle_close(a);
	sys_handle_close(h);
	if (n < 2)
		return;
	/* A running thread moves when its CPU leaves its mask, both ways. */
	stop = 0;
	struct gthread s;
	GCHECK_OK(gthread_start(&s, be_spin, 0));
	int32_t c0 = (int32_t)g_my_cpu(), c1 = c0 ? 0 : 1;
	long e = sys_sched_affinity(g_sched(), s.h, 1ull << c1);
	int there = wait_on_cpu(s.h, c1);
	long e2 = sys_sched_affinity(g_sched(), s.h, 1ull << c0);
	int back = wait_on_cpu(s.h, c0);
	stop = 1;
	gthread_join(&s, g_now() + 1000 * MS, NULL);
	GCHECK_OK(e);
	GCHECK_OK(e2);
	GCHECK(there);
	GCHECK(back);
}

GTEST(smp_sched_dl_placed_where_it_fits_and_readmitted)
{
	if (g_ncpus() < 2)
		return;
	handle_t h[3];
	for (int i = 0; i < 3; i++)
		GCHECK_OK(sys_thread_create(g_self(), "dl", 2, &h[i]));
	int32_t c0 = (int32_t)g_my_cpu(), c1 = c0 ? 0 : 1;
	uint64_t d0 = cpu_density((unsigned)c0), d1 = cpu_density((unsigned)c1);
	/* h0 fills most of c0; h1 (on c0, any CPU allowed) does not fit
	 * there: admission places it on c1. */
	struct sched_params big = g_dl(7 * MS, 10 * MS, 10 * MS);
	big.cpu = c0;
	long e0 = sys_sched_set(g_sched(), h[0], &big);
	long ea = sys_sched_affinity(g_sched(), h[1], g_all_cpus());
	struct sched_params p3 = g_dl(3 * MS, 10 * MS, 10 * MS);
	long e1 = sys_sched_set(g_sched(), h[1], &p3);
	int32_t on1 = cpu_of(h[1]);
	uint64_t after1 = cpu_density((unsigned)c1);
	/* Pinned to c0 (inherited): refused, nothing changes. */
	long e2 = sys_sched_set(g_sched(), h[2], &p3);
	struct sched_params got;
	sys_sched_get(h[2], &got);
	/* Re-admission: moving h1 back to c0 does not fit; a smaller h0
	 * makes room. */
	long e3 = sys_sched_affinity(g_sched(), h[1], 1ull << c0);
	int32_t still = cpu_of(h[1]);
	struct sched_params small = g_dl(MS, 10 * MS, 10 * MS);
	small.cpu = c0;
	long e4 = sys_sched_set(g_sched(), h[0], &small);
	long e5 = sys_sched_affinity(g_sched(), h[1], 1ull << c0);
	int32_t moved = cpu_of(h[1]);
	uint64_t end0 = cpu_density((unsigned)c0),
		 end1 = cpu_density((unsigned)c1);
	for (int i = 0; i < 3; i++)
		sys_handle_close(h[i]);
	GCHECK_OK(e0);
	GCHECK_OK(ea);
	GCHECK_OK(e1);
	GCHECK_EQ(on1, c1);
	GCHECK_EQ(after1, d1 + 300000);
	GCHECK_ERR(e2, ERR_NO_RESOURCES);
	GCHECK_EQ(got.cls, SCHED_CLASS_BE);
	GCHECK_ERR(e3, ERR_NO_RESOURCES);
	GCHECK_EQ(still, c1);
	GCHECK_OK(e4);
	GCHECK_OK(e5);
	GCHECK_EQ(moved, c0);
	GCHECK_EQ(end0, d0 + 400000);
	GCHECK_EQ(end1, d1);
}

/* ---- DL donation across CPUs ---- */

static handle_t srv_r, srv_s;
static struct gthread srv;

/* Answers each call with the CPU it served it on. */
static int64_t cpu_server(uint64_t arg)
{
	(void)arg;
	unsigned char b[8];
	for (;;) {
		struct port_rx rx = {.buf = b, .cap = sizeof(b)};
		long r = sys_port_recv(srv_r, &rx, DEADLINE_NONE);
		if (r < 0)
			return r;
		if (rx.len == 0)
			return 0;
		int32_t c = cpu_of(srv.h);
		struct port_msg m = {.data = &c, .len = sizeof(c)};
		sys_port_reply(rx.reply, &m);
	}
}

static int32_t call_cpu(void)
{
	unsigned char v = 1;
	int32_t c = -1;
	struct port_msg m = {.data = &v, .len = 1};
	struct port_rx rx = {.buf = &c, .cap = sizeof(c)};
	if (sys_port_call(srv_s, &m, &rx, g_now() + 2000 * MS))
		return -2;
	return c;
}

GTEST(smp_sched_dl_donation_runs_on_the_callers_cpu)
{
	if (g_ncpus() < 2)
		return;
	int32_t c0 = (int32_t)g_my_cpu(), c1 = c0 ? 0 : 1;
	GCHECK_OK(sys_port_create(0, &srv_r, &srv_s));
	GCHECK_OK(gthread_start(&srv, cpu_server, 0));
	long e = sys_sched_affinity(g_sched(), srv.h, 1ull << c1);
	int32_t be_call = e ? -3 : call_cpu(); /* served where it is */
	uint64_t d1 = cpu_density((unsigned)c1);
	/* A DL caller on c0: the server (allowed everywhere) comes to c0
	 * for the call, where the bandwidth was admitted. */
	if (!e)
		e = sys_sched_affinity(g_sched(), srv.h, g_all_cpus());
	if (!e)
		e = g_set_dl(me(), 2 * MS, 10 * MS, 10 * MS);
	int32_t dl_call = call_cpu();
	/* Pinned to c1, it serves there on its own parameters. */
	long e2 = sys_sched_affinity(g_sched(), srv.h, 1ull << c1);
	sys_sleep_until(g_now() + 5 * MS);
	int32_t pinned_call = call_cpu();
	uint64_t d1_after = cpu_density((unsigned)c1);
	g_set_be(me(), 0);
	struct port_msg end = {.len = 0};
	sys_port_send(srv_s, &end, g_now() + 1000 * MS);
	gthread_join(&srv, g_now() + 1000 * MS, NULL);
	sys_handle_close(srv_s);
	sys_handle_close(srv_r);
	printf("    server on cpu %d: BE call served on %d, DL call from cpu "
	       "%d on %d, DL call to the pinned server on %d\n",
	       c1, be_call, c0, dl_call, pinned_call);
	GCHECK_OK(e);
	GCHECK_OK(e2);
	GCHECK_EQ(be_call, c1);
	GCHECK_EQ(dl_call, c0);
	GCHECK_EQ(pinned_call, c1);
	GCHECK_EQ(d1_after, d1); /* nothing admitted on c1 meanwhile */
}

/* ---- DL partitioned, best effort migrating around it ----
 *
 * An 85% DL set on every CPU, best-effort hogs forced around all CPUs by
 * affinity changes every 50 ms (and balanced in between). Checked: the
 * DL threads never leave their CPUs, every job is judged, the hogs move.
 * Misses are printed, not asserted: not under -icount, where QEMU runs
 * the vCPUs round-robin and each LAPIC access (a timer reprogram) of one
 * vCPU hands the host thread to a busy other vCPU until the next timer
 * deadline, so deadlines are missed with every migration mechanism
 * switched off, even with the other vCPU only running hogs; and without
 * -icount a loaded host stretches jobs the same way (docs/smp.md). */
#define DL_PER_CPU 2
#define MAXC	   4

static struct gthread dlt[MAXC][DL_PER_CPU];
static volatile uint64_t dl_work[MAXC][DL_PER_CPU];
static volatile uint64_t dl_end;

static int64_t dl_job_loop(uint64_t i)
{
	uint64_t work = dl_work[i / DL_PER_CPU][i % DL_PER_CPU];
	while (g_now() < dl_end) {
		/* By the clock, not g_burn(): its telemetry walk takes every
		 * CPU's locks, and under -icount a vCPU waiting for a lock
		 * held by a vCPU QEMU is not running spins until the next
		 * timer deadline. Preempted jobs just use less budget. */
		g_spin(work);
		sys_yield(); /* job done: sleep to the next period */
	}
	return 0;
}

static int64_t be_hog(uint64_t arg)
{
	(void)arg;
	while (!stop)
		;
	return 0;
}

GTEST(smp_sched_dl_85_percent_per_cpu_with_migrating_hogs)
{
	unsigned n = g_ncpus() < MAXC ? g_ncpus() : MAXC;
	unsigned ndl = n;
	GCHECK_OK(g_set_rt(me(), 99, 0, 0));
	/* Per CPU: 2.5 ms every 5 ms and 3.5 ms every 10 ms (85%), each job
	 * burning 90% of its budget. */
	static const uint64_t q[DL_PER_CPU] = {2500000, 3500000};
	static const uint64_t per[DL_PER_CPU] = {5 * MS, 10 * MS};
	stop = 0;
	dl_end = g_now() + 1000 * MS;
	long e = 0;
	unsigned started = 0, hogs = 0;
	for (unsigned c = 0; c < ndl && !e; c++)
		for (unsigned j = 0; j < DL_PER_CPU && !e; j++) {
			struct sched_params p = g_dl(q[j], per[j], per[j]);
			p.cpu = (int32_t)c;
			dl_work[c][j] = q[j] * 9 / 10;
			e = gthread_start_sched(&dlt[c][j], dl_job_loop,
						c * DL_PER_CPU + j, &p);
			started += !e;
		}
	/* Best-effort hogs, two per CPU, moved around by affinity changes
	 * and by the balancer in between. */
	struct gthread hog[2 * MAXC];
	for (unsigned i = 0; i < 2 * n && !e; i++) {
		e = gthread_start(&hog[i], be_hog, 0);
		hogs += !e;
	}
	uint64_t moves = 0;
	for (unsigned k = 0; g_now() < dl_end && !e; k++) {
		for (unsigned i = 0; i < hogs; i++) {
			uint64_t m =
				k % 2 ? g_all_cpus() : 1ull << ((i + k) % n);
			e = e ? e : sys_sched_affinity(g_sched(), hog[i].h, m);
		}
		moves += hogs;
		sys_sleep_until(g_now() + 50 * MS);
	}
	struct sched_thread_stats st[MAXC][DL_PER_CPU];
	memset(st, 0, sizeof(st));
	for (unsigned i = 0; i < started; i++) {
		struct gthread *t = &dlt[i / DL_PER_CPU][i % DL_PER_CPU];
		sys_object_wait(t->h, g_now() + 2000 * MS, NULL);
		g_thread_stats(t->h, &st[i / DL_PER_CPU][i % DL_PER_CPU]);
		gthread_join(t, g_now() + 1000 * MS, NULL);
	}
	stop = 1;
	for (unsigned i = 0; i < hogs; i++)
		gthread_join(&hog[i], g_now() + 1000 * MS, NULL);
	GCHECK_OK(g_set_be(me(), 0));
	GCHECK_OK(e);
	for (unsigned c = 0; c < ndl; c++)
		printf("    cpu %u: DL 50%%: %llu met, %llu missed; DL 35%%: "
		       "%llu "
		       "met, %llu missed\n",
		       c, (unsigned long long)st[c][0].dl_met,
		       (unsigned long long)st[c][0].dl_missed,
		       (unsigned long long)st[c][1].dl_met,
		       (unsigned long long)st[c][1].dl_missed);
	printf("    %u BE hogs, %llu affinity moves\n", hogs,
	       (unsigned long long)moves);
	GCHECK(moves > 0);
	for (unsigned c = 0; c < ndl; c++)
		for (unsigned j = 0; j < DL_PER_CPU; j++) {
			/* Each job judged once; none moved. */
			GCHECK(st[c][j].dl_met + st[c][j].dl_missed >=
			       1000 * MS / per[j] / 4);
			GCHECK(st[c][j].dl_met > 0);
			GCHECK_EQ(st[c][j].cpu, c);
		}
}
