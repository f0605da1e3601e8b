/* A fresh frame allocator and slab layer over a malloc'd arena, for tests
 * of code that allocates kernel memory. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include <kern/bootinfo.h>
#include <kern/mm.h>
#include <kern/pmm.h>
#include <kern/slab.h>

#define FIX_BASE MiB(64)
#define FIX_SIZE MiB(16)

int host_mm_setup(void)
{
	static uint8_t *arena;
	static struct boot_info bi;
	if (!arena)
		arena = aligned_alloc(MiB(2), FIX_SIZE);
	if (!arena)
		return -1;
	physmap_offset = (uintptr_t)arena - FIX_BASE;
	memset(&bi, 0, sizeof(bi));
	bi.mem[0] = (struct mem_region){FIX_BASE, FIX_SIZE, MEM_USABLE};
	bi.nmem = 1;
	if (pmm_init(&bi))
		return -1;
	kmem_init();
	return 0;
}
