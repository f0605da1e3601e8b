/* The /svc/audio protocol (audio_core.h). Single-threaded: the platform
 * calls in from its one server thread. */
#include "audio_core.h"

#include <stdio.h>
#include <string.h>

#include <execrt/errors.h>

#include "json.h"

static const uint32_t rate_hz[] = {8000,  11025, 16000, 22050,
				   32000, 44100, 48000, 96000};

uint32_t audio_rate_bit(uint32_t rate)
{
	for (uint32_t i = 0; i < sizeof(rate_hz) / sizeof(rate_hz[0]); i++)
		if (rate_hz[i] == rate)
			return 1u << i;
	return 0;
}

uint64_t audio_core_hash(const uint8_t *p, uint32_t n)
{
	/* FNV-1a; 0 is kept for "all zero" (silence is never an xrun: a
	 * late client is told to write it). */
	uint64_t h = 0xcbf29ce484222325ull;
	uint8_t any = 0;
	for (uint32_t i = 0; i < n; i++) {
		any |= p[i];
		h = (h ^ p[i]) * 0x100000001b3ull;
	}
	return any ? (h ? h : 1) : 0;
}

void audio_core_init(struct audio_core *c, const struct audio_plat_ops *ops,
		     void *ctx, const struct audio_hw *hw, const char *device)
{
	memset(c, 0, sizeof(*c));
	c->ops = ops;
	c->ctx = ctx;
	c->hw = hw;
	hw->ops->info(hw->dev, &c->info);
	c->info.name[sizeof(c->info.name) - 1] = 0;
	snprintf(c->device, sizeof(c->device), "%s", device ? device : "");
	snprintf(c->sched, sizeof(c->sched), "be");
}

/* ---- answers ---- */

static void answer(struct audio_core *c, uint32_t reply, int32_t err,
		   uint64_t val, const void *data, uint32_t len,
		   const uint32_t *h, uint32_t nh)
{
	struct audio_resp r = {.err = err, .len = len, .val = val};
	if (err)
		c->st.errors++;
	memcpy(c->buf, &r, sizeof(r));
	if (len)
		memcpy(c->buf + sizeof(r), data, len);
	c->ops->answer(c->ctx, reply, c->buf, (uint32_t)sizeof(r) + len, h, nh);
}

static void fail(struct audio_core *c, uint32_t reply, int32_t err)
{
	answer(c, reply, err, 0, NULL, 0, NULL, 0);
}

static void status_json(struct audio_core *c, struct json_w *w)
{
	const struct audio_stream *s = &c->s;
	uint32_t nconn = 0;
	for (uint32_t i = 0; i < AUDIO_CONNS_MAX; i++)
		nconn += c->conns[i].badge != 0;
	json_w_obj(w);
	json_w_key(w, "ok");
	json_w_bool(w, true);
	json_w_key(w, "result");
	json_w_obj(w);
	json_w_key(w, "name");
	json_w_str(w, "audio");
	json_w_key(w, "driver");
	json_w_str(w, c->info.name);
	json_w_key(w, "device");
	json_w_str(w, c->device);
	json_w_key(w, "sched");
	json_w_str(w, c->sched);
	json_w_key(w, "connections");
	json_w_uint(w, nconn);
	json_w_key(w, "stream");
	json_w_str(w, !s->open ? "closed" : s->running ? "running" : "open");
	if (s->open) {
		json_w_key(w, "rate");
		json_w_uint(w, s->fmt.rate);
		json_w_key(w, "channels");
		json_w_uint(w, s->fmt.channels);
		json_w_key(w, "period_frames");
		json_w_uint(w, s->fmt.period_frames);
		json_w_key(w, "periods");
		json_w_uint(w, s->fmt.periods);
		json_w_key(w, "frames");
		json_w_uint(w, s->bytes / s->frame_bytes);
		json_w_key(w, "period");
		json_w_uint(w, s->periods);
		json_w_key(w, "xruns");
		json_w_uint(w, s->xruns);
	}
	static const char *const keys[] = {
		"requests",    "errors",       "connects",	"opens",
		"starts",      "irqs",	       "period_irqs",	"device_errors",
		"notices",     "notices_lost", "periods_total", "xruns_total",
		"hw_underruns"};
	const uint64_t vals[] = {
		c->st.requests,	    c->st.errors,	 c->st.connects,
		c->st.opens,	    c->st.starts,	 c->st.irqs,
		c->st.period_irqs,  c->st.dev_errors,	 c->st.notices,
		c->st.notices_lost, c->st.periods_total, c->st.xruns_total,
		c->st.hw_underruns};
	for (uint32_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_w_key(w, keys[i]);
		json_w_uint(w, vals[i]);
	}
	json_w_end(w);
	json_w_end(w);
}

