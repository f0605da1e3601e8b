/* A socket region's rings, client side (sock_ring.h). Pure code. Counters
 * run free (uint64_t); a ring offset is the counter modulo the size. netd
 * publishes rx_head and tx_tail with release stores after writing or
 * reading the bytes; we read them with acquire loads, once per call, and
 * publish ours the same way. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* POLLRDHUP */
#endif
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "sock_ring.h"

static bool pow2_ok(uint32_t v)
{
	return v >= NET_RING_MIN && v <= NET_RING_MAX && !(v & (v - 1));
}

static long broken(struct rtsr_sock *s)
{
	s->bad = true;
	return -EIO;
}

int rtsr_attach(struct rtsr_sock *s, void *base, uint64_t map_len,
		const struct net_sock_info *in, bool dgram)
{
	memset(s, 0, sizeof(*s));
	s->bad = true;
	if (!base || !pow2_ok(in->rx_size) || !pow2_ok(in->tx_size))
		return -EIO;
	uint64_t need = (uint64_t)SR_HDR_SIZE + in->rx_size + in->tx_size;
	if (in->shm_size < need || map_len < need)
		return -EIO;
	struct net_shm *shm = base;
	if (shm->magic != NET_SHM_MAGIC || shm->version != NET_PROTO_VERSION ||
	    shm->rx_size != in->rx_size || shm->tx_size != in->tx_size)
		return -EIO;
	s->shm = shm;
	s->rx = (uint8_t *)base + SR_HDR_SIZE;
	s->tx = s->rx + in->rx_size;
	s->rx_size = in->rx_size;
	s->tx_size = in->tx_size;
	s->dgram = dgram;
	/* A new region starts at zero; take what is there and check it. */
	s->rx_tail = shm->rx_tail;
	s->tx_head = shm->tx_head;
	s->bad = false;
	if (rtsr_rx_fill(s) < 0 || rtsr_tx_room(s) < 0 ||
	    (dgram && ((s->rx_tail | s->tx_head) & 7)))
		return broken(s);
	return 0;
}

long rtsr_rx_fill(struct rtsr_sock *s)
{
	if (s->bad)
		return -EIO;
	uint64_t head = __atomic_load_n(&s->shm->rx_head, __ATOMIC_ACQUIRE);
	uint64_t fill = head - s->rx_tail;
	if (fill > s->rx_size)
		return broken(s);
	return (long)fill;
}

long rtsr_tx_room(struct rtsr_sock *s)
{
	if (s->bad)
		return -EIO;
	uint64_t tail = __atomic_load_n(&s->shm->tx_tail, __ATOMIC_ACQUIRE);
	uint64_t used = s->tx_head - tail;
	if (used > s->tx_size)
		return broken(s);
	return (long)(s->tx_size - used);
}

/* Ring <-> flat buffer copies at a free-running position. */
static void ring_get(const uint8_t *ring, uint32_t size, uint64_t pos,
		     void *dst, size_t n)
{
	uint32_t off = (uint32_t)(pos & (size - 1));
	size_t first = size - off < n ? size - off : n;
	memcpy(dst, ring + off, first);
	if (n > first)
		memcpy((uint8_t *)dst + first, ring, n - first);
}

static void ring_put(uint8_t *ring, uint32_t size, uint64_t pos,
		     const void *src, size_t n)
{
	uint32_t off = (uint32_t)(pos & (size - 1));
	size_t first = size - off < n ? size - off : n;
	memcpy(ring + off, src, first);
	if (n > first)
		memcpy(ring, (const uint8_t *)src + first, n - first);
}

/* Ring bytes at pos -> the iovecs from their offset skip on, n bytes at
 * most; bytes copied. */
