/* Ports: a bounded queue of messages with one receive side (OBJ_PORT) and
 * any number of send endpoints (OBJ_PORT_SEND), each with its badge.
 * Messages are copied in at send; their handles leave the sender's table
 * only once every check passed and the queue had room. The queue is
 * ordered by how urgent the sender's scheduling parameters are (earlier
 * deadline, then higher RT priority; FIFO among equals) so an urgent
 * caller is not served behind lesser ones. */
#include <execrt/errors.h>
#include <execrt/rights.h>
#include <kern/lib.h>
#include <kern/notification.h>
#include <kern/port.h>
#include <kern/slab.h>
#include <kern/task.h>
#include <kern/thread.h>

/* Charged to the sender until received or dropped, so a full queue costs
 * its senders' quotas, not the kernel's. */
struct kmsg *kmsg_alloc(uint32_t len)
{
	struct charge ch;
	if (kobj_precharge(&ch, sizeof(struct kmsg) + len))
		return NULL;
	struct kmsg *m = kmalloc(sizeof(*m) + len);
	if (!m) {
		charge_drop(&ch);
		return NULL;
	}
	memset(m, 0, sizeof(*m));
	list_init(&m->node);
	m->len = len;
	m->charge = ch;
	return m;
}

void kmsg_free(struct kmsg *m)
{
	for (uint32_t i = 0; i < m->nhandles; i++)
		handle_discard(m->h[i]);
	if (m->reply) {
		reply_cancel(m->reply);
		reply_put(m->reply);
	}
	struct charge ch = m->charge;
	kfree(m);
	charge_drop(&ch);
}

int kmsg_take_handles(struct kmsg *m, struct handle_table *t,
		      const handle_t *hv, uint32_t n)
{
	m->nhandles = 0;
	for (uint32_t i = 0; i < n; i++) {
		int err = handle_take(t, hv[i], RIGHT_TRANSFER, &m->h[i],
				      &m->rights[i]);
		if (err)
			return err;
		m->nhandles++;
	}
	return 0;
}

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
	struct thread *rx = p->last_rx;
	p->last_rx = NULL;
	wait_queue_wake_locked(&p->wq, ERR_PEER_CLOSED, ~0u);
	spin_unlock_irqrestore(&p->wq.lock, f);
	drain(&dropped); /* cancels queued calls: their callers wake */
	if (rx)
		kobj_put(&rx->obj);
}

static void port_destroy(struct kobject *o)
{
	struct port *p = container_of(o, struct port, obj);
	drain(&p->queue);
	if (p->bound)
		kobj_put(&p->bound->obj);
	if (p->last_rx)
		kobj_put(&p->last_rx->obj);
	kfree(p);
}

static const struct kobj_ops port_ops = {
	.name = "port",
	.destroy = port_destroy,
	.last_handle_closed = port_last_handle,
};

static void send_destroy(struct kobject *o)
{
	struct port_send *s = container_of(o, struct port_send, obj);
	kobj_put(&s->port->obj);
	kfree(s);
}

static const struct kobj_ops send_ops = {
	.name = "port-send",
	.destroy = send_destroy,
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

/* On an error m stays the caller's to free; it then holds only handles
 * that were moved before a concurrent close made a take fail (those are
 * closed with it), so normally the sender keeps all of them. */
int port_send(struct port *p, struct kmsg *m, const handle_t *hv,
	      uint64_t deadline_ns)
{
	struct thread *me = thread_current();
	uint32_t n = m->nhandles;
	m->nhandles = 0; /* counts the handles actually moved */
	m->prio = sched_urgency_eff(me);
	int err = 0;
	unsigned long f = spin_lock_irqsave(&p->wq.lock);
	while (!p->closed && p->count >= PORT_QUEUE_MAX && !err)
		err = wait_queue_block(&p->wq, deadline_ns);
	if (p->closed)
		err = ERR_PEER_CLOSED;
	else if (err == ERR_TIMED_OUT && deadline_ns == DEADLINE_POLL)
		err = ERR_SHOULD_WAIT;
	if (!err) {
		/* Table lock under the port lock: never the other way. */
		err = kmsg_take_handles(m, &me->task->handles, hv, n);
		if (!err) {
			enqueue(p, m);
			wait_queue_wake_locked(&p->wq, 0, ~0u);
		}
	}
	struct thread *hint = NULL;
	struct reply *rep = NULL;
	if (!err && m->reply && p->last_rx) {
		hint = p->last_rx;
		kobj_get(&hint->obj);
		/* Once the lock drops, a receiver may take (and free) m. */
		rep = m->reply;
		kobj_get(reply_obj(rep));
	}
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
	if (err)
		return err;
	if (hint) {
		/* The thread that served this port last will most likely
		 * serve this call: let it work at the caller's priority. The
		 * reply may be answered already; then this does nothing. */
		reply_set_server(rep, hint);
		kobj_put(&hint->obj);
		reply_put(rep);
	}
	return 0;
}

int port_recv(struct port *p, uint32_t cap, uint32_t hcap, uint64_t deadline_ns,
	      struct kmsg **out, uint32_t *need_len, uint32_t *need_h)
{
	struct thread *me = thread_current();
	struct thread *old = NULL;
	int err = 0;
	unsigned long f = spin_lock_irqsave(&p->wq.lock);
	while (!p->closed && list_empty(&p->queue) && !err)
		err = wait_queue_block(&p->wq, deadline_ns);
	if (!list_empty(&p->queue)) {
		struct kmsg *m = list_entry(p->queue.next, struct kmsg, node);
		if (m->len > cap || m->nhandles > hcap) {
			*need_len = m->len;
			*need_h = m->nhandles;
			err = ERR_BUFFER_TOO_SMALL;
		} else {
			list_remove(&m->node);
			p->count--;
			*out = m;
			err = 0;
			/* Room for blocked senders. */
			wait_queue_wake_locked(&p->wq, 0, ~0u);
			if (p->last_rx != me) {
				old = p->last_rx;
				kobj_get(&me->obj);
				p->last_rx = me;
			}
		}
	} else if (p->closed) {
		err = ERR_PEER_CLOSED;
	} else if (err == ERR_TIMED_OUT && deadline_ns == DEADLINE_POLL) {
		err = ERR_SHOULD_WAIT;
	}
	spin_unlock_irqrestore(&p->wq.lock, f);
	if (old)
		kobj_put(&old->obj);
	return err;
}

void port_bind(struct port *p, struct notification *n, uint64_t bits)
{
	kobj_get(&n->obj);
	unsigned long f = spin_lock_irqsave(&p->wq.lock);
	struct notification *old = p->bound;
	p->bound = n;
	p->bound_bits = bits;
	bool pending = p->count > 0;
	spin_unlock_irqrestore(&p->wq.lock, f);
	if (old)
		kobj_put(&old->obj);
	if (pending) /* messages already waiting count too */
		notification_signal(n, bits);
}
