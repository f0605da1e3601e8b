/* The reaper: a kernel thread that ends and frees tasks away from the
 * context that found them ready to go.
 *
 * Why: ending a task closes its handle table and empties its address
 * space. Done inline it would nest (a table holding the last handle to a
 * never-run task whose table holds the next ... costs a stack frame chain
 * per link, and kernel stacks are 16 KiB), and it could run in the
 * scheduler's switch path (sched_finish_switch drops a dead thread, which
 * may drop its task) with interrupts off, where lock_uvm could spin
 * against a CPU that waits for this one to answer a TLB shootdown. Here
 * each queued task is handled alone, flat, with interrupts on.
 *
 * Two kinds of work: "free" (the task's last reference is gone: the
 * queue owns it) and "end" (a never-run task nobody can reach: the queue
 * holds a reference until it has been killed). A task is on the queue at
 * most once (reap_queued): a second "end" while one waits is dropped, and
 * an "end" entry holds a reference, so "free" comes only after it left.
 *
 * Lock order: reap_wq.lock is taken alone. Before reaper_start() (boot)
 * and in host tests the work runs inline. */
#include <execrt/syscall.h>
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/reaper.h>
#include <kern/sched.h>
#include <kern/task.h>
#include <kern/thread.h>

static struct wait_queue reap_wq;
static struct task *reap_head, *reap_tail; /* FIFO, reap_wq.lock */
static bool reaper_running;

/* Queues t; false if it is queued already (only an "end" can be: the
 * queued entry holds a reference, so no "free" comes meanwhile). */
static bool push(struct task *t, bool end)
{
	unsigned long f = spin_lock_irqsave(&reap_wq.lock);
	bool fresh = !t->reap_queued;
	if (fresh) {
		t->reap_queued = true;
		t->reap_end = end;
		t->reap_next = NULL;
		if (reap_tail)
			reap_tail->reap_next = t;
		else
			reap_head = t;
		reap_tail = t;
		wait_queue_wake_locked(&reap_wq, 0, 1);
	}
	spin_unlock_irqrestore(&reap_wq.lock, f);
	return fresh;
}

static void work(struct task *t, bool end)
{
	if (end) {
		task_end_unreachable(t);
		kobj_put(&t->obj); /* may queue its "free" */
	} else {
		task_free_now(t);
	}
}

void reaper_free(struct task *t)
{
	if (READ_ONCE(reaper_running))
		BUG_ON(!push(t, false)); /* queued entries hold a reference */
	else
		work(t, false);
}

void reaper_end(struct task *t)
{
	if (!kobj_tryget(&t->obj))
		return; /* being freed already: that ends it */
	if (!READ_ONCE(reaper_running))
		work(t, true);
	else if (!push(t, true))
		kobj_put(&t->obj); /* one queued "end" does for both */
}

static void reaper_main(void *arg)
{
	(void)arg;
	for (;;) {
		unsigned long f = spin_lock_irqsave(&reap_wq.lock);
		while (!reap_head)
			wait_queue_block(&reap_wq, DEADLINE_NONE);
		struct task *t = reap_head;
		reap_head = t->reap_next;
		if (!reap_head)
			reap_tail = NULL;
		bool end = t->reap_end;
		t->reap_queued = false; /* may be queued again from here */
		spin_unlock_irqrestore(&reap_wq.lock, f);
		work(t, end);
	}
}

void reaper_start(void)
{
	wait_queue_init(&reap_wq);
	/* Best effort with a large share: the work is caused by best-effort
	 * tasks as much as by anyone, so it must not delay real-time
	 * threads (an RT reaper would be a priority inversion, charged to
	 * nobody). Until it runs, a dead task's memory stays charged to its
	 * parent, so a slow reaper never breaks a quota. */
	struct thread *th = thread_create_kernel(
		reaper_main, NULL, "reaper",
		&(struct sched_params){.cls = SCHED_CLASS_BE, .weight = 8192,
				       .cpu = SCHED_CPU_KEEP});
	if (!th)
		panic("reaper: cannot create its thread");
	WRITE_ONCE(reaper_running, true);
	thread_start_kernel(th);
	kobj_put(&th->obj);
}