static size_t ring_to_iov(const uint8_t *ring, uint32_t size, uint64_t pos,
			  const struct iovec *iov, int cnt, size_t skip,
			  size_t n)
{
	size_t done = 0;
	for (int i = 0; i < cnt && done < n; i++) {
		size_t l = iov[i].iov_len;
		if (skip >= l) {
			skip -= l;
			continue;
		}
		size_t k = l - skip < n - done ? l - skip : n - done;
		ring_get(ring, size, pos + done,
			 (uint8_t *)iov[i].iov_base + skip, k);
		done += k;
		skip = 0;
	}
	return done;
}

/* The iovecs' bytes [skip, skip + n) -> the ring at pos. */
static void iov_to_ring(uint8_t *ring, uint32_t size, uint64_t pos,
			const struct iovec *iov, int cnt, size_t skip, size_t n)
{
	size_t done = 0;
	for (int i = 0; i < cnt && done < n; i++) {
		size_t l = iov[i].iov_len;
		if (skip >= l) {
			skip -= l;
			continue;
		}
		size_t k = l - skip < n - done ? l - skip : n - done;
		ring_put(ring, size, pos + done,
			 (const uint8_t *)iov[i].iov_base + skip, k);
		done += k;
		skip = 0;
	}
}

int rtsr_iov_total(const struct iovec *iov, long cnt, size_t *total)
{
	*total = 0;
	if (cnt < 0 || cnt > 1024)
		return -EINVAL;
	for (long i = 0; i < cnt; i++) {
		if (iov[i].iov_len > (size_t)INT64_MAX - *total)
			return -EINVAL;
		*total += iov[i].iov_len;
	}
	return 0;
}

static void publish_rx(struct rtsr_sock *s)
{
	__atomic_store_n(&s->shm->rx_tail, s->rx_tail, __ATOMIC_RELEASE);
}

static void publish_tx(struct rtsr_sock *s)
{
	__atomic_store_n(&s->shm->tx_head, s->tx_head, __ATOMIC_RELEASE);
}

long rtsr_read(struct rtsr_sock *s, const struct iovec *iov, int cnt,
	       size_t skip, bool peek)
{
	long fill = rtsr_rx_fill(s);
	if (fill <= 0)
		return fill;
	size_t n = ring_to_iov(s->rx, s->rx_size, s->rx_tail, iov, cnt, skip,
			       (size_t)fill);
	if (!peek && n) {
		s->rx_tail += n;
		publish_rx(s);
	}
	return (long)n;
}

long rtsr_write(struct rtsr_sock *s, const struct iovec *iov, int cnt,
		size_t skip)
{
	size_t total;
	if (rtsr_iov_total(iov, cnt, &total) < 0 || skip > total)
		return -EINVAL;
	long room = rtsr_tx_room(s);
	if (room <= 0)
		return room;
	size_t n = total - skip < (size_t)room ? total - skip : (size_t)room;
	if (n) {
		iov_to_ring(s->tx, s->tx_size, s->tx_head, iov, cnt, skip, n);
		s->tx_head += n;
		publish_tx(s);
	}
	return (long)n;
}

/* ---- records ---- */

static uint64_t rec_size(uint64_t len)
{
	return SR_REC_HDR + ((len + 7) & ~7ull);
}

uint32_t rtsr_rec_max(const struct rtsr_sock *s)
{
	/* Any record must fit an empty ring wherever the head is: a record
	 * plus the bytes skipped before it (less than the record) must not
	 * exceed the ring, so a record is at most half of it. */
	uint32_t m = s->tx_size / 2 - SR_REC_HDR;
	return m < SR_UDP_MAX ? m : SR_UDP_MAX;
}

long rtsr_rec_next(struct rtsr_sock *s, struct net_dgram *hdr)
{
	for (int wraps = 0;; wraps++) {
		long fill = rtsr_rx_fill(s);
		if (fill <= 0)
			return fill;
		uint32_t off = (uint32_t)(s->rx_tail & (s->rx_size - 1));
		uint32_t to_end = s->rx_size - off;
		uint32_t len;
		memcpy(&len, s->rx + off, sizeof(len));
		if (len == NET_DGRAM_WRAP) {
			/* Only one marker in a row, and the skipped bytes
			 * must have been published. */
			if (wraps || off == 0 || (uint64_t)fill < to_end)
				return broken(s);
			s->rx_tail += to_end;
			publish_rx(s);
			continue;
		}
		if (to_end < SR_REC_HDR || (uint64_t)fill < SR_REC_HDR)
			return broken(s);
		memcpy(hdr, s->rx + off, sizeof(*hdr));
		if (hdr->len != len || len > s->rx_size - SR_REC_HDR ||
		    rec_size(len) > to_end || rec_size(len) > (uint64_t)fill)
			return broken(s);
		return 1;
	}
}

