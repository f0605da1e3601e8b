/* Glyph rendering (render.h). */
#include "render.h"

const uint32_t render_palette[16] = {
	0x000000, 0xaa0000, 0x00aa00, 0xaa5500, 0x0000aa, 0xaa00aa,
	0x00aaaa, 0xaaaaaa, 0x555555, 0xff5555, 0x55ff55, 0xffff55,
	0x5555ff, 0xff55ff, 0x55ffff, 0xffffff,
};

void render_grid(const struct render_fb *fb, const struct psf_font *f,
		 int *cols, int *rows)
{
	uint32_t c = f->width ? fb->width / f->width : 0;
	uint32_t r = f->height ? fb->height / f->height : 0;
	*cols = c > TERM_COLS_MAX ? TERM_COLS_MAX : (int)c;
	*rows = r > TERM_ROWS_MAX ? TERM_ROWS_MAX : (int)r;
}

static void draw_cell(const struct term *t, const struct psf_font *f,
		      const struct render_fb *fb, int row, int col)
{
	const struct term_cell *c = &t->cell[row][col];
	uint8_t fgi = c->fg & 15, bgi = c->bg & 15;
	if ((c->attr & TERM_A_BOLD) && fgi < 8)
		fgi += 8;
	uint32_t fg = render_palette[fgi], bg = render_palette[bgi];
	bool inv = (c->attr & TERM_A_REVERSE) != 0;
	if (t->cursor_on && row == t->cy && col == t->cx)
		inv = !inv;
	if (inv) {
		uint32_t x = fg;
		fg = bg;
		bg = x;
	}
	const uint8_t *g = psf_glyph(f, c->ch);
	uint32_t x0 = (uint32_t)col * f->width, y0 = (uint32_t)row * f->height;
	for (uint32_t y = 0; y < f->height; y++) {
		if (y0 + y >= fb->height)
			return;
		uint32_t *px = (uint32_t *)(fb->base +
					    (uint64_t)(y0 + y) * fb->stride) +
			       x0;
		const uint8_t *bits = g + y * f->rowbytes;
		bool ul = (c->attr & TERM_A_UNDERLINE) && y == f->height - 1;
		for (uint32_t x = 0; x < f->width && x0 + x < fb->width; x++) {
			bool on = ul || (bits[x / 8] & (0x80u >> (x % 8)));
			px[x] = on ? fg : bg;
		}
	}
}

int render_damage(struct term *t, const struct psf_font *f,
		  const struct render_fb *fb, struct render_rect *out, int max)
{
	int n = 0;
	bool overflow = false;
	int bx0 = TERM_COLS_MAX, bx1 = 0, by0 = TERM_ROWS_MAX, by1 = 0;
	for (int r = 0; r < t->rows; r++) {
		int lo = t->lo[r], hi = t->hi[r];
		if (lo >= hi)
			continue;
		for (int c = lo; c < hi; c++)
			draw_cell(t, f, fb, r, c);
		bx0 = lo < bx0 ? lo : bx0;
		bx1 = hi > bx1 ? hi : bx1;
		by0 = r < by0 ? r : by0;
		by1 = r + 1;
		struct render_rect rc = {
			.x = lo * (int)f->width,
			.y = r * (int)f->height,
			.w = (uint32_t)(hi - lo) * f->width,
			.h = f->height,
		};
		/* The same span as the row above: one taller rectangle. */
		if (n > 0 && out[n - 1].x == rc.x && out[n - 1].w == rc.w &&
		    out[n - 1].y + (int32_t)out[n - 1].h == rc.y)
			out[n - 1].h += rc.h;
		else if (n < max)
			out[n++] = rc;
		else
			overflow = true;
	}
	term_clean(t);
	if (overflow && max > 0) {
		out[0] = (struct render_rect){
			.x = bx0 * (int)f->width,
			.y = by0 * (int)f->height,
			.w = (uint32_t)(bx1 - bx0) * f->width,
			.h = (uint32_t)(by1 - by0) * f->height,
		};
		n = 1;
	}
	return n;
}
