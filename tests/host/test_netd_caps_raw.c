/* netd's socket service: raw sockets need a right, ping sockets see
 * only their own echo replies (REVIEW-17 F14). A raw IPv4 socket is
 * allowed only on a connection made through the raw endpoint (netd's
 * /drv/netd-raw, which only a manifest hands out; Linux's CAP_NET_RAW);
 * a Linux-style ping socket (SOCK_DGRAM + IPPROTO_ICMP) needs nothing
 * but gets its own echo id, as Linux binds it like a port. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "netd_sock_fix.h"

static uint16_t csum(const uint8_t *b, uint32_t n)
{
	uint32_t s = 0;
	for (uint32_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] | b[i + 1] << 8);
	if (n & 1)
		s += b[n - 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* An echo request with id/seq (checksum right for a raw socket). */
static void echo_req(uint8_t *e, uint32_t n, uint16_t id, uint16_t seq)
{
	memset(e, 0, n);
	e[0] = 8;
	e[4] = (uint8_t)(id >> 8);
	e[5] = (uint8_t)id;
	e[6] = (uint8_t)(seq >> 8);
	e[7] = (uint8_t)seq;
	for (uint32_t i = 8; i < n; i++)
		e[i] = (uint8_t)i;
	uint16_t ck = csum(e, n);
	memcpy(e + 2, &ck, 2);
}

static uint16_t local_port(struct nx_sock *s)
{
	if (nx_req(s->c, NET_GETNAME, s->id, 0, 0, 0, NULL, 0, NULL))
		return 0;
	struct net_addr a;
	memcpy(&a, nx_ans.data, sizeof(a));
	return (uint16_t)(a.port >> 8 | a.port << 8);
}

TEST(netd_caps_raw_sockets_need_the_right)
{
	CHECK_EQ(nx_setup(0), 0);
	struct nx_conn pub, raw;
	nx_sender = 42;
	CHECK_EQ(nx_connect(&pub), 0);
	struct nx_sock s;
	CHECK_EQ(nx_socket(&pub, 3, 1, &s), -1); /* EPERM: ping falls back */
	CHECK_EQ(nx_socket(&pub, 3, 17 + 100, &s), -1);
	CHECK_EQ(nx_socket(&pub, 2, 1, &s), 0); /* a ping socket: allowed */
	/* The same task through the raw endpoint: allowed there only. */
	CHECK_EQ(nx_connect_via(&raw, NX_RAW_BADGE), 0);
	struct nx_sock r;
	CHECK_EQ(nx_socket(&raw, 3, 1, &r), 0);
	CHECK_EQ(nx_socket(&pub, 3, 1, &s), -1);
	/* Only NET_CONNECT on the raw endpoint. */
	CHECK_EQ(nx_req(&(struct nx_conn){.badge = NX_RAW_BADGE}, NET_SOCKET, 0,
			2, 3, 1, NULL, 0, NULL),
		 -9);
	nx_disconnect(&pub);
	nx_disconnect(&raw);
	CHECK_EQ(nx_teardown(), 0);
}

TEST(netd_caps_ping_sockets_see_only_their_id)
{
	CHECK_EQ(nx_setup(0), 0);
	struct nx_conn a, b; /* two tasks */
	nx_sender = 42;
	CHECK_EQ(nx_connect(&a), 0);
	nx_sender = 43;
	CHECK_EQ(nx_connect(&b), 0);
	struct nx_sock d1, d2;
	CHECK_EQ(nx_socket(&a, 2, 1, &d1), 0);
	CHECK_EQ(nx_socket(&b, 2, 1, &d2), 0);
	uint16_t id1 = local_port(&d1), id2 = local_port(&d2);
	fprintf(stderr, "    echo ids %u and %u\n", id1, id2);
	CHECK(id1 != 0);
	CHECK(id2 != 0);
	CHECK(id1 != id2);
	/* d1 pings with another task's id: netd writes in d1's. */
	struct net_addr lo = nx_addr(127, 0, 0, 1, 0);
	uint8_t e[64], g[256];
	echo_req(e, sizeof(e), id2, 7);
	CHECK(nx_sendto(&d1, e, sizeof(e), &lo));
	nx_run(3);
	CHECK_EQ(nx_recvfrom(&d1, g, sizeof(g), NULL), 64);
	CHECK_EQ(g[0], 0);
	CHECK_EQ(g[4] << 8 | g[5], id1);
	CHECK_EQ(g[7], 7);
	CHECK_EQ(nx_recvfrom(&d1, g, sizeof(g), NULL), -1);
	CHECK_EQ(nx_recvfrom(&d2, g, sizeof(g), NULL), -1);
	/* Not an echo request: a ping socket does not send it. */
	struct sock_stats st0, st;
	sock_get_stats(&st0);
	e[0] = 13; /* timestamp */
	CHECK(nx_sendto(&d2, e, sizeof(e), &lo));
	nx_run(3);
	sock_get_stats(&st);
	CHECK_EQ(st.dgram_drops, st0.dgram_drops + 1);
	/* bind() picks an id like a port: taken ones are EADDRINUSE. */
	struct net_addr at = nx_addr(0, 0, 0, 0, id1);
	CHECK_EQ(nx_req(&b, NET_BIND, d2.id, 0, 0, 0, &at, sizeof(at), NULL),
		 -98);
	CHECK_EQ(nx_close(&d1), 0); /* its id is free again */
	CHECK_EQ(nx_req(&b, NET_BIND, d2.id, 0, 0, 0, &at, sizeof(at), NULL),
		 0);
	CHECK_EQ(local_port(&d2), id1);
	echo_req(e, sizeof(e), 1, 9);
	CHECK(nx_sendto(&d2, e, sizeof(e), &lo));
	nx_run(3);
	CHECK_EQ(nx_recvfrom(&d2, g, sizeof(g), NULL), 64);
	CHECK_EQ(g[4] << 8 | g[5], id1);
	CHECK_EQ(g[7], 9);
	nx_disconnect(&a);
	nx_disconnect(&b);
	CHECK_EQ(nx_teardown(), 0);
}
