/* Copying damage from a client buffer (XRGB8888) into the boot
 * framebuffer, whatever its pixel layout (bootinfo `fb`/`fb_rgb`: 32, 24
 * or 16 bits per pixel, any channel positions). Pure code, host-tested
 * (tests/host/test_display_fb.c). */
#pragma once
#include <stdint.h>

#include <execrt/display_proto.h>

struct fb_format {
	uint32_t width, height, pitch, bpp;
	uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
};

/* Whether fbdisplay can drive it (bpp 16, 24 or 32, sizes 1-8 bits,
 * channels inside the pixel, pitch large enough). */
int fb_format_ok(const struct fb_format *f);
/* One XRGB8888 pixel in the framebuffer's layout. */
uint32_t fb_pack(const struct fb_format *f, uint32_t xrgb);
/* Copies rectangle r (already clipped to the framebuffer) from src (rows
 * of src_stride bytes) to fb. */
void fb_blit(const struct fb_format *f, volatile uint8_t *fb,
	     const uint8_t *src, uint32_t src_stride,
	     const struct disp_rect *r);
