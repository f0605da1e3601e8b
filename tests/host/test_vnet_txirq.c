/* The virtio-net driver asks for transmit interrupts only while a
 * quarter of netd's transmit slots or more are in the device
 * (docs/net-driver.md "Doorbells"; netd's side: test_netd_wakeups.c).
 * vnet_tx_irq_wanted is new: the old driver kept them on always. */
#include <execrt/errors.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "virtio_fake.h"
#include "vnet.h"

#define VNS  32
#define VNRX 16 /* 16 transmit slots: interrupts from 4 in flight */

TEST(vnet_tx_interrupts_only_with_many_in_flight)
{
	static struct fk_dev F;
	static struct virtio_dev D;
	static struct vnet V;
	static struct netring N;
	fk_init(&F, 3, 2, 64);
	struct virtq *rxq, *txq;
	CHECK_EQ(virtio_init(&D, &fk_ops, &F), 0);
	CHECK_EQ(virtio_negotiate(&D, VIRTIO_NET_F_MAC), 0);
	CHECK_EQ(virtio_irq_setup(&D, 1, 2), 0);
	CHECK_EQ(virtq_setup(&D, VNET_RXQ, 64, &rxq), 0);
	CHECK_EQ(virtq_setup(&D, VNET_TXQ, 64, &txq), 0);
	size_t rsize = netring_region_size(VNS);
	uint8_t *region = aligned_alloc(4096, rsize);
	uint8_t *hdrs = calloc(1, vnet_hdr_bytes(VNRX));
	CHECK(region && hdrs);
	CHECK_EQ(vnet_init(&V, rxq, txq, region, (uint64_t)(uintptr_t)region,
			   rsize, VNS, VNRX, (uint64_t)(uintptr_t)hdrs),
		 0);
	vnet_rx(&V);
	CHECK_EQ(virtio_ready(&D), 0);
	CHECK_EQ(netring_open(&N, region, rsize, VNS, VNRX, NETRING_NETD), 0);
	vnet_attached(&V, true);

	CHECK(!vnet_tx_irq_wanted(&V));
	for (uint32_t s = VNRX; s < VNRX + 3; s++)
		CHECK_EQ(netring_put(&N, NETRING_TX_READY, s, 60), 0);
	vnet_from_netd(&V);
	CHECK_EQ(V.tx_inflight, 3);
	CHECK(!vnet_tx_irq_wanted(&V)); /* 3 of 16: collected next pass */
	CHECK_EQ(netring_put(&N, NETRING_TX_READY, VNRX + 3, 60), 0);
	vnet_from_netd(&V);
	CHECK(vnet_tx_irq_wanted(&V)); /* 4 of 16 */
	struct fk_chain c;
	for (int i = 0; i < 4; i++) {
		CHECK(fk_pop(&F, VNET_TXQ, &c));
		fk_push(&F, VNET_TXQ, c.id[0], 0);
	}
	CHECK(vnet_tx(&V)); /* completions become tx_done */
	CHECK_EQ(V.tx_inflight, 0);
	CHECK(!vnet_tx_irq_wanted(&V));
	struct netdev_ent e;
	for (int i = 0; i < 4; i++)
		CHECK_EQ(netring_get(&N, NETRING_TX_DONE, &e), 1);

	virtio_close(&D);
	fk_fini(&F);
	free(region);
	free(hdrs);
}
