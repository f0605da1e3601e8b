/* gfxtest blit: blitterd's rect_fill (clipped), rect_copy (overlapping,
 * both directions, same surface and across surfaces), convert
 * (RGBA8 <-> BGRA8, different strides) and batch, each compared byte for
 * byte with what this file computes itself on a copy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gfxtest.h"

static int ok_n, bad_n;
static uint32_t seed = 12345;

static uint8_t rnd(void)
{
	seed = seed * 1103515245u + 12345u;
	return (uint8_t)(seed >> 16);
}

static uint8_t *px(const cl_surface_desc *s)
{
	return (uint8_t *)(uintptr_t)s->addr;
}

static void randomize(const cl_surface_desc *s)
{
	for (uint64_t i = 0; i < (uint64_t)s->stride * s->h; i++)
		px(s)[i] = rnd();
}

static void check(const char *name, cl_err_t e, const uint8_t *want,
		  const cl_surface_desc *s)
{
	size_t n = (size_t)s->stride * s->h;
	if (e < 0) {
		bad_n++;
		printf("FAIL blit.%s: %s\n", name, cl_strerror(e));
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (px(s)[i] != want[i]) {
			bad_n++;
			printf("FAIL blit.%s: byte %zu (x %zu y %zu) is %u, "
			       "want "
			       "%u\n",
			       name, i, (i % s->stride) / 4, i / s->stride,
			       px(s)[i], want[i]);
			return;
		}
	ok_n++;
	printf("case blit.%s: %zu bytes equal\n", name, n);
}

/* The reference: fill r (clipped) with c in s's byte order. */
static void ref_fill(uint8_t *m, const cl_surface_desc *s, cl_rect r,
		     cl_color c)
{
	int64_t x0 = r.x < 0 ? 0 : r.x, y0 = r.y < 0 ? 0 : r.y;
	int64_t x1 = (int64_t)r.x + r.w, y1 = (int64_t)r.y + r.h;
	if (x1 > s->w)
		x1 = s->w;
	if (y1 > s->h)
		y1 = s->h;
	bool bgra = !strcmp(s->format, "BGRA8");
	uint8_t p[4] = {bgra ? c.b : c.r, c.g, bgra ? c.r : c.b, c.a};
	for (int64_t y = y0; y < y1; y++)
		for (int64_t x = x0; x < x1; x++)
			memcpy(m + y * s->stride + x * 4, p, 4);
}

/* Copy sr of src to (dx,dy) of dst, both clipped, as if through a
 * temporary (overlap-safe). */
static void ref_copy(const uint8_t *src, const cl_surface_desc *ss,
		     uint8_t *dst, const cl_surface_desc *ds, cl_rect sr,
		     int32_t dx, int32_t dy)
{
	uint8_t *tmp = malloc((size_t)ss->stride * ss->h);
	memcpy(tmp, src, (size_t)ss->stride * ss->h);
	for (uint32_t y = 0; y < sr.h; y++)
		for (uint32_t x = 0; x < sr.w; x++) {
			int64_t sx = (int64_t)sr.x + x, sy = (int64_t)sr.y + y;
			int64_t tx = (int64_t)dx + x, ty = (int64_t)dy + y;
			if (sx < 0 || sy < 0 || sx >= ss->w || sy >= ss->h ||
			    tx < 0 || ty < 0 || tx >= ds->w || ty >= ds->h)
				continue;
			memcpy(dst + ty * ds->stride + tx * 4,
			       tmp + sy * ss->stride + sx * 4, 4);
		}
	free(tmp);
}

