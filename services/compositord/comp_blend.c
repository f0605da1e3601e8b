/* comp_blend: pixel kernels (comp_blend.h). */
#include "comp_blend.h"

#include <string.h>

#include <execrt/comp_proto.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#define HAVE_SSE2 1
#else
#define HAVE_SSE2 0
#endif

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

static inline uint32_t q15(uint32_t a)
{
	return (a * 32768u + 127u) / 255u;
}

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

/* RGBA8 bytes R G B A -> B G R A, 4 pixels at once. */
#define SWAP_MASK                                                              \
	_mm_setr_epi8(2, 1, 0, 3, 6, 5, 4, 7, 10, 9, 8, 11, 14, 13, 12, 15)
#define LOAD_SWAP(p) _mm_shuffle_epi8(_mm_loadu_si128(p), SW)

__attribute__((target("ssse3"))) static void
uniform_ssse3(uint32_t *dst, const uint32_t *src, uint32_t n, uint32_t a8)
{
	const __m128i A = _mm_set1_epi16((short)q15(a8));
#define MUL_SSSE3(x) _mm_mulhrs_epi16((x), A)
	UNIFORM_BODY(MUL_SSSE3, _mm_loadu_si128)
}

/* The same reading RGBA8 (the tail through blend_px, swizzled). */
__attribute__((target("ssse3"))) static void
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
__attribute__((target("ssse3"))) static void
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

__attribute__((target("ssse3"))) static void
normal_ssse3(uint32_t *dst, const uint32_t *src, uint32_t n, uint32_t la)
{
	normal_body(dst, src, n, la, 0);
}

__attribute__((target("ssse3"))) static void
normal_rgba_ssse3(uint32_t *dst, const uint32_t *src, uint32_t n, uint32_t la)
{
	normal_body(dst, src, n, la, 1);
}

static void copy_ssse3(uint32_t *dst, const uint32_t *src, uint32_t n)
{
	memcpy(dst, src, n * 4u);
}

/* k opaque layers of one format at alphas < 255, one pass: dst is
 * loaded and widened once, each layer folded in at 16 bits (each step
 * stays between d and s, so no byte is lost: the same bytes as k
 * passes). With base, src[0] is an opaque layer at alpha 1 that replaces
 * dst. RGBA8 layers are blended in their own byte order (R and B are
 * treated alike) and only dst and the result are swizzled. */
/* Mixed (pp, a bit per layer): the layers whose bit is set have
 * per-pixel alpha, any la in 1..255, and get normal_body's arithmetic:
 * each pixel's alpha a as a * 257 / 2 (a pshufb that puts a in both
 * bytes of a lane, a shift), times la in Q15 unless 255; a group of 8
 * pixels all transparent leaves the sum as it is. The same bytes as
 * comp_blend_row layer by layer (tests/host/test_comp_blend.c). */
