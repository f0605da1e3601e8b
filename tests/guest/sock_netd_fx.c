/* The fixture of the socket tests against the real netd (sock_netd_fx.h):
 * moved out of t_sock_netd.c. */
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

#define NETD_QUOTA (32ull << 20)

struct child netd;

const char *netd_args = "";

long netd_spawn(void)
{
	return g_spawn("netd", netd_args, NETD_QUOTA, 0, &netd);
}

void netd_kill(void)
{
	int64_t st;
	if (netd.task) {
		sys_task_kill(netd.task, -1);
		g_reap(&netd, 2000 * MS, &st);
	}
	memset(&netd, 0, sizeof(netd));
}

/* 0 started, 1 skipped, < 0 failed. A first socket() proves netd serves
 * sockets (the skeleton without the socket service answers EINVAL). */
long netd_env_start(void)
{
	struct cpio_file f;
	if (cpio_find(g_initrd_buf, g_initrd_len, "bin/netd", &f) != CPIO_OK) {
		printf("    skipped: no bin/netd in the initrd\n");
		return 1;
	}
	long r = sock_names_start();
	if (r < 0)
		return r;
	if ((r = netd_spawn()) < 0)
		return r;
	uint64_t end = g_now() + 5000 * MS;
	for (;;) {
		long s = SC(socket, AF_INET, SOCK_DGRAM, 0, 0, 0, 0);
		if (s >= 0) {
			SC(close, s, 0, 0, 0, 0, 0);
			return 0;
		}
		if (s != -ENETDOWN || g_now() > end) {
			printf("    skipped: netd has no sockets (%ld)\n", s);
			return 1;
		}
		sys_sleep_until(g_now() + 20 * MS);
	}
}

void netd_env_stop(void)
{
	execrt_net_disconnect();
	netd_kill();
	sock_names_stop();
	netd_args = "";
}

struct sockaddr_in lo(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	return a;
}

uint8_t pat(uint32_t seed, uint64_t i)
{
	return (uint8_t)(seed + i * 13 + (i >> 11));
}

/* A listening TCP socket on 127.0.0.1:port (non-blocking), or -errno. */
long listener(int port)
{
	long s = SC(socket, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0, 0, 0, 0);
	if (s < 0)
		return s;
	int one = 1;
	struct sockaddr_in a = lo(port);
	long r = SC(setsockopt, s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one),
		    0);
	if (!r)
		r = SC(bind, s, &a, sizeof(a), 0, 0, 0);
	if (!r)
		r = SC(listen, s, 16, 0, 0, 0, 0);
	if (r) {
		SC(close, s, 0, 0, 0, 0, 0);
		return r;
	}
	return s;
}

/* ---- an echo server on a raw thread: poll over the listener and its
 * connections; ends when `conns` connections have come and gone ---- */
#define SRV_MAX 8

struct sconn {
	long fd;
	uint32_t off, len;
	uint8_t buf[8192];
};

