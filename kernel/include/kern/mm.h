/* Physical <-> virtual translation through the direct map. The offset is a
 * variable so host tests can point the "direct map" at a malloc'd arena. */
#pragma once
#include <kern/types.h>

extern uintptr_t physmap_offset;

static inline void *phys_to_virt(phys_addr_t pa)
{
	return (void *)(uintptr_t)(pa + physmap_offset);
}

static inline phys_addr_t virt_to_phys(const void *va)
{
	return (phys_addr_t)((uintptr_t)va - physmap_offset);
}
