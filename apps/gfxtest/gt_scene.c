/* gfxtest scene: a scene whose pixels tests/system/test_graphics.py
 * predicts (its SCENE table is this one): an opaque base, four layers of
 * alpha 0.5 in each blend mode over it, a layer with per-pixel alpha 128,
 * one over the black background, two opaque layers overlapping in z
 * order, and a layer created at one place and moved with `set`. Prints
 * "gfxtest: scene ready frame F" once a vsync after the last write came,
 * then holds the scene for --hold ms (the host takes its screendump;
 * --hold 0: until killed, as under -icount an idle guest's milliseconds
 * pass in no time). */
#include <stdio.h>
#include <string.h>

#include <execrt/sys.h>

#include "gfxtest.h"

struct spec {
	const char *name;
	int32_t x, y, z;
	uint32_t w, h;
	cl_color c; /* every pixel (RGBA8) */
	double alpha;
	enum cl_blend blend;
};

static const struct spec scene[] = {
	{"base", 40, 40, 0, 400, 64, {200, 100, 50, 255}, 1.0, CL_BLEND_NORMAL},
	{"normal",
	 56,
	 48,
	 1,
	 48,
	 48,
	 {100, 150, 200, 255},
	 0.5,
	 CL_BLEND_NORMAL},
	{"add", 128, 48, 1, 48, 48, {100, 150, 200, 255}, 0.5, CL_BLEND_ADD},
	{"mul", 200, 48, 1, 48, 48, {100, 150, 200, 255}, 0.5, CL_BLEND_MUL},
	{"screen",
	 272,
	 48,
	 1,
	 48,
	 48,
	 {100, 150, 200, 255},
	 0.5,
	 CL_BLEND_SCREEN},
	{"pixel_alpha",
	 344,
	 48,
	 1,
	 48,
	 48,
	 {100, 150, 200, 128},
	 1.0,
	 CL_BLEND_NORMAL},
	{"over_black",
	 470,
	 48,
	 1,
	 48,
	 48,
	 {100, 150, 200, 255},
	 0.25,
	 CL_BLEND_NORMAL},
	{"z_front", 560, 40, 5, 48, 48, {255, 0, 0, 255}, 1.0, CL_BLEND_NORMAL},
	{"z_back", 584, 64, 3, 48, 48, {0, 255, 0, 255}, 1.0, CL_BLEND_NORMAL},
	{"moved",
	 10,
	 200,
	 2,
	 32,
	 32,
	 {255, 255, 255, 255},
	 1.0,
	 CL_BLEND_NORMAL},
};
#define NSCENE	(sizeof(scene) / sizeof(scene[0]))
#define MOVED_X 500
#define MOVED_Y 180

static struct cl_event ev;

static int fail(cl_comp *c, const char *what, cl_err_t e)
{
	printf("gfxtest: scene: %s: %s %s %s\n", what, cl_strerror(e),
	       c ? cl_comp_last(c)->code : "",
	       c ? cl_comp_last(c)->message : "");
	return 1;
}

/* Waits for a vsync of a frame after `frame`: the writes are on screen. */
static uint64_t after_frame(cl_comp *c, uint64_t frame)
{
	uint64_t end = gt_now() + 2000000000ull;
	while (gt_now() < end) {
		if (cl_comp_next_event(c, end, &ev) < 0)
			break;
		int64_t f = -1;
		cl_event_int(&ev, "frame", &f);
		cl_event_close(&ev);
		if (f > (int64_t)frame)
			return (uint64_t)f;
	}
	return 0;
}

int gt_scene(uint32_t hold_ms)
{
	cl_comp *c;
	cl_err_t e = cl_comp_open(NULL, gt_now() + 10000000000ull, &c);
	if (e < 0)
		return fail(NULL, "connect", e);
	static const char *const evs[] = {"vsync"};
	if ((e = cl_comp_subscribe(c, evs, 1)) < 0)
		return fail(c, "subscribe", e);
	static cl_surface_desc s[NSCENE];
	uint32_t id[NSCENE];
	for (uint32_t i = 0; i < NSCENE; i++) {
		const struct spec *p = &scene[i];
		if ((e = cl_surface_alloc(&s[i], p->w, p->h, "RGBA8")) < 0)
			return fail(c, "surface", e);
		uint32_t *px = (uint32_t *)(uintptr_t)s[i].addr, v;
		memcpy(&v, &p->c, 4);
		for (uint32_t k = 0; k < p->w * p->h; k++)
			px[k] = v;
		handle_t g;
		if ((e = cl_comp_create_layer(c, &id[i])) < 0)
			return fail(c, "create_layer", e);
		if ((e = cl_surface_dup(&s[i], &g)) < 0 ||
		    (e = cl_comp_bind_dmabuf(c, id[i], g, p->w, p->h, "RGBA8",
					     s[i].stride)) < 0)
			return fail(c, "bind_dmabuf", e);
		cl_comp_layer_params lp = {.x = p->x,
					   .y = p->y,
					   .alpha = p->alpha,
					   .z = p->z,
					   .visible = true,
					   .blend = p->blend,
					   .set = CL_LP_PHASE0 | CL_LP_BLEND};
		if ((e = cl_comp_set(c, id[i], &lp)) < 0)
			return fail(c, "set", e);
	}
	/* "moved": shown at its first place for a frame, then moved. */
	uint64_t f0 = cl_comp_last_frame(c);
	uint64_t shown = after_frame(c, f0);
	cl_comp_layer_params mv = {
		.x = MOVED_X, .y = MOVED_Y, .set = CL_LP_X | CL_LP_Y};
	if ((e = cl_comp_set(c, id[NSCENE - 1], &mv)) < 0)
		return fail(c, "set (move)", e);
	uint64_t fm = cl_comp_last_frame(c);
	uint64_t on = after_frame(c, fm);
	printf("gfxtest: scene: %u layers, first shown by frame %llu, moved "
	       "at frame %llu (set answered frame %llu)\n",
	       (unsigned)NSCENE, (unsigned long long)shown,
	       (unsigned long long)on, (unsigned long long)fm);
	printf("gfxtest: scene ready frame %llu\n", (unsigned long long)on);
	fflush(stdout);
	sys_sleep_until(hold_ms ? gt_now() + (uint64_t)hold_ms * 1000000ull
				: DEADLINE_NONE);
	for (uint32_t i = 0; i < NSCENE; i++)
		cl_surface_free(&s[i]);
	cl_comp_close(c);
	printf("gfxtest: scene: done\n");
	return 0;
}
