/* comp_query: compositord's output, event and read-only requests
 * (subscribe, output_list, output_set_mode, get, read_pixel, status),
 * split from comp_srv.c, which dispatches them. Pure. */
#include <stdio.h>
#include <string.h>

#include "comp_regs.h"
#include "comp_srv_int.h"

uint32_t comp_event_bit(const char *name, size_t len)
{
	static const char *const names[] = {"vsync", "pageflip", "hotplug",
					    "error"};
	for (uint32_t i = 0; i < 4; i++)
		if (strlen(names[i]) == len && !memcmp(names[i], name, len))
			return 1u << i;
	return 0;
}

void comp_q_subscribe(struct comp_srv *s, uint64_t owner, uint32_t nh,
		      struct comp_reply *r)
{
	const struct json_doc *d = &s->doc;
	int ev = json_find(d, 0, "events");
	if (ev < 0 || json_type_of(d, ev) != JSON_ARRAY ||
	    d->tok[ev].size < 1) {
		fail(r, "BAD_ARG", "events: a non-empty array");
		return;
	}
	uint32_t mask = 0;
	for (int i = 0; i < d->tok[ev].size; i++) {
		int t = json_index(d, ev, i);
		char name[16];
		int n = json_type_of(d, t) == JSON_STRING
				? json_str(d, t, name, sizeof(name))
				: -1;
		uint32_t b = n > 0 ? comp_event_bit(name, (size_t)n) : 0;
		if (!b) {
			fail(r, "BAD_ARG",
			     "events: vsync, pageflip, hotplug, error");
			return;
		}
		mask |= b;
	}
	uint32_t port = 0;
	if (json_find(d, 0, "port") >= 0 &&
	    comp_get_u32(d, "port", 0, 255, &port) < 0) {
		fail(r, "BAD_ARG", "port: a handle index");
		return;
	}
	if (port >= nh) {
		fail(r, "BAD_ARG", "a send handle must be attached (port)");
		return;
	}
	int e = s->ops.subscribe(s->ops.ctx, owner, port, mask);
	if (e < 0) {
		fail(r, ops_code(e),
		     e == COMP_OPS_BUSY ? "too many subscribers (16, 4 a task)"
					: "bad port handle");
		return;
	}
	okf(r, "{}");
}

void comp_q_output_list(struct comp_srv *s, struct comp_reply *r)
{
	char outs[COMP_RESULT_MAX - 32];
	if (s->ops.outputs(s->ops.ctx, outs, sizeof(outs)) < 0) {
		fail(r, "INTERNAL", "outputs do not fit");
		return;
	}
	snprintf(r->result, sizeof(r->result), "{\"outputs\":[%s]}", outs);
	r->ok = true;
}

void comp_q_set_mode(struct comp_srv *s, struct comp_reply *r)
{
	const struct json_doc *d = &s->doc;
	uint32_t id, w, h, hz = 60;
	int m = json_find(d, 0, "mode");
	uint64_t v[3] = {0, 0, 60};
	static const char *const k[3] = {"w", "h", "hz"};
	if (comp_get_u32(d, "id", 0, 255, &id) < 0 || m < 0 ||
	    json_type_of(d, m) != JSON_OBJECT) {
		fail(r, "BAD_ARG", "id and mode:{w,h,hz} are required");
		return;
	}
	for (int i = 0; i < 3; i++) {
		int t = json_find(d, m, k[i]);
		if ((t < 0 && i < 2) ||
		    (t >= 0 && (json_uint(d, t, &v[i]) < 0 || v[i] == 0 ||
				v[i] > COMP_DIM_MAX))) {
			fail(r, "BAD_ARG", "mode: {w,h,hz} positive integers");
			return;
		}
	}
	w = (uint32_t)v[0];
	h = (uint32_t)v[1];
	hz = (uint32_t)v[2];
	int e = s->ops.set_mode(s->ops.ctx, id, w, h, hz);
	if (e < 0) {
		fail(r, e == COMP_OPS_ARG ? "NOT_FOUND" : ops_code(e),
		     "no such output or mode");
		return;
	}
	okf(r, "{}");
}

