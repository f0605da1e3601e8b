/* The shell's ps/mem/uptime formatting (apps/sh/psfmt.c). */
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "psfmt.h"

TEST(sh_fmt_bytes_units)
{
	char b[16];
	ps_fmt_bytes(b, sizeof(b), 0);
	STR_EQ(b, "0B");
	ps_fmt_bytes(b, sizeof(b), 1023);
	STR_EQ(b, "1023B");
	ps_fmt_bytes(b, sizeof(b), 4096);
	STR_EQ(b, "4.0K");
	ps_fmt_bytes(b, sizeof(b), 12 * 1024 + 1000);
	STR_EQ(b, "12K");
	ps_fmt_bytes(b, sizeof(b), 1024 * 1024 - 1);
	STR_EQ(b, "1023K");
	ps_fmt_bytes(b, sizeof(b), 1536 * 1024);
	STR_EQ(b, "1.5M");
	ps_fmt_bytes(b, sizeof(b), 64ull << 20);
	STR_EQ(b, "64M");
	ps_fmt_bytes(b, sizeof(b), 2ull << 30);
	STR_EQ(b, "2.0G");
	ps_fmt_bytes(b, sizeof(b), UINT64_MAX);
	STR_EQ(b, "16777215T");
	/* Truncation behaves like snprintf. */
	CHECK_EQ(ps_fmt_bytes(b, 3, 1536 * 1024), 4);
	STR_EQ(b, "1.");
}

TEST(sh_fmt_task_cpu_share)
{
	struct task_stats prev[3] = {{.koid = 2, .runtime_ns = 100},
				     {.koid = 5, .runtime_ns = 1000000},
				     {.koid = 9, .runtime_ns = 50}};
	struct task_stats cur = {.koid = 5, .runtime_ns = 51000000};
	/* 50 ms of 200 ms: 25.0% */
	CHECK_EQ(ps_task_permille(prev, 3, &cur, 200000000), 250);
	/* New task: all its runtime is the window's. */
	cur.koid = 7;
	CHECK_EQ(ps_task_permille(prev, 3, &cur, 510000000), 100);
	/* A counter that went backwards counts 0; a zero window 0. */
	cur.koid = 5;
	cur.runtime_ns = 10;
	CHECK_EQ(ps_task_permille(prev, 3, &cur, 1000), 0);
	CHECK_EQ(ps_task_permille(prev, 3, &cur, 0), 0);
	/* Clamped to 100% (the samples are not simultaneous). */
	cur.runtime_ns = 999000000;
	CHECK_EQ(ps_task_permille(prev, 3, &cur, 1000), 1000);
	CHECK_EQ(ps_task_permille(NULL, 0, &cur, 1998000000), 500);
}

TEST(sh_fmt_task_cpu_from_threads)
{
	struct sched_thread_stats th[4] = {{.koid = 10, .task_koid = 9},
					   {.koid = 11, .task_koid = 9},
					   {.koid = 12, .task_koid = 3},
					   {.koid = 13, .task_koid = 9}};
	struct tl_delta d[4] = {{.cur = &th[0], .run_ns = 30000000},
				{.cur = &th[1], .run_ns = 20000000},
				{.cur = &th[2], .run_ns = 90000000},
				{.prev = &th[3], .run_ns = 0}};
	/* 50 ms of 200 ms: threads 10 and 11, not 12 (another task). */
	CHECK_EQ(ps_threads_permille(d, 4, 9, 200000000), 250);
	CHECK_EQ(ps_threads_permille(d, 4, 3, 100000000), 900);
	CHECK_EQ(ps_threads_permille(d, 4, 77, 100000000), 0);
	/* Two CPUs' worth is clamped to 100%. */
	d[0].run_ns = 190000000;
	CHECK_EQ(ps_threads_permille(d, 4, 9, 100000000), 1000);
	/* No overflow from absurd counters. */
	d[0].run_ns = UINT64_MAX;
	CHECK_EQ(ps_threads_permille(d, 4, 9, 100000000), 1000);
}

TEST(sh_fmt_rows)
{
	char b[200];
	ps_fmt_header(b, sizeof(b));
	STR_EQ(b, "  KOID PARENT  NAME                 STATE     CPU%   MEM "
		  "USED/QUOTA  CPU QUOTA");
	struct task_stats t = {.koid = 12,
			       .parent_koid = 3,
			       .mem_quota = 16ull << 20,
			       .mem_used = 1536 * 1024,
			       .threads = 1,
			       .cpu_quota_runtime_ns = 2500000,
			       .cpu_quota_period_ns = 10000000};
	strcpy(t.name, "test\x1bsvc");
	ps_fmt_task(b, sizeof(b), &t, 123);
	STR_EQ(b, "    12      3  test?svc             running   12.3%         "
		  "1.5M/16M  2.500/10.000 ms");
	memset(t.name, 'n', sizeof(t.name)); /* not NUL-terminated */
	t.state = 1;
	t.cpu_quota_period_ns = 0;
	ps_fmt_task(b, sizeof(b), &t, 1000);
	CHECK(strstr(b, "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn dying    100.0%"));
	CHECK(strstr(b, "  -") == b + strlen(b) - 3);
	t.name[0] = '\0';
	ps_fmt_task(b, sizeof(b), &t, 0);
	CHECK(strstr(b, "  -                    dying"));

	struct sched_thread_stats th = {.koid = 13,
					.task_koid = 12,
					.state = SCHED_TS_BLOCKED,
					.cpu = 1};
	th.params.cls = SCHED_CLASS_RT;
	th.params.priority = 20;
	strcpy(th.name, "main");
	struct tl_delta d = {.cur = &th, .cpu_permille = 5};
	ps_fmt_thread(b, sizeof(b), &d);
	STR_EQ(b, "      13 thread main             RT 20 fifo              "
		  "0.5%  blocked cpu1");
	d.cur = NULL;
	d.prev = &th;
	ps_fmt_thread(b, sizeof(b), &d);
	CHECK(strstr(b, "ended cpu1"));
}

TEST(sh_fmt_mem_uptime)
{
	char b[600];
	struct kernel_stats k = {.frames_total = 32768,
				 .frames_free = 30000,
				 .frames_cached = 12,
				 .kobjects_live = 140,
				 .slab_objects = 900,
				 .tasks = 7,
				 .threads = 15,
				 .cpus_online = 2,
				 .accounts = 8,
				 .mem_quota = 32ull << 20,
				 .mem_used = 5ull << 20};
	ps_fmt_mem(b, sizeof(b), &k);
	CHECK(strstr(b, "frames:   32768 total (128M), 30000 free (117M), "
			"12 cached (48K)\n"));
	CHECK(strstr(b, "tasks:    7 tasks, 15 threads, 2 CPUs\n"));
	CHECK(strstr(b, "sh:       5.0M used of 32M quota\n"));
	ps_fmt_uptime(b, sizeof(b), 3723004000000ull);
	STR_EQ(b, "up 1:02:03.004 (3723004 ms)");
	ps_fmt_uptime(b, sizeof(b), 999999);
	STR_EQ(b, "up 0:00:00.000 (0 ms)");
}
