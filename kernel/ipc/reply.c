/* One-shot reply objects and priority donation. A call arms a reply
 * object (the caller's built-in one, struct ipc_slot, when no handle or
 * reference to its previous use is left; else a new one); the server gets
 * a handle to it with the message and answers through it exactly once.
 * While the call is open, the thread serving it runs on the caller's
 * class, deadline or priority when they are more urgent than its own,
 * charging the caller's budget (docs/ipc.md "Donation",
 * docs/scheduling.md).
 *
 * Donation is exact per call: a reply is on its server's `donors` list
 * exactly while the call is open and served (received, or lent while
 * queued, see port.c), and every change recomputes the server and then,
 * link by link, whoever it calls, until nothing changes.
 *
 * Locks: each thread has its own donation lock (dlock). A reply's
 * `server` and `lent` are under its caller's dlock; a thread's `donors`
 * list and `calling` under its own. Two are held together only as caller
 * then server of one call; calls cannot form a cycle (a receiver is not
 * calling; lends are checked, under lend_lock), so that order is a DAG.
 * Order: port lock -> lend_lock -> dlock (caller, then server) -> run-queue
 * lock; never a reply's wait-queue lock together with a dlock. */
#include <execrt/errors.h>
#include <kern/arch.h>
#include <kern/cap.h>
#include <kern/lib.h>
#include <kern/port.h>
#include <kern/sched.h>
#include <kern/slab.h>
#include <kern/spinlock.h>
#include <kern/thread.h>

/* Taken only to lend a queued call (port.c): the cycle check and the link
 * happen under it, so two lends cannot close a cycle together. */
static spinlock_t lend_lock = SPINLOCK_INIT;

/* t runs on the most urgent of its own parameters and those its callers
 * run on; then the same for whoever t calls, until nothing changes. Best
 * effort callers lend nothing: fair sharing has no urgency. No lock held. */
static void recompute(struct thread *t)
{
	kobj_get(&t->obj);
	for (bool first = true; t; first = false) {
		unsigned long f = spin_lock_irqsave(&t->dlock);
		struct thread *best = NULL;
		uint64_t bu = sched_urgency(t);
		list_for_each(it, &t->donors)
		{
			struct reply *r =
				list_entry(it, struct reply, donor_node);
			uint64_t u;
			struct thread *o = sched_eff_get(r->caller, &u);
			if (o->sp.cls != SCHED_CLASS_BE && u > bu) {
				bu = u;
				if (best)
					kobj_put(&best->obj);
				best = o;
			} else {
				kobj_put(&o->obj);
			}
		}
		bool changed = best != READ_ONCE(t->donor);
		struct thread *old = changed ? sched_set_donor(t, best) : NULL;
		struct thread *next = t->calling ? t->calling->server : NULL;
		if (next)
			kobj_get(&next->obj);
		spin_unlock_irqrestore(&t->dlock, f);
		if (best)
			kobj_put(&best->obj);
		if (old)
			kobj_put(&old->obj);
		kobj_put(&t->obj);
		t = next;
		if (!changed && !first && t) {
			kobj_put(&t->obj);
			break; /* nothing further changes */
		}
	}
}

/* Caller's dlock held: links r to s (lent: while still queued). Returns
 * the previous server (its reference, for the caller to drop). */
static struct thread *link_locked(struct reply *r, struct thread *s, bool lent)
{
	struct thread *old = r->server;
	if (old) {
		spin_lock(&old->dlock);
		list_remove(&r->donor_node);
		spin_unlock(&old->dlock);
	}
	kobj_get(&s->obj);
	r->server = s;
	r->lent = lent;
	spin_lock(&s->dlock);
	list_push_back(&s->donors, &r->donor_node);
	spin_unlock(&s->dlock);
	return old;
}

/* Does c lend anything now? A best-effort caller on its own parameters
 * does not: adding or removing it changes no one's parameters. Read after
 * the link changed: a concurrent change of c's parameters recomputes
 * along c's call (donate_propagate), which then sees the new link. */
