/* PCI configuration access policy (kern/pci.h): what a RES_PCI handle's
 * rights allow. Portable; the access itself is the architecture's. */
#include <execrt/errors.h>
#include <kern/pci.h>

int pci_cfg_check(uint64_t bdf, uint64_t offset, uint64_t width, uint32_t size)
{
	if (width != 1 && width != 2 && width != 4)
		return ERR_INVALID_ARGS;
	if (offset & (width - 1))
		return ERR_INVALID_ARGS;
	if (!size)
		return ERR_NOT_SUPPORTED;
	if (bdf > 0xffff || offset >= size)
		return ERR_OUT_OF_RANGE;
	return 0;
}

int pci_cfg_check_value(uint64_t width, uint64_t value)
{
	return width < 8 && value >> (8 * width) ? ERR_OUT_OF_RANGE : 0;
}

struct span {
	uint8_t lo, hi; /* inclusive */
};

/* Type 0: BARs, expansion ROM. */
static const struct span type0[] = {{0x10, 0x27}, {0x30, 0x33}};
/* Type 1 (PCI-to-PCI bridge): BARs, primary/secondary/subordinate bus,
 * I/O base/limit, memory and prefetchable windows with their upper
 * halves, expansion ROM, bridge control (VGA/ISA decoding, secondary bus
 * reset). The secondary status (0x1e) and latency timers stay WRITE. */
static const struct span type1[] = {
	{0x10, 0x1a}, {0x1c, 0x1d}, {0x20, 0x33}, {0x38, 0x3b}, {0x3e, 0x3f}};
/* Anything else (CardBus, a bad value): the whole type-specific part. */
static const struct span other[] = {{0x10, 0x3f}};

static bool overlaps(const struct span *s, unsigned n, uint32_t lo, uint32_t hi)
{
	for (unsigned i = 0; i < n; i++)
		if (lo <= s[i].hi && hi >= s[i].lo)
			return true;
	return false;
}

bool pci_cfg_needs_manage(uint8_t header_type, uint32_t offset, unsigned width)
{
	if (!width || offset > 0x3f)
		return false;
	uint32_t hi = offset + width - 1;
	switch (header_type & 0x7f) { /* bit 7: multi-function */
	case 0:
		return overlaps(type0, 2, offset, hi);
	case 1:
		return overlaps(type1, 5, offset, hi);
	default:
		return overlaps(other, 1, offset, hi);
	}
}

/* Extended capabilities (PCIe, offset 0x100 on) whose registers place or
 * size memory windows: SR-IOV (the VF BARs, the VF count and enable, so
 * new functions and their BARs), Resizable BAR and VF Resizable BAR. */
#define EXT_CAP_FIRST 0x100
#define EXT_CAP_SPAN  0x40 /* the largest of them: SR-IOV, 64 bytes */
#define EXT_CAP_MAX   64   /* a list longer than this is cut (a loop) */

static bool ext_cap_places_windows(uint32_t id)
{
	return id == 0x0010 || id == 0x0015 || id == 0x0024;
}

bool pci_cfg_ext_needs_manage(pci_cfg_read4_fn rd, uint32_t bdf,
			      uint32_t offset, unsigned width)
{
	if (offset < EXT_CAP_FIRST)
		return false;
	uint32_t at = EXT_CAP_FIRST;
	for (int n = 0; n < EXT_CAP_MAX; n++) {
		uint32_t h = rd(bdf, at);
		if (h == 0 || h == 0xffffffffu)
			break;
		if (ext_cap_places_windows(h & 0xffff) &&
		    offset < at + EXT_CAP_SPAN && offset + width > at)
			return true;
		uint32_t next = (h >> 20) & 0xffc;
		if (next < EXT_CAP_FIRST)
			break;
		at = next;
	}
	return false;
}

/* Standard capabilities (list pointer at 0x34, 0x14 for CardBus) and the
 * length of their structures. An id not known here counts as its 4-byte
 * header only: what follows is not known to be a capability's. */
#define CAP_MAX 48 /* (256 - 64) / 4: a longer list loops */

