/* netd's lwIP as configured (lwipopts.h, netd_stack.c) over the host
 * lwIP: UDP through lo (127.0.0.1) is delivered by netd_stack_poll's
 * loopback passes and counted on lo; the DNS client asks the --dns
 * server on its port (10.9.0.1:5353, through a fake driver's device) and
 * takes its answer. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lwip/dns.h"
#include "lwip/inet_chksum.h"
#include "lwip/udp.h"
#include "netd_dev.h"
#include "netd_fix.h"
#include "netd_if.h"
#include "netd_stack.h"
#include "netring/netring.h"

static struct {
	int got;
	uint16_t port;
	char data[64];
} rcv;

static void on_udp(void *arg, struct udp_pcb *pcb, struct pbuf *p,
		   const ip_addr_t *addr, u16_t port)
{
	(void)arg, (void)pcb, (void)addr;
	rcv.got++;
	rcv.port = port;
	pbuf_copy_partial(p, rcv.data, sizeof(rcv.data) - 1, 0);
	pbuf_free(p);
}

TEST(netd_stack_udp_over_lo)
{
	netd_test_lwip();
	struct net_ifinfo before, after;
	CHECK(netd_if_list(&before, 1) >= 1);
	struct udp_pcb *a = udp_new(), *b = udp_new();
	CHECK(a && b);
	ip_addr_t lo;
	IP_ADDR4(&lo, 127, 0, 0, 1);
	CHECK_EQ(udp_bind(a, &lo, 7777), ERR_OK);
	CHECK_EQ(udp_bind(b, &lo, 7778), ERR_OK);
	udp_recv(a, on_udp, NULL);
	memset(&rcv, 0, sizeof(rcv));
	for (int i = 0; i < 3; i++) {
		struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, 5, PBUF_RAM);
		CHECK(p != NULL);
		memcpy(p->payload, "hello", 5);
		CHECK_EQ(udp_sendto(b, p, &lo, 7777), ERR_OK);
		pbuf_free(p);
	}
	CHECK_EQ(rcv.got, 0); /* queued until the loop polls */
	netd_test_run(0);
	CHECK_EQ(rcv.got, 3);
	CHECK_EQ(rcv.port, 7778);
	STR_EQ(rcv.data, "hello");
	netd_if_list(&after, 1);
	CHECK_EQ(after.rx_packets - before.rx_packets, 3);
	CHECK_EQ(after.tx_packets - before.tx_packets, 3);
	CHECK_EQ(after.rx_bytes - before.rx_bytes, 3 * (20 + 8 + 5));
	udp_remove(a);
	udp_remove(b);
}

/* ---- DNS through a device ---- */

#define NSLOTS 16
#define NRX    8
static const uint8_t my_mac[6] = {0x52, 0x54, 0, 1, 2, 3};
static const uint8_t srv_mac[6] = {0x02, 0, 0, 0, 0, 9};
static const uint8_t my_ip[4] = {10, 9, 0, 2}, srv_ip[4] = {10, 9, 0, 1};
static struct netring drv;
static struct netd_dev *dev;
static void *mem;
static uint32_t rx_next;
static struct {
	int calls;
	bool found;
	uint8_t addr[4];
} res;

static int drv_rx(const uint8_t *f, uint32_t len)
{
	struct netdev_ent e;
	uint32_t s = rx_next++ % NRX;
	if (!netring_owns(&drv, s)) {
		if (netring_get(&drv, NETRING_RX_FREE, &e) != 1)
			return -1;
		s = e.slot;
	}
	memcpy(netring_slot(&drv, s), f, len);
	return netring_put(&drv, NETRING_RX_READY, s, len);
}

static uint32_t drv_tx(uint8_t *out)
{
	struct netdev_ent e;
	if (netring_get(&drv, NETRING_TX_READY, &e) != 1)
		return 0;
	memcpy(out, netring_slot(&drv, e.slot), e.len);
	netring_put(&drv, NETRING_TX_DONE, e.slot, 0);
	return e.len;
}

