/* review17 F12 (/work/coord/REVIEW-17.md): a remote peer pins lwIP's
 * whole PBUF_POOL through ONE established connection that a program has
 * not accepted yet: every 1-byte segment keeps its whole pool pbuf (one
 * frame each, 1536 bytes) in the pending connection's queue
 * (sock_tcp_lsn.c pend_recv_cb), so 1024 tiny segments leave netd unable to
 * receive any frame, for every client. A correct netd still answers a
 * ping afterwards. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lwip/inet_chksum.h"
#include "lwip/memp.h"
#include "lwip/stats.h"
#include "netd_args.h"
#include "netd_dev.h"
#include "netd_fix.h"
#include "netd_if.h"
#include "netd_sock_fix.h"
#include "netring/netring.h"

#define NSLOTS 64
#define NRX    32

static const uint8_t my_mac[6] = {0x52, 0x54, 0, 9, 9, 8};
static const uint8_t my_ip[4] = {10, 7, 0, 2};
static const uint8_t peer_mac[6] = {0x52, 0x54, 0, 1, 2, 3};
static const uint8_t peer_ip[4] = {10, 7, 0, 1};
static struct netring drv;
static struct netd_dev *dev;
static void *mem;
static uint32_t synack_seq;
static bool synack_seen;
static uint32_t echo_replies;

static void be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
	be16(p, (uint16_t)(v >> 16));
	be16(p + 2, (uint16_t)v);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* What netd transmits: the SYN-ACK's sequence number, echo replies. */
static void drain_tx(void)
{
	struct netdev_ent e;
	while (netring_get(&drv, NETRING_TX_READY, &e) == 1) {
		const uint8_t *f = netring_slot(&drv, e.slot);
		if (e.len >= 54 && f[12] == 8 && f[13] == 0 && f[23] == 6 &&
		    (f[47] & 0x12) == 0x12) {
			synack_seq = rd32(f + 38);
			synack_seen = true;
		}
		if (e.len >= 42 && f[12] == 8 && f[13] == 0 && f[23] == 1 &&
		    f[34] == 0)
			echo_replies++;
		netring_put(&drv, NETRING_TX_DONE, e.slot, 0);
	}
}

static int deliver(const uint8_t *f, uint32_t len)
{
	struct netdev_ent e;
	uint32_t s = NSLOTS;
	for (uint32_t i = 0; i < NRX && s == NSLOTS; i++)
		if (netring_owns(&drv, i))
			s = i;
	if (s == NSLOTS) {
		if (netring_get(&drv, NETRING_RX_FREE, &e) != 1)
			return -1;
		s = e.slot;
	}
	memcpy(netring_slot(&drv, s), f, len);
	if (netring_put(&drv, NETRING_RX_READY, s, len) < 0)
		return -1;
	netd_dev_service(dev);
	drain_tx();
	return 0;
}

static void eth_ip(uint8_t *f, uint8_t proto, const uint8_t src[4],
		   uint16_t ip_len)
{
	memcpy(f, my_mac, 6);
	memcpy(f + 6, peer_mac, 6);
	be16(f + 12, 0x0800);
	uint8_t *ip = f + 14;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	be16(ip + 2, ip_len);
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, my_ip, 4);
	uint16_t sum = inet_chksum(ip, 20);
	memcpy(ip + 10, &sum, 2);
}

/* A TCP segment from peer_ip:sport to port 80 with n payload bytes. */
static uint32_t seg(uint8_t *f, uint16_t sport, uint32_t seq, uint32_t ack,
		    uint8_t flags, const uint8_t *data, uint16_t n)
{
	eth_ip(f, 6, peer_ip, (uint16_t)(40 + n));
	uint8_t *t = f + 34;
	memset(t, 0, 20);
	be16(t, sport);
	be16(t + 2, 80);
	be32(t + 4, seq);
	be32(t + 8, ack);
	t[12] = 5 << 4;
	t[13] = flags;
	be16(t + 14, 65535);
	if (n)
		memcpy(t + 20, data, n);
	static uint8_t ph[12 + 20 + 1500];
	memcpy(ph, peer_ip, 4);
	memcpy(ph + 4, my_ip, 4);
	ph[8] = 0;
	ph[9] = 6;
	be16(ph + 10, (uint16_t)(20 + n));
	memcpy(ph + 12, t, 20u + n);
	uint16_t sum = inet_chksum(ph, (u16_t)(12 + 20 + n));
	memcpy(t + 16, &sum, 2);
	return 54u + n;
}

static uint32_t arp_request(uint8_t *f)
{
	memset(f, 0xff, 6);
	memcpy(f + 6, peer_mac, 6);
	be16(f + 12, 0x0806);
	uint8_t *a = f + 14;
	be16(a, 1);
	be16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	be16(a + 6, 1);
	memcpy(a + 8, peer_mac, 6);
	memcpy(a + 14, peer_ip, 4);
	memset(a + 18, 0, 6);
	memcpy(a + 24, my_ip, 4);
	return 42;
}

static struct nx_conn v;
static struct nx_sock lsn;

/* netd's socket service with a listener on ANY:80 (never accepting) and
 * the fake device on eth0 10.7.0.2/16; 0 or -1. */
