/* libvirtio's exec-rt platform: the system calls behind struct virtio_ops
 * (virtio_execrt.h). The device comes from iod's device requests
 * (iod_proto.h); configuration space, MSI and DMA from the kernel. */
#include <execrt/errors.h>
#include <execrt/iod_proto.h>
#include <execrt/ipc.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>
#include <execrt/syscall.h>
#include <string.h>
#include <virtio/virtio_execrt.h>

#define PAGE 4096ull

static handle_t self(void)
{
	return execrt_handle(START_H_SELF_TASK);
}

/* One device request; data (IOD_DEV_INFO) and up to nh handles come back
 * (*ngot of them, may be NULL); the rest are closed. */
static int iod_call(struct virtio_execrt *p, uint32_t op, uint32_t a,
		    uint32_t b, void *data, uint32_t dlen, handle_t *hs,
		    uint32_t nh, uint32_t *ngot, uint64_t *val)
{
	struct iod_req req = {.op = op, .a = a, .b = b};
	struct {
		struct iod_resp r;
		uint8_t data[sizeof(struct iod_dev_info)];
	} ans;
	handle_t got[PORT_HANDLES_MAX];
	struct port_msg m = {.data = &req, .len = sizeof(req)};
	struct port_rx rx = {.buf = &ans,
			     .cap = sizeof(ans),
			     .handles = got,
			     .hcap = PORT_HANDLES_MAX};
	long r =
		sys_port_call(p->iod, &m, &rx, sys_clock_now() + 5000000000ull);
	if (r < 0)
		return (int)r;
	int err = rx.len < sizeof(ans.r) ? ERR_BAD_STATE : ans.r.err;
	if (!err && dlen && (ans.r.len < dlen || rx.len < sizeof(ans.r) + dlen))
		err = ERR_BAD_STATE;
	for (uint32_t i = 0; i < rx.nhandles; i++) {
		if (!err && i < nh)
			hs[i] = got[i];
		else if (got[i])
			sys_handle_close(got[i]);
	}
	if (err)
		return err;
	if (ngot)
		*ngot = rx.nhandles < nh ? rx.nhandles : nh;
	if (dlen)
		memcpy(data, ans.data, dlen);
	if (val)
		*val = ans.r.val;
	return 0;
}

int virtio_execrt_open(struct virtio_execrt *p, handle_t iod_ep)
{
	memset(p, 0, sizeof(*p));
	p->iod = iod_ep;
	p->gsi = -1;
	struct iod_dev_info info;
	int r = iod_call(p, IOD_DEV_INFO, 0, 0, &info, sizeof(info), NULL, 0,
			 NULL, NULL);
	if (r)
		return r;
	if (info.kind != IOD_KIND_PCI)
		return ERR_WRONG_TYPE;
	/* Only the present handles travel; val says which they are. */
	handle_t got[IOD_H_COUNT] = {0}, hs[IOD_H_COUNT];
	uint32_t ngot = 0;
	uint64_t present = 0;
	if ((r = iod_call(p, IOD_DEV_HANDLES, 0, 0, NULL, 0, got, IOD_H_COUNT,
			  &ngot, &present)))
		return r;
	iod_handles_unpack(present, got, ngot, hs);
	p->pci = hs[IOD_H_PCI];
	p->dma = hs[IOD_H_DMA];
	p->irq_auth = hs[IOD_H_IRQ];
	for (unsigned i = 0; i < IOD_H_COUNT; i++)
		if (i != IOD_H_PCI && i != IOD_H_DMA && i != IOD_H_IRQ && hs[i])
			sys_handle_close(hs[i]);
	p->bdf = info.bdf;
	p->vendor = info.vendor;
	p->device = info.device;
	if ((info.irq_flags & IOD_IRQ_LEGACY) &&
	    info.legacy_gsi != IOD_GSI_NONE)
		p->gsi = (int32_t)info.legacy_gsi;
	for (unsigned i = 0; i < 6; i++)
		p->bar_len[i] = (info.bar[i].flags & IOD_BAR_MEM)
					? info.bar[i].size
					: 0;
	if (!p->pci || !p->dma)
		r = ERR_ACCESS_DENIED;
	else
		r = (int)sys_notif_create(&p->notif);
	if (r < 0) {
		virtio_execrt_close(p);
		return r;
	}
	return 0;
}

