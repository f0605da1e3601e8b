/* A network device's rings as an lwIP interface (netd_dev.h). */
#include "netd_dev.h"

#include <string.h>

#include "lwip/pbuf.h"
#include "netd_if.h"
#include "netring/netring.h"

#define ETH_MIN_FRAME 60 /* without FCS: shorter frames are padded */

struct netd_dev {
	bool used, broken, kick;
	struct netring ring;
	struct netd_if *nif;
	uint32_t ntx; /* transmit slots held, in txfree[0..ntx) */
	/* rx slots freed since the driver was last signalled: it takes
	 * them back on every wake-up, so one signal per rx_free_batch
	 * (a quarter of its rx slots) keeps the device supplied. */
	uint32_t rx_freed, rx_free_batch;
	uint16_t txfree[NETDEV_SLOTS_MAX];
	struct netd_dev_counts c;
	char driver[16], where[16];
};

static struct netd_dev devs[NETD_ETH_MAX];

static void broke(struct netd_dev *d)
{
	if (d->broken)
		return;
	d->broken = true;
	/* The interface goes down at once; the caller detaches it. */
	if (d->nif)
		netd_if_set_link(d->nif, false);
}

/* Done transmits come back as free transmit slots. */
static void reclaim(struct netd_dev *d)
{
	struct netdev_ent e;
	int r;
	while ((r = netring_get(&d->ring, NETRING_TX_DONE, &e)) == 1)
		if (d->ntx < NETDEV_SLOTS_MAX)
			d->txfree[d->ntx++] = e.slot;
	if (r < 0)
		broke(d);
}

static err_t dev_tx(struct netd_if *nif, struct pbuf *p)
{
	struct netd_dev *d = nif->dev;
	if (d->broken)
		return ERR_IF;
	if (p->tot_len > NETDEV_FRAME_MAX || p->tot_len < NETDEV_FRAME_MIN)
		return ERR_BUF;
	if (!d->ntx)
		reclaim(d);
	if (!d->ntx) {
		/* the driver collects completions when woken */
		d->kick = true;
		d->c.tx_no_slot++;
		return ERR_MEM;
	}
	uint32_t slot = d->txfree[--d->ntx];
	uint8_t *s = netring_slot(&d->ring, slot);
	uint16_t len = pbuf_copy_partial(p, s, p->tot_len, 0);
	if (len < ETH_MIN_FRAME) {
		memset(s + len, 0, ETH_MIN_FRAME - len);
		len = ETH_MIN_FRAME;
	}
	if (netring_put(&d->ring, NETRING_TX_READY, slot, len) < 0) {
		d->txfree[d->ntx++] = (uint16_t)slot; /* still ours */
		broke(d);
		return ERR_IF;
	}
	d->kick = true;
	d->c.tx_frames++;
	return ERR_OK;
}

struct netd_dev *netd_dev_open(void *mem, size_t size,
			       const struct netdev_attach *a, int *err)
{
	struct netd_dev *d = NULL;
	for (uint32_t i = 0; i < NETD_ETH_MAX && !d; i++)
		if (!devs[i].used)
			d = &devs[i];
	if (!d) {
		*err = -2;
		return NULL;
	}
	memset(d, 0, sizeof(*d));
	if (a->region_size > size ||
	    netring_open(&d->ring, mem, a->region_size, a->nslots, a->nrx,
			 NETRING_NETD) < 0) {
		*err = -1;
		return NULL;
	}
	memcpy(d->driver, a->name, sizeof(d->driver));
	memcpy(d->where, a->where, sizeof(d->where));
	d->driver[sizeof(d->driver) - 1] = 0; /* the driver's strings */
	d->where[sizeof(d->where) - 1] = 0;
	for (uint32_t s = a->nrx; s < a->nslots; s++)
		d->txfree[d->ntx++] = (uint16_t)s;
	d->rx_free_batch = (a->nrx + 3) / 4;
	d->nif = netd_if_add(a->mac, a->mtu, netring_link(&d->ring), dev_tx, d);
	if (!d->nif) {
		*err = -2;
		return NULL;
	}
	d->used = true;
	return d;
}

void netd_dev_close(struct netd_dev *d)
{
	if (!d->used)
		return;
	netd_if_remove(d->nif);
	memset(d, 0, sizeof(*d));
}

uint32_t netd_dev_index(const struct netd_dev *d)
{
	return d->nif->index;
}

const char *netd_dev_name(const struct netd_dev *d)
{
	return d->nif->name;
}

bool netd_dev_service(struct netd_dev *d)
{
	if (d->broken)
		return false;
	reclaim(d);
	uint32_t n = 0;
	struct netdev_ent e;
	int r = 0;
	while (n < NETD_DEV_RX_BATCH &&
	       (r = netring_get(&d->ring, NETRING_RX_READY, &e)) == 1) {
		/* netd_if_input copies the frame once into a pbuf: the
		 * driver may rewrite the slot at any time. */
		netd_if_input(d->nif, netring_slot(&d->ring, e.slot), e.len);
		d->c.rx_frames++;
		n++;
		if (netring_put(&d->ring, NETRING_RX_FREE, e.slot, 0) < 0) {
			broke(d);
			return false;
		}
		if (++d->rx_freed >= d->rx_free_batch)
			d->kick = true;
		/* The frame may have ended the device (lwIP output that
		 * broke the rings). */
		if (d->broken)
			return false;
	}
	if (r < 0) {
		broke(d);
		return false;
	}
	netd_if_set_link(d->nif, netring_link(&d->ring));
	return n == NETD_DEV_RX_BATCH;
}

bool netd_dev_broken(const struct netd_dev *d)
{
	return d->broken || d->ring.broken;
}

bool netd_dev_kick(struct netd_dev *d)
{
	bool k = d->kick;
	d->kick = false;
	if (k)
		d->rx_freed = 0;
	return k;
}

uint32_t netd_dev_list(struct netd_dev_info *out, uint32_t max)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < NETD_ETH_MAX; i++) {
		const struct netd_dev *d = &devs[i];
		if (!d->used)
			continue;
		if (n < max) {
			struct netd_dev_info *o = &out[n];
			memset(o, 0, sizeof(*o));
			memcpy(o->ifname, d->nif->name, sizeof(o->ifname));
			memcpy(o->driver, d->driver, sizeof(o->driver));
			memcpy(o->where, d->where, sizeof(o->where));
			o->c = d->c;
			o->c.violations = d->ring.violations;
			o->rx_no_buffer = d->ring.hdr->rx_no_buffer;
			o->tx_errors = d->ring.hdr->tx_errors;
			o->broken = netd_dev_broken(d);
		}
		n++;
	}
	return n;
}
