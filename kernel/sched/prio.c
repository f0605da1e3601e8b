/* The fixed-priority round-robin class: the highest non-empty effective
 * priority (base or donated, thread.h) runs; equal priorities take turns, one slice each. */
#include <kern/sched.h>
#include <kern/thread.h>

#include "runqueue.h"

static void prio_enqueue(struct run_queue *rq, struct thread *t)
{
	list_push_back(&rq->prio[t->eprio], &t->rq_node);
	rq->prio_bitmap |= 1u << t->eprio;
	rq->nr_ready++;
}

static void prio_dequeue(struct run_queue *rq, struct thread *t)
{
	list_remove(&t->rq_node);
	if (list_empty(&rq->prio[t->eprio]))
		rq->prio_bitmap &= ~(1u << t->eprio);
	rq->nr_ready--;
}

static struct thread *prio_pick_next(struct run_queue *rq)
{
	if (!rq->prio_bitmap)
		return NULL;
	int p = 31 - __builtin_clz(rq->prio_bitmap);
	return list_entry(rq->prio[p].next, struct thread, rq_node);
}

static bool prio_preempts(struct run_queue *rq, struct thread *t,
			  struct thread *cur)
{
	(void)rq;
	return cur->is_idle || t->eprio > cur->eprio;
}

static uint64_t prio_slice_ns(struct run_queue *rq, struct thread *t)
{
	(void)rq;
	(void)t;
	return SCHED_SLICE_NS;
}

const struct sched_class sched_class_prio = {
	.name = "prio",
	.enqueue = prio_enqueue,
	.dequeue = prio_dequeue,
	.pick_next = prio_pick_next,
	.preempts = prio_preempts,
	.slice_ns = prio_slice_ns,
};
