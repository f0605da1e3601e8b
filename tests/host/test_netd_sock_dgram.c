/* netd's socket service, datagram sockets over lwIP's loopback: UDP
 * records both ways with their addresses and payloads intact (sizes
 * that make the rings wrap), a full rx ring dropping and counting,
 * connected UDP, raw ICMP (ping 127.0.0.1 sees lwIP's echo reply with
 * the IP header) and ICMP ping sockets (no header, checksum by netd). */
#include <string.h>

#include "harness.h"
#include "netd_sock_fix.h"

static void fill(uint8_t *b, uint32_t n, uint32_t seed)
{
	for (uint32_t i = 0; i < n; i++)
		b[i] = (uint8_t)(seed * 31u + i * 7u);
}

TEST(netd_sock_udp_records_intact)
{
	CHECK_EQ(nx_setup(0), 0);
	struct nx_conn c;
	CHECK_EQ(nx_connect(&c), 0);
	struct nx_sock a, b;
	CHECK_EQ(nx_socket(&c, 2, 0, &a), 0);
	CHECK_EQ(nx_socket(&c, 2, 17, &b), 0);
	CHECK_EQ(a.type, 2);
	CHECK_EQ(nx_bind(&a, 9001), 0);
	CHECK_EQ(nx_bind(&b, 9002), 0);
	CHECK_EQ(nx_bind(&b, 9003), -22); /* bound already */
	struct net_addr to_b = nx_addr(127, 0, 0, 1, 9002);
	struct net_addr to_a = nx_addr(127, 0, 0, 1, 9001);
	static uint8_t buf[9000], got[9000];
	uint32_t recv = 0;
	for (uint32_t i = 0; i < 3000; i++) {
		uint32_t n = 1 + (i * 389u) % 1471u;
		if (i % 100 == 7)
			n = 8000; /* larger than the loopback's frames */
		fill(buf, n, i);
		CHECK(nx_sendto(&a, buf, n, &to_b));
		nx_run(1);
		struct net_addr from;
		int r = nx_recvfrom(&b, got, sizeof(got), &from);
		CHECK_EQ(r, (int)n);
		CHECK(!memcmp(got, buf, n));
		CHECK_EQ(from.port, to_a.port);
		CHECK_EQ(from.addr[0], 127);
		/* and back */
		CHECK(nx_sendto(&b, got, (uint32_t)r, &from));
		nx_run(1);
		CHECK_EQ(nx_recvfrom(&a, got, sizeof(got), NULL), (int)n);
		CHECK(!memcmp(got, buf, n));
		recv++;
	}
	CHECK_EQ(recv, 3000);
	/* Nobody reads b: the ring fills, the rest is dropped. */
	memset(buf, 1, 1000);
	CHECK_EQ(b.rx_size, 4 * NET_RING_DEFAULT); /* UDP: 256 KiB */
	uint32_t sent = 0;
	for (uint32_t i = 0; i < 400; i++) {
		if (nx_sendto(&a, buf, 1000, &to_b))
			sent++;
		nx_run(1);
	}
	CHECK_EQ(sent, 400);
	int n = 0;
	while (nx_recvfrom(&b, got, sizeof(got), NULL) == 1000)
		n++;
	CHECK(n > 200 && n < 260); /* 256 KiB of 1,032-byte records */
	struct sock_stats st;
	sock_get_stats(&st);
	CHECK_EQ(st.dgram_drops, 400 - (uint64_t)n);
	CHECK_EQ(nx_recvfrom(&b, got, sizeof(got), NULL), -1);
	nx_disconnect(&c);
	CHECK_EQ(nx_teardown(), 0);
}

