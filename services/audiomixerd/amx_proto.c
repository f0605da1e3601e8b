/* amx_proto: see amx_proto.h. Arguments of create_node are read from
 * "args" ({"cmd":"create_node","type":"tone","args":{"freq":440}}) or,
 * for a flat request, from the top level. */
#include "amx_proto.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amx_wav.h"

static void fail(struct amx_reply *r, const char *code, const char *msg)
{
	r->ok = false;
	snprintf(r->code, sizeof(r->code), "%s", code);
	snprintf(r->message, sizeof(r->message), "%s", msg);
}

static void fail_amx(struct amx_reply *r, int e, const char *msg)
{
	const char *code = e == AMX_E_NOTFOUND ? "NOT_FOUND"
			   : e == AMX_E_NOMEM  ? "NO_MEMORY"
			   : e == AMX_E_BUSY   ? "BUSY"
			   : e == AMX_E_DENIED ? "DENIED"
			   : e == AMX_E_BADARG ? "BAD_ARG"
					       : "INTERNAL";
	fail(r, code, msg);
}

__attribute__((format(printf, 2, 3))) static void ok(struct amx_reply *r,
						     const char *fmt, ...)
{
	r->ok = true;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->result, sizeof(r->result), fmt, ap);
	va_end(ap);
}

int amx_init(struct amx_state *s, const struct amx_ops *ops)
{
	memset(s, 0, sizeof(*s));
	s->ops = *ops;
	return amx_graph_init(&s->g);
}

static struct amx_ops *unmap_ops; /* for amx_fini's callback */
static void unmap_node(struct amx_node *n)
{
	if (unmap_ops && unmap_ops->unmap)
		unmap_ops->unmap(unmap_ops->ctx, n->u.app.map,
				 n->u.app.map_len);
}

void amx_fini(struct amx_state *s)
{
	unmap_ops = &s->ops;
	amx_graph_fini(&s->g, unmap_node);
	unmap_ops = NULL;
}

/* The token of argument key: args.key, else key. */
static int arg(const struct json_doc *d, const char *key)
{
	char path[48];
	snprintf(path, sizeof(path), "args.%s", key);
	int t = json_find(d, 0, path);
	return t >= 0 ? t : json_find(d, 0, key);
}

/* A JSON number (fractions allowed) in [lo, hi]. */
static bool num(const struct json_doc *d, const char *key, double lo, double hi,
		double *out)
{
	int t = arg(d, key);
	if (t < 0 || json_type_of(d, t) != JSON_NUMBER)
		return false;
	char tmp[40];
	int n = d->tok[t].end - d->tok[t].start;
	if (n <= 0 || n >= (int)sizeof(tmp))
		return false;
	memcpy(tmp, d->js + d->tok[t].start, (size_t)n);
	tmp[n] = 0;
	char *end;
	double v = strtod(tmp, &end);
	if (*end || !(v >= lo && v <= hi))
		return false;
	*out = v;
	return true;
}

static bool uint_arg(const struct json_doc *d, const char *key, uint64_t lo,
		     uint64_t hi, uint32_t *out)
{
	int t = arg(d, key);
	uint64_t v;
	if (t < 0 || json_uint(d, t, &v) < 0 || v < lo || v > hi)
		return false;
	*out = (uint32_t)v;
	return true;
}

static void locked_add(struct amx_state *s, struct amx_node *n,
		       struct amx_reply *r)
{
	if (s->ops.lock)
		s->ops.lock(s->ops.ctx);
	int id = amx_graph_add(&s->g, n);
	if (s->ops.unlock)
		s->ops.unlock(s->ops.ctx);
	if (id < 0) {
		if (n->type == AMX_APP && s->ops.unmap)
			s->ops.unmap(s->ops.ctx, n->u.app.map,
				     n->u.app.map_len);
		amx_node_free(n);
		fail(r, "BUSY", "too many nodes");
		return;
	}
	if (n->type == AMX_FILE) /* play(1) waits this long */
		ok(r, "{\"id\":%d,\"frames\":%llu}", id,
		   (unsigned long long)n->u.file.frames);
	else
		ok(r, "{\"id\":%d}", id);
}

