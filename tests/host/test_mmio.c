/* The MMIO deny list (kernel/mm/mmio.c): what SYS_VMO_CREATE_PHYS refuses,
 * on a synthetic memory map and ACPI description. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include <execrt/errors.h>
#include <kern/mmio.h>

#define PG 0x1000ull

static struct mmio_denylist *list_new(void)
{
	return calloc(1, sizeof(struct mmio_denylist));
}

static int chk(const struct mmio_denylist *l, uint64_t base, uint64_t size,
	       uint32_t *why)
{
	return mmio_check(l, base, size, why);
}

/* A BIOS-like map: low RAM, EBDA reserved, RAM from 1 MiB, ACPI tables,
 * NVS, a bad page, reserved ROM and flash. */
static void bios_map(struct boot_info *bi)
{
	memset(bi, 0, sizeof(*bi));
	struct mem_region m[] = {
		{0, 0x9fc00, MEM_USABLE},
		{0x9fc00, 0x400, MEM_RESERVED},
		{0xf0000, 0x10000, MEM_RESERVED},
		{0x100000, 0x1ff00000, MEM_USABLE},
		{0x20000000, 0x10000, MEM_ACPI_RECLAIM},
		{0x20010000, 0x10000, MEM_ACPI_NVS},
		{0x20020000, 0x1000, MEM_BAD},
		{0xfffc0000, 0x40000, MEM_RESERVED},
	};
	memcpy(bi->mem, m, sizeof(m));
	bi->nmem = sizeof(m) / sizeof(m[0]);
	bi->kernel_start = 0x200000;
	bi->kernel_end = 0x345678;
}

TEST(mmio_deny_every_kind_of_ram)
{
	struct mmio_denylist *l = list_new();
	struct boot_info bi;
	bios_map(&bi);
	mmio_deny_boot(l, &bi);
	uint32_t why = 0;
	CHECK_EQ(chk(l, 0, PG, &why), ERR_ACCESS_DENIED);
	CHECK_EQ(why, MMIO_DENY_RAM);
	/* 0x9f000 holds the end of low RAM (0x9fc00 is not page-aligned). */
	CHECK_EQ(chk(l, 0x9f000, PG, NULL), ERR_ACCESS_DENIED);
	CHECK_EQ(chk(l, 0x1ffff000, PG, NULL), ERR_ACCESS_DENIED);
	CHECK_EQ(chk(l, 0x20000000, PG, NULL), ERR_ACCESS_DENIED);
	CHECK_EQ(chk(l, 0x20010000, PG, NULL), ERR_ACCESS_DENIED);
	CHECK_EQ(chk(l, 0x20020000, PG, NULL), ERR_ACCESS_DENIED);
	/* Holes and reserved regions: BARs, the VGA window, the ROM. */
	CHECK_EQ(chk(l, 0xa0000, 0x20000, NULL), 0);
	CHECK_EQ(chk(l, 0xf0000, 0x10000, NULL), 0);
	CHECK_EQ(chk(l, 0x20021000, PG, NULL), 0);
	CHECK_EQ(chk(l, 0xfd000000, 0x1000000, NULL), 0);
	CHECK_EQ(chk(l, 0xfffc0000, 0x40000, NULL), 0);
	/* A range reaching into RAM by one page is refused as a whole. */
	CHECK_EQ(chk(l, 0x20021000 - PG, 2 * PG, NULL), ERR_ACCESS_DENIED);
	CHECK_EQ(chk(l, 0x80000000, 0x80000000, NULL), 0);
	CHECK_EQ(chk(l, 0x1000000, 0x100000000ull, NULL), ERR_ACCESS_DENIED);
	free(l);
}

TEST(mmio_deny_kernel_image_even_outside_ram)
{
	struct mmio_denylist *l = list_new();
	struct boot_info bi;
	bios_map(&bi);
	bi.kernel_start = 0xf0000; /* say, in a reserved region */
	bi.kernel_end = 0xf1001;
	mmio_deny_boot(l, &bi);
	uint32_t why = 0;
	CHECK_EQ(chk(l, 0xf1000, PG, &why), ERR_ACCESS_DENIED);
	CHECK_EQ(why, MMIO_DENY_KERNEL);
	CHECK_EQ(chk(l, 0xf0000, PG, &why), ERR_ACCESS_DENIED);
	CHECK_EQ(chk(l, 0xf2000, PG, NULL), 0);
	free(l);
}

