/* Physical frame allocator (buddy system over 4 KiB frames).
 * Single frames and physically contiguous runs (for DMA). SMP-safe. */
#pragma once
#include <kern/bootinfo.h>
#include <kern/types.h>

#define PMM_MAX_ORDER 10 /* largest block: 2^10 frames = 4 MiB */

struct pmm_stats {
	uint64_t total_frames; /* frames under allocator management */
	uint64_t free_frames;
	uint64_t used_frames;  /* total - free */
	uint64_t reserved_frames; /* usable RAM kept out (kernel, modules...) */
};

/* Builds the allocator from the memory map: MEM_USABLE regions minus the
 * kernel image, boot modules, the boot-info structure's own referenced data,
 * everything below 1 MiB (AP trampoline, BIOS) and the allocator's own
 * metadata. Returns 0 or a negative error. */
int pmm_init(const struct boot_info *bi);

/* One zeroed-or-not frame (not zeroed). Returns 0 when out of memory
 * (physical 0 is never handed out). */
phys_addr_t pmm_alloc(void);
void pmm_free(phys_addr_t pa);

/* npages physically contiguous frames, base aligned to align_pages frames
 * (power of two, >= 1), entirely below max_pa (0: no limit). 0 on failure. */
phys_addr_t pmm_alloc_contig(size_t npages, size_t align_pages,
			     phys_addr_t max_pa);
void pmm_free_contig(phys_addr_t pa, size_t npages);

void pmm_get_stats(struct pmm_stats *st);
/* Internal consistency check (free lists vs. frame states); 0 when sane. */
int pmm_verify(void);
