/* Port calls (docs/ipc.md "Ports"): create, mint, send, receive, call,
 * reply, reply-and-receive. Every handler decodes first (user structures
 * copied in, handles and rights checked and their objects pinned, the
 * message copied into a kernel buffer) and only then invokes; the handles
 * attached to a message leave the sender's table in one step, all or
 * none, only when the message is queued or the answer given. */
#include <kern/lib.h>
#include <kern/msg_decode.h>
#include <kern/notification.h>
#include <kern/port.h>
#include <kern/sched.h>
#include <kern/syscall.h>
#include <kern/task.h>
#include <kern/thread.h>
#include <kern/uaccess.h>

/* A decoded outgoing message: the kernel copy and the attached handles
 * (values and pinned objects). */
struct out_msg {
	struct kmsg *m;
	struct msg_handles a;
};

/* Copies *umsg in and checks it: sizes, pointers, each attached handle
 * (live, TRANSFER, no duplicates). dest is the port the message goes to
 * (NULL: an answer): its own receive side may not travel on it (it could
 * never be received nor closed). self is a reply's own handle, which may
 * not travel in its answer (it is consumed by the answer). The attached
 * objects stay pinned until the message is sent or dropped. */
static int decode_msg(uint64_t umsg, struct port *dest, handle_t self,
		      struct kmsg *slot, struct thread *owner,
		      struct out_msg *o)
{
	struct port_msg pm;
	o->a.n = 0;
	/* The header and the handle values: pure checks (msg_decode.c). */
	if (!user_range_ok(umsg, sizeof(pm)) ||
	    copy_from_user(&pm, (const void *)umsg, sizeof(pm)))
		return ERR_FAULT;
	int err = msg_check_header(&pm);
	if (err)
		return err;
	handle_t *hv = o->a.hv;
	if (pm.nhandles &&
	    copy_from_user(hv, pm.handles, pm.nhandles * sizeof(handle_t)))
		return ERR_FAULT;
	err = msg_check_handle_values(hv, pm.nhandles);
	if (err)
		return err;
	for (uint32_t i = 0; i < pm.nhandles; i++)
		if (self && hv[i] == self)
			return ERR_INVALID_ARGS;
	/* The handles: pinned while the rest is checked. */
	for (uint32_t i = 0; i < pm.nhandles && !err; i++) {
		err = cap_get(hv[i], OBJ_NONE, RIGHT_TRANSFER, &o->a.pin[i],
			      NULL);
		if (!err) {
			o->a.n++;
			if (dest && o->a.pin[i] == &dest->obj)
				err = ERR_INVALID_ARGS;
		}
	}
	if (!err) {
		o->m = slot ? kmsg_get(slot, owner, pm.len)
			    : kmsg_alloc(pm.len);
		if (!o->m)
			err = ERR_NO_MEMORY;
		else if (pm.len &&
			 copy_from_user(o->m->data, pm.data, pm.len)) {
			kmsg_free(o->m);
			err = ERR_FAULT;
		}
	}
	if (err)
		msg_handles_unpin(&o->a);
	return err;
}

static int get_rx(uint64_t urx, struct port_rx *rx)
{
	if (!user_range_ok(urx, sizeof(*rx)) ||
	    copy_from_user(rx, (const void *)urx, sizeof(*rx)))
		return ERR_FAULT;
	return msg_check_rx(rx);
}

/* Hands m to the current task through rx (then written back to urx):
 * bytes, handles, badge and, for a call, a reply handle. m is consumed.
 * The handle slots are reserved and every byte and value copied out
 * before the handles become live, in one step; a failure here (bad
 * buffer, handle quota) loses the message, its handles are closed and a
 * caller waiting on it gets ERR_PEER_CLOSED. */
