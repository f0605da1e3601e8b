/* The runtime's BSD sockets (libs/runtime/sock_*.c, docs/net-sockets.md)
 * through musl, as an ordinary program calls them. Part 1 runs them
 * against a fake netd (fake_netd.c, a thread of this task speaking
 * net_proto.h with an echo behind every socket): the rings, doorbells and
 * waits, poll/select over sockets and other fds, timeouts, O_NONBLOCK,
 * options, names, netd lying (EIO) and netd dying under a blocked recv
 * (ECONNRESET, no hang, then a new netd). Part 2 (t_sock_netd.c) runs
 * the real netd's loopback. Every test starts a name service, drops its
 * connection (execrt_net_disconnect) and stops what it started; the
 * harness checks the kernel's counters. */
#define _GNU_SOURCE /* sendmmsg, recvmmsg */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cl_ports.h"
#include "fake_netd.h"
#include "gtest.h"
#include "gutil.h"
#include "names_env.h"
#include "sock_env.h"

static struct names_env nenv;
static handle_t ns;
static struct fnetd fake;

long sock_names_start(void)
{
	long r = nenv_start(&nenv);
	if (r)
		return r < 0 ? r : ERR_NOT_SUPPORTED;
	ns = nenv_mint(&nenv, 2);
	if (!ns)
		return ERR_NO_MEMORY;
	if ((r = nenv_acl(&nenv, 2, "[\"*\"]", "[\"*\"]")) < 0)
		return r;
	g_spawn_names = ns;
	cl_set_names(ns);
	execrt_net_disconnect();
	return 0;
}

void sock_names_stop(void)
{
	execrt_net_disconnect();
	nenv_stop(&nenv);
	g_spawn_names = HANDLE_INVALID;
	cl_set_names(HANDLE_INVALID);
	if (ns)
		sys_handle_close(ns);
	ns = HANDLE_INVALID;
}

static long env_start(bool with_fake)
{
	long r = sock_names_start();
	if (!r && with_fake)
		r = fnetd_start(&fake);
	return r;
}

static void env_stop(void)
{
	execrt_net_disconnect();
	fnetd_stop(&fake);
	sock_names_stop();
}

#define START(with_fake)                                                       \
	do {                                                                   \
		gtest_allow_growth();                                          \
		long _s = env_start(with_fake);                                \
		if (_s < 0)                                                    \
			env_stop();                                            \
		GCHECK_OK(_s);                                                 \
	} while (0)

/* Checks run between START and STOP: a failure stops the env first. */
#define SCHECK(c)                                                              \
	do {                                                                   \
		if (!(c)) {                                                    \
			env_stop();                                            \
			GCHECK(c);                                             \
		}                                                              \
	} while (0)
#define SCHECK_EQ(a, b)                                                        \
	do {                                                                   \
		long long _x = (long long)(a), _y = (long long)(b);            \
		if (_x != _y) {                                                \
			env_stop();                                            \
			GCHECK_EQ(_x, _y);                                     \
		}                                                              \
	} while (0)
/* A call that must fail with errno e. */
#define SFAILS(call, e)                                                        \
	do {                                                                   \
		errno = 0;                                                     \
		long _r = (long)(call);                                        \
		int _e = errno;                                                \
		if (_r != -1 || _e != (e)) {                                   \
			printf("    %s: %ld errno %d (%s), want %d\n", #call,  \
			       _r, _e, strerror(_e), (int)(e));                \
			env_stop();                                            \
			GCHECK(0);                                             \
		}                                                              \
	} while (0)

static struct sockaddr_in sin4(const char *ip, int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

/* accept4 with a flag it does not know, past musl (which falls back to
 * accept() on EINVAL). */
static long sk_accept_flags_einval(int fd)
{
	return __execrt_syscall(SYS_accept4, fd, 0, 0, 0x4000000, 0, 0);
}

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 7 + (i >> 9));
}

/* A stream through the fake's echo: 200 KiB through 4 KiB rings, sent and
 * received in turns with poll, bytes back in order. */
