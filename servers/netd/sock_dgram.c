/* Datagram sockets: UDP, raw IPv4 (SOCK_RAW, only on connections made
 * through the raw endpoint: REVIEW-17 F14) and Linux-style ICMP "ping"
 * sockets (SOCK_DGRAM + IPPROTO_ICMP, no right needed: echo requests
 * only, with the socket's own echo id, which netd writes in as Linux
 * binds it like a port; only replies with that id come back; no IP
 * header, netd fills in the checksum).
 *
 * The rings hold records (struct net_dgram + payload, padded to 8
 * bytes, never wrapping: a len of NET_DGRAM_WRAP sends the reader to the
 * ring's start and the skipped bytes count). A datagram that finds the
 * rx ring full is dropped and counted, as a full socket buffer drops on
 * Linux. tx records are read with every field checked against the ring
 * and the client's published head; a bad one closes the socket. */
#include <string.h>

#include "lwip/inet_chksum.h"
#include "lwip/ip4.h"
#include "lwip/prot/ip4.h"
#include "lwip/raw.h"
#include "lwip/udp.h"
#include "sock_int.h"

#define HDR	    ((uint32_t)sizeof(struct net_dgram))
#define PAYLOAD_MAX 65507u

static uint32_t rec_size(uint32_t len)
{
	return HDR + ((len + 7u) & ~7u);
}

/* Datagrams lost (full ring, too big, no route, no peer): per socket
 * and for netd's status (`dgram_drops`). */
static void drop(struct sock *s)
{
	s->drops++;
	sk_g.st.dgram_drops++;
}

static bool is_udp(const struct sock *s)
{
	return s->type == SK_DGRAM && !s->icmp_dgram;
}

/* One datagram into the rx ring: p's bytes from `skip` on. */
static void put(struct sock *s, struct pbuf *p, uint16_t skip,
		const ip_addr_t *src, uint16_t port)
{
	if (s->shut_rd || p->tot_len < skip) {
		drop(s);
		return;
	}
	uint32_t len = p->tot_len - skip;
	uint32_t rec = rec_size(len);
	if (len > PAYLOAD_MAX || rec > s->rx_size / 2) {
		drop(s);
		return;
	}
	uint32_t off = (uint32_t)(s->rx_head & (s->rx_size - 1));
	uint32_t pad = off + rec > s->rx_size ? s->rx_size - off : 0;
	uint64_t space = s->rx_size - (s->rx_head - s->rx_tail);
	if ((uint64_t)pad + rec > space) {
		/* The client may have read without ringing (a receive-only
		 * socket): take a fresh rx_tail if it makes sense. Nonsense is
		 * left for the next scan (no close inside lwIP's callback). */
		uint64_t rt =
			__atomic_load_n(&s->shm->rx_tail, __ATOMIC_ACQUIRE);
		if (rt > s->rx_tail && rt <= s->rx_head)
			s->rx_tail = rt;
		space = s->rx_size - (s->rx_head - s->rx_tail);
	}
	if ((uint64_t)pad + rec > space) {
		drop(s);
		return;
	}
	if (pad) {
		uint32_t wrap = NET_DGRAM_WRAP;
		memcpy(s->rx + off, &wrap, sizeof(wrap));
		s->rx_head += pad;
		off = 0;
	}
	struct net_dgram h = {.len = len};
	sk_addr_to(&h.addr, src, port);
	memcpy(s->rx + off, &h, HDR);
	pbuf_copy_partial(p, s->rx + off + HDR, (u16_t)len, skip);
	s->rx_head += rec;
	sk_g.st.rx_bytes += len;
	sk_publish(s);
}

static void udp_cb(void *arg, struct udp_pcb *pcb, struct pbuf *p,
		   const ip_addr_t *addr, u16_t port)
{
	(void)pcb;
	put(arg, p, 0, addr, port);
	pbuf_free(p);
}

/* Ping sockets' echo ids, unique in netd (a bitmap of 65536). */
static bool echo_used(uint16_t id)
{
	return sk_g.echo_ids[id / 8] & (1u << (id % 8));
}

static void echo_set(uint16_t id, bool on)
{
	if (on)
		sk_g.echo_ids[id / 8] |= (uint8_t)(1u << (id % 8));
	else
		sk_g.echo_ids[id / 8] &= (uint8_t) ~(1u << (id % 8));
}

