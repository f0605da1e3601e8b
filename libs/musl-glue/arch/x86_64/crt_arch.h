/* exec-rt replacement for musl's arch/x86_64/crt_arch.h (used by crt1.o).
 * exec-rt starts a task with rdi = struct start_info * and no argv/auxv on
 * the stack: hand the pointer and main to the runtime's __execrt_start_c
 * (libs/runtime/crt0.c), which builds argv/envp/auxv and calls
 * __libc_start_main. */
__asm__(
".text \n"
".global " START " \n"
".type " START ",@function \n"
START ": \n"
"	xor %rbp,%rbp \n"
"	lea main(%rip),%rsi \n"
"	andq $-16,%rsp \n"
"	call __execrt_start_c \n"
"	ud2 \n"
);
