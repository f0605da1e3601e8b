/* timeline-inspect's pure half (apps/timeline-inspect/tl_format.c):
 * class/flag/name formatting, snapshot deltas, ring merging, the chart
 * and the --dump lines. */
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "tl_format.h"

static struct sched_params dl_params(uint64_t rt, uint64_t dl, uint64_t per)
{
	return (struct sched_params){.cls = SCHED_CLASS_DL,
				     .runtime_ns = rt,
				     .deadline_ns = dl,
				     .period_ns = per};
}

static struct sched_trace_rec rec(uint32_t cpu, uint64_t koid, uint64_t start,
				  uint64_t run)
{
	return (struct sched_trace_rec){.thread_koid = koid,
					.start_ns = start,
					.runtime_ns = run,
					.cls = SCHED_CLASS_BE,
					.cpu = (uint8_t)cpu};
}

static struct sched_thread_stats thread(uint64_t koid, const char *name)
{
	struct sched_thread_stats s = {.koid = koid, .task_koid = 2};
	strncpy(s.name, name, sizeof(s.name));
	return s;
}

TEST(tl_class_strings)
{
	char b[64];
	struct sched_params p = dl_params(1000000, 2000000, 4000000);
	CHECK_EQ(tl_fmt_class(b, sizeof(b), &p), 20);
	STR_EQ(b, "DL 1.00/2.00/4.00 ms");
	/* Rounded to 10 us: 4999 ns is 0.00, 5000 ns 0.01. */
	p = dl_params(4999, 5000, 10000000000ull);
	tl_fmt_class(b, sizeof(b), &p);
	STR_EQ(b, "DL 0.00/0.01/10000.00 ms");
	p = (struct sched_params){
		.cls = SCHED_CLASS_RT, .priority = 50, .flags = SCHED_FLAG_RR};
	tl_fmt_class(b, sizeof(b), &p);
	STR_EQ(b, "RT 50 rr");
	p.quantum_ns = 5000000;
	tl_fmt_class(b, sizeof(b), &p);
	STR_EQ(b, "RT 50 rr q5.00");
	p.flags = 0;
	tl_fmt_class(b, sizeof(b), &p);
	STR_EQ(b, "RT 50 fifo");
	p = (struct sched_params){.cls = SCHED_CLASS_BE};
	tl_fmt_class(b, sizeof(b), &p);
	STR_EQ(b, "BE w1024");
	p.weight = 65536;
	tl_fmt_class(b, sizeof(b), &p);
	STR_EQ(b, "BE w65536");
	p.cls = SCHED_CLASS_IDLE;
	tl_fmt_class(b, sizeof(b), &p);
	STR_EQ(b, "IDLE");
	p.cls = 7;
	tl_fmt_class(b, sizeof(b), &p);
	STR_EQ(b, "cls7");
	STR_EQ(tl_cls_name(SCHED_CLASS_DL), "DL");
	STR_EQ(tl_cls_name(4), "?");
	STR_EQ(tl_state_name(SCHED_TS_BLOCKED), "blocked");
	STR_EQ(tl_state_name(9), "?");
}

TEST(tl_truncates_like_snprintf)
{
	char b[5];
	struct sched_params p = dl_params(1000000, 2000000, 4000000);
	CHECK_EQ(tl_fmt_class(b, sizeof(b), &p), 20);
	STR_EQ(b, "DL 1");
	CHECK_EQ(tl_fmt_flags(b, sizeof(b), SCHED_TREC_PREEMPTED), 9);
	STR_EQ(b, "PREE");
	CHECK_EQ(tl_fmt_class(NULL, 0, &p), 20);
}

TEST(tl_flag_names)
{
	char b[128];
	CHECK_EQ(tl_fmt_flags(b, sizeof(b), 0), 0);
	STR_EQ(b, "");
	tl_fmt_flags(b, sizeof(b),
		     SCHED_TREC_WOKEN | SCHED_TREC_BLOCKED | SCHED_TREC_DL_MET);
	STR_EQ(b, "WOKEN BLOCKED MET");
	tl_fmt_flags(b, sizeof(b), 0x7f);
	STR_EQ(b, "WOKEN PREEMPTED THROTTLED BLOCKED MET MISS DONATED");
	tl_fmt_flags(b, sizeof(b), 0x8000 | SCHED_TREC_DL_MISS);
	STR_EQ(b, "MISS 0x8000");
}