int ipc_deliver(struct kmsg *m, struct port_rx *rx, uint64_t urx)
{
	struct handle_table *t = &cur_task()->handles;
	handle_t hv[PORT_HANDLES_MAX + 1];
	struct kobject *objs[PORT_HANDLES_MAX + 1];
	uint32_t rights[PORT_HANDLES_MAX + 1], n = m->nhandles, total = n;
	/* A call to a receiver that asked for it: the thread keeps it, no
	 * handle (implicit.c). */
	uint32_t keep = rx->flags & PORT_RX_IMPLICIT_REPLY;
	bool implicit = m->reply && keep;
	rx->reply = HANDLE_INVALID;
	rx->len = m->len;
	rx->nhandles = m->nhandles;
	rx->badge = m->badge;
	rx->sender = m->sender;
	rx->flags = (m->closed_notice ? PORT_RX_CLOSED : 0) | keep;
	if (m->len > rx->cap || m->nhandles > rx->hcap) {
		/* Only a call's answer gets here (receive checks first). */
		copy_to_user((void *)urx, rx, sizeof(*rx));
		kmsg_free(m);
		return ERR_BUFFER_TOO_SMALL;
	}
	for (uint32_t i = 0; i < n; i++) {
		objs[i] = m->h[i];
		rights[i] = m->rights[i];
	}
	if (m->reply && !implicit) {
		objs[total] = reply_obj(m->reply);
		rights[total++] = RIGHTS_REPLY;
	}
	/* No handle to install (an answer, a plain message): no table
	 * work. */
	int err = total ? handle_reserve(t, total, hv) : 0;
	if (err) {
		kmsg_free(m);
		return err;
	}
	if (m->reply)
		rx->reply = implicit ? REPLY_IMPLICIT : hv[n];
	if ((m->len && copy_to_user(rx->buf, m->data, m->len)) ||
	    (n && copy_to_user(rx->handles, hv, n * sizeof(handle_t))) ||
	    copy_to_user((void *)urx, rx, sizeof(*rx))) {
		if (total)
			handle_cancel(t, total, hv);
		kmsg_free(m);
		return ERR_FAULT;
	}
	err = total ? handle_commit(t, total, hv, objs, rights) : 0;
	if (!err) {
		kmsg_delivered(m); /* the new entries hold the objects */
		if (m->reply) {
			struct reply *r = m->reply;
			if (!m->handed) { /* the fastpath did both */
				reply_set_server(r, thread_current());
				port_call_received(r->port, r,
						   thread_current());
			}
			if (implicit)
				ipc_implicit_set(r); /* m's reference */
			else
				reply_put(r);
			m->reply = NULL;
		}
	}
	kmsg_free(m);
	return err;
}

/* options must be 0 */
SYSCALL3(sys_port_create, U64, options, UPTR, recv_out, UPTR, send_out)
{
	if (options)
		return ERR_INVALID_ARGS;
	struct new_handle hr, hs;
	int err = newh_reserve(&hr, recv_out);
	if (err)
		return err;
	err = newh_reserve(&hs, send_out);
	if (err) {
		newh_cancel(&hr);
		return err;
	}
	struct port *p;
	struct port_send *s;
	err = port_create(&p, &s);
	if (err) {
		newh_cancel(&hs);
		newh_cancel(&hr);
		return err;
	}
	err = newh_commit(&hr, &p->obj, RIGHTS_PORT_RECV);
	if (!err)
		err = newh_commit(&hs, &s->obj, RIGHTS_PORT_SEND);
	/* A failed commit means the task is dying: its table is gone. */
	kobj_put(&s->obj);
	kobj_put(&p->obj);
	return err;
}

static int mint(handle_t recv_h, uint64_t badge, bool notify,
		uint64_t send_out)
{
	struct port *p;
	int err = get_port(recv_h, RIGHT_MANAGE, &p);
	if (err)
		return err;
	struct new_handle nh;
	err = newh_reserve(&nh, send_out);
	if (err) {
		kobj_put(&p->obj);
		return err;
	}
	struct port_send *s;
	err = notify ? port_mint_notify(p, badge, &s) : port_mint(p, badge, &s);
	kobj_put(&p->obj);
	if (err) {
		newh_cancel(&nh);
		return err;
	}
	err = newh_commit(&nh, &s->obj, RIGHTS_PORT_SEND);
	kobj_put(&s->obj);
	return err;
}

