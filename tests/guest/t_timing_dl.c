/* The deadline class at work: EDF order, budgets that contain an overrun,
 * a 1 kHz thread under load, and deadline donation over IPC. The test
 * thread raises itself to RT 99 (below every DL thread, above the rest)
 * and goes back to best effort at the end. All threads share its CPU.
 * Like every timing_* test, these run under -icount (t_timing_classes.c). */
#include "gtest.h"
#include "gutil.h"

static handle_t me(void)
{
	return execrt_handle(START_H_SELF_THREAD);
}

static volatile int stop;

/* ---- EDF order ---- */

static struct gthread edf[3];
static volatile uint64_t edf_t0;
static volatile int edf_order[3];
static volatile int edf_n;

static int64_t edf_job(uint64_t i)
{
	sys_sleep_until(edf_t0);
	g_burn(edf[i].koid, 3 * MS);
	edf_order[__atomic_fetch_add(&edf_n, 1, __ATOMIC_SEQ_CST)] = (int)i;
	return 0;
}

/* Released together, they finish in deadline order, not start order. */
GTEST(timing_edf_order)
{
	static const uint64_t dlms[3] = {30, 10, 20};
	GCHECK_OK(g_set_rt(me(), 99, 0, 0));
	edf_n = 0;
	edf_t0 = g_now() + 50 * MS;
	long err = 0;
	for (int i = 0; i < 3 && !err; i++) {
		struct sched_params p = g_dl(4 * MS, dlms[i] * MS, 100 * MS);
		err = gthread_start_sched(&edf[i], edf_job, (uint64_t)i, &p);
	}
	for (int i = 0; i < 3; i++)
		gthread_join(&edf[i], g_now() + 2000 * MS, NULL);
	GCHECK_OK(g_set_be(me(), 0));
	GCHECK_OK(err);
	GCHECK_EQ(edf_n, 3);
	GCHECK_EQ(edf_order[0], 1);
	GCHECK_EQ(edf_order[1], 2);
	GCHECK_EQ(edf_order[2], 0);
}

/* ---- an overrun is contained ---- */

static struct gthread hog, nb[2];

static int64_t dl_hog(uint64_t arg)
{
	(void)arg;
	while (!stop)
		;
	return 0;
}

static int64_t dl_periodic(uint64_t i)
{
	while (!stop) {
		g_burn(nb[i].koid, 300000);
		sys_yield(); /* job done: wait for the next period */
	}
	return 0;
}

GTEST(timing_dl_overrun_is_throttled)
{
	GCHECK_OK(g_set_rt(me(), 99, 0, 0));
	stop = 0;
	struct sched_params pn = g_dl(MS, 5 * MS, 5 * MS);
	struct sched_params ph = g_dl(2 * MS, 10 * MS, 10 * MS);
	long err = gthread_start_sched(&nb[0], dl_periodic, 0, &pn);
	if (!err)
		err = gthread_start_sched(&nb[1], dl_periodic, 1, &pn);
	if (!err)
		err = gthread_start_sched(&hog, dl_hog, 0, &ph);
	uint64_t t0 = g_now(), h0 = g_runtime(hog.koid);
	sys_sleep_until(t0 + 1000 * MS);
	uint64_t used = g_runtime(hog.koid) - h0, span = g_now() - t0;
	stop = 1;
	struct sched_thread_stats sh, s0, s1;
	g_thread_stats(hog.h, &sh);
	g_thread_stats(nb[0].h, &s0);
	g_thread_stats(nb[1].h, &s1);
	gthread_join(&hog, g_now() + 1000 * MS, NULL);
	gthread_join(&nb[0], g_now() + 1000 * MS, NULL);
	gthread_join(&nb[1], g_now() + 1000 * MS, NULL);
	GCHECK_OK(g_set_be(me(), 0));
	printf("    hog: %llu of %llu ms, %llu throttles, %llu misses; "
	       "neighbours: %llu+%llu met, %llu+%llu missed\n",
	       (unsigned long long)(used / MS), (unsigned long long)(span / MS),
	       (unsigned long long)sh.throttles,
	       (unsigned long long)sh.dl_missed, (unsigned long long)s0.dl_met,
	       (unsigned long long)s1.dl_met, (unsigned long long)s0.dl_missed,
	       (unsigned long long)s1.dl_missed);
	GCHECK_OK(err);
	/* 20% of the CPU, give or take a period's overrun and timer slack. */
	GCHECK(used >= span / 5 - 30 * MS && used <= span / 5 + 30 * MS);
	GCHECK(sh.throttles >= 80);
	GCHECK_EQ(s0.dl_missed, 0);
	GCHECK_EQ(s1.dl_missed, 0);
	GCHECK(s0.dl_met >= 180 && s1.dl_met >= 180);
}

