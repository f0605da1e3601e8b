/* ping: ICMP echo (docs/net-programs.md).
 *   ping [-c COUNT] [-i INTERVAL_MS] [-W TIMEOUT_MS] [-s SIZE] HOST
 * A raw ICMP socket (socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)); on a Linux
 * host without CAP_NET_RAW it falls back to a ping socket (SOCK_DGRAM),
 * where the kernel picks the id. One line per reply with its round trip,
 * then the summary. Exit status: 0 some replies, 1 none, 2 usage. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "icmp.h"

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int usage(void)
{
	fprintf(stderr, "usage: ping [-c COUNT] [-i INTERVAL_MS] "
			"[-W TIMEOUT_MS] [-s SIZE] HOST\n");
	return 2;
}

static uint8_t pkt[65536], rbuf[65536];

int main(int argc, char **argv)
{
	long count = 4, interval = 1000, wait_ms = 2000, size = 56;
	const char *host = NULL;
	for (int i = 1; i < argc; i++) {
		long *opt = NULL;
		if (!strcmp(argv[i], "-c"))
			opt = &count;
		else if (!strcmp(argv[i], "-i"))
			opt = &interval;
		else if (!strcmp(argv[i], "-W"))
			opt = &wait_ms;
		else if (!strcmp(argv[i], "-s"))
			opt = &size;
		if (opt) {
			char *end;
			if (i + 1 >= argc)
				return usage();
			*opt = strtol(argv[++i], &end, 10);
			if (*end || *opt < 0)
				return usage();
		} else if (argv[i][0] == '-' || host) {
			return usage();
		} else {
			host = argv[i];
		}
	}
	if (!host || count < 1 || size > 65000 || wait_ms < 1)
		return usage();
	struct addrinfo hints = {0}, *res = NULL;
	hints.ai_family = AF_INET;
	int e = getaddrinfo(host, NULL, &hints, &res);
	if (e || !res) {
		fprintf(stderr, "ping: %s: %s\n", host, gai_strerror(e));
		return 1;
	}
	struct sockaddr_in to;
	memcpy(&to, res->ai_addr, sizeof(to));
	freeaddrinfo(res);
	int has_ip = 1;
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (fd < 0 && (errno == EPERM || errno == EACCES)) {
		fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
		has_ip = 0;
	}
	if (fd < 0) {
		fprintf(stderr, "ping: socket: %s\n", strerror(errno));
		return 1;
	}
	if (has_ip)
		has_ip = -1; /* raw: Linux gives the IP header; guess */
	char ip[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &to.sin_addr, ip, sizeof(ip));
	printf("PING %s (%s) %ld(%ld) bytes of data.\n", host, ip, size,
	       size + 28);
	fflush(stdout);
	uint16_t id = (uint16_t)(getpid() ^ (now_ns() >> 10));
	struct ping_stats st = {0};
	uint64_t start = now_ns();
	for (long seq = 1; seq <= count; seq++) {
		uint64_t t0 = now_ns();
		size_t n = icmp_echo_build(pkt, sizeof(pkt), id, (uint16_t)seq,
					   t0, (size_t)size);
		if (sendto(fd, pkt, n, 0, (struct sockaddr *)&to, sizeof(to)) <
		    0) {
			fprintf(stderr, "ping: sendto: %s\n", strerror(errno));
			st.sent++;
		} else {
			st.sent++;
		}
		/* Wait for this one's reply; the gap to the next send is
		 * the interval (or the timeout, if longer). */
		uint64_t until = t0 + (uint64_t)wait_ms * 1000000ull;
		bool got = false;
		while (!got) {
			uint64_t now = now_ns();
			if (now >= until)
				break;
			struct pollfd p = {fd, POLLIN, 0};
			int r = poll(&p, 1, (int)((until - now) / 1000000) + 1);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t m = recvfrom(fd, rbuf, sizeof(rbuf), 0,
					     (struct sockaddr *)&from, &fl);
			uint64_t t1 = now_ns();
			struct icmp_echo ec;
			if (m < 0 ||
			    icmp_echo_parse(rbuf, (size_t)m, has_ip, &ec) < 0)
				continue;
			/* A ping socket rewrites the id: match the seq. */
			if ((has_ip && ec.id != id) || ec.seq != (uint16_t)seq)
				continue;
			uint64_t rtt = t1 - t0;
			ping_stats_add(&st, rtt);
			char fip[INET_ADDRSTRLEN];
			inet_ntop(AF_INET, &from.sin_addr, fip, sizeof(fip));
			printf("%zu bytes from %s: icmp_seq=%u", ec.size + 8,
			       fip, ec.seq);
			if (ec.ttl)
				printf(" ttl=%u", ec.ttl);
			printf(" time=%.3f ms\n", (double)rtt / 1e6);
			fflush(stdout);
			got = true;
		}
		if (seq < count) {
			uint64_t next = t0 + (uint64_t)interval * 1000000ull;
			uint64_t now = now_ns();
			if (next > now) {
				struct timespec ts = {
					(time_t)((next - now) / 1000000000ull),
					(long)((next - now) % 1000000000ull)};
				nanosleep(&ts, NULL);
			}
		}
	}
	char sum[256];
	ping_stats_fmt(sum, sizeof(sum), &st, host, now_ns() - start);
	printf("\n%s", sum);
	close(fd);
	return st.received ? 0 : 1;
}
