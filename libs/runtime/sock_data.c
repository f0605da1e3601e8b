/* The data calls on a socket over netd: send, sendto, sendmsg,
 * sendmmsg, recv, recvfrom, recvmsg, recvmmsg and read/write/readv/writev
 * on a socket fd, only through the socket's region (sock_ring.c), with
 * netd's doorbell rung after each produce or consume and waits on our
 * notification (control: sock_glue.c). docs/net-sockets.md. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* struct mmsghdr */
#endif
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "fd_glue.h"
#include "fs_int.h"
#include "sock_glue.h"
#include "sock_int.h"

/* ---- data ---- */

static long stream_send(struct execrt_sock *s, const struct iovec *iov, int cnt,
			size_t total, bool nb)
{
	size_t done = 0;
	uint64_t dl = deadline_of(s->sndtimeo);
	if (!total)
		return 0;
	for (;;) {
		rtsk_spin_lock(&s->lock);
		uint32_t st = state(s);
		long r = 0;
		if (rtsk_dead(s))
			r = -ECONNRESET;
		else if (s->local & SR_L_SHUT_WR)
			r = -EPIPE;
		else if (st & NET_ST_ERROR)
			r = take_err(s);
		else if (st & NET_ST_CLOSED)
			r = -EPIPE;
		else if (st & NET_ST_CONNECTED)
			r = rtsr_write(&s->r, iov, cnt, done);
		else if (!(st & NET_ST_CONNECTING) &&
			 !(s->local & SR_L_CONNECTING))
			r = -ENOTCONN;
		rtsk_spin_unlock(&s->lock);
		if (r < 0)
			return done ? (long)done : r;
		if (r > 0) {
			done += (size_t)r;
			rtsk_ring_doorbell();
			if (done == total)
				return (long)done;
			continue; /* more may fit already */
		}
		if (nb)
			return done ? (long)done : -EAGAIN;
		if (rtsk_wait(s->wake_bit, dl, s) < 0)
			return done ? (long)done : -EAGAIN;
	}
}

static long dgram_send(struct execrt_sock *s, const struct iovec *iov, int cnt,
		       size_t total, const struct net_addr *to, bool nb)
{
	uint64_t dl = deadline_of(s->sndtimeo);
	struct net_addr dst = {.family = AF_UNSPEC};
	if (to)
		dst = *to;
	for (;;) {
		rtsk_spin_lock(&s->lock);
		uint32_t st = state(s);
		long r;
		if (rtsk_dead(s))
			r = -ECONNRESET;
		else if (s->local & SR_L_SHUT_WR)
			r = -EPIPE;
		else if ((st & NET_ST_ERROR) && !s->err_taken)
			r = take_err(s); /* an ICMP error, reported once */
		else if (!to && !(st & NET_ST_CONNECTED))
			r = -EDESTADDRREQ;
		else
			r = rtsr_rec_write(&s->r, iov, cnt, total, &dst);
		rtsk_spin_unlock(&s->lock);
		if (r >= 0) {
			rtsk_ring_doorbell();
			return r;
		}
		if (r != -EAGAIN || nb)
			return r;
		if (rtsk_wait(s->wake_bit, dl, s) < 0)
			return -EAGAIN;
	}
}

/* Sends the iovecs: bytes sent or -errno. */
static long do_send(long fd, const struct iovec *iov, long cnt, long flags,
		    const void *sa, uint32_t salen)
{
	struct execrt_sock *s;
	uint32_t fl;
	size_t total;
	long r = rtsr_iov_total(iov, cnt, &total);
	if (r)
		return r;
	if ((r = lookup(fd, &s, &fl)))
		return r;
	bool nb = (fl & O_NONBLOCK) || (flags & MSG_DONTWAIT);
	if (flags & MSG_OOB)
		r = -EOPNOTSUPP;
	else if (is_stream(s))
		r = stream_send(s, iov, (int)cnt, total, nb);
	else {
		struct net_addr a;
		r = sa ? rtsr_addr_from(sa, salen, &a, false) : 0;
		if (!r)
			r = dgram_send(s, iov, (int)cnt, total, sa ? &a : NULL,
				       nb);
	}
	rtsk_put(s);
	return r;
}

/* Receiving into the iovecs: bytes (with MSG_TRUNC on a record: its full
 * length) or -errno; the record's sender in from, *trunc when it was cut. */
static long stream_recv(struct execrt_sock *s, const struct iovec *iov, int cnt,
			size_t total, long flags, bool nb)
{
	bool peek = flags & MSG_PEEK;
	bool all = (flags & MSG_WAITALL) && !peek;
	uint64_t dl = deadline_of(s->rcvtimeo);
	size_t done = 0;
	if (!total)
		return 0;
	for (;;) {
		bool eof = false;
		rtsk_spin_lock(&s->lock);
		/* The state first: netd sets RX_EOF after the last bytes. */
		uint32_t st = state(s);
		long r = rtsk_dead(s) ? -ECONNRESET
				      : rtsr_read(&s->r, iov, cnt, done, peek);
		if (r == 0) {
			if ((st & NET_ST_ERROR) && !(st & NET_ST_RX_EOF))
				r = take_err(s); /* reset: ECONNRESET */
			else if ((s->local & SR_L_SHUT_RD) ||
				 (st & (NET_ST_RX_EOF | NET_ST_CLOSED)))
				eof = true;
			else if (!(st &
				   (NET_ST_CONNECTED | NET_ST_CONNECTING)) &&
				 !(s->local & SR_L_CONNECTING))
				r = -ENOTCONN;
		}
		rtsk_spin_unlock(&s->lock);
		if (r < 0)
			return done ? (long)done : r;
		if (r > 0 && !peek)
			rtsk_ring_doorbell();
		done += (size_t)r;
		if (eof || done == total || (done && (!all || peek)))
			return (long)done;
		if (r > 0)
			continue;
		if (nb)
			return done ? (long)done : -EAGAIN;
		if (rtsk_wait(s->wake_bit, dl, s) < 0)
			return done ? (long)done : -EAGAIN;
	}
}

