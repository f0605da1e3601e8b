/* The graphics clients' request builders (libs/sdk-c/cl_gfx.c): every
 * request the clients send, byte for byte, parsed back as JSON, and the
 * arguments they refuse (NaN, bad formats, too small buffers) — never a
 * crash, never a truncated request (ASan/UBSan). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cl_gfx.h"
#include "harness.h"
#include "json.h"
#include "seg7.h"

static char buf[1024];
static struct json_doc doc;

static bool parses(int n)
{
	return n > 0 && (size_t)n == strlen(buf) &&
	       json_parse(&doc, buf, (size_t)n) == 0 &&
	       json_type_of(&doc, 0) == JSON_OBJECT;
}

TEST(gfx_fmt_set_phase0_fields)
{
	cl_comp_layer_params p = {
		.x = -5, .y = 7, .alpha = 0.5, .z = 3, .visible = true};
	int n = cl_gfx_fmt_set(buf, sizeof(buf), 2, &p);
	STR_EQ(buf, "{\"cmd\":\"set\",\"id\":2,\"x\":-5,\"y\":7,\"alpha\":0.5,"
		    "\"z\":3,\"visible\":true}");
	CHECK(parses(n));
	int64_t v;
	CHECK_EQ(json_get_int(&doc, "x", &v), 0);
	CHECK_EQ(v, -5);
}

TEST(gfx_fmt_set_mask_and_extras)
{
	cl_comp_layer_params p = {.scale_x = 2,
				  .scale_y = 0.25,
				  .rotation = 90,
				  .blend = CL_BLEND_SCREEN,
				  .set = CL_LP_SCALE_X | CL_LP_SCALE_Y |
					 CL_LP_ROTATION | CL_LP_BLEND};
	int n = cl_gfx_fmt_set(buf, sizeof(buf), 1, &p);
	STR_EQ(buf, "{\"cmd\":\"set\",\"id\":1,\"scale_x\":2,\"scale_y\":0.25,"
		    "\"rotation\":90,\"blend\":\"screen\"}");
	CHECK(parses(n));
	p.set = CL_LP_X;
	p.x = 12;
	n = cl_gfx_fmt_set(buf, sizeof(buf), 9, &p);
	STR_EQ(buf, "{\"cmd\":\"set\",\"id\":9,\"x\":12}");
}

TEST(gfx_fmt_set_refuses_bad_values)
{
	cl_comp_layer_params p = {.alpha = NAN, .set = CL_LP_ALPHA};
	CHECK_EQ(cl_gfx_fmt_set(buf, sizeof(buf), 1, &p), CL_ERR_ARG);
	p.alpha = INFINITY;
	CHECK_EQ(cl_gfx_fmt_set(buf, sizeof(buf), 1, &p), CL_ERR_ARG);
	p = (cl_comp_layer_params){.blend = (enum cl_blend)7,
				   .set = CL_LP_BLEND};
	CHECK_EQ(cl_gfx_fmt_set(buf, sizeof(buf), 1, &p), CL_ERR_ARG);
	p.set = 1u << 20;
	CHECK_EQ(cl_gfx_fmt_set(buf, sizeof(buf), 1, &p), CL_ERR_ARG);
	CHECK_EQ(cl_gfx_fmt_set(buf, sizeof(buf), 1, NULL), CL_ERR_ARG);
	/* Too small a buffer: an error, and the buffer stays a C string. */
	p = (cl_comp_layer_params){.x = 1};
	CHECK_EQ(cl_gfx_fmt_set(buf, 20, 1, &p), CL_ERR_SPACE);
	CHECK(strlen(buf) < 20);
}

TEST(gfx_fmt_set_regs_batch)
{
	cl_reg_write w[] = {{1, "x", 100}, {1, "alpha", 0.75}, {12, "z", -3}};
	int n = cl_gfx_fmt_set_regs(buf, sizeof(buf), w, 3);
	STR_EQ(buf, "{\"cmd\":\"set_regs\",\"regs\":{\"layer[1].x\":100,"
		    "\"layer[1].alpha\":0.75,\"layer[12].z\":-3}}");
	CHECK(parses(n));
	cl_reg_write bad[] = {{1, "x\",\"y", 1}};
	CHECK_EQ(cl_gfx_fmt_set_regs(buf, sizeof(buf), bad, 1), CL_ERR_ARG);
	CHECK_EQ(cl_gfx_fmt_set_regs(buf, sizeof(buf), w, 0), CL_ERR_ARG);
	cl_reg_write nan[] = {{1, "x", NAN}};
	CHECK_EQ(cl_gfx_fmt_set_regs(buf, sizeof(buf), nan, 1), CL_ERR_ARG);
}