static int setup(void)
{
	if (nx_setup(0) || nx_connect(&v) || nx_socket(&v, 1, 0, &lsn))
		return -1;
	struct net_addr any = nx_addr(0, 0, 0, 0, 80);
	if (nx_req(&v, NET_BIND, lsn.id, 0, 0, 0, &any, sizeof(any), NULL) ||
	    nx_listen(&lsn, 8))
		return -1;
	size_t size = netring_region_size(NSLOTS);
	mem = aligned_alloc(4096, size);
	if (!mem || netring_format(mem, size, NSLOTS, NRX) ||
	    netring_open(&drv, mem, size, NSLOTS, NRX, NETRING_DRIVER))
		return -1;
	netring_set_link(&drv, true);
	struct netdev_attach at = {.mtu = 1500,
				   .nslots = NSLOTS,
				   .nrx = NRX,
				   .region_size = (uint32_t)size};
	memcpy(at.mac, my_mac, 6);
	int err = 0;
	dev = netd_dev_open(mem, size, &at, &err);
	if (!dev)
		return -1;
	drain_tx();
	nx_run(100);
	drain_tx();
	synack_seen = false;
	return 0;
}

static void body(void)
{
	static uint8_t f[2048];
	CHECK_EQ(setup(), 0);
	CHECK_EQ(deliver(f, arp_request(f)), 0); /* netd learns our MAC */
	uint32_t iss = 1000;
	CHECK_EQ(deliver(f, seg(f, 40000, iss, 0, 0x02, NULL, 0)), 0);
	nx_run(2);
	drain_tx();
	CHECK(synack_seen);
	CHECK_EQ(deliver(f,
			 seg(f, 40000, iss + 1, synack_seq + 1, 0x10, NULL, 0)),
		 0);
	nx_run(2);
	CHECK(nx_state(&lsn) & NET_ST_ACCEPTABLE);
	/* 1100 one-byte segments, in order, inside the window. */
	uint32_t pool0 = lwip_stats.memp[MEMP_PBUF_POOL]->used;
	for (uint32_t i = 0; i < 1100; i++) {
		uint8_t b = (uint8_t)i;
		CHECK_EQ(deliver(f, seg(f, 40000, iss + 1 + i, synack_seq + 1,
					0x18, &b, 1)),
			 0);
		if (i % 64 == 63)
			nx_run(1);
	}
	nx_run(10);
	fprintf(stderr,
		"    pool pbufs in use %u -> %u of %u (err %u), 1100 bytes "
		"queued\n",
		pool0, (unsigned)lwip_stats.memp[MEMP_PBUF_POOL]->used,
		(unsigned)lwip_stats.memp[MEMP_PBUF_POOL]->avail,
		(unsigned)lwip_stats.memp[MEMP_PBUF_POOL]->err);
	/* Anyone else: an echo request still gets its reply. */
	uint8_t other[4] = {10, 7, 0, 1};
	eth_ip(f, 1, other, 28);
	uint8_t *icmp = f + 34;
	memset(icmp, 0, 8);
	icmp[0] = 8;
	uint16_t sum = inet_chksum(icmp, 8);
	memcpy(icmp + 2, &sum, 2);
	echo_replies = 0;
	CHECK_EQ(deliver(f, 42), 0);
	nx_run(10);
	drain_tx();
	CHECK_EQ(echo_replies, 1);
	nx_disconnect(&v);
}

static void run(void (*fn)(void))
{
	netd_test_lwip();
	struct netd_args a = {.dns_port = 53, .nstatic = 1, .no_dhcp = true};
	strcpy(a.st[0].ifname, "eth0");
	memcpy(a.st[0].addr, my_ip, 4);
	a.st[0].prefix = 16;
	netd_if_setup(&a);
	fn();
	sock_fini(); /* aborts pending connections: the pool comes back */
	if (dev)
		netd_dev_close(dev);
	dev = NULL;
	free(mem);
	mem = NULL;
	struct netd_args plain = {.dns_port = 53};
	netd_if_setup(&plain);
}

TEST(review17_f12_one_pending_connection_pins_the_pbuf_pool)
{
	run(body);
	CHECK_EQ(nx_teardown(), 0);
}

/* F18: a handshake whose last ACK comes 1.7 s after the SYN (a loaded
 * host, QEMU's user net, a slow link) must still make a connection when
 * nothing floods the listener (its backlog is empty). */
static void slow_handshake(void)
{
	static uint8_t f[2048];
	CHECK_EQ(setup(), 0);
	CHECK_EQ(deliver(f, arp_request(f)), 0);
	uint32_t iss = 5000;
	CHECK_EQ(deliver(f, seg(f, 40001, iss, 0, 0x02, NULL, 0)), 0);
	nx_run(2);
	drain_tx();
	CHECK(synack_seen);
	nx_run(1700);
	drain_tx();
	CHECK_EQ(deliver(f,
			 seg(f, 40001, iss + 1, synack_seq + 1, 0x10, NULL, 0)),
		 0);
	nx_run(5);
	CHECK(nx_state(&lsn) & NET_ST_ACCEPTABLE);
	struct nx_sock s;
	CHECK_EQ(nx_accept(&lsn, &s, NULL), 0);
	nx_disconnect(&v);
}

TEST(review17_f18_slow_handshake_is_not_reaped)
{
	run(slow_handshake);
	CHECK_EQ(nx_teardown(), 0);
}
