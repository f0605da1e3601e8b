/* Damage: a small set of rectangles a display driver moves to its device
 * (docs/display.md "Damage"). Rectangles are clipped to the mode and
 * merged when their bounding box wastes little, so the set stays short;
 * past DAMAGE_MAX the rectangle is merged into the one that grows least.
 * Pure code, host-tested (tests/host/test_display_damage.c). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <execrt/display_proto.h>

#define DAMAGE_MAX 16u

struct damage {
	uint32_t n;
	struct disp_rect r[DAMAGE_MAX];
};

static inline void damage_clear(struct damage *d)
{
	d->n = 0;
}

/* r clipped to [0, w) x [0, h); false when nothing is left. */
bool damage_clip(const struct disp_rect *r, uint32_t w, uint32_t h,
		 struct disp_rect *out);
/* Adds r (clipped to w x h) to d, merging. */
void damage_add(struct damage *d, const struct disp_rect *r, uint32_t w,
		uint32_t h);
/* The whole w x h area. */
void damage_full(struct damage *d, uint32_t w, uint32_t h);
/* Adds every rectangle of src to dst. */
void damage_union(struct damage *dst, const struct damage *src, uint32_t w,
		  uint32_t h);
/* Sum of the rectangles' areas (overlaps counted twice). */
uint64_t damage_area(const struct damage *d);
/* Whether pixel (x, y) is inside one of the rectangles. */
bool damage_covers(const struct damage *d, uint32_t x, uint32_t y);
