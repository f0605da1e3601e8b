/* blit_simd: the SSE2 (x86_64 baseline) and AVX2 kernels (blit_kern.h).
 * The AVX2 functions carry target("avx2") so this file builds for the
 * baseline; they only run when blit_cpu_avx2() says so. Loads and stores
 * are unaligned (any surface address and stride); the main loops move
 * 128 (SSE2) or 256 (AVX2) bytes per turn: under icount each instruction
 * is a nanosecond, so fewer loop turns is what makes them fast. */
#include "blit_kern.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

typedef __m128i v16;

static inline v16 ld16(const uint8_t *p)
{
	return _mm_loadu_si128((const v16 *)(const void *)p);
}

static inline void st16(uint8_t *p, v16 v)
{
	_mm_storeu_si128((v16 *)(void *)p, v);
}

/* ---- SSE2 ---- */

static void fill_sse2(uint8_t *dst, size_t n, uint32_t px)
{
	size_t bytes = n * 4, i = 0;
	v16 v = _mm_set1_epi32((int)px);
	if (bytes >= 16) {
		/* Offsets stay multiples of 4 (the pattern repeats every 4
		 * bytes): one store at the start, then aligned ones when the
		 * start is 4-aligned. */
		st16(dst, v);
		uintptr_t mis = (uintptr_t)dst & 15;
		i = (mis & 3) ? 16 : 16 - mis;
		for (; i + 128 <= bytes; i += 128) {
			st16(dst + i, v);
			st16(dst + i + 16, v);
			st16(dst + i + 32, v);
			st16(dst + i + 48, v);
			st16(dst + i + 64, v);
			st16(dst + i + 80, v);
			st16(dst + i + 96, v);
			st16(dst + i + 112, v);
		}
		for (; i + 16 <= bytes; i += 16)
			st16(dst + i, v);
		if (i < bytes) /* the last 16 bytes, overlapping */
			st16(dst + bytes - 16, v);
		return;
	}
	for (; i < bytes; i += 4)
		memcpy(dst + i, &px, 4);
}

/* Forward is safe when dst < src (each turn loads before it stores, and
 * stores land below what is still to be loaded); backward when dst > src. */
static void copy_fwd_sse2(uint8_t *d, const uint8_t *s, size_t n)
{
	size_t i = 0;
	for (; i + 128 <= n; i += 128) {
		v16 a = ld16(s + i), b = ld16(s + i + 16), c = ld16(s + i + 32),
		    e = ld16(s + i + 48), f = ld16(s + i + 64),
		    g = ld16(s + i + 80), h = ld16(s + i + 96),
		    k = ld16(s + i + 112);
		st16(d + i, a);
		st16(d + i + 16, b);
		st16(d + i + 32, c);
		st16(d + i + 48, e);
		st16(d + i + 64, f);
		st16(d + i + 80, g);
		st16(d + i + 96, h);
		st16(d + i + 112, k);
	}
	for (; i + 16 <= n; i += 16)
		st16(d + i, ld16(s + i));
	for (; i < n; i++)
		d[i] = s[i];
}

static void copy_bwd_sse2(uint8_t *d, const uint8_t *s, size_t n)
{
	size_t i = n;
	while (i >= 128) {
		i -= 128;
		v16 a = ld16(s + i), b = ld16(s + i + 16), c = ld16(s + i + 32),
		    e = ld16(s + i + 48), f = ld16(s + i + 64),
		    g = ld16(s + i + 80), h = ld16(s + i + 96),
		    k = ld16(s + i + 112);
		st16(d + i + 112, k);
		st16(d + i + 96, h);
		st16(d + i + 80, g);
		st16(d + i + 64, f);
		st16(d + i + 48, e);
		st16(d + i + 32, c);
		st16(d + i + 16, b);
		st16(d + i, a);
	}
	while (i >= 16) {
		i -= 16;
		st16(d + i, ld16(s + i));
	}
	while (i > 0) {
		i--;
		d[i] = s[i];
	}
}

static void copy_sse2(uint8_t *dst, const uint8_t *src, size_t n)
{
	if (dst == src || n == 0)
		return;
	if (dst < src || dst >= src + n)
		copy_fwd_sse2(dst, src, n);
	else
		copy_bwd_sse2(dst, src, n);
}

static inline v16 swap16(v16 x)
{
	const v16 ga = _mm_set1_epi32((int)0xff00ff00u);
	const v16 rb = _mm_set1_epi32(0x00ff00ff);
	v16 p = _mm_and_si128(x, rb);
	return _mm_or_si128(
		_mm_and_si128(x, ga),
		_mm_or_si128(_mm_slli_epi32(p, 16), _mm_srli_epi32(p, 16)));
}

static void swap_tail(uint8_t *d, const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t r = s[4 * i], b = s[4 * i + 2];
		d[4 * i + 1] = s[4 * i + 1];
		d[4 * i + 3] = s[4 * i + 3];
		d[4 * i] = b;
		d[4 * i + 2] = r;
	}
}

static void swap_rb_sse2(uint8_t *dst, const uint8_t *src, size_t n)
{
	size_t bytes = n * 4, i = 0;
	for (; i + 64 <= bytes; i += 64) {
		v16 a = ld16(src + i), b = ld16(src + i + 16),
		    c = ld16(src + i + 32), e = ld16(src + i + 48);
		st16(dst + i, swap16(a));
		st16(dst + i + 16, swap16(b));
		st16(dst + i + 32, swap16(c));
		st16(dst + i + 48, swap16(e));
	}
	for (; i + 16 <= bytes; i += 16)
		st16(dst + i, swap16(ld16(src + i)));
	swap_tail(dst + i, src + i, (bytes - i) / 4);
}

