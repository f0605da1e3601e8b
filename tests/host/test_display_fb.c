/* fbdisplay's copies into the boot framebuffer (drivers/fbdisplay/
 * fb_blit.c): 32-bit XRGB, 24-bit, 16-bit 565 and odd channel orders. */
#include "harness.h"
#include "fb_blit.h"

static uint32_t src[8 * 6];

static void fill(void)
{
	for (uint32_t i = 0; i < 8 * 6; i++)
		src[i] = 0x00102030u + i * 0x010101u;
}

TEST(fb_blit_xrgb_copies_only_the_rectangle)
{
	fill();
	struct fb_format f = {8, 6, 40, 32, 16, 8, 8, 8, 0, 8};
	CHECK(fb_format_ok(&f));
	uint8_t fb[40 * 6];
	memset(fb, 0xee, sizeof(fb));
	struct disp_rect r = {2, 1, 3, 2};
	fb_blit(&f, fb, (const uint8_t *)src, 32, &r);
	for (uint32_t y = 0; y < 6; y++)
		for (uint32_t x = 0; x < 8; x++) {
			uint32_t got;
			memcpy(&got, fb + y * 40 + x * 4, 4);
			bool in = x >= 2 && x < 5 && y >= 1 && y < 3;
			CHECK_EQ(got, in ? src[y * 8 + x] : 0xeeeeeeeeu);
		}
}

TEST(fb_blit_converts_24_and_16_bit_and_rgb_order)
{
	fill();
	src[0] = 0x00ff8040u;
	struct fb_format f24 = {8, 6, 24, 24, 16, 8, 8, 8, 0, 8};
	uint8_t fb[64 * 6] = {0};
	struct disp_rect r = {0, 0, 1, 1};
	fb_blit(&f24, fb, (const uint8_t *)src, 32, &r);
	CHECK(fb[0] == 0x40 && fb[1] == 0x80 && fb[2] == 0xff);
	struct fb_format f565 = {8, 6, 16, 16, 11, 5, 5, 6, 0, 5};
	CHECK(fb_format_ok(&f565));
	fb_blit(&f565, fb, (const uint8_t *)src, 32, &r);
	uint16_t p = (uint16_t)(fb[0] | fb[1] << 8);
	CHECK_EQ(p, (0xff >> 3) << 11 | (0x80 >> 2) << 5 | (0x40 >> 3));
	struct fb_format rgbx = {8, 6, 32, 32, 0, 8, 8, 8, 16, 8};
	fb_blit(&rgbx, fb, (const uint8_t *)src, 32, &r);
	CHECK(fb[0] == 0xff && fb[1] == 0x80 && fb[2] == 0x40);
}

TEST(fb_format_refuses_what_it_cannot_drive)
{
	struct fb_format f = {8, 6, 40, 32, 16, 8, 8, 8, 0, 8};
	f.bpp = 8;
	CHECK(!fb_format_ok(&f));
	f.bpp = 32;
	f.pitch = 31; /* shorter than a row */
	CHECK(!fb_format_ok(&f));
	f.pitch = 40;
	f.red_pos = 28; /* beyond the pixel */
	CHECK(!fb_format_ok(&f));
	f.red_pos = 16;
	f.green_size = 0;
	CHECK(!fb_format_ok(&f));
	f.green_size = 8;
	f.width = 0;
	CHECK(!fb_format_ok(&f));
}
