/* One-shot reply objects and priority donation. A call creates a reply
 * object; the server gets a handle to it with the message and answers
 * through it exactly once. While the call is open, the thread serving it
 * runs on the caller's class, deadline or priority when they are more
 * urgent than its own, charging the caller's budget (docs/ipc.md
 * "Donation", docs/scheduling.md).
 *
 * Donation state (thread.donors, thread.calling, reply.server/active)
 * changes under one global lock: calls chain across ports and tasks, and
 * one lock keeps the transitive walk simple and deadlock-free. Order:
 * donation lock -> run-queue lock; it is never taken under a port or
 * reply lock. */
#include <execrt/errors.h>
#include <kern/cap.h>
#include <kern/lib.h>
#include <kern/port.h>
#include <kern/sched.h>
#include <kern/slab.h>
#include <kern/spinlock.h>
#include <kern/thread.h>

#define DONATE_DEPTH_MAX 16 /* nested calls followed (cycles end here) */

enum { REPLY_WAITING, REPLY_DONE, REPLY_CANCELLED };

struct reply {
	struct kobject obj;
	struct wait_queue wq; /* the caller waits here; lock guards state */
	int state;
	struct kmsg *answer;
	struct thread *caller; /* a reference */
	/* Donation (donation lock). */
	struct thread *server; /* a reference, or NULL */
	struct list_node donor_node;
	bool active;
};

static spinlock_t donate_lock = SPINLOCK_INIT;

/* Donor references replaced under the donation lock, dropped after it:
 * dropping the last one destroys a thread, which takes other locks. */
struct drops {
	struct thread *t[2 * DONATE_DEPTH_MAX + 1];
	unsigned n;
};

static void drops_put(struct drops *d)
{
	for (unsigned i = 0; i < d->n; i++)
		kobj_put(&d->t[i]->obj);
}

/* Donation lock held: t runs on the most urgent of its own parameters and
 * those of the callers it serves (a caller that itself runs on donated
 * parameters passes those on); then the same for whoever t is calling.
 * Best-effort callers lend nothing: fair sharing has no urgency. */
static void recompute(struct thread *t, struct drops *dr)
{
	for (int depth = 0; t && depth < DONATE_DEPTH_MAX; depth++) {
		struct thread *best = NULL;
		uint64_t bu = sched_urgency(t);
		list_for_each(it, &t->donors)
		{
			struct reply *r =
				list_entry(it, struct reply, donor_node);
			struct thread *c = r->caller;
			struct thread *o = c->donor ? c->donor : c;
			uint64_t u = sched_urgency(o);
			if (o->sp.cls != SCHED_CLASS_BE && u > bu) {
				bu = u;
				best = o;
			}
		}
		struct thread *before = READ_ONCE(t->donor);
		if (best != before) {
			struct thread *old = sched_set_donor(t, best);
			if (old)
				dr->t[dr->n++] = old;
		} else if (depth > 0) {
			break; /* nothing further changes */
		}
		t = t->calling ? t->calling->server : NULL;
	}
}

/* Ends r's donation; returns the server reference to drop. */
static struct thread *detach(struct reply *r)
{
	struct drops dr = {.n = 0};
	unsigned long f = spin_lock_irqsave(&donate_lock);
	struct thread *s = r->server;
	r->active = false;
	r->server = NULL;
	if (s) {
		list_remove(&r->donor_node);
		recompute(s, &dr);
	}
	spin_unlock_irqrestore(&donate_lock, f);
	drops_put(&dr);
	return s;
}

void reply_set_server(struct reply *r, struct thread *t)
{
	struct drops dr = {.n = 0};
	struct thread *old = NULL;
	unsigned long f = spin_lock_irqsave(&donate_lock);
	if (r->active && r->server != t) {
		old = r->server;
		if (old)
			list_remove(&r->donor_node);
		kobj_get(&t->obj);
		r->server = t;
		list_push_back(&t->donors, &r->donor_node);
		recompute(t, &dr);
		if (old)
			recompute(old, &dr);
	}
	spin_unlock_irqrestore(&donate_lock, f);
	drops_put(&dr);
	if (old)
		kobj_put(&old->obj);
}

void donate_set_calling(struct reply *r)
{
	unsigned long f = spin_lock_irqsave(&donate_lock);
	thread_current()->calling = r;
	spin_unlock_irqrestore(&donate_lock, f);
}

void donate_propagate(struct thread *t)
{
	struct drops dr = {.n = 0};
	unsigned long f = spin_lock_irqsave(&donate_lock);
	recompute(t, &dr);
	spin_unlock_irqrestore(&donate_lock, f);
	drops_put(&dr);
}