static bool lends(struct thread *c)
{
	return READ_ONCE(c->sp.cls) != SCHED_CLASS_BE || READ_ONCE(c->donor);
}

static void relinked(struct thread *s, struct thread *old)
{
	if (s)
		recompute(s);
	if (old) {
		recompute(old);
		kobj_put(&old->obj);
	}
}

static void set_server(struct reply *r, struct thread *t, bool calling)
{
	struct thread *c = r->caller, *old = NULL;
	bool linked = false;
	unsigned long f = spin_lock_irqsave(&c->dlock);
	if (calling)
		c->calling = r;
	if (r->active && r->server != t) {
		old = link_locked(r, t, false);
		linked = true;
	} else if (r->active) {
		r->lent = false; /* a lent call, now received by its lender */
	}
	spin_unlock_irqrestore(&c->dlock, f);
	if (!lends(c)) {
		if (old)
			kobj_put(&old->obj);
		return;
	}
	relinked(linked ? t : NULL, old);
}

void reply_set_server(struct reply *r, struct thread *t)
{
	set_server(r, t, false);
}

void reply_call_served(struct reply *r, struct thread *t)
{
	set_server(r, t, true);
}

/* Would s serving r's caller close a cycle (s calls, transitively, the
 * caller)? Under lend_lock. */
static bool would_cycle(struct thread *caller, struct thread *s)
{
	kobj_get(&s->obj);
	bool cyc = false;
	while (s && !cyc) {
		cyc = s == caller;
		unsigned long f = spin_lock_irqsave(&s->dlock);
		struct thread *n = s->calling ? s->calling->server : NULL;
		if (n)
			kobj_get(&n->obj);
		spin_unlock_irqrestore(&s->dlock, f);
		kobj_put(&s->obj);
		s = n;
	}
	if (s)
		kobj_put(&s->obj);
	return cyc;
}

bool reply_lend(struct reply *r, struct thread *s)
{
	struct thread *c = r->caller, *old = NULL;
	bool linked = false;
	unsigned long f = spin_lock_irqsave(&lend_lock);
	if (!would_cycle(c, s)) {
		spin_lock(&c->dlock);
		/* Only a queued call is lent (received: it has a server). */
		if (r->active && (!r->server || r->lent) && r->server != s) {
			old = link_locked(r, s, true);
			linked = true;
		}
		spin_unlock(&c->dlock);
	}
	spin_unlock_irqrestore(&lend_lock, f);
	relinked(linked ? s : NULL, old);
	return linked;
}

void reply_unlend(struct reply *r)
{
	struct thread *c = r->caller, *s = NULL;
	unsigned long f = spin_lock_irqsave(&c->dlock);
	if (r->lent && r->server) {
		s = r->server;
		spin_lock(&s->dlock);
		list_remove(&r->donor_node);
		spin_unlock(&s->dlock);
		r->server = NULL;
		r->lent = false;
	}
	spin_unlock_irqrestore(&c->dlock, f);
	relinked(NULL, s);
}

/* Ends r's donation for good. */
static void detach(struct reply *r)
{
	struct thread *c = r->caller, *s;
	unsigned long f = spin_lock_irqsave(&c->dlock);
	s = r->server;
	r->active = false;
	r->server = NULL;
	r->lent = false;
	if (c->calling == r)
		c->calling = NULL; /* (saves the caller its own hold) */
	if (s) {
		spin_lock(&s->dlock);
		list_remove(&r->donor_node);
		spin_unlock(&s->dlock);
	}
	spin_unlock_irqrestore(&c->dlock, f);
	if (s && !lends(c)) {
		kobj_put(&s->obj);
		return;
	}
	relinked(NULL, s);
}

void donate_set_calling(struct reply *r)
{
	struct thread *me = thread_current();
	unsigned long f = spin_lock_irqsave(&me->dlock);
	me->calling = r;
	spin_unlock_irqrestore(&me->dlock, f);
}

void donate_propagate(struct thread *t)
{
	recompute(t);
}

/* The call is over (answered, cancelled, timed out): its donation ends
 * and, if it made its server the port's lender, the lends go too. */
