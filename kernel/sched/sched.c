/* The scheduler core. Each CPU owns a run queue with its own lock; threads
 * move between them only while not running, under both locks taken in
 * CPU-number order (migrate.c: placement, pull, push, balance, affinity).
 * Lock order: admission lock, port and reply locks, the lend lock, the
 * threads' donation locks (caller before server, kernel/ipc/reply.c),
 * run-queue lock(s), leaf locks. The running thread is rq->current, never
 * queued.
 *
 * Classes in strict order: DL, then RT, then BE, then idle. Ready threads
 * sit in their class's queue, except those held back until a budget or
 * quota refills: those are "parked" on rq->parked, by refill time. The
 * one exception to strict order is the RT cap: once DL+RT threads used
 * their allowance of the current window and a BE thread waits, RT threads
 * are passed over until the window ends (DL threads never are: their
 * admission bound is below the cap).
 *
 * Accounting (update_curr) runs at every decision point: the running
 * thread's time goes to its class (vruntime, DL budget), to the RT cap
 * window and to its task's quota (for a server on donation: the caller's
 * budget and task). Tickless: the one-shot timer is armed for the nearest
 * of the running thread's next event (slice or quantum end while an equal
 * waits, budget end, quota end, RT cap), the earliest sleeper and the
 * earliest refill; an idle CPU with nothing pending has no timer.
 *
 * Switching hands the run-queue lock over: the CPU takes it in schedule(),
 * switches stacks, and the thread that starts running releases it in
 * sched_finish_switch(). That makes "mark myself blocked, then switch"
 * atomic against wake-ups from other CPUs.
 *
 * Here: the switch, blocking, waking and the timer and IPI events. Queue
 * membership and the RT cap are in queue.c, accounting, the timer and the
 * trace records in account.c, changes from outside in change.c. */
#include <execrt/errors.h>
#include <execrt/types.h>
#include <kern/arch.h>
#include <kern/log.h>
#include <kern/sched.h>
#include <kern/task.h>
#include <kern/thread.h>
#include <kern/time.h>
#include <kern/uvm.h>

#include "core.h"

static struct run_queue rqs[MAX_CPUS];

uint64_t sched_cfg_gen; /* bumped by every configuration change */

struct sched_config sched_cfg = {
	.dl_bound_ppm = 900000,
	.rt_cap_runtime_ns = 950000000ull,
	.rt_cap_period_ns = 1000000000ull,
	.rr_quantum_ns = 10000000ull,
	.be_latency_ns = 6000000ull,
	.be_min_slice_ns = 1000000ull,
	.flags = SCHED_CFG_TRACE,
};

static const struct sched_class *const classes[] = {
	[SCHED_CLASS_BE] = &sched_class_be,
	[SCHED_CLASS_RT] = &sched_class_rt,
	[SCHED_CLASS_DL] = &sched_class_dl,
};

struct run_queue *sched_rq(unsigned cpu)
{
	return &rqs[cpu];
}

static struct run_queue *this_rq(void)
{
	return &rqs[arch_cpu_id()];
}

uint64_t sched_switch_count(unsigned cpu)
{
	return READ_ONCE(rqs[cpu].switches);
}

unsigned sched_eff_class(const struct thread *t)
{
	return t->is_idle ? SCHED_CLASS_IDLE : sched_eff(t)->sp.cls;
}

const struct sched_class *sched_class_of(const struct thread *t)
{
	return classes[sched_eff(t)->sp.cls];
}

void sched_init(void)
{
	for (unsigned c = 0; c < MAX_CPUS; c++) {
		struct run_queue *rq = &rqs[c];
		rq->cpu = c;
		rb_init(&rq->dl_tree);
		rb_init(&rq->be_tree);
		for (int p = 0; p < RT_LEVELS; p++)
			list_init(&rq->rt_q[p]);
		rb_init(&rq->parked);
		rb_init(&rq->sleepers);
	}
}

