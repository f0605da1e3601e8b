/* Soundness: tasks that never ran cannot keep themselves or each other
 * alive (issue 9). Handles to a task or its threads in its own table, or
 * in the table of another task that never ran, do not count; once no
 * other handle is left the task ends (TASK_STATUS_UNREACHABLE) and the
 * leak check after each test sees every counter back. */
#include "gtest.h"
#include "gutil.h"

/* Waits until the kernel's task count is back to `tasks`. */
static uint64_t tasks_settle(uint64_t tasks)
{
	struct kernel_stats ks = {0};
	for (int i = 0; i < 100; i++) {
		if (g_stats(&ks) == 0 && ks.tasks == tasks)
			break;
		sys_sleep_until(g_now() + 10 * MS);
	}
	return ks.tasks;
}

static uint64_t ntasks(void)
{
	struct kernel_stats ks = {0};
	g_stats(&ks);
	return ks.tasks;
}

GTEST(sound_task_never_run_holding_itself_ends)
{
	uint64_t before = ntasks();
	handle_t t, th, in_self, in_thread;
	GCHECK_OK(sys_task_create(g_self(), "selfish", 7, 1 << 20, &t));
	GCHECK_OK(sys_thread_create(t, "main", 4, &th));
	/* As a spawner does: the child gets handles to itself and its
	 * thread (moved duplicates). */
	handle_t d1 = g_dup(t, RIGHT_SAME), d2 = g_dup(th, RIGHT_SAME);
	GCHECK_OK(sys_task_give_handle(t, d1, RIGHT_SAME, &in_self));
	GCHECK_OK(sys_task_give_handle(t, d2, RIGHT_SAME, &in_thread));
	GCHECK_EQ(ntasks(), before + 1);
	/* A handle kept elsewhere keeps it: wait on it while the thread
	 * handle is gone. */
	GCHECK_OK(sys_handle_close(th));
	GCHECK_ERR(sys_object_wait(t, DEADLINE_POLL, NULL), ERR_TIMED_OUT);
	/* The last outside handle goes: nothing could ever start it. */
	GCHECK_OK(sys_handle_close(t));
	GCHECK_EQ(tasks_settle(before), before);
}

GTEST(sound_task_given_its_own_last_handle_ends)
{
	uint64_t before = ntasks();
	handle_t t, w, in_self;
	GCHECK_OK(sys_task_create(g_self(), "selfish", 7, 1 << 20, &t));
	w = g_dup(t, RIGHT_WAIT);
	/* Moving the task's (last but one) handle into itself works ... */
	GCHECK_OK(sys_task_give_handle(t, t, RIGHT_SAME, &in_self));
	GCHECK_ERR(sys_handle_close(t), ERR_BAD_HANDLE); /* moved */
	GCHECK_ERR(sys_object_wait(w, DEADLINE_POLL, NULL), ERR_TIMED_OUT);
	/* ... and when the last outside one goes, the task ends. */
	GCHECK_OK(sys_handle_close(w));
	GCHECK_EQ(tasks_settle(before), before);
}

GTEST(sound_two_never_run_tasks_holding_each_other_end)
{
	uint64_t before = ntasks();
	handle_t a, b, a_in_b, b_in_a;
	GCHECK_OK(sys_task_create(g_self(), "a", 1, 1 << 20, &a));
	GCHECK_OK(sys_task_create(g_self(), "b", 1, 1 << 20, &b));
	handle_t da = g_dup(a, RIGHT_SAME), db = g_dup(b, RIGHT_SAME);
	GCHECK_OK(sys_task_give_handle(b, da, RIGHT_SAME, &a_in_b));
	GCHECK_OK(sys_task_give_handle(a, db, RIGHT_SAME, &b_in_a));
	GCHECK_EQ(ntasks(), before + 2);
	/* Neither ever ran: their tables keep nothing reachable. a ends
	 * at once (its object lingers while b's table names it), b with its
	 * last handle, and both objects go. */
	GCHECK_OK(sys_handle_close(a));
	GCHECK_OK(sys_handle_close(b));
	GCHECK_EQ(tasks_settle(before), before);
}

