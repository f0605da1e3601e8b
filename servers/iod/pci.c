/* PCI enumeration, BAR sizing, capabilities, reset (pci.h). */
#include <string.h>

#include "pci.h"

static uint32_t rd(const struct pci_ops *o, uint16_t bdf, uint16_t off, int w)
{
	return o->read(o->ctx, bdf, off, w);
}

static void wr(const struct pci_ops *o, uint16_t bdf, uint16_t off, int w,
	       uint32_t v)
{
	o->write(o->ctx, bdf, off, w, v);
}

/* Sizes BAR i (its decode is off): all ones written, the read-back's
 * writable bits give the size; the original value is put back. Returns
 * how many BAR slots it used (2 for a 64-bit one). */
static int size_bar(const struct pci_ops *o, struct pci_dev *d, int i, int n)
{
	uint16_t reg = (uint16_t)(PCI_BAR0 + 4 * i);
	uint32_t orig = rd(o, d->bdf, reg, 4);
	struct pci_bar *b = &d->bar[i];
	wr(o, d->bdf, reg, 4, 0xffffffffu);
	uint32_t mask = rd(o, d->bdf, reg, 4);
	wr(o, d->bdf, reg, 4, orig);
	if (orig & 1) { /* I/O: 16 bits of port space on x86 */
		uint32_t m = mask & 0xfffcu;
		if (m) {
			b->flags = PCI_BAR_IO;
			b->base = orig & 0xfffcu;
			b->size = (uint16_t)(~m + 1u) ? (uint16_t)(~m + 1u)
						      : 0x10000u;
		}
		return 1;
	}
	uint64_t base = orig & ~0xfull, m = mask & ~0xfull;
	int used = 1;
	if (((orig >> 1) & 3) == 2 && i + 1 < n) { /* 64-bit */
		uint16_t hi = (uint16_t)(reg + 4);
		uint32_t ohi = rd(o, d->bdf, hi, 4);
		wr(o, d->bdf, hi, 4, 0xffffffffu);
		uint32_t mhi = rd(o, d->bdf, hi, 4);
		wr(o, d->bdf, hi, 4, ohi);
		base |= (uint64_t)ohi << 32;
		m |= (uint64_t)mhi << 32;
		used = 2;
		b->flags |= PCI_BAR_64;
	} else {
		m |= 0xffffffff00000000ull; /* 32-bit: upper bits fixed */
	}
	bool impl = used == 2 ? (m >> 4) != 0 : (mask & ~0xfu) != 0;
	if (impl) {
		b->flags |= PCI_BAR_MEM | ((orig & 8) ? PCI_BAR_PREFETCH : 0);
		b->base = base;
		b->size = ~m + 1;
	} else {
		b->flags = 0;
	}
	return used;
}

static void read_caps(const struct pci_ops *o, struct pci_dev *d)
{
	if (!(rd(o, d->bdf, PCI_STATUS, 2) & PCI_STATUS_CAPS))
		return;
	uint8_t off = (uint8_t)(rd(o, d->bdf, PCI_CAP_PTR, 1) & 0xfc);
	/* A looping list ends after 48 entries (what 256 bytes can hold). */
	for (int guard = 0; off >= 0x40 && guard < 48; guard++) {
		uint32_t hdr = rd(o, d->bdf, off, 4);
		uint8_t id = hdr & 0xff;
		uint16_t ctl = (uint16_t)(hdr >> 16);
		struct pci_cap c = {.id = id, .off = off};
		switch (id) {
		case PCI_CAP_MSI:
			d->msi_cap = off;
			d->msi_count = (uint8_t)(1u << ((ctl >> 1) & 7));
			if (d->msi_count > 32)
				d->msi_count = 32;
			d->msi64 = (ctl & 0x80) != 0;
			break;
		case PCI_CAP_MSIX: {
			uint32_t t = rd(o, d->bdf, (uint16_t)(off + 4), 4);
			uint32_t p = rd(o, d->bdf, (uint16_t)(off + 8), 4);
			d->msix_cap = off;
			d->msix_count = (uint16_t)((ctl & 0x7ff) + 1);
			d->msix_table_bar = t & 7;
			d->msix_table_off = t & ~7u;
			d->msix_pba_bar = p & 7;
			d->msix_pba_off = p & ~7u;
			break;
		}
		case PCI_CAP_PCIE: {
			uint32_t devcap = rd(o, d->bdf, (uint16_t)(off + 4), 4);
			d->pcie_cap = off;
			d->flr = (devcap >> 28) & 1;
			break;
		}
		case PCI_CAP_VENDOR:
			c.len = (uint8_t)ctl;
			c.arg = (uint8_t)(ctl >> 8);
			break;
		}
		if (d->ncaps < PCI_CAPS_MAX)
			d->caps[d->ncaps++] = c;
		off = (uint8_t)((hdr >> 8) & 0xfc);
	}
}

