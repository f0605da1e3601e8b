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
 * already freed) only clears our pointer. Listen/accept: sock_tcp_lsn.c. */
#include <stdlib.h>
#include <string.h>

#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "sock_int.h"

static err_t recv_cb(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err);
static err_t sent_cb(void *arg, struct tcp_pcb *pcb, u16_t len);
static void err_cb(void *arg, err_t err);

void sk_tcp_pcb_attach(struct sock *s, struct tcp_pcb *pcb)
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
	sk_uncharge(s);
	sk_tx_sync(s);
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

/* Room for len more bytes in r's chunks (allocating what is needed up
 * front, so a refusal has consumed nothing). */
static bool rxq_reserve(struct sk_rxq *r, uint32_t len)
{
	uint32_t room = 0;
	if (r->n)
		room = SK_CHUNK - r->q[(r->head + r->n - 1) % SK_RXQ]->len;
	uint32_t need = len > room ? (len - room + SK_CHUNK - 1) / SK_CHUNK : 0;
	if (r->n + need > SK_RXQ ||
	    sk_g.rxbuf_used + need * SK_CHUNK > SK_RXBUF_MAX ||
	    r->task->rxbuf + need * SK_CHUNK > SK_RXBUF_TASK)
		return false;
	for (uint32_t k = 0; k < need; k++) {
		struct sk_chunk *c = malloc(sizeof(*c));
		if (!c)
			return false; /* the ones made stay, empty, for later */
		c->len = 0;
		r->q[(r->head + r->n) % SK_RXQ] = c;
		r->n++;
		sk_g.rxbuf_used += SK_CHUNK;
		r->task->rxbuf += SK_CHUNK;
	}
	return true;
}

/* Copies p's bytes from `from` on into r (room reserved). */
static void rxq_copy(struct sk_rxq *r, struct pbuf *p, uint32_t from)
{
	uint32_t i = 0;
	while (from < p->tot_len) {
		struct sk_chunk *c = r->q[(r->head + i) % SK_RXQ];
		i++;
		if (c->len == SK_CHUNK)
			continue;
		uint32_t n = p->tot_len - from;
		if (n > SK_CHUNK - c->len)
			n = SK_CHUNK - c->len;
		pbuf_copy_partial(p, c->data + c->len, (u16_t)n, (u16_t)from);
		c->len += n;
		from += n;
	}
}

static uint64_t rxq_bytes(const struct sk_rxq *r)
{
	uint64_t b = 0;
	for (uint32_t i = 0; i < r->n; i++)
		b += r->q[(r->head + i) % SK_RXQ]->len;
	return b - r->off;
}

uint64_t sk_rxq_drop(struct sk_rxq *r)
{
	uint64_t bytes = rxq_bytes(r);
	for (; r->n; r->n--, r->head = (uint8_t)((r->head + 1) % SK_RXQ)) {
		free(r->q[r->head]);
		sk_g.rxbuf_used -= SK_CHUNK;
		r->task->rxbuf -= SK_CHUNK;
	}
	r->head = 0;
	r->off = 0;
	return bytes;
}

/* n bytes of p from `from` on into the rx ring (room checked). */
static void ring_put(struct sock *s, struct pbuf *p, uint32_t from, uint32_t n)
{
	while (n) {
		uint32_t off = (uint32_t)(s->rx_head & (s->rx_size - 1));
		uint32_t k = n < s->rx_size - off ? n : s->rx_size - off;
		pbuf_copy_partial(p, s->rx + off, (u16_t)k, (u16_t)from);
		s->rx_head += k;
		sk_g.st.rx_bytes += k;
		from += k;
		n -= k;
	}
}

/* rx_pend -> rx ring, as far as the client has left room. */
void sk_tcp_pump_rx(struct sock *s)
{
	struct sk_rxq *r = &s->rx_pend;
	while (r->n) {
		uint64_t space = s->rx_size - (s->rx_head - s->rx_tail);
		struct sk_chunk *c = r->q[r->head];
		if (r->off == c->len) {
			if (r->n == 1 && c->len < SK_CHUNK)
				break; /* the chunk being filled stays */
			free(c);
			sk_g.rxbuf_used -= SK_CHUNK;
			r->task->rxbuf -= SK_CHUNK;
			r->head = (uint8_t)((r->head + 1) % SK_RXQ);
			r->n--;
			r->off = 0;
			continue;
		}
		if (!space)
			break;
		uint32_t off = (uint32_t)(s->rx_head & (s->rx_size - 1));
		uint64_t n = c->len - r->off;
		if (n > space)
			n = space;
		if (n > s->rx_size - off)
			n = s->rx_size - off;
		memcpy(s->rx + off, c->data + r->off, n);
		r->off += (uint32_t)n;
		s->rx_head += n;
		sk_g.st.rx_bytes += n;
	}
	if (!rxq_bytes(r) && s->fin)
		sk_set_state(s, NET_ST_RX_EOF, 0);
}

