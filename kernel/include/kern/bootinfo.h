/* The one boot-info structure. Every boot protocol (Multiboot2, PVH) is
 * parsed into this early on; nothing after that reads protocol structures. */
#pragma once
#include <kern/types.h>

enum mem_type {
	MEM_USABLE = 1,       /* free RAM */
	MEM_RESERVED = 2,     /* firmware/hardware reserved */
	MEM_ACPI_RECLAIM = 3, /* ACPI tables; RAM we keep out of the allocator */
	MEM_ACPI_NVS = 4,
	MEM_BAD = 5,
};

struct mem_region {
	phys_addr_t base;
	uint64_t len;
	uint32_t type; /* enum mem_type */
};

struct boot_module {
	phys_addr_t base;
	uint64_t len;
	char name[64]; /* module command line (GRUB) or "initrd" (PVH) */
};

struct boot_fb {
	phys_addr_t addr;
	uint32_t width, height, pitch;
	uint8_t bpp;
	uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
};

#define BOOT_MAX_REGIONS 128
#define BOOT_MAX_MODULES 16
#define BOOT_CMDLINE_MAX 512

struct boot_info {
	const char *protocol;            /* "multiboot2" or "pvh" */
	char cmdline[BOOT_CMDLINE_MAX];
	size_t cmdline_len;              /* as given: over BOOT_CMDLINE_MAX - 1
					  * means cut (kmain warns) */
	struct mem_region mem[BOOT_MAX_REGIONS];
	size_t nmem;
	struct boot_module mods[BOOT_MAX_MODULES];
	size_t nmods;
	phys_addr_t rsdp;                /* 0 when the loader gave none */
	/* Multiboot2 passes a copy of the RSDP instead of its address; the
	 * arch code points rsdp at this copy (inside the kernel image). */
	uint8_t rsdp_copy[36];
	uint32_t rsdp_copy_len;
	bool has_fb;
	struct boot_fb fb;
	bool uefi;                       /* firmware was UEFI (EFI tags seen) */
	phys_addr_t kernel_start, kernel_end; /* physical extent of the image */
};

/* Appends a region; sorts and merges happen in bootinfo_finish(). */
int bootinfo_add_mem(struct boot_info *bi, phys_addr_t base, uint64_t len,
		     uint32_t type);
int bootinfo_add_module(struct boot_info *bi, phys_addr_t base, uint64_t len,
			const char *name);
/* Copies the command line (at most max bytes of src), cut to
 * BOOT_CMDLINE_MAX - 1 bytes; cmdline_len keeps the full length. */
void bootinfo_set_cmdline(struct boot_info *bi, const char *src, size_t max);
/* Drops the RAM (usable and ACPI regions) at and above limit, for memory
 * the kernel cannot map; returns the bytes of usable RAM dropped. Runs
 * after bootinfo_finish(). */
uint64_t bootinfo_clip_ram(struct boot_info *bi, phys_addr_t limit);
/* Sorts the memory map and resolves overlaps (the most restrictive type
 * wins), so consumers can rely on sorted, non-overlapping regions. */
void bootinfo_finish(struct boot_info *bi);
/* Value of "key=value" (or "" for a bare "key") on the command line, copied
 * into buf; returns false when the key is absent. */
bool bootinfo_cmdline_get(const struct boot_info *bi, const char *key,
			  char *buf, size_t buflen);
bool bootinfo_cmdline_has(const struct boot_info *bi, const char *key);

/* Protocol parsers (pure functions over memory, also host-tested). */
int multiboot2_parse(struct boot_info *bi, const void *mbi);
int pvh_parse(struct boot_info *bi, const void *start_info);

extern struct boot_info boot_info;