static int cfg_read(void *c, uint32_t off, unsigned w, uint32_t *v);
/* Where memory BAR bar is: 0 (32-bit), 1 (64-bit: the next slot is its
 * upper half) or an error. Read only: sizing a BAR toggles its decoding,
 * and QEMU 7.2's TCG can crash on the remap while another vCPU runs
 * (iod's finding); the extent comes from the capabilities instead. */
static int bar_base(struct virtio_execrt *p, unsigned bar, uint64_t *base)
{
	uint32_t off = 0x10 + 4 * bar, lo, hi = 0;
	int r;
	if ((r = cfg_read(p, off, 4, &lo)))
		return r;
	if (lo & 1)
		return ERR_NOT_FOUND; /* I/O space */
	bool is64 = (lo & 6) == 4;
	if (is64 && (bar == 5 || (r = cfg_read(p, off + 4, 4, &hi))))
		return bar == 5 ? ERR_NOT_FOUND : r;
	*base = ((uint64_t)hi << 32 | (lo & ~0xfu));
	return *base ? is64 : ERR_NOT_FOUND;
}

static void extent(struct virtio_execrt *p, int bar, uint64_t end)
{
	if (bar >= 0 && bar < 6 && p->bar_phys[bar] && end > p->bar_len[bar])
		p->bar_len[bar] = end;
}

int virtio_execrt_open_direct(struct virtio_execrt *p, handle_t pci,
			      uint32_t bdf, handle_t mmio, handle_t dma)
{
	memset(p, 0, sizeof(*p));
	p->pci = pci;
	p->bdf = bdf;
	p->mmio = mmio;
	p->dma = dma;
	p->gsi = -1;
	p->direct = true;
	uint32_t id;
	int r = cfg_read(p, 0, 4, &id);
	if (r)
		return r;
	p->vendor = (uint16_t)id;
	p->device = (uint16_t)(id >> 16);
	for (unsigned i = 0; i < 6; i++) {
		uint64_t base = 0;
		int b = bar_base(p, i, &base);
		if (b >= 0) {
			p->bar_phys[i] = base;
			i += (unsigned)b;
		}
	}
	/* Each BAR as far as what the driver will touch in it reaches. */
	struct virtio_pci_caps c;
	if ((r = virtio_pci_parse_caps(&virtio_execrt_ops, p, &c)))
		return r;
	const struct virtio_region *reg[] = {&c.common, &c.notify, &c.isr,
					     &c.device};
	for (unsigned i = 0; i < 4; i++)
		extent(p, reg[i]->bar,
		       (uint64_t)reg[i]->offset + reg[i]->length);
	if (c.msix_cap)
		extent(p, c.msix_table_bar,
		       (uint64_t)c.msix_table_off + 16u * c.msix_count);
	return (int)sys_notif_create(&p->notif);
}

void virtio_execrt_close(struct virtio_execrt *p)
{
	for (unsigned i = 0; i < 6; i++) {
		if (p->bar_addr[i])
			sys_vm_unmap(self(), p->bar_addr[i],
				     (p->bar_len[i] + PAGE - 1) & ~(PAGE - 1));
		if (p->bar_vmo[i])
			sys_handle_close(p->bar_vmo[i]);
		p->bar_addr[i] = 0;
		p->bar_vmo[i] = 0;
	}
	handle_t *hs[] = {&p->notif, &p->pci, &p->dma, &p->irq_auth};
	for (unsigned i = 0; i < (p->direct ? 1 : sizeof(hs) / sizeof(hs[0]));
	     i++) {
		if (*hs[i])
			sys_handle_close(*hs[i]);
		*hs[i] = 0;
	}
}

static int cfg_read(void *c, uint32_t off, unsigned w, uint32_t *v)
{
	struct virtio_execrt *p = c;
	return (int)sys_pci_cfg_read(p->pci, p->bdf, off, w, v);
}

static int cfg_write(void *c, uint32_t off, unsigned w, uint32_t v)
{
	struct virtio_execrt *p = c;
	return (int)sys_pci_cfg_write(p->pci, p->bdf, off, w, v);
}

static int map(handle_t vmo, uint64_t len, uint64_t *addr)
{
	struct vm_map_req req = {.len = len,
				 .prot = VM_PROT_READ | VM_PROT_WRITE};
	return (int)sys_vm_map(self(), vmo, &req, addr);
}