bool pci_probe(const struct pci_ops *o, uint16_t bdf, struct pci_dev *d)
{
	uint32_t id = rd(o, bdf, PCI_VENDOR, 4);
	if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0)
		return false;
	memset(d, 0, sizeof(*d));
	d->bdf = bdf;
	d->vendor = id & 0xffff;
	d->device = (uint16_t)(id >> 16);
	uint32_t cls = rd(o, bdf, PCI_REVISION, 4);
	d->revision = cls & 0xff;
	d->progif = (cls >> 8) & 0xff;
	d->subclass = (cls >> 16) & 0xff;
	d->class_code = (uint8_t)(cls >> 24);
	d->header_type = rd(o, bdf, PCI_HEADER, 1) & 0x7f;
	uint32_t intr = rd(o, bdf, PCI_INT_LINE, 2);
	d->intx_line = intr & 0xff;
	d->intx_pin = (intr >> 8) & 0xff;
	if (d->intx_pin > 4)
		d->intx_pin = 0;
	if (d->header_type == 0) {
		uint32_t ss = rd(o, bdf, PCI_SUBSYS, 4);
		d->subsys_vendor = ss & 0xffff;
		d->subsys_device = (uint16_t)(ss >> 16);
	} else if (d->header_type == 1) {
		d->secondary = rd(o, bdf, PCI_SECONDARY, 1) & 0xff;
	}
	read_caps(o, d);
	return true;
}

void pci_size_bars(const struct pci_ops *o, struct pci_dev *d, bool keep_off)
{
	int nbars = d->header_type == 0 ? 6 : d->header_type == 1 ? 2 : 0;
	uint16_t bdf = d->bdf;
	memset(d->bar, 0, sizeof(d->bar));
	d->sized = true;
	/* Decode off while the BARs hold all ones: else the device would
	 * answer at whatever address that is. Only the spaces its BARs use
	 * (an I/O BAR reads bit 0 set even unassigned), and only if on:
	 * each change remaps the machine's address space, which is not free
	 * (and QEMU 7.2's TCG can crash when a remap races another vCPU's
	 * device access, docs/devices.md). */
	uint32_t cmd = rd(o, bdf, PCI_COMMAND, 2), off = 0;
	for (int i = 0; i < nbars; i++)
		off |= rd(o, bdf, (uint16_t)(PCI_BAR0 + 4 * i), 4) & 1
			       ? PCI_CMD_IO
			       : PCI_CMD_MEM;
	off &= cmd;
	if (off)
		wr(o, bdf, PCI_COMMAND, 2, cmd & ~off);
	for (int i = 0; i < nbars;)
		i += size_bar(o, d, i, nbars);
	if (off && !keep_off)
		wr(o, bdf, PCI_COMMAND, 2, cmd);
}

struct scan {
	const struct pci_ops *o;
	struct pci_dev *out;
	int max, n;
	uint8_t seen[32]; /* buses scanned: a bitmap */
};

static void scan_bus(struct scan *s, uint8_t bus, int depth)
{
	if (s->seen[bus / 8] & (1u << (bus % 8)) || depth > 16)
		return;
	s->seen[bus / 8] |= (uint8_t)(1u << (bus % 8));
	for (int dev = 0; dev < 32; dev++) {
		int nfn = 1;
		for (int fn = 0; fn < nfn && s->n < s->max; fn++) {
			struct pci_dev *d = &s->out[s->n];
			if (!pci_probe(s->o, PCI_BDF(bus, dev, fn), d))
				continue;
			bool quiet = s->o->quiet && s->o->quiet(s->o->ctx, d);
			if (quiet || !s->o->lazy)
				pci_size_bars(s->o, d, quiet);
			if (fn == 0 && (rd(s->o, d->bdf, PCI_HEADER, 1) & 0x80))
				nfn = 8;
			s->n++;
			if (d->header_type == 1 && d->secondary > bus)
				scan_bus(s, d->secondary, depth + 1);
		}
	}
}

