/* exec-rt benchmarks, run as the root task (`make bench`). Each figure is
 * the median over BATCHES batches of TSC cycles per operation (rdtsc in
 * user mode), printed, never asserted. Under `-icount shift=0` the TSC
 * counts guest instructions, so those figures repeat exactly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/cpio.h>
#include <execrt/spawn.h>
#include <execrt/sys.h>

#include "../guest/gutil.h"
#include "bench.h"

#define BATCHES 15

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

int bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* "only=<substring>": run only the figures whose name contains it (a
 * quicker run while working on one path). */
static const char *only;

static int wanted(const char *name)
{
	return !only || strstr(name, only);
}

/* " (goal <= N: met)" after a figure with a goal (issue 11, point 4), in
 * the unit of the line; printed, never asserted. */
static void goal_note(uint64_t figure, uint64_t goal, const char *unit)
{
	if (goal)
		printf("  goal <= %llu%s: %s", (unsigned long long)goal, unit,
		       figure <= goal ? "met" : "over");
	printf("\n");
}

/* Runs fn(iters) BATCHES times; prints min / median / max per operation,
 * and the goal if there is one (0: none). */
static uint64_t bench_goal(const char *name, unsigned iters,
			   void (*fn)(unsigned), uint64_t goal)
{
	uint64_t per[BATCHES];
	if (!wanted(name))
		return 0;
	fn(iters / 10 + 1); /* warm caches and allocators */
	for (int b = 0; b < BATCHES; b++) {
		uint64_t t0 = rdtsc();
		fn(iters);
		per[b] = (rdtsc() - t0) / iters;
	}
	qsort(per, BATCHES, sizeof(per[0]), bench_cmp_u64);
	printf("bench: %-34s median %8llu  min %8llu  max %8llu cycles/op",
	       name, (unsigned long long)per[BATCHES / 2],
	       (unsigned long long)per[0],
	       (unsigned long long)per[BATCHES - 1]);
	goal_note(per[BATCHES / 2], goal, "");
	return per[BATCHES / 2];
}

static void bench(const char *name, unsigned iters, void (*fn)(unsigned))
{
	bench_goal(name, iters, fn, 0);
}

static void null_syscall(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		sys_null();
}

static void clock_now(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		sys_clock_now();
}

static void bad_handle(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		sys_handle_close(0x7fff0000u); /* full decode, error path */
}

static volatile int stop;

static int64_t yielder(uint64_t arg)
{
	(void)arg;
	while (!stop)
		sys_yield();
	return 0;
}

/* A CPU-bound competitor. */
static int64_t spinner(uint64_t arg)
{
	(void)arg;
	while (!stop)
		;
	return 0;
}

/* Two threads of equal priority yielding to each other: each yield is a
 * system call plus one context switch. */
static void yield_pingpong(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		sys_yield();
}

static void vmo_create_close(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		handle_t v;
		if (sys_vmo_create(PAGE, &v) == 0)
			sys_handle_close(v);
	}
}

static void map_unmap_1m(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct vm_map_req req = {.len = 1 << 20,
					 .prot = VM_PROT_READ | VM_PROT_WRITE};
		uint64_t a;
		if (sys_vm_map(g_self(), HANDLE_INVALID, &req, &a) == 0)
			sys_vm_unmap(g_self(), a, 1 << 20);
	}
}

static int64_t nothing(uint64_t arg)
{
	return (int64_t)arg;
}

static void thread_start_join(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct gthread t;
		if (gthread_start(&t, nothing, i) == 0)
			gthread_join(&t, DEADLINE_NONE, NULL);
	}
}

/* The part of the above that is gthread's stack and TLS block: a fresh
 * anonymous mapping of the same size, mapped and unmapped. */
static uint64_t gstack_len;

static void gstack_map_unmap(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		void *p = g_map(gstack_len);
		g_unmap(p, gstack_len);
	}
}

static void thread_figures(void)
{
	struct gthread t;
	bench_goal("thread create + start + join", 200, thread_start_join,
		   35000);
	if (gthread_start(&t, nothing, 0) == 0) {
		gstack_len = t.map_len;
		gthread_join(&t, DEADLINE_NONE, NULL);
		bench("  of which map + unmap of its stack", 200,
		      gstack_map_unmap);
	}
}

