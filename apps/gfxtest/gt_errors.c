/* gfxtest errors: every kind of malformed request the issue lists (bad
 * JSON, wrong types, unknown cmd, unknown ids, a grant too small for
 * w*h*4, a stride below w*4; copperd's load validation naming the op
 * index) sent to each service, which must answer with the ports/v0 error
 * object and the expected code, and still answer ping afterwards. One
 * line per case: "case <svc>.<name>: <CODE> <message>" or "FAIL ...". */
#include <stdio.h>
#include <string.h>

#include "gfxtest.h"

static struct cl_resp resp;
static int ok_n, bad_n;

/* Sends len bytes on conn (handles moved) and checks the answer is an
 * error whose code is one of codes ("A|B") and whose message contains
 * substr (if given). */
static void expect(struct cl_conn *conn, const char *svc, const char *name,
		   const char *json, size_t len, const handle_t *h, uint32_t nh,
		   const char *codes, const char *substr)
{
	cl_err_t e = cl_request_raw(conn, json, (uint32_t)len, h, nh,
				    gt_now() + CL_DEFAULT_TIMEOUT_NS, &resp);
	cl_resp_close(&resp);
	char want[64];
	snprintf(want, sizeof(want), "|%s|", codes);
	char got[40];
	snprintf(got, sizeof(got), "|%s|", resp.code);
	bool good = e == CL_ERR_REMOTE && resp.code[0] && strstr(want, got) &&
		    (!substr || strstr(resp.message, substr));
	if (good) {
		ok_n++;
		printf("case %s.%s: %s %s\n", svc, name, resp.code,
		       resp.message);
	} else {
		bad_n++;
		printf("FAIL %s.%s: %s code '%s' message '%s' (want %s%s%s)\n",
		       svc, name, cl_strerror(e), resp.code, resp.message,
		       codes, substr ? " with " : "", substr ? substr : "");
	}
}

static void expect_s(struct cl_conn *c, const char *svc, const char *name,
		     const char *json, const char *codes, const char *substr)
{
	expect(c, svc, name, json, strlen(json), NULL, 0, codes, substr);
}

/* The same with a duplicate of the grant attached as handle 0. */
static void expect_g(struct cl_conn *c, const char *svc, const char *name,
		     const char *json, const cl_surface_desc *g,
		     const char *codes, const char *substr)
{
	handle_t h;
	if (cl_surface_dup(g, &h) < 0) {
		bad_n++;
		printf("FAIL %s.%s: no grant to attach\n", svc, name);
		return;
	}
	expect(c, svc, name, json, strlen(json), &h, 1, codes, substr);
}

static void alive(struct cl_conn *c, const char *svc)
{
	cl_err_t e = cl_request_ex(c, "{\"cmd\":\"ping\"}", NULL, 0,
				   gt_now() + CL_DEFAULT_TIMEOUT_NS, &resp);
	cl_resp_close(&resp);
	if (e == CL_OK) {
		ok_n++;
		printf("case %s.alive_after: ping ok\n", svc);
	} else {
		bad_n++;
		printf("FAIL %s.alive_after: ping: %s\n", svc, cl_strerror(e));
	}
}

/* The JSON-level cases every service shares. */
static void common(struct cl_conn *c, const char *svc)
{
	static const char trunc[] = "{\"cmd\":\"ping\"";
	expect(c, svc, "bad_json", trunc, sizeof(trunc) - 1, NULL, 0,
	       "BAD_JSON", NULL);
	static const char bin[] = "\x01\xff\x00garbage";
	expect(c, svc, "binary_garbage", bin, sizeof(bin) - 1, NULL, 0,
	       "BAD_JSON", NULL);
	expect_s(c, svc, "not_an_object", "[1,2,3]", "BAD_JSON|BAD_ARG", NULL);
	expect(c, svc, "empty_message", "", 0, NULL, 0, "BAD_JSON", NULL);
	expect_s(c, svc, "no_cmd", "{\"id\":1}", "BAD_CMD|BAD_ARG", NULL);
	expect_s(c, svc, "cmd_not_string", "{\"cmd\":7}", "BAD_CMD|BAD_ARG",
		 NULL);
	expect_s(c, svc, "unknown_cmd", "{\"cmd\":\"frobnicate\"}", "BAD_CMD",
		 NULL);
}

