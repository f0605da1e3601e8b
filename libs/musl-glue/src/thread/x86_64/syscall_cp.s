/* exec-rt: cancellable system call. __syscall_cp_asm(&cancel, nr, u, v, w,
 * x, y, z): if cancellation is pending go to __cancel, else
 * __execrt_syscall(nr, u, v, w, x, y, z). The labels are used by
 * pthread_cancel.c; without signals a blocked call is not interrupted. */
.text
.global __cp_begin
.hidden __cp_begin
.global __cp_end
.hidden __cp_end
.global __cp_cancel
.hidden __cp_cancel
.hidden __cancel
.global __syscall_cp_asm
.hidden __syscall_cp_asm
.type   __syscall_cp_asm,@function
__syscall_cp_asm:
__cp_begin:
	mov (%rdi),%eax
	test %eax,%eax
	jnz __cp_cancel
	mov %rsi,%rdi
	mov %rdx,%rsi
	mov %rcx,%rdx
	mov %r8,%rcx
	mov %r9,%r8
	mov 8(%rsp),%r9
	mov 16(%rsp),%rax
	push %rax
	call __execrt_syscall
	add $8,%rsp
__cp_end:
	ret
__cp_cancel:
	jmp __cancel
