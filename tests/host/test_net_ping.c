/* ping's pure half (apps/ping/icmp.c): echo requests with the RFC 1071
 * checksum, replies with and without an IPv4 header, damaged replies,
 * the summary lines. */
#include <stdlib.h>

#include "harness.h"
#include "icmp.h"

TEST(net_ping_checksum_rfc1071_example)
{
	/* RFC 1071 section 3's words: the sum is 0xddf2, the checksum its
	 * complement. */
	const uint8_t w[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	CHECK_EQ(icmp_cksum(w, sizeof(w)), (uint16_t)~0xddf2);
	const uint8_t odd[] = {0x12};
	CHECK_EQ(icmp_cksum(odd, 1), (uint16_t)~0x1200);
}

/* The reply a peer makes of a request: type 0, checksum fixed up. */
static size_t make_reply(uint8_t *out, const uint8_t *req, size_t n,
			 bool with_ip)
{
	size_t off = with_ip ? 20 : 0;
	if (with_ip) {
		memset(out, 0, 20);
		out[0] = 0x45;
		out[8] = 64;
		out[9] = 1;
	}
	memcpy(out + off, req, n);
	out[off] = 0;
	out[off + 2] = out[off + 3] = 0;
	uint16_t c = icmp_cksum(out + off, n);
	out[off + 2] = (uint8_t)(c >> 8);
	out[off + 3] = (uint8_t)c;
	return off + n;
}

TEST(net_ping_request_and_reply)
{
	uint8_t req[128], rep[160];
	size_t n = icmp_echo_build(req, sizeof(req), 0x1234, 7, 0xabcdef, 56);
	CHECK_EQ(n, 64);
	CHECK_EQ(req[0], ICMP_ECHO_REQUEST);
	CHECK_EQ(icmp_cksum(req, n), 0);
	struct icmp_echo e;
	for (int ip = 0; ip < 2; ip++) {
		size_t m = make_reply(rep, req, n, ip);
		CHECK_EQ(icmp_echo_parse(rep, m, -1, &e), 0);
		CHECK_EQ(e.id, 0x1234);
		CHECK_EQ(e.seq, 7);
		CHECK_EQ(e.sent_ns, 0xabcdef);
		CHECK_EQ(e.size, 56);
		CHECK_EQ(e.ttl, ip ? 64 : 0);
		CHECK_EQ(icmp_echo_parse(rep, m, ip, &e), 0);
		/* a flipped bit is refused */
		rep[m - 1] ^= 1;
		CHECK_EQ(icmp_echo_parse(rep, m, ip, &e), -1);
	}
	/* our own request (loopback raw sockets see it) is not a reply */
	CHECK_EQ(icmp_echo_parse(req, n, 0, &e), -1);
	CHECK_EQ(icmp_echo_build(req, 10, 1, 1, 0, 56), 0);
}

TEST(net_ping_truncated_and_garbage_never_read_past)
{
	uint8_t req[128], rep[160];
	size_t n = icmp_echo_build(req, sizeof(req), 1, 1, 0, 56);
	size_t m = make_reply(rep, req, n, true);
	struct icmp_echo e;
	for (size_t k = 0; k < m; k++) {
		uint8_t *cut = malloc(k ? k : 1);
		memcpy(cut, rep, k);
		int r = icmp_echo_parse(cut, k, 1, &e);
		free(cut);
		CHECK_EQ(r, -1);
	}
	rep[0] = 0x4f; /* header longer than the packet */
	CHECK_EQ(icmp_echo_parse(rep, 30, 1, &e), -1);
	srand(5);
	for (int i = 0; i < 20000; i++) {
		uint8_t *b = malloc(64);
		size_t len = (size_t)rand() % 64;
		for (size_t k = 0; k < len; k++)
			b[k] = (uint8_t)rand();
		icmp_echo_parse(b, len, -1, &e);
		free(b);
	}
}

TEST(net_ping_summary)
{
	struct ping_stats s = {0};
	s.sent = 4;
	ping_stats_add(&s, 1000000);
	ping_stats_add(&s, 3000000);
	ping_stats_add(&s, 2000000);
	char b[256];
	ping_stats_fmt(b, sizeof(b), &s, "10.0.2.2", 3005000000ull);
	STR_EQ(b, "--- 10.0.2.2 ping statistics ---\n"
		  "4 packets transmitted, 3 received, 25% packet loss, time "
		  "3005ms\n"
		  "rtt min/avg/max/mdev = 1.000/2.000/3.000/0.816 ms\n");
	struct ping_stats z = {.sent = 2};
	ping_stats_fmt(b, sizeof(b), &z, "h", 0);
	CHECK(strstr(b, "2 packets transmitted, 0 received, 100% packet loss"));
	CHECK(!strstr(b, "rtt"));
}