TEST(netd_sock_udp_connected_peer)
{
	CHECK_EQ(nx_setup(0), 0);
	struct nx_conn c;
	CHECK_EQ(nx_connect(&c), 0);
	struct nx_sock a, b, x;
	CHECK_EQ(nx_socket(&c, 2, 0, &a), 0);
	CHECK_EQ(nx_socket(&c, 2, 0, &b), 0);
	CHECK_EQ(nx_socket(&c, 2, 0, &x), 0);
	CHECK_EQ(nx_bind(&b, 9011), 0);
	CHECK_EQ(nx_bind(&x, 9012), 0);
	CHECK_EQ(nx_req(&c, NET_GETNAME, a.id, 1, 0, 0, NULL, 0, NULL), -107);
	CHECK_EQ(nx_connect_to(&a, 9011), 0);
	CHECK(nx_state(&a) & NET_ST_CONNECTED);
	CHECK_EQ(nx_req(&c, NET_GETNAME, a.id, 1, 0, 0, NULL, 0, NULL), 0);
	struct net_addr p;
	memcpy(&p, nx_ans.data, sizeof(p));
	CHECK_EQ(p.port, nx_addr(0, 0, 0, 0, 9011).port);
	/* AF_UNSPEC destination: the connected peer. */
	CHECK(nx_sendto(&a, "ping", 4, NULL));
	nx_run(2);
	char g[8];
	struct net_addr from;
	CHECK_EQ(nx_recvfrom(&b, g, sizeof(g), &from), 4);
	CHECK(!memcmp(g, "ping", 4));
	/* A connected socket takes datagrams from its peer only. */
	struct net_addr to_a = from;
	CHECK(nx_sendto(&x, "zzz", 3, &to_a));
	CHECK(nx_sendto(&b, "pong", 4, &to_a));
	nx_run(2);
	CHECK_EQ(nx_recvfrom(&a, g, sizeof(g), NULL), 4);
	CHECK_EQ(nx_recvfrom(&a, g, sizeof(g), NULL), -1);
	/* Disconnect: no peer, AF_UNSPEC sends are dropped. */
	struct net_addr un = {.family = 0};
	CHECK_EQ(nx_req(&c, NET_CONNECT_TO, a.id, 0, 0, 0, &un, sizeof(un),
			NULL),
		 0);
	CHECK(!(nx_state(&a) & NET_ST_CONNECTED));
	CHECK(nx_sendto(&a, "lost", 4, NULL));
	nx_run(2);
	CHECK_EQ(nx_recvfrom(&b, g, sizeof(g), NULL), -1);
	CHECK_EQ(a.shm->tx_tail, a.shm->tx_head);
	nx_disconnect(&c);
	CHECK_EQ(nx_teardown(), 0);
}

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

TEST(netd_sock_raw_icmp_ping_loopback)
{
	CHECK_EQ(nx_setup(0), 0);
	struct nx_conn c;
	CHECK_EQ(nx_connect_via(&c, NX_RAW_BADGE), 0); /* the raw right */
	struct nx_sock r, d;
	CHECK_EQ(nx_socket(&c, 3, 0, &r), -93); /* raw needs a protocol */
	CHECK_EQ(nx_socket(&c, 3, 1, &r), 0);
	uint8_t echo[64] = {8, 0, 0, 0, 0x12, 0x34, 0, 1};
	for (int i = 8; i < 64; i++)
		echo[i] = (uint8_t)i;
	uint16_t ck = csum(echo, sizeof(echo));
	memcpy(echo + 2, &ck, 2);
	struct net_addr lo = nx_addr(127, 0, 0, 1, 0);
	CHECK(nx_sendto(&r, echo, sizeof(echo), &lo));
	nx_run(3);
	/* Raw sockets see every ICMP packet: our request, then the reply,
	 * each with its IPv4 header (as on Linux). */
	uint8_t g[256];
	bool reply = false;
	int n;
	while ((n = nx_recvfrom(&r, g, sizeof(g), NULL)) > 0) {
		CHECK_EQ(g[0], 0x45);
		CHECK_EQ(g[9], 1);
		CHECK_EQ(n, 20 + 64);
		if (g[20] == 0) {
			reply = true;
			CHECK(!memcmp(g + 24, echo + 4, 60));
		}
	}
	CHECK(reply);
	/* Ping socket: no IP header, replies only, netd sums. */
	CHECK_EQ(nx_socket(&c, 2, 1, &d), 0);
	CHECK_EQ(d.type, 2);
	echo[2] = echo[3] = 0xff; /* wrong: netd puts the right one */
	CHECK(nx_sendto(&d, echo, sizeof(echo), &lo));
	nx_run(3);
	CHECK_EQ(nx_recvfrom(&d, g, sizeof(g), NULL), 64);
	CHECK_EQ(g[0], 0);
	CHECK(!memcmp(g + 6, echo + 6, 58)); /* the id is the socket's */
	CHECK_EQ(nx_recvfrom(&d, g, sizeof(g), NULL), -1);
	struct sock_stats st;
	sock_get_stats(&st);
	CHECK_EQ(st.raw_active, 2);
	nx_disconnect(&c);
	CHECK_EQ(nx_teardown(), 0);
}

