/* The IPC fastpath (docs/ipc.md "Fastpath"). A call to a port where a
 * receiver is already blocked, or an answer by port_reply_recv to a caller
 * that waits, on the same CPU, with a small message and no handles: the
 * message goes from the sender's buffer straight into the peer's hands
 * (no queue, no allocation: the per-thread reply object and buffers), the
 * call's scheduling parameters go with it (donation is linked before the
 * switch), and the sender blocks and the peer becomes ready in one
 * scheduling decision under one run-queue lock hold
 * (sched_block_handoff): no wake-up through another lock, no second
 * scheduling pass, no timer programming unless the next event changed.
 *
 * ipc_fast_ok() is the whole list of conditions; anything else takes the
 * slow path, which gives the same results (the boot option
 * `ipc_fastpath=off` forces it, and the guest suite runs both ways). */
#include <execrt/errors.h>
#include <execrt/rights.h>
#include <kern/arch.h>
#include <kern/bootinfo.h>
#include <kern/cap.h>
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/port.h>
#include <kern/sched.h>
#include <kern/task.h>
#include <kern/thread.h>

static int fast_on = -1; /* -1: not read from the command line yet */

bool ipc_fastpath_enabled(void)
{
	int on = READ_ONCE(fast_on);
	if (on < 0) {
		char v[8];
		on = !(bootinfo_cmdline_get(&boot_info, "ipc_fastpath", v,
					    sizeof(v)) &&
		       !strcmp(v, "off"));
		WRITE_ONCE(fast_on, on);
	}
	return on;
}

/* Every condition of the fastpath, for a call (peer: the first receiver
 * blocked on the port; the port's lock held) and for an answer given by
 * port_reply_recv (peer: the caller waiting for it; the reply's lock
 * held). Each line that fails sends the operation down the slow path. */
bool ipc_fast_ok(const struct fast_args *a)
{
	struct thread *me = thread_current(), *peer = a->peer;
	/* 1. The fastpath is on (boot option ipc_fastpath=off). */
	if (!ipc_fastpath_enabled())
		return false;
	/* 2. No handles to move; 3. the message fits a per-thread buffer. */
	if (a->nhandles || a->len > IPC_SLOT_MAX)
		return false;
	/* 4. A call's sender blocks for the answer (a receiver that polls
	 * after answering just wakes its caller: port_recv). */
	if (a->kind == FAST_CALL && a->deadline == DEADLINE_POLL)
		return false;
	/* 5. The peer waits: blocked, and 6. nobody is being killed. */
	if (!peer || READ_ONCE(peer->state) != THREAD_BLOCKED ||
	    READ_ONCE(peer->killed) || READ_ONCE(me->killed))
		return false;
	/* 7. On this CPU, and staying there. */
	if (READ_ONCE(peer->cpu) != arch_cpu_id() ||
	    READ_ONCE(peer->move_to) >= 0)
		return false;
	/* 8. No DL on either side: DL time is spent on the CPU where it is
	 * admitted, and a DL donation may move the server. */
	if (sched_eff_class(me) == SCHED_CLASS_DL ||
	    sched_eff_class(peer) == SCHED_CLASS_DL)
		return false;
	if (a->kind == FAST_REPLY)
		return true;
	/* 9. A call: the port is open, nothing queued before it, no bound
	 * notification to raise, the receiver's buffer is large enough and
	 * nothing else handed to it, the caller's reply slot is free. */
	return !a->port->closed && list_empty(&a->port->queue) &&
	       !a->port->bound && !peer->ipc_handed && !peer->ipc.handed_call &&
	       peer->ipc_rx_cap >= a->len && a->slot_free;
}

/* A call on the fastpath: m (the caller's own buffer, no handles) and r
 * (its reply object, m's reference) are ready. IPC_SLOW when it cannot be
 * taken (nothing changed: the caller goes the slow way with m and r),
 * else the call's result, with the answer in *ans. */
