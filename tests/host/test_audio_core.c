/* The /svc/audio core (drivers/audio/audio_core.c) against a fake device
 * and platform: connections, the one stream, format checks, position
 * bookkeeping across ring wraps, period notices, xrun counting, the
 * no-senders notice, malformed requests, JSON ping/status. */
#include <stdlib.h>

#include "audio_core.h"
#include "harness.h"
#include "json.h"

#include <execrt/errors.h>

struct fake {
	/* last answer */
	uint32_t reply, len, nh, h[4], answers;
	_Alignas(8) uint8_t data[2048];
	/* platform */
	uint32_t next_h, closed, rings, ring_frees, notices, notify_h;
	struct audio_period_msg last;
	int notify_err;
	uint8_t *ring_mem;
	/* device */
	uint32_t pos, opens, starts, stops, hw_closes, round_to;
	int irq_ret;
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
	*out = 100 + ++f->next_h;
	return 0;
}

static void f_close(void *ctx, uint32_t h)
{
	struct fake *f = ctx;
	(void)h;
	f->closed++;
}

static int f_ring_alloc(void *ctx, uint32_t bytes, struct audio_hw_ring *r,
			uint32_t *grant)
{
	struct fake *f = ctx;
	f->ring_mem = calloc(1, bytes);
	r->va = f->ring_mem;
	r->phys = 0x100000;
	r->bytes = bytes;
	*grant = 77;
	f->rings++;
	return 0;
}

static void f_ring_free(void *ctx, struct audio_hw_ring *r)
{
	struct fake *f = ctx;
	free(r->va);
	f->ring_mem = NULL;
	f->ring_frees++;
}

static int f_notify(void *ctx, uint32_t h, const void *msg, uint32_t len)
{
	struct fake *f = ctx;
	if (f->notify_err)
		return f->notify_err;
	f->notify_h = h;
	if (len == sizeof(f->last))
		memcpy(&f->last, msg, len);
	f->notices++;
	return 0;
}

static uint64_t f_now(void *ctx)
{
	return ((struct fake *)ctx)->now;
}

static const struct audio_plat_ops plat = {
	.answer = f_answer,
	.mint = f_mint,
	.close = f_close,
	.ring_alloc = f_ring_alloc,
	.ring_free = f_ring_free,
	.notify = f_notify,
	.now = f_now,
};

static void d_info(void *dev, struct audio_info *o)
{
	(void)dev;
	memset(o, 0, sizeof(*o));
	strcpy(o->name, "fake");
	o->rates = AUDIO_RATE_48000 | AUDIO_RATE_44100;
	o->channels_max = 2;
	o->formats = 1u << AUDIO_FMT_S16LE;
	o->period_min = 32;
	o->period_max = 4096;
}

static int d_fit(void *dev, struct audio_fmt *fmt)
{
	struct fake *f = dev;
	if (f->round_to)
		fmt->period_frames = (fmt->period_frames + f->round_to - 1) /
				     f->round_to * f->round_to;
	return 0;
}

static int d_open(void *dev, const struct audio_fmt *fmt,
		  const struct audio_hw_ring *ring)
{
	struct fake *f = dev;
	(void)fmt;
	(void)ring;
	f->opens++;
	return 0;
}

static int d_start(void *dev)
{
	struct fake *f = dev;
	f->starts++;
	f->pos = 0;
	return 0;
}

static void d_stop(void *dev)
{
	((struct fake *)dev)->stops++;
}

static uint32_t d_position(void *dev)
{
	return ((struct fake *)dev)->pos;
}

static int d_irq(void *dev)
{
	return ((struct fake *)dev)->irq_ret;
}

static void d_close(void *dev)
{
	((struct fake *)dev)->hw_closes++;
}

static const struct audio_hw_ops hw_ops = {
	.info = d_info,
	.fit = d_fit,
	.open = d_open,
	.start = d_start,
	.stop = d_stop,
	.position = d_position,
	.irq = d_irq,
	.close = d_close,
};

static struct fake F;
static struct audio_hw HW;
static struct audio_core C;

