/* The fake virtio-pci device of the libvirtio host tests (virtio_fake.h).
 * The ring side reads and writes the split-ring layout by byte offsets
 * from the spec (2.7), not through virtq.h's structures. */
#include "virtio_fake.h"

#include <execrt/errors.h>
#include <stdlib.h>
#include <string.h>

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}
static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}
static uint16_t get16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}
static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}
static uint64_t get64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static uint8_t *P(uint64_t phys)
{
	return (uint8_t *)(uintptr_t)phys;
}

/* ---- configuration space ---- */

static uint8_t *cap_start(struct fk_dev *f, uint8_t id, uint8_t len)
{
	unsigned p = f->cap_next;
	uint8_t *c = &f->cfg[p];
	c[0] = id;
	c[1] = 0;
	if (f->cap_last_next)
		*f->cap_last_next = (uint8_t)p;
	else
		f->cfg[0x34] = (uint8_t)p;
	f->cap_last_next = &c[1];
	f->cap_next = (p + len + 3) & ~3u;
	put16(&f->cfg[0x06], get16(&f->cfg[0x06]) | 0x10);
	return c;
}

void fk_cap_plain(struct fk_dev *f, uint8_t id, uint8_t len)
{
	cap_start(f, id, len);
}

void fk_cap_vendor(struct fk_dev *f, uint8_t type, uint8_t bar, uint32_t off,
		   uint32_t len, uint32_t mult, uint8_t cap_len)
{
	uint8_t *c = cap_start(f, 0x09, cap_len);
	c[2] = cap_len;
	c[3] = type;
	c[4] = bar;
	put32(c + 8, off);
	put32(c + 12, len);
	if (cap_len >= 20)
		put32(c + 16, mult);
}

void fk_cap_msix(struct fk_dev *f, uint16_t count, uint8_t bar, uint32_t off)
{
	uint8_t *c = cap_start(f, 0x11, 12);
	put16(c + 2, (uint16_t)(count - 1));
	put32(c + 4, off | bar);
	put32(c + 8, (off + 0x800) | bar); /* PBA */
}

void fk_init(struct fk_dev *f, unsigned msix, unsigned nq, uint16_t qmax)
{
	memset(f, 0, sizeof(*f));
	put16(&f->cfg[0], 0x1af4);
	put16(&f->cfg[2], 0x1052);
	f->cap_next = 0x40;
	f->bar_size[4] = 0x4000;
	f->bar[4] = calloc(1, 0x4000);
	f->bar_size[1] = 0x1000;
	f->bar[1] = calloc(1, 0x1000);
	f->region_common = 0;
	f->region_isr = 0x1000;
	f->region_device = 0x2000;
	f->region_notify = 0x3000;
	f->notify_mult = 4;
	if (msix)
		fk_cap_msix(f, (uint16_t)msix, 1, 0);
	fk_cap_vendor(f, VIRTIO_PCI_CAP_COMMON_CFG, 4, 0, 0x1000, 0, 16);
	fk_cap_vendor(f, VIRTIO_PCI_CAP_ISR_CFG, 4, 0x1000, 0x1000, 0, 16);
	fk_cap_vendor(f, VIRTIO_PCI_CAP_DEVICE_CFG, 4, 0x2000, 0x100, 0, 16);
	fk_cap_vendor(f, VIRTIO_PCI_CAP_NOTIFY_CFG, 4, 0x3000, 0x1000, 4, 20);
	f->offered = VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX;
	f->num_queues = (uint16_t)nq;
	for (unsigned i = 0; i < nq && i < FK_QMAX; i++) {
		f->q[i].max = qmax;
		f->q[i].msix = VIRTIO_MSI_NO_VECTOR;
	}
	f->config_msix = VIRTIO_MSI_NO_VECTOR;
	f->msix_entries = (uint16_t)msix;
	f->has_intx = true;
}

void fk_fini(struct fk_dev *f)
{
	for (unsigned i = 0; i < FK_BARS; i++)
		free(f->bar[i]);
}

/* ---- the ops ---- */

static int cfg_read(void *c, uint32_t off, unsigned w, uint32_t *v)
{
	struct fk_dev *f = c;
	if (off + w > sizeof(f->cfg) || off % w)
		return ERR_OUT_OF_RANGE;
	uint32_t x = 0;
	memcpy(&x, &f->cfg[off], w);
	*v = x;
	return 0;
}

