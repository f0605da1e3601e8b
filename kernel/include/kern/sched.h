/* The scheduler core: per-CPU run queues, each with its own lock, and
 * pluggable scheduling classes. The core class here is fixed-priority
 * round-robin; the real-time issue adds deadline (EDF), RT and fair
 * best-effort classes behind struct sched_class without touching the
 * core. Tickless: the one-shot timer is armed for the nearest of the
 * current slice end and the earliest sleeper on this CPU. */
#pragma once
#include <kern/list.h>
#include <kern/spinlock.h>
#include <kern/types.h>

struct thread;
struct run_queue;

#define SCHED_SLICE_NS 10000000ull /* 10 ms round-robin quantum */

struct sched_class {
	const char *name;
	void (*enqueue)(struct run_queue *rq, struct thread *t);
	void (*dequeue)(struct run_queue *rq, struct thread *t);
	/* Best thread to run next, or NULL (the core falls back to idle). */
	struct thread *(*pick_next)(struct run_queue *rq);
	/* Would `t` preempt `cur` if it became ready now? */
	bool (*preempts)(struct run_queue *rq, struct thread *t,
			 struct thread *cur);
	/* Length of the slice t gets when dispatched. */
	uint64_t (*slice_ns)(struct run_queue *rq, struct thread *t);
};

void sched_init(void);        /* boot CPU, once memory and timers work */
void sched_init_cpu(void);    /* every CPU: its idle thread and run queue */
/* Switches to the best ready thread; the caller's state (ready, blocked,
 * dead) must be set first. Interrupts may be on or off on entry. */
void schedule(void);
void thread_yield(void);
/* Sleeps the current thread until clock_ns() >= deadline. */
void sched_sleep_until(uint64_t deadline_ns);
/* Makes a blocked or new thread ready (on its CPU's queue); preempts the
 * running thread there when the class says so. */
void sched_wake(struct thread *t);
void sched_set_priority(struct thread *t, int prio);
/* Sets the priority donated to t (-1: none); t runs at the higher of its
 * base and donated priority (kernel/ipc/reply.c decides the value). */
void sched_set_donated(struct thread *t, int donated);
/* Blocks the current thread: called with interrupts off and `held`
 * locked; marks the thread blocked (and sleeping until deadline_ns unless
 * DEADLINE_NONE), releases `held` and switches away. Returns when woken,
 * interrupts still off, `held` not re-taken. */
void sched_block(spinlock_t *held, uint64_t deadline_ns);
/* Wakes t (blocked or sleeping) early with the given result (kill). */
void sched_interrupt(struct thread *t, int result);
/* Runs on a new thread (and after every switch): releases the run-queue
 * lock taken by the switching CPU and drops dead threads. */
void sched_finish_switch(void);
/* Timer expiry and the reschedule IPI land here (interrupt context). */
void sched_timer_event(void);
void sched_ipi(void);
/* Timer interrupts taken by this CPU (tickless tests). */
uint64_t sched_timer_irqs(void);
/* Number of context switches on a CPU (tests, stats). */
uint64_t sched_switch_count(unsigned cpu);
/* Called on the way out of interrupts and system calls: switches if a
 * preemption was requested on this CPU. */
void sched_preempt_check(void);
/* Is a reschedule pending on this CPU? */
bool sched_resched_pending(void);
/* Enters the scheduler on this CPU for good (boot and AP idle loops). */
__noreturn void sched_start(void);
