/* SYS_TASK_STATS (issue 10): the live tasks with their name, memory,
 * threads and CPU time, paged by koid; a dead task is gone from the list
 * even while a handle keeps its object. */
#include <string.h>

#include "gchild.h"
#include "gtest.h"
#include "gutil.h"

#define MAXT 64

static struct task_stats ts[MAXT];

/* The record of koid, or NULL. */
static const struct task_stats *find(uint64_t koid, long n)
{
	for (long i = 0; i < n; i++)
		if (ts[i].koid == koid)
			return &ts[i];
	return NULL;
}

GTEST(kern10_task_stats_child_appears_and_goes)
{
	struct child c;
	GCHECK_OK(g_spawn(CHILD_WORK, "hold", CHILD_QUOTA, 0, &c));
	uint64_t koid = g_koid(c.task), self = g_koid(g_self());
	/* Wait until it holds its threads and memory. */
	struct task_stats got = {0};
	uint64_t end = g_now() + 5000 * MS;
	long n = 0;
	while (g_now() < end) {
		n = sys_task_stats(g_sysinfo(), 0, ts, MAXT);
		const struct task_stats *s = n > 0 ? find(koid, n) : NULL;
		if (s)
			got = *s;
		if (got.threads == HOLD_THREADS + 1 && got.mem_used > HOLD_MEM)
			break;
		sys_sleep_until(g_now() + 5 * MS);
	}
	const struct task_stats *me = n > 0 ? find(self, n) : NULL;
	struct task_stats mine = me ? *me : (struct task_stats){0};
	sys_task_kill(c.task, 9);
	long w = sys_object_wait(c.task, g_now() + 5000 * MS, NULL);
	/* Dead: not listed although c.task still names its object. */
	long n2 = sys_task_stats(g_sysinfo(), 0, ts, MAXT);
	int listed_dead = n2 > 0 && find(koid, n2) != NULL;
	g_reap(&c, 1000 * MS, NULL);
	long n3 = sys_task_stats(g_sysinfo(), 0, ts, MAXT);
	int listed_reaped = n3 > 0 && find(koid, n3) != NULL;
	GCHECK(n > 0);
	GCHECK_EQ(got.koid, koid);
	GCHECK_EQ(got.parent_koid, self);
	GCHECK(strcmp(got.name, CHILD_WORK) == 0);
	GCHECK_EQ(got.mem_quota, CHILD_QUOTA);
	GCHECK(got.mem_used > HOLD_MEM && got.mem_used <= CHILD_QUOTA);
	GCHECK_EQ(got.threads, HOLD_THREADS + 1);
	GCHECK(got.runtime_ns > 0);
	GCHECK_EQ(got.state, 0);
	GCHECK_EQ(got.cpu_quota_period_ns, 0);
	/* This task: the root (no parent), its own quota and use. */
	GCHECK_EQ(mine.koid, self);
	GCHECK_EQ(mine.parent_koid, 0);
	GCHECK(strcmp(mine.name, "guest-tests") == 0);
	GCHECK(mine.threads >= 1);
	GCHECK(mine.mem_used > CHILD_QUOTA); /* the child's quota is in it */
	GCHECK_OK(w);
	GCHECK(n2 >= 0);
	GCHECK(!listed_dead);
	GCHECK(n3 >= 0);
	GCHECK(!listed_reaped);
}