static void comp_cases(cl_comp *comp, const cl_surface_desc *small)
{
	struct cl_conn *c = &comp->g.session;
	const char *s = "compositord";
	common(c, s);
	uint32_t id = 0;
	if (cl_comp_create_layer(comp, &id) < 0) {
		bad_n++;
		printf("FAIL compositord.create_layer: %s\n",
		       cl_comp_last(comp)->code);
		return;
	}
	char j[256];
	snprintf(j, sizeof(j), "{\"cmd\":\"set\",\"id\":%u,\"x\":\"left\"}",
		 id);
	expect_s(c, s, "set_x_string", j, "BAD_ARG", NULL);
	snprintf(j, sizeof(j), "{\"cmd\":\"set\",\"id\":%u,\"alpha\":[1]}", id);
	expect_s(c, s, "set_alpha_array", j, "BAD_ARG", NULL);
	snprintf(j, sizeof(j), "{\"cmd\":\"set\",\"id\":%u,\"blend\":\"xor\"}",
		 id);
	expect_s(c, s, "set_blend_unknown", j, "BAD_ARG", NULL);
	expect_s(c, s, "set_id_string", "{\"cmd\":\"set\",\"id\":\"one\"}",
		 "BAD_ARG", NULL);
	expect_s(c, s, "set_unknown_layer",
		 "{\"cmd\":\"set\",\"id\":999,\"x\":1}", "NOT_FOUND", NULL);
	expect_s(c, s, "destroy_unknown_layer",
		 "{\"cmd\":\"destroy_layer\",\"id\":12345}", "NOT_FOUND", NULL);
	expect_s(c, s, "set_regs_unknown_layer",
		 "{\"cmd\":\"set_regs\",\"regs\":{\"layer[63].x\":1}}",
		 "NOT_FOUND", NULL);
	expect_s(c, s, "set_regs_bad_name",
		 "{\"cmd\":\"set_regs\",\"regs\":{\"layer[1].colour\":1}}",
		 "BAD_ARG", NULL);
	/* small: 4096 bytes. 64x64x4 = 16384 does not fit. */
	snprintf(
		j, sizeof(j),
		"{\"cmd\":\"bind_dmabuf\",\"id\":%u,\"fd\":0,\"w\":64,\"h\":64,"
		"\"format\":\"RGBA8\",\"stride\":256,\"modifier\":0}",
		id);
	expect_g(c, s, "bind_grant_too_small", j, small, "BAD_ARG", NULL);
	snprintf(j, sizeof(j),
		 "{\"cmd\":\"bind_dmabuf\",\"id\":%u,\"fd\":0,\"w\":32,\"h\":8,"
		 "\"format\":\"RGBA8\",\"stride\":100,\"modifier\":0}",
		 id);
	expect_g(c, s, "bind_stride_below_w4", j, small, "BAD_ARG", NULL);
	snprintf(j, sizeof(j),
		 "{\"cmd\":\"bind_dmabuf\",\"id\":%u,\"fd\":0,\"w\":32,\"h\":8,"
		 "\"format\":\"RGB565\",\"stride\":128,\"modifier\":0}",
		 id);
	expect_g(c, s, "bind_bad_format", j, small, "BAD_ARG", NULL);
	snprintf(j, sizeof(j),
		 "{\"cmd\":\"bind_dmabuf\",\"id\":%u,\"fd\":0,\"w\":32,\"h\":8,"
		 "\"format\":\"RGBA8\",\"stride\":128,\"modifier\":0}",
		 id);
	expect_s(c, s, "bind_no_grant_attached", j, "BAD_ARG", NULL);
	snprintf(j, sizeof(j),
		 "{\"cmd\":\"bind_image\",\"id\":%u,\"path\":\"/boot/share/"
		 "no-such-file\",\"w\":8,\"h\":8,\"format\":\"RGBA8\"}",
		 id);
	expect_s(c, s, "bind_image_missing_file", j, "NOT_FOUND|BAD_ARG", NULL);
	expect_s(c, s, "subscribe_no_port",
		 "{\"cmd\":\"subscribe\",\"events\":[\"vsync\"]}", "BAD_ARG",
		 NULL);
	expect_s(c, s, "subscribe_unknown_event",
		 "{\"cmd\":\"subscribe\",\"events\":[\"teapot\"],\"port\":0}",
		 "BAD_ARG", NULL);
	cl_comp_destroy_layer(comp, id);
	alive(c, s);
}