/* ---- IPC ---- */

static handle_t ipc_send; /* to the server task */
static uint8_t payload[256];
static uint32_t payload_len;

static long ipc_errors; /* a figure of failing calls would be a lie */

static void call_reply(unsigned n)
{
	uint8_t back[256];
	for (unsigned i = 0; i < n; i++) {
		struct port_msg m = {.data = payload, .len = payload_len};
		struct port_rx rx = {.buf = back, .cap = sizeof(back)};
		if (sys_port_call(ipc_send, &m, &rx, DEADLINE_NONE) < 0 ||
		    rx.len != payload_len)
			ipc_errors++;
	}
}

/* The same round trip with the message in registers (docs/ipc.md
 * "Register messages"), to the register server (serve_reg). */
static handle_t ipc_send_reg;

static void call_reply_reg(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct port_reg io = {.w = {1, 2}};
		if (sys_port_call_reg(ipc_send_reg, payload_len, &io,
				      DEADLINE_NONE) < 0 ||
		    io.len != payload_len)
			ipc_errors++;
	}
}

static void one_way_send(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct port_msg m = {.data = payload, .len = 16};
		if (sys_port_send(ipc_send, &m, DEADLINE_NONE) < 0)
			ipc_errors++;
	}
}

/* Server side, in the child task: answers calls, swallows sends. */
static int serve(handle_t recv)
{
	uint8_t buf[256];
	struct port_rx rx = {.buf = buf,
			     .cap = sizeof(buf),
			     .flags = PORT_RX_IMPLICIT_REPLY};
	long r = sys_port_recv(recv, &rx, DEADLINE_NONE);
	while (r == 0) {
		if (rx.reply) {
			handle_t reply = rx.reply;
			struct port_msg m = {.data = buf, .len = rx.len};
			rx = (struct port_rx){.buf = buf,
					      .cap = sizeof(buf),
					      .flags = PORT_RX_IMPLICIT_REPLY};
			r = sys_port_reply_recv(reply, &m, recv, &rx,
						DEADLINE_NONE);
		} else {
			rx = (struct port_rx){.buf = buf,
					      .cap = sizeof(buf),
					      .flags = PORT_RX_IMPLICIT_REPLY};
			r = sys_port_recv(recv, &rx, DEADLINE_NONE);
		}
	}
	return 0;
}

/* The register server: answers each call with what it got. */
static int serve_reg(handle_t recv)
{
	struct port_reg io = {0};
	long r = sys_port_reply_recv_reg(0, 0, recv, &io, DEADLINE_NONE);
	while (r == 0)
		r = sys_port_reply_recv_reg(
			(io.flags & PORT_RX_IMPLICIT_REPLY) != 0, io.len, recv,
			&io, DEADLINE_NONE);
	return 0;
}

static handle_t n_ping, n_pong;
static volatile int n_stop;

static int64_t notif_partner(uint64_t arg)
{
	(void)arg;
	uint64_t bits;
	while (!n_stop) {
		if (sys_notif_wait(n_ping, 1, g_now() + 100 * MS, &bits) == 0)
			sys_notif_signal(n_pong, 1);
	}
	return 0;
}

/* Signal, the partner wakes and signals back: two signal-to-wake
 * latencies per iteration (the figure printed is per round trip). */
static void notif_round_trip(unsigned n)
{
	uint64_t bits;
	for (unsigned i = 0; i < n; i++) {
		sys_notif_signal(n_ping, 1);
		sys_notif_wait(n_pong, 1, DEADLINE_NONE, &bits);
	}
}

static handle_t bench_grant;

static void grant_map_unmap(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t a;
		if (sys_grant_map(g_self(), bench_grant,
				  VM_PROT_READ | VM_PROT_WRITE, 0, &a) == 0)
			sys_grant_unmap(g_self(), a);
	}
}