/* Takes p (lwIP's, maybe pool pbufs): straight into the ring when
 * nothing waits before it, the rest copied into chunks; p is freed.
 * false: no room, p untouched (lwIP keeps it as refused data). */
bool sk_tcp_take_rx(struct sock *s, struct sk_rxq *r, struct pbuf *p)
{
	uint32_t direct = 0;
	if (s && !rxq_bytes(r)) {
		uint64_t space = s->rx_size - (s->rx_head - s->rx_tail);
		direct = p->tot_len < space ? p->tot_len : (uint32_t)space;
	}
	if (direct < p->tot_len && !rxq_reserve(r, p->tot_len - direct))
		return false;
	if (direct)
		ring_put(s, p, 0, direct);
	rxq_copy(r, p, direct);
	pbuf_free(p);
	return true;
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

/* Nothing of s's left to send: its ring is drained into lwIP and every
 * byte of it acked. */
static bool sent_all(struct sock *s)
{
	sk_tx_sync(s);
	return s->tx_head == s->tx_tail && !s->lwip_tx;
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
		/* The task's share of lwIP's heap (REVIEW-17 F4): over it,
		 * its acks make room; the tick retries. */
		uint32_t room = sk_tx_room(s);
		if (!room) {
			sk_stall(s);
			break;
		}
		if (snd > room)
			snd = room;
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
		sk_tx_sync(s);
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
		sk_tcp_pump_rx(s);
		sk_publish(s);
		return ERR_OK;
	}
	if (s->shut_rd || s->lingering) {
		tcp_recved(pcb, p->tot_len);
		pbuf_free(p);
		return ERR_OK;
	}
	if (!sk_tcp_take_rx(s, &s->rx_pend, p))
		return ERR_MEM; /* lwIP keeps it; sk_tcp_service asks again */
	sk_tcp_pump_rx(s);
	sk_publish(s);
	return ERR_OK;
}

static err_t sent_cb(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct sock *s = arg;
	(void)pcb;
	(void)len;
	sk_tx_sync(s);
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
	sk_uncharge(s);
	sk_tx_sync(s);
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
	/* A process over its share: as Linux's RLIMIT_NOFILE (F2). */
	if (!sk_charge(s, SK_POOL_TCP))
		return -NE_EMFILE;
	struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
	if (!pcb) {
		sk_uncharge(s);
		return -NE_ENOBUFS;
	}
	sk_tcp_pcb_attach(s, pcb);
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
	if (sk_port_taken(s, ip, port))
		return -NE_EADDRINUSE;
	sk_opts_apply(s);
	return sk_err_from_lwip(tcp_bind(pcb, ip, port));
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
		/* What the client wrote just before shutdown() goes first:
		 * its counters are read now, not at the next doorbell. */
		sk_tcp_service(s);
		if (s->hostile || !s->pcb.tcp)
			return 0; /* closed (EINVAL) or gone */
		s->shut_wr = true;
		pump_tx(s);
	}
	return 0;
}

void sk_tcp_abort(struct sock *s)
{
	if (s->listening) {
		sk_tcp_abort_pending(s);
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
	if (!(s->state & NET_ST_CONNECTED) || sent_all(s)) {
		close_pcb(s);
		return;
	}
	/* Data left in the ring or unacked in lwIP's heap: netd keeps the
	 * socket (the client's mapping goes now), charged to its task
	 * (REVIEW-17 F2..F4), sends the rest and the FIN, for SO_LINGER's
	 * time or at most 60 s. */
	s->shut_wr = true;
	pump_tx(s);
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
		bool done = !s->pcb.tcp || sent_all(s);
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
	sk_tcp_pump_rx(s);
	if (s->pcb.tcp && s->pcb.tcp->refused_data)
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
