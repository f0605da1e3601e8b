/* The /svc/display protocol (disp_core.h). Single-threaded: the platform
 * calls in from its one server thread. */
#include "disp_core.h"

#include <stdio.h>
#include <string.h>

#include <execrt/errors.h>

#include "json.h"

#define PAGE 4096ull

static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src ? src : "", n);
	dst[n] = 0;
}

void disp_core_init(struct disp_core *c, const struct disp_ops *ops, void *ctx,
		    const char *driver, const char *device)
{
	memset(c, 0, sizeof(*c));
	c->ops = ops;
	c->ctx = ctx;
	copy_str(c->driver, sizeof(c->driver), driver);
	copy_str(c->device, sizeof(c->device), device);
	copy_str(c->clock, sizeof(c->clock), "none");
	c->period_ns = 16666667;
}

int disp_core_add_output(struct disp_core *c, const char *name,
			 const struct disp_mode *modes, uint32_t nmodes,
			 uint32_t cur, uint32_t width_mm, uint32_t height_mm,
			 uint32_t flags)
{
	if (c->noutputs >= DISP_OUTPUTS_MAX || !nmodes)
		return -1;
	if (nmodes > DISP_MODES_MAX)
		nmodes = DISP_MODES_MAX;
	uint32_t id = c->noutputs++;
	struct disp_out *o = &c->out[id];
	memset(o, 0, sizeof(*o));
	o->info.id = id;
	o->info.flags = flags | DISP_OUT_CONNECTED;
	o->info.nmodes = nmodes;
	o->info.cur_mode = cur < nmodes ? cur : 0;
	o->info.width_mm = width_mm;
	o->info.height_mm = height_mm;
	copy_str(o->info.name, sizeof(o->info.name), name);
	memcpy(o->modes, modes, nmodes * sizeof(*modes));
	bool pref = false;
	for (uint32_t i = 0; i < nmodes; i++) {
		o->modes[i].flags &= DISP_MODE_PREFERRED;
		pref |= o->modes[i].flags & DISP_MODE_PREFERRED;
		if (!o->modes[i].refresh_mhz)
			o->modes[i].refresh_mhz = 60000;
	}
	if (!pref)
		o->modes[0].flags |= DISP_MODE_PREFERRED;
	o->shown = -1;
	if (id == 0) /* the frame clock follows output 0 */
		c->period_ns = disp_core_period(c, 0);
	return (int)id;
}

uint64_t disp_core_period(const struct disp_core *c, uint32_t o)
{
	if (o >= c->noutputs)
		return 16666667;
	const struct disp_mode *m = &c->out[o].modes[c->out[o].info.cur_mode];
	uint32_t mhz = m->refresh_mhz ? m->refresh_mhz : 60000;
	return 1000000000000ull / mhz;
}

int disp_core_geometry(const struct disp_core *c, const struct disp_mode *m,
		       uint32_t count, struct disp_buffers *b)
{
	if (!count || count > DISP_BUFFERS_MAX || !m->width || !m->height ||
	    m->width > DISP_DIM_MAX || m->height > DISP_DIM_MAX)
		return ERR_INVALID_ARGS;
	memset(b, 0, sizeof(*b));
	b->width = m->width;
	b->height = m->height;
	b->stride = m->width * 4;
	b->format = DISP_FMT_XRGB8888;
	b->count = count;
	b->size = ((uint64_t)b->stride * b->height + PAGE - 1) & ~(PAGE - 1);
	b->chunk_size = c->chunk_max && c->chunk_max < b->size
				? (c->chunk_max & ~(PAGE - 1))
				: b->size;
	if (!b->chunk_size)
		return ERR_INVALID_ARGS;
	b->nchunks = (uint32_t)((b->size + b->chunk_size - 1) / b->chunk_size);
	if (b->nchunks > DISP_CHUNKS_MAX ||
	    (uint64_t)b->nchunks * count > DISP_HANDLES_OUT)
		return ERR_NO_RESOURCES;
	if (c->buf_max && b->size * count > c->buf_max)
		return ERR_NO_MEMORY;
	return 0;
}