int gt_blit(void)
{
	uint64_t dl = gt_now() + 10000000000ull;
	cl_blit *b;
	cl_err_t e = cl_blit_open(NULL, dl, &b);
	if (e < 0) {
		printf("gfxtest: blit: connect: %s\n", cl_strerror(e));
		return 1;
	}
	cl_surface_desc a, c;
	if (cl_surface_alloc(&a, 200, 120, "RGBA8") < 0 ||
	    cl_surface_alloc(&c, 256, 120, "BGRA8") < 0) {
		printf("gfxtest: blit: no shared buffers\n");
		return 1;
	}
	/* c is used as a 150-pixel-wide surface with a 1024-byte stride:
	 * padding the service must leave alone. */
	c.w = 150;
	size_t na = (size_t)a.stride * a.h, nc = (size_t)c.stride * c.h;
	uint8_t *want = malloc(na > nc ? na : nc);

	randomize(&a);
	memcpy(want, px(&a), na);
	cl_rect r = {-10, 100, 50, 40}; /* clipped at left and bottom */
	cl_color col = {0x12, 0x34, 0x56, 0x78};
	ref_fill(want, &a, r, col);
	check("fill_clipped_rgba", cl_blit_rect_fill(b, &a, &r, &col), want,
	      &a);

	randomize(&c);
	memcpy(want, px(&c), nc);
	r = (cl_rect){140, 3, 30, 7}; /* clipped at the right edge */
	ref_fill(want, &c, r, col);
	check("fill_bgra_stride", cl_blit_rect_fill(b, &c, &r, &col), want, &c);

	/* Overlapping copies on one surface, forwards and backwards. */
	randomize(&a);
	memcpy(want, px(&a), na);
	r = (cl_rect){10, 10, 100, 60};
	ref_copy(px(&a), &a, want, &a, r, 25, 17);
	check("copy_overlap_down_right",
	      cl_blit_rect_copy(b, &a, &a, &r, 25, 17), want, &a);
	memcpy(want, px(&a), na);
	r = (cl_rect){30, 30, 120, 80};
	ref_copy(px(&a), &a, want, &a, r, 27, 29);
	check("copy_overlap_up_left_clipped",
	      cl_blit_rect_copy(b, &a, &a, &r, 27, 29), want, &a);
	memcpy(want, px(&a), na);
	r = (cl_rect){5, 5, 60, 20};
	ref_copy(px(&a), &a, want, &a, r, 1, 5); /* same row, shifted left */
	check("copy_overlap_same_row", cl_blit_rect_copy(b, &a, &a, &r, 1, 5),
	      want, &a);

	/* Convert RGBA8 (stride 800) into BGRA8 (stride 1024, w 150): the
	 * same size is needed, so a 150x120 view of a. */
	cl_surface_desc av = a;
	av.w = 150;
	randomize(&a);
	randomize(&c);
	memcpy(want, px(&c), nc);
	for (uint32_t y = 0; y < c.h; y++)
		for (uint32_t x = 0; x < c.w; x++) {
			const uint8_t *s = px(&a) + y * a.stride + x * 4;
			uint8_t *d = want + y * c.stride + x * 4;
			d[0] = s[2], d[1] = s[1], d[2] = s[0], d[3] = s[3];
		}
	check("convert_rgba_to_bgra", cl_blit_convert(b, &av, &c), want, &c);

	/* And back, through a bound surface id this time. */
	cl_surface_desc cb = c;
	if (cl_blit_bind(b, &cb) < 0 || !cb.surface) {
		bad_n++;
		printf("FAIL blit.surface_bind: %s\n", cl_blit_last(b)->code);
	} else {
		printf("case blit.surface_bind: id %u\n", cb.surface), ok_n++;
		randomize(&a);
		memcpy(want, px(&a), na);
		for (uint32_t y = 0; y < c.h; y++)
			for (uint32_t x = 0; x < c.w; x++) {
				const uint8_t *s =
					px(&c) + y * c.stride + x * 4;
				uint8_t *d = want + y * a.stride + x * 4;
				d[0] = s[2], d[1] = s[1], d[2] = s[0],
				d[3] = s[3];
			}
		check("convert_bgra_to_rgba_bound",
		      cl_blit_convert(b, &cb, &av), want, &a);
	}
	uint32_t job = cl_blit_last_job(b);
	printf("case blit.job_ids: last job %u\n", job);
	if (job)
		ok_n++;
	else
		bad_n++, printf("FAIL blit.job_ids: no job in the answer\n");
	cl_surface_free(&a);
	cl_surface_free(&c);
	free(want);
	cl_blit_close(b);
	printf("gfxtest: blit: %d ok, %d failed\n", ok_n, bad_n);
	return bad_n ? 1 : 0;
}
