/* Builds the kernel's own page tables and switches to them: a direct map of
 * RAM (and of the pages firmware tables live in), the kernel image mapped
 * W^X section by section, no identity map. Also turns on the CPU's
 * protection features (NX, WP, SMEP, SMAP, UMIP, global pages). */
#include <arch/cpu.h>
#include <arch/layout.h>
#include <arch/paging.h>
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/mm.h>
#include <kern/pmm.h>

extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[],
	__data_start[], __data_end[], __ksyms_start[], __ksyms_end[],
	boot_stack_guard[];

#define LOW_MEM_END	0x100000ull /* BIOS data, EBDA, ROM: RSDP search */
#define BOOT_MAP_END	GiB(4)	    /* what the boot tables map */
#define DIRECT_FLAGS	(VM_READ | VM_WRITE | VM_GLOBAL)
#define ACPI_MAX_TABLES 256
#define ACPI_MAX_LEN	MiB(1)

void cpu_enable_protection(void)
{
	const struct cpu_features *f = &cpu_features;
	if (f->nx)
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
	write_cr0(read_cr0() | CR0_WP);
	uint64_t cr4 = read_cr4();
	if (f->pge)
		cr4 |= CR4_PGE;
	if (f->smep)
		cr4 |= CR4_SMEP;
	if (f->smap)
		cr4 |= CR4_SMAP;
	if (f->umip)
		cr4 |= CR4_UMIP;
	write_cr4(cr4);
	pat_init_cpu(); /* before any mapping of this CPU uses PAT index 1 */
	pcid_init_cpu(); /* CR3 is untagged here (kernel or boot tables) */
	if (f->smap)
		clac(); /* user access off until a stac */
}

static void map_or_die(virt_addr_t va, phys_addr_t pa, size_t size,
		       unsigned flags, bool large)
{
	int err = vm_map(&kernel_space, va, pa, size, flags, large);
	if (err)
		panic("mm: cannot map %#llx -> %#llx (+%#zx): %d",
		      (unsigned long long)va, (unsigned long long)pa, size,
		      err);
}

/* Direct-maps [lo, hi) with 2 MiB pages where possible, leaving pages that
 * are already mapped (the kernel image's alias) as they are. */
static void map_direct(phys_addr_t lo, phys_addr_t hi, unsigned flags)
{
	lo = ALIGN_DOWN(lo, PAGE_SIZE);
	hi = ALIGN_UP(hi, PAGE_SIZE);
	for (phys_addr_t pa = lo; pa < hi;) {
		virt_addr_t va = PHYSMAP_BASE + pa;
		if (IS_ALIGNED(pa, LARGE_PAGE_SIZE) &&
		    pa + LARGE_PAGE_SIZE <= hi) {
			int err = vm_map(&kernel_space, va, pa, LARGE_PAGE_SIZE,
					 flags, true);
			if (err == VM_ENOMEM)
				panic("mm: out of memory for the direct map");
			if (!err) {
				pa += LARGE_PAGE_SIZE;
				continue;
			}
		}
		if (!vm_translate(&kernel_space, va, NULL, NULL))
			map_or_die(va, pa, PAGE_SIZE, flags, false);
		pa += PAGE_SIZE;
	}
}

static void map_section(const char *start, const char *end, unsigned flags)
{
	virt_addr_t va = (virt_addr_t)(uintptr_t)start;
	size_t size = (size_t)(end - start);
	phys_addr_t pa = KERNEL_VA_TO_PA(start);
	if (!size)
		return;
	map_or_die(va, pa, size, flags | VM_GLOBAL, false);
	/* The direct-map alias gets the same rights minus exec, so kernel
	 * code and constants cannot be patched through it either. */
	map_or_die(PHYSMAP_BASE + pa, pa, size,
		   (flags & ~VM_EXEC) | VM_READ | VM_GLOBAL, false);
}

/* --- ACPI tables outside RAM ------------------------------------------
 * Firmware may keep ACPI tables in "reserved" ranges (QEMU does), which
 * the direct map otherwise leaves out. The parser reads them through
 * phys_to_virt(), so their pages (and the DSDT's, which the FADT names)
 * are added read-only. Read while the boot tables (0-4 GiB) are still
 * live; tables above 4 GiB are skipped. */

static bool acpi_readable(phys_addr_t pa, uint64_t len)
{
	return pa && len && pa + len > pa && pa + len <= BOOT_MAP_END;
}

