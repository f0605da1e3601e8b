/* x86_64 part of a thread: the saved kernel stack pointer (everything else
 * of a switched-out thread is on its kernel stack) and the user TLS base. */
#pragma once
#include <kern/types.h>

struct arch_thread {
	uintptr_t rsp;        /* saved by arch_context_switch */
	uintptr_t kstack_top; /* TSS.rsp0 / syscall stack while it runs */
	uint64_t fs_base;     /* user TLS (FS base) */
	/* x87/SSE/AVX state of user threads (XSAVE or FXSAVE format, fpu.c).
	 * The kernel itself never touches these registers
	 * (-mgeneral-regs-only). XSAVE wants 64-byte alignment. */
	uint8_t fpu[832] __attribute__((aligned(64)));
};

#define KSTACK_PAGES 4 /* 16 KiB kernel stack per thread */