GTEST(sound_task_that_ran_keeps_what_it_holds)
{
	/* A child that runs holds a never-run sibling: the sibling stays
	 * while the child lives (it could start it), and ends with it. */
	uint64_t before = ntasks();
	handle_t sib, d, in_child;
	GCHECK_OK(sys_task_create(g_self(), "sib", 3, 1 << 20, &sib));
	struct child c;
	GCHECK_OK(g_spawn(CHILD_WORK, "spin", CHILD_QUOTA, 0, &c));
	d = g_dup(sib, RIGHT_SAME);
	GCHECK_OK(sys_task_give_handle(c.task, d, RIGHT_SAME, &in_child));
	GCHECK_OK(sys_handle_close(sib));
	sys_sleep_until(g_now() + 20 * MS);
	uint64_t with_child = ntasks();
	GCHECK_OK(sys_task_kill(c.task, 7));
	int64_t st = 0;
	g_reap(&c, 2000 * MS, &st);
	GCHECK_EQ(with_child, before + 2);
	GCHECK_EQ(st, 7);
	GCHECK_EQ(tasks_settle(before), before);
}

GTEST(sound_never_run_parent_waits_for_its_children)
{
	/* A never-run task nobody holds is kept while it has children (they
	 * live on its quota), and ends with the last of them. */
	uint64_t before = ntasks();
	handle_t p, c;
	GCHECK_OK(sys_task_create(g_self(), "p", 1, 1 << 20, &p));
	GCHECK_OK(sys_task_create(p, "c", 1, 1 << 19, &c));
	GCHECK_OK(sys_handle_close(p));
	sys_sleep_until(g_now() + 10 * MS);
	uint64_t with_child = ntasks();
	GCHECK_ERR(sys_object_wait(c, DEADLINE_POLL, NULL), ERR_TIMED_OUT);
	GCHECK_OK(sys_handle_close(c));
	GCHECK_EQ(with_child, before + 2);
	GCHECK_EQ(tasks_settle(before), before);
}

/* Review finding N1: a chain of never-run parents Q_i, each holding the
 * handle of the next pair's child C_(i+1). Closing C_1 ends Q_1, whose
 * table drops C_2, whose freeing ends Q_2, ... Run inline, each link
 * nested a teardown on the closing thread's kernel stack (~350 bytes a
 * link: 45 links overflowed 16 KiB). The reaper does one at a time. */
GTEST(sound_never_run_chain_ends_without_nesting)
{
	enum { N = 300 };
	gtest_allow_growth(); /* task and account slabs may stay */
	static handle_t q[N], c[N];
	uint64_t before = ntasks();
	int made = 0;
	for (; made < N; made++) {
		if (sys_task_create(g_self(), "q", 1, 32 << 10, &q[made]) < 0)
			break;
		if (sys_task_create(q[made], "c", 1, 8 << 10, &c[made]) < 0) {
			sys_handle_close(q[made]);
			break;
		}
	}
	GCHECK_EQ(made, N);
	long moved = 0;
	for (int i = 0; i + 1 < made; i++) {
		handle_t in_q;
		moved += sys_task_give_handle(q[i], c[i + 1], RIGHT_SAME,
					      &in_q) == 0;
	}
	/* Each C_(i+1) ended when its handle went into Q_i; Q_1 still
	 * waits for the live C_1. Closing the Qs lets Q_2.. go, each end
	 * freeing the next link, and C_1 the rest. */
	for (int i = 0; i < made; i++)
		sys_handle_close(q[i]);
	if (made)
		sys_handle_close(c[0]);
	GCHECK_EQ(moved, N - 1);
	GCHECK_EQ(tasks_settle(before), before);
}

/* Review finding P1: a never-run parent holding the last handle to its
 * own (never-run) child. The child ends at once (nobody can reach it), but
 * stayed on the parent's children list, and the parent waited for it
 * forever: it now waits only for children that are not torn down. */
GTEST(sound_never_run_parent_holding_its_childs_last_handle_ends)
{
	uint64_t before = ntasks();
	handle_t p, c, in_p;
	GCHECK_OK(sys_task_create(g_self(), "p", 1, 64 << 10, &p));
	GCHECK_OK(sys_task_create(p, "c", 1, 8 << 10, &c));
	GCHECK_OK(sys_task_give_handle(p, c, RIGHT_SAME, &in_p));
	GCHECK_EQ(ntasks(), before + 2);
	sys_handle_close(p);
	GCHECK_EQ(tasks_settle(before), before);
}
