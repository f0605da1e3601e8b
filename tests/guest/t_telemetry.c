/* Scheduler telemetry: the per-CPU dispatch rings (sequence numbers,
 * overwriting, loss counting), per-thread totals, per-CPU figures and the
 * rights that guard them. */
#include <string.h>

#include "gtest.h"
#include "gutil.h"

static uint32_t my_cpu(void)
{
	struct sched_params p;
	if (sys_sched_get(execrt_handle(START_H_SELF_THREAD), &p) < 0)
		return 0;
	return (uint32_t)p.cpu;
}

GTEST(telemetry_rights_and_bad_input)
{
	struct sched_trace_rec rec[4];
	struct sched_trace_status st;
	struct sched_thread_stats ts;
	struct sched_cpu_info ci;
	handle_t tel = g_telemetry();
	GCHECK(tel != HANDLE_INVALID);
	handle_t noread = g_dup(tel, RIGHT_DUPLICATE);
	GCHECK_ERR(sys_sched_trace_read(noread, 0, 0, rec, 4, &st),
		   ERR_ACCESS_DENIED);
	GCHECK_ERR(sys_sched_stats(noread, 0, &ts, 1), ERR_ACCESS_DENIED);
	GCHECK_ERR(sys_sched_cpu_info(noread, 0, &ci), ERR_ACCESS_DENIED);
	sys_handle_close(noread);
	GCHECK_ERR(sys_sched_cpu_info(g_console(), 0, &ci), ERR_WRONG_TYPE);
	GCHECK_ERR(sys_sched_stats(g_sysinfo(), 0, &ts, 1), ERR_WRONG_TYPE);
	GCHECK_ERR(sys_sched_cpu_info(tel, 4096, &ci), ERR_OUT_OF_RANGE);
	GCHECK_ERR(sys_sched_trace_read(tel, 4096, 0, rec, 4, &st),
		   ERR_OUT_OF_RANGE);
	GCHECK_ERR(sys_sched_trace_read(tel, 0, 0, (void *)KERNEL_PTR, 4, &st),
		   ERR_FAULT);
	GCHECK_ERR(sys_sched_trace_read(tel, 0, 0, rec, 4, NULL), ERR_FAULT);
	GCHECK_ERR(sys_sched_stats(tel, 0, (void *)KERNEL_PTR, 1), ERR_FAULT);
	GCHECK_ERR(sys_sched_cpu_info(tel, 0, (void *)KERNEL_PTR), ERR_FAULT);
	/* Zero records asked: the status alone. */
	GCHECK_ERR(sys_sched_trace_read(tel, 0, 0, NULL, 0, &st), 0);
	GCHECK(st.capacity >= 1024);
}

static volatile int stop;

static int64_t yielder(uint64_t arg)
{
	(void)arg;
	while (!stop)
		sys_yield();
	return 0;
}

/* Thousands of dispatches: the ring wraps; a reader from seq 0 learns
 * exactly how many it lost and gets the rest in order. */
GTEST(telemetry_ring_wraps_and_counts_losses)
{
	uint32_t cpu = my_cpu();
	struct sched_trace_status st;
	GCHECK_OK(sys_sched_trace_read(g_telemetry(), cpu, 0, NULL, 0, &st));
	uint64_t head0 = st.head, cap = st.capacity;
	stop = 0;
	struct gthread t;
	GCHECK_OK(gthread_start(&t, yielder, 0));
	while (1) {
		sys_yield();
		sys_sched_trace_read(g_telemetry(), cpu, 0, NULL, 0, &st);
		if (st.head - head0 > 2 * cap)
			break;
	}
	stop = 1;
	GCHECK_OK(gthread_join(&t, g_now() + 1000 * MS, NULL));
	static struct sched_trace_rec rec[4096];
	long n = sys_sched_trace_read(g_telemetry(), cpu, 0, rec, 4096, &st);
	GCHECK(n > 0 && (uint64_t)n <= cap);
	GCHECK(st.lost > 0);
	GCHECK_EQ(st.lost, rec[0].seq); /* everything before was lost */
	GCHECK_EQ(st.next_seq, rec[n - 1].seq + 1);
	GCHECK_EQ(st.overwritten, st.head - cap);
	unsigned ours = 0;
	for (long i = 0; i < n; i++) {
		GCHECK_EQ(rec[i].seq, rec[0].seq + (uint64_t)i);
		GCHECK_EQ(rec[i].cpu, cpu);
		GCHECK(rec[i].cls <= SCHED_CLASS_DL);
		if (i)
			GCHECK(rec[i].start_ns >= rec[i - 1].start_ns);
		ours += rec[i].thread_koid == t.koid;
	}
	GCHECK(ours > 100);
	/* Reading on from next_seq loses nothing and repeats nothing. */
	uint64_t next = st.next_seq;
	n = sys_sched_trace_read(g_telemetry(), cpu, next, rec, 4096, &st);
	GCHECK(n >= 0);
	GCHECK_EQ(st.lost, 0);
	if (n > 0)
		GCHECK_EQ(rec[0].seq, next);
}