void sched_thread_init(struct thread *t)
{
	t->sp = (struct sched_params){.cls = SCHED_CLASS_BE,
				      .weight = SCHED_BE_WEIGHT_DEFAULT,
				      .cpu = SCHED_CPU_KEEP};
	t->class = &sched_class_be;
	/* New threads inherit their creator's affinity (a pinned test
	 * keeps its helpers on its CPU); the first ones get every CPU.
	 * The creator is thread_current(): the queue's current may be a
	 * stranger's by now (this runs with interrupts on). */
	struct thread *cur = thread_current();
	t->affinity = cur && !cur->is_idle ? cur->affinity : ~0ull;
	t->move_to = -1;
	t->moving = false;
	rb_node_init(&t->rb);
	list_init(&t->rq_node);
	t->dl.lock = (spinlock_t)SPINLOCK_INIT;
	t->st.lat_min = UINT64_MAX;
}

/* Blocked/new -> ready on rq (lock held). `since`: when it became due
 * (a sleeper's deadline, for honest wake-up latency). */
static void make_ready(struct run_queue *rq, struct thread *t, uint64_t now,
		       uint64_t since)
{
	bool fresh = t->state == THREAD_NEW;
	sleeper_del(rq, t);
	t->wake_deadline = DEADLINE_NONE;
	if (t->sp.cls == SCHED_CLASS_DL)
		dl_wakeup(&t->dl, now);
	t->woken = true;
	t->ready_since = since;
	rq_enqueue(rq, t, fresh ? ENQ_NEW : ENQ_WAKE, now);
}

/* Releases parked threads whose refill time has come (all of them
 * re-checked when `all`: a quota changed). */
static void unpark_due(struct run_queue *rq, uint64_t now, bool all)
{
	struct list_node due;
	list_init(&due);
	struct thread *p;
	while ((p = parked_first(rq))) {
		if (p->park_until > now && !all)
			break;
		parked_del(rq, p);
		list_push_back(&due, &p->rq_node);
	}
	/* Apart first: one still held back goes back onto rq->parked. */
	while (!list_empty(&due)) {
		struct thread *t = list_entry(list_pop_front(&due),
					      struct thread, rq_node);
		t->parked = false;
		t->woken = true;
		t->ready_since = MIN(t->park_until, now);
		rq_enqueue(rq, t, ENQ_RELEASE, now);
	}
}

/* Locks the run queue holding t. Its CPU may change while we wait, and a
 * thread between two queues (moving) is waited for: the CPU moving it
 * holds no other lock and finishes right after its switch. */
struct run_queue *lock_thread_rq(struct thread *t)
{
	for (;;) {
		struct run_queue *rq = &rqs[READ_ONCE(t->cpu)];
		spin_lock(&rq->lock);
		if (rq->cpu == READ_ONCE(t->cpu) && !READ_ONCE(t->moving))
			return rq;
		spin_unlock(&rq->lock);
		arch_cpu_relax();
	}
}

