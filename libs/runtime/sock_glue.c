/* The Linux socket calls over netd (net_proto.h): socket, bind, listen,
 * accept4, connect, shutdown, getsockname/getpeername,
 * setsockopt/getsockopt and ioctl on a socket. Control goes through calls
 * on the connection (sock_conn.c); the data calls (sendto/sendmsg,
 * recvfrom/recvmsg, read, write, readv, writev) are in sock_data.c.
 * docs/net-sockets.md. */
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

#define NS_PER_SEC 1000000000ull
#define OPT_MAX	   256 /* setsockopt/getsockopt values through netd */
/* Linux's 64-bit timeval variants (the same layout on x86_64). */
#define LX_SO_RCVTIMEO_NEW 66
#define LX_SO_SNDTIMEO_NEW 67

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
		/* A free fd first: a connection taken from netd and then
		 * refused here would be lost (Linux leaves it queued). */
		fsc_fd(0);
		rtsk_lock();
		bool room = execrt_fd_count() < EXECRT_FD_MAX;
		rtsk_unlock();
		if (!room || (!n && !(n = rtsk_alloc()))) {
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
