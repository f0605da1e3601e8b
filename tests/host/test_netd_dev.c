/* netd's device glue (servers/netd/netd_dev.c, netd_if.c) over the host
 * lwIP, against a fake driver: this test is the driver side of a region
 * in its own memory (libnetring, NETRING_DRIVER). It puts frames on
 * rx_ready and reads what netd transmits: ARP answered, ICMP echo answered
 * with a correct checksum, a DHCP DISCOVER on an interface without
 * --static, the lowest free ethN name, and a driver that breaks the ring
 * protocol gets its interface dropped. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lwip/inet_chksum.h"
#include "netd_dev.h"
#include "netd_fix.h"
#include "netd_if.h"
#include "netring/netring.h"

#define NSLOTS 16
#define NRX    8

static const uint8_t drv_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t peer_mac[6] = {0x02, 0, 0, 0, 0, 1};

struct fake {
	void *mem;
	size_t size;
	struct netring drv;
	struct netd_dev *dev;
	uint32_t next_rx; /* next of the driver's slots to fill */
};

static int fake_open(struct fake *f, bool link)
{
	memset(f, 0, sizeof(*f));
	f->size = netring_region_size(NSLOTS);
	f->mem = aligned_alloc(4096, f->size);
	if (!f->mem || netring_format(f->mem, f->size, NSLOTS, NRX) ||
	    netring_open(&f->drv, f->mem, f->size, NSLOTS, NRX, NETRING_DRIVER))
		return -1;
	netring_set_link(&f->drv, link);
	struct netdev_attach a = {.name = "fake",
				  .mtu = 1500,
				  .nslots = NSLOTS,
				  .nrx = NRX,
				  .region_size = (uint32_t)f->size};
	memcpy(a.mac, drv_mac, 6);
	int err = 0;
	f->dev = netd_dev_open(f->mem, f->size, &a, &err);
	return f->dev ? 0 : err;
}

static void fake_close(struct fake *f)
{
	if (f->dev)
		netd_dev_close(f->dev);
	free(f->mem);
	memset(f, 0, sizeof(*f));
}

/* The driver receives a frame: into one of its slots, onto rx_ready. */
static int fake_rx(struct fake *f, const void *frame, uint32_t len)
{
	uint32_t s = NSLOTS;
	for (uint32_t i = 0; i < NRX && s == NSLOTS; i++) {
		uint32_t c = (f->next_rx + i) % NRX;
		if (netring_owns(&f->drv, c))
			s = c;
	}
	if (s == NSLOTS) { /* take back what netd returned */
		struct netdev_ent e;
		if (netring_get(&f->drv, NETRING_RX_FREE, &e) != 1)
			return -1;
		s = e.slot;
	}
	f->next_rx = s + 1;
	memcpy(netring_slot(&f->drv, s), frame, len);
	return netring_put(&f->drv, NETRING_RX_READY, s, len);
}

/* The next frame netd sent (0 if none): copied out, slot done. */
static uint32_t fake_tx(struct fake *f, uint8_t *out)
{
	struct netdev_ent e;
	if (netring_get(&f->drv, NETRING_TX_READY, &e) != 1)
		return 0;
	memcpy(out, netring_slot(&f->drv, e.slot), e.len);
	netring_put(&f->drv, NETRING_TX_DONE, e.slot, 0);
	return e.len;
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

static const uint8_t my_ip[4] = {10, 9, 0, 2}, peer_ip[4] = {10, 9, 0, 1};

static uint32_t arp_request(uint8_t *f)
{
	memset(f, 0, 60);
	memset(f, 0xff, 6);
	memcpy(f + 6, peer_mac, 6);
	put16(f + 12, 0x0806);
	put16(f + 14, 1);      /* Ethernet */
	put16(f + 16, 0x0800); /* IPv4 */
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, 1); /* request */
	memcpy(f + 22, peer_mac, 6);
	memcpy(f + 28, peer_ip, 4);
	memcpy(f + 38, my_ip, 4);
	return 60;
}

static uint32_t echo_request(uint8_t *f, uint16_t seq, uint32_t payload)
{
	uint32_t ip_len = 20 + 8 + payload;
	memcpy(f, drv_mac, 6);
	memcpy(f + 6, peer_mac, 6);
	put16(f + 12, 0x0800);
	uint8_t *ip = f + 14;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)ip_len);
	ip[8] = 64;
	ip[9] = 1; /* ICMP */
	memcpy(ip + 12, peer_ip, 4);
	memcpy(ip + 16, my_ip, 4);
	uint16_t sum = inet_chksum(ip, 20); /* in network order already */
	memcpy(ip + 10, &sum, 2);
	uint8_t *icmp = ip + 20;
	memset(icmp, 0, 8);
	icmp[0] = 8; /* echo request */
	put16(icmp + 4, 0x4242);
	put16(icmp + 6, seq);
	for (uint32_t i = 0; i < payload; i++)
		icmp[8 + i] = (uint8_t)(i * 7 + seq);
	sum = inet_chksum(icmp, (uint16_t)(8 + payload));
	memcpy(icmp + 2, &sum, 2);
	return 14 + ip_len;
}

