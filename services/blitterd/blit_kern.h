/* blit_kern: blitterd's inner loops (docs/graphics.md "blitterd"). Three
 * implementations of the same three row kernels: a scalar reference, an
 * SSE2 one (the x86_64 baseline) and an AVX2 one, picked once at start by
 * blit_kern_pick() from CPUID (AVX2 only when the OS enabled the AVX
 * state: CPUID.OSXSAVE and XCR0 bits 1-2). Pure code, no system calls:
 * host-tested byte for byte against the scalar one
 * (tests/host/test_blit_kern.c). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct blit_kern {
	const char *name;
	/* n 32-bit pixels at dst (any alignment) set to px (its bytes in
	 * memory order). */
	void (*fill)(uint8_t *dst, size_t n, uint32_t px);
	/* n bytes, memmove semantics (any overlap). */
	void (*copy)(uint8_t *dst, const uint8_t *src, size_t n);
	/* n pixels copied with bytes 0 and 2 of each swapped (RGBA8 <->
	 * BGRA8); dst == src (in place) or no overlap. */
	void (*swap_rb)(uint8_t *dst, const uint8_t *src, size_t n);
};

extern const struct blit_kern blit_kern_scalar;
#if defined(__x86_64__)
extern const struct blit_kern blit_kern_sse2;
extern const struct blit_kern blit_kern_avx2;
#endif

/* Whether this CPU and OS run AVX2 code (CPUID leaf 7 AVX2, leaf 1 AVX
 * and OSXSAVE, XCR0 with the SSE and AVX state enabled). */
bool blit_cpu_avx2(void);
/* The fastest implementation this machine runs. */
const struct blit_kern *blit_kern_pick(void);
