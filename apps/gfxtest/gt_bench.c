/* gfxtest's benchmark modes (tools/bench.sh, graphics block; run under
 * -icount shift=0 a guest nanosecond is one instruction):
 *   bench-set N          N `set` round trips on a session: median, p90
 *   bench-comp SCENE N   compositord's composition cost per frame
 *                        (status compose_ns_*) over N frames of SCENE:
 *                        alpha4 (four full-screen 1024x768 layers, three
 *                        at alpha 0.5, the top one's alpha changing every
 *                        frame: all recomposed), pixel4 (the same with
 *                        per-pixel alpha in the three upper layers, at
 *                        layer alpha 1 but the top one's changing) or
 *                        sprite (a 64x64 per-pixel-alpha sprite moved
 *                        4 px a frame over an opaque full-screen
 *                        background)
 *   hog S                a best-effort CPU hog for S seconds
 *   flood S              an IPC flood for S seconds: status requests to
 *                        copperd and compositord as fast as they answer */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/sys.h>

#include "gfxtest.h"

static struct cl_event ev;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int gt_bench_set(uint32_t n)
{
	cl_comp *c;
	cl_err_t e = cl_comp_open(NULL, gt_now() + 10000000000ull, &c);
	uint32_t id;
	if (e < 0 || (e = cl_comp_create_layer(c, &id)) < 0) {
		printf("bench: set: %s\n", cl_strerror(e));
		return 1;
	}
	uint64_t *t = calloc(n, sizeof(*t));
	cl_comp_layer_params p = {.set = CL_LP_X};
	for (uint32_t i = 0; i < n && e == CL_OK; i++) {
		p.x = (int32_t)(i & 1023);
		uint64_t t0 = gt_now();
		e = cl_comp_set(c, id, &p);
		t[i] = gt_now() - t0;
	}
	if (e < 0) {
		printf("bench: set: %s %s\n", cl_strerror(e),
		       cl_comp_last(c)->message);
		return 1;
	}
	qsort(t, n, sizeof(*t), cmp_u64);
	printf("bench: comp_set_roundtrip_ns median %llu p90 %llu min %llu "
	       "(%u sets on a session)\n",
	       (unsigned long long)t[n / 2], (unsigned long long)t[n * 9 / 10],
	       (unsigned long long)t[0], n);
	free(t);
	cl_comp_close(c);
	return 0;
}

static int64_t status_int(cl_comp *c, const char *key)
{
	int64_t v = -1;
	if (cl_comp_request(c, "{\"cmd\":\"status\"}") == CL_OK)
		cl_resp_int(cl_comp_last(c), key, &v);
	return v;
}

static cl_err_t layer(cl_comp *c, cl_surface_desc *s, uint32_t w, uint32_t h,
		      uint8_t alpha_px, uint32_t *id)
{
	cl_err_t e = cl_surface_alloc(s, w, h, "RGBA8");
	if (e < 0)
		return e;
	uint8_t *p = (uint8_t *)(uintptr_t)s->addr;
	for (uint32_t i = 0; i < w * h; i++) { /* alpha_px 0: varying */
		p[4 * i] = (uint8_t)i, p[4 * i + 1] = (uint8_t)(i >> 8);
		p[4 * i + 2] = (uint8_t)(i >> 3);
		p[4 * i + 3] = alpha_px ? alpha_px : (uint8_t)(i * 7);
	}
	handle_t g;
	if ((e = cl_comp_create_layer(c, id)) < 0 ||
	    (e = cl_surface_dup(s, &g)) < 0)
		return e;
	return cl_comp_bind_dmabuf(c, *id, g, w, h, "RGBA8", s->stride);
}