long rtsr_rec_read(struct rtsr_sock *s, const struct iovec *iov, int cnt,
		   struct net_addr *from, bool peek)
{
	struct net_dgram h;
	long r = rtsr_rec_next(s, &h);
	if (r <= 0)
		return r < 0 ? r : -EAGAIN;
	ring_to_iov(s->rx, s->rx_size, s->rx_tail + SR_REC_HDR, iov, cnt, 0,
		    h.len);
	if (from)
		*from = h.addr;
	if (!peek) {
		s->rx_tail += rec_size(h.len);
		publish_rx(s);
	}
	return (long)h.len;
}

/* Room for a record of len at the head: the bytes it takes, wrap
 * included, or 0 when it does not fit now; *skip gets the wrap's bytes. */
static long rec_need(struct rtsr_sock *s, size_t len, uint32_t *skip)
{
	if (len > rtsr_rec_max(s))
		return -EMSGSIZE;
	long room = rtsr_tx_room(s);
	if (room < 0)
		return room;
	uint32_t off = (uint32_t)(s->tx_head & (s->tx_size - 1));
	uint32_t to_end = s->tx_size - off;
	uint64_t rec = rec_size(len);
	*skip = rec > to_end ? to_end : 0;
	return rec + *skip <= (uint64_t)room ? (long)(rec + *skip) : 0;
}

long rtsr_rec_fits(struct rtsr_sock *s, size_t len)
{
	uint32_t skip;
	long r = rec_need(s, len, &skip);
	return r < 0 ? r : r > 0;
}

long rtsr_rec_write(struct rtsr_sock *s, const struct iovec *iov, int cnt,
		    size_t len, const struct net_addr *to)
{
	uint32_t skip;
	long need = rec_need(s, len, &skip);
	if (need <= 0)
		return need < 0 ? need : -EAGAIN;
	if (skip) {
		/* Offsets are 8-aligned: the marker's len always fits. */
		uint32_t off = (uint32_t)(s->tx_head & (s->tx_size - 1));
		uint32_t mark[2] = {NET_DGRAM_WRAP, 0};
		memcpy(s->tx + off, mark, sizeof(mark));
		s->tx_head += skip;
	}
	struct net_dgram h = {.len = (uint32_t)len, .flags = 0, .addr = *to};
	uint32_t off = (uint32_t)(s->tx_head & (s->tx_size - 1));
	memcpy(s->tx + off, &h, sizeof(h));
	iov_to_ring(s->tx, s->tx_size, s->tx_head + SR_REC_HDR, iov, cnt, 0,
		    len);
	s->tx_head += rec_size(len);
	publish_tx(s);
	return (long)len;
}

/* ---- readiness ---- */