GTEST(sock_fake_stream_echo_through_small_rings)
{
	START(true);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	SCHECK(s >= 0);
	struct sockaddr_in to = sin4("127.0.0.1", 7);
	SCHECK_EQ(connect(s, (struct sockaddr *)&to, sizeof(to)), 0);
	SFAILS(connect(s, (struct sockaddr *)&to, sizeof(to)), EISCONN);
	static uint8_t out[200 << 10], in[200 << 10];
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = pattern(i);
	size_t sent = 0, got = 0;
	int loops = 0;
	while (got < sizeof(in) && loops++ < 100000) {
		struct pollfd p = {.fd = s, .events = POLLIN | POLLOUT};
		int n = poll(&p, 1, 2000);
		SCHECK_EQ(n, 1);
		if ((p.revents & POLLOUT) && sent < sizeof(out)) {
			size_t k = sizeof(out) - sent;
			ssize_t w = send(s, out + sent, k > 3000 ? 3000 : k,
					 MSG_DONTWAIT);
			SCHECK(w > 0);
			sent += (size_t)w;
		}
		if (p.revents & POLLIN) {
			int avail = -1;
			SCHECK_EQ(ioctl(s, FIONREAD, &avail), 0);
			SCHECK(avail > 0);
			ssize_t r = recv(s, in + got, sizeof(in) - got, 0);
			SCHECK(r > 0 && r <= avail);
			got += (size_t)r;
		}
	}
	SCHECK_EQ(got, sizeof(in));
	SCHECK(!memcmp(in, out, sizeof(in)));
	SCHECK(__atomic_load_n(&fake.doorbells, __ATOMIC_ACQUIRE) > 0);
	/* read/write/readv/writev are recv/send. */
	struct iovec v[2] = {{.iov_base = out, .iov_len = 10},
			     {.iov_base = out + 10, .iov_len = 20}};
	SCHECK_EQ(writev(s, v, 2), 30);
	memset(in, 0, 30);
	struct iovec r2[2] = {{.iov_base = in, .iov_len = 5},
			      {.iov_base = in + 5, .iov_len = 25}};
	SCHECK_EQ(recv(s, in, 30, MSG_WAITALL | MSG_PEEK) > 0, 1);
	SCHECK_EQ(readv(s, r2, 2) > 0, 1);
	SCHECK(!memcmp(in, out, 5));
	/* fstat says socket; lseek is ESPIPE. */
	struct stat st;
	SCHECK_EQ(fstat(s, &st), 0);
	SCHECK(S_ISSOCK(st.st_mode));
	SFAILS(lseek(s, 0, SEEK_SET), ESPIPE);
	SCHECK_EQ(close(s), 0);
	SCHECK_EQ(fnetd_open_socks(&fake), 0);
	env_stop();
}

/* Records both ways: addresses, the largest record, EMSGSIZE, MSG_PEEK,
 * MSG_TRUNC, recvmsg's flags, a connected datagram socket. */