static void ipc_benches(void)
{
	handle_t r, s;
	struct child c;
	if (g_initrd_load() < 0 || sys_port_create(0, &r, &s) < 0) {
		printf("bench: IPC figures skipped (no initrd or ports)\n");
		return;
	}
	if (g_spawn_ex("bench", "serve @", 4ull << 20, 0, r,
		       RIGHT_READ | RIGHT_MANAGE, &c) < 0) {
		printf("bench: IPC figures skipped (cannot start the "
		       "server)\n");
		return;
	}
	ipc_send = s;
	payload_len = 16;
	handle_t rr, rs;
	struct child cr;
	if (sys_port_create(0, &rr, &rs) == 0 &&
	    g_spawn_ex("bench", "serve-reg @", 4ull << 20, 0, rr,
		       RIGHT_READ | RIGHT_MANAGE, &cr) == 0) {
		ipc_send_reg = rs;
		bench_goal("call/reply round trip, 16 B, registers (2 tasks)",
			   2000, call_reply_reg, 1200);
		sys_handle_close(rs);
		g_reap(&cr, 1000 * MS, NULL);
	}
	bench("call/reply round trip, 16 B, buffers (2 tasks)", 2000,
	      call_reply);
	payload_len = 256;
	bench("call/reply round trip, 256 B (2 tasks)", 2000, call_reply);
	bench_goal("one-way send, 16 B (2 tasks)", 2000, one_way_send, 700);
	sys_handle_close(s);
	g_reap(&c, 1000 * MS, NULL);
	if (ipc_errors)
		printf("bench: WARNING: %ld IPC operations failed; the figures "
		       "above are not valid\n",
		       ipc_errors);

	if (sys_notif_create(&n_ping) == 0 && sys_notif_create(&n_pong) == 0) {
		struct gthread t;
		n_stop = 0;
		if (gthread_start(&t, notif_partner, 0) == 0) {
			bench_goal("notification signal-to-wake round trip",
				   2000, notif_round_trip, 1000);
			n_stop = 1;
			gthread_join(&t, DEADLINE_NONE, NULL);
		}
		sys_handle_close(n_ping);
		sys_handle_close(n_pong);
	}
	if (sys_grant_create(g_self(), 0, 1 << 20, VM_PROT_READ | VM_PROT_WRITE,
			     &bench_grant) == 0) {
		bench_goal("grant map + unmap, 1 MiB", 100, grant_map_unmap,
			   70000);
		sys_handle_close(bench_grant);
	}
}

/* Client here on CPU 0, the server task on CPU 1: every call and reply
 * wakes a thread on the other CPU (the slow path and a reschedule IPI). */
static void cross_cpu_ipc(void)
{
	handle_t r, s;
	struct child c;
	if (g_initrd_load() < 0 || sys_port_create(0, &r, &s) < 0 ||
	    g_spawn_ex("bench", "serve @", 4ull << 20, 0, r,
		       RIGHT_READ | RIGHT_MANAGE, &c) < 0) {
		printf("bench: cross-CPU IPC figure skipped (no server)\n");
		return;
	}
	handle_t self = execrt_handle(START_H_SELF_THREAD);
	if (sys_sched_affinity(g_sched(), self, 1) < 0 ||
	    sys_sched_affinity(g_sched(), c.thread, 2) < 0) {
		printf("bench: cross-CPU IPC figure skipped (affinity)\n");
	} else {
		ipc_send = s;
		payload_len = 16;
		ipc_errors = 0;
		/* 200, not 2000: on TCG each call waits for the host to
		 * wake the other vCPU's thread (tens of us, ms when loaded). */
		bench("cross-CPU call/reply, 16 B (2 tasks)", 200, call_reply);
		if (ipc_errors)
			printf("bench: WARNING: %ld calls failed\n",
			       ipc_errors);
	}
	sys_handle_close(s);
	g_reap(&c, 1000 * MS, NULL);
	/* The same with register messages (serve_reg). */
	if (sys_port_create(0, &r, &s) == 0 &&
	    g_spawn_ex("bench", "serve-reg @", 4ull << 20, 0, r,
		       RIGHT_READ | RIGHT_MANAGE, &c) == 0) {
		if (sys_sched_affinity(g_sched(), c.thread, 2) == 0) {
			ipc_send_reg = s;
			ipc_errors = 0;
			bench("cross-CPU call/reply, 16 B, registers (2 tasks)",
			      200, call_reply_reg);
			if (ipc_errors)
				printf("bench: WARNING: %ld calls failed\n",
				       ipc_errors);
		}
		sys_handle_close(s);
		g_reap(&c, 1000 * MS, NULL);
	}
	sys_sched_affinity(g_sched(), self, ~0ull >> (64 - g_ncpus()));
}