SYSCALL3(sys_port_mint, HANDLE, recv_h, U64, badge, UPTR, send_out)
{
	return mint(recv_h, badge, false, send_out);
}

/* options: PORT_MINT_NOTIFY_CLOSED (docs/ipc.md, "No-senders notice") */
SYSCALL4(sys_port_mint_ex, HANDLE, recv_h, U64, badge, U64, options, UPTR,
	 send_out)
{
	if (options & ~(uint64_t)PORT_MINT_NOTIFY_CLOSED)
		return ERR_INVALID_ARGS;
	return mint(recv_h, badge, options & PORT_MINT_NOTIFY_CLOSED,
		    send_out);
}

/* MANAGE on the port, SIGNAL on the notification */
SYSCALL3(sys_port_bind_notif, HANDLE, recv_h, HANDLE, notif_h, U64, bits)
{
	if (!bits)
		return ERR_INVALID_ARGS;
	struct port *p;
	int err = get_port(recv_h, RIGHT_MANAGE, &p);
	if (err)
		return err;
	struct notification *n;
	err = get_notif(notif_h, RIGHT_SIGNAL, &n);
	if (!err) {
		port_bind(p, n, bits);
		kobj_put(&n->obj);
	}
	kobj_put(&p->obj);
	return err;
}

SYSCALL3(sys_port_send, HANDLE, send_h, UPTR, umsg, DEADLINE, deadline)
{
	struct port_send *s;
	int err = get_port_send(send_h, RIGHT_WRITE, &s);
	if (err)
		return err;
	struct out_msg o;
	struct thread *me = thread_current();
	err = decode_msg(umsg, s->port, HANDLE_INVALID, &me->ipc.req, me, &o);
	if (err)
		goto out;
	o.m->badge = s->badge;
	err = port_send(s->port, o.m, &o.a, deadline);
	if (err)
		kmsg_free(o.m);
	msg_handles_unpin(&o.a);
out:
	kobj_put(&s->obj);
	return err;
}

/* next: a caller the fastpath answered, to switch to if this blocks
 * (port_recv); woken in every case. */
static int recv_on(struct port *p, struct port_rx *rx, uint64_t urx,
		   uint64_t deadline, struct thread *next)
{
	struct kmsg *m;
	uint32_t need_len = 0, need_h = 0;
	/* Receiving again ends an implicit call left unanswered. */
	ipc_implicit_end(thread_current());
	int err = port_recv(p, rx->cap, rx->hcap, deadline, &m, &need_len,
			    &need_h, next);
	if (err == ERR_BUFFER_TOO_SMALL) {
		/* Tell the sizes; the message stays queued. */
		rx->len = need_len;
		rx->nhandles = need_h;
		if (copy_to_user((void *)urx, rx, sizeof(*rx)))
			return ERR_FAULT;
		return err;
	}
	if (err)
		return err;
	return ipc_deliver(m, rx, urx);
}

SYSCALL3(sys_port_recv, HANDLE, recv_h, UPTR, urx, DEADLINE, deadline)
{
	struct port_rx rx;
	int err = get_rx(urx, &rx);
	if (err)
		return err;
	struct port *p;
	err = get_port(recv_h, RIGHT_READ, &p);
	if (err)
		return err;
	err = recv_on(p, &rx, urx, deadline, NULL);
	kobj_put(&p->obj);
	return err;
}

