/* comp_srv: compositord's requests (comp_srv.h). Pure. */
#include "comp_srv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/errors.h>

#include "comp_regs.h"
#include "comp_srv_int.h"

/* A JSON number (integer or not) of token t. */
static int num(const struct json_doc *d, int t, double *out)
{
	if (t < 0 || json_type_of(d, t) != JSON_NUMBER)
		return -1;
	int n = d->tok[t].end - d->tok[t].start;
	char buf[48];
	if (n <= 0 || n >= (int)sizeof(buf))
		return -1;
	memcpy(buf, d->js + d->tok[t].start, (size_t)n);
	buf[n] = 0;
	char *end;
	double v = strtod(buf, &end);
	if (*end)
		return -1;
	*out = v;
	return 0;
}

/* A register's value: a number; visible also true/false; blend also
 * "normal|add|mul|screen". */
static int reg_value(const struct json_doc *d, int t, uint32_t reg, double *v)
{
	int ty = json_type_of(d, t);
	if (reg == COMP_REG_VISIBLE && ty == JSON_BOOL) {
		bool b;
		json_bool(d, t, &b);
		*v = b;
		return 0;
	}
	if (reg == COMP_REG_BLEND && ty == JSON_STRING) {
		char name[16];
		int n = json_str(d, t, name, sizeof(name));
		int b = n < 0 ? -1 : comp_blend_lookup(name, (size_t)n);
		if (b < 0)
			return -1;
		*v = b;
		return 0;
	}
	return num(d, t, v);
}