/* ---- 1 kHz under load ---- */

#define KHZ_JOBS 3000

static struct gthread khz;
static handle_t flood_r, flood_s;

static int64_t khz_thread(uint64_t arg)
{
	(void)arg;
	for (int i = 0; i < KHZ_JOBS; i++) {
		g_spin(200000); /* 200 us of a 300 us budget per 1 ms */
		sys_yield();
	}
	return 0;
}

static int64_t spinner(uint64_t arg)
{
	(void)arg;
	while (!stop)
		;
	return 0;
}

static int64_t flood_server(uint64_t arg)
{
	(void)arg;
	uint8_t b;
	for (;;) {
		struct port_rx rx = {.buf = &b, .cap = 1};
		if (sys_port_recv(flood_r, &rx, DEADLINE_NONE) < 0)
			return 0;
		struct port_msg m = {.data = &b, .len = 1};
		if (rx.reply && sys_port_reply(rx.reply, &m) < 0)
			return -1;
		if (!rx.reply)
			return 0; /* a plain send: the end */
	}
}

static int64_t flood_client(uint64_t arg)
{
	(void)arg;
	long n = 0;
	while (!stop) {
		uint8_t b = 1, back;
		struct port_msg m = {.data = &b, .len = 1};
		struct port_rx rx = {.buf = &back, .cap = 1};
		if (sys_port_call(flood_s, &m, &rx, g_now() + 1000 * MS) < 0)
			return -1;
		n++;
	}
	return n;
}

GTEST(timing_dl_1khz_meets_every_deadline_under_load)
{
	GCHECK_OK(g_set_rt(me(), 99, 0, 0));
	stop = 0;
	GCHECK_OK(sys_port_create(0, &flood_r, &flood_s));
	struct gthread sp, fs, fc;
	long err = gthread_start(&sp, spinner, 0);
	if (!err)
		err = gthread_start(&fs, flood_server, 0);
	if (!err)
		err = gthread_start(&fc, flood_client, 0);
	sys_sleep_until(g_now() + 20 * MS); /* the load is on */
	struct sched_params p = g_dl(300000, MS, MS);
	if (!err)
		err = gthread_start_sched(&khz, khz_thread, 0, &p);
	/* Its totals stay readable until its handle is closed. */
	struct sched_thread_stats s = {0};
	long jerr = sys_object_wait(khz.h, g_now() + 10000 * MS, NULL);
	g_thread_stats(khz.h, &s);
	gthread_join(&khz, g_now() + 1000 * MS, NULL);
	stop = 1;
	int64_t calls = 0;
	gthread_join(&sp, g_now() + 1000 * MS, NULL);
	gthread_join(&fc, g_now() + 1000 * MS, &calls);
	struct port_msg end = {.len = 0};
	sys_port_send(flood_s, &end, g_now() + 1000 * MS);
	gthread_join(&fs, g_now() + 1000 * MS, NULL);
	sys_handle_close(flood_s);
	sys_handle_close(flood_r);
	GCHECK_OK(g_set_be(me(), 0));
	printf("    1 kHz DL: %llu met, %llu missed, %llu throttles; release "
	       "latency avg %llu us, max %llu us; %lld IPC calls meanwhile\n",
	       (unsigned long long)s.dl_met, (unsigned long long)s.dl_missed,
	       (unsigned long long)s.throttles,
	       (unsigned long long)(s.wakeups ? s.lat_sum_ns / s.wakeups / 1000
					      : 0),
	       (unsigned long long)(s.lat_max_ns / 1000), (long long)calls);
	GCHECK_OK(err);
	GCHECK_OK(jerr);
	GCHECK(calls > 100); /* the flood really ran */
	GCHECK_EQ(s.dl_missed, 0);
	GCHECK(s.dl_met >= KHZ_JOBS - 1);
	GCHECK_EQ(s.throttles, 0);     /* never ran out of budget */
	GCHECK(s.lat_max_ns < 200000); /* released on time, every time */
}

/* ---- donation ---- */

static handle_t don_r, don_s;
static struct gthread don_srv;
static volatile uint64_t call_ns[2];

