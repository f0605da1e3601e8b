/* Wait queues: the one blocking primitive. A thread blocks on a queue until
 * woken or until its deadline passes; wake-ups carry a result code. */
#pragma once
#include <kern/list.h>
#include <kern/spinlock.h>
#include <kern/types.h>

struct thread;

struct wait_queue {
	spinlock_t lock;
	struct list_node waiters; /* struct thread.wait_node, FIFO */
};

void wait_queue_init(struct wait_queue *wq);

/* Blocks the current thread on wq until woken, the deadline passes
 * (ERR_TIMED_OUT; DEADLINE_NONE: never, DEADLINE_POLL: at once) or the
 * thread is killed (ERR_BAD_STATE). Must be called with wq->lock held (taken
 * with spin_lock_irqsave, so interrupts are off); the lock is released while
 * asleep and held again on return. A caller checks its condition under
 * wq->lock and loops, so no wake-up between check and sleep is lost.
 * Returns the code passed to the wake. */
int wait_queue_block(struct wait_queue *wq, uint64_t deadline_ns);
/* The same, blocking under `lock` instead of wq->lock (a queue that shares
 * its owner's lock, e.g. a port's senders). */
int wait_queue_block_on(struct wait_queue *wq, spinlock_t *lock,
			uint64_t deadline_ns);
/* The same again, and `next` (a thread blocked on this CPU, already taken
 * off its queue by the caller, its wake result set) runs instead, switched
 * to directly when the scheduler allows it (sched_block_handoff). */
int wait_queue_block_handoff(struct wait_queue *wq, spinlock_t *lock,
			     uint64_t deadline_ns, struct thread *next);
/* Lock held: takes the first waiter off wq (NULL if none) without waking
 * it. */
struct thread *wait_queue_pop(struct wait_queue *wq);
/* Wakes all waiters with `result`; returns how many. */
unsigned wait_queue_wake_all(struct wait_queue *wq, int result);
/* The same with wq->lock already held; wakes at most max waiters. */
unsigned wait_queue_wake_locked(struct wait_queue *wq, int result,
				unsigned max);