/* A receive-only socket whose client reads without ringing (the runtime
 * rings only after sends): netd takes a fresh rx_tail when the ring
 * looks full, so nothing is lost to a stale one (REVIEW-17 F1). */
TEST(netd_sock_udp_receive_only_keeps_receiving)
{
	CHECK_EQ(nx_setup(0), 0);
	struct nx_conn c, sender;
	CHECK_EQ(nx_connect(&c), 0);
	CHECK_EQ(nx_connect(&sender), 0); /* its doorbell is another group */
	CHECK(sender.db_bits != c.db_bits);
	struct nx_sock a, b;
	CHECK_EQ(nx_socket(&sender, 2, 0, &a), 0);
	CHECK_EQ(nx_socket(&c, 2, 0, &b), 0);
	CHECK_EQ(nx_bind(&b, 9041), 0);
	struct net_addr to = nx_addr(127, 0, 0, 1, 9041);
	static uint8_t buf[1024];
	int got = 0;
	for (int burst = 0; burst < 40; burst++) {
		for (int i = 0; i < 20; i++)
			CHECK(nx_sendto(&a, buf, sizeof(buf), &to));
		nx_run(3);
		nx_quiet_reads = true;
		while (nx_recvfrom(&b, buf, sizeof(buf), NULL) == 1024)
			got++;
		nx_quiet_reads = false;
	}
	CHECK_EQ(got, 800);
	nx_disconnect(&sender);
	nx_disconnect(&c);
	CHECK_EQ(nx_teardown(), 0);
}

/* A client that sends and closes (or exits) before netd saw its
 * doorbell: the records already in the tx ring still go out (nc -u
 * --echo -c N lost its last echoes this way under load). */
TEST(netd_sock_udp_records_before_close_are_sent)
{
	CHECK_EQ(nx_setup(0), 0);
	struct nx_conn c, d;
	CHECK_EQ(nx_connect(&c), 0);
	CHECK_EQ(nx_connect(&d), 0);
	struct nx_sock rx, tx, tx2;
	CHECK_EQ(nx_socket(&c, 2, 0, &rx), 0);
	CHECK_EQ(nx_bind(&rx, 9051), 0);
	CHECK_EQ(nx_socket(&d, 2, 0, &tx), 0);
	CHECK_EQ(nx_socket(&d, 2, 0, &tx2), 0);
	struct net_addr to = nx_addr(127, 0, 0, 1, 9051);
	/* Records without ringing (the doorbell is still pending). */
	uint64_t save = d.db_bits;
	d.db_bits = 0; /* nx_sendto rings nothing */
	for (int i = 0; i < 5; i++)
		CHECK(nx_sendto(&tx, "abcd", 4, &to));
	CHECK(nx_sendto(&tx2, "efgh", 4, &to));
	d.db_bits = save;
	CHECK_EQ(nx_close(&tx), 0);
	nx_disconnect(&d); /* tx2: its process exits */
	nx_run(3);
	uint8_t g[16];
	int n = 0;
	while (nx_recvfrom(&rx, g, sizeof(g), NULL) == 4)
		n++;
	CHECK_EQ(n, 6);
	nx_disconnect(&c);
	CHECK_EQ(nx_teardown(), 0);
}