static void on_found(const char *name, const ip_addr_t *ip, void *arg)
{
	(void)name, (void)arg;
	res.calls++;
	res.found = ip != NULL;
	if (ip)
		memcpy(res.addr, ip_2_ip4(ip), 4);
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void be16put(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Answers the ARP request in f (from netd) as the DNS server. */
static uint32_t arp_reply(const uint8_t *f, uint8_t *o)
{
	memset(o, 0, 60);
	memcpy(o, f + 6, 6);
	memcpy(o + 6, srv_mac, 6);
	be16put(o + 12, 0x0806);
	be16put(o + 14, 1);
	be16put(o + 16, 0x0800);
	o[18] = 6;
	o[19] = 4;
	be16put(o + 20, 2);
	memcpy(o + 22, srv_mac, 6);
	memcpy(o + 28, srv_ip, 4);
	memcpy(o + 32, f + 22, 10); /* target = the asker */
	return 60;
}

/* A DNS answer (one A record 192.0.2.7) to the query frame q of len n. */
static uint32_t dns_answer(const uint8_t *q, uint32_t n, uint8_t *o)
{
	uint32_t qlen = n - 42; /* the DNS message */
	memcpy(o, q + 6, 6);
	memcpy(o + 6, srv_mac, 6);
	be16put(o + 12, 0x0800);
	uint8_t *ip = o + 14, *udp = ip + 20, *d = udp + 8;
	memcpy(d, q + 42, qlen);
	be16put(d + 2, 0x8180); /* response, no error */
	be16put(d + 6, 1);	/* one answer */
	uint8_t *a = d + qlen;
	static const uint8_t rr[] = {0xc0, 0x0c, 0, 1, 0,   1, 0, 0,
				     0,	   60,	 0, 4, 192, 0, 2, 7};
	memcpy(a, rr, sizeof(rr));
	uint32_t dlen = qlen + sizeof(rr);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	be16put(ip + 2, (uint16_t)(20 + 8 + dlen));
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, srv_ip, 4);
	memcpy(ip + 16, my_ip, 4);
	uint16_t sum = inet_chksum(ip, 20);
	memcpy(ip + 10, &sum, 2);
	be16put(udp, be16(q + 36));	/* from the port asked */
	be16put(udp + 2, be16(q + 34)); /* to the asker's port */
	be16put(udp + 4, (uint16_t)(8 + dlen));
	be16put(udp + 6, 0); /* no UDP checksum */
	return 42 + dlen;
}

static void dns_body(void)
{
	uint8_t out[2048], in[2048];
	size_t size = netring_region_size(NSLOTS);
	mem = aligned_alloc(4096, size);
	CHECK(mem != NULL);
	CHECK_EQ(netring_format(mem, size, NSLOTS, NRX), 0);
	CHECK_EQ(netring_open(&drv, mem, size, NSLOTS, NRX, NETRING_DRIVER), 0);
	netring_set_link(&drv, true);
	struct netdev_attach at = {.mtu = 1500,
				   .nslots = NSLOTS,
				   .nrx = NRX,
				   .region_size = (uint32_t)size};
	memcpy(at.mac, my_mac, 6);
	int err = 0;
	dev = netd_dev_open(mem, size, &at, &err);
	CHECK(dev != NULL);
	while (drv_tx(out)) /* the gratuitous ARP */
		;
	ip_addr_t ip;
	memset(&res, 0, sizeof(res));
	CHECK_EQ(dns_gethostbyname("www.example.test", &ip, on_found, NULL),
		 ERR_INPROGRESS);
	netd_test_run(10);
	netd_dev_service(dev);
	/* First the server's MAC. */
	uint32_t n = drv_tx(out);
	CHECK_EQ(n, 60);
	CHECK_EQ(be16(out + 12), 0x0806);
	CHECK(!memcmp(out + 38, srv_ip, 4));
	CHECK_EQ(drv_rx(in, arp_reply(out, in)), 0);
	netd_dev_service(dev);
	netd_test_run(10);
	n = drv_tx(out);
	CHECK(n > 42 + 12);
	CHECK(!memcmp(out, srv_mac, 6));
	CHECK_EQ(out[14 + 9], 17);
	CHECK(!memcmp(out + 14 + 16, srv_ip, 4));
	CHECK_EQ(be16(out + 36), 5353); /* --dns 10.9.0.1:5353 */
	CHECK(!memcmp(out + 42 + 12,
		      "\x03www\x07"
		      "example\x04test",
		      17));
	CHECK_EQ(drv_rx(in, dns_answer(out, n, in)), 0);
	netd_dev_service(dev);
	CHECK_EQ(res.calls, 1);
	CHECK(res.found);
	CHECK(!memcmp(res.addr, (uint8_t[]){192, 0, 2, 7}, 4));
	/* A DHCP ACK (renewals too) sets lwIP's servers; --dns stays. */
	ip_addr_t other;
	IP_ADDR4(&other, 10, 9, 0, 77);
	dns_setserver(0, &other);
	netd_test_run(0);
	CHECK(!memcmp(ip_2_ip4(dns_getserver(0)), (uint8_t[]){10, 9, 0, 1}, 4));
	/* Cached now: answered at once. */
	CHECK_EQ(dns_gethostbyname("www.example.test", &ip, on_found, NULL),
		 ERR_OK);
	CHECK(!memcmp(ip_2_ip4(&ip), (uint8_t[]){192, 0, 2, 7}, 4));
}

TEST(netd_stack_dns_asks_the_dns_argument)
{
	netd_test_lwip();
	struct netd_args a = {.nstatic = 1,
			      .have_dns = true,
			      .dns = {10, 9, 0, 1},
			      .dns_port = 5353};
	strcpy(a.st[0].ifname, "eth0");
	memcpy(a.st[0].addr, my_ip, 4);
	a.st[0].prefix = 24;
	netd_if_setup(&a);
	dns_body();
	if (dev)
		netd_dev_close(dev);
	dev = NULL;
	free(mem);
	mem = NULL;
	struct netd_args plain = {.dns_port = 53};
	netd_if_setup(&plain);
	/* DNS server 0 stays set (harmless to the other tests). */
}
