/* blitterd's protocol (services/blitterd/blit_proto.c) over a fake
 * platform: grants are heap buffers behind handle numbers, events are
 * recorded. Every malformed request gets its error object; jobs touch
 * the right pixels; mappings, surfaces, sessions and subscribers are
 * released when they should be. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "blit_proto.h"
#include "harness.h"

#define NGRANT 8

static struct fake {
	uint8_t *buf[NGRANT + 1];
	uint64_t size[NGRANT + 1];
	bool ro[NGRANT + 1];
	int mapped; /* live mappings */
	uint32_t minted, closed;
	int send_mode; /* 0 ok, 1 full, -1 gone */
	char ev[8][BLIT_EVENT_MAX];
	uint32_t ev_to[8];
	int nev;
	uint64_t t;
} fk;

static int f_ident(void *c, uint32_t h, uint64_t *koid, bool *cw)
{
	(void)c;
	if (h < 1 || h > NGRANT || !fk.buf[h])
		return -1;
	*koid = 1000 + h;
	*cw = !fk.ro[h];
	return 0;
}

static int f_map(void *c, uint32_t h, uint8_t **base, bool *wr)
{
	(void)c;
	*base = fk.buf[h];
	*wr = !fk.ro[h];
	fk.mapped++;
	return 0;
}

static bool f_fits(void *c, uint8_t *base, uint64_t bytes)
{
	(void)c;
	for (int i = 1; i <= NGRANT; i++)
		if (fk.buf[i] == base)
			return bytes <= fk.size[i];
	return false;
}

static void f_unmap(void *c, uint8_t *base)
{
	(void)c;
	(void)base;
	fk.mapped--;
}

static int f_mint(void *c, uint64_t badge, uint32_t *h)
{
	(void)c;
	fk.minted++;
	*h = 100 + (uint32_t)badge;
	return 0;
}

static int f_send(void *c, uint32_t h, const char *d, uint32_t len)
{
	(void)c;
	if (fk.send_mode)
		return fk.send_mode;
	if (fk.nev < 8) {
		snprintf(fk.ev[fk.nev], BLIT_EVENT_MAX, "%.*s", (int)len, d);
		fk.ev_to[fk.nev++] = h;
	}
	return 0;
}

static void f_close(void *c, uint32_t h)
{
	(void)c;
	(void)h;
	fk.closed++;
}

static uint64_t f_now(void *c)
{
	(void)c;
	return fk.t += 3000;
}

static const struct blit_plat fplat = {NULL,	f_ident, f_map,	 f_fits,
				       f_unmap, f_mint,	 f_send, f_close,
				       f_now,	NULL,	 NULL};
static struct blit_svc svc;
static struct blit_ans ans;

static void setup(void)
{
	for (int i = 1; i <= NGRANT; i++)
		free(fk.buf[i]);
	memset(&fk, 0, sizeof(fk));
	blit_init(&svc, &blit_kern_scalar, &fplat);
}

static uint8_t *grant(uint32_t h, uint64_t size, bool ro)
{
	fk.buf[h] = calloc(1, size);
	fk.size[h] = size;
	fk.ro[h] = ro;
	return fk.buf[h];
}

