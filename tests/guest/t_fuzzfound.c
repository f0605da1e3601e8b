/* Regression tests for what the in-guest fuzzer found (t_fuzz.c,
 * docs/testing.md "Guest fuzzer"): each a small deterministic
 * reproduction of one finding. */
#include "gtest.h"
#include "gutil.h"

/* A child task whose thread sits suspended in a fault, and nobody holds a
 * handle to it: after its parent was killed it used to live on forever
 * (found as leaked tasks after a fuzzing batch). Now a task's death kills
 * the tasks below it. */
GTEST(fuzzfound_killed_task_takes_its_children)
{
	handle_t a, b, th;
	int64_t st = 0;
	GCHECK_OK(sys_task_create(g_self(), "a", 1, 64 * PAGE, &a));
	long r = sys_task_create(a, "b", 1, 16 * PAGE, &b);
	if (r == 0 && (r = sys_thread_create(b, "t", 1, &th)) == 0) {
		r = sys_task_set_fault_handler(b, 1);
		if (r == 0) /* nothing mapped there: it faults, is suspended */
			r = sys_thread_start(th, USER_BASE, USER_BASE + PAGE, 0);
		sys_handle_close(th);
	}
	struct fault_report fr;
	long rf = r ? r : sys_fault_wait(b, g_now() + 2000 * MS, &fr);
	long rk = sys_task_kill(a, 3);
	long rw = sys_object_wait(b, g_now() + 2000 * MS, &st);
	sys_handle_close(b);
	sys_handle_close(a);
	GCHECK_OK(r);
	GCHECK_OK(rf);
	GCHECK_OK(rk);
	GCHECK_OK(rw);
	GCHECK_EQ(st, TASK_STATUS_PARENT_DIED);
}

/* The same down a chain of tasks deeper than a kernel stack could recurse,
 * none of them reachable but the first and the last. */
GTEST(fuzzfound_kill_deep_chain)
{
	enum { DEPTH = 300 };
	handle_t top, cur, last = HANDLE_INVALID;
	int64_t st = 0;
	/* Each level: its root table, the next level's quota and what
	 * creating a task costs its parent (TASK_CREATE_CHARGE + account). */
	long r = sys_task_create(g_self(), "c", 1, (DEPTH + 1) * 3 * PAGE, &top);
	GCHECK_OK(r);
	cur = top;
	for (int i = 1; i < DEPTH && r == 0; i++) {
		handle_t n;
		r = sys_task_create(cur, "c", 1, (DEPTH + 1 - i) * 3 * PAGE, &n);
		if (r == 0) {
			if (cur != top)
				sys_handle_close(cur);
			cur = n;
		}
	}
	last = cur;
	long rk = sys_task_kill(top, 4);
	long rw = sys_object_wait(last, DEADLINE_POLL, &st);
	if (last != top)
		sys_handle_close(last);
	sys_handle_close(top);
	GCHECK_OK(r);
	GCHECK_OK(rk);
	GCHECK_OK(rw);
	GCHECK_EQ(st, TASK_STATUS_PARENT_DIED);
}

/* No child for a task that is already dying (refused by the quota charge
 * already; task_create checks again under the parent's lock for a kill
 * racing the creation). */
GTEST(fuzzfound_dead_task_gets_no_child)
{
	handle_t a, b;
	GCHECK_OK(sys_task_create(g_self(), "a", 1, 16 * PAGE, &a));
	long rk = sys_task_kill(a, 0);
	long rc = sys_task_create(a, "b", 1, 4 * PAGE, &b);
	if (rc == 0)
		sys_handle_close(b);
	sys_handle_close(a);
	GCHECK_OK(rk);
	GCHECK(rc == ERR_NO_MEMORY || rc == ERR_BAD_STATE);
}