/* A free id (never 0), or 0 when none is. */
static uint16_t echo_alloc(void)
{
	if (!sk_g.echo_next)
		sk_g.echo_next =
			(uint16_t)LWIP_RAND(); /* not guessable at once */
	for (uint32_t i = 0; i < 65535u; i++) {
		uint16_t id = (uint16_t)(sk_g.echo_next % 65535u + 1u);
		sk_g.echo_next = id;
		if (!echo_used(id)) {
			echo_set(id, true);
			return id;
		}
	}
	return 0;
}

/* Not eaten (0): lwIP's own ICMP (echo replies by netd) still runs. */
static u8_t raw_cb(void *arg, struct raw_pcb *pcb, struct pbuf *p,
		   const ip_addr_t *addr)
{
	struct sock *s = arg;
	(void)pcb;
	if (!s->icmp_dgram) {
		put(s, p, 0, addr, 0);
		return 0;
	}
	if (p->len < IP_HLEN)
		return 0;
	uint16_t hl = (uint16_t)(IPH_HL_BYTES((struct ip_hdr *)p->payload));
	uint8_t h[6];
	/* Ping sockets see their own echo replies only, like Linux's. */
	if (pbuf_copy_partial(p, h, sizeof(h), hl) == sizeof(h) && h[0] == 0 &&
	    h[1] == 0 && (uint16_t)(h[4] << 8 | h[5]) == s->echo_id)
		put(s, p, hl, addr, 0);
	return 0;
}

int sk_dgram_new(struct sock *s, uint8_t type, uint32_t proto)
{
	bool udp = type == SK_DGRAM && proto != SK_IPPROTO_ICMP;
	/* The task's share of lwIP's pool (REVIEW-17 F2). */
	if (!sk_charge(s, udp ? SK_POOL_UDP : SK_POOL_RAW))
		return -NE_EMFILE;
	if (udp) {
		struct udp_pcb *u = udp_new_ip_type(IPADDR_TYPE_V4);
		if (!u) {
			sk_uncharge(s);
			return -NE_ENOBUFS;
		}
		s->pcb.udp = u;
		udp_recv(u, udp_cb, s);
	} else {
		struct raw_pcb *r =
			raw_new_ip_type(IPADDR_TYPE_V4, (u8_t)proto);
		if (!r) {
			sk_uncharge(s);
			return -NE_ENOBUFS;
		}
		s->pcb.raw = r;
		s->proto = (uint8_t)proto;
		s->icmp_dgram = type == SK_DGRAM;
		if (s->icmp_dgram && !(s->echo_id = echo_alloc())) {
			raw_remove(r);
			s->pcb.raw = NULL;
			sk_uncharge(s);
			return -NE_ENOBUFS;
		}
		raw_recv(r, raw_cb, s);
	}
	sk_opts_apply(s);
	return 0;
}

void sk_dgram_close(struct sock *s)
{
	if (!s->pcb.any)
		return;
	if (is_udp(s))
		udp_remove(s->pcb.udp);
	else
		raw_remove(s->pcb.raw);
	s->pcb.any = NULL;
	sk_uncharge(s);
	if (s->echo_id)
		echo_set(s->echo_id, false);
	s->echo_id = 0;
	sk_set_state(s, NET_ST_CLOSED, NET_ST_CONNECTED);
}

int sk_dgram_bind(struct sock *s, const ip_addr_t *ip, uint16_t port)
{
	if (!s->pcb.any)
		return -NE_EINVAL;
	if (!sk_addr_is_local(ip))
		return -NE_EADDRNOTAVAIL;
	sk_opts_apply(s);
	if (s->icmp_dgram && port && port != s->echo_id) {
		/* The port of a ping socket is its echo id (Linux). */
		if (echo_used(port))
			return -NE_EADDRINUSE;
		echo_set(s->echo_id, false);
		echo_set(port, true);
		s->echo_id = port;
	}
	if (!is_udp(s))
		return sk_err_from_lwip(raw_bind(s->pcb.raw, ip));
	if (s->pcb.udp->local_port)
		return -NE_EINVAL;
	if (sk_port_taken(s, ip, port))
		return -NE_EADDRINUSE;
	return sk_err_from_lwip(udp_bind(s->pcb.udp, ip, port));
}

