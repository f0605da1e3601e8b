/* demo: the Copperline demo (docs/graphics.md "The demo"). compositord
 * shows three things:
 *  - a full-screen background drawn by blitterd (colour bands);
 *  - a ball sprite (per-pixel alpha) moved by two Copper programs (x and
 *    y bounce with different periods) and a square rotated by a third;
 *  - a panel drawn by blitterd (rect_fill batches, seven-segment text)
 *    with live statistics: frames per second, the frame number, the
 *    worst frame interval (ms) and copperd's missed deadlines.
 * Ends after --seconds N (default: never) or on a key (serial console
 * or keyboard). If compositord dies (it is restarted by init), the demo
 * reconnects and builds its scene again ("demo: scene rebuilt ..."). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/input_proto.h>
#include <execrt/sys.h>

#include "cl_blitter.h"
#include "cl_compositor.h"
#include "cl_copper.h"
#include "input_client.h"
#include "seg7.h"

#define PANEL_W 392
#define PANEL_H 168
#define SPRITE	64
#define HIST	64 /* frame intervals kept for the bar graph */

static struct {
	cl_comp *comp;
	cl_copper *cop;
	cl_blit *blit;
	uint32_t w, h; /* screen */
	cl_surface_desc bg, ball, box, panel;
	uint32_t l_bg, l_ball, l_box, l_panel;
	uint32_t prog[3];
	uint64_t frames, last_usec, worst_us, rebuilds;
	uint32_t hist[HIST], nhist;
	int64_t missed, met;
	struct cl_stream keys;
	handle_t input;
} d;

static struct cl_event ev;

static uint64_t now(void)
{
	long t = sys_clock_now();
	return t < 0 ? 0 : (uint64_t)t;
}

/* The output's size (outputs[0].current_mode), 1024x768 if unknown. */
static void screen_size(void)
{
	d.w = 1024, d.h = 768;
	if (cl_comp_request(d.comp, "{\"cmd\":\"output_list\"}") < 0)
		return;
	int64_t w, h;
	const struct cl_resp *r = cl_comp_last(d.comp);
	if (cl_resp_int(r, "outputs.0.current_mode.w", &w) == CL_OK &&
	    cl_resp_int(r, "outputs.0.current_mode.h", &h) == CL_OK &&
	    w >= 320 && h >= 240 && w <= 8192 && h <= 8192)
		d.w = (uint32_t)w, d.h = (uint32_t)h;
}

static cl_err_t fills(const cl_surface_desc *s, const cl_rect *r,
		      const cl_color *c, uint32_t n)
{
	return cl_blit_batch_fill(d.blit, s, r, c, n);
}

static cl_err_t draw_background(void)
{
	enum { BANDS = 48 };
	cl_rect r[BANDS + 8];
	cl_color c[BANDS + 8];
	uint32_t n = 0;
	for (uint32_t i = 0; i < BANDS; i++, n++) {
		uint32_t y0 = d.h * i / BANDS, y1 = d.h * (i + 1) / BANDS;
		r[n] = (cl_rect){0, (int32_t)y0, d.w, y1 - y0};
		c[n] = (cl_color){(uint8_t)(10 + i * 2), (uint8_t)(20 + i),
				  (uint8_t)(90 + i * 3), 255};
	}
	/* A horizon line and a few stripes. */
	r[n] = (cl_rect){0, (int32_t)(d.h * 2 / 3), d.w, 3};
	c[n++] = (cl_color){255, 200, 80, 255};
	for (uint32_t i = 0; i < 6; i++, n++) {
		r[n] = (cl_rect){(int32_t)(d.w * i / 6 + d.w / 12),
				 (int32_t)(d.h * 2 / 3 + 3), 2, d.h / 3};
		c[n] = (cl_color){120, 90, 160, 255};
	}
	return fills(&d.bg, r, c, n);
}

