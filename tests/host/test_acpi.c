/* ACPI parser tests on synthetic firmware tables. A calloc'd arena stands in
 * for physical memory 0..ARENA_SIZE (physmap_offset points the "direct map"
 * at it), so the BIOS-area RSDP search works too. Tables are written byte by
 * byte at spec offsets, independent of the parser's structs. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include <execrt/errors.h>
#include <kern/acpi.h>
#include <kern/mm.h>
#include <kern/vmo.h>

#define ARENA_SIZE (0x100000 + 16 * 0x1000)
#define SLOT_SIZE  0x1000 /* each table gets its own slot above 1 MiB */

static uint8_t *mem;
static uint64_t next_slot;

static void fake_begin(void)
{
	free(mem);
	mem = calloc(1, ARENA_SIZE);
	physmap_offset = (uintptr_t)mem;
	next_slot = 0x100000;
}

static void fake_end(void)
{
	free(mem);
	mem = NULL;
	physmap_offset = 0;
	memset(&acpi, 0, sizeof(acpi)); /* it points into the arena */
}

static void put(uint64_t pa, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		mem[pa + i] = (uint8_t)(v >> (8 * i));
}

static void set_sum(uint64_t pa, size_t len, size_t sum_off)
{
	uint8_t s = 0;
	mem[pa + sum_off] = 0;
	for (size_t i = 0; i < len; i++)
		s += mem[pa + i];
	mem[pa + sum_off] = (uint8_t)-s;
}

/* A table under construction: header first, then appended fields. */
struct tb {
	uint64_t pa;
	uint32_t len;
};

static struct tb tb_new(const char *sig)
{
	struct tb t = {next_slot, 36};
	next_slot += SLOT_SIZE;
	memcpy(&mem[t.pa], sig, 4);
	mem[t.pa + 8] = 1; /* revision */
	memcpy(&mem[t.pa + 10], "EXECRT", 6);
	memcpy(&mem[t.pa + 16], "TESTTBL ", 8);
	return t;
}

static void tb_add(struct tb *t, uint64_t v, int n)
{
	put(t->pa + t->len, v, n);
	t->len += n;
}

static uint64_t tb_done(struct tb *t)
{
	put(t->pa + 4, t->len, 4);
	set_sum(t->pa, t->len, 9);
	return t->pa;
}

/* Moves a finished table to the very end of the arena, so any read past
 * its end hits ASan's redzone. */
static uint64_t tb_move_to_end(struct tb *t)
{
	uint64_t pa = ARENA_SIZE - t->len;
	memmove(&mem[pa], &mem[t->pa], t->len);
	return pa;
}

static uint64_t make_root(const char *sig, const uint64_t *tables, int n)
{
	struct tb t = tb_new(sig);
	int w = sig[0] == 'X' ? 8 : 4;
	for (int i = 0; i < n; i++)
		tb_add(&t, tables[i], w);
	return tb_done(&t);
}

static void make_rsdp(uint64_t pa, int rev, uint64_t rsdt, uint64_t xsdt,
		      const char *oem)
{
	memcpy(&mem[pa], "RSD PTR ", 8);
	memcpy(&mem[pa + 9], oem, 6);
	mem[pa + 15] = (uint8_t)rev;
	put(pa + 16, rsdt, 4);
	if (rev >= 2) {
		put(pa + 20, 36, 4);
		put(pa + 24, xsdt, 8);
		set_sum(pa, 20, 8);
		set_sum(pa, 36, 32);
	} else {
		put(pa + 24, 0xdeadbeefcafef00d, 8); /* must be ignored */
		set_sum(pa, 20, 8);
	}
}

/* MADT entry writers (type, length, fields). */
static void e_lapic(struct tb *t, int uid, int id, int flags)
{
	tb_add(t, 0, 1), tb_add(t, 8, 1), tb_add(t, uid, 1), tb_add(t, id, 1);
	tb_add(t, flags, 4);
}

static void e_ioapic(struct tb *t, int id, uint32_t addr, uint32_t gsi)
{
	tb_add(t, 1, 1), tb_add(t, 12, 1), tb_add(t, id, 1), tb_add(t, 0, 1);
	tb_add(t, addr, 4), tb_add(t, gsi, 4);
}

static void e_iso(struct tb *t, int bus, int src, uint32_t gsi, int flags)
{
	tb_add(t, 2, 1), tb_add(t, 10, 1), tb_add(t, bus, 1);
	tb_add(t, src, 1), tb_add(t, gsi, 4), tb_add(t, flags, 2);
}