static struct amx_node *make_file(struct amx_state *s, struct amx_reply *r)
{
	char path[256], err[128];
	int t = arg(&s->doc, "path");
	if (t < 0 || json_str(&s->doc, t, path, sizeof(path)) <= 0) {
		fail(r, "BAD_ARG", "file_source: path (a string)");
		return NULL;
	}
	size_t len = 0;
	void *buf = s->ops.read_file ? s->ops.read_file(s->ops.ctx, path, &len,
							err, sizeof(err))
				     : NULL;
	if (!buf) {
		char m[200];
		snprintf(m, sizeof(m), "file_source %.100s: %.80s", path,
			 s->ops.read_file ? err : "no file access");
		fail(r, "NOT_FOUND", m);
		return NULL;
	}
	struct amx_wav w;
	uint64_t frames = 0;
	float *pcm = NULL;
	if (amx_wav_parse(buf, len, &w, err, sizeof(err)) == 0)
		pcm = amx_wav_decode(&w, &frames, err, sizeof(err));
	free(buf);
	if (!pcm) {
		char m[200];
		snprintf(m, sizeof(m), "file_source %.100s: %.80s", path, err);
		fail(r, "BAD_ARG", m);
		return NULL;
	}
	struct amx_node *n = amx_node_file(pcm, frames);
	if (!n)
		fail(r, "NO_MEMORY", "out of memory");
	return n;
}

static struct amx_node *make_app(struct amx_state *s, uint32_t nh,
				 struct amx_reply *r)
{
	uint32_t fd, frames, ch, rate;
	int t = arg(&s->doc, "fd");
	if (t < 0)
		t = arg(&s->doc, "memfd");
	uint64_t v;
	if (t < 0 || json_uint(&s->doc, t, &v) < 0 || v >= nh) {
		fail(r, "BAD_ARG",
		     "app_source: fd (index of an attached grant)");
		return NULL;
	}
	fd = (uint32_t)v;
	if (!uint_arg(&s->doc, "frames", 64, 1u << 20, &frames) ||
	    !uint_arg(&s->doc, "channels", 1, 2, &ch) ||
	    !uint_arg(&s->doc, "rate", AMX_RS_RATE_MIN, AMX_RS_RATE_MAX,
		      &rate)) {
		fail(r, "BAD_ARG",
		     "app_source: frames 64..1048576, channels 1..2, rate "
		     "8000..192000");
		return NULL;
	}
	uint64_t len = 0;
	void *map = s->ops.map_grant ? s->ops.map_grant(s->ops.ctx, fd, &len)
				     : NULL;
	if (!map) {
		fail(r, "BAD_ARG", "app_source: fd is not a mappable grant");
		return NULL;
	}
	int e;
	struct amx_node *n = amx_node_app(map, len, frames, ch, rate, &e);
	if (!n) {
		if (s->ops.unmap)
			s->ops.unmap(s->ops.ctx, map, len);
		if (e == AMX_E_BADARG)
			fail(r, "BAD_ARG",
			     "app_source: grant too small for the ring, or "
			     "no ring magic");
		else
			fail(r, "NO_MEMORY", "out of memory");
	}
	return n;
}

