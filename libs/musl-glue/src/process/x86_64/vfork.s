/* exec-rt: no vfork(); fails with ENOSYS (through the glue). */
.text
.global vfork
.type vfork,@function
vfork:
	mov $58,%edi
	xor %esi,%esi
	xor %edx,%edx
	xor %ecx,%ecx
	xor %r8d,%r8d
	xor %r9d,%r9d
	push $0
	call __execrt_syscall
	add $8,%rsp
	mov %rax,%rdi
	.hidden __syscall_ret
	jmp __syscall_ret
