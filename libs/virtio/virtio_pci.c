/* libvirtio transport: virtio 1.x over PCI, modern layout only.
 *
 * The capability walk, the status sequence (reset, ACKNOWLEDGE, DRIVER,
 * FEATURES_OK read back, DRIVER_OK, FAILED), feature negotiation, MSI-X
 * programming (or the INTx line + ISR) and device configuration access.
 * No system calls: every platform action goes through dev->ops. */
#include "virtio_priv.h"

#include <execrt/errors.h>
#include <string.h>
#include <virtio/virtq.h>

#define PCI_COMMAND	 0x04
#define PCI_CMD_MEM	 (1u << 1)
#define PCI_CMD_MASTER	 (1u << 2)
#define PCI_CMD_INTX_OFF (1u << 10)
#define PCI_STATUS	 0x06
#define PCI_STATUS_CAPS	 (1u << 4)
#define PCI_CAP_PTR	 0x34
#define PCI_CAP_VENDOR	 0x09
#define PCI_CAP_MSIX	 0x11
#define MSIX_CTL_ENABLE	 (1u << 15)
#define MSIX_CTL_MASKALL (1u << 14)
#define RESET_SPINS	 1000000 /* QEMU resets synchronously; hardware in us */

static int cfg8(const struct virtio_ops *o, void *c, uint32_t off, uint32_t *v)
{
	return o->cfg_read(c, off, 1, v);
}

/* One vendor capability (virtio_pci_cap, 4.1.4): keep the first usable
 * one of each type, as the spec asks. */
static int vendor_cap(const struct virtio_ops *o, void *c, uint32_t p,
		      struct virtio_pci_caps *out)
{
	uint32_t len, type, bar, off, length, mult = 0;
	int r;
	if ((r = cfg8(o, c, p + 2, &len)) || (r = cfg8(o, c, p + 3, &type)) ||
	    (r = cfg8(o, c, p + 4, &bar)) ||
	    (r = o->cfg_read(c, p + 8, 4, &off)) ||
	    (r = o->cfg_read(c, p + 12, 4, &length)))
		return r;
	if (len < 16 || bar > 5)
		return 0; /* not one we can use: skip it */
	struct virtio_region *reg;
	switch (type) {
	case VIRTIO_PCI_CAP_COMMON_CFG:
		reg = &out->common;
		break;
	case VIRTIO_PCI_CAP_NOTIFY_CFG:
		if (len < 20)
			return 0;
		if ((r = o->cfg_read(c, p + 16, 4, &mult)))
			return r;
		reg = &out->notify;
		break;
	case VIRTIO_PCI_CAP_ISR_CFG:
		reg = &out->isr;
		break;
	case VIRTIO_PCI_CAP_DEVICE_CFG:
		reg = &out->device;
		break;
	default:
		return 0;
	}
	if (reg->bar >= 0)
		return 0;
	reg->bar = (int)bar;
	reg->offset = off;
	reg->length = length;
	if (type == VIRTIO_PCI_CAP_NOTIFY_CFG)
		out->notify_mult = mult;
	return 0;
}

int virtio_pci_parse_caps(const struct virtio_ops *o, void *c,
			  struct virtio_pci_caps *out)
{
	memset(out, 0, sizeof(*out));
	out->common.bar = out->notify.bar = out->isr.bar = out->device.bar = -1;
	uint32_t st, p, id, next;
	int r;
	if ((r = o->cfg_read(c, PCI_STATUS, 2, &st)))
		return r;
	if (!(st & PCI_STATUS_CAPS))
		return ERR_NOT_SUPPORTED;
	if ((r = cfg8(o, c, PCI_CAP_PTR, &p)))
		return r;
	p &= 0xfc;
	/* 48 capabilities fit in the 192 bytes after the header: more is a
	 * loop. */
	for (int n = 0; p; n++) {
		if (n >= 48 || p < 0x40)
			return ERR_INVALID_ARGS;
		if ((r = cfg8(o, c, p, &id)) || (r = cfg8(o, c, p + 1, &next)))
			return r;
		if (id == PCI_CAP_VENDOR && (r = vendor_cap(o, c, p, out)))
			return r;
		if (id == PCI_CAP_MSIX && !out->msix_cap) {
			uint32_t ctl, tbl;
			if ((r = o->cfg_read(c, p + 2, 2, &ctl)) ||
			    (r = o->cfg_read(c, p + 4, 4, &tbl)))
				return r;
			out->msix_cap = (uint8_t)p;
			out->msix_count = (uint16_t)((ctl & 0x7ff) + 1);
			out->msix_table_bar = (uint8_t)(tbl & 7);
			out->msix_table_off = tbl & ~7u;
		}
		p = next & 0xfc;
	}
	if (out->common.bar < 0 || out->notify.bar < 0 || out->isr.bar < 0 ||
	    out->common.length < VCC_MIN_LEN)
		return ERR_NOT_SUPPORTED;
	return 0;
}

