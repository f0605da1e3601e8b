/* Connections and requests: NET_CONNECT on the public endpoint, one
 * badged endpoint per client process (minted with NOTIFY_CLOSED, so the
 * kernel tells netd when the client is gone), the dispatch of every
 * other op, doorbells and the periodic tick. */
#include <stdlib.h>
#include <string.h>

#include "sock_int.h"

#define CONN_DEFAULT 256u
#define MEM_DEFAULT  (16ull << 20)
#define SK_REPLY_MAX 4096u

int sk_reply(handle_t reply, int err, uint64_t val, const void *data,
	     uint32_t len, const handle_t *h, uint32_t nh)
{
	static uint8_t buf[SK_REPLY_MAX];
	struct net_resp resp = {.err = err, .len = len, .val = val};
	if (len > SK_REPLY_MAX - sizeof(resp))
		len = resp.len = SK_REPLY_MAX - sizeof(resp);
	memcpy(buf, &resp, sizeof(resp));
	if (len)
		memcpy(buf + sizeof(resp), data, len);
	return sock_os_reply(reply, buf, (uint32_t)sizeof(resp) + len, h, nh);
}

static void reply_err(handle_t reply, int err)
{
	/* A caller that is gone needs no answer: nothing to undo. */
	(void)sk_reply(reply, err, 0, NULL, 0, NULL, 0);
}

bool sock_owns_badge(uint64_t badge)
{
	return (badge & SOCK_BADGE_MASK) == SOCK_BADGE_TAG;
}

static struct sconn *conn_of(uint64_t badge)
{
	if (!sock_owns_badge(badge))
		return NULL;
	uint32_t slot = badge & 0xffffu, gen = (badge >> 16) & 0xffffu;
	if (slot >= sk_g.nconns)
		return NULL;
	struct sconn *c = &sk_g.conns[slot];
	return c->used && c->gen == gen ? c : NULL;
}

int sock_init(const struct sock_config *cfg)
{
	if (sk_g.inited)
		return -NE_EINVAL;
	memset(&sk_g, 0, sizeof(sk_g));
	sk_g.cfg = *cfg;
	if (!sk_g.cfg.mem_limit)
		sk_g.cfg.mem_limit = MEM_DEFAULT;
	if (!sk_g.cfg.max_conns)
		sk_g.cfg.max_conns = CONN_DEFAULT;
	if (sk_g.cfg.max_conns > 0xffffu)
		sk_g.cfg.max_conns = 0xffffu;
	sk_g.conns = calloc(sk_g.cfg.max_conns, sizeof(*sk_g.conns));
	sk_g.wake_map = calloc((sk_g.cfg.max_conns + 63) / 64, 8);
	if (!sk_g.conns || !sk_g.wake_map) {
		free(sk_g.conns);
		free(sk_g.wake_map);
		sk_g.conns = NULL;
		sk_g.wake_map = NULL;
		return -NE_ENOMEM;
	}
	sk_g.nconns = sk_g.cfg.max_conns;
	for (uint32_t i = 0; i < sk_g.nconns; i++)
		sk_g.conns[i].slot = (uint16_t)i;
	sk_g.st.mem_limit = sk_g.cfg.mem_limit;
	sk_g.inited = true;
	return 0;
}

static void close_sock(struct sock *s, bool abort)
{
	if (s->type == SK_STREAM) {
		if (abort)
			sk_tcp_abort(s);
		else
			sk_tcp_close(s);
	} else {
		/* Records written before the close (or the exit) without a
		 * doorbell go out first, as sendto() had sent them on Linux. */
		sk_dgram_service(s);
		sk_dgram_close(s);
	}
	if (!s->lingering) {
		sk_detach(s);
		sk_kill(s);
	}
}

static void conn_end(struct sconn *c)
{
	for (uint32_t i = 0; i < NET_SOCKS_PER_CONN; i++)
		if (c->socks[i])
			close_sock(c->socks[i], true);
	sk_resolve_drop_conn(c);
	sock_os_close(c->wake);
	c->wake = HANDLE_INVALID;
	c->wake_pending = 0;
	sk_task_put(c->task);
	c->task = NULL;
	c->used = false;
	sk_g.st.conns--;
}

void sock_fini(void)
{
	if (!sk_g.inited)
		return;
	for (uint32_t i = 0; i < sk_g.nconns; i++)
		if (sk_g.conns[i].used)
			conn_end(&sk_g.conns[i]);
	while (sk_g.linger_list) {
		struct sock *s = sk_g.linger_list;
		sk_tcp_abort(s); /* takes it off the lingering list */
		sk_kill(s);
	}
	sk_reap();
	sk_disarm_flush();
	free(sk_g.conns);
	free(sk_g.wake_map);
	memset(&sk_g, 0, sizeof(sk_g));
}

