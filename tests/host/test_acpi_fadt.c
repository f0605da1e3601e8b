/* ACPI parser tests on synthetic firmware tables (acpi_fix.h): the FADT
 * and \_S5, MCFG, and the tables object (a copy of the firmware's tables
 * for init, devk-mem). */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include <execrt/errors.h>
#include <kern/acpi.h>
#include <kern/mm.h>
#include <kern/vmo.h>

#include "acpi_fix.h"

/* ---- FADT and \_S5 ---- */

/* Name (_S5, Package (4) { Zero, Zero, Zero, Zero }), as QEMU writes it. */
static const uint8_t qemu_s5[] = {0x08, '_',  'S',  '5',  '_',	0x12,
				  0x06, 0x04, 0x00, 0x00, 0x00, 0x00};

TEST(acpi_fadt_v1_pm1_and_s5)
{
	struct acpi_info ai;
	fake_begin();
	uint64_t t[2] = {make_fadt(116, make_dsdt(qemu_s5, sizeof(qemu_s5))),
			 make_madt()};
	make_rsdp(RSDP_PA, 0, make_root("RSDT", t, 2), 0, "FADT1 ");
	CHECK_EQ(acpi_init(RSDP_PA, &ai), 0);
	CHECK(ai.has_fadt);
	CHECK_EQ(ai.pm1a_cnt, 0x604);
	CHECK_EQ(ai.pm1b_cnt, 0);
	CHECK(ai.has_s5);
	CHECK_EQ(ai.s5_slp_typ_a, 0);
	CHECK_EQ(ai.s5_slp_typ_b, 0);
	CHECK(!ai.has_reset); /* not in a 1.0 table */
	CHECK_EQ(ai.bad_tables, 0);
	fake_end();
}

TEST(acpi_fadt_v3_x_fields_and_reset)
{
	struct acpi_info ai;
	fake_begin();
	static const uint8_t aml[] = {0x10, 0x05, 0x5c, 0x00, /* a Scope */
				      0x08, 0x5c, '_',	'S',  '5',
				      '_',  0x12, 0x08, 0x04, 0x0a,
				      0x05, 0x0a, 0x07, 0x00, 0x00};
	uint64_t dsdt = make_dsdt(aml, sizeof(aml));
	struct tb f = fadt_begin(244, 0x1234); /* 32-bit DSDT is a decoy */
	put(f.pa + 112, 1u << 10, 4);	       /* RESET_REG_SUP */
	put(f.pa + 116, 1, 1);		       /* reset: I/O space */
	put(f.pa + 117, 8, 1);
	put(f.pa + 120, 0xcf9, 8);
	put(f.pa + 128, 0x06, 1);
	put(f.pa + 140, dsdt, 8); /* X_DSDT wins */
	put(f.pa + 172, 1, 1);	  /* X_PM1a_CNT_BLK in I/O space */
	put(f.pa + 176, 0xb004, 8);
	put(f.pa + 184, 0, 1); /* X_PM1b_CNT_BLK: memory space: no port */
	put(f.pa + 188, 0xfe000000, 8);
	put(f.pa + 68, 0x608, 4); /* ... even with a legacy value */
	uint64_t t[1] = {tb_done(&f)};
	make_rsdp(RSDP_PA, 2, 0, make_root("XSDT", t, 1), "FADT3 ");
	CHECK_EQ(acpi_init(RSDP_PA, &ai), 0);
	CHECK(ai.has_fadt);
	CHECK_EQ(ai.pm1a_cnt, 0xb004);
	CHECK_EQ(ai.pm1b_cnt, 0);
	CHECK(ai.has_s5);
	CHECK_EQ(ai.s5_slp_typ_a, 5);
	CHECK_EQ(ai.s5_slp_typ_b, 7);
	CHECK(ai.has_reset);
	CHECK_EQ(ai.reset_space, 1);
	CHECK_EQ(ai.reset_addr, 0xcf9);
	CHECK_EQ(ai.reset_value, 6);
	/* Without the flag the register is not offered. */
	put(f.pa + 112, 0, 4);
	set_sum(f.pa, f.len, 9);
	CHECK_EQ(acpi_init(RSDP_PA, &ai), 0);
	CHECK(!ai.has_reset);
	fake_end();
}