int64_t echo_server(uint64_t arg)
{
	struct srv *sv = (struct srv *)arg;
	static struct sconn c[SRV_MAX];
	int n = 0, done = 0, accepted = 0;
	memset(c, 0, sizeof(c));
	while (done < sv->conns &&
	       !__atomic_load_n(&sv->stop, __ATOMIC_ACQUIRE)) {
		struct pollfd p[SRV_MAX + 1];
		p[0] = (struct pollfd){.fd = (int)sv->lfd, .events = POLLIN};
		for (int i = 0; i < n; i++)
			p[i + 1] = (struct pollfd){.fd = (int)c[i].fd,
						   .events = c[i].len ? POLLOUT
								      : POLLIN};
		long r = SC(poll, p, n + 1, 200, 0, 0, 0);
		if (r < 0) {
			sv->err = 1 << 16 | -r;
			break;
		}
		if ((p[0].revents & POLLIN) && accepted < sv->conns) {
			long fd =
				SC(accept4, sv->lfd, 0, 0, SOCK_NONBLOCK, 0, 0);
			if (fd >= 0 && n < SRV_MAX) {
				c[n++] = (struct sconn){.fd = fd};
				accepted++;
			} else if (fd != -EAGAIN) {
				sv->err = 2 << 16 | (fd < 0 ? -fd : 0);
				break;
			}
		}
		for (int i = 0; i < n; i++) {
			short ev = p[i + 1].revents;
			struct sconn *k = &c[i];
			if (!ev)
				continue;
			if (k->len) {
				r = SC(sendto, k->fd, k->buf + k->off,
				       k->len - k->off, MSG_DONTWAIT, 0, 0);
				if (r < 0 && r != -EAGAIN) {
					sv->err = 3 << 16 | -r;
					break;
				}
				if (r > 0 && (k->off += (uint32_t)r) == k->len)
					k->off = k->len = 0;
				continue;
			}
			r = SC(recvfrom, k->fd, k->buf, sizeof(k->buf),
			       MSG_DONTWAIT, 0, 0);
			if (r > 0) {
				k->len = (uint32_t)r;
				sv->bytes += (uint64_t)r;
			} else if (r == 0 || (r < 0 && r != -EAGAIN)) {
				if (r < 0)
					sv->err = 4 << 16 | -r;
				SC(close, k->fd, 0, 0, 0, 0, 0);
				c[i--] = c[--n];
				done++;
			}
		}
		if (sv->err)
			break;
	}
	for (int i = 0; i < n; i++)
		SC(close, c[i].fd, 0, 0, 0, 0, 0);
	return 0;
}

/* A client: connects to port, sends `total` bytes and reads the echo back
 * (poll, non-blocking), checks every byte, closes its side and waits for
 * the server's end. 0 or (step << 16 | -errno). */
long echo_client(int port, uint64_t total, uint32_t seed)
{
	long s = SC(socket, AF_INET, SOCK_STREAM, 0, 0, 0, 0);
	if (s < 0)
		return 1 << 16 | -s;
	struct sockaddr_in a = lo(port);
	long r = SC(connect, s, &a, sizeof(a), 0, 0, 0);
	if (r < 0) {
		SC(close, s, 0, 0, 0, 0, 0);
		return 2 << 16 | -r;
	}
	int one = 1;
	SC(setsockopt, s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one), 0);
	uint8_t out[4096], in[4096];
	uint64_t sent = 0, got = 0;
	long err = 0;
	while (got < total && !err) {
		struct pollfd p = {
			.fd = (int)s,
			.events =
				(short)(POLLIN | (sent < total ? POLLOUT : 0))};
		r = SC(poll, &p, 1, 5000, 0, 0, 0);
		if (r <= 0) {
			err = 3 << 16 | (r < 0 ? -r : 110);
			break;
		}
		if ((p.revents & POLLOUT) && sent < total) {
			uint64_t k = total - sent < sizeof(out) ? total - sent
								: sizeof(out);
			for (uint64_t i = 0; i < k; i++)
				out[i] = pat(seed, sent + i);
			r = SC(sendto, s, out, k, MSG_DONTWAIT, 0, 0);
			if (r > 0)
				sent += (uint64_t)r;
			else if (r != -EAGAIN)
				err = 4 << 16 | -r;
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			r = SC(recvfrom, s, in, sizeof(in), MSG_DONTWAIT, 0, 0);
			if (r == 0)
				err = 5 << 16;
			else if (r < 0 && r != -EAGAIN)
				err = 6 << 16 | -r;
			for (long i = 0; i < r && !err; i++)
				if (in[i] != pat(seed, got + (uint64_t)i))
					err = 7 << 16;
			if (r > 0)
				got += (uint64_t)r;
		}
	}
	if (!err && (r = SC(shutdown, s, SHUT_WR, 0, 0, 0, 0)) < 0)
		err = 8 << 16 | -r;
	if (!err) {
		struct timeval tv = {.tv_sec = 5};
		SC(setsockopt, s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv), 0);
		r = SC(recvfrom, s, in, sizeof(in), 0, 0, 0);
		if (r != 0)
			err = 9 << 16 | (r < 0 ? -r : 0);
	}
	SC(close, s, 0, 0, 0, 0, 0);
	return err;
}