TEST(tl_names_are_one_token)
{
	char b[64];
	tl_fmt_name(b, sizeof(b), "net rx\t1", 4);
	STR_EQ(b, "net_rx_1");
	tl_fmt_name(b, sizeof(b), "", 17);
	STR_EQ(b, "#17");
	tl_fmt_name(b, sizeof(b), NULL, 18);
	STR_EQ(b, "#18");
	/* A full 32-byte name has no NUL: never read past it. */
	struct sched_thread_stats s;
	memset(s.name, 'x', sizeof(s.name));
	CHECK_EQ(tl_fmt_name(b, sizeof(b), s.name, 1), 32);
}

TEST(tl_ratio_arithmetic)
{
	CHECK(tl_muldiv(UINT64_MAX, 1000, 1000) == UINT64_MAX);
	CHECK(tl_muldiv(UINT64_MAX, 2, 1) == UINT64_MAX); /* saturates */
	CHECK_EQ(tl_muldiv(3, 1000, 7), 428);
	CHECK_EQ(tl_permille(250, 1000), 250);
	CHECK_EQ(tl_permille(5, 0), 0);
	CHECK_EQ(tl_permille(1100, 1000), 1000); /* sampling skew */
	CHECK_EQ(tl_permille(UINT64_MAX / 2, UINT64_MAX), 499);

	struct sched_cpu_info a = {.now_ns = 1000000000, .idle_ns = 500000000};
	struct sched_cpu_info b = {.now_ns = 2000000000, .idle_ns = 750000000};
	CHECK_EQ(tl_busy_permille(&a, &b), 750);
	b.idle_ns = 100; /* went backwards: no idle time */
	CHECK_EQ(tl_busy_permille(&a, &b), 1000);
	b.idle_ns = a.idle_ns + 2000000000; /* more idle than time */
	CHECK_EQ(tl_busy_permille(&a, &b), 0);
	b.now_ns = a.now_ns;
	CHECK_EQ(tl_busy_permille(&a, &b), 0);
}

TEST(tl_deltas_pair_snapshots)
{
	struct sched_thread_stats prev[3] = {thread(3, "a"), thread(5, "b"),
					     thread(8, "c")};
	struct sched_thread_stats cur[3] = {thread(3, "a"), thread(8, "c"),
					    thread(9, "d")};
	prev[0].runtime_ns = 100000000;
	prev[0].dispatches = 10;
	prev[0].dl_met = 4;
	cur[0].runtime_ns = 350000000;
	cur[0].dispatches = 35;
	cur[0].dl_met = 9;
	cur[0].dl_missed = 1;
	prev[2].runtime_ns = 900; /* counter went backwards */
	cur[1].runtime_ns = 800;
	cur[2].runtime_ns = 2000000000; /* new: all of it counts */
	cur[2].throttles = 3;

	struct tl_delta d[4];
	CHECK_EQ(tl_compute_deltas(prev, 3, cur, 3, 1000000000, d, 4), 4);
	CHECK(d[0].prev == &prev[0] && d[0].cur == &cur[0]);
	CHECK_EQ(d[0].presence, TL_BOTH);
	CHECK_EQ(d[0].run_ns, 250000000);
	CHECK_EQ(d[0].cpu_permille, 250);
	CHECK_EQ(d[0].dispatches, 25);
	CHECK_EQ(d[0].dl_met, 5);
	CHECK_EQ(d[0].dl_missed, 1);
	CHECK(d[1].prev == &prev[1] && !d[1].cur);
	CHECK_EQ(d[1].presence, TL_GONE);
	CHECK_EQ(d[1].run_ns, 0);
	CHECK_EQ(d[2].presence, TL_BOTH);
	CHECK_EQ(d[2].run_ns, 0);
	CHECK(!d[3].prev && d[3].cur == &cur[2]);
	CHECK_EQ(d[3].presence, TL_NEW);
	CHECK_EQ(d[3].throttles, 3);
	CHECK_EQ(d[3].cpu_permille, 1000); /* 2 s in 1 s: clamped */

	/* Short output array: the count is still the whole set. */
	CHECK_EQ(tl_compute_deltas(prev, 3, cur, 3, 1000000000, d, 2), 4);
	CHECK_EQ(tl_compute_deltas(NULL, 0, NULL, 0, 1, d, 4), 0);
	/* Everything gone. */
	CHECK_EQ(tl_compute_deltas(prev, 3, NULL, 0, 1, d, 4), 3);
	CHECK(d[0].presence == TL_GONE && d[2].presence == TL_GONE);
}

