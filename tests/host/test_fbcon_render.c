/* Glyph rendering and damage rectangles (servers/fbcon/render.c). */
#include <stdlib.h>

#include "harness.h"
#include "render.h"

static struct term t;
static struct psf_font f;
static uint8_t font[4 + 256 * 4];
static uint32_t px[64 * 40]; /* 64 x 40 pixels: 16 x 10 cells of 4x4 */

/* A PSF1 font of 8 x 4 glyphs: glyph g's rows are all g (so the glyph of
 * 'A' 0x41 is the pattern 01000001 on every row). */
static void setup(void)
{
	font[0] = 0x36, font[1] = 0x04, font[2] = 0, font[3] = 4;
	for (int g = 0; g < 256; g++)
		for (int i = 0; i < 4; i++)
			font[4 + g * 4 + i] = (uint8_t)g;
	psf_parse(&f, font, sizeof(font));
	memset(px, 0xee, sizeof(px));
}

static const struct render_fb fb = {(uint8_t *)px, 64, 40, 64 * 4};

static void put(const char *s)
{
	term_write(&t, s, strlen(s));
}

static uint32_t at(int x, int y)
{
	return px[y * 64 + x];
}

TEST(fbcon_render_grid_and_glyph_pixels)
{
	setup();
	CHECK_EQ(f.width, 8);
	int cols, rows;
	render_grid(&fb, &f, &cols, &rows);
	CHECK_EQ(cols, 8);
	CHECK_EQ(rows, 10);
	term_init(&t, cols, rows);
	put("A\x1b[31;44mA");
	struct render_rect r[8];
	int n = render_damage(&t, &f, &fb, r, 8);
	CHECK_EQ(n, 1); /* the whole first paint: one rectangle */
	CHECK_EQ(r[0].w, 64);
	CHECK_EQ(r[0].h, 40);
	uint32_t fg = render_palette[TERM_FG_DEFAULT], bg = render_palette[0];
	/* 'A' = 01000001: columns 1 and 7 lit, in every row */
	for (int y = 0; y < 4; y++)
		for (int x = 0; x < 8; x++)
			CHECK_EQ(at(x, y), (x == 1 || x == 7) ? fg : bg);
	for (int x = 8; x < 16; x++)
		CHECK_EQ(at(x, 2), (x == 9 || x == 15) ? render_palette[1]
						       : render_palette[4]);
	/* The cursor (cell 2) is drawn inverted: a blank shows fg. */
	CHECK_EQ(at(16, 0), fg);
	CHECK_EQ(at(24, 0), bg);
	CHECK(!term_dirty(&t));
}

TEST(fbcon_render_damage_rects_cover_only_changes)
{
	setup();
	term_init(&t, 8, 10);
	struct render_rect r[8];
	render_damage(&t, &f, &fb, r, 8);
	memset(px, 0xee, sizeof(px)); /* anything drawn now shows */
	put("\x1b[4;3HXY");
	int n = render_damage(&t, &f, &fb, r, 8);
	/* Row 0's old cursor cell, row 3's cells 2..4 (new cursor). */
	CHECK_EQ(n, 2);
	CHECK_EQ(r[0].x, 0);
	CHECK_EQ(r[0].y, 0);
	CHECK_EQ(r[0].w, 8);
	CHECK_EQ(r[0].h, 4);
	CHECK_EQ(r[1].x, 16);
	CHECK_EQ(r[1].y, 12);
	CHECK_EQ(r[1].w, 24);
	CHECK_EQ(r[1].h, 4);
	/* Pixels outside the rectangles were not touched. */
	for (int y = 0; y < 40; y++)
		for (int x = 0; x < 64; x++) {
			bool in = false;
			for (int k = 0; k < n; k++)
				in |= x >= r[k].x && x < r[k].x + (int)r[k].w &&
				      y >= r[k].y && y < r[k].y + (int)r[k].h;
			CHECK(in == (at(x, y) != 0xeeeeeeeeu));
		}
	/* Nothing changed: nothing drawn. */
	CHECK_EQ(render_damage(&t, &f, &fb, r, 8), 0);
}

TEST(fbcon_render_rows_merge_and_overflow_to_bounding_box)
{
	setup();
	term_init(&t, 8, 10);
	struct render_rect r[8];
	put("\x1b[?25l");
	render_damage(&t, &f, &fb, r, 8);
	/* Same span on rows 1-3: one rectangle 3 cells high. */
	put("\x1b[2;2Hab\x1b[3;2Hcd\x1b[4;2Hef");
	int n = render_damage(&t, &f, &fb, r, 8);
	CHECK_EQ(n, 1);
	CHECK_EQ(r[0].x, 8);
	CHECK_EQ(r[0].y, 4);
	CHECK_EQ(r[0].w, 16);
	CHECK_EQ(r[0].h, 12);
	/* Different spans on many rows with room for 2: the bounding box. */
	put("\x1b[1;1Hx\x1b[3;5Hy\x1b[9;8Hz");
	n = render_damage(&t, &f, &fb, r, 2);
	CHECK_EQ(n, 1);
	CHECK_EQ(r[0].x, 0);
	CHECK_EQ(r[0].y, 0);
	CHECK_EQ(r[0].w, 64);
	CHECK_EQ(r[0].h, 36);
}
