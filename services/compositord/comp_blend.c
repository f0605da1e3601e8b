/* comp_blend: pixel kernels (comp_blend.h): one layer over a span, the
 * CPU features; the fused pass over a run of layers is comp_fuse.c. */
#include "comp_blend.h"

#include <string.h>

#include <execrt/comp_proto.h>

#include "comp_blend_int.h"

static inline uint32_t blend_ch(uint32_t s, uint32_t d, uint32_t a,
				uint32_t mode)
{
	uint32_t f;
	switch (mode) {
	case COMP_BLEND_ADD:
		f = s + d > 255 ? 255 : s + d;
		break;
	case COMP_BLEND_MUL:
		f = comp_div255(s * d);
		break;
	case COMP_BLEND_SCREEN:
		f = s + d - comp_div255(s * d);
		break;
	default:
		f = s;
		break;
	}
	return comp_div255(f * a + d * (255 - a));
}

static inline uint32_t blend_px(uint32_t d, uint32_t s, uint32_t la,
				uint32_t mode)
{
	uint32_t a = comp_div255((s >> 24) * la);
	if (a == 0)
		return d;
	if (a == 255 && mode == COMP_BLEND_NORMAL)
		return s;
	uint32_t b = blend_ch(s & 0xff, d & 0xff, a, mode);
	uint32_t g = blend_ch((s >> 8) & 0xff, (d >> 8) & 0xff, a, mode);
	uint32_t r = blend_ch((s >> 16) & 0xff, (d >> 16) & 0xff, a, mode);
	return (r << 16) | (g << 8) | b;
}

void comp_blend_row_ref(uint32_t *dst, const uint32_t *src, uint32_t n,
			uint32_t la, uint32_t mode)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t s = src[i], d = dst[i];
		uint32_t a = comp_div255((s >> 24) * la);
		uint32_t b = blend_ch(s & 0xff, d & 0xff, a, mode);
		uint32_t g =
			blend_ch((s >> 8) & 0xff, (d >> 8) & 0xff, a, mode);
		uint32_t r =
			blend_ch((s >> 16) & 0xff, (d >> 16) & 0xff, a, mode);
		dst[i] = (d & 0xff000000u) | (r << 16) | (g << 8) | b;
	}
}

#if HAVE_SSE2
/* div255 of 8 unsigned 16-bit lanes, exact for x <= 255 * 255. */
static inline __m128i div255_epu16(__m128i x)
{
	x = _mm_add_epi16(x, _mm_set1_epi16(128));
	return _mm_srli_epi16(_mm_add_epi16(x, _mm_srli_epi16(x, 8)), 8);
}

/* Two pixels (16-bit lanes) of normal blend with per-lane alpha a. */
static inline __m128i mix16(__m128i s, __m128i d, __m128i a)
{
	__m128i ia = _mm_sub_epi16(_mm_set1_epi16(255), a);
	return div255_epu16(
		_mm_add_epi16(_mm_mullo_epi16(s, a), _mm_mullo_epi16(d, ia)));
}

/* Each pixel's alpha in its 4 lanes, times la (unless 255). */
static inline __m128i alpha16(__m128i s, __m128i la, int scale)
{
	__m128i a = _mm_shufflehi_epi16(_mm_shufflelo_epi16(s, 0xff), 0xff);
	return scale ? div255_epu16(_mm_mullo_epi16(a, la)) : a;
}

