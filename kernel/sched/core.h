/* Scheduler internals shared by the core (sched.c) and params.c. */
#pragma once
#include "runqueue.h"

void rq_enqueue(struct run_queue *rq, struct thread *t, enum sched_enq how,
		uint64_t now);
void rq_dequeue(struct run_queue *rq, struct thread *t);
void update_curr(struct run_queue *rq, uint64_t now);
void check_preempt(struct run_queue *rq);
void program_timer(struct run_queue *rq, uint64_t now);
bool sched_rt_held(struct run_queue *rq);
/* Bumped by each configuration change; run queues reset their RT-cap
 * window when they see a new value. */
extern uint64_t sched_cfg_gen;
/* Runs fn(t, arg, now) under t's run-queue lock, t out of its queue, then
 * requeues and re-decides who runs (here or by an IPI to t's CPU). */
void sched_change(struct thread *t,
		  void (*fn)(struct thread *t, const void *arg, uint64_t now),
		  const void *arg);