static int cfg_write(void *c, uint32_t off, unsigned w, uint32_t v)
{
	struct fk_dev *f = c;
	if (off + w > sizeof(f->cfg) || off % w)
		return ERR_OUT_OF_RANGE;
	memcpy(&f->cfg[off], &v, w);
	return 0;
}

static int bar_map(void *c, unsigned bar, volatile void **va, uint64_t *size)
{
	struct fk_dev *f = c;
	if (bar >= FK_BARS || !f->bar[bar])
		return ERR_NOT_FOUND;
	*va = f->bar[bar];
	*size = f->bar_size[bar];
	return 0;
}

static void reset_dev(struct fk_dev *f)
{
	f->status = 0;
	f->driver_features = 0;
	f->config_msix = VIRTIO_MSI_NO_VECTOR;
	for (unsigned i = 0; i < FK_QMAX; i++) {
		uint16_t max = f->q[i].max;
		memset(&f->q[i], 0, sizeof(f->q[i]));
		f->q[i].max = max;
		f->q[i].msix = VIRTIO_MSI_NO_VECTOR;
	}
}

static uint64_t common_read(struct fk_dev *f, unsigned off)
{
	struct fk_queue *q = f->qsel < FK_QMAX ? &f->q[f->qsel] : NULL;
	switch (off) {
	case 0x00:
		return f->dfsel;
	case 0x04:
		return f->dfsel < 2 ? (uint32_t)(f->offered >> (32 * f->dfsel))
				    : 0;
	case 0x08:
		return f->gfsel;
	case 0x0c:
		return f->gfsel < 2 ? (uint32_t)(f->driver_features >>
						 (32 * f->gfsel))
				    : 0;
	case 0x10:
		return f->config_msix;
	case 0x12:
		return f->num_queues;
	case 0x14:
		if (f->reset_pending) {
			f->reset_pending--;
			return f->reset_pending ? 0x01
						: 0; /* still resetting */
		}
		return f->status;
	case 0x15:
		return f->gen;
	case 0x16:
		return f->qsel;
	case 0x18:
		return q && f->qsel < f->num_queues
			       ? (q->size ? q->size : q->max)
			       : 0;
	case 0x1a:
		return q ? q->msix : VIRTIO_MSI_NO_VECTOR;
	case 0x1c:
		return q ? q->enable : 0;
	case 0x1e:
		return f->qsel; /* notify_off = queue index */
	default:
		return 0;
	}
}

static void set64(uint64_t *p, unsigned hi, uint32_t v)
{
	*p = hi ? (*p & 0xffffffffull) | (uint64_t)v << 32
		: (*p & ~0xffffffffull) | v;
}

static void common_write(struct fk_dev *f, unsigned off, uint32_t v)
{
	struct fk_queue *q = f->qsel < FK_QMAX ? &f->q[f->qsel] : NULL;
	switch (off) {
	case 0x00:
		f->dfsel = v;
		break;
	case 0x08:
		f->gfsel = v;
		break;
	case 0x0c:
		if (f->gfsel < 2)
			f->driver_features =
				(f->driver_features &
				 ~(0xffffffffull << (32 * f->gfsel))) |
				(uint64_t)v << (32 * f->gfsel);
		break;
	case 0x10:
		f->config_msix = v < f->msix_entries ? (uint16_t)v
						     : VIRTIO_MSI_NO_VECTOR;
		break;
	case 0x14:
		if (f->nstatus < FK_STATUS_LOG)
			f->status_log[f->nstatus++] = (uint8_t)v;
		if (v == 0) {
			reset_dev(f);
			f->reset_pending = f->reset_reads;
			break;
		}
		if ((v & VIRTIO_STATUS_FEATURES_OK) &&
		    !(f->status & VIRTIO_STATUS_FEATURES_OK) &&
		    (f->refuse_features_ok ||
		     (f->driver_features & ~f->offered) ||
		     !(f->driver_features & VIRTIO_F_VERSION_1)))
			v &= ~VIRTIO_STATUS_FEATURES_OK;
		f->status = (uint8_t)v;
		break;
	case 0x16:
		f->qsel = (uint16_t)v;
		break;
	case 0x18:
		if (q && v && v <= q->max && !(v & (v - 1)))
			q->size = (uint16_t)v;
		break;
	case 0x1a:
		if (q)
			q->msix = (v < f->msix_entries) ? (uint16_t)v
							: VIRTIO_MSI_NO_VECTOR;
		break;
	case 0x1c:
		if (q)
			q->enable = (uint16_t)v;
		break;
	case 0x20:
	case 0x24:
		if (q)
			set64(&q->desc, off == 0x24, v);
		break;
	case 0x28:
	case 0x2c:
		if (q)
			set64(&q->driver, off == 0x2c, v);
		break;
	case 0x30:
	case 0x34:
		if (q)
			set64(&q->device, off == 0x34, v);
		break;
	default:
		break;
	}
}