GTEST(kern10_task_stats_paging_and_quota)
{
	handle_t t[3];
	uint64_t k[3];
	for (int i = 0; i < 3; i++) {
		GCHECK_OK(sys_task_create(g_self(), "page", 4, 1 << 20, &t[i]));
		k[i] = g_koid(t[i]);
	}
	long q = sys_task_set_cpu_quota(g_sched(), t[1], 2 * MS, 10 * MS);
	long all = sys_task_stats(g_sysinfo(), 0, ts, MAXT);
	/* One at a time from the start: the same tasks, ascending. */
	uint64_t after = 0, prev = 0;
	long pages = 0, same = 1, mine = 0;
	struct task_stats one;
	for (;;) {
		long r = sys_task_stats(g_sysinfo(), after, &one, 1);
		if (r != 1) {
			same &= r == 0;
			break;
		}
		same &= one.koid > prev && all > pages &&
			ts[pages].koid == one.koid;
		for (int i = 0; i < 3; i++)
			if (one.koid == k[i]) {
				mine++;
				same &= one.threads == 0 && one.state == 0 &&
					!strcmp(one.name, "page") &&
					one.mem_quota == 1 << 20;
				if (i == 1)
					same &= one.cpu_quota_runtime_ns ==
							2 * MS &&
						one.cpu_quota_period_ns ==
							10 * MS;
			}
		prev = after = one.koid;
		pages++;
	}
	/* From the middle: only the later ones. */
	long tail = sys_task_stats(g_sysinfo(), k[1], ts, MAXT);
	long tail_first_ok = tail > 0 && ts[0].koid > k[1];
	/* max 0: nothing copied, nothing checked. */
	long zero = sys_task_stats(g_sysinfo(), 0, NULL, 0);
	for (int i = 0; i < 3; i++) {
		sys_task_kill(t[i], 0);
		sys_handle_close(t[i]);
	}
	GCHECK_OK(q);
	GCHECK(all >= 4);
	GCHECK_EQ(pages, all);
	GCHECK(same);
	GCHECK_EQ(mine, 3);
	GCHECK(tail >= 1);
	GCHECK(tail_first_ok);
	GCHECK_EQ(zero, 0);
}

GTEST(kern10_task_stats_bad_input)
{
	handle_t noread = g_dup(g_sysinfo(), RIGHTS_SYSINFO & ~RIGHT_READ);
	long e[8];
	e[0] = sys_task_stats(noread, 0, ts, 1);
	e[1] = sys_task_stats(g_console(), 0, ts, 1);
	e[2] = sys_task_stats(HANDLE_INVALID, 0, ts, 1);
	e[3] = sys_task_stats(g_sysinfo(), 0, NULL, 1);
	e[4] = sys_task_stats(g_sysinfo(), 0, (struct task_stats *)KERNEL_PTR,
			      1);
	e[5] = sys_task_stats(g_sysinfo(), 0, (struct task_stats *)NONCANON_PTR,
			      1);
	/* A buffer whose second record runs into an unmapped page: the
	 * copy faults half-way (after the kernel's own buffer was made).
	 * Two tasks at least: this one and an unstarted child. */
	handle_t t = HANDLE_INVALID;
	sys_task_create(g_self(), "two", 3, 1 << 16, &t);
	uint8_t *m = g_map(2 * PAGE);
	if (m)
		g_unmap(m + PAGE, PAGE);
	e[6] = m ? sys_task_stats(
			   g_sysinfo(), 0,
			   (struct task_stats *)(m + PAGE - sizeof(ts[0]) - 8),
			   2)
		 : -1;
	if (m)
		g_unmap(m, PAGE);
	sys_task_kill(t, 0);
	sys_handle_close(t);
	/* Records that would run past the end of user space. */
	e[7] = sys_task_stats(g_sysinfo(), 0,
			      (struct task_stats *)(USER_TOP - sizeof(ts[0])),
			      2);
	sys_handle_close(noread);
	gtest_allow_growth(); /* g_map: page tables may stay */
	GCHECK_ERR(e[0], ERR_ACCESS_DENIED);
	GCHECK_ERR(e[1], ERR_WRONG_TYPE);
	GCHECK_ERR(e[2], ERR_BAD_HANDLE);
	GCHECK_ERR(e[3], ERR_FAULT);
	GCHECK_ERR(e[4], ERR_FAULT);
	GCHECK_ERR(e[5], ERR_FAULT);
	GCHECK_ERR(e[6], ERR_FAULT);
	GCHECK_ERR(e[7], ERR_FAULT);
}