/* The ball: a disc with a soft edge (per-pixel alpha), drawn here. */
static void draw_ball(void)
{
	for (int y = 0; y < SPRITE; y++)
		for (int x = 0; x < SPRITE; x++) {
			int dx = 2 * x - SPRITE + 1, dy = 2 * y - SPRITE + 1;
			int r2 = dx * dx + dy * dy, R = SPRITE - 2;
			uint8_t *p = (uint8_t *)(uintptr_t)d.ball.addr +
				     y * d.ball.stride + x * 4;
			int a = r2 >= R * R ? 0
				: r2 >= (R - 6) * (R - 6)
					? 255 * (R * R - r2) /
						  (R * R - (R - 6) * (R - 6))
					: 255;
			int hl = 255 - (dx + 20) * (dx + 20) / 40 -
				 (dy + 20) * (dy + 20) / 40;
			p[0] = (uint8_t)(hl > 120 ? hl : 120);
			p[1] = (uint8_t)(hl > 60 ? hl / 2 : 30);
			p[2] = 40;
			p[3] = (uint8_t)a;
		}
}

static void fmt_line(char *out, size_t cap, const char *label, uint64_t v)
{
	snprintf(out, cap, "%s %llu", label, (unsigned long long)v);
}

/* The panel: background, border, four lines of text, the interval bars. */
static cl_err_t draw_panel(void)
{
	static cl_rect r[400];
	static cl_color c[400];
	uint32_t n = 0;
	const cl_color bgc = {20, 24, 36, 255}, fg = {120, 255, 160, 255},
		       lab = {255, 200, 80, 255}, bar = {90, 160, 255, 255},
		       hot = {255, 80, 80, 255};
	r[n] = (cl_rect){0, 0, PANEL_W, PANEL_H},
	c[n++] = (cl_color){200, 200, 220, 255};
	r[n] = (cl_rect){2, 2, PANEL_W - 4, PANEL_H - 4}, c[n++] = bgc;
	uint64_t fps = 0;
	if (d.nhist) {
		uint64_t sum = 0;
		for (uint32_t i = 0; i < d.nhist; i++)
			sum += d.hist[i];
		fps = sum ? (1000000ull * d.nhist + sum / 2) / sum : 0;
	}
	char line[4][24];
	fmt_line(line[0], sizeof(line[0]), "FPS", fps);
	fmt_line(line[1], sizeof(line[1]), "F", d.frames);
	fmt_line(line[2], sizeof(line[2]), "LAtE", d.worst_us / 1000);
	fmt_line(line[3], sizeof(line[3]), "dL",
		 (uint64_t)(d.missed < 0 ? 0 : d.missed));
	for (int i = 0; i < 4; i++) {
		/* The label in amber, the number in green. */
		const char *sp = strchr(line[i], ' ');
		char lbl[8] = {0};
		memcpy(lbl, line[i], (size_t)(sp - line[i]));
		uint32_t k =
			seg7_rects(lbl, 12, 10 + i * 38, 4, r + n, 400 - n);
		for (uint32_t j = 0; j < k; j++)
			c[n + j] = lab;
		n += k;
		k = seg7_rects(sp + 1, 12 + 5 * SEG7_ADVANCE(4), 10 + i * 38, 4,
			       r + n, 400 - n);
		for (uint32_t j = 0; j < k; j++)
			c[n + j] = fg;
		n += k;
	}
	/* Frame intervals, newest on the right; over 25 ms in red. */
	for (uint32_t i = 0; i < d.nhist && n < 400; i++) {
		uint32_t v = d.hist[(d.frames + HIST - d.nhist + i) % HIST];
		uint32_t hgt = v / 500 < 1 ? 1 : v / 500 > 60 ? 60 : v / 500;
		r[n] = (cl_rect){(int32_t)(PANEL_W - 8 - 3 * (d.nhist - i)),
				 (int32_t)(PANEL_H - 10 - hgt), 2, hgt};
		c[n++] = v > 25000 ? hot : bar;
	}
	return fills(&d.panel, r, c, n);
}