static uint64_t mmio_read(void *c, volatile void *addr, unsigned w)
{
	struct fk_dev *f = c;
	uint8_t *a = (uint8_t *)(uintptr_t)addr;
	if (a >= f->bar[4] && a < f->bar[4] + f->bar_size[4]) {
		unsigned off = (unsigned)(a - f->bar[4]);
		if (off < 0x1000)
			return common_read(f, off);
		if (off == f->region_isr) {
			uint8_t v = f->isr;
			f->isr = 0; /* reading ISR clears it */
			return v;
		}
		if (off >= f->region_device && off < f->region_device + 0x100 &&
		    f->gen_bump_reads) {
			f->gen_bump_reads--;
			f->gen++;
		}
	}
	uint64_t v = 0;
	memcpy(&v, a, w);
	return v;
}

static void mmio_write(void *c, volatile void *addr, unsigned w, uint64_t v)
{
	struct fk_dev *f = c;
	uint8_t *a = (uint8_t *)(uintptr_t)addr;
	if (a >= f->bar[4] && a < f->bar[4] + f->bar_size[4]) {
		unsigned off = (unsigned)(a - f->bar[4]);
		if (off < 0x1000) {
			common_write(f, off, (uint32_t)v);
			return;
		}
		if (off >= f->region_notify &&
		    off < f->region_notify + 0x1000) {
			unsigned qi = (off - f->region_notify) / f->notify_mult;
			if (qi < FK_QMAX && v == qi)
				f->q[qi].notifies++;
			return;
		}
	}
	memcpy(a, &v, w);
}

static int dma_alloc(void *c, size_t size, struct virtio_dma *out)
{
	struct fk_dev *f = c;
	size_t sz = (size + 4095) & ~(size_t)4095;
	void *p = aligned_alloc(4096, sz);
	if (!p)
		return ERR_NO_MEMORY;
	memset(p, 0, sz);
	out->va = p;
	out->phys = (uint64_t)(uintptr_t)p;
	out->size = sz;
	out->priv = 0;
	f->dma_live++;
	f->dma_total++;
	return 0;
}

static void dma_free(void *c, struct virtio_dma *d)
{
	struct fk_dev *f = c;
	free(d->va);
	f->dma_live--;
}

/* Private memory: plain heap, never handed to the device side. */
static int priv_alloc(void *c, size_t size, struct virtio_dma *out)
{
	struct fk_dev *f = c;
	void *p = calloc(1, size);
	if (!p)
		return ERR_NO_MEMORY;
	*out = (struct virtio_dma){.va = p, .size = size};
	f->priv_live++;
	return 0;
}

static void priv_free(void *c, struct virtio_dma *m)
{
	struct fk_dev *f = c;
	free(m->va);
	f->priv_live--;
}

static int msi_create(void *c, unsigned bit, struct virtio_msi *out)
{
	struct fk_dev *f = c;
	f->msi_made++;
	if (f->msi_fail_at && (int)f->msi_made == f->msi_fail_at)
		return ERR_NO_RESOURCES;
	out->addr = 0xfee00000u;
	out->data = 0x40 + bit;
	out->irq = 100 + bit;
	f->msi_live++;
	return 0;
}

static int intx_create(void *c, unsigned bit, uint32_t *irq)
{
	struct fk_dev *f = c;
	if (!f->has_intx)
		return ERR_NOT_FOUND;
	*irq = 200 + bit;
	f->intx_live++;
	return 0;
}

static int irq_ack(void *c, uint32_t irq)
{
	struct fk_dev *f = c;
	if (f->acks < 64)
		f->acked[f->acks] = irq;
	f->acks++;
	return 0;
}

static void irq_close(void *c, uint32_t irq)
{
	struct fk_dev *f = c;
	if (irq >= 200)
		f->intx_live--;
	else
		f->msi_live--;
}