GTEST(telemetry_thread_totals)
{
	handle_t me = execrt_handle(START_H_SELF_THREAD);
	struct sched_thread_stats s0, s1;
	GCHECK_OK(g_thread_stats(me, &s0));
	GCHECK_EQ(s0.koid, g_koid(me));
	GCHECK_EQ(s0.task_koid, g_koid(g_self()));
	GCHECK_EQ(s0.state, SCHED_TS_RUNNING);
	GCHECK_EQ(s0.eff_cls, SCHED_CLASS_BE);
	GCHECK_EQ(s0.params.cls, SCHED_CLASS_BE);
	GCHECK(s0.runtime_ns > 0);
	for (int i = 0; i < 10; i++)
		sys_sleep_until(g_now() + MS);
	GCHECK_OK(g_thread_stats(me, &s1));
	GCHECK(s1.wakeups >= s0.wakeups + 10);
	GCHECK(s1.dispatches >= s0.dispatches + 10);
	GCHECK(s1.runtime_ns > s0.runtime_ns);
	GCHECK(s1.lat_max_ns >= s1.lat_min_ns);
	GCHECK(s1.lat_sum_ns >= s1.lat_max_ns);
	/* Listing: ascending koids, kernel threads (task 0) and ours. */
	static struct sched_thread_stats all[64];
	uint64_t after = 0, prev = 0;
	unsigned total = 0, kernel = 0, found = 0;
	for (;;) {
		long n = sys_sched_stats(g_telemetry(), after, all, 64);
		GCHECK(n >= 0);
		for (long i = 0; i < n; i++) {
			GCHECK(all[i].koid > prev);
			prev = all[i].koid;
			kernel += all[i].task_koid == 0;
			found += all[i].koid == s0.koid;
		}
		total += (unsigned)n;
		if (n < 64)
			break;
		after = all[n - 1].koid;
	}
	GCHECK_EQ(found, 1);
	GCHECK(kernel >= g_ncpus()); /* at least the idle threads */
	struct kernel_stats ks;
	GCHECK_OK(g_stats(&ks));
	GCHECK_EQ(total, ks.threads);
}

GTEST(telemetry_cpu_info)
{
	for (unsigned c = 0; c < g_ncpus(); c++) {
		struct sched_cpu_info a, b;
		GCHECK_OK(sys_sched_cpu_info(g_telemetry(), c, &a));
		sys_sleep_until(g_now() + 5 * MS);
		GCHECK_OK(sys_sched_cpu_info(g_telemetry(), c, &b));
		GCHECK_EQ(a.cpu, c);
		GCHECK(b.now_ns > a.now_ns);
		GCHECK(b.idle_ns >= a.idle_ns);
		GCHECK(b.idle_ns - a.idle_ns <= b.now_ns - a.now_ns);
		GCHECK(b.switches >= a.switches);
		GCHECK(b.sched_calls >= a.sched_calls);
	}
}

static int64_t worker(uint64_t arg)
{
	(void)arg;
	for (int i = 0; i < 40; i++) {
		g_spin(200000);
		sys_sleep_until(g_now() + MS);
	}
	return 0;
}

/* timeline-inspect with the telemetry handle: a report and a dump (the
 * dump goes on through tools/check.sh into tools/timeline2trace.py);
 * without the handle it fails cleanly. */
GTEST(telemetry_timeline_inspect_runs)
{
	struct child c;
	int64_t st = -1;
	struct gthread w;
	GCHECK_OK(gthread_start(&w, worker, 0));
	g_spawn_telemetry = g_telemetry();
	long r1 = g_spawn("timeline-inspect", "--interval 50 --timeline 12",
			  CHILD_QUOTA, 0, &c);
	long w1 = r1 ? r1 : g_reap(&c, 5000 * MS, &st);
	int64_t st1 = st;
	long r2 = g_spawn("timeline-inspect", "--dump", CHILD_QUOTA, 0, &c);
	long w2 = r2 ? r2 : g_reap(&c, 5000 * MS, &st);
	int64_t st2 = st;
	g_spawn_telemetry = HANDLE_INVALID;
	long r3 = g_spawn("timeline-inspect", "", CHILD_QUOTA, 0, &c);
	long w3 = r3 ? r3 : g_reap(&c, 5000 * MS, &st);
	gthread_join(&w, g_now() + 2000 * MS, NULL);
	GCHECK_OK(r1);
	GCHECK_OK(w1);
	GCHECK_EQ(st1, 0);
	GCHECK_OK(r2);
	GCHECK_OK(w2);
	GCHECK_EQ(st2, 0);
	GCHECK_OK(r3);
	GCHECK_OK(w3);
	GCHECK_EQ(st, 1); /* no telemetry handle */
}
