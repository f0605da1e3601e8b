/* PCI helpers shared by the guest tests (t_pci*.c) and the interrupt
 * benchmark (tests/bench/bench_irq.c): configuration reads and writes
 * through a RES_PCI handle, the capability list, and a device whose
 * interrupts the guest can raise at will: QEMU's e1000e (Intel 82574L,
 * 8086:10d3), whose Interrupt Cause Set register, reached through its I/O
 * BAR (IOADDR at +0, IODATA at +4), raises an interrupt in the same
 * instruction: MSI when its MSI capability is enabled, else INTx.
 * Header-only: static functions, so each program takes what it uses. */
#pragma once
#include <stdbool.h>

#include <execrt/runtime.h>

#define PCI_VENDOR	 0x00
#define PCI_COMMAND	 0x04
#define PCI_CLASS_REV	 0x08
#define PCI_HEADER	 0x0e
#define PCI_BAR0	 0x10
#define PCI_CAP_PTR	 0x34
#define PCI_INT_LINE	 0x3c
#define PCI_CMD_IO	 0x1
#define PCI_CMD_MEM	 0x2
#define PCI_CMD_MASTER	 0x4
#define PCI_CMD_INTX_OFF 0x400
#define PCI_CAP_MSI	 0x05
#define PCI_CAP_MSIX	 0x11

#define E1000E_VENDOR	0x8086
#define E1000E_DEVICE	0x10d3
#define E1000_ICR	0xc0	    /* read: the causes, cleared */
#define E1000_IVAR	0xe4	    /* MSI-X: cause -> vector */
#define E1000_ICR_OTHER 0x01000000u /* MSI-X: the causes not of a queue */
#define E1000_ITR	0xc4	    /* interrupt throttling interval */
#define E1000_ICS	0xc8	    /* write: set causes */
#define E1000_IMS	0xd0	    /* write: unmask causes */
#define E1000_IMC	0xd8	    /* write: mask causes */
#define E1000_CAUSE_MDAC                                                       \
	0x200 /* MDI access done: nothing else raises it, never delayed (TX/RX \
		 causes may be) */

static inline uint32_t pci_rd(handle_t pci, uint32_t bdf, uint32_t off,
			      uint32_t w)
{
	uint32_t v = 0;
	if (sys_pci_cfg_read(pci, bdf, off, w, &v) < 0)
		return 0xffffffffu >> (32 - 8 * w);
	return v;
}

/* The offset of the first capability with this id, or 0. */
static inline uint32_t pci_find_cap(handle_t pci, uint32_t bdf, uint8_t id)
{
	if (!(pci_rd(pci, bdf, 0x06, 2) & 0x10)) /* status: has a list */
		return 0;
	uint32_t off = pci_rd(pci, bdf, PCI_CAP_PTR, 1) & 0xfc;
	for (int n = 0; off >= 0x40 && n < 48; n++) {
		if ((pci_rd(pci, bdf, off, 1)) == id)
			return off;
		off = pci_rd(pci, bdf, off + 1, 1) & 0xfc;
	}
	return 0;
}

/* The first function on bus 0 with this vendor:device, or -1. */
static inline long pci_find(handle_t pci, uint16_t vendor, uint16_t device)
{
	uint32_t want = (uint32_t)device << 16 | vendor;
	for (uint32_t bdf = 0; bdf < 256; bdf++)
		if (pci_rd(pci, bdf, PCI_VENDOR, 4) == want)
			return bdf;
	return -1;
}

/* An e1000e ready to interrupt: I/O decode and bus mastering on (MSI is
 * a memory write by the device), every cause masked and cleared. */
struct e1000e {
	handle_t pci, io; /* RES_PCI and RES_IOPORT authorities */
	uint32_t bdf;
	uint16_t iobase;
	uint32_t msi;  /* MSI capability offset */
	uint32_t msix; /* MSI-X capability offset (0: none) */
	handle_t table_vmo;
	volatile uint32_t *table; /* MSI-X table mapping (0: none) */
	uint64_t table_map_len;
	uint16_t cmd_was; /* the command register before */
};

