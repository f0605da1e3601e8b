/* Scheduler internals shared by the files of kernel/sched (sched.c has
 * the overview). All run-queue functions expect its lock held. */
#pragma once
#include "runqueue.h"

/* sched.c: the core. */
const struct sched_class *sched_class_of(const struct thread *t);
/* Locks the run queue holding t (its CPU may change before it starts). */
struct run_queue *lock_thread_rq(struct thread *t);
/* After a change to rq: decide here, or let its CPU decide (an IPI);
 * true if the caller should switch right away. */
bool rq_settle(struct run_queue *rq, uint64_t now, unsigned long irqs_on);
/* Bumped by each configuration change; run queues reset their RT-cap
 * window when they see a new value. */
extern uint64_t sched_cfg_gen;

/* queue.c: run-queue membership and the RT cap. */
static inline bool rt_cap_on(void)
{
	return sched_cfg.rt_cap_runtime_ns < sched_cfg.rt_cap_period_ns;
}
void rt_cap_roll(struct run_queue *rq, uint64_t now);
void rt_cap_reset(struct run_queue *rq, uint64_t now);
bool sched_rt_held(struct run_queue *rq);
void rq_enqueue(struct run_queue *rq, struct thread *t, enum sched_enq how,
		uint64_t now);
void rq_dequeue(struct run_queue *rq, struct thread *t);
/* The next thread to run, still queued; NULL: idle. */
struct thread *rq_pick(struct run_queue *rq);
/* rq_enqueue(prev), then the next thread picked and dequeued (NULL:
 * idle); a best-effort prev and next swap places in one tree update. */
struct thread *rq_requeue_pick(struct run_queue *rq, struct thread *prev,
			       enum sched_enq how, uint64_t now);
/* Would the queued t run before the running cur? */
bool rq_better(struct run_queue *rq, struct thread *t, struct thread *cur);
/* Asks for a switch if the best queued thread beats the running one. */
void check_preempt(struct run_queue *rq);

/* account.c: time, the timer and the trace. */
void update_curr(struct run_queue *rq, uint64_t now);
/* When the running thread's turn should be reconsidered. */
uint64_t rq_curr_event(struct run_queue *rq, uint64_t now);
void program_timer(struct run_queue *rq, uint64_t now);
void dispatch_start(struct thread *next, uint64_t now);
void dispatch_end(struct run_queue *rq, struct thread *prev, uint64_t now,
		  bool yielded);

/* change.c: runs fn(t, arg, now) under t's run-queue lock, t out of its
 * queue, then requeues and re-decides who runs (here or by an IPI to t's
 * CPU). */
void sched_change(struct thread *t,
		  void (*fn)(struct thread *t, const void *arg, uint64_t now),
		  const void *arg);