static void setup(void)
{
	memset(&F, 0, sizeof(F));
	F.irq_ret = 1;
	HW = (struct audio_hw){.ops = &hw_ops, .dev = &F};
	audio_core_init(&C, &plat, &F, &HW, "pci-00:04.0");
}

static struct audio_resp resp(void)
{
	struct audio_resp r;
	memcpy(&r, F.data, sizeof(r));
	return r;
}

/* A request on endpoint badge, with optional attached handle h0. */
static int32_t req(uint64_t badge, uint32_t op, uint32_t a,
		   const struct audio_fmt *fmt, uint32_t h0)
{
	struct audio_req q = {.op = op, .a = a};
	if (fmt)
		q.fmt = *fmt;
	uint32_t h[1] = {h0};
	audio_core_request(&C, badge, 7, &q, sizeof(q), h, h0 ? 1 : 0, 5);
	return resp().err;
}

/* Connects; returns the connection's badge (what the endpoint carries). */
static uint64_t connect(void)
{
	if (req(1, AUDIO_CONNECT, AUDIO_PROTO_VERSION, NULL, 0) != 0)
		return 0;
	uint64_t slot = resp().val;
	return C.conns[slot].badge;
}

static const struct audio_fmt FMT48 = {.rate = 48000,
				       .channels = 2,
				       .format = AUDIO_FMT_S16LE,
				       .period_frames = 128,
				       .periods = 4};

TEST(audio_core_connect_info_and_open)
{
	setup();
	CHECK_EQ(req(1, AUDIO_CONNECT, 99, NULL, 0), ERR_NOT_SUPPORTED);
	uint64_t b = connect();
	CHECK(b >= AUDIO_BADGE_CONN);
	CHECK_EQ(F.nh, 1);
	/* the public endpoint serves nothing else */
	CHECK_EQ(req(1, AUDIO_INFO, 0, NULL, 0), ERR_ACCESS_DENIED);
	CHECK_EQ(req(b, AUDIO_INFO, 0, NULL, 0), 0);
	struct audio_info in;
	CHECK_EQ(resp().len, sizeof(in));
	memcpy(&in, F.data + sizeof(struct audio_resp), sizeof(in));
	STR_EQ(in.name, "fake");
	CHECK_EQ(in.rates, AUDIO_RATE_48000 | AUDIO_RATE_44100);
	/* nothing open yet */
	CHECK_EQ(req(b, AUDIO_START, 0, NULL, 0), ERR_BAD_STATE);
	F.round_to = 96; /* the device rounds 128 up to 192 */
	CHECK_EQ(req(b, AUDIO_OPEN, 0, &FMT48, 42), 0);
	struct audio_ring ring;
	CHECK_EQ(resp().len, sizeof(ring));
	memcpy(&ring, F.data + sizeof(struct audio_resp), sizeof(ring));
	CHECK_EQ(ring.fmt.period_frames, 192);
	CHECK_EQ(ring.frame_bytes, 4);
	CHECK_EQ(ring.ring_bytes, 4 * 192 * 4);
	CHECK_EQ(F.nh, 1);
	CHECK_EQ(F.h[0], 77);
	CHECK_EQ(F.opens, 1);
	CHECK_EQ(C.s.notify, 42);
	/* one stream per device, from any connection */
	CHECK_EQ(req(b, AUDIO_OPEN, 0, &FMT48, 0), ERR_ALREADY_EXISTS);
	uint64_t b2 = connect();
	CHECK_EQ(req(b2, AUDIO_OPEN, 0, &FMT48, 0), ERR_ALREADY_EXISTS);
	/* and only its owner drives it */
	CHECK_EQ(req(b2, AUDIO_START, 0, NULL, 0), ERR_BAD_STATE);
	CHECK_EQ(req(b, AUDIO_CLOSE, 0, NULL, 0), 0);
	CHECK_EQ(F.ring_frees, 1);
	CHECK_EQ(F.hw_closes, 1);
	CHECK_EQ(F.closed, 1); /* the notice endpoint */
	CHECK_EQ(req(b2, AUDIO_OPEN, 0, &FMT48, 0), 0);
	free(F.ring_mem);
}