TEST(gfx_fmt_bind_and_damage)
{
	int n = cl_gfx_fmt_bind_dmabuf(buf, sizeof(buf), 3, 64, 32, "BGRA8",
				       256);
	STR_EQ(buf, "{\"cmd\":\"bind_dmabuf\",\"id\":3,\"fd\":0,\"w\":64,"
		    "\"h\":32,\"format\":\"BGRA8\",\"stride\":256,"
		    "\"modifier\":0}");
	CHECK(parses(n));
	CHECK_EQ(cl_gfx_fmt_bind_dmabuf(buf, sizeof(buf), 3, 64, 32, "RGB8",
					256),
		 CL_ERR_ARG);
	n = cl_gfx_fmt_bind_image(buf, sizeof(buf), 4, "/boot/share/a\"b", 8, 8,
				  "RGBA8");
	STR_EQ(buf, "{\"cmd\":\"bind_image\",\"id\":4,\"path\":"
		    "\"/boot/share/a\\\"b\",\"w\":8,\"h\":8,"
		    "\"format\":\"RGBA8\"}");
	CHECK(parses(n));
	char path[32];
	CHECK(json_get_str(&doc, "path", path, sizeof(path)) > 0);
	STR_EQ(path, "/boot/share/a\"b");
	CHECK_EQ(cl_gfx_fmt_bind_image(buf, sizeof(buf), 4, "", 8, 8, "RGBA8"),
		 CL_ERR_ARG);
	cl_rect r = {-1, 2, 30, 40};
	n = cl_gfx_fmt_damage(buf, sizeof(buf), 5, &r);
	STR_EQ(buf, "{\"cmd\":\"damage\",\"id\":5,\"rect\":{\"x\":-1,\"y\":2,"
		    "\"w\":30,\"h\":40}}");
	CHECK(parses(n));
	n = cl_gfx_fmt_damage(buf, sizeof(buf), 5, NULL);
	STR_EQ(buf, "{\"cmd\":\"damage\",\"id\":5}");
	n = cl_gfx_fmt_id(buf, sizeof(buf), "destroy_layer", 7);
	STR_EQ(buf, "{\"cmd\":\"destroy_layer\",\"id\":7}");
	CHECK(parses(n));
}

TEST(gfx_fmt_copper_load)
{
	const char *prog = "{\"version\":1,\"program\":[{\"op\":\"ADD\","
			   "\"reg\":\"layer[1].x\",\"delta\":4},"
			   "{\"op\":\"WAIT\",\"vsync\":true}]}";
	int n = cl_gfx_fmt_load(buf, sizeof(buf), prog, NULL);
	CHECK(parses(n));
	CHECK_EQ(json_find(&doc, 0, "program.program.1.vsync") > 0, 1);
	n = cl_gfx_fmt_load(buf, sizeof(buf), prog,
			    "{\"layers\":[1],\"regs\":[\"x\"]}");
	CHECK(parses(n));
	int64_t l;
	CHECK_EQ(json_get_int(&doc, "mask.layers.0", &l), 0);
	CHECK_EQ(l, 1);
	/* Not objects: refused before anything is sent. */
	CHECK_EQ(cl_gfx_fmt_load(buf, sizeof(buf), "[1]", NULL), CL_ERR_ARG);
	CHECK_EQ(cl_gfx_fmt_load(buf, sizeof(buf), "{\"version\":", NULL),
		 CL_ERR_ARG);
	CHECK_EQ(cl_gfx_fmt_load(buf, sizeof(buf), prog, "3"), CL_ERR_ARG);
	CHECK_EQ(cl_gfx_fmt_load(buf, sizeof(buf), NULL, NULL), CL_ERR_ARG);
	CHECK_EQ(cl_gfx_fmt_load(buf, 30, prog, NULL), CL_ERR_SPACE);
}

