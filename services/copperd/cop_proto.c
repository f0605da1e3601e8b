/* cop_proto: copperd's requests, sessions and events (cop_proto.h). */
#include "cop_proto.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define EV_IRQ	 1u
#define EV_STATE 2u

static const char *const state_names[] = {"stopped", "running", "error"};

void cop_srv_init(struct cop_srv *s, const struct cop_plat *plat)
{
	memset(s, 0, sizeof(*s));
	cop_eng_init(&s->eng);
	s->plat = plat;
	s->next_session = 1;
}

static void fail(struct cop_reply *r, const char *code, const char *fmt, ...)
{
	r->ok = false;
	snprintf(r->code, sizeof(r->code), "%s", code);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
}

static int index_arg(const struct json_doc *d, const char *key, uint32_t nh,
		     uint32_t *out)
{
	uint64_t i;
	if (json_get_uint(d, key, &i) < 0 || i >= nh)
		return -1;
	*out = (uint32_t)i;
	return 0;
}

/* The program named by "id", visible from badge: a session's own
 * programs and the public ones (loaded on the public endpoint). */
static struct cop_slot *prog_arg(struct cop_srv *s, uint64_t badge,
				 struct cop_reply *r)
{
	uint64_t id;
	if (json_get_uint(&s->doc, "id", &id) < 0 || id > UINT32_MAX) {
		fail(r, "BAD_ARG", "id: a program id");
		return NULL;
	}
	struct cop_slot *sl = cop_eng_find(&s->eng, (uint32_t)id);
	if (!sl || (sl->owner && sl->owner != badge)) {
		fail(r, "NOT_FOUND", "no program %llu", (unsigned long long)id);
		return NULL;
	}
	return sl;
}

static void load(struct cop_srv *s, uint64_t badge, uint32_t *h, uint32_t nh,
		 struct cop_reply *r)
{
	const struct json_doc *d = &s->doc;
	char err[120];
	struct cop_mask m;
	cop_mask_all(&m);
	int t = json_find(d, 0, "mask");
	if (t >= 0 && cop_mask_parse(d, t, &m, err, sizeof(err)) < 0) {
		fail(r, "BAD_ARG", "%s", err);
		return;
	}
	struct cop_prog *p = NULL;
	int tp = json_find(d, 0, "program"), tb = json_find(d, 0, "binary");
	if ((tp >= 0) == (tb >= 0)) {
		fail(r, "BAD_ARG", "load needs one of program or binary");
		return;
	}
	if (tp >= 0) {
		p = cop_prog_from_json(d, tp, &m, err, sizeof(err));
	} else if (json_type_of(d, tb) == JSON_STRING) {
		long n = cop_hex_decode(
			d->js + d->tok[tb].start,
			(size_t)(d->tok[tb].end - d->tok[tb].start), s->words,
			COP_MAX_OPS, err, sizeof(err));
		if (n >= 0)
			p = cop_prog_from_words(s->words, (size_t)n, &m, err,
						sizeof(err));
	} else {
		/* A memory object attached: "binary":<index>, "count":N
		 * little-endian 64-bit ops at offset 0. */
		uint32_t hi;
		uint64_t n;
		if (index_arg(d, "binary", nh, &hi) < 0 ||
		    json_get_uint(d, "count", &n) < 0) {
			fail(r, "BAD_ARG",
			     "binary: a hex string, or a handle index with "
			     "count");
			return;
		}
		if (n > COP_MAX_OPS) {
			fail(r, "BAD_ARG", "op %d: too many ops (at most %d)",
			     COP_MAX_OPS, COP_MAX_OPS);
			return;
		}
		if (n && s->plat->read_vmo(s->plat->ctx, h[hi], s->words,
					   n * 8) < 0) {
			fail(r, "BAD_ARG",
			     "binary: handle %u is not a memory object of "
			     "%llu bytes",
			     hi, (unsigned long long)(n * 8));
			return;
		}
		p = cop_prog_from_words(s->words, (size_t)n, &m, err,
					sizeof(err));
	}
	if (!p) {
		s->load_errors++;
		fail(r, strstr(err, "out of memory") ? "NO_MEMORY" : "BAD_ARG",
		     "%s", err);
		return;
	}
	cop_eng_reap(&s->eng);
	long id = cop_eng_add(&s->eng, p, badge);
	if (id < 0) {
		cop_prog_free(p);
		fail(r, "BUSY", "%d programs loaded already", COP_MAX_PROGS);
		return;
	}
	s->loads++;
	snprintf(r->result, sizeof(r->result), "{\"id\":%ld,\"ops\":%u}", id,
		 p->nops);
}

static const char *const event_names[] = {"irq", "state"};

