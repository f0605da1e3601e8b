/* iod's driver table (docs/devices.md "iod", "The driver table"): which
 * program drives which device, with its DMA budget and BAR cache hints.
 * A C table rather than a file: it changes with the drivers, which live
 * in this repository, and a typo is a compile error, not a boot-time
 * surprise. Pure; host-tested (tests/host/test_iod_core.c). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "pci.h"

#define DRV_ANY 0xffffu /* vendor/device/class: any */

struct drv_entry {
	uint8_t kind;	 /* IOD_KIND_* */
	uint16_t vendor; /* PCI: DRV_ANY matches every vendor */
	uint16_t device; /* DRV_ANY: every device of the vendor */
	uint16_t cls;	 /* class << 8 | subclass, or DRV_ANY */
	const char *program;
	uint64_t dma;	 /* its DMA budget (bytes) */
	uint64_t memory; /* its task's quota (DMA memory is charged to it) */
	uint8_t bar_wc;	 /* bit i: BAR i is best mapped write-combining */
	bool display;	 /* it drives a display: no boot-framebuffer driver */
	/* DL bandwidth (ppm) of the scheduling authority it gets (be,dl);
	 * 0: none (a display driver's frame clock is a DL thread) */
	uint32_t dl_ppm;
	/* highest RT priority it may use (0: no RT); input drivers run just
	 * above the input hub (RT 12), ../shared/SYSTEM.md: input is RT */
	uint8_t rt_prio;
	/* The one name it may register through iod (NULL: none) and the one
	 * it may look up (NULL: none): drivers never hold a names endpoint
	 * of their own (docs/devices.md "Names for drivers"). */
	const char *publish;
	const char *lookup;
};

/* The first entry matching a PCI function, or NULL. */
const struct drv_entry *drv_match_pci(const struct pci_dev *d);
/* The entry of a non-PCI kind (IOD_KIND_ISA: i8042, IOD_KIND_FB). */
const struct drv_entry *drv_match_kind(uint8_t kind);

/* `VVVV:DDDD=PROGRAM` (hex ids): an entry tried before the table (iod's
 * --match option: a driver under test, the guest tests' iod-testdrv);
 * DMA 1 MiB, quota 4 MiB. 0, or -1 for a bad spec or more than 4. */
int drv_add_match(const char *spec);
void drv_clear_matches(void);