/* ---- scheduling ---- */

static handle_t me(void)
{
	return execrt_handle(START_H_SELF_THREAD);
}

#define PERIODS 2000
static uint64_t late[PERIODS];

/* cyclictest-style: sleep to each 1 ms release, note how late we woke. */
static int64_t periodic(uint64_t arg)
{
	(void)arg;
	uint64_t next = g_now() + MS;
	for (int i = 0; i < PERIODS; i++) {
		sys_sleep_until(next);
		late[i] = g_now() - next;
		next += MS;
	}
	return 0;
}

static void lateness(const char *what, const struct sched_params *p)
{
	struct gthread t, hog;
	if (!wanted(what))
		return;
	stop = 0;
	if (gthread_start(&hog, spinner, 0) < 0 ||
	    gthread_start_sched(&t, periodic, 0, p) < 0) {
		printf("bench: %s: cannot start the threads\n", what);
		return;
	}
	gthread_join(&t, DEADLINE_NONE, NULL);
	stop = 1;
	gthread_join(&hog, DEADLINE_NONE, NULL);
	qsort(late, PERIODS, sizeof(late[0]), bench_cmp_u64);
	uint64_t sum = 0;
	for (int i = 0; i < PERIODS; i++)
		sum += late[i];
	printf("bench: %-34s min %6llu  avg %6llu  p99 %6llu  max %6llu ns",
	       what, (unsigned long long)late[0],
	       (unsigned long long)(sum / PERIODS),
	       (unsigned long long)late[PERIODS * 99 / 100],
	       (unsigned long long)late[PERIODS - 1]);
	/* Timer interrupt to the thread running, under icount. */
	goal_note(late[PERIODS - 1], 1000, " ns (max)");
}

static void cpu_figures(struct sched_cpu_info *ci)
{
	memset(ci, 0, sizeof(*ci));
	sys_sched_cpu_info(execrt_handle(START_H_TELEMETRY), 0, ci);
}

/* Yield ping-pong with the trace on or off; also the kernel's own cost
 * of a dispatch decision over the same run. */
static void pingpong(const char *what, int trace, const struct sched_params *p,
		     uint64_t goal)
{
	struct sched_config cfg, c;
	handle_t auth = execrt_handle(START_H_SCHED);
	if (!wanted(what))
		return;
	if (sys_sched_config(auth, NULL, &cfg) < 0)
		return;
	c = cfg;
	c.flags =
		trace ? c.flags | SCHED_CFG_TRACE : c.flags & ~SCHED_CFG_TRACE;
	sys_sched_config(auth, &c, NULL);
	struct sched_params mine;
	sys_sched_get(me(), &mine);
	mine.cpu = SCHED_CPU_KEEP;
	if (p)
		sys_sched_set(auth, me(), p);
	struct gthread other;
	stop = 0;
	if (gthread_start_sched(&other, yielder, 0, p) == 0) {
		struct sched_cpu_info a, b;
		cpu_figures(&a);
		bench_goal(what, 5000, yield_pingpong, goal);
		cpu_figures(&b);
		stop = 1;
		gthread_join(&other, DEADLINE_NONE, NULL);
		uint64_t n = b.sched_calls - a.sched_calls;
		printf("bench: %-34s avg %8llu cycles/decision (%s, in "
		       "kernel)\n",
		       "  dispatch decision",
		       n ? (unsigned long long)((b.sched_cycles -
						 a.sched_cycles) /
						n)
			 : 0ull,
		       trace ? "trace on" : "trace off");
	}
	sys_sched_set(auth, me(), &mine);
	sys_sched_config(auth, &cfg, NULL);
}

