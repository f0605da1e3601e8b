/* Port calls (docs/ipc.md "Ports"): create, mint, send, receive, call,
 * reply, reply-and-receive. Every handler decodes first (user structures
 * copied in, handles and rights checked, the message copied into a kernel
 * buffer) and only then invokes; handles attached to a message leave the
 * sender's table only when the message is queued or the answer given. */
#include <kern/lib.h>
#include <kern/notification.h>
#include <kern/port.h>
#include <kern/sched.h>
#include <kern/syscall.h>
#include <kern/task.h>
#include <kern/thread.h>
#include <kern/uaccess.h>

/* A decoded outgoing message: the kernel copy and the handle values. */
struct out_msg {
	struct kmsg *m;
	handle_t hv[PORT_HANDLES_MAX];
};

/* Copies *umsg in and checks it: sizes, pointers, each attached handle
 * (live, TRANSFER, no duplicates, not `self`: a port's receive handle
 * queued on itself could never be received nor closed). */
static int decode_msg(uint64_t umsg, struct kobject *self, struct out_msg *o)
{
	struct port_msg pm;
	if (!user_range_ok(umsg, sizeof(pm)) ||
	    copy_from_user(&pm, (const void *)umsg, sizeof(pm)))
		return ERR_FAULT;
	if (pm.len > PORT_MSG_MAX || pm.nhandles > PORT_HANDLES_MAX)
		return ERR_INVALID_ARGS;
	if ((pm.len && !user_range_ok((uintptr_t)pm.data, pm.len)) ||
	    (pm.nhandles && !user_range_ok((uintptr_t)pm.handles,
					   pm.nhandles * sizeof(handle_t))))
		return ERR_FAULT;
	if (pm.nhandles &&
	    copy_from_user(o->hv, pm.handles, pm.nhandles * sizeof(handle_t)))
		return ERR_FAULT;
	for (uint32_t i = 0; i < pm.nhandles; i++) {
		for (uint32_t j = 0; j < i; j++)
			if (o->hv[i] == o->hv[j])
				return ERR_INVALID_ARGS;
		struct kobject *h;
		int err = cap_get(o->hv[i], OBJ_NONE, RIGHT_TRANSFER, &h, NULL);
		if (err)
			return err;
		bool loop = h == self;
		kobj_put(h);
		if (loop)
			return ERR_INVALID_ARGS;
	}
	o->m = kmsg_alloc(pm.len);
	if (!o->m)
		return ERR_NO_MEMORY;
	if (pm.len && copy_from_user(o->m->data, pm.data, pm.len)) {
		kmsg_free(o->m);
		return ERR_FAULT;
	}
	o->m->nhandles = pm.nhandles; /* values in hv; moved at invoke */
	return 0;
}

/* Frees a decoded message whose handles were never moved. */
static void undecode(struct out_msg *o)
{
	o->m->nhandles = 0;
	kmsg_free(o->m);
}

static int get_rx(uint64_t urx, struct port_rx *rx)
{
	if (!user_range_ok(urx, sizeof(*rx)) ||
	    copy_from_user(rx, (const void *)urx, sizeof(*rx)))
		return ERR_FAULT;
	if ((rx->cap && !user_range_ok((uintptr_t)rx->buf, rx->cap)) ||
	    (rx->hcap && !user_range_ok((uintptr_t)rx->handles,
					(uint64_t)rx->hcap * sizeof(handle_t))))
		return ERR_FAULT;
	return 0;
}

/* Hands m to the current task through rx (then written back to urx):
 * bytes, handles, badge and, for a call, a reply handle. m is consumed.
 * A failure here (bad buffer, handle quota) loses the message, its
 * handles are closed and a caller waiting on it gets ERR_PEER_CLOSED. */