static int map_bar(struct virtio_dev *d, unsigned bar)
{
	if (bar > 5)
		return ERR_OUT_OF_RANGE;
	if (d->bar_va[bar])
		return 0;
	volatile void *va = NULL;
	uint64_t size = 0;
	int r = d->ops->bar_map(d->ctx, bar, &va, &size);
	if (r)
		return r;
	d->bar_va[bar] = va;
	d->bar_size[bar] = size;
	return 0;
}

static int map_region(struct virtio_dev *d, struct virtio_region *reg)
{
	if (reg->bar < 0)
		return 0;
	int r = map_bar(d, (unsigned)reg->bar);
	if (r)
		return r;
	if ((uint64_t)reg->offset + reg->length > d->bar_size[reg->bar])
		return ERR_OUT_OF_RANGE;
	reg->va = d->bar_va[reg->bar] + reg->offset;
	return 0;
}

static void set_status(struct virtio_dev *d, uint8_t s)
{
	d->status = s;
	vcc_wr(d, VCC_STATUS, 1, s);
}

uint8_t virtio_status(struct virtio_dev *d)
{
	return d->caps.common.va ? (uint8_t)vcc_rd(d, VCC_STATUS, 1) : 0;
}

static int reset(struct virtio_dev *d)
{
	set_status(d, 0);
	/* The device is reset once status reads back 0 (4.1.4.3.2). */
	for (int i = 0; i < RESET_SPINS; i++)
		if (virtio_status(d) == 0)
			return 0;
	return ERR_TIMED_OUT;
}

int virtio_init(struct virtio_dev *d, const struct virtio_ops *ops, void *ctx)
{
	memset(d, 0, sizeof(*d));
	d->ops = ops;
	d->ctx = ctx;
	int r = virtio_pci_parse_caps(ops, ctx, &d->caps);
	if (r)
		return r;
	if ((r = map_region(d, &d->caps.common)) ||
	    (r = map_region(d, &d->caps.notify)) ||
	    (r = map_region(d, &d->caps.isr)) ||
	    (r = map_region(d, &d->caps.device)))
		return r;
	uint32_t cmd;
	if ((r = ops->cfg_read(ctx, PCI_COMMAND, 2, &cmd)))
		return r;
	if ((cmd & (PCI_CMD_MEM | PCI_CMD_MASTER)) !=
		    (PCI_CMD_MEM | PCI_CMD_MASTER) &&
	    (r = ops->cfg_write(ctx, PCI_COMMAND, 2,
				cmd | PCI_CMD_MEM | PCI_CMD_MASTER)))
		return r;
	if ((r = reset(d)))
		return r;
	set_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
	set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	d->num_queues = (uint16_t)vcc_rd(d, VCC_NUMQ, 2);
	return 0;
}

uint64_t virtio_device_features(struct virtio_dev *d)
{
	vcc_wr(d, VCC_DFSELECT, 4, 0);
	uint64_t lo = vcc_rd(d, VCC_DF, 4);
	vcc_wr(d, VCC_DFSELECT, 4, 1);
	uint64_t hi = vcc_rd(d, VCC_DF, 4);
	return lo | hi << 32;
}

void virtio_fail(struct virtio_dev *d)
{
	if (d->caps.common.va) /* not before the registers are mapped */
		set_status(d, d->status | VIRTIO_STATUS_FAILED);
}

int virtio_negotiate(struct virtio_dev *d, uint64_t wanted)
{
	if (d->status != (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER))
		return ERR_BAD_STATE;
	uint64_t offered = virtio_device_features(d);
	if (!(offered & VIRTIO_F_VERSION_1)) {
		virtio_fail(d);
		return ERR_NOT_SUPPORTED;
	}
	uint64_t acc =
		offered & (wanted | VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX);
	acc &= ~(VIRTIO_F_INDIRECT_DESC | VIRTIO_F_RING_PACKED);
	vcc_wr(d, VCC_GFSELECT, 4, 0);
	vcc_wr(d, VCC_GF, 4, (uint32_t)acc);
	vcc_wr(d, VCC_GFSELECT, 4, 1);
	vcc_wr(d, VCC_GF, 4, (uint32_t)(acc >> 32));
	set_status(d, d->status | VIRTIO_STATUS_FEATURES_OK);
	/* The device clears FEATURES_OK when it cannot work with this set. */
	if (!(virtio_status(d) & VIRTIO_STATUS_FEATURES_OK)) {
		d->status &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
		virtio_fail(d);
		return ERR_NOT_SUPPORTED;
	}
	d->features = acc;
	return 0;
}

