/* The runtime's sockets against the real netd (servers/netd, lwIP) on its
 * loopback interface, 127.0.0.1: TCP echo with a poll-driven server,
 * UDP round trips, non-blocking connect (to a listener and to a closed
 * port), two client threads on two CPUs at once, and netd killed under a
 * blocked recv (ECONNRESET, then a new netd serves a new socket). netd is
 * a child task registered in a name service of the test's own
 * (sock_env.h). Threads other than the test's own call the glue directly
 * (__execrt_syscall: no errno on a raw thread). Skipped when the initrd
 * has no netd or netd has no socket service yet. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include <execrt/cpio.h>
#include <execrt/fd.h>

#include "gtest.h"
#include "gutil.h"
#include "sock_env.h"
#include "sock_netd_fx.h"

/* TCP through netd's loopback: 2 MiB echoed by a poll server on another
 * thread, every byte checked; the end of stream reaches both sides. */
GTEST(sock_netd_tcp_echo_loopback)
{
	START();
	long l = listener(7001);
	SCHECK(l >= 0);
	struct srv sv = {.lfd = l, .conns = 1};
	struct gthread th;
	SCHECK_EQ(gthread_start(&th, echo_server, (uint64_t)&sv), 0);
	uint64_t t0 = g_now();
	long r = echo_client(7001, 2 << 20, 5);
	uint64_t dt = g_now() - t0;
	int64_t st;
	__atomic_store_n(&sv.stop, 1, __ATOMIC_RELEASE);
	gthread_join(&th, DEADLINE_NONE, &st);
	SC(close, l, 0, 0, 0, 0, 0);
	printf("    2 MiB echoed in %llu ms (%llu KiB/s each way)\n",
	       (unsigned long long)(dt / MS),
	       (unsigned long long)(2048ull * 1000 / (dt / MS + 1)));
	SCHECK_EQ(r, 0);
	SCHECK_EQ(sv.err, 0);
	SCHECK_EQ(sv.bytes, 2 << 20);
	netd_env_stop();
}

/* UDP between two sockets: 500 round trips of 1..1472 bytes, payloads
 * and source addresses checked; poll and recvfrom with a timeout. */
