/* Register messages (docs/ipc.md "Register messages"): a call and a
 * reply-and-receive whose message is up to PORT_REG_WORDS words in the
 * argument registers and whose result comes back in registers, written
 * into the thread's saved user frame (arch_ipc_regs_store). No user
 * memory is read or written, so nothing can fault. On the fastpath the
 * message goes straight into the blocked peer's saved registers
 * (ipc_reg_fast_call, reply_answer_regs); otherwise it travels in the
 * same kernel structures as any other (the per-thread buffers, reply
 * object and implicit reply), so every rule of the other port calls
 * (timeouts, kills, a server's death, donation, bound notifications,
 * other CPUs) holds unchanged. */
#include <kern/arch.h>
#include <kern/lib.h>
#include <kern/port.h>
#include <kern/sched.h>
#include <kern/syscall.h>
#include <kern/task.h>
#include <kern/thread.h>

#define CTL_LEN(ctl) ((uint32_t)((ctl) >> 32) & 0xffffu)
#define CTL_KNOWN    (0xffffffffffffull | PORT_REG_ANSWER)

/* The bytes of len from the words (the rest of each word ignored). */
static struct kmsg *words_msg(struct kmsg *slot, struct thread *owner,
			      uint32_t len, const uint64_t *w)
{
	struct kmsg *m = slot ? kmsg_get(slot, owner, len) : kmsg_alloc(len);
	if (m)
		memcpy(m->data, w, len);
	return m;
}

/* Hands m to the current thread in its result registers: a call is kept
 * as its implicit reply. m is consumed. Too big for the registers (only
 * a call's answer gets here so: a receive asks for the size it takes):
 * the sizes, ERR_BUFFER_TOO_SMALL, the answer dropped. */
static int deliver_regs(struct kmsg *m)
{
	struct ipc_regs o = {.badge = m->badge, .sender = m->sender};
	uint32_t flags = m->closed_notice ? PORT_RX_CLOSED : 0;
	int err = 0;
	if (m->len > PORT_REG_MAX || m->nhandles) {
		o.ctl = m->len;
		o.w[0] = m->nhandles;
		err = ERR_BUFFER_TOO_SMALL;
	} else {
		memcpy(o.w, m->data, m->len);
		if (m->reply) {
			struct reply *r = m->reply;
			struct thread *me = thread_current();
			if (!m->handed) { /* the fastpath did both */
				reply_set_server(r, me);
				port_call_received(r->port, r, me);
			}
			ipc_implicit_set(r); /* m's reference */
			m->reply = NULL;
			flags |= PORT_RX_IMPLICIT_REPLY;
		}
		o.ctl = m->len | (uint64_t)flags << 32;
	}
	arch_ipc_regs_store(thread_current(), &o);
	kmsg_free(m);
	return err;
}

/* a0: send_h | len << 32; a1: deadline; a2..a5: the words. */
SYSCALL(sys_port_call_reg)
{
	uint32_t len = (uint32_t)(a0 >> 32);
	if (len > PORT_REG_MAX)
		return ERR_INVALID_ARGS;
	struct ipc_regs msg = {.ctl = len, .w = {a2, a3, a4, a5}};
	/* Only len bytes travel. */
	if (len < PORT_REG_MAX)
		memset((uint8_t *)msg.w + len, 0, PORT_REG_MAX - len);
	struct port_send *s;
	int err = get_port_send((handle_t)a0, RIGHT_WRITE, &s);
	if (err)
		return err;
	struct kmsg *ans = NULL;
	err = ipc_reg_fast_call(s, &msg, a1, &ans);
	if (err == IPC_SLOW) {
		struct thread *me = thread_current();
		struct kmsg *m = words_msg(&me->ipc.req, me, len, msg.w);
		if (!m) {
			err = ERR_NO_MEMORY;
		} else {
			struct msg_handles none = {.n = 0};
			err = ipc_call(s, m, &none, true, a1, &ans);
		}
	}
	/* No answer message: it is in our registers already. */
	if (!err && ans)
		err = deliver_regs(ans);
	kobj_put(&s->obj);
	return err;
}

