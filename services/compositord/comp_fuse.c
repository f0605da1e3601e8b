/* comp_fuse: the fused pass of comp_blend (comp_blend.h,
 * comp_blend_fused): a run of layers over one span folded into dst in one
 * pass, SSSE3 8 pixels at a time, AVX2 16. Pure, host-tested. */
#include "comp_blend.h"

#include <execrt/comp_proto.h>

#include "comp_blend_int.h"

#if HAVE_SSE2 && defined(__x86_64__)
#include <immintrin.h>
#include <tmmintrin.h>

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
#endif

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
	if (comp_blend_ssse3() && k <= COMP_FUSE_MAX) {
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
		uint32_t x = n >= 16 && comp_blend_avx2()
				     ? v[w](dst, src, la, pp, k, n)
				     : 0;
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