static void copper_cases(cl_copper *cop, const cl_surface_desc *ops)
{
	struct cl_conn *c = &cop->g.session;
	const char *s = "copperd";
	common(c, s);
	expect_s(c, s, "load_program_string",
		 "{\"cmd\":\"load\",\"program\":\"MOVE\"}", "BAD_ARG", NULL);
	expect_s(c, s, "load_unknown_op",
		 "{\"cmd\":\"load\",\"program\":{\"version\":1,\"program\":["
		 "{\"op\":\"WAIT\",\"vsync\":true},{\"op\":\"EXPLODE\"}]}}",
		 "BAD_ARG", "op 1");
	expect_s(c, s, "load_missing_label",
		 "{\"cmd\":\"load\",\"program\":{\"version\":1,\"program\":["
		 "{\"op\":\"WAIT\",\"vsync\":true},{\"op\":\"WAIT\","
		 "\"vsync\":true},{\"op\":\"JUMP\",\"label\":\"nowhere\"}]}}",
		 "BAD_ARG", "op 2");
	expect_s(c, s, "load_outside_mask",
		 "{\"cmd\":\"load\",\"program\":{\"version\":1,\"program\":["
		 "{\"op\":\"MOVE\",\"reg\":\"layer[1].y\",\"value\":3}]},"
		 "\"mask\":{\"layers\":[1],\"regs\":[\"x\"]}}",
		 "BAD_ARG", "op 0");
	expect_s(c, s, "load_bad_register",
		 "{\"cmd\":\"load\",\"program\":{\"version\":1,\"program\":["
		 "{\"op\":\"MOVE\",\"reg\":\"layer[1].colour\",\"value\":3}]}}",
		 "BAD_ARG", "op 0");
	expect_s(c, s, "load_binary_unknown_opcode",
		 "{\"cmd\":\"load\",\"binary\":"
		 "\"0100000000000000ee00000000000000\"}",
		 "BAD_ARG", "op 1");
	expect_s(c, s, "load_binary_odd_length",
		 "{\"cmd\":\"load\",\"binary\":\"01000000\"}", "BAD_ARG", NULL);
	/* 1025 NOPs in an attached buffer: one too many. */
	expect_g(c, s, "load_too_many_ops",
		 "{\"cmd\":\"load\",\"binary\":0,\"count\":1025}", ops,
		 "BAD_ARG", "op 1024");
	expect_s(c, s, "start_unknown_id", "{\"cmd\":\"start\",\"id\":999}",
		 "NOT_FOUND", NULL);
	expect_s(c, s, "start_id_string", "{\"cmd\":\"start\",\"id\":\"a\"}",
		 "BAD_ARG", NULL);
	expect_s(c, s, "stop_unknown_id", "{\"cmd\":\"stop\",\"id\":999}",
		 "NOT_FOUND", NULL);
	alive(c, s);
}