int gt_bench_comp(const char *scene, uint32_t frames)
{
	bool sprite = !strcmp(scene, "sprite");
	bool pixel = !strcmp(scene, "pixel4");
	if (!sprite && !pixel && strcmp(scene, "alpha4")) {
		printf("bench: comp: scene alpha4, pixel4 or sprite\n");
		return 2;
	}
	cl_comp *c;
	cl_err_t e = cl_comp_open(NULL, gt_now() + 10000000000ull, &c);
	static const char *const evs[] = {"vsync"};
	if (e == CL_OK)
		e = cl_comp_subscribe(c, evs, 1);
	static cl_surface_desc s[4];
	uint32_t id[4], n = sprite ? 2 : 4;
	for (uint32_t i = 0; i < n && e == CL_OK; i++) {
		bool small = sprite && i == 1;
		e = layer(c, &s[i], small ? 64 : 1024, small ? 64 : 768,
			  small	       ? 0x80
			  : pixel && i ? 0
				       : 0xff,
			  &id[i]);
		cl_comp_layer_params p = {
			.alpha = (!sprite && !pixel && i) ? 0.5 : 1.0,
			.z = (int32_t)i,
			.visible = true};
		if (e == CL_OK)
			e = cl_comp_set(c, id[i], &p);
	}
	if (e < 0) {
		printf("bench: comp %s: %s (%ld) %s\n", scene, cl_strerror(e),
		       cl_surface_last_error(),
		       cl_comp_last(c) ? cl_comp_last(c)->message : "");
		return 1;
	}
	int64_t px0 = status_int(c, "composed_pixels");
	int64_t f0 = status_int(c, "frames");
	uint32_t got = 0;
	uint64_t end =
		gt_now() + (uint64_t)frames * 200000000ull + 5000000000ull;
	while (got < frames && gt_now() < end) {
		if (cl_comp_next_event(c, end, &ev) < 0)
			break;
		cl_event_close(&ev);
		got++;
		cl_comp_layer_params p = {.set = sprite ? CL_LP_X : CL_LP_ALPHA,
					  .x = (int32_t)(got * 4 % 960),
					  .alpha = (got & 1) ? 0.5 : 0.75};
		cl_comp_set(c, id[n - 1], &p);
	}
	int64_t med = status_int(c, "compose_ns_median");
	int64_t last = status_int(c, "compose_ns_last");
	int64_t px1 = status_int(c, "composed_pixels");
	int64_t f1 = status_int(c, "frames");
	printf("bench: comp_%s_frame_ns median %lld last %lld over %u frames, "
	       "%lld pixels composed per frame (goal: %s)\n",
	       scene, (long long)med, (long long)last, got,
	       f1 > f0 ? (long long)((px1 - px0) / (f1 - f0)) : -1LL,
	       sprite ? "<= 0.5 M instructions" : "<= 12 M instructions");
	for (uint32_t i = 0; i < n; i++)
		cl_surface_free(&s[i]);
	cl_comp_close(c);
	return got == frames ? 0 : 1;
}

int gt_hog(uint32_t seconds)
{
	uint64_t end = gt_now() + (uint64_t)seconds * 1000000000ull;
	volatile uint64_t x = 0;
	while (gt_now() < end)
		for (int i = 0; i < 100000; i++)
			x += (uint64_t)i;
	printf("gfxtest: hog done (%llu)\n", (unsigned long long)x);
	return 0;
}

int gt_flood(uint32_t seconds)
{
	static struct cl_resp r;
	struct cl_conn a, b;
	uint64_t end = gt_now() + (uint64_t)seconds * 1000000000ull, n = 0;
	if (cl_connect("/svc/copperd", gt_now() + 5000000000ull, &a) < 0 ||
	    cl_connect("/svc/compositord", gt_now() + 5000000000ull, &b) < 0) {
		printf("gfxtest: flood: no services\n");
		return 1;
	}
	a.reconnect = b.reconnect = true;
	while (gt_now() < end) {
		cl_request(&a, "{\"cmd\":\"status\"}", &r);
		cl_request(&b, "{\"cmd\":\"status\"}", &r);
		n += 2;
	}
	printf("gfxtest: flood done, %llu requests\n", (unsigned long long)n);
	return 0;
}
