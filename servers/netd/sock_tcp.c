/* TCP sockets over lwIP's raw API.
 *
 * Backpressure both ways, never buffering without bound:
 *  - rx: lwIP's segments go into the rx ring as far as it has room, the
 *    rest waits as a pbuf chain (< 64 KiB; beyond that the recv callback
 *    refuses and lwIP keeps the data); tcp_recved() is called only for
 *    bytes the client has taken out of the ring, so the window the peer
 *    sees is what the client really consumes.
 *  - tx: bytes go from the tx ring into tcp_write() while tcp_sndbuf()
 *    and the segment queue allow; tx_tail advances only for bytes lwIP
 *    copied. The sent callback (acks) or the retry tick resumes.
 *
 * Callbacks get the struct sock (or, before NET_ACCEPT, the struct
 * sk_pending) as arg; every path that drops a pcb clears its arg and
 * callbacks first (pcb_release), and lwIP's err callback (the pcb is
 * already freed) only clears our pointer. */
#include <stdlib.h>
#include <string.h>

#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "sock_int.h"

static err_t recv_cb(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err);
static err_t sent_cb(void *arg, struct tcp_pcb *pcb, u16_t len);
static void err_cb(void *arg, err_t err);

static void pcb_attach(struct sock *s, struct tcp_pcb *pcb)
{
	s->pcb.tcp = pcb;
	tcp_arg(pcb, s);
	tcp_recv(pcb, recv_cb);
	tcp_sent(pcb, sent_cb);
	tcp_err(pcb, err_cb);
}

/* Our pointers out of the pcb; lwIP keeps it (or the caller drops it). */
static struct tcp_pcb *pcb_release(struct sock *s)
{
	struct tcp_pcb *pcb = s->pcb.tcp;
	if (!pcb)
		return NULL;
	tcp_arg(pcb, NULL);
	if (s->listening) {
		tcp_accept(pcb, NULL);
	} else {
		tcp_recv(pcb, NULL);
		tcp_sent(pcb, NULL);
		tcp_err(pcb, NULL);
	}
	s->pcb.tcp = NULL;
	return pcb;
}

static void recved(struct tcp_pcb *pcb, uint64_t n)
{
	while (pcb && n) {
		u16_t k = n > 0xffffu ? 0xffffu : (u16_t)n;
		tcp_recved(pcb, k);
		n -= k;
	}
}

static void linger_unlink(struct sock *s)
{
	for (struct sock **pp = &sk_g.linger_list; *pp;
	     pp = &(*pp)->next_linger) {
		if (*pp == s) {
			*pp = s->next_linger;
			break;
		}
	}
	s->lingering = false;
}

/* Appends p; false: no room (the recv callback then refuses it and lwIP
 * keeps it until tcp_process_refused_data). */
static bool rxq_push(struct sk_rxq *r, struct pbuf *p)
{
	if (r->n) {
		struct pbuf *last = r->q[(r->head + r->n - 1) % SK_RXQ];
		if ((uint32_t)last->tot_len + p->tot_len <= 0xffffu) {
			pbuf_cat(last, p);
			return true;
		}
	}
	if (r->n == SK_RXQ)
		return false;
	r->q[(r->head + r->n) % SK_RXQ] = p;
	r->n++;
	return true;
}

uint64_t sk_rxq_drop(struct sk_rxq *r)
{
	uint64_t bytes = 0;
	for (; r->n; r->n--, r->head = (uint8_t)((r->head + 1) % SK_RXQ)) {
		bytes += r->q[r->head]->tot_len;
		pbuf_free(r->q[r->head]);
	}
	r->head = 0;
	return bytes;
}

/* rx_pend -> rx ring, as far as the client has left room. */
static void pump_rx(struct sock *s)
{
	struct sk_rxq *r = &s->rx_pend;
	while (r->n) {
		uint64_t space = s->rx_size - (s->rx_head - s->rx_tail);
		if (!space)
			break;
		struct pbuf *p = r->q[r->head];
		uint32_t off = (uint32_t)(s->rx_head & (s->rx_size - 1));
		uint64_t n = p->tot_len;
		if (n > space)
			n = space;
		if (n > s->rx_size - off)
			n = s->rx_size - off;
		pbuf_copy_partial(p, s->rx + off, (u16_t)n, 0);
		p = pbuf_free_header(p, (u16_t)n);
		r->q[r->head] = p;
		if (!p) {
			r->head = (uint8_t)((r->head + 1) % SK_RXQ);
			r->n--;
		}
		s->rx_head += n;
		sk_g.st.rx_bytes += n;
	}
	if (!r->n && s->fin)
		sk_set_state(s, NET_ST_RX_EOF, 0);
}

