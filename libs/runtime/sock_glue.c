/* The Linux socket calls over netd (net_proto.h): socket, bind, listen,
 * accept4, connect, sendto/sendmsg, recvfrom/recvmsg, shutdown,
 * getsockname/getpeername, setsockopt/getsockopt, and the fd calls on a
 * socket (read, write, readv, writev, ioctl). Control goes through calls
 * on the connection (sock_conn.c); data only through the socket's region
 * (sock_ring.c), with netd's doorbell rung after each produce or consume
 * and waits on our notification. docs/net-sockets.md. */
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
#include "sock_int.h"

#define NS_PER_SEC 1000000000ull
#define OPT_MAX	   256 /* setsockopt/getsockopt values through netd */
/* Linux's 64-bit timeval variants (the same layout on x86_64). */
#define LX_SO_RCVTIMEO_NEW 66
#define LX_SO_SNDTIMEO_NEW 67

static long lookup(long fd, struct execrt_sock **s, uint32_t *flags)
{
	*s = rtsk_get(fd, flags);
	if (*s)
		return 0;
	return fsc_fd(fd) ? -ENOTSOCK : -EBADF;
}

static uint32_t state(struct execrt_sock *s)
{
	return __atomic_load_n(&s->r.shm->state, __ATOMIC_ACQUIRE);
}

/* netd's error (NET_ST_ERROR) as -errno; err_taken records that it was
 * reported (SO_ERROR then says 0). */
static long take_err(struct execrt_sock *s)
{
	int32_t e = s->r.shm->error;
	s->err_taken = true;
	return e > 0 && e < 4096 ? -(long)e : -EIO;
}

static uint64_t deadline_of(uint64_t timeo)
{
	return timeo ? rtsk_after(timeo) : DEADLINE_NONE;
}

static bool is_stream(const struct execrt_sock *s)
{
	return s->type == SOCK_STREAM;
}

/* ---- creating ---- */

/* Maps a new socket's region into s and puts it at the lowest free fd:
 * the fd, or -errno (s released). */
static long adopt(struct execrt_sock *s, const struct net_sock_info *in,
		  handle_t grant, long flags)
{
	s->id = in->sock;
	s->grant = grant;
	s->wake_bit = in->wake_bit;
	uint64_t addr = 0;
	long r = sys_grant_map(execrt_handle(START_H_SELF_TASK), grant,
			       VM_PROT_READ | VM_PROT_WRITE, 0, &addr);
	if (r < 0) {
		rtsk_put(s);
		return r == ERR_NO_MEMORY ? -ENOMEM : -EIO;
	}
	s->addr = addr;
	s->map_len = in->shm_size;
	if (in->type != s->type || !in->wake_bit ||
	    rtsr_attach(&s->r, (void *)addr, in->shm_size, in,
			s->type != SOCK_STREAM) < 0) {
		rtsk_put(s);
		return -EIO;
	}
	struct execrt_fd e = {
		.kind = FDK_SOCKET,
		.cloexec = (flags & SOCK_CLOEXEC) != 0,
		.flags = O_RDWR | ((flags & SOCK_NONBLOCK) ? O_NONBLOCK : 0),
		.sock = s};
	fsc_fd(0); /* the table set up */
	rtsk_lock();
	r = execrt_fd_install(0, &e);
	rtsk_unlock();
	if (r < 0)
		rtsk_put(s);
	return r;
}

long rtsk_socket(long domain, long type, long proto)
{
	long flags = type & (SOCK_NONBLOCK | SOCK_CLOEXEC);
	type &= ~flags;
	if (domain != AF_INET && domain != AF_INET6)
		return -EAFNOSUPPORT;
	if (type != SOCK_STREAM && type != SOCK_DGRAM && type != SOCK_RAW)
		return -ESOCKTNOSUPPORT;
	if (proto < 0 || proto > 255)
		return -EPROTONOSUPPORT;
	struct execrt_sock *s = rtsk_alloc();
	if (!s)
		return -EMFILE;
	s->type = (uint32_t)type;
	s->domain = (uint32_t)domain;
	s->proto = (uint32_t)proto;
	struct net_sock_info in;
	struct rtsk_call c = {.req = {.op = NET_SOCKET,
				      .a = (uint32_t)domain,
				      .b = (uint32_t)type,
				      .c = (uint32_t)proto},
			      .out = &in,
			      .outcap = sizeof(in)};
	long r = -ECONNRESET;
	/* A connection found dead on the way is made again once: socket()
	 * itself never reports the old netd's death. */
	for (int i = 0; i < 2 && r == -ECONNRESET; i++) {
		long g = rtsk_connected();
		if (g < 0) {
			rtsk_put(s);
			return g;
		}
		s->gen = (uint32_t)g;
		r = rtsk_call(&c, s->gen);
	}
	if (r == 0 && (c.nhout != 1 || c.outlen != sizeof(in)))
		r = -EIO;
	if (r < 0) {
		for (uint32_t i = 0; i < c.nhout; i++)
			sys_handle_close(c.hout[i]);
		if (c.outlen == sizeof(in)) /* netd made it: close it */
			s->id = in.sock;
		rtsk_put(s);
		return r;
	}
	return adopt(s, &in, c.hout[0], flags);
}