static void irq_close_all(struct virtio_dev *d)
{
	for (unsigned v = 0; v < d->nvec; v++)
		if (d->ops->irq_close)
			d->ops->irq_close(d->ctx, d->irq[v]);
	d->nvec = 0;
}

/* MSI-X enable on or off, function mask clear. Written only when it
 * changes: each configuration write that changes decoding costs QEMU 7.2's
 * TCG an address-space remap that can race another vCPU's MMIO. */
static void msix_enable(struct virtio_dev *d, bool on)
{
	uint32_t ctl = 0, want;
	unsigned p = d->caps.msix_cap;
	if (d->ops->cfg_read(d->ctx, p + 2, 2, &ctl))
		return;
	want = (ctl & ~(MSIX_CTL_ENABLE | MSIX_CTL_MASKALL)) |
	       (on ? MSIX_CTL_ENABLE : 0);
	if (want != ctl)
		d->ops->cfg_write(d->ctx, p + 2, 2, want);
}

/* One vector per entry: an IRQ object, its message written into the table
 * entry, the entry unmasked; MSI-X is enabled last, in one write (the
 * table is reachable with MSI-X off, and the device raises nothing before
 * DRIVER_OK). */
static int msix_setup(struct virtio_dev *d, unsigned nvec)
{
	struct virtio_pci_caps *c = &d->caps;
	int r = map_bar(d, c->msix_table_bar);
	if (r)
		return r;
	if ((uint64_t)c->msix_table_off + 16u * c->msix_count >
	    d->bar_size[c->msix_table_bar])
		return ERR_OUT_OF_RANGE;
	d->msix_table = d->bar_va[c->msix_table_bar] + c->msix_table_off;
	for (unsigned v = 0; v < nvec; v++) {
		struct virtio_msi m;
		if ((r = d->ops->msi_create(d->ctx, d->irq_bit0 + v, &m)))
			return r;
		d->irq[v] = m.irq;
		d->nvec = v + 1;
		volatile uint8_t *e = d->msix_table + 16u * v;
		vio_wr(d, e + 12, 4, 1); /* masked while written */
		vio_wr(d, e + 0, 4, (uint32_t)m.addr);
		vio_wr(d, e + 4, 4, (uint32_t)(m.addr >> 32));
		vio_wr(d, e + 8, 4, m.data);
		vio_wr(d, e + 12, 4, 0);
	}
	d->msix = true;
	vcc_wr(d, VCC_MSIX, 2, 0);
	if (vcc_rd(d, VCC_MSIX, 2) != 0)
		return ERR_NOT_SUPPORTED; /* the device could not take the
					     vector */
	msix_enable(d, true);
	return 0;
}

int virtio_irq_setup(struct virtio_dev *d, unsigned bit0, unsigned nqueues)
{
	if (nqueues > VIRTIO_MAX_QUEUES || bit0 + 1 + nqueues > 64)
		return ERR_INVALID_ARGS;
	if (d->nvec || !(d->status & VIRTIO_STATUS_FEATURES_OK))
		return ERR_BAD_STATE;
	d->irq_bit0 = bit0;
	int r = ERR_NOT_SUPPORTED;
	if (d->caps.msix_cap && d->ops->msi_create) {
		unsigned nvec = 1 + nqueues;
		if (nvec > d->caps.msix_count)
			nvec = d->caps.msix_count; /* queues share the last
						      entry */
		r = msix_setup(d, nvec);
		if (!r)
			return 0;
		/* Fall back to the line: undo what was done. */
		vcc_wr(d, VCC_MSIX, 2, VIRTIO_MSI_NO_VECTOR);
		irq_close_all(d);
		msix_enable(d, false);
		d->msix = false;
		d->msix_table = NULL;
	}
	if (!d->ops->intx_create)
		return r;
	uint32_t irq, cmd;
	int ri = d->ops->intx_create(d->ctx, bit0, &irq);
	if (ri)
		return r == ERR_NOT_SUPPORTED ? ri : r;
	d->irq[0] = irq;
	d->nvec = 1;
	if (!d->ops->cfg_read(d->ctx, PCI_COMMAND, 2, &cmd) &&
	    (cmd & PCI_CMD_INTX_OFF))
		d->ops->cfg_write(d->ctx, PCI_COMMAND, 2,
				  cmd & ~PCI_CMD_INTX_OFF);
	return 0;
}

uint64_t virtio_irq_mask(const struct virtio_dev *d)
{
	if (!d->nvec)
		return 0;
	return (d->nvec >= 64 ? ~0ull : ((1ull << d->nvec) - 1)) << d->irq_bit0;
}

static uint32_t live_queues(const struct virtio_dev *d)
{
	uint32_t m = 0;
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
		if (d->queues[q])
			m |= 1u << q;
	return m;
}

