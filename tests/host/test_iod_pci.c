/* iod's PCI code (servers/iod/pci.c) over a fake configuration space: a
 * bus scan with a multi-function device and a bridge to a second bus,
 * BAR sizing (32-bit, 64-bit prefetchable, I/O) with decode off while
 * all-ones sit in a BAR and every value restored, capabilities (MSI,
 * MSI-X table/PBA, PCIe with FLR, virtio's vendor caps, a looping list),
 * and the reset (decode, bus master, MSI/MSI-X off; FLR + BARs back). */
#include <string.h>

#include "harness.h"
#include "pci.h"

struct fdev {
	bool present;
	uint8_t cfg[256];
	uint64_t bar_size[6]; /* 0: not implemented */
};

static struct fdev fake[2][32][8];
static int bad_sizing;	      /* all-ones written with decode on */
static int cmd_writes[2][32]; /* command register writes per slot (fn 0) */
static int flr_count;

static struct fdev *at(uint16_t bdf)
{
	unsigned b = PCI_BUS(bdf), d = PCI_DEV(bdf), f = PCI_FN(bdf);
	return b < 2 ? &fake[b][d][f] : NULL;
}

static uint32_t f_read(void *ctx, uint16_t bdf, uint16_t off, int w)
{
	(void)ctx;
	struct fdev *d = at(bdf);
	if (!d || !d->present)
		return w == 4 ? 0xffffffffu : w == 2 ? 0xffffu : 0xffu;
	uint32_t v = 0;
	for (int i = 0; i < w; i++)
		v |= (uint32_t)d->cfg[off + i] << (8 * i);
	return v;
}

static void put(struct fdev *d, unsigned off, int w, uint32_t v)
{
	for (int i = 0; i < w; i++)
		d->cfg[off + i] = (uint8_t)(v >> (8 * i));
}

static void f_write(void *ctx, uint16_t bdf, uint16_t off, int w, uint32_t v)
{
	(void)ctx;
	struct fdev *d = at(bdf);
	if (!d || !d->present)
		return;
	if (off >= 0x10 && off < 0x28 && w == 4) {
		int i = (off - 0x10) / 4;
		uint32_t old = f_read(NULL, bdf, off, 4);
		/* all ones in a BAR whose space decodes: the device would
		 * answer up there */
		if (v == 0xffffffffu && d->bar_size[i] &&
		    (d->cfg[4] & ((old & 1) ? 1 : 2)))
			bad_sizing++;
		/* the BAR (or the high half of a 64-bit one) keeps only its
		 * address bits; type bits are read-only */
		uint64_t sz = d->bar_size[i];
		bool hi = !sz && i > 0 && d->bar_size[i - 1] &&
			  ((d->cfg[0x10 + 4 * (i - 1)] >> 1) & 3) == 2;
		if (hi) {
			uint64_t mask = ~(d->bar_size[i - 1] - 1);
			put(d, off, 4, v & (uint32_t)(mask >> 32));
		} else if (sz) {
			uint32_t ro = old & ((old & 1) ? 3 : 0xf);
			uint32_t mask = (uint32_t) ~(sz - 1);
			put(d, off, 4,
			    (v & mask & ~((old & 1) ? 3u : 0xfu)) | ro);
		}
		return;
	}
	if (off == 0x00 || off == 0x08 || off == 0x0e)
		return; /* read-only */
	if (off == 4 && PCI_FN(bdf) == 0)
		cmd_writes[PCI_BUS(bdf)][PCI_DEV(bdf)]++;
	if (d->cfg[0x0e] == 0 && off >= 0x40) {
		/* PCIe device control at 0x70 + 8: bit 15 starts an FLR,
		 * which clears the BARs and the command register */
		if (off == 0x78 && (v & 0x8000)) {
			flr_count++;
			memset(d->cfg + 0x10, 0, 24); /* 32-bit BARs only */
			put(d, 4, 2, 0);
			return;
		}
	}
	put(d, off, w, v);
}

static const struct pci_ops ops = {.read = f_read, .write = f_write};

static struct fdev *mk(int b, int d, int f, uint16_t ven, uint16_t dev,
		       uint32_t cls_rev, uint8_t hdr)
{
	struct fdev *x = &fake[b][d][f];
	memset(x, 0, sizeof(*x));
	x->present = true;
	put(x, 0, 2, ven);
	put(x, 2, 2, dev);
	put(x, 8, 4, cls_rev);
	x->cfg[0x0e] = hdr;
	put(x, 4, 2, 0x7); /* decode and bus master on, as firmware leaves */
	return x;
}