GTEST(sock_netd_udp_round_trips)
{
	START();
	int a = socket(AF_INET, SOCK_DGRAM, 0),
	    b = socket(AF_INET, SOCK_DGRAM, 0);
	SCHECK(a >= 0 && b >= 0);
	struct sockaddr_in aa = lo(0), ba = lo(7002);
	SCHECK_EQ(bind(b, (struct sockaddr *)&ba, sizeof(ba)), 0);
	SCHECK_EQ(bind(a, (struct sockaddr *)&aa, sizeof(aa)), 0);
	socklen_t al = sizeof(aa);
	SCHECK_EQ(getsockname(a, (struct sockaddr *)&aa, &al), 0);
	SCHECK(ntohs(aa.sin_port) != 0);
	struct timeval tv = {.tv_sec = 2};
	SCHECK_EQ(setsockopt(b, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	SCHECK_EQ(setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	static uint8_t buf[1500], got[1500];
	uint64_t t0 = g_now();
	for (int i = 0; i < 500; i++) {
		size_t len = 1 + (size_t)(i * 97) % 1472;
		for (size_t k = 0; k < len; k++)
			buf[k] = pat((uint32_t)i, k);
		SCHECK_EQ(sendto(a, buf, len, 0, (struct sockaddr *)&ba,
				 sizeof(ba)),
			  (long)len);
		struct pollfd p = {.fd = b, .events = POLLIN};
		SCHECK_EQ(poll(&p, 1, 2000), 1);
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		SCHECK_EQ(recvfrom(b, got, sizeof(got), 0,
				   (struct sockaddr *)&from, &fl),
			  (long)len);
		SCHECK(!memcmp(got, buf, len));
		SCHECK_EQ(from.sin_port, aa.sin_port);
		SCHECK_EQ(sendto(b, got, len, 0, (struct sockaddr *)&from, fl),
			  (long)len);
		SCHECK_EQ(recv(a, got, sizeof(got), 0), (long)len);
		SCHECK(!memcmp(got, buf, len));
	}
	uint64_t dt = g_now() - t0;
	printf("    UDP round trip through netd: %llu us\n",
	       (unsigned long long)(dt / 500 / 1000));
	/* About 1 ms under TCG on a loaded host; a wake-up left waiting
	 * for a timer (netd's 250 ms, the runtime's 200 ms probe) shows. */
	SCHECK(dt / 500 < 50 * MS);
	/* Connected: send/recv without addresses. */
	SCHECK_EQ(connect(a, (struct sockaddr *)&ba, sizeof(ba)), 0);
	SCHECK_EQ(send(a, "hello", 5, 0), 5);
	char h[8];
	SCHECK_EQ(recv(b, h, sizeof(h), 0), 5);
	SCHECK_EQ(close(a), 0);
	SCHECK_EQ(close(b), 0);
	netd_env_stop();
}

/* Non-blocking connect to a listener: EINPROGRESS (or at once), POLLOUT,
 * SO_ERROR 0, the listener polls readable and accepts. To a closed port:
 * ECONNREFUSED blocking, and through SO_ERROR non-blocking. */
GTEST(sock_netd_nonblocking_connect)
{
	START();
	long l = listener(7003);
	SCHECK(l >= 0);
	int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	SCHECK(c >= 0);
	struct sockaddr_in a = lo(7003);
	errno = 0;
	int r = connect(c, (struct sockaddr *)&a, sizeof(a));
	SCHECK(r == 0 || errno == EINPROGRESS);
	struct pollfd p = {.fd = c, .events = POLLOUT};
	SCHECK_EQ(poll(&p, 1, 5000), 1);
	SCHECK(p.revents & POLLOUT);
	int err = -1;
	socklen_t el = sizeof(err);
	SCHECK_EQ(getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &el), 0);
	SCHECK_EQ(err, 0);
	errno = 0;
	SCHECK_EQ(connect(c, (struct sockaddr *)&a, sizeof(a)), -1);
	SCHECK_EQ(errno, EISCONN);
	p = (struct pollfd){.fd = (int)l, .events = POLLIN};
	SCHECK_EQ(poll(&p, 1, 5000), 1);
	struct sockaddr_in peer;
	socklen_t pl = sizeof(peer);
	int s = accept(l, (struct sockaddr *)&peer, &pl);
	SCHECK(s >= 0);
	SCHECK_EQ(pl, sizeof(peer));
	SCHECK_EQ(ntohl(peer.sin_addr.s_addr), INADDR_LOOPBACK);
	struct sockaddr_in me;
	socklen_t ml = sizeof(me);
	SCHECK_EQ(getsockname(c, (struct sockaddr *)&me, &ml), 0);
	SCHECK_EQ(me.sin_port, peer.sin_port);
	SCHECK_EQ(send(c, "x", 1, 0), 1);
	char b;
	SCHECK_EQ(recv(s, &b, 1, 0), 1);
	SCHECK_EQ(close(s), 0);
	SCHECK_EQ(close(c), 0);
	SCHECK_EQ(close((int)l), 0);
	/* Nobody listens on 7004. */
	c = socket(AF_INET, SOCK_STREAM, 0);
	a = lo(7004);
	errno = 0;
	SCHECK_EQ(connect(c, (struct sockaddr *)&a, sizeof(a)), -1);
	SCHECK_EQ(errno, ECONNREFUSED);
	SCHECK_EQ(close(c), 0);
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	errno = 0;
	r = connect(c, (struct sockaddr *)&a, sizeof(a));
	SCHECK(r == -1 && (errno == EINPROGRESS || errno == ECONNREFUSED));
	if (errno == EINPROGRESS) {
		p = (struct pollfd){.fd = c, .events = POLLOUT};
		SCHECK_EQ(poll(&p, 1, 5000), 1);
		SCHECK(p.revents & (POLLERR | POLLHUP));
		el = sizeof(err);
		SCHECK_EQ(getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &el), 0);
		SCHECK_EQ(err, ECONNREFUSED);
	}
	SCHECK_EQ(close(c), 0);
	netd_env_stop();
}

struct cli {
	int port, cpu;
	uint32_t seed;
	long r;
};

static int64_t client_thread(uint64_t arg)
{
	struct cli *c = (struct cli *)arg;
	c->r = echo_client(c->port, 512 << 10, c->seed);
	return 0;
}

/* Two client threads pinned to CPU 0 and CPU 1 at once, each through its
 * own connection to one poll server (a third thread): the runtime's
 * tables, locks and waits under real concurrency; every byte checked. */
GTEST(sock_netd_two_threads_two_cpus)
{
	START();
	if (g_ncpus() < 2)
		printf("    (one CPU: the threads share it)\n");
	long l = listener(7005);
	SCHECK(l >= 0);
	struct srv sv = {.lfd = l, .conns = 2};
	struct gthread srv_th, th[2];
	SCHECK_EQ(gthread_start(&srv_th, echo_server, (uint64_t)&sv), 0);
	struct cli c[2] = {{.port = 7005, .cpu = 0, .seed = 11},
			   {.port = 7005, .cpu = 1, .seed = 77}};
	for (int i = 0; i < 2; i++) {
		SCHECK_EQ(gthread_start(&th[i], client_thread, (uint64_t)&c[i]),
			  0);
		if (g_ncpus() >= 2)
			sys_sched_affinity(g_sched(), th[i].h, 1ull << i);
	}
	int64_t st;
	for (int i = 0; i < 2; i++)
		gthread_join(&th[i], DEADLINE_NONE, &st);
	__atomic_store_n(&sv.stop, 1, __ATOMIC_RELEASE);
	gthread_join(&srv_th, DEADLINE_NONE, &st);
	SC(close, l, 0, 0, 0, 0, 0);
	SCHECK_EQ(c[0].r, 0);
	SCHECK_EQ(c[1].r, 0);
	SCHECK_EQ(sv.err, 0);
	SCHECK_EQ(sv.bytes, 2 * (512 << 10));
	netd_env_stop();
}

static int64_t kill_netd_later(uint64_t ms)
{
	sys_sleep_until(g_now() + ms * MS);
	sys_task_kill(netd.task, -1);
	return 0;
}

/* netd killed while a recv waits on a connected socket: ECONNRESET within
 * a second, the old sockets stay dead, a new netd serves a new socket. */
GTEST(sock_netd_killed_under_a_blocked_recv)
{
	START();
	long l = listener(7006);
	SCHECK(l >= 0);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = lo(7006);
	SCHECK_EQ(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
	struct gthread th;
	SCHECK_EQ(gthread_start(&th, kill_netd_later, 100), 0);
	char b[4];
	uint64_t t0 = g_now();
	errno = 0;
	long r = recv(c, b, sizeof(b), 0);
	int e = errno;
	uint64_t dt = g_now() - t0;
	int64_t st;
	gthread_join(&th, DEADLINE_NONE, &st);
	SCHECK_EQ(r, -1);
	SCHECK_EQ(e, ECONNRESET);
	SCHECK(dt < 3000 * MS);
	errno = 0;
	SCHECK_EQ(send(c, "x", 1, 0), -1);
	SCHECK_EQ(errno, ECONNRESET);
	SCHECK_EQ(close(c), 0);
	SCHECK_EQ(close((int)l), 0);
	netd_kill();
	SCHECK_EQ(netd_spawn(), 0); /* registers /svc/netd again */
	l = listener(7006);
	SCHECK(l >= 0);
	c = socket(AF_INET, SOCK_STREAM, 0);
	SCHECK(c >= 0);
	SCHECK_EQ(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
	SCHECK_EQ(close(c), 0);
	SCHECK_EQ(close((int)l), 0);
	netd_env_stop();
}

struct churn {
	int rounds;
	long err;
};

/* socket, bind to an ephemeral port, a datagram to itself and back,
 * close: as fast as it goes. */
static int64_t churn_thread(uint64_t arg)
{
	struct churn *c = (struct churn *)arg;
	for (int i = 0; i < c->rounds && !c->err; i++) {
		long s = SC(socket, AF_INET, SOCK_DGRAM, 0, 0, 0, 0);
		if (s < 0) {
			c->err = 1 << 16 | -s;
			break;
		}
		struct sockaddr_in a = lo(0);
		uint32_t al = sizeof(a);
		long r = SC(bind, s, &a, sizeof(a), 0, 0, 0);
		if (!r)
			r = SC(getsockname, s, &a, &al, 0, 0, 0);
		uint32_t v = (uint32_t)i * 2654435761u;
		if (!r)
			r = SC(sendto, s, &v, sizeof(v), 0, &a, sizeof(a));
		uint32_t back = 0;
		if (r >= 0) {
			struct timeval tv = {.tv_sec = 5};
			SC(setsockopt, s, SOL_SOCKET, SO_RCVTIMEO, &tv,
			   sizeof(tv), 0);
			r = SC(recvfrom, s, &back, sizeof(back), 0, 0, 0);
		}
		if (r < 0)
			c->err = 2 << 16 | -r;
		else if (back != v)
			c->err = 3 << 16;
		r = SC(close, s, 0, 0, 0, 0, 0);
		if (r < 0 && !c->err)
			c->err = 4 << 16 | -r;
	}
	return 0;
}

/* Two threads on two CPUs making and closing sockets as fast as they
 * can (the fd table, the socket table and the connection under real
 * races): every datagram comes back, no fd or socket is left. */
GTEST(sock_netd_two_cpus_socket_churn)
{
	START();
	int fds = execrt_fd_count();
	struct churn c[2] = {{.rounds = 150}, {.rounds = 150}};
	struct gthread th[2];
	for (int i = 0; i < 2; i++) {
		SCHECK_EQ(gthread_start(&th[i], churn_thread, (uint64_t)&c[i]),
			  0);
		if (g_ncpus() >= 2)
			sys_sched_affinity(g_sched(), th[i].h, 1ull << i);
	}
	int64_t st;
	for (int i = 0; i < 2; i++)
		gthread_join(&th[i], DEADLINE_NONE, &st);
	SCHECK_EQ(c[0].err, 0);
	SCHECK_EQ(c[1].err, 0);
	SCHECK_EQ(execrt_fd_count(), fds);
	netd_env_stop();
}

/* A DNS server on a raw thread: A records for test.example (10.20.30.40),
 * NXDOMAIN for anything else, no answer for other types. */
struct dnsd {
	long fd;
	int stop, queries;
};

static long dns_answer(const uint8_t *q, long n, uint8_t *out)
{
	static const uint8_t rr[] = {0xc0, 0x0c, 0, 1, 0,  1,  0,  0,
				     0,	   60,	 0, 4, 10, 20, 30, 40};
	char name[256];
	size_t nl = 0;
	long p = 12;
	if (n < 17)
		return -1;
	while (p < n && q[p]) {
		uint8_t l = q[p++];
		if (l > 63 || p + l > n || nl + l + 1 >= sizeof(name))
			return -1;
		if (nl)
			name[nl++] = '.';
		memcpy(name + nl, q + p, l);
		nl += l;
		p += l;
	}
	name[nl] = 0;
	if (p + 5 > n)
		return -1;
	int qtype = q[p + 1] << 8 | q[p + 2];
	p += 5; /* the root label, QTYPE, QCLASS */
	memcpy(out, q, (size_t)p);
	bool known = !strcmp(name, "test.example");
	out[2] = 0x81;		      /* QR, RD */
	out[3] = known ? 0x80 : 0x83; /* RA; NXDOMAIN */
	memset(out + 6, 0, 6);	      /* no answer, authority, extra */
	if (known && qtype == 1) {
		out[7] = 1;
		memcpy(out + p, rr, sizeof(rr));
		p += (long)sizeof(rr);
	}
	return p;
}

static int64_t dns_server(uint64_t arg)
{
	struct dnsd *d = (struct dnsd *)arg;
	uint8_t q[512], a[600];
	while (!__atomic_load_n(&d->stop, __ATOMIC_ACQUIRE)) {
		struct pollfd p = {.fd = (int)d->fd, .events = POLLIN};
		if (SC(poll, &p, 1, 100, 0, 0, 0) <= 0)
			continue;
		struct sockaddr_in from;
		uint32_t fl = sizeof(from);
		long n = SC(recvfrom, d->fd, q, sizeof(q), MSG_DONTWAIT, &from,
			    &fl);
		long k = n > 0 ? dns_answer(q, n, a) : -1;
		if (k > 0) {
			__atomic_add_fetch(&d->queries, 1, __ATOMIC_ACQ_REL);
			SC(sendto, d->fd, a, k, 0, &from, fl);
		}
	}
	return 0;
}

/* getaddrinfo end to end: a child program's lookup goes through musl,
 * the runtime (NET_RESOLVE), netd's lwIP DNS client and the loopback to
 * a DNS server of this test (netd --dns 127.0.0.1:5353), and back. */
GTEST(sock_netd_getaddrinfo_through_netd_dns)
{
	netd_args = "--dns 127.0.0.1:5353";
	START();
	struct dnsd d = {.fd = SC(socket, AF_INET, SOCK_DGRAM, 0, 0, 0, 0)};
	SCHECK(d.fd >= 0);
	struct sockaddr_in a = lo(5353);
	SCHECK_EQ(SC(bind, d.fd, &a, sizeof(a), 0, 0, 0), 0);
	struct gthread th;
	SCHECK_EQ(gthread_start(&th, dns_server, (uint64_t)&d), 0);
	struct child c;
	long r = g_spawn("guest-child-sock", "dns", 4ull << 20, 0, &c);
	int64_t st = -1;
	if (r == 0)
		r = g_reap(&c, 30000 * MS, &st);
	__atomic_store_n(&d.stop, 1, __ATOMIC_RELEASE);
	int64_t ts;
	gthread_join(&th, DEADLINE_NONE, &ts);
	SC(close, d.fd, 0, 0, 0, 0, 0);
	SCHECK_EQ(r, 0);
	SCHECK_EQ(st, 0);
	/* test.example (lwIP may answer it again from its cache) and
	 * nx.example reached the server; localhost did not need it. */
	SCHECK(d.queries >= 2);
	netd_env_stop();
}

static int64_t connect_later(uint64_t port)
{
	sys_sleep_until(g_now() + 100 * MS);
	long s = SC(socket, AF_INET, SOCK_STREAM, 0, 0, 0, 0);
	struct sockaddr_in a = lo((int)port);
	long r = s < 0 ? s : SC(connect, s, &a, sizeof(a), 0, 0, 0);
	if (r == 0)
		r = SC(sendto, s, "hi", 2, 0, 0, 0);
	if (s >= 0)
		SC(close, s, 0, 0, 0, 0, 0);
	return r == 2 ? 0 : (r < 0 ? -r : 99);
}

/* A blocking accept waits for a connection made 100 ms later on another
 * thread; with SO_RCVTIMEO it gives EAGAIN when nobody comes; data sent
 * and the connection closed before the accept are still there. */
GTEST(sock_netd_blocking_accept)
{
	START();
	int l = socket(AF_INET, SOCK_STREAM, 0);
	SCHECK(l >= 0);
	struct sockaddr_in a = lo(7007);
	SCHECK_EQ(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	SCHECK_EQ(listen(l, 4), 0);
	struct timeval tv = {.tv_usec = 100000};
	SCHECK_EQ(setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	uint64_t t0 = g_now();
	errno = 0;
	SCHECK_EQ(accept(l, NULL, NULL), -1);
	SCHECK_EQ(errno, EAGAIN);
	SCHECK(g_now() - t0 >= 100 * MS);
	tv.tv_sec = 10;
	tv.tv_usec = 0;
	SCHECK_EQ(setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	struct gthread th;
	SCHECK_EQ(gthread_start(&th, connect_later, 7007), 0);
	t0 = g_now();
	int s = accept(l, NULL, NULL);
	uint64_t dt = g_now() - t0;
	int64_t st = -1;
	gthread_join(&th, DEADLINE_NONE, &st);
	SCHECK(s >= 0);
	SCHECK_EQ(st, 0);
	SCHECK(dt >= 50 * MS);
	char b[4];
	SCHECK_EQ(recv(s, b, sizeof(b), MSG_WAITALL), 2);
	SCHECK(!memcmp(b, "hi", 2));
	SCHECK_EQ(recv(s, b, sizeof(b), 0), 0); /* the peer closed */
	SCHECK_EQ(close(s), 0);
	SCHECK_EQ(close(l), 0);
	netd_env_stop();
}