static void normal_sse2(uint32_t *dst, const uint32_t *src, uint32_t n,
			uint32_t la)
{
	const __m128i z = _mm_setzero_si128();
	const __m128i amask = _mm_set1_epi32((int)0xff000000u);
	const __m128i la16 = _mm_set1_epi16((short)la);
	const int scale = la != 255;
	uint32_t i = 0;
	for (; i + 4 <= n; i += 4) {
		__m128i s = _mm_loadu_si128((const __m128i *)(src + i));
		__m128i al = _mm_and_si128(s, amask);
		int m0 = _mm_movemask_epi8(_mm_cmpeq_epi32(al, z));
		if (m0 == 0xffff)
			continue; /* all transparent */
		if (!scale &&
		    _mm_movemask_epi8(_mm_cmpeq_epi32(al, amask)) == 0xffff) {
			_mm_storeu_si128((__m128i *)(dst + i), s);
			continue; /* all opaque */
		}
		__m128i d = _mm_loadu_si128((const __m128i *)(dst + i));
		__m128i slo = _mm_unpacklo_epi8(s, z),
			shi = _mm_unpackhi_epi8(s, z);
		__m128i dlo = _mm_unpacklo_epi8(d, z),
			dhi = _mm_unpackhi_epi8(d, z);
		__m128i lo = mix16(slo, dlo, alpha16(slo, la16, scale));
		__m128i hi = mix16(shi, dhi, alpha16(shi, la16, scale));
		_mm_storeu_si128((__m128i *)(dst + i),
				 _mm_packus_epi16(lo, hi));
	}
	for (; i < n; i++)
		dst[i] = blend_px(dst[i], src[i], la, COMP_BLEND_NORMAL);
}

/* Every source pixel opaque (the caller knows) and la < 255: one
 * alpha a for the span. out = d + (s - d) * a / 255 in 16-bit lanes with
 * a in Q15 (a * 32768 / 255): 3 operations per 2 pixels' 8 lanes with
 * SSSE3's rounding multiply (pmulhrsw: within 1/2 of the exact value, so
 * the bytes equal the formula's or differ by 1 at a tie), 4 with SSE2's
 * truncating one ((s - d) * 2 * A >> 16: floor, within 1). */
#define UNIFORM_BODY(MUL, LOAD)                                                \
	const __m128i z = _mm_setzero_si128();                                 \
	const __m128i *sp = (const __m128i *)src;                              \
	__m128i *dp = (__m128i *)dst;                                          \
	for (uint32_t k = n / 8; k; k--, sp += 2, dp += 2) {                   \
		__m128i s0 = LOAD(sp), s1 = LOAD(sp + 1);                      \
		__m128i d0 = _mm_loadu_si128(dp),                              \
			d1 = _mm_loadu_si128(dp + 1);                          \
		__m128i dl = _mm_unpacklo_epi8(d0, z);                         \
		__m128i dh = _mm_unpackhi_epi8(d0, z);                         \
		__m128i a = MUL(_mm_sub_epi16(_mm_unpacklo_epi8(s0, z), dl));  \
		__m128i b = MUL(_mm_sub_epi16(_mm_unpackhi_epi8(s0, z), dh));  \
		_mm_storeu_si128(dp, _mm_packus_epi16(_mm_add_epi16(a, dl),    \
						      _mm_add_epi16(b, dh)));  \
		dl = _mm_unpacklo_epi8(d1, z);                                 \
		dh = _mm_unpackhi_epi8(d1, z);                                 \
		a = MUL(_mm_sub_epi16(_mm_unpacklo_epi8(s1, z), dl));          \
		b = MUL(_mm_sub_epi16(_mm_unpackhi_epi8(s1, z), dh));          \
		_mm_storeu_si128(dp + 1,                                       \
				 _mm_packus_epi16(_mm_add_epi16(a, dl),        \
						  _mm_add_epi16(b, dh)));      \
	}                                                                      \
	for (uint32_t i = n & ~7u; i < n; i++) /* div255(255 * a) == a */      \
		dst[i] = blend_px(dst[i], src[i], a8, COMP_BLEND_NORMAL);