static void json_answer(struct audio_core *c, uint32_t reply, const char *msg,
			uint32_t len)
{
	static struct json_doc d;
	char cmd[16] = "";
	char text[1536];
	int n;
	if (json_parse(&d, msg, len) < 0 ||
	    json_get_str(&d, "cmd", cmd, sizeof(cmd)) < 0)
		n = json_w_error(text, sizeof(text), "BAD_JSON",
				 "not a request");
	else if (!strcmp(cmd, "ping"))
		n = snprintf(text, sizeof(text),
			     "{\"ok\":true,\"result\":{\"name\":\"audio\","
			     "\"driver\":\"%s\",\"version\":\"0.1.0\","
			     "\"protocol\":\"ports/v0\",\"audio_proto\":%u}}",
			     c->info.name, AUDIO_PROTO_VERSION);
	else if (!strcmp(cmd, "status")) {
		struct json_w w;
		json_w_init(&w, text, sizeof(text));
		status_json(c, &w);
		n = json_w_finish(&w);
	} else
		n = json_w_error(text, sizeof(text), "BAD_CMD", "unknown cmd");
	if (n < 0)
		n = json_w_error(text, sizeof(text), "INTERNAL", "too long");
	c->ops->answer(c->ctx, reply, text, n < 0 ? 0 : (uint32_t)n, NULL, 0);
}

/* ---- connections ---- */

static int conn_slot(const struct audio_core *c, uint64_t badge)
{
	if (badge < AUDIO_BADGE_CONN)
		return -1;
	uint32_t s = (uint32_t)((badge - AUDIO_BADGE_CONN) & 0xff);
	if (s >= AUDIO_CONNS_MAX || c->conns[s].badge != badge)
		return -1;
	return (int)s;
}

static void do_connect(struct audio_core *c, const struct audio_req *q,
		       uint32_t reply)
{
	if (q->a != AUDIO_PROTO_VERSION) {
		fail(c, reply, ERR_NOT_SUPPORTED);
		return;
	}
	uint32_t s = 0, mine = 0;
	for (uint32_t i = 0; i < AUDIO_CONNS_MAX; i++)
		mine += c->sender && c->conns[i].badge &&
			c->conns[i].sender == c->sender;
	while (s < AUDIO_CONNS_MAX && c->conns[s].badge)
		s++;
	if (s == AUDIO_CONNS_MAX || mine >= AUDIO_CONNS_PER_TASK) {
		fail(c, reply, ERR_NO_RESOURCES);
		return;
	}
	uint64_t badge = AUDIO_BADGE_CONN + s + ((uint64_t)++c->gen << 8);
	uint32_t h;
	int r = c->ops->mint(c->ctx, badge, &h);
	if (r < 0) {
		fail(c, reply, r);
		return;
	}
	c->conns[s] = (struct audio_conn){.badge = badge, .sender = c->sender};
	c->st.connects++;
	answer(c, reply, 0, s, NULL, 0, &h, 1);
}

/* ---- the stream ---- */

static void stream_close(struct audio_core *c)
{
	struct audio_stream *s = &c->s;
	if (!s->open)
		return;
	c->hw->ops->close(c->hw->dev);
	c->ops->ring_free(c->ctx, &s->ring);
	if (s->notify)
		c->ops->close(c->ctx, s->notify);
	memset(s, 0, sizeof(*s));
}

