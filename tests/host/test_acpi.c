/* ACPI parser tests on synthetic firmware tables. A calloc'd arena stands in
 * for physical memory 0..ARENA_SIZE (physmap_offset points the "direct map"
 * at it), so the BIOS-area RSDP search works too. Tables are written byte by
 * byte at spec offsets, independent of the parser's structs (acpi_fix.c).
 * The FADT, MCFG and tables-object tests are test_acpi_fadt.c. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include <execrt/errors.h>
#include <kern/acpi.h>
#include <kern/mm.h>
#include <kern/vmo.h>

#include "acpi_fix.h"

TEST(acpi_xsdt_path)
{
	struct acpi_info ai;
	fake_begin();
	uint64_t xsdt = make_system(2);
	CHECK_EQ(acpi_init(RSDP_PA, &ai), 0);
	CHECK(ai.valid);
	CHECK(ai.root_is_xsdt);
	CHECK_EQ(ai.root_addr, xsdt);
	CHECK_EQ(ai.revision, 2);
	CHECK(strcmp(ai.oem_id, "BOCHS") == 0);
	CHECK(ai.has_madt);
	CHECK(ai.has_hpet);
	CHECK_EQ(ai.bad_tables, 0);
	/* The global copy matches. */
	CHECK(memcmp(&acpi, &ai, sizeof(ai)) == 0);
	fake_end();
}

TEST(acpi_rsdt_path)
{
	struct acpi_info ai;
	fake_begin();
	uint64_t rsdt = make_system(0);
	CHECK_EQ(acpi_init(RSDP_PA, &ai), 0);
	CHECK(ai.valid);
	CHECK(!ai.root_is_xsdt);
	CHECK_EQ(ai.root_addr, rsdt);
	CHECK_EQ(ai.revision, 0);
	CHECK(ai.has_madt);
	CHECK_EQ(ai.ncpus, 5);
	CHECK(ai.has_hpet);
	CHECK_EQ(ai.bad_tables, 0);
	fake_end();
}

TEST(acpi_bad_xsdt_falls_back_to_rsdt)
{
	struct acpi_info ai;
	fake_begin();
	uint64_t xsdt = make_system(2);
	mem[xsdt + 36] ^= 0x40; /* corrupt an entry: checksum now wrong */
	CHECK_EQ(acpi_init(RSDP_PA, &ai), 0);
	CHECK(!ai.root_is_xsdt);
	CHECK_EQ(ai.bad_tables, 1);
	CHECK(!ai.has_madt); /* the RSDT only lists FACP */
	CHECK(acpi_find_table("FACP") != 0);
	fake_end();
}

TEST(acpi_madt_parsed)
{
	struct acpi_info ai;
	fake_begin();
	make_system(2);
	CHECK_EQ(acpi_init(RSDP_PA, &ai), 0);
	CHECK_EQ(ai.lapic_addr, 0xfee00000);
	CHECK(ai.pcat_compat);

	CHECK_EQ(ai.ncpus, 5); /* x2APIC duplicate of id 1 dropped */
	CHECK_EQ(ai.cpus[0].apic_id, 0);
	CHECK(ai.cpus[0].enabled && !ai.cpus[0].online_capable);
	CHECK_EQ(ai.cpus[1].apic_id, 1);
	CHECK_EQ(ai.cpus[1].acpi_uid, 1);
	CHECK(!ai.cpus[2].enabled && ai.cpus[2].online_capable);
	CHECK(!ai.cpus[3].enabled && !ai.cpus[3].online_capable);
	CHECK_EQ(ai.cpus[4].apic_id, 0x100);
	CHECK_EQ(ai.cpus[4].acpi_uid, 4);
	CHECK(ai.cpus[4].enabled);

	CHECK_EQ(ai.nioapics, 1);
	CHECK_EQ(ai.ioapics[0].id, 0);
	CHECK_EQ(ai.ioapics[0].addr, 0xfec00000);
	CHECK_EQ(ai.ioapics[0].gsi_base, 0);

	CHECK_EQ(ai.noverrides, 3);
	CHECK_EQ(ai.overrides[0].bus, 0);
	CHECK_EQ(ai.overrides[0].source, 0);
	CHECK_EQ(ai.overrides[0].gsi, 2);
	CHECK_EQ(ai.overrides[1].source, 9);
	CHECK_EQ(ai.overrides[1].flags, ACPI_TRIG_LEVEL | ACPI_POL_HIGH);
	CHECK_EQ(ai.overrides[2].bus, 1);

	CHECK_EQ(ai.nnmis, 1);
	CHECK_EQ(ai.nmis[0].acpi_uid, ACPI_NMI_ALL_CPUS);
	CHECK_EQ(ai.nmis[0].lint, 1);
	fake_end();
}