/* ---- answers ---- */

static void answer(struct disp_core *c, uint32_t reply, int32_t err,
		   uint64_t val, const void *data, uint32_t len,
		   const uint32_t *h, uint32_t nh)
{
	struct disp_resp r = {.err = err, .len = len, .val = val};
	if (err)
		c->st.errors++;
	memcpy(c->buf, &r, sizeof(r));
	if (len)
		memcpy(c->buf + sizeof(r), data, len);
	c->ops->answer(c->ctx, reply, c->buf, (uint32_t)sizeof(r) + len, h, nh);
}

static void fail(struct disp_core *c, uint32_t reply, int32_t err)
{
	answer(c, reply, err, 0, NULL, 0, NULL, 0);
}

static void json_answer(struct disp_core *c, uint32_t reply, const char *msg,
			uint32_t len)
{
	static struct json_doc d;
	char cmd[16] = "";
	char text[2048];
	int n;
	if (json_parse(&d, msg, len) < 0 ||
	    json_get_str(&d, "cmd", cmd, sizeof(cmd)) < 0)
		n = json_w_error(text, sizeof(text), "BAD_JSON",
				 "not a request");
	else if (!strcmp(cmd, "ping"))
		n = snprintf(text, sizeof(text),
			     "{\"ok\":true,\"result\":{\"name\":\"display\","
			     "\"driver\":\"%s\",\"version\":\"0.1.0\","
			     "\"protocol\":\"ports/v0\",\"display_proto\":%u}}",
			     c->driver, DISP_PROTO_VERSION);
	else if (!strcmp(cmd, "status")) {
		struct json_w w;
		uint32_t nconn = 0;
		for (uint32_t i = 0; i < DISP_CONNS_MAX; i++)
			nconn += c->conns[i].badge != 0;
		json_w_init(&w, text, sizeof(text));
		json_w_obj(&w);
		json_w_key(&w, "ok");
		json_w_bool(&w, true);
		json_w_key(&w, "result");
		json_w_obj(&w);
		json_w_key(&w, "name");
		json_w_str(&w, "display");
		json_w_key(&w, "driver");
		json_w_str(&w, c->driver);
		json_w_key(&w, "device");
		json_w_str(&w, c->device);
		json_w_key(&w, "clock");
		json_w_str(&w, c->clock);
		json_w_key(&w, "frame");
		json_w_uint(&w, c->frame);
		json_w_key(&w, "period_ns");
		json_w_uint(&w, c->period_ns);
		json_w_key(&w, "late_ticks");
		json_w_uint(&w, c->st.late_ticks);
		json_w_key(&w, "connections");
		json_w_uint(&w, nconn);
		json_w_key(&w, "outputs");
		json_w_arr(&w);
		for (uint32_t i = 0; i < c->noutputs; i++) {
			const struct disp_out *o = &c->out[i];
			const struct disp_mode *m = &o->modes[o->info.cur_mode];
			json_w_obj(&w);
			json_w_key(&w, "id");
			json_w_uint(&w, i);
			json_w_key(&w, "name");
			json_w_str(&w, o->info.name);
			json_w_key(&w, "width");
			json_w_uint(&w, m->width);
			json_w_key(&w, "height");
			json_w_uint(&w, m->height);
			json_w_key(&w, "refresh_mhz");
			json_w_uint(&w, m->refresh_mhz);
			json_w_key(&w, "modes");
			json_w_uint(&w, o->info.nmodes);
			json_w_key(&w, "owned");
			json_w_bool(&w, o->owner != 0);
			json_w_key(&w, "buffers");
			json_w_uint(&w, o->buf.count);
			json_w_end(&w);
		}
		json_w_end(&w);
		json_w_key(&w, "takeovers");
		json_w_uint(&w, c->st.takeovers);
		json_w_key(&w, "presents");
		json_w_uint(&w, c->st.presents);
		json_w_key(&w, "pixels");
		json_w_uint(&w, c->st.pixels);
		json_w_key(&w, "waits");
		json_w_uint(&w, c->st.waits);
		json_w_key(&w, "requests");
		json_w_uint(&w, c->st.requests);
		json_w_key(&w, "errors");
		json_w_uint(&w, c->st.errors);
		json_w_key(&w, "device_commands");
		json_w_uint(&w, c->st.dev_cmds);
		json_w_key(&w, "device_ns_last");
		json_w_uint(&w, c->st.dev_ns_last);
		json_w_key(&w, "device_ns_total");
		json_w_uint(&w, c->st.dev_ns_total);
		json_w_key(&w, "device_ns_max");
		json_w_uint(&w, c->st.dev_ns_max);
		json_w_key(&w, "last_present_ns");
		json_w_uint(&w, c->st.present_ns_last);
		json_w_end(&w);
		json_w_end(&w);
		n = json_w_finish(&w);
	} else
		n = json_w_error(text, sizeof(text), "BAD_CMD", "unknown cmd");
	if (n < 0)
		n = json_w_error(text, sizeof(text), "INTERNAL", "too long");
	c->ops->answer(c->ctx, reply, text, n < 0 ? 0 : (uint32_t)n, NULL, 0);
}