unsigned rtsr_poll(struct rtsr_sock *s, unsigned local)
{
	if (s->bad || (local & SR_L_DEAD))
		return POLLIN | POLLOUT | POLLERR | POLLHUP;
	uint32_t st = __atomic_load_n(&s->shm->state, __ATOMIC_ACQUIRE);
	unsigned ev = 0;
	if (st & NET_ST_ERROR)
		ev |= POLLERR | POLLIN | POLLOUT;
	if (st & NET_ST_CLOSED)
		ev |= POLLHUP | POLLIN | POLLOUT;
	if (st & NET_ST_LISTENING) {
		if ((st & NET_ST_ACCEPTABLE) || s->shm->accept_pending)
			ev |= POLLIN;
		return ev;
	}
	if (s->dgram) {
		struct net_dgram h;
		long r = rtsr_rec_next(s, &h);
		long fits = rtsr_rec_fits(s, 1472); /* one Ethernet datagram */
		if (r < 0 || fits < 0)
			return POLLIN | POLLOUT | POLLERR | POLLHUP;
		if (r > 0 || (local & SR_L_SHUT_RD))
			ev |= POLLIN;
		if (fits > 0 && !(local & SR_L_SHUT_WR))
			ev |= POLLOUT;
		return ev;
	}
	long fill = rtsr_rx_fill(s), room = rtsr_tx_room(s);
	if (fill < 0 || room < 0)
		return POLLIN | POLLOUT | POLLERR | POLLHUP;
	if (fill > 0 || (st & NET_ST_RX_EOF) || (local & SR_L_SHUT_RD))
		ev |= POLLIN;
	if (st & NET_ST_RX_EOF)
		ev |= POLLRDHUP;
	if ((st & NET_ST_CONNECTED) && room > 0 && !(local & SR_L_SHUT_WR))
		ev |= POLLOUT;
	if ((st & NET_ST_RX_EOF) && (local & SR_L_SHUT_WR))
		ev |= POLLHUP;
	/* A stream socket neither connected nor connecting: Linux says
	 * POLLOUT | POLLHUP (nothing will ever come). */
	if (!(st & (NET_ST_CONNECTED | NET_ST_CONNECTING | NET_ST_ERROR |
		    NET_ST_CLOSED | NET_ST_RX_EOF)) &&
	    !(local & SR_L_CONNECTING))
		ev |= POLLOUT | POLLHUP;
	return ev;
}

/* ---- addresses ---- */

int rtsr_addr_from(const void *sa, uint32_t len, struct net_addr *out,
		   bool unspec_ok)
{
	memset(out, 0, sizeof(*out));
	if (!sa || len < sizeof(sa_family_t))
		return -EINVAL;
	sa_family_t fam;
	memcpy(&fam, sa, sizeof(fam));
	switch (fam) {
	case AF_INET: {
		struct sockaddr_in in;
		if (len < sizeof(in))
			return -EINVAL;
		memcpy(&in, sa, sizeof(in));
		out->family = AF_INET;
		out->port = in.sin_port;
		memcpy(out->addr, &in.sin_addr, 4);
		return 0;
	}
	case AF_INET6: {
		struct sockaddr_in6 in6;
		if (len < sizeof(in6))
			return -EINVAL;
		memcpy(&in6, sa, sizeof(in6));
		out->family = AF_INET6;
		out->port = in6.sin6_port;
		out->scope = in6.sin6_scope_id;
		memcpy(out->addr, &in6.sin6_addr, 16);
		return 0;
	}
	case AF_UNSPEC:
		if (!unspec_ok)
			return -EAFNOSUPPORT;
		out->family = AF_UNSPEC;
		return 0;
	default:
		return -EAFNOSUPPORT;
	}
}

void rtsr_addr_to(const struct net_addr *a, void *sa, uint32_t *len)
{
	union {
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
		sa_family_t fam;
	} u;
	uint32_t n;
	memset(&u, 0, sizeof(u));
	if (a->family == AF_INET6) {
		u.in6.sin6_family = AF_INET6;
		u.in6.sin6_port = a->port;
		u.in6.sin6_scope_id = a->scope;
		memcpy(&u.in6.sin6_addr, a->addr, 16);
		n = sizeof(u.in6);
	} else if (a->family == AF_INET) {
		u.in.sin_family = AF_INET;
		u.in.sin_port = a->port;
		memcpy(&u.in.sin_addr, a->addr, 4);
		n = sizeof(u.in);
	} else {
		u.fam = AF_UNSPEC;
		n = sizeof(sa_family_t);
	}
	if (sa && len)
		memcpy(sa, &u, *len < n ? *len : n);
	if (len)
		*len = n;
}