GTEST(sock_fake_datagrams)
{
	START(true);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	SCHECK(s >= 0);
	static uint8_t buf[4096], back[4096];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = pattern(i);
	struct sockaddr_in to = sin4("10.9.8.7", 5353);
	SFAILS(send(s, buf, 10, 0), EDESTADDRREQ);
	/* The fake's echo connects only connected sockets: connect first. */
	struct sockaddr_in peer = sin4("127.0.0.1", 7);
	SCHECK_EQ(connect(s, (struct sockaddr *)&peer, sizeof(peer)), 0);
	size_t max = FN_RING / 2 - sizeof(struct net_dgram);
	SFAILS(sendto(s, buf, max + 1, 0, (struct sockaddr *)&to, sizeof(to)),
	       EMSGSIZE);
	for (int round = 0; round < 300; round++) {
		size_t len = (size_t)(round * 37) % (max + 1);
		SCHECK_EQ(sendto(s, buf + round, len, 0, (struct sockaddr *)&to,
				 sizeof(to)),
			  (long)len);
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		memset(&from, 0, sizeof(from));
		if (round % 5 == 0) { /* peek, then take */
			SCHECK_EQ(recvfrom(s, back, sizeof(back), MSG_PEEK,
					   NULL, NULL),
				  (long)len);
		}
		SCHECK_EQ(recvfrom(s, back, sizeof(back), 0,
				   (struct sockaddr *)&from, &fl),
			  (long)len);
		SCHECK(!memcmp(back, buf + round, len));
		SCHECK_EQ(fl, sizeof(from));
		SCHECK_EQ(ntohs(from.sin_port), 5353);
		SCHECK_EQ(ntohl(from.sin_addr.s_addr), 0x0a090807);
	}
	/* Cut: recv gives what fits, MSG_TRUNC the whole length. */
	SCHECK_EQ(send(s, buf, 100, 0), 100);
	SCHECK_EQ(recv(s, back, 10, MSG_TRUNC | MSG_PEEK), 100);
	struct iovec v = {.iov_base = back, .iov_len = 10};
	struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};
	SCHECK_EQ(recvmsg(s, &m, 0), 10);
	SCHECK(m.msg_flags & MSG_TRUNC);
	/* Connected: the echo comes from the peer, 127.0.0.1:7. */
	SCHECK_EQ(send(s, buf, 33, 0), 33);
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	SCHECK_EQ(recvfrom(s, back, sizeof(back), 0, (struct sockaddr *)&from,
			   &fl),
		  33);
	SCHECK_EQ(ntohs(from.sin_port), 7);
	SFAILS(recv(s, back, 10, MSG_DONTWAIT), EAGAIN);
	/* sendmmsg/recvmmsg: one record per entry, in order. */
	struct iovec mv[3] = {{.iov_base = buf, .iov_len = 5},
			      {.iov_base = buf + 5, .iov_len = 6},
			      {.iov_base = buf + 11, .iov_len = 7}};
	struct mmsghdr mm[3];
	memset(mm, 0, sizeof(mm));
	for (int i = 0; i < 3; i++) {
		mm[i].msg_hdr.msg_iov = &mv[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	SCHECK_EQ(sendmmsg(s, mm, 3, 0), 3);
	SCHECK_EQ(mm[2].msg_len, 7);
	static uint8_t rb[3][16];
	struct iovec rv[3] = {{.iov_base = rb[0], .iov_len = 16},
			      {.iov_base = rb[1], .iov_len = 16},
			      {.iov_base = rb[2], .iov_len = 16}};
	int got = 0;
	while (got < 3) {
		struct mmsghdr rm[3];
		memset(rm, 0, sizeof(rm));
		for (int i = 0; i < 3 - got; i++) {
			rm[i].msg_hdr.msg_iov = &rv[got + i];
			rm[i].msg_hdr.msg_iovlen = 1;
		}
		int n = recvmmsg(s, rm, (unsigned)(3 - got), MSG_WAITFORONE,
				 NULL);
		SCHECK(n >= 1 && n <= 3 - got);
		for (int i = 0; i < n; i++)
			SCHECK_EQ(rm[i].msg_len, 5 + got + i);
		got += n;
	}
	SCHECK(!memcmp(rb[0], buf, 5) && !memcmp(rb[2], buf + 11, 7));
	SCHECK_EQ(close(s), 0);
	env_stop();
}

/* Waiting: O_NONBLOCK (fcntl and FIONBIO), SO_RCVTIMEO, poll and select
 * timeouts with sockets, files and consoles together. */
GTEST(sock_fake_nonblock_timeouts_and_poll)
{
	START(true);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	SCHECK(s >= 0);
	struct sockaddr_in to = sin4("127.0.0.1", 7);
	SFAILS(connect(s, (struct sockaddr *)&to, sizeof(to)), EINPROGRESS);
	struct pollfd p = {.fd = s, .events = POLLOUT};
	SCHECK_EQ(poll(&p, 1, 1000), 1);
	SCHECK(p.revents & POLLOUT);
	int err = -1;
	socklen_t el = sizeof(err);
	SCHECK_EQ(getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el), 0);
	SCHECK_EQ(err, 0);
	SFAILS(recv(s, &err, 1, 0), EAGAIN);
	int off = 0;
	SCHECK_EQ(ioctl(s, FIONBIO, &off), 0);
	SCHECK_EQ(fcntl(s, F_GETFL) & O_NONBLOCK, 0);
	struct timeval tv = {.tv_sec = 0, .tv_usec = 60000};
	SCHECK_EQ(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	struct timeval tv2;
	socklen_t tl = sizeof(tv2);
	SCHECK_EQ(getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv2, &tl), 0);
	SCHECK_EQ(tv2.tv_usec, 60000);
	uint64_t t0 = g_now();
	SFAILS(recv(s, &err, 1, 0), EAGAIN);
	uint64_t dt = g_now() - t0;
	SCHECK(dt >= 60 * MS && dt < 2000 * MS);
	/* poll: nothing to read for 40 ms; stdout is writable at once. */
	p = (struct pollfd){.fd = s, .events = POLLIN};
	t0 = g_now();
	SCHECK_EQ(poll(&p, 1, 40), 0);
	dt = g_now() - t0;
	SCHECK(dt >= 40 * MS && dt < 2000 * MS);
	struct pollfd ps[3] = {{.fd = s, .events = POLLIN},
			       {.fd = 1, .events = POLLOUT},
			       {.fd = 63, .events = POLLIN}};
	SCHECK_EQ(poll(ps, 3, -1), 2);
	SCHECK_EQ(ps[0].revents, 0);
	SCHECK(ps[1].revents & POLLOUT);
	SCHECK_EQ(ps[2].revents, POLLNVAL);
	/* poll as a sleep. */
	t0 = g_now();
	SCHECK_EQ(poll(NULL, 0, 30), 0);
	SCHECK(g_now() - t0 >= 30 * MS);
	/* Data: poll wakes on it; select agrees. */
	SCHECK_EQ(send(s, "ping", 4, 0), 4);
	p = (struct pollfd){.fd = s, .events = POLLIN};
	SCHECK_EQ(poll(&p, 1, 2000), 1);
	SCHECK(p.revents & POLLIN);
	fd_set rd, wr;
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_SET(s, &rd);
	FD_SET(s, &wr);
	struct timeval zero = {0};
	SCHECK_EQ(select(s + 1, &rd, &wr, NULL, &zero), 2);
	SCHECK(FD_ISSET(s, &rd) && FD_ISSET(s, &wr));
	char b[8];
	SCHECK_EQ(recv(s, b, sizeof(b), 0), 4);
	SCHECK(!memcmp(b, "ping", 4));
	FD_ZERO(&rd);
	FD_SET(s, &rd);
	struct timeval t30 = {.tv_usec = 30000};
	t0 = g_now();
	SCHECK_EQ(select(s + 1, &rd, NULL, NULL, &t30), 0);
	SCHECK(g_now() - t0 >= 30 * MS);
	SCHECK(!FD_ISSET(s, &rd));
	FD_ZERO(&rd);
	FD_SET(40, &rd);
	SFAILS(select(41, &rd, NULL, NULL, &zero), EBADF);
	/* A blocked recv woken by data: the fake echoes after 50 ms. */
	fake.s[0].hold = true;
	SCHECK_EQ(send(s, "late", 4, 0), 4);
	SCHECK_EQ(recv(s, b, sizeof(b), MSG_DONTWAIT) < 0, 1);
	tv.tv_usec = 0;
	tv.tv_sec = 5;
	SCHECK_EQ(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	sys_sleep_until(g_now() + 50 * MS);
	fake.s[0].hold = false;
	SCHECK_EQ(recv(s, b, sizeof(b), MSG_WAITALL), 4);
	SCHECK_EQ(close(s), 0);
	env_stop();
}

/* Options and names: local ones (SO_TYPE, SO_ERROR, timeouts) answered
 * by the runtime, the rest passed to netd; getsockname/getpeername;
 * shutdown; dup'd fds share the socket until the last close. */
GTEST(sock_fake_options_names_dup)
{
	START(true);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	SCHECK(s >= 0);
	int v = 0;
	socklen_t l = sizeof(v);
	SCHECK_EQ(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &l), 0);
	SCHECK_EQ(v, SOCK_STREAM);
	int calls = fake.calls[NET_GETSOCKOPT];
	SCHECK_EQ(getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &l), 0);
	SCHECK_EQ(v, 42); /* the fake's answer */
	SCHECK_EQ(fake.calls[NET_GETSOCKOPT], calls + 1);
	int one = 1;
	SCHECK_EQ(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)),
		  0);
	SCHECK_EQ(fake.calls[NET_SETSOCKOPT], 1);
	struct sockaddr_in a = sin4("0.0.0.0", 4242);
	SCHECK_EQ(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	SFAILS(bind(s, (struct sockaddr *)&a, 3), EINVAL);
	struct sockaddr_in me;
	socklen_t ml = sizeof(me);
	SCHECK_EQ(getsockname(s, (struct sockaddr *)&me, &ml), 0);
	SCHECK_EQ(ml, sizeof(me));
	SCHECK_EQ(ntohs(me.sin_port), 4242);
	SFAILS(send(s, "x", 1, 0), ENOTCONN);
	SFAILS(recv(s, &v, 1, 0), ENOTCONN);
	struct sockaddr_in to = sin4("127.0.0.1", 7);
	SCHECK_EQ(connect(s, (struct sockaddr *)&to, sizeof(to)), 0);
	SCHECK_EQ(getpeername(s, (struct sockaddr *)&me, &ml), 0);
	SCHECK_EQ(ntohs(me.sin_port), 7);
	int d = dup(s);
	SCHECK(d > s);
	SCHECK_EQ(close(s), 0);
	SCHECK_EQ(fnetd_open_socks(&fake), 1); /* d still holds it */
	SCHECK_EQ(send(d, "abc", 3, 0), 3);
	char b[4];
	SCHECK_EQ(recv(d, b, 3, MSG_WAITALL), 3);
	SCHECK_EQ(shutdown(d, SHUT_WR), 0);
	SFAILS(send(d, "x", 1, 0), EPIPE);
	SCHECK_EQ(recv(d, b, 3, 0), 0); /* the fake's echo ended: EOF */
	SFAILS(shutdown(d, 7), EINVAL);
	SCHECK_EQ(dup2(d, 20), 20);
	SCHECK_EQ(close(d), 0);
	SCHECK_EQ(fnetd_open_socks(&fake), 1);
	SCHECK_EQ(close(20), 0);
	SCHECK_EQ(fnetd_open_socks(&fake), 0);
	env_stop();
}

