/* comp_render: rectangles of a scene into an image (comp_render.h). */
#include "comp_render.h"

#include <string.h>

#include "comp_blend.h"

void comp_render_prepare(struct comp_render *rc, const struct comp_scene *s,
			 uint32_t *rowbuf)
{
	rc->tmp = rowbuf;
	rc->n = comp_draw_order(s, rc->id);
	for (uint32_t i = 0; i < rc->n; i++) {
		const struct comp_layer *l = &s->layer[rc->id[i] - 1];
		comp_xform_make(&rc->xf[i], l->cur, l->w, l->h);
		rc->la[i] = (uint32_t)(l->cur[COMP_REG_ALPHA] * 255.0 + 0.5);
	}
}

/* Covers [x0, x1) of row y with opaque pixels drawn as they are. */
static int hides(const struct comp_render *rc, const struct comp_scene *s,
		 uint32_t i, int32_t y, int32_t x0, int32_t x1)
{
	const struct comp_layer *l = &s->layer[rc->id[i] - 1];
	const struct comp_rect *b = &rc->xf[i].box;
	return rc->xf[i].unit && l->opaque && rc->la[i] == 255 &&
	       l->cur[COMP_REG_BLEND] == COMP_BLEND_NORMAL && y >= b->y &&
	       y < b->y + b->h && x0 >= b->x && x1 <= b->x + b->w;
}

static inline uint32_t fetch(const struct comp_layer *l, uint32_t x, uint32_t y)
{
	uint32_t p;
	memcpy(&p, l->px + (size_t)y * l->stride + (size_t)x * 4, 4);
	if (l->fmt == COMP_FMT_RGBA8)
		p = (p & 0xff00ff00u) | ((p >> 16) & 0xffu) |
		    ((p & 0xffu) << 16);
	return p;
}

/* Layer i's pixels for [xs, xe) of row y: in place or in rc->tmp.
 * *opaque: all alpha 255 for sure. */
static const uint32_t *source_row(struct comp_render *rc,
				  const struct comp_layer *l, uint32_t i,
				  int32_t y, int32_t xs, int32_t xe,
				  int *opaque)
{
	const struct comp_xform *xf = &rc->xf[i];
	uint32_t n = (uint32_t)(xe - xs);
	if (xf->unit) {
		const uint32_t *p =
			(const uint32_t *)(l->px +
					   (size_t)(y - xf->oy) * l->stride +
					   (size_t)(xs - xf->ox) * 4);
		*opaque = l->opaque;
		if (l->fmt == COMP_FMT_BGRA8)
			return p;
		comp_swizzle_row(rc->tmp, p, n);
		return rc->tmp;
	}
	*opaque = 0;
	int64_t u, v, du, dv;
	comp_xform_row(xf, xs, y, &u, &v, &du, &dv);
	uint32_t *t = rc->tmp;
	for (uint32_t k = 0; k < n; k++, u += du, v += dv) {
		int64_t sx = u >> 16, sy = v >> 16;
		t[k] = (uint64_t)sx < l->w && (uint64_t)sy < l->h
			       ? fetch(l, (uint32_t)sx, (uint32_t)sy)
			       : 0; /* outside: transparent */
	}
	return t;
}

uint64_t comp_render_rect(struct comp_render *rc, const struct comp_scene *s,
			  uint32_t *out, uint32_t w, uint32_t h,
			  uint32_t stride, const struct disp_rect *r)
{
	int64_t x0 = r->x < 0 ? 0 : r->x, y0 = r->y < 0 ? 0 : r->y;
	int64_t x1 = (int64_t)r->x + r->w, y1 = (int64_t)r->y + r->h;
	if (x1 > w)
		x1 = w;
	if (y1 > h)
		y1 = h;
	if (x0 >= x1 || y0 >= y1)
		return 0;
	for (int32_t y = (int32_t)y0; y < y1; y++) {
		uint32_t *row = out + (size_t)y * stride;
		uint32_t first = 0;
		for (uint32_t i = rc->n; i-- > 0;) {
			if (hides(rc, s, i, y, (int32_t)x0, (int32_t)x1)) {
				first = i;
				break;
			}
		}
		if (first == 0 &&
		    !(rc->n && hides(rc, s, 0, y, (int32_t)x0, (int32_t)x1)))
			memset(row + x0, 0, (size_t)(x1 - x0) * 4);
		for (uint32_t i = first; i < rc->n; i++) {
			const struct comp_layer *l = &s->layer[rc->id[i] - 1];
			const struct comp_rect *b = &rc->xf[i].box;
			if (y < b->y || y >= b->y + b->h)
				continue;
			int32_t xs = b->x > x0 ? b->x : (int32_t)x0;
			int64_t be = (int64_t)b->x + b->w;
			int32_t xe = (int32_t)(be < x1 ? be : x1);
			if (xs >= xe)
				continue;
			int opaque;
			const uint32_t *src =
				source_row(rc, l, i, y, xs, xe, &opaque);
			comp_blend_row(
				row + xs, src, (uint32_t)(xe - xs), rc->la[i],
				(uint32_t)l->cur[COMP_REG_BLEND], opaque);
		}
	}
	return (uint64_t)(x1 - x0) * (uint64_t)(y1 - y0);
}