const struct virtio_ops fk_ops = {
	.cfg_read = cfg_read,
	.cfg_write = cfg_write,
	.bar_map = bar_map,
	.mmio_read = mmio_read,
	.mmio_write = mmio_write,
	.dma_alloc = dma_alloc,
	.dma_free = dma_free,
	.priv_alloc = priv_alloc,
	.priv_free = priv_free,
	.msi_create = msi_create,
	.intx_create = intx_create,
	.irq_ack = irq_ack,
	.irq_close = irq_close,
};

int fk_bringup(struct fk_dev *f, struct virtio_dev *d, uint64_t wanted,
	       unsigned qsize, struct virtq **q0)
{
	int r;
	if ((r = virtio_init(d, &fk_ops, f)) ||
	    (r = virtio_negotiate(d, wanted)) ||
	    (r = virtio_irq_setup(d, 0, f->num_queues)) ||
	    (r = virtq_setup(d, 0, qsize, q0)))
		return r;
	return virtio_ready(d);
}

/* ---- device side of the rings ---- */

static uint8_t *avail(struct fk_queue *q)
{
	return P(q->driver);
}
static uint8_t *used(struct fk_queue *q)
{
	return P(q->device);
}

bool fk_pop(struct fk_dev *f, unsigned qi, struct fk_chain *c)
{
	struct fk_queue *q = &f->q[qi];
	uint16_t aidx =
		__atomic_load_n((uint16_t *)(avail(q) + 2), __ATOMIC_ACQUIRE);
	if (aidx == q->last_avail)
		return false;
	uint16_t head = get16(avail(q) + 4 + 2 * (q->last_avail % q->size));
	q->last_avail++;
	c->n = 0;
	uint16_t i = head;
	for (;;) {
		if (i >= q->size || c->n >= 64 || q->inflight[i])
			abort(); /* a broken chain: the driver's bug */
		uint8_t *d = P(q->desc) + 16u * i;
		q->inflight[i] = true;
		c->addr[c->n] = get64(d);
		c->len[c->n] = get32(d + 8);
		c->flags[c->n] = get16(d + 12);
		c->id[c->n] = i;
		c->n++;
		if (!(get16(d + 12) & VIRTQ_DESC_F_NEXT))
			break;
		i = get16(d + 14);
	}
	return true;
}

void fk_push(struct fk_dev *f, unsigned qi, uint16_t head, uint32_t len)
{
	struct fk_queue *q = &f->q[qi];
	/* Release the chain's descriptors (walk it again from the table). */
	uint16_t i = head;
	for (;;) {
		uint8_t *d = P(q->desc) + 16u * i;
		q->inflight[i] = false;
		if (!(get16(d + 12) & VIRTQ_DESC_F_NEXT))
			break;
		i = get16(d + 14);
	}
	uint8_t *e = used(q) + 4 + 8u * (q->used_idx % q->size);
	put32(e, head);
	put32(e + 4, len);
	q->used_idx++;
	__atomic_store_n((uint16_t *)(used(q) + 2), q->used_idx,
			 __ATOMIC_RELEASE);
}

bool fk_irq_needed(struct fk_dev *f, unsigned qi)
{
	struct fk_queue *q = &f->q[qi];
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	uint16_t old = q->signalled, now = q->used_idx;
	q->signalled = now;
	if (f->driver_features & VIRTIO_F_EVENT_IDX) {
		/* 2.7.10: interrupt when used_event lies in [old, now). */
		uint16_t ev = get16(avail(q) + 4 + 2 * q->size);
		return (uint16_t)(ev - old) < (uint16_t)(now - old);
	}
	return now != old && !(get16(avail(q)) & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

void fk_set_avail_event(struct fk_dev *f, unsigned qi, uint16_t ev)
{
	struct fk_queue *q = &f->q[qi];
	put16(used(q) + 4 + 8u * q->size, ev);
}

void fk_set_no_notify(struct fk_dev *f, unsigned qi, bool on)
{
	put16(used(&f->q[qi]), on ? VIRTQ_USED_F_NO_NOTIFY : 0);
}

uint16_t fk_used_event(struct fk_dev *f, unsigned qi)
{
	struct fk_queue *q = &f->q[qi];
	return get16(avail(q) + 4 + 2 * q->size);
}

uint16_t fk_avail_flags(struct fk_dev *f, unsigned qi)
{
	return get16(avail(&f->q[qi]));
}
uint16_t fk_avail_idx(struct fk_dev *f, unsigned qi)
{
	return get16(avail(&f->q[qi]) + 2);
}