static struct fake f;

static void static_args(bool dhcp_off)
{
	struct netd_args a = {
		.dns_port = 53, .nstatic = 1, .no_dhcp = dhcp_off};
	strcpy(a.st[0].ifname, "eth0");
	memcpy(a.st[0].addr, my_ip, 4);
	a.st[0].prefix = 24;
	netd_if_setup(&a);
}

static void plain_args(void)
{
	struct netd_args a = {.dns_port = 53};
	netd_if_setup(&a);
}

static void arp_and_ping_body(void)
{
	uint8_t fr[2048], out[2048];
	CHECK_EQ(fake_open(&f, true), 0);
	struct net_ifinfo ifs[4];
	CHECK_EQ(netd_if_list(ifs, 4), 2);
	STR_EQ(ifs[1].name, "eth0");
	CHECK(!memcmp(ifs[1].addr, my_ip, 4));
	CHECK_EQ(ifs[1].prefix, 24);
	CHECK_EQ(ifs[1].flags, NET_IF_UP | NET_IF_LINK);
	CHECK(!memcmp(ifs[1].mac, drv_mac, 6));

	/* Up with a static address: a gratuitous ARP announces it. */
	uint32_t n = fake_tx(&f, out);
	CHECK_EQ(n, 60);
	CHECK(!memcmp(out, "\xff\xff\xff\xff\xff\xff", 6));
	CHECK_EQ(get16(out + 12), 0x0806);
	CHECK(!memcmp(out + 28, my_ip, 4));
	CHECK_EQ(fake_tx(&f, out), 0);

	/* ARP: who has 10.9.0.2? */
	CHECK_EQ(fake_rx(&f, fr, arp_request(fr)), 0);
	CHECK(!netd_dev_service(f.dev));
	CHECK(netd_dev_kick(f.dev));
	CHECK(!netd_dev_kick(f.dev)); /* once */
	n = fake_tx(&f, out);
	CHECK_EQ(n, 60); /* padded to the Ethernet minimum */
	CHECK(!memcmp(out, peer_mac, 6));
	CHECK(!memcmp(out + 6, drv_mac, 6));
	CHECK_EQ(get16(out + 12), 0x0806);
	CHECK_EQ(get16(out + 20), 2); /* reply */
	CHECK(!memcmp(out + 22, drv_mac, 6));
	CHECK(!memcmp(out + 28, my_ip, 4));

	/* More pings than there are transmit slots: slots come back. */
	for (uint16_t seq = 1; seq <= 3 * NSLOTS; seq++) {
		uint32_t len = echo_request(fr, seq, 56 + seq);
		CHECK_EQ(fake_rx(&f, fr, len), 0);
		netd_dev_service(f.dev);
		n = fake_tx(&f, out);
		CHECK_EQ(n, len);
		CHECK(!memcmp(out, peer_mac, 6));
		const uint8_t *ip = out + 14, *icmp = ip + 20;
		CHECK_EQ(inet_chksum(ip, 20), 0);
		CHECK(!memcmp(ip + 12, my_ip, 4));
		CHECK(!memcmp(ip + 16, peer_ip, 4));
		CHECK_EQ(icmp[0], 0); /* echo reply */
		CHECK_EQ(get16(icmp + 6), seq);
		CHECK_EQ(inet_chksum(icmp, (uint16_t)(len - 34)), 0);
		CHECK(!memcmp(icmp + 8, fr + 42, len - 42));
	}
	/* Garbage and runts are counted, not answered. */
	memset(fr, 0xee, 100);
	CHECK_EQ(fake_rx(&f, fr, 100), 0);
	CHECK_EQ(fake_rx(&f, fr, 14), 0);
	netd_dev_service(f.dev);
	CHECK_EQ(fake_tx(&f, out), 0);
	CHECK_EQ(netd_if_list(ifs, 4), 2);
	CHECK_EQ(ifs[1].rx_packets, 1 + 3 * NSLOTS + 2);
	CHECK_EQ(ifs[1].tx_packets, 2 + 3 * NSLOTS); /* + gratuitous ARP */

	struct netd_dev_info di[2];
	CHECK_EQ(netd_dev_list(di, 2), 1);
	STR_EQ(di[0].ifname, "eth0");
	STR_EQ(di[0].driver, "fake");
	CHECK_EQ(di[0].c.rx_frames, 1 + 3 * NSLOTS + 2);
	CHECK_EQ(di[0].c.tx_frames, 2 + 3 * NSLOTS);
	CHECK_EQ(di[0].c.violations, 0);
	CHECK(!di[0].broken);

	/* Carrier down, then up: the flags follow. */
	netring_set_link(&f.drv, false);
	netd_dev_service(f.dev);
	netd_if_list(ifs, 4);
	CHECK_EQ(ifs[1].flags, NET_IF_UP);
	netring_set_link(&f.drv, true);
	netd_dev_service(f.dev);
	netd_if_list(ifs, 4);
	CHECK_EQ(ifs[1].flags, NET_IF_UP | NET_IF_LINK);
	CHECK(!netd_dev_broken(f.dev));
}