static void create_node(struct amx_state *s, uint32_t nh, struct amx_reply *r)
{
	char type[24];
	if (json_get_str(&s->doc, "type", type, sizeof(type)) < 0) {
		fail(r, "BAD_ARG", "create_node: type (a string)");
		return;
	}
	struct amx_node *n = NULL;
	double f, db = 0;
	uint32_t rate;
	if (!strcmp(type, "tone")) {
		if (!num(&s->doc, "freq", 1, 23999, &f) ||
		    (arg(&s->doc, "db") >= 0 &&
		     !num(&s->doc, "db", -120, 0, &db))) {
			fail(r, "BAD_ARG",
			     "tone: freq 1..23999 Hz, db -120..0");
			return;
		}
		n = amx_node_tone((float)f, (float)db);
	} else if (!strcmp(type, "gain")) {
		if (!num(&s->doc, "db", -120, 24, &db)) {
			fail(r, "BAD_ARG", "gain: db -120..24");
			return;
		}
		n = amx_node_gain((float)db);
	} else if (!strcmp(type, "resample")) {
		if (!uint_arg(&s->doc, "rate", AMX_RS_RATE_MIN, AMX_RS_RATE_MAX,
			      &rate)) {
			fail(r, "BAD_ARG", "resample: bad rate (8000..192000)");
			return;
		}
		n = amx_node_resample(rate);
	} else if (!strcmp(type, "mixer")) {
		n = amx_node_mixer();
	} else if (!strcmp(type, "device_sink")) {
		n = amx_node_sink();
	} else if (!strcmp(type, "file_source")) {
		if (!(n = make_file(s, r)))
			return;
	} else if (!strcmp(type, "app_source")) {
		if (!(n = make_app(s, nh, r)))
			return;
	} else {
		fail(r, "BAD_ARG", "unknown node type");
		return;
	}
	if (!n) {
		fail(r, "NO_MEMORY", "out of memory");
		return;
	}
	locked_add(s, n, r);
}

static void edge(struct amx_state *s, bool connect, struct amx_reply *r)
{
	uint32_t from, to;
	if (!uint_arg(&s->doc, "from", 1, UINT32_MAX, &from) ||
	    !uint_arg(&s->doc, "to", 1, UINT32_MAX, &to)) {
		fail(r, "BAD_ARG", "from, to: node ids");
		return;
	}
	if (s->ops.lock)
		s->ops.lock(s->ops.ctx);
	int e = connect ? amx_graph_connect(&s->g, from, to)
			: amx_graph_disconnect(&s->g, from, to);
	if (s->ops.unlock)
		s->ops.unlock(s->ops.ctx);
	if (e == AMX_E_NOTFOUND)
		fail(r, "NOT_FOUND",
		     connect ? "no such node" : "no such node or edge");
	else if (e < 0)
		fail(r, "BAD_ARG",
		     "refused: a cycle, a source as target, a sink as "
		     "source, too many inputs or already connected");
	else
		ok(r, "{}");
}

static void destroy(struct amx_state *s, struct amx_reply *r)
{
	uint32_t id;
	if (!uint_arg(&s->doc, "id", 1, UINT32_MAX, &id)) {
		fail(r, "BAD_ARG", "id: a node id");
		return;
	}
	if (s->ops.lock)
		s->ops.lock(s->ops.ctx);
	struct amx_node *n = amx_graph_remove(&s->g, id);
	if (s->ops.unlock)
		s->ops.unlock(s->ops.ctx);
	if (!n) {
		fail(r, "NOT_FOUND", "no such node");
		return;
	}
	if (n->type == AMX_APP && s->ops.unmap)
		s->ops.unmap(s->ops.ctx, n->u.app.map, n->u.app.map_len);
	amx_node_free(n);
	ok(r, "{}");
}