/* Closes a drained connection for good; lwIP finishes the FIN handshake
 * on its own (tcp_recv_null takes whatever still comes). */
static void close_pcb(struct sock *s)
{
	struct tcp_pcb *pcb = pcb_release(s);
	if (pcb && tcp_close(pcb) != ERR_OK)
		tcp_abort(pcb);
	sk_set_state(s, NET_ST_CLOSED, NET_ST_CONNECTED);
}

/* tx ring -> tcp_write while lwIP takes it. */
static void pump_tx(struct sock *s)
{
	struct tcp_pcb *pcb = s->pcb.tcp;
	uint64_t avail = s->tx_head - s->tx_tail;
	if (!pcb || (s->state & NET_ST_CLOSED)) {
		/* Nowhere to send: what the client writes is dropped. */
		s->tx_tail = s->tx_head;
		return;
	}
	if (!(s->state & NET_ST_CONNECTED))
		return;
	bool wrote = false;
	while (avail) {
		uint32_t snd = tcp_sndbuf(pcb);
		if (!snd)
			break; /* the sent callback resumes */
		uint32_t off = (uint32_t)(s->tx_tail & (s->tx_size - 1));
		uint64_t n = avail;
		if (n > s->tx_size - off)
			n = s->tx_size - off;
		if (n > snd)
			n = snd;
		if (n > 0xffffu)
			n = 0xffffu;
		u8_t fl = TCP_WRITE_FLAG_COPY;
		if (n < avail)
			fl |= TCP_WRITE_FLAG_MORE;
		err_t e = tcp_write(pcb, s->tx + off, (u16_t)n, fl);
		if (e == ERR_MEM) {
			sk_stall(s); /* segments or heap: retry on the tick */
			break;
		}
		if (e != ERR_OK) {
			sk_set_error(s, NE_EPIPE);
			s->tx_tail = s->tx_head;
			return;
		}
		s->tx_tail += n;
		sk_g.st.tx_bytes += n;
		avail -= n;
		wrote = true;
	}
	if (wrote)
		tcp_output(pcb);
	if (!avail && s->shut_wr && !s->shut_wr_done) {
		s->shut_wr_done = true;
		tcp_shutdown(pcb, 0, 1);
	}
}

static err_t recv_cb(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct sock *s = arg;
	(void)err;
	if (!p) {
		s->fin = true;
		pump_rx(s);
		sk_publish(s);
		return ERR_OK;
	}
	if (s->shut_rd || s->lingering) {
		tcp_recved(pcb, p->tot_len);
		pbuf_free(p);
		return ERR_OK;
	}
	if (!rxq_push(&s->rx_pend, p))
		return ERR_MEM; /* lwIP keeps it; sk_tcp_service asks again */
	pump_rx(s);
	sk_publish(s);
	return ERR_OK;
}

static err_t sent_cb(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct sock *s = arg;
	(void)pcb;
	(void)len;
	pump_tx(s);
	sk_publish(s);
	return ERR_OK;
}

/* lwIP freed the pcb (reset, abort, timeout). */
static void err_cb(void *arg, err_t err)
{
	struct sock *s = arg;
	if (!s)
		return;
	s->pcb.tcp = NULL;
	int e;
	if (s->state & NET_ST_CONNECTING)
		e = err == ERR_RST ? NE_ECONNREFUSED : NE_ETIMEDOUT;
	else if (err == ERR_RST)
		e = NE_ECONNRESET;
	else if (err == ERR_CLSD)
		e = 0;
	else
		e = NE_ECONNABORTED;
	if (e)
		sk_set_error(s, e);
	sk_set_state(s, NET_ST_CLOSED, NET_ST_CONNECTED | NET_ST_CONNECTING);
	if (s->lingering) {
		linger_unlink(s);
		sk_kill(s);
		return;
	}
	sk_publish(s);
}