static void do_connect(const struct sock_msg *m, const struct net_req *q,
		       bool raw)
{
	handle_t notif = m->nhandles == 1 ? m->handles[0] : HANDLE_INVALID;
	int err = 0;
	if (q->a != NET_PROTO_VERSION || m->nhandles != 1 || q->len)
		err = -NE_EINVAL;
	else if (sock_os_check_notif(notif) < 0)
		err = -NE_EINVAL;
	uint32_t mine = 0, slot = sk_g.nconns;
	for (uint32_t i = 0; i < sk_g.nconns && !err; i++) {
		struct sconn *c = &sk_g.conns[i];
		if (!c->used) {
			if (slot == sk_g.nconns)
				slot = i;
		} else if (c->sender == m->sender) {
			mine++;
		}
	}
	if (!err && (mine >= SK_CONNS_PER_TASK || slot == sk_g.nconns)) {
		sk_g.st.refused++;
		err = mine >= SK_CONNS_PER_TASK ? -NE_EMFILE : -NE_ENOBUFS;
	}
	if (err) {
		for (uint32_t i = 0; i < m->nhandles; i++)
			sock_os_close(m->handles[i]);
		reply_err(m->reply, err);
		return;
	}
	struct sconn *c = &sk_g.conns[slot];
	uint16_t gen = (uint16_t)(c->gen + 1);
	uint64_t badge = SOCK_BADGE_TAG | ((uint64_t)gen << 16) | slot;
	handle_t h[2] = {HANDLE_INVALID, HANDLE_INVALID};
	struct sk_task *task = sk_task_get(m->sender);
	err = task ? sock_os_mint(sk_g.cfg.port, badge, &h[0]) : -NE_ENOMEM;
	if (!err)
		err = sock_os_dup_signal(sk_g.cfg.doorbell, &h[1]);
	if (err) {
		if (h[0])
			sock_os_close(h[0]);
		sk_task_put(task);
		sock_os_close(notif);
		reply_err(m->reply, err);
		return;
	}
	struct net_conn_info info = {
		.doorbell_bits = 1ull << (SOCK_DOORBELL_BIT0 + slot % 48u)};
	memset(c->socks, 0, sizeof(c->socks));
	c->gen = gen;
	c->badge = badge;
	c->sender = m->sender;
	c->raw = raw;
	c->task = task;
	c->wake = notif;
	c->wake_pending = 0;
	c->nsocks = c->nresolve = c->top = 0;
	c->used = true;
	sk_g.st.conns++;
	if (sk_reply(m->reply, 0, badge & 0xffffffffu, &info, sizeof(info), h,
		     2) < 0) {
		/* The client is gone: the endpoint's notice will name a
		 * connection that no longer exists (gen checked). */
		sock_os_close(h[0]);
		sock_os_close(h[1]);
		conn_end(c);
	}
}

/* Answers a call that made socket s (NET_SOCKET, NET_ACCEPT): the grant
 * travels in the answer; a client gone by then loses the socket. */
static void reply_new_sock(handle_t reply, struct sock *s, const void *extra,
			   uint32_t extra_len)
{
	uint8_t buf[sizeof(struct net_sock_info) + sizeof(struct net_addr)];
	struct net_sock_info info;
	sk_info(s, &info);
	memcpy(buf, &info, sizeof(info));
	if (extra_len)
		memcpy(buf + sizeof(info), extra, extra_len);
	handle_t g = s->client_grant;
	if (sk_reply(reply, 0, s->id, buf, (uint32_t)sizeof(info) + extra_len,
		     &g, 1) < 0) {
		close_sock(s, true);
		return;
	}
	s->client_grant = HANDLE_INVALID; /* moved to the client */
}

/* UDP gets a larger rx ring (Linux's default buffer is about 200 KiB):
 * a burst of datagrams is dropped only when it overflows that. The ring
 * sizes cannot change later (the client has mapped them). */
static uint32_t rx_ring(uint32_t type, uint32_t proto)
{
	if (type == SK_DGRAM && proto != SK_IPPROTO_ICMP)
		return 4 * NET_RING_DEFAULT;
	return NET_RING_DEFAULT;
}