static inline long e1000e_reg_write(struct e1000e *d, uint32_t reg, uint32_t v)
{
	long r = sys_ioport_io(d->io, d->iobase, 4 | IOPORT_OUT, reg);
	return r < 0 ? r
		     : sys_ioport_io(d->io, d->iobase + 4, 4 | IOPORT_OUT, v);
}

static inline long e1000e_reg_read(struct e1000e *d, uint32_t reg)
{
	long r = sys_ioport_io(d->io, d->iobase, 4 | IOPORT_OUT, reg);
	return r < 0 ? r : sys_ioport_io(d->io, d->iobase + 4, 4, 0);
}

/* ERR_NOT_FOUND without an e1000e (or without its I/O BAR). */
static inline long e1000e_open(struct e1000e *d, handle_t pci, handle_t io)
{
	d->pci = pci;
	d->io = io;
	long b = pci_find(pci, E1000E_VENDOR, E1000E_DEVICE);
	if (b < 0)
		return ERR_NOT_FOUND;
	d->bdf = (uint32_t)b;
	d->iobase = 0;
	for (uint32_t off = PCI_BAR0; off < PCI_BAR0 + 24; off += 4) {
		uint32_t bar = pci_rd(pci, d->bdf, off, 4);
		if ((bar & 1) && (bar & ~3u)) {
			d->iobase = (uint16_t)(bar & ~3u);
			break;
		}
		if ((bar & 7) == 4) /* 64-bit memory BAR: skip its top */
			off += 4;
	}
	d->msi = pci_find_cap(pci, d->bdf, PCI_CAP_MSI);
	d->msix = pci_find_cap(pci, d->bdf, PCI_CAP_MSIX);
	d->table_vmo = 0;
	d->table = 0;
	if (!d->iobase || !d->msi)
		return ERR_NOT_FOUND;
	d->cmd_was = (uint16_t)pci_rd(pci, d->bdf, PCI_COMMAND, 2);
	long r = sys_pci_cfg_write(pci, d->bdf, PCI_COMMAND, 2,
				   d->cmd_was | PCI_CMD_IO | PCI_CMD_MEM |
					   PCI_CMD_MASTER);
	if (!r) /* no interrupt throttling: each cause at once */
		r = e1000e_reg_write(d, E1000_ITR, 0);
	if (!r)
		r = e1000e_reg_write(d, E1000_IMC, 0xffffffffu);
	if (!r)
		r = e1000e_reg_read(d, E1000_ICR);
	return r < 0 ? r : 0;
}

/* MSI on with this message (INTx off), or off (msg NULL). */
static inline long e1000e_msi(struct e1000e *d, const struct irq_msi *msg)
{
	uint32_t ctl = pci_rd(d->pci, d->bdf, d->msi + 2, 2);
	bool is64 = ctl & 0x80;
	long r = sys_pci_cfg_write(d->pci, d->bdf, d->msi + 2, 2,
				   ctl & ~0x71u); /* off, one vector */
	if (r || !msg)
		return r;
	r = sys_pci_cfg_write(d->pci, d->bdf, d->msi + 4, 4,
			      (uint32_t)msg->addr);
	if (!r && is64)
		r = sys_pci_cfg_write(d->pci, d->bdf, d->msi + 8, 4,
				      (uint32_t)(msg->addr >> 32));
	if (!r)
		r = sys_pci_cfg_write(d->pci, d->bdf, d->msi + (is64 ? 12 : 8),
				      2, msg->data);
	if (!r)
		r = sys_pci_cfg_write(d->pci, d->bdf, d->msi + 2, 2,
				      (ctl & ~0x70u) | 1);
	return r;
}