int pci_scan(const struct pci_ops *o, struct pci_dev *out, int max)
{
	struct scan s = {.o = o, .out = out, .max = max};
	scan_bus(&s, 0, 0);
	return s.n;
}

uint64_t pci_reset_start(const struct pci_ops *o, const struct pci_dev *d)
{
	uint32_t cmd = rd(o, d->bdf, PCI_COMMAND, 2);
	wr(o, d->bdf, PCI_COMMAND, 2,
	   (cmd & ~(PCI_CMD_IO | PCI_CMD_MEM | PCI_CMD_MASTER)) |
		   PCI_CMD_INTX_OFF);
	if (d->msi_cap) {
		uint16_t r = (uint16_t)(d->msi_cap + 2);
		wr(o, d->bdf, r, 2, rd(o, d->bdf, r, 2) & ~1u);
	}
	if (d->msix_cap) {
		uint16_t r = (uint16_t)(d->msix_cap + 2);
		wr(o, d->bdf, r, 2, rd(o, d->bdf, r, 2) & ~0x8000u);
	}
	if (!d->flr)
		return 0;
	uint16_t ctl = (uint16_t)(d->pcie_cap + 8);
	wr(o, d->bdf, ctl, 2, rd(o, d->bdf, ctl, 2) | 0x8000u);
	return 100ull * 1000 * 1000; /* PCIe: 100 ms before config access */
}

void pci_reset_finish(const struct pci_ops *o, const struct pci_dev *d)
{
	for (int i = 0; i < 6; i++) {
		const struct pci_bar *b = &d->bar[i];
		if (!b->size)
			continue;
		uint16_t reg = (uint16_t)(PCI_BAR0 + 4 * i);
		wr(o, d->bdf, reg, 4, (uint32_t)b->base);
		if (b->flags & PCI_BAR_64)
			wr(o, d->bdf, (uint16_t)(reg + 4), 4,
			   (uint32_t)(b->base >> 32));
	}
	uint32_t cmd = rd(o, d->bdf, PCI_COMMAND, 2);
	wr(o, d->bdf, PCI_COMMAND, 2,
	   (cmd & ~(PCI_CMD_IO | PCI_CMD_MEM | PCI_CMD_MASTER)) |
		   PCI_CMD_INTX_OFF);
}

const char *pci_class_name(uint8_t c, uint8_t s)
{
	static const struct {
		uint8_t c, s;
		const char *name;
	} t[] = {
		{0x01, 0x00, "SCSI storage controller"},
		{0x01, 0x01, "IDE interface"},
		{0x01, 0x06, "SATA controller"},
		{0x01, 0x08, "Non-Volatile memory controller"},
		{0x01, 0x80, "Mass storage controller"},
		{0x02, 0x00, "Ethernet controller"},
		{0x03, 0x00, "VGA compatible controller"},
		{0x03, 0x80, "Display controller"},
		{0x04, 0x01, "Multimedia audio controller"},
		{0x04, 0x03, "Audio device"},
		{0x06, 0x00, "Host bridge"},
		{0x06, 0x01, "ISA bridge"},
		{0x06, 0x04, "PCI bridge"},
		{0x06, 0x80, "Bridge"},
		{0x07, 0x00, "Serial controller"},
		{0x08, 0x80, "System peripheral"},
		{0x09, 0x00, "Keyboard controller"},
		{0x09, 0x02, "Mouse controller"},
		{0x09, 0x80, "Input device controller"},
		{0x0c, 0x03, "USB controller"},
		{0x0c, 0x05, "SMBus"},
		{0x00, 0xff, "Unclassified device"},
		{0xff, 0xff, "Unassigned class"},
	};
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].c == c && t[i].s == s)
			return t[i].name;
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].c == c && t[i].s == 0x80)
			return t[i].name;
	return NULL;
}
