/* Run-queue membership: which queue a ready thread is in (its class's, or
 * parked until a budget or quota refills), which thread runs next, and
 * the RT cap that lets best effort through. The run-queue lock is held
 * throughout (kernel/sched/sched.c has the overview). */
#include <execrt/errors.h>
#include <execrt/types.h>
#include <kern/arch.h>
#include <kern/sched.h>
#include <kern/task.h>
#include <kern/thread.h>
#include <kern/time.h>

#include "core.h"

/* ---- the RT cap ---- */

void rt_cap_roll(struct run_queue *rq, uint64_t now)
{
	if (now < rq->cap_window_end)
		return;
	uint64_t p = sched_cfg.rt_cap_period_ns;
	rq->cap_window_end = now + p - (now - rq->cap_window_end) % p;
	rq->cap_used = 0;
	rq->rt_capped = false;
}

static bool be_waits(struct run_queue *rq)
{
	return rq->be_nr || sched_eff_class(rq->current) == SCHED_CLASS_BE;
}

/* RT threads are passed over now. */
bool sched_rt_held(struct run_queue *rq)
{
	return rt_cap_on() && rq->rt_capped && be_waits(rq);
}

/* A configuration change: a fresh window under the new cap. */
void rt_cap_reset(struct run_queue *rq, uint64_t now)
{
	rq->cap_window_end = now + sched_cfg.rt_cap_period_ns;
	rq->cap_used = 0;
	rq->rt_capped = false;
}

/* ---- queues ---- */

static bool sched_task_eligible(struct thread *e, uint64_t now, uint64_t *until)
{
	*until = 0;
	if (e->sp.cls == SCHED_CLASS_DL)
		*until = dl_eligible_at(&e->dl, now);
	if (e->task && READ_ONCE(e->task->cpuq.period)) /* (most have none) */
		*until = MAX(*until, quota_eligible_at(&e->task->cpuq, now));
	return *until == 0;
}

static void park(struct run_queue *rq, struct thread *t, uint64_t until,
		 bool count)
{
	t->parked = true;
	t->park_until = until;
	if (count)
		t->st.throttles++;
	parked_add(rq, t);
}

/* t wants the CPU: into its class queue, or parked while its budget or
 * quota is empty (a killed thread always runs, to die). */
void rq_enqueue(struct run_queue *rq, struct thread *t, enum sched_enq how,
		uint64_t now)
{
	uint64_t until;
	t->state = THREAD_READY;
	if (!t->killed && !sched_task_eligible(sched_eff(t), now, &until)) {
		park(rq, t, until, how != ENQ_RELEASE && !t->yielding);
		return;
	}
	t->class = sched_class_of(t);
	t->class->enqueue(rq, t, how);
	t->yielding = false;
	rq->nr_ready++;
}

void rq_dequeue(struct run_queue *rq, struct thread *t)
{
	if (t->parked) {
		parked_del(rq, t);
		t->parked = false;
		return;
	}
	t->class->dequeue(rq, t);
	rq->nr_ready--;
}

/* The next thread to run, still queued; NULL: idle. */
struct thread *rq_pick(struct run_queue *rq)
{
	/* The counters say which classes have work: a class with none is
	 * not asked (usually only one has any, often none does). */
	if (!rq->nr_ready)
		return NULL;
	if (rq->dl_nr)
		return sched_class_dl.pick(rq);
	if (rq->rt_nr && (!rq->be_nr || !sched_rt_held(rq)))
		return sched_class_rt.pick(rq);
	return sched_class_be.pick(rq);
}

struct thread *rq_requeue_pick(struct run_queue *rq, struct thread *prev,
			       enum sched_enq how, uint64_t now)
{
	/* Best effort both ways, nothing else queued, no quota to judge:
	 * prev takes the place of the thread that runs next (be.c). */
	struct thread *e = sched_eff(prev);
	if (!rq->dl_nr && !rq->rt_nr && rq->be_nr &&
	    e->sp.cls == SCHED_CLASS_BE && !prev->killed &&
	    !(e->task && READ_ONCE(e->task->cpuq.period))) {
		prev->state = THREAD_READY;
		prev->class = &sched_class_be;
		struct thread *next = be_enqueue_take_first(rq, prev, how);
		prev->yielding = false;
		if (next)
			return next;
		rq->nr_ready++;
	} else {
		rq_enqueue(rq, prev, how, now);
	}
	struct thread *next = rq_pick(rq);
	if (next)
		rq_dequeue(rq, next);
	return next;
}

/* Would the queued t run before the running cur? */
bool rq_better(struct run_queue *rq, struct thread *t, struct thread *cur)
{
	if (cur->is_idle)
		return true;
	unsigned a = t->class->id, b = cur->class->id;
	bool capped = rt_cap_on() && rq->rt_capped;
	if (a == SCHED_CLASS_RT && b == SCHED_CLASS_BE)
		return !capped;
	if (a == SCHED_CLASS_BE && b == SCHED_CLASS_RT)
		return capped;
	if (a != b)
		return a > b;
	return t->class->preempts(rq, t, cur);
}

/* Asks for a switch if the best queued thread beats the running one.
 * This CPU's queue only: other CPUs decide for themselves (rq_settle). */
void check_preempt(struct run_queue *rq)
{
	struct thread *t = rq_pick(rq);
	if (t && rq_better(rq, t, rq->current))
		rq->need_resched = true;
}