int sk_dgram_connect(struct sock *s, const struct net_addr *a)
{
	if (!s->pcb.any)
		return -NE_EINVAL;
	if (a->family == SK_AF_UNSPEC) {
		if (is_udp(s))
			udp_disconnect(s->pcb.udp);
		else
			raw_disconnect(s->pcb.raw);
		s->has_peer = false;
		sk_set_state(s, 0, NET_ST_CONNECTED);
		return 0;
	}
	ip_addr_t ip;
	uint16_t port;
	int r = sk_addr_from(a, &ip, &port);
	if (r)
		return r;
	err_t e = is_udp(s) ? udp_connect(s->pcb.udp, &ip, port)
			    : raw_connect(s->pcb.raw, &ip);
	if (e != ERR_OK)
		return sk_err_from_lwip(e);
	s->has_peer = true;
	s->peer = ip;
	s->peer_port = port;
	sk_set_state(s, NET_ST_CONNECTED, 0);
	return 0;
}

/* Sends one record's payload; ERR_MEM: try again later. */
static err_t send_one(struct sock *s, const struct net_dgram *h,
		      const uint8_t *payload)
{
	ip_addr_t ip;
	uint16_t port = 0;
	if (h->addr.family == SK_AF_UNSPEC) {
		if (!s->has_peer)
			return ERR_CONN;
		ip = s->peer;
		port = s->peer_port;
	} else if (sk_addr_from(&h->addr, &ip, &port)) {
		return ERR_VAL;
	}
	/* A ping socket sends echo requests only (as Linux's). */
	if (s->icmp_dgram && (h->len < 8 || payload[0] != 8 || payload[1]))
		return ERR_VAL;
	struct pbuf *p = pbuf_alloc(is_udp(s) ? PBUF_TRANSPORT : PBUF_IP,
				    (u16_t)h->len, PBUF_RAM);
	if (!p)
		return ERR_MEM;
	memcpy(p->payload, payload, h->len);
	if (s->icmp_dgram) {
		uint8_t *b = p->payload;
		b[4] = (uint8_t)(s->echo_id >> 8);
		b[5] = (uint8_t)s->echo_id;
		b[2] = b[3] = 0;
		uint16_t ck = inet_chksum(b, (u16_t)h->len);
		memcpy(b + 2, &ck, 2);
	}
	err_t e = is_udp(s) ? udp_sendto(s->pcb.udp, p, &ip, port)
			    : raw_sendto(s->pcb.raw, p, &ip);
	pbuf_free(p);
	return e;
}

static void pump_tx(struct sock *s)
{
	while (s->tx_tail != s->tx_head && !s->dead) {
		uint64_t avail = s->tx_head - s->tx_tail;
		uint32_t off = (uint32_t)(s->tx_tail & (s->tx_size - 1));
		uint32_t len;
		if (avail < 8 || (off & 7u)) {
			sk_hostile(s);
			return;
		}
		memcpy(&len, s->tx + off, sizeof(len));
		if (len == NET_DGRAM_WRAP) {
			if (s->tx_size - off > avail) {
				sk_hostile(s);
				return;
			}
			s->tx_tail += s->tx_size - off;
			continue;
		}
		struct net_dgram h;
		if (s->tx_size - off < HDR) {
			sk_hostile(s);
			return;
		}
		memcpy(&h, s->tx + off, HDR); /* our copy: checked once */
		uint32_t rec = rec_size(h.len);
		if (h.len != len || h.len > 0xffffu || rec > s->tx_size - off ||
		    rec > avail) {
			sk_hostile(s);
			return;
		}
		if (!s->pcb.any || (s->state & NET_ST_CLOSED)) {
			drop(s);
		} else {
			err_t e = send_one(s, &h, s->tx + off + HDR);
			if (e == ERR_MEM) {
				sk_stall(s);
				return;
			}
			if (e != ERR_OK)
				drop(s);
			else
				sk_g.st.tx_bytes += h.len;
		}
		s->tx_tail += rec;
	}
}

void sk_dgram_service(struct sock *s)
{
	uint64_t rt, th;
	if (s->hostile || !sk_read_counters(s, &rt, &th))
		return;
	s->rx_tail = rt;
	s->tx_head = th;
	pump_tx(s);
}

int sk_dgram_getname(struct sock *s, int peer, struct net_addr *a)
{
	if (peer) {
		if (!s->has_peer)
			return -NE_ENOTCONN;
		sk_addr_to(a, &s->peer, is_udp(s) ? s->peer_port : 0);
		return 0;
	}
	if (!s->pcb.any)
		sk_addr_to(a, NULL, 0);
	else if (is_udp(s))
		sk_addr_to(a, &s->pcb.udp->local_ip, s->pcb.udp->local_port);
	else
		sk_addr_to(a, &s->pcb.raw->local_ip, s->echo_id);
	return 0;
}
