/* Draws the terminal's damaged cells into a 32-bpp XRGB8888 buffer (the
 * display's scanout buffer, display_proto.h) and says which rectangles
 * changed, for the display's present. Pure code, host-tested
 * (tests/host/test_fbcon_render.c). */
#pragma once
#include <stdint.h>

#include "psf.h"
#include "term.h"

struct render_fb {
	uint8_t *base;
	uint32_t width, height; /* pixels */
	uint32_t stride;	/* bytes per row */
};

struct render_rect {
	int32_t x, y;
	uint32_t w, h;
};

/* The VGA palette, 0x00RRGGBB. */
extern const uint32_t render_palette[16];

/* The grid that fits fb with font f. */
void render_grid(const struct render_fb *fb, const struct psf_font *f,
		 int *cols, int *rows);
/* Draws every dirty cell of t (and the cursor) into fb, clears t's
 * damage, and writes at most max rectangles covering what was drawn
 * (rows with the same span merged; when there are more, their bounding
 * box). Returns the number written (0: nothing was dirty). */
int render_damage(struct term *t, const struct psf_font *f,
		  const struct render_fb *fb, struct render_rect *out, int max);
