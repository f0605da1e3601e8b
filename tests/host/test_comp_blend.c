/* compositord's pixel kernels (services/compositord/comp_blend.c) and
 * renderer (comp_render.c): the 8-bit formula within 1 of the exact
 * result, the SSE2 path byte for byte equal to the scalar reference, z
 * order, scale, rotation about the centre, occlusion. */
#include <math.h>
#include <stdlib.h>

#include "harness.h"

#include "comp_blend.h"
#include "comp_regs.h"
#include "comp_render.h"

/* The exact result of one channel, in reals, rounded at the end. */
static double exact(double s, double d, double sa, double la, int mode)
{
	double a = sa * la / (255.0 * 255.0), f;
	switch (mode) {
	case COMP_BLEND_ADD:
		f = s + d > 255 ? 255 : s + d;
		break;
	case COMP_BLEND_MUL:
		f = s * d / 255.0;
		break;
	case COMP_BLEND_SCREEN:
		f = s + d - s * d / 255.0;
		break;
	default:
		f = s;
	}
	return f * a + d * (1 - a);
}

TEST(comp_blend_within_one_of_exact)
{
	uint32_t worst = 0;
	for (int mode = 0; mode < COMP_BLEND_COUNT; mode++)
		for (uint32_t s = 0; s < 256; s += 3)
			for (uint32_t d = 0; d < 256; d += 5)
				for (uint32_t sa = 0; sa < 256; sa += 17)
					for (uint32_t la = 0; la < 256;
					     la += 15) {
						uint32_t src = sa << 24 |
							       s << 16 |
							       d << 8 | s;
						uint32_t dst =
							d << 16 | s << 8 | d;
						comp_blend_row_ref(
							&dst, &src, 1, la,
							(uint32_t)mode);
						double e = exact(s, d, sa, la,
								 mode);
						double got = (dst >> 16) & 0xff;
						uint32_t err = (uint32_t)fabs(
							got - e + 0.0);
						if (fabs(got - e) > 1.0) {
							fprintf(stderr,
								"    mode %d s "
								"%u d %u sa %u "
								"la %u: %g vs "
								"%g\n",
								mode, s, d, sa,
								la, got, e);
							CHECK(0);
						}
						if (err > worst)
							worst = err;
					}
	CHECK(worst <= 1);
}

/* The fast paths against the reference: per-pixel alpha byte for byte,
 * the uniform-alpha path (opaque source) within 1. */
static int fast_vs_ref(void)
{
	enum { N = 67 };
	uint32_t src[N], a[N], b[N];
	srand(15);
	for (int round = 0; round < 1200; round++) {
		uint32_t la = round % 3 == 0 ? 255 : (uint32_t)(rand() % 256);
		uint32_t mode = (uint32_t)(round % 4);
		int opaque = round % 5 == 0 || round % 7 == 0;
		for (int i = 0; i < N; i++) {
			uint32_t p =
				(uint32_t)rand() ^ ((uint32_t)rand() << 16);
			int k = rand() % 4; /* runs of 0 and 255 alpha too */
			if (k == 0 || opaque)
				p |= 0xff000000u;
			else if (k == 1)
				p &= 0x00ffffffu;
			src[i] = p;
			a[i] = b[i] =
				(uint32_t)rand() ^ ((uint32_t)rand() << 16);
		}
		uint32_t n = (uint32_t)(rand() % N) + 1;
		if ((round / 4) & 1) { /* the same pixels as RGBA8 */
			uint32_t rgba[N];
			comp_swizzle_row(rgba, src, N);
			comp_blend_row(a, rgba, n, la, mode, opaque, 1);
		} else {
			comp_blend_row(a, src, n, la, mode, opaque, 0);
		}
		comp_blend_row_ref(b, src, n, la, mode);
		int tol = mode == COMP_BLEND_NORMAL ? 1 : 0;
		for (int i = 0; i < N; i++) {
			for (int sh = 0; sh < 24; sh += 8) {
				int x = (int)((a[i] >> sh) & 0xff),
				    y = (int)((b[i] >> sh) & 0xff);
				if (abs(x - y) > tol) {
					fprintf(stderr,
						"    round %d px %d: %08x vs "
						"ref %08x (src %08x la %u mode "
						"%u)\n",
						round, i, a[i], b[i], src[i],
						la, mode);
					return -1;
				}
			}
		}
	}
	return 0;
}

TEST(comp_blend_fast_path_equals_reference)
{
	comp_blend_force_sse2(0);
	CHECK_EQ(fast_vs_ref(), 0);
	comp_blend_force_sse2(1);
	int r = fast_vs_ref();
	comp_blend_force_sse2(0);
	CHECK_EQ(r, 0);
}