/* ---- addresses and control ---- */

long rtsk_bind(long fd, const void *sa, long len)
{
	struct execrt_sock *s;
	long r = lookup(fd, &s, NULL);
	if (r)
		return r;
	struct net_addr a;
	r = len < 0 ? -EINVAL : rtsr_addr_from(sa, (uint32_t)len, &a, false);
	if (!r) {
		struct rtsk_call c = {.req = {.op = NET_BIND,
					      .sock = s->id,
					      .len = sizeof(a)},
				      .data = &a};
		r = rtsk_call(&c, s->gen);
	}
	rtsk_put(s);
	return r;
}

long rtsk_listen(long fd, long backlog)
{
	struct execrt_sock *s;
	long r = lookup(fd, &s, NULL);
	if (r)
		return r;
	if (backlog < 0)
		backlog = 0;
	if (backlog > 4096)
		backlog = 4096;
	struct rtsk_call c = {.req = {.op = NET_LISTEN,
				      .sock = s->id,
				      .a = (uint32_t)backlog}};
	r = is_stream(s) ? rtsk_call(&c, s->gen) : -EOPNOTSUPP;
	rtsk_put(s);
	return r;
}

static bool acceptable(struct execrt_sock *s)
{
	uint32_t st = state(s);
	return rtsk_dead(s) || (st & (NET_ST_ACCEPTABLE | NET_ST_ERROR)) ||
	       !(st & NET_ST_LISTENING) || s->r.shm->accept_pending;
}

