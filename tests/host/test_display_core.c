/* The /svc/display protocol core (drivers/display/disp_core.c) against a
 * fake backend: connections, ownership, presents and the damage a device
 * with its own buffer copies is given, frame waiters, bad requests. */
#include <stdlib.h>

#include "harness.h"
#include "disp_core.h"
#include "json.h"

#include <execrt/errors.h>

struct fake {
	/* last answer */
	uint32_t reply, len, nh, h[8], answers;
	_Alignas(8) uint8_t data[4096];
	/* backend */
	uint32_t next_h, freed, mode_sets, new_calls;
	struct disp_mode mode;
	uint32_t pres_buf, pres_n;
	struct disp_rect pres[DAMAGE_MAX];
	int fail_present;
	uint64_t now;
};

static void f_answer(void *ctx, uint32_t reply, const void *d, uint32_t len,
		     const uint32_t *h, uint32_t nh)
{
	struct fake *f = ctx;
	f->reply = reply;
	f->len = len;
	f->nh = nh;
	memcpy(f->data, d, len);
	if (nh)
		memcpy(f->h, h, nh * sizeof(*h));
	f->answers++;
}

static int f_mint(void *ctx, uint64_t badge, uint32_t *out)
{
	struct fake *f = ctx;
	(void)badge;
	*out = ++f->next_h;
	return 0;
}

static void f_close(void *ctx, uint32_t h)
{
	(void)ctx;
	(void)h;
}

static int f_set_mode(void *ctx, uint32_t o, const struct disp_mode *m)
{
	struct fake *f = ctx;
	(void)o;
	f->mode = *m;
	f->mode_sets++;
	return 0;
}

static int f_buffers_new(void *ctx, uint32_t o, const struct disp_buffers *b,
			 uint32_t *grants)
{
	struct fake *f = ctx;
	(void)o;
	for (uint32_t i = 0; i < b->count * b->nchunks; i++)
		grants[i] = ++f->next_h;
	f->new_calls++;
	return 0;
}

static void f_buffers_free(void *ctx, uint32_t o)
{
	struct fake *f = ctx;
	(void)o;
	f->freed++;
}

static int f_present(void *ctx, uint32_t o, uint32_t buf,
		     const struct disp_rect *r, uint32_t n)
{
	struct fake *f = ctx;
	(void)o;
	if (f->fail_present)
		return ERR_TIMED_OUT;
	f->pres_buf = buf;
	f->pres_n = n;
	if (n)
		memcpy(f->pres, r, n * sizeof(*r));
	return 0;
}

static uint64_t f_now(void *ctx)
{
	return ((struct fake *)ctx)->now;
}

static const struct disp_ops ops = {f_answer,	f_mint,	       f_close,
				    f_set_mode, f_buffers_new, f_buffers_free,
				    f_present,	f_now};

static struct disp_core core;
static uint64_t req_sender; /* port_rx.sender of the next requests */
static struct fake fk;

static const struct disp_mode modes[] = {
	{1280, 800, 60000, DISP_MODE_PREFERRED},
	{1920, 1080, 75000, 0},
	{640, 480, 60000, 0},
};

static void setup(bool copies)
{
	req_sender = 0;
	memset(&fk, 0, sizeof(fk));
	disp_core_init(&core, &ops, &fk, "fake", "pci-00:02.0");
	core.per_buffer_copies = copies;
	core.chunk_max = 4u << 20;
	disp_core_add_output(&core, "virtio-0", modes, 3, 0, 286, 179, 0);
}

static const struct disp_resp *resp(void)
{
	return (const struct disp_resp *)(const void *)fk.data;
}

static const void *payload(void)
{
	return fk.data + sizeof(struct disp_resp);
}

static void req(uint64_t badge, uint32_t op, uint32_t output, uint32_t a,
		uint32_t flags, uint64_t arg, const struct disp_rect *r,
		uint32_t n)
{
	_Alignas(8) uint8_t m[4096];
	struct disp_req q = {op, output, a, flags, n, 0, arg};
	memcpy(m, &q, sizeof(q));
	if (n)
		memcpy(m + sizeof(q), r, n * sizeof(*r));
	fk.reply = 0;
	disp_core_request_from(&core, badge, req_sender, m,
			       (uint32_t)(sizeof(q) + n * sizeof(*r)), 0, 77);
}

