/* rect_fill: Phase-0's blitter example. Allocates a 256x128 RGBA8
 * surface (a shared buffer), has /svc/blitterd fill it dark blue, draw
 * three coloured rectangles (the last one clipped by the surface's
 * edge) and copy the first one, then reads the pixels back and checks
 * them. With --show MS the surface is also shown as a compositord layer
 * at (--x, --y) for MS milliseconds.
 * usage: rect_fill [--show MS] [--x X] [--y Y] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/sys.h>

#include "cl_blitter.h"
#include "cl_compositor.h"

static uint64_t now(void)
{
	long t = sys_clock_now();
	return t < 0 ? 0 : (uint64_t)t;
}

static const struct {
	cl_rect r;
	cl_color c;
} fills[] = {
	{{0, 0, 256, 128}, {16, 24, 64, 255}},
	{{16, 16, 64, 48}, {255, 64, 64, 255}},
	{{96, 24, 64, 64}, {64, 220, 64, 255}},
	{{200, 80, 100, 100}, {64, 128, 255, 255}}, /* clipped */
};

static uint32_t at(const cl_surface_desc *s, uint32_t x, uint32_t y)
{
	uint32_t v;
	memcpy(&v, (uint8_t *)(uintptr_t)s->addr + y * s->stride + x * 4, 4);
	return v;
}

static uint32_t rgba(cl_color c)
{
	uint32_t v;
	memcpy(&v, &c, 4);
	return v;
}

int main(int argc, char **argv)
{
	long show = 0, x = 600, y = 300;
	for (int i = 1; i + 1 < argc; i += 2) {
		long v = strtol(argv[i + 1], NULL, 10);
		if (!strcmp(argv[i], "--show"))
			show = v;
		else if (!strcmp(argv[i], "--x"))
			x = v;
		else if (!strcmp(argv[i], "--y"))
			y = v;
	}
	cl_blit *b;
	cl_err_t e = cl_blit_open(NULL, now() + 5000000000ull, &b);
	if (e < 0) {
		printf("rect_fill: connect: %s\n", cl_strerror(e));
		return 1;
	}
	cl_surface_desc s;
	if ((e = cl_surface_alloc(&s, 256, 128, "RGBA8")) < 0) {
		printf("rect_fill: surface: %s\n", cl_strerror(e));
		cl_blit_close(b);
		return 1;
	}
	uint64_t t0 = now();
	for (unsigned i = 0; i < sizeof(fills) / sizeof(fills[0]) && e >= 0;
	     i++)
		e = cl_blit_rect_fill(b, &s, &fills[i].r, &fills[i].c);
	cl_rect src = {16, 16, 64, 48};
	if (e >= 0)
		e = cl_blit_rect_copy(b, &s, &s, &src, 176, 8);
	uint64_t t1 = now();
	if (e < 0) {
		printf("rect_fill: %s %s %s\n", cl_strerror(e),
		       cl_blit_last(b)->code, cl_blit_last(b)->message);
		cl_blit_close(b);
		return 1;
	}
	/* Read back: corners of each rectangle and around them. */
	struct {
		uint32_t x, y, want;
	} probe[] = {
		{0, 0, rgba(fills[0].c)},     {15, 16, rgba(fills[0].c)},
		{16, 16, rgba(fills[1].c)},   {79, 63, rgba(fills[1].c)},
		{80, 63, rgba(fills[0].c)},   {96, 24, rgba(fills[2].c)},
		{159, 87, rgba(fills[2].c)},  {200, 80, rgba(fills[3].c)},
		{255, 127, rgba(fills[3].c)}, {199, 127, rgba(fills[0].c)},
		{176, 8, rgba(fills[1].c)},   {239, 55, rgba(fills[1].c)},
		{240, 55, rgba(fills[0].c)},
	};
	int bad = 0;
	for (unsigned i = 0; i < sizeof(probe) / sizeof(probe[0]); i++)
		if (at(&s, probe[i].x, probe[i].y) != probe[i].want) {
			printf("rect_fill: (%u,%u) is %08x, want %08x\n",
			       probe[i].x, probe[i].y,
			       at(&s, probe[i].x, probe[i].y), probe[i].want);
			bad++;
		}
	printf("rect_fill: 4 fills + 1 copy in %llu us, job %u, %d of %u "
	       "pixels wrong\n",
	       (unsigned long long)((t1 - t0) / 1000), cl_blit_last_job(b), bad,
	       (unsigned)(sizeof(probe) / sizeof(probe[0])));
	if (show > 0 && !bad) {
		cl_comp *c;
		uint32_t id;
		handle_t g;
		cl_comp_layer_params lp = {.x = (int32_t)x,
					   .y = (int32_t)y,
					   .alpha = 1,
					   .z = 20,
					   .visible = true};
		if ((e = cl_comp_open(NULL, now() + 5000000000ull, &c)) < 0) {
			printf("rect_fill: compositord: %s\n", cl_strerror(e));
		} else {
			if ((e = cl_comp_create_layer(c, &id)) < 0 ||
			    (e = cl_surface_dup(&s, &g)) < 0 ||
			    (e = cl_comp_bind_dmabuf(c, id, g, 256, 128,
						     "RGBA8", s.stride)) < 0 ||
			    (e = cl_comp_set(c, id, &lp)) < 0)
				printf("rect_fill: show: %s %s\n",
				       cl_strerror(e),
				       cl_comp_last(c)->message);
			else
				sys_sleep_until(now() +
						(uint64_t)show * 1000000ull);
			cl_comp_close(c);
		}
	}
	cl_surface_free(&s);
	cl_blit_close(b);
	return bad || e < 0 ? 1 : 0;
}
