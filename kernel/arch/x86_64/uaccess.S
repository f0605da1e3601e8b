/* User-memory copy loops. They touch user memory only between the labels
 * uaccess_start and uaccess_end; a page fault there is fixed up by the trap
 * handler (uaccess_fixup in uaccess.c), which resumes at uaccess_fault with
 * the stack as it was: these are leaf functions that push nothing, so the
 * return address is on top. For an absent page of pager memory it may
 * instead retry the faulting instruction once the page is there, so the
 * loops keep all their state in registers. No per-CPU state, so preemption mid-copy is
 * fine. SMAP (stac/clac) is left to the C callers. */
	.text
	.global uaccess_start, uaccess_end, uaccess_fault

/* long uaccess_copy(void *dst, const void *src, size_t len):
 * 0, or ERR_FAULT (-7). */
	.global uaccess_copy
uaccess_copy:			/* by 8 bytes, then the tail (string.c) */
	movq %rdx, %rcx
	shrq $3, %rcx
	andl $7, %edx
uaccess_start:
	rep movsq
	movq %rdx, %rcx
	rep movsb
	xorl %eax, %eax
	ret

/* long uaccess_strcpy(char *dst, const char *src, size_t max): copies up
 * to and including the first NUL within max bytes. Returns its length + 1
 * (NUL included), 0 when none of the max bytes is NUL, or ERR_FAULT. */
	.global uaccess_strcpy
uaccess_strcpy:
	xorl %eax, %eax
1:	cmpq %rdx, %rax
	je 2f
	movzbl (%rsi,%rax), %ecx
	movb %cl, (%rdi,%rax)
	incq %rax
	testb %cl, %cl
	jnz 1b
	ret
2:	xorl %eax, %eax
	ret
uaccess_end:

uaccess_fault:
	movq $-7, %rax
	ret

	.section .note.GNU-stack, "", @progbits
