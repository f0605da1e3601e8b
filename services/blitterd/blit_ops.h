/* blit_ops: rectangles on surfaces over the row kernels of blit_kern.h:
 * clipping, pixel formats, overlap. Pure code, no system calls
 * (tests/host/test_blit_ops.c). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "blit_kern.h"

enum blit_fmt { BLIT_RGBA8 = 0, BLIT_BGRA8 = 1 };

#define BLIT_DIM_MAX 16384u /* w and h: at most this */

struct blit_surf {
	uint8_t *base; /* pixel (0,0); rows stride bytes apart */
	uint32_t w, h, stride;
	enum blit_fmt fmt;
};

/* Signed: rects may start left of or above a surface (they are clipped). */
struct blit_rect {
	int64_t x, y, w, h;
};

struct blit_color {
	uint8_t r, g, b, a;
};

/* Whether w, h, stride describe a surface (1..BLIT_DIM_MAX, stride >=
 * w*4) and the bytes it needs (stride*(h-1) + w*4 rounded as callers
 * check grants: stride*h). */
bool blit_surf_ok(uint32_t w, uint32_t h, uint32_t stride, uint64_t *bytes);
/* "RGBA8" / "BGRA8" -> 0 and *f, else -1. */
int blit_fmt_parse(const char *s, enum blit_fmt *f);
const char *blit_fmt_name(enum blit_fmt f);
/* r clipped to [0,w)x[0,h): false when nothing is left. */
bool blit_clip(struct blit_rect *r, uint32_t w, uint32_t h);

/* Each returns the pixels written (0: all clipped away). Copies between
 * overlapping memory laid out alike (one surface, or two with the same
 * base, stride and format) pick a safe row and byte order; overlapping
 * memory laid out otherwise goes through a malloc'd copy of the source
 * rect: -1 when that fails (the caller's NO_MEMORY). */
uint64_t blit_fill(const struct blit_kern *k, const struct blit_surf *dst,
		   struct blit_rect r, struct blit_color c);
int64_t blit_copy(const struct blit_kern *k, const struct blit_surf *src,
		  const struct blit_surf *dst, struct blit_rect sr, int64_t dx,
		  int64_t dy);
/* Whole surfaces of the same w and h (the caller checks). */
int64_t blit_convert(const struct blit_kern *k, const struct blit_surf *src,
		     const struct blit_surf *dst);
