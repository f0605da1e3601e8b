/* Ports: a bounded queue of messages with one receive side (OBJ_PORT) and
 * any number of send endpoints (OBJ_PORT_SEND), each with its badge.
 * Messages are copied in at send; their handles leave the sender's table
 * only once every check passed and the queue had room. The queue is
 * ordered by how urgent the sender's scheduling parameters are (earlier
 * deadline, then higher RT priority; FIFO among equals) so an urgent
 * caller is not served behind lesser ones.
 *
 * Receivers and blocked senders wait on separate queues (both under the
 * port's lock) and are woken one at a time; one that leaves without using
 * its wake-up passes it on. Lock order: port lock -> transit lock ->
 * handle-table lock; port lock -> run-queue lock (wake-ups). Lending
 * (reply.c) takes donation locks only after the port lock is dropped. */
#include <execrt/errors.h>
#include <execrt/rights.h>
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/notification.h>
#include <kern/port.h>
#include <kern/slab.h>
#include <kern/task.h>
#include <kern/thread.h>

static void drain(struct list_node *q)
{
	struct list_node *n;
	while ((n = list_pop_front(q)))
		kmsg_free(list_entry(n, struct kmsg, node));
}

/* The last receive handle is gone: nobody will read what is queued. */
static void port_last_handle(struct kobject *o)
{
	struct port *p = container_of(o, struct port, obj);
	struct list_node dropped;
	list_init(&dropped);
	unsigned long f = spin_lock_irqsave(&p->wq.lock);
	p->closed = true;
	if (!list_empty(&p->queue)) {
		dropped = p->queue;
		dropped.next->prev = &dropped;
		dropped.prev->next = &dropped;
		list_init(&p->queue);
	}
	p->count = 0;
	struct thread *l = p->lender;
	p->lender = NULL;
	p->lender_call = NULL;
	p->lend_gen++;
	wait_queue_wake_locked(&p->wq, ERR_PEER_CLOSED, ~0u);
	wait_queue_wake_locked(&p->senders, ERR_PEER_CLOSED, ~0u);
	spin_unlock_irqrestore(&p->wq.lock, f);
	drain(&dropped); /* cancels queued calls: their callers wake */
	if (l)
		kobj_put(&l->obj);
}

static void port_destroy(struct kobject *o)
{
	struct port *p = container_of(o, struct port, obj);
	drain(&p->queue);
	if (p->bound)
		kobj_put(&p->bound->obj);
	if (p->lender)
		kobj_put(&p->lender->obj);
	kfree(p);
}

static const struct kobj_ops port_ops = {
	.name = "port",
	.destroy = port_destroy,
	.last_handle_closed = port_last_handle,
};

static void enqueue(struct port *p, struct kmsg *m);

static void send_destroy(struct kobject *o)
{
	struct port_send *s = container_of(o, struct port_send, obj);
	if (s->notice) /* never had a handle (the mint failed) */
		kmsg_free(s->notice);
	kobj_put(&s->port->obj);
	kfree(s);
}

/* No handle to the endpoint is left anywhere (tables, messages): queue
 * its no-senders notice. Runs once: a handle-less endpoint gets no new
 * handle. */
static void send_last_handle(struct kobject *o)
{
	struct port_send *s = container_of(o, struct port_send, obj);
	struct kmsg *m = s->notice;
	if (!m)
		return;
	s->notice = NULL;
	struct port *p = s->port;
	unsigned long f = spin_lock_irqsave(&p->wq.lock);
	bool queued = !p->closed;
	if (queued) {
		enqueue(p, m);
		p->count--; /* not held against PORT_QUEUE_MAX */
		wait_queue_wake_locked(&p->wq, 0, ~0u);
	}
	struct notification *bound = queued ? p->bound : NULL;
	uint64_t bits = p->bound_bits;
	if (bound)
		kobj_get(&bound->obj);
	spin_unlock_irqrestore(&p->wq.lock, f);
	if (!queued)
		kmsg_free(m);
	if (bound) {
		notification_signal(bound, bits);
		kobj_put(&bound->obj);
	}
}

static const struct kobj_ops send_ops = {
	.name = "port-send",
	.destroy = send_destroy,
	.last_handle_closed = send_last_handle,
};