TEST(acpi_fadt_bad_dsdt_and_short_fadt)
{
	struct acpi_info ai;
	fake_begin();
	uint64_t dsdt = make_dsdt(qemu_s5, sizeof(qemu_s5));
	mem[dsdt + 40] ^= 1; /* checksum broken */
	uint64_t t[1] = {make_fadt(116, dsdt)};
	make_rsdp(RSDP_PA, 0, make_root("RSDT", t, 1), 0, "BADDS ");
	CHECK_EQ(acpi_init(RSDP_PA, &ai), 0);
	CHECK(ai.has_fadt);
	CHECK_EQ(ai.pm1a_cnt, 0x604);
	CHECK(!ai.has_s5);
	CHECK_EQ(ai.bad_tables, 1);
	/* A "DSDT" pointer to another table, and a FADT cut before
	 * PM1x_CNT. */
	uint64_t t2[2] = {make_fadt(116, make_madt()), make_fadt(60, 0)};
	make_rsdp(RSDP_PA, 0, make_root("RSDT", t2, 2), 0, "BADDS ");
	CHECK_EQ(acpi_init(RSDP_PA, &ai), 0);
	CHECK(ai.has_fadt && !ai.has_s5);
	CHECK_EQ(ai.bad_tables, 1);
	uint64_t t3[1] = {make_fadt(60, 0)};
	make_rsdp(RSDP_PA, 0, make_root("RSDT", t3, 1), 0, "SHORT ");
	CHECK_EQ(acpi_init(RSDP_PA, &ai), 0);
	CHECK(!ai.has_fadt);
	CHECK_EQ(ai.pm1a_cnt, 0);
	CHECK_EQ(ai.bad_tables, 1);
	fake_end();
}

/* --- MCFG and the tables object (devk-mem) ----------------------------- */

static void e_mcfg(struct tb *t, uint64_t base, int seg, int b0, int b1)
{
	tb_add(t, base, 8), tb_add(t, seg, 2), tb_add(t, b0, 1);
	tb_add(t, b1, 1), tb_add(t, 0, 4);
}

TEST(acpi_mcfg_parsed)
{
	struct acpi_info ai;
	fake_begin();
	struct tb m = tb_new("MCFG");
	tb_add(&m, 0, 8);
	e_mcfg(&m, 0xc0000000, 1, 0, 7);   /* another segment */
	e_mcfg(&m, 0xd0000000, 0, 9, 3);   /* start > end: dropped */
	e_mcfg(&m, 0xe0000800, 0, 0, 1);   /* not 1 MiB aligned: dropped */
	e_mcfg(&m, 0xfff00000, 0, 0, 255); /* wraps past 4 GiB: fine */
	e_mcfg(&m, 0xb0000000, 0, 0, 255); /* segment 0, but not first */
	e_mcfg(&m, 0xfffffffffff00000, 0, 0, 1); /* beyond 2^52: dropped */
	tb_add(&m, 0x12345678, 8);		 /* half an entry: ignored */
	uint64_t t[2] = {make_madt(), tb_done(&m)};
	make_rsdp(RSDP_PA, 2, 0, make_root("XSDT", t, 2), "MCFG  ");
	CHECK_EQ(acpi_init(RSDP_PA, &ai), 0);
	CHECK_EQ(ai.necam, 3);
	CHECK(ai.mcfg.valid);
	CHECK_EQ(ai.mcfg.base, 0xfff00000);
	CHECK_EQ(ai.mcfg.segment, 0);
	CHECK_EQ(ai.mcfg.bus_start, 0);
	CHECK_EQ(ai.mcfg.bus_end, 255);
	CHECK_EQ(ai.ecam[0].segment, 1);
	CHECK_EQ(ai.ecam[2].base, 0xb0000000);
	uint64_t lo, size;
	acpi_mcfg_window(&ai.ecam[0], &lo, &size);
	CHECK_EQ(lo, 0xc0000000);
	CHECK_EQ(size, 8ull << 20);
	struct acpi_mcfg busses = {true, 0xb0000000, 0, 0x80, 0x8f};
	acpi_mcfg_window(&busses, &lo, &size);
	CHECK_EQ(lo, 0xb8000000);
	CHECK_EQ(size, 16ull << 20);
	fake_end();
}

