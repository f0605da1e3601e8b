/* Which physical ranges user space may map as device memory
 * (SYS_VMO_CREATE_PHYS): a list of denied ranges, built at boot from the
 * memory map and the kernel's own devices, checked on every creation.
 * Lock-free for readers: it is complete before any user task runs, never
 * changed after (docs/devices.md "Kernel: MMIO and DMA"). */
#pragma once
#include <kern/acpi.h>
#include <kern/bootinfo.h>
#include <kern/types.h>

enum mmio_deny_why {
	MMIO_DENY_RAM = 1, /* usable, ACPI reclaim/NVS, bad: RAM */
	MMIO_DENY_KERNEL,  /* the kernel image */
	MMIO_DENY_LAPIC,   /* the local APIC page and the MSI window */
	MMIO_DENY_IOAPIC,
	MMIO_DENY_HPET,
	MMIO_DENY_ECAM, /* PCI configuration space (MCFG) */
};

struct mmio_deny {
	uint64_t base, end; /* [base, end), page-aligned outward */
	uint32_t why;	    /* enum mmio_deny_why */
};

#define MMIO_DENY_MAX                                                          \
	(2 * BOOT_MAX_REGIONS + ACPI_MAX_IOAPICS + ACPI_MAX_ECAM + 8)

struct mmio_denylist {
	size_t n;
	bool overflow; /* an entry did not fit: refuse everything */
	struct mmio_deny r[MMIO_DENY_MAX];
};

/* The kernel's list (kmain fills it before any user task exists). */
extern struct mmio_denylist mmio_denied;

/* Adds [base, base+size) (widened to whole pages). */
void mmio_deny_add(struct mmio_denylist *l, uint64_t base, uint64_t size,
		   uint32_t why);
/* The RAM of bi's memory map (the whole map, before anything is clipped)
 * except the boot framebuffer, and the kernel image. */
void mmio_deny_boot(struct mmio_denylist *l, const struct boot_info *bi);
/* The LAPIC and the MSI address window, IOAPICs, HPET, ECAM windows. */
void mmio_deny_acpi(struct mmio_denylist *l, const struct acpi_info *ai);
/* 0 when [base, base+size) overlaps nothing denied, else
 * ERR_ACCESS_DENIED (*why, when not NULL, says what it hit). The caller
 * checked that the range does not wrap. */
int mmio_check(const struct mmio_denylist *l, uint64_t base, uint64_t size,
	       uint32_t *why);