TEST(audio_core_refuses_bad_formats)
{
	setup();
	uint64_t b = connect();
	struct audio_fmt f = FMT48;
	f.rate = 12345;
	CHECK_EQ(req(b, AUDIO_OPEN, 0, &f, 0), ERR_NOT_SUPPORTED);
	f = FMT48;
	f.rate = 96000; /* a known rate the device does not list */
	CHECK_EQ(req(b, AUDIO_OPEN, 0, &f, 0), ERR_NOT_SUPPORTED);
	f = FMT48;
	f.channels = 3;
	CHECK_EQ(req(b, AUDIO_OPEN, 0, &f, 0), ERR_NOT_SUPPORTED);
	f.channels = 0;
	CHECK_EQ(req(b, AUDIO_OPEN, 0, &f, 0), ERR_NOT_SUPPORTED);
	f = FMT48;
	f.format = 2;
	CHECK_EQ(req(b, AUDIO_OPEN, 0, &f, 0), ERR_NOT_SUPPORTED);
	f.format = 0xffff;
	CHECK_EQ(req(b, AUDIO_OPEN, 0, &f, 0), ERR_NOT_SUPPORTED);
	f = FMT48;
	f.periods = 1;
	CHECK_EQ(req(b, AUDIO_OPEN, 0, &f, 0), ERR_INVALID_ARGS);
	f.periods = 33;
	CHECK_EQ(req(b, AUDIO_OPEN, 0, &f, 0), ERR_INVALID_ARGS);
	f = FMT48;
	f.period_frames = 16;
	CHECK_EQ(req(b, AUDIO_OPEN, 0, &f, 0), ERR_INVALID_ARGS);
	f.period_frames = 0xffffffffu;
	CHECK_EQ(req(b, AUDIO_OPEN, 0, &f, 0), ERR_INVALID_ARGS);
	f = FMT48;
	f.period_frames = 4096;
	f.periods = 32; /* 512 KiB: fits */
	CHECK_EQ(req(b, AUDIO_OPEN, 0, &f, 0), 0);
	CHECK_EQ(req(b, AUDIO_CLOSE, 0, NULL, 0), 0);
	CHECK_EQ(F.rings, 1);
	CHECK_EQ(F.opens, 1);
	CHECK_EQ(C.st.errors, 10);
}

TEST(audio_core_position_wraps_and_period_notices)
{
	setup();
	uint64_t b = connect();
	CHECK_EQ(req(b, AUDIO_OPEN, 0, &FMT48, 42), 0);
	const uint32_t pb = 128 * 4, ring = 4 * pb;
	CHECK_EQ(req(b, AUDIO_START, 0, NULL, 0), 0);
	CHECK_EQ(req(b, AUDIO_START, 0, NULL, 0), ERR_BAD_STATE);
	/* a quarter period: no period done, no notice */
	F.pos = pb / 4;
	audio_core_irq(&C);
	CHECK_EQ(F.notices, 0);
	/* one and a half periods */
	F.pos = pb + pb / 2;
	F.now = 1000;
	audio_core_irq(&C);
	CHECK_EQ(F.notices, 1);
	CHECK_EQ(F.notify_h, 42);
	CHECK_EQ(F.last.magic, AUDIO_PERIOD_MAGIC);
	CHECK_EQ(F.last.period, 1);
	CHECK_EQ(F.last.frames, 128 + 64);
	CHECK_EQ(F.last.time_ns, 1000);
	/* around the ring: offsets go down, frames keep counting */
	for (uint32_t lap = 0; lap < 3; lap++) {
		for (uint32_t p = 0; p < 4; p++) {
			F.pos = (p * pb + pb / 2 + 2 * pb) % ring;
			audio_core_irq(&C);
		}
	}
	/* 12 more periods played */
	CHECK_EQ(F.last.period, 13);
	CHECK_EQ(F.last.frames, 13 * 128 + 64);
	CHECK_EQ(req(b, AUDIO_POSITION, 0, NULL, 0), 0);
	struct audio_pos p;
	memcpy(&p, F.data + sizeof(struct audio_resp), sizeof(p));
	CHECK_EQ(p.frames, 13 * 128 + 64);
	CHECK_EQ(p.periods, 13);
	/* a full queue loses the notice, counted */
	F.notify_err = ERR_SHOULD_WAIT;
	F.pos = (F.pos + pb) % ring;
	audio_core_irq(&C);
	CHECK_EQ(C.st.notices_lost, 1);
	F.notify_err = 0;
	/* an irq that is not ours changes nothing on the stream */
	F.irq_ret = 0;
	audio_core_irq(&C);
	CHECK_EQ(C.st.period_irqs, 15);
	F.irq_ret = ERR_FAULT;
	audio_core_irq(&C);
	CHECK_EQ(C.st.dev_errors, 1);
	F.irq_ret = AUDIO_HW_IRQ_UNDERRUN;
	audio_core_irq(&C);
	CHECK_EQ(C.st.hw_underruns, 1);
	CHECK_EQ(C.st.period_irqs, 16);
	F.irq_ret = 1;
	/* stop, then start again from offset 0 */
	CHECK_EQ(req(b, AUDIO_STOP, 0, NULL, 0), 0);
	CHECK_EQ(resp().val, 14 * 128 + 64);
	CHECK_EQ(req(b, AUDIO_STOP, 0, NULL, 0), ERR_BAD_STATE);
	CHECK_EQ(req(b, AUDIO_START, 0, NULL, 0), 0);
	CHECK_EQ(F.starts, 2);
	CHECK_EQ(req(b, AUDIO_POSITION, 0, NULL, 0), 0);
	memcpy(&p, F.data + sizeof(struct audio_resp), sizeof(p));
	CHECK_EQ(p.frames, 0);
	CHECK_EQ(req(b, AUDIO_CLOSE, 0, NULL, 0), 0);
}