TEST(gfx_fmt_copper_binary)
{
	uint64_t ops[] = {0x0300000100000064ull, 0x0100000000000000ull};
	int n = cl_gfx_fmt_load_binary(buf, sizeof(buf), ops, 2);
	STR_EQ(buf, "{\"cmd\":\"load\",\"binary\":"
		    "\"03000001000000640100000000000000\"}");
	CHECK(parses(n));
	CHECK_EQ(cl_gfx_fmt_load_binary(buf, sizeof(buf), ops, 0), CL_ERR_ARG);
	CHECK_EQ(cl_gfx_fmt_load_binary(buf, 40, ops, 2), CL_ERR_SPACE);
}

TEST(gfx_fmt_blit_surfaces_number_handles)
{
	cl_surface_desc a = {
		.grant = 5, .w = 16, .h = 8, .stride = 64, .format = "RGBA8"};
	cl_surface_desc b = {
		.grant = 6, .w = 4, .h = 4, .stride = 32, .format = "BGRA8"};
	cl_rect r = {1, 2, 3, 4};
	cl_color c = {255, 128, 0, 255};
	uint32_t nh = 9;
	int n = cl_gfx_fmt_rect_fill(buf, sizeof(buf), &a, &r, &c, &nh);
	STR_EQ(buf, "{\"cmd\":\"rect_fill\",\"dst\":{\"fd\":0,\"w\":16,\"h\":8,"
		    "\"format\":\"RGBA8\",\"stride\":64},\"rect\":{\"x\":1,"
		    "\"y\":2,\"w\":3,\"h\":4},\"color\":{\"r\":255,\"g\":128,"
		    "\"b\":0,\"a\":255}}");
	CHECK(parses(n));
	CHECK_EQ(nh, 1);
	n = cl_gfx_fmt_rect_copy(buf, sizeof(buf), &a, &b, &r, -2, 3, &nh);
	CHECK(parses(n));
	CHECK_EQ(nh, 2);
	int64_t fd;
	CHECK_EQ(json_get_int(&doc, "src.fd", &fd), 0);
	CHECK_EQ(fd, 0);
	CHECK_EQ(json_get_int(&doc, "dst.fd", &fd), 0);
	CHECK_EQ(fd, 1);
	CHECK_EQ(json_get_int(&doc, "dst_xy.x", &fd), 0);
	CHECK_EQ(fd, -2);
	/* A bound source travels as its id: the destination is handle 0. */
	a.surface = 3;
	n = cl_gfx_fmt_convert(buf, sizeof(buf), &a, &b, &nh);
	STR_EQ(buf, "{\"cmd\":\"convert\",\"src\":{\"surface\":3},\"dst\":{"
		    "\"fd\":0,\"w\":4,\"h\":4,\"format\":\"BGRA8\","
		    "\"stride\":32}}");
	CHECK(parses(n));
	CHECK_EQ(nh, 1);
	n = cl_gfx_fmt_surface_bind(buf, sizeof(buf), &b);
	STR_EQ(buf, "{\"cmd\":\"surface_bind\",\"fd\":0,\"w\":4,\"h\":4,"
		    "\"format\":\"BGRA8\",\"stride\":32}");
	CHECK(parses(n));
	/* No grant, or a bad format, and not bound: refused. */
	b.grant = 0;
	CHECK_EQ(cl_gfx_fmt_rect_fill(buf, sizeof(buf), &b, &r, &c, &nh),
		 CL_ERR_ARG);
	b.grant = 6;
	strcpy(b.format, "XRGB");
	CHECK_EQ(cl_gfx_fmt_rect_fill(buf, sizeof(buf), &b, &r, &c, &nh),
		 CL_ERR_ARG);
	CHECK_EQ(cl_gfx_fmt_surface_bind(buf, sizeof(buf), &b), CL_ERR_ARG);
	CHECK_EQ(cl_gfx_fmt_rect_fill(buf, sizeof(buf), &a, NULL, &c, &nh),
		 CL_ERR_ARG);
}

TEST(gfx_fmt_every_builder_fits_or_errs)
{
	/* Every cap from 0 up: either the full request or an error, never
	 * an overrun (ASan) and never an unterminated buffer. */
	cl_comp_layer_params p = {.x = 1,
				  .y = 2,
				  .alpha = 0.125,
				  .z = 3,
				  .visible = true,
				  .set = CL_LP_ALL,
				  .scale_x = 1,
				  .scale_y = 1};
	char full[256];
	int want = cl_gfx_fmt_set(full, sizeof(full), 1, &p);
	CHECK(want > 0);
	for (size_t cap = 1; cap <= (size_t)want + 1; cap++) {
		char *b = malloc(cap);
		int n = cl_gfx_fmt_set(b, cap, 1, &p);
		if (cap > (size_t)want)
			CHECK_EQ(n, want);
		else
			CHECK_EQ(n, CL_ERR_SPACE);
		CHECK(strlen(b) < cap);
		free(b);
	}
	CHECK_EQ(cl_gfx_fmt_set(NULL, 0, 1, &p), CL_ERR_ARG);
}