static void device_open(struct amx_state *s, struct amx_reply *r)
{
	struct amx_dev_cfg c = {.rate = AMX_RATE, .channels = 2, .period = 128};
	char name[32] = "default";
	if (json_find(&s->doc, 0, "name") >= 0 &&
	    json_get_str(&s->doc, "name", name, sizeof(name)) < 0) {
		fail(r, "BAD_ARG", "name: a string");
		return;
	}
	if (strcmp(name, "default")) {
		fail(r, "NOT_FOUND", "no such device (only \"default\")");
		return;
	}
	if ((json_find(&s->doc, 0, "rate") >= 0 &&
	     !uint_arg(&s->doc, "rate", AMX_RATE, AMX_RATE, &c.rate))) {
		fail(r, "BAD_ARG", "bad rate (the mixer runs at 48000)");
		return;
	}
	if ((json_find(&s->doc, 0, "channels") >= 0 &&
	     !uint_arg(&s->doc, "channels", 1, 2, &c.channels)) ||
	    (json_find(&s->doc, 0, "period") >= 0 &&
	     (!uint_arg(&s->doc, "period", 64, 256, &c.period) ||
	      (c.period != 64 && c.period != 128 && c.period != 256)))) {
		fail(r, "BAD_ARG", "channels 1..2, period 64, 128 or 256");
		return;
	}
	if (s->running) {
		fail(r, "BUSY", "stop first");
		return;
	}
	strcpy(c.name, name);
	char res[512] = "", err[160] = "no device access";
	int e = s->ops.device_open
			? s->ops.device_open(s->ops.ctx, &c, res, sizeof(res),
					     err, sizeof(err))
			: AMX_E_INTERNAL;
	if (e < 0) {
		fail_amx(r, e, err);
		return;
	}
	s->dev = c;
	s->device_open = true;
	ok(r, "{\"rate\":%u,\"channels\":%u,\"period\":%u%s%s}", c.rate,
	   c.channels, c.period, res[0] ? "," : "", res);
}

static void start(struct amx_state *s, struct amx_reply *r)
{
	if (!s->device_open) {
		fail(r, "BAD_ARG", "device_open first");
		return;
	}
	if (s->running) {
		ok(r, "{\"state\":\"running\"}");
		return;
	}
	char err[160] = "no period thread";
	int e = s->ops.start ? s->ops.start(s->ops.ctx, err, sizeof(err))
			     : AMX_E_INTERNAL;
	if (e < 0) {
		fail_amx(r, e, err);
		return;
	}
	s->running = true;
	ok(r, "{\"state\":\"running\"}");
}

static void position(struct amx_state *s, struct amx_reply *r)
{
	if (!s->running) {
		fail(r, "BAD_ARG", "not running");
		return;
	}
	char res[256] = "", err[160] = "no device";
	int e = s->ops.position ? s->ops.position(s->ops.ctx, res, sizeof(res),
						  err, sizeof(err))
				: AMX_E_INTERNAL;
	if (e < 0)
		fail_amx(r, e, err);
	else
		ok(r, "{%s}", res);
}

static void subscribe(struct amx_state *s, uint32_t nh, struct amx_reply *r)
{
	struct json_doc *d = &s->doc;
	int ev = json_find(d, 0, "events");
	uint32_t port, mask = 0;
	if (json_type_of(d, ev) != JSON_ARRAY || d->tok[ev].size < 1 ||
	    !uint_arg(d, "port", 0, nh ? nh - 1 : 0, &port) || !nh) {
		fail(r, "BAD_ARG", "events: [...], port: handle index");
		return;
	}
	for (int i = 0; i < d->tok[ev].size; i++) {
		int t = json_index(d, ev, i);
		if (json_str_eq(d, t, "xrun"))
			mask |= AMX_EV_XRUN;
		else if (json_str_eq(d, t, "stats"))
			mask |= AMX_EV_STATS;
		else if (json_str_eq(d, t, "state"))
			mask |= AMX_EV_STATE;
		else {
			fail(r, "BAD_ARG",
			     "unknown event (xrun, stats, state)");
			return;
		}
	}
	int e = s->ops.subscribe ? s->ops.subscribe(s->ops.ctx, port, mask)
				 : AMX_E_INTERNAL;
	if (e < 0)
		fail_amx(r, e, "too many subscribers");
	else
		ok(r, "{}");
}