static void bar(struct fdev *x, int i, uint64_t base, uint64_t size,
		uint32_t type)
{
	x->bar_size[i] = size;
	put(x, 0x10 + 4 * i, 4, (uint32_t)base | type);
	if ((type & 6) == 4)
		put(x, 0x14 + 4 * i, 4, (uint32_t)(base >> 32));
}

static void cap(struct fdev *x, uint8_t off, uint8_t id, uint8_t next,
		uint16_t ctl)
{
	x->cfg[off] = id;
	x->cfg[off + 1] = next;
	put(x, off + 2, 2, ctl);
	x->cfg[6] |= 0x10;
}

static void setup(void)
{
	memset(fake, 0, sizeof(fake));
	memset(cmd_writes, 0, sizeof(cmd_writes));
	bad_sizing = flr_count = 0;
	mk(0, 0, 0, 0x8086, 0x29c0, 0x06000002, 0); /* host bridge */
	/* a multi-function device: fn 0 with a 32-bit BAR, fn 1 with I/O */
	struct fdev *m0 = mk(0, 1, 0, 0x8086, 0x2918, 0x06010002, 0x80);
	bar(m0, 0, 0xfebd0000, 0x1000, 0);
	struct fdev *m1 = mk(0, 1, 1, 0x8086, 0x2922, 0x01060102, 0);
	bar(m1, 4, 0xc040, 0x20, 1);
	m1->cfg[0x3d] = 1; /* INTA */
	m1->cfg[0x3c] = 10;
	/* virtio-gpu: BAR1 32-bit 4 KiB, BAR4 64-bit prefetchable 16 KiB
	 * above 4 GiB, MSI-X (3 vectors, table BAR1 + 0, PBA BAR1 + 0x800),
	 * virtio vendor caps (cfg_type 1, 2) */
	struct fdev *g = mk(0, 2, 0, 0x1af4, 0x1050, 0x03000001, 0);
	bar(g, 1, 0xfebd1000, 0x1000, 0);
	bar(g, 4, 0x800000000ull, 0x4000, 0xc);
	put(g, 0x2c, 4, 0x11001af4);
	g->cfg[0x3d] = 1;
	g->cfg[0x34] = 0x98;
	cap(g, 0x98, 0x11, 0x84, 0x0002);
	put(g, 0x9c, 4, 0x00000001);
	put(g, 0xa0, 4, 0x00000801);
	cap(g, 0x84, 0x09, 0x70, 0x0114);
	cap(g, 0x70, 0x09, 0x00, 0x0210);
	/* a single-function slot: fn 1 "present" must not be scanned */
	mk(0, 4, 0, 0x1234, 0x1111, 0x03000002, 0);
	mk(0, 4, 1, 0xdead, 0xbeef, 0, 0);
	/* a bridge to bus 1 */
	struct fdev *br = mk(0, 5, 0, 0x1b36, 0x000c, 0x06040000, 1);
	br->cfg[0x19] = 1;
	/* behind it: PCIe with FLR, MSI 64-bit with 4 vectors */
	struct fdev *e = mk(1, 0, 0, 0x1af4, 0x1052, 0x09800001, 0);
	bar(e, 0, 0xfe800000, 0x1000, 0);
	e->cfg[0x3d] = 2; /* INTB */
	e->cfg[0x34] = 0x50;
	cap(e, 0x50, 0x05, 0x70, 0x0084);
	cap(e, 0x70, 0x10, 0x00, 0x0002);
	put(e, 0x74, 4, 1u << 28);
}

static struct pci_dev devs[PCI_DEV_MAX];

static const struct pci_dev *find(int n, uint16_t bdf)
{
	for (int i = 0; i < n; i++)
		if (devs[i].bdf == bdf)
			return &devs[i];
	return NULL;
}

TEST(iod_pci_scan_bridge_and_multifunction)
{
	setup();
	int n = pci_scan(&ops, devs, PCI_DEV_MAX);
	CHECK_EQ(n, 7);
	CHECK(find(n, PCI_BDF(0, 0, 0)));
	CHECK(find(n, PCI_BDF(0, 1, 1)));  /* fn 1 of a multi-function dev */
	CHECK(!find(n, PCI_BDF(0, 4, 1))); /* not multi-function: skipped */
	const struct pci_dev *br = find(n, PCI_BDF(0, 5, 0));
	CHECK(br && br->header_type == 1 && br->secondary == 1);
	const struct pci_dev *e = find(n, PCI_BDF(1, 0, 0));
	CHECK(e && e->vendor == 0x1af4 && e->device == 0x1052);
	CHECK_EQ(e->class_code, 0x09);
	CHECK_EQ(e->subclass, 0x80);
	CHECK_EQ(e->intx_pin, 2);
	/* a scan is bounded by the table it fills */
	CHECK_EQ(pci_scan(&ops, devs, 3), 3);
}