TEST(tl_thread_rows)
{
	struct sched_thread_stats p = thread(12, "ctl loop"),
				  c = thread(12, "ctl loop");
	p.params = c.params = dl_params(1000000, 2000000, 4000000);
	c.eff_cls = p.eff_cls = SCHED_CLASS_DL;
	c.state = SCHED_TS_BLOCKED;
	c.runtime_ns = 250000000;
	c.dispatches = 250;
	c.wakeups = 4;
	c.lat_min_ns = 3000;
	c.lat_max_ns = 40050;
	c.lat_sum_ns = 48000;
	c.dl_met = 250;
	struct tl_delta d[1];
	tl_compute_deltas(&p, 1, &c, 1, 1000000000, d, 1);
	char b[256];
	tl_fmt_thread_row(b, sizeof(b), &d[0]);
	STR_EQ(b, "     12      2  ctl_loop         DL 1.00/2.00/4.00 ms   "
		  "blocked     25.0     250  3.0/12.0/40.1              250/0  "
		  "   0");
	tl_fmt_thread_header(b, sizeof(b));
	STR_EQ(b, "   KOID   TASK  NAME             CLASS                  "
		  "STATE       CPU%    DISP  LAT us min/avg/max   DL met/miss"
		  "   THR");

	/* Gone, a kernel thread, donated into RT. */
	c = thread(7, "");
	c.task_koid = 0;
	c.eff_cls = SCHED_CLASS_RT;
	tl_compute_deltas(&c, 1, NULL, 0, 1000000000, d, 1);
	tl_fmt_thread_row(b, sizeof(b), &d[0]);
	STR_EQ(b, "-     7   kern  #7               BE w1024 >RT           "
		  "gone           -       -  -                              -"
		  "     -");
	/* New and throttled. */
	c.flags = SCHED_TS_THROTTLED;
	c.state = SCHED_TS_READY;
	c.runtime_ns = 5000000;
	c.eff_cls = SCHED_CLASS_BE;
	tl_compute_deltas(NULL, 0, &c, 1, 1000000000, d, 1);
	tl_fmt_thread_row(b, sizeof(b), &d[0]);
	STR_EQ(b, "+     7   kern  #7               BE w1024               "
		  "throttled    0.5       0  -                              -"
		  "     0");
}

TEST(tl_cpu_line)
{
	struct sched_cpu_info a = {.now_ns = 1000000000,
				   .idle_ns = 600000000,
				   .switches = 100,
				   .sched_calls = 10,
				   .sched_cycles = 5000};
	struct sched_cpu_info b = a;
	b.cpu = 1;
	b.now_ns += 1000000000;
	b.idle_ns += 625000000;
	b.switches += 120;
	b.nr_ready = 2;
	b.dl_density_ppm = 250000;
	b.sched_calls += 100;
	b.sched_cycles += 123400;
	char s[160];
	tl_fmt_cpu_line(s, sizeof(s), &a, &b);
	STR_EQ(s, "  cpu1  busy  37.5%  switches 120  ready 2  dl  25.0%  "
		  "1234 cycles/decision");
}

