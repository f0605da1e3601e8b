/* User x87/SSE state save and load (fpu.c). */
#pragma once
#include <kern/types.h>

/* The legacy 512-byte region plus the 64-byte XSAVE header. */
#define FPU_AREA_SIZE 576

extern bool fpu_xsaveopt; /* set once at boot, before any user thread */

void fpu_init_cpu(void);
void fpu_init_state(uint8_t *area);

static inline void fpu_save(uint8_t *area)
{
	if (fpu_xsaveopt)
		__asm__ volatile("xsaveopt64 %0"
				 : "=m"(*(uint8_t(*)[FPU_AREA_SIZE])area)
				 : "a"(~0u), "d"(~0u));
	else
		__asm__ volatile("fxsave64 %0" : "=m"(*(uint8_t(*)[512])area));
}

static inline void fpu_load(const uint8_t *area)
{
	if (fpu_xsaveopt)
		__asm__ volatile("xrstor64 %0"
				 :
				 : "m"(*(const uint8_t(*)[FPU_AREA_SIZE])area),
				   "a"(~0u), "d"(~0u));
	else
		__asm__ volatile("fxrstor64 %0"
				 :
				 : "m"(*(const uint8_t(*)[512])area));
}