/* Each request names the CPU time (us) the server spends on it. */
static int64_t don_server(uint64_t arg)
{
	(void)arg;
	for (;;) {
		uint32_t us = 0;
		struct port_rx rx = {.buf = &us, .cap = sizeof(us)};
		if (sys_port_recv(don_r, &rx, DEADLINE_NONE) < 0 || !rx.reply)
			return 0;
		g_burn(don_srv.koid, us * 1000ull);
		struct port_msg m = {.data = &us, .len = sizeof(us)};
		if (sys_port_reply(rx.reply, &m) < 0)
			return -1;
	}
}

static int64_t don_client(uint64_t arg)
{
	(void)arg;
	static const uint32_t work_us[2] = {1000, 5000};
	for (int i = 0; i < 2; i++) {
		sys_yield(); /* start at a period with a full budget */
		uint64_t t0 = g_now();
		uint32_t back;
		struct port_msg m = {.data = &work_us[i], .len = 4};
		struct port_rx rx = {.buf = &back, .cap = sizeof(back)};
		long r = sys_port_call(don_s, &m, &rx, g_now() + 5000 * MS);
		if (r < 0)
			return r;
		call_ns[i] = g_now() - t0;
	}
	return 0;
}

/* A best-effort server works on a DL caller's deadline, beating a
 * best-effort spinner; what it spends comes out of the caller's budget, so
 * work beyond the budget waits for the caller's next periods. */
GTEST(timing_dl_donation_charges_the_caller)
{
	GCHECK_OK(g_set_rt(me(), 99, 0, 0));
	stop = 0;
	GCHECK_OK(sys_port_create(0, &don_r, &don_s));
	struct gthread sp, cl;
	long err = gthread_start(&sp, spinner, 0);
	if (!err)
		err = gthread_start(&don_srv, don_server, 0);
	sys_sleep_until(g_now() + 10 * MS);
	struct sched_params p = g_dl(2 * MS, 50 * MS, 50 * MS);
	if (!err)
		err = gthread_start_sched(&cl, don_client, 0, &p);
	int64_t cst = -1;
	long jerr = err ? err : gthread_join(&cl, g_now() + 3000 * MS, &cst);
	struct sched_thread_stats ss = {0};
	g_thread_stats(don_srv.h, &ss);
	/* The server's dispatches on the caller's deadline, in the trace. */
	static struct sched_trace_rec rec[512];
	struct sched_trace_status ts;
	struct sched_params mine;
	sys_sched_get(don_srv.h, &mine);
	long n = sys_sched_trace_read(g_telemetry(), (uint32_t)mine.cpu, 0, rec,
				      512, &ts);
	uint64_t next = ts.head > 512 ? ts.head - 512 : 0;
	n = sys_sched_trace_read(g_telemetry(), (uint32_t)mine.cpu, next, rec,
				 512, &ts);
	int donated_dl = 0;
	for (long i = 0; i < n; i++)
		if (rec[i].thread_koid == don_srv.koid &&
		    rec[i].cls == SCHED_CLASS_DL &&
		    (rec[i].flags & SCHED_TREC_DONATED))
			donated_dl++;
	stop = 1;
	gthread_join(&sp, g_now() + 1000 * MS, NULL);
	struct port_msg end = {.len = 0};
	sys_port_send(don_s, &end, g_now() + 1000 * MS);
	gthread_join(&don_srv, g_now() + 1000 * MS, NULL);
	sys_handle_close(don_s);
	sys_handle_close(don_r);
	GCHECK_OK(g_set_be(me(), 0));
	printf("    calls: 1 ms of work in %llu us, 5 ms in %llu ms; server "
	       "throttled %llu times, %llu us on donation, %d DL dispatches\n",
	       (unsigned long long)(call_ns[0] / 1000),
	       (unsigned long long)(call_ns[1] / MS),
	       (unsigned long long)ss.throttles,
	       (unsigned long long)(ss.donated_ns / 1000), donated_dl);
	GCHECK_OK(err);
	GCHECK_OK(jerr);
	GCHECK_EQ(cst, 0);
	GCHECK(call_ns[0] < 10 * MS);
	/* 2 ms per 50 ms period: 5 ms takes two more periods. */
	GCHECK(call_ns[1] >= 90 * MS && call_ns[1] < 400 * MS);
	GCHECK(ss.throttles >= 2);
	GCHECK(ss.donated_ns >= 5 * MS);
	GCHECK(donated_dl > 0);
}