/* MSI-X entry 0 with this message, MSI-X on (MSI off) and the "other"
 * causes routed to entry 0 (IVAR); the table, in the BAR the capability
 * names, mapped uncached through a device memory object made from mmio
 * (SYS_VMO_CREATE_PHYS). msg NULL: MSI-X off, the mapping dropped. */
static inline long e1000e_msix(struct e1000e *d, handle_t mmio,
			       const struct irq_msi *msg)
{
	if (!d->msix)
		return ERR_NOT_FOUND;
	/* QEMU's e1000e aborts if a throttling timer armed in one mode
	 * (MSI/INTx: ITR; MSI-X: EITR; 128 us at least) fires in the
	 * other: let them run out before switching. */
	sys_sleep_until((uint64_t)sys_clock_now() + 1000000);
	uint32_t ctl = pci_rd(d->pci, d->bdf, d->msix + 2, 2);
	long r = sys_pci_cfg_write(d->pci, d->bdf, d->msix + 2, 2,
				   ctl & ~0xc000u); /* off, unmasked */
	if (!msg) {
		if (d->table) {
			sys_vm_unmap(execrt_handle(START_H_SELF_TASK),
				     (uint64_t)d->table, d->table_map_len);
			sys_handle_close(d->table_vmo);
			d->table = 0;
		}
		return r;
	}
	if (!r && !d->table) {
		uint32_t tbl = pci_rd(d->pci, d->bdf, d->msix + 4, 4);
		uint32_t bar =
			pci_rd(d->pci, d->bdf, PCI_BAR0 + 4 * (tbl & 7), 4);
		uint64_t base = (bar & ~0xfu) + (tbl & ~7u);
		uint64_t page = base & ~0xfffull;
		d->table_map_len = 4096;
		r = sys_vmo_create_phys(mmio, page, 4096, VMO_CACHE_UC,
					&d->table_vmo);
		struct vm_map_req req = {.len = 4096,
					 .prot = VM_PROT_READ | VM_PROT_WRITE};
		uint64_t va = 0;
		if (!r)
			r = sys_vm_map(execrt_handle(START_H_SELF_TASK),
				       d->table_vmo, &req, &va);
		if (r)
			return r;
		d->table = (volatile uint32_t *)(va + (base - page));
	}
	if (r)
		return r;
	e1000e_msi(d, NULL);
	d->table[0] = (uint32_t)msg->addr;
	d->table[1] = (uint32_t)(msg->addr >> 32);
	d->table[2] = msg->data;
	d->table[3] = 0; /* vector control: unmasked */
	r = e1000e_reg_write(d, E1000_IVAR, 0x8u << 16); /* other: entry 0 */
	if (!r)
		r = sys_pci_cfg_write(d->pci, d->bdf, d->msix + 2, 2,
				      (ctl & ~0x4000u) | 0x8000u);
	return r;
}

/* Raises one interrupt: the cause unmasked and set. */
static inline long e1000e_fire(struct e1000e *d)
{
	long r = e1000e_reg_write(d, E1000_IMS,
				  E1000_CAUSE_MDAC | E1000_ICR_OTHER);
	return r < 0 ? r : e1000e_reg_write(d, E1000_ICS, E1000_CAUSE_MDAC);
}

/* What a driver does on the interrupt: read (and so clear) the causes. */
static inline long e1000e_clear(struct e1000e *d)
{
	long r = e1000e_reg_read(d, E1000_ICR);
	/* With MSI-X the read may keep them: write-1-to-clear too. */
	return r < 0 ? r : e1000e_reg_write(d, E1000_ICR, 0xffffffffu);
}

/* Everything as it was: causes masked, MSI off, the command register. */
static inline void e1000e_close(struct e1000e *d)
{
	e1000e_reg_write(d, E1000_IMC, 0xffffffffu);
	e1000e_reg_read(d, E1000_ICR);
	e1000e_msi(d, NULL);
	e1000e_msix(d, 0, NULL);
	sys_pci_cfg_write(d->pci, d->bdf, PCI_COMMAND, 2, d->cmd_was);
}
