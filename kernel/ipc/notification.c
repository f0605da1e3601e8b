/* Notifications (kern/notification.h). A blocked waiter records its mask
 * in its thread; a signaller walks the waiters under the queue lock and
 * hands each matching one its bits directly (cleared from pending at the
 * same moment), so a woken waiter never finds its bits stolen and needs no
 * retry loop. With one waiter the walk is one step. */
#include <execrt/errors.h>
#include <execrt/rights.h>
#include <kern/handle.h>
#include <kern/lib.h>
#include <kern/notification.h>
#include <kern/sched.h>
#include <kern/slab.h>
#include <kern/syscall.h>
#include <kern/task.h>
#include <kern/thread.h>

static void notification_destroy(struct kobject *o)
{
	kfree(container_of(o, struct notification, obj));
}

static const struct kobj_ops notification_ops = {
	.name = "notification",
	.destroy = notification_destroy,
};

int notification_create(struct notification **out)
{
	struct charge ch;
	int err = kobj_precharge(&ch, sizeof(struct notification));
	if (err)
		return err;
	struct notification *n = kmalloc(sizeof(*n));
	if (!n) {
		charge_drop(&ch);
		return ERR_NO_MEMORY;
	}
	kobj_init_charged(&n->obj, OBJ_NOTIFICATION, &notification_ops, &ch);
	wait_queue_init(&n->wq);
	n->pending = 0;
	*out = n;
	return 0;
}

/* Hands pending bits to matching waiters; wq.lock held. */
static void hand_over_locked(struct notification *n)
{
	struct list_node *it = n->wq.waiters.next;
	while (n->pending && it != &n->wq.waiters) {
		struct list_node *next = it->next;
		struct thread *t = list_entry(it, struct thread, wait_node);
		uint64_t got = n->pending & t->notif_mask;
		if (got) {
			n->pending &= ~got;
			t->notif_bits = got;
			list_remove(&t->wait_node);
			sched_interrupt(t, 0);
		}
		it = next;
	}
}

void notification_signal(struct notification *n, uint64_t bits)
{
	if (!bits)
		return;
	unsigned long f = spin_lock_irqsave(&n->wq.lock);
	n->pending |= bits;
	hand_over_locked(n);
	spin_unlock_irqrestore(&n->wq.lock, f);
}

int notification_wait(struct notification *n, uint64_t mask,
		      uint64_t deadline_ns, uint64_t *bits)
{
	if (!mask)
		return ERR_INVALID_ARGS;
	struct thread *t = thread_current();
	unsigned long f = spin_lock_irqsave(&n->wq.lock);
	uint64_t got = n->pending & mask;
	int err = 0;
	if (got) {
		n->pending &= ~got;
	} else if (deadline_ns == DEADLINE_POLL) {
		err = ERR_SHOULD_WAIT;
	} else {
		t->notif_mask = mask;
		t->notif_bits = 0;
		err = wait_queue_block(&n->wq, deadline_ns);
		got = t->notif_bits;
		t->notif_mask = 0;
		t->notif_bits = 0;
		if (got && err) {
			/* Handed bits, then killed: leave them pending. */
			n->pending |= got;
			hand_over_locked(n);
			got = 0;
		} else if (!got && !err) {
			err = ERR_BAD_STATE; /* woken without bits: never */
		}
	}
	spin_unlock_irqrestore(&n->wq.lock, f);
	if (!err)
		*bits = got;
	return err;
}