static void map_firmware(phys_addr_t pa, uint64_t len)
{
	if (!acpi_readable(pa, len))
		return;
	for (phys_addr_t p = ALIGN_DOWN(pa, PAGE_SIZE); p < pa + len;
	     p += PAGE_SIZE)
		if (!vm_translate(&kernel_space, PHYSMAP_BASE + p, NULL, NULL))
			map_or_die(PHYSMAP_BASE + p, p, PAGE_SIZE,
				   VM_READ | VM_GLOBAL, false);
}

static uint32_t table_len(phys_addr_t pa)
{
	uint32_t len;
	if (!acpi_readable(pa, 8))
		return 0;
	memcpy(&len, (const char *)phys_to_virt(pa) + 4, sizeof(len));
	return len >= 36 && len <= ACPI_MAX_LEN ? len : 0;
}

static bool rsdp_at(phys_addr_t pa)
{
	const uint8_t *p = phys_to_virt(pa);
	uint8_t sum = 0;
	if (memcmp(p, "RSD PTR ", 8) != 0)
		return false;
	for (int i = 0; i < 20; i++)
		sum = (uint8_t)(sum + p[i]);
	return sum == 0;
}

static phys_addr_t find_rsdp(phys_addr_t given)
{
	if (given)
		return given;
	uint16_t seg;
	memcpy(&seg, phys_to_virt(0x40e), sizeof(seg));
	phys_addr_t ebda = (phys_addr_t)seg << 4;
	if (ebda >= 0x1000 && ebda + 1024 <= 0xe0000)
		for (phys_addr_t pa = ebda; pa < ebda + 1024; pa += 16)
			if (rsdp_at(pa))
				return pa;
	for (phys_addr_t pa = 0xe0000; pa < LOW_MEM_END; pa += 16)
		if (rsdp_at(pa))
			return pa;
	return 0;
}

/* A table and, for the FADT, the DSDT it points at (both fields: the
 * parser trusts X_DSDT when set). Offsets: ACPI spec, FADT layout. */
static void map_table(phys_addr_t t)
{
	uint32_t tlen = table_len(t);
	if (!tlen)
		return;
	map_firmware(t, tlen);
	const char *p = phys_to_virt(t);
	if (memcmp(p, "FACP", 4) != 0)
		return;
	uint32_t dsdt = 0;
	uint64_t x_dsdt = 0;
	if (tlen >= 44)
		memcpy(&dsdt, p + 40, 4);
	if (tlen >= 148)
		memcpy(&x_dsdt, p + 140, 8);
	phys_addr_t d[2] = {dsdt, x_dsdt};
	for (int i = 0; i < 2; i++) {
		uint32_t dlen = table_len(d[i]);
		if (dlen)
			map_firmware(d[i], dlen);
	}
}

static void map_acpi_tables(phys_addr_t rsdp_pa)
{
	uint8_t rsdp[36];
	rsdp_pa = find_rsdp(rsdp_pa);
	if (!acpi_readable(rsdp_pa, sizeof(rsdp)))
		return;
	map_firmware(rsdp_pa, sizeof(rsdp));
	memcpy(rsdp, phys_to_virt(rsdp_pa), sizeof(rsdp));
	uint32_t rsdt;
	uint64_t xsdt = 0;
	memcpy(&rsdt, rsdp + 16, 4);
	if (rsdp[15] >= 2)
		memcpy(&xsdt, rsdp + 24, 8);
	/* Both roots, so whichever the parser trusts is readable. */
	phys_addr_t roots[2] = {rsdt, xsdt};
	for (int r = 0; r < 2; r++) {
		uint32_t len = table_len(roots[r]);
		if (!len)
			continue;
		map_firmware(roots[r], len);
		size_t esz = r ? 8 : 4;
		size_t n = MIN((len - 36) / esz, (size_t)ACPI_MAX_TABLES);
		for (size_t i = 0; i < n; i++) {
			uint64_t t = 0;
			memcpy(&t,
			       (const char *)phys_to_virt(roots[r]) + 36 +
				       i * esz,
			       esz);
			map_table(t);
		}
	}
}

static bool direct_mapped_type(uint32_t type)
{
	return type == MEM_USABLE || type == MEM_ACPI_RECLAIM ||
	       type == MEM_ACPI_NVS;
}

/* --- Boot direct map above 4 GiB ----------------------------------------
 * There is no allocator yet, so 1 GiB pages (no tables needed) where the
 * CPU has them, else page directories from a small static pool. The boot
 * PDPT is shared by the identity and direct maps; both grow, briefly. */
extern uint64_t boot_pml4[];
/* Without 1 GiB pages: RAM up to 16 GiB, the rest is left unused. */
#define EARLY_PDS 12
static uint64_t early_pd[EARLY_PDS][512] __attribute__((aligned(4096)));