/* A connection's badge (the core's numbering). */
static uint64_t connect(void)
{
	req(0, DISP_CONNECT, 0, DISP_PROTO_VERSION, 0, 0, NULL, 0);
	if (resp()->err || fk.nh != 1)
		return 0;
	return DISP_BADGE_CONN + resp()->val + ((uint64_t)core.gen << 8);
}

TEST(display_core_connect_outputs_and_modes)
{
	setup(false);
	uint64_t c = connect();
	CHECK(c);
	req(c, DISP_OUTPUTS, 0, 0, 0, 0, NULL, 0);
	CHECK_EQ(resp()->err, 0);
	CHECK_EQ(resp()->val, 1);
	const struct disp_output *o = payload();
	STR_EQ(o->name, "virtio-0");
	CHECK_EQ(o->nmodes, 3);
	CHECK_EQ(o->width_mm, 286);
	CHECK(o->flags & DISP_OUT_CONNECTED);
	req(c, DISP_MODES, 0, 0, 0, 0, NULL, 0);
	CHECK_EQ(resp()->val, 3);
	const struct disp_mode *m = payload();
	CHECK(m[0].width == 1280 && (m[0].flags & DISP_MODE_CURRENT));
	CHECK(!(m[1].flags & DISP_MODE_CURRENT));
	req(c, DISP_SET_MODE, 0, 2, 0, 0, NULL, 0);
	CHECK_EQ(resp()->err, 0);
	CHECK_EQ(fk.mode.width, 640);
	CHECK_EQ(resp()->val, 16666666); /* the new period */
	req(c, DISP_SET_MODE, 0, 3, 0, 0, NULL, 0);
	CHECK_EQ(resp()->err, ERR_INVALID_ARGS);
	req(c, DISP_MODES, 1, 0, 0, 0, NULL, 0); /* no output 1 */
	CHECK_EQ(resp()->err, ERR_INVALID_ARGS);
	req(0, DISP_NOP, 0, 0, 0, 0, NULL, 0);
	CHECK_EQ(resp()->val, DISP_PROTO_VERSION);
}

TEST(display_core_buffers_are_owned_by_one_connection)
{
	setup(false);
	uint64_t a = connect(), b = connect();
	CHECK(a && b && a != b);
	req(a, DISP_BUFFERS, 0, 2, 0, 0, NULL, 0);
	CHECK_EQ(resp()->err, 0);
	const struct disp_buffers *g = payload();
	CHECK(g->width == 1280 && g->height == 800 && g->stride == 5120);
	CHECK_EQ(g->format, DISP_FMT_XRGB8888);
	CHECK_EQ(g->nchunks, 1); /* 4,096,000 bytes: one 4 MiB chunk */
	CHECK_EQ(fk.nh, 2);
	req(b, DISP_BUFFERS, 0, 1, 0, 0, NULL, 0);
	CHECK_EQ(resp()->err, ERR_ACCESS_DENIED);
	req(b, DISP_SET_MODE, 0, 1, 0, 0, NULL, 0);
	CHECK_EQ(resp()->err, ERR_ACCESS_DENIED);
	req(b, DISP_PRESENT, 0, 0, 0, 0, NULL, 0);
	CHECK_EQ(resp()->err, ERR_ACCESS_DENIED);
	/* The owner's connection ends: buffers freed, b may take over. */
	disp_core_notice(&core, a);
	CHECK_EQ(fk.freed, 1);
	req(a, DISP_OUTPUTS, 0, 0, 0, 0, NULL, 0);
	CHECK_EQ(resp()->err, ERR_BAD_STATE); /* a stale badge */
	req(b, DISP_PRESENT, 0, 0, 0, 0, NULL, 0);
	CHECK_EQ(resp()->err, ERR_BAD_STATE);	    /* no buffers yet */
	req(b, DISP_SET_MODE, 0, 1, 0, 0, NULL, 0); /* 1920x1080 */
	CHECK_EQ(resp()->err, 0);
	req(b, DISP_BUFFERS, 0, 2, 0, 0, NULL, 0);
	CHECK_EQ(resp()->err, 0);
	g = payload();
	CHECK_EQ(g->nchunks, 2); /* 8,294,400 bytes in 4 MiB chunks */
	CHECK_EQ(g->chunk_size, 4u << 20);
	CHECK_EQ(fk.nh, 4);
	/* a takes the output over: b's buffers go, its present is refused. */
	a = connect();
	req(a, DISP_BUFFERS, 0, 1, 0x2, 0, NULL, 0);
	CHECK_EQ(resp()->err, ERR_INVALID_ARGS);
	req(a, DISP_BUFFERS, 0, 1, DISP_BUF_TAKE, 0, NULL, 0);
	CHECK_EQ(resp()->err, 0);
	CHECK_EQ(fk.freed, 2);
	CHECK_EQ(core.st.takeovers, 1);
	req(b, DISP_PRESENT, 0, 0, 0, 0, NULL, 0);
	CHECK_EQ(resp()->err, ERR_ACCESS_DENIED);
	req(a, DISP_RELEASE, 0, 0, 0, 0, NULL, 0);
	CHECK_EQ(resp()->err, 0);
	CHECK_EQ(fk.freed, 3);
	req(b, DISP_BUFFERS, 0, 1, 0, 0, NULL, 0); /* b may have it back */
	CHECK_EQ(resp()->err, 0);
	req(b, DISP_RELEASE, 0, 0, 0, 0, NULL, 0);
	CHECK_EQ(resp()->err, 0);
	CHECK_EQ(fk.freed, 4);
	req(b, DISP_BUFFERS, 0, 3, 0, 0, NULL, 0);
	CHECK_EQ(resp()->err, ERR_INVALID_ARGS);
}