/* ---- connections and outputs ---- */

static int conn_slot(const struct disp_core *c, uint64_t badge)
{
	if (badge < DISP_BADGE_CONN)
		return -1;
	uint32_t s = (uint32_t)((badge - DISP_BADGE_CONN) & 0xff);
	if (s >= DISP_CONNS_MAX || c->conns[s].badge != badge)
		return -1;
	return (int)s;
}

static void drop_buffers(struct disp_core *c, struct disp_out *o)
{
	if (o->buf.count)
		c->ops->buffers_free(c->ctx, o->info.id);
	memset(&o->buf, 0, sizeof(o->buf));
	for (uint32_t i = 0; i < DISP_BUFFERS_MAX; i++)
		damage_clear(&o->stale[i]);
	o->shown = -1;
}

static void disown(struct disp_core *c, struct disp_out *o)
{
	drop_buffers(c, o);
	o->owner = 0;
	o->info.flags &= ~DISP_OUT_OWNED;
}

static void do_connect(struct disp_core *c, const struct disp_req *q,
		       uint32_t reply)
{
	if (q->a != DISP_PROTO_VERSION) {
		fail(c, reply, ERR_NOT_SUPPORTED);
		return;
	}
	uint32_t s = 0, mine = 0;
	for (uint32_t i = 0; i < DISP_CONNS_MAX; i++)
		mine += c->sender && c->conns[i].badge &&
			c->conns[i].sender == c->sender;
	while (s < DISP_CONNS_MAX && c->conns[s].badge)
		s++;
	if (s == DISP_CONNS_MAX || mine >= DISP_CONNS_PER_TASK) {
		fail(c, reply, ERR_NO_RESOURCES);
		return;
	}
	uint64_t badge = DISP_BADGE_CONN + s + ((uint64_t)++c->gen << 8);
	uint32_t h;
	int r = c->ops->mint(c->ctx, badge, &h);
	if (r < 0) {
		fail(c, reply, r);
		return;
	}
	c->conns[s] = (struct disp_conn){.badge = badge, .sender = c->sender};
	c->st.connects++;
	answer(c, reply, 0, s, NULL, 0, &h, 1);
}

static void do_outputs(struct disp_core *c, uint32_t reply)
{
	struct disp_output list[DISP_OUTPUTS_MAX];
	for (uint32_t i = 0; i < c->noutputs; i++)
		list[i] = c->out[i].info;
	answer(c, reply, 0, c->noutputs, list,
	       c->noutputs * (uint32_t)sizeof(list[0]), NULL, 0);
}