uint32_t virtio_intr(struct virtio_dev *d, uint64_t bits)
{
	uint32_t res = 0;
	if (!d->msix) {
		if (!d->nvec || !(bits & (1ull << d->irq_bit0)))
			return 0;
		/* Reading ISR deasserts the line: before the ack, or it fires
		 * again. */
		uint8_t isr = (uint8_t)vio_rd(d, d->caps.isr.va, 1);
		if (isr & 1)
			res |= live_queues(d);
		if (isr & 2)
			res |= VIRTIO_INTR_CONFIG;
		d->ops->irq_ack(d->ctx, d->irq[0]);
		return res;
	}
	for (unsigned v = 0; v < d->nvec; v++) {
		if (!(bits & (1ull << (d->irq_bit0 + v))))
			continue;
		d->ops->irq_ack(d->ctx, d->irq[v]);
		if (v == 0)
			res |= VIRTIO_INTR_CONFIG;
		for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
			if (d->queues[q] && vio_queue_vector(d, q) == v)
				res |= 1u << q;
	}
	return res;
}

/* Copy [off, off+len) of the device configuration, in naturally aligned
 * accesses of up to 4 bytes. */
static void cfg_copy(struct virtio_dev *d, uint32_t off, uint8_t *buf,
		     size_t len)
{
	while (len) {
		unsigned w = (off % 4 == 0 && len >= 4)	  ? 4
			     : (off % 2 == 0 && len >= 2) ? 2
							  : 1;
		uint32_t v = (uint32_t)vio_rd(d, d->caps.device.va + off, w);
		memcpy(buf, &v, w);
		buf += w;
		off += w;
		len -= w;
	}
}

int virtio_cfg_read(struct virtio_dev *d, uint32_t off, void *buf, size_t len)
{
	if (!d->caps.device.va || off > d->caps.device.length ||
	    len > d->caps.device.length - off)
		return ERR_OUT_OF_RANGE;
	/* A multi-byte value is consistent only if the generation did not move.
	 */
	for (int tries = 0; tries < 1000; tries++) {
		uint32_t g = vcc_rd(d, VCC_GEN, 1);
		cfg_copy(d, off, buf, len);
		if (vcc_rd(d, VCC_GEN, 1) == g)
			return 0;
	}
	return ERR_TIMED_OUT;
}

int virtio_cfg_write(struct virtio_dev *d, uint32_t off, const void *buf,
		     size_t len)
{
	if (!d->caps.device.va || off > d->caps.device.length ||
	    len > d->caps.device.length - off)
		return ERR_OUT_OF_RANGE;
	const uint8_t *b = buf;
	while (len) {
		unsigned w = (off % 4 == 0 && len >= 4)	  ? 4
			     : (off % 2 == 0 && len >= 2) ? 2
							  : 1;
		uint32_t v = 0;
		memcpy(&v, b, w);
		vio_wr(d, d->caps.device.va + off, w, v);
		b += w;
		off += w;
		len -= w;
	}
	return 0;
}

uint8_t virtio_cfg_read8(struct virtio_dev *d, uint32_t off)
{
	uint8_t v = 0;
	virtio_cfg_read(d, off, &v, 1);
	return v;
}

uint32_t virtio_cfg_read32(struct virtio_dev *d, uint32_t off)
{
	uint32_t v = 0;
	virtio_cfg_read(d, off, &v, 4);
	return v;
}

void virtio_cfg_write8(struct virtio_dev *d, uint32_t off, uint8_t v)
{
	virtio_cfg_write(d, off, &v, 1);
}

int virtio_ready(struct virtio_dev *d)
{
	if (!(d->status & VIRTIO_STATUS_FEATURES_OK) ||
	    (d->status & VIRTIO_STATUS_FAILED))
		return ERR_BAD_STATE;
	set_status(d, d->status | VIRTIO_STATUS_DRIVER_OK);
	return 0;
}

int virtio_dma_alloc(struct virtio_dev *d, size_t size, struct virtio_dma *out)
{
	if (!size)
		return ERR_INVALID_ARGS;
	return d->ops->dma_alloc(d->ctx, size, out);
}

void virtio_dma_free(struct virtio_dev *d, struct virtio_dma *dma)
{
	if (dma->va)
		d->ops->dma_free(d->ctx, dma);
	memset(dma, 0, sizeof(*dma));
}

void virtio_close(struct virtio_dev *d)
{
	if (d->caps.common.va)
		reset(d); /* no DMA after this: the rings can go */
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		if (d->queues[q])
			virtq_free_queue(d->queues[q]);
		d->queues[q] = NULL;
	}
	if (d->msix)
		msix_enable(d, false);
	irq_close_all(d);
	d->msix = false;
}
