/* Task CPU quotas: all threads of a task together get at most `runtime` ns
 * of CPU in each `period` window, whatever their class; a runaway task is
 * contained like a budget. Time is charged at every accounting point of
 * the scheduler (from any CPU, hence the lock); once the allowance is
 * used, the task's threads are parked until the window ends. Threads on
 * other CPUs notice at their next accounting point, armed for the
 * allowance left when they were dispatched, so an overrun is bounded; it
 * is carried into the next window (paid back) so the long-run share is
 * exact. Time a server spends on a caller's donated parameters is charged
 * to the caller's task. */
#include <execrt/errors.h>
#include <execrt/types.h>
#include <kern/arch.h>
#include <kern/task.h>
#include <kern/time.h>

#include "runqueue.h"

/* ---- held-back threads: per-CPU tree by refill time ---- */

static bool park_less(const struct rb_node *a, const struct rb_node *b)
{
	return rb_entry(a, struct thread, park_rb)->park_until <
	       rb_entry(b, struct thread, park_rb)->park_until;
}

void parked_add(struct run_queue *rq, struct thread *t)
{
	rb_insert(&rq->parked, &t->park_rb, park_less);
}

void parked_del(struct run_queue *rq, struct thread *t)
{
	if (rb_linked(&t->park_rb))
		rb_erase(&rq->parked, &t->park_rb);
}

/* ---- quotas ---- */

/* Moves the window on to the one holding now. Lock held. */
static void roll(struct cpu_quota *q, uint64_t now)
{
	if (now < q->window_end)
		return;
	uint64_t n = (now - q->window_end) / q->period + 1;
	q->window_end += n * q->period;
	int64_t pay = (int64_t)(n * q->runtime);
	q->used = q->used > pay ? q->used - pay : 0;
}

bool quota_charge(struct cpu_quota *q, uint64_t delta, uint64_t now)
{
	if (!READ_ONCE(q->period))
		return false;
	unsigned long f = spin_lock_irqsave(&q->lock);
	bool out = false;
	if (q->period) {
		roll(q, now);
		q->used += (int64_t)delta;
		out = q->used >= (int64_t)q->runtime;
	}
	spin_unlock_irqrestore(&q->lock, f);
	return out;
}

uint64_t quota_eligible_at(struct cpu_quota *q, uint64_t now)
{
	if (!READ_ONCE(q->period))
		return 0;
	unsigned long f = spin_lock_irqsave(&q->lock);
	uint64_t until = 0;
	if (q->period) {
		roll(q, now);
		if (q->used >= (int64_t)q->runtime) {
			until = q->window_end;
			q->throttles++;
		}
	}
	spin_unlock_irqrestore(&q->lock, f);
	return until;
}

uint64_t quota_left(struct cpu_quota *q, uint64_t now)
{
	if (!READ_ONCE(q->period))
		return DEADLINE_NONE;
	unsigned long f = spin_lock_irqsave(&q->lock);
	uint64_t left = DEADLINE_NONE;
	if (q->period) {
		roll(q, now);
		left = q->used >= (int64_t)q->runtime
			       ? 0
			       : q->runtime - (uint64_t)q->used;
	}
	spin_unlock_irqrestore(&q->lock, f);
	return left;
}

#define QUOTA_PERIOD_MIN  1000000ull	 /* 1 ms */
#define QUOTA_PERIOD_MAX  10000000000ull /* 10 s */
#define QUOTA_RUNTIME_MIN 100000ull	 /* 100 us */

int sched_task_set_quota(struct task *tk, uint64_t runtime_ns,
			 uint64_t period_ns)
{
	if (runtime_ns &&
	    (period_ns < QUOTA_PERIOD_MIN || period_ns > QUOTA_PERIOD_MAX ||
	     runtime_ns < QUOTA_RUNTIME_MIN ||
	     runtime_ns > period_ns * arch_cpus_online()))
		return ERR_INVALID_ARGS;
	if (!runtime_ns && period_ns)
		return ERR_INVALID_ARGS;
	struct cpu_quota *q = &tk->cpuq;
	unsigned long f = spin_lock_irqsave(&q->lock);
	q->runtime = runtime_ns;
	q->period = runtime_ns ? period_ns : 0;
	q->window_end = clock_ns() + period_ns;
	q->used = 0;
	spin_unlock_irqrestore(&q->lock, f);
	/* Running threads of the task re-arm their timers; parked ones
	 * re-check at their park time. */
	sched_poke_all();
	return 0;
}