static cl_err_t layer(uint32_t *id, const cl_surface_desc *s,
		      const cl_comp_layer_params *p)
{
	handle_t g;
	cl_err_t e;
	if ((e = cl_comp_create_layer(d.comp, id)) < 0 ||
	    (e = cl_surface_dup(s, &g)) < 0 ||
	    (e = cl_comp_bind_dmabuf(d.comp, *id, g, s->w, s->h, s->format,
				     s->stride)) < 0)
		return e;
	return cl_comp_set(d.comp, *id, p);
}

/* The copper programs: x and y bounces of the ball, the box's turn. */
static cl_err_t programs(void)
{
	static char j[768];
	uint32_t span_x = d.w - SPRITE, span_y = d.h - SPRITE - 200;
	struct {
		const char *reg;
		uint32_t layer, from, steps;
		int step;
	} p[3] = {{"x", d.l_ball, 0, span_x / 4, 4},
		  {"y", d.l_ball, 200, span_y / 3, 3},
		  {"rotation", d.l_box, 0, 120, 3}};
	for (int i = 0; i < 3; i++) {
		if (d.prog[i]) {
			cl_copper_unload(d.cop, d.prog[i]);
			d.prog[i] = 0;
		}
		if (i < 2)
			snprintf(j, sizeof(j),
				 "{\"version\":1,\"program\":["
				 "{\"op\":\"MOVE\",\"reg\":\"layer[%u].%s\","
				 "\"value\":%u},{\"label\":\"a\"},"
				 "{\"op\":\"ADD\",\"reg\":\"layer[%u].%s\","
				 "\"delta\":%d},{\"op\":\"WAIT\",\"vsync\":"
				 "true},"
				 "{\"op\":\"LOOP\",\"count\":%u,\"label\":"
				 "\"a\"},"
				 "{\"label\":\"b\"},"
				 "{\"op\":\"ADD\",\"reg\":\"layer[%u].%s\","
				 "\"delta\":%d},{\"op\":\"WAIT\",\"vsync\":"
				 "true},"
				 "{\"op\":\"LOOP\",\"count\":%u,\"label\":"
				 "\"b\"},"
				 "{\"op\":\"JUMP\",\"label\":\"a\"}]}",
				 p[i].layer, p[i].reg, p[i].from, p[i].layer,
				 p[i].reg, p[i].step, p[i].steps, p[i].layer,
				 p[i].reg, -p[i].step, p[i].steps);
		else
			snprintf(
				j, sizeof(j),
				"{\"version\":1,\"program\":[{\"label\":\"a\"},"
				"{\"op\":\"ADD\",\"reg\":\"layer[%u].%s\","
				"\"delta\":%d},{\"op\":\"WAIT\",\"vsync\":true}"
				","
				"{\"op\":\"JUMP\",\"label\":\"a\"}]}",
				p[i].layer, p[i].reg, p[i].step);
		cl_err_t e = cl_copper_load(d.cop, j, &d.prog[i]);
		if (e == CL_OK)
			e = cl_copper_start(d.cop, d.prog[i]);
		if (e < 0)
			return e;
	}
	return CL_OK;
}

/* Layers (in z order) and programs; again after compositord restarted. */
static cl_err_t build(void)
{
	cl_err_t e;
	cl_comp_layer_params p = {.alpha = 1, .visible = true};
	if ((e = layer(&d.l_bg, &d.bg, &p)) < 0)
		return e;
	p = (cl_comp_layer_params){.x = (int32_t)d.w - 200,
				   .y = 120,
				   .alpha = 0.8,
				   .z = 5,
				   .visible = true,
				   .scale_x = 1.5,
				   .scale_y = 1.5,
				   .blend = CL_BLEND_ADD,
				   .set = CL_LP_ALL};
	if ((e = layer(&d.l_box, &d.box, &p)) < 0)
		return e;
	p = (cl_comp_layer_params){
		.y = 200, .alpha = 1, .z = 10, .visible = true};
	if ((e = layer(&d.l_ball, &d.ball, &p)) < 0)
		return e;
	p = (cl_comp_layer_params){
		.x = 16, .y = 16, .alpha = 0.9, .z = 20, .visible = true};
	if ((e = layer(&d.l_panel, &d.panel, &p)) < 0)
		return e;
	static const char *const evs[] = {"vsync"};
	if (!cl_comp_event_port(d.comp) &&
	    (e = cl_comp_subscribe(d.comp, evs, 1)) < 0)
		return e;
	return programs();
}