/* ---- parameter changes cannot be used to cheat ---- */

static struct gthread cheat;

/* Re-applies its own DL parameters over and over, hoping for a fresh
 * budget each time. */
static int64_t dl_resetter(uint64_t arg)
{
	(void)arg;
	struct sched_params p = g_dl(MS, 10 * MS, 10 * MS);
	while (!stop) {
		uint64_t t = g_now() + 500000;
		while (g_now() < t && !stop)
			;
		sys_sched_set(g_sched(), cheat.h, &p);
	}
	return 0;
}

GTEST(timing_dl_reapplying_parameters_refills_nothing)
{
	GCHECK_OK(g_set_rt(me(), 99, 0, 0));
	stop = 0;
	struct sched_params p = g_dl(MS, 10 * MS, 10 * MS);
	long err = gthread_start_sched(&cheat, dl_resetter, 0, &p);
	uint64_t t0 = g_now(), r0 = g_runtime(cheat.koid);
	sys_sleep_until(t0 + 500 * MS);
	uint64_t used = g_runtime(cheat.koid) - r0, span = g_now() - t0;
	stop = 1;
	gthread_join(&cheat, g_now() + 1000 * MS, NULL);
	GCHECK_OK(g_set_be(me(), 0));
	printf("    re-applying DL 1/10 ms: %llu of %llu ms\n",
	       (unsigned long long)(used / MS),
	       (unsigned long long)(span / MS));
	GCHECK_OK(err);
	GCHECK(used <= span / 10 + 5 * MS);
}

/* A caller switched to best effort in the middle of its call: the server
 * stops running on its parameters (and nothing breaks). */
static struct gthread chg_srv, chg_cl;
static handle_t chg_r, chg_s;

static int64_t chg_server(uint64_t arg)
{
	(void)arg;
	uint32_t us = 0;
	struct port_rx rx = {.buf = &us, .cap = sizeof(us)};
	if (sys_port_recv(chg_r, &rx, DEADLINE_NONE) < 0 || !rx.reply)
		return -1;
	g_burn(chg_srv.koid, us * 1000ull);
	struct port_msg m = {.data = &us, .len = sizeof(us)};
	return sys_port_reply(rx.reply, &m);
}

static int64_t chg_client(uint64_t arg)
{
	(void)arg;
	uint32_t us = 20000, back;
	struct port_msg m = {.data = &us, .len = 4};
	struct port_rx rx = {.buf = &back, .cap = sizeof(back)};
	return sys_port_call(chg_s, &m, &rx, g_now() + 5000 * MS);
}

GTEST(timing_donor_changes_class_mid_call)
{
	GCHECK_OK(g_set_rt(me(), 99, 0, 0));
	GCHECK_OK(sys_port_create(0, &chg_r, &chg_s));
	struct sched_params rt5 = {
		.cls = SCHED_CLASS_RT, .priority = 5, .cpu = SCHED_CPU_KEEP};
	struct sched_params pc = g_dl(5 * MS, 50 * MS, 50 * MS);
	long err = gthread_start_sched(&chg_srv, chg_server, 0, &rt5);
	if (!err)
		err = gthread_start_sched(&chg_cl, chg_client, 0, &pc);
	sys_sleep_until(g_now() + 2 * MS);
	struct sched_thread_stats s1 = {0}, s2 = {0};
	g_thread_stats(chg_srv.h, &s1);
	long e1 = g_set_be(chg_cl.h, 0);
	g_thread_stats(chg_srv.h, &s2);
	int64_t st = -1, sst = -1;
	long j1 = gthread_join(&chg_cl, g_now() + 3000 * MS, &st);
	long j2 = gthread_join(&chg_srv, g_now() + 3000 * MS, &sst);
	sys_handle_close(chg_s);
	sys_handle_close(chg_r);
	GCHECK_OK(g_set_be(me(), 0));
	GCHECK_OK(err);
	GCHECK_OK(e1);
	GCHECK_EQ(s1.eff_cls, SCHED_CLASS_DL); /* on the caller's deadline */
	GCHECK(s1.flags & SCHED_TS_DONATED);
	GCHECK_EQ(s2.eff_cls, SCHED_CLASS_RT); /* back on its own */
	GCHECK_OK(j1);
	GCHECK_OK(j2);
	GCHECK_EQ(st, 0);
	GCHECK_EQ(sst, 0);
}