static void uniform_sse2(uint32_t *dst, const uint32_t *src, uint32_t n,
			 uint32_t a8)
{
	const __m128i A = _mm_set1_epi16((short)q15(a8));
#define MUL_SSE2(x) _mm_mulhi_epi16(_mm_slli_epi16((x), 1), A)
	UNIFORM_BODY(MUL_SSE2, _mm_loadu_si128)
#undef MUL_SSE2
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <tmmintrin.h>

#define LOAD_SWAP(p) _mm_shuffle_epi8(_mm_loadu_si128(p), SW)

__attribute__((target("ssse3"))) void
uniform_ssse3(uint32_t *dst, const uint32_t *src, uint32_t n, uint32_t a8)
{
	const __m128i A = _mm_set1_epi16((short)q15(a8));
#define MUL_SSSE3(x) _mm_mulhrs_epi16((x), A)
	UNIFORM_BODY(MUL_SSSE3, _mm_loadu_si128)
}

/* The same reading RGBA8 (the tail through blend_px, swizzled). */
__attribute__((target("ssse3"))) void
uniform_rgba_ssse3(uint32_t *dst, const uint32_t *src0, uint32_t n, uint32_t a8)
{
	const __m128i A = _mm_set1_epi16((short)q15(a8));
	const __m128i SW = SWAP_MASK;
	const __m128i *sp = (const __m128i *)src0;
	__m128i *dp = (__m128i *)dst;
	const __m128i z = _mm_setzero_si128();
	for (uint32_t k = n / 8; k; k--, sp += 2, dp += 2) {
		__m128i s0 = LOAD_SWAP(sp), s1 = LOAD_SWAP(sp + 1);
		__m128i d0 = _mm_loadu_si128(dp), d1 = _mm_loadu_si128(dp + 1);
		__m128i dl = _mm_unpacklo_epi8(d0, z);
		__m128i dh = _mm_unpackhi_epi8(d0, z);
		__m128i a =
			MUL_SSSE3(_mm_sub_epi16(_mm_unpacklo_epi8(s0, z), dl));
		__m128i b =
			MUL_SSSE3(_mm_sub_epi16(_mm_unpackhi_epi8(s0, z), dh));
		_mm_storeu_si128(dp, _mm_packus_epi16(_mm_add_epi16(a, dl),
						      _mm_add_epi16(b, dh)));
		dl = _mm_unpacklo_epi8(d1, z);
		dh = _mm_unpackhi_epi8(d1, z);
		a = MUL_SSSE3(_mm_sub_epi16(_mm_unpacklo_epi8(s1, z), dl));
		b = MUL_SSSE3(_mm_sub_epi16(_mm_unpackhi_epi8(s1, z), dh));
		_mm_storeu_si128(dp + 1,
				 _mm_packus_epi16(_mm_add_epi16(a, dl),
						  _mm_add_epi16(b, dh)));
	}
	uint32_t base = n & ~7u, tail[8];
	comp_swizzle_row(tail, src0 + base, n - base);
	for (uint32_t j = 0; j < n - base; j++)
		dst[base + j] =
			blend_px(dst[base + j], tail[j], a8, COMP_BLEND_NORMAL);
#undef MUL_SSSE3
}

/* An opaque RGBA8 span at alpha 1: a swizzling copy. */
__attribute__((target("ssse3"))) void
copy_rgba_ssse3(uint32_t *dst, const uint32_t *src, uint32_t n)
{
	const __m128i SW = SWAP_MASK;
	const __m128i *sp = (const __m128i *)src;
	__m128i *dp = (__m128i *)dst;
	for (uint32_t k = n / 4; k; k--)
		_mm_storeu_si128(dp++, LOAD_SWAP(sp++));
	comp_swizzle_row(dst + (n & ~3u), src + (n & ~3u), n & 3u);
}

/* Per-pixel alpha, normal blend: each pixel's alpha (times la) in Q15
 * in its 4 lanes, then as uniform. Groups of 8 pixels all transparent
 * are skipped, all opaque (la 255) copied. Within 1 of the reference. */
__attribute__((target("ssse3"), always_inline)) static inline void
normal_body(uint32_t *dst, const uint32_t *src0, uint32_t n, uint32_t la,
	    const int rgba)
{
	const __m128i SW = SWAP_MASK;
	const __m128i z = _mm_setzero_si128();
	const __m128i amask = _mm_set1_epi32((int)0xff000000u);
	/* Alpha bytes (3, 7; 11, 15) zero-extended into each 16-bit lane. */
	const __m128i lo_a = _mm_setr_epi8(3, -1, 3, -1, 3, -1, 3, -1, 7, -1, 7,
					   -1, 7, -1, 7, -1);
	const __m128i hi_a = _mm_setr_epi8(11, -1, 11, -1, 11, -1, 11, -1, 15,
					   -1, 15, -1, 15, -1, 15, -1);
	const __m128i m257 = _mm_set1_epi16(257);
	const __m128i LA = _mm_set1_epi16((short)q15(la < 255 ? la : 254));
	const int scale = la != 255;
	const __m128i *sp = (const __m128i *)src0;
	__m128i *dp = (__m128i *)dst;
	for (uint32_t k = n / 8; k; k--, sp += 2, dp += 2) {
		__m128i s0 = _mm_loadu_si128(sp), s1 = _mm_loadu_si128(sp + 1);
		if (rgba) {
			s0 = _mm_shuffle_epi8(s0, SW);
			s1 = _mm_shuffle_epi8(s1, SW);
		}
		__m128i and = _mm_and_si128(_mm_and_si128(s0, s1), amask);
		__m128i or = _mm_and_si128(_mm_or_si128(s0, s1), amask);
		if (_mm_movemask_epi8(_mm_cmpeq_epi32(or, z)) == 0xffff)
			continue;
		if (!scale &&
		    _mm_movemask_epi8(_mm_cmpeq_epi32(and, amask)) == 0xffff) {
			_mm_storeu_si128(dp, s0);
			_mm_storeu_si128(dp + 1, s1);
			continue;
		}
		for (int h = 0; h < 2; h++) {
			__m128i sv = h ? s1 : s0;
			__m128i d = _mm_loadu_si128(dp + h);
			/* a * 257 / 2 = a * 32768 / 255 within 1/2. */
			__m128i al = _mm_srli_epi16(
				_mm_mullo_epi16(_mm_shuffle_epi8(sv, lo_a),
						m257),
				1);
			__m128i ah = _mm_srli_epi16(
				_mm_mullo_epi16(_mm_shuffle_epi8(sv, hi_a),
						m257),
				1);
			if (scale) {
				al = _mm_mulhrs_epi16(al, LA);
				ah = _mm_mulhrs_epi16(ah, LA);
			}
			__m128i dl = _mm_unpacklo_epi8(d, z);
			__m128i dh = _mm_unpackhi_epi8(d, z);
			__m128i x = _mm_mulhrs_epi16(
				_mm_sub_epi16(_mm_unpacklo_epi8(sv, z), dl),
				al);
			__m128i y = _mm_mulhrs_epi16(
				_mm_sub_epi16(_mm_unpackhi_epi8(sv, z), dh),
				ah);
			_mm_storeu_si128(
				dp + h, _mm_packus_epi16(_mm_add_epi16(x, dl),
							 _mm_add_epi16(y, dh)));
		}
	}
	uint32_t base = n & ~7u, tail[8];
	const uint32_t *tp = src0 + base;
	if (rgba) {
		comp_swizzle_row(tail, tp, n - base);
		tp = tail;
	}
	for (uint32_t j = 0; j < n - base; j++)
		dst[base + j] =
			blend_px(dst[base + j], tp[j], la, COMP_BLEND_NORMAL);
}

__attribute__((target("ssse3"))) void
normal_ssse3(uint32_t *dst, const uint32_t *src, uint32_t n, uint32_t la)
{
	normal_body(dst, src, n, la, 0);
}

__attribute__((target("ssse3"))) void
normal_rgba_ssse3(uint32_t *dst, const uint32_t *src, uint32_t n, uint32_t la)
{
	normal_body(dst, src, n, la, 1);
}

void copy_ssse3(uint32_t *dst, const uint32_t *src, uint32_t n)
{
	memcpy(dst, src, n * 4u);
}

static int have_ssse3 = -1, have_avx2 = -1;

/* CPUID AVX2, and the OS saves the AVX state (OSXSAVE, XCR0 bits 1-2). */
int comp_blend_avx2(void)
{
	if (have_avx2 < 0) {
		unsigned a, b, c, d;
		have_avx2 = 0;
		if (__get_cpuid(1, &a, &b, &c, &d) && (c & bit_OSXSAVE) &&
		    (c & bit_AVX) && __get_cpuid_max(0, NULL) >= 7) {
			uint32_t lo, hi;
			__asm__ volatile("xgetbv"
					 : "=a"(lo), "=d"(hi)
					 : "c"(0));
			__cpuid_count(7, 0, a, b, c, d);
			have_avx2 = (lo & 6) == 6 && (b & bit_AVX2);
		}
	}
	return have_avx2;
}

int comp_blend_ssse3(void)
{
	if (have_ssse3 < 0) {
		unsigned a, b, c, d;
		have_ssse3 = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSSE3);
	}
	return have_ssse3;
}

