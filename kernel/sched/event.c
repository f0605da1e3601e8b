/* The scheduler's events: the one-shot timer (sleepers due, parked
 * threads refilled, the running thread's slice, quantum or budget at its
 * end) and the reschedule IPI (a configuration or quota change, work
 * queued here by another CPU). A timer event decides in the same pass when
 * the running thread must give way, and switches to a woken thread that
 * outranks everything without queueing it (docs/scheduling.md "Decision
 * cost"). The run-queue lock is held throughout. */
#include <execrt/types.h>
#include <kern/arch.h>
#include <kern/sched.h>
#include <kern/task.h>
#include <kern/thread.h>
#include <kern/time.h>

#include "core.h"

/* A due sleeper that will run at once (the timer event's switch): readied
 * as make_ready does, but not queued, when nothing queued can come before
 * it and it outranks what runs: a DL or RT thread on its own parameters,
 * no DL or RT thread queued, no quota, the RT cap not holding, what runs
 * not DL (EDF would compare deadlines). NULL: not so, nothing changed. A
 * DL thread found out of budget is queued (parked) as usual. */
static __attribute__((noinline)) struct thread *
ready_direct(struct run_queue *rq, struct thread *s, uint64_t now)
{
	unsigned r = 0, rc = sched_rank(rq->current);
	if (s->sp.cls == SCHED_CLASS_DL)
		r = RANK_DL;
	else if (s->sp.cls == SCHED_CLASS_RT)
		r = 1 + s->sp.priority;
	if (rq->dl_nr || rq->rt_nr || r <= rc || rc >= RANK_DL || s->donor ||
	    s->state != THREAD_BLOCKED || s->move_to >= 0 ||
	    (s->task && READ_ONCE(s->task->cpuq.period)) ||
	    (rt_cap_on() && rq->rt_capped))
		return NULL;
	sleeper_del(rq, s);
	s->ready_since = s->wake_deadline;
	s->wake_deadline = DEADLINE_NONE;
	s->woken = true;
	if (r == RANK_DL) {
		if (!dl_wakeup(&s->dl, now) && dl_eligible_at(&s->dl, now)) {
			rq_enqueue(rq, s, ENQ_WAKE, now);
			return NULL;
		}
	}
	s->state = THREAD_READY;
	s->class = sched_class_of(s);
	s->yielding = false;
	return s;
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

void sched_timer_event(uint64_t now)
{
	struct run_queue *rq = sched_rq(arch_cpu_id());
	/* (at most every 4 ms: the time test here, not a call each event) */
	if (READ_ONCE(rq->be_nr) && now >= READ_ONCE(rq->next_balance))
		sched_balance_tick(rq, now);
	spin_lock(&rq->lock); /* interrupt context: interrupts are off */
	rq->timer_deadline = DEADLINE_NONE;
	update_curr(rq, now);
	unsigned nr0 = rq->nr_ready;
	struct thread *s, *direct = NULL;
	while ((s = sleeper_first(rq))) {
		if (s->wake_deadline > now)
			break;
		if (!direct && (direct = ready_direct(rq, s, now)))
			continue;
		make_ready(rq, s, now, s->wake_deadline);
	}
	const struct thread *p = parked_first(rq);
	if (p && p->park_until <= now)
		unpark_due(rq, now, false);
	if (rt_cap_on())
		rt_cap_roll(rq, now);
	/* One woken thread that outranks everything here runs now, without
	 * a queue round trip (the reasons below for not deciding here, or
	 * others made ready too: through the queue after all). */
	if (direct && rq->nr_ready == nr0 && !rq->current->killed) {
		sched_decide(rq, now, direct);
		return;
	}
	if (direct)
		rq_enqueue(rq, direct, ENQ_WAKE, now);
	if (rq_curr_event(rq, now) <= now)
		rq->need_resched = true;
	check_preempt(rq);
	unsigned push = rq_waiting_rt_rank(rq); /* woken or released */
	/* A hardware interrupt comes only where interrupts were on, so the
	 * interrupted context can be preempted (trap_dispatch would call
	 * schedule() on the way out): decide now, in the same pass, with
	 * the time and the accounting just done. Not with a second thread
	 * to push elsewhere (the switch pushes one rank), nor for a killed
	 * thread (it dies on its way out first). */
	if (rq->need_resched && !push && !rq->current->killed) {
		sched_decide(rq, now, NULL);
		return;
	}
	if (!rq->need_resched)
		program_timer(rq, now);
	spin_unlock(&rq->lock);
	if (push)
		sched_push(rq->cpu, push, ~0ull);
}

void sched_ipi(void)
{
	struct run_queue *rq = sched_rq(arch_cpu_id());
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

__attribute__((cold)) void sched_poke_all(void)
{
	unsigned n = arch_cpus_online();
	for (unsigned c = 0; c < n; c++) {
		__atomic_store_n(&sched_rq(c)->recheck, true, __ATOMIC_RELEASE);
		if (c != arch_cpu_id())
			arch_send_resched(c);
	}
	unsigned long f = arch_irq_save();
	sched_ipi();
	arch_irq_restore(f);
	sched_preempt_check();
}
