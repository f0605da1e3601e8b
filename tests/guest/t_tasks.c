/* Tasks: create, exit status, kill, reclaim on death, memory quotas,
 * handing handles to a child. */
#include <string.h>

#include "gchild.h"
#include "gtest.h"
#include "gutil.h"

static uint64_t own_quota(void)
{
	const struct start_info *si = execrt_start_info();
	return si ? si->mem_quota : 0;
}

GTEST(task_create_kill_unstarted)
{
	handle_t t;
	struct handle_info hi;
	int64_t st = 0;
	GCHECK_OK(sys_task_create(g_self(), "empty", 5, 1 << 20, &t));
	GCHECK_OK(sys_handle_info(t, &hi));
	GCHECK_EQ(hi.type, OBJ_TASK);
	GCHECK(hi.koid != g_koid(g_self()));
	GCHECK_ERR(sys_object_wait(t, DEADLINE_POLL, &st), ERR_TIMED_OUT);
	GCHECK_OK(sys_task_kill(t, 33));
	GCHECK_OK(sys_object_wait(t, g_now() + 1000 * MS, &st));
	GCHECK_EQ(st, 33);
	GCHECK_OK(sys_handle_close(t));
	GCHECK_ERR(sys_object_wait(t, DEADLINE_POLL, &st), ERR_BAD_HANDLE);
}

GTEST(task_create_bad_input)
{
	handle_t t = HANDLE_INVALID, v;
	GCHECK_ERR(sys_task_create(HANDLE_INVALID, "x", 1, PAGE, &t),
		   ERR_BAD_HANDLE);
	GCHECK_OK(sys_vmo_create(PAGE, &v));
	long r = sys_task_create(v, "x", 1, PAGE, &t);
	sys_handle_close(v);
	GCHECK_ERR(r, ERR_WRONG_TYPE);
	handle_t weak = g_dup(g_self(), RIGHT_WAIT | RIGHT_DUPLICATE);
	GCHECK(weak);
	r = sys_task_create(weak, "x", 1, PAGE, &t);
	sys_handle_close(weak);
	GCHECK_ERR(r, ERR_ACCESS_DENIED);
	GCHECK_ERR(sys_task_create(g_self(), NULL, 4, PAGE, &t), ERR_FAULT);
	GCHECK_ERR(sys_task_create(g_self(), (const char *)KERNEL_PTR, 4, PAGE,
				   &t),
		   ERR_FAULT);
	GCHECK_ERR(sys_task_create(g_self(), (const char *)(UINT64_MAX - 2), 8,
				   PAGE, &t),
		   ERR_FAULT);
	GCHECK_ERR(sys_task_create(g_self(), "x", 1ull << 40, PAGE, &t),
		   ERR_INVALID_ARGS);
	/* No task may be left behind by a failed copy-out (leak check). */
	GCHECK_ERR(sys_task_create(g_self(), "x", 1, PAGE, NULL), ERR_FAULT);
	GCHECK_ERR(
		sys_task_create(g_self(), "x", 1, PAGE, (handle_t *)&own_quota),
		ERR_FAULT);
	/* More quota than this task has. */
	GCHECK_ERR(sys_task_create(g_self(), "x", 1, own_quota() + PAGE, &t),
		   ERR_NO_MEMORY);
	GCHECK_ERR(sys_task_create(g_self(), "x", 1, UINT64_MAX, &t),
		   ERR_NO_MEMORY);
}

GTEST(task_exit_status)
{
	struct child c;
	int64_t st = -1;
	GCHECK_OK(g_spawn(CHILD_WORK, "exit:7", CHILD_QUOTA, 0, &c));
	GCHECK_OK(g_reap(&c, 5000 * MS, &st));
	GCHECK_EQ(st, 7);
	GCHECK_OK(g_spawn(CHILD_WORK, "exit:-3", CHILD_QUOTA, 0, &c));
	GCHECK_OK(g_reap(&c, 5000 * MS, &st));
	GCHECK_EQ(st, -3);
}

GTEST(task_kill_running)
{
	struct child c;
	int64_t st = 0;
	GCHECK_OK(g_spawn(CHILD_WORK, "spin", CHILD_QUOTA, 0, &c));
	long r1 = sys_object_wait(c.task, DEADLINE_POLL, &st);
	long r2 = sys_object_wait(c.task, g_now() + 30 * MS, &st);
	long r3 = sys_task_kill(c.task, 77);
	long r4 = sys_object_wait(c.task, g_now() + 2000 * MS, &st);
	g_reap(&c, 1000 * MS, NULL);
	GCHECK_ERR(r1, ERR_TIMED_OUT);
	GCHECK_ERR(r2, ERR_TIMED_OUT);
	GCHECK_OK(r3);
	GCHECK_OK(r4);
	GCHECK_EQ(st, 77);
}