static void status(struct amx_state *s, struct amx_reply *r)
{
	uint32_t nodes = 0;
	for (uint32_t i = 0; i < AMX_MAX_NODES; i++)
		nodes += s->g.nodes[i] != NULL;
	ok(r,
	   "{\"name\":\"audiomixerd\",\"state\":\"%s\",\"device\":%s,"
	   "\"period\":%u,\"nodes\":%u,\"xruns\":%llu,\"notices\":%llu,"
	   "\"periods_written\":%llu,\"cost_max_us\":%llu,"
	   "\"budget_us\":%llu,\"late_max_us\":%llu,\"lead_frames\":%llu,"
	   "\"step_max\":%llu,\"requests\":%llu,\"errors\":%llu}",
	   s->running ? "running" : "stopped",
	   s->device_open ? "true" : "false", s->dev.period, nodes,
	   (unsigned long long)s->xruns, (unsigned long long)s->notices,
	   (unsigned long long)s->periods_written,
	   (unsigned long long)s->cost_max_us, (unsigned long long)s->budget_us,
	   (unsigned long long)s->late_max_us,
	   (unsigned long long)s->lead_frames, (unsigned long long)s->step_max,
	   (unsigned long long)s->requests, (unsigned long long)s->errors);
}

void amx_handle(struct amx_state *s, const char *text, size_t len, uint32_t nh,
		struct amx_reply *r)
{
	memset(r, 0, sizeof(*r));
	s->requests++;
	char cmd[32];
	if (json_parse(&s->doc, text, len) < 0 ||
	    json_type_of(&s->doc, 0) != JSON_OBJECT) {
		fail(r, "BAD_JSON", "not one JSON object");
	} else if (json_get_str(&s->doc, "cmd", cmd, sizeof(cmd)) < 0) {
		fail(r, "BAD_CMD", "no cmd");
	} else if (!strcmp(cmd, "ping")) {
		ok(r, "{\"name\":\"audiomixerd\",\"version\":\"0.1.0\","
		      "\"protocol\":\"ports/v0\"}");
	} else if (!strcmp(cmd, "device_open")) {
		device_open(s, r);
	} else if (!strcmp(cmd, "create_node")) {
		create_node(s, nh, r);
	} else if (!strcmp(cmd, "connect")) {
		edge(s, true, r);
	} else if (!strcmp(cmd, "disconnect")) {
		edge(s, false, r);
	} else if (!strcmp(cmd, "destroy_node")) {
		destroy(s, r);
	} else if (!strcmp(cmd, "start")) {
		start(s, r);
	} else if (!strcmp(cmd, "stop")) {
		if (s->running && s->ops.stop)
			s->ops.stop(s->ops.ctx);
		s->running = false;
		ok(r, "{\"state\":\"stopped\"}");
	} else if (!strcmp(cmd, "subscribe")) {
		subscribe(s, nh, r);
	} else if (!strcmp(cmd, "status")) {
		status(s, r);
	} else if (!strcmp(cmd, "position")) {
		position(s, r);
	} else {
		fail(r, "BAD_CMD", "unknown cmd");
	}
	if (!r->ok)
		s->errors++;
}

int amx_ev_state(char *buf, size_t cap, bool running)
{
	int n = snprintf(buf, cap, "{\"event\":\"state\",\"value\":\"%s\"}",
			 running ? "running" : "stopped");
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

int amx_ev_xrun(char *buf, size_t cap, uint64_t usec, uint32_t node)
{
	int n = snprintf(buf, cap,
			 "{\"event\":\"xrun\",\"type\":\"underrun\",\"usec\":"
			 "%llu,\"node\":%u}",
			 (unsigned long long)usec, node);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

int amx_ev_stats(char *buf, size_t cap, uint32_t cpu_pct, uint32_t period,
		 uint64_t late_us)
{
	int n = snprintf(buf, cap,
			 "{\"event\":\"stats\",\"cpu_pct\":%u,\"period\":%u,"
			 "\"late_us\":%llu}",
			 cpu_pct, period, (unsigned long long)late_us);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}
