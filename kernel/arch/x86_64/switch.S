/* Kernel context switch. Only callee-saved registers need saving: the
 * switch is a function call from the C point of view. A new thread's stack
 * is prepared by arch_thread_init() to "return" into thread_start_stub. */
	.text
/* void arch_switch_stacks(uintptr_t *save_rsp, uintptr_t new_rsp) */
	.global arch_switch_stacks
arch_switch_stacks:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

/* First code of every new thread: r12 holds the C entry (void (*)(void)).
 * A zero return address above it ends backtraces here. */
	.global thread_start_stub
thread_start_stub:
	call sched_finish_switch
	xorl %ebp, %ebp
	call *%r12
	ud2

	.section .note.GNU-stack, "", @progbits
