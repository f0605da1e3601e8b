/* PCI configuration access policy (kernel/dev/pci_cfg.c): argument checks
 * and which writes need MANAGE, register by register. */
#include "harness.h"
#include <execrt/errors.h>
#include <execrt/syscall.h>
#include <kern/pci.h>

TEST(pci_cfg_width_and_alignment)
{
	for (unsigned w = 0; w <= 8; w++) {
		int want = w == 1 || w == 2 || w == 4 ? 0 : ERR_INVALID_ARGS;
		CHECK_EQ(pci_cfg_check(0, 0, w, PCI_CFG_ECAM_SIZE), want);
	}
	CHECK_EQ(pci_cfg_check(0, 1, 2, PCI_CFG_ECAM_SIZE), ERR_INVALID_ARGS);
	CHECK_EQ(pci_cfg_check(0, 2, 4, PCI_CFG_ECAM_SIZE), ERR_INVALID_ARGS);
	CHECK_EQ(pci_cfg_check(0, 3, 1, PCI_CFG_ECAM_SIZE), 0);
	CHECK_EQ(pci_cfg_check(0, 6, 2, PCI_CFG_ECAM_SIZE), 0);
	CHECK_EQ(pci_cfg_check(0, 0x44, 4, PCI_CFG_ECAM_SIZE), 0);
	CHECK_EQ(pci_cfg_check(0, 0, UINT64_MAX, PCI_CFG_ECAM_SIZE),
		 ERR_INVALID_ARGS);
}

TEST(pci_cfg_offset_limit_follows_mechanism)
{
	/* Ports reach 256 bytes of each function, ECAM 4096. */
	CHECK_EQ(pci_cfg_check(0, 0xfc, 4, PCI_CFG_PORTS_SIZE), 0);
	CHECK_EQ(pci_cfg_check(0, 0xff, 1, PCI_CFG_PORTS_SIZE), 0);
	CHECK_EQ(pci_cfg_check(0, 0x100, 4, PCI_CFG_PORTS_SIZE),
		 ERR_OUT_OF_RANGE);
	CHECK_EQ(pci_cfg_check(0, 0x100, 4, PCI_CFG_ECAM_SIZE), 0);
	CHECK_EQ(pci_cfg_check(0, 0xffc, 4, PCI_CFG_ECAM_SIZE), 0);
	CHECK_EQ(pci_cfg_check(0, 0x1000, 4, PCI_CFG_ECAM_SIZE),
		 ERR_OUT_OF_RANGE);
	CHECK_EQ(pci_cfg_check(0, 1ull << 62, 4, PCI_CFG_ECAM_SIZE),
		 ERR_OUT_OF_RANGE);
	CHECK_EQ(pci_cfg_check(0, UINT64_MAX - 3, 4, PCI_CFG_ECAM_SIZE),
		 ERR_OUT_OF_RANGE);
	CHECK_EQ(pci_cfg_check(0, 0, 4, 0), ERR_NOT_SUPPORTED);
}

TEST(pci_cfg_bdf_is_sixteen_bits)
{
	CHECK_EQ(pci_cfg_check(0xffff, 0, 4, PCI_CFG_ECAM_SIZE), 0);
	CHECK_EQ(pci_cfg_check(0x10000, 0, 4, PCI_CFG_ECAM_SIZE),
		 ERR_OUT_OF_RANGE);
	CHECK_EQ(pci_cfg_check(UINT64_MAX, 0, 4, PCI_CFG_ECAM_SIZE),
		 ERR_OUT_OF_RANGE);
	CHECK_EQ(PCI_BDF(0xff, 31, 7), 0xffffu);
	CHECK_EQ(PCI_BDF(0, 3, 0), 0x18u);
	CHECK_EQ(PCI_BDF_DEV(PCI_BDF(1, 0x1f, 2)), 0x1f);
	CHECK_EQ(PCI_BDF_FN(PCI_BDF(1, 0x1f, 2)), 2);
	CHECK_EQ(PCI_BDF_BUS(PCI_BDF(1, 0x1f, 2)), 1);
}

