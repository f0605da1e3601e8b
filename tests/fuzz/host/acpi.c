/* The ACPI table parser (kernel/acpi/acpi.c) on firmware tables built from
 * the input, in an arena that stands in for physical memory (as in
 * tests/host/test_acpi.c). Input:
 *   flags (F_* below), EBDA segment byte, RSDP placement byte, OEM id (6),
 *   RSDP revision, RSDP length, root entry count n, n entry selectors,
 *   then tables, each a 2-byte length and that many bytes (header first).
 * The harness writes each table's length field (unless a flag keeps the
 * input's, when not longer than the table) and fixes checksums (unless a
 * flag says not to), so the parser gets past them. Each table sits in its
 * own slot with the bytes after its declared length poisoned: ASan stops
 * any read past a table; a FADT's DSDT pointers are made to name a slot.
 * Checked: acpi_init() returns a known result, the counts stay within the
 * arrays, lookups and ISA IRQ mapping agree, FADT results only with a
 * FADT and \_S5 sleep types of 3 bits. */
#include <sanitizer/asan_interface.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kern/acpi.h>
#include <kern/mm.h>

#define LOW	    0x100000u /* the first MiB: BDA, EBDA, BIOS area */
#define SLOT	    0x2000u
#define NSLOT	    8
#define TABLE_MAX   (SLOT - 64)
#define ARENA_SIZE  (LOW + NSLOT * SLOT)
#define RSDP_DIRECT 0x80000u

enum {
	F_SEARCH = 1,	  /* acpi_init(0): find the RSDP in the BIOS areas */
	F_EBDA = 2,	  /* search mode: RSDP in the EBDA, else BIOS ROM */
	F_DECOY = 4,	  /* a broken RSDP candidate before the real one */
	F_RAW_SUMS = 8,	  /* keep the input's checksums */
	F_RAW_LEN = 16,	  /* keep the input's length fields */
	F_ROOT_RSDT = 32, /* rev >= 2: still give an RSDT too */
	F_BAD_ROOT = 64,  /* break the root table's checksum */
	F_RAW_RSDP = 128, /* keep the RSDP's checksums as they come */
};

static uint8_t *mem;

static const uint8_t *in;
static size_t in_len;

static uint64_t take(int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++) {
		v |= (uint64_t)(in_len ? *in : 0) << (8 * i);
		if (in_len)
			in++, in_len--;
	}
	return v;
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

static void fail(const char *what, long v)
{
	fprintf(stderr, "acpi fuzz: %s (%ld)\n", what, v);
	abort();
}

/* A slot address picked by a byte (0: none), for the pointers tables hold
 * to other tables. */
static uint64_t slot_of(uint8_t sel)
{
	return sel ? LOW + (uint64_t)(sel % (NSLOT - 1) + 1) * SLOT : 0;
}

/* Table i of the input into slot i; returns how many were placed. */
static int place_tables(uint8_t flags)
{
	int n = 0;
	while (in_len && n < NSLOT - 1) {
		size_t len = (size_t)take(2) % (TABLE_MAX + 1);
		if (len > in_len)
			len = in_len;
		uint64_t pa = LOW + (uint64_t)(n + 1) * SLOT;
		memcpy(&mem[pa], in, len);
		in += len;
		in_len -= len;
		/* A FADT's DSDT and X_DSDT point at a slot, as firmware points
		 * at its DSDT (a wild address would be outside the arena). */
		if (len >= 44 && !memcmp(&mem[pa], "FACP", 4))
			put(pa + 40, slot_of(mem[pa + 40]), 4);
		if (len >= 148 && !memcmp(&mem[pa], "FACP", 4))
			put(pa + 140, slot_of(mem[pa + 140]), 8);
		/* header always readable (the parser reads it first) */
		size_t size = len < 36 ? 36 : len;
		uint32_t decl;
		memcpy(&decl, &mem[pa + 4], 4);
		if (!(flags & F_RAW_LEN) || decl > size)
			decl = (uint32_t)size;
		put(pa + 4, decl, 4);
		if (!(flags & F_RAW_SUMS) && decl >= 36)
			set_sum(pa, decl, 9);
		size_t vis = decl < 36 ? 36 : decl;
		ASAN_POISON_MEMORY_REGION(&mem[pa + vis], SLOT - vis);
		n++;
	}
	return n;
}