void arch_mm_early_init(struct boot_info *bi)
{
	phys_addr_t top = 0;
	for (size_t i = 0; i < bi->nmem; i++)
		if (direct_mapped_type(bi->mem[i].type))
			top = MAX(top, bi->mem[i].base + bi->mem[i].len);
	if (top <= BOOT_MAP_END)
		return;
	/* What the boot direct map can reach: one PDPT (512 GiB) with 1 GiB
	 * pages, else the static page directories. RAM above is left out,
	 * not a reason to stop. */
	phys_addr_t limit =
		cpu_features.pdpe1gb ? GiB(512) : BOOT_MAP_END + GiB(EARLY_PDS);
	if (top > limit) {
		uint64_t lost = bootinfo_clip_ram(bi, limit);
		pr_warn("mm: RAM above %llu GiB left unused (%llu MiB): %s",
			(unsigned long long)(limit >> 30),
			(unsigned long long)(lost >> 20),
			cpu_features.pdpe1gb ? "beyond the direct map"
					     : "the CPU has no 1 GiB pages");
		top = limit;
	}
	const uint64_t *pml4 = phys_to_virt((uintptr_t)boot_pml4);
	uint64_t *pdpt =
		phys_to_virt(pml4[PHYSMAP_BASE >> 39 & 511] & PTE_ADDR);
	uint64_t ngb = MIN(ALIGN_UP(top, GiB(1)) >> 30, 512ull);
	unsigned npd = 0;
	for (uint64_t gb = BOOT_MAP_END >> 30; gb < ngb; gb++) {
		if (pdpt[gb] & PTE_P)
			continue;
		if (cpu_features.pdpe1gb) {
			pdpt[gb] = GiB(gb) | PTE_P | PTE_W | PTE_PS;
			continue;
		}
		BUG_ON(npd == EARLY_PDS); /* top was clipped to fit */
		uint64_t *pd = early_pd[npd++];
		for (unsigned i = 0; i < 512; i++)
			pd[i] = (GiB(gb) + i * LARGE_PAGE_SIZE) | PTE_P |
				PTE_W | PTE_PS;
		pdpt[gb] = KERNEL_VA_TO_PA(pd) | PTE_P | PTE_W;
	}
	pr_debug("mm: boot direct map extended to %llu GiB",
		 (unsigned long long)ngb);
}

void arch_mm_init(const struct boot_info *bi)
{
	vm_nx_enabled = cpu_features.nx && (rdmsr(MSR_EFER) & EFER_NXE);
	if (!cpu_features.nx)
		pr_warn("mm: CPU has no NX; data pages stay executable");
	/* Tables from below 4 GiB until the switch (the boot direct map
	 * ends there); that also puts the PML4 where 32-bit code reaches. */
	if (vm_kernel_space_init(BOOT_MAP_END) < 0)
		panic("mm: no frames for the kernel page tables");
	phys_addr_t root = vm_kernel_root();

	map_section(__text_start, __text_end, VM_READ | VM_EXEC);
	map_section(__rodata_start, __rodata_end, VM_READ);
	map_section(__data_start, __data_end, VM_READ | VM_WRITE);
	/* The boot stack's guard page (boot.S; kstack.c reports a hit). */
	if (vm_unmap(&kernel_space, (uintptr_t)boot_stack_guard, PAGE_SIZE))
		panic("mm: cannot unmap the boot stack guard");
	map_section(__ksyms_start, __ksyms_end, VM_READ);

	map_direct(0, LOW_MEM_END, DIRECT_FLAGS);
	for (size_t i = 0; i < bi->nmem; i++) {
		const struct mem_region *r = &bi->mem[i];
		if (direct_mapped_type(r->type))
			map_direct(r->base, r->base + r->len, DIRECT_FLAGS);
	}
	map_acpi_tables(bi->rsdp);

	write_cr3(root);
	vm_set_table_limit(0);
	cpu_enable_protection();
	tlb_flush_all_local();

	uint64_t cr4 = read_cr4();
	bool nxe = rdmsr(MSR_EFER) & EFER_NXE, wp = read_cr0() & CR0_WP;
	if (!wp)
		panic("mm: CR0.WP did not stick");
	pr_info("mm: kernel tables at %#llx, %llu table pages; "
		"protections:%s%s%s%s%s%s%s",
		(unsigned long long)root, (unsigned long long)vm_table_pages(),
		nxe ? " NX" : "", wp ? " WP" : "",
		(cr4 & CR4_PGE) ? " PGE" : "", (cr4 & CR4_SMEP) ? " SMEP" : "",
		(cr4 & CR4_SMAP) ? " SMAP" : "",
		(cr4 & CR4_UMIP) ? " UMIP" : "", pcid_enabled ? "; PCID" : "");
}