/* Answers the current thread's implicit call with the words (handoff:
 * see reply_answer). */
static int answer_regs(uint32_t len, const uint64_t *w, struct thread **handoff)
{
	struct reply *r = ipc_implicit_take(); /* its reference is ours */
	struct kmsg *m;
	if (!r)
		return ERR_BAD_HANDLE;
	int err = ERR_NO_MEMORY;
	if (reply_is_reg(r) && ipc_fastpath_enabled()) {
		/* Straight into the caller's registers (ipc_fastpath=off:
		 * through its answer buffer, as the slow path). */
		struct thread *me = thread_current();
		struct ipc_regs o = {.ctl = len,
				     .sender =
					     me->task ? me->task->obj.koid : 0};
		memcpy(o.w, w, len);
		err = reply_answer_regs(r, &o, handoff);
	} else if ((m = words_msg(reply_answer_slot(r), reply_caller(r), len,
				  w))) {
		struct msg_handles none = {.n = 0};
		err = reply_answer(r, m, &cur_task()->handles, &none,
				   HANDLE_INVALID, handoff);
	}
	if (err && err != ERR_PEER_CLOSED)
		ipc_implicit_set(r); /* nothing changed: still to answer */
	else
		reply_put(r);
	return err;
}

/* next: a caller the fastpath answered, to switch to if this blocks. */
static int recv_regs(struct port *p, uint64_t deadline, struct thread *next)
{
	struct kmsg *m;
	uint32_t need_len = 0, need_h = 0;
	struct thread *me = thread_current();
	/* Receiving again ends an implicit call left unanswered. */
	ipc_implicit_end(me);
	me->ipc.rx_reg = true;
	int err = port_recv(p, PORT_REG_MAX, 0, deadline, &m, &need_len,
			    &need_h, next);
	me->ipc.rx_reg = false;
	if (err == IPC_HANDED_REGS) {
		/* A register call, already in our registers: keep it. */
		struct reply *r = me->ipc.handed_call;
		me->ipc.handed_call = NULL;
		ipc_implicit_set(r);
		return 0;
	}
	if (err == ERR_BUFFER_TOO_SMALL) {
		/* The sizes; the message stays queued. */
		struct ipc_regs o = {.ctl = need_len, .w = {need_h}};
		arch_ipc_regs_store(thread_current(), &o);
		return err;
	}
	return err ? err : deliver_regs(m);
}

/* a0: recv_h | len << 32 | PORT_REG_ANSWER; a1: deadline; a2..a5: the
 * answer's words. As sys_port_reply_recv with REPLY_IMPLICIT: a caller
 * that went away (ERR_PEER_CLOSED) does not stop the receive. */
SYSCALL(sys_port_reply_recv_reg)
{
	uint32_t len = CTL_LEN(a0);
	bool answer = a0 & PORT_REG_ANSWER;
	if ((a0 & ~CTL_KNOWN) || len > PORT_REG_MAX || (len && !answer))
		return ERR_INVALID_ARGS;
	uint64_t w[PORT_REG_WORDS] = {a2, a3, a4, a5};
	struct thread *me = thread_current();
	struct thread *caller = NULL; /* the fastpath: run it when we block */
	struct port *p = NULL;
	int perr = get_port((handle_t)a0, RIGHT_READ, &p);
	int err = 0;
	if (answer) {
		me->ipc_keep_lend = p;
		err = answer_regs(len, w, &caller);
		me->ipc_keep_lend = NULL;
	}
	if (err && err != ERR_PEER_CLOSED) {
		/* Nothing answered: no caller taken, no lend kept. */
	} else if (perr) {
		if (caller)
			sched_wake(caller);
		err = perr;
	} else {
		err = recv_regs(p, a1, caller);
	}
	if (caller)
		kobj_put(&caller->obj);
	if (me->ipc_lend_kept) {
		me->ipc_lend_kept = false;
		if (READ_ONCE(p->lender) == me && !READ_ONCE(p->lender_call))
			port_lend_settle(p, me); /* (checked again there) */
	}
	if (p)
		kobj_put(&p->obj);
	return err;
}
