/* The reaper: ending and freeing tasks without nesting, and never in the
 * scheduler's switch path.
 *
 * Why: ending a task closes its handle table and empties its address
 * space. Done where it is noticed, one ending could nest the next (a
 * never-run task's table holding the last handle to another's child ...:
 * a stack frame chain per link, and kernel stacks are 16 KiB), and it
 * could run in the scheduler's switch path (sched_finish_switch drops a
 * dead thread, which may drop its task) with interrupts off, where
 * lock_uvm could spin against a CPU waiting for this one to answer a TLB
 * shootdown.
 *
 * How: a thread that finds such work with interrupts on does it at once,
 * as the outermost one: work found while it is at it goes on the thread's
 * own list (reap_local) and is done after, one item at a time, so the
 * stack does not grow and a closed handle's quota is back when the call
 * returns. Work found with interrupts off goes to the reaper kernel
 * thread, which does it the same way.
 *
 * Two kinds of work: "free" (the task's last reference is gone: the list
 * owns it) and "end" (a never-run task nobody can reach: the list holds a
 * reference until it has been killed). A task is on a list at most once
 * (reap_queued, under reap_wq.lock): a second "end" while one waits is
 * dropped, and an "end" entry holds a reference, so "free" comes only
 * after it left.
 *
 * The reaper also unmaps kernel stacks freed with interrupts off
 * (reaper_kick(), arch_kstack_reap()).
 *
 * Lock order: reap_wq.lock is taken alone. Before reaper_start() (boot)
 * and in host tests, work found with interrupts off runs in place. */
#include <execrt/syscall.h>
#include <kern/arch.h>
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/reaper.h>
#include <kern/sched.h>
#include <kern/task.h>
#include <kern/thread.h>

static struct wait_queue reap_wq;
static struct task *reap_head, *reap_tail; /* FIFO, reap_wq.lock */
static bool reaper_running;
static bool stacks_due; /* reaper_kick() called (reap_wq.lock) */

/* Marks t queued; false if it is on a list already. */
static bool claim(struct task *t, bool end)
{
	unsigned long f = spin_lock_irqsave(&reap_wq.lock);
	bool fresh = !t->reap_queued;
	if (fresh) {
		t->reap_queued = true;
		t->reap_end = end;
		t->reap_next = NULL;
	}
	spin_unlock_irqrestore(&reap_wq.lock, f);
	return fresh;
}

static void unclaim(struct task *t, bool *end)
{
	unsigned long f = spin_lock_irqsave(&reap_wq.lock);
	*end = t->reap_end;
	t->reap_queued = false; /* may be queued again from here */
	spin_unlock_irqrestore(&reap_wq.lock, f);
}

/* To the reaper thread (t claimed). */
static void push_global(struct task *t)
{
	unsigned long f = spin_lock_irqsave(&reap_wq.lock);
	if (reap_tail)
		reap_tail->reap_next = t;
	else
		reap_head = t;
	reap_tail = t;
	wait_queue_wake_locked(&reap_wq, 0, 1);
	spin_unlock_irqrestore(&reap_wq.lock, f);
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

/* Does t (claimed) and whatever it leads to on this thread, flat. */
static void run_here(struct thread *me, struct task *t)
{
	me->reap_depth = 1;
	while (t) {
		bool end;
		unclaim(t, &end);
		work(t, end);
		t = me->reap_local; /* only this thread touches its list */
		if (t)
			me->reap_local = t->reap_next;
	}
	me->reap_depth = 0;
}

/* t was claimed: do it here, later on this thread, or on the reaper. */
static void dispatch(struct task *t)
{
	struct thread *me = thread_current();
	unsigned long f = arch_irq_save();
	arch_irq_restore(f);
	if (!f || !me) { /* interrupts off (or no threads yet) */
		if (READ_ONCE(reaper_running)) {
			push_global(t);
			return;
		}
		bool end;
		unclaim(t, &end);
		work(t, end); /* boot and host tests: in place */
		return;
	}
	if (me->reap_depth) {
		t->reap_next = me->reap_local;
		me->reap_local = t;
		return;
	}
	run_here(me, t);
}

void reaper_free(struct task *t)
{
	BUG_ON(!claim(t, false)); /* queued entries hold a reference */
	dispatch(t);
}

void reaper_end(struct task *t)
{
	if (!kobj_tryget(&t->obj))
		return; /* being freed already: that ends it */
	if (!claim(t, true)) {
		kobj_put(&t->obj); /* one queued "end" does for both */
		return;
	}
	dispatch(t);
}

static void reaper_main(void *arg)
{
	struct thread *me = thread_current();
	(void)arg;
	for (;;) {
		unsigned long f = spin_lock_irqsave(&reap_wq.lock);
		while (!reap_head && !stacks_due)
			wait_queue_block(&reap_wq, DEADLINE_NONE);
		if (stacks_due) {
			stacks_due = false;
			spin_unlock_irqrestore(&reap_wq.lock, f);
			arch_kstack_reap(); /* interrupts on, no lock held */
			continue;
		}
		struct task *t = reap_head;
		reap_head = t->reap_next;
		if (!reap_head)
			reap_tail = NULL;
		spin_unlock_irqrestore(&reap_wq.lock, f);
		run_here(me, t);
	}
}

void reaper_kick(void)
{
	if (!READ_ONCE(reaper_running))
		return; /* boot: the next stack allocation reaps */
	unsigned long f = spin_lock_irqsave(&reap_wq.lock);
	stacks_due = true;
	wait_queue_wake_locked(&reap_wq, 0, 1);
	spin_unlock_irqrestore(&reap_wq.lock, f);
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
		&(struct sched_params){.cls = SCHED_CLASS_BE,
				       .weight = 8192,
				       .cpu = SCHED_CPU_KEEP});
	if (!th)
		panic("reaper: cannot create its thread");
	WRITE_ONCE(reaper_running, true);
	thread_start_kernel(th);
	kobj_put(&th->obj);
}
