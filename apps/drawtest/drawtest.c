/* drawtest: draws a known pattern through /svc/display (docs/display.md
 * "Testing"); tests/system/test_display.py compares a QMP screendump with
 * it pixel for pixel. Three presents on two buffers:
 *   1. buffer 0, whole: background, four solid rectangles, a gradient;
 *   2. buffer 1 = buffer 0 + a magenta square, damage: the square only;
 *   3. buffer 0 + the square + a cyan square, damage: the cyan one only
 *      (the driver must still bring buffer 0's copy up to date).
 * Each present prints a line; the last `drawtest: done WxH`.
 *
 * It takes the screen from whoever holds it (DISP_BUF_TAKE: a screen
 * console gets it back when drawtest ends).
 *
 *   drawtest [--hold MS]   keeps the screen MS ms after `done`
 *   drawtest --size WxH [--hold MS]   sets that mode first
 *   drawtest --bench N     N presents of a full frame and of a 64x64
 *                          rectangle, medians of present-to-flush-done
 *   drawtest --status      the driver's JSON status line */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/sys.h>

#include "cl_ports.h"
#include "disp_client.h"

#define BG 0x00202020u

static const struct {
	int x, y, w, h;
	uint32_t rgb;
} solid[] = {
	{10, 10, 100, 50, 0x00ff0000u},	 /* red */
	{120, 10, 100, 50, 0x0000ff00u}, /* green */
	{230, 10, 100, 50, 0x000000ffu}, /* blue */
	{10, 70, 50, 50, 0x00ffffffu},	 /* white */
	{70, 70, 60, 40, 0x00c08040u},	 /* a colour that shows byte order */
};
static const struct disp_rect magenta = {340, 10, 30, 30};
static const struct disp_rect cyan = {340, 50, 30, 30};

static void fill(uint8_t *b, uint32_t stride, uint32_t w, uint32_t h,
		 struct disp_rect r, uint32_t rgb)
{
	for (uint32_t y = (uint32_t)r.y; y < (uint32_t)r.y + r.h && y < h; y++)
		for (uint32_t x = (uint32_t)r.x;
		     x < (uint32_t)r.x + r.w && x < w; x++)
			((uint32_t *)(void *)(b + (uint64_t)y * stride))[x] =
				rgb;
}

static void pattern(uint8_t *b, const struct disp_buffers *g)
{
	fill(b, g->stride, g->width, g->height,
	     (struct disp_rect){0, 0, g->width, g->height}, BG);
	for (size_t i = 0; i < sizeof(solid) / sizeof(solid[0]); i++)
		fill(b, g->stride, g->width, g->height,
		     (struct disp_rect){solid[i].x, solid[i].y,
					(uint32_t)solid[i].w,
					(uint32_t)solid[i].h},
		     solid[i].rgb);
	/* Gradient at (10, 130), 256 x 16: red up, green down, blue 128. */
	for (uint32_t y = 130; y < 146 && y < g->height; y++)
		for (uint32_t x = 0; x < 256 && 10 + x < g->width; x++)
			((uint32_t *)(void *)(b + (uint64_t)y *
							  g->stride))[10 + x] =
				x << 16 | (255 - x) << 8 | 128;
}

/* Sets the mode of that size (the output is ours: buffers taken first),
 * then takes two buffers of it. */
static int set_size(struct disp_client *c, unsigned w, unsigned h)
{
	struct disp_mode m[DISP_MODES_MAX];
	int n = disp_modes(c, 0, m, DISP_MODES_MAX);
	for (int i = 0; i < n; i++)
		if (m[i].width == w && m[i].height == h) {
			int e = disp_set_mode(c, (uint32_t)i);
			if (e == 0)
				e = disp_buffers_ex(c, 2, DISP_BUF_TAKE);
			printf("drawtest: mode %ux%u@%u mHz: %s\n", w, h,
			       m[i].refresh_mhz, e ? err_name(e) : "set");
			return e;
		}
	printf("drawtest: no %ux%u mode among %d\n", w, h, n);
	return n < 0 ? n : ERR_NOT_FOUND;
}