int port_mint(struct port *p, uint64_t badge, struct port_send **out)
{
	struct charge ch;
	int err = kobj_precharge(&ch, sizeof(struct port_send));
	if (err)
		return err;
	struct port_send *s = kmalloc(sizeof(*s));
	if (!s) {
		charge_drop(&ch);
		return ERR_NO_MEMORY;
	}
	memset(s, 0, sizeof(*s));
	kobj_init_charged(&s->obj, OBJ_PORT_SEND, &send_ops, &ch);
	kobj_get(&p->obj);
	s->port = p;
	s->badge = badge;
	*out = s;
	return 0;
}

int port_mint_notify(struct port *p, uint64_t badge, struct port_send **out)
{
	struct kmsg *m = kmsg_alloc(0); /* charged to the minter */
	if (!m)
		return ERR_NO_MEMORY;
	m->badge = badge;
	m->prio = UINT64_MAX; /* before every sender's urgency */
	m->closed_notice = true;
	m->sender = 0; /* the kernel's, not the minter's */
	int err = port_mint(p, badge, out);
	if (err)
		kmsg_free(m);
	else
		(*out)->notice = m;
	return err;
}

int port_create(struct port **recv, struct port_send **send)
{
	struct charge ch;
	int err = kobj_precharge(&ch, sizeof(struct port));
	if (err)
		return err;
	struct port *p = kmalloc(sizeof(*p));
	if (!p) {
		charge_drop(&ch);
		return ERR_NO_MEMORY;
	}
	memset(p, 0, sizeof(*p));
	kobj_init_charged(&p->obj, OBJ_PORT, &port_ops, &ch);
	wait_queue_init(&p->wq);
	wait_queue_init(&p->senders);
	list_init(&p->queue);
	err = port_mint(p, 0, send);
	if (err) {
		kobj_put(&p->obj);
		return err;
	}
	*recv = p;
	return 0;
}

/* Lock held: after the last message of priority >= m's. */
static void enqueue(struct port *p, struct kmsg *m)
{
	struct list_node *pos = p->queue.prev;
	while (pos != &p->queue &&
	       list_entry(pos, struct kmsg, node)->prio < m->prio)
		pos = pos->prev;
	list_insert_after(pos, &m->node);
	p->count++;
}

/* Queued calls lend to the port's lender (none: they lend nothing): run
 * after every change of lender, and again until none came in between, so
 * the last run sees the last lender. No lock held. */
static void relend(struct port *p)
{
	struct reply *rs[PORT_QUEUE_MAX];
	for (;;) {
		unsigned n = 0;
		unsigned long f = spin_lock_irqsave(&p->wq.lock);
		uint64_t gen = p->lend_gen;
		struct thread *l = p->lender;
		if (l)
			kobj_get(&l->obj);
		list_for_each(it, &p->queue)
		{
			struct kmsg *m = list_entry(it, struct kmsg, node);
			if (m->reply && n < PORT_QUEUE_MAX) {
				kobj_get(reply_obj(m->reply));
				rs[n++] = m->reply;
			}
		}
		spin_unlock_irqrestore(&p->wq.lock, f);
		for (unsigned i = 0; i < n; i++) {
			if (!l || !reply_lend(rs[i], l))
				reply_unlend(rs[i]);
			reply_put(rs[i]);
		}
		if (l)
			kobj_put(&l->obj);
		if (READ_ONCE(p->lend_gen) == gen)
			return;
	}
}

void port_call_received(struct port *p, struct reply *r, struct thread *t)
{
	struct thread *old = NULL;
	bool changed = false;
	unsigned long f = spin_lock_irqsave(&p->wq.lock);
	if (!r->ended) {
		p->lender_call = r;
		if (p->lender != t) {
			old = p->lender;
			kobj_get(&t->obj);
			p->lender = t;
			p->lend_gen++;
			changed = p->count > 0;
		}
	}
	spin_unlock_irqrestore(&p->wq.lock, f);
	if (changed)
		relend(p);
	if (old)
		kobj_put(&old->obj);
}

