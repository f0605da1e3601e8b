/* exec-rt: __set_thread_area(p) = __execrt_syscall(SYS_arch_prctl,
 * ARCH_SET_FS, p, 0, 0, 0, 0). Runs before TLS exists. */
.text
.global __set_thread_area
.hidden __set_thread_area
.type __set_thread_area,@function
__set_thread_area:
	mov %rdi,%rdx
	mov $0x1002,%esi
	mov $158,%edi
	xor %ecx,%ecx
	xor %r8d,%r8d
	xor %r9d,%r9d
	push $0
	call __execrt_syscall
	add $8,%rsp
	ret
