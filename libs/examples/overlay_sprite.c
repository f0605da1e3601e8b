/* overlay_sprite: a layer animated by a Copper program (Phase-0's
 * example). Creates a 64x64 sprite layer at (X, Y), loads into copperd a
 * program allowed to write only that layer's x (a capability mask):
 *     MOVE x X; loop: ADD x STEP; WAIT vsync; LOOP FRAMES loop; IRQ done
 * and starts it. The body runs FRAMES times, so the sprite ends at
 * X + STEP * FRAMES exactly (tests/system/test_graphics.py checks the
 * pixels there). Then holds the last picture for --hold ms (-1: until
 * killed).
 * usage: overlay_sprite [--frames N] [--step S] [--x X] [--y Y]
 *                       [--hold MS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/sys.h>

#include "cl_blitter.h"
#include "cl_compositor.h"
#include "cl_copper.h"

static struct cl_event ev;

static uint64_t now(void)
{
	long t = sys_clock_now();
	return t < 0 ? 0 : (uint64_t)t;
}

int main(int argc, char **argv)
{
	long frames = 50, step = 4, x0 = 100, y0 = 300, hold = 0;
	for (int i = 1; i + 1 < argc; i += 2) {
		long v = strtol(argv[i + 1], NULL, 10);
		if (!strcmp(argv[i], "--frames"))
			frames = v;
		else if (!strcmp(argv[i], "--step"))
			step = v;
		else if (!strcmp(argv[i], "--x"))
			x0 = v;
		else if (!strcmp(argv[i], "--y"))
			y0 = v;
		else if (!strcmp(argv[i], "--hold"))
			hold = v;
	}
	if (frames < 1 || frames > 100000) {
		printf("overlay_sprite: --frames 1..100000\n");
		return 2;
	}
	uint64_t dl = now() + 5000000000ull;
	cl_comp *comp;
	cl_copper *cop;
	cl_err_t e = cl_comp_open(NULL, dl, &comp);
	if (e == CL_OK && (e = cl_copper_open(NULL, dl, &cop)) < 0)
		cl_comp_close(comp);
	if (e < 0) {
		printf("overlay_sprite: connect: %s\n", cl_strerror(e));
		return 1;
	}
	cl_surface_desc s;
	uint32_t id = 0, prog = 0;
	handle_t g;
	if ((e = cl_surface_alloc(&s, 64, 64, "RGBA8")) < 0)
		goto out;
	/* An orange square with a dark 4-pixel frame. */
	for (uint32_t y = 0; y < 64; y++)
		for (uint32_t x = 0; x < 64; x++) {
			bool edge = x < 4 || y < 4 || x >= 60 || y >= 60;
			uint8_t *p = (uint8_t *)(uintptr_t)s.addr +
				     y * s.stride + x * 4;
			p[0] = edge ? 40 : 255, p[1] = edge ? 20 : 160;
			p[2] = edge ? 10 : 0, p[3] = 255;
		}
	cl_comp_layer_params lp = {.x = (int32_t)x0,
				   .y = (int32_t)y0,
				   .alpha = 1.0,
				   .z = 10,
				   .visible = true};
	if ((e = cl_comp_create_layer(comp, &id)) < 0 ||
	    (e = cl_surface_dup(&s, &g)) < 0 ||
	    (e = cl_comp_bind_dmabuf(comp, id, g, 64, 64, "RGBA8", s.stride)) <
		    0 ||
	    (e = cl_comp_set(comp, id, &lp)) < 0)
		goto out;
	static char json[1024], mask[96];
	snprintf(json, sizeof(json),
		 "{\"version\":1,\"program\":["
		 "{\"op\":\"MOVE\",\"reg\":\"layer[%u].x\",\"value\":%ld},"
		 "{\"label\":\"loop\"},"
		 "{\"op\":\"ADD\",\"reg\":\"layer[%u].x\",\"delta\":%ld},"
		 "{\"op\":\"WAIT\",\"vsync\":true},"
		 "{\"op\":\"LOOP\",\"count\":%ld,\"label\":\"loop\"},"
		 "{\"op\":\"IRQ\",\"tag\":\"done\"}]}",
		 id, x0, id, step, frames);
	snprintf(mask, sizeof(mask), "{\"layers\":[%u],\"regs\":[\"x\"]}", id);
	static const char *const evs[] = {"irq", "state"};
	if ((e = cl_copper_load_masked(cop, json, mask, &prog)) < 0 ||
	    (e = cl_copper_subscribe(cop, evs, 2)) < 0 ||
	    (e = cl_copper_start(cop, prog)) < 0)
		goto out;
	printf("overlay_sprite: layer %u, program %u: x %ld + %ld x %ld "
	       "frames\n",
	       id, prog, x0, step, frames);
	uint64_t t0 = now();
	uint64_t end = t0 + (uint64_t)frames * 100000000ull + 5000000000ull;
	bool done = false;
	while (!done && (e = cl_copper_next_event(cop, end, &ev)) == CL_OK) {
		char v[16] = "";
		json_get_str(&ev.doc, "tag", v, sizeof(v));
		if (!strcmp(ev.name, "irq") && !strcmp(v, "done"))
			done = true;
		json_get_str(&ev.doc, "value", v, sizeof(v));
		if (!strcmp(ev.name, "state") && !strcmp(v, "error"))
			break;
		cl_event_close(&ev);
	}
	if (!done) {
		printf("overlay_sprite: no end of the program: %s\n",
		       cl_strerror(e));
		e = e < 0 ? e : CL_ERR_PROTO;
		goto out;
	}
	/* The last write lands at the next latch: one more frame. */
	sys_sleep_until(now() + 50000000ull);
	printf("overlay_sprite: done x=%ld y=%ld after %llu ms\n",
	       x0 + step * frames, y0,
	       (unsigned long long)((now() - t0) / 1000000));
	fflush(stdout);
	if (hold)
		sys_sleep_until(hold < 0 ? DEADLINE_NONE
					 : now() + (uint64_t)hold * 1000000ull);
out:
	if (e < 0)
		printf("overlay_sprite: %s %s %s\n", cl_strerror(e),
		       cl_comp_last(comp)->code[0] ? cl_comp_last(comp)->message
						   : "",
		       cl_copper_last(cop)->message);
	cl_copper_close(cop);
	cl_comp_close(comp);
	cl_surface_free(&s);
	return e < 0 ? 1 : 0;
}