void port_call_ended(struct port *p, struct reply *r)
{
	struct thread *old = NULL, *me = thread_current();
	bool changed = false;
	unsigned long f = spin_lock_irqsave(&p->wq.lock);
	r->ended = true;
	if (p->lender_call == r && p->lender == me && me->ipc_keep_lend == p) {
		/* Answered by port_reply_recv on this port: the lends stay
		 * until its receive (which takes the most urgent of them), so
		 * the server never runs on its own lesser parameters in
		 * between (port_lend_settle). */
		p->lender_call = NULL;
		me->ipc_lend_kept = true;
	} else if (p->lender_call == r) {
		old = p->lender;
		p->lender = NULL;
		p->lender_call = NULL;
		p->lend_gen++;
		changed = p->count > 0;
	}
	spin_unlock_irqrestore(&p->wq.lock, f);
	if (changed)
		relend(p);
	if (old)
		kobj_put(&old->obj);
}

void port_lend_settle(struct port *p, struct thread *t)
{
	struct thread *old = NULL;
	bool changed = false;
	unsigned long f = spin_lock_irqsave(&p->wq.lock);
	if (p->lender == t && !p->lender_call) {
		old = t;
		p->lender = NULL;
		p->lend_gen++;
		changed = p->count > 0;
	}
	spin_unlock_irqrestore(&p->wq.lock, f);
	if (changed)
		relend(p);
	if (old)
		kobj_put(&old->obj);
}

/* r's caller is gone (timed out, killed): its call, if still queued,
 * leaves now, so it holds neither charges nor handles nor a queue place
 * until a receive. Under the lock, so a receiver on another CPU either
 * took it first (its answer finds the call over) or never sees it. A
 * call the fastpath handed to a receiver is received already. */
void port_withdraw(struct port *p, struct reply *r)
{
	struct kmsg *m = NULL;
	unsigned long f = spin_lock_irqsave(&p->wq.lock);
	list_for_each(it, &p->queue)
	{
		if (list_entry(it, struct kmsg, node)->reply == r) {
			m = list_entry(it, struct kmsg, node);
			list_remove(&m->node);
			p->count--; /* (a call is never a notice) */
			wait_queue_wake_locked(&p->senders, 0, 1);
			break;
		}
	}
	spin_unlock_irqrestore(&p->wq.lock, f);
	if (m) /* its handles may close onto this port: after the lock */
		kmsg_free(m);
}

/* Lock held: wakes the first receiver; returns it (a reference). */
static struct thread *wake_one(struct port *p)
{
	struct thread *t = wait_queue_pop(&p->wq);
	if (t) {
		kobj_get(&t->obj);
		sched_interrupt(t, 0);
	}
	return t;
}

/* On an error m stays the caller's to free, holding no handle: the move
 * is all or nothing, so the sender keeps every one. Wake-ups are one at a
 * time: a message wakes one receiver; a receiver that leaves without
 * taking it passes the wake on (port_recv). */
int port_send(struct port *p, struct kmsg *m, const struct msg_handles *a,
	      uint64_t deadline_ns)
{
	struct thread *me = thread_current();
	m->nhandles = 0; /* set once the handles moved */
	m->prio = sched_urgency_eff(me);
	int err = 0;
	unsigned long f = spin_lock_irqsave(&p->wq.lock);
	while (!p->closed && p->count >= PORT_QUEUE_MAX && !err)
		err = wait_queue_block_on(&p->senders, &p->wq.lock,
					  deadline_ns);
	if (p->closed)
		err = ERR_PEER_CLOSED;
	else if (err == ERR_TIMED_OUT && deadline_ns == DEADLINE_POLL)
		err = ERR_SHOULD_WAIT;
	struct thread *woke = NULL;
	if (!err) {
		/* Table lock under the port lock: never the other way. */
		err = kmsg_take(m, &me->task->handles, a, p, HANDLE_INVALID,
				NULL);
		if (!err) {
			enqueue(p, m);
			/* Woken below, once the call is lent to it. */
			woke = wait_queue_pop(&p->wq);
			if (woke)
				kobj_get(&woke->obj);
		}
	}
	if (err && !p->closed && p->count < PORT_QUEUE_MAX)
		wait_queue_wake_locked(&p->senders, 0, 1); /* pass it on */
	/* A call lends to the receiver it woke (which takes it, unless
	 * another receiver is quicker: then that one), else to the thread
	 * serving this port's last call, if any. */
	struct thread *l = woke;
	struct reply *rep = NULL;
	uint64_t gen = p->lend_gen;
	if (!l && p->lender) {
		l = p->lender;
		kobj_get(&l->obj);
	}
	if (!err && m->reply && l) {
		/* Once the lock drops, a receiver may take (and free) m. */
		rep = m->reply;
		kobj_get(reply_obj(rep));
	}
	struct thread *drop = rep ? NULL : l; /* after the lock */
	if (!rep)
		l = NULL;
	struct notification *bound = !err ? p->bound : NULL;
	uint64_t bits = p->bound_bits;
	if (bound)
		kobj_get(&bound->obj);
	spin_unlock_irqrestore(&p->wq.lock, f);
	if (bound) {
		/* Outside the port lock: the notification has its own. */
		notification_signal(bound, bits);
		kobj_put(&bound->obj);
	}
	if (l) {
		/* The reply may be received or answered already; then this
		 * does nothing. A lender that changed meanwhile: again. The
		 * receiver gets the call's parameters before it wakes (a DL
		 * call moves it to the caller's CPU first). */
		reply_lend(rep, l);
		if (woke)
			sched_interrupt(woke, 0);
		kobj_put(&l->obj);
		reply_put(rep);
		if (!woke && READ_ONCE(p->lend_gen) != gen)
			relend(p);
	} else if (woke) {
		sched_interrupt(woke, 0);
	}
	if (drop)
		kobj_put(&drop->obj);
	return err;
}

