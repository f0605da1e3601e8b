/* comp_blend's internals shared with comp_fuse.c: the SSE2 switch, the
 * Q15 alpha, the RGBA8 swizzle mask, the CPU features (CPUID, cached;
 * comp_blend_force_* reset them). */
#pragma once
#include <stdint.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#define HAVE_SSE2 1
#else
#define HAVE_SSE2 0
#endif

static inline uint32_t q15(uint32_t a)
{
	return (a * 32768u + 127u) / 255u;
}

#if HAVE_SSE2 && defined(__x86_64__)
/* RGBA8 bytes R G B A -> B G R A, 4 pixels at once. */
#define SWAP_MASK                                                              \
	_mm_setr_epi8(2, 1, 0, 3, 6, 5, 4, 7, 10, 9, 8, 11, 14, 13, 12, 15)

/* Whether CPUID (and for AVX2 XCR0) allows them, unless a test forced
 * them off. */
int comp_blend_ssse3(void);
int comp_blend_avx2(void);

/* comp_blend.c's one-layer SSSE3 kernels (comp_blend_row's fast paths);
 * the fused pass ends a row's last < 8 pixels with them. uniform: opaque
 * src under alpha a8; normal: per-pixel alpha under la; copy: la 255. */
__attribute__((target("ssse3"))) void
uniform_ssse3(uint32_t *dst, const uint32_t *src, uint32_t n, uint32_t a8);
__attribute__((target("ssse3"))) void uniform_rgba_ssse3(uint32_t *dst,
							 const uint32_t *src0,
							 uint32_t n,
							 uint32_t a8);
__attribute__((target("ssse3"))) void
normal_ssse3(uint32_t *dst, const uint32_t *src, uint32_t n, uint32_t la);
__attribute__((target("ssse3"))) void
normal_rgba_ssse3(uint32_t *dst, const uint32_t *src, uint32_t n, uint32_t la);
__attribute__((target("ssse3"))) void
copy_rgba_ssse3(uint32_t *dst, const uint32_t *src, uint32_t n);
void copy_ssse3(uint32_t *dst, const uint32_t *src, uint32_t n);
#endif
