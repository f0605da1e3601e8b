/* blit_kern: the scalar reference and the pick at start (blit_kern.h). */
#include "blit_kern.h"

#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

/* The reference: one pixel or byte at a time, written to be obviously
 * right rather than fast. */
static void fill_scalar(uint8_t *dst, size_t n, uint32_t px)
{
	for (size_t i = 0; i < n; i++)
		memcpy(dst + 4 * i, &px, 4);
}

static void copy_scalar(uint8_t *dst, const uint8_t *src, size_t n)
{
	if (dst < src) {
		for (size_t i = 0; i < n; i++)
			dst[i] = src[i];
	} else if (dst > src) {
		for (size_t i = n; i > 0; i--)
			dst[i - 1] = src[i - 1];
	}
}

static void swap_rb_scalar(uint8_t *dst, const uint8_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t p[4] = {src[4 * i + 2], src[4 * i + 1], src[4 * i],
				src[4 * i + 3]};
		memcpy(dst + 4 * i, p, 4);
	}
}

const struct blit_kern blit_kern_scalar = {
	.name = "scalar",
	.fill = fill_scalar,
	.copy = copy_scalar,
	.swap_rb = swap_rb_scalar,
};

bool blit_cpu_avx2(void)
{
#if defined(__x86_64__)
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d))
		return false;
	/* OSXSAVE (27): XGETBV works; AVX (28). */
	if (!(c & (1u << 27)) || !(c & (1u << 28)))
		return false;
	uint32_t lo, hi;
	__asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	(void)hi;
	if ((lo & 6u) != 6u) /* XMM and YMM state saved by the OS */
		return false;
	if (__get_cpuid_max(0, NULL) < 7)
		return false;
	__cpuid_count(7, 0, a, b, c, d);
	return b & (1u << 5); /* AVX2 */
#else
	return false;
#endif
}

const struct blit_kern *blit_kern_pick(void)
{
#if defined(__x86_64__)
	return blit_cpu_avx2() ? &blit_kern_avx2 : &blit_kern_sse2;
#else
	return &blit_kern_scalar;
#endif
}