TEST(tl_merge_keeps_the_newest_in_order)
{
	struct sched_trace_rec c0[3] = {rec(0, 1, 10, 1), rec(0, 1, 30, 1),
					rec(0, 1, 50, 1)};
	struct sched_trace_rec c1[2] = {rec(1, 2, 20, 1), rec(1, 2, 40, 1)};
	struct tl_run runs[3] = {{c0, 3}, {c1, 2}, {NULL, 0}};
	struct sched_trace_rec out[8];
	CHECK_EQ(tl_merge_recent(runs, 3, out, 3), 3);
	CHECK(out[0].start_ns == 30 && out[1].start_ns == 40 &&
	      out[2].start_ns == 50);
	CHECK_EQ(tl_merge_recent(runs, 3, out, 8), 5);
	for (int i = 0; i < 5; i++)
		CHECK_EQ(out[i].start_ns, 10 * (i + 1));
	/* Equal starts keep the run order. */
	c1[1].start_ns = 30;
	CHECK_EQ(tl_merge_recent(runs, 2, out, 8), 5);
	CHECK(out[2].cpu == 0 && out[3].cpu == 1 && out[3].start_ns == 30);
	/* Empty rings. */
	struct tl_run none[2] = {{NULL, 0}, {NULL, 0}};
	CHECK_EQ(tl_merge_recent(none, 2, out, 8), 0);
	CHECK_EQ(tl_merge_recent(runs, 2, out, 0), 0);
}

TEST(tl_timeline_lines)
{
	struct sched_trace_rec r = rec(1, 12, 5001500000, 1000400);
	r.cls = SCHED_CLASS_DL;
	r.latency_ns = 12345;
	r.flags = SCHED_TREC_WOKEN | SCHED_TREC_DL_MET;
	char b[200];
	tl_fmt_timeline_line(b, sizeof(b), &r, 5000000000, "ctl");
	STR_EQ(b, "  +1.500  cpu1  ctl               DL    run   1000us  lat "
		  "    12us  WOKEN MET");
	r.latency_ns = UINT32_MAX; /* saturated */
	tl_fmt_timeline_line(b, sizeof(b), &r, 5000000000, "ctl");
	STR_EQ(b, "  +1.500  cpu1  ctl               DL    run   1000us  lat "
		  ">4294967us  WOKEN MET");
	r.flags = 0;
	r.cls = SCHED_CLASS_BE;
	tl_fmt_timeline_line(b, sizeof(b), &r, 5001500000, NULL);
	STR_EQ(b, "  +0.000  cpu1  #12               BE    run   1000us  lat "
		  "       -");
}

TEST(tl_legend_letters)
{
	struct sched_trace_rec r[5] = {rec(0, 9, 0, 1), rec(0, 3, 1, 1),
				       rec(1, 9, 2, 1), rec(1, 5, 3, 1),
				       rec(0, 1, 4, 1)};
	r[4].cls = SCHED_CLASS_IDLE;
	struct tl_legend lg;
	tl_legend_build(&lg, r, 5);
	CHECK_EQ(lg.n, 3);
	CHECK_EQ(lg.overflow, 0);
	CHECK_EQ(tl_legend_letter(&lg, 3), 'A');
	CHECK_EQ(tl_legend_letter(&lg, 5), 'B');
	CHECK_EQ(tl_legend_letter(&lg, 9), 'C');
	CHECK_EQ(tl_legend_letter(&lg, 1), '#');
	struct sched_thread_stats st[2] = {thread(3, "ctl"), thread(9, "log")};
	char b[1024];
	tl_fmt_legend(b, sizeof(b), &lg, NULL, 0, st, 2);
	STR_EQ(b, "  A=ctl  B=#5  C=log  .=idle");

	/* 70 threads, newest koids first: the lowest 62 get letters. */
	static struct sched_trace_rec many[70];
	for (int i = 0; i < 70; i++)
		many[i] = rec(0, 100 - (uint64_t)i, (uint64_t)i, 1);
	tl_legend_build(&lg, many, 70);
	CHECK_EQ(lg.n, TL_LEGEND_MAX);
	CHECK_EQ(lg.overflow, 1);
	CHECK_EQ(tl_legend_letter(&lg, 31), 'A');
	CHECK_EQ(tl_legend_letter(&lg, 92), '9');
	CHECK_EQ(tl_legend_letter(&lg, 93), '#');
	CHECK(tl_fmt_legend(b, sizeof(b), &lg, NULL, 0, NULL, 0) > 0);
	CHECK(strstr(b, "#=other  .=idle") != NULL);
	CHECK(strchr(b, '\n') != NULL); /* wrapped */

	tl_legend_build(&lg, NULL, 0);
	tl_fmt_legend(b, sizeof(b), &lg, NULL, 0, NULL, 0);
	STR_EQ(b, "  .=idle");
}

