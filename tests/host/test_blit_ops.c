/* blitterd's surface operations (services/blitterd/blit_ops.c): fill,
 * copy and convert with clipping, strides, formats and overlap, checked
 * against a per-pixel model computed from a snapshot of the memory
 * before the operation (so an overlapping copy must behave as if through
 * a temporary), for every kernel this machine runs. Bytes outside the
 * destination rect (row padding included) must not change. */
#include <stdint.h>
#include <stdlib.h>

#include "blit_ops.h"
#include "harness.h"

#define MEM 65536

static uint8_t mem[MEM], snap[MEM], want[MEM];
static uint32_t rng = 99;

static uint32_t rnd(uint32_t n)
{
	rng = rng * 1664525u + 1013904223u;
	return (rng >> 8) % n;
}

static const struct blit_kern *const kerns[] = {
	&blit_kern_scalar,
#if defined(__x86_64__)
	&blit_kern_sse2,
	&blit_kern_avx2,
#endif
};

static bool runs(const struct blit_kern *k)
{
#if defined(__x86_64__)
	return k != &blit_kern_avx2 || blit_cpu_avx2();
#else
	(void)k;
	return true;
#endif
}

static void scramble(void)
{
	for (size_t i = 0; i < MEM; i++)
		mem[i] = (uint8_t)rnd(256);
	memcpy(snap, mem, MEM);
	memcpy(want, mem, MEM);
}

static struct blit_surf surf_at(size_t off, uint32_t w, uint32_t h,
				uint32_t stride, enum blit_fmt f)
{
	return (struct blit_surf){mem + off, w, h, stride, f};
}

static size_t off_of(const struct blit_surf *s, int64_t x, int64_t y)
{
	return (size_t)(s->base - mem) + (size_t)y * s->stride + (size_t)x * 4;
}

static struct blit_surf rnd_surf(void)
{
	uint32_t w = 1 + rnd(40), h = 1 + rnd(30);
	uint32_t stride = w * 4 + rnd(3) * (1 + rnd(13));
	size_t off = rnd(2000);
	return surf_at(off, w, h, stride, (enum blit_fmt)rnd(2));
}

static struct blit_rect rnd_rect(void)
{
	return (struct blit_rect){(int64_t)rnd(60) - 15, (int64_t)rnd(50) - 15,
				  rnd(50), rnd(40)};
}

TEST(blit_ops_clip)
{
	struct blit_rect r = {-5, -3, 10, 10};
	CHECK(blit_clip(&r, 8, 4));
	CHECK(r.x == 0 && r.y == 0 && r.w == 5 && r.h == 4);
	r = (struct blit_rect){8, 0, 1, 1};
	CHECK(!blit_clip(&r, 8, 4));
	r = (struct blit_rect){0, 0, 0, 3};
	CHECK(!blit_clip(&r, 8, 4));
	r = (struct blit_rect){-(1ll << 30), 2, 1ll << 30, 1};
	CHECK(!blit_clip(&r, 8, 4));
	uint64_t b;
	CHECK(blit_surf_ok(3, 2, 12, &b) && b == 24);
	CHECK(!blit_surf_ok(3, 2, 11, &b));
	CHECK(!blit_surf_ok(0, 2, 12, &b));
	CHECK(!blit_surf_ok(BLIT_DIM_MAX + 1, 1, 1u << 20, &b));
}

TEST(blit_ops_fill_random_rects)
{
	for (unsigned ki = 0; ki < sizeof(kerns) / sizeof(kerns[0]); ki++) {
		if (!runs(kerns[ki]))
			continue;
		for (int n = 0; n < 300; n++) {
			scramble();
			struct blit_surf d = rnd_surf();
			struct blit_rect r = rnd_rect();
			struct blit_color c = {
				(uint8_t)rnd(256), (uint8_t)rnd(256),
				(uint8_t)rnd(256), (uint8_t)rnd(256)};
			uint64_t count = 0;
			for (int64_t y = 0; y < d.h; y++)
				for (int64_t x = 0; x < d.w; x++) {
					if (x < r.x || x >= r.x + r.w ||
					    y < r.y || y >= r.y + r.h)
						continue;
					uint8_t *p = want + off_of(&d, x, y);
					bool bgr = d.fmt == BLIT_BGRA8;
					p[0] = bgr ? c.b : c.r;
					p[1] = c.g;
					p[2] = bgr ? c.r : c.b;
					p[3] = c.a;
					count++;
				}
			CHECK_EQ(blit_fill(kerns[ki], &d, r, c), count);
			CHECK(!memcmp(mem, want, MEM));
		}
	}
}

