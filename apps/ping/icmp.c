/* ICMP echo building and parsing, round-trip statistics (icmp.h). */
#include "icmp.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

uint16_t icmp_cksum(const void *buf, size_t n)
{
	const uint8_t *p = buf;
	uint32_t sum = 0;
	while (n > 1) {
		sum += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		n -= 2;
	}
	if (n)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

size_t icmp_echo_build(uint8_t *buf, size_t cap, uint16_t id, uint16_t seq,
		       uint64_t sent_ns, size_t size)
{
	if (size > 65507 - ICMP_HDR || cap < ICMP_HDR + size)
		return 0;
	memset(buf, 0, ICMP_HDR);
	buf[0] = ICMP_ECHO_REQUEST;
	put16(buf + 4, id);
	put16(buf + 6, seq);
	for (size_t i = 0; i < size; i++)
		buf[ICMP_HDR + i] = (uint8_t)(i + 0x10);
	if (size >= 8)
		memcpy(buf + ICMP_HDR, &sent_ns, 8);
	put16(buf + 2, icmp_cksum(buf, ICMP_HDR + size));
	return ICMP_HDR + size;
}

int icmp_echo_parse(const uint8_t *buf, size_t n, int has_ip,
		    struct icmp_echo *e)
{
	memset(e, 0, sizeof(*e));
	if (has_ip < 0)
		has_ip = n >= 20 && (buf[0] >> 4) == 4 && (buf[0] & 15) >= 5;
	if (has_ip) {
		if (n < 20 || (buf[0] >> 4) != 4)
			return -1;
		size_t ihl = (size_t)(buf[0] & 15) * 4;
		if (ihl < 20 || n < ihl || buf[9] != 1 /* ICMP */)
			return -1;
		e->ttl = buf[8];
		buf += ihl;
		n -= ihl;
	}
	if (n < ICMP_HDR || buf[0] != ICMP_ECHO_REPLY || buf[1] != 0)
		return -1;
	if (icmp_cksum(buf, n) != 0)
		return -1;
	e->type = buf[0];
	e->id = get16(buf + 4);
	e->seq = get16(buf + 6);
	e->size = n - ICMP_HDR;
	if (e->size >= 8)
		memcpy(&e->sent_ns, buf + ICMP_HDR, 8);
	return 0;
}

void ping_stats_add(struct ping_stats *s, uint64_t rtt_ns)
{
	if (!s->received || rtt_ns < s->min_ns)
		s->min_ns = rtt_ns;
	if (rtt_ns > s->max_ns)
		s->max_ns = rtt_ns;
	s->received++;
	s->sum_ns += rtt_ns;
	s->sum_sq += (double)rtt_ns * (double)rtt_ns;
}

int ping_stats_fmt(char *buf, size_t cap, const struct ping_stats *s,
		   const char *host, uint64_t elapsed_ns)
{
	unsigned loss =
		s->sent ? (unsigned)((s->sent - s->received) * 100ull / s->sent)
			: 0;
	int n = snprintf(buf, cap,
			 "--- %s ping statistics ---\n"
			 "%u packets transmitted, %u received, %u%% packet "
			 "loss, time %llums\n",
			 host, s->sent, s->received, loss,
			 (unsigned long long)(elapsed_ns / 1000000));
	if (n < 0 || (size_t)n >= cap || !s->received)
		return n;
	double avg = (double)s->sum_ns / s->received;
	double var = s->sum_sq / s->received - avg * avg;
	double mdev = var > 0 ? sqrt(var) : 0;
	int m = snprintf(buf + n, cap - (size_t)n,
			 "rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n",
			 (double)s->min_ns / 1e6, avg / 1e6,
			 (double)s->max_ns / 1e6, mdev / 1e6);
	return m < 0 ? m : n + m;
}