TEST(pci_cfg_value_fits_width)
{
	CHECK_EQ(pci_cfg_check_value(1, 0xff), 0);
	CHECK_EQ(pci_cfg_check_value(1, 0x100), ERR_OUT_OF_RANGE);
	CHECK_EQ(pci_cfg_check_value(2, 0xffff), 0);
	CHECK_EQ(pci_cfg_check_value(2, 0x10000), ERR_OUT_OF_RANGE);
	CHECK_EQ(pci_cfg_check_value(4, 0xffffffffu), 0);
	CHECK_EQ(pci_cfg_check_value(4, 0x100000000ull), ERR_OUT_OF_RANGE);
}

/* Every byte of the first 64 against the expected protected set, for
 * widths 1, 2, 4 at every aligned offset: an access needs MANAGE exactly
 * when one of its bytes is protected. */
static bool covers(const uint8_t *prot, uint32_t off, unsigned w)
{
	for (unsigned i = 0; i < w; i++)
		if (off + i < 64 && prot[off + i])
			return true;
	return false;
}

static int check_type(uint8_t type, const uint8_t *prot)
{
	for (unsigned w = 1; w <= 4; w *= 2)
		for (uint32_t off = 0; off < 0x100; off += w)
			if (pci_cfg_needs_manage(type, off, w) !=
			    covers(prot, off, w)) {
				fprintf(stderr,
					"    type %#x offset %#x width %u\n",
					type, off, w);
				return -1;
			}
	return 0;
}

static void mark(uint8_t *prot, unsigned lo, unsigned hi)
{
	for (unsigned i = lo; i <= hi; i++)
		prot[i] = 1;
}

TEST(pci_cfg_type0_bars_and_rom_need_manage)
{
	uint8_t prot[64] = {0};
	mark(prot, 0x10, 0x27);
	mark(prot, 0x30, 0x33);
	CHECK_EQ(check_type(0x00, prot), 0);
	CHECK_EQ(check_type(0x80, prot), 0); /* multi-function bit */
	/* The command register, status, interrupt line, capabilities
	 * pointer and everything past the header stay WRITE. */
	CHECK(!pci_cfg_needs_manage(0, 0x04, 2));
	CHECK(!pci_cfg_needs_manage(0, 0x04, 4));
	CHECK(!pci_cfg_needs_manage(0, 0x3c, 1));
	CHECK(!pci_cfg_needs_manage(0, 0x40, 4));
	CHECK(!pci_cfg_needs_manage(0, 0xffc, 4));
	CHECK(pci_cfg_needs_manage(0, 0x24, 4));
	CHECK(!pci_cfg_needs_manage(0, 0x28, 4)); /* CardBus CIS pointer */
}

TEST(pci_cfg_type1_bridge_windows_need_manage)
{
	uint8_t prot[64] = {0};
	mark(prot, 0x10, 0x1a);
	mark(prot, 0x1c, 0x1d);
	mark(prot, 0x20, 0x33);
	mark(prot, 0x38, 0x3b);
	mark(prot, 0x3e, 0x3f);
	CHECK_EQ(check_type(0x01, prot), 0);
	CHECK_EQ(check_type(0x81, prot), 0);
	CHECK(!pci_cfg_needs_manage(1, 0x1e, 2)); /* secondary status */
	CHECK(pci_cfg_needs_manage(1, 0x1c, 4));  /* spans I/O base/limit */
	CHECK(pci_cfg_needs_manage(1, 0x18, 4));
	CHECK(!pci_cfg_needs_manage(1, 0x1b, 1));
}