/* What the runtime refuses by itself, and calls on fds that are not
 * sockets. */
GTEST(sock_fake_errors)
{
	START(true);
	SFAILS(socket(AF_UNIX, SOCK_STREAM, 0), EAFNOSUPPORT);
	SFAILS(socket(AF_INET, SOCK_SEQPACKET, 0), ESOCKTNOSUPPORT);
	int sv[2];
	SFAILS(socketpair(AF_INET, SOCK_STREAM, 0, sv), EOPNOTSUPP);
	char b[4];
	SFAILS(recv(1, b, 1, 0), ENOTSOCK);
	SFAILS(recv(50, b, 1, 0), EBADF);
	SFAILS(listen(1, 5), ENOTSOCK);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	SCHECK(u >= 0);
	SFAILS(listen(u, 5), EOPNOTSUPP);
	SFAILS(accept(u, NULL, NULL), EOPNOTSUPP);
	SFAILS(recv(u, b, 1, MSG_OOB), EINVAL);
	int t = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	SCHECK(t >= 0);
	SCHECK_EQ(listen(t, 5), 0);
	SFAILS(accept4(t, NULL, NULL, 0), EAGAIN);
	SCHECK_EQ(sk_accept_flags_einval(t), -EINVAL);
	SCHECK_EQ(close(t), 0);
	SCHECK_EQ(close(u), 0);
	SFAILS(close(u), EBADF);
	env_stop();
}