TEST(acpi_madt_lapic_addr_override)
{
	struct acpi_info ai;
	fake_begin();
	struct tb t = madt_begin();
	e_lapic(&t, 0, 0, 1);
	e_lapic_addr(&t, 0x1234567000);
	uint64_t madt = tb_done(&t);
	make_rsdp(RSDP_PA, 0, make_root("RSDT", &madt, 1), 0, "OVR   ");
	CHECK_EQ(acpi_init(RSDP_PA, &ai), 0);
	CHECK_EQ(ai.lapic_addr, 0x1234567000);
	CHECK_EQ(ai.ncpus, 1);
	fake_end();
}

TEST(acpi_bad_madt_checksum)
{
	struct acpi_info ai;
	fake_begin();
	make_system(2);
	phys_addr_t madt =
		acpi_init(RSDP_PA, &ai) == 0 ? acpi_find_table("APIC") : 0;
	CHECK(madt != 0);
	mem[madt + 50] ^= 1;
	CHECK_EQ(acpi_init(RSDP_PA, &ai), 0);
	CHECK(!ai.has_madt);
	CHECK_EQ(ai.ncpus, 0);
	CHECK_EQ(ai.bad_tables, 1);
	CHECK(ai.has_hpet); /* other tables still used */
	CHECK_EQ(acpi_find_table("APIC"), 0);
	fake_end();
}

TEST(acpi_bad_rsdp_checksum)
{
	struct acpi_info ai;
	fake_begin();
	make_system(2);
	mem[RSDP_PA + 9] ^= 1; /* OEM id: both checksums now fail */
	CHECK_EQ(acpi_init(RSDP_PA, &ai), ACPI_ERR_NO_RSDP);
	CHECK(!ai.valid);
	CHECK(!acpi.valid);
	CHECK_EQ(acpi_find_table("FACP"), 0);
	fake_end();
}

TEST(acpi_bad_rsdp_ext_checksum)
{
	struct acpi_info ai;
	fake_begin();
	make_system(2);
	mem[RSDP_PA + 32] ^= 1; /* only the extended checksum fails */
	CHECK_EQ(acpi_init(RSDP_PA, &ai), ACPI_ERR_NO_RSDP);
	CHECK(!ai.valid);
	fake_end();
}

TEST(acpi_bad_root_fails)
{
	struct acpi_info ai;
	fake_begin();
	uint64_t rsdt = make_system(0);
	mem[rsdt + 36] ^= 1;
	CHECK_EQ(acpi_init(RSDP_PA, &ai), ACPI_ERR_NO_ROOT);
	CHECK(!ai.valid);
	CHECK_EQ(ai.bad_tables, 1);
	CHECK_EQ(acpi_find_table("FACP"), 0);
	fake_end();
}

TEST(acpi_bad_table_lengths)
{
	struct acpi_info ai;
	fake_begin();
	uint64_t huge = make_dummy("SSDT"), tiny = make_dummy("SSDT");
	put(huge + 4, 0xffffffff, 4); /* would run far past the arena */
	put(tiny + 4, 35, 4);
	set_sum(tiny, 35, 9);
	uint64_t t[4] = {huge, tiny, 0, make_madt()};
	make_rsdp(RSDP_PA, 2, 0, make_root("XSDT", t, 4), "LEN   ");
	CHECK_EQ(acpi_init(RSDP_PA, &ai), 0);
	CHECK_EQ(ai.bad_tables, 3);
	CHECK(ai.has_madt);
	fake_end();
}

/* Builds a MADT with one good LAPIC then `tail` bytes, placed at the very
 * end of the arena, and returns ncpus after parsing it. */
