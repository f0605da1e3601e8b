/* Kernel messages (struct kmsg): the bytes and moved handles of one
 * message, from its decode at send until it is received, answered or
 * dropped (docs/ipc.md "How handles move"). A message is charged to the
 * task of the thread that filled it; a thread's built-in slots (its call
 * and its answer buffer) are reused, never freed.
 *
 * The transit count: each port counts its receive handles inside
 * messages (docs/ipc.md "The cycle rule"), under one global lock taken
 * only for messages that carry receive handles. Lock order: port lock ->
 * transit lock -> handle-table lock. */
#include <execrt/errors.h>
#include <execrt/rights.h>
#include <kern/lib.h>
#include <kern/log.h>
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
	struct thread *me = thread_current();
	m->sender = me && me->task ? me->task->obj.koid : 0;
	m->len = len;
	m->charge = ch;
	m->data = (uint8_t *)(m + 1);
	return m;
}

/* A thread's own buffer is not charged: it is part of the thread, and at
 * most one message per buffer is in flight. It holds a reference to its
 * thread while in use (a queued message may outlive its sender). */
struct kmsg *kmsg_get(struct kmsg *slot, struct thread *owner, uint32_t len)
{
	uint32_t idle = 0;
	if (len > IPC_SLOT_MAX ||
	    !__atomic_compare_exchange_n(&slot->busy, &idle, 1, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return kmsg_alloc(len);
	list_init(&slot->node);
	slot->badge = slot->prio = 0;
	struct thread *me = thread_current(); /* (not owner: an answer) */
	slot->sender = me && me->task ? me->task->obj.koid : 0;
	slot->len = len;
	slot->nhandles = 0;
	slot->reply = NULL;
	slot->handed = false;
	kobj_get(&owner->obj);
	slot->owner = owner;
	BUG_ON(slot != &owner->ipc.req && slot != &owner->ipc.ans);
	slot->data = slot == &owner->ipc.req ? owner->ipc.req_buf
					     : owner->ipc.ans_buf;
	return slot;
}

/* Guards port.transit and the cycle rule's check-and-take: a global lock,
 * taken only for messages carrying a port's receive side. Order: port or
 * reply lock -> transit lock -> handle-table lock. */
static spinlock_t transit_lock = SPINLOCK_INIT;

static struct port *as_port(struct kobject *o)
{
	return o->type == OBJ_PORT ? container_of(o, struct port, obj) : NULL;
}

/* A receive handle of each port among objs leaves (-1) or enters (+1) a
 * message. */
static void transit_add(struct kobject *const *objs, uint32_t n, int d)
{
	bool any = false;
	for (uint32_t i = 0; i < n; i++)
		any |= as_port(objs[i]) != NULL;
	if (!any)
		return;
	unsigned long f = spin_lock_irqsave(&transit_lock);
	for (uint32_t i = 0; i < n; i++)
		if (as_port(objs[i]))
			as_port(objs[i])->transit += (unsigned)d;
	spin_unlock_irqrestore(&transit_lock, f);
}

void kmsg_free(struct kmsg *m)
{
	transit_add(m->h, m->nhandles, -1);
	for (uint32_t i = 0; i < m->nhandles; i++)
		handle_transit_done(m->h[i]);
	if (m->reply) {
		reply_cancel(m->reply);
		reply_put(m->reply);
	}
	struct thread *owner = m->owner;
	if (owner) {
		__atomic_store_n(&m->busy, 0, __ATOMIC_RELEASE);
		kobj_put(&owner->obj); /* last: may free m's memory */
		return;
	}
	struct charge ch = m->charge;
	kfree(m);
	charge_drop(&ch);
}

void kmsg_delivered(struct kmsg *m)
{
	transit_add(m->h, m->nhandles, -1);
	for (uint32_t i = 0; i < m->nhandles; i++)
		handle_transit_done(m->h[i]);
	m->nhandles = 0;
}

void msg_handles_unpin(struct msg_handles *a)
{
	for (uint32_t i = 0; i < a->n; i++)
		kobj_put(a->pin[i]);
	a->n = 0;
}

/* Why the cycle rule forbids every cycle of ports kept alive only by
 * their own queues: draw an edge X -> D when a receive handle of X sits
 * in a message queued on D. A leak needs a cycle of such edges. An edge
 * X -> D is only added while D has no outgoing edge (its receive side is
 * in no message), and D != X; a path from D back to X would start with an
 * outgoing edge of D, so the new edge closes no cycle. Answers (messages
 * held by a reply object) are counted too: they only sit there until the
 * caller, a live thread, takes them. */
int kmsg_take(struct kmsg *m, struct handle_table *t,
	      const struct msg_handles *a, struct port *dest, handle_t self,
	      struct kobject *self_obj)
{
	handle_t hv[PORT_HANDLES_MAX + 1];
	struct kobject *exp[PORT_HANDLES_MAX + 1], *objs[PORT_HANDLES_MAX + 1];
	uint32_t rights[PORT_HANDLES_MAX + 1], n = a->n;
	bool ports = false;
	for (uint32_t i = 0; i < a->n; i++) {
		hv[i] = a->hv[i];
		exp[i] = a->pin[i];
		ports |= as_port(a->pin[i]) != NULL;
	}
	if (self) {
		hv[n] = self;
		exp[n++] = self_obj;
	}
	unsigned long f = 0;
	if (ports)
		f = spin_lock_irqsave(&transit_lock);
	int err = 0;
	if (ports && dest && dest->transit)
		err = ERR_BAD_STATE;
	else
		err = handle_take_many(t, n, hv, RIGHT_TRANSFER, exp, objs,
				       rights);
	if (!err) {
		for (uint32_t i = 0; i < a->n; i++) {
			m->h[i] = objs[i];
			m->rights[i] = rights[i];
			if (as_port(objs[i]))
				as_port(objs[i])->transit++;
		}
		m->nhandles = a->n;
	}
	if (ports)
		spin_unlock_irqrestore(&transit_lock, f);
	return err;
}