TEST(comp_blend_swizzle_and_opaque)
{
	uint32_t in[2] = {0x44332211u, 0xff0000ffu}, out[2];
	comp_swizzle_row(out, in, 2);
	CHECK_EQ(out[0], 0x44112233u);
	CHECK_EQ(out[1], 0xffff0000u);
	CHECK(!comp_row_opaque(in, 2));
	CHECK(comp_row_opaque(in + 1, 1));
}

/* ---- renderer ---- */

enum { W = 64, H = 48 };
static struct comp_scene sc;
static uint32_t out[W * H], rowbuf[W];
static struct comp_render rc;

static void frame(uint64_t f)
{
	struct damage d;
	comp_latch(&sc, f, &d);
	comp_render_prepare(&rc, &sc, rowbuf);
	for (uint32_t i = 0; i < d.n; i++)
		comp_render_rect(&rc, &sc, out, W, H, W, &d.r[i]);
}

static uint32_t solid_layer(uint32_t *px, uint32_t w, uint32_t h, uint32_t c,
			    uint32_t fmt)
{
	for (uint32_t i = 0; i < w * h; i++)
		px[i] = c;
	uint32_t id = comp_layer_create(&sc, 0);
	comp_layer_bind(&sc, id, (const uint8_t *)px, w, h, w * 4, fmt);
	return id;
}

TEST(comp_render_z_alpha_and_formats)
{
	static uint32_t red[16 * 16], blu[8 * 8];
	comp_scene_init(&sc, W, H);
	memset(out, 0x55, sizeof(out));
	/* RGBA8 bytes R G B A = 0xAABBGGRR: opaque red. */
	uint32_t r = solid_layer(red, 16, 16, 0xff0000ffu, COMP_FMT_RGBA8);
	uint32_t b = solid_layer(blu, 8, 8, 0xff0000ffu, COMP_FMT_BGRA8);
	comp_reg_write(&sc, r, COMP_REG_X, 10);
	comp_reg_write(&sc, r, COMP_REG_Y, 10);
	comp_reg_write(&sc, b, COMP_REG_X, 14);
	comp_reg_write(&sc, b, COMP_REG_Y, 14);
	comp_reg_write(&sc, b, COMP_REG_ALPHA, 0.5);
	frame(1);
	CHECK_EQ(out[0] & 0xffffff, 0);			 /* background black */
	CHECK_EQ(out[10 * W + 10] & 0xffffff, 0xff0000); /* red */
	CHECK_EQ(out[25 * W + 25] & 0xffffff, 0xff0000);
	CHECK_EQ(out[26 * W + 26] & 0xffffff, 0);
	/* Blue at half alpha over red: 128/127 mix (the 8-bit formula). */
	uint32_t a = comp_div255(255 * 128);
	uint32_t want =
		comp_div255(255 * (255 - a)) << 16 | comp_div255(255 * a);
	CHECK_EQ(out[15 * W + 15] & 0xffffff, want);
	/* z: blue below red now: red shows. */
	comp_reg_write(&sc, b, COMP_REG_Z, -1);
	frame(2);
	CHECK_EQ(out[15 * W + 15] & 0xffffff, 0xff0000);
	/* Move blue half out of red: that half shows over black. */
	comp_reg_write(&sc, b, COMP_REG_X, 22);
	frame(20);
	CHECK_EQ(out[15 * W + 27] & 0xffffff, comp_div255(255 * a));
	CHECK_EQ(out[15 * W + 23] & 0xffffff, 0xff0000);
	comp_reg_write(&sc, b, COMP_REG_X, 14);
	/* add blend on top: red + blue = magenta. */
	comp_reg_write(&sc, b, COMP_REG_Z, 1);
	comp_reg_write(&sc, b, COMP_REG_ALPHA, 1);
	comp_reg_write(&sc, b, COMP_REG_BLEND, COMP_BLEND_ADD);
	frame(3);
	CHECK_EQ(out[15 * W + 15] & 0xffffff, 0xff00ff);
	/* Everything damaged got redrawn: nothing of the 0x55 fill left. */
	for (int i = 0; i < W * H; i++)
		if ((out[i] & 0xffffff) == 0x555555)
			CHECK(0);
}