const struct blit_kern blit_kern_sse2 = {
	.name = "sse2",
	.fill = fill_sse2,
	.copy = copy_sse2,
	.swap_rb = swap_rb_sse2,
};

/* ---- AVX2 ---- */

#define AVX2 __attribute__((target("avx2")))
typedef __m256i v32;

AVX2 static inline v32 ld32(const uint8_t *p)
{
	return _mm256_loadu_si256((const v32 *)(const void *)p);
}

AVX2 static inline void st32(uint8_t *p, v32 v)
{
	_mm256_storeu_si256((v32 *)(void *)p, v);
}

AVX2 static void fill_avx2(uint8_t *dst, size_t n, uint32_t px)
{
	size_t bytes = n * 4, i = 0;
	if (bytes < 32) {
		fill_sse2(dst, n, px);
		return;
	}
	v32 v = _mm256_set1_epi32((int)px);
	st32(dst, v);
	uintptr_t mis = (uintptr_t)dst & 31;
	i = (mis & 3) ? 32 : 32 - mis;
	for (; i + 256 <= bytes; i += 256) {
		st32(dst + i, v);
		st32(dst + i + 32, v);
		st32(dst + i + 64, v);
		st32(dst + i + 96, v);
		st32(dst + i + 128, v);
		st32(dst + i + 160, v);
		st32(dst + i + 192, v);
		st32(dst + i + 224, v);
	}
	for (; i + 32 <= bytes; i += 32)
		st32(dst + i, v);
	if (i < bytes)
		st32(dst + bytes - 32, v);
}

AVX2 static void copy_fwd_avx2(uint8_t *d, const uint8_t *s, size_t n)
{
	size_t i = 0;
	for (; i + 256 <= n; i += 256) {
		v32 a = ld32(s + i), b = ld32(s + i + 32), c = ld32(s + i + 64),
		    e = ld32(s + i + 96), f = ld32(s + i + 128),
		    g = ld32(s + i + 160), h = ld32(s + i + 192),
		    k = ld32(s + i + 224);
		st32(d + i, a);
		st32(d + i + 32, b);
		st32(d + i + 64, c);
		st32(d + i + 96, e);
		st32(d + i + 128, f);
		st32(d + i + 160, g);
		st32(d + i + 192, h);
		st32(d + i + 224, k);
	}
	for (; i + 32 <= n; i += 32)
		st32(d + i, ld32(s + i));
	copy_fwd_sse2(d + i, s + i, n - i);
}

AVX2 static void copy_bwd_avx2(uint8_t *d, const uint8_t *s, size_t n)
{
	size_t i = n;
	while (i >= 256) {
		i -= 256;
		v32 a = ld32(s + i), b = ld32(s + i + 32), c = ld32(s + i + 64),
		    e = ld32(s + i + 96), f = ld32(s + i + 128),
		    g = ld32(s + i + 160), h = ld32(s + i + 192),
		    k = ld32(s + i + 224);
		st32(d + i + 224, k);
		st32(d + i + 192, h);
		st32(d + i + 160, g);
		st32(d + i + 128, f);
		st32(d + i + 96, e);
		st32(d + i + 64, c);
		st32(d + i + 32, b);
		st32(d + i, a);
	}
	while (i >= 32) {
		i -= 32;
		st32(d + i, ld32(s + i));
	}
	copy_bwd_sse2(d, s, i);
}

AVX2 static void copy_avx2(uint8_t *dst, const uint8_t *src, size_t n)
{
	if (dst == src || n == 0)
		return;
	if (dst < src || dst >= src + n)
		copy_fwd_avx2(dst, src, n);
	else
		copy_bwd_avx2(dst, src, n);
}

AVX2 static void swap_rb_avx2(uint8_t *dst, const uint8_t *src, size_t n)
{
	const v32 sh = _mm256_setr_epi8(2, 1, 0, 3, 6, 5, 4, 7, 10, 9, 8, 11,
					14, 13, 12, 15, 2, 1, 0, 3, 6, 5, 4, 7,
					10, 9, 8, 11, 14, 13, 12, 15);
	size_t bytes = n * 4, i = 0;
	for (; i + 128 <= bytes; i += 128) {
		v32 a = ld32(src + i), b = ld32(src + i + 32),
		    c = ld32(src + i + 64), e = ld32(src + i + 96);
		st32(dst + i, _mm256_shuffle_epi8(a, sh));
		st32(dst + i + 32, _mm256_shuffle_epi8(b, sh));
		st32(dst + i + 64, _mm256_shuffle_epi8(c, sh));
		st32(dst + i + 96, _mm256_shuffle_epi8(e, sh));
	}
	for (; i + 32 <= bytes; i += 32)
		st32(dst + i, _mm256_shuffle_epi8(ld32(src + i), sh));
	swap_rb_sse2(dst + i, src + i, (bytes - i) / 4);
}

const struct blit_kern blit_kern_avx2 = {
	.name = "avx2",
	.fill = fill_avx2,
	.copy = copy_avx2,
	.swap_rb = swap_rb_avx2,
};
#endif