TEST(display_core_present_clips_merges_and_reports_the_frame)
{
	setup(false);
	uint64_t c = connect();
	req(c, DISP_BUFFERS, 0, 1, 0, 0, NULL, 0);
	disp_core_tick(&core, 41, 1000000);
	fk.now = 1500000;
	struct disp_rect r[3] = {
		{-10, -10, 20, 20}, {5, 0, 5, 10}, {1270, 790, 100, 100}};
	req(c, DISP_PRESENT, 0, 0, 0, 0, r, 3);
	CHECK_EQ(resp()->err, 0);
	const struct disp_frame *f = payload();
	CHECK_EQ(f->frame, 42);
	CHECK_EQ(f->frame_ns, 1000000 + 16666666);
	CHECK_EQ(f->done_ns, 1500000);
	CHECK_EQ(f->rects, 2);
	CHECK_EQ(f->pixels, 100 + 100);
	CHECK_EQ(fk.pres_n, 2);
	req(c, DISP_PRESENT, 0, 0, 0, 0, NULL, 0); /* no rectangle: all */
	CHECK_EQ(((const struct disp_frame *)payload())->pixels, 1280 * 800);
	req(c, DISP_PRESENT, 0, 1, 0, 0, NULL, 0); /* one buffer only */
	CHECK_EQ(resp()->err, ERR_INVALID_ARGS);
	req(c, DISP_PRESENT, 0, 0, 0x80, 0, NULL, 0);
	CHECK_EQ(resp()->err, ERR_INVALID_ARGS);
	fk.fail_present = 1;
	req(c, DISP_PRESENT, 0, 0, 0, 0, NULL, 0);
	CHECK_EQ(resp()->err, ERR_TIMED_OUT);
}

static uint64_t area_of_last(void)
{
	uint64_t a = 0;
	for (uint32_t i = 0; i < fk.pres_n; i++)
		a += (uint64_t)fk.pres[i].w * fk.pres[i].h;
	return a;
}

TEST(display_core_double_buffering_moves_what_each_copy_lacks)
{
	setup(true);
	uint64_t c = connect();
	req(c, DISP_BUFFERS, 0, 2, 0, 0, NULL, 0);
	struct disp_rect a = {0, 0, 10, 10}, b = {100, 100, 10, 10},
			 d = {500, 500, 10, 10};
	/* Fresh buffers: the device has nothing of either. */
	req(c, DISP_PRESENT, 0, 0, 0, 0, &a, 1);
	CHECK_EQ(area_of_last(), 1280 * 800);
	req(c, DISP_PRESENT, 0, 1, 0, 0, &b, 1);
	CHECK_EQ(area_of_last(), 1280 * 800);
	CHECK_EQ(fk.pres_buf, 1);
	/* Buffer 0 lacks b (presented on 1), buffer 1 lacks nothing. */
	req(c, DISP_PRESENT, 0, 0, 0, 0, &d, 1);
	CHECK_EQ(fk.pres_buf, 0);
	CHECK_EQ(area_of_last(), 200);
	/* Buffer 1 lacks d; with a it moves a and d. */
	req(c, DISP_PRESENT, 0, 1, 0, 0, &a, 1);
	CHECK_EQ(area_of_last(), 200);
	struct damage got = {.n = fk.pres_n};
	memcpy(got.r, fk.pres, fk.pres_n * sizeof(fk.pres[0]));
	CHECK(damage_covers(&got, 505, 505) && damage_covers(&got, 5, 5));
	/* Without copies (fbdisplay) only the damage moves. */
	setup(false);
	c = connect();
	req(c, DISP_BUFFERS, 0, 2, 0, 0, NULL, 0);
	req(c, DISP_PRESENT, 0, 1, 0, 0, &b, 1);
	CHECK_EQ(area_of_last(), 100);
}

