/* The scheduler core. Each CPU owns a run queue with its own lock; a thread
 * stays on the CPU it was created on (migration arrives with the SMP
 * scheduling work). The running thread is rq->current, never on the queue.
 *
 * Switching hands the run-queue lock over: the CPU takes it in schedule(),
 * switches stacks, and the thread that starts running releases it in
 * sched_finish_switch(). That is what makes "mark myself blocked, then
 * switch" atomic against wake-ups from other CPUs.
 *
 * Tickless: the one-shot timer is armed only for the earliest sleeper and,
 * when another thread of the running thread's priority is waiting, for the
 * end of its slice. An idle CPU with no sleepers has no timer at all. */
#include <execrt/errors.h>
#include <execrt/types.h>
#include <kern/arch.h>
#include <kern/log.h>
#include <kern/sched.h>
#include <kern/task.h>
#include <kern/thread.h>
#include <kern/time.h>
#include <kern/uvm.h>

#include "runqueue.h"

static struct run_queue rqs[MAX_CPUS];

struct run_queue *sched_rq(unsigned cpu)
{
	return &rqs[cpu];
}

static struct run_queue *this_rq(void)
{
	return &rqs[arch_cpu_id()];
}

struct thread *thread_current(void)
{
	return this_rq()->current;
}

uint64_t sched_switch_count(unsigned cpu)
{
	return READ_ONCE(rqs[cpu].switches);
}

void sched_init(void)
{
	for (unsigned c = 0; c < MAX_CPUS; c++) {
		struct run_queue *rq = &rqs[c];
		rq->cpu = c;
		for (int p = 0; p <= SCHED_PRIO_MAX; p++)
			list_init(&rq->prio[p]);
		list_init(&rq->sleepers);
	}
}

static void on_timer(void)
{
	sched_timer_event();
}

/* Arms this CPU's timer for the next scheduling event. Lock held. */
static void program_timer(struct run_queue *rq)
{
	uint64_t next = DEADLINE_NONE;
	struct thread *cur = rq->current;
	if (!cur->is_idle && (rq->prio_bitmap & (1u << cur->eprio)))
		next = cur->slice_end_ns;
	if (!list_empty(&rq->sleepers)) {
		struct thread *s =
			list_entry(rq->sleepers.next, struct thread, sleep_node);
		next = MIN(next, s->wake_deadline);
	}
	if (next == rq->timer_deadline)
		return;
	rq->timer_deadline = next;
	if (next == DEADLINE_NONE)
		timer_cancel();
	else
		timer_arm(next, on_timer);
}

static void add_sleeper(struct run_queue *rq, struct thread *t)
{
	list_for_each(it, &rq->sleepers)
	{
		struct thread *s = list_entry(it, struct thread, sleep_node);
		if (s->wake_deadline > t->wake_deadline) {
			list_insert_after(it->prev, &t->sleep_node);
			return;
		}
	}
	list_push_back(&rq->sleepers, &t->sleep_node);
}

/* Blocked/new -> ready on rq (lock held); says whether to preempt. */
static bool make_ready(struct run_queue *rq, struct thread *t)
{
	if (list_linked(&t->sleep_node))
		list_remove(&t->sleep_node);
	t->wake_deadline = DEADLINE_NONE;
	t->state = THREAD_READY;
	t->class->enqueue(rq, t);
	return t->class->preempts(rq, t, rq->current);
}

/* Lock held, interrupts off; returns with the lock released. */
static void do_schedule(struct run_queue *rq)
{
	struct thread *prev = rq->current;
	uint64_t now = clock_ns();
	prev->runtime_ns += now - prev->dispatched_at;
	if (prev->state == THREAD_RUNNING && !prev->is_idle) {
		prev->state = THREAD_READY;
		prev->class->enqueue(rq, prev);
	}
	struct thread *next = sched_class_prio.pick_next(rq);
	if (next)
		next->class->dequeue(rq, next);
	else
		next = rq->idle;
	rq->need_resched = false;
	next->state = THREAD_RUNNING;
	next->dispatched_at = now;
	next->slice_end_ns = now + next->class->slice_ns(rq, next);
	rq->current = next;
	program_timer(rq);
	if (next == prev) {
		spin_unlock(&rq->lock);
		return;
	}
	if (prev->state == THREAD_DEAD)
		rq->zombie = prev;
	rq->switches++;
	/* User threads run on their task's page tables; everything else on
	 * the kernel's, so a dying task's tables are never live anywhere. */
	struct uvm *from = prev->task ? prev->task->uvm : NULL;
	struct uvm *to = next->task ? next->task->uvm : NULL;
	if (from != to)
		uvm_activate(to);
	arch_context_switch(prev, next);
	sched_finish_switch();
}

void sched_finish_switch(void)
{
	struct run_queue *rq = this_rq();
	struct thread *z = rq->zombie;
	rq->zombie = NULL;
	spin_unlock(&rq->lock);
	if (z)
		kobj_put(&z->obj); /* the reference running threads hold */
}

void schedule(void)
{
	unsigned long f = arch_irq_save();
	struct run_queue *rq = this_rq();
	spin_lock(&rq->lock);
	do_schedule(rq);
	arch_irq_restore(f);
}

void thread_yield(void)
{
	schedule(); /* the current thread goes to the back of its level */
}

bool sched_resched_pending(void)
{
	return READ_ONCE(this_rq()->need_resched);
}

void sched_preempt_check(void)
{
	if (READ_ONCE(this_rq()->need_resched))
		schedule();
}