int ipc_call(struct port_send *s, struct kmsg *m, const struct msg_handles *a,
	     bool reg, uint64_t deadline, struct kmsg **ans)
{
	struct reply *r;
	int err = reply_create(thread_current(), s->port, &r);
	if (err) {
		kmsg_free(m);
		return err;
	}
	r->reg = reg;
	m->badge = s->badge;
	m->reply = r;
	kobj_get(reply_obj(r)); /* the message's reference */
	err = a->n ? IPC_SLOW : ipc_fast_call(s->port, m, r, deadline, ans);
	if (err == IPC_SLOW) {
		donate_set_calling(r);
		err = port_send(s->port, m, a, deadline);
		if (err) {
			donate_set_calling(NULL);
			kmsg_free(m); /* cancels r */
		} else {
			err = reply_wait(r, deadline, ans, NULL);
		}
	}
	reply_put(r);
	return err;
}

/* urx receives the answer */
SYSCALL4(sys_port_call, HANDLE, send_h, UPTR, ureq, UPTR, urx, DEADLINE,
	 deadline)
{
	struct port_rx rx;
	int err = get_rx(urx, &rx);
	if (err)
		return err;
	struct port_send *s;
	err = get_port_send(send_h, RIGHT_WRITE, &s);
	if (err)
		return err;
	struct out_msg o;
	struct thread *me = thread_current();
	err = decode_msg(ureq, s->port, HANDLE_INVALID, &me->ipc.req, me, &o);
	if (!err) {
		struct kmsg *ans = NULL;
		err = ipc_call(s, o.m, &o.a, false, deadline, &ans);
		msg_handles_unpin(&o.a);
		if (!err)
			err = ipc_deliver(ans, &rx, urx);
	}
	kobj_put(&s->obj);
	return err;
}

/* Decodes and gives the answer through reply handle h (handoff: see
 * reply_answer). */
static int do_reply(handle_t h, uint64_t umsg, struct thread **handoff)
{
	struct reply *r;
	int err = 0;
	bool implicit = h == REPLY_IMPLICIT;
	if (implicit) {
		/* The thread's current call (its reference is now ours):
		 * no handle to look up nor take. */
		r = ipc_implicit_take();
		h = HANDLE_INVALID;
		if (!r)
			return ERR_BAD_HANDLE;
	} else {
		err = get_reply(h, RIGHT_WRITE, &r);
	}
	if (err)
		return err;
	struct out_msg o;
	err = decode_msg(umsg, NULL, h, reply_answer_slot(r), reply_caller(r),
			 &o);
	if (!err) {
		err = reply_answer(r, o.m, &cur_task()->handles, &o.a, h,
				   handoff);
		msg_handles_unpin(&o.a);
	}
	if (implicit && err && err != ERR_PEER_CLOSED)
		ipc_implicit_set(r); /* nothing changed: still to answer */
	else
		reply_put(r);
	return err;
}

SYSCALL2(sys_port_reply, HANDLE, reply_h, UPTR, umsg)
{
	return do_reply(reply_h, umsg, NULL);
}

/* A caller that went away (ERR_PEER_CLOSED) does not stop the receive. */
SYSCALL5(sys_port_reply_recv, HANDLE, reply_h, UPTR, umsg, HANDLE, recv_h, UPTR,
	 urx, DEADLINE, deadline)
{
	struct port_rx rx;
	int err = get_rx(urx, &rx);
	if (err)
		return err;
	struct thread *me = thread_current();
	struct thread *caller = NULL; /* the fastpath: run it when we block */
	struct port *p = NULL;
	int perr = get_port(recv_h, RIGHT_READ, &p);
	me->ipc_keep_lend = p;
	err = do_reply(reply_h, umsg, &caller);
	me->ipc_keep_lend = NULL;
	if (err && err != ERR_PEER_CLOSED) {
		/* Nothing answered: no caller taken, no lend kept. */
	} else if (perr) {
		if (caller)
			sched_wake(caller);
		err = perr;
	} else {
		err = recv_on(p, &rx, urx, deadline, caller);
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
