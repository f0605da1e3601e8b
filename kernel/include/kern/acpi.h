/* ACPI table discovery: RSDP -> XSDT/RSDT -> MADT, HPET, FADT (-> DSDT).
 * Every table's checksum is verified; a bad table is reported and not used.
 * The parser is portable and reads tables through phys_to_virt(). */
#pragma once
#include <kern/types.h>

#define ACPI_MAX_CPUS 64
#define ACPI_MAX_IOAPICS 8
#define ACPI_MAX_OVERRIDES 24
#define ACPI_MAX_NMIS 16
#define ACPI_MAX_ECAM 4

struct acpi_cpu {
	uint32_t apic_id;
	uint32_t acpi_uid;
	bool enabled;     /* usable now */
	bool online_capable;
};

struct acpi_ioapic {
	uint32_t id;
	phys_addr_t addr;
	uint32_t gsi_base;
};

/* MADT Interrupt Source Override: ISA IRQ `source` is GSI `gsi`. */
#define ACPI_POL_MASK     0x3
#define ACPI_POL_DEFAULT  0x0
#define ACPI_POL_HIGH     0x1
#define ACPI_POL_LOW      0x3
#define ACPI_TRIG_MASK    0xc
#define ACPI_TRIG_DEFAULT 0x0
#define ACPI_TRIG_EDGE    0x4
#define ACPI_TRIG_LEVEL   0xc

struct acpi_override {
	uint8_t bus, source;
	uint32_t gsi;
	uint16_t flags; /* ACPI_POL_* | ACPI_TRIG_* */
};

/* MADT Local APIC NMI: LAPIC pin `lint` (0/1) of CPU `acpi_uid` is wired
 * to NMI with polarity/trigger `flags`. */
#define ACPI_NMI_ALL_CPUS 0xffffffffu
struct acpi_lapic_nmi {
	uint32_t acpi_uid; /* ACPI_NMI_ALL_CPUS: every processor */
	uint16_t flags;    /* ACPI_POL_* | ACPI_TRIG_* */
	uint8_t lint;
};

/* One MCFG entry: PCI Express configuration space (ECAM) of buses
 * [bus_start, bus_end] of `segment`, bus B's 1 MiB at base + (B << 20)
 * (kernel/acpi/mcfg.c). */
struct acpi_mcfg {
	bool valid;
	uint64_t base; /* as in the table: the address of bus 0 */
	uint16_t segment;
	uint8_t bus_start, bus_end;
};

struct acpi_info {
	bool valid;            /* RSDP and root table checksums good */
	uint8_t revision;      /* RSDP revision (0: RSDT only) */
	char oem_id[7];
	bool has_madt;
	phys_addr_t lapic_addr;
	bool pcat_compat;      /* legacy 8259 PICs present (must be masked) */
	struct acpi_cpu cpus[ACPI_MAX_CPUS];
	size_t ncpus;
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	size_t nioapics;
	struct acpi_override overrides[ACPI_MAX_OVERRIDES];
	size_t noverrides;
	struct acpi_lapic_nmi nmis[ACPI_MAX_NMIS];
	size_t nnmis;
	bool has_hpet;
	phys_addr_t hpet_addr;
	uint16_t hpet_min_tick; /* min periodic tick, main counter units */
	/* FADT and the DSDT's \_S5 (kernel/acpi/fadt.c): what user space
	 * needs to power off (S5) and reset the machine. */
	bool has_fadt;
	uint16_t pm1a_cnt, pm1b_cnt; /* PM1x_CNT I/O ports, 0: none */
	phys_addr_t dsdt_addr;       /* 0: none, or it failed its checks */
	bool has_s5;                 /* a valid \_S5 package in the DSDT */
	uint8_t s5_slp_typ_a, s5_slp_typ_b; /* its first two elements */
	bool has_reset;              /* RESET_REG, flagged as supported */
	uint8_t reset_space; /* its address space: 0 memory, 1 I/O, 2 PCI */
	uint64_t reset_addr;
	uint8_t reset_value;
	/* MCFG: segment 0's first valid entry (what PCI configuration
	 * access uses; valid false without one), and every valid entry of
	 * the table (what SYS_VMO_CREATE_PHYS refuses to map). */
	struct acpi_mcfg mcfg;
	struct acpi_mcfg ecam[ACPI_MAX_ECAM];
	size_t necam;
	phys_addr_t root_addr;  /* XSDT or RSDT in use */
	bool root_is_xsdt;
	uint32_t bad_tables;   /* tables rejected (checksum or length) */
};

#define ACPI_ERR_NO_RSDP (-1) /* none found, or its checksum is bad */
#define ACPI_ERR_NO_ROOT (-2) /* neither XSDT nor RSDT is valid */

/* Parses everything reachable from the RSDP at rsdp_pa (0: search the BIOS
 * areas). Returns 0, or a negative error if no trustworthy root exists.
 * Also copies the result to the global `acpi` (used by acpi_find_table).
 * CPUs are kept even when neither enabled nor online-capable (check the
 * flags before starting one). */
int acpi_init(phys_addr_t rsdp_pa, struct acpi_info *out);
/* Looks up a table by signature in the (validated) root table; returns its
 * physical address or 0. Checksum-verified. */
phys_addr_t acpi_find_table(const char sig[4]);
/* ISA IRQ -> GSI and flags, honouring overrides (identity otherwise). */
uint32_t acpi_isa_to_gsi(const struct acpi_info *ai, uint8_t isa_irq,
			 uint16_t *flags);

extern struct acpi_info acpi;

/* The physical window [*lo, *lo + *size) an MCFG entry's buses cover. */
void acpi_mcfg_window(const struct acpi_mcfg *m, uint64_t *lo, uint64_t *size);

struct task;
struct vmo;
/* A memory object holding a copy of every ACPI table (tables_copy.c): the
 * DSDT first, then each table the root table lists, in its order, each
 * whole and checksum-verified (a bad one is left out), one after another
 * (walk by header length; zeros after the last). Charged to t (NULL: the
 * kernel). ERR_NOT_FOUND without valid ACPI tables. */
int acpi_tables_vmo(struct task *t, struct vmo **out);
/* The same copy into buf when all of it fits in cap bytes (else nothing is
 * written); returns the bytes it takes. */
size_t acpi_tables_copy(uint8_t *buf, size_t cap);

/* The SLP_TYPa/b values of the \_S5 package in AML (a DSDT's body):
 * the first `Name (_S5_, Package { a, b, ... })` whose elements are
 * integers (Zero, One, or a Byte/Word/DWord/QWord constant) of at most 7.
 * The AML is untrusted: every read is bounded by len. True when found. */
bool acpi_aml_s5(const uint8_t *aml, size_t len, uint8_t *a, uint8_t *b);