static cl_err_t rebuild(void)
{
	printf("demo: compositord gone, reconnecting\n");
	uint64_t t0 = now();
	cl_err_t e = cl_comp_reconnect(d.comp, t0 + 10000000000ull);
	if (e == CL_OK)
		e = build();
	if (e < 0) {
		printf("demo: rebuild failed: %s %s\n", cl_strerror(e),
		       cl_comp_last(d.comp)->message);
		return e;
	}
	d.rebuilds++;
	printf("demo: scene rebuilt in %llu ms (layers %u %u %u %u)\n",
	       (unsigned long long)((now() - t0) / 1000000), d.l_bg, d.l_box,
	       d.l_ball, d.l_panel);
	fflush(stdout);
	return CL_OK;
}

/* A key on the serial console or the keyboard. */
static bool key_pressed(void)
{
	if (d.keys.recv &&
	    cl_next_event(&d.keys, DEADLINE_POLL, &ev) == CL_OK) {
		bool k = !strcmp(ev.name, "key");
		cl_event_close(&ev);
		if (k)
			return true;
	}
	if (d.input) {
		struct input_event ie[8];
		long n = input_read(d.input, ie, 8, INPUT_READ_NOWAIT, 0);
		for (long i = 0; i < n; i++)
			if (ie[i].type == INPUT_EV_KEY && ie[i].value == 1)
				return true;
	}
	return false;
}

static void listen_keys(void)
{
	static struct cl_conn con;
	static const char *const evs[] = {"key"};
	if (cl_connect("/svc/console", DEADLINE_POLL, &con) == CL_OK &&
	    cl_subscribe(&con, evs, 1, &d.keys) < 0)
		d.keys.recv = HANDLE_INVALID;
	handle_t pub = input_lookup(INPUT_SVC_NAME, DEADLINE_POLL);
	uint32_t id;
	if (pub > 0 && input_subscribe(pub, &d.input, &id) < 0)
		d.input = HANDLE_INVALID;
}

static void copper_status(void)
{
	if (cl_copper_request(d.cop, "{\"cmd\":\"status\"}") < 0)
		return;
	cl_resp_int(cl_copper_last(d.cop), "deadlines_missed", &d.missed);
	cl_resp_int(cl_copper_last(d.cop), "deadlines_met", &d.met);
}