GTEST(task_kill_bad_input)
{
	struct child c;
	handle_t v;
	GCHECK_ERR(sys_task_kill(HANDLE_INVALID, 0), ERR_BAD_HANDLE);
	GCHECK_OK(sys_vmo_create(PAGE, &v));
	long r = sys_task_kill(v, 0);
	sys_handle_close(v);
	GCHECK_ERR(r, ERR_WRONG_TYPE);
	GCHECK_OK(g_spawn(CHILD_WORK, "spin", CHILD_QUOTA, 0, &c));
	handle_t weak = g_dup(c.task, RIGHT_WAIT);
	r = weak ? sys_task_kill(weak, 0) : -100;
	sys_handle_close(weak);
	g_reap(&c, 0, NULL); /* kills it */
	GCHECK_ERR(r, ERR_ACCESS_DENIED);
}

/* A dead task's handles, memory and threads are all given back. */
GTEST(task_kill_reclaims_everything)
{
	struct kernel_stats before, now;
	struct child c;
	GCHECK_OK(g_stats(&before));
	GCHECK_OK(g_spawn(CHILD_WORK, "hold", CHILD_QUOTA, 0, &c));
	/* Wait until it holds all it takes (its threads are running). */
	uint64_t end = g_now() + 3000 * MS;
	do {
		sys_sleep_until(g_now() + 5 * MS);
		g_stats(&now);
	} while (now.threads < before.threads + 1 + HOLD_THREADS &&
		 g_now() < end);
	sys_sleep_until(g_now() + 20 * MS);
	g_stats(&now);
	GCHECK_OK(sys_task_kill(c.task, 1));
	int64_t st;
	GCHECK_OK(g_reap(&c, 2000 * MS, &st));
	GCHECK_EQ(now.threads, before.threads + 1 + HOLD_THREADS);
	GCHECK_EQ(now.tasks, before.tasks + 1);
	GCHECK(now.frames_free + HOLD_MEM / PAGE <= before.frames_free);
	/* The harness checks that every counter comes back. */
}

/* Ending the task ends threads that are still running. */
GTEST(task_exit_ends_threads)
{
	struct child c;
	int64_t st = 0;
	GCHECK_OK(g_spawn(CHILD_WORK, "threads", CHILD_QUOTA, 0, &c));
	GCHECK_OK(g_reap(&c, 5000 * MS, &st));
	GCHECK_EQ(st, 5);
}

/* The child maps until ERR_NO_MEMORY, stays usable, reports the KiB. */
GTEST(task_memory_quota_enforced)
{
	struct child c;
	int64_t st = 0;
	const uint64_t quota = 4ull << 20;
	GCHECK_OK(g_spawn(CHILD_WORK, "hog", quota, 0, &c));
	GCHECK_OK(g_reap(&c, 10000 * MS, &st));
	if (st <= 0)
		printf("    hog failed: %lld\n", (long long)st);
	GCHECK(st > 0);
	GCHECK((uint64_t)st <= quota >> 10);
	/* Most of the quota is usable (the image is charged to us). */
	GCHECK((uint64_t)st >= (quota >> 10) / 2);
}

/* The quota moves to the child and comes back when it dies. */
GTEST(task_quota_returns)
{
	uint64_t q = own_quota() / 2;
	handle_t a, b;
	int64_t st;
	GCHECK(q >= (1 << 20));
	GCHECK_OK(sys_task_create(g_self(), "half", 4, q, &a));
	long r = sys_task_create(g_self(), "half", 4, q, &b);
	if (r == 0)
		sys_handle_close(b);
	sys_task_kill(a, 0);
	sys_object_wait(a, DEADLINE_NONE, &st);
	sys_handle_close(a);
	GCHECK_ERR(r, ERR_NO_MEMORY);
	for (int i = 0; i < 3; i++) {
		GCHECK_OK(sys_task_create(g_self(), "half", 4, q, &a));
		sys_task_kill(a, 0);
		sys_object_wait(a, DEADLINE_NONE, &st);
		GCHECK_OK(sys_handle_close(a));
	}
}

/* A handle moved to a child with fewer rights: gone here, usable there
 * only as far as its rights go. */
GTEST(task_give_handle_to_child)
{
	handle_t v;
	struct child c;
	int64_t st = 0;
	uint8_t b = 0x42;
	GCHECK_OK(sys_vmo_create(PAGE, &v));
	GCHECK_OK(sys_vmo_write(v, &b, 0, 1));
	long r = g_spawn_ex(CHILD_WORK, "vmo:@", CHILD_QUOTA, 0, v, RIGHT_READ,
			    &c);
	if (r < 0)
		sys_handle_close(v);
	GCHECK_OK(r);
	struct handle_info hi;
	long moved = sys_handle_info(v, &hi);
	GCHECK_OK(g_reap(&c, 5000 * MS, &st));
	GCHECK_ERR(moved, ERR_BAD_HANDLE);
	GCHECK_EQ(st, 0x42 | VMO_WRITE_DENIED);
}

