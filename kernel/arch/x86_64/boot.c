/* From boot.S to kmain(): console, per-CPU base, boot info. */
#include <arch/cpu.h>
#include <arch/fwcfg.h>
#include <arch/layout.h>
#include <arch/percpu.h>
#include <arch/serial.h>
#include <arch/trap.h>
#include <arch/tsc.h>
#include <kern/bootinfo.h>
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/mm.h>

#define BOOT_PROTO_MB2 1
#define BOOT_PROTO_PVH 2

/* The boot page tables map physical 0-4 GiB here from the first instant. */
uintptr_t physmap_offset = PHYSMAP_BASE;

extern char __kernel_phys_start[], __kernel_phys_end[];
/* The boot CPU's interrupt stacks (APs get theirs from the allocator). */
static uint8_t bsp_ist[3][IST_STACK_SIZE] __attribute__((aligned(16)));
void kmain(struct boot_info *bi);
void arch_boot_main(uint32_t proto, uint32_t info_pa);

uint64_t boot_entry_tsc;
/* boot.S, at its first common instruction; linked at its physical
 * address (.boot.data), so read through the direct map. */
extern uint64_t boot_tsc0;

void arch_boot_main(uint32_t proto, uint32_t info_pa)
{
	/* The boot figure's zero (boot.S read it before zeroing .bss). */
	boot_entry_tsc =
		*(volatile uint64_t *)phys_to_virt((uintptr_t)&boot_tsc0);
	percpu_init(&cpus[0], 0, 0);
	serial_init();
	cpu_detect();
	const uintptr_t ist[3] = {(uintptr_t)bsp_ist[0] + IST_STACK_SIZE,
				  (uintptr_t)bsp_ist[1] + IST_STACK_SIZE,
				  (uintptr_t)bsp_ist[2] + IST_STACK_SIZE};
	gdt_init_cpu(&cpus[0], ist);
	idt_init();
	idt_load();

	struct boot_info *bi = &boot_info;
	const void *info = phys_to_virt(info_pa);
	int err = proto == BOOT_PROTO_MB2 ? multiboot2_parse(bi, info)
					  : pvh_parse(bi, info);
	if (err && proto == BOOT_PROTO_PVH) {
		/* QEMU's PVH ROM overwrites the start info with a command
		 * line over 4 KiB (fwcfg.c); fw_cfg has the originals. */
		memset(bi, 0, sizeof(*bi));
		err = fwcfg_boot_info(bi);
		if (!err)
			pr_warn("boot: PVH start info unusable (a command line "
				"over 4 KiB?); boot information from fw_cfg");
	}
	if (err)
		panic("boot: cannot parse %s boot information",
		      proto == BOOT_PROTO_MB2 ? "multiboot2" : "PVH");
	bi->kernel_start = (phys_addr_t)(uintptr_t)__kernel_phys_start;
	bi->kernel_end = (phys_addr_t)(uintptr_t)__kernel_phys_end;
	if (!bi->rsdp && bi->rsdp_copy_len)
		bi->rsdp = KERNEL_VA_TO_PA(bi->rsdp_copy);
	bootinfo_finish(bi);
	kmain(bi);
}