static int bar_map(void *c, unsigned bar, volatile void **va, uint64_t *size)
{
	struct virtio_execrt *p = c;
	if (bar > 5 || !p->bar_len[bar])
		return ERR_NOT_FOUND;
	if (!p->bar_addr[bar]) {
		handle_t vmo = 0;
		uint64_t len = (p->bar_len[bar] + PAGE - 1) & ~(PAGE - 1);
		uint32_t n = 1;
		int r;
		if (p->direct)
			r = (int)sys_vmo_create_phys(p->mmio, p->bar_phys[bar],
						     len, VMO_CACHE_UC, &vmo);
		else
			r = iod_call(p, IOD_DEV_BAR, bar, VMO_CACHE_UC, NULL, 0,
				     &vmo, 1, &n, NULL);
		if (!r && n != 1)
			r = ERR_BAD_STATE; /* an answer without its handle */
		if (r)
			return r;
		uint64_t addr;
		if ((r = map(vmo, len, &addr))) {
			sys_handle_close(vmo);
			return r;
		}
		p->bar_vmo[bar] = vmo;
		p->bar_addr[bar] = addr;
	}
	*va = (volatile void *)(uintptr_t)p->bar_addr[bar];
	*size = p->bar_len[bar];
	return 0;
}

static int dma_alloc(void *c, size_t size, struct virtio_dma *out)
{
	struct virtio_execrt *p = c;
	uint64_t len = (size + PAGE - 1) & ~(PAGE - 1), phys, addr;
	handle_t v;
	long r = sys_vmo_create_dma(p->dma, len, &v);
	if (r < 0)
		return (int)r;
	if ((r = sys_vmo_phys(v, &phys)) < 0 || (r = map(v, len, &addr)) < 0) {
		sys_handle_close(v);
		return (int)r;
	}
	out->va = (void *)(uintptr_t)addr;
	out->phys = phys;
	out->size = len;
	out->priv = v;
	return 0;
}

static void dma_free(void *c, struct virtio_dma *d)
{
	(void)c;
	sys_vm_unmap(self(), (uint64_t)(uintptr_t)d->va, d->size);
	sys_handle_close((handle_t)d->priv);
}

/* Queue bookkeeping: an ordinary memory object, never given to the
 * device (no physical address is taken). */
static int priv_alloc(void *c, size_t size, struct virtio_dma *out)
{
	(void)c;
	uint64_t len = (size + PAGE - 1) & ~(PAGE - 1), addr;
	handle_t v;
	long r = sys_vmo_create(len, &v);
	if (r < 0)
		return (int)r;
	if ((r = map(v, len, &addr)) < 0) {
		sys_handle_close(v);
		return (int)r;
	}
	*out = (struct virtio_dma){
		.va = (void *)(uintptr_t)addr, .size = len, .priv = v};
	return 0;
}

static int msi_create(void *c, unsigned bit, struct virtio_msi *out)
{
	struct virtio_execrt *p = c;
	struct irq_msi m;
	long r = sys_irq_create_msi(p->pci, p->bdf, p->notif, 1ull << bit, &m);
	if (r < 0)
		return (int)r;
	out->addr = m.addr;
	out->data = m.data;
	out->irq = m.irq;
	p->msi_live++;
	return 0;
}

static int intx_create(void *c, unsigned bit, uint32_t *irq)
{
	struct virtio_execrt *p = c;
	if (p->gsi < 0 || !p->irq_auth)
		return ERR_NOT_FOUND;
	handle_t h;
	long r = sys_irq_create(p->irq_auth, (uint32_t)p->gsi, p->notif,
				1ull << bit, &h);
	if (r < 0)
		return (int)r;
	*irq = h;
	p->msi_live++;
	return 0;
}

static int irq_ack(void *c, uint32_t irq)
{
	(void)c;
	return (int)sys_irq_ack(irq);
}

static void irq_close(void *c, uint32_t irq)
{
	struct virtio_execrt *p = c;
	sys_handle_close(irq);
	p->msi_live--;
}

const struct virtio_ops virtio_execrt_ops = {
	.cfg_read = cfg_read,
	.cfg_write = cfg_write,
	.bar_map = bar_map,
	.dma_alloc = dma_alloc,
	.dma_free = dma_free,
	.priv_alloc = priv_alloc,
	.priv_free = dma_free, /* unmap and close, as for DMA memory */
	.msi_create = msi_create,
	.intx_create = intx_create,
	.irq_ack = irq_ack,
	.irq_close = irq_close,
};