static long dgram_recv(struct execrt_sock *s, const struct iovec *iov, int cnt,
		       size_t total, long flags, bool nb, struct net_addr *from,
		       bool *trunc)
{
	bool peek = flags & MSG_PEEK;
	uint64_t dl = deadline_of(s->rcvtimeo);
	for (;;) {
		rtsk_spin_lock(&s->lock);
		uint32_t st = state(s);
		long r = rtsk_dead(s)
				 ? -ECONNRESET
				 : rtsr_rec_read(&s->r, iov, cnt, from, peek);
		if (r == -EAGAIN && (s->local & SR_L_SHUT_RD))
			r = 0;
		else if (r == -EAGAIN && (st & NET_ST_ERROR) && !s->err_taken)
			r = take_err(s);
		rtsk_spin_unlock(&s->lock);
		if (r >= 0) {
			/* netd learns of the room from the doorbell (it keeps
			 * its own copy of rx_tail, REVIEW-17 F1). */
			if (!peek)
				rtsk_ring_doorbell();
			*trunc = (size_t)r > total;
			if (flags & MSG_TRUNC)
				return r;
			return (size_t)r > total ? (long)total : r;
		}
		if (r != -EAGAIN || nb)
			return r;
		if (rtsk_wait(s->wake_bit, dl, s) < 0)
			return -EAGAIN;
	}
}

static long do_recv(long fd, const struct iovec *iov, long cnt, long flags,
		    void *sa, uint32_t *salen, bool *trunc)
{
	struct execrt_sock *s;
	uint32_t fl;
	size_t total;
	long r = rtsr_iov_total(iov, cnt, &total);
	if (r)
		return r;
	if ((r = lookup(fd, &s, &fl)))
		return r;
	bool nb = (fl & O_NONBLOCK) || (flags & MSG_DONTWAIT);
	*trunc = false;
	if (flags & (MSG_OOB | MSG_ERRQUEUE))
		r = flags & MSG_OOB ? -EINVAL : -EAGAIN;
	else if (is_stream(s)) {
		r = stream_recv(s, iov, (int)cnt, total, flags, nb);
		if (r >= 0 && sa && salen)
			*salen = 0; /* Linux: no address for a stream */
	} else {
		struct net_addr from;
		r = dgram_recv(s, iov, (int)cnt, total, flags, nb, &from,
			       trunc);
		if (r >= 0 && sa && salen)
			rtsr_addr_to(&from, sa, salen);
	}
	rtsk_put(s);
	return r;
}

long rtsk_sendto(long fd, const void *buf, size_t len, long flags,
		 const void *sa, uint32_t salen)
{
	struct iovec v = {.iov_base = (void *)buf, .iov_len = len};
	return do_send(fd, &v, 1, flags, sa, salen);
}

long rtsk_recvfrom(long fd, void *buf, size_t len, long flags, void *sa,
		   uint32_t *salen)
{
	struct iovec v = {.iov_base = buf, .iov_len = len};
	bool trunc;
	return do_recv(fd, &v, 1, flags, sa, salen, &trunc);
}

long rtsk_sendmsg(long fd, const struct msghdr *m, long flags)
{
	if (!m || m->msg_iovlen > 1024)
		return -EINVAL;
	return do_send(fd, m->msg_iov, (long)m->msg_iovlen, flags, m->msg_name,
		       m->msg_name ? m->msg_namelen : 0);
}

long rtsk_recvmsg(long fd, struct msghdr *m, long flags)
{
	if (!m || m->msg_iovlen > 1024)
		return -EINVAL;
	bool trunc;
	uint32_t nl = m->msg_namelen;
	long r = do_recv(fd, m->msg_iov, (long)m->msg_iovlen, flags,
			 m->msg_name, m->msg_name ? &nl : NULL, &trunc);
	if (r >= 0) {
		if (m->msg_name)
			m->msg_namelen = nl;
		m->msg_controllen = 0; /* no ancillary data */
		m->msg_flags = trunc ? MSG_TRUNC : 0;
	}
	return r;
}

/* sendmmsg/recvmmsg: one sendmsg/recvmsg per entry. recvmmsg waits (as
 * flags say) for the first only, takes the rest as far as they are
 * there (MSG_WAITFORONE's behaviour); the timeout is not used (Linux
 * checks it only between datagrams too). Entries done, or the first
 * error when none was. */
long rtsk_mmsg(long fd, struct mmsghdr *v, unsigned long n, long flags,
	       bool send)
{
	if (n > 1024)
		n = 1024;
	long i = 0;
	for (; i < (long)n; i++) {
		long f = flags & ~(long)MSG_WAITFORONE;
		if (!send && i > 0)
			f |= MSG_DONTWAIT;
		long r = send ? rtsk_sendmsg(fd, &v[i].msg_hdr, f)
			      : rtsk_recvmsg(fd, &v[i].msg_hdr, f);
		if (r < 0)
			return i ? i : r;
		v[i].msg_len = (unsigned)r;
	}
	return i;
}

/* read/write/readv/writev on a socket fd: recv/send with no flags. */
long rtsk_rw(long fd, const struct iovec *iov, long cnt, bool wr)
{
	if (wr)
		return do_send(fd, iov, cnt, 0, NULL, 0);
	bool trunc;
	return do_recv(fd, iov, cnt, 0, NULL, NULL, &trunc);
}