static int run(uint64_t seconds)
{
	uint64_t end = seconds ? now() + seconds * 1000000000ull : UINT64_MAX;
	int64_t missed0 = -1;
	copper_status();
	missed0 = d.missed;
	printf("demo: %ux%u, layers %u %u %u %u, copper programs %u %u %u; "
	       "a key ends it\n",
	       d.w, d.h, d.l_bg, d.l_box, d.l_ball, d.l_panel, d.prog[0],
	       d.prog[1], d.prog[2]);
	fflush(stdout);
	while (now() < end) {
		if (key_pressed()) {
			printf("demo: key\n");
			break;
		}
		cl_err_t e =
			cl_comp_next_event(d.comp, now() + 500000000ull, &ev);
		if (e == CL_ERR_TIMEOUT) /* no vsync for 0.5 s: is it there? */
			e = cl_comp_request(d.comp, "{\"cmd\":\"ping\"}");
		if (e == CL_ERR_CONN || e == CL_ERR_PROTO) {
			if (rebuild() < 0)
				return 1;
			continue;
		}
		if (e < 0 || strcmp(ev.name, "vsync")) {
			cl_event_close(&ev);
			continue;
		}
		int64_t usec = 0;
		cl_event_int(&ev, "usec", &usec);
		cl_event_close(&ev);
		if (d.last_usec && (uint64_t)usec > d.last_usec) {
			uint32_t dt = (uint32_t)((uint64_t)usec - d.last_usec);
			d.hist[d.frames % HIST] = dt;
			if (d.nhist < HIST)
				d.nhist++;
			if (d.frames > 60 && dt > d.worst_us)
				d.worst_us = dt;
		}
		d.last_usec = (uint64_t)usec;
		d.frames++;
		if (d.frames % 30 == 0) {
			if (d.frames % 60 == 0)
				copper_status();
			if (draw_panel() == CL_OK)
				cl_comp_damage(d.comp, d.l_panel, NULL);
		}
	}
	copper_status();
	printf("demo: %llu frames, worst interval %llu us, %llu rebuilds, "
	       "copperd deadlines met %lld missed %lld (%lld during the "
	       "demo)\n",
	       (unsigned long long)d.frames, (unsigned long long)d.worst_us,
	       (unsigned long long)d.rebuilds, (long long)d.met,
	       (long long)d.missed, (long long)(d.missed - missed0));
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t seconds = 0;
	for (int i = 1; i + 1 < argc; i += 2)
		if (!strcmp(argv[i], "--seconds"))
			seconds = strtoull(argv[i + 1], NULL, 10);
	uint64_t dl = now() + 10000000000ull;
	cl_err_t e;
	if ((e = cl_comp_open(NULL, dl, &d.comp)) < 0 ||
	    (e = cl_copper_open(NULL, dl, &d.cop)) < 0 ||
	    (e = cl_blit_open(NULL, dl, &d.blit)) < 0) {
		printf("demo: connect: %s\n", cl_strerror(e));
		return 1;
	}
	screen_size();
	if ((e = cl_surface_alloc(&d.bg, d.w, d.h, "RGBA8")) < 0 ||
	    (e = cl_surface_alloc(&d.ball, SPRITE, SPRITE, "RGBA8")) < 0 ||
	    (e = cl_surface_alloc(&d.box, 48, 48, "RGBA8")) < 0 ||
	    (e = cl_surface_alloc(&d.panel, PANEL_W, PANEL_H, "RGBA8")) < 0 ||
	    (e = cl_blit_bind(d.blit, &d.bg)) < 0 ||
	    (e = cl_blit_bind(d.blit, &d.box)) < 0 ||
	    (e = cl_blit_bind(d.blit, &d.panel)) < 0) {
		printf("demo: surfaces: %s %s\n", cl_strerror(e),
		       cl_blit_last(d.blit)->message);
		return 1;
	}
	draw_ball();
	static const cl_rect br[2] = {{0, 0, 48, 48}, {8, 8, 32, 32}};
	static const cl_color bc[2] = {{60, 200, 255, 255},
				       {255, 60, 160, 255}};
	const char *step = "background";
	if ((e = draw_background()) < 0 ||
	    (step = "square", e = fills(&d.box, br, bc, 2)) < 0 ||
	    (step = "panel", e = draw_panel()) < 0) {
		printf("demo: blitterd: %s: %s %s\n", step, cl_strerror(e),
		       cl_blit_last(d.blit)->message);
		return 1;
	}
	if ((e = build()) < 0) {
		printf("demo: scene: %s %s %s\n", cl_strerror(e),
		       cl_comp_last(d.comp)->message,
		       cl_copper_last(d.cop)->message);
		return 1;
	}
	listen_keys();
	int rc = run(seconds);
	cl_copper_close(d.cop);
	cl_comp_close(d.comp);
	cl_blit_close(d.blit);
	return rc;
}
