/* The deadline class: earliest deadline first over constant-bandwidth
 * servers.
 *
 * Each DL thread owns a server: a budget of `runtime` ns per `period`,
 * with each job due `deadline` ns after its release. The queue runs the
 * ready thread with the earliest absolute deadline. Running charges the
 * budget; an empty budget holds the thread back (the core parks it) until
 * its next period, when the budget refills and the deadline moves one
 * period on. So a thread that overruns only delays itself: everyone
 * admitted keeps their share.
 *
 * Waking follows the CBS rule: the thread keeps its deadline and what is
 * left of its budget only if using that budget before the deadline stays
 * within its share (remaining / (deadline - now) <= runtime / deadline);
 * otherwise it starts a fresh job (deadline now + D, full budget).
 *
 * Jobs are judged for the telemetry: a job misses when the thread still
 * wanted the CPU at its deadline (it was running, ready or throttled past
 * it); it is met when the thread stopped wanting the CPU by then (blocked,
 * yielded or exited). */
#include <execrt/types.h>
#include <kern/thread.h>

#include "runqueue.h"

/* A new job: judge the old one, then take deadline d and budget q. */
static void new_job(struct sched_dl *d, uint64_t abs, int64_t q)
{
	if (d->pending && !d->miss_counted) {
		if (d->job_done)
			d->met++;
		else
			d->missed++;
	}
	d->abs_deadline = abs;
	d->remaining = q;
	d->job_done = false;
	d->miss_counted = false;
	d->pending = false;
}

void dl_setup(struct sched_dl *d, uint64_t runtime, uint64_t deadline,
	      uint64_t period, uint64_t now)
{
	unsigned long f = spin_lock_irqsave(&d->lock);
	d->runtime = runtime;
	d->deadline = deadline;
	d->period = period;
	if (now < d->abs_deadline) {
		/* A job is under way (setting parameters again, or coming
		 * back to DL): it keeps what it had, within the new limits,
		 * so a thread cannot refill its own budget this way. */
		d->abs_deadline = MIN(d->abs_deadline, now + deadline);
		d->remaining = MIN(d->remaining, (int64_t)runtime);
	} else {
		d->abs_deadline = now + deadline;
		d->remaining = (int64_t)runtime;
		d->job_done = false;
		d->miss_counted = false;
		d->pending = false; /* no job to judge yet */
	}
	spin_unlock_irqrestore(&d->lock, f);
}

void dl_wakeup(struct sched_dl *d, uint64_t now)
{
	unsigned long f = spin_lock_irqsave(&d->lock);
	/* Overflow: remaining * D > (abs - now) * Q, in 128 bits. */
	bool fresh = now >= d->abs_deadline;
	if (!fresh && d->remaining > 0)
		fresh = (unsigned __int128)d->remaining * d->deadline >
			(unsigned __int128)(d->abs_deadline - now) * d->runtime;
	if (fresh)
		new_job(d, now + d->deadline, (int64_t)d->runtime);
	d->job_done = false;
	spin_unlock_irqrestore(&d->lock, f);
}

uint64_t dl_eligible_at(struct sched_dl *d, uint64_t now)
{
	uint64_t until = 0;
	unsigned long f = spin_lock_irqsave(&d->lock);
	if (d->remaining > 0 || !d->runtime)
		goto out;
	uint64_t refill = d->abs_deadline - d->deadline + d->period;
	if (now < refill) {
		until = refill;
		goto out;
	}
	/* Refill; an overrun is paid back from the next budgets. */
	uint64_t abs = d->abs_deadline;
	int64_t q = d->remaining;
	do {
		abs += d->period;
		q += (int64_t)d->runtime;
	} while (q <= 0);
	if (abs <= now) {
		/* Held back past the refilled job's deadline (a quota): a
		 * stale deadline would jump the EDF queue; start afresh. */
		abs = now + d->deadline;
		q = (int64_t)d->runtime;
	}
	new_job(d, abs, q);
	d->pending = true; /* released while it wants the CPU */
out:
	spin_unlock_irqrestore(&d->lock, f);
	return until;
}