TEST(pci_cfg_unknown_header_protects_the_whole_header)
{
	uint8_t prot[64] = {0};
	mark(prot, 0x10, 0x3f);
	CHECK_EQ(check_type(0x02, prot), 0);
	CHECK_EQ(check_type(0x7f, prot), 0);
	CHECK_EQ(check_type(0xff, prot), 0); /* an absent function */
	CHECK(!pci_cfg_needs_manage(2, 0x04, 2));
}

/* A fake function's configuration space for the walkers. */
static uint8_t space[4096];

static uint32_t fake_rd(uint32_t bdf, uint32_t off)
{
	(void)bdf;
	uint32_t v;
	memcpy(&v, space + off, 4);
	return v;
}

static void put32(uint32_t off, uint32_t v)
{
	memcpy(space + off, &v, 4);
}

/* Extended capability header: id, version 1, next. */
static void ext_cap(uint32_t off, uint32_t id, uint32_t next)
{
	put32(off, id | 1u << 16 | next << 20);
}

TEST(pci_cfg_ext_caps_that_place_windows_need_manage)
{
	memset(space, 0, sizeof(space));
	ext_cap(0x100, 0x0001, 0x140); /* AER: WRITE is enough */
	ext_cap(0x140, 0x0010, 0x180); /* SR-IOV: VF BARs, VF enable */
	ext_cap(0x180, 0x0015, 0x200); /* Resizable BAR */
	ext_cap(0x200, 0x000b, 0x240); /* vendor-specific */
	ext_cap(0x240, 0x0024, 0);     /* VF Resizable BAR */
	for (uint32_t off = 0x100; off < 0x300; off += 4) {
		bool want = (off >= 0x140 && off < 0x1c0) ||
			    (off >= 0x240 && off < 0x280);
		if (pci_cfg_ext_needs_manage(fake_rd, 0, off, 4) != want) {
			fprintf(stderr, "    offset %#x\n", off);
			CHECK(0);
		}
	}
	CHECK(!pci_cfg_ext_needs_manage(fake_rd, 0, 0x13e, 2));
	CHECK(pci_cfg_ext_needs_manage(fake_rd, 0, 0x17f, 1));
	CHECK(!pci_cfg_ext_needs_manage(fake_rd, 0, 0xffc, 4));
	/* Below 0x100 it is the header table's business. */
	CHECK(!pci_cfg_ext_needs_manage(fake_rd, 0, 0x40, 4));
	/* The whole decision: header type 0 read through rd. */
	put32(0x0c, 0x00800000); /* header type 0x80: multi-function type 0 */
	CHECK(pci_cfg_write_needs_manage(fake_rd, 0, 0x10, 4));
	CHECK(!pci_cfg_write_needs_manage(fake_rd, 0, 0x04, 2));
	CHECK(pci_cfg_write_needs_manage(fake_rd, 0, 0x144, 4));
	CHECK(!pci_cfg_write_needs_manage(fake_rd, 0, 0x104, 4));
	put32(0x0c, 0x00010000); /* a bridge */
	CHECK(pci_cfg_write_needs_manage(fake_rd, 0, 0x18, 1));
	CHECK(!pci_cfg_write_needs_manage(fake_rd, 0, 0x1e, 2));
}

TEST(pci_cfg_ext_cap_list_ends)
{
	/* No list (all zeros), an absent function (all ones), a loop, a
	 * pointer back below 0x100: each walk ends, nothing protected. */
	memset(space, 0, sizeof(space));
	CHECK(!pci_cfg_ext_needs_manage(fake_rd, 0, 0x100, 4));
	memset(space, 0xff, sizeof(space));
	CHECK(!pci_cfg_ext_needs_manage(fake_rd, 0, 0x100, 4));
	memset(space, 0, sizeof(space));
	ext_cap(0x100, 0x0001, 0x200);
	ext_cap(0x200, 0x0002, 0x100); /* loops */
	CHECK(!pci_cfg_ext_needs_manage(fake_rd, 0, 0x300, 4));
	ext_cap(0x200, 0x0002, 0x040); /* into the header */
	CHECK(!pci_cfg_ext_needs_manage(fake_rd, 0, 0x300, 4));
	/* A protected one after a loop's end is still seen when reached. */
	ext_cap(0x200, 0x0010, 0);
	CHECK(pci_cfg_ext_needs_manage(fake_rd, 0, 0x210, 4));
}