static void call_over(struct reply *r)
{
	detach(r);
	port_call_ended(r->port, r);
}

/* Last reference: the answer never taken is dropped. */
static void reply_release(struct reply *r)
{
	/* Normally done already; the last reference: nobody else looks. */
	if (r->active || r->server)
		detach(r);
	if (r->answer)
		kmsg_free(r->answer);
	r->answer = NULL;
	kobj_put(&r->port->obj);
}

static void reply_destroy(struct kobject *o)
{
	struct reply *r = container_of(o, struct reply, obj);
	reply_release(r);
	kobj_put(&r->caller->obj);
	kfree(r);
}

/* The built-in reply: free for the next call once this returns. */
static void slot_destroy(struct kobject *o)
{
	struct reply *r = container_of(o, struct reply, obj);
	reply_release(r);
	struct thread *c = r->caller;
	__atomic_store_n(&r->armed, 0, __ATOMIC_RELEASE);
	kobj_put(&c->obj); /* last: may free r's memory */
}

/* The server closed the reply handle (or died) without answering. */
static void reply_last_handle(struct kobject *o)
{
	struct reply *r = container_of(o, struct reply, obj);
	/* Answered already (the common case: its handle was consumed by
	 * the answer): nothing to cancel. A state once past WAITING never
	 * goes back while the handle's reference keeps r. */
	if (READ_ONCE(r->state) != REPLY_WAITING)
		return;
	reply_cancel(r);
}

static const struct kobj_ops reply_ops = {
	.name = "reply",
	.destroy = reply_destroy,
	.last_handle_closed = reply_last_handle,
};

static const struct kobj_ops slot_ops = {
	.name = "reply",
	.destroy = slot_destroy,
	.last_handle_closed = reply_last_handle,
};

static void reply_init(struct reply *r, struct thread *caller, struct port *p)
{
	wait_queue_init(&r->wq);
	r->state = REPLY_WAITING;
	r->answer = NULL;
	kobj_get(&caller->obj);
	r->caller = caller;
	kobj_get(&p->obj);
	r->port = p;
	r->server = NULL;
	list_init(&r->donor_node);
	r->active = true;
	r->lent = false;
	r->ended = false;
	r->reg = false;
}