static uint32_t cap_len(uint32_t h)
{
	switch (h & 0xff) {
	case 0x01: /* power management */
	case 0x03: /* VPD */
	case 0x0d: /* bridge subsystem ids */
	case 0x12: /* SATA */
		return 8;
	case 0x05: /* MSI, 64-bit with per-vector masking */
	case 0x07: /* PCI-X */
		return 24;
	case 0x09: { /* vendor-specific: its own length byte */
		uint32_t len = (h >> 16) & 0xff;
		return len < 4 ? 4 : len;
	}
	case 0x10: /* PCI Express */
		return 0x3c;
	case 0x11: /* MSI-X */
		return 12;
	default:
		return 4;
	}
}

static uint8_t byte_at(pci_cfg_read4_fn rd, uint32_t bdf, uint32_t off)
{
	return (uint8_t)(rd(bdf, off & ~3u) >> (8 * (off & 3)));
}

/* The capability holding [offset, offset + width): its id and *start. */
static int cap_find(pci_cfg_read4_fn rd, uint32_t bdf, uint32_t offset,
		    unsigned width, uint32_t *start)
{
	if (offset < 0x40 || offset + width > 0x100)
		return -1;
	if (!(rd(bdf, 0x04) & (1u << 20))) /* status: capability list */
		return -1;
	uint8_t type = byte_at(rd, bdf, PCI_CFG_HEADER_TYPE) & 0x7f;
	uint32_t at = byte_at(rd, bdf, type == 2 ? 0x14 : 0x34) & 0xfc;
	for (int n = 0; n < CAP_MAX && at >= 0x40; n++) {
		uint32_t h = rd(bdf, at);
		if (offset >= at && offset + width <= at + cap_len(h)) {
			*start = at;
			return (int)(h & 0xff);
		}
		at = (h >> 8) & 0xfc;
	}
	return -1;
}

int pci_cfg_cap_at(pci_cfg_read4_fn rd, uint32_t bdf, uint32_t offset,
		   unsigned width)
{
	uint32_t start;
	return cap_find(rd, bdf, offset, width, &start);
}

bool pci_cfg_write_needs_manage(pci_cfg_read4_fn rd, uint32_t bdf,
				uint32_t offset, unsigned width)
{
	if (offset >= EXT_CAP_FIRST)
		return pci_cfg_ext_needs_manage(rd, bdf, offset, width);
	if (offset >= 0x40) {
		/* Bridges (host, ISA/LPC, PCI) keep chipset decoders outside
		 * their capabilities (q35 LPC RCBA, MCH PCIEXBAR, PAM;
		 * PIIX3 PIRQ routing): review F5. */
		bool bridge = (rd(bdf, 0x08) >> 24) == 0x06;
		return bridge && pci_cfg_cap_at(rd, bdf, offset, width) < 0;
	}
	uint8_t type = byte_at(rd, bdf, PCI_CFG_HEADER_TYPE);
	return pci_cfg_needs_manage(type, offset, width);
}

static bool within(uint32_t offset, unsigned width, uint32_t lo, uint32_t hi)
{
	return offset <= hi && offset + width - 1 >= lo;
}

bool pci_cfg_write_changes_decoding(pci_cfg_read4_fn rd, uint32_t bdf,
				    uint32_t offset, unsigned width)
{
	if (offset >= EXT_CAP_FIRST)
		return pci_cfg_ext_needs_manage(rd, bdf, offset, width);
	if (offset < 0x40) {
		if (within(offset, width, 0x04, 0x05)) /* command */
			return true;
		uint8_t type = byte_at(rd, bdf, PCI_CFG_HEADER_TYPE);
		return pci_cfg_needs_manage(type, offset, width);
	}
	uint32_t at;
	int id = cap_find(rd, bdf, offset, width, &at);
	if (id < 0) /* device-specific: may be a chipset decoder */
		return true;
	switch (id) {
	case 0x05: /* MSI: control and message address */
		return within(offset, width, at + 2, at + 0x0b);
	case 0x11: /* MSI-X: control */
		return within(offset, width, at + 2, at + 3);
	case 0x01: /* power state (D3 stops decoding) */
	case 0x10: /* PCIe: function reset, link and slot control */
		return true;
	default:
		return false;
	}
}
