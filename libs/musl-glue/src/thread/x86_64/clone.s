/* exec-rt: no Linux clone(); threads would need SYS_THREAD_CREATE/START.
 * __clone(func, stack, flags, arg, ...) returns -ENOSYS through the glue
 * (pthread_create then fails with EAGAIN). */
.text
.global __clone
.hidden __clone
.type   __clone,@function
__clone:
	mov $56,%edi
	xor %esi,%esi
	xor %edx,%edx
	xor %ecx,%ecx
	xor %r8d,%r8d
	xor %r9d,%r9d
	push $0
	call __execrt_syscall
	add $8,%rsp
	ret
