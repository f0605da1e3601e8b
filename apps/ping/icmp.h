/* ping's pure half: ICMP echo messages (RFC 792) and the round-trip
 * statistics. No system calls; host-tested in tests/host/test_net_ping.c. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ICMP_ECHO_REPLY	  0
#define ICMP_ECHO_REQUEST 8
#define ICMP_HDR	  8

/* The Internet checksum (one's complement sum of 16-bit words). */
uint16_t icmp_cksum(const void *buf, size_t n);

/* An echo request: header + payload of `size` bytes (the first 8 hold
 * the send time in ns, the rest a pattern). Returns the length, or 0 if
 * cap is too small. */
size_t icmp_echo_build(uint8_t *buf, size_t cap, uint16_t id, uint16_t seq,
		       uint64_t sent_ns, size_t size);

struct icmp_echo {
	uint8_t type;
	uint16_t id, seq;
	uint64_t sent_ns; /* from the payload (0 if too short) */
	uint8_t ttl;	  /* from the IPv4 header, 0 if none */
	size_t size;	  /* payload bytes */
};

/* Parses an echo reply. The buffer may start with an IPv4 header (raw
 * sockets on Linux deliver it) or with the ICMP header (ping sockets):
 * has_ip says which is expected (-1: guess from the first byte).
 * 0 ok; -1 not an echo reply, too short or a bad checksum. */
int icmp_echo_parse(const uint8_t *buf, size_t n, int has_ip,
		    struct icmp_echo *e);

struct ping_stats {
	uint32_t sent, received;
	uint64_t min_ns, max_ns, sum_ns;
	double sum_sq; /* ns^2, for the deviation */
};
void ping_stats_add(struct ping_stats *s, uint64_t rtt_ns);
/* "rtt min/avg/max/mdev = 0.123/0.456/0.789/0.012 ms" and the loss line,
 * as Linux's ping prints them. */
int ping_stats_fmt(char *buf, size_t cap, const struct ping_stats *s,
		   const char *host, uint64_t elapsed_ns);