static void do_modes(struct disp_core *c, struct disp_out *o, uint32_t reply)
{
	struct disp_mode m[DISP_MODES_MAX];
	for (uint32_t i = 0; i < o->info.nmodes; i++) {
		m[i] = o->modes[i];
		if (i == o->info.cur_mode)
			m[i].flags |= DISP_MODE_CURRENT;
	}
	answer(c, reply, 0, o->info.nmodes, m,
	       o->info.nmodes * (uint32_t)sizeof(m[0]), NULL, 0);
}

static void do_set_mode(struct disp_core *c, struct disp_out *o, int slot,
			const struct disp_req *q, uint32_t reply)
{
	if (q->a >= o->info.nmodes) {
		fail(c, reply, ERR_INVALID_ARGS);
		return;
	}
	if (o->owner && o->owner != (uint32_t)slot + 1) {
		fail(c, reply, ERR_ACCESS_DENIED);
		return;
	}
	struct disp_buffers g;
	int r = disp_core_geometry(c, &o->modes[q->a], 1, &g);
	if (r == 0) {
		drop_buffers(c, o);
		r = c->ops->set_mode(c->ctx, o->info.id, &o->modes[q->a]);
	}
	if (r == 0) {
		o->info.cur_mode = q->a;
		c->period_ns = disp_core_period(c, o->info.id);
		c->st.mode_sets++;
	}
	answer(c, reply, r, c->period_ns, NULL, 0, NULL, 0);
}

static void do_buffers(struct disp_core *c, struct disp_out *o, int slot,
		       const struct disp_req *q, uint32_t reply)
{
	if (q->flags & ~DISP_BUF_TAKE) {
		fail(c, reply, ERR_INVALID_ARGS);
		return;
	}
	if (o->owner && o->owner != (uint32_t)slot + 1) {
		if (!(q->flags & DISP_BUF_TAKE)) {
			fail(c, reply, ERR_ACCESS_DENIED);
			return;
		}
		disown(c, o);
		c->st.takeovers++;
	}
	struct disp_buffers g;
	int r = disp_core_geometry(c, &o->modes[o->info.cur_mode], q->a, &g);
	if (r < 0) {
		fail(c, reply, r);
		return;
	}
	drop_buffers(c, o);
	uint32_t h[DISP_HANDLES_OUT];
	r = c->ops->buffers_new(c->ctx, o->info.id, &g, h);
	if (r < 0) {
		fail(c, reply, r);
		return;
	}
	o->buf = g;
	o->owner = (uint32_t)slot + 1;
	o->info.flags |= DISP_OUT_OWNED;
	/* Nothing of the new buffers is on the device yet. */
	for (uint32_t i = 0; i < g.count; i++)
		damage_full(&o->stale[i], g.width, g.height);
	answer(c, reply, 0, g.count, &g, sizeof(g), h, g.count * g.nchunks);
}

/* Parks a call of connection `slot` until the frame clock passes target.
 * At most DISP_WAITERS_PER_TASK per client task (by the sender that
 * connected), DISP_WAITERS_MAX in all. */
static void park(struct disp_core *c, int slot, uint32_t reply, uint32_t output,
		 uint64_t target, const struct disp_frame *fr)
{
	uint64_t sender = c->conns[slot].sender;
	uint32_t mine = 0;
	for (uint32_t i = 0; i < DISP_WAITERS_MAX; i++)
		mine += sender && c->waiters[i].reply &&
			c->conns[c->waiters[i].conn].sender == sender;
	for (uint32_t i = 0;
	     i < DISP_WAITERS_MAX && mine < DISP_WAITERS_PER_TASK; i++) {
		struct disp_waiter *w = &c->waiters[i];
		if (w->reply)
			continue;
		*w = (struct disp_waiter){.reply = reply,
					  .conn = (uint32_t)slot,
					  .output = output,
					  .target = target,
					  .fr = *fr};
		return;
	}
	fail(c, reply, ERR_NO_RESOURCES);
}

