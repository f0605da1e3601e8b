/* fbdisplay: /svc/display on the boot framebuffer (UEFI GOP or the
 * Multiboot2 framebuffer), the fallback when no display device has a
 * driver (docs/display.md). iod starts it as `fbdisplay fb0` for its FB
 * device; IOD_DEV_INFO gives the geometry and pixel layout (bootinfo
 * `fb` and `fb_rgb`), IOD_DEV_BAR(0, WC) the framebuffer itself.
 *
 * One output, one fixed mode (the firmware's), a 60 Hz frame clock.
 * Clients draw in ordinary memory (the buffers are plain memory objects
 * granted to them); a present copies the damage into the framebuffer,
 * converting the pixel layout when it is not XRGB8888. */
#include <stdio.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/runtime.h>
#include <execrt/syscall.h>

#include "disp_iod.h"
#include "disp_main.h"
#include "fb_blit.h"

struct fbdev {
	struct fb_format fmt;
	volatile uint8_t *fb;
	uint64_t fb_size;
	struct disp_buffers geom;
	struct disp_mem mem;
};

static struct fbdev dev;
static struct disp_core core;

static int fb_set_mode(void *ctx, uint32_t o, const struct disp_mode *m)
{
	struct fbdev *d = ctx;
	(void)o;
	/* The one mode is the firmware's: nothing to program. */
	return m->width == d->fmt.width && m->height == d->fmt.height
		       ? 0
		       : ERR_NOT_SUPPORTED;
}

static int fb_buffers_new(void *ctx, uint32_t o, const struct disp_buffers *b,
			  uint32_t *grants)
{
	struct fbdev *d = ctx;
	(void)o;
	int r = disp_mem_alloc(HANDLE_INVALID, b, &d->mem, grants);
	if (r == 0)
		d->geom = *b;
	return r;
}

static void fb_buffers_free(void *ctx, uint32_t o)
{
	struct fbdev *d = ctx;
	(void)o;
	disp_mem_free(&d->mem);
}

static int fb_present(void *ctx, uint32_t o, uint32_t buf,
		      const struct disp_rect *r, uint32_t n)
{
	struct fbdev *d = ctx;
	(void)o;
	const uint8_t *src = d->mem.va[buf];
	for (uint32_t i = 0; i < n; i++)
		fb_blit(&d->fmt, d->fb, src, d->geom.stride, &r[i]);
	/* Write-combining buffers drain before the answer goes out. */
	__asm__ __volatile__("sfence" ::: "memory");
	return 0;
}

static const struct disp_ops fb_ops = {
	.set_mode = fb_set_mode,
	.buffers_new = fb_buffers_new,
	.buffers_free = fb_buffers_free,
	.present = fb_present,
};

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "fb0";
	struct iod_dev_info info;
	int r = disp_iod_info(&info);
	if (r < 0 || info.kind != IOD_KIND_FB) {
		printf("fbdisplay: %s: no framebuffer from iod (%s)\n", name,
		       r < 0 ? err_name(r) : "not an FB device");
		return 1;
	}
	dev.fmt = (struct fb_format){info.fb_width,	info.fb_height,
				     info.fb_pitch,	info.fb_bpp,
				     info.fb_red_pos,	info.fb_red_size,
				     info.fb_green_pos, info.fb_green_size,
				     info.fb_blue_pos,	info.fb_blue_size};
	if (!fb_format_ok(&dev.fmt)) {
		printf("fbdisplay: %s: cannot drive %ux%u %u bpp (pitch %u)\n",
		       name, info.fb_width, info.fb_height, info.fb_bpp,
		       info.fb_pitch);
		return 1;
	}
	handle_t fbh;
	uint64_t phys;
	r = disp_iod_bar(0, VMO_CACHE_WC, &fbh, &dev.fb, &dev.fb_size, &phys);
	if (r == 0 && dev.fb_size < (uint64_t)dev.fmt.pitch * dev.fmt.height)
		r = ERR_OUT_OF_RANGE;
	if (r < 0) {
		printf("fbdisplay: %s: framebuffer: %s\n", name, err_name(r));
		return 1;
	}
	disp_core_init(&core, NULL, NULL, "fbdisplay", name);
	struct disp_mode m = {dev.fmt.width, dev.fmt.height, 60000,
			      DISP_MODE_PREFERRED};
	disp_core_add_output(&core, "fb0", &m, 1, 0, 0, 0, 0);
	return disp_run(&core, &fb_ops, &dev) < 0 ? 1 : 0;
}