void dl_yield(struct sched_dl *d)
{
	unsigned long f = spin_lock_irqsave(&d->lock);
	if (d->remaining > 0)
		d->remaining = 0;
	spin_unlock_irqrestore(&d->lock, f);
}

uint64_t dl_deadline(struct sched_dl *d)
{
	return READ_ONCE(d->abs_deadline);
}

/* Counts a miss if the job is still unfinished past its deadline. */
static unsigned check_miss(struct sched_dl *d, uint64_t now)
{
	if (now <= d->abs_deadline || d->job_done || d->miss_counted)
		return 0;
	d->miss_counted = true;
	d->missed++;
	return SCHED_TREC_DL_MISS;
}

unsigned dl_dispatch_start(struct sched_dl *d, uint64_t now)
{
	unsigned long f = spin_lock_irqsave(&d->lock);
	d->pending = true;
	unsigned fl = check_miss(d, now);
	spin_unlock_irqrestore(&d->lock, f);
	return fl;
}

unsigned dl_dispatch_end(struct sched_dl *d, uint64_t now, bool job_over)
{
	unsigned long f = spin_lock_irqsave(&d->lock);
	unsigned fl = check_miss(d, now);
	if (now <= d->abs_deadline)
		fl |= SCHED_TREC_DL_MET;
	if (job_over)
		d->job_done = true;
	spin_unlock_irqrestore(&d->lock, f);
	return fl;
}

/* ---- the class: an rb-tree by absolute deadline ---- */

static bool dl_less(const struct rb_node *a, const struct rb_node *b)
{
	return rb_entry(a, struct thread, rb)->key <
	       rb_entry(b, struct thread, rb)->key;
}

static void dl_enqueue(struct run_queue *rq, struct thread *t,
		       enum sched_enq how)
{
	(void)how;
	t->key = dl_deadline(&sched_eff(t)->dl);
	rb_insert(&rq->dl_tree, &t->rb, dl_less);
	rq->dl_nr++;
}

static void dl_dequeue(struct run_queue *rq, struct thread *t)
{
	rb_erase(&rq->dl_tree, &t->rb);
	rq->dl_nr--;
}

static struct thread *dl_pick(struct run_queue *rq)
{
	struct rb_node *n = rb_first(&rq->dl_tree);
	return n ? rb_entry(n, struct thread, rb) : NULL;
}

static bool dl_preempts(struct run_queue *rq, struct thread *t,
			struct thread *cur)
{
	(void)rq;
	return t->key < cur->key;
}

static void dl_start(struct run_queue *rq, struct thread *t, uint64_t now)
{
	(void)rq;
	(void)now;
	t->key = dl_deadline(&sched_eff(t)->dl);
	t->slice_end_ns = DEADLINE_NONE;
}

/* The budget runs out at exec_start + remaining. */
static uint64_t dl_event(struct run_queue *rq, struct thread *cur, uint64_t now)
{
	(void)rq;
	int64_t left = READ_ONCE(sched_eff(cur)->dl.remaining);
	return left > 0 ? now + (uint64_t)left : now;
}

static void dl_charge(struct run_queue *rq, struct thread *cur, uint64_t delta)
{
	(void)rq;
	struct sched_dl *d = &sched_eff(cur)->dl;
	unsigned long f = spin_lock_irqsave(&d->lock);
	d->remaining -= (int64_t)delta;
	spin_unlock_irqrestore(&d->lock, f);
}

const struct sched_class sched_class_dl = {
	.name = "DL",
	.id = SCHED_CLASS_DL,
	.enqueue = dl_enqueue,
	.dequeue = dl_dequeue,
	.pick = dl_pick,
	.preempts = dl_preempts,
	.start = dl_start,
	.event = dl_event,
	.charge = dl_charge,
};