GTEST(task_give_handle_bad_input)
{
	handle_t t, v, out;
	struct handle_info hi;
	GCHECK_OK(sys_task_create(g_self(), "recv", 4, 1 << 20, &t));
	GCHECK_OK(sys_vmo_create(PAGE, &v));
	handle_t no_tr = g_dup(v, RIGHT_READ | RIGHT_DUPLICATE);
	handle_t weak = g_dup(t, RIGHT_WAIT);
	long r[] = {
		sys_task_give_handle(HANDLE_INVALID, v, RIGHT_SAME, &out),
		sys_task_give_handle(v, v, RIGHT_SAME, &out),
		sys_task_give_handle(weak, v, RIGHT_SAME, &out),
		sys_task_give_handle(t, HANDLE_INVALID, RIGHT_SAME, &out),
		sys_task_give_handle(t, no_tr, RIGHT_SAME, &out),
		sys_task_give_handle(t, no_tr, RIGHT_READ, &out),
		sys_task_give_handle(t, v, 1u << 25, &out),
	};
	long want[] = {ERR_BAD_HANDLE,	ERR_WRONG_TYPE,	   ERR_ACCESS_DENIED,
		       ERR_BAD_HANDLE,	ERR_ACCESS_DENIED, ERR_ACCESS_DENIED,
		       ERR_INVALID_ARGS};
	/* More rights than held. */
	handle_t ro = g_dup(v, RIGHT_READ | RIGHT_TRANSFER);
	long more = sys_task_give_handle(t, ro, RIGHT_READ | RIGHT_WRITE, &out);
	/* Refused gives leave the handle where it was. */
	long still_v = sys_handle_info(v, &hi);
	long still_no_tr = sys_handle_info(no_tr, &hi);
	long still_ro = sys_handle_info(ro, &hi);
	sys_handle_close(ro);
	sys_handle_close(no_tr);
	sys_handle_close(weak);
	sys_handle_close(v);
	sys_task_kill(t, 0);
	int64_t st;
	sys_object_wait(t, DEADLINE_NONE, &st);
	sys_handle_close(t);
	for (unsigned i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		if (r[i] != want[i])
			printf("    give %u: %s\n", i, err_name(r[i]));
		GCHECK_ERR(r[i], want[i]);
	}
	GCHECK_ERR(more, ERR_ACCESS_DENIED);
	GCHECK_OK(still_v);
	GCHECK_OK(still_no_tr);
	GCHECK_OK(still_ro);
}

/* A bad out pointer: the error is reported; whatever happened to the
 * handle, killing the receiver frees everything. */
GTEST(task_give_handle_bad_out)
{
	handle_t t, v;
	int64_t st;
	GCHECK_OK(sys_task_create(g_self(), "recv", 4, 1 << 20, &t));
	GCHECK_OK(sys_vmo_create(PAGE, &v));
	long r1 = sys_task_give_handle(t, v, RIGHT_SAME, NULL);
	sys_handle_close(v); /* may already be gone (moved) */
	GCHECK_OK(sys_vmo_create(PAGE, &v));
	long r2 =
		sys_task_give_handle(t, v, RIGHT_SAME, (handle_t *)KERNEL_PTR);
	sys_handle_close(v);
	sys_task_kill(t, 0);
	sys_object_wait(t, DEADLINE_NONE, &st);
	sys_handle_close(t);
	GCHECK_ERR(r1, ERR_FAULT);
	GCHECK_ERR(r2, ERR_FAULT);
}

/* The receiver's handle quota counts: ERR_NO_RESOURCES, nothing lost. */
GTEST(task_give_handle_quota)
{
	handle_t t, d, out;
	int64_t st;
	long r = 0;
	unsigned given = 0;
	gtest_allow_growth();
	GCHECK_OK(sys_task_create(g_self(), "recv", 4, 1 << 20, &t));
	while (given < 2000) {
		d = g_dup(g_console(), RIGHT_SAME);
		if (!d) {
			r = -100;
			break;
		}
		r = sys_task_give_handle(t, d, RIGHT_SAME, &out);
		if (r < 0)
			break;
		given++;
	}
	struct handle_info hi;
	long kept = d ? sys_handle_info(d, &hi) : -100;
	sys_handle_close(d);
	sys_task_kill(t, 0);
	sys_object_wait(t, DEADLINE_NONE, &st);
	sys_handle_close(t);
	GCHECK_ERR(r, ERR_NO_RESOURCES);
	GCHECK(given <= 1024 && given >= 1024 - 16);
	GCHECK_OK(kept);
}