TEST(comp_render_scale_and_rotation_about_centre)
{
	/* A 4x2 image with distinct pixels. */
	static uint32_t img[8];
	for (uint32_t i = 0; i < 8; i++)
		img[i] = 0xff000000u | (i + 1);
	comp_scene_init(&sc, W, H);
	uint32_t id = comp_layer_create(&sc, 0);
	comp_layer_bind(&sc, id, (const uint8_t *)img, 4, 2, 16,
			COMP_FMT_BGRA8);
	comp_reg_write(&sc, id, COMP_REG_X, 20);
	comp_reg_write(&sc, id, COMP_REG_Y, 20);
	comp_reg_write(&sc, id, COMP_REG_SCALE_X, 2);
	comp_reg_write(&sc, id, COMP_REG_SCALE_Y, 3);
	frame(1);
	/* 8x6 at (20,20): each source pixel a 2x3 block. */
	for (int y = 0; y < 6; y++)
		for (int x = 0; x < 8; x++)
			CHECK_EQ(out[(20 + y) * W + 20 + x] & 0xff,
				 (uint32_t)((y / 3) * 4 + x / 2 + 1));
	CHECK_EQ(out[26 * W + 20] & 0xffffff, 0);
	CHECK_EQ(out[20 * W + 28] & 0xffffff, 0);
	/* 90 degrees clockwise about the centre (24, 23): the 8x6 becomes
	 * 6x8 at (21, 19); the source's top-left lands at the top right. */
	comp_reg_write(&sc, id, COMP_REG_ROTATION, 90);
	frame(2);
	struct comp_layer *l = comp_layer_get(&sc, id);
	CHECK(l->box.x == 21 && l->box.y == 19 && l->box.w == 6 &&
	      l->box.h == 8);
	CHECK_EQ(out[19 * W + 26] & 0xff, 1);	  /* top right: src (0,0) */
	CHECK_EQ(out[26 * W + 26] & 0xff, 4);	  /* bottom right: (3,0) */
	CHECK_EQ(out[19 * W + 21] & 0xff, 5);	  /* top left: (0,1) */
	CHECK_EQ(out[20 * W + 20] & 0xffffff, 0); /* outside the box */
	CHECK_EQ(out[27 * W + 26] & 0xffffff, 0);
	/* 180: (0,0) at the bottom right of the 8x6 box. */
	comp_reg_write(&sc, id, COMP_REG_ROTATION, 180);
	frame(3);
	CHECK_EQ(out[25 * W + 27] & 0xff, 1);
	CHECK_EQ(out[20 * W + 20] & 0xff, 8);
	/* 45 degrees: the centre pixel keeps its source, corners are out. */
	comp_reg_write(&sc, id, COMP_REG_ROTATION, 45);
	frame(4);
	CHECK(l->box.w > 8 && l->box.h > 8);
	CHECK_EQ(out[l->box.y * W + l->box.x] & 0xffffff, 0);
}

TEST(comp_render_opaque_layer_hides_below)
{
	static uint32_t bg[W * H], top[W * H];
	comp_scene_init(&sc, W, H);
	solid_layer(bg, W, H, 0xff112233u, COMP_FMT_BGRA8);
	uint32_t t = solid_layer(top, W, H, 0xff445566u, COMP_FMT_BGRA8);
	frame(1);
	CHECK_EQ(out[5] & 0xffffff, 0x445566);
	comp_reg_write(&sc, t, COMP_REG_VISIBLE, 0);
	frame(2);
	CHECK_EQ(out[5] & 0xffffff, 0x112233);
}

/* One pass over k layers: the same bytes as k passes, with and without a
 * base layer, both formats, SSSE3 and the fallback. */
static int fused_vs_passes(void)
{
	enum { N = 45, K = 4 };
	static uint32_t img[K][N], a[N], b[N];
	for (int round = 0; round < 300; round++) {
		int rgba = round & 1, base = (round >> 1) & 1;
		uint32_t k = 2 + (uint32_t)(round % 3),
			 n = 1 + (uint32_t)(rand() % N);
		const uint32_t *src[K];
		uint32_t la[K];
		for (uint32_t i = 0; i < k; i++) {
			for (int j = 0; j < N; j++)
				img[i][j] = 0xff000000u | (uint32_t)rand();
			src[i] = img[i];
			la[i] = 1 + (uint32_t)(rand() % 254);
		}
		for (int j = 0; j < N; j++)
			a[j] = b[j] = (uint32_t)rand();
		comp_blend_uniform_n(a, src, la, k, n, rgba, base);
		for (uint32_t i = 0; i < k; i++)
			comp_blend_row(b, src[i], n,
				       base && i == 0 ? 255 : la[i],
				       COMP_BLEND_NORMAL, 1, rgba);
		for (int j = 0; j < N; j++)
			if ((a[j] & 0xffffff) != (b[j] & 0xffffff)) {
				fprintf(stderr,
					"    round %d px %d: %08x vs %08x\n",
					round, j, a[j], b[j]);
				return -1;
			}
	}
	return 0;
}

