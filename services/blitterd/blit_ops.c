/* blit_ops: see blit_ops.h. */
#include "blit_ops.h"

#include <stdlib.h>
#include <string.h>

bool blit_surf_ok(uint32_t w, uint32_t h, uint32_t stride, uint64_t *bytes)
{
	if (w < 1 || h < 1 || w > BLIT_DIM_MAX || h > BLIT_DIM_MAX ||
	    stride < (uint64_t)w * 4 || stride > 4 * BLIT_DIM_MAX * 4)
		return false;
	*bytes = (uint64_t)stride * h;
	return true;
}

int blit_fmt_parse(const char *s, enum blit_fmt *f)
{
	if (!strcmp(s, "RGBA8"))
		*f = BLIT_RGBA8;
	else if (!strcmp(s, "BGRA8"))
		*f = BLIT_BGRA8;
	else
		return -1;
	return 0;
}

const char *blit_fmt_name(enum blit_fmt f)
{
	return f == BLIT_BGRA8 ? "BGRA8" : "RGBA8";
}

bool blit_clip(struct blit_rect *r, uint32_t w, uint32_t h)
{
	if (r->w <= 0 || r->h <= 0)
		return false;
	int64_t x0 = r->x < 0 ? 0 : r->x, y0 = r->y < 0 ? 0 : r->y;
	int64_t x1 = r->x + r->w, y1 = r->y + r->h;
	if (x1 > (int64_t)w)
		x1 = w;
	if (y1 > (int64_t)h)
		y1 = h;
	if (x0 >= x1 || y0 >= y1)
		return false;
	*r = (struct blit_rect){x0, y0, x1 - x0, y1 - y0};
	return true;
}

static inline uint8_t *px_at(const struct blit_surf *s, int64_t x, int64_t y)
{
	return s->base + (uint64_t)y * s->stride + (uint64_t)x * 4;
}

uint64_t blit_fill(const struct blit_kern *k, const struct blit_surf *dst,
		   struct blit_rect r, struct blit_color c)
{
	if (!blit_clip(&r, dst->w, dst->h))
		return 0;
	uint8_t b[4] = {c.r, c.g, c.b, c.a};
	if (dst->fmt == BLIT_BGRA8) {
		b[0] = c.b;
		b[2] = c.r;
	}
	uint32_t px;
	memcpy(&px, b, 4);
	if (dst->stride == (uint64_t)r.w * 4) /* whole rows: one run */
		k->fill(px_at(dst, r.x, r.y), (size_t)(r.w * r.h), px);
	else
		for (int64_t j = 0; j < r.h; j++)
			k->fill(px_at(dst, r.x, r.y + j), (size_t)r.w, px);
	return (uint64_t)(r.w * r.h);
}

/* One row from s to d: a plain copy or with R and B swapped. */
static void row(const struct blit_kern *k, bool swap, uint8_t *d,
		const uint8_t *s, size_t w)
{
	if (swap)
		k->swap_rb(d, s, w);
	else
		k->copy(d, s, w * 4);
}

int64_t blit_copy(const struct blit_kern *k, const struct blit_surf *src,
		  const struct blit_surf *dst, struct blit_rect sr, int64_t dx,
		  int64_t dy)
{
	/* Clip to the source, moving the destination along, then to the
	 * destination, moving the source along. */
	struct blit_rect c = sr;
	if (!blit_clip(&c, src->w, src->h))
		return 0;
	struct blit_rect dr = {dx + (c.x - sr.x), dy + (c.y - sr.y), c.w, c.h};
	struct blit_rect dc = dr;
	if (!blit_clip(&dc, dst->w, dst->h))
		return 0;
	int64_t sx = c.x + (dc.x - dr.x), sy = c.y + (dc.y - dr.y);
	int64_t w = dc.w, h = dc.h, pixels = w * h;
	bool swap = src->fmt != dst->fmt;
	size_t rowb = (size_t)w * 4;

	uintptr_t s0 = (uintptr_t)px_at(src, sx, sy),
		  s1 = (uintptr_t)px_at(src, sx, sy + h - 1) + rowb;
	uintptr_t d0 = (uintptr_t)px_at(dst, dc.x, dc.y),
		  d1 = (uintptr_t)px_at(dst, dc.x, dc.y + h - 1) + rowb;
	bool overlap = s0 < d1 && d0 < s1;
	bool alike = src->stride == dst->stride;
	if (alike && src->stride == rowb && h > 1) {
		/* Whole rows on both sides: one run of bytes (the kernels'
		 * memmove order keeps an overlapping one right). */
		rowb *= (size_t)h;
		w *= h;
		h = 1;
	}
	if (!overlap || (alike && d0 == s0)) {
		/* Disjoint, or each row onto itself (in place). */
		if (d0 == s0 && !swap)
			return pixels;
		for (int64_t j = 0; j < h; j++)
			row(k, swap, px_at(dst, dc.x, dc.y + j),
			    px_at(src, sx, sy + j), (size_t)w);
		return pixels;
	}
	if (alike && !swap) {
		/* One layout, shifted: rows in the order that reads each
		 * source row before a destination row covers it; within a
		 * row the kernel's memmove order. */
		bool down = d0 > s0;
		for (int64_t i = 0; i < h; i++) {
			int64_t j = down ? h - 1 - i : i;
			k->copy(px_at(dst, dc.x, dc.y + j),
				px_at(src, sx, sy + j), rowb);
		}
		return pixels;
	}
	/* The same bytes seen through other strides or formats: no row
	 * order is safe in general, so through a copy. */
	uint8_t *tmp = malloc(rowb * (size_t)h);
	if (!tmp)
		return -1;
	for (int64_t j = 0; j < h; j++)
		row(k, swap, tmp + rowb * (size_t)j, px_at(src, sx, sy + j),
		    (size_t)w);
	for (int64_t j = 0; j < h; j++)
		k->copy(px_at(dst, dc.x, dc.y + j), tmp + rowb * (size_t)j,
			rowb);
	free(tmp);
	return pixels;
}

int64_t blit_convert(const struct blit_kern *k, const struct blit_surf *src,
		     const struct blit_surf *dst)
{
	struct blit_rect all = {0, 0, src->w, src->h};
	return blit_copy(k, src, dst, all, 0, 0);
}