int reply_create(struct thread *caller, struct port *p, struct reply **out)
{
	struct reply *r = &caller->ipc.reply;
	uint32_t idle = 0;
	if (__atomic_compare_exchange_n(&r->armed, &idle, 1, false,
					__ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
		/* Part of the thread: nothing to charge. */
		kobj_init(&r->obj, OBJ_REPLY, &slot_ops);
		reply_init(r, caller, p);
		*out = r;
		return 0;
	}
	struct charge ch;
	int err = kobj_precharge(&ch, sizeof(struct reply));
	if (err)
		return err;
	r = kmalloc(sizeof(*r));
	if (!r) {
		charge_drop(&ch);
		return ERR_NO_MEMORY;
	}
	memset(r, 0, sizeof(*r));
	kobj_init_charged(&r->obj, OBJ_REPLY, &reply_ops, &ch);
	reply_init(r, caller, p);
	*out = r;
	return 0;
}

struct kmsg *reply_answer_slot(struct reply *r)
{
	return r->obj.ops == &slot_ops ? &r->caller->ipc.ans : NULL;
}

struct thread *reply_caller(struct reply *r)
{
	return r->caller;
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
	if (ok)
		call_over(r);
	return ok;
}

void reply_cancel(struct reply *r)
{
	finish(r, REPLY_CANCELLED, NULL, ERR_PEER_CLOSED);
}

/* r's lock held, the answer accepted (m; NULL: in the caller's
 * registers already): the caller is woken, or with handoff non-NULL and
 * the fastpath's conditions met comes back there (a reference). */
static void answered(struct reply *r, struct kmsg *m, uint32_t len,
		     uint32_t nhandles, struct thread **handoff)
{
	r->state = REPLY_DONE;
	r->answer = m;
	struct fast_args fa = {
		.kind = FAST_REPLY,
		.len = len,
		.nhandles = nhandles,
		.peer = list_empty(&r->wq.waiters)
				? NULL
				: list_entry(r->wq.waiters.next, struct thread,
					     wait_node),
	};
	if (handoff && ipc_fast_ok(&fa)) {
		*handoff = wait_queue_pop(&r->wq);
		kobj_get(&(*handoff)->obj);
		thread_current()->ipc_fast++;
	} else {
		wait_queue_wake_locked(&r->wq, 0, ~0u);
	}
}

int reply_answer(struct reply *r, struct kmsg *m, struct handle_table *t,
		 const struct msg_handles *a, handle_t self,
		 struct thread **handoff)
{
	/* The move happens under r's lock while the caller is known to wait,
	 * so an answer that is accepted is never lost to a timeout. */
	int err;
	unsigned long f = spin_lock_irqsave(&r->wq.lock);
	if (r->state != REPLY_WAITING) {
		err = ERR_PEER_CLOSED;
	} else {
		err = kmsg_take(m, t, a, NULL, self, &r->obj);
		if (!err)
			answered(r, m, m->len, m->nhandles, handoff);
	}
	spin_unlock_irqrestore(&r->wq.lock, f);
	if (!err) {
		call_over(r);
		if (self) /* (an implicit reply has none) */
			handle_transit_done(&r->obj); /* the handle is used */
		return 0;
	}
	kmsg_free(m); /* holds no handle */
	if (err == ERR_PEER_CLOSED && self) {
		/* The call is over: the reply handle goes, the attached
		 * handles stay with the server. */
		struct kobject *exp = &r->obj, *o;
		uint32_t rights;
		if (!handle_take_many(t, 1, &self, 0, &exp, &o, &rights))
			handle_transit_done(o);
	}
	return err;
}

bool reply_is_reg(struct reply *r)
{
	return r->reg;
}

/* The caller waits inside its system call while the state is WAITING
 * (under r's lock), and reads its saved registers only when it returns
 * to user mode, after it saw the state change: so the answer can be
 * written there, from any CPU, without a buffer. */
int reply_answer_regs(struct reply *r, const struct ipc_regs *o,
		      struct thread **handoff)
{
	int err = 0;
	unsigned long f = spin_lock_irqsave(&r->wq.lock);
	if (r->state != REPLY_WAITING) {
		err = ERR_PEER_CLOSED;
	} else {
		arch_ipc_regs_store(r->caller, o);
		answered(r, NULL, (uint32_t)o->ctl, 0, handoff);
	}
	spin_unlock_irqrestore(&r->wq.lock, f);
	if (!err)
		call_over(r);
	return err;
}

int reply_wait(struct reply *r, uint64_t deadline_ns, struct kmsg **out,
	       struct thread *handoff)
{
	int err = 0;
	unsigned long f = spin_lock_irqsave(&r->wq.lock);
	while (r->state == REPLY_WAITING && !err) {
		err = wait_queue_block_handoff(&r->wq, &r->wq.lock, deadline_ns,
					       handoff);
		handoff = NULL;
	}
	if (handoff)
		sched_wake(handoff); /* answered already: it ran */
	bool ended_here = false;
	if (r->state == REPLY_DONE) {
		err = 0;
		*out = r->answer;
		r->answer = NULL;
	} else if (r->state == REPLY_CANCELLED) {
		err = ERR_PEER_CLOSED;
	} else {
		/* Timed out or killed: later answers find the call over. */
		r->state = REPLY_CANCELLED;
		ended_here = true;
		if (err == ERR_TIMED_OUT && deadline_ns == DEADLINE_POLL)
			err = ERR_SHOULD_WAIT;
	}
	spin_unlock_irqrestore(&r->wq.lock, f);
	if (READ_ONCE(thread_current()->calling)) /* (else detach did) */
		donate_set_calling(NULL);
	if (ended_here) {
		port_withdraw(r->port, r); /* first: no receiver takes it */
		call_over(r);
	}
	return err;
}

/* struct reply is private to this file: its typed getter lives here. */
CAP_GETTER(reply, struct reply, OBJ_REPLY)