TEST(gfx_fmt_batch_fill_needs_a_bound_surface)
{
	cl_surface_desc d = {
		.grant = 3, .w = 8, .h = 8, .stride = 32, .format = "RGBA8"};
	cl_rect r[2] = {{0, 0, 2, 2}, {4, 4, 1, 1}};
	cl_color c[2] = {{1, 2, 3, 4}, {5, 6, 7, 8}};
	CHECK_EQ(cl_gfx_fmt_batch_fill(buf, sizeof(buf), &d, r, c, 2),
		 CL_ERR_ARG);
	d.surface = 7;
	int n = cl_gfx_fmt_batch_fill(buf, sizeof(buf), &d, r, c, 2);
	STR_EQ(buf,
	       "{\"cmd\":\"batch\",\"ops\":[{\"op\":\"rect_fill\",\"dst\":"
	       "{\"surface\":7},\"rect\":{\"x\":0,\"y\":0,\"w\":2,\"h\":2},"
	       "\"color\":{\"r\":1,\"g\":2,\"b\":3,\"a\":4}},{\"op\":"
	       "\"rect_fill\",\"dst\":{\"surface\":7},\"rect\":{\"x\":4,"
	       "\"y\":4,\"w\":1,\"h\":1},\"color\":{\"r\":5,\"g\":6,\"b\":7,"
	       "\"a\":8}}]}");
	CHECK(parses(n));
	CHECK_EQ(cl_gfx_fmt_batch_fill(buf, sizeof(buf), &d, r, c, 0),
		 CL_ERR_ARG);
	/* The largest batch still parses within the peer's token limit,
	 * with the largest numbers; one more is refused. */
	static char big[4097];
	cl_rect rr[CL_GFX_BATCH_FILL_MAX + 1];
	cl_color cc[CL_GFX_BATCH_FILL_MAX + 1];
	for (int i = 0; i <= CL_GFX_BATCH_FILL_MAX; i++) {
		rr[i] = (cl_rect){-2147483647, -2147483647, 4294967295u,
				  4294967295u};
		cc[i] = (cl_color){255, 255, 255, 255};
	}
	d.surface = 4294967295u;
	n = cl_gfx_fmt_batch_fill(big, sizeof(big), &d, rr, cc,
				  CL_GFX_BATCH_FILL_MAX);
	CHECK(n > 0);
	CHECK_EQ(json_parse(&doc, big, (size_t)n), 0);
	CHECK_EQ(cl_gfx_fmt_batch_fill(big, sizeof(big), &d, rr, cc,
				       CL_GFX_BATCH_FILL_MAX + 1),
		 CL_ERR_ARG);
}

TEST(gfx_seg7_glyph_rects)
{
	cl_rect r[32];
	/* "1": segments b and c, on the right of the cell. */
	CHECK_EQ(seg7_rects("1", 10, 20, 2, r, 32), 2);
	CHECK_EQ(r[0].x, 16);
	CHECK_EQ(r[0].y, 20);
	CHECK_EQ(r[0].w, 2);
	CHECK_EQ(r[0].h, 8);
	CHECK_EQ(r[1].y, 26);
	/* "8." is every segment and the dot; the next glyph advances 5 s. */
	CHECK_EQ(seg7_rects("8.", 0, 0, 1, r, 32), 8);
	CHECK_EQ(seg7_rects("88", 0, 0, 3, r, 32), 14);
	CHECK_EQ(r[7].x, 15);
	/* Unknown characters are blanks; max is respected. */
	CHECK_EQ(seg7_rects("?#", 0, 0, 1, r, 32), 0);
	CHECK_EQ(seg7_rects("888", 0, 0, 1, r, 5), 5);
	CHECK_EQ(seg7_mask('F'), 0x71);
	CHECK_EQ(seg7_rects(NULL, 0, 0, 1, r, 5), 0);
}