static void sched_benches(void)
{
	struct sched_params dl = {.cls = SCHED_CLASS_DL,
				  .runtime_ns = 200000,
				  .deadline_ns = MS,
				  .period_ns = MS,
				  .cpu = SCHED_CPU_KEEP};
	struct sched_params rt = {
		.cls = SCHED_CLASS_RT, .priority = 50, .cpu = SCHED_CPU_KEEP};
	lateness("1 kHz wake-up lateness, DL + hog", &dl);
	lateness("1 kHz wake-up lateness, RT 50 + hog", &rt);
	pingpong("yield ping-pong BE, trace on", 1, NULL, 0);
	pingpong("yield ping-pong BE, trace off", 0, NULL, 900);
	pingpong("yield ping-pong RT 50, trace on", 1, &rt, 900);
}

/* ---- TLB shootdown (2 or more CPUs) ---- */

static uint64_t user_ipis(unsigned cpu)
{
	struct sched_cpu_info ci;
	if (sys_sched_cpu_info(g_telemetry(), cpu, &ci) < 0)
		return 0;
	return ci.tlb_ipis_user;
}

/* A thread of this task on CPU 1. `pause` lets the other vCPU run under
 * -icount (QEMU then runs the vCPUs in turns on one host thread and
 * switches at a pause), so the IPIs get answered without waiting for a
 * whole time slice. */
static int64_t pause_spinner(uint64_t arg)
{
	(void)arg;
	while (!stop)
		__asm__ volatile("pause");
	return 0;
}

/* Waits (up to 1 s) until thread th runs on CPU 1: under -icount the
 * vCPUs take turns, and a CPU that has not run yet has nothing loaded. */
static int running_on_1(handle_t th)
{
	for (int i = 0; i < 1000; i++) {
		struct sched_thread_stats st;
		if (g_thread_stats(th, &st) == 0 &&
		    st.state == SCHED_TS_RUNNING && st.cpu == 1)
			return 1;
		sys_sleep_until(g_now() + MS);
	}
	return 0;
}

/* Median cycles of unmapping one mapped page (the map is not timed). */
static uint64_t unmap_cycles(unsigned iters)
{
	uint64_t per[BATCHES];
	for (int b = 0; b < BATCHES; b++) {
		uint64_t sum = 0;
		for (unsigned i = 0; i < iters; i++) {
			struct vm_map_req req = {.len = PAGE,
						 .prot = VM_PROT_READ |
							 VM_PROT_WRITE};
			uint64_t a;
			if (sys_vm_map(g_self(), HANDLE_INVALID, &req, &a))
				continue;
			uint64_t t0 = rdtsc();
			sys_vm_unmap(g_self(), a, PAGE);
			sum += rdtsc() - t0;
		}
		per[b] = sum / iters;
	}
	qsort(per, BATCHES, sizeof(per[0]), bench_cmp_u64);
	return per[BATCHES / 2];
}

/* Unmaps here on CPU 0 with CPU 1 running (a) another task, (b) a thread
 * of this task. Only (b) needs CPU 1 to flush. */
