/* The virtio-net driver's core: virtqueues <-> /drv/netd rings
 * (vnet.h says how slots move and why). No system calls. */
#include "vnet.h"

#include <execrt/errors.h>
#include <string.h>

/* Tokens: rx = slot + 1; tx = generation << 16 | slot, with bit 15 set
 * (never NULL, and tells the queues' tokens apart in a test). */
#define TX_TAG 0x8000u

static void *tx_token(uint32_t gen, uint32_t slot)
{
	return (void *)(uintptr_t)((uint64_t)gen << 16 | TX_TAG | slot);
}

int vnet_init(struct vnet *v, struct virtq *rxq, struct virtq *txq,
	      void *region, uint64_t region_phys, size_t region_size,
	      uint32_t nslots, uint32_t nrx, uint64_t hdr_phys)
{
	if (!rxq || !txq || !region ||
	    netring_check_geometry(nslots, nrx, region_size))
		return ERR_INVALID_ARGS;
	memset(v, 0, sizeof(*v));
	v->rxq = rxq;
	v->txq = txq;
	v->region = region;
	v->region_phys = region_phys;
	v->region_size = region_size;
	v->nslots = nslots;
	v->nrx = nrx;
	v->hdr_phys = hdr_phys;
	return vnet_fresh_region(v);
}

static void rx_post(struct vnet *v);

int vnet_fresh_region(struct vnet *v)
{
	v->attached = false;
	v->gen++;
	int e = netring_format(v->region, v->region_size, v->nslots, v->nrx);
	if (!e)
		e = netring_open(&v->nr, v->region, v->region_size, v->nslots,
				 v->nrx, NETRING_DRIVER);
	if (!e) {
		netring_set_link(&v->nr, v->link);
		/* the rx slots netd held are the driver's again: post them
		 * now (the device may hold none, so no interrupt would), in
		 * slot order */
		v->npend = 0;
		for (uint32_t s = v->nrx; s-- > 0;)
			if (!v->rx_posted[s] && netring_owns(&v->nr, s))
				v->pend[v->npend++] = (uint16_t)s;
		rx_post(v);
	}
	return e;
}

void vnet_attached(struct vnet *v, bool on)
{
	v->attached = on;
}

/* Posts the rx slots the driver holds and the device has not (pend[]:
 * each pushed when it became so, no scan of all nrx slots per call),
 * while the queue has room (a chain: header + slot). */
static void rx_post(struct vnet *v)
{
	while (v->npend) {
		uint32_t s = v->pend[v->npend - 1];
		if (v->rx_posted[s] || !netring_owns(&v->nr, s)) {
			v->npend--; /* cannot happen: never pushed so */
			continue;
		}
		if (virtq_free(v->rxq) < 2)
			return;
		struct virtq_buf b[2] = {
			{v->hdr_phys + (uint64_t)s * VNET_HDR_STRIDE,
			 VNET_HDR_LEN, true},
			{v->region_phys + NETDEV_SLOTS_OFFSET +
				 (uint64_t)s * NETDEV_SLOT_SIZE,
			 NETDEV_FRAME_MAX, true}};
		if (virtq_add(v->rxq, b, 2, (void *)(uintptr_t)(s + 1)))
			return;
		v->npend--;
		v->rx_posted[s] = 1;
		v->nposted++;
	}
}

bool vnet_rx(struct vnet *v)
{
	bool bell = false;
	void *tok;
	uint32_t len;
	while ((tok = virtq_get(v->rxq, &len))) {
		uintptr_t s = (uintptr_t)tok - 1;
		if (s >= v->nrx || !v->rx_posted[s])
			continue; /* not ours: virtq checked, so never */
		v->rx_posted[s] = 0;
		v->nposted--;
		uint32_t flen = len > VNET_HDR_LEN ? len - VNET_HDR_LEN : 0;
		if (flen < NETDEV_FRAME_MIN || flen > NETDEV_FRAME_MAX) {
			v->rx_bad++;
			v->pend[v->npend++] = (uint16_t)s; /* reposted below */
			continue;
		}
		if (!v->attached ||
		    netring_put(&v->nr, NETRING_RX_READY, (uint32_t)s, flen)) {
			v->rx_dropped++;
			v->pend[v->npend++] = (uint16_t)s;
			continue;
		}
		v->rx_frames++;
		v->rx_bytes += flen;
		bell = true;
	}
	v->nr.hdr->rx_no_buffer = v->rx_dropped + v->rx_bad;
	rx_post(v);
	return bell;
}

bool vnet_tx(struct vnet *v)
{
	bool bell = false;
	void *tok;
	uint32_t len;
	while ((tok = virtq_get(v->txq, &len))) {
		uint64_t t = (uintptr_t)tok;
		v->tx_inflight--;
		uint32_t s = t & (TX_TAG - 1);
		if ((uint32_t)(t >> 16) != v->gen || !v->attached) {
			v->tx_stale++; /* the slot was an old region's */
			continue;
		}
		if (netring_put(&v->nr, NETRING_TX_DONE, s, 0) == 0)
			bell = true;
	}
	/* New frames while the queue has room for a chain. */
	struct netdev_ent e;
	while (v->attached && virtq_free(v->txq) >= 2 &&
	       netring_get(&v->nr, NETRING_TX_READY, &e) == 1) {
		struct virtq_buf b[2] = {
			{v->hdr_phys + (uint64_t)v->nrx * VNET_HDR_STRIDE,
			 VNET_HDR_LEN, false},
			{v->region_phys + NETDEV_SLOTS_OFFSET +
				 (uint64_t)e.slot * NETDEV_SLOT_SIZE,
			 e.len, false}};
		if (virtq_add(v->txq, b, 2, tx_token(v->gen, e.slot))) {
			/* cannot happen (room checked): give it back */
			netring_put(&v->nr, NETRING_TX_DONE, e.slot, 0);
			bell = true;
			continue;
		}
		v->tx_frames++;
		v->tx_inflight++;
		v->tx_bytes += e.len;
	}
	return bell;
}

bool vnet_from_netd(struct vnet *v)
{
	bool bell = false;
	struct netdev_ent e;
	while (v->attached && netring_get(&v->nr, NETRING_RX_FREE, &e) == 1) {
		if (e.slot < v->nrx)
			v->pend[v->npend++] = (uint16_t)e.slot;
		else {
			/* never posted for rx (vnet.h): straight back */
			if (netring_put(&v->nr, NETRING_TX_DONE, e.slot, 0) ==
			    0) {
				v->rebounds++;
				bell = true;
			}
		}
	}
	rx_post(v);
	return vnet_tx(v) || bell;
}

bool vnet_tx_irq_wanted(const struct vnet *v)
{
	return v->tx_inflight >= (v->nslots - v->nrx + 3) / 4;
}

bool vnet_set_link(struct vnet *v, bool up)
{
	bool changed = v->link != up;
	v->link = up;
	netring_set_link(&v->nr, up);
	return changed;
}