static int deliver(struct kmsg *m, struct port_rx *rx, uint64_t urx)
{
	struct handle_table *t = &cur_task()->handles;
	handle_t hv[PORT_HANDLES_MAX + 1];
	uint32_t n = 0;
	int err = 0;
	rx->reply = HANDLE_INVALID;
	rx->len = m->len;
	rx->nhandles = m->nhandles;
	rx->badge = m->badge;
	if (m->len > rx->cap || m->nhandles > rx->hcap) {
		/* Only a call's answer gets here (receive checks first). */
		copy_to_user((void *)urx, rx, sizeof(*rx));
		kmsg_free(m);
		return ERR_BUFFER_TOO_SMALL;
	}
	for (; !err && n < m->nhandles; n += !err)
		err = handle_alloc(t, m->h[n], m->rights[n], &hv[n]);
	if (!err && m->reply)
		err = handle_alloc(t, reply_obj(m->reply), RIGHTS_REPLY,
				   &rx->reply);
	if (!err && m->len && copy_to_user(rx->buf, m->data, m->len))
		err = ERR_FAULT;
	if (!err && n && copy_to_user(rx->handles, hv, n * sizeof(handle_t)))
		err = ERR_FAULT;
	if (!err && copy_to_user((void *)urx, rx, sizeof(*rx)))
		err = ERR_FAULT;
	if (err) {
		/* Take the installed handles back out without "last handle"
		 * side effects; kmsg_free then closes them once. */
		if (rx->reply)
			hv[n++] = rx->reply;
		for (uint32_t i = 0; i < n; i++) {
			struct kobject *o;
			uint32_t r;
			if (!handle_take(t, hv[i], 0, &o, &r))
				kobj_put(o);
		}
	} else {
		/* The installed handles took their own references. */
		for (uint32_t i = 0; i < m->nhandles; i++)
			kobj_put(m->h[i]);
		m->nhandles = 0;
		if (m->reply) {
			reply_set_server(m->reply, thread_current());
			reply_put(m->reply);
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
	if (!user_range_ok(recv_out, sizeof(handle_t)) ||
	    !user_range_ok(send_out, sizeof(handle_t)))
		return ERR_FAULT;
	struct port *p;
	struct port_send *s;
	int err = port_create(&p, &s);
	if (err)
		return err;
	struct handle_table *t = &cur_task()->handles;
	handle_t hr = HANDLE_INVALID, hs = HANDLE_INVALID;
	err = handle_alloc(t, &p->obj, RIGHTS_PORT_RECV, &hr);
	if (!err)
		err = handle_alloc(t, &s->obj, RIGHTS_PORT_SEND, &hs);
	if (!err && (copy_to_user((void *)recv_out, &hr, sizeof(hr)) ||
		     copy_to_user((void *)send_out, &hs, sizeof(hs))))
		err = ERR_FAULT;
	if (err) {
		if (hs)
			handle_close(t, hs);
		if (hr)
			handle_close(t, hr);
	}
	kobj_put(&s->obj);
	kobj_put(&p->obj);
	return err;
}

SYSCALL3(sys_port_mint, HANDLE, recv_h, U64, badge, UPTR, send_out)
{
	if (!user_range_ok(send_out, sizeof(handle_t)))
		return ERR_FAULT;
	struct port *p;
	int err = get_port(recv_h, RIGHT_MANAGE, &p);
	if (err)
		return err;
	struct port_send *s;
	err = port_mint(p, badge, &s);
	kobj_put(&p->obj);
	if (err)
		return err;
	err = cur_install(&s->obj, RIGHTS_PORT_SEND, send_out);
	kobj_put(&s->obj);
	return err;
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
	err = decode_msg(umsg, &s->port->obj, &o);
	if (err)
		goto out;
	o.m->badge = s->badge;
	err = port_send(s->port, o.m, o.hv, deadline);
	if (err)
		kmsg_free(o.m);
out:
	kobj_put(&s->obj);
	return err;
}

static int recv_on(handle_t h, uint64_t urx, uint64_t deadline)
{
	struct port_rx rx;
	int err = get_rx(urx, &rx);
	if (err)
		return err;
	struct port *p;
	err = get_port(h, RIGHT_READ, &p);
	if (err)
		return err;
	struct kmsg *m;
	uint32_t need_len = 0, need_h = 0;
	err = port_recv(p, rx.cap, rx.hcap, deadline, &m, &need_len, &need_h);
	kobj_put(&p->obj);
	if (err == ERR_BUFFER_TOO_SMALL) {
		/* Tell the sizes; the message stays queued. */
		rx.len = need_len;
		rx.nhandles = need_h;
		if (copy_to_user((void *)urx, &rx, sizeof(rx)))
			return ERR_FAULT;
		return err;
	}
	if (err)
		return err;
	return deliver(m, &rx, urx);
}

SYSCALL3(sys_port_recv, HANDLE, recv_h, UPTR, urx, DEADLINE, deadline)
{
	return recv_on(recv_h, urx, deadline);
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
	err = decode_msg(ureq, &s->port->obj, &o);
	if (err)
		goto out;
	struct reply *r;
	err = reply_create(thread_current(), &r);
	if (err) {
		undecode(&o);
		goto out;
	}
	o.m->badge = s->badge;
	o.m->reply = r;
	kobj_get(reply_obj(r)); /* the message's reference */
	donate_set_calling(r);
	err = port_send(s->port, o.m, o.hv, deadline);
	if (err) {
		donate_set_calling(NULL);
		kmsg_free(o.m); /* cancels r */
	} else {
		struct kmsg *ans = NULL;
		err = reply_wait(r, deadline, &ans);
		if (!err)
			err = deliver(ans, &rx, urx);
	}
	reply_put(r);
out:
	kobj_put(&s->obj);
	return err;
}

/* Decodes and gives the answer through reply handle h. */
static int do_reply(handle_t h, uint64_t umsg)
{
	struct reply *r;
	int err = get_reply(h, RIGHT_WRITE, &r);
	if (err)
		return err;
	struct out_msg o;
	err = decode_msg(umsg, NULL, &o);
	if (err)
		goto out;
	struct handle_table *t = &cur_task()->handles;
	uint32_t n = o.m->nhandles;
	/* One-shot: the reply handle goes whatever happens next. */
	struct kobject *taken;
	uint32_t rights;
	err = handle_take(t, h, 0, &taken, &rights);
	if (err) {
		undecode(&o);
		goto out;
	}
	kobj_put(taken);
	if (!reply_pending(r)) {
		undecode(&o); /* the caller is gone: handles stay ours */
		err = ERR_PEER_CLOSED;
		goto out;
	}
	err = kmsg_take_handles(o.m, t, o.hv, n);
	if (err) {
		kmsg_free(o.m);
		reply_cancel(r);
		goto out;
	}
	err = reply_answer(r, o.m);
out:
	reply_put(r);
	return err;
}

SYSCALL2(sys_port_reply, HANDLE, reply_h, UPTR, umsg)
{
	return do_reply(reply_h, umsg);
}

/* A caller that went away (ERR_PEER_CLOSED) does not stop the receive. */
SYSCALL5(sys_port_reply_recv, HANDLE, reply_h, UPTR, umsg, HANDLE, recv_h, UPTR,
	 urx, DEADLINE, deadline)
{
	struct port_rx rx;
	int err = get_rx(urx, &rx);
	if (err)
		return err;
	err = do_reply(reply_h, umsg);
	if (err && err != ERR_PEER_CLOSED)
		return err;
	return recv_on(recv_h, urx, deadline);
}