int port_recv(struct port *p, uint32_t cap, uint32_t hcap, uint64_t deadline_ns,
	      struct kmsg **out, uint32_t *need_len, uint32_t *need_h,
	      struct thread *handoff)
{
	struct thread *me = thread_current(), *next = NULL;
	struct reply *big = NULL;
	int err = 0;
	unsigned long f = spin_lock_irqsave(&p->wq.lock);
	me->ipc_rx_cap = cap;
	me->ipc_rx_hcap = hcap;
	while (!p->closed && list_empty(&p->queue) && !me->ipc_handed &&
	       !me->ipc.handed_call && !err) {
		err = wait_queue_block_handoff(&p->wq, &p->wq.lock, deadline_ns,
					       handoff);
		handoff = NULL;
	}
	if (handoff)
		sched_wake(handoff); /* not blocking: it runs anyway */
	if (me->ipc.handed_call) {
		err = IPC_HANDED_REGS; /* in our registers already */
	} else if (me->ipc_handed) {
		/* The fastpath handed a call over (it fits: checked). */
		*out = me->ipc_handed;
		me->ipc_handed = NULL;
		err = 0;
	} else if (!list_empty(&p->queue)) {
		struct kmsg *m = list_entry(p->queue.next, struct kmsg, node);
		if (m->len > cap || m->nhandles > hcap) {
			*need_len = m->len;
			*need_h = m->nhandles;
			err = ERR_BUFFER_TOO_SMALL;
			/* Another receiver may have room for it: it gets the
			 * wake and the lend (none waiting: nobody does). */
			if (m->reply) {
				big = m->reply;
				kobj_get(reply_obj(big));
				next = wake_one(p);
			}
		} else {
			list_remove(&m->node);
			p->count -= !m->closed_notice;
			*out = m;
			err = 0;
			/* Room for one blocked sender. */
			wait_queue_wake_locked(&p->senders, 0, 1);
		}
	} else if (p->closed) {
		err = ERR_PEER_CLOSED;
	} else if (err == ERR_TIMED_OUT && deadline_ns == DEADLINE_POLL) {
		err = ERR_SHOULD_WAIT;
	}
	spin_unlock_irqrestore(&p->wq.lock, f);
	if (big) {
		if (!next || !reply_lend(big, next))
			reply_unlend(big);
		if (next)
			kobj_put(&next->obj);
		reply_put(big);
	}
	return err;
}

void port_bind(struct port *p, struct notification *n, uint64_t bits)
{
	kobj_get(&n->obj);
	unsigned long f = spin_lock_irqsave(&p->wq.lock);
	struct notification *old = p->bound;
	p->bound = n;
	p->bound_bits = bits;
	bool pending = !list_empty(&p->queue);
	spin_unlock_irqrestore(&p->wq.lock, f);
	if (old)
		kobj_put(&old->obj);
	if (pending) /* messages already waiting count too */
		notification_signal(n, bits);
}