__attribute__((target("ssse3"), always_inline)) static inline void
uniform_n_body(uint32_t *dst, const uint32_t *const *src, const uint32_t *la,
	       uint32_t k, uint32_t n, const int rgba, const int base,
	       const int mixed, uint32_t pp)
{
	const __m128i SW = SWAP_MASK, z = _mm_setzero_si128();
	const __m128i amask = _mm_set1_epi32((int)0xff000000u);
	/* Alpha bytes (3, 7; 11, 15) into both bytes of each 16-bit lane. */
	const __m128i lo_a =
		_mm_setr_epi8(3, 3, 3, 3, 3, 3, 3, 3, 7, 7, 7, 7, 7, 7, 7, 7);
	const __m128i hi_a = _mm_setr_epi8(11, 11, 11, 11, 11, 11, 11, 11, 15,
					   15, 15, 15, 15, 15, 15, 15);
	__m128i A[COMP_FUSE_MAX];
	for (uint32_t i = base; i < k; i++)
		A[i] = _mm_set1_epi16(
			(short)q15(mixed && la[i] == 255 ? 254 : la[i]));
	uint32_t x = 0;
	for (; x + 8 <= n; x += 8) {
		__m128i d0, d1;
		if (base) {
			d0 = _mm_loadu_si128((const __m128i *)(src[0] + x));
			d1 = _mm_loadu_si128((const __m128i *)(src[0] + x + 4));
		} else {
			d0 = _mm_loadu_si128((const __m128i *)(dst + x));
			d1 = _mm_loadu_si128((const __m128i *)(dst + x + 4));
			if (rgba) {
				d0 = _mm_shuffle_epi8(d0, SW);
				d1 = _mm_shuffle_epi8(d1, SW);
			}
		}
		__m128i a = _mm_unpacklo_epi8(d0, z),
			b = _mm_unpackhi_epi8(d0, z);
		__m128i c = _mm_unpacklo_epi8(d1, z),
			e = _mm_unpackhi_epi8(d1, z);
		for (uint32_t i = base; i < k; i++) {
			const __m128i *p = (const __m128i *)(src[i] + x);
			__m128i s0 = _mm_loadu_si128(p),
				s1 = _mm_loadu_si128(p + 1);
			if (mixed && (pp >> i & 1)) {
				__m128i or = _mm_and_si128(_mm_or_si128(s0, s1),
							   amask);
				if (_mm_movemask_epi8(_mm_cmpeq_epi32(or, z)) ==
				    0xffff)
					continue; /* all transparent */
				__m128i a0 = _mm_srli_epi16(
					_mm_shuffle_epi8(s0, lo_a), 1);
				__m128i b0 = _mm_srli_epi16(
					_mm_shuffle_epi8(s0, hi_a), 1);
				__m128i c0 = _mm_srli_epi16(
					_mm_shuffle_epi8(s1, lo_a), 1);
				__m128i e0 = _mm_srli_epi16(
					_mm_shuffle_epi8(s1, hi_a), 1);
				if (la[i] != 255) {
					a0 = _mm_mulhrs_epi16(a0, A[i]);
					b0 = _mm_mulhrs_epi16(b0, A[i]);
					c0 = _mm_mulhrs_epi16(c0, A[i]);
					e0 = _mm_mulhrs_epi16(e0, A[i]);
				}
				a = _mm_add_epi16(
					_mm_mulhrs_epi16(
						_mm_sub_epi16(_mm_unpacklo_epi8(
								      s0, z),
							      a),
						a0),
					a);
				b = _mm_add_epi16(
					_mm_mulhrs_epi16(
						_mm_sub_epi16(_mm_unpackhi_epi8(
								      s0, z),
							      b),
						b0),
					b);
				c = _mm_add_epi16(
					_mm_mulhrs_epi16(
						_mm_sub_epi16(_mm_unpacklo_epi8(
								      s1, z),
							      c),
						c0),
					c);
				e = _mm_add_epi16(
					_mm_mulhrs_epi16(
						_mm_sub_epi16(_mm_unpackhi_epi8(
								      s1, z),
							      e),
						e0),
					e);
				continue;
			}
			a = _mm_add_epi16(
				_mm_mulhrs_epi16(
					_mm_sub_epi16(_mm_unpacklo_epi8(s0, z),
						      a),
					A[i]),
				a);
			b = _mm_add_epi16(
				_mm_mulhrs_epi16(
					_mm_sub_epi16(_mm_unpackhi_epi8(s0, z),
						      b),
					A[i]),
				b);
			c = _mm_add_epi16(
				_mm_mulhrs_epi16(
					_mm_sub_epi16(_mm_unpacklo_epi8(s1, z),
						      c),
					A[i]),
				c);
			e = _mm_add_epi16(
				_mm_mulhrs_epi16(
					_mm_sub_epi16(_mm_unpackhi_epi8(s1, z),
						      e),
					A[i]),
				e);
		}
		d0 = _mm_packus_epi16(a, b);
		d1 = _mm_packus_epi16(c, e);
		if (rgba) {
			d0 = _mm_shuffle_epi8(d0, SW);
			d1 = _mm_shuffle_epi8(d1, SW);
		}
		_mm_storeu_si128((__m128i *)(dst + x), d0);
		_mm_storeu_si128((__m128i *)(dst + x + 4), d1);
	}
	if (x == n)
		return;
	if (base)
		(rgba ? copy_rgba_ssse3 : copy_ssse3)(dst + x, src[0] + x,
						      n - x);
	for (uint32_t i = base; i < k; i++) {
		if (mixed && (pp >> i & 1))
			(rgba ? normal_rgba_ssse3 : normal_ssse3)(
				dst + x, src[i] + x, n - x, la[i]);
		else
			(rgba ? uniform_rgba_ssse3 : uniform_ssse3)(
				dst + x, src[i] + x, n - x, la[i]);
	}
}

#define UNIFORM_N(name, rgba, base, mixed)                                     \
	__attribute__((target("ssse3"))) static void name(                     \
		uint32_t *dst, const uint32_t *const *src, const uint32_t *la, \
		uint32_t pp, uint32_t k, uint32_t n)                           \
	{                                                                      \
		uniform_n_body(dst, src, la, k, n, rgba, base, mixed, pp);     \
	}