static void op_socket(struct sconn *c, handle_t reply, const struct net_req *q)
{
	uint32_t domain = q->a, type = q->b, proto = q->c;
	int err = 0;
	if (domain != SK_AF_INET) /* netd's lwIP has no IPv6 */
		err = -NE_EAFNOSUPPORT;
	else if (type == SK_STREAM && proto != 0 && proto != SK_IPPROTO_TCP)
		err = -NE_EPROTONOSUPPORT;
	else if (type == SK_DGRAM && proto != 0 && proto != SK_IPPROTO_UDP &&
		 proto != SK_IPPROTO_ICMP)
		err = -NE_EPROTONOSUPPORT;
	else if (type == SK_RAW &&
		 (proto == 0 || proto > 255 || proto == SK_IPPROTO_TCP ||
		  proto == SK_IPPROTO_UDP))
		err = -NE_EPROTONOSUPPORT;
	else if (type != SK_STREAM && type != SK_DGRAM && type != SK_RAW)
		err = -NE_EPROTONOSUPPORT;
	else if (type == SK_RAW && !c->raw)
		err = -NE_EPERM; /* no right: Linux without CAP_NET_RAW */
	struct sock *s = NULL;
	if (!err)
		s = sk_alloc(c, (uint8_t)type, rx_ring(type, proto),
			     NET_RING_DEFAULT, &err);
	if (s) {
		err = type == SK_STREAM ? sk_tcp_new(s)
					: sk_dgram_new(s, (uint8_t)type, proto);
		if (err) {
			sk_detach(s);
			sk_kill(s);
		}
	}
	if (err) {
		reply_err(reply, err);
		return;
	}
	sk_publish(s);
	reply_new_sock(reply, s, NULL, 0);
}

static int get_addr(const struct net_req *q, const void *data, ip_addr_t *ip,
		    uint16_t *port, struct net_addr *a)
{
	if (q->len != sizeof(*a))
		return -NE_EINVAL;
	memcpy(a, data, sizeof(*a));
	return sk_addr_from(a, ip, port);
}

static int op_sock(struct sconn *c, handle_t reply, const struct net_req *q,
		   const void *data, struct sock *s)
{
	ip_addr_t ip;
	uint16_t port = 0;
	struct net_addr a;
	int err;
	bool tcp = s->type == SK_STREAM;
	switch (q->op) {
	case NET_BIND:
		err = get_addr(q, data, &ip, &port, &a);
		if (!err)
			err = tcp ? sk_tcp_bind(s, &ip, port)
				  : sk_dgram_bind(s, &ip, port);
		return err;
	case NET_LISTEN:
		return tcp ? sk_tcp_listen(s, q->a) : -NE_EOPNOTSUPP;
	case NET_ACCEPT: {
		if (!tcp)
			return -NE_EOPNOTSUPP;
		struct sock *ns = NULL;
		err = sk_tcp_accept(s, c, &ns, &a);
		if (err)
			return err;
		sk_publish(ns);
		reply_new_sock(reply, ns, &a, sizeof(a));
		return 1; /* answered */
	}
	case NET_CONNECT_TO:
		if (q->len != sizeof(a))
			return -NE_EINVAL;
		memcpy(&a, data, sizeof(a));
		if (!tcp)
			return sk_dgram_connect(s, &a);
		err = sk_addr_from(&a, &ip, &port);
		return err ? err : sk_tcp_connect(s, &ip, port);
	case NET_SHUTDOWN:
		if (q->a > 2)
			return -NE_EINVAL;
		if (tcp)
			return sk_tcp_shutdown(s, q->a);
		if (!s->has_peer)
			return -NE_ENOTCONN;
		if (q->a != 1)
			sk_set_state(s, NET_ST_RX_EOF, 0);
		return 0;
	case NET_SETSOCKOPT:
		return sk_setopt(s, q->a, q->b, data, q->len);
	case NET_GETSOCKOPT: {
		uint8_t v[64];
		uint32_t len = sizeof(v);
		err = sk_getopt(s, q->a, q->b, v, &len);
		if (err)
			return err;
		(void)sk_reply(reply, 0, len, v, len, NULL, 0);
		return 1;
	}
	case NET_GETNAME:
		if (q->a > 1)
			return -NE_EINVAL;
		err = tcp ? sk_tcp_getname(s, (int)q->a, &a)
			  : sk_dgram_getname(s, (int)q->a, &a);
		if (err)
			return err;
		(void)sk_reply(reply, 0, 0, &a, sizeof(a), NULL, 0);
		return 1;
	}
	return -NE_EINVAL;
}

