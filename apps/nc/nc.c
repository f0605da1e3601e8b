/* nc: TCP and UDP from the command line (docs/net-programs.md).
 * Connects (nc HOST PORT) or listens (nc -l PORT), then relays stdin and
 * stdout, or runs a test mode: --echo sends back what arrives, --sink
 * counts it (bytes, CRC-32, rate), --source N sends N bytes of a fixed
 * pattern. Plain POSIX sockets: the same file runs on exec-rt and Linux.
 * Exit status: 0 done, 1 a network error (printed), 2 a bad command line. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ncutil.h"

#define BUF (64u << 10)

static struct nc_opts o;
static uint8_t buf[BUF];

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int fail(const char *what)
{
	fprintf(stderr, "nc: %s: %s\n", what, strerror(errno));
	return 1;
}

static const char *addr_str(const struct sockaddr_in *a, char *s, size_t n)
{
	char ip[INET_ADDRSTRLEN] = "?";
	inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
	snprintf(s, n, "%s:%u", ip, ntohs(a->sin_port));
	return s;
}

static int resolve(const char *host, int port, struct sockaddr_in *sa)
{
	struct addrinfo hints = {0}, *res = NULL;
	hints.ai_family = AF_INET;
	hints.ai_socktype = o.udp ? SOCK_DGRAM : SOCK_STREAM;
	int e = getaddrinfo(host, NULL, &hints, &res);
	if (e || !res) {
		fprintf(stderr, "nc: %s: %s\n", host, gai_strerror(e));
		return -1;
	}
	memcpy(sa, res->ai_addr, sizeof(*sa));
	sa->sin_port = htons((uint16_t)port);
	freeaddrinfo(res);
	return 0;
}

/* Waits for fd to be ready for ev within -w; 0 ok, -1 timed out (ETIMEDOUT)
 * or failed. */