/* A type-0 function with a standard capability list: PM at 0x40, MSI at
 * 0x50, vendor-specific (16 bytes) at 0x70, MSI-X at 0x98. */
static void std_caps(uint32_t class_rev)
{
	memset(space, 0, sizeof(space));
	put32(0x04, 1u << 20); /* status: capability list */
	put32(0x08, class_rev);
	put32(0x34, 0x40);
	put32(0x40, 0x01 | 0x50 << 8);
	put32(0x50, 0x05 | 0x70 << 8 | 0x0080u << 16); /* 64-bit MSI */
	put32(0x70, 0x09 | 0x98 << 8 | 0x10 << 16);
	put32(0x98, 0x11);
}

TEST(pci_cfg_cap_walk_finds_the_structure)
{
	std_caps(0x02000000);
	CHECK_EQ(pci_cfg_cap_at(fake_rd, 0, 0x40, 4), 0x01);
	CHECK_EQ(pci_cfg_cap_at(fake_rd, 0, 0x44, 4), 0x01);
	CHECK_EQ(pci_cfg_cap_at(fake_rd, 0, 0x48, 4), -1);
	CHECK_EQ(pci_cfg_cap_at(fake_rd, 0, 0x52, 2), 0x05);
	CHECK_EQ(pci_cfg_cap_at(fake_rd, 0, 0x64, 4), 0x05);
	CHECK_EQ(pci_cfg_cap_at(fake_rd, 0, 0x68, 4), -1);
	CHECK_EQ(pci_cfg_cap_at(fake_rd, 0, 0x7c, 4), 0x09);
	CHECK_EQ(pci_cfg_cap_at(fake_rd, 0, 0x7e, 4), -1); /* runs past it */
	CHECK_EQ(pci_cfg_cap_at(fake_rd, 0, 0x80, 4), -1);
	CHECK_EQ(pci_cfg_cap_at(fake_rd, 0, 0xa0, 4), 0x11);
	CHECK_EQ(pci_cfg_cap_at(fake_rd, 0, 0xa4, 4), -1);
	CHECK_EQ(pci_cfg_cap_at(fake_rd, 0, 0xfc, 4), -1);
	/* No capability-list bit: no structures. */
	put32(0x04, 0);
	CHECK_EQ(pci_cfg_cap_at(fake_rd, 0, 0x40, 4), -1);
	/* A loop ends; a pointer into the header ends. */
	std_caps(0x02000000);
	put32(0x98, 0x11 | 0x40 << 8);
	CHECK_EQ(pci_cfg_cap_at(fake_rd, 0, 0xf0, 4), -1);
	put32(0x98, 0x11 | 0x10 << 8);
	CHECK_EQ(pci_cfg_cap_at(fake_rd, 0, 0xf0, 4), -1);
	memset(space, 0xff, sizeof(space)); /* absent function */
	CHECK_EQ(pci_cfg_cap_at(fake_rd, 0, 0x40, 4), -1);
}

/* Review F5: a bridge's registers outside its capabilities (q35 LPC RCBA
 * at 0xf0, MCH PCIEXBAR 0x60, PIIX3 PIRQ 0x60) need MANAGE. */
