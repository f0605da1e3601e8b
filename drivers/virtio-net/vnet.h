/* The virtio-net driver's core (docs/net-driver.md): the bridge between
 * the device's two virtqueues and the /drv/netd rings (libnetring).
 * No system calls: main.c does the platform, host tests drive this file
 * against tests/host/virtio_fake.c.
 *
 * Zero copy: the rx and tx queues point straight at the region's frame
 * slots; only the 12-byte virtio-net header lives elsewhere, in
 * driver-private DMA memory, as a descriptor of its own (one per rx slot
 * for the device to write, one shared all-zero one for every tx: no
 * offloads).
 *
 * Slot policy (what makes a fresh region possible without a device
 * reset): only slots below nrx are ever posted for reception; a higher
 * slot netd frees into rx_free goes straight back on tx_done. So across
 * a re-attach (netring_format + netring_open again: slots [0, nrx) the
 * driver's) every posted rx buffer is still the driver's. A tx chain
 * carries the generation it was sent in: a completion from an older
 * region is dropped (the slot is netd's again in the new one). */
#pragma once
#include <netring/netring.h>
#include <stdbool.h>
#include <stdint.h>
#include <virtio/virtio.h>
#include <virtio/virtq.h>

#define VNET_RXQ 0
#define VNET_TXQ 1

/* virtio-net feature bits and configuration (virtio 1.x 5.1). */
#define VIRTIO_NET_F_MTU    (1ull << 3)
#define VIRTIO_NET_F_MAC    (1ull << 5)
#define VIRTIO_NET_F_STATUS (1ull << 16)
#define VNET_CFG_MAC	    0
#define VNET_CFG_STATUS	    6
#define VNET_S_LINK_UP	    1u
#define VNET_HDR_LEN	    12u /* struct virtio_net_hdr with num_buffers */
#define VNET_HDR_STRIDE	    16u

struct vnet {
	struct virtq *rxq, *txq;
	struct netring nr;
	bool attached; /* a netd has the region: frames go to it */
	uint32_t gen;  /* region generation, tags tx chains */
	uint32_t nslots, nrx;
	void *region;	      /* the shared region (DMA) */
	uint64_t region_phys; /* its device address */
	size_t region_size;
	uint64_t hdr_phys; /* private DMA: rx headers, then the tx one */
	uint8_t rx_posted[NETDEV_SLOTS_MAX];
	uint32_t nposted;
	/* rx slots held by the driver and not posted: rx_post's stack */
	uint16_t pend[NETDEV_SLOTS_MAX];
	uint32_t npend;
	bool link;
	/* counters */
	uint64_t rx_frames, rx_bytes, rx_dropped, rx_bad;
	uint64_t tx_frames, tx_bytes, tx_stale, rebounds;
	uint32_t tx_inflight; /* chains in the tx queue, any generation */
};

/* Private header memory vnet_init needs at hdr_phys: nrx rx headers and
 * the tx header, zeroed. */
static inline size_t vnet_hdr_bytes(uint32_t nrx)
{
	return (size_t)(nrx + 1) * VNET_HDR_STRIDE;
}

/* Takes the queues and memory (region: nslots slots; formatted here),
 * not attached yet. 0 or ERR_INVALID_ARGS. */
int vnet_init(struct vnet *v, struct virtq *rxq, struct virtq *txq,
	      void *region, uint64_t region_phys, size_t region_size,
	      uint32_t nslots, uint32_t nrx, uint64_t hdr_phys);

/* A fresh region (header formatted, rings empty, slots [0, nrx) the
 * driver's, those the device lacks posted: kick the rx queue after),
 * before each ATTACH. Frames received until vnet_attached(true) are
 * dropped. */
int vnet_fresh_region(struct vnet *v);
void vnet_attached(struct vnet *v, bool on);

/* Work passes; each returns true when netd should be signalled (entries
 * produced). vnet_rx: completed rx buffers to rx_ready (or dropped), then
 * reposting. vnet_tx: tx completions to tx_done, tx_ready into the device.
 * vnet_from_netd: rx_free slots back into the device (rx) and tx_ready
 * (both, after netd's bell). Kick the queues after. */
bool vnet_rx(struct vnet *v);
bool vnet_tx(struct vnet *v);
bool vnet_from_netd(struct vnet *v);

/* Should the device interrupt for transmit completions? Only while a
 * quarter or more of netd's transmit slots are in the tx queue: fewer
 * are collected on the next pass (any wake-up), so a lone frame costs
 * no interrupt, and netd, out of slots, signals the driver anyway. */
bool vnet_tx_irq_wanted(const struct vnet *v);

/* Link state into the region header; true when it changed. */
bool vnet_set_link(struct vnet *v, bool up);

/* netd broke the ring protocol (detach and attach anew). */
static inline bool vnet_broken(const struct vnet *v)
{
	return v->nr.broken;
}
