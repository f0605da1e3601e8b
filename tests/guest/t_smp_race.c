/* Task creation, kill and handle closing raced from two CPUs (issue 12,
 * docs/smp.md): the test's thread on CPU 0 makes tasks — a never-run one
 * holding a thread and a mapped memory object, or every 8th round a
 * running child — and passes a duplicate of each task handle to a killer
 * on CPU 1 through a one-slot mailbox, closing its own handles at once.
 * The killer kills the task, waits for its end and closes the duplicate,
 * so kill, the creator's closes and the task's teardown meet on two CPUs.
 * The harness's leak check after the test shows frames, objects, tasks
 * and threads back at the baseline. */
#include <string.h>

#include "gtest.h"
#include "gutil.h"

#define RACE_ROUNDS 1000
#define RACE_QUOTA  (256ull << 10)

static handle_t mailbox; /* a task handle for the killer, or 0 */
static int killer_stop;
static long killer_err;

static int64_t killer(uint64_t arg)
{
	(void)arg;
	int64_t killed = 0;
	for (;;) {
		handle_t t = __atomic_exchange_n(&mailbox, 0, __ATOMIC_ACQ_REL);
		if (!t) {
			if (__atomic_load_n(&killer_stop, __ATOMIC_ACQUIRE))
				break;
			sys_yield();
			continue;
		}
		long r = sys_task_kill(t, -1);
		int64_t st;
		if (r == 0)
			r = sys_object_wait(t, g_now() + 2000 * MS, &st);
		/* A never-run task may already have ended as unreachable
		 * (its creator closed its last outside handle first). */
		if (r < 0 && r != ERR_BAD_STATE && !killer_err)
			killer_err = r;
		sys_handle_close(t);
		killed++;
	}
	return killed;
}

/* A task that never runs, holding a thread and a mapped object. */
static long make_idle_task(handle_t *task)
{
	handle_t th = 0, v = 0;
	long r = sys_task_create(g_self(), "race", 4, RACE_QUOTA, task);
	if (r < 0)
		return r;
	if ((r = sys_thread_create(*task, "t", 1, &th)) == 0 &&
	    (r = sys_vmo_create(2 * PAGE, &v)) == 0) {
		struct vm_map_req req = {.len = 2 * PAGE,
					 .prot = VM_PROT_READ | VM_PROT_WRITE};
		uint64_t addr;
		r = sys_vm_map(*task, v, &req, &addr);
	}
	if (th)
		sys_handle_close(th);
	if (v)
		sys_handle_close(v);
	return r;
}

GTEST(smp_race_task_create_kill_close_1000_rounds)
{
	unsigned ncpu = g_ncpus();
	mailbox = 0;
	killer_stop = 0;
	killer_err = 0;
	struct gthread k;
	struct sched_params p = {.cls = SCHED_CLASS_BE,
				 .weight = SCHED_BE_WEIGHT_DEFAULT,
				 .cpu = (int32_t)(1 % ncpu)};
	GCHECK_OK(gthread_start_sched(&k, killer, 0, &p));
	long err = 0;
	unsigned spawned = 0;
	for (unsigned i = 0; i < RACE_ROUNDS && !err; i++) {
		handle_t task = 0, d = 0;
		struct child c;
		memset(&c, 0, sizeof(c));
		if (i % 8 == 0) {
			err = g_spawn(CHILD_WORK, "spin", CHILD_QUOTA, 0, &c);
			task = c.task;
			spawned += err == 0;
		} else {
			err = make_idle_task(&task);
		}
		if (!err)
			err = sys_handle_dup(task, RIGHT_SAME, &d);
		/* The killer takes the last one before the next is made. */
		while (!err && __atomic_load_n(&mailbox, __ATOMIC_ACQUIRE))
			sys_yield();
		if (!err)
			__atomic_store_n(&mailbox, d, __ATOMIC_RELEASE);
		else if (d)
			sys_handle_close(d);
		if (c.thread)
			sys_handle_close(c.thread);
		if (task)
			sys_handle_close(task);
	}
	__atomic_store_n(&killer_stop, 1, __ATOMIC_RELEASE);
	int64_t killed = -1;
	GCHECK_OK(gthread_join(&k, g_now() + 10000 * MS, &killed));
	printf("    %u rounds (%u running children) on %u CPUs, %lld killed\n",
	       RACE_ROUNDS, spawned, ncpu, (long long)killed);
	GCHECK_OK(err);
	GCHECK_OK(killer_err);
	GCHECK_EQ(killed, RACE_ROUNDS);
}