void comp_blend_force_sse2(int on)
{
	have_ssse3 = on ? 0 : -1;
	have_avx2 = on ? 0 : -1;
}

void comp_blend_force_no_avx2(int on)
{
	have_avx2 = on ? 0 : -1;
}
#else
void comp_blend_force_sse2(int on)
{
	(void)on;
}

void comp_blend_force_no_avx2(int on)
{
	(void)on;
}
#endif

/* The normal-blend fast paths; false when rgba needs the caller to
 * swizzle first (no SSSE3). */
static int normal_fast(uint32_t *dst, const uint32_t *src, uint32_t n,
		       uint32_t la, int opaque, int rgba)
{
#if defined(__x86_64__)
	if (comp_blend_ssse3()) {
		if (opaque && la == 255)
			rgba ? copy_rgba_ssse3(dst, src, n)
			     : (void)memcpy(dst, src, n * 4u);
		else if (opaque)
			(rgba ? uniform_rgba_ssse3 : uniform_ssse3)(dst, src, n,
								    la);
		else
			(rgba ? normal_rgba_ssse3 : normal_ssse3)(dst, src, n,
								  la);
		return 1;
	}
#endif
	if (rgba)
		return 0;
	if (opaque && la == 255)
		memcpy(dst, src, n * 4u);
	else if (opaque)
		uniform_sse2(dst, src, n, la);
	else
		normal_sse2(dst, src, n, la);
	return 1;
}
#else
void comp_blend_force_sse2(int on)
{
	(void)on;
}