/* Two CPUs over 64 us (1 us a column): cpu0 A then B then idle, cpu1 idle
 * then C; a mixed column goes to the longer runner, a mostly idle one
 * to '.'. */
TEST(tl_chart_letters)
{
	struct sched_trace_rec r[7] = {
		rec(0, 3, 0, 32000),	 rec(1, 1, 0, 16000),
		rec(1, 9, 16000, 40400), rec(0, 5, 32000, 16000),
		rec(1, 3, 56400, 600),	 rec(1, 9, 57000, 1000),
		rec(1, 5, 63600, 400),
	};
	r[1].cls = SCHED_CLASS_IDLE; /* the idle thread's own record */
	struct tl_legend lg;
	tl_legend_build(&lg, r, 7);
	uint32_t cpus[2] = {0, 1};
	char b[1024];
	int n = tl_render_chart(b, sizeof(b), r, 7, cpus, 2, 64, &lg);
	const char *want =
		"  span 0.064 ms, 0.001 ms a column\n"
		"  cpu0  |AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB"
		"................|\n"
		"  cpu1  "
		"|................CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC"
		"AC......|\n";
	STR_EQ(b, want);
	CHECK_EQ(n, (int)strlen(want));

	/* Only cpu1; a buffer too small still ends in a NUL. */
	char small[40];
	n = tl_render_chart(small, sizeof(small), r, 7, &cpus[1], 1, 64, &lg);
	CHECK_EQ(n, (int)strlen(want) - 75);
	CHECK_EQ(strlen(small), sizeof(small) - 1);

	/* Span shorter than the columns: the rest stays blank. */
	struct sched_trace_rec t[1] = {rec(0, 3, 100, 4)};
	tl_legend_build(&lg, t, 1);
	tl_render_chart(b, sizeof(b), t, 1, cpus, 1, 8, &lg);
	STR_EQ(b, "  span 0.000 ms, 0.000 ms a column\n  cpu0  |AAAA    |\n");

	tl_render_chart(b, sizeof(b), NULL, 0, cpus, 2, 64, &lg);
	STR_EQ(b, "  (no dispatches recorded)\n");
}

TEST(tl_dump_lines)
{
	char b[256];
	tl_fmt_dump_header(b, sizeof(b), 2, 123456789);
	STR_EQ(b, "tl-dump v1 cpus=2 now=123456789");
	struct sched_thread_stats s = thread(12, "ctl loop");
	s.eff_cls = SCHED_CLASS_DL;
	tl_fmt_dump_thread(b, sizeof(b), &s);
	STR_EQ(b, "tl-thread koid=12 task=2 cls=DL name=ctl_loop");
	s = thread(1, "");
	s.task_koid = 0;
	s.eff_cls = SCHED_CLASS_IDLE;
	tl_fmt_dump_thread(b, sizeof(b), &s);
	STR_EQ(b, "tl-thread koid=1 task=0 cls=IDLE name=#1");
	struct sched_trace_rec r = rec(1, 12, 5000000000, 1000000);
	r.seq = 77;
	r.cls = SCHED_CLASS_DL;
	r.latency_ns = UINT32_MAX;
	r.deadline_ns = 5002000000;
	r.flags = SCHED_TREC_WOKEN | SCHED_TREC_DL_MET;
	tl_fmt_dump_rec(b, sizeof(b), 1, &r);
	STR_EQ(b, "tl-rec cpu=1 seq=77 koid=12 cls=DL start=5000000000 "
		  "run=1000000 lat=4294967295 dl=5002000000 flags=0x11");
	tl_fmt_dump_lost(b, sizeof(b), 3, 4096);
	STR_EQ(b, "tl-lost cpu=3 n=4096");
}