TEST(pci_cfg_bridge_device_specific_registers_need_manage)
{
	std_caps(0x06010002); /* ISA bridge */
	CHECK(pci_cfg_write_needs_manage(fake_rd, 0, 0xf0, 4));
	CHECK(pci_cfg_write_needs_manage(fake_rd, 0, 0x6c, 1));
	CHECK(pci_cfg_write_needs_manage(fake_rd, 0, 0x48, 4));
	CHECK(!pci_cfg_write_needs_manage(fake_rd, 0, 0x52, 2)); /* MSI */
	CHECK(!pci_cfg_write_needs_manage(fake_rd, 0, 0x44, 2)); /* PMCSR */
	CHECK(!pci_cfg_write_needs_manage(fake_rd, 0, 0x04, 2));
	CHECK(!pci_cfg_write_needs_manage(fake_rd, 0, 0x3c, 1));
	std_caps(0x06000000); /* host bridge, no capabilities */
	put32(0x04, 0);
	for (uint32_t off = 0x40; off < 0x100; off += 4)
		CHECK(pci_cfg_write_needs_manage(fake_rd, 0, off, 4));
	/* Not a bridge: device-specific space stays WRITE. */
	std_caps(0x02000000);
	CHECK(!pci_cfg_write_needs_manage(fake_rd, 0, 0xf0, 4));
	CHECK(!pci_cfg_write_needs_manage(fake_rd, 0, 0x48, 4));
}

/* Review F7: what parks the other CPUs. */
TEST(pci_cfg_only_decoding_writes_park)
{
	std_caps(0x02000000);
	CHECK(pci_cfg_write_changes_decoding(fake_rd, 0, 0x04, 2));
	CHECK(pci_cfg_write_changes_decoding(fake_rd, 0, 0x04, 1));
	CHECK(pci_cfg_write_changes_decoding(fake_rd, 0, 0x04, 4));
	CHECK(!pci_cfg_write_changes_decoding(fake_rd, 0, 0x06, 2));
	CHECK(!pci_cfg_write_changes_decoding(fake_rd, 0, 0x3c, 1));
	CHECK(!pci_cfg_write_changes_decoding(fake_rd, 0, 0x0c, 1));
	CHECK(pci_cfg_write_changes_decoding(fake_rd, 0, 0x10, 4));
	CHECK(pci_cfg_write_changes_decoding(fake_rd, 0, 0x30, 4));
	CHECK(pci_cfg_write_changes_decoding(fake_rd, 0, 0x44, 2)); /* PM */
	CHECK(pci_cfg_write_changes_decoding(fake_rd, 0, 0x52, 2)); /* MSI */
	CHECK(pci_cfg_write_changes_decoding(fake_rd, 0, 0x54, 4));
	CHECK(pci_cfg_write_changes_decoding(fake_rd, 0, 0x58, 4));
	CHECK(!pci_cfg_write_changes_decoding(fake_rd, 0, 0x5c, 2)); /* data */
	CHECK(!pci_cfg_write_changes_decoding(fake_rd, 0, 0x60, 4)); /* mask */
	CHECK(!pci_cfg_write_changes_decoding(fake_rd, 0, 0x74, 4)); /* vnd */
	CHECK(pci_cfg_write_changes_decoding(fake_rd, 0, 0x9a, 2)); /* MSI-X */
	CHECK(!pci_cfg_write_changes_decoding(fake_rd, 0, 0x9c, 4));
	CHECK(pci_cfg_write_changes_decoding(fake_rd, 0, 0xf0, 4)); /* none */
	ext_cap(0x100, 0x0001, 0x140);
	ext_cap(0x140, 0x0010, 0);
	CHECK(!pci_cfg_write_changes_decoding(fake_rd, 0, 0x104, 4));
	CHECK(pci_cfg_write_changes_decoding(fake_rd, 0, 0x148, 4));
	/* A bridge: windows and bus numbers, not the secondary status. */
	put32(0x0c, 0x00010000);
	CHECK(pci_cfg_write_changes_decoding(fake_rd, 0, 0x18, 4));
	CHECK(pci_cfg_write_changes_decoding(fake_rd, 0, 0x3e, 2));
	CHECK(!pci_cfg_write_changes_decoding(fake_rd, 0, 0x1e, 2));
}