/* Lock held, interrupts off; returns with the lock released. */
static void do_schedule(struct run_queue *rq)
{
	uint64_t c0 = arch_cycles();
	struct thread *prev = rq->current;
	uint64_t now = clock_ns();
	update_curr(rq, now);
	bool yielded = prev->yielding;
	if (prev->disp_deadline) {
		/* A DL job ends when the thread stops wanting the CPU (not
		 * while it waits for a server working on its budget); a
		 * miss is judged first, before anything is refilled. */
		struct sched_dl *d = &sched_eff(prev)->dl;
		bool over = prev->state != THREAD_RUNNING && !prev->calling &&
			    sched_eff(prev) == prev;
		if (yielded && prev->sp.cls == SCHED_CLASS_DL && !prev->donor) {
			dl_yield(d); /* parked until the next period */
			over = true;
		}
		prev->disp_flags |= (uint16_t)(dl_dispatch_end(d, now, over) &
					       SCHED_TREC_DL_MISS);
	}
	struct thread *next;
	if (prev->move_to >= 0 && prev->state != THREAD_DEAD) {
		/* Leaving for another CPU (affinity, DL re-admission): on no
		 * queue until this CPU has switched away from it, then moved
		 * by sched_finish_switch (a blocked one stays blocked). */
		if (prev->state == THREAD_RUNNING)
			prev->state = THREAD_READY;
		WRITE_ONCE(prev->moving, true);
		rq->outgoing = prev;
	}
	if (prev->state == THREAD_RUNNING && !prev->is_idle) {
		bool tail = yielded || now >= prev->slice_end_ns;
		next = rq_requeue_pick(rq, prev, tail ? ENQ_TAIL : ENQ_PREEMPT,
				       now);
	} else {
		prev->yielding = false;
		next = rq_pick(rq);
		if (next)
			rq_dequeue(rq, next);
	}
	if (!next)
		next = rq->idle;
	rq->need_resched = false;
	next->state = THREAD_RUNNING;
	rq->current = next;
	unsigned old_rank = rq->curr_rank, new_rank = sched_rank(next);
	WRITE_ONCE(rq->curr_rank, new_rank);
	if (next->is_idle)
		__atomic_fetch_or(&sched_idle_mask, 1ull << rq->cpu,
				  __ATOMIC_RELAXED);
	else if (prev->is_idle)
		__atomic_fetch_and(&sched_idle_mask, ~(1ull << rq->cpu),
				   __ATOMIC_RELAXED);
	/* Others may run RT work now waiting here (a preempted thread), and
	 * this CPU may take RT work waiting elsewhere (its rank dropped):
	 * both once the switch is done (sched_finish_switch). */
	if (next != prev && prev->state == THREAD_READY && !prev->parked &&
	    !prev->moving && prev->class != &sched_class_be &&
	    sched_rank(prev) > 1)
		rq->push_rank = sched_rank(prev);
	rq->pull = new_rank < old_rank;
	/* (another CPU idle: rare while this one has work waiting) */
	if (rq->nr_ready &&
	    (READ_ONCE(sched_idle_mask) & ~(1ull << rq->cpu)))
		sched_kick_idle(rq);
	if (next != prev) {
		dispatch_end(rq, prev, now, yielded);
		dispatch_start(next, now);
	}
	if (!next->is_idle)
		next->class->start(rq, next, now);
	program_timer(rq, now);
	rq->sched_calls++;
	rq->sched_cycles += arch_cycles() - c0;
	if (next == prev) {
		rq->push_rank = 0;
		rq->pull = false;
		spin_unlock(&rq->lock);
		return;
	}
	if (prev->state == THREAD_DEAD)
		rq->zombie = prev;
	rq->switches++;
	/* User threads run on their task's page tables; idle and kernel
	 * threads on whatever is loaded (lazy TLB: uvm_activate(NULL)); a
	 * dying task's tables are dropped from every CPU by its destroy. */
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
	struct thread *z = rq->zombie, *o = rq->outgoing;
	unsigned push = rq->push_rank;
	bool pull = rq->pull;
	rq->zombie = rq->outgoing = NULL;
	rq->push_rank = 0;
	rq->pull = false;
	spin_unlock(&rq->lock);
	if (o)
		sched_finish_move(o);
	if (push)
		sched_push(rq->cpu, push, ~0ull);
	if (pull)
		sched_pull(rq, false);
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
	unsigned long f = arch_irq_save();
	struct run_queue *rq = this_rq();
	spin_lock(&rq->lock);
	struct thread *t = rq->current;
	if (!t->is_idle)
		t->yielding = true; /* do_schedule ends a DL job */
	do_schedule(rq);
	arch_irq_restore(f);
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
	/* A kill sets `killed` before it takes this lock to wake us: seen
	 * here, or the wake-up finds us blocked. */
	if (READ_ONCE(t->killed)) {
		spin_unlock(&rq->lock);
		if (held)
			spin_unlock(held);
		return;
	}
	t->state = THREAD_BLOCKED;
	if (deadline_ns != DEADLINE_NONE) {
		t->wake_deadline = deadline_ns;
		sleeper_add(rq, t);
	}
	if (held)
		spin_unlock(held);
	do_schedule(rq);
}

