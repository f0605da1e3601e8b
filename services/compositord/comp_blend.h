/* comp_blend: compositord's pixel kernels, one row span at a time.
 *
 * dst: the output, XRGB8888 (uint32_t 0x00RRGGBB, bytes B G R X, as
 * /svc/display's buffers); its top byte is left undefined. src: a row of
 * BGRA8 pixels (uint32_t 0xAARRGGBB), straight (not premultiplied)
 * alpha; RGBA8 sources are swizzled into a row buffer first.
 *
 * The formula, per colour channel, all 8-bit with exact rounding
 * (div255(x) = round(x / 255)):
 *   a   = div255(src.a * la)          la: the layer's alpha, 0..255
 *   f   = normal: s | add: min(255, s + d) | mul: div255(s * d) |
 *         screen: s + d - div255(s * d)
 *   out = div255(f * a + d * (255 - a))
 * Fast paths (x86_64, SSE2 baseline, SSSE3 when CPUID has it): normal
 * blend with per-pixel alpha gives exactly the reference's bytes, spans
 * of 4 pixels all transparent skipped, all opaque copied; an opaque
 * source under one alpha (uniform) computes d + (s - d) * a / 255 in
 * fixed point: within 1 of the reference (tests/host/test_comp_blend.c
 * checks both against the scalar reference). A run of layers over the
 * same span (comp_blend_fused: opaque ones under one alpha, per-pixel
 * ones under any) is folded into dst in one pass, 16 pixels at a time
 * with AVX2 when CPUID and XCR0 allow it, else 8 with SSSE3: the same
 * bytes as the layers one by one.
 * Pure, host-tested. */
#pragma once
#include <stdint.h>

static inline uint32_t comp_div255(uint32_t x)
{
	x += 128;
	return (x + (x >> 8)) >> 8;
}

/* Blends n src pixels onto dst with layer alpha la and enum comp_blend
 * mode (the fast path where there is one). opaque: the caller knows
 * every src pixel has alpha 255 (a copy, or one alpha for the span).
 * rgba: src is RGBA8 (swizzled on the fly: pshufb with SSSE3, else a
 * row piece at a time). */
void comp_blend_row(uint32_t *dst, const uint32_t *src, uint32_t n, uint32_t la,
		    uint32_t mode, int opaque, int rgba);
/* k opaque sources of one format (rgba), normal blend, layer alphas
 * la[i] in 1..254, bottom first, onto the same n pixels: one pass over
 * dst, the same result as k comp_blend_row calls. base: src[0] is drawn
 * at alpha 1 (a copy, la[0] unused). */
#define COMP_FUSE_MAX 8u
void comp_blend_uniform_n(uint32_t *dst, const uint32_t *const *src,
			  const uint32_t *la, uint32_t k, uint32_t n, int rgba,
			  int base);
/* The same where the layers with bit i of pp set have per-pixel alpha
 * (any la in 1..255; normal blend): the same bytes as comp_blend_row
 * layer by layer, in one pass over dst (SSSE3; else those calls). */
void comp_blend_fused(uint32_t *dst, const uint32_t *const *src,
		      const uint32_t *la, uint32_t pp, uint32_t k, uint32_t n,
		      int rgba, int base);
/* The scalar reference of comp_blend_row. */
void comp_blend_row_ref(uint32_t *dst, const uint32_t *src, uint32_t n,
			uint32_t la, uint32_t mode);
/* n RGBA8 pixels (bytes R G B A) to BGRA8. */
void comp_swizzle_row(uint32_t *dst, const uint32_t *src, uint32_t n);
/* Tests: 1 = use the SSE2 path even where SSSE3 exists; 0 = detect. */
void comp_blend_force_sse2(int on);
/* Tests: 1 = no AVX2 (the fused pass in SSSE3 only); 0 = detect. */
void comp_blend_force_no_avx2(int on);
/* Whether all n pixels have alpha 255. */
int comp_row_opaque(const uint32_t *src, uint32_t n);
