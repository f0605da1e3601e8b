/* The virtio-net driver's core (drivers/virtio-net/vnet.c) against the
 * fake virtio device (virtio_fake.c, phys == host address) and a netd
 * side of libnetring on the same region: the chains the device sees
 * (header descriptor + slot, lengths, directions), frames both ways with
 * their bytes, frames dropped before attach, bad lengths, rx_free slots
 * of the tx range bounced, stale tx completions across a fresh region,
 * and a netd breaking the rings. */
#include <execrt/errors.h>
#include <stdlib.h>

#include "harness.h"
#include "virtio_fake.h"
#include "vnet.h"

#define NS  32
#define NRX 16

static struct fk_dev F;
static struct virtio_dev D;
static struct vnet V;
static struct netring N; /* netd's side */
static uint8_t *region, *hdrs;
static size_t rsize;

static int up(void)
{
	fk_init(&F, 3, 2, 64);
	struct virtq *rxq, *txq;
	int r;
	if ((r = virtio_init(&D, &fk_ops, &F)) ||
	    (r = virtio_negotiate(&D,
				  VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS)) ||
	    (r = virtio_irq_setup(&D, 1, 2)) ||
	    (r = virtq_setup(&D, VNET_RXQ, 64, &rxq)) ||
	    (r = virtq_setup(&D, VNET_TXQ, 64, &txq)))
		return r;
	rsize = netring_region_size(NS);
	region = aligned_alloc(4096, rsize);
	hdrs = calloc(1, vnet_hdr_bytes(NRX));
	if (!region || !hdrs)
		return ERR_NO_MEMORY;
	memset(region, 0x5a, rsize);
	if ((r = vnet_init(&V, rxq, txq, region, (uint64_t)(uintptr_t)region,
			   rsize, NS, NRX, (uint64_t)(uintptr_t)hdrs)))
		return r;
	vnet_rx(&V);
	return virtio_ready(&D);
}

static int attach(void)
{
	int r = netring_open(&N, region, rsize, NS, NRX, NETRING_NETD);
	vnet_attached(&V, true);
	return r;
}

static void down(void)
{
	virtio_close(&D);
	fk_fini(&F);
	free(region);
	free(hdrs);
	region = hdrs = NULL;
}

static uint8_t *slot_addr(uint32_t s)
{
	return region + NETDEV_SLOTS_OFFSET + (size_t)s * NETDEV_SLOT_SIZE;
}

/* The device takes the next rx chain, writes a frame of flen bytes into
 * it (first byte tag) and completes it; the slot it used, or -1. */
static int device_rx(uint32_t flen, uint8_t tag)
{
	struct fk_chain c;
	if (!fk_pop(&F, VNET_RXQ, &c) || c.n != 2)
		return -1;
	uint8_t *p = (uint8_t *)(uintptr_t)c.addr[1];
	memset((uint8_t *)(uintptr_t)c.addr[0], 0, VNET_HDR_LEN);
	memset(p, tag, flen < 1514 ? flen : 1514);
	fk_push(&F, VNET_RXQ, c.id[0], VNET_HDR_LEN + flen);
	return (int)((p - slot_addr(0)) / NETDEV_SLOT_SIZE);
}

TEST(vnet_rx_chains_point_at_the_slots)
{
	CHECK_EQ(up(), 0);
	for (uint32_t i = 0; i < NRX; i++) {
		struct fk_chain c;
		CHECK(fk_pop(&F, VNET_RXQ, &c));
		CHECK_EQ(c.n, 2);
		/* header: private memory, 12 bytes, device-writable */
		CHECK_EQ(c.addr[0], (uint64_t)(uintptr_t)hdrs + 16 * i);
		CHECK_EQ(c.len[0], 12);
		CHECK(c.flags[0] & VIRTQ_DESC_F_WRITE);
		/* then the slot itself: no copy */
		CHECK_EQ(c.addr[1], (uint64_t)(uintptr_t)slot_addr(i));
		CHECK_EQ(c.len[1], NETDEV_FRAME_MAX);
		CHECK(c.flags[1] & VIRTQ_DESC_F_WRITE);
	}
	struct fk_chain c;
	CHECK(!fk_pop(&F, VNET_RXQ, &c)); /* only the nrx rx slots */
	down();
}