int ipc_fast_call(struct port *p, struct kmsg *m, struct reply *r,
		  uint64_t deadline, struct kmsg **ans)
{
	struct thread *me = thread_current();
	/* A cheap look first, without the lock. */
	if (!ipc_fastpath_enabled() || list_empty(&p->wq.waiters))
		return IPC_SLOW;
	unsigned long f = spin_lock_irqsave(&p->wq.lock);
	struct fast_args fa = {
		.kind = FAST_CALL,
		.len = m->len,
		.nhandles = m->nhandles,
		.deadline = deadline,
		.port = p,
		.peer = list_empty(&p->wq.waiters)
				? NULL
				: list_entry(p->wq.waiters.next, struct thread,
					     wait_node),
		.slot_free = m == &me->ipc.req && r == &me->ipc.reply,
	};
	struct thread *rcv = NULL;
	if (ipc_fast_ok(&fa)) {
		rcv = wait_queue_pop(&p->wq);
		kobj_get(&rcv->obj);
		m->handed = true;
		rcv->ipc_handed = m; /* taken first by its port_recv */
	}
	spin_unlock_irqrestore(&p->wq.lock, f);
	if (!rcv)
		return IPC_SLOW;
	me->ipc_fast++;
	/* The scheduling parameters go with the call. */
	reply_call_served(r, rcv);
	port_call_received(p, r, rcv);
	int err = reply_wait(r, deadline, ans, rcv);
	kobj_put(&rcv->obj);
	return err;
}

/* A register call to a thread blocked in a register receive: on top of
 * ipc_fast_ok(), the message goes straight into the receiver's saved
 * registers under the port's lock (it is blocked: it reads them only on
 * its way back to user mode) and the call's reply object, the caller's
 * built-in one, is handed to it in place of a message. */
int ipc_reg_fast_call(struct port_send *s, const struct ipc_regs *msg,
		      uint64_t deadline, struct kmsg **ans)
{
	struct thread *me = thread_current();
	struct port *p = s->port;
	/* A cheap look first, without the lock; the built-in reply object
	 * only goes from armed to free behind our back, never back. */
	if (!ipc_fastpath_enabled() || READ_ONCE(me->ipc.reply.armed) ||
	    list_empty(&p->wq.waiters))
		return IPC_SLOW;
	unsigned long f = spin_lock_irqsave(&p->wq.lock);
	struct thread *rcv = list_empty(&p->wq.waiters)
				     ? NULL
				     : list_entry(p->wq.waiters.next,
						  struct thread, wait_node);
	struct fast_args fa = {
		.kind = FAST_CALL,
		.len = (uint32_t)msg->ctl,
		.deadline = deadline,
		.port = p,
		.peer = rcv,
		.slot_free = true,
	};
	if (!ipc_fast_ok(&fa) || !rcv->ipc.rx_reg) {
		spin_unlock_irqrestore(&p->wq.lock, f);
		return IPC_SLOW;
	}
	wait_queue_pop(&p->wq);
	kobj_get(&rcv->obj);
	struct reply *r;
	/* The built-in one (free, seen above): no allocation, no failure. */
	int err = reply_create(me, p, &r);
	BUG_ON(err || r != &me->ipc.reply);
	r->reg = true;
	struct ipc_regs o = *msg;
	o.ctl |= (uint64_t)PORT_RX_IMPLICIT_REPLY << 32;
	o.badge = s->badge;
	o.sender = me->task ? me->task->obj.koid : 0;
	arch_ipc_regs_store(rcv, &o);
	kobj_get(reply_obj(r)); /* the receiver's, for its implicit reply */
	rcv->ipc.handed_call = r;
	/* Its server serves this port's calls already (the common case):
	 * port_call_received's work is one store, under this lock. */
	bool lender_kept = p->lender == rcv;
	if (lender_kept)
		p->lender_call = r;
	spin_unlock_irqrestore(&p->wq.lock, f);
	me->ipc_fast++;
	/* The scheduling parameters go with the call. */
	reply_call_served(r, rcv);
	if (!lender_kept)
		port_call_received(p, r, rcv);
	err = reply_wait(r, deadline, ans, rcv);
	kobj_put(&rcv->obj);
	reply_put(r);
	return err;
}
