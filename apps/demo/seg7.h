/* seg7: text as seven-segment rectangles, so the demo's panel is drawn
 * entirely by blitterd (rect_fill batches). Digits, space, '-', '.' and
 * the letters A b C d E F H L n o P r S t U y. Pure (host-tested:
 * tests/host/test_gfx_sdk.c). */
#pragma once
#include "cl_gfx.h"

/* Glyph cell: 4 s wide, 7 s high, plus s of spacing (s = segment
 * thickness). */
#define SEG7_ADVANCE(s) (5 * (s))

/* The rectangles of text at (x, y) with thickness s: how many written
 * (at most max; an unknown character is a blank). */
uint32_t seg7_rects(const char *text, int32_t x, int32_t y, uint32_t s,
		    cl_rect *out, uint32_t max);
/* The segment mask (bit 0 a .. bit 6 g, bit 7 the dot) of c. */
uint8_t seg7_mask(char c);