static err_t connected_cb(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct sock *s = arg;
	(void)pcb;
	(void)err; /* lwIP calls it with ERR_OK only */
	sk_set_state(s, NET_ST_CONNECTED, NET_ST_CONNECTING);
	pump_tx(s);
	sk_publish(s);
	return ERR_OK;
}

int sk_tcp_new(struct sock *s)
{
	struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
	if (!pcb)
		return -NE_ENOBUFS;
	pcb_attach(s, pcb);
	sk_opts_apply(s);
	return 0;
}

int sk_tcp_bind(struct sock *s, const ip_addr_t *ip, uint16_t port)
{
	struct tcp_pcb *pcb = s->pcb.tcp;
	if (!pcb || s->listening || pcb->local_port ||
	    (s->state & (NET_ST_CONNECTED | NET_ST_CONNECTING)))
		return -NE_EINVAL;
	if (!sk_addr_is_local(ip))
		return -NE_EADDRNOTAVAIL;
	sk_opts_apply(s);
	return sk_err_from_lwip(tcp_bind(pcb, ip, port));
}

/* lwIP tells the listener about a new connection: it waits, with
 * whatever it sends, until the client's NET_ACCEPT. */
static void pend_unlink(struct sock *lsn, struct sk_pending *pd)
{
	for (struct sk_pending **pp = &lsn->pend_head; *pp; pp = &(*pp)->next) {
		if (*pp == pd) {
			*pp = pd->next;
			break;
		}
	}
	lsn->pend_tail = NULL;
	for (struct sk_pending *q = lsn->pend_head; q; q = q->next)
		lsn->pend_tail = q;
	lsn->npending--;
	if (!lsn->npending)
		sk_set_state(lsn, 0, NET_ST_ACCEPTABLE);
}

static err_t pend_recv_cb(void *arg, struct tcp_pcb *pcb, struct pbuf *p,
			  err_t err)
{
	struct sk_pending *pd = arg;
	(void)pcb;
	(void)err;
	if (!p) {
		pd->fin = true;
		return ERR_OK;
	}
	return rxq_push(&pd->rx, p) ? ERR_OK : ERR_MEM;
}

static void pend_err_cb(void *arg, err_t err)
{
	struct sk_pending *pd = arg;
	(void)err;
	/* Reset before it was accepted: it leaves the queue unseen. */
	if (pd->lsn) {
		pend_unlink(pd->lsn, pd);
		sk_publish(pd->lsn);
	}
	sk_rxq_drop(&pd->rx);
	free(pd);
}

static err_t accept_cb(void *arg, struct tcp_pcb *npcb, err_t err)
{
	struct sock *lsn = arg;
	if (!lsn || !npcb || err != ERR_OK)
		return ERR_VAL;
	struct sk_pending *pd = NULL;
	if (lsn->npending < lsn->backlog)
		pd = calloc(1, sizeof(*pd));
	if (!pd) {
		tcp_abort(npcb);
		return ERR_ABRT;
	}
	pd->lsn = lsn;
	pd->pcb = npcb;
	tcp_arg(npcb, pd);
	tcp_recv(npcb, pend_recv_cb);
	tcp_err(npcb, pend_err_cb);
	tcp_backlog_delayed(npcb); /* counts against the backlog until taken */
	if (lsn->pend_tail)
		lsn->pend_tail->next = pd;
	else
		lsn->pend_head = pd;
	lsn->pend_tail = pd;
	lsn->npending++;
	sk_set_state(lsn, NET_ST_ACCEPTABLE, 0);
	sk_publish(lsn);
	return ERR_OK;
}