/* The format checks every device shares; then the device's own. */
static int check_fmt(struct audio_core *c, struct audio_fmt *f)
{
	const struct audio_info *in = &c->info;
	if (f->format >= 16 || !(in->formats & (1u << f->format)) ||
	    !(in->rates & audio_rate_bit(f->rate)) || !f->channels ||
	    f->channels > in->channels_max)
		return ERR_NOT_SUPPORTED;
	if (f->periods < AUDIO_PERIODS_MIN || f->periods > AUDIO_PERIODS_MAX ||
	    f->period_frames < in->period_min ||
	    f->period_frames > in->period_max)
		return ERR_INVALID_ARGS;
	int r = c->hw->ops->fit(c->hw->dev, f);
	if (r < 0)
		return r;
	/* what the device rounded to must still be sane */
	if (f->periods < AUDIO_PERIODS_MIN || f->periods > AUDIO_PERIODS_MAX ||
	    !f->period_frames)
		return ERR_NOT_SUPPORTED;
	uint64_t bytes =
		(uint64_t)f->periods * f->period_frames * f->channels * 2u;
	return bytes > AUDIO_RING_MAX ? ERR_NO_MEMORY : 0;
}

static void do_open(struct audio_core *c, int slot, const struct audio_req *q,
		    uint32_t *h, uint32_t nh, uint32_t reply)
{
	struct audio_stream *s = &c->s;
	if (s->open) {
		fail(c, reply, ERR_ALREADY_EXISTS);
		return;
	}
	struct audio_fmt f = q->fmt;
	int r = check_fmt(c, &f);
	if (r < 0) {
		fail(c, reply, r);
		return;
	}
	uint32_t fb = f.channels * 2u;
	uint32_t bytes = f.periods * f.period_frames * fb;
	struct audio_hw_ring ring = {0};
	uint32_t grant = 0;
	r = c->ops->ring_alloc(c->ctx, bytes, &ring, &grant);
	if (r == 0 && (r = c->hw->ops->open(c->hw->dev, &f, &ring)) < 0) {
		c->ops->ring_free(c->ctx, &ring);
		c->ops->close(c->ctx, grant);
	}
	if (r < 0) {
		fail(c, reply, r);
		return;
	}
	memset(s, 0, sizeof(*s));
	s->open = true;
	s->owner = (uint32_t)slot;
	s->fmt = f;
	s->frame_bytes = fb;
	s->period_bytes = f.period_frames * fb;
	s->ring = ring;
	if (nh && h[0]) { /* keep the client's notice endpoint */
		s->notify = h[0];
		h[0] = 0;
	}
	c->st.opens++;
	struct audio_ring out = {
		.fmt = f, .frame_bytes = fb, .ring_bytes = bytes};
	answer(c, reply, 0, bytes, &out, sizeof(out), &grant, 1);
}

void audio_core_sync(struct audio_core *c)
{
	struct audio_stream *s = &c->s;
	if (!s->running)
		return;
	uint32_t off = c->hw->ops->position(c->hw->dev);
	if (off >= s->ring.bytes)
		off = 0; /* a device glitch: never beyond the ring */
	uint64_t d = off >= s->last_off ? off - s->last_off
					: s->ring.bytes - s->last_off + off;
	s->bytes += d;
	s->last_off = off;
}

/* Periods completed since the last call: hash each slot just played;
 * the same non-silent bytes as that slot's last play = not refilled. */
static void account_periods(struct audio_core *c)
{
	struct audio_stream *s = &c->s;
	uint64_t done = s->bytes / s->period_bytes;
	if (done == s->periods)
		return;
	uint64_t first = s->periods;
	/* more than a ring behind: only the last ring's slots are known */
	if (done - first > s->fmt.periods)
		first = done - s->fmt.periods;
	for (uint64_t k = first; k < done; k++) {
		uint32_t slot = (uint32_t)(k % s->fmt.periods);
		uint64_t hsh = audio_core_hash(
			s->ring.va + (uint64_t)slot * s->period_bytes,
			s->period_bytes);
		if (k >= s->fmt.periods && hsh && hsh == s->sum[slot]) {
			s->xruns++;
			c->st.xruns_total++;
		}
		s->sum[slot] = hsh;
	}
	c->st.periods_total += done - s->periods;
	s->periods = done;
	if (!s->notify)
		return;
	struct audio_period_msg m = {.magic = AUDIO_PERIOD_MAGIC,
				     .period = done,
				     .frames = s->bytes / s->frame_bytes,
				     .time_ns = c->ops->now(c->ctx)};
	if (c->ops->notify(c->ctx, s->notify, &m, sizeof(m)) == 0)
		c->st.notices++;
	else
		c->st.notices_lost++;
}