static void subscribe(struct cop_srv *s, uint64_t badge, uint32_t *h,
		      uint32_t nh, struct cop_reply *r)
{
	const struct json_doc *d = &s->doc;
	int ev = json_find(d, 0, "events");
	uint32_t port = 0, mask = 0;
	int t = json_find(d, 0, "port");
	if ((t >= 0 && index_arg(d, "port", nh, &port) < 0) || port >= nh) {
		fail(r, "BAD_ARG", "port: the index of a send handle attached");
		return;
	}
	if (json_type_of(d, ev) != JSON_ARRAY || d->tok[ev].size < 1) {
		fail(r, "BAD_ARG", "events: [\"irq\",\"state\"]");
		return;
	}
	int e = ev + 1;
	for (int i = 0; i < d->tok[ev].size; i++, e = json_next(d, e)) {
		uint32_t bit = 0;
		for (unsigned k = 0; k < 2; k++)
			if (json_str_eq(d, e, event_names[k]))
				bit = 1u << k;
		if (!bit) {
			fail(r, "BAD_ARG", "events.%d: not irq or state", i);
			return;
		}
		mask |= bit;
	}
	for (unsigned i = 0; i < COP_MAX_SUBS; i++) {
		if (s->subs[i].h)
			continue;
		s->subs[i].h = h[port];
		s->subs[i].events = mask;
		s->subs[i].owner = badge;
		h[port] = 0;
		s->nsubs++;
		return;
	}
	fail(r, "BUSY", "%d subscribers already", COP_MAX_SUBS);
}

static void status(struct cop_srv *s, struct cop_reply *r)
{
	struct cop_live lv = {.sched = "?", .late_writes = -1};
	s->plat->live(s->plat->ctx, &lv);
	struct cop_counts n;
	cop_eng_counts(&s->eng, &n);
	cop_eng_reap(&s->eng);
	char *o = r->result;
	size_t cap = sizeof(r->result);
	int k = snprintf(
		o, cap,
		"{\"name\":\"copperd\",\"sched\":\"%s\",\"hz\":%u,"
		"\"period_ns\":%llu,\"frame\":%llu,\"jobs\":%llu,"
		"\"deadlines_met\":%llu,\"deadlines_missed\":%llu,"
		"\"last_job_ns\":%llu,\"max_job_ns\":%llu,"
		"\"max_late_ns\":%llu,\"late_jobs\":%llu,"
		"\"ops\":%llu,\"writes\":%llu,\"batches\":%llu,"
		"\"deferred_writes\":%llu,\"dropped_writes\":%llu,"
		"\"dropped_batches\":%llu,\"late_writes\":%lld,"
		"\"compositord\":%s,\"reconnects\":%llu,\"irqs\":%llu,"
		"\"watchdog_stops\":%llu,\"events_sent\":%llu,"
		"\"events_dropped\":%llu,\"subscribers\":%u,"
		"\"sessions\":%u,\"requests\":%llu,\"errors\":%llu,"
		"\"loads\":%llu,\"load_errors\":%llu,\"programs\":[",
		lv.sched, lv.hz, (unsigned long long)lv.period_ns,
		(unsigned long long)lv.frame, (unsigned long long)n.jobs,
		(unsigned long long)lv.dl_met, (unsigned long long)lv.dl_missed,
		(unsigned long long)lv.last_job_ns,
		(unsigned long long)lv.max_job_ns,
		(unsigned long long)lv.max_late_ns,
		(unsigned long long)lv.late_jobs, (unsigned long long)n.ops,
		(unsigned long long)n.writes, (unsigned long long)lv.batches,
		(unsigned long long)n.deferred,
		(unsigned long long)lv.dropped_writes,
		(unsigned long long)lv.dropped_batches,
		(long long)lv.late_writes, lv.comp_connected ? "true" : "false",
		(unsigned long long)lv.reconnects, (unsigned long long)n.irqs,
		(unsigned long long)n.watchdogs,
		(unsigned long long)s->events_sent,
		(unsigned long long)(s->events_dropped + n.ev_lost), s->nsubs,
		s->sessions, (unsigned long long)s->requests,
		(unsigned long long)s->errors, (unsigned long long)s->loads,
		(unsigned long long)s->load_errors);
	bool first = true;
	for (unsigned i = 0; i < COP_MAX_PROGS && k > 0 && (size_t)k < cap;
	     i++) {
		const struct cop_slot *sl = &s->eng.slot[i];
		if (!sl->used || __atomic_load_n(&sl->want, __ATOMIC_RELAXED) ==
					 COP_W_UNLOAD)
			continue;
		k += snprintf(o + k, cap - (size_t)k,
			      "%s{\"id\":%u,\"state\":\"%s\",\"ops\":%u,"
			      "\"ops_run\":%llu,\"session\":%llu}",
			      first ? "" : ",", sl->id,
			      state_names[cop_eng_state(sl)], sl->prog->nops,
			      (unsigned long long)__atomic_load_n(
				      &sl->ops_run, __ATOMIC_RELAXED),
			      (unsigned long long)sl->owner);
		first = false;
	}
	if (k > 0 && (size_t)k < cap)
		k += snprintf(o + k, cap - (size_t)k, "]}");
	if (k < 0 || (size_t)k >= cap)
		fail(r, "INTERNAL", "status too long");
}

