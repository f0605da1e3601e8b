/* Xen PVH start info (what `qemu -kernel` passes) -> struct boot_info. */
#include <kern/bootinfo.h>
#include <kern/lib.h>
#include <kern/mm.h>

#define PVH_MAGIC 0x336ec578

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr; /* version >= 1 */
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};

struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

int pvh_parse(struct boot_info *bi, const void *start_info)
{
	const struct hvm_start_info *si = start_info;
	if (si->magic != PVH_MAGIC)
		return -1;
	bi->protocol = "pvh";
	if (si->cmdline_paddr)
		bootinfo_set_cmdline(bi, phys_to_virt(si->cmdline_paddr),
				     (size_t)-1);
	bi->rsdp = si->rsdp_paddr;

	const struct hvm_modlist_entry *mods = phys_to_virt(si->modlist_paddr);
	for (uint32_t i = 0; si->modlist_paddr && i < si->nr_modules; i++) {
		const char *name = mods[i].cmdline_paddr
					   ? phys_to_virt(mods[i].cmdline_paddr)
					   : "";
		bootinfo_add_module(bi, mods[i].paddr, mods[i].size,
				    *name ? name : "initrd");
	}

	if (si->version < 1 || !si->memmap_paddr)
		return -1; /* no memory map: nothing safe to allocate from */
	const struct hvm_memmap_entry *mm = phys_to_virt(si->memmap_paddr);
	for (uint32_t i = 0; i < si->memmap_entries && i < BOOT_MAX_REGIONS; i++)
		bootinfo_add_mem(bi, mm[i].addr, mm[i].size, mm[i].type);
	return 0;
}