static size_t madt_with_tail(const uint8_t *tail, int n)
{
	struct acpi_info ai;
	struct tb t = madt_begin();
	e_lapic(&t, 0, 0, 1);
	for (int i = 0; i < n; i++)
		tb_add(&t, tail[i], 1);
	tb_done(&t);
	uint64_t madt = tb_move_to_end(&t);
	make_rsdp(RSDP_PA, 0, make_root("RSDT", &madt, 1), 0, "TRUNC ");
	if (acpi_init(RSDP_PA, &ai) != 0 || !ai.has_madt)
		return (size_t)-1;
	return ai.ncpus;
}

TEST(acpi_madt_zero_length_entry)
{
	static const uint8_t tail[] = {0, 0, 0, 0, 0, 0, 0, 0,
				       0, 8, 1, 1, 1, 0, 0, 0};
	fake_begin();
	CHECK_EQ(madt_with_tail(tail, sizeof(tail)), 1);
	fake_end();
}

TEST(acpi_madt_overrunning_entry)
{
	static const uint8_t tail[] = {9, 16, 0, 0, 5, 0}; /* 16 > 6 left */
	fake_begin();
	CHECK_EQ(madt_with_tail(tail, sizeof(tail)), 1);
	fake_end();
}

TEST(acpi_madt_entry_header_cut)
{
	static const uint8_t tail[] = {0}; /* type byte, no length byte */
	fake_begin();
	CHECK_EQ(madt_with_tail(tail, sizeof(tail)), 1);
	fake_end();
}

TEST(acpi_madt_short_entry_skipped)
{
	/* A 4-byte "LAPIC" is skipped; the following entry still counts. */
	static const uint8_t tail[] = {0, 4, 7, 7, 0, 8, 1, 1, 1, 0, 0, 0};
	fake_begin();
	CHECK_EQ(madt_with_tail(tail, sizeof(tail)), 2);
	fake_end();
}

TEST(acpi_madt_too_many_cpus)
{
	struct acpi_info ai;
	fake_begin();
	struct tb t = madt_begin();
	for (int i = 0; i < ACPI_MAX_CPUS + 6; i++)
		e_x2apic(&t, (uint32_t)i, 1, (uint32_t)i);
	uint64_t madt = tb_done(&t);
	make_rsdp(RSDP_PA, 0, make_root("RSDT", &madt, 1), 0, "MANY  ");
	CHECK_EQ(acpi_init(RSDP_PA, &ai), 0);
	CHECK_EQ(ai.ncpus, ACPI_MAX_CPUS);
	CHECK_EQ(ai.cpus[ACPI_MAX_CPUS - 1].apic_id, ACPI_MAX_CPUS - 1);
	fake_end();
}

TEST(acpi_hpet_parsed)
{
	struct acpi_info ai;
	fake_begin();
	make_system(2);
	CHECK_EQ(acpi_init(RSDP_PA, &ai), 0);
	CHECK(ai.has_hpet);
	CHECK_EQ(ai.hpet_addr, 0xfed00000);
	CHECK_EQ(ai.hpet_min_tick, 0x80);
	fake_end();
}

TEST(acpi_hpet_rejected)
{
	struct acpi_info ai;
	fake_begin();
	uint64_t t[3] = {make_hpet(0, 0xfed00000), make_hpet(1, 0x1000),
			 make_hpet(0, 0)};
	mem[t[0] + 45] ^= 1; /* bad checksum */
	make_rsdp(RSDP_PA, 0, make_root("RSDT", t, 3), 0, "HPET  ");
	CHECK_EQ(acpi_init(RSDP_PA, &ai), 0);
	CHECK(!ai.has_hpet); /* I/O space and null base: both refused */
	CHECK_EQ(ai.bad_tables, 1);
	CHECK(!ai.has_madt);
	fake_end();
}