TEST(mmio_framebuffer_inside_ram_stays_mappable)
{
	struct mmio_denylist *l = list_new();
	struct boot_info bi;
	bios_map(&bi);
	bi.has_fb = true;
	bi.fb.addr = 0x10000000; /* inside the big usable region */
	bi.fb.pitch = 4096;
	bi.fb.height = 768;
	mmio_deny_boot(l, &bi);
	CHECK_EQ(chk(l, 0x10000000, 768 * PG, NULL), 0);
	CHECK_EQ(chk(l, 0x10000000 - PG, PG, NULL), ERR_ACCESS_DENIED);
	CHECK_EQ(chk(l, 0x10000000 + 768 * PG, PG, NULL), ERR_ACCESS_DENIED);
	CHECK_EQ(chk(l, 0x10000000, 769 * PG, NULL), ERR_ACCESS_DENIED);
	free(l);
}

TEST(mmio_deny_kernel_devices_and_ecam)
{
	struct mmio_denylist *l = list_new();
	struct acpi_info *ai = calloc(1, sizeof(*ai));
	ai->lapic_addr = 0xfee00000;
	ai->nioapics = 2;
	ai->ioapics[0].addr = 0xfec00000;
	ai->ioapics[1].addr = 0xfec01000;
	ai->has_hpet = true;
	ai->hpet_addr = 0xfed00000;
	ai->necam = 1;
	ai->ecam[0] = (struct acpi_mcfg){true, 0xb0000000, 0, 0x10, 0x1f};
	mmio_deny_acpi(l, ai);
	uint32_t why = 0;
	CHECK_EQ(chk(l, 0xfee00000, PG, &why), ERR_ACCESS_DENIED);
	CHECK_EQ(why, MMIO_DENY_LAPIC);
	/* The whole MSI window: a store there is an interrupt. */
	CHECK_EQ(chk(l, 0xfeeff000, PG, &why), ERR_ACCESS_DENIED);
	CHECK_EQ(why, MMIO_DENY_LAPIC);
	CHECK_EQ(chk(l, 0xfef00000, PG, NULL), 0);
	CHECK_EQ(chk(l, 0xfec01000, PG, &why), ERR_ACCESS_DENIED);
	CHECK_EQ(why, MMIO_DENY_IOAPIC);
	CHECK_EQ(chk(l, 0xfec02000, PG, NULL), 0);
	CHECK_EQ(chk(l, 0xfed00000, PG, &why), ERR_ACCESS_DENIED);
	CHECK_EQ(why, MMIO_DENY_HPET);
	CHECK_EQ(chk(l, 0xfed01000, PG, NULL), 0);
	/* Buses 0x10-0x1f: [base + 16 MiB, base + 32 MiB). */
	CHECK_EQ(chk(l, 0xb1000000, PG, &why), ERR_ACCESS_DENIED);
	CHECK_EQ(why, MMIO_DENY_ECAM);
	CHECK_EQ(chk(l, 0xb1fff000, PG, NULL), ERR_ACCESS_DENIED);
	CHECK_EQ(chk(l, 0xb0fff000, PG, NULL), 0);
	CHECK_EQ(chk(l, 0xb2000000, PG, NULL), 0);
	/* A range spanning a denied page in its middle. */
	CHECK_EQ(chk(l, 0xfecff000, 0x2000 + 0x100000, NULL),
		 ERR_ACCESS_DENIED);
	free(ai);
	free(l);
}

TEST(mmio_deny_list_full_refuses_everything)
{
	struct mmio_denylist *l = list_new();
	for (unsigned i = 0; i < MMIO_DENY_MAX; i++)
		mmio_deny_add(l, (uint64_t)i * 2 * PG, PG, MMIO_DENY_RAM);
	CHECK(!l->overflow);
	CHECK_EQ(chk(l, PG, PG, NULL), 0);
	mmio_deny_add(l, 1ull << 40, PG, MMIO_DENY_RAM);
	CHECK(l->overflow);
	CHECK_EQ(chk(l, PG, PG, NULL), ERR_ACCESS_DENIED);
	free(l);
}

TEST(mmio_deny_add_widens_to_pages_and_clamps)
{
	struct mmio_denylist *l = list_new();
	mmio_deny_add(l, 0x1234, 0x10, MMIO_DENY_HPET);
	mmio_deny_add(l, ~0ull - 0x10, 0x100, MMIO_DENY_RAM); /* wraps */
	mmio_deny_add(l, 0x5000, 0, MMIO_DENY_RAM);	      /* nothing */
	CHECK_EQ(l->n, 2);
	CHECK_EQ(l->r[0].base, 0x1000);
	CHECK_EQ(l->r[0].end, 0x2000);
	CHECK_EQ(l->r[1].end, 1ull << 52);
	CHECK_EQ(chk(l, 0x5000, PG, NULL), 0);
	free(l);
}
