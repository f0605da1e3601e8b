/* Wait queues. A waiter is linked on the queue under the queue's lock; a
 * waker unlinks it under the same lock, sets its result and makes it
 * ready. A waiter that timed out or was killed unlinks itself on the way
 * out, so a thread is on at most one queue and never left dangling. */
#include <execrt/errors.h>
#include <execrt/types.h>
#include <kern/sched.h>
#include <kern/thread.h>
#include <kern/wait.h>

#include "runqueue.h"

/* ---- sleepers: per-CPU tree by wake deadline ---- */

static bool sleep_less(const struct rb_node *a, const struct rb_node *b)
{
	return rb_entry(a, struct thread, sleep_rb)->wake_deadline <
	       rb_entry(b, struct thread, sleep_rb)->wake_deadline;
}

void sleeper_add(struct run_queue *rq, struct thread *t)
{
	rb_insert(&rq->sleepers, &t->sleep_rb, sleep_less);
}

/* ---- wait queues ---- */

void wait_queue_init(struct wait_queue *wq)
{
	wq->lock = (spinlock_t)SPINLOCK_INIT;
	list_init(&wq->waiters);
}

int wait_queue_block(struct wait_queue *wq, uint64_t deadline_ns)
{
	return wait_queue_block_on(wq, &wq->lock, deadline_ns);
}

int wait_queue_block_on(struct wait_queue *wq, spinlock_t *lock,
			uint64_t deadline_ns)
{
	return wait_queue_block_handoff(wq, lock, deadline_ns, NULL);
}

int wait_queue_block_handoff(struct wait_queue *wq, spinlock_t *lock,
			     uint64_t deadline_ns, struct thread *next)
{
	struct thread *t = thread_current();
	if (t->killed || deadline_ns == DEADLINE_POLL) {
		if (next)
			sched_wake(next); /* it runs anyway */
		return t->killed ? ERR_BAD_STATE : ERR_TIMED_OUT;
	}
	t->wake_result = ERR_TIMED_OUT;
	t->waiting_on = wq;
	list_push_back(&wq->waiters, &t->wait_node);
	if (next)
		sched_block_handoff(lock, deadline_ns, next);
	else
		sched_block(lock, deadline_ns);
	spin_lock(lock);
	if (list_linked(&t->wait_node))
		list_remove(&t->wait_node); /* timed out or killed */
	t->waiting_on = NULL;
	if (t->killed && t->wake_result == ERR_TIMED_OUT)
		return ERR_BAD_STATE;
	return t->wake_result;
}

unsigned wait_queue_wake_locked(struct wait_queue *wq, int result, unsigned max)
{
	unsigned n = 0;
	while (n < max && !list_empty(&wq->waiters)) {
		struct thread *t = list_entry(list_pop_front(&wq->waiters),
					      struct thread, wait_node);
		sched_interrupt(t, result);
		n++;
	}
	return n;
}

struct thread *wait_queue_pop(struct wait_queue *wq)
{
	struct list_node *n = list_pop_front(&wq->waiters);
	return n ? list_entry(n, struct thread, wait_node) : NULL;
}

unsigned wait_queue_wake_all(struct wait_queue *wq, int result)
{
	unsigned long f = spin_lock_irqsave(&wq->lock);
	unsigned n = wait_queue_wake_locked(wq, result, ~0u);
	spin_unlock_irqrestore(&wq->lock, f);
	return n;
}