void sched_block(spinlock_t *held, uint64_t deadline_ns)
{
	struct run_queue *rq = this_rq();
	struct thread *t = rq->current;
	spin_lock(&rq->lock);
	t->state = THREAD_BLOCKED;
	if (deadline_ns != DEADLINE_NONE) {
		t->wake_deadline = deadline_ns;
		add_sleeper(rq, t);
	}
	if (held)
		spin_unlock(held);
	do_schedule(rq);
}

void sched_sleep_until(uint64_t deadline_ns)
{
	unsigned long f = arch_irq_save();
	if (clock_ns() < deadline_ns)
		sched_block(NULL, deadline_ns);
	arch_irq_restore(f);
}

/* Wake t on its own CPU's queue, poking that CPU if it should switch. */
static void wake(struct thread *t, bool set_result, int result)
{
	struct run_queue *rq = &rqs[t->cpu];
	bool switch_now = false;
	unsigned long f = spin_lock_irqsave(&rq->lock);
	if (set_result)
		t->wake_result = result;
	/* A thread running on another CPU learns of a kill at its next
	 * kernel entry: make one happen now. */
	if (set_result && t->state == THREAD_RUNNING && rq->cpu != arch_cpu_id())
		arch_send_resched(rq->cpu);
	/* An early wake-up (kill) only ends a block; a start also moves a
	 * new thread onto the queue. */
	if (t->state == THREAD_BLOCKED ||
	    (t->state == THREAD_NEW && !set_result)) {
		bool preempt = make_ready(rq, t);
		if (preempt)
			rq->need_resched = true;
		if (rq->cpu != arch_cpu_id())
			arch_send_resched(rq->cpu);
		else if (!preempt)
			program_timer(rq); /* a slice may now matter */
		/* Called from a thread with interrupts on: switch right
		 * away instead of at the next interrupt. */
		switch_now = preempt && rq->cpu == arch_cpu_id() && f;
	}
	spin_unlock_irqrestore(&rq->lock, f);
	if (switch_now)
		sched_preempt_check();
}

void sched_wake(struct thread *t)
{
	wake(t, false, 0);
}

void sched_interrupt(struct thread *t, int result)
{
	wake(t, true, result);
}

void sched_timer_event(void)
{
	struct run_queue *rq = this_rq();
	spin_lock(&rq->lock); /* interrupt context: interrupts are off */
	uint64_t now = clock_ns();
	rq->timer_deadline = DEADLINE_NONE;
	while (!list_empty(&rq->sleepers)) {
		struct thread *s =
			list_entry(rq->sleepers.next, struct thread, sleep_node);
		if (s->wake_deadline > now)
			break;
		if (make_ready(rq, s))
			rq->need_resched = true;
	}
	struct thread *cur = rq->current;
	if (!cur->is_idle && now >= cur->slice_end_ns &&
	    (rq->prio_bitmap & (1u << cur->eprio)))
		rq->need_resched = true;
	if (!rq->need_resched)
		program_timer(rq);
	spin_unlock(&rq->lock);
}

void sched_ipi(void)
{
	struct run_queue *rq = this_rq();
	spin_lock(&rq->lock);
	struct thread *next = sched_class_prio.pick_next(rq);
	if (next && next->class->preempts(rq, next, rq->current))
		rq->need_resched = true;
	program_timer(rq);
	spin_unlock(&rq->lock);
}

/* Recomputes t's effective priority and requeues it; asks for a switch
 * when that changes who should run. rq lock held. */
static void update_eprio(struct run_queue *rq, struct thread *t)
{
	int e = MAX(t->prio, t->donated);
	if (e != t->eprio) {
		if (t->state == THREAD_READY) {
			t->class->dequeue(rq, t);
			t->eprio = e;
			t->class->enqueue(rq, t);
		} else {
			t->eprio = e;
		}
	}
	struct thread *next = sched_class_prio.pick_next(rq);
	if (next && next->class->preempts(rq, next, rq->current)) {
		rq->need_resched = true;
		if (rq->cpu != arch_cpu_id())
			arch_send_resched(rq->cpu);
	}
}

void sched_set_priority(struct thread *t, int prio)
{
	struct run_queue *rq = &rqs[t->cpu];
	unsigned long f = spin_lock_irqsave(&rq->lock);
	t->prio = prio;
	update_eprio(rq, t);
	spin_unlock_irqrestore(&rq->lock, f);
}

void sched_set_donated(struct thread *t, int donated)
{
	struct run_queue *rq = &rqs[t->cpu];
	unsigned long f = spin_lock_irqsave(&rq->lock);
	t->donated = donated;
	update_eprio(rq, t);
	spin_unlock_irqrestore(&rq->lock, f);
}

/* The boot context of this CPU becomes its idle thread. */
void sched_init_cpu(void)
{
	struct run_queue *rq = this_rq();
	struct thread *idle = thread_create_idle(rq->cpu);
	if (!idle)
		panic("sched: no memory for the idle thread of cpu %u", rq->cpu);
	idle->state = THREAD_RUNNING;
	idle->dispatched_at = clock_ns();
	rq->idle = idle;
	rq->current = idle;
	rq->timer_deadline = DEADLINE_NONE;
}

void sched_start(void)
{
	struct run_queue *rq = this_rq();
	rq->started = true;
	for (;;) {
		arch_irq_save();
		if (READ_ONCE(rq->nr_ready) || READ_ONCE(rq->need_resched)) {
			schedule();
			continue;
		}
		/* Interrupts that make work preempt us from inside here. */
		arch_idle();
	}
}