void comp_blend_force_no_avx2(int on)
{
	(void)on;
}
#endif

int comp_row_opaque(const uint32_t *src, uint32_t n)
{
	uint64_t acc = ~0ull, two;
	uint32_t i = 0;
	for (; i + 2 <= n; i += 2) { /* two pixels an operation */
		memcpy(&two, src + i, 8);
		acc &= two;
	}
	uint32_t last = i < n ? src[i] : ~0u;
	return ((acc >> 24) & (acc >> 56) & (last >> 24) & 0xff) == 0xff;
}

void comp_blend_row(uint32_t *dst, const uint32_t *src, uint32_t n, uint32_t la,
		    uint32_t mode, int opaque, int rgba)
{
	if (la == 0 || n == 0)
		return;
#if HAVE_SSE2
	if (mode == COMP_BLEND_NORMAL &&
	    normal_fast(dst, src, n, la, opaque, rgba))
		return;
#endif
	if (rgba) { /* swizzled a piece at a time, then as BGRA8 */
		uint32_t buf[256];
		for (uint32_t i = 0; i < n; i += 256) {
			uint32_t k = n - i < 256 ? n - i : 256;
			comp_swizzle_row(buf, src + i, k);
			comp_blend_row(dst + i, buf, k, la, mode, opaque, 0);
		}
		return;
	}
	if (mode == COMP_BLEND_NORMAL && opaque && la == 255) {
		memcpy(dst, src, n * 4u);
		return;
	}
	for (uint32_t i = 0; i < n; i++)
		dst[i] = blend_px(dst[i], src[i], la, mode);
}

void comp_swizzle_row(uint32_t *dst, const uint32_t *src, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t p = src[i];
		dst[i] = (p & 0xff00ff00u) | ((p >> 16) & 0xffu) |
			 ((p & 0xffu) << 16);
	}
}