UNIFORM_N(uniform_n_ssse3, 0, 0, 0)
UNIFORM_N(uniform_n_rgba_ssse3, 1, 0, 0)
UNIFORM_N(uniform_nb_ssse3, 0, 1, 0)
UNIFORM_N(uniform_nb_rgba_ssse3, 1, 1, 0)
UNIFORM_N(mixed_n_ssse3, 0, 0, 1)
UNIFORM_N(mixed_n_rgba_ssse3, 1, 0, 1)
UNIFORM_N(mixed_nb_ssse3, 0, 1, 1)
UNIFORM_N(mixed_nb_rgba_ssse3, 1, 1, 1)

#include <immintrin.h>

/* The fused pass (uniform_n_body) 16 pixels at a time in AVX2's 256-bit
 * registers: every operation works within each 128-bit half (pshufb,
 * unpack, pack), so each half is the SSSE3 code on its 4 pixels and the
 * bytes are the same; the rest of the row (< 16) goes through SSSE3.
 * Under -icount an instruction counts once whatever its width: this
 * halves the composition's count. */
__attribute__((target("avx2"), always_inline)) static inline uint32_t
fused_avx2_body(uint32_t *dst, const uint32_t *const *src, const uint32_t *la,
		uint32_t k, uint32_t n, const int rgba, const int base,
		const int mixed, uint32_t pp)
{
	const __m256i SW = _mm256_broadcastsi128_si256(SWAP_MASK);
	const __m256i z = _mm256_setzero_si256();
	const __m256i amask = _mm256_set1_epi32((int)0xff000000u);
	const __m256i lo_a = _mm256_broadcastsi128_si256(
		_mm_setr_epi8(3, 3, 3, 3, 3, 3, 3, 3, 7, 7, 7, 7, 7, 7, 7, 7));
	const __m256i hi_a = _mm256_broadcastsi128_si256(
		_mm_setr_epi8(11, 11, 11, 11, 11, 11, 11, 11, 15, 15, 15, 15,
			      15, 15, 15, 15));
	__m256i A[COMP_FUSE_MAX];
	for (uint32_t i = base; i < k; i++)
		A[i] = _mm256_set1_epi16(
			(short)q15(mixed && la[i] == 255 ? 254 : la[i]));
	uint32_t x = 0;
	for (; x + 16 <= n; x += 16) {
		__m256i d0, d1;
		const __m256i *bp =
			(const __m256i *)(base ? src[0] + x : dst + x);
		d0 = _mm256_loadu_si256(bp);
		d1 = _mm256_loadu_si256(bp + 1);
		if (rgba && !base) {
			d0 = _mm256_shuffle_epi8(d0, SW);
			d1 = _mm256_shuffle_epi8(d1, SW);
		}
		__m256i a = _mm256_unpacklo_epi8(d0, z),
			b = _mm256_unpackhi_epi8(d0, z);
		__m256i c = _mm256_unpacklo_epi8(d1, z),
			e = _mm256_unpackhi_epi8(d1, z);
		for (uint32_t i = base; i < k; i++) {
			const __m256i *p = (const __m256i *)(src[i] + x);
			__m256i s0 = _mm256_loadu_si256(p),
				s1 = _mm256_loadu_si256(p + 1);
			__m256i a0, b0, c0, e0;
			if (mixed && (pp >> i & 1)) {
				__m256i or
					= _mm256_and_si256(
						_mm256_or_si256(s0, s1), amask);
				if (_mm256_movemask_epi8(
					    _mm256_cmpeq_epi32(or, z)) == -1)
					continue; /* all transparent */
				a0 = _mm256_srli_epi16(
					_mm256_shuffle_epi8(s0, lo_a), 1);
				b0 = _mm256_srli_epi16(
					_mm256_shuffle_epi8(s0, hi_a), 1);
				c0 = _mm256_srli_epi16(
					_mm256_shuffle_epi8(s1, lo_a), 1);
				e0 = _mm256_srli_epi16(
					_mm256_shuffle_epi8(s1, hi_a), 1);
				if (la[i] != 255) {
					a0 = _mm256_mulhrs_epi16(a0, A[i]);
					b0 = _mm256_mulhrs_epi16(b0, A[i]);
					c0 = _mm256_mulhrs_epi16(c0, A[i]);
					e0 = _mm256_mulhrs_epi16(e0, A[i]);
				}
			} else {
				a0 = b0 = c0 = e0 = A[i];
			}
			a = _mm256_add_epi16(
				_mm256_mulhrs_epi16(
					_mm256_sub_epi16(
						_mm256_unpacklo_epi8(s0, z), a),
					a0),
				a);
			b = _mm256_add_epi16(
				_mm256_mulhrs_epi16(
					_mm256_sub_epi16(
						_mm256_unpackhi_epi8(s0, z), b),
					b0),
				b);
			c = _mm256_add_epi16(
				_mm256_mulhrs_epi16(
					_mm256_sub_epi16(
						_mm256_unpacklo_epi8(s1, z), c),
					c0),
				c);
			e = _mm256_add_epi16(
				_mm256_mulhrs_epi16(
					_mm256_sub_epi16(
						_mm256_unpackhi_epi8(s1, z), e),
					e0),
				e);
		}
		d0 = _mm256_packus_epi16(a, b);
		d1 = _mm256_packus_epi16(c, e);
		if (rgba) {
			d0 = _mm256_shuffle_epi8(d0, SW);
			d1 = _mm256_shuffle_epi8(d1, SW);
		}
		_mm256_storeu_si256((__m256i *)(dst + x), d0);
		_mm256_storeu_si256((__m256i *)(dst + x) + 1, d1);
	}
	return x;
}