TEST(acpi_mcfg_absent_or_empty)
{
	struct acpi_info ai;
	fake_begin();
	make_system(2);
	CHECK_EQ(acpi_init(RSDP_PA, &ai), 0);
	CHECK(!ai.mcfg.valid);
	CHECK_EQ(ai.necam, 0);
	struct tb m = tb_new("MCFG");
	tb_add(&m, 0, 8);
	e_mcfg(&m, 0xb0000000, 2, 0, 255); /* only another segment */
	uint64_t t[1] = {tb_done(&m)};
	make_rsdp(RSDP_PA, 0, make_root("RSDT", t, 1), 0, "MCFG  ");
	CHECK_EQ(acpi_init(RSDP_PA, &ai), 0);
	CHECK(!ai.mcfg.valid);
	CHECK_EQ(ai.necam, 1);
	fake_end();
}

static uint32_t rd32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

TEST(acpi_tables_copy_dsdt_first_each_whole_bad_ones_left_out)
{
	struct acpi_info ai;
	fake_begin();
	struct vmo *v = NULL;
	CHECK_EQ(acpi_tables_vmo(NULL, &v), ERR_NOT_FOUND); /* no ACPI */
	CHECK_EQ(acpi_tables_copy(NULL, 0), 0);
	uint64_t dsdt = make_dsdt(qemu_s5, sizeof(qemu_s5));
	uint64_t ssdt = make_dummy("SSDT"), bad = make_dummy("BAD!");
	mem[bad + 36] ^= 1; /* checksum broken */
	uint64_t t[5] = {make_fadt(116, dsdt), make_madt(), bad,
			 make_hpet(0, 0xfed00000), ssdt};
	make_rsdp(RSDP_PA, 2, 0, make_root("XSDT", t, 5), "TABLES");
	CHECK_EQ(acpi_init(RSDP_PA, &ai), 0);
	CHECK_EQ(ai.dsdt_addr, dsdt);
	static const char *want[] = {"DSDT", "FACP", "APIC", "HPET", "SSDT"};
	const uint64_t at[] = {dsdt, t[0], t[1], t[3], t[4]};
	size_t total = acpi_tables_copy(NULL, 0), expect = 0;
	for (unsigned i = 0; i < 5; i++)
		expect += rd32(&mem[at[i] + 4]);
	CHECK_EQ(total, expect);
	uint8_t *copy = calloc(1, total);
	CHECK_EQ(acpi_tables_copy(copy, total - 1), total); /* too small */
	CHECK_EQ(copy[0], 0);				    /* untouched */
	CHECK_EQ(acpi_tables_copy(copy, total), total);
	uint64_t off = 0;
	for (unsigned i = 0; i < 5; i++) {
		CHECK(off + 36 <= total);
		CHECK(memcmp(copy + off, want[i], 4) == 0);
		uint32_t len = rd32(copy + off + 4);
		CHECK(len >= 36 && off + len <= total);
		CHECK(memcmp(copy + off, &mem[at[i]], len) == 0);
		uint8_t sum = 0;
		for (uint32_t k = 0; k < len; k++)
			sum += copy[off + k];
		CHECK_EQ(sum, 0);
		off += len;
	}
	CHECK_EQ(off, total);
	free(copy);
	fake_end();
}