TEST(comp_blend_fused_layers_equal_passes)
{
	comp_blend_force_sse2(0);
	CHECK_EQ(fused_vs_passes(), 0); /* AVX2 where the host has it */
	comp_blend_force_no_avx2(1);
	CHECK_EQ(fused_vs_passes(), 0);
	comp_blend_force_no_avx2(0);
	comp_blend_force_sse2(1);
	int r = fused_vs_passes();
	comp_blend_force_sse2(0);
	CHECK_EQ(r, 0);
}

/* The fused pass with per-pixel-alpha layers mixed in (pp): the same
 * bytes as layer-by-layer comp_blend_row, for up to COMP_FUSE_MAX
 * layers, with alpha runs all 0 and all 255 (the kernel's skips), any
 * layer alpha for the per-pixel ones, with and without a base, both
 * formats, SSSE3 and the fallback. */
static int mixed_vs_passes(void)
{
	enum { N = 70, K = COMP_FUSE_MAX };
	static uint32_t img[K][N], a[N], b[N];
	for (int round = 0; round < 2000; round++) {
		int rgba = round & 1, base = (round >> 1) & 1;
		uint32_t k = 2 + (uint32_t)(rand() % (K - 1)),
			 n = 1 + (uint32_t)(rand() % N), pp = 0;
		const uint32_t *src[K];
		uint32_t la[K];
		for (uint32_t i = 0; i < k; i++) {
			int per_pixel = !(base && i == 0) && rand() % 3;
			for (int j = 0; j < N; j++) {
				uint32_t al = 255;
				if (per_pixel) {
					int run = (j / 8 + round + (int)i) % 4;
					al = run == 0 ? 0
					     : run == 1
						     ? 255
						     : (uint32_t)rand() & 0xff;
				}
				img[i][j] = al << 24 |
					    ((uint32_t)rand() & 0xffffff);
			}
			src[i] = img[i];
			pp |= (uint32_t)per_pixel << i;
			la[i] = per_pixel ? 1 + (uint32_t)(rand() % 255)
					  : 1 + (uint32_t)(rand() % 254);
		}
		for (int j = 0; j < N; j++)
			a[j] = b[j] = (uint32_t)rand();
		comp_blend_fused(a, src, la, pp, k, n, rgba, base);
		for (uint32_t i = 0; i < k; i++)
			comp_blend_row(b, src[i], n,
				       base && i == 0 ? 255 : la[i],
				       COMP_BLEND_NORMAL, !(pp >> i & 1), rgba);
		for (int j = 0; j < N; j++)
			if ((a[j] & 0xffffff) != (b[j] & 0xffffff)) {
				fprintf(stderr,
					"    round %d px %d: %08x vs %08x\n",
					round, j, a[j], b[j]);
				return -1;
			}
	}
	return 0;
}

TEST(comp_blend_fused_pixel_alpha_equals_passes)
{
	comp_blend_force_sse2(0);
	CHECK_EQ(mixed_vs_passes(), 0); /* AVX2 where the host has it */
	comp_blend_force_no_avx2(1);
	CHECK_EQ(mixed_vs_passes(), 0);
	comp_blend_force_no_avx2(0);
	comp_blend_force_sse2(1);
	int r = mixed_vs_passes();
	comp_blend_force_sse2(0);
	CHECK_EQ(r, 0);
}

/* Four stacked layers with per-pixel alpha in one format (the fused
 * path: an opaque base, then layers at alpha 1, 1 and 0.5) against the
 * scalar reference: within 1 per layer drawn. */