static void dispatch(struct sconn *c, handle_t reply, const struct net_req *q,
		     const void *data)
{
	switch (q->op) {
	case NET_SOCKET:
		op_socket(c, reply, q);
		return;
	case NET_RESOLVE: {
		const char *name = data;
		if (q->len < 2 || q->len > NET_NAME_MAX ||
		    memchr(name, 0, q->len) != name + q->len - 1) {
			reply_err(reply, -NE_EINVAL);
			return;
		}
		sk_resolve(c, reply, name, q->a);
		return;
	}
	case NET_IFLIST:
		sk_iflist(reply);
		return;
	case NET_CLOSE: {
		struct sock *s = sk_lookup(c, q->sock);
		if (!s) {
			reply_err(reply, -NE_EBADF);
			return;
		}
		close_sock(s, false);
		reply_err(reply, 0);
		return;
	}
	case NET_CONNECT:
		reply_err(reply, -NE_EINVAL);
		return;
	}
	struct sock *s = sk_lookup(c, q->sock);
	if (!s) {
		reply_err(reply, -NE_EBADF);
		return;
	}
	int r = op_sock(c, reply, q, data, s);
	if (!s->dead)
		sk_publish(s);
	if (r <= 0)
		reply_err(reply, r);
}

void sock_on_request(const struct sock_msg *m)
{
	struct net_req q;
	struct sconn *c = NULL;
	int err = 0;
	sk_enter();
	if (!m->reply) {
		/* A plain send asks nothing: drop it with its handles. */
		for (uint32_t i = 0; i < m->nhandles; i++)
			sock_os_close(m->handles[i]);
		sk_leave();
		return;
	}
	if (m->len < sizeof(q)) {
		err = -NE_EINVAL;
	} else {
		memcpy(&q, m->data, sizeof(q));
		if (q.len != m->len - sizeof(q))
			err = -NE_EINVAL;
	}
	bool raw = sk_g.cfg.raw_badge && m->badge == sk_g.cfg.raw_badge;
	if (!err && (m->badge == sk_g.cfg.public_badge || raw)) {
		if (q.op == NET_CONNECT)
			do_connect(m, &q, raw);
		else
			err = -NE_EBADF;
	} else if (!err) {
		c = conn_of(m->badge);
		if (!c)
			err = -NE_EBADF;
		else if (m->nhandles)
			err = -NE_EINVAL;
		else
			dispatch(c, m->reply, &q,
				 (const uint8_t *)m->data + sizeof(q));
	}
	if (err) {
		for (uint32_t i = 0; i < m->nhandles; i++)
			sock_os_close(m->handles[i]);
		reply_err(m->reply, err);
	}
	sk_leave();
}

void sock_on_closed(uint64_t badge)
{
	sk_enter();
	struct sconn *c = conn_of(badge);
	if (c)
		conn_end(c);
	sk_leave();
}

void sk_service(struct sock *s)
{
	if (s->dead)
		return;
	if (s->type == SK_STREAM)
		sk_tcp_service(s);
	else
		sk_dgram_service(s);
	if (!s->dead)
		sk_publish(s);
}

uint64_t sock_tick(uint64_t now_ns)
{
	sk_g.now = now_ns;
	sk_enter();
	struct sock *list = sk_g.stalled_list;
	sk_g.stalled_list = NULL;
	while (list) {
		struct sock *s = list;
		list = s->next_stalled;
		s->stalled = false;
		sk_service(s);
	}
	sk_tcp_linger_tick();
	sk_resolve_tick();
	bool more = sk_scan_run(); /* what the doorbell's budget left */
	sk_leave();
	if (more)
		return now_ns;
	uint64_t next = DEADLINE_NONE;
	if (sk_g.stalled_list || sk_g.linger_list)
		next = now_ns + SK_RETRY_NS;
	for (uint32_t i = 0; i < SK_RESOLVE_MAX; i++)
		if (sk_g.resolves[i].used && sk_g.resolves[i].deadline < next)
			next = sk_g.resolves[i].deadline;
	return next;
}

void sock_get_stats(struct sock_stats *out)
{
	*out = sk_g.st;
	out->mem_used = sk_g.mem_used;
	out->mem_limit = sk_g.cfg.mem_limit;
	out->tcp_active = out->udp_active = out->raw_active = 0;
	for (uint32_t i = 0; i < sk_g.nconns; i++) {
		struct sconn *c = &sk_g.conns[i];
		for (uint32_t k = 0; c->used && k < NET_SOCKS_PER_CONN; k++) {
			struct sock *s = c->socks[k];
			if (!s)
				continue;
			if (s->type == SK_STREAM)
				out->tcp_active++;
			else if (s->type == SK_DGRAM && !s->icmp_dgram)
				out->udp_active++;
			else
				out->raw_active++;
		}
	}
}
