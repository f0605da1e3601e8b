/* The kernel calls of issue 14 that iod and its test driver use, by the
 * numbers the issue reserved (SYS_VMO_CREATE_PHYS 65, SYS_PCI_CFG_READ 66,
 * SYS_PCI_CFG_WRITE 67; START_H_PCI 14, START_H_ACPI 19): iod was written
 * beside the kernel rooms, whose sys.h wrappers arrive with their merge.
 * Same arguments as theirs (docs/syscalls.md). */
#pragma once
#include <execrt/sys.h>

#define IOD_START_H_PCI	 14
#define IOD_START_H_ACPI 19

static inline long iod_vmo_create_phys(handle_t auth, uint64_t base,
				       uint64_t size, uint32_t cache,
				       handle_t *out)
{
	return EXECRT_SC(65, auth, base, size, cache, out, 0);
}

static inline long iod_pci_cfg_read(handle_t h, uint32_t bdf, uint32_t off,
				    uint32_t w, uint32_t *out)
{
	return EXECRT_SC(66, h, bdf, off, w, out, 0);
}

static inline long iod_pci_cfg_write(handle_t h, uint32_t bdf, uint32_t off,
				     uint32_t w, uint32_t v)
{
	return EXECRT_SC(67, h, bdf, off, w, v, 0);
}