static void e_nmi(struct tb *t, int uid, int flags, int lint)
{
	tb_add(t, 4, 1), tb_add(t, 6, 1), tb_add(t, uid, 1);
	tb_add(t, flags, 2), tb_add(t, lint, 1);
}

static void e_lapic_addr(struct tb *t, uint64_t addr)
{
	tb_add(t, 5, 1), tb_add(t, 12, 1), tb_add(t, 0, 2), tb_add(t, addr, 8);
}

static void e_x2apic(struct tb *t, uint32_t id, int flags, uint32_t uid)
{
	tb_add(t, 9, 1), tb_add(t, 16, 1), tb_add(t, 0, 2);
	tb_add(t, id, 4), tb_add(t, flags, 4), tb_add(t, uid, 4);
}

static struct tb madt_begin(void)
{
	struct tb t = tb_new("APIC");
	tb_add(&t, 0xfee00000, 4);
	tb_add(&t, 1, 4); /* PCAT_COMPAT */
	return t;
}

/* QEMU-like MADT plus a few corner cases. */
static uint64_t make_madt(void)
{
	struct tb t = madt_begin();
	e_lapic(&t, 0, 0, 1);
	e_lapic(&t, 1, 1, 1);
	e_lapic(&t, 2, 2, 2); /* online-capable only */
	e_lapic(&t, 3, 3, 0); /* neither: kept, marked */
	e_ioapic(&t, 0, 0xfec00000, 0);
	e_iso(&t, 0, 0, 2, 0);	   /* IRQ0 -> GSI2, as QEMU does */
	e_iso(&t, 0, 9, 9, 0xd);   /* SCI: level, active high */
	e_iso(&t, 1, 5, 40, 0xf);  /* not ISA: ignored by isa_to_gsi */
	e_nmi(&t, 0xff, 0, 1);	   /* LINT1 is NMI on all CPUs */
	e_x2apic(&t, 0x100, 1, 4); /* beyond 8-bit APIC ids */
	e_x2apic(&t, 1, 1, 1);	   /* duplicate of a LAPIC entry */
	tb_add(&t, 0x7f, 1), tb_add(&t, 3, 1), tb_add(&t, 0, 1); /* unknown */
	return tb_done(&t);
}

static uint64_t make_hpet(int space, uint64_t addr)
{
	struct tb t = tb_new("HPET");
	tb_add(&t, 0x8086a201, 4);
	tb_add(&t, space, 1), tb_add(&t, 64, 1), tb_add(&t, 0, 1);
	tb_add(&t, 0, 1), tb_add(&t, addr, 8);
	tb_add(&t, 0, 1), tb_add(&t, 0x80, 2), tb_add(&t, 0, 1);
	return tb_done(&t);
}

static uint64_t make_dummy(const char *sig)
{
	struct tb t = tb_new(sig);
	tb_add(&t, 0x12345678, 4);
	return tb_done(&t);
}

/* A DSDT whose body is the given AML. */
static uint64_t make_dsdt(const uint8_t *aml, size_t n)
{
	struct tb t = tb_new("DSDT");
	for (size_t i = 0; i < n; i++)
		tb_add(&t, aml[i], 1);
	return tb_done(&t);
}

/* A FADT of len bytes (116: ACPI 1.0; 244: 3.0), QEMU's PM1a_CNT 0x604,
 * pointing at dsdt through the 32-bit field. */
static struct tb fadt_begin(uint32_t len, uint64_t dsdt)
{
	struct tb t = tb_new("FACP");
	while (t.len < len)
		tb_add(&t, 0, 1);
	put(t.pa + 40, dsdt, 4);
	put(t.pa + 64, 0x604, 4); /* PM1a_CNT_BLK */
	return t;
}

static uint64_t make_fadt(uint32_t len, uint64_t dsdt)
{
	struct tb t = fadt_begin(len, dsdt);
	return tb_done(&t);
}

#define RSDP_PA 0xe0000

/* Builds RSDP (revision rev) -> XSDT/RSDT -> FACP, MADT, HPET. The RSDT
 * lists only FACP when an XSDT exists, so tests can tell which was used. */
static uint64_t make_system(int rev)
{
	uint64_t t[3] = {make_fadt(116, 0), make_madt(),
			 make_hpet(0, 0xfed00000)};
	uint64_t xsdt = rev >= 2 ? make_root("XSDT", t, 3) : 0;
	uint64_t rsdt = make_root("RSDT", t, rev >= 2 ? 1 : 3);
	make_rsdp(RSDP_PA, rev, rsdt, xsdt, "BOCHS ");
	return xsdt ? xsdt : rsdt;
}

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
