/* Synthetic ACPI firmware for the host tests (acpi_fix.c): a calloc'd
 * arena stands in for physical memory 0..ARENA_SIZE (physmap_offset
 * points the "direct map" at it), tables are written byte by byte at spec
 * offsets, independent of the parser's structs. Used by test_acpi.c and
 * test_acpi_fadt.c; one test at a time (fake_begin .. fake_end). */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define ARENA_SIZE (0x100000 + 16 * 0x1000)
#define SLOT_SIZE  0x1000 /* each table gets its own slot above 1 MiB */

#define RSDP_PA 0xe0000

/* A table under construction: header first, then appended fields. */
struct tb {
	uint64_t pa;
	uint32_t len;
};

extern uint8_t *mem;	   /* the arena: physical address 0 */
extern uint64_t next_slot; /* where tb_new puts the next table */

void fake_begin(void);
void fake_end(void);
void put(uint64_t pa, uint64_t v, int n);
void set_sum(uint64_t pa, size_t len, size_t sum_off);
struct tb tb_new(const char *sig);
void tb_add(struct tb *t, uint64_t v, int n);
uint64_t tb_done(struct tb *t);
uint64_t tb_move_to_end(struct tb *t);
uint64_t make_root(const char *sig, const uint64_t *tables, int n);
void make_rsdp(uint64_t pa, int rev, uint64_t rsdt, uint64_t xsdt,
	       const char *oem);
void e_lapic(struct tb *t, int uid, int id, int flags);
void e_ioapic(struct tb *t, int id, uint32_t addr, uint32_t gsi);
void e_iso(struct tb *t, int bus, int src, uint32_t gsi, int flags);
void e_nmi(struct tb *t, int uid, int flags, int lint);
void e_lapic_addr(struct tb *t, uint64_t addr);
void e_x2apic(struct tb *t, uint32_t id, int flags, uint32_t uid);
struct tb madt_begin(void);
uint64_t make_madt(void);
uint64_t make_hpet(int space, uint64_t addr);
uint64_t make_dummy(const char *sig);
uint64_t make_dsdt(const uint8_t *aml, size_t n);
struct tb fadt_begin(uint32_t len, uint64_t dsdt);
uint64_t make_fadt(uint32_t len, uint64_t dsdt);
uint64_t make_system(int rev);
