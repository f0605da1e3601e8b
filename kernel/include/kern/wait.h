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
 * (ERR_TIMED_OUT; DEADLINE_NONE: never) or the thread is killed
 * (ERR_BAD_STATE... see thread.h). `lock` (held by the caller, may be
 * NULL) is released atomically with going to sleep and re-taken before
 * returning, so a wake-up between the caller's check and the sleep is never
 * lost. Returns the code passed to wake. */
int wait_queue_block(struct wait_queue *wq, spinlock_t *lock,
		     uint64_t deadline_ns);
/* Wakes the first waiter / all waiters with `result`; returns how many. */
unsigned wait_queue_wake_one(struct wait_queue *wq, int result);
unsigned wait_queue_wake_all(struct wait_queue *wq, int result);