static void blit_cases(cl_blit *b, const cl_surface_desc *small)
{
	struct cl_conn *c = &b->g.session;
	const char *s = "blitterd";
	common(c, s);
	static const char rect[] =
		",\"rect\":{\"x\":0,\"y\":0,\"w\":4,\"h\":4},"
		"\"color\":{\"r\":1,\"g\":2,\"b\":3,\"a\":4}}";
	char j[320];
	snprintf(j, sizeof(j),
		 "{\"cmd\":\"rect_fill\",\"dst\":{\"fd\":0,\"w\":64,\"h\":64,"
		 "\"format\":\"RGBA8\",\"stride\":256}%s",
		 rect);
	expect_g(c, s, "fill_grant_too_small", j, small, "BAD_ARG", NULL);
	snprintf(j, sizeof(j),
		 "{\"cmd\":\"rect_fill\",\"dst\":{\"fd\":0,\"w\":32,\"h\":8,"
		 "\"format\":\"RGBA8\",\"stride\":64}%s",
		 rect);
	expect_g(c, s, "fill_stride_below_w4", j, small, "BAD_ARG", NULL);
	snprintf(j, sizeof(j), "{\"cmd\":\"rect_fill\",\"dst\":5%s", rect);
	expect_s(c, s, "fill_dst_number", j, "BAD_ARG", NULL);
	snprintf(j, sizeof(j),
		 "{\"cmd\":\"rect_fill\",\"dst\":{\"surface\":999}%s", rect);
	expect_s(c, s, "fill_unknown_surface", j, "NOT_FOUND|BAD_ARG", NULL);
	snprintf(j, sizeof(j),
		 "{\"cmd\":\"rect_fill\",\"dst\":{\"fd\":0,\"w\":8,\"h\":8,"
		 "\"format\":\"RGBA8\",\"stride\":32},\"rect\":{\"x\":\"a\"},"
		 "\"color\":{\"r\":1,\"g\":2,\"b\":3,\"a\":4}}");
	expect_g(c, s, "fill_rect_wrong_type", j, small, "BAD_ARG", NULL);
	snprintf(j, sizeof(j),
		 "{\"cmd\":\"convert\",\"src\":{\"fd\":0,\"w\":8,\"h\":8,"
		 "\"format\":\"RGBA8\",\"stride\":32},\"dst\":{\"fd\":1,"
		 "\"w\":8,\"h\":8,\"format\":\"BGRA8\",\"stride\":32}}");
	expect_g(c, s, "convert_missing_grant", j, small, "BAD_ARG", NULL);
	expect_s(c, s, "batch_not_array", "{\"cmd\":\"batch\",\"ops\":3}",
		 "BAD_ARG", NULL);
	alive(c, s);
}

int gt_errors(void)
{
	cl_comp *comp = NULL;
	cl_copper *cop = NULL;
	cl_blit *b = NULL;
	cl_surface_desc small, ops;
	cl_err_t e = cl_surface_alloc(&small, 32, 32, "RGBA8"); /* 4 KiB */
	if (e == CL_OK)
		e = cl_surface_alloc(&ops, 2 * 1025, 1, "RGBA8");
	if (e < 0) {
		printf("gfxtest: errors: no shared buffers: %s\n",
		       cl_strerror(e));
		return 1;
	}
	memset((void *)(uintptr_t)ops.addr, 0, 1025 * 8); /* NOPs */
	if ((e = cl_comp_open(NULL, gt_now() + 10000000000ull, &comp)) == CL_OK)
		comp_cases(comp, &small);
	else
		printf("FAIL compositord: connect: %s\n", cl_strerror(e)),
			bad_n++;
	if ((e = cl_copper_open(NULL, gt_now() + 10000000000ull, &cop)) == CL_OK)
		copper_cases(cop, &ops);
	else
		printf("FAIL copperd: connect: %s\n", cl_strerror(e)), bad_n++;
	if ((e = cl_blit_open(NULL, gt_now() + 10000000000ull, &b)) == CL_OK)
		blit_cases(b, &small);
	else
		printf("FAIL blitterd: connect: %s\n", cl_strerror(e)), bad_n++;
	cl_comp_close(comp);
	cl_copper_close(cop);
	cl_blit_close(b);
	cl_surface_free(&small);
	cl_surface_free(&ops);
	printf("gfxtest: errors: %d ok, %d failed\n", ok_n, bad_n);
	return bad_n ? 1 : 0;
}