static void tlb_benches(void)
{
	if (g_ncpus() < 2) {
		printf("bench: TLB shootdown figures skipped (1 CPU)\n");
		return;
	}
	enum { N = 200 };
	struct execrt_child b;
	struct sched_params on1 = {.cls = SCHED_CLASS_BE, .cpu = 1};
	struct cpio_file f;
	if (g_initrd_load() < 0 ||
	    cpio_find(g_initrd_buf, g_initrd_len, "bin/bench", &f) != CPIO_OK ||
	    execrt_spawn_create("bench-spin", 1 << 20, &b) < 0) {
		printf("bench: TLB shootdown figures skipped (no child)\n");
		return;
	}
	struct execrt_spawn_args a = {.image = f.data,
				      .image_len = f.size,
				      .cmdline = "bench spin",
				      .quota = 1 << 20};
	if (sys_sched_set(g_sched(), b.thread, &on1) < 0 ||
	    execrt_spawn_start(&b, &a, NULL) < 0) {
		printf("bench: TLB shootdown figures skipped (no child)\n");
		execrt_spawn_abort(&b);
		return;
	}
	int b_on_1 = running_on_1(b.thread);
	uint64_t i0 = user_ipis(1);
	uint64_t solo = unmap_cycles(N);
	uint64_t unrelated = user_ipis(1) - i0;
	sys_task_kill(b.task, 0);
	int64_t st;
	sys_object_wait(b.task, DEADLINE_NONE, &st);
	sys_handle_close(b.thread);
	sys_handle_close(b.task);

	struct gthread t;
	stop = 0;
	if (gthread_start_sched(&t, pause_spinner, 0, &on1) < 0)
		return;
	int t_on_1 = running_on_1(t.h);
	uint64_t i1 = user_ipis(1);
	uint64_t both = unmap_cycles(N);
	uint64_t asked = user_ipis(1) - i1;
	stop = 1;
	gthread_join(&t, DEADLINE_NONE, NULL);
	if (!b_on_1 || !t_on_1)
		printf("bench: WARNING: a thread was not seen running on CPU "
		       "1; the TLB figures below are not valid\n");
	printf("bench: %-34s median %8llu cycles/op\n",
	       "unmap 1 page, task on 1 CPU", (unsigned long long)solo);
	printf("bench: %-34s median %8llu cycles/op\n",
	       "unmap 1 page, task on 2 CPUs", (unsigned long long)both);
	printf("bench: TLB IPIs to the CPU running another task: %llu in "
	       "%u unmaps (goal 0); to the CPU running the task: %llu\n",
	       (unsigned long long)unrelated, N * BATCHES,
	       (unsigned long long)asked);
}

int main(int argc, char **argv)
{
	/* "bench serve H": the server half of the IPC figures. */
	if (argc == 3 && !strcmp(argv[1], "serve-reg"))
		return serve_reg((handle_t)strtoul(argv[2], NULL, 0));
	if (argc == 3 && !strcmp(argv[1], "serve"))
		return serve((handle_t)strtoul(argv[2], NULL, 0));
	if (argc == 3 && !strcmp(argv[1], "pager")) /* bench_vm.c's pager */
		return vm_pager_main((handle_t)strtoul(argv[2], NULL, 0));
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "smp")) {
			smp_benches();
			printf("bench: done\n");
			return 0;
		}
	for (int i = 1; i < argc; i++) /* room gfx-blit: `bench blit` */
		if (!strcmp(argv[i], "blit")) {
			blit_benches();
			printf("bench: done\n");
			return 0;
		}
	if (argc == 2 && !strcmp(argv[1], "spin")) /* tlb_benches' other task */
		for (;;)
			__asm__ volatile("pause");
	printf("bench: exec-rt micro-benchmarks (TSC cycles per operation, "
	       "median of %d batches)\n",
	       BATCHES);
	for (int i = 1; i < argc; i++)
		if (!strncmp(argv[i], "only=", 5) &&
		    strcmp(argv[i], "only=tlb"))
			only = argv[i] + 5;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "only=tlb")) { /* bench.sh's -smp 2 runs */
			tlb_benches();
			if (g_ncpus() >= 2)
				cross_cpu_ipc();
			pci_cfg_benches(); /* devk-pci: writes park CPUs */
			printf("bench: done\n");
			return 0;
		}
	/* The Linux table (tools/bench_linux_table.py) pairs the first line
	 * named "null system call" with getppid. */
	bench_goal("null system call (SYS_NULL)", 20000, null_syscall, 120);
	bench("clock_now system call", 20000, clock_now);
	bench("system call, bad handle", 20000, bad_handle);
	sched_benches();
	bench("vmo create + close", 2000, vmo_create_close);
	bench("anonymous map + unmap, 1 MiB", 100, map_unmap_1m);
	thread_figures();
	ipc_benches();
	fs_benches();
	vm_benches();
	if (wanted("driver thread"))
		irq_benches();
	if (wanted("input"))
		input_benches();
	printf("bench: done\n");
	return 0;
}
