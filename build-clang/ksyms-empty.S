	.section .ksyms, "a"
	.balign 8
	.global ksyms_table
ksyms_table:
	.quad 0
	.section .note.GNU-stack, "", @progbits