TEST(display_core_frame_waiters)
{
	setup(false);
	uint64_t c = connect();
	req(c, DISP_BUFFERS, 0, 1, 0, 0, NULL, 0);
	disp_core_tick(&core, 10, 100);
	uint32_t before = fk.answers;
	req(c, DISP_WAIT_FRAME, 0, 0, 0, 0, NULL, 0); /* next tick */
	req(c, DISP_PRESENT, 0, 0, DISP_PRESENT_VSYNC, 0, NULL, 0);
	req(c, DISP_WAIT_FRAME, 0, 0, 0, 13, NULL, 0);
	CHECK_EQ(fk.answers, before); /* all three parked */
	disp_core_tick(&core, 11, 200);
	CHECK_EQ(fk.answers, before + 2);
	const struct disp_frame *f = payload();
	CHECK_EQ(f->frame, 11);
	CHECK_EQ(f->frame_ns, 200);
	disp_core_tick(&core, 12, 300);
	CHECK_EQ(fk.answers, before + 2);
	disp_core_tick(&core, 14, 500); /* passed 13: answered */
	CHECK_EQ(fk.answers, before + 3);
	CHECK_EQ(((const struct disp_frame *)payload())->frame, 14);
	req(c, DISP_WAIT_FRAME, 0, 0, 0, 5, NULL, 0); /* past: at once */
	CHECK_EQ(fk.answers, before + 4);
	CHECK_EQ(((const struct disp_frame *)payload())->frame, 14);
	for (uint32_t i = 0; i < DISP_WAITERS_MAX; i++)
		req(c, DISP_WAIT_FRAME, 0, 0, 0, 0, NULL, 0);
	CHECK_EQ(fk.answers, before + 4);
	req(c, DISP_WAIT_FRAME, 0, 0, 0, 0, NULL, 0);
	CHECK_EQ(resp()->err, ERR_NO_RESOURCES);
	disp_core_tick(&core, 15, 600);
	CHECK_EQ(fk.answers, before + 5 + DISP_WAITERS_MAX);
}

/* Review M7: one task cannot take every connection or frame waiter. */
TEST(display_core_limits_per_client_task)
{
	setup(false);
	uint64_t mine[DISP_CONNS_PER_TASK];
	req_sender = 0x1001;
	for (uint32_t i = 0; i < DISP_CONNS_PER_TASK; i++)
		CHECK((mine[i] = connect()) != 0);
	req(0, DISP_CONNECT, 0, DISP_PROTO_VERSION, 0, 0, NULL, 0);
	CHECK_EQ(resp()->err, ERR_NO_RESOURCES);
	uint32_t before = fk.answers;
	for (uint32_t i = 0; i < DISP_WAITERS_PER_TASK; i++)
		req(mine[i % DISP_CONNS_PER_TASK], DISP_WAIT_FRAME, 0, 0, 0, 0,
		    NULL, 0);
	CHECK_EQ(fk.answers, before); /* parked */
	req(mine[0], DISP_WAIT_FRAME, 0, 0, 0, 0, NULL, 0);
	CHECK_EQ(resp()->err, ERR_NO_RESOURCES);
	/* Another task still gets a connection and a waiter. */
	req_sender = 0x2002;
	uint64_t other = connect();
	CHECK(other != 0);
	before = fk.answers;
	req(other, DISP_WAIT_FRAME, 0, 0, 0, 0, NULL, 0);
	CHECK_EQ(fk.answers, before);
	/* A closed connection gives its task room again. */
	req_sender = 0x1001;
	disp_core_notice(&core, mine[1]);
	CHECK(connect() != 0);
	before = fk.answers;
	disp_core_tick(&core, 1, 100);
	CHECK_EQ(fk.answers, before + 1 + DISP_WAITERS_PER_TASK);
	req_sender = 0;
}

