/* SMP figures for `make bench` (run in a boot with -smp 2, "bench smp"):
 * IPC throughput of two client/server pairs on two CPUs against one pair
 * on one CPU, the cross-CPU wake-up latency (a signal on one CPU to the
 * woken thread running on the other, which was idle), and the cost of a
 * migration (an affinity change moving a thread that is running, and one
 * that is blocked). Printed, never asserted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/sys.h>

#include "../guest/gutil.h"
#include "bench.h"

#define WINDOW (300 * MS) /* per throughput run */

struct pair {
	handle_t r, s;
	struct gthread srv, cli;
	volatile uint64_t calls;
};

static struct pair pairs[2];
static volatile int go, stop_all;

static int64_t pair_server(uint64_t i)
{
	uint8_t buf[16];
	struct port_rx rx = {.buf = buf, .cap = sizeof(buf)};
	long r = sys_port_recv(pairs[i].r, &rx, DEADLINE_NONE);
	while (r == 0 && rx.len) {
		handle_t reply = rx.reply;
		struct port_msg m = {.data = buf, .len = rx.len};
		rx = (struct port_rx){.buf = buf, .cap = sizeof(buf)};
		r = sys_port_reply_recv(reply, &m, pairs[i].r, &rx,
					DEADLINE_NONE);
	}
	return 0;
}

static int64_t pair_client(uint64_t i)
{
	uint8_t out[16] = {1}, back[16];
	while (!go)
		sys_yield();
	while (!stop_all) {
		struct port_msg m = {.data = out, .len = sizeof(out)};
		struct port_rx rx = {.buf = back, .cap = sizeof(back)};
		if (sys_port_call(pairs[i].s, &m, &rx, DEADLINE_NONE))
			break;
		pairs[i].calls++;
	}
	return 0;
}

/* Runs `n` pairs, pair i pinned to CPU i, for WINDOW; calls per second. */
static uint64_t run_pairs(unsigned n)
{
	go = stop_all = 0;
	unsigned started = 0;
	for (unsigned i = 0; i < n; i++) {
		struct pair *p = &pairs[i];
		p->calls = 0;
		if (sys_port_create(0, &p->r, &p->s))
			break;
		gthread_start(&p->srv, pair_server, i);
		gthread_start(&p->cli, pair_client, i);
		sys_sched_affinity(g_sched(), p->srv.h, 1ull << i);
		sys_sched_affinity(g_sched(), p->cli.h, 1ull << i);
		started++;
	}
	sys_sleep_until(g_now() + 20 * MS);
	go = 1;
	uint64_t t0 = g_now(), c0 = 0, c1 = 0;
	for (unsigned i = 0; i < started; i++)
		c0 += pairs[i].calls;
	sys_sleep_until(t0 + WINDOW);
	for (unsigned i = 0; i < started; i++)
		c1 += pairs[i].calls;
	uint64_t dt = g_now() - t0;
	stop_all = 1;
	for (unsigned i = 0; i < started; i++) {
		struct pair *p = &pairs[i];
		gthread_join(&p->cli, g_now() + 2000 * MS, NULL);
		struct port_msg end = {.len = 0};
		sys_port_send(p->s, &end, g_now() + 1000 * MS);
		gthread_join(&p->srv, g_now() + 2000 * MS, NULL);
		sys_handle_close(p->s);
		sys_handle_close(p->r);
	}
	return (c1 - c0) * 1000000000ull / dt;
}

static handle_t wake_n;
static volatile uint64_t woke_tsc;
static volatile int wake_stop;

static int64_t waker_target(uint64_t arg)
{
	(void)arg;
	uint64_t bits;
	while (!wake_stop)
		if (sys_notif_wait(wake_n, 1, g_now() + 200 * MS, &bits) == 0)
			woke_tsc = bench_rdtsc();
	return 0;
}

static volatile int spin_stop;

static int64_t spin_yield(uint64_t arg)
{
	(void)arg;
	while (!spin_stop)
		;
	return 0;
}

static int32_t cpu_of(handle_t t)
{
	struct sched_params p;
	return sys_sched_get(t, &p) ? -1 : p.cpu;
}

