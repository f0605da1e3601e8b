/* Synthetic ACPI firmware for the host tests (acpi_fix.h). */
#include <stdlib.h>
#include <string.h>

#include <kern/acpi.h>
#include <kern/mm.h>

#include "acpi_fix.h"

uint8_t *mem;
uint64_t next_slot;

void fake_begin(void)
{
	free(mem);
	mem = calloc(1, ARENA_SIZE);
	physmap_offset = (uintptr_t)mem;
	next_slot = 0x100000;
}

void fake_end(void)
{
	free(mem);
	mem = NULL;
	physmap_offset = 0;
	memset(&acpi, 0, sizeof(acpi)); /* it points into the arena */
}

void put(uint64_t pa, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		mem[pa + i] = (uint8_t)(v >> (8 * i));
}

void set_sum(uint64_t pa, size_t len, size_t sum_off)
{
	uint8_t s = 0;
	mem[pa + sum_off] = 0;
	for (size_t i = 0; i < len; i++)
		s += mem[pa + i];
	mem[pa + sum_off] = (uint8_t)-s;
}

struct tb tb_new(const char *sig)
{
	struct tb t = {next_slot, 36};
	next_slot += SLOT_SIZE;
	memcpy(&mem[t.pa], sig, 4);
	mem[t.pa + 8] = 1; /* revision */
	memcpy(&mem[t.pa + 10], "EXECRT", 6);
	memcpy(&mem[t.pa + 16], "TESTTBL ", 8);
	return t;
}

void tb_add(struct tb *t, uint64_t v, int n)
{
	put(t->pa + t->len, v, n);
	t->len += n;
}

uint64_t tb_done(struct tb *t)
{
	put(t->pa + 4, t->len, 4);
	set_sum(t->pa, t->len, 9);
	return t->pa;
}

/* Moves a finished table to the very end of the arena, so any read past
 * its end hits ASan's redzone. */
uint64_t tb_move_to_end(struct tb *t)
{
	uint64_t pa = ARENA_SIZE - t->len;
	memmove(&mem[pa], &mem[t->pa], t->len);
	return pa;
}

uint64_t make_root(const char *sig, const uint64_t *tables, int n)
{
	struct tb t = tb_new(sig);
	int w = sig[0] == 'X' ? 8 : 4;
	for (int i = 0; i < n; i++)
		tb_add(&t, tables[i], w);
	return tb_done(&t);
}

void make_rsdp(uint64_t pa, int rev, uint64_t rsdt, uint64_t xsdt,
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
void e_lapic(struct tb *t, int uid, int id, int flags)
{
	tb_add(t, 0, 1), tb_add(t, 8, 1), tb_add(t, uid, 1), tb_add(t, id, 1);
	tb_add(t, flags, 4);
}

void e_ioapic(struct tb *t, int id, uint32_t addr, uint32_t gsi)
{
	tb_add(t, 1, 1), tb_add(t, 12, 1), tb_add(t, id, 1), tb_add(t, 0, 1);
	tb_add(t, addr, 4), tb_add(t, gsi, 4);
}

void e_iso(struct tb *t, int bus, int src, uint32_t gsi, int flags)
{
	tb_add(t, 2, 1), tb_add(t, 10, 1), tb_add(t, bus, 1);
	tb_add(t, src, 1), tb_add(t, gsi, 4), tb_add(t, flags, 2);
}

void e_nmi(struct tb *t, int uid, int flags, int lint)
{
	tb_add(t, 4, 1), tb_add(t, 6, 1), tb_add(t, uid, 1);
	tb_add(t, flags, 2), tb_add(t, lint, 1);
}

void e_lapic_addr(struct tb *t, uint64_t addr)
{
	tb_add(t, 5, 1), tb_add(t, 12, 1), tb_add(t, 0, 2), tb_add(t, addr, 8);
}

void e_x2apic(struct tb *t, uint32_t id, int flags, uint32_t uid)
{
	tb_add(t, 9, 1), tb_add(t, 16, 1), tb_add(t, 0, 2);
	tb_add(t, id, 4), tb_add(t, flags, 4), tb_add(t, uid, 4);
}

struct tb madt_begin(void)
{
	struct tb t = tb_new("APIC");
	tb_add(&t, 0xfee00000, 4);
	tb_add(&t, 1, 4); /* PCAT_COMPAT */
	return t;
}

/* QEMU-like MADT plus a few corner cases. */
uint64_t make_madt(void)
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

uint64_t make_hpet(int space, uint64_t addr)
{
	struct tb t = tb_new("HPET");
	tb_add(&t, 0x8086a201, 4);
	tb_add(&t, space, 1), tb_add(&t, 64, 1), tb_add(&t, 0, 1);
	tb_add(&t, 0, 1), tb_add(&t, addr, 8);
	tb_add(&t, 0, 1), tb_add(&t, 0x80, 2), tb_add(&t, 0, 1);
	return tb_done(&t);
}

uint64_t make_dummy(const char *sig)
{
	struct tb t = tb_new(sig);
	tb_add(&t, 0x12345678, 4);
	return tb_done(&t);
}

/* A DSDT whose body is the given AML. */
uint64_t make_dsdt(const uint8_t *aml, size_t n)
{
	struct tb t = tb_new("DSDT");
	for (size_t i = 0; i < n; i++)
		tb_add(&t, aml[i], 1);
	return tb_done(&t);
}

/* A FADT of len bytes (116: ACPI 1.0; 244: 3.0), QEMU's PM1a_CNT 0x604,
 * pointing at dsdt through the 32-bit field. */
struct tb fadt_begin(uint32_t len, uint64_t dsdt)
{
	struct tb t = tb_new("FACP");
	while (t.len < len)
		tb_add(&t, 0, 1);
	put(t.pa + 40, dsdt, 4);
	put(t.pa + 64, 0x604, 4); /* PM1a_CNT_BLK */
	return t;
}

uint64_t make_fadt(uint32_t len, uint64_t dsdt)
{
	struct tb t = fadt_begin(len, dsdt);
	return tb_done(&t);
}

/* Builds RSDP (revision rev) -> XSDT/RSDT -> FACP, MADT, HPET. The RSDT
 * lists only FACP when an XSDT exists, so tests can tell which was used. */
uint64_t make_system(int rev)
{
	uint64_t t[3] = {make_fadt(116, 0), make_madt(),
			 make_hpet(0, 0xfed00000)};
	uint64_t xsdt = rev >= 2 ? make_root("XSDT", t, 3) : 0;
	uint64_t rsdt = make_root("RSDT", t, rev >= 2 ? 1 : 3);
	make_rsdp(RSDP_PA, rev, rsdt, xsdt, "BOCHS ");
	return xsdt ? xsdt : rsdt;
}
