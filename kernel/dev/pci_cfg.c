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

bool pci_cfg_write_needs_manage(pci_cfg_read4_fn rd, uint32_t bdf,
				uint32_t offset, unsigned width)
{
	if (offset < EXT_CAP_FIRST) {
		uint32_t hdr = rd(bdf, PCI_CFG_HEADER_TYPE & ~3u);
		uint8_t type =
			(uint8_t)(hdr >> (8 * (PCI_CFG_HEADER_TYPE & 3)));
		return pci_cfg_needs_manage(type, offset, width);
	}
	return pci_cfg_ext_needs_manage(rd, bdf, offset, width);
}