TEST(audio_core_counts_xruns_of_stale_periods)
{
	setup();
	uint64_t b = connect();
	CHECK_EQ(req(b, AUDIO_OPEN, 0, &FMT48, 0), 0);
	const uint32_t pb = 128 * 4, ring = 4 * pb;
	uint8_t *mem = F.ring_mem;
	memset(mem, 0x11, ring); /* first lap: all slots filled */
	CHECK_EQ(req(b, AUDIO_START, 0, NULL, 0), 0);
	uint32_t off = 0;
	for (uint32_t p = 0; p < 4; p++) {
		off = (off + pb) % ring;
		F.pos = off;
		audio_core_irq(&C);
	}
	CHECK_EQ(C.s.xruns, 0);
	/* second lap: the client refills slots 0 and 1, not 2, and writes
	 * silence into 3 (a late client's right answer: no xrun) */
	memset(mem, 0x22, pb);
	memset(mem + pb, 0x33, pb);
	memset(mem + 3 * pb, 0, pb);
	for (uint32_t p = 0; p < 4; p++) {
		off = (off + pb) % ring;
		F.pos = off;
		audio_core_irq(&C);
	}
	CHECK_EQ(C.s.xruns, 1);
	/* a late interrupt: two periods at once, both stale */
	off = (off + 2 * pb) % ring;
	F.pos = off;
	audio_core_irq(&C);
	CHECK_EQ(C.s.xruns, 3);
	CHECK_EQ(req(b, AUDIO_POSITION, 0, NULL, 0), 0);
	struct audio_pos p;
	memcpy(&p, F.data + sizeof(struct audio_resp), sizeof(p));
	CHECK_EQ(p.xruns, 3);
	CHECK_EQ(p.periods, 10);
	CHECK_EQ(req(b, AUDIO_CLOSE, 0, NULL, 0), 0);
}

TEST(audio_core_connection_end_closes_its_stream)
{
	setup();
	uint64_t b = connect(), b2 = connect();
	CHECK_EQ(req(b, AUDIO_OPEN, 0, &FMT48, 42), 0);
	CHECK_EQ(req(b, AUDIO_START, 0, NULL, 0), 0);
	/* another connection's end: the stream stays */
	audio_core_notice(&C, b2);
	CHECK(C.s.open);
	/* a stale or unknown badge: nothing */
	audio_core_notice(&C, b2);
	audio_core_notice(&C, 3);
	audio_core_notice(&C, b);
	CHECK(!C.s.open);
	CHECK_EQ(F.hw_closes, 1);
	CHECK_EQ(F.ring_frees, 1);
	CHECK_EQ(F.closed, 1);
	/* the dead connection's badge serves nothing */
	CHECK_EQ(req(b, AUDIO_INFO, 0, NULL, 0), ERR_ACCESS_DENIED);
	/* its slot is reused with another badge */
	uint64_t b3 = connect();
	CHECK(b3 != b);
	CHECK_EQ(req(b3, AUDIO_OPEN, 0, &FMT48, 0), 0);
	CHECK_EQ(req(b3, AUDIO_CLOSE, 0, NULL, 0), 0);
}