int sk_tcp_listen(struct sock *s, uint32_t backlog)
{
	struct tcp_pcb *pcb = s->pcb.tcp;
	if (!pcb || (s->state & (NET_ST_CONNECTED | NET_ST_CONNECTING)))
		return -NE_EINVAL;
	uint32_t b = backlog ? backlog : 1;
	if (b > SK_BACKLOG_MAX)
		b = SK_BACKLOG_MAX;
	if (s->listening) {
		s->backlog = b;
		tcp_backlog_set(pcb, (u8_t)b);
		return 0;
	}
	if (!pcb->local_port) {
		int r = sk_err_from_lwip(tcp_bind(pcb, IP4_ADDR_ANY, 0));
		if (r)
			return r;
	}
	err_t e = ERR_OK;
	struct tcp_pcb *l = tcp_listen_with_backlog_and_err(pcb, (u8_t)b, &e);
	if (!l)
		return sk_err_from_lwip(e); /* pcb is still ours */
	s->pcb.tcp = l;			    /* lwIP freed the old pcb */
	s->listening = true;
	s->backlog = b;
	tcp_arg(l, s);
	tcp_accept(l, accept_cb);
	sk_set_state(s, NET_ST_LISTENING, 0);
	return 0;
}

int sk_tcp_accept(struct sock *lsn, struct sconn *c, struct sock **out,
		  struct net_addr *peer)
{
	if (!lsn->listening)
		return -NE_EINVAL;
	struct sk_pending *pd = lsn->pend_head;
	if (!pd)
		return -NE_EAGAIN;
	int err;
	struct sock *s = sk_alloc(c, SK_STREAM, lsn->rcvbuf, lsn->sndbuf, &err);
	if (!s)
		return err; /* the connection stays queued */
	pend_unlink(lsn, pd);
	struct tcp_pcb *pcb = pd->pcb;
	pcb_attach(s, pcb);
	tcp_backlog_accepted(pcb);
	s->rx_pend = pd->rx;
	s->fin = pd->fin;
	free(pd);
	/* Linux passes these options on from the listener. */
	s->nodelay = lsn->nodelay;
	s->keepalive = lsn->keepalive;
	s->linger_on = lsn->linger_on;
	s->linger_secs = lsn->linger_secs;
	s->rcvbuf = lsn->rcvbuf;
	s->sndbuf = lsn->sndbuf;
	sk_opts_apply(s);
	sk_set_state(s, NET_ST_CONNECTED, 0);
	sk_addr_to(peer, &pcb->remote_ip, pcb->remote_port);
	pump_rx(s);
	*out = s;
	return 0;
}

int sk_tcp_connect(struct sock *s, const ip_addr_t *ip, uint16_t port)
{
	struct tcp_pcb *pcb = s->pcb.tcp;
	if (s->listening)
		return -NE_EINVAL;
	if (s->state & NET_ST_CONNECTED)
		return -NE_EISCONN;
	if (s->state & NET_ST_CONNECTING)
		return -NE_EALREADY;
	if (!pcb)
		return -NE_EINVAL; /* a failed connection is not reused */
	sk_opts_apply(s);
	err_t e = tcp_connect(pcb, ip, port, connected_cb);
	if (e != ERR_OK)
		return sk_err_from_lwip(e);
	s->error = 0;
	sk_set_state(s, NET_ST_CONNECTING, NET_ST_ERROR);
	return 0;
}

int sk_tcp_shutdown(struct sock *s, uint32_t how)
{
	if (!(s->state & NET_ST_CONNECTED))
		return -NE_ENOTCONN;
	if (how != 1 && !s->shut_rd) { /* SHUT_RD, RDWR: unread data goes */
		s->shut_rd = true;
		/* Later rx_tail moves are not counted again (shut_rd). */
		recved(s->pcb.tcp,
		       sk_rxq_drop(&s->rx_pend) + (s->rx_head - s->rx_tail));
		sk_set_state(s, NET_ST_RX_EOF, 0);
	}
	if (how != 0) {
		/* The client may have written its last bytes just before the
		 * shutdown, with no doorbell in between: take them first, or
		 * the FIN would go out ahead of them. */
		sk_tcp_service(s);
		if (!s->pcb.tcp)
			return 0;
		s->shut_wr = true;
		pump_tx(s);
	}
	return 0;
}

static void abort_pending(struct sock *lsn)
{
	while (lsn->pend_head) {
		struct sk_pending *pd = lsn->pend_head;
		lsn->pend_head = pd->next;
		tcp_arg(pd->pcb, NULL);
		tcp_recv(pd->pcb, NULL);
		tcp_err(pd->pcb, NULL);
		tcp_abort(pd->pcb);
		sk_rxq_drop(&pd->rx);
		free(pd);
	}
	lsn->pend_tail = NULL;
	lsn->npending = 0;
}