static int present(struct disp_client *c, uint32_t buf,
		   const struct disp_rect *r, uint32_t n)
{
	struct disp_frame f;
	int e = disp_present(c, buf, r, n, 0, &f);
	if (e < 0) {
		printf("drawtest: present: %s\n", err_name(e));
		return e;
	}
	printf("drawtest: presented buffer %u frame %llu rects %u pixels "
	       "%llu\n",
	       buf, (unsigned long long)f.frame, f.rects,
	       (unsigned long long)f.pixels);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Median ns from the call to the answer (the flush done). */
static uint64_t bench_one(struct disp_client *c, const struct disp_rect *r,
			  uint32_t n, int rounds)
{
	static uint64_t t[1000];
	if (rounds > 1000)
		rounds = 1000;
	for (int i = 0; i < rounds; i++) {
		uint64_t t0 = (uint64_t)sys_clock_now();
		if (disp_present(c, 0, r, n, 0, NULL) < 0)
			return 0;
		t[i] = (uint64_t)sys_clock_now() - t0;
	}
	qsort(t, (size_t)rounds, sizeof(t[0]), cmp_u64);
	return t[rounds / 2];
}

/* Median ns of a call the driver answers at once (the IPC alone). */
static uint64_t bench_nop(struct disp_client *c, int rounds)
{
	static uint64_t t[1000];
	if (rounds > 1000)
		rounds = 1000;
	struct disp_frame f;
	for (int i = 0; i < rounds; i++) {
		uint64_t t0 = (uint64_t)sys_clock_now();
		if (disp_wait_frame(c, 1, &f) < 0) /* frame 1 has passed */
			return 0;
		t[i] = (uint64_t)sys_clock_now() - t0;
	}
	qsort(t, (size_t)rounds, sizeof(t[0]), cmp_u64);
	return t[rounds / 2];
}

static int status(void)
{
	static struct cl_conn c;
	static struct cl_resp r;
	if (cl_connect(DISP_SVC_NAME, (uint64_t)sys_clock_now() + 5000000000ull,
		       &c) < 0 ||
	    cl_request(&c, "{\"cmd\":\"status\"}", &r) < 0) {
		printf("drawtest: no status\n");
		return 1;
	}
	printf("%.*s\n", (int)r.len, r.buf);
	cl_resp_close(&r);
	cl_close(&c);
	return 0;
}

int main(int argc, char **argv)
{
	int bench = 0, hold = 0;
	unsigned want_w = 0, want_h = 0;
	if (argc > 1 && !strcmp(argv[1], "--status"))
		return status();
	if (argc > 2 && !strcmp(argv[1], "--bench"))
		bench = atoi(argv[2]);
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--hold"))
			hold = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--size") &&
			 sscanf(argv[i + 1], "%ux%u", &want_w, &want_h) != 2)
			want_w = want_h = 0;
	}
	struct disp_client c;
	int e = disp_open(&c, (uint64_t)sys_clock_now() + 10000000000ull);
	if (e == 0)
		e = disp_buffers_ex(&c, bench ? 1 : 2, DISP_BUF_TAKE);
	if (e == 0 && want_w)
		e = set_size(&c, want_w, want_h);
	if (e < 0) {
		printf("drawtest: %s: %s\n", DISP_SVC_NAME, err_name(e));
		disp_close(&c);
		return 1;
	}
	const struct disp_buffers *g = &c.geom;
	printf("drawtest: %ux%u stride %u, %u buffer(s) of %u chunk(s)\n",
	       g->width, g->height, g->stride, g->count, g->nchunks);
	if (bench) {
		pattern(c.buf[0], g);
		struct disp_rect small = {100, 100, 64, 64};
		uint64_t nop = bench_nop(&c, bench);
		uint64_t full = bench_one(&c, NULL, 0, bench);
		uint64_t part = bench_one(&c, &small, 1, bench);
		printf("bench: display present-to-flush-done, full frame "
		       "%ux%u: median %llu ns of %d\n",
		       g->width, g->height, (unsigned long long)full, bench);
		printf("bench: display present-to-flush-done, 64x64 damage: "
		       "median %llu ns of %d\n",
		       (unsigned long long)part, bench);
		printf("bench: display call answered at once (IPC alone): "
		       "median %llu ns of %d\n",
		       (unsigned long long)nop, bench);
		disp_close(&c);
		status();
		return full && part ? 0 : 1;
	}
	pattern(c.buf[0], g);
	if ((e = present(&c, 0, NULL, 0)) < 0)
		goto out;
	memcpy(c.buf[1], c.buf[0], g->size);
	fill(c.buf[1], g->stride, g->width, g->height, magenta, 0x00ff00ffu);
	if ((e = present(&c, 1, &magenta, 1)) < 0)
		goto out;
	fill(c.buf[0], g->stride, g->width, g->height, magenta, 0x00ff00ffu);
	fill(c.buf[0], g->stride, g->width, g->height, cyan, 0x0000ffffu);
	if ((e = present(&c, 0, &cyan, 1)) < 0)
		goto out;
	struct disp_frame f;
	if ((e = disp_wait_frame(&c, 0, &f)) < 0)
		goto out;
	printf("drawtest: done %ux%u (frame %llu, period %u ns)\n", g->width,
	       g->height, (unsigned long long)f.frame, f.period_ns);
	fflush(stdout);
	if (hold > 0)
		sys_sleep_until((uint64_t)sys_clock_now() +
				(uint64_t)hold * 1000000);
out:
	disp_close(&c);
	return e < 0;
}