long rtsk_accept4(long fd, void *sa, uint32_t *salen, long flags)
{
	if (flags & ~(long)(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	struct execrt_sock *s, *n = NULL;
	uint32_t fl;
	long r = lookup(fd, &s, &fl);
	if (r)
		return r;
	if (!is_stream(s)) {
		rtsk_put(s);
		return -EOPNOTSUPP;
	}
	uint64_t dl = deadline_of(s->rcvtimeo);
	struct {
		struct net_sock_info in;
		struct net_addr peer;
	} out;
	struct rtsk_call c = {0};
	for (;;) {
		if (!n && !(n = rtsk_alloc())) {
			r = -EMFILE;
			break;
		}
		n->type = s->type;
		n->domain = s->domain;
		n->proto = s->proto;
		n->gen = s->gen;
		c = (struct rtsk_call){.req = {.op = NET_ACCEPT, .sock = s->id},
				       .out = &out,
				       .outcap = sizeof(out)};
		r = rtsk_dead(s) ? -ECONNRESET : rtsk_call(&c, s->gen);
		if (r != -EAGAIN)
			break;
		if (fl & O_NONBLOCK)
			break;
		/* The state still saying a connection is there (netd took it
		 * back meanwhile): a short wait, so this never spins. */
		uint64_t until = dl;
		if (acceptable(s)) {
			uint64_t t = rtsk_after(10 * 1000000ull);
			until = t < dl ? t : dl;
		}
		long w = 0;
		do
			w = rtsk_wait(s->wake_bit, until, s);
		while (w == 0 && !acceptable(s));
		if (w < 0 && until == dl)
			break; /* SO_RCVTIMEO: EAGAIN */
	}
	if (r == 0 && (c.nhout != 1 || c.outlen != sizeof(out)))
		r = -EIO;
	if (r < 0) {
		for (uint32_t i = 0; i < c.nhout; i++)
			sys_handle_close(c.hout[i]);
		if (n && c.outlen == sizeof(out))
			n->id = out.in.sock;
		rtsk_put(n);
		rtsk_put(s);
		return r;
	}
	r = adopt(n, &out.in, c.hout[0], flags);
	if (r >= 0 && sa && salen)
		rtsr_addr_to(&out.peer, sa, salen);
	rtsk_put(s);
	return r;
}

long rtsk_connect(long fd, const void *sa, long len)
{
	struct execrt_sock *s;
	uint32_t fl;
	long r = lookup(fd, &s, &fl);
	if (r)
		return r;
	struct net_addr a;
	r = len < 0 ? -EINVAL
		    : rtsr_addr_from(sa, (uint32_t)len, &a, !is_stream(s));
	if (!r && is_stream(s)) {
		rtsk_spin_lock(&s->lock);
		uint32_t st = state(s);
		if (rtsk_dead(s))
			r = -ECONNRESET;
		else if (st & NET_ST_CONNECTED)
			r = -EISCONN;
		else if ((s->local & SR_L_CONNECTING) && (st & NET_ST_ERROR)) {
			s->local &= ~SR_L_CONNECTING;
			r = take_err(s);
		} else if ((s->local & SR_L_CONNECTING) ||
			   (st & NET_ST_CONNECTING))
			r = -EALREADY;
		rtsk_spin_unlock(&s->lock);
	}
	if (!r) {
		struct rtsk_call c = {.req = {.op = NET_CONNECT_TO,
					      .sock = s->id,
					      .len = sizeof(a)},
				      .data = &a};
		r = rtsk_call(&c, s->gen);
	}
	if (r || !is_stream(s)) {
		rtsk_put(s);
		return r;
	}
	rtsk_spin_lock(&s->lock);
	s->local |= SR_L_CONNECTING;
	rtsk_spin_unlock(&s->lock);
	if (fl & O_NONBLOCK) {
		rtsk_put(s);
		return -EINPROGRESS;
	}
	uint64_t dl = deadline_of(s->sndtimeo);
	for (;;) {
		rtsk_spin_lock(&s->lock);
		uint32_t st = state(s);
		r = 1;
		if (rtsk_dead(s))
			r = -ECONNRESET;
		else if (st & NET_ST_CONNECTED)
			r = 0;
		else if (st & NET_ST_ERROR)
			r = take_err(s);
		else if (st & NET_ST_CLOSED)
			r = -ECONNREFUSED;
		if (r <= 0)
			s->local &= ~SR_L_CONNECTING;
		rtsk_spin_unlock(&s->lock);
		if (r <= 0)
			break;
		if (rtsk_wait(s->wake_bit, dl, s) < 0) {
			r = -EINPROGRESS; /* SO_SNDTIMEO: Linux says so too */
			break;
		}
	}
	rtsk_put(s);
	return r;
}

long rtsk_shutdown(long fd, long how)
{
	struct execrt_sock *s;
	long r = lookup(fd, &s, NULL);
	if (r)
		return r;
	if (how < SHUT_RD || how > SHUT_RDWR) {
		rtsk_put(s);
		return -EINVAL;
	}
	struct rtsk_call c = {
		.req = {.op = NET_SHUTDOWN, .sock = s->id, .a = (uint32_t)how}};
	r = rtsk_dead(s) ? -ENOTCONN : rtsk_call(&c, s->gen);
	if (!r) {
		rtsk_spin_lock(&s->lock);
		if (how != SHUT_WR)
			s->local |= SR_L_SHUT_RD;
		if (how != SHUT_RD)
			s->local |= SR_L_SHUT_WR;
		rtsk_spin_unlock(&s->lock);
		rtsk_ring_doorbell();
	}
	rtsk_put(s);
	return r;
}

long rtsk_getname(long fd, void *sa, uint32_t *salen, bool peer)
{
	struct execrt_sock *s;
	long r = lookup(fd, &s, NULL);
	if (r)
		return r;
	struct net_addr a;
	struct rtsk_call c = {
		.req = {.op = NET_GETNAME, .sock = s->id, .a = peer ? 1 : 0},
		.out = &a,
		.outcap = sizeof(a)};
	r = rtsk_dead(s) ? -ENOTCONN : rtsk_call(&c, s->gen);
	if (!r && c.outlen != sizeof(a))
		r = -EIO;
	if (!r)
		rtsr_addr_to(&a, sa, salen);
	rtsk_put(s);
	return r;
}

/* ---- options ---- */

static long set_timeo(uint64_t *t, const void *val, uint32_t len)
{
	struct timeval tv;
	if (!val || len < sizeof(tv))
		return -EINVAL;
	memcpy(&tv, val, sizeof(tv));
	if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
		return -EDOM;
	if (tv.tv_sec < 0) {
		*t = 1; /* Linux: a negative time is no wait at all */
		return 0;
	}
	uint64_t sec = (uint64_t)tv.tv_sec;
	*t = sec > UINT64_MAX / NS_PER_SEC - 1
		     ? 0
		     : sec * NS_PER_SEC + (uint64_t)tv.tv_usec * 1000;
	return 0;
}

long rtsk_setsockopt(long fd, long level, long name, const void *val, long len)
{
	struct execrt_sock *s;
	long r = lookup(fd, &s, NULL);
	if (r)
		return r;
	if (len < 0 || len > OPT_MAX)
		r = -EINVAL;
	else if (level == SOL_SOCKET &&
		 (name == SO_RCVTIMEO || name == LX_SO_RCVTIMEO_NEW))
		r = set_timeo(&s->rcvtimeo, val, (uint32_t)len);
	else if (level == SOL_SOCKET &&
		 (name == SO_SNDTIMEO || name == LX_SO_SNDTIMEO_NEW))
		r = set_timeo(&s->sndtimeo, val, (uint32_t)len);
	else {
		struct rtsk_call c = {.req = {.op = NET_SETSOCKOPT,
					      .sock = s->id,
					      .a = (uint32_t)level,
					      .b = (uint32_t)name,
					      .len = (uint32_t)len},
				      .data = val};
		r = rtsk_dead(s) ? -ECONNRESET : rtsk_call(&c, s->gen);
	}
	rtsk_put(s);
	return r;
}

static void opt_out(void *val, uint32_t *len, const void *v, uint32_t n)
{
	if (*len < n)
		n = *len;
	memcpy(val, v, n);
	*len = n;
}

long rtsk_getsockopt(long fd, long level, long name, void *val, uint32_t *len)
{
	struct execrt_sock *s;
	long r = lookup(fd, &s, NULL);
	if (r)
		return r;
	if (!len || (int32_t)*len < 0) {
		rtsk_put(s);
		return -EINVAL;
	}
	int iv = 0;
	bool local = level == SOL_SOCKET;
	if (local) {
		switch (name) {
		case SO_RCVTIMEO:
		case SO_SNDTIMEO:
		case LX_SO_RCVTIMEO_NEW:
		case LX_SO_SNDTIMEO_NEW: {
			uint64_t t = name == SO_RCVTIMEO ||
						     name == LX_SO_RCVTIMEO_NEW
					     ? s->rcvtimeo
					     : s->sndtimeo;
			struct timeval tv = {
				.tv_sec = (time_t)(t / NS_PER_SEC),
				.tv_usec =
					(suseconds_t)(t % NS_PER_SEC / 1000)};
			opt_out(val, len, &tv, sizeof(tv));
			rtsk_put(s);
			return 0;
		}
		case SO_ERROR:
			rtsk_spin_lock(&s->lock);
			if (rtsk_dead(s))
				iv = ECONNRESET;
			else if ((state(s) & NET_ST_ERROR) && !s->err_taken)
				iv = (int)-take_err(s);
			rtsk_spin_unlock(&s->lock);
			break;
		case SO_TYPE:
			iv = (int)s->type;
			break;
		case SO_DOMAIN:
			iv = (int)s->domain;
			break;
		case SO_PROTOCOL:
			iv = (int)s->proto;
			break;
		case SO_ACCEPTCONN:
			iv = (state(s) & NET_ST_LISTENING) != 0;
			break;
		default:
			local = false;
		}
	}
	if (local) {
		opt_out(val, len, &iv, sizeof(iv));
		rtsk_put(s);
		return 0;
	}
	unsigned char buf[OPT_MAX];
	struct rtsk_call c = {.req = {.op = NET_GETSOCKOPT,
				      .sock = s->id,
				      .a = (uint32_t)level,
				      .b = (uint32_t)name},
			      .out = buf,
			      .outcap = sizeof(buf)};
	r = rtsk_dead(s) ? -ECONNRESET : rtsk_call(&c, s->gen);
	if (!r)
		opt_out(val, len, buf, c.outlen);
	rtsk_put(s);
	return r;
}

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
			/* No doorbell: netd drops a datagram that finds the
			 * ring full, it never waits for room here. */
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

long rtsk_ioctl(long fd, long req, void *arg)
{
	struct execrt_sock *s;
	long r = lookup(fd, &s, NULL);
	if (r)
		return r;
	switch (req) {
	case FIONBIO: {
		rtsk_lock();
		struct execrt_fd *e = fsc_fd(fd);
		if (e && e->kind == FDK_SOCKET) {
			if (*(const int *)arg)
				e->flags |= O_NONBLOCK;
			else
				e->flags &= ~(uint32_t)O_NONBLOCK;
		}
		rtsk_unlock();
		break;
	}
	case FIONREAD: {
		rtsk_spin_lock(&s->lock);
		if (rtsk_dead(s))
			r = -ECONNRESET;
		else if (state(s) & NET_ST_LISTENING)
			r = 0;
		else if (is_stream(s))
			r = rtsr_rx_fill(&s->r);
		else {
			struct net_dgram h;
			r = rtsr_rec_next(&s->r, &h);
			r = r > 0 ? (long)h.len : r;
		}
		rtsk_spin_unlock(&s->lock);
		if (r >= 0)
			*(int *)arg = (int)r;
		r = r < 0 ? r : 0;
		break;
	}
	default:
		r = -ENOTTY;
	}
	rtsk_put(s);
	return r;
}

unsigned rtsk_events(struct execrt_sock *s)
{
	rtsk_spin_lock(&s->lock);
	unsigned ev =
		rtsr_poll(&s->r, s->local | (rtsk_dead(s) ? SR_L_DEAD : 0));
	rtsk_spin_unlock(&s->lock);
	return ev;
}