void sched_block_handoff(spinlock_t *held, uint64_t deadline_ns,
			 struct thread *next)
{
	struct run_queue *rq = this_rq();
	struct thread *t = rq->current;
	spin_lock(&rq->lock);
	/* next must still be blocked here (a kill may have woken it, a move
	 * taken it elsewhere): otherwise the ordinary wake-up. */
	if (READ_ONCE(t->killed) || next->state != THREAD_BLOCKED ||
	    next->cpu != rq->cpu || next->move_to >= 0) {
		spin_unlock(&rq->lock);
		sched_wake(next);
		sched_block(held, deadline_ns);
		return;
	}
	t->state = THREAD_BLOCKED;
	if (deadline_ns != DEADLINE_NONE) {
		t->wake_deadline = deadline_ns;
		sleeper_add(rq, t);
	}
	if (held)
		spin_unlock(held);
	uint64_t now = clock_ns();
	struct task *tk = next->task;
	if (rq->nr_ready || t->disp_deadline || t->move_to >= 0 ||
	    sched_eff(next)->sp.cls == SCHED_CLASS_DL ||
	    (tk && READ_ONCE(tk->cpuq.period))) {
		make_ready(rq, next, now, now);
		/* One decision under one lock hold: normally next runs. */
		do_schedule(rq);
		return;
	}
	/* Nothing else is ready here, no DL job or quota to judge: next is
	 * what do_schedule would pick; dispatch it without the queue. */
	update_curr(rq, now);
	t->yielding = false;
	sleeper_del(rq, next);
	next->wake_deadline = DEADLINE_NONE;
	next->woken = true;
	next->ready_since = now;
	next->class = sched_class_of(next);
	if (next->class == &sched_class_be)
		be_wake_place(rq, next);
	rq->need_resched = false;
	next->state = THREAD_RUNNING;
	rq->current = next;
	unsigned old_rank = rq->curr_rank, new_rank = sched_rank(next);
	WRITE_ONCE(rq->curr_rank, new_rank);
	rq->pull = new_rank < old_rank;
	dispatch_end(rq, t, now, false);
	dispatch_start(next, now);
	next->class->start(rq, next, now);
	/* The timer: with every queue empty, next's class has no event
	 * (no slice or quantum to share) and the RT cap none (no best
	 * effort waits); what can be new is a quota it runs on (its own or,
	 * on donation, its caller's) and t's own deadline as a sleeper.
	 * Otherwise the timer stays: armed for an event of t at worst, it
	 * fires early and the decision is made again then. */
	struct task *etk = sched_eff(next)->task;
	if (deadline_ns < rq->timer_deadline ||
	    (etk && READ_ONCE(etk->cpuq.period)))
		program_timer(rq, now);
	rq->sched_calls++;
	rq->switches++;
	struct uvm *from = t->task ? t->task->uvm : NULL;
	struct uvm *to = tk ? tk->uvm : NULL;
	if (from != to)
		uvm_activate(to);
	arch_context_switch(t, next);
	sched_finish_switch();
}

void sched_sleep_until(uint64_t deadline_ns)
{
	unsigned long f = arch_irq_save();
	if (clock_ns() < deadline_ns)
		sched_block(NULL, deadline_ns);
	arch_irq_restore(f);
}

/* After a change to rq: decide here, or let its CPU decide (an IPI).
 * Returns whether the caller should switch right away. */
bool rq_settle(struct run_queue *rq, uint64_t now, unsigned long irqs_on)
{
	if (rq->cpu != arch_cpu_id()) {
		arch_send_resched(rq->cpu);
		return false;
	}
	check_preempt(rq);
	if (!rq->need_resched)
		program_timer(rq, now);
	/* Interrupts off (under a lock): a user thread switches on its way
	 * out of the kernel; a kernel thread needs an interrupt for it. */
	if (rq->need_resched && !irqs_on && !rq->current->task &&
	    !rq->current->is_idle)
		arch_send_resched(rq->cpu);
	return rq->need_resched && irqs_on;
}

