/* The best-effort class: weighted fair sharing by virtual runtime.
 *
 * A thread's vruntime grows by its CPU time scaled by 1024/weight, and the
 * ready thread with the smallest vruntime runs next, so over time each gets
 * CPU in proportion to its weight. The running thread's slice is the
 * configured latency split by weight (never below the minimum slice), and
 * matters only while another BE thread waits (tickless otherwise).
 *
 * Placement: a thread that slept comes back no further behind the queue's
 * minimum than half a latency (a bounded credit for sleeping, not a
 * banked one); a new thread starts at the minimum. A yield moves the
 * thread just behind the next in line, so two yielding threads alternate.
 * A waking thread preempts when it is behind the running one by more than
 * the minimum slice, which bounds switching. */
#include <execrt/types.h>
#include <kern/thread.h>

#include "runqueue.h"

static bool be_less(const struct rb_node *a, const struct rb_node *b)
{
	return (int64_t)(rb_entry(a, struct thread, rb)->key -
			 rb_entry(b, struct thread, rb)->key) < 0;
}

static struct thread *be_pick(struct run_queue *rq)
{
	struct rb_node *n = rb_first(&rq->be_tree);
	return n ? rb_entry(n, struct thread, rb) : NULL;
}

static bool vr_before(uint64_t a, uint64_t b)
{
	return (int64_t)(a - b) < 0;
}

void be_wake_place(struct run_queue *rq, struct thread *t)
{
	uint64_t floor = rq->be_min_vr - sched_cfg.be_latency_ns / 2;
	if (vr_before(t->vruntime, floor))
		t->vruntime = floor;
}

/* Where t goes in the queue: its vruntime (the key). */
static void be_place(struct run_queue *rq, struct thread *t, enum sched_enq how)
{
	uint64_t floor = rq->be_min_vr;
	bool woke = how == ENQ_WAKE || how == ENQ_RELEASE;
	if (woke)
		floor -= sched_cfg.be_latency_ns / 2;
	if ((woke || how == ENQ_NEW) && vr_before(t->vruntime, floor))
		t->vruntime = floor;
	if (t->yielding) {
		struct thread *next = be_pick(rq);
		if (next && !vr_before(next->vruntime, t->vruntime))
			t->vruntime = next->vruntime + 1;
	}
	t->key = t->vruntime;
	t->weight_queued = t->sp.weight;
}

static void be_enqueue(struct run_queue *rq, struct thread *t,
		       enum sched_enq how)
{
	be_place(rq, t, how);
	rb_insert(&rq->be_tree, &t->rb, be_less);
	rq->be_nr++;
	rq->be_weight += t->weight_queued;
}

struct thread *be_enqueue_take_first(struct run_queue *rq, struct thread *t,
				     enum sched_enq how)
{
	struct rb_node *f = rb_first(&rq->be_tree);
	if (!f) {
		be_enqueue(rq, t, how);
		return NULL;
	}
	struct thread *first = rb_entry(f, struct thread, rb);
	be_place(rq, t, how);
	/* first stays the pick (equal keys: the queued one first) and t
	 * sorts before first's successor (equal: after it, so not here). */
	struct rb_node *s = rb_next(f);
	if (vr_before(t->key, first->key) ||
	    (s && !vr_before(t->key, rb_entry(s, struct thread, rb)->key))) {
		rb_insert(&rq->be_tree, &t->rb, be_less);
		rq->be_nr++;
		rq->be_weight += t->weight_queued;
		return NULL;
	}
	rb_replace(&rq->be_tree, f, &t->rb);
	rq->be_weight += t->weight_queued;
	rq->be_weight -= first->weight_queued;
	return first;
}

static void be_dequeue(struct run_queue *rq, struct thread *t)
{
	rb_erase(&rq->be_tree, &t->rb);
	rq->be_nr--;
	rq->be_weight -= t->weight_queued;
}

static bool be_preempts(struct run_queue *rq, struct thread *t,
			struct thread *cur)
{
	(void)rq;
	return vr_before(t->vruntime + sched_cfg.be_min_slice_ns,
			 cur->vruntime);
}

static void be_start(struct run_queue *rq, struct thread *t, uint64_t now)
{
	uint64_t w = t->sp.weight;
	uint64_t slice = sched_cfg.be_latency_ns * w / (rq->be_weight + w);
	t->slice_end_ns = now + MAX(slice, sched_cfg.be_min_slice_ns);
}

static uint64_t be_event(struct run_queue *rq, struct thread *cur, uint64_t now)
{
	(void)now;
	return rq->be_nr ? cur->slice_end_ns : DEADLINE_NONE;
}

static void be_charge(struct run_queue *rq, struct thread *cur, uint64_t delta)
{
	cur->vruntime += delta * SCHED_BE_WEIGHT_DEFAULT / cur->sp.weight;
	/* The minimum follows the smallest of the running and the queued. */
	uint64_t m = cur->vruntime;
	struct thread *first = be_pick(rq);
	if (first && vr_before(first->vruntime, m))
		m = first->vruntime;
	if (vr_before(rq->be_min_vr, m))
		rq->be_min_vr = m;
}

const struct sched_class sched_class_be = {
	.name = "BE",
	.id = SCHED_CLASS_BE,
	.enqueue = be_enqueue,
	.dequeue = be_dequeue,
	.pick = be_pick,
	.preempts = be_preempts,
	.start = be_start,
	.event = be_event,
	.charge = be_charge,
};