void cop_srv_request(struct cop_srv *s, uint64_t badge, const char *text,
		     size_t len, uint32_t *h, uint32_t nh, struct cop_reply *r)
{
	struct json_doc *d = &s->doc;
	memset(r, 0, sizeof(*r));
	r->ok = true;
	strcpy(r->result, "{}");
	s->requests++;
	if (json_parse(d, text, len) < 0 || json_type_of(d, 0) != JSON_OBJECT) {
		fail(r, "BAD_JSON", "not a JSON object");
		goto out;
	}
	int cmd = json_find(d, 0, "cmd");
	if (json_type_of(d, cmd) != JSON_STRING) {
		fail(r, "BAD_CMD", "no cmd string");
	} else if (json_str_eq(d, cmd, "ping")) {
		snprintf(r->result, sizeof(r->result),
			 "{\"name\":\"copperd\",\"version\":\"%s\","
			 "\"protocol\":\"ports/v0\"}",
			 COP_VERSION);
	} else if (json_str_eq(d, cmd, "status")) {
		status(s, r);
	} else if (json_str_eq(d, cmd, "connect")) {
		uint32_t sh;
		if (s->sessions >= COP_MAX_SESSIONS) {
			fail(r, "BUSY", "%d sessions already",
			     COP_MAX_SESSIONS);
		} else if (s->plat->mint(s->plat->ctx, s->next_session, &sh) <
			   0) {
			fail(r, "NO_MEMORY", "cannot make a session endpoint");
		} else {
			s->next_session++;
			s->sessions++;
			r->handle = sh;
			strcpy(r->result, "{\"port\":0}");
		}
	} else if (json_str_eq(d, cmd, "load")) {
		load(s, badge, h, nh, r);
	} else if (json_str_eq(d, cmd, "start") ||
		   json_str_eq(d, cmd, "stop") ||
		   json_str_eq(d, cmd, "unload")) {
		struct cop_slot *sl = prog_arg(s, badge, r);
		if (sl) {
			if (json_str_eq(d, cmd, "start"))
				cop_eng_start(sl);
			else if (json_str_eq(d, cmd, "stop"))
				cop_eng_stop(sl);
			else
				cop_eng_unload(sl);
			snprintf(r->result, sizeof(r->result), "{\"id\":%u}",
				 sl->id);
		}
	} else if (json_str_eq(d, cmd, "subscribe")) {
		subscribe(s, badge, h, nh, r);
	} else {
		fail(r, "BAD_CMD", "unknown cmd");
	}
out:
	if (!r->ok)
		s->errors++;
}

static void drop_sub(struct cop_srv *s, struct cop_sub *sub)
{
	s->plat->close(s->plat->ctx, sub->h);
	memset(sub, 0, sizeof(*sub));
	s->nsubs--;
}

void cop_srv_session_gone(struct cop_srv *s, uint64_t badge)
{
	if (!badge)
		return;
	cop_eng_drop_owner(&s->eng, badge);
	for (unsigned i = 0; i < COP_MAX_SUBS; i++)
		if (s->subs[i].h && s->subs[i].owner == badge)
			drop_sub(s, &s->subs[i]);
	if (s->sessions)
		s->sessions--;
}

static void broadcast(struct cop_srv *s, uint32_t bit, const char *js, int n)
{
	for (unsigned i = 0; i < COP_MAX_SUBS; i++) {
		struct cop_sub *sub = &s->subs[i];
		if (!sub->h || !(sub->events & bit))
			continue;
		int rc = s->plat->send(s->plat->ctx, sub->h, js, (uint32_t)n);
		if (rc == COP_SEND_OK)
			s->events_sent++;
		else if (rc == COP_SEND_FULL)
			s->events_dropped++;
		else
			drop_sub(s, sub);
	}
}

void cop_srv_poll(struct cop_srv *s)
{
	struct cop_event ev;
	char js[160];
	while (cop_eng_next_event(&s->eng, &ev)) {
		int n;
		uint32_t bit;
		if (ev.type == COP_EV_IRQ) {
			struct json_w w;
			json_w_init(&w, js, sizeof(js));
			json_w_obj(&w);
			json_w_key(&w, "event");
			json_w_str(&w, "irq");
			json_w_key(&w, "id");
			json_w_uint(&w, ev.id);
			json_w_key(&w, "tag");
			json_w_str(&w, ev.tag);
			json_w_key(&w, "usec");
			json_w_uint(&w, ev.usec);
			json_w_end(&w);
			n = json_w_finish(&w);
			bit = EV_IRQ;
		} else {
			n = snprintf(js, sizeof(js),
				     "{\"event\":\"state\",\"id\":%u,\"value\":"
				     "\"%s\",\"usec\":%llu%s}",
				     ev.id, state_names[ev.state % 3],
				     (unsigned long long)ev.usec,
				     ev.state == COP_ERROR
					     ? ",\"reason\":\"watchdog\""
					     : "");
			bit = EV_STATE;
		}
		if (n > 0 && (size_t)n < sizeof(js))
			broadcast(s, bit, js, n);
	}
	cop_eng_reap(&s->eng);
}

void cop_srv_fini(struct cop_srv *s)
{
	for (unsigned i = 0; i < COP_MAX_SUBS; i++)
		if (s->subs[i].h)
			drop_sub(s, &s->subs[i]);
	cop_eng_fini(&s->eng);
}