static int wait_fd(int fd, short ev)
{
	if (!o.timeout_ms)
		return 0;
	struct pollfd p = {fd, ev, 0};
	int r;
	do
		r = poll(&p, 1, (int)o.timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		errno = ETIMEDOUT;
	return r > 0 ? 0 : -1;
}

static int send_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		if (wait_fd(fd, POLLOUT) < 0)
			return -1;
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int tcp_echo(int fd)
{
	uint64_t total = 0;
	for (;;) {
		if (wait_fd(fd, POLLIN) < 0)
			return fail("recv");
		ssize_t r = recv(fd, buf, sizeof(buf), 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return fail("recv");
		if (r == 0)
			break;
		if (send_all(fd, buf, (size_t)r) < 0)
			return fail("send");
		total += (uint64_t)r;
	}
	shutdown(fd, SHUT_WR);
	printf("nc: echoed %llu bytes\n", (unsigned long long)total);
	return 0;
}

static int tcp_sink(int fd)
{
	uint64_t total = 0, t0 = now_ns();
	uint32_t crc = 0;
	for (;;) {
		if (wait_fd(fd, POLLIN) < 0)
			return fail("recv");
		ssize_t r = recv(fd, buf, sizeof(buf), 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return fail("recv");
		if (r == 0)
			break;
		crc = nc_crc32(crc, buf, (size_t)r);
		total += (uint64_t)r;
	}
	uint64_t dt = now_ns() - t0;
	char rate[32];
	nc_rate(rate, sizeof(rate), total, dt);
	printf("nc: received %llu bytes crc32 %08x in %llu ms (%s)\n",
	       (unsigned long long)total, crc,
	       (unsigned long long)(dt / 1000000), rate);
	return 0;
}

static int tcp_source(int fd)
{
	uint64_t off = 0, t0 = now_ns();
	uint32_t crc = 0;
	while (off < o.count) {
		size_t n = o.count - off < BUF ? (size_t)(o.count - off) : BUF;
		nc_pattern(off, buf, n);
		crc = nc_crc32(crc, buf, n);
		if (send_all(fd, buf, n) < 0)
			return fail("send");
		off += n;
	}
	shutdown(fd, SHUT_WR);
	/* The peer's end: everything was taken (or it reset). */
	while (recv(fd, buf, sizeof(buf), 0) > 0)
		;
	uint64_t dt = now_ns() - t0;
	char rate[32];
	nc_rate(rate, sizeof(rate), off, dt);
	printf("nc: sent %llu bytes crc32 %08x in %llu ms (%s)\n",
	       (unsigned long long)off, crc, (unsigned long long)(dt / 1000000),
	       rate);
	return 0;
}

/* stdin -> fd, fd -> stdout, until the peer ends (stdin's end sends
 * FIN). */
static int relay(int fd, const struct sockaddr_in *peer)
{
	struct pollfd p[2] = {{fd, POLLIN, 0}, {0, POLLIN, 0}};
	int np = 2;
	for (;;) {
		int r = poll(p, (nfds_t)np,
			     o.timeout_ms ? (int)o.timeout_ms : -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return fail("poll");
		if (r == 0) {
			errno = ETIMEDOUT;
			return fail("wait");
		}
		if (p[0].revents) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t n = recvfrom(fd, buf, sizeof(buf), 0,
					     (struct sockaddr *)&from, &fl);
			if (n < 0 && errno != EINTR && errno != EAGAIN)
				return fail("recv");
			if (n == 0 && !o.udp)
				return 0;
			if (n > 0 &&
			    fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
				return fail("stdout");
			fflush(stdout);
		}
		if (np == 2 && p[1].revents) {
			ssize_t n = read(0, buf, sizeof(buf));
			if (n <= 0) {
				np = 1; /* stdin ended */
				if (!o.udp)
					shutdown(fd, SHUT_WR);
			} else if (o.udp) {
				if (sendto(fd, buf, (size_t)n, 0,
					   (const struct sockaddr *)peer,
					   sizeof(*peer)) < 0)
					return fail("sendto");
			} else if (send_all(fd, buf, (size_t)n) < 0) {
				return fail("send");
			}
		}
	}
}

static int tcp_run(int fd)
{
	switch (o.mode) {
	case NC_ECHO:
		return tcp_echo(fd);
	case NC_SINK:
		return tcp_sink(fd);
	case NC_SOURCE:
		return tcp_source(fd);
	}
	return relay(fd, NULL);
}

/* UDP listen: every datagram is echoed to its sender (--echo), counted
 * (--sink) or printed; -c N stops after N. */
static int udp_serve(int fd)
{
	uint64_t n = 0, bytes = 0;
	uint32_t crc = 0;
	while (!o.count || n < o.count) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		if (wait_fd(fd, POLLIN) < 0)
			return fail("recvfrom");
		ssize_t r = recvfrom(fd, buf, sizeof(buf), 0,
				     (struct sockaddr *)&from, &fl);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return fail("recvfrom");
		n++;
		bytes += (uint64_t)r;
		if (o.mode == NC_ECHO) {
			if (sendto(fd, buf, (size_t)r, 0,
				   (struct sockaddr *)&from, fl) < 0 &&
			    errno != EAGAIN && errno != ENOBUFS)
				return fail("sendto");
		} else if (o.mode == NC_SINK) {
			crc = nc_crc32(crc, buf, (size_t)r);
		} else {
			fwrite(buf, 1, (size_t)r, stdout);
			fflush(stdout);
		}
	}
	printf("nc: %llu datagrams, %llu bytes", (unsigned long long)n,
	       (unsigned long long)bytes);
	if (o.mode == NC_SINK)
		printf(", crc32 %08x", crc);
	printf("\n");
	return 0;
}

static int do_listen(void)
{
	struct sockaddr_in sa;
	if (resolve(o.host, o.port, &sa) < 0)
		return 1;
	int lfd = socket(AF_INET, o.udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	if (lfd < 0)
		return fail("socket");
	int one = 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return fail("bind");
	if (o.udp) {
		printf("nc: listening on udp %s:%d\n", o.host, o.port);
		fflush(stdout);
		return udp_serve(lfd);
	}
	if (listen(lfd, 16) < 0)
		return fail("listen");
	printf("nc: listening on tcp %s:%d\n", o.host, o.port);
	fflush(stdout);
	int rc = 0;
	do {
		struct sockaddr_in peer;
		socklen_t pl = sizeof(peer);
		if (wait_fd(lfd, POLLIN) < 0)
			return fail("accept");
		int fd = accept(lfd, (struct sockaddr *)&peer, &pl);
		if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (fd < 0)
			return fail("accept");
		if (o.verbose) {
			char s[40];
			fprintf(stderr, "nc: connection from %s\n",
				addr_str(&peer, s, sizeof(s)));
		}
		rc = tcp_run(fd);
		close(fd);
		fflush(stdout);
	} while (o.keep);
	close(lfd);
	return rc;
}

static int do_connect(void)
{
	struct sockaddr_in sa;
	if (resolve(o.host, o.port, &sa) < 0)
		return 1;
	int fd = socket(AF_INET, o.udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	if (fd < 0)
		return fail("socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return fail("connect");
	if (o.verbose) {
		char s[40];
		fprintf(stderr, "nc: connected to %s\n",
			addr_str(&sa, s, sizeof(s)));
	}
	int rc = o.udp ? relay(fd, &sa) : tcp_run(fd);
	close(fd);
	return rc;
}

int main(int argc, char **argv)
{
	char err[512];
	if (nc_parse(argc, argv, &o, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	return o.listen ? do_listen() : do_connect();
}
