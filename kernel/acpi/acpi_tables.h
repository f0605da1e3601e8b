/* On-disk (firmware) layouts of the ACPI tables the parser reads. Packed:
 * firmware places them at arbitrary alignment, so fields are only ever read
 * through these packed types or copied out with memcpy. */
#pragma once
#include <kern/types.h>

#define ACPI_RSDP_SIG	 "RSD PTR "
#define ACPI_RSDP_V1_LEN 20 /* bytes covered by the first checksum */

struct acpi_rsdp {
	char signature[8];
	uint8_t checksum; /* over the first 20 bytes */
	char oem_id[6];
	uint8_t revision; /* 0: ACPI 1.0 (RSDT only), >= 2: XSDT fields */
	uint32_t rsdt_addr;
	/* revision >= 2 only */
	uint32_t length;
	uint64_t xsdt_addr;
	uint8_t ext_checksum; /* over `length` bytes */
	uint8_t reserved[3];
} __packed;
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP layout");

struct acpi_sdt_header {
	char signature[4];
	uint32_t length; /* whole table, header included */
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
} __packed;
_Static_assert(sizeof(struct acpi_sdt_header) == 36, "SDT header layout");

/* MADT ("APIC"): fixed part, then variable-length entries up to length. */
struct acpi_madt {
	struct acpi_sdt_header hdr;
	uint32_t lapic_addr;
	uint32_t flags;
} __packed;
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT layout");

#define ACPI_MADT_PCAT_COMPAT 0x1 /* dual 8259 PICs present */

enum {
	ACPI_MADT_LAPIC = 0,
	ACPI_MADT_IOAPIC = 1,
	ACPI_MADT_ISO = 2,
	ACPI_MADT_LAPIC_NMI = 4,
	ACPI_MADT_LAPIC_ADDR = 5,
	ACPI_MADT_X2APIC = 9,
};

#define ACPI_MADT_CPU_ENABLED	     0x1
#define ACPI_MADT_CPU_ONLINE_CAPABLE 0x2

struct acpi_madt_entry {
	uint8_t type;
	uint8_t length; /* whole entry, these two bytes included */
} __packed;

struct acpi_madt_lapic {
	struct acpi_madt_entry e;
	uint8_t acpi_uid;
	uint8_t apic_id;
	uint32_t flags;
} __packed;
_Static_assert(sizeof(struct acpi_madt_lapic) == 8, "MADT LAPIC layout");

struct acpi_madt_ioapic {
	struct acpi_madt_entry e;
	uint8_t id;
	uint8_t reserved;
	uint32_t addr;
	uint32_t gsi_base;
} __packed;
_Static_assert(sizeof(struct acpi_madt_ioapic) == 12, "MADT IOAPIC layout");

struct acpi_madt_iso {
	struct acpi_madt_entry e;
	uint8_t bus; /* 0: ISA */
	uint8_t source;
	uint32_t gsi;
	uint16_t flags;
} __packed;
_Static_assert(sizeof(struct acpi_madt_iso) == 10, "MADT ISO layout");

struct acpi_madt_lapic_nmi {
	struct acpi_madt_entry e;
	uint8_t acpi_uid; /* 0xff: all processors */
	uint16_t flags;
	uint8_t lint;
} __packed;
_Static_assert(sizeof(struct acpi_madt_lapic_nmi) == 6, "MADT NMI layout");

struct acpi_madt_lapic_addr {
	struct acpi_madt_entry e;
	uint16_t reserved;
	uint64_t addr;
} __packed;
_Static_assert(sizeof(struct acpi_madt_lapic_addr) == 12, "MADT addr layout");

struct acpi_madt_x2apic {
	struct acpi_madt_entry e;
	uint16_t reserved;
	uint32_t x2apic_id;
	uint32_t flags;
	uint32_t acpi_uid;
} __packed;
_Static_assert(sizeof(struct acpi_madt_x2apic) == 16, "MADT x2APIC layout");

/* Generic Address Structure. */
#define ACPI_GAS_SYSTEM_MEMORY 0
#define ACPI_GAS_SYSTEM_IO     1

struct acpi_gas {
	uint8_t space_id;
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t addr;
} __packed;
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS layout");

struct acpi_hpet {
	struct acpi_sdt_header hdr;
	uint32_t event_timer_block_id;
	struct acpi_gas base;
	uint8_t hpet_number;
	uint16_t min_tick;
	uint8_t page_protection;
} __packed;
_Static_assert(sizeof(struct acpi_hpet) == 56, "HPET layout");

/* FADT ("FACP"), up to X_PM1b_CNT_BLK; older (shorter) tables end
 * earlier, so fields are read only when the table's length covers them. */
struct acpi_fadt {
	struct acpi_sdt_header hdr;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	uint32_t pm1a_evt_blk, pm1b_evt_blk;
	uint32_t pm1a_cnt_blk, pm1b_cnt_blk; /* I/O ports */
	uint32_t pm2_cnt_blk, pm_tmr_blk, gpe0_blk, gpe1_blk;
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
	uint8_t gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
	uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
	uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;		   /* ACPI_FADT_* */
	struct acpi_gas reset_reg; /* ACPI 2.0+ */
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk, x_pm1b_cnt_blk;
} __packed;
_Static_assert(sizeof(struct acpi_fadt) == 196, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT flags");
_Static_assert(offsetof(struct acpi_fadt, reset_reg) == 116, "FADT reset");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT X_DSDT");

#define ACPI_FADT_RESET_REG_SUP (1u << 10)

/* MCFG: the header, 8 reserved bytes, then 16-byte entries. */
struct acpi_mcfg_hdr {
	struct acpi_sdt_header hdr;
	uint64_t reserved;
} __packed;
_Static_assert(sizeof(struct acpi_mcfg_hdr) == 44, "MCFG layout");

struct acpi_mcfg_entry {
	uint64_t base;
	uint16_t segment;
	uint8_t bus_start, bus_end;
	uint32_t reserved;
} __packed;
_Static_assert(sizeof(struct acpi_mcfg_entry) == 16, "MCFG entry layout");

/* Shared by acpi.c and fadt.c: the header at pa, and whether the whole
 * table (length bounded, checksum good) may be read. */
bool acpi_table_ok(phys_addr_t pa, struct acpi_sdt_header *hdr,
		   const char **why);
/* Fills the FADT fields of ai from the table at pa (len checked). */
void acpi_parse_fadt(phys_addr_t pa, uint32_t len, struct acpi_info *ai);
/* The global root table's entries (0 when ACPI is not valid), unchecked
 * addresses: check each with acpi_table_ok. */
size_t acpi_root_count(void);
phys_addr_t acpi_root_table(size_t i);
/* Fills ai->mcfg and ai->ecam from the MCFG at pa (len checked). */
void acpi_parse_mcfg(phys_addr_t pa, uint32_t len, struct acpi_info *ai);
