/* End notifications (kern/endnotify.h). Lock order: the object's
 * exit_wq.lock is held only while the array is read or changed; no other
 * lock is taken under it here, and no reference is dropped under it. */
#include <execrt/errors.h>
#include <kern/endnotify.h>
#include <kern/lib.h>
#include <kern/notification.h>
#include <kern/task.h>
#include <kern/thread.h>

/* Changes e under its lock. *put: a reference to drop after unlocking. */
static int set_locked(struct end_notify *e, struct notification *n,
		      uint64_t bits, struct notification **put)
{
	int free_slot = -1;
	for (int i = 0; i < END_NOTIFY_MAX; i++) {
		if (e->reg[i].n == n) {
			if (bits) {
				e->reg[i].bits = bits;
			} else {
				*put = n;
				e->reg[i].n = NULL;
				e->reg[i].bits = 0;
			}
			return 0;
		}
		if (!e->reg[i].n && free_slot < 0)
			free_slot = i;
	}
	if (!bits)
		return 0;
	if (free_slot < 0)
		return ERR_NO_RESOURCES;
	kobj_get(&n->obj);
	e->reg[free_slot].n = n;
	e->reg[free_slot].bits = bits;
	return 0;
}

int object_notify(struct kobject *o, struct notification *n, uint64_t bits)
{
	struct end_notify *e;
	struct wait_queue *wq;
	bool *ended;
	if (o->type == OBJ_TASK) {
		struct task *t = container_of(o, struct task, obj);
		e = &t->end_notify;
		wq = &t->exit_wq;
		ended = &t->dead;
	} else if (o->type == OBJ_THREAD) {
		struct thread *t = container_of(o, struct thread, obj);
		e = &t->end_notify;
		wq = &t->exit_wq;
		ended = &t->exited;
	} else {
		return ERR_WRONG_TYPE;
	}
	struct notification *put = NULL;
	int err = 0;
	unsigned long f = spin_lock_irqsave(&wq->lock);
	bool now = *ended;
	if (!now)
		err = set_locked(e, n, bits, &put);
	spin_unlock_irqrestore(&wq->lock, f);
	if (put)
		kobj_put(&put->obj);
	if (now)
		notification_signal(n, bits); /* bits 0: nothing */
	return err;
}

void end_notify_take_locked(struct end_notify *e, struct end_notify *out)
{
	*out = *e;
	memset(e, 0, sizeof(*e));
}

void end_notify_fire(struct end_notify *taken)
{
	for (int i = 0; i < END_NOTIFY_MAX; i++) {
		struct notification *n = taken->reg[i].n;
		if (!n)
			continue;
		notification_signal(n, taken->reg[i].bits);
		kobj_put(&n->obj);
		taken->reg[i].n = NULL;
	}
}

void end_notify_drop(struct end_notify *e)
{
	for (int i = 0; i < END_NOTIFY_MAX; i++) {
		if (e->reg[i].n)
			kobj_put(&e->reg[i].n->obj);
		e->reg[i].n = NULL;
	}
}
