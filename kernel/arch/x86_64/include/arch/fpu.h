/* User x87/SSE/AVX state save and load (fpu.c). */
#pragma once
#include <kern/types.h>

/* XSAVE standard format: the legacy 512-byte region (x87, SSE), the
 * 64-byte header, then AVX's YMM upper halves (256 bytes at 576). */
#define FPU_AREA_SIZE 832

extern bool fpu_xsaveopt; /* set once at boot, before any user thread */
extern uint32_t fpu_xcr0; /* components on (XSAVE only): 3, or 7 with AVX */

void fpu_init_cpu(void);
void fpu_init_state(uint8_t *area);

/* The mask (EDX:EAX) is XCR0 itself: every enabled component. */
static inline void fpu_save(uint8_t *area)
{
	if (fpu_xsaveopt)
		__asm__ volatile("xsaveopt64 %0"
				 : "=m"(*(uint8_t(*)[FPU_AREA_SIZE])area)
				 : "a"(fpu_xcr0), "d"(0u));
	else
		__asm__ volatile("fxsave64 %0" : "=m"(*(uint8_t(*)[512])area));
}

static inline void fpu_load(const uint8_t *area)
{
	if (fpu_xsaveopt)
		__asm__ volatile("xrstor64 %0"
				 :
				 : "m"(*(const uint8_t(*)[FPU_AREA_SIZE])area),
				   "a"(fpu_xcr0), "d"(0u));
	else
		__asm__ volatile("fxrstor64 %0"
				 :
				 : "m"(*(const uint8_t(*)[512])area));
}
