/* comp_bench: compositord's composition cost on the host, for the
 * instruction budget of the issue (4 full-screen 1024x768 alpha layers
 * <= 12 M instructions per frame; a 64x64 sprite over a static
 * background <= 0.5 M). Built -O2 like the guest programs by
 * `make comp-bench`; run under valgrind (tools: `make comp-bench-run`)
 * to count instructions: `comp_bench SCENE FRAMES [rgba|bgra]` (images
 * RGBA8 by default, as clients send them), the cost per frame is
 * (Ir(FRAMES) - Ir(0)) / FRAMES. Scenes:
 *   alpha4  4 full-screen opaque images, layers 2-4 at alpha 0.5 (the
 *           top one's alpha changes every frame: all recomposed)
 *   pixel4  4 full-screen images with per-pixel alpha, layer alpha 1
 *   sprite  a 64x64 per-pixel-alpha sprite moving 4 px a frame over an
 *           opaque full-screen background */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comp_regs.h"
#include "comp_render.h"
#include "comp_scene.h"

enum { W = 1024, H = 768 };
static struct comp_scene sc;
static struct comp_render rc;
static uint32_t out[W * H], rowbuf[W];
static uint32_t fmt = COMP_FMT_RGBA8;

static uint32_t *image(uint32_t w, uint32_t h, int alpha_mode)
{
	uint32_t *p = malloc((size_t)w * h * 4);
	for (uint32_t i = 0; i < w * h; i++) {
		uint32_t a = alpha_mode ? (i * 7) & 0xff : 0xff;
		p[i] = a << 24 | (i * 2654435761u >> 8 & 0xffffff);
	}
	return p;
}

static uint32_t layer(uint32_t *px, uint32_t w, uint32_t h)
{
	uint32_t id = comp_layer_create(&sc, 0);
	comp_layer_bind(&sc, id, (const uint8_t *)px, w, h, w * 4, fmt);
	return id;
}

static uint64_t frame(uint64_t f)
{
	struct damage d;
	comp_latch(&sc, f, &d);
	comp_render_prepare(&rc, &sc, rowbuf);
	uint64_t px = 0;
	for (uint32_t i = 0; i < d.n; i++)
		px += comp_render_rect(&rc, &sc, out, W, H, W, &d.r[i]);
	return px;
}

int main(int argc, char **argv)
{
	const char *scene = argc > 1 ? argv[1] : "alpha4";
	int frames = argc > 2 ? atoi(argv[2]) : 10;
	if (argc > 3 && !strcmp(argv[3], "bgra"))
		fmt = COMP_FMT_BGRA8;
	comp_scene_init(&sc, W, H);
	uint32_t top = 0, sprite = 0;
	if (!strcmp(scene, "alpha4") || !strcmp(scene, "pixel4")) {
		int pa = !strcmp(scene, "pixel4");
		for (int i = 0; i < 4; i++) {
			top = layer(image(W, H, pa && i > 0), W, H);
			if (!pa && i > 0)
				comp_reg_write(&sc, top, COMP_REG_ALPHA, 0.5);
		}
	} else if (!strcmp(scene, "sprite")) {
		layer(image(W, H, 0), W, H);
		sprite = layer(image(64, 64, 1), 64, 64);
	} else {
		fprintf(stderr, "comp_bench: alpha4|pixel4|sprite FRAMES "
				"[rgba|bgra]\n");
		return 2;
	}
	frame(1); /* the first frame (everything) is not counted */
	uint64_t px = 0;
	for (int f = 0; f < frames; f++) {
		if (sprite) {
			comp_reg_write(&sc, sprite, COMP_REG_X, 100 + 4 * f);
			comp_reg_write(&sc, sprite, COMP_REG_Y, 100 + 2 * f);
		} else {
			comp_reg_write(&sc, top, COMP_REG_ALPHA,
				       f & 1 ? 0.5 : 0.52);
		}
		px += frame(2 + (uint64_t)f);
	}
	printf("comp_bench %s %s: %d frames, %llu pixels composed, check "
	       "%08x\n",
	       scene, fmt == COMP_FMT_RGBA8 ? "rgba" : "bgra", frames,
	       (unsigned long long)px, out[W * H / 2 + 77]);
	return 0;
}
