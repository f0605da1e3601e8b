/* Framebuffer copies (fb_blit.h). */
#include "fb_blit.h"

#include <string.h>

int fb_format_ok(const struct fb_format *f)
{
	if (f->bpp != 16 && f->bpp != 24 && f->bpp != 32)
		return 0;
	if (!f->width || !f->height || f->width > DISP_DIM_MAX ||
	    f->height > DISP_DIM_MAX ||
	    (uint64_t)f->pitch < (uint64_t)f->width * (f->bpp / 8))
		return 0;
	const uint8_t pos[3] = {f->red_pos, f->green_pos, f->blue_pos};
	const uint8_t size[3] = {f->red_size, f->green_size, f->blue_size};
	for (int i = 0; i < 3; i++)
		if (!size[i] || size[i] > 8 || pos[i] + size[i] > f->bpp)
			return 0;
	return 1;
}

static uint32_t chan(uint32_t v8, uint8_t size, uint8_t pos)
{
	return (v8 >> (8 - size)) << pos;
}

uint32_t fb_pack(const struct fb_format *f, uint32_t xrgb)
{
	return chan((xrgb >> 16) & 0xff, f->red_size, f->red_pos) |
	       chan((xrgb >> 8) & 0xff, f->green_size, f->green_pos) |
	       chan(xrgb & 0xff, f->blue_size, f->blue_pos);
}

static int is_xrgb(const struct fb_format *f)
{
	return f->bpp == 32 && f->red_pos == 16 && f->red_size == 8 &&
	       f->green_pos == 8 && f->green_size == 8 && f->blue_pos == 0 &&
	       f->blue_size == 8;
}

void fb_blit(const struct fb_format *f, volatile uint8_t *fb,
	     const uint8_t *src, uint32_t src_stride, const struct disp_rect *r)
{
	uint32_t bytes = f->bpp / 8;
	for (uint32_t y = 0; y < r->h; y++) {
		const uint32_t *s =
			(const uint32_t *)(const void *)(src +
							 (uint64_t)(r->y + y) *
								 src_stride +
							 (uint64_t)r->x * 4);
		volatile uint8_t *d = fb + (uint64_t)(r->y + y) * f->pitch +
				      (uint64_t)r->x * bytes;
		if (is_xrgb(f)) {
			/* The common case: one row copy into write-combining
			 * memory. */
			memcpy((void *)d, s, (size_t)r->w * 4);
			continue;
		}
		for (uint32_t x = 0; x < r->w; x++) {
			uint32_t p = fb_pack(f, s[x]);
			for (uint32_t k = 0; k < bytes; k++)
				d[x * bytes + k] = (uint8_t)(p >> (8 * k));
		}
	}
}