#define FUSED_AVX2(name, rgba, base, mixed)                                    \
	__attribute__((target("avx2"))) static uint32_t name(                  \
		uint32_t *dst, const uint32_t *const *src, const uint32_t *la, \
		uint32_t pp, uint32_t k, uint32_t n)                           \
	{                                                                      \
		return fused_avx2_body(dst, src, la, k, n, rgba, base, mixed,  \
				       pp);                                    \
	}
FUSED_AVX2(fused_avx2_u, 0, 0, 0)
FUSED_AVX2(fused_avx2_u_rgba, 1, 0, 0)
FUSED_AVX2(fused_avx2_ub, 0, 1, 0)
FUSED_AVX2(fused_avx2_ub_rgba, 1, 1, 0)
FUSED_AVX2(fused_avx2_m, 0, 0, 1)
FUSED_AVX2(fused_avx2_m_rgba, 1, 0, 1)
FUSED_AVX2(fused_avx2_mb, 0, 1, 1)
FUSED_AVX2(fused_avx2_mb_rgba, 1, 1, 1)

static int have_ssse3 = -1, have_avx2 = -1;

/* CPUID AVX2, and the OS saves the AVX state (OSXSAVE, XCR0 bits 1-2). */
static int avx2(void)
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

static int ssse3(void)
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
	if (ssse3()) {
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

void comp_blend_uniform_n(uint32_t *dst, const uint32_t *const *src,
			  const uint32_t *la, uint32_t k, uint32_t n, int rgba,
			  int base)
{
	comp_blend_fused(dst, src, la, 0, k, n, rgba, base);
}

void comp_blend_fused(uint32_t *dst, const uint32_t *const *src,
		      const uint32_t *la, uint32_t pp, uint32_t k, uint32_t n,
		      int rgba, int base)
{
	if (base)
		pp &= ~1u;
#if HAVE_SSE2 && defined(__x86_64__)
	if (ssse3() && k <= COMP_FUSE_MAX) {
		static void (*const f[8])(uint32_t *, const uint32_t *const *,
					  const uint32_t *, uint32_t, uint32_t,
					  uint32_t) = {
			uniform_n_ssse3,  uniform_n_rgba_ssse3,
			uniform_nb_ssse3, uniform_nb_rgba_ssse3,
			mixed_n_ssse3,	  mixed_n_rgba_ssse3,
			mixed_nb_ssse3,	  mixed_nb_rgba_ssse3,
		};
		static uint32_t (*const v[8])(
			uint32_t *, const uint32_t *const *, const uint32_t *,
			uint32_t, uint32_t, uint32_t) = {
			fused_avx2_u,  fused_avx2_u_rgba,
			fused_avx2_ub, fused_avx2_ub_rgba,
			fused_avx2_m,  fused_avx2_m_rgba,
			fused_avx2_mb, fused_avx2_mb_rgba,
		};
		uint32_t w = (pp ? 4 : 0) | (base ? 2 : 0) | (rgba ? 1 : 0);
		uint32_t x =
			n >= 16 && avx2() ? v[w](dst, src, la, pp, k, n) : 0;
		if (x == n)
			return;
		const uint32_t *rest[COMP_FUSE_MAX];
		for (uint32_t i = 0; i < k; i++)
			rest[i] = src[i] + x;
		f[w](dst + x, rest, la, pp, k, n - x);
		return;
	}
#endif
	for (uint32_t i = 0; i < k; i++)
		comp_blend_row(dst, src[i], n, base && i == 0 ? 255 : la[i],
			       COMP_BLEND_NORMAL, !(pp >> i & 1), rgba);
}

void comp_swizzle_row(uint32_t *dst, const uint32_t *src, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t p = src[i];
		dst[i] = (p & 0xff00ff00u) | ((p >> 16) & 0xffu) |
			 ((p & 0xffu) << 16);
	}
}