TEST(comp_render_pixel_alpha_stack_matches_reference)
{
	enum { L = 4 };
	static uint32_t img[L][W * H];
	static uint32_t ref[W * H];
	for (int f = 0; f < 2; f++) {
		comp_scene_init(&sc, W, H);
		srand(7 + f);
		for (int i = 0; i < L; i++) {
			for (int j = 0; j < W * H; j++)
				img[i][j] = (i == 0 ? 0xff000000u
						    : (uint32_t)rand() << 24) |
					    ((uint32_t)rand() & 0xffffff);
			uint32_t id = comp_layer_create(&sc, 0);
			comp_layer_bind(&sc, id, (const uint8_t *)img[i], W, H,
					W * 4,
					f ? COMP_FMT_RGBA8 : COMP_FMT_BGRA8);
			comp_reg_write(&sc, id, COMP_REG_ALPHA,
				       i == 3 ? 0.5 : 1);
			comp_reg_write(&sc, id, COMP_REG_Z, i);
		}
		frame(1);
		memset(ref, 0, sizeof(ref));
		for (int i = 0; i < L; i++)
			for (int j = 0; j < W * H; j++) {
				uint32_t p = img[i][j];
				if (f)
					comp_swizzle_row(&p, &p, 1);
				comp_blend_row_ref(&ref[j], &p, 1,
						   i == 3 ? 128 : 255,
						   COMP_BLEND_NORMAL);
			}
		for (int j = 0; j < W * H; j++)
			for (int sh = 0; sh < 24; sh += 8) {
				int g = (int)((out[j] >> sh) & 0xff);
				int r = (int)((ref[j] >> sh) & 0xff);
				if (abs(g - r) > L) {
					fprintf(stderr,
						"    px %d: %06x vs ref %06x\n",
						j, out[j] & 0xffffff,
						ref[j] & 0xffffff);
					CHECK(0);
					return;
				}
			}
	}
}

/* A scene of many layers (formats, alphas, blends, scales, rotations,
 * z) against a pixel-by-pixel reference: each layer's pixel found by
 * the inverse mapping, blended with the scalar reference. Within 1 per
 * layer drawn. */
TEST(comp_render_matches_reference_scene)
{
	enum { L = 6, S = 20 };
	static uint32_t img[L][S * S];
	static uint32_t ref[W * H];
	comp_scene_init(&sc, W, H);
	srand(99);
	for (int i = 0; i < L; i++) {
		int opaque = i < 4;
		for (int j = 0; j < S * S; j++)
			img[i][j] = (opaque ? 0xff000000u
					    : (uint32_t)rand() << 24) |
				    ((uint32_t)rand() & 0xffffff);
		uint32_t id = comp_layer_create(&sc, 0);
		comp_layer_bind(&sc, id, (const uint8_t *)img[i], S, S, S * 4,
				i & 1 ? COMP_FMT_RGBA8 : COMP_FMT_BGRA8);
		comp_reg_write(&sc, id, COMP_REG_X, i < 4 ? 10 : 5 + 7 * i);
		comp_reg_write(&sc, id, COMP_REG_Y, i < 4 ? 10 : 3 + 4 * i);
		comp_reg_write(&sc, id, COMP_REG_ALPHA,
			       i == 0 ? 1 : 0.2 + 0.13 * i);
		comp_reg_write(&sc, id, COMP_REG_BLEND,
			       i == 5 ? COMP_BLEND_SCREEN : 0);
		if (i == 4) {
			comp_reg_write(&sc, id, COMP_REG_SCALE_X, 1.5);
			comp_reg_write(&sc, id, COMP_REG_ROTATION, 30);
		}
		comp_reg_write(&sc, id, COMP_REG_Z, i == 2 ? -5 : i);
	}
	frame(1);
	/* The reference, bottom first. */
	uint32_t ids[COMP_LAYERS_MAX];
	uint32_t n = comp_draw_order(&sc, ids);
	CHECK_EQ(n, L);
	memset(ref, 0, sizeof(ref));
	for (uint32_t k = 0; k < n; k++) {
		struct comp_layer *l = comp_layer_get(&sc, ids[k]);
		struct comp_xform xf;
		comp_xform_make(&xf, l->cur, l->w, l->h);
		uint32_t la = (uint32_t)(l->cur[COMP_REG_ALPHA] * 255 + 0.5);
		for (int y = 0; y < H; y++)
			for (int x = 0; x < W; x++) {
				int64_t u, v, du, dv;
				comp_xform_row(&xf, x, y, &u, &v, &du, &dv);
				int64_t sx = u >> 16, sy = v >> 16;
				if (sx < 0 || sy < 0 || sx >= S || sy >= S)
					continue;
				uint32_t p = img[ids[k] - 1][sy * S + sx];
				if (l->fmt == COMP_FMT_RGBA8)
					comp_swizzle_row(&p, &p, 1);
				comp_blend_row_ref(
					&ref[y * W + x], &p, 1, la,
					(uint32_t)l->cur[COMP_REG_BLEND]);
			}
	}
	for (int i = 0; i < W * H; i++)
		for (int sh = 0; sh < 24; sh += 8) {
			int g = (int)((out[i] >> sh) & 0xff);
			int r = (int)((ref[i] >> sh) & 0xff);
			if (abs(g - r) > L) {
				fprintf(stderr,
					"    pixel (%d,%d): %06x vs ref %06x\n",
					i % W, i / W, out[i] & 0xffffff,
					ref[i] & 0xffffff);
				CHECK(0);
			}
		}
}