static void do_present(struct disp_core *c, struct disp_out *o, int slot,
		       const struct disp_req *q, const struct disp_rect *rects,
		       uint32_t reply)
{
	if (o->owner != (uint32_t)slot + 1 || !o->buf.count) {
		fail(c, reply,
		     o->owner && o->owner != (uint32_t)slot + 1
			     ? ERR_ACCESS_DENIED
			     : ERR_BAD_STATE);
		return;
	}
	if (q->a >= o->buf.count || (q->flags & ~DISP_PRESENT_KNOWN)) {
		fail(c, reply, ERR_INVALID_ARGS);
		return;
	}
	uint32_t w = o->buf.width, h = o->buf.height, b = q->a;
	struct damage d;
	damage_clear(&d);
	if (!q->nrects)
		damage_full(&d, w, h);
	for (uint32_t i = 0; i < q->nrects; i++)
		damage_add(&d, &rects[i], w, h);
	struct damage move = d;
	if (c->per_buffer_copies) {
		damage_union(&move, &o->stale[b], w, h);
		damage_clear(&o->stale[b]);
		for (uint32_t i = 0; i < o->buf.count; i++)
			if (i != b)
				damage_union(&o->stale[i], &d, w, h);
	}
	int r = c->ops->present(c->ctx, o->info.id, b, move.r, move.n);
	if (r < 0) {
		/* Unknown what reached the device: move it all next time. */
		for (uint32_t i = 0; i < o->buf.count; i++)
			damage_full(&o->stale[i], w, h);
		fail(c, reply, r);
		return;
	}
	o->shown = (int32_t)b;
	uint64_t done = c->ops->now(c->ctx);
	struct disp_frame fr = {.frame = c->frame + 1,
				.frame_ns = c->frame_ns + c->period_ns,
				.done_ns = done,
				.pixels = damage_area(&move),
				.rects = move.n,
				.period_ns = (uint32_t)c->period_ns};
	c->st.presents++;
	c->st.pixels += fr.pixels;
	c->conns[slot].presents++;
	c->st.present_ns_last = done;
	if (q->flags & DISP_PRESENT_VSYNC) {
		park(c, slot, reply, o->info.id, c->frame + 1, &fr);
		return;
	}
	answer(c, reply, 0, fr.frame, &fr, sizeof(fr), NULL, 0);
}

static void do_wait(struct disp_core *c, struct disp_out *o, int slot,
		    const struct disp_req *q, uint32_t reply)
{
	struct disp_frame fr = {.period_ns = (uint32_t)c->period_ns};
	uint64_t target = q->arg ? q->arg : c->frame + 1;
	c->st.waits++;
	if (c->frame >= target) {
		fr.frame = c->frame;
		fr.frame_ns = c->frame_ns;
		answer(c, reply, 0, fr.frame, &fr, sizeof(fr), NULL, 0);
		return;
	}
	park(c, slot, reply, o->info.id, target, &fr);
}

void disp_core_request(struct disp_core *c, uint64_t badge, const void *msg,
		       uint32_t len, uint32_t nh, uint32_t reply)
{
	disp_core_request_from(c, badge, 0, msg, len, nh, reply);
}

