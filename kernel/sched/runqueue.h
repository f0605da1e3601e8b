/* Per-CPU run queue (private to kernel/sched). */
#pragma once
#include <kern/list.h>
#include <kern/sched.h>
#include <kern/spinlock.h>
#include <execrt/syscall.h>

struct run_queue {
	spinlock_t lock;
	unsigned cpu;
	struct thread *current;
	struct thread *idle;
	bool need_resched;
	bool started;
	/* Fixed-priority class: one FIFO per priority and a bitmap of the
	 * non-empty ones, so picking is O(1). */
	struct list_node prio[SCHED_PRIO_MAX + 1];
	uint32_t prio_bitmap;
	unsigned nr_ready;
	struct list_node sleepers;  /* by wake_deadline, earliest first */
	struct thread *zombie;      /* dead thread to release after a switch */
	uint64_t switches;
	uint64_t timer_deadline;    /* what the one-shot timer is armed for */
};

struct run_queue *sched_rq(unsigned cpu);
extern const struct sched_class sched_class_prio;