TEST(acpi_find_table_lookup)
{
	fake_begin();
	uint64_t bad = make_dummy("SSDT"), good = make_dummy("SSDT");
	mem[bad + 36] ^= 1;
	uint64_t t[4] = {make_fadt(116, 0), bad, good, make_madt()};
	make_rsdp(RSDP_PA, 2, 0, make_root("XSDT", t, 4), "FIND  ");
	memset(&acpi, 0, sizeof(acpi));
	CHECK_EQ(acpi_find_table("FACP"), 0);	/* before init: nothing */
	CHECK_EQ(acpi_init(RSDP_PA, &acpi), 0); /* out may be the global */
	CHECK_EQ(acpi_find_table("FACP"), t[0]);
	CHECK_EQ(acpi_find_table("SSDT"), good);
	CHECK_EQ(acpi_find_table("APIC"), t[3]);
	CHECK_EQ(acpi_find_table("HPET"), 0);
	CHECK_EQ(acpi.bad_tables, 1);
	fake_end();
}

TEST(acpi_isa_irq_to_gsi)
{
	struct acpi_info ai;
	uint16_t flags = 0xffff;
	fake_begin();
	make_system(2);
	CHECK_EQ(acpi_init(RSDP_PA, &ai), 0);
	CHECK_EQ(acpi_isa_to_gsi(&ai, 0, &flags), 2);
	CHECK_EQ(flags, 0);
	CHECK_EQ(acpi_isa_to_gsi(&ai, 9, &flags), 9);
	CHECK_EQ(flags, ACPI_TRIG_LEVEL | ACPI_POL_HIGH);
	flags = 0xffff;
	CHECK_EQ(acpi_isa_to_gsi(&ai, 1, &flags), 1);
	CHECK_EQ(flags, 0);
	CHECK_EQ(acpi_isa_to_gsi(&ai, 5, &flags), 5); /* bus-1 override */
	CHECK_EQ(acpi_isa_to_gsi(&ai, 4, NULL), 4);
	struct acpi_info empty = {0};
	CHECK_EQ(acpi_isa_to_gsi(&empty, 0, &flags), 0);
	fake_end();
}

TEST(acpi_rsdp_search_bios_rom)
{
	struct acpi_info ai;
	fake_begin();
	make_system(2); /* RSDP at 0xe0000 */
	/* Move it up, leave a corrupt decoy at a lower 16-byte boundary. */
	memcpy(&mem[0xf5a30], &mem[RSDP_PA], 36);
	memcpy(&mem[0xe0100], &mem[RSDP_PA], 36);
	mem[0xe0100 + 9] ^= 1;
	memset(&mem[RSDP_PA], 0, 36);
	/* Unaligned copy must not be found (spec: 16-byte boundaries). */
	memcpy(&mem[0xe0208], &mem[0xf5a30], 36);
	CHECK_EQ(acpi_init(0, &ai), 0);
	CHECK(ai.valid && ai.root_is_xsdt);
	CHECK_EQ(ai.ncpus, 5);
	/* Only the unaligned copy left: no RSDP. */
	memset(&mem[0xf5a30], 0, 36);
	CHECK_EQ(acpi_init(0, &ai), ACPI_ERR_NO_RSDP);
	fake_end();
}

TEST(acpi_rsdp_search_ebda_first)
{
	struct acpi_info ai;
	fake_begin();
	make_system(0);	       /* "BOCHS" RSDP in the ROM area */
	put(0x40e, 0x9fc0, 2); /* EBDA at 0x9fc00 */
	memcpy(&mem[0x9fc40], &mem[RSDP_PA], 20);
	memcpy(&mem[0x9fc40 + 9], "EBDA  ", 6);
	set_sum(0x9fc40, 20, 8);
	CHECK_EQ(acpi_init(0, &ai), 0);
	CHECK(strcmp(ai.oem_id, "EBDA") == 0);
	/* Past the first KiB of the EBDA it is not looked for. */
	memmove(&mem[0x9fc00 + 0x400], &mem[0x9fc40], 20);
	memset(&mem[0x9fc40], 0, 20);
	CHECK_EQ(acpi_init(0, &ai), 0);
	CHECK(strcmp(ai.oem_id, "BOCHS") == 0);
	fake_end();
}

TEST(acpi_rsdp_at_end_of_bios_area)
{
	struct acpi_info ai;
	fake_begin();
	/* A v2 RSDP whose 36 bytes would cross 1 MiB: the scan must not read
	 * beyond the area (mem is larger, so check by outcome). */
	make_rsdp(0xffff0, 2, 0, 0, "EDGE  ");
	CHECK_EQ(acpi_init(0, &ai), ACPI_ERR_NO_RSDP);
	fake_end();
}