TEST(netd_dev_answers_arp_and_ping)
{
	netd_test_lwip();
	static_args(false);
	arp_and_ping_body();
	fake_close(&f);
	plain_args();
	struct net_ifinfo ifs[2];
	CHECK_EQ(netd_if_list(ifs, 2), 1); /* lo alone again */
}

static void dhcp_body(void)
{
	uint8_t out[2048];
	CHECK_EQ(fake_open(&f, true), 0);
	/* DHCP's first DISCOVER goes out on link up, before any timer. */
	netd_test_run(100);
	netd_dev_service(f.dev);
	uint32_t n = fake_tx(&f, out);
	CHECK(n > 14 + 20 + 8 + 240);
	CHECK(!memcmp(out, "\xff\xff\xff\xff\xff\xff", 6));
	CHECK_EQ(get16(out + 12), 0x0800);
	CHECK_EQ(out[14 + 9], 17);	    /* UDP */
	CHECK_EQ(get16(out + 14 + 20), 68); /* from the client port */
	CHECK_EQ(get16(out + 14 + 22), 67); /* to the server port */
	CHECK_EQ(out[14 + 28], 1);	    /* BOOTREQUEST */
	CHECK(!memcmp(out + 14 + 28 + 28, drv_mac, 6)); /* chaddr */
}

TEST(netd_dev_dhcp_discovers)
{
	netd_test_lwip();
	plain_args();
	dhcp_body();
	fake_close(&f);
}

/* A second device is eth1; when eth0 goes, the next device is eth0. */
TEST(netd_dev_names_lowest_free)
{
	netd_test_lwip();
	struct netd_args a = {.dns_port = 53, .no_dhcp = true};
	netd_if_setup(&a);
	static struct fake g, h;
	CHECK_EQ(fake_open(&f, true), 0);
	CHECK_EQ(fake_open(&g, true), 0);
	STR_EQ(netd_dev_name(f.dev), "eth0");
	STR_EQ(netd_dev_name(g.dev), "eth1");
	CHECK(netd_dev_index(f.dev) != netd_dev_index(g.dev));
	fake_close(&f);
	CHECK_EQ(fake_open(&h, false), 0);
	STR_EQ(netd_dev_name(h.dev), "eth0");
	struct net_ifinfo ifs[4];
	CHECK_EQ(netd_if_list(ifs, 4), 3);
	STR_EQ(ifs[1].name, "eth0");
	CHECK_EQ(ifs[1].flags, NET_IF_UP); /* no carrier */
	STR_EQ(ifs[2].name, "eth1");
	fake_close(&g);
	fake_close(&h);
	plain_args();
}

/* A driver that hands netd a slot that does not exist: the rings are broken,
 * the interface down; closing it is clean. A region whose header does not
 * match the attach is refused. */
TEST(netd_dev_hostile_driver)
{
	netd_test_lwip();
	static_args(true);
	CHECK_EQ(fake_open(&f, true), 0);
	struct netdev_header *hdr = f.mem;
	uint32_t i = hdr->rx_ready.head;
	struct netdev_ent *ent =
		(struct netdev_ent *)((uint8_t *)f.mem + NETDEV_ENTS_OFFSET);
	ent[i % NSLOTS] = (struct netdev_ent){.slot = 200, .len = 60};
	__atomic_store_n(&hdr->rx_ready.head, i + 1, __ATOMIC_RELEASE);
	netd_dev_service(f.dev);
	CHECK(netd_dev_broken(f.dev));
	struct netd_dev_info di;
	CHECK_EQ(netd_dev_list(&di, 1), 1);
	CHECK(di.broken);
	CHECK_EQ(di.c.violations, 1);
	struct net_ifinfo ifs[4];
	netd_if_list(ifs, 4);
	CHECK_EQ(ifs[1].flags, NET_IF_UP);
	fake_close(&f);

	/* Header says 8 receive slots, the attach 4. */
	void *mem = aligned_alloc(4096, netring_region_size(NSLOTS));
	CHECK(mem != NULL);
	netring_format(mem, netring_region_size(NSLOTS), NSLOTS, NRX);
	struct netdev_attach a = {
		.mtu = 1500,
		.nslots = NSLOTS,
		.nrx = 4,
		.region_size = (uint32_t)netring_region_size(NSLOTS)};
	int err = 0;
	struct netd_dev *d =
		netd_dev_open(mem, netring_region_size(NSLOTS), &a, &err);
	free(mem);
	CHECK(d == NULL);
	CHECK_EQ(err, -1);
	CHECK_EQ(netd_if_list(ifs, 4), 1);
	plain_args();
}