void audio_core_irq(struct audio_core *c)
{
	c->st.irqs++;
	int r = c->hw->ops->irq(c->hw->dev);
	if (r < 0)
		c->st.dev_errors++;
	else if (r > 0)
		c->st.period_irqs++;
	if (r == AUDIO_HW_IRQ_UNDERRUN)
		c->st.hw_underruns++;
	audio_core_sync(c);
	if (c->s.running)
		account_periods(c);
}

static void do_start(struct audio_core *c, uint32_t reply)
{
	struct audio_stream *s = &c->s;
	if (s->running) {
		fail(c, reply, ERR_BAD_STATE);
		return;
	}
	s->bytes = 0;
	s->last_off = 0;
	s->periods = 0;
	s->xruns = 0;
	memset(s->sum, 0, sizeof(s->sum));
	int r = c->hw->ops->start(c->hw->dev);
	if (r == 0) {
		s->running = true;
		c->st.starts++;
	}
	answer(c, reply, r, 0, NULL, 0, NULL, 0);
}

static void do_stop(struct audio_core *c, uint32_t reply)
{
	struct audio_stream *s = &c->s;
	if (!s->running) {
		fail(c, reply, ERR_BAD_STATE);
		return;
	}
	audio_core_sync(c);
	account_periods(c);
	c->hw->ops->stop(c->hw->dev);
	s->running = false;
	answer(c, reply, 0, s->bytes / s->frame_bytes, NULL, 0, NULL, 0);
}

static void do_position(struct audio_core *c, uint32_t reply)
{
	struct audio_stream *s = &c->s;
	audio_core_sync(c);
	struct audio_pos p = {.frames = s->bytes / s->frame_bytes,
			      .time_ns = c->ops->now(c->ctx),
			      .periods = s->bytes / s->period_bytes,
			      .xruns = s->xruns};
	answer(c, reply, 0, p.frames, &p, sizeof(p), NULL, 0);
}

void audio_core_request(struct audio_core *c, uint64_t badge, uint64_t sender,
			const void *msg, uint32_t len, uint32_t *h, uint32_t nh,
			uint32_t reply)
{
	c->st.requests++;
	c->sender = sender;
	if (len && ((const char *)msg)[0] == '{') {
		json_answer(c, reply, msg, len);
		return;
	}
	struct audio_req q;
	if (len != sizeof(q)) {
		fail(c, reply, ERR_INVALID_ARGS);
		return;
	}
	memcpy(&q, msg, sizeof(q));
	int slot = conn_slot(c, badge);
	if (q.op == AUDIO_CONNECT) {
		if (slot >= 0) /* a connection does not connect again */
			fail(c, reply, ERR_INVALID_ARGS);
		else
			do_connect(c, &q, reply);
		return;
	}
	if (slot < 0) { /* the public endpoint: CONNECT and JSON only */
		fail(c, reply, ERR_ACCESS_DENIED);
		return;
	}
	bool mine = c->s.open && c->s.owner == (uint32_t)slot;
	switch (q.op) {
	case AUDIO_INFO:
		answer(c, reply, 0, 0, &c->info, sizeof(c->info), NULL, 0);
		return;
	case AUDIO_OPEN:
		do_open(c, slot, &q, h, nh, reply);
		return;
	case AUDIO_START:
	case AUDIO_STOP:
	case AUDIO_POSITION:
	case AUDIO_CLOSE:
		break;
	default:
		fail(c, reply, ERR_INVALID_ARGS);
		return;
	}
	if (!mine) {
		fail(c, reply, ERR_BAD_STATE);
		return;
	}
	if (q.op == AUDIO_START)
		do_start(c, reply);
	else if (q.op == AUDIO_STOP)
		do_stop(c, reply);
	else if (q.op == AUDIO_POSITION)
		do_position(c, reply);
	else {
		stream_close(c);
		answer(c, reply, 0, 0, NULL, 0, NULL, 0);
	}
}

void audio_core_notice(struct audio_core *c, uint64_t badge)
{
	int slot = conn_slot(c, badge);
	if (slot < 0)
		return;
	if (c->s.open && c->s.owner == (uint32_t)slot)
		stream_close(c);
	c->conns[slot].badge = 0;
}