void disp_core_request_from(struct disp_core *c, uint64_t badge,
			    uint64_t sender, const void *msg, uint32_t len,
			    uint32_t nh, uint32_t reply)
{
	c->sender = sender;
	c->st.requests++;
	if (len && ((const char *)msg)[0] == '{') {
		if (badge >= DISP_BADGE_CONN)
			fail(c, reply, ERR_INVALID_ARGS);
		else
			json_answer(c, reply, msg, len);
		return;
	}
	struct disp_req q;
	if (len < sizeof(q) || nh) {
		fail(c, reply, ERR_INVALID_ARGS);
		return;
	}
	memcpy(&q, msg, sizeof(q));
	if (q.op == DISP_NOP) {
		answer(c, reply, 0, DISP_PROTO_VERSION, NULL, 0, NULL, 0);
		return;
	}
	uint32_t want = (uint32_t)sizeof(q);
	if (q.op == DISP_PRESENT) {
		if (q.nrects > DISP_RECTS_MAX) {
			fail(c, reply, ERR_INVALID_ARGS);
			return;
		}
		want += q.nrects * (uint32_t)sizeof(struct disp_rect);
	} else if (q.nrects) {
		fail(c, reply, ERR_INVALID_ARGS);
		return;
	}
	if (len != want || q.reserved) {
		fail(c, reply, ERR_INVALID_ARGS);
		return;
	}
	if (badge < DISP_BADGE_CONN) { /* the public endpoint */
		if (q.op == DISP_CONNECT)
			do_connect(c, &q, reply);
		else
			fail(c, reply, ERR_INVALID_ARGS);
		return;
	}
	int slot = conn_slot(c, badge);
	if (slot < 0) {
		fail(c, reply, ERR_BAD_STATE);
		return;
	}
	if (q.op == DISP_OUTPUTS) {
		do_outputs(c, reply);
		return;
	}
	if (q.output >= c->noutputs) {
		fail(c, reply, ERR_INVALID_ARGS);
		return;
	}
	struct disp_out *o = &c->out[q.output];
	struct disp_rect rects[DISP_RECTS_MAX];
	switch (q.op) {
	case DISP_MODES:
		do_modes(c, o, reply);
		break;
	case DISP_SET_MODE:
		do_set_mode(c, o, slot, &q, reply);
		break;
	case DISP_BUFFERS:
		do_buffers(c, o, slot, &q, reply);
		break;
	case DISP_PRESENT:
		memcpy(rects, (const uint8_t *)msg + sizeof(q),
		       q.nrects * sizeof(rects[0]));
		do_present(c, o, slot, &q, rects, reply);
		break;
	case DISP_WAIT_FRAME:
		do_wait(c, o, slot, &q, reply);
		break;
	case DISP_RELEASE:
		if (o->owner != (uint32_t)slot + 1) {
			fail(c, reply, ERR_ACCESS_DENIED);
			break;
		}
		disown(c, o);
		answer(c, reply, 0, 0, NULL, 0, NULL, 0);
		break;
	default:
		fail(c, reply, ERR_INVALID_ARGS);
	}
}

void disp_core_notice(struct disp_core *c, uint64_t badge)
{
	c->st.notices++;
	int slot = conn_slot(c, badge);
	if (slot < 0)
		return;
	for (uint32_t i = 0; i < c->noutputs; i++)
		if (c->out[i].owner == (uint32_t)slot + 1)
			disown(c, &c->out[i]);
	c->conns[slot].badge = 0;
}

void disp_core_tick(struct disp_core *c, uint64_t frame, uint64_t ns)
{
	c->frame = frame;
	c->frame_ns = ns;
	for (uint32_t i = 0; i < DISP_WAITERS_MAX; i++) {
		struct disp_waiter *w = &c->waiters[i];
		if (!w->reply || w->target > frame)
			continue;
		uint32_t reply = w->reply;
		struct disp_frame fr = w->fr;
		w->reply = 0;
		fr.frame = frame;
		fr.frame_ns = ns;
		answer(c, reply, 0, frame, &fr, sizeof(fr), NULL, 0);
	}
}

bool disp_core_waiting(const struct disp_core *c)
{
	for (uint32_t i = 0; i < DISP_WAITERS_MAX; i++)
		if (c->waiters[i].reply)
			return true;
	return false;
}
