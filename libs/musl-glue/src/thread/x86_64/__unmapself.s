/* exec-rt: __unmapself(base, size): unmap the exiting thread's own stack,
 * then end the thread. It runs on that stack, so after the unmap nothing may
 * touch memory: the exec-rt calls are issued directly (SYS_VM_UNMAP = 16 on
 * the self-task handle kept by the runtime in __execrt_self_task, then
 * SYS_THREAD_EXIT = 12). Only detached threads get here. */
.text
.global __unmapself
.type   __unmapself,@function
__unmapself:
	mov %rsi,%rdx
	mov %rdi,%rsi
	mov __execrt_self_task(%rip),%edi
	add $4095,%rdx
	and $-4096,%rdx
	mov $16,%eax
	syscall
	xor %edi,%edi
	mov $12,%eax
	syscall
	ud2