#define ROUNDS 200

static void print_dist(const char *what, uint64_t *v, unsigned n,
		       const char *unit)
{
	qsort(v, n, sizeof(v[0]), bench_cmp_u64);
	printf("bench: %-34s median %8llu  p99 %8llu  min %8llu %s (%u)\n",
	       what, (unsigned long long)v[n / 2],
	       (unsigned long long)v[n * 99 / 100], (unsigned long long)v[0],
	       unit, n);
}

void smp_benches(void)
{
	if (g_ncpus() < 2) {
		printf("bench: SMP figures need 2 CPUs\n");
		return;
	}
	sys_sched_affinity(g_sched(), execrt_handle(START_H_SELF_THREAD), 1);
	/* Throughput: the second vCPU idles during the first run. */
	uint64_t one = run_pairs(1), two = run_pairs(2);
	printf("bench: %-34s one pair / 1 CPU %llu calls/s, two pairs / 2 "
	       "CPUs %llu calls/s: %llu.%02llux (goal >= 1.8x)\n",
	       "IPC call throughput", (unsigned long long)one,
	       (unsigned long long)two, (unsigned long long)(two / (one + 1)),
	       (unsigned long long)(two * 100 / (one + 1) % 100));

	/* Cross-CPU wake-up: CPU 0 signals, the thread on CPU 1 (idle
	 * until then) runs: signal to running, in TSC cycles. */
	static uint64_t lat[ROUNDS];
	unsigned got = 0;
	struct gthread w;
	if (sys_notif_create(&wake_n) == 0 &&
	    gthread_start(&w, waker_target, 0) == 0) {
		sys_sched_affinity(g_sched(), w.h, 2);
		sys_sleep_until(g_now() + 10 * MS);
		for (unsigned i = 0; i < ROUNDS; i++) {
			woke_tsc = 0;
			sys_sleep_until(g_now() + MS); /* it blocks again */
			uint64_t t0 = bench_rdtsc();
			sys_notif_signal(wake_n, 1);
			uint64_t end = g_now() + 100 * MS;
			while (!woke_tsc && g_now() < end)
				;
			if (woke_tsc > t0)
				lat[got++] = woke_tsc - t0;
		}
		wake_stop = 1;
		gthread_join(&w, g_now() + 1000 * MS, NULL);
		sys_handle_close(wake_n);
	}
	if (got)
		print_dist("cross-CPU wake-up (signal->run)", lat, got,
			   "cycles");

	/* Migration: a running spinner moved between the CPUs (call to
	 * seen on the other CPU), and the call alone for a blocked one. */
	static uint64_t mv[ROUNDS / 4], mvb[ROUNDS / 4];
	unsigned nm = 0, nb = 0;
	struct gthread s;
	spin_stop = 0;
	if (gthread_start(&s, spin_yield, 0) == 0) {
		for (unsigned i = 0; i < ROUNDS / 4; i++) {
			int32_t to = (int32_t)(i % 2);
			uint64_t t0 = bench_rdtsc();
			sys_sched_affinity(g_sched(), s.h, 1ull << to);
			uint64_t end = g_now() + 200 * MS;
			while (cpu_of(s.h) != to && g_now() < end)
				;
			if (cpu_of(s.h) == to)
				mv[nm++] = bench_rdtsc() - t0;
		}
		spin_stop = 1;
		gthread_join(&s, g_now() + 1000 * MS, NULL);
	}
	handle_t bt;
	if (sys_thread_create(g_self(), "blocked", 7, &bt) == 0) {
		for (unsigned i = 0; i < ROUNDS / 4; i++) {
			uint64_t t0 = bench_rdtsc();
			if (sys_sched_affinity(g_sched(), bt,
					       1ull << (i % 2)) == 0)
				mvb[nb++] = bench_rdtsc() - t0;
		}
		sys_handle_close(bt);
	}
	if (nm)
		print_dist("migrate a running thread", mv, nm, "cycles");
	if (nb)
		print_dist("migrate a not-started thread", mvb, nb, "cycles");
}
