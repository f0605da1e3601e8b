/* SYSCALL entry. The CPU left the user rip in rcx and rflags in r11, and
 * masked IF (SFMASK). We switch to the thread's kernel stack, build a
 * struct trap_frame exactly like an interrupt would (so the fault and
 * return paths are shared), call the handler from syscall_table with
 * interrupts on, and run syscall_exit_work() (kill, preemption). Return is
 * by SYSRET unless that asks for IRETQ (a frame changed in ways SYSRET
 * cannot restore). */
#include <arch/frame.h>
#include <arch/percpu.h>

#define USER_CS 0x2b
#define USER_SS 0x23
#define SYSCALL_VECTOR 0x100
#define TF_RAX 112 /* offsetof(struct trap_frame, rax), checked in syscall.c */

	.text
	.global syscall_entry
syscall_entry:
	swapgs
	movq %rsp, %gs:CPU_OFF_USER_RSP
	movq %gs:CPU_OFF_KSTACK_TOP, %rsp
	pushq $USER_SS
	pushq %gs:CPU_OFF_USER_RSP
	pushq %r11
	pushq $USER_CS
	pushq %rcx
	pushq $0
	pushq $SYSCALL_VECTOR
	SAVE_GPRS
	xorl %ebp, %ebp			/* backtraces stop at the user boundary */
	sti
	/* The arguments are still in their registers; the C ABI wants the
	 * fourth in rcx (SYSCALL took it for rip). All 64 bits of rax count. */
	cmpq syscall_table_len(%rip), %rax
	jae 2f
	movq syscall_table(,%rax,8), %rax
	testq %rax, %rax
	jz 2f
	movq %r10, %rcx
	call *%rax
1:	movq %rax, TF_RAX(%rsp)
	movq %rsp, %rdi
	call syscall_exit_work		/* returns 0: SYSRET, else IRETQ */
	cli
	testl %eax, %eax
	jnz trap_return
	RESTORE_GPRS
	movq 16(%rsp), %rcx		/* rip */
	movq 32(%rsp), %r11		/* rflags */
	movq 40(%rsp), %rsp		/* user stack */
	swapgs
	sysretq

2:	call syscall_bad_number
	jmp 1b

/* First entry of a new user thread: rdi points at a complete trap frame
 * on its kernel stack. */
	.global arch_enter_user_frame
arch_enter_user_frame:
	movq %rdi, %rsp
	jmp trap_return

	.section .note.GNU-stack, "", @progbits
