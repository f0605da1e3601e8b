/* PCI configuration access (SYS_PCI_CFG_READ/WRITE, docs/devices.md
 * "Kernel: PCI and MSI"). The policy is portable (kernel/dev/pci_cfg.c,
 * host-tested): argument checks and which registers need MANAGE. The
 * architecture supplies only the access itself (x86_64: ECAM from the
 * ACPI MCFG table, else ports 0xcf8/0xcfc). Functions are named by
 * bdf = bus << 8 | dev << 3 | fn, segment 0. */
#pragma once
#include <kern/types.h>

#define PCI_CFG_PORTS_SIZE  256	 /* bytes per function through 0xcf8/0xcfc */
#define PCI_CFG_ECAM_SIZE   4096 /* bytes per function through ECAM */
#define PCI_CFG_HEADER_TYPE 0x0e

/* Checks one access: width 1, 2 or 4 and offset aligned to it
 * (ERR_INVALID_ARGS), bdf < 65536 and offset < size, the configuration
 * space of one function with the mechanism in use (ERR_OUT_OF_RANGE);
 * size 0 (no mechanism): ERR_NOT_SUPPORTED. For a write, value must fit
 * in width bytes (ERR_OUT_OF_RANGE). */
int pci_cfg_check(uint64_t bdf, uint64_t offset, uint64_t width, uint32_t size);
int pci_cfg_check_value(uint64_t width, uint64_t value);
/* Whether writing [offset, offset + width) of a function whose header
 * type register reads header_type needs MANAGE: the registers that
 * decide where the function or the buses behind a bridge decode (type 0:
 * BARs 0x10-0x27, expansion ROM 0x30-0x33; type 1: BARs 0x10-0x17, bus
 * numbers 0x18-0x1a, I/O and memory windows 0x1c-0x1d and 0x20-0x33, ROM
 * 0x38-0x3b, bridge control 0x3e-0x3f; any other type: 0x10-0x3f). */
bool pci_cfg_needs_manage(uint8_t header_type, uint32_t offset, unsigned width);
/* A 32-bit configuration read (offset aligned), for the checks below. */
typedef uint32_t (*pci_cfg_read4_fn)(uint32_t bdf, uint32_t offset);
/* Whether a write at offset >= 0x100 needs MANAGE: it touches one of the
 * extended capabilities that place or size memory windows (SR-IOV,
 * Resizable BAR, VF Resizable BAR: the 64 bytes from the capability's
 * header), found by walking the extended list with rd (at most 64
 * entries, so a looping list ends). */
bool pci_cfg_ext_needs_manage(pci_cfg_read4_fn rd, uint32_t bdf,
			      uint32_t offset, unsigned width);
/* The id of the standard capability whose structure holds all of
 * [offset, offset + width) (0x40-0xff; the list from 0x34 walked with rd,
 * at most 48 entries; a structure's length is known for PM, VPD, MSI,
 * PCI-X, vendor-specific (its length byte), PCIe, MSI-X, SATA, bridge
 * subsystem ids; any other id counts as its 4-byte header), or -1. */
int pci_cfg_cap_at(pci_cfg_read4_fn rd, uint32_t bdf, uint32_t offset,
		   unsigned width);
/* The whole decision for a write without MANAGE: the header table below
 * 0x40 (the header type read through rd); at 0x40-0xff, for a bridge
 * (class 0x06: host, ISA/LPC, PCI bridges) anything outside a capability
 * structure (chipset decoders); the extended capabilities above. */
bool pci_cfg_write_needs_manage(pci_cfg_read4_fn rd, uint32_t bdf,
				uint32_t offset, unsigned width);
/* Whether a write may change what a function decodes, so it runs with the
 * other CPUs parked (arch_pci_cfg_write): the command register, what
 * needs MANAGE in the header and the extended capabilities, at 0x40-0xff
 * anything outside a capability, MSI control and message address, MSI-X
 * control, the PM and PCIe capabilities. */
bool pci_cfg_write_changes_decoding(pci_cfg_read4_fn rd, uint32_t bdf,
				    uint32_t offset, unsigned width);

/* From the architecture (x86_64: arch/x86_64/pci_cfg.c; host tests: a
 * fake). arch_pci_init() runs once at boot, after ACPI and memory, and
 * picks the mechanism. The size of one function's configuration space with the
 * mechanism in use (PCI_CFG_ECAM_SIZE, PCI_CFG_PORTS_SIZE, or 0 when
 * there is none); the accesses are checked by the caller. A function
 * that does not exist reads all ones and ignores writes. */
void arch_pci_init(void);
uint32_t arch_pci_cfg_size(void);
uint32_t arch_pci_cfg_read(uint32_t bdf, uint32_t offset, unsigned width);
/* decoding: pci_cfg_write_changes_decoding() said so (the write then
 * runs with the other CPUs parked unless pci_park=off). */
void arch_pci_cfg_write(uint32_t bdf, uint32_t offset, unsigned width,
			uint32_t value, bool decoding);