/* An address for a root entry: a table's slot, or something odd. */
static uint64_t entry_addr(uint8_t sel, int ntables, bool wide)
{
	switch (sel) {
	case 0xff:
		return 0;
	case 0xfe: /* refused before any read (an RSDT entry has 32 bits:
		    * a high one would be a real address outside the arena) */
		return wide ? UINT64_MAX - 8 : 0;
	case 0xfd:
		return 0xe0000; /* zeros: "length too small" */
	case 0xfc:
		return LOW; /* the root table itself */
	}
	return LOW + (uint64_t)(ntables ? sel % ntables + 1 : 0) * SLOT;
}

static void write_rsdp(uint64_t pa, const uint8_t *oem, uint8_t rev,
		       uint32_t len, uint64_t rsdt, uint64_t xsdt, bool sums)
{
	memcpy(&mem[pa], "RSD PTR ", 8);
	memcpy(&mem[pa + 9], oem, 6);
	mem[pa + 15] = rev;
	put(pa + 16, rsdt, 4);
	put(pa + 20, len, 4);
	put(pa + 24, xsdt, 8);
	if (sums) {
		set_sum(pa, 20, 8);
		set_sum(pa, len >= 20 && len <= 64 ? len : 36, 32);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!mem) {
		mem = aligned_alloc(0x1000, ARENA_SIZE);
		if (!mem)
			abort();
		memset(mem, 0, LOW);
	}
	/* The low MiB is all zeros again (see the end); the slots get
	 * cleared here. */
	ASAN_UNPOISON_MEMORY_REGION(&mem[LOW], ARENA_SIZE - LOW);
	memset(&mem[LOW], 0, ARENA_SIZE - LOW);
	physmap_offset = (uintptr_t)mem;
	in = data;
	in_len = size;

	uint8_t flags = (uint8_t)take(1);
	uint8_t ebda_seg = (uint8_t)take(1);
	uint8_t where = (uint8_t)take(1);
	uint8_t oem[6];
	for (int i = 0; i < 6; i++)
		oem[i] = (uint8_t)take(1);
	uint8_t rev = (uint8_t)take(1);
	uint8_t rsdp_len = (uint8_t)take(1);
	uint8_t sel[16];
	unsigned nent = (unsigned)take(1) % 17;
	for (unsigned i = 0; i < nent; i++)
		sel[i] = (uint8_t)take(1);
	int ntables = place_tables(flags);

	/* The root table in slot 0, RSDT (4-byte entries) or XSDT (8). */
	bool xsdt = rev >= 2;
	int w = xsdt ? 8 : 4;
	memcpy(&mem[LOW], xsdt ? "XSDT" : "RSDT", 4);
	mem[LOW + 8] = 1;
	for (unsigned i = 0; i < nent; i++)
		put(LOW + 36 + i * w, entry_addr(sel[i], ntables, xsdt), w);
	uint32_t root_len = 36 + nent * w;
	put(LOW + 4, root_len, 4);
	set_sum(LOW, root_len, 9);
	if (flags & F_BAD_ROOT)
		mem[LOW + 9] ^= 1;
	ASAN_POISON_MEMORY_REGION(&mem[LOW + root_len], SLOT - root_len);
	uint64_t rsdt = xsdt && !(flags & F_ROOT_RSDT) ? 0 : LOW;
	uint64_t xsdt_pa = xsdt ? LOW : 0;
	uint32_t len = xsdt ? (rsdp_len ? rsdp_len : 36) : 20;

	uint64_t rsdp_pa = RSDP_DIRECT;
	if (flags & F_SEARCH) {
		if (flags & F_EBDA) {
			/* segment 0x9000 + n*0x40: EBDA at 0x90000.. */
			uint16_t seg = (uint16_t)(0x9000 + ebda_seg * 0x40);
			put(0x40e, seg, 2);
			rsdp_pa = ((uint64_t)seg << 4) + (where & 0x3f) * 16;
		} else {
			put(0x40e, ebda_seg, 2); /* mostly no EBDA */
			rsdp_pa = 0xe0000 + (uint64_t)where * 0x200;
		}
		if ((flags & F_DECOY) && rsdp_pa >= 0xe0000 + 48) {
			/* apart from the real one, checksum surely wrong */
			write_rsdp(rsdp_pa - 48, oem, rev, len, rsdt, xsdt_pa,
				   true);
			mem[rsdp_pa - 48 + 8] ^= 0x55;
		}
	}
	write_rsdp(rsdp_pa, oem, rev, len, rsdt, xsdt_pa,
		   !(flags & F_RAW_RSDP));

	struct acpi_info ai;
	int r = acpi_init(flags & F_SEARCH ? 0 : rsdp_pa, &ai);
	if (r != 0 && r != ACPI_ERR_NO_RSDP && r != ACPI_ERR_NO_ROOT)
		fail("acpi_init result", r);
	if (r == 0 && !ai.valid)
		fail("success without a valid root", r);
	if (ai.ncpus > ACPI_MAX_CPUS || ai.nioapics > ACPI_MAX_IOAPICS ||
	    ai.noverrides > ACPI_MAX_OVERRIDES || ai.nnmis > ACPI_MAX_NMIS)
		fail("counts beyond the arrays", (long)ai.ncpus);
	if (ai.oem_id[6] != 0)
		fail("OEM id not terminated", 0);
	if (memcmp(&acpi, &ai, sizeof(ai)))
		fail("global acpi differs from the result", 0);
	for (size_t i = 0; i < ai.ncpus; i++)
		for (size_t j = 0; j < i; j++)
			if (ai.cpus[i].apic_id == ai.cpus[j].apic_id)
				fail("a CPU listed twice", (long)i);
	static const char *sigs[] = {"APIC", "HPET", "FACP", "XSDT",
				     "\0\0\0\0"};
	for (unsigned i = 0; i < 5; i++) {
		phys_addr_t pa = acpi_find_table(sigs[i]);
		if (pa && (!ai.valid || memcmp(&mem[pa], sigs[i], 4)))
			fail("acpi_find_table gave another table", (long)i);
	}
	if (ai.has_madt && !acpi_find_table("APIC"))
		fail("MADT parsed but not found", 0);
	if (ai.has_fadt && !acpi_find_table("FACP"))
		fail("FADT parsed but not found", 0);
	if ((ai.has_s5 || ai.has_reset || ai.pm1a_cnt || ai.pm1b_cnt) &&
	    !ai.has_fadt)
		fail("FADT fields without a FADT", 0);
	if (ai.has_s5 && (ai.s5_slp_typ_a > 7 || ai.s5_slp_typ_b > 7))
		fail("an S5 sleep type beyond 3 bits", ai.s5_slp_typ_a);
	for (unsigned irq = 0; irq < 16; irq++) {
		uint16_t fl = 0xffff;
		uint32_t gsi = acpi_isa_to_gsi(&ai, (uint8_t)irq, &fl);
		bool over = false;
		for (size_t i = 0; i < ai.noverrides; i++)
			if (!ai.overrides[i].bus &&
			    ai.overrides[i].source == irq)
				over = true;
		if (!over && (gsi != irq || fl != 0))
			fail("ISA IRQ moved without an override", irq);
	}
	memset(&acpi, 0, sizeof(acpi));
	physmap_offset = 0;
	memset(&mem[0x40e], 0, 2);
	memset(&mem[rsdp_pa - 48], 0, 48 + 36);
	return 0;
}