static void reply_destroy(struct kobject *o)
{
	struct reply *r = container_of(o, struct reply, obj);
	struct thread *s = detach(r);
	if (s)
		kobj_put(&s->obj);
	if (r->answer)
		kmsg_free(r->answer);
	kobj_put(&r->caller->obj);
	kfree(r);
}

/* The server closed the reply handle (or died) without answering. */
static void reply_last_handle(struct kobject *o)
{
	reply_cancel(container_of(o, struct reply, obj));
}

static const struct kobj_ops reply_ops = {
	.name = "reply",
	.destroy = reply_destroy,
	.last_handle_closed = reply_last_handle,
};

int reply_create(struct thread *caller, struct reply **out)
{
	struct charge ch;
	int err = kobj_precharge(&ch, sizeof(struct reply));
	if (err)
		return err;
	struct reply *r = kmalloc(sizeof(*r));
	if (!r) {
		charge_drop(&ch);
		return ERR_NO_MEMORY;
	}
	memset(r, 0, sizeof(*r));
	kobj_init_charged(&r->obj, OBJ_REPLY, &reply_ops, &ch);
	wait_queue_init(&r->wq);
	r->state = REPLY_WAITING;
	kobj_get(&caller->obj);
	r->caller = caller;
	list_init(&r->donor_node);
	r->active = true;
	*out = r;
	return 0;
}

void reply_put(struct reply *r)
{
	kobj_put(&r->obj);
}

struct kobject *reply_obj(struct reply *r)
{
	return &r->obj;
}

struct reply *reply_from_obj(struct kobject *o)
{
	return container_of(o, struct reply, obj);
}

/* Moves r from WAITING to `state` (storing m); false if it was not
 * waiting any more. */
static bool finish(struct reply *r, int state, struct kmsg *m, int wake)
{
	unsigned long f = spin_lock_irqsave(&r->wq.lock);
	bool ok = r->state == REPLY_WAITING;
	if (ok) {
		r->state = state;
		r->answer = m;
		wait_queue_wake_locked(&r->wq, wake, ~0u);
	}
	spin_unlock_irqrestore(&r->wq.lock, f);
	if (ok) {
		struct thread *s = detach(r);
		if (s)
			kobj_put(&s->obj);
	}
	return ok;
}

void reply_cancel(struct reply *r)
{
	finish(r, REPLY_CANCELLED, NULL, ERR_PEER_CLOSED);
}

int reply_answer(struct reply *r, struct kmsg *m, struct handle_table *t,
		 const struct msg_handles *a, handle_t self)
{
	/* The move happens under r's lock while the caller is known to wait,
	 * so an answer that is accepted is never lost to a timeout. */
	int err;
	unsigned long f = spin_lock_irqsave(&r->wq.lock);
	if (r->state != REPLY_WAITING) {
		err = ERR_PEER_CLOSED;
	} else {
		err = kmsg_take(m, t, a, NULL, self, &r->obj);
		if (!err) {
			r->state = REPLY_DONE;
			r->answer = m;
			wait_queue_wake_locked(&r->wq, 0, ~0u);
		}
	}
	spin_unlock_irqrestore(&r->wq.lock, f);
	if (!err) {
		struct thread *s = detach(r);
		if (s)
			kobj_put(&s->obj);
		handle_transit_done(&r->obj); /* the one-shot handle is used */
		return 0;
	}
	kmsg_free(m); /* holds no handle */
	if (err == ERR_PEER_CLOSED) {
		/* The call is over: the reply handle goes, the attached
		 * handles stay with the server. */
		struct kobject *exp = &r->obj, *o;
		uint32_t rights;
		if (!handle_take_many(t, 1, &self, 0, &exp, &o, &rights))
			handle_transit_done(o);
	}
	return err;
}

int reply_wait(struct reply *r, uint64_t deadline_ns, struct kmsg **out)
{
	int err = 0;
	unsigned long f = spin_lock_irqsave(&r->wq.lock);
	while (r->state == REPLY_WAITING && !err)
		err = wait_queue_block(&r->wq, deadline_ns);
	if (r->state == REPLY_DONE) {
		err = 0;
		*out = r->answer;
		r->answer = NULL;
	} else if (r->state == REPLY_CANCELLED) {
		err = ERR_PEER_CLOSED;
	} else {
		/* Timed out or killed: later answers find the call over. */
		r->state = REPLY_CANCELLED;
		if (err == ERR_TIMED_OUT && deadline_ns == DEADLINE_POLL)
			err = ERR_SHOULD_WAIT;
	}
	spin_unlock_irqrestore(&r->wq.lock, f);
	donate_set_calling(NULL);
	struct thread *s = detach(r);
	if (s)
		kobj_put(&s->obj);
	return err;
}

/* struct reply is private to this file: its typed getter lives here. */
CAP_GETTER(reply, struct reply, OBJ_REPLY)
