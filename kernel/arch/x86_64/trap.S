/* Interrupt and exception entry. Every vector has a stub that pushes a
 * uniform (error code, vector) pair and jumps to trap_common, which saves
 * the general registers into a struct trap_frame and calls trap_dispatch.
 * swapgs happens only when coming from user mode, so gs:0 is always this
 * CPU's struct cpu inside the kernel. */
#include <arch/frame.h>
#include <arch/percpu.h>
#include <arch/trap.h>

	.text
	/* Stubs TRAP_STUB_BYTES apart (two pushes and a jmp need at most
	 * 12: 16 wasted 1 KiB of text); .org fails the build if one grows. */
	.macro stub vec
	.org trap_stubs_start + TRAP_STUB_BYTES * \vec, 0xcc
trap_stub_\vec:
	/* The CPU pushes an error code for these; for the rest, a zero. */
	.if !(\vec == 8 || (\vec >= 10 && \vec <= 14) || \vec == 17 || \vec == 21 || \vec == 29 || \vec == 30)
	pushq $0
	.endif
	pushq $\vec
	jmp trap_common
	.endm

	.balign 16
	.global trap_stubs_start
trap_stubs_start:
	.altmacro
	.set i, 0
	.rept 256
	stub %i
	.set i, i + 1
	.endr
	.org trap_stubs_start + TRAP_STUB_BYTES * 256, 0xcc

trap_common:
	testb $3, 24(%rsp)		/* CS of the interrupted context */
	jz 1f
	swapgs
1:	SAVE_GPRS
	cld
	movq %rsp, %rdi
	/* Make a frame-pointer link so backtraces cross the trap. */
	movq 15*8 + 16(%rsp), %rax	/* interrupted rip; +1 because */
	incq %rax			/* unwinders step back from returns */
	pushq %rax
	pushq %rbp
	movq %rsp, %rbp
	call trap_dispatch
	addq $16, %rsp
	.global trap_return
trap_return:
	RESTORE_GPRS
	addq $16, %rsp			/* vector, error code */
	testb $3, 8(%rsp)
	jz 2f
	swapgs
2:	iretq

/* bool trap_catch_call(void (*fn)(void *), void *arg)
 * Calls fn(arg) with fault recovery armed. Returns 0 when fn returned,
 * 1 when a kernel-mode fault was caught (the trap handler resumed us at
 * label 3 with rsp as saved). Callee-saved registers are restored from our
 * own frame, so the faulting code's state does not matter. */
	.global trap_catch_call
trap_catch_call:
	pushq %rbp
	movq %rsp, %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	subq $8, %rsp			/* 16-byte alignment for the call */
	movq %rsp, %gs:CPU_OFF_RECOVER_RSP
	leaq 3f(%rip), %rax
	movq %rax, %gs:CPU_OFF_RECOVER_RIP
	movq %rdi, %rax
	movq %rsi, %rdi
	call *%rax
	xorl %eax, %eax
	jmp 4f
3:	movl $1, %eax
4:	movq $0, %gs:CPU_OFF_RECOVER_RIP
	addq $8, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

	.section .note.GNU-stack, "", @progbits
