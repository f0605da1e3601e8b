/* Damage rectangles: clip and merge (damage.h). */
#include "damage.h"

static uint64_t area(const struct disp_rect *r)
{
	return (uint64_t)r->w * r->h;
}

static struct disp_rect bbox(const struct disp_rect *a,
			     const struct disp_rect *b)
{
	int32_t x0 = a->x < b->x ? a->x : b->x;
	int32_t y0 = a->y < b->y ? a->y : b->y;
	int64_t ax1 = (int64_t)a->x + a->w, bx1 = (int64_t)b->x + b->w;
	int64_t ay1 = (int64_t)a->y + a->h, by1 = (int64_t)b->y + b->h;
	int64_t x1 = ax1 > bx1 ? ax1 : bx1, y1 = ay1 > by1 ? ay1 : by1;
	return (struct disp_rect){x0, y0, (uint32_t)(x1 - x0),
				  (uint32_t)(y1 - y0)};
}

static uint64_t overlap(const struct disp_rect *a, const struct disp_rect *b)
{
	int64_t x0 = a->x > b->x ? a->x : b->x, y0 = a->y > b->y ? a->y : b->y;
	int64_t ax1 = (int64_t)a->x + a->w, bx1 = (int64_t)b->x + b->w;
	int64_t ay1 = (int64_t)a->y + a->h, by1 = (int64_t)b->y + b->h;
	int64_t x1 = ax1 < bx1 ? ax1 : bx1, y1 = ay1 < by1 ? ay1 : by1;
	if (x1 <= x0 || y1 <= y0)
		return 0;
	return (uint64_t)(x1 - x0) * (uint64_t)(y1 - y0);
}

static bool contains(const struct disp_rect *o, const struct disp_rect *i)
{
	return i->x >= o->x && i->y >= o->y &&
	       (int64_t)i->x + i->w <= (int64_t)o->x + o->w &&
	       (int64_t)i->y + i->h <= (int64_t)o->y + o->h;
}

/* Merging a and b costs the bounding box's pixels that neither covers;
 * worth it when that is small next to what they cover (an eighth) or a
 * few rows of a small rectangle (256 pixels). */
static bool worth_merging(const struct disp_rect *a, const struct disp_rect *b)
{
	struct disp_rect bb = bbox(a, b);
	uint64_t covered = area(a) + area(b) - overlap(a, b);
	uint64_t waste = area(&bb) - covered;
	return waste <= (area(a) + area(b)) / 8 + 256;
}

bool damage_clip(const struct disp_rect *r, uint32_t w, uint32_t h,
		 struct disp_rect *out)
{
	int64_t x0 = r->x < 0 ? 0 : r->x, y0 = r->y < 0 ? 0 : r->y;
	int64_t x1 = (int64_t)r->x + r->w, y1 = (int64_t)r->y + r->h;
	if (x1 > (int64_t)w)
		x1 = w;
	if (y1 > (int64_t)h)
		y1 = h;
	if (x1 <= x0 || y1 <= y0)
		return false;
	*out = (struct disp_rect){(int32_t)x0, (int32_t)y0, (uint32_t)(x1 - x0),
				  (uint32_t)(y1 - y0)};
	return true;
}

static void drop(struct damage *d, uint32_t i)
{
	d->r[i] = d->r[--d->n];
}

void damage_add(struct damage *d, const struct disp_rect *in, uint32_t w,
		uint32_t h)
{
	struct disp_rect r;
	if (!damage_clip(in, w, h, &r))
		return;
	/* Absorb what r covers, grow r by what is worth merging, until
	 * nothing changes (a grown r may reach further ones). */
	bool again = true;
	while (again) {
		again = false;
		for (uint32_t i = 0; i < d->n; i++) {
			if (contains(&d->r[i], &r))
				return;
			if (contains(&r, &d->r[i]) ||
			    worth_merging(&r, &d->r[i])) {
				r = bbox(&r, &d->r[i]);
				drop(d, i);
				again = true;
				break;
			}
		}
	}
	if (d->n < DAMAGE_MAX) {
		d->r[d->n++] = r;
		return;
	}
	/* Full: merge into the rectangle whose box grows least. */
	uint32_t best = 0;
	uint64_t best_growth = UINT64_MAX;
	for (uint32_t i = 0; i < d->n; i++) {
		struct disp_rect bb = bbox(&r, &d->r[i]);
		uint64_t g = area(&bb) - area(&d->r[i]);
		if (g < best_growth) {
			best_growth = g;
			best = i;
		}
	}
	r = bbox(&r, &d->r[best]);
	drop(d, best);
	damage_add(d, &r, w, h); /* n < DAMAGE_MAX now: ends */
}

void damage_full(struct damage *d, uint32_t w, uint32_t h)
{
	d->n = 0;
	if (w && h)
		d->r[d->n++] = (struct disp_rect){0, 0, w, h};
}

void damage_union(struct damage *dst, const struct damage *src, uint32_t w,
		  uint32_t h)
{
	for (uint32_t i = 0; i < src->n; i++)
		damage_add(dst, &src->r[i], w, h);
}

uint64_t damage_area(const struct damage *d)
{
	uint64_t a = 0;
	for (uint32_t i = 0; i < d->n; i++)
		a += area(&d->r[i]);
	return a;
}

bool damage_covers(const struct damage *d, uint32_t x, uint32_t y)
{
	for (uint32_t i = 0; i < d->n; i++) {
		const struct disp_rect *r = &d->r[i];
		if ((int64_t)x >= r->x && (int64_t)y >= r->y &&
		    (int64_t)x < (int64_t)r->x + r->w &&
		    (int64_t)y < (int64_t)r->y + r->h)
			return true;
	}
	return false;
}