/* netd lying about its counters: the socket fails with EIO and says so in
 * poll, nothing is read outside the region; close works. */
GTEST(sock_fake_hostile_counters_give_eio)
{
	START(true);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	SCHECK(s >= 0);
	struct sockaddr_in to = sin4("127.0.0.1", 7);
	SCHECK_EQ(connect(s, (struct sockaddr *)&to, sizeof(to)), 0);
	__atomic_store_n(&fake.hostile, 1, __ATOMIC_RELEASE);
	SCHECK_EQ(send(s, "abc", 3, 0), 3);
	char b[8];
	SFAILS(recv(s, b, sizeof(b), 0), EIO);
	struct pollfd p = {.fd = s, .events = POLLIN};
	SCHECK_EQ(poll(&p, 1, 0), 1);
	SCHECK(p.revents & POLLERR);
	SFAILS(send(s, "abc", 3, 0), EIO);
	SCHECK_EQ(close(s), 0);
	SCHECK_EQ(fnetd_open_socks(&fake), 0);
	env_stop();
}

static int64_t kill_fake_later(uint64_t arg)
{
	sys_sleep_until(g_now() + arg * MS);
	__atomic_store_n(&fake.die, 1, __ATOMIC_RELEASE);
	return 0;
}

/* netd dies while a recv is blocked: the recv ends with ECONNRESET (the
 * runtime's probe finds the port gone), every call on the old sockets
 * fails, close works; a new netd registered under the name serves the
 * next socket(). */
