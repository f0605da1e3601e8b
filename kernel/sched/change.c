/* Changes to a thread's scheduling state from outside the scheduler's own
 * paths: new parameters (params.c) and donation (kernel/ipc/reply.c). */
#include <execrt/errors.h>
#include <execrt/types.h>
#include <kern/arch.h>
#include <kern/sched.h>
#include <kern/task.h>
#include <kern/thread.h>
#include <kern/time.h>

#include "core.h"

/* Changes t's scheduling state through fn under its run queue's lock:
 * requeued if queued, re-dispatched in its new class if running. */
void sched_change(struct thread *t,
		  void (*fn)(struct thread *t, const void *arg, uint64_t now),
		  const void *arg)
{
	unsigned long f = arch_irq_save();
	struct run_queue *rq = lock_thread_rq(t);
	uint64_t now = clock_ns();
	bool running = rq->current == t;
	if (running)
		update_curr(rq, now);
	bool queued = t->state == THREAD_READY, was_parked = t->parked;
	if (queued)
		rq_dequeue(rq, t);
	const struct sched_class *before = sched_class_of(t);
	fn(t, arg, now);
	const struct sched_class *after = sched_class_of(t);
	/* Coming into BE from elsewhere: start level with the others. */
	if (after == &sched_class_be && before != after &&
	    (int64_t)(t->vruntime - rq->be_min_vr) < 0)
		t->vruntime = rq->be_min_vr;
	if (queued) /* held back before: not a new throttle if again */
		rq_enqueue(rq, t,
			   was_parked	     ? ENQ_RELEASE
			   : before == after ? ENQ_TAIL
					     : ENQ_NEW,
			   now);
	if (running) {
		/* The dispatch goes on in the new class; its record says so. */
		t->class = after;
		after->start(rq, t, now);
		t->disp_deadline = after == &sched_class_dl
					   ? dl_deadline(&sched_eff(t)->dl)
					   : 0;
		if (t->donor)
			t->disp_flags |= SCHED_TREC_DONATED;
		WRITE_ONCE(rq->curr_rank, sched_rank(t)); /* for pushes */
	}
	bool switch_now = rq_settle(rq, now, f);
	spin_unlock(&rq->lock);
	arch_irq_restore(f);
	if (switch_now)
		sched_preempt_check();
}

struct donor_swap {
	struct thread *new, *old;
};

static void set_donor(struct thread *t, const void *arg, uint64_t now)
{
	(void)now;
	struct donor_swap *sw = (struct donor_swap *)arg;
	sw->old = t->donor;
	t->donor = sw->new;
}

struct thread *sched_set_donor(struct thread *t, struct thread *donor)
{
	struct donor_swap sw = {.new = donor, .old = NULL};
	if (donor)
		kobj_get(&donor->obj);
	sched_change(t, set_donor, &sw);
	/* A DL caller's bandwidth is admitted on one CPU: the server serves
	 * the call there (if its affinity allows; otherwise it runs on its
	 * own parameters, sched_eff()). */
	if (donor && READ_ONCE(donor->sp.cls) == SCHED_CLASS_DL) {
		unsigned c = READ_ONCE(donor->dl.admit_cpu);
		if (c != READ_ONCE(t->cpu) && ((t->affinity >> c) & 1))
			sched_move(t, c);
	}
	return sw.old;
}

struct thread *sched_eff_get(struct thread *t, uint64_t *urgency)
{
	unsigned long f = arch_irq_save();
	struct run_queue *rq = lock_thread_rq(t);
	struct thread *o = t->donor ? t->donor : t;
	kobj_get(&o->obj);
	*urgency = sched_urgency(o);
	spin_unlock(&rq->lock);
	arch_irq_restore(f);
	return o;
}

uint64_t sched_urgency_eff(struct thread *t)
{
	/* Best effort on its own parameters (most senders): 0 without the
	 * lock. A change racing with this read is as stale either way
	 * once the lock would have been dropped. */
	if (!READ_ONCE(t->donor) && READ_ONCE(t->sp.cls) == SCHED_CLASS_BE)
		return 0;
	unsigned long f = arch_irq_save();
	struct run_queue *rq = lock_thread_rq(t);
	uint64_t u = sched_urgency(sched_eff(t));
	spin_unlock(&rq->lock);
	arch_irq_restore(f);
	return u;
}

uint64_t sched_urgency(const struct thread *t)
{
	const uint64_t top = (1ull << 62) - 1;
	switch (t->sp.cls) {
	case SCHED_CLASS_DL:
		return (2ull << 62) |
		       (top - MIN(READ_ONCE(t->dl.abs_deadline), top));
	case SCHED_CLASS_RT:
		return (1ull << 62) | t->sp.priority;
	default:
		return 0;
	}
}