TEST(iod_pci_bar_sizing_32_64_io)
{
	setup();
	int n = pci_scan(&ops, devs, PCI_DEV_MAX);
	CHECK_EQ(bad_sizing, 0); /* decode was off every time */
	const struct pci_dev *g = find(n, PCI_BDF(0, 2, 0));
	CHECK(g);
	CHECK_EQ(g->bar[0].size, 0);
	CHECK_EQ(g->bar[1].size, 0x1000);
	CHECK_EQ(g->bar[1].base, 0xfebd1000);
	CHECK_EQ(g->bar[1].flags, PCI_BAR_MEM);
	CHECK_EQ(g->bar[4].size, 0x4000);
	CHECK_EQ(g->bar[4].base, 0x800000000ll);
	CHECK_EQ(g->bar[4].flags, PCI_BAR_MEM | PCI_BAR_64 | PCI_BAR_PREFETCH);
	CHECK_EQ(g->bar[5].size, 0); /* the high half of BAR4 */
	CHECK_EQ(g->subsys_vendor, 0x1af4);
	CHECK_EQ(g->subsys_device, 0x1100);
	const struct pci_dev *m1 = find(n, PCI_BDF(0, 1, 1));
	CHECK_EQ(m1->bar[4].flags, PCI_BAR_IO);
	CHECK_EQ(m1->bar[4].base, 0xc040);
	CHECK_EQ(m1->bar[4].size, 0x20);
	CHECK_EQ(m1->intx_line, 10);
	/* every register as it was: BARs and command */
	CHECK_EQ(f_read(NULL, PCI_BDF(0, 2, 0), 0x20, 4), 0x0000000c);
	CHECK_EQ(f_read(NULL, PCI_BDF(0, 2, 0), 0x24, 4), 0x8);
	CHECK_EQ(f_read(NULL, PCI_BDF(0, 2, 0), 0x14, 4), 0xfebd1000);
	CHECK_EQ(f_read(NULL, PCI_BDF(0, 1, 1), 0x20, 4), 0xc041);
	CHECK_EQ(f_read(NULL, PCI_BDF(0, 2, 0), 4, 2), 7);
	/* each function's command register: off and back, once each */
	CHECK_EQ(cmd_writes[0][2], 2);
	CHECK_EQ(cmd_writes[1][0], 2);
}

/* Only the decode its BARs use is turned off (a memory-only device keeps
 * I/O decode), only when on, and a device given to a driver stays off. */
static bool quiet_gpu(void *ctx, const struct pci_dev *d)
{
	(void)ctx;
	return d->vendor == 0x1af4 && d->device == 0x1050;
}

static uint32_t seen_cmd;
static void w_watch(void *ctx, uint16_t bdf, uint16_t off, int w, uint32_t v)
{
	if (bdf == PCI_BDF(0, 2, 0) && off == 4 && (v & 1) == 0)
		seen_cmd |= 0x100; /* I/O decode turned off */
	f_write(ctx, bdf, off, w, v);
}

TEST(iod_pci_decode_toggled_only_as_needed)
{
	setup();
	seen_cmd = 0;
	struct pci_ops o = {
		.read = f_read, .write = w_watch, .quiet = quiet_gpu};
	int n = pci_scan(&o, devs, PCI_DEV_MAX);
	CHECK_EQ(bad_sizing, 0);
	CHECK_EQ(seen_cmd, 0);	       /* the GPU has memory BARs only */
	CHECK_EQ(cmd_writes[0][2], 1); /* off, and left off */
	CHECK_EQ(f_read(NULL, PCI_BDF(0, 2, 0), 4, 2), 0x5); /* I/O, master */
	const struct pci_dev *g = find(n, PCI_BDF(0, 2, 0));
	CHECK_EQ(g->bar[4].size, 0x4000);
	/* lazy: only the quiet device is sized at the scan; the others
	 * keep their command register untouched until asked */
	setup();
	o.lazy = true;
	n = pci_scan(&o, devs, PCI_DEV_MAX);
	CHECK_EQ(cmd_writes[0][1], 0);
	CHECK_EQ(cmd_writes[1][0], 0);
	CHECK_EQ(cmd_writes[0][2], 1);
	struct pci_dev *e = (struct pci_dev *)find(n, PCI_BDF(1, 0, 0));
	CHECK(!e->sized && e->bar[0].size == 0);
	CHECK(e->msi_cap == 0x50); /* capabilities read anyway */
	pci_size_bars(&ops, e, false);
	CHECK(e->sized);
	CHECK_EQ(e->bar[0].size, 0x1000);
	CHECK_EQ(cmd_writes[1][0], 2);
	CHECK_EQ(f_read(NULL, e->bdf, 4, 2), 7);
	CHECK_EQ(bad_sizing, 0);
	/* a device whose decode is already off: no write at all */
	setup();
	put(&fake[0][2][0], 4, 2, 0);
	pci_scan(&ops, devs, PCI_DEV_MAX);
	CHECK_EQ(cmd_writes[0][2], 0);
	CHECK_EQ(bad_sizing, 0);
}

