/* The fixed-priority real-time class: priorities 1..99, higher runs first;
 * one FIFO per priority and a bitmap of the non-empty ones, so picking is
 * O(1). FIFO threads run until they block, yield or a higher priority
 * arrives; round-robin threads also give way to their equals when their
 * quantum ends. A preempted thread goes back to the head of its level (it
 * did not give up its turn), one that yielded or used up its quantum to
 * the tail. Donation runs a server at its caller's priority. */
#include <execrt/types.h>
#include <kern/thread.h>

#include "runqueue.h"

static void rt_enqueue(struct run_queue *rq, struct thread *t,
		       enum sched_enq how)
{
	unsigned p = sched_eff(t)->sp.priority;
	t->key = p;
	if (how == ENQ_PREEMPT)
		list_push_front(&rq->rt_q[p], &t->rq_node);
	else
		list_push_back(&rq->rt_q[p], &t->rq_node);
	rq->rt_bitmap[p / 64] |= 1ull << (p % 64);
	rq->rt_nr++;
}

static void rt_dequeue(struct run_queue *rq, struct thread *t)
{
	unsigned p = (unsigned)t->key;
	list_remove(&t->rq_node);
	if (list_empty(&rq->rt_q[p]))
		rq->rt_bitmap[p / 64] &= ~(1ull << (p % 64));
	rq->rt_nr--;
}

static struct thread *rt_pick(struct run_queue *rq)
{
	int p;
	if (rq->rt_bitmap[1])
		p = 64 + 63 - __builtin_clzll(rq->rt_bitmap[1]);
	else if (rq->rt_bitmap[0])
		p = 63 - __builtin_clzll(rq->rt_bitmap[0]);
	else
		return NULL;
	return list_entry(rq->rt_q[p].next, struct thread, rq_node);
}

static bool rt_preempts(struct run_queue *rq, struct thread *t,
			struct thread *cur)
{
	(void)rq;
	return t->key > cur->key;
}

static uint64_t quantum(const struct thread *e)
{
	return e->sp.quantum_ns ? e->sp.quantum_ns : sched_cfg.rr_quantum_ns;
}

static void rt_start(struct run_queue *rq, struct thread *t, uint64_t now)
{
	(void)rq;
	struct thread *e = sched_eff(t);
	t->key = e->sp.priority;
	t->slice_end_ns = (e->sp.flags & SCHED_FLAG_RR) ? now + quantum(e)
							: DEADLINE_NONE;
}

/* A quantum matters only while an equal waits. */
static uint64_t rt_event(struct run_queue *rq, struct thread *cur, uint64_t now)
{
	(void)now;
	if (cur->slice_end_ns == DEADLINE_NONE ||
	    list_empty(&rq->rt_q[cur->key]))
		return DEADLINE_NONE;
	return cur->slice_end_ns;
}

static void rt_charge(struct run_queue *rq, struct thread *cur, uint64_t delta)
{
	(void)rq;
	(void)cur;
	(void)delta;
}

const struct sched_class sched_class_rt = {
	.name = "RT",
	.id = SCHED_CLASS_RT,
	.enqueue = rt_enqueue,
	.dequeue = rt_dequeue,
	.pick = rt_pick,
	.preempts = rt_preempts,
	.start = rt_start,
	.event = rt_event,
	.charge = rt_charge,
};