/* get {id} (extension): a layer's registers as latched (current) and
 * as written (pending), its content and screen box. */
void comp_q_get(struct comp_srv *s, uint64_t owner, struct comp_reply *r)
{
	uint32_t id;
	struct comp_layer *l = comp_layer_arg(s, owner, r, &id);
	if (!l)
		return;
	size_t n = (size_t)snprintf(r->result, sizeof(r->result), "{\"id\":%u",
				    id);
	for (int set = 0; set < 2; set++) {
		const double *v = set ? l->pend : l->cur;
		n += (size_t)snprintf(r->result + n, sizeof(r->result) - n,
				      ",\"%s\":{", set ? "pending" : "current");
		for (uint32_t reg = 0; reg < COMP_REG_COUNT; reg++)
			n += (size_t)snprintf(r->result + n,
					      sizeof(r->result) - n,
					      "%s\"%s\":%.17g", reg ? "," : "",
					      comp_reg_name(reg), v[reg]);
		n += (size_t)snprintf(r->result + n, sizeof(r->result) - n,
				      "}");
	}
	snprintf(r->result + n, sizeof(r->result) - n,
		 ",\"w\":%u,\"h\":%u,\"format\":\"%s\",\"shown\":%s,"
		 "\"box\":{\"x\":%d,\"y\":%d,\"w\":%d,\"h\":%d}}",
		 l->w, l->h,
		 l->fmt == COMP_FMT_RGBA8   ? "RGBA8"
		 : l->fmt == COMP_FMT_BGRA8 ? "BGRA8"
					    : "none",
		 l->shown ? "true" : "false", l->box.x, l->box.y, l->box.w,
		 l->box.h);
	r->ok = true;
}

/* read_pixel {x, y} (extension, for tests without a screen): the
 * output's pixel as last composed. */
void comp_q_read_pixel(struct comp_srv *s, struct comp_reply *r)
{
	uint32_t x, y, v;
	if (comp_get_u32(&s->doc, "x", 0, COMP_DIM_MAX, &x) < 0 ||
	    comp_get_u32(&s->doc, "y", 0, COMP_DIM_MAX, &y) < 0) {
		fail(r, "BAD_ARG", "x, y: pixel coordinates");
		return;
	}
	if (!s->ops.pixel || s->ops.pixel(s->ops.ctx, x, y, &v) < 0) {
		fail(r, "BAD_ARG", "outside the output, or nothing composed");
		return;
	}
	snprintf(r->result, sizeof(r->result),
		 "{\"r\":%u,\"g\":%u,\"b\":%u,\"frame\":%llu}",
		 (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff,
		 (unsigned long long)s->scene->frame);
	r->ok = true;
}

void comp_q_status(struct comp_srv *s, struct comp_reply *r)
{
	const struct comp_stats *st = &s->scene->st;
	char plat[1800] = "";
	if (s->ops.status)
		s->ops.status(s->ops.ctx, plat, sizeof(plat));
	snprintf(r->result, sizeof(r->result),
		 "{\"frame\":%llu,\"frames\":%llu,\"layers\":%u,"
		 "\"composed_pixels\":%llu,\"damage_rects\":%llu,"
		 "\"late_writes\":%llu,\"latched_batches\":%llu,"
		 "\"bad_writes\":%llu,\"batches_dropped\":%llu,"
		 "\"requests\":%llu,\"errors\":%llu,\"reclaimed\":%llu%s%s}",
		 (unsigned long long)s->scene->frame,
		 (unsigned long long)st->frames, comp_layer_count(s->scene),
		 (unsigned long long)st->composed_pixels,
		 (unsigned long long)st->damage_rects,
		 (unsigned long long)st->late_writes,
		 (unsigned long long)st->latched_batches,
		 (unsigned long long)st->bad_writes,
		 (unsigned long long)st->batches_dropped,
		 (unsigned long long)s->requests, (unsigned long long)s->errors,
		 (unsigned long long)s->reclaimed, plat[0] ? "," : "", plat);
	r->ok = true;
}
