/* First instructions. Both boot protocols enter in 32-bit protected mode with
 * paging off: Multiboot2 (GRUB, BIOS or UEFI) at mb2_entry with eax = magic
 * and ebx = info; PVH (qemu -kernel) at pvh_entry with ebx = hvm_start_info.
 * We build throw-away page tables (identity + direct map + kernel for the
 * first 4 GiB, 2 MiB pages), enter long mode and jump to the higher half.
 * The kernel replaces these tables in arch_mm_init(). */
#include <arch/layout.h>

#define MB2_MAGIC       0xe85250d6
#define MB2_LOADER_MAGIC 0x36d76289
#define BOOT_PROTO_MB2  1
#define BOOT_PROTO_PVH  2

	.section .multiboot2, "a"
	.balign 8
mb2_header:
	.long MB2_MAGIC
	.long 0				/* i386 protected mode */
	.long mb2_header_end - mb2_header
	.long -(MB2_MAGIC + (mb2_header_end - mb2_header))
	/* framebuffer tag: optional, no preferred mode */
	.balign 8
	.short 5, 1
	.long 20
	.long 0, 0, 0
	.balign 8
	.short 0, 0			/* end tag */
	.long 8
mb2_header_end:

	/* Xen PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY = 18). */
	.section .note.Xen, "a", @note
	.balign 4
	.long 4				/* name size */
	.long 4				/* desc size */
	.long 18			/* type */
	.asciz "Xen"
	.long pvh_entry

	.section .boot.text, "ax"
	.code32
	.global mb2_entry
mb2_entry:
	cli
	cld
	cmpl $MB2_LOADER_MAGIC, %eax
	jne no_boot_proto
	movl $BOOT_PROTO_MB2, %esi
	movl %ebx, %edi
	jmp common32

	.global pvh_entry
pvh_entry:
	cli
	cld
	movl $BOOT_PROTO_PVH, %esi
	movl %ebx, %edi
	jmp common32

no_boot_proto:
	movl $msg_noproto, %ebx
	jmp die32

common32:
	/* The boot figure's zero: the TSC at the first common instruction
	 * (every x86-64 CPU has rdtsc; CR4.TSD is clear at hand-over). */
	rdtsc
	movl %eax, boot_tsc0
	movl %edx, boot_tsc0 + 4
	movl %esi, boot_proto
	movl %edi, boot_info_pa
	movl $(boot_stack32 + 4096), %esp

	/* Zero .bss ourselves: loaders zero it when they copy the image, but
	 * firmware (SeaBIOS's temporary high memory, with a few MiB of RAM)
	 * may have scribbled over it since. Four bytes at a time (the page
	 * after .bss is padding): under -icount every iteration counts. */
	movl $__bss_phys_start, %edi
	movl $__bss_phys_end, %ecx
	subl %edi, %ecx
	addl $3, %ecx
	shrl $2, %ecx
	xorl %eax, %eax
	rep stosl

	/* Long mode must be there; say so on COM1 rather than hang. */
	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb no_long_mode
	movl $0x80000001, %eax
	cpuid
	btl $29, %edx
	jnc no_long_mode
	movl %edx, boot_ext_edx		/* bit 20: NX, checked in C later */

	/* Zero the table pages, then fill them. */
	movl $boot_pml4, %edi
	xorl %eax, %eax
	movl $(7 * 4096 / 4), %ecx
	rep stosl

	/* PML4[0] (identity) and PML4[256] (direct map) share one PDPT;
	 * PML4[511] -> high PDPT whose entry 510 maps -2 GiB to phys 0. */
	movl $(boot_pdpt_low + 3), %eax
	movl %eax, boot_pml4
	movl %eax, boot_pml4 + 256 * 8
	movl $(boot_pdpt_high + 3), %eax
	movl %eax, boot_pml4 + 511 * 8
	movl $(boot_pd + 3), %eax
	movl %eax, boot_pdpt_high + 510 * 8
	/* Four page directories: 4 x 512 x 2 MiB = phys 0..4 GiB. */
	movl $boot_pdpt_low, %edi
	movl $(boot_pd + 3), %eax
	movl $4, %ecx
1:	movl %eax, (%edi)
	addl $8, %edi
	addl $4096, %eax
	loop 1b
	movl $boot_pd, %edi
	movl $0x83, %eax		/* present, writable, 2 MiB */
	xorl %edx, %edx			/* high half of the address */
	movl $2048, %ecx
2:	movl %eax, (%edi)
	movl %edx, 4(%edi)
	addl $8, %edi
	addl $0x200000, %eax
	adcl $0, %edx
	loop 2b

	movl %cr4, %eax
	orl $(1 << 5), %eax		/* PAE */
	movl %eax, %cr4
	movl $boot_pml4, %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx		/* EFER */
	rdmsr
	orl $(1 << 8), %eax		/* LME */
	btl $20, boot_ext_edx
	jnc 3f
	orl $(1 << 11), %eax		/* NXE */
3:	wrmsr
	movl %cr0, %eax
	orl $0x80010001, %eax		/* PG | WP | PE */
	movl %eax, %cr0

	lgdt boot_gdtr
	ljmp $0x08, $long_entry

no_long_mode:
	movl $msg_nolm, %ebx
die32:
	movw $0x3f8, %dx
1:	movb (%ebx), %al
	testb %al, %al
	jz 2f
	outb %al, %dx
	incl %ebx
	jmp 1b
2:	movw $0xf4, %dx			/* isa-debug-exit: failure */
	movl $QEMU_EXIT_FAILURE, %eax
	outl %eax, %dx
3:	hlt
	jmp 3b

	.code64
long_entry:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorl %eax, %eax
	movw %ax, %fs
	movw %ax, %gs
	movabsq $higher_half, %rax
	jmp *%rax

	.section .boot.data, "aw"
	.balign 8
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
boot_gdtr:
	.short boot_gdtr - boot_gdt - 1
	.long boot_gdt
	.global boot_proto, boot_info_pa, boot_ext_edx, boot_tsc0
	.balign 8
boot_tsc0:	.quad 0
boot_proto:	.long 0
boot_info_pa:	.long 0
boot_ext_edx:	.long 0
msg_noproto:	.asciz "exec-rt: not started by a Multiboot2 or PVH loader\n"
msg_nolm:	.asciz "exec-rt: this CPU has no long mode\n"

	.section .boot.bss, "aw", @nobits
	.balign 4096
	.global boot_pml4
boot_pml4:	.skip 4096
boot_pdpt_low:	.skip 4096
boot_pdpt_high:	.skip 4096
boot_pd:	.skip 4 * 4096
boot_stack32:	.skip 4096

	/* From here on: the higher half. */
	.text
higher_half:
	movabsq $(boot_stack + BOOT_STACK_SIZE), %rsp
	xorl %ebp, %ebp
	movl boot_proto, %edi
	movl boot_info_pa, %esi
	call arch_boot_main
4:	cli
	hlt
	jmp 4b

	/* The boot CPU's stack (its idle thread's too) with a guard page
	 * below, unmapped by arch_mm_init() in the image mapping. */
	.bss
	.balign 4096
	.global boot_stack_guard
boot_stack_guard:	.skip 4096
	.global boot_stack
boot_stack:	.skip BOOT_STACK_SIZE
	.section .note.GNU-stack, "", @progbits
