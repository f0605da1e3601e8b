/* AP start-up trampoline. Copied to AP_TRAMPOLINE_PA at run time; the SIPI
 * starts the AP in real mode at CS:IP = (AP_TRAMPOLINE_PA >> 4):0. Only
 * offsets from ap_trampoline_start are used, plus absolute addresses formed
 * as AP_TRAMPOLINE_PA + offset, so the code runs wherever that page is.
 * Path: real mode -> 32-bit protected mode (temporary GDT below) -> long
 * mode with the kernel's PML4, still at the low address (the boot CPU maps
 * this page identity R+X meanwhile) -> jump to the kernel entry. */
#include <arch/layout.h>
#include <arch/smp.h>

#define OFF(x) ((x) - ap_trampoline_start)
#define ABS(x) (AP_TRAMPOLINE_PA + OFF(x))

#define SEL_CODE32 0x08
#define SEL_DATA   0x10
#define SEL_CODE64 0x18

	.section .ap_trampoline, "a"
	.code16
	.balign 16
	.global ap_trampoline_start
ap_trampoline_start:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	/* Tell the boot CPU we are running: no second SIPI needed. */
	movl $1, OFF(ap_trampoline_params) + APB_ALIVE
	lgdtl OFF(tr_gdtr)
	movl %cr0, %eax
	orl $1, %eax			/* PE */
	movl %eax, %cr0
	ljmpl $SEL_CODE32, $ABS(tr_pm32)

	.code32
tr_pm32:
	movw $SEL_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl ABS(ap_trampoline_params) + APB_CR4, %eax
	movl %eax, %cr4
	movl ABS(ap_trampoline_params) + APB_CR3, %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx		/* EFER */
	rdmsr
	orl ABS(ap_trampoline_params) + APB_EFER, %eax
	wrmsr
	/* PG | WP | NE | ET | PE, and caching on (INIT leaves CD/NW set). */
	movl $0x80010031, %eax
	movl %eax, %cr0
	ljmpl $SEL_CODE64, $ABS(tr_lm64)

	.code64
tr_lm64:
	movw $SEL_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	/* RIP-relative: the data moved together with the code. */
	movq ap_trampoline_params + APB_STACK(%rip), %rsp
	movq ap_trampoline_params + APB_CPU(%rip), %rdi
	xorl %ebp, %ebp
	pushq $0			/* fake return address: ends backtraces */
	jmpq *ap_trampoline_params + APB_ENTRY(%rip)

	.balign 8
tr_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08 code, 32-bit */
	.quad 0x00cf92000000ffff	/* 0x10 data */
	.quad 0x00af9a000000ffff	/* 0x18 code, 64-bit */
tr_gdtr:
	.word tr_gdtr - tr_gdt - 1
	.long ABS(tr_gdt)

	.balign 8
	.global ap_trampoline_params
ap_trampoline_params:
	.fill APB_SIZE, 1, 0
	.section .note.GNU-stack, "", @progbits