void sk_tcp_abort(struct sock *s)
{
	if (s->listening) {
		abort_pending(s);
		struct tcp_pcb *l = pcb_release(s);
		if (l)
			tcp_close(l); /* a listener closes at once */
	} else {
		struct tcp_pcb *pcb = pcb_release(s);
		if (pcb)
			tcp_abort(pcb);
	}
	sk_set_state(s, NET_ST_CLOSED,
		     NET_ST_CONNECTED | NET_ST_CONNECTING | NET_ST_ACCEPTABLE);
	if (s->lingering) {
		linger_unlink(s);
		sk_kill(s);
	}
}

void sk_tcp_close(struct sock *s)
{
	if (s->listening || !s->pcb.tcp ||
	    (s->linger_on && s->linger_secs == 0)) {
		sk_tcp_abort(s);
		return;
	}
	uint64_t rt, th;
	if (!s->hostile && sk_read_counters(s, &rt, &th))
		s->tx_head = th; /* what the client wrote before closing */
	if (!s->pcb.tcp)
		return; /* the counters were nonsense: aborted */
	/* Unread data is dropped: the window must not stay shut for it. */
	uint64_t unread = s->rx_head - s->rx_tail;
	unread += sk_rxq_drop(&s->rx_pend);
	if (!s->shut_rd)
		recved(s->pcb.tcp, unread);
	s->shut_rd = true;
	pump_tx(s);
	if (s->tx_head == s->tx_tail || !(s->state & NET_ST_CONNECTED)) {
		close_pcb(s);
		return;
	}
	/* Data left in the ring: netd keeps the region (the client's mapping
	 * goes now) and sends it, for SO_LINGER's time or at most 60 s. */
	sk_detach(s);
	s->lingering = true;
	s->linger_deadline =
		sk_g.now + (s->linger_on
				    ? (uint64_t)s->linger_secs * 1000000000ull
				    : SK_LINGER_MAX_NS);
	s->next_linger = sk_g.linger_list;
	sk_g.linger_list = s;
}

void sk_tcp_linger_tick(void)
{
	struct sock **pp = &sk_g.linger_list;
	while (*pp) {
		struct sock *s = *pp;
		if (s->pcb.tcp)
			pump_tx(s);
		bool done = !s->pcb.tcp || s->tx_head == s->tx_tail;
		if (!done && sk_g.now < s->linger_deadline) {
			pp = &s->next_linger;
			continue;
		}
		*pp = s->next_linger;
		s->lingering = false;
		if (done) {
			close_pcb(s);
		} else {
			struct tcp_pcb *pcb = pcb_release(s);
			if (pcb)
				tcp_abort(pcb);
		}
		sk_kill(s);
	}
}

void sk_tcp_service(struct sock *s)
{
	if (s->listening || s->hostile)
		return;
	uint64_t rt, th;
	if (!sk_read_counters(s, &rt, &th))
		return;
	if (rt > s->rx_tail) {
		uint64_t d = rt - s->rx_tail;
		s->rx_tail = rt;
		if (!s->shut_rd)
			recved(s->pcb.tcp, d);
	}
	s->tx_head = th;
	pump_rx(s);
	if (s->pcb.tcp && s->pcb.tcp->refused_data && s->rx_pend.n < SK_RXQ)
		tcp_process_refused_data(s->pcb.tcp);
	if (s->dead)
		return;
	pump_tx(s);
}

int sk_tcp_getname(struct sock *s, int peer, struct net_addr *a)
{
	struct tcp_pcb *pcb = s->pcb.tcp;
	if (peer) {
		if (!pcb || !(s->state & NET_ST_CONNECTED))
			return -NE_ENOTCONN;
		sk_addr_to(a, &pcb->remote_ip, pcb->remote_port);
		return 0;
	}
	if (!pcb)
		sk_addr_to(a, NULL, 0);
	else
		sk_addr_to(a, &pcb->local_ip, pcb->local_port);
	return 0;
}
