/* Fewer wake-ups per frame (docs/net-driver.md "Doorbells"): netd signals
 * its driver for freed rx slots once per quarter of the rx slots, for
 * every transmit, and when it has no transmit slot left (the virtio-net
 * side: test_vnet_txirq.c). Failed on the old code: a kick per freed rx
 * slot, none when out of transmit slots. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "netd_args.h"
#include "netd_dev.h"
#include "netd_fix.h"
#include "netd_if.h"
#include "netring/netring.h"

#define NSLOTS 16
#define NRX    8 /* a kick per 2 freed rx slots; 8 transmit slots */

static const uint8_t drv_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x77};
static const uint8_t my_ip[4] = {10, 9, 0, 2};

static void *mem;
static struct netring drv; /* this test is the driver */
static struct netd_dev *dev;

static int open_dev(void)
{
	size_t size = netring_region_size(NSLOTS);
	mem = aligned_alloc(4096, size);
	if (!mem || netring_format(mem, size, NSLOTS, NRX) ||
	    netring_open(&drv, mem, size, NSLOTS, NRX, NETRING_DRIVER))
		return -1;
	netring_set_link(&drv, true);
	struct netdev_attach a = {.name = "fake",
				  .mtu = 1500,
				  .nslots = NSLOTS,
				  .nrx = NRX,
				  .region_size = (uint32_t)size};
	memcpy(a.mac, drv_mac, 6);
	int err = 0;
	dev = netd_dev_open(mem, size, &a, &err);
	return dev ? 0 : err;
}

/* A frame lwIP ignores (an unknown EtherType): received, freed, no
 * answer. */
static int rx_junk(uint32_t slot)
{
	uint8_t *p = netring_slot(&drv, slot);
	memset(p, 0, 60);
	memcpy(p, drv_mac, 6);
	p[12] = 0x88, p[13] = 0xb5; /* local experimental */
	return netring_put(&drv, NETRING_RX_READY, slot, 60);
}

/* Everything netd transmitted: taken, or also given back when done. */
static uint32_t tx_take(bool done)
{
	uint32_t n = 0;
	struct netdev_ent e;
	while (netring_get(&drv, NETRING_TX_READY, &e) == 1) {
		if (done)
			netring_put(&drv, NETRING_TX_DONE, e.slot, 0);
		n++;
	}
	return n;
}

static uint32_t arp_request(uint8_t *f, uint8_t who)
{
	static const uint8_t peer_mac[6] = {0x02, 0, 0, 0, 0, 9};
	memset(f, 0, 60);
	memset(f, 0xff, 6);
	memcpy(f + 6, peer_mac, 6);
	f[12] = 0x08, f[13] = 0x06, f[15] = 1, f[16] = 0x08;
	f[18] = 6, f[19] = 4, f[21] = 1;
	memcpy(f + 22, peer_mac, 6);
	f[28] = 10, f[29] = 9, f[31] = who; /* asker 10.9.0.who */
	memcpy(f + 38, my_ip, 4);
	return 60;
}

TEST(netd_dev_kicks_once_per_rx_free_batch)
{
	netd_test_lwip();
	struct netd_args a = {.dns_port = 53, .nstatic = 1, .no_dhcp = true};
	strcpy(a.st[0].ifname, "eth0");
	memcpy(a.st[0].addr, my_ip, 4);
	a.st[0].prefix = 24;
	netd_if_setup(&a);
	CHECK_EQ(open_dev(), 0);
	netd_dev_service(dev);
	tx_take(true); /* the gratuitous ARP */
	(void)netd_dev_kick(dev);

	/* Freed rx slots: one kick per NRX / 4 = 2, not one per slot. */
	CHECK_EQ(rx_junk(0), 0);
	CHECK(!netd_dev_service(dev));
	CHECK(!netd_dev_kick(dev)); /* 1 freed: the driver takes it later */
	CHECK_EQ(rx_junk(1), 0);
	CHECK(!netd_dev_service(dev));
	CHECK(netd_dev_kick(dev)); /* 2 */
	CHECK(!netd_dev_kick(dev));
	struct netdev_ent e;
	CHECK_EQ(netring_get(&drv, NETRING_RX_FREE, &e), 1);
	CHECK_EQ(netring_get(&drv, NETRING_RX_FREE, &e), 1);
	CHECK_EQ(rx_junk(0), 0); /* the count starts again after a kick */
	netd_dev_service(dev);
	CHECK(!netd_dev_kick(dev));

	/* A transmit is signalled at once (an ARP answer). */
	uint8_t fr[64];
	CHECK_EQ(rx_junk(1), 0);
	netd_dev_service(dev);
	CHECK(netd_dev_kick(dev));
	memcpy(netring_slot(&drv, 2), fr, arp_request(fr, 1));
	CHECK_EQ(netring_put(&drv, NETRING_RX_READY, 2, 60), 0);
	netd_dev_service(dev);
	CHECK(netd_dev_kick(dev));
	CHECK_EQ(tx_take(false), 1);

	/* Out of transmit slots (the driver keeps them all): the frame is
	 * dropped and the driver signalled, so it collects completions. */
	for (uint8_t who = 3; who < 3 + NSLOTS - NRX - 1; who++) {
		while (netring_get(&drv, NETRING_RX_FREE, &e) == 1)
			;
		memcpy(netring_slot(&drv, 2), fr, arp_request(fr, who));
		CHECK_EQ(netring_put(&drv, NETRING_RX_READY, 2, 60), 0);
		netd_dev_service(dev);
		CHECK_EQ(tx_take(false), 1);
		(void)netd_dev_kick(dev);
	}
	struct netd_dev_info info[2];
	CHECK_EQ(netd_dev_list(info, 2), 1);
	CHECK_EQ(info[0].c.tx_no_slot, 0);
	while (netring_get(&drv, NETRING_RX_FREE, &e) == 1)
		;
	memcpy(netring_slot(&drv, 2), fr, arp_request(fr, 100));
	CHECK_EQ(netring_put(&drv, NETRING_RX_READY, 2, 60), 0);
	netd_dev_service(dev);
	CHECK_EQ(tx_take(false), 0);
	CHECK_EQ(netd_dev_list(info, 2), 1);
	CHECK_EQ(info[0].c.tx_no_slot, 1);
	CHECK(netd_dev_kick(dev));

	netd_dev_close(dev);
	free(mem);
	struct netd_args plain = {.dns_port = 53};
	netd_if_setup(&plain);
}