TEST(display_core_refuses_malformed_requests)
{
	setup(false);
	uint64_t c = connect();
	uint8_t m[64] = {0};
	disp_core_request(&core, c, m, 8, 0, 5);
	CHECK_EQ(resp()->err, ERR_INVALID_ARGS);
	struct disp_req q = {DISP_OUTPUTS, 0, 0, 0, 0, 1, 0};
	disp_core_request(&core, c, &q, sizeof(q), 0, 5); /* reserved */
	CHECK_EQ(resp()->err, ERR_INVALID_ARGS);
	q = (struct disp_req){DISP_PRESENT, 0, 0, 0, 2, 0, 0};
	disp_core_request(&core, c, &q, sizeof(q), 0, 5); /* rects missing */
	CHECK_EQ(resp()->err, ERR_INVALID_ARGS);
	q.nrects = DISP_RECTS_MAX + 1;
	disp_core_request(&core, c, &q, sizeof(q), 0, 5);
	CHECK_EQ(resp()->err, ERR_INVALID_ARGS);
	q = (struct disp_req){DISP_OUTPUTS, 0, 0, 0, 0, 0, 0};
	disp_core_request(&core, c, &q, sizeof(q), 1, 5); /* a handle */
	CHECK_EQ(resp()->err, ERR_INVALID_ARGS);
	disp_core_request(&core, 0, &q, sizeof(q), 0, 5); /* public */
	CHECK_EQ(resp()->err, ERR_INVALID_ARGS);
	q.op = 99;
	disp_core_request(&core, c, &q, sizeof(q), 0, 5);
	CHECK_EQ(resp()->err, ERR_INVALID_ARGS);
	req(0, DISP_CONNECT, 0, 7, 0, 0, NULL, 0);
	CHECK_EQ(resp()->err, ERR_NOT_SUPPORTED);
	disp_core_request(&core, c, "{\"cmd\":\"ping\"}", 14, 0, 5);
	CHECK_EQ(resp()->err, ERR_INVALID_ARGS); /* JSON: public only */
	for (uint32_t i = 1; i < DISP_CONNS_MAX; i++)
		CHECK(connect());
	req(0, DISP_CONNECT, 0, DISP_PROTO_VERSION, 0, 0, NULL, 0);
	CHECK_EQ(resp()->err, ERR_NO_RESOURCES);
	srand(3);
	for (int i = 0; i < 20000; i++) { /* random bytes: answers only */
		uint8_t junk[600];
		for (size_t k = 0; k < sizeof(junk); k++)
			junk[k] = (uint8_t)rand();
		uint32_t len = (uint32_t)(rand() % (int)sizeof(junk));
		uint32_t before = fk.answers;
		disp_core_request(&core, rand() % 2 ? c : 0, junk, len, 0, 9);
		CHECK_EQ(fk.answers, before + 1);
	}
}

TEST(display_core_json_ping_and_status)
{
	setup(false);
	static struct json_doc d;
	char s[64];
	disp_core_request(&core, 0, "{\"cmd\":\"ping\"}", 14, 0, 5);
	CHECK_EQ(json_parse(&d, (const char *)fk.data, fk.len), 0);
	CHECK_EQ(json_get_str(&d, "result.protocol", s, sizeof(s)), 8);
	STR_EQ(s, "ports/v0");
	json_get_str(&d, "result.driver", s, sizeof(s));
	STR_EQ(s, "fake");
	uint64_t c = connect();
	req(c, DISP_BUFFERS, 0, 1, 0, 0, NULL, 0);
	req(c, DISP_PRESENT, 0, 0, 0, 0, NULL, 0);
	disp_core_request(&core, 0, "{\"cmd\":\"status\"}", 16, 0, 5);
	CHECK_EQ(json_parse(&d, (const char *)fk.data, fk.len), 0);
	uint64_t v;
	CHECK_EQ(json_get_uint(&d, "result.presents", &v), 0);
	CHECK_EQ(v, 1);
	CHECK_EQ(json_get_uint(&d, "result.outputs.0.width", &v), 0);
	CHECK_EQ(v, 1280);
	bool owned;
	CHECK_EQ(json_get_bool(&d, "result.outputs.0.owned", &owned), 0);
	CHECK(owned);
	disp_core_request(&core, 0, "{\"cmd\":\"nope\"}", 14, 0, 5);
	CHECK_EQ(json_parse(&d, (const char *)fk.data, fk.len), 0);
	json_get_str(&d, "error.code", s, sizeof(s));
	STR_EQ(s, "BAD_CMD");
	disp_core_request(&core, 0, "{nope", 5, 0, 5);
	CHECK_EQ(json_parse(&d, (const char *)fk.data, fk.len), 0);
	json_get_str(&d, "error.code", s, sizeof(s));
	STR_EQ(s, "BAD_JSON");
}
