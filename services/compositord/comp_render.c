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

/* Layer i's part of [x0, x1) on row y. */
static int span(const struct comp_render *rc, uint32_t i, int32_t y, int32_t x0,
		int32_t x1, int32_t *xs, int32_t *xe)
{
	const struct comp_rect *b = &rc->xf[i].box;
	if (y < b->y || y >= b->y + b->h)
		return 0;
	*xs = b->x > x0 ? b->x : x0;
	int64_t be = (int64_t)b->x + b->w;
	*xe = (int32_t)(be < x1 ? be : x1);
	return *xs < *xe;
}

/* Drawn in place by the fused kernel: unscaled, unrotated, normal,
 * alpha above 0, format fmt. 1: opaque under one alpha below 1 (the
 * uniform arithmetic); 2: per-pixel alpha (or opaque at alpha 1). */
static int fusable(const struct comp_render *rc, const struct comp_scene *s,
		   uint32_t i, uint32_t fmt)
{
	const struct comp_layer *l = &s->layer[rc->id[i] - 1];
	if (!rc->xf[i].unit || l->fmt != fmt || rc->la[i] == 0 ||
	    l->cur[COMP_REG_BLEND] != COMP_BLEND_NORMAL)
		return 0;
	return l->opaque && rc->la[i] < 255 ? 1 : 2;
}

/* Drawn as a copy: opaque, unscaled, unrotated, normal, alpha 1. */
static int base_layer(const struct comp_render *rc, const struct comp_scene *s,
		      uint32_t i)
{
	const struct comp_layer *l = &s->layer[rc->id[i] - 1];
	return rc->xf[i].unit && l->opaque && rc->la[i] == 255 &&
	       l->cur[COMP_REG_BLEND] == COMP_BLEND_NORMAL;
}

/* The run of layers from i that one pass draws on row y: same span,
 * same format, unscaled, unrotated, normal (the first may be an opaque
 * copy: *base). Their rows in src, alphas in la, those with per-pixel
 * alpha in *pp (bit k); its length. */
static uint32_t run(const struct comp_render *rc, const struct comp_scene *s,
		    uint32_t i, int32_t y, int32_t x0, int32_t x1,
		    const uint32_t **src, uint32_t *la, int *base, uint32_t *pp)
{
	*pp = 0;
	int32_t xs, xe;
	if (!span(rc, i, y, x0, x1, &xs, &xe))
		return 0;
	uint32_t fmt = s->layer[rc->id[i] - 1].fmt, k = 0;
	*base = base_layer(rc, s, i);
	for (; i + k < rc->n && k < COMP_FUSE_MAX; k++) {
		uint32_t j = i + k;
		int32_t s0, s1;
		int f = k == 0 && *base ? 1 : fusable(rc, s, j, fmt);
		if (!f || !span(rc, j, y, x0, x1, &s0, &s1) || s0 != xs ||
		    s1 != xe)
			break;
		if (f == 2)
			*pp |= 1u << k;
		const struct comp_xform *xf = &rc->xf[j];
		const struct comp_layer *m = &s->layer[rc->id[j] - 1];
		src[k] = (const uint32_t *)(m->px +
					    (size_t)(y - xf->oy) * m->stride +
					    (size_t)(xs - xf->ox) * 4);
		la[k] = rc->la[j];
	}
	return k;
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

/* Layer i's pixels for [xs, xe) of row y: in place (*rgba: RGBA8) or
 * sampled into rc->tmp as BGRA8. *opaque: all alpha 255 for sure. */
static const uint32_t *source_row(struct comp_render *rc,
				  const struct comp_layer *l, uint32_t i,
				  int32_t y, int32_t xs, int32_t xe,
				  int *opaque, int *rgba)
{
	*rgba = 0;
	const struct comp_xform *xf = &rc->xf[i];
	uint32_t n = (uint32_t)(xe - xs);
	if (xf->unit) {
		const uint32_t *p =
			(const uint32_t *)(l->px +
					   (size_t)(y - xf->oy) * l->stride +
					   (size_t)(xs - xf->ox) * 4);
		*opaque = l->opaque;
		*rgba = l->fmt == COMP_FMT_RGBA8;
		return p;
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
		for (uint32_t i = first; i < rc->n;) {
			int32_t xs, xe;
			if (!span(rc, i, y, (int32_t)x0, (int32_t)x1, &xs,
				  &xe)) {
				i++;
				continue;
			}
			const struct comp_layer *l = &s->layer[rc->id[i] - 1];
			const uint32_t *src[COMP_FUSE_MAX];
			uint32_t la[COMP_FUSE_MAX];
			int base;
			uint32_t pp;
			uint32_t k = run(rc, s, i, y, (int32_t)x0, (int32_t)x1,
					 src, la, &base, &pp);
			if (k >= 2) {
				comp_blend_fused(row + xs, src, la, pp, k,
						 (uint32_t)(xe - xs),
						 l->fmt == COMP_FMT_RGBA8,
						 base);
				i += k;
				continue;
			}
			int opaque, rgba;
			const uint32_t *p =
				source_row(rc, l, i, y, xs, xe, &opaque, &rgba);
			comp_blend_row(
				row + xs, p, (uint32_t)(xe - xs), rc->la[i],
				(uint32_t)l->cur[COMP_REG_BLEND], opaque, rgba);
			i++;
		}
	}
	return (uint64_t)(x1 - x0) * (uint64_t)(y1 - y0);
}