/* A required unsigned field in [lo, hi]. */
int comp_get_u32(const struct json_doc *d, const char *key, uint64_t lo,
		 uint64_t hi, uint32_t *out)
{
	uint64_t v;
	if (json_get_uint(d, key, &v) < 0 || v < lo || v > hi)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* The layer named by "id" that caller `owner` may change: a session's
 * layer only from that session, a public layer (owner 0) only from the
 * public endpoint. Another's layer answers NOT_FOUND, as if absent. */
struct comp_layer *comp_layer_arg(struct comp_srv *s, uint64_t owner,
				  struct comp_reply *r, uint32_t *id)
{
	uint64_t v;
	int t = json_find(&s->doc, 0, "id");
	if (t < 0 || json_uint(&s->doc, t, &v) < 0) {
		fail(r, "BAD_ARG", "id: a layer id (integer) is required");
		return NULL;
	}
	struct comp_layer *l = v <= COMP_LAYER_ID_MAX
				       ? comp_layer_get(s->scene, (uint32_t)v)
				       : NULL;
	if (!l || l->owner != owner) {
		fail(r, "NOT_FOUND", "no such layer");
		return NULL;
	}
	*id = (uint32_t)v;
	comp_layer_touch(s->scene, *id);
	return l;
}

static int format_arg(const struct json_doc *d, uint32_t *fmt)
{
	int t = json_find(d, 0, "format");
	if (t < 0) {
		*fmt = COMP_FMT_RGBA8;
		return 0;
	}
	if (json_str_eq(d, t, "RGBA8"))
		*fmt = COMP_FMT_RGBA8;
	else if (json_str_eq(d, t, "BGRA8"))
		*fmt = COMP_FMT_BGRA8;
	else
		return -1;
	return 0;
}

/* w, h, format, stride (stride default w*4). */
static int geometry(struct comp_srv *s, struct comp_reply *r, uint32_t *w,
		    uint32_t *h, uint32_t *fmt, uint32_t *stride)
{
	const struct json_doc *d = &s->doc;
	if (comp_get_u32(d, "w", 1, COMP_DIM_MAX, w) < 0 ||
	    comp_get_u32(d, "h", 1, COMP_DIM_MAX, h) < 0) {
		fail(r, "BAD_ARG", "w, h: integers 1..8192 are required");
		return -1;
	}
	if (format_arg(d, fmt) < 0) {
		fail(r, "BAD_ARG", "format: RGBA8 or BGRA8");
		return -1;
	}
	*stride = *w * 4;
	if (json_find(d, 0, "stride") >= 0) {
		if (comp_get_u32(d, "stride", 0, 4u * COMP_DIM_MAX * 4,
				 stride) < 0) {
			fail(r, "BAD_ARG", "stride: an integer");
			return -1;
		}
		if (*stride < *w * 4) {
			fail(r, "BAD_ARG", "stride below w*4");
			return -1;
		}
		if (*stride % 4) {
			fail(r, "BAD_ARG", "stride: a multiple of 4");
			return -1;
		}
	}
	return 0;
}

static void unbind_layer(struct comp_srv *s, uint32_t id)
{
	comp_layer_bind(s->scene, id, NULL, 0, 0, 0, 0);
	if (s->ops.unbind)
		s->ops.unbind(s->ops.ctx, id);
}

static void bind_dmabuf(struct comp_srv *s, uint64_t owner, uint32_t nh,
			struct comp_reply *r)
{
	uint32_t id, w, h, fmt, stride, fd;
	if (!comp_layer_arg(s, owner, r, &id) ||
	    geometry(s, r, &w, &h, &fmt, &stride) < 0)
		return;
	if (comp_get_u32(&s->doc, "fd", 0, 255, &fd) < 0 || fd >= nh) {
		fail(r, "BAD_ARG", "fd: the index of an attached grant");
		return;
	}
	int t = json_find(&s->doc, 0, "modifier");
	uint64_t mod;
	if (t >= 0 && (json_uint(&s->doc, t, &mod) < 0 || mod != 0)) {
		fail(r, "BAD_ARG", "modifier: only 0 (linear)");
		return;
	}
	/* The old content stays bound unless the new one is good (the
	 * platform swaps on success only). */
	const uint8_t *px = NULL;
	int e = s->ops.bind_dmabuf(s->ops.ctx, id, fd,
				   (uint64_t)stride * (h - 1) + (uint64_t)w * 4,
				   &px);
	if (e < 0) {
		fail(r, ops_code(e),
		     e == COMP_OPS_SMALL ? "grant smaller than stride*h"
					 : "cannot map the grant");
		return;
	}
	comp_layer_bind(s->scene, id, px, w, h, stride, fmt);
	okf(r, "{}");
}

static void bind_image(struct comp_srv *s, uint64_t owner, struct comp_reply *r)
{
	uint32_t id, w, h, fmt, stride;
	char path[256];
	if (!comp_layer_arg(s, owner, r, &id) ||
	    geometry(s, r, &w, &h, &fmt, &stride) < 0)
		return;
	if (json_get_str(&s->doc, "path", path, sizeof(path)) <= 0) {
		fail(r, "BAD_ARG", "path: a file name is required");
		return;
	}
	if ((uint64_t)w * h * 4 > COMP_IMAGE_MAX) {
		fail(r, "BAD_ARG", "image above 16 MiB: use bind_dmabuf");
		return;
	}
	const uint8_t *px = NULL;
	int e = s->ops.bind_image(s->ops.ctx, id, path, (uint64_t)w * h * 4,
				  &px);
	if (e < 0) {
		fail(r, ops_code(e),
		     e == COMP_OPS_SMALL   ? "file smaller than w*h*4"
		     : e == COMP_OPS_NOENT ? "no such file"
					   : "cannot read the file");
		return;
	}
	comp_layer_bind(s->scene, id, px, w, h, w * 4, fmt);
	okf(r, "{}");
}

/* {"frame":F}: the frame whose latch applies what was just written. */
static void frame_result(struct comp_srv *s, struct comp_reply *r)
{
	snprintf(r->result, sizeof(r->result), "{\"frame\":%llu}",
		 (unsigned long long)(s->scene->frame + 1));
	r->ok = true;
}

/* set {id, x, y, ...}: every field checked before any is written. */
static void set(struct comp_srv *s, uint64_t owner, struct comp_reply *r)
{
	uint32_t id;
	if (!comp_layer_arg(s, owner, r, &id))
		return;
	double v[COMP_REG_COUNT];
	bool have[COMP_REG_COUNT] = {0};
	const struct json_doc *d = &s->doc;
	for (uint32_t reg = 0; reg < COMP_REG_COUNT; reg++) {
		int t = json_find(d, 0, comp_reg_name(reg));
		if (t < 0)
			continue;
		if (reg_value(d, t, reg, &v[reg]) < 0) {
			char m[64];
			snprintf(m, sizeof(m), "%s: bad value",
				 comp_reg_name(reg));
			fail(r, "BAD_ARG", m);
			return;
		}
		have[reg] = true;
	}
	for (uint32_t reg = 0; reg < COMP_REG_COUNT; reg++)
		if (have[reg])
			comp_reg_write(s->scene, id, reg, v[reg]);
	frame_result(s, r);
}

/* set_regs {regs:{"layer[1].x":100,...}}: all or nothing. */
static void set_regs(struct comp_srv *s, uint64_t owner, struct comp_reply *r)
{
	const struct json_doc *d = &s->doc;
	int o = json_find(d, 0, "regs");
	if (o < 0 || json_type_of(d, o) != JSON_OBJECT) {
		fail(r, "BAD_ARG", "regs: an object of \"layer[N].reg\":value");
		return;
	}
	int n = d->tok[o].size;
	if (n > (int)COMP_REGS_MAX) {
		fail(r, "BAD_ARG", "regs: at most 255 writes");
		return;
	}
	struct comp_reg_write w[COMP_REGS_MAX];
	int k = o + 1;
	for (int i = 0; i < n; i++) {
		int vt = k + 1;
		const struct json_tok *kt = &d->tok[k];
		if (comp_reg_parse_n(d->js + kt->start,
				     (size_t)(kt->end - kt->start), &w[i].layer,
				     &w[i].reg) < 0) {
			fail(r, "BAD_ARG", "regs: bad register name");
			return;
		}
		const struct comp_layer *l =
			comp_layer_get(s->scene, w[i].layer);
		if (!l || l->owner != owner) {
			fail(r, "NOT_FOUND", "regs: no such layer");
			return;
		}
		if (reg_value(d, vt, w[i].reg, &w[i].value) < 0) {
			fail(r, "BAD_ARG", "regs: bad value");
			return;
		}
		k = json_next(d, vt);
	}
	for (int i = 0; i < n; i++)
		comp_reg_write(s->scene, w[i].layer, w[i].reg, w[i].value);
	snprintf(r->result, sizeof(r->result), "{\"frame\":%llu,\"writes\":%d}",
		 (unsigned long long)(s->scene->frame + 1), n);
	r->ok = true;
}

/* damage {id, rect?:{x,y,w,h}} (extension): new pixels in the bound
 * buffer, shown from the next frame. */
static void damage(struct comp_srv *s, uint64_t owner, struct comp_reply *r)
{
	uint32_t id;
	if (!comp_layer_arg(s, owner, r, &id))
		return;
	const struct json_doc *d = &s->doc;
	int t = json_find(d, 0, "rect");
	if (t < 0) {
		comp_layer_damage(s->scene, id, NULL);
		frame_result(s, r);
		return;
	}
	int64_t v[4];
	static const char *const k[4] = {"x", "y", "w", "h"};
	for (int i = 0; i < 4; i++) {
		int f = json_find(d, t, k[i]);
		if (f < 0 || json_int(d, f, &v[i]) < 0 || v[i] < -65536 ||
		    v[i] > 65536 || (i >= 2 && v[i] < 0)) {
			fail(r, "BAD_ARG", "rect: {x,y,w,h} integers");
			return;
		}
	}
	struct comp_rect rc = {(int32_t)v[0], (int32_t)v[1], (int32_t)v[2],
			       (int32_t)v[3]};
	if (rc.w > 0 && rc.h > 0)
		comp_layer_damage(s->scene, id, &rc);
	frame_result(s, r);
}

/* commit {id?}: a barrier; the layer (or every layer of the caller)
 * shows its buffer's new content from the next frame. */
static void commit(struct comp_srv *s, uint64_t owner, struct comp_reply *r)
{
	if (json_find(&s->doc, 0, "id") >= 0) {
		uint32_t id;
		if (!comp_layer_arg(s, owner, r, &id))
			return;
		comp_layer_damage(s->scene, id, NULL);
	} else {
		for (uint32_t i = 0; i < COMP_LAYERS_MAX; i++)
			if (s->scene->layer[i].used &&
			    s->scene->layer[i].owner == owner)
				comp_layer_damage(s->scene,
						  comp_layer_id(s->scene, i),
						  NULL);
	}
	frame_result(s, r);
}

void comp_srv_init(struct comp_srv *s, struct comp_scene *scene,
		   const struct comp_srv_ops *ops)
{
	memset(s, 0, sizeof(*s));
	s->scene = scene;
	s->ops = *ops;
}

/* Layers of task koid task (0: unknown, not counted: the host tests'
 * and comp_srv_handle's callers). */
static uint32_t task_layers(const struct comp_srv *s, uint64_t task)
{
	uint32_t n = 0;
	for (uint32_t i = 0; task && i < COMP_LAYERS_MAX; i++)
		n += s->scene->layer[i].used && s->scene->layer[i].task == task;
	return n;
}

/* The table is full: the least recently used public layer whose maker
 * has ended goes (docs/graphics.md "Public layers of ended tasks"). */
static uint32_t create_reclaiming(struct comp_srv *s, uint64_t owner)
{
	uint32_t id = comp_layer_create(s->scene, owner);
	if (id || !s->ops.task_gone)
		return id;
	uint32_t old = comp_orphan_pick(s->scene, s->ops.task_gone, s->ops.ctx);
	if (!old)
		return 0;
	unbind_layer(s, old);
	comp_layer_destroy(s->scene, old);
	s->reclaimed++;
	return comp_layer_create(s->scene, owner);
}

static void dispatch(struct comp_srv *s, uint64_t owner, uint32_t nh,
		     struct comp_reply *r)
{
	const struct json_doc *d = &s->doc;
	int cmd = json_find(d, 0, "cmd");
	if (cmd < 0 || json_type_of(d, cmd) != JSON_STRING) {
		fail(r, "BAD_CMD", "cmd: a string is required");
		return;
	}
	uint32_t id;
	if (json_str_eq(d, cmd, "ping")) {
		okf(r, "{\"name\":\"compositord\",\"version\":\"0.1.0\","
		       "\"protocol\":\"ports/v0\"}");
	} else if (json_str_eq(d, cmd, "status")) {
		comp_q_status(s, r);
	} else if (json_str_eq(d, cmd, "connect")) {
		r->connect = true;
		okf(r, "{\"port\":0}");
	} else if (json_str_eq(d, cmd, "output_list")) {
		comp_q_output_list(s, r);
	} else if (json_str_eq(d, cmd, "output_set_mode")) {
		comp_q_set_mode(s, r);
	} else if (json_str_eq(d, cmd, "create_layer")) {
		if (task_layers(s, s->sender) >= COMP_TASK_LAYERS) {
			fail(r, "BUSY", "16 layers exist for this task");
			return;
		}
		id = create_reclaiming(s, owner);
		if (!id) {
			fail(r, "BUSY", "64 layers exist");
			return;
		}
		comp_layer_get(s->scene, id)->task = s->sender;
		snprintf(r->result, sizeof(r->result), "{\"id\":%u}", id);
		r->ok = true;
	} else if (json_str_eq(d, cmd, "destroy_layer")) {
		if (!comp_layer_arg(s, owner, r, &id))
			return;
		unbind_layer(s, id);
		comp_layer_destroy(s->scene, id);
		okf(r, "{}");
	} else if (json_str_eq(d, cmd, "bind_dmabuf")) {
		bind_dmabuf(s, owner, nh, r);
	} else if (json_str_eq(d, cmd, "bind_image")) {
		bind_image(s, owner, r);
	} else if (json_str_eq(d, cmd, "unbind")) {
		if (!comp_layer_arg(s, owner, r, &id))
			return;
		unbind_layer(s, id);
		okf(r, "{}");
	} else if (json_str_eq(d, cmd, "set")) {
		set(s, owner, r);
	} else if (json_str_eq(d, cmd, "set_regs")) {
		set_regs(s, owner, r);
	} else if (json_str_eq(d, cmd, "commit")) {
		commit(s, owner, r);
	} else if (json_str_eq(d, cmd, "damage")) {
		damage(s, owner, r);
	} else if (json_str_eq(d, cmd, "get")) {
		comp_q_get(s, owner, r);
	} else if (json_str_eq(d, cmd, "read_pixel")) {
		comp_q_read_pixel(s, r);
	} else if (json_str_eq(d, cmd, "subscribe")) {
		comp_q_subscribe(s, owner, nh, r);
	} else {
		fail(r, "BAD_CMD", "unknown cmd");
	}
}

void comp_srv_handle(struct comp_srv *s, uint64_t owner, const char *text,
		     size_t len, uint32_t nh, struct comp_reply *r)
{
	comp_srv_handle_from(s, owner, 0, text, len, nh, r);
}

void comp_srv_handle_from(struct comp_srv *s, uint64_t owner, uint64_t sender,
			  const char *text, size_t len, uint32_t nh,
			  struct comp_reply *r)
{
	s->sender = sender;
	memset(r, 0, offsetof(struct comp_reply, result));
	r->result[0] = 0;
	s->requests++;
	if (json_parse(&s->doc, text, len) < 0 ||
	    json_type_of(&s->doc, 0) != JSON_OBJECT)
		fail(r, "BAD_JSON", "not a JSON object");
	else
		dispatch(s, owner, nh, r);
	if (!r->ok)
		s->errors++;
}

int comp_probe_verdict(long r)
{
	if (r == 0 || r == ERR_INVALID_ARGS)
		return 0;
	return r == ERR_NOT_FOUND ? COMP_OPS_SMALL : COMP_OPS_ARG;
}

uint32_t comp_srv_drop_owner(struct comp_srv *s, uint64_t owner)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < COMP_LAYERS_MAX; i++) {
		if (!s->scene->layer[i].used ||
		    s->scene->layer[i].owner != owner)
			continue;
		uint32_t id = comp_layer_id(s->scene, i);
		unbind_layer(s, id);
		comp_layer_destroy(s->scene, id);
		n++;
	}
	comp_batches_drop_sender(s->scene, owner);
	return n;
}

int comp_srv_regs(struct comp_srv *s, const void *msg, size_t len,
		  uint64_t sender)
{
	struct comp_regs_msg m;
	if (len < sizeof(m)) {
		s->scene->st.bad_writes++;
		return -1;
	}
	memcpy(&m, msg, sizeof(m));
	if (m.magic != COMP_REGS_MAGIC || m.count > COMP_REGS_MAX ||
	    len != COMP_REGS_MSG_SIZE(m.count)) {
		s->scene->st.bad_writes++;
		return -1;
	}
	/* The message buffer may be unaligned for doubles: copy out. */
	static _Alignas(8) uint8_t b[COMP_REGS_MSG_SIZE(COMP_REGS_MAX)];
	memcpy(b, msg, len);
	return comp_batch_queue(s->scene, (const struct comp_regs_msg *)b,
				sender);
}