TEST(iod_pci_capabilities)
{
	setup();
	int n = pci_scan(&ops, devs, PCI_DEV_MAX);
	const struct pci_dev *g = find(n, PCI_BDF(0, 2, 0));
	CHECK_EQ(g->ncaps, 3);
	CHECK_EQ(g->msix_cap, 0x98);
	CHECK_EQ(g->msix_count, 3);
	CHECK_EQ(g->msix_table_bar, 1);
	CHECK_EQ(g->msix_table_off, 0);
	CHECK_EQ(g->msix_pba_bar, 1);
	CHECK_EQ(g->msix_pba_off, 0x800);
	int vendor = 0;
	for (int i = 0; i < g->ncaps; i++)
		if (g->caps[i].id == PCI_CAP_VENDOR) {
			vendor++;
			CHECK(g->caps[i].arg == 1 || g->caps[i].arg == 2);
			CHECK(g->caps[i].len == 0x14 || g->caps[i].len == 0x10);
		}
	CHECK_EQ(vendor, 2);
	CHECK_EQ(g->msi_cap, 0);
	CHECK(!g->flr);
	const struct pci_dev *e = find(n, PCI_BDF(1, 0, 0));
	CHECK_EQ(e->msi_cap, 0x50);
	CHECK_EQ(e->msi_count, 4);
	CHECK(e->msi64);
	CHECK_EQ(e->pcie_cap, 0x70);
	CHECK(e->flr);
	/* a list pointing at itself ends */
	fake[1][0][0].cfg[0x71] = 0x70;
	struct pci_dev d;
	CHECK(pci_probe(&ops, PCI_BDF(1, 0, 0), &d));
	CHECK_EQ(d.ncaps, PCI_CAPS_MAX);
}

TEST(iod_pci_reset_quiesces_and_flr_restores_bars)
{
	setup();
	int n = pci_scan(&ops, devs, PCI_DEV_MAX);
	const struct pci_dev *g = find(n, PCI_BDF(0, 2, 0));
	/* MSI-X enabled by a driver */
	put(&fake[0][2][0], 0x9a, 2, 0x8002);
	CHECK_EQ(pci_reset_start(&ops, g), 0);
	uint32_t cmd = f_read(NULL, g->bdf, 4, 2);
	CHECK_EQ(cmd & 7, 0);
	CHECK(cmd & PCI_CMD_INTX_OFF);
	CHECK_EQ(f_read(NULL, g->bdf, 0x9a, 2), 0x0002);
	const struct pci_dev *e = find(n, PCI_BDF(1, 0, 0));
	put(&fake[1][0][0], 0x52, 2, 0x0085); /* MSI on */
	CHECK_EQ(pci_reset_start(&ops, e), 100000000);
	CHECK_EQ(flr_count, 1);
	CHECK_EQ(f_read(NULL, e->bdf, 0x10, 4), 0); /* FLR cleared it */
	pci_reset_finish(&ops, e);
	CHECK_EQ(f_read(NULL, e->bdf, 0x10, 4), 0xfe800000);
	CHECK_EQ(f_read(NULL, e->bdf, 4, 2) & 7, 0);
	CHECK_EQ(f_read(NULL, e->bdf, 0x52, 2) & 1, 0);
}

TEST(iod_pci_class_names)
{
	STR_EQ(pci_class_name(0x03, 0x00), "VGA compatible controller");
	STR_EQ(pci_class_name(0x06, 0x04), "PCI bridge");
	STR_EQ(pci_class_name(0x09, 0x42), "Input device controller");
	CHECK(pci_class_name(0x42, 0x00) == NULL);
}