/* The model of a copy: every destination pixel whose source lies inside
 * the source rect and surface gets the source pixel as it was before. */
static uint64_t model_copy(const struct blit_surf *s, const struct blit_surf *d,
			   struct blit_rect sr, int64_t dx, int64_t dy)
{
	uint64_t count = 0;
	for (int64_t y = 0; y < d->h; y++)
		for (int64_t x = 0; x < d->w; x++) {
			int64_t sx = x - dx + sr.x, sy = y - dy + sr.y;
			if (sx < sr.x || sx >= sr.x + sr.w || sy < sr.y ||
			    sy >= sr.y + sr.h || sx < 0 || sy < 0 ||
			    sx >= s->w || sy >= s->h)
				continue;
			const uint8_t *p = snap + off_of(s, sx, sy);
			uint8_t *q = want + off_of(d, x, y);
			bool sw = s->fmt != d->fmt;
			q[0] = sw ? p[2] : p[0];
			q[1] = p[1];
			q[2] = sw ? p[0] : p[2];
			q[3] = p[3];
			count++;
		}
	return count;
}

TEST(blit_ops_copy_random_disjoint_same_and_aliased)
{
	for (unsigned ki = 0; ki < sizeof(kerns) / sizeof(kerns[0]); ki++) {
		if (!runs(kerns[ki]))
			continue;
		for (int n = 0; n < 900; n++) {
			scramble();
			struct blit_surf s = rnd_surf(), d;
			switch (n % 3) {
			case 0: /* two surfaces somewhere (may overlap) */
				d = rnd_surf();
				break;
			case 1: /* one surface */
				d = s;
				break;
			default: /* the same bytes, another stride/format */
				d = s;
				d.w = 1 + rnd(40);
				d.stride = d.w * 4 + rnd(20);
				d.h = 1 + rnd(20);
				d.fmt = (enum blit_fmt)rnd(2);
				break;
			}
			struct blit_rect sr = rnd_rect();
			int64_t dx = (int64_t)rnd(60) - 20,
				dy = (int64_t)rnd(40) - 15;
			uint64_t count = model_copy(&s, &d, sr, dx, dy);
			CHECK_EQ(blit_copy(kerns[ki], &s, &d, sr, dx, dy),
				 (int64_t)count);
			CHECK(!memcmp(mem, want, MEM));
		}
	}
}

TEST(blit_ops_convert_strides_and_in_place)
{
	for (unsigned ki = 0; ki < sizeof(kerns) / sizeof(kerns[0]); ki++) {
		if (!runs(kerns[ki]))
			continue;
		for (int n = 0; n < 200; n++) {
			scramble();
			struct blit_surf s = rnd_surf(), d = s;
			d.fmt = (enum blit_fmt)rnd(2);
			if (n % 2) { /* elsewhere, another stride */
				d.stride = d.w * 4 + rnd(9);
				d.base = mem + 20000 + rnd(100);
			}
			struct blit_rect all = {0, 0, s.w, s.h};
			uint64_t count = model_copy(&s, &d, all, 0, 0);
			CHECK_EQ(blit_convert(kerns[ki], &s, &d),
				 (int64_t)count);
			CHECK(!memcmp(mem, want, MEM));
		}
	}
}

TEST(blit_ops_large_overlapping_scroll)
{
	/* A 100x100 surface scrolled by one row and one pixel each way. */
	for (unsigned ki = 0; ki < sizeof(kerns) / sizeof(kerns[0]); ki++) {
		if (!runs(kerns[ki]))
			continue;
		static const int sh[4][2] = {{0, 1}, {0, -1}, {1, 0}, {-1, 0}};
		for (int i = 0; i < 4; i++) {
			scramble();
			struct blit_surf s =
				surf_at(64, 100, 100, 404, BLIT_RGBA8);
			struct blit_rect all = {0, 0, 100, 100};
			uint64_t c =
				model_copy(&s, &s, all, sh[i][0], sh[i][1]);
			CHECK_EQ(blit_copy(kerns[ki], &s, &s, all, sh[i][0],
					   sh[i][1]),
				 (int64_t)c);
			CHECK(!memcmp(mem, want, MEM));
		}
	}
}