GTEST(sock_fake_netd_dies_under_a_blocked_recv)
{
	START(true);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	SCHECK(s >= 0);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	SCHECK(u >= 0);
	struct sockaddr_in to = sin4("127.0.0.1", 7);
	SCHECK_EQ(connect(s, (struct sockaddr *)&to, sizeof(to)), 0);
	struct gthread th;
	SCHECK_EQ(gthread_start(&th, kill_fake_later, 100), 0);
	char b[8];
	uint64_t t0 = g_now();
	errno = 0;
	long r = recv(s, b, sizeof(b), 0);
	int e = errno;
	uint64_t dt = g_now() - t0;
	int64_t st;
	gthread_join(&th, DEADLINE_NONE, &st);
	fnetd_die(&fake);
	SCHECK_EQ(r, -1);
	SCHECK_EQ(e, ECONNRESET);
	SCHECK(dt >= 100 * MS && dt < 3000 * MS);
	printf("    recv noticed netd's death after %llu ms\n",
	       (unsigned long long)(dt / MS));
	SFAILS(send(s, "x", 1, 0), ECONNRESET);
	SFAILS(recv(u, b, 1, MSG_DONTWAIT), ECONNRESET);
	struct pollfd p = {.fd = u, .events = POLLIN};
	SCHECK_EQ(poll(&p, 1, 0), 1);
	SCHECK(p.revents & (POLLERR | POLLHUP));
	SCHECK_EQ(close(s), 0);
	SCHECK_EQ(close(u), 0);
	/* A new netd under the name: the next socket connects to it. */
	fnetd_stop(&fake);
	SCHECK_EQ(fnetd_start(&fake), 0);
	s = socket(AF_INET, SOCK_STREAM, 0);
	SCHECK(s >= 0);
	SCHECK_EQ(connect(s, (struct sockaddr *)&to, sizeof(to)), 0);
	SCHECK_EQ(send(s, "new", 3, 0), 3);
	SCHECK_EQ(recv(s, b, 3, MSG_WAITALL), 3);
	SCHECK(!memcmp(b, "new", 3));
	SCHECK_EQ(close(s), 0);
	env_stop();
}

/* No netd at all: socket() fails (ENETDOWN) without hanging. */
GTEST(sock_no_netd_is_enetdown)
{
	START(false);
	uint64_t t0 = g_now();
	SFAILS(socket(AF_INET, SOCK_STREAM, 0), ENETDOWN);
	SCHECK(g_now() - t0 < 3000 * MS);
	SFAILS(socket(AF_INET, SOCK_DGRAM, 0), ENETDOWN);
	env_stop();
}

/* getaddrinfo/getnameinfo: numeric names and localhost without netd's
 * help, other names through NET_RESOLVE. In a child (guest-child-sock):
 * musl's resolver keeps malloc'd memory, which this task's leak check
 * would count. */
GTEST(sock_fake_getaddrinfo_in_a_child)
{
	START(true);
	struct child c;
	SCHECK_EQ(g_spawn("guest-child-sock", "gai", 4ull << 20, 0, &c), 0);
	int64_t st = -1;
	SCHECK_EQ(g_reap(&c, 20000 * MS, &st), 0);
	SCHECK_EQ(st, 0);
	/* localhost and numbers never asked netd; four names did. */
	SCHECK_EQ(fake.calls[NET_RESOLVE], 4);
	env_stop();
}