/* One call with handles 1..nh attached as indexes 0..nh-1 (or hs). */
static void call(const char *json, uint32_t *hs, uint32_t nh, uint64_t badge)
{
	uint32_t def[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	blit_handle(&svc, json, strlen(json), hs ? hs : def, nh, badge, &ans);
}

#define ERR(code_) (!ans.ok && !strcmp(ans.code, code_))

TEST(blit_proto_ping_status)
{
	setup();
	call("{\"cmd\":\"ping\"}", NULL, 0, 0);
	CHECK(ans.ok);
	STR_EQ(ans.result, "{\"name\":\"blitterd\",\"version\":\"0.1.0\","
			   "\"protocol\":\"ports/v0\"}");
	call("{\"cmd\":\"status\"}", NULL, 0, 0);
	CHECK(ans.ok);
	CHECK(strstr(ans.result, "\"kernel\":\"scalar\""));
	CHECK(strstr(ans.result, "\"requests\":2"));
}

TEST(blit_proto_malformed_requests_get_errors)
{
	setup();
	grant(1, 4096, false);
	grant(2, 100, false);
	grant(3, 4096, true);
	static const struct {
		const char *json;
		uint32_t nh;
		const char *code, *msg;
	} cases[] = {
		{"{\"cmd\":", 0, "BAD_JSON", ""},
		{"[1,2]", 0, "BAD_JSON", ""},
		{"", 0, "BAD_JSON", ""},
		{"{\"cmd\":5}", 0, "BAD_ARG", "cmd"},
		{"{\"nocmd\":1}", 0, "BAD_ARG", "cmd"},
		{"{\"cmd\":\"explode\"}", 0, "BAD_CMD", ""},
		{"{\"cmd\":\"rect_fill\"}", 1, "BAD_ARG", "dst"},
		{"{\"cmd\":\"rect_fill\",\"dst\":{\"fd\":0,\"w\":4,\"h\":4,"
		 "\"format\":\"RGBA8\",\"stride\":16}}",
		 0, "BAD_ARG", "dst.fd"},
		{"{\"cmd\":\"rect_fill\",\"dst\":{\"fd\":3,\"w\":4,\"h\":4,"
		 "\"format\":\"RGBA8\",\"stride\":16}}",
		 1, "BAD_ARG", "dst.fd"},
		{"{\"cmd\":\"rect_fill\",\"dst\":{\"fd\":\"0\",\"w\":4,\"h\":4,"
		 "\"format\":\"RGBA8\",\"stride\":16}}",
		 1, "BAD_ARG", "dst.fd"},
		{"{\"cmd\":\"rect_fill\",\"dst\":{\"fd\":0,\"w\":4,\"h\":4,"
		 "\"format\":\"RGBA8\",\"stride\":15},\"rect\":{\"x\":0,\"y\":"
		 "0,"
		 "\"w\":1,\"h\":1},\"color\":{\"r\":1,\"g\":2,\"b\":3}}",
		 1, "BAD_ARG", "stride"},
		{"{\"cmd\":\"rect_fill\",\"dst\":{\"fd\":1,\"w\":5,\"h\":6,"
		 "\"format\":\"RGBA8\",\"stride\":20},\"rect\":{\"x\":0,\"y\":"
		 "0,"
		 "\"w\":1,\"h\":1},\"color\":{\"r\":1,\"g\":2,\"b\":3}}",
		 2, "BAD_ARG", "smaller than stride*h"},
		{"{\"cmd\":\"rect_fill\",\"dst\":{\"fd\":0,\"w\":4,\"h\":4,"
		 "\"format\":\"RGB\",\"stride\":16}}",
		 1, "BAD_ARG", "format"},
		{"{\"cmd\":\"rect_fill\",\"dst\":{\"fd\":0,\"w\":0,\"h\":4,"
		 "\"format\":\"RGBA8\",\"stride\":16}}",
		 1, "BAD_ARG", "dst.w"},
		{"{\"cmd\":\"rect_fill\",\"dst\":{\"fd\":0,\"w\":4,\"h\":4,"
		 "\"format\":\"RGBA8\",\"stride\":16},\"rect\":{\"x\":\"a\","
		 "\"y\":0,\"w\":1,\"h\":1},\"color\":{\"r\":1,\"g\":2,\"b\":3}"
		 "}",
		 1, "BAD_ARG", "rect.x"},
		{"{\"cmd\":\"rect_fill\",\"dst\":{\"fd\":0,\"w\":4,\"h\":4,"
		 "\"format\":\"RGBA8\",\"stride\":16},\"rect\":{\"x\":0,"
		 "\"y\":0,\"w\":-1,\"h\":1},\"color\":{\"r\":1,\"g\":2,\"b\":3}"
		 "}",
		 1, "BAD_ARG", "rect.w"},
		{"{\"cmd\":\"rect_fill\",\"dst\":{\"fd\":0,\"w\":4,\"h\":4,"
		 "\"format\":\"RGBA8\",\"stride\":16},\"rect\":{\"x\":0,"
		 "\"y\":0,\"w\":1,\"h\":1},\"color\":{\"r\":256,\"g\":2,\"b\":"
		 "3}}",
		 1, "BAD_ARG", "color.r"},
		{"{\"cmd\":\"rect_fill\",\"dst\":{\"surface\":7},\"rect\":{"
		 "\"x\":0,"
		 "\"y\":0,\"w\":1,\"h\":1},\"color\":{\"r\":1,\"g\":2,\"b\":3}"
		 "}",
		 0, "NOT_FOUND", "surface"},
		{"{\"cmd\":\"rect_fill\",\"dst\":{\"surface\":\"x\"}}", 0,
		 "BAD_ARG", "surface"},
		{"{\"cmd\":\"rect_fill\",\"dst\":{\"fd\":2,\"w\":4,\"h\":4,"
		 "\"format\":\"RGBA8\",\"stride\":16},\"rect\":{\"x\":0,"
		 "\"y\":0,\"w\":1,\"h\":1},\"color\":{\"r\":1,\"g\":2,\"b\":3}"
		 "}",
		 3, "DENIED", "read-only"},
		{"{\"cmd\":\"rect_copy\",\"src\":{\"fd\":0,\"w\":4,\"h\":4,"
		 "\"format\":\"RGBA8\",\"stride\":16},\"dst\":{\"fd\":0,\"w\":"
		 "4,"
		 "\"h\":4,\"format\":\"RGBA8\",\"stride\":16},\"src_rect\":{"
		 "\"x\":0,\"y\":0,\"w\":1,\"h\":1}}",
		 1, "BAD_ARG", "dst_xy"},
		{"{\"cmd\":\"convert\",\"src\":{\"fd\":0,\"w\":4,\"h\":4,"
		 "\"format\":\"RGBA8\",\"stride\":16},\"dst\":{\"fd\":0,\"w\":"
		 "3,"
		 "\"h\":4,\"format\":\"BGRA8\",\"stride\":16}}",
		 1, "BAD_ARG", "4x4"},
		{"{\"cmd\":\"batch\"}", 0, "BAD_ARG", "ops"},
		{"{\"cmd\":\"batch\",\"ops\":[]}", 0, "BAD_ARG", "ops"},
		{"{\"cmd\":\"batch\",\"ops\":[5]}", 0, "BAD_ARG", "op 0"},
		{"{\"cmd\":\"batch\",\"ops\":[{\"op\":\"rect_fill\",\"dst\":{"
		 "\"fd\":0,\"w\":4,\"h\":4,\"format\":\"RGBA8\",\"stride\":16},"
		 "\"rect\":{\"x\":0,\"y\":0,\"w\":1,\"h\":1},\"color\":{\"r\":"
		 "1,"
		 "\"g\":2,\"b\":3}},{\"op\":\"blur\"}]}",
		 1, "BAD_ARG", "op 1: "},
		{"{\"cmd\":\"subscribe\",\"events\":[\"complete\"]}", 0,
		 "BAD_ARG", "port"},
		{"{\"cmd\":\"subscribe\",\"events\":[\"vsync\"],\"port\":0}", 1,
		 "BAD_ARG", "events"},
		{"{\"cmd\":\"subscribe\",\"events\":\"complete\",\"port\":0}",
		 1, "BAD_ARG", "events"},
		{"{\"cmd\":\"surface_bind\",\"fd\":0,\"w\":4,\"h\":4,"
		 "\"format\":"
		 "\"RGBA8\",\"stride\":8}",
		 1, "BAD_ARG", "stride"},
		{"{\"cmd\":\"surface_unbind\",\"surface\":3}", 0, "NOT_FOUND",
		 ""},
		{"{\"cmd\":\"surface_unbind\"}", 0, "BAD_ARG", "surface"},
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		call(cases[i].json, NULL, cases[i].nh, 0);
		if (!ERR(cases[i].code) || !strstr(ans.message, cases[i].msg)) {
			fprintf(stderr, "    case %u: %s -> %s %s\n", i,
				cases[i].json, ans.ok ? "ok" : ans.code,
				ans.message);
			CHECK(0);
		}
		CHECK_EQ(fk.mapped, 0); /* nothing kept by a failed request */
	}
	CHECK_EQ(blit_nmems(&svc), 0);
	CHECK_EQ(svc.st.jobs, 0);
	/* Garbage bytes of every kind: an error each, never a crash. */
	char junk[64];
	for (int n = 0; n < 2000; n++) {
		size_t len = (size_t)(n % 63);
		for (size_t i = 0; i < len; i++)
			junk[i] = (char)((n * 131 + (int)i * 17) & 0xff);
		blit_handle(&svc, junk, len, NULL, 0, 0, &ans);
		CHECK(!ans.ok);
	}
}

#define SURF4(fd)                                                              \
	"{\"fd\":" #fd ",\"w\":4,\"h\":3,\"format\":\"RGBA8\",\"stride\":20}"

TEST(blit_proto_rect_fill_on_a_grant_and_events)
{
	setup();
	uint8_t *g = grant(1, 4096, false);
	grant(2, 64, false); /* a stand-in for the subscriber's port */
	call("{\"cmd\":\"subscribe\",\"events\":[\"complete\",\"error\"],"
	     "\"port\":1}",
	     NULL, 2, 0);
	CHECK(ans.ok);
	CHECK_EQ(blit_nsubs(&svc), 1);
	call("{\"cmd\":\"rect_fill\",\"dst\":" SURF4(
		     0) ",\"rect\":{\"x\":2,"
			"\"y\":1,\"w\":9,\"h\":1},\"color\":{\"r\":10,\"g\":20,"
			"\"b\":30,"
			"\"a\":40}}",
	     NULL, 1, 0);
	CHECK(ans.ok);
	STR_EQ(ans.result, "{\"job\":1,\"ops\":1,\"pixels\":2,\"usec\":3}");
	for (int y = 0; y < 3; y++)
		for (int x = 0; x < 5; x++) {
			const uint8_t *p = g + y * 20 + x * 4;
			bool in = y == 1 && x >= 2 && x < 4;
			CHECK(in ? (p[0] == 10 && p[1] == 20 && p[2] == 30 &&
				    p[3] == 40)
				 : !(p[0] | p[1] | p[2] | p[3]));
		}
	CHECK_EQ(fk.mapped, 0); /* a one-shot grant is unmapped after */
	CHECK_EQ(fk.nev, 1);
	STR_EQ(fk.ev[0], "{\"event\":\"complete\",\"job\":1,\"usec\":3}");
	CHECK_EQ(fk.ev_to[0], 2);
	/* A failing job: an error answer and an error event with its id. */
	call("{\"cmd\":\"rect_fill\",\"dst\":" SURF4(0) "}", NULL, 1, 0);
	CHECK(ERR("BAD_ARG"));
	CHECK_EQ(fk.nev, 2);
	CHECK(strstr(fk.ev[1], "{\"event\":\"error\",\"job\":2,\"message\":"
			       "\"BAD_ARG: "));
	/* A full queue loses the event (counted); a gone port is dropped. */
	fk.send_mode = 1;
	call("{\"cmd\":\"rect_fill\",\"dst\":" SURF4(
		     0) ",\"rect\":{\"x\":0,"
			"\"y\":0,\"w\":1,\"h\":1},\"color\":{\"r\":1,\"g\":2,"
			"\"b\":3}}",
	     NULL, 1, 0);
	CHECK(ans.ok && g[3] == 255); /* alpha defaults to opaque */
	CHECK_EQ(svc.st.events_dropped, 1);
	fk.send_mode = -1;
	call("{\"cmd\":\"rect_fill\",\"dst\":" SURF4(
		     0) ",\"rect\":{\"x\":0,"
			"\"y\":0,\"w\":1,\"h\":1},\"color\":{\"r\":1,\"g\":2,"
			"\"b\":3}}",
	     NULL, 1, 0);
	CHECK(ans.ok);
	CHECK_EQ(blit_nsubs(&svc), 0);
	CHECK_EQ(fk.closed, 1);
}

TEST(blit_proto_bound_surfaces_copy_convert_batch)
{
	setup();
	uint8_t *g = grant(1, 4096, false);
	uint8_t *h = grant(2, 4096, false);
	call("{\"cmd\":\"surface_bind\",\"fd\":0,\"w\":4,\"h\":3,\"format\":"
	     "\"RGBA8\",\"stride\":20}",
	     NULL, 1, 0);
	CHECK(ans.ok);
	STR_EQ(ans.result, "{\"surface\":1,\"writable\":true}");
	/* The same grant again (another handle to it): one mapping. */
	uint32_t again[1] = {1};
	call("{\"cmd\":\"surface_bind\",\"fd\":0,\"w\":2,\"h\":2,\"format\":"
	     "\"BGRA8\",\"stride\":8}",
	     again, 1, 0);
	CHECK(ans.ok);
	CHECK_EQ(fk.mapped, 1);
	CHECK_EQ(blit_nsurfaces(&svc), 2);
	for (int i = 0; i < 60; i++)
		g[i] = (uint8_t)i;
	/* Scroll surface 1 right by one pixel within itself. */
	call("{\"cmd\":\"rect_copy\",\"src\":{\"surface\":1},\"dst\":{"
	     "\"surface\":1},\"src_rect\":{\"x\":0,\"y\":0,\"w\":4,\"h\":3},"
	     "\"dst_xy\":{\"x\":1,\"y\":0}}",
	     NULL, 0, 0);
	CHECK(ans.ok);
	CHECK(strstr(ans.result, "\"pixels\":9"));
	CHECK(g[4] == 0 && g[8] == 4 && g[12] == 8 && g[24] == 20);
	CHECK(g[16] == 16); /* padding untouched */
	/* convert into a BGRA8 grant with another stride, then a batch. */
	call("{\"cmd\":\"convert\",\"src\":{\"surface\":1},\"dst\":{\"fd\":0,"
	     "\"w\":4,\"h\":3,\"format\":\"BGRA8\",\"stride\":16}}",
	     (uint32_t[]){2}, 1, 0);
	CHECK(ans.ok);
	CHECK(h[0] == g[2] && h[2] == g[0] && h[16] == g[22] && h[18] == g[20]);
	CHECK_EQ(fk.mapped, 1); /* the one-shot dst went again */
	call("{\"cmd\":\"batch\",\"ops\":[{\"op\":\"rect_fill\",\"dst\":{"
	     "\"surface\":1},\"rect\":{\"x\":0,\"y\":0,\"w\":4,\"h\":3},"
	     "\"color\":{\"r\":9,\"g\":8,\"b\":7}},{\"op\":\"rect_fill\","
	     "\"dst\":{\"surface\":2},\"rect\":{\"x\":1,\"y\":1,\"w\":1,"
	     "\"h\":1},\"color\":{\"r\":1,\"g\":2,\"b\":3}}]}",
	     NULL, 0, 0);
	CHECK(ans.ok);
	CHECK(strstr(ans.result, "\"ops\":2,\"pixels\":13"));
	CHECK(g[0] == 9 && g[2] == 7 && g[12] == 3 && g[14] == 1);
	call("{\"cmd\":\"surface_unbind\",\"surface\":1}", NULL, 0, 0);
	CHECK(ans.ok);
	CHECK_EQ(fk.mapped, 1);
	call("{\"cmd\":\"surface_unbind\",\"surface\":2}", NULL, 0, 0);
	CHECK(ans.ok);
	CHECK_EQ(fk.mapped, 0);
	CHECK_EQ(blit_nmems(&svc), 0);
}

TEST(blit_proto_sessions_own_what_they_create)
{
	setup();
	grant(1, 4096, false);
	grant(2, 64, false);
	call("{\"cmd\":\"connect\"}", NULL, 0, 0);
	CHECK(ans.ok && ans.handle == 101);
	STR_EQ(ans.result, "{\"port\":0,\"session\":1}");
	call("{\"cmd\":\"connect\"}", NULL, 0, 0);
	CHECK(ans.ok && ans.handle == 102);
	CHECK_EQ(blit_nsessions(&svc), 2);
	call("{\"cmd\":\"surface_bind\",\"fd\":0,\"w\":4,\"h\":3,\"format\":"
	     "\"RGBA8\",\"stride\":20}",
	     NULL, 1, 1);
	CHECK(ans.ok);
	call("{\"cmd\":\"subscribe\",\"events\":[\"complete\"],\"port\":0}",
	     (uint32_t[]){2}, 1, 1);
	CHECK(ans.ok);
	/* Session 2 cannot use session 1's surface. */
	call("{\"cmd\":\"rect_fill\",\"dst\":{\"surface\":1},\"rect\":{\"x\":0,"
	     "\"y\":0,\"w\":1,\"h\":1},\"color\":{\"r\":1,\"g\":2,\"b\":3}}",
	     NULL, 0, 2);
	CHECK(ERR("NOT_FOUND"));
	call("{\"cmd\":\"rect_fill\",\"dst\":{\"surface\":1},\"rect\":{\"x\":0,"
	     "\"y\":0,\"w\":1,\"h\":1},\"color\":{\"r\":1,\"g\":2,\"b\":3}}",
	     NULL, 0, 1);
	CHECK(ans.ok);
	CHECK_EQ(fk.nev, 1); /* session 1's subscriber saw its job */
	blit_session_closed(&svc, 1);
	CHECK_EQ(blit_nsessions(&svc), 1);
	CHECK_EQ(blit_nsurfaces(&svc), 0);
	CHECK_EQ(blit_nsubs(&svc), 0);
	CHECK_EQ(fk.mapped, 0);
	CHECK_EQ(fk.closed, 1);
	blit_session_closed(&svc, 2);
	CHECK_EQ(blit_nsessions(&svc), 0);
}

TEST(blit_proto_limits_are_busy)
{
	setup();
	grant(1, 64, false);
	for (int i = 0; i < BLIT_MAX_SUBS; i++) {
		call("{\"cmd\":\"subscribe\",\"events\":[\"error\"],\"port\":"
		     "0}",
		     (uint32_t[]){(uint32_t)(200 + i)}, 1, 0);
		CHECK(ans.ok);
	}
	call("{\"cmd\":\"subscribe\",\"events\":[\"error\"],\"port\":0}",
	     (uint32_t[]){300}, 1, 0);
	CHECK(ERR("BUSY"));
	for (int i = 0; i < BLIT_MAX_SESSIONS; i++) {
		call("{\"cmd\":\"connect\"}", NULL, 0, 0);
		CHECK(ans.ok);
	}
	call("{\"cmd\":\"connect\"}", NULL, 0, 0);
	CHECK(ERR("BUSY"));
	for (int i = 0; i < BLIT_MAX_SURFACES; i++) {
		call("{\"cmd\":\"surface_bind\",\"fd\":0,\"w\":1,\"h\":1,"
		     "\"format\":\"RGBA8\",\"stride\":4}",
		     NULL, 1, 0);
		CHECK(ans.ok);
	}
	call("{\"cmd\":\"surface_bind\",\"fd\":0,\"w\":1,\"h\":1,"
	     "\"format\":\"RGBA8\",\"stride\":4}",
	     NULL, 1, 0);
	CHECK(ERR("BUSY"));
	CHECK_EQ(fk.mapped, 1);
}