/* Wake t on its own CPU's queue, poking that CPU if it should switch. */
static void wake(struct thread *t, bool set_result, int result)
{
	unsigned long f = arch_irq_save();
	struct run_queue *rq = lock_thread_rq(t);
	uint64_t now = clock_ns();
	bool changed = false;
	if (set_result)
		t->wake_result = result;
	/* A thread running on another CPU learns of a kill at its next
	 * kernel entry: make one happen now. */
	if (set_result && t->state == THREAD_RUNNING &&
	    rq->cpu != arch_cpu_id())
		arch_send_resched(rq->cpu);
	/* An early wake-up (kill) ends a block or a throttle; a start also
	 * moves a new thread onto the queue. */
	if (t->state == THREAD_BLOCKED ||
	    (t->state == THREAD_NEW && !set_result)) {
		make_ready(rq, t, now, now);
		changed = true;
	} else if (set_result && t->killed && t->parked) {
		rq_dequeue(rq, t);
		rq_enqueue(rq, t, ENQ_WAKE, now);
		changed = true;
	}
	bool switch_now = changed && rq_settle(rq, now, f);
	/* An RT thread that does not run here at once may run elsewhere. */
	unsigned push = changed ? rq_waiting_rt_rank(rq) : 0;
	unsigned src = rq->cpu;
	spin_unlock(&rq->lock);
	if (push)
		sched_push(src, push, ~0ull);
	arch_irq_restore(f);
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
	if (READ_ONCE(rq->be_nr))
		sched_balance_tick(rq, clock_ns());
	spin_lock(&rq->lock); /* interrupt context: interrupts are off */
	uint64_t now = clock_ns();
	rq->timer_deadline = DEADLINE_NONE;
	update_curr(rq, now);
	struct thread *s;
	while ((s = sleeper_first(rq))) {
		if (s->wake_deadline > now)
			break;
		make_ready(rq, s, now, s->wake_deadline);
	}
	unpark_due(rq, now, false);
	if (rt_cap_on())
		rt_cap_roll(rq, now);
	if (rq_curr_event(rq, now) <= now)
		rq->need_resched = true;
	check_preempt(rq);
	if (!rq->need_resched)
		program_timer(rq, now);
	unsigned push = rq_waiting_rt_rank(rq); /* woken or released */
	spin_unlock(&rq->lock);
	if (push)
		sched_push(rq->cpu, push, ~0ull);
}

void sched_ipi(void)
{
	struct run_queue *rq = this_rq();
	spin_lock(&rq->lock);
	uint64_t now = clock_ns();
	update_curr(rq, now);
	bool recheck =
		__atomic_exchange_n(&rq->recheck, false, __ATOMIC_ACQ_REL);
	uint64_t gen = __atomic_load_n(&sched_cfg_gen, __ATOMIC_ACQUIRE);
	if (rq->cfg_gen != gen) {
		rq->cfg_gen = gen;
		rt_cap_reset(rq, now);
	}
	unpark_due(rq, now, recheck);
	if (rq_curr_event(rq, now) <= now)
		rq->need_resched = true;
	check_preempt(rq);
	program_timer(rq, now);
	spin_unlock(&rq->lock);
}

void sched_poke_all(void)
{
	unsigned n = arch_cpus_online();
	for (unsigned c = 0; c < n; c++) {
		__atomic_store_n(&rqs[c].recheck, true, __ATOMIC_RELEASE);
		if (c != arch_cpu_id())
			arch_send_resched(c);
	}
	unsigned long f = arch_irq_save();
	sched_ipi();
	arch_irq_restore(f);
	sched_preempt_check();
}

/* The boot context of this CPU becomes its idle thread. */
void sched_init_cpu(void)
{
	struct run_queue *rq = this_rq();
	struct thread *idle = thread_create_idle(rq->cpu);
	if (!idle)
		panic("sched: no memory for the idle thread of cpu %u",
		      rq->cpu);
	trace_init(&rq->trace);
	idle->state = THREAD_RUNNING;
	idle->dispatched_at = idle->exec_start = clock_ns();
	rq->cap_window_end = idle->exec_start + sched_cfg.rt_cap_period_ns;
	rq->idle = idle;
	rq->current = idle;
	arch_set_current_thread(idle);
	__atomic_fetch_or(&sched_idle_mask, 1ull << rq->cpu, __ATOMIC_RELAXED);
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
		/* Take work waiting on a busy CPU, else sleep: interrupts
		 * that make work preempt us from inside here. */
		if (sched_pull(rq, true))
			continue;
		arch_idle();
	}
}