TEST(audio_core_refuses_malformed_requests_and_limits_per_task)
{
	setup();
	uint64_t b = connect();
	struct audio_req q = {.op = AUDIO_INFO};
	audio_core_request(&C, b, 7, &q, sizeof(q) - 1, NULL, 0, 5);
	CHECK_EQ(resp().err, ERR_INVALID_ARGS);
	audio_core_request(&C, b, 7, &q, 0, NULL, 0, 5);
	CHECK_EQ(resp().err, ERR_INVALID_ARGS);
	CHECK_EQ(req(b, 0, 0, NULL, 0), ERR_INVALID_ARGS);
	CHECK_EQ(req(b, 99, 0, NULL, 0), ERR_INVALID_ARGS);
	CHECK_EQ(req(b, AUDIO_CONNECT, AUDIO_PROTO_VERSION, NULL, 0),
		 ERR_INVALID_ARGS);
	/* a forged connection badge */
	CHECK_EQ(req(b + (1u << 8), AUDIO_INFO, 0, NULL, 0), ERR_ACCESS_DENIED);
	/* task 7 has 1; 3 more, then refused */
	for (int i = 0; i < 3; i++)
		CHECK(connect() != 0);
	CHECK_EQ(req(1, AUDIO_CONNECT, AUDIO_PROTO_VERSION, NULL, 0),
		 ERR_NO_RESOURCES);
}

TEST(audio_core_json_ping_and_status)
{
	setup();
	static struct json_doc d;
	const char *ping = "{\"cmd\":\"ping\"}";
	audio_core_request(&C, 1, 0, ping, (uint32_t)strlen(ping), NULL, 0, 5);
	CHECK(json_parse(&d, (const char *)F.data, F.len) >= 0);
	char s[32];
	CHECK(json_get_str(&d, "result.driver", s, sizeof(s)) >= 0);
	STR_EQ(s, "fake");
	uint64_t b = connect();
	CHECK_EQ(req(b, AUDIO_OPEN, 0, &FMT48, 42), 0);
	CHECK_EQ(req(b, AUDIO_START, 0, NULL, 0), 0);
	F.pos = 3 * 512;
	audio_core_irq(&C);
	const char *st = "{\"cmd\":\"status\"}";
	audio_core_request(&C, 1, 0, st, (uint32_t)strlen(st), NULL, 0, 5);
	CHECK(json_parse(&d, (const char *)F.data, F.len) >= 0);
	CHECK(json_get_str(&d, "result.stream", s, sizeof(s)) >= 0);
	STR_EQ(s, "running");
	CHECK(json_get_str(&d, "result.device", s, sizeof(s)) >= 0);
	STR_EQ(s, "pci-00:04.0");
	uint64_t v;
	CHECK(json_get_uint(&d, "result.period", &v) == 0);
	CHECK_EQ(v, 3);
	CHECK(json_get_uint(&d, "result.frames", &v) == 0);
	CHECK_EQ(v, 384);
	CHECK(json_get_uint(&d, "result.notices", &v) == 0);
	CHECK_EQ(v, 1);
	const char *bad = "{\"cmd\":\"nope\"}";
	audio_core_request(&C, 1, 0, bad, (uint32_t)strlen(bad), NULL, 0, 5);
	CHECK(json_parse(&d, (const char *)F.data, F.len) >= 0);
	bool ok = true;
	CHECK(json_get_bool(&d, "ok", &ok) == 0);
	CHECK(!ok);
	CHECK_EQ(req(b, AUDIO_CLOSE, 0, NULL, 0), 0);
}