TEST(vnet_frames_both_ways)
{
	CHECK_EQ(up(), 0);
	CHECK_EQ(attach(), 0);
	/* receive */
	int s = device_rx(60, 0xab);
	CHECK_EQ(s, 0);
	CHECK(vnet_rx(&V));
	struct netdev_ent e;
	CHECK_EQ(netring_get(&N, NETRING_RX_READY, &e), 1);
	CHECK_EQ(e.slot, 0);
	CHECK_EQ(e.len, 60);
	CHECK_EQ(((uint8_t *)netring_slot(&N, 0))[59], 0xab);
	CHECK_EQ(V.rx_frames, 1);
	/* the slot comes back and is posted again */
	CHECK_EQ(netring_put(&N, NETRING_RX_FREE, 0, 0), 0);
	vnet_from_netd(&V);
	struct fk_chain c;
	for (int i = 1; i < NRX; i++)
		CHECK(fk_pop(&F, VNET_RXQ, &c)); /* the first round's rest */
	CHECK(fk_pop(&F, VNET_RXQ, &c));
	CHECK_EQ(c.addr[1], (uint64_t)(uintptr_t)slot_addr(0));
	/* transmit from a tx slot */
	memset(netring_slot(&N, NRX + 3), 0xcd, 100);
	CHECK_EQ(netring_put(&N, NETRING_TX_READY, NRX + 3, 100), 0);
	CHECK(!vnet_from_netd(&V)); /* nothing for netd yet */
	CHECK(fk_pop(&F, VNET_TXQ, &c));
	CHECK_EQ(c.n, 2);
	CHECK_EQ(c.addr[0], (uint64_t)(uintptr_t)hdrs + 16 * NRX);
	CHECK_EQ(c.len[0], 12);
	CHECK(!(c.flags[0] & VIRTQ_DESC_F_WRITE));
	CHECK_EQ(c.addr[1], (uint64_t)(uintptr_t)slot_addr(NRX + 3));
	CHECK_EQ(c.len[1], 100);
	CHECK(!(c.flags[1] & VIRTQ_DESC_F_WRITE));
	for (int i = 0; i < 12; i++)
		CHECK_EQ(hdrs[16 * NRX + i], 0); /* no offloads */
	fk_push(&F, VNET_TXQ, c.id[0], 0);
	CHECK(vnet_tx(&V));
	CHECK_EQ(netring_get(&N, NETRING_TX_DONE, &e), 1);
	CHECK_EQ(e.slot, NRX + 3);
	CHECK_EQ(V.tx_frames, 1);
	down();
}

TEST(vnet_drops_before_attach_and_bad_lengths)
{
	CHECK_EQ(up(), 0);
	CHECK_EQ(device_rx(60, 1), 0); /* not attached: dropped, reposted */
	CHECK(!vnet_rx(&V));
	CHECK_EQ(V.rx_dropped, 1);
	CHECK_EQ(attach(), 0);
	CHECK(device_rx(13, 2) >= 0); /* a runt */
	CHECK(device_rx(0, 2) >= 0);
	CHECK(!vnet_rx(&V));
	CHECK_EQ(V.rx_bad, 2);
	CHECK_EQ(netring_avail(&N, NETRING_RX_READY), 0);
	CHECK_EQ(V.nposted, NRX); /* all reposted */
	CHECK_EQ(((struct netdev_header *)region)->rx_no_buffer, 3);
	down();
}

TEST(vnet_bounces_tx_slots_freed_for_rx)
{
	CHECK_EQ(up(), 0);
	CHECK_EQ(attach(), 0);
	CHECK_EQ(netring_put(&N, NETRING_RX_FREE, NRX + 1, 0), 0);
	CHECK(vnet_from_netd(&V));
	struct netdev_ent e;
	CHECK_EQ(netring_get(&N, NETRING_TX_DONE, &e), 1);
	CHECK_EQ(e.slot, NRX + 1);
	CHECK_EQ(V.rebounds, 1);
	down();
}

TEST(vnet_fresh_region_drops_stale_tx)
{
	CHECK_EQ(up(), 0);
	CHECK_EQ(attach(), 0);
	CHECK_EQ(netring_put(&N, NETRING_TX_READY, NRX, 60), 0);
	vnet_from_netd(&V);
	struct fk_chain c;
	CHECK(fk_pop(&F, VNET_TXQ, &c));
	/* netd dies: a fresh region; the old send completes afterwards */
	CHECK_EQ(vnet_fresh_region(&V), 0);
	CHECK_EQ(attach(), 0);
	fk_push(&F, VNET_TXQ, c.id[0], 0);
	CHECK(!vnet_tx(&V));
	CHECK_EQ(V.tx_stale, 1);
	CHECK_EQ(netring_avail(&N, NETRING_TX_DONE), 0);
	CHECK(netring_owns(&N, NRX)); /* netd's in the new region */
	/* the posted rx buffers are still the driver's: frames flow */
	CHECK(device_rx(64, 7) >= 0);
	CHECK(vnet_rx(&V));
	struct netdev_ent e;
	CHECK_EQ(netring_get(&N, NETRING_RX_READY, &e), 1);
	CHECK_EQ(e.len, 64);
	down();
}

TEST(vnet_netd_breaking_the_rings)
{
	CHECK_EQ(up(), 0);
	CHECK_EQ(attach(), 0);
	struct netdev_header *h = (void *)region;
	h->tx_ready.head = 1000; /* more than a ring ahead */
	vnet_from_netd(&V);
	CHECK(vnet_broken(&V));
	CHECK_EQ(vnet_fresh_region(&V), 0); /* what main.c does next */
	CHECK(!vnet_broken(&V));
	CHECK_EQ(h->tx_ready.head, 0);
	down();
}

TEST(vnet_fresh_region_reposts_what_netd_held)
{
	/* netd holds every rx slot (the device has no buffer, so no
	 * interrupt will come) and dies: the fresh region posts them all */
	CHECK_EQ(up(), 0);
	CHECK_EQ(attach(), 0);
	for (uint32_t i = 0; i < NRX; i++)
		CHECK(device_rx(60, (uint8_t)i) >= 0);
	CHECK(vnet_rx(&V));
	CHECK_EQ(V.nposted, 0);
	struct fk_chain c;
	CHECK(!fk_pop(&F, VNET_RXQ, &c));
	CHECK_EQ(vnet_fresh_region(&V), 0);
	CHECK_EQ(V.nposted, NRX);
	for (uint32_t i = 0; i < NRX; i++)
		CHECK(fk_pop(&F, VNET_RXQ, &c));
	down();
}
