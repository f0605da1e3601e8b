/* blit_proto: see blit_proto.h; the parsing and the grants' mappings
 * are blit_parse.c. Every request is parsed and checked in
 * full before a pixel is touched: a bad op anywhere in a batch fails the
 * whole job with BAD_ARG naming the op ("op 2: dst: ..."). */
#include "blit_proto.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "blit_proto_int.h"

#define EV_COMPLETE 1u
#define EV_ERROR    2u

void blit_init(struct blit_svc *s, const struct blit_kern *k,
	       const struct blit_plat *p)
{
	memset(s, 0, sizeof(*s));
	s->k = k;
	s->plat = *p;
	s->next_badge = 1;
	s->next_surface = 1;
	s->next_job = 1;
}

/* ---- events ---- */

static void emit(struct blit_svc *s, unsigned ev, uint64_t owner,
		 const char *text, int len)
{
	if (len <= 0)
		return;
	for (int i = 0; i < BLIT_MAX_SUBS; i++) {
		struct blit_sub *b = &s->subs[i];
		if (!b->h || !(b->mask & ev) || b->owner != owner)
			continue; /* one client's job errors are its own */
		int r = s->plat.send(s->plat.ctx, b->h, text, (uint32_t)len);
		if (r == 0) {
			s->st.events_sent++;
			b->maker_live = false;
		} else if (r > 0) {
			s->st.events_dropped++;
			/* A full queue nobody reads: a public subscription
			 * whose maker has ended goes (its port may live on in
			 * another task). Asked once per run of losses. */
			if (!b->owner && b->sender && !b->maker_live &&
			    s->plat.task_gone) {
				if (s->plat.task_gone(s->plat.ctx, b->sender)) {
					s->plat.close(s->plat.ctx, b->h);
					memset(b, 0, sizeof(*b));
					s->st.subs_reclaimed++;
				} else {
					b->maker_live = true;
				}
			}
		} else { /* the subscriber's port is gone */
			s->plat.close(s->plat.ctx, b->h);
			memset(b, 0, sizeof(*b));
		}
	}
}

static void emit_complete(struct blit_svc *s, uint32_t job, uint64_t owner,
			  uint64_t usec)
{
	char ev[BLIT_EVENT_MAX];
	struct json_w w;
	json_w_init(&w, ev, sizeof(ev));
	json_w_obj(&w);
	json_w_key(&w, "event");
	json_w_str(&w, "complete");
	json_w_key(&w, "job");
	json_w_uint(&w, job);
	json_w_key(&w, "usec");
	json_w_uint(&w, usec);
	json_w_end(&w);
	emit(s, EV_COMPLETE, owner, ev, json_w_finish(&w));
}

static void emit_error(struct blit_svc *s, uint32_t job, uint64_t owner,
		       const char *msg)
{
	char ev[BLIT_EVENT_MAX];
	struct json_w w;
	json_w_init(&w, ev, sizeof(ev));
	json_w_obj(&w);
	json_w_key(&w, "event");
	json_w_str(&w, "error");
	json_w_key(&w, "job");
	json_w_uint(&w, job);
	json_w_key(&w, "message");
	json_w_str(&w, msg);
	json_w_end(&w);
	emit(s, EV_ERROR, owner, ev, json_w_finish(&w));
}

/* ---- jobs ---- */

static void job_release(struct blit_svc *s)
{
	for (unsigned i = 0; i < s->job.nused; i++)
		mem_put(s, s->job.used[i]);
	s->job.nused = 0;
}

static void unbind(struct blit_svc *s, struct blit_bound *b);

/* Any grant of the job revoked by its owner (REVIEW-15 #1): its bound
 * surfaces go, and the job fails. */
static bool job_lost(struct blit_svc *s)
{
	bool lost = false;
	for (unsigned i = 0; i < s->job.nused && s->plat.lost; i++) {
		struct blit_mem *m = s->job.used[i];
		if (!s->plat.lost(s->plat.ctx, m->base))
			continue;
		lost = true;
		for (int k = 0; k < BLIT_MAX_SURFACES; k++)
			if (s->surf[k].id && s->surf[k].mem == m)
				unbind(s, &s->surf[k]);
	}
	return lost;
}

static void run_job(struct blit_svc *s, const char *cmd, const uint32_t *h,
		    uint32_t nh, uint64_t badge, struct blit_ans *a)
{
	struct blit_job *j = &s->job;
	j->id = s->next_job++;
	if (!s->next_job)
		s->next_job = 1;
	j->owner = badge;
	j->n = j->nused = 0;
	int r = !strcmp(cmd, "batch") ? parse_batch(s, h, nh, a)
				      : parse_op(s, 0, cmd, h, nh, a, "");
	if (r == 0 && j->n == 0)
		j->n = 1; /* a single op */
	uint64_t t0 = s->plat.now(s->plat.ctx), pixels = 0;
	for (unsigned i = 0; r == 0 && i < j->n; i++) {
		struct blit_op *o = &j->ops[i];
		int64_t p;
		if (o->type == BLIT_OP_FILL)
			p = (int64_t)blit_fill(s->k, &o->dst, o->r, o->c);
		else if (o->type == BLIT_OP_COPY)
			p = blit_copy(s->k, &o->src, &o->dst, o->r, o->dx,
				      o->dy);
		else
			p = blit_convert(s->k, &o->src, &o->dst);
		if (p < 0) {
			fail(a, "NO_MEMORY",
			     "op %u: no memory for an overlapping copy", i);
			r = -1;
		} else {
			pixels += (uint64_t)p;
		}
	}
	uint64_t ns = s->plat.now(s->plat.ctx) - t0;
	if (r == 0 && job_lost(s)) {
		fail(a, "BAD_ARG", "a grant was revoked during the job");
		r = -1;
	}
	job_release(s);
	if (r < 0) {
		s->st.errors++;
		char msg[200];
		snprintf(msg, sizeof(msg), "%s: %s", a->code, a->message);
		emit_error(s, j->id, badge, msg);
		return;
	}
	s->st.jobs++;
	s->st.ops += j->n;
	s->st.pixels += pixels;
	s->st.last_job_ns = ns;
	snprintf(a->result, sizeof(a->result),
		 "{\"job\":%u,\"ops\":%u,\"pixels\":%llu,\"usec\":%llu}", j->id,
		 j->n, (unsigned long long)pixels,
		 (unsigned long long)(ns / 1000));
	emit_complete(s, j->id, badge, ns / 1000);
}

/* ---- the other commands ---- */

/* Whether the calling task already holds lim of a kind of slot. */
static bool task_full(const struct blit_svc *s, const uint64_t *sender,
		      size_t stride, unsigned n, unsigned lim)
{
	if (!s->sender)
		return false;
	unsigned c = 0;
	for (unsigned i = 0; i < n; i++) {
		const uint64_t *v =
			(const uint64_t *)((const char *)sender + i * stride);
		c += *v == s->sender;
	}
	return c >= lim;
}

static void do_connect(struct blit_svc *s, struct blit_ans *a)
{
	int slot = -1;
	for (int i = 0; i < BLIT_MAX_SESSIONS && slot < 0; i++)
		if (!s->sessions[i])
			slot = i;
	if (slot < 0 || task_full(s, s->session_sender, sizeof(uint64_t),
				  BLIT_MAX_SESSIONS, BLIT_TASK_SESSIONS)) {
		fail(a, "BUSY", "too many sessions (%d, %d per task)",
		     BLIT_MAX_SESSIONS, BLIT_TASK_SESSIONS);
		return;
	}
	uint64_t badge = s->next_badge++;
	uint32_t h;
	if (s->plat.mint(s->plat.ctx, badge, &h) < 0) {
		fail(a, "NO_MEMORY", "cannot make a session endpoint");
		return;
	}
	s->sessions[slot] = badge;
	s->session_sender[slot] = s->sender;
	a->handle = h;
	snprintf(a->result, sizeof(a->result), "{\"port\":0,\"session\":%llu}",
		 (unsigned long long)badge);
}

/* The 16 subscribers are full: closes the oldest public subscription
 * whose maker has ended (as blit_reclaim does for surfaces); false if
 * there is none. Each maker is asked about once. */
static bool reclaim_sub(struct blit_svc *s)
{
	bool live[BLIT_MAX_SUBS] = {0};
	if (!s->plat.task_gone)
		return false;
	for (;;) {
		struct blit_sub *old = NULL;
		for (int i = 0; i < BLIT_MAX_SUBS; i++) {
			struct blit_sub *b = &s->subs[i];
			if (b->h && !b->owner && b->sender && !live[i] &&
			    (!old || b->made_at < old->made_at))
				old = b;
		}
		if (!old)
			return false;
		if (s->plat.task_gone(s->plat.ctx, old->sender)) {
			s->plat.close(s->plat.ctx, old->h);
			memset(old, 0, sizeof(*old));
			s->st.subs_reclaimed++;
			return true;
		}
		uint64_t t = old->sender;
		for (int i = 0; i < BLIT_MAX_SUBS; i++)
			live[i] |= s->subs[i].h && s->subs[i].sender == t;
	}
}

static void do_subscribe(struct blit_svc *s, uint32_t *h, uint32_t nh,
			 uint64_t badge, struct blit_ans *a)
{
	struct json_doc *d = &s->doc;
	int ev = json_find(d, 0, "events");
	int64_t port = 0;
	if (ev < 0 || json_type_of(d, ev) != JSON_ARRAY ||
	    d->tok[ev].size < 1) {
		fail(a, "BAD_ARG", "events: [\"complete\", \"error\"]");
		return;
	}
	if (get_int(s, 0, "port", 0, (int64_t)nh - 1, &port) == -2 ||
	    port >= nh || !h[port]) {
		fail(a, "BAD_ARG",
		     "port: the index of an attached send handle");
		return;
	}
	unsigned mask = 0;
	for (int i = 0; i < d->tok[ev].size; i++) {
		int t = json_index(d, ev, i);
		if (json_str_eq(d, t, "complete"))
			mask |= EV_COMPLETE;
		else if (json_str_eq(d, t, "error"))
			mask |= EV_ERROR;
		else {
			fail(a, "BAD_ARG",
			     "events: only \"complete\" and \"error\"");
			return;
		}
	}
	if (task_full(s, &s->subs[0].sender, sizeof(s->subs[0]), BLIT_MAX_SUBS,
		      BLIT_TASK_SUBS)) {
		fail(a, "BUSY", "too many subscribers of this task (%d)",
		     BLIT_TASK_SUBS);
		return;
	}
	do {
		for (int i = 0; i < BLIT_MAX_SUBS; i++) {
			if (!s->subs[i].h) {
				s->subs[i] = (struct blit_sub){
					h[port],   badge,	   mask,
					s->sender, ++s->use_clock, false};
				h[port] = 0;
				return;
			}
		}
	} while (reclaim_sub(s));
	fail(a, "BUSY", "too many subscribers (%d)", BLIT_MAX_SUBS);
}

static void do_bind(struct blit_svc *s, const uint32_t *h, uint32_t nh,
		    uint64_t badge, struct blit_ans *a)
{
	/* The task's share first: a call refused anyway reclaims nothing. */
	if (task_full(s, &s->surf[0].sender, sizeof(s->surf[0]),
		      BLIT_MAX_SURFACES, BLIT_TASK_SURFACES)) {
		fail(a, "BUSY", "too many surfaces of this task (%d)",
		     BLIT_TASK_SURFACES);
		return;
	}
	struct blit_bound *b = NULL;
	do {
		for (int i = 0; i < BLIT_MAX_SURFACES && !b; i++)
			if (!s->surf[i].id)
				b = &s->surf[i];
	} while (!b && blit_reclaim(s));
	if (!b) {
		fail(a, "BUSY", "too many surfaces (%d)", BLIT_MAX_SURFACES);
		return;
	}
	struct blit_mem *m;
	struct blit_surf sf;
	bool cw;
	if (surf_desc(s, 0, h, nh, &sf, &m, &cw, a, "surface") < 0)
		return;
	uint32_t id = s->next_surface++;
	if (!s->next_surface)
		s->next_surface = 1;
	*b = (struct blit_bound){id,	    badge,	   m, sf, cw,
				 s->sender, ++s->use_clock};
	snprintf(a->result, sizeof(a->result),
		 "{\"surface\":%u,\"writable\":%s}", id,
		 cw && m->writable ? "true" : "false");
}

static void unbind(struct blit_svc *s, struct blit_bound *b)
{
	mem_put(s, b->mem);
	memset(b, 0, sizeof(*b));
}

/* docs/graphics.md "blitterd", Limits: a public surface outlives its
 * maker; only when room is short does the least recently used one whose
 * maker has ended go. Each maker is asked about once, oldest first. */
bool blit_reclaim(struct blit_svc *s)
{
	bool live[BLIT_MAX_SURFACES] = {0};
	if (!s->plat.task_gone)
		return false;
	for (;;) {
		struct blit_bound *old = NULL;
		for (int i = 0; i < BLIT_MAX_SURFACES; i++) {
			struct blit_bound *b = &s->surf[i];
			if (b->id && !b->owner && b->sender && !live[i] &&
			    (!old || b->used_at < old->used_at))
				old = b;
		}
		if (!old)
			return false;
		if (s->plat.task_gone(s->plat.ctx, old->sender)) {
			unbind(s, old);
			s->st.reclaimed++;
			return true;
		}
		uint64_t t = old->sender;
		for (int i = 0; i < BLIT_MAX_SURFACES; i++)
			live[i] |= s->surf[i].id && s->surf[i].sender == t;
	}
}

static void do_unbind(struct blit_svc *s, uint64_t badge, struct blit_ans *a)
{
	int64_t id;
	if (get_int(s, 0, "surface", 1, UINT32_MAX, &id) < 0) {
		fail(a, "BAD_ARG", "surface: a surface id");
		return;
	}
	struct blit_bound *b = bound_find(s, id, badge);
	if (!b) {
		fail(a, "NOT_FOUND", "surface: no surface %lld of this session",
		     (long long)id);
		return;
	}
	unbind(s, b);
}

static void do_status(struct blit_svc *s, struct blit_ans *a)
{
	struct json_w w;
	json_w_init(&w, a->result, sizeof(a->result));
	json_w_obj(&w);
	json_w_key(&w, "kernel");
	json_w_str(&w, s->k->name);
	static const char *const names[] = {
		"requests",  "jobs",	      "ops",	     "pixels",
		"errors",    "bad_requests",  "events_sent", "events_dropped",
		"reclaimed", "subs_reclaimed"};
	const uint64_t v[] = {s->st.requests,	 s->st.jobs,
			      s->st.ops,	 s->st.pixels,
			      s->st.errors,	 s->st.bad_requests,
			      s->st.events_sent, s->st.events_dropped,
			      s->st.reclaimed,	 s->st.subs_reclaimed};
	for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		json_w_key(&w, names[i]);
		json_w_uint(&w, v[i]);
	}
	json_w_key(&w, "last_job_usec");
	json_w_uint(&w, s->st.last_job_ns / 1000);
	json_w_key(&w, "surfaces");
	json_w_uint(&w, blit_nsurfaces(s));
	json_w_key(&w, "mappings");
	json_w_uint(&w, blit_nmems(s));
	json_w_key(&w, "sessions");
	json_w_uint(&w, blit_nsessions(s));
	json_w_key(&w, "subscribers");
	json_w_uint(&w, blit_nsubs(s));
	json_w_end(&w);
	if (json_w_finish(&w) < 0)
		fail(a, "INTERNAL", "status does not fit");
}

void blit_handle(struct blit_svc *s, const char *text, size_t len, uint32_t *h,
		 uint32_t nh, uint64_t badge, struct blit_ans *a)
{
	blit_handle_from(s, text, len, h, nh, badge, 0, a);
}

void blit_handle_from(struct blit_svc *s, const char *text, size_t len,
		      uint32_t *h, uint32_t nh, uint64_t badge, uint64_t sender,
		      struct blit_ans *a)
{
	s->sender = sender;
	memset(a, 0, sizeof(*a));
	a->ok = true;
	strcpy(a->result, "{}");
	s->st.requests++;
	char cmd[24];
	if (json_parse(&s->doc, text, len) < 0 ||
	    json_type_of(&s->doc, 0) != JSON_OBJECT) {
		fail(a, "BAD_JSON", "not a JSON object");
	} else {
		int ct = json_find(&s->doc, 0, "cmd");
		if (ct < 0 || json_type_of(&s->doc, ct) != JSON_STRING)
			fail(a, "BAD_ARG", "cmd: a string");
		else if (json_str(&s->doc, ct, cmd, sizeof(cmd)) < 0)
			fail(a, "BAD_CMD", "unknown cmd");
		else if (!strcmp(cmd, "ping"))
			snprintf(a->result, sizeof(a->result),
				 "{\"name\":\"blitterd\",\"version\":\"%s\","
				 "\"protocol\":\"ports/v0\"}",
				 BLIT_VERSION);
		else if (!strcmp(cmd, "status"))
			do_status(s, a);
		else if (!strcmp(cmd, "connect"))
			do_connect(s, a);
		else if (!strcmp(cmd, "subscribe"))
			do_subscribe(s, h, nh, badge, a);
		else if (!strcmp(cmd, "surface_bind"))
			do_bind(s, h, nh, badge, a);
		else if (!strcmp(cmd, "surface_unbind"))
			do_unbind(s, badge, a);
		else if (!strcmp(cmd, "rect_fill") ||
			 !strcmp(cmd, "rect_copy") || !strcmp(cmd, "convert") ||
			 !strcmp(cmd, "batch"))
			run_job(s, cmd, h, nh, badge, a);
		else
			fail(a, "BAD_CMD", "unknown cmd");
	}
	if (!a->ok)
		s->st.bad_requests++;
}

void blit_session_closed(struct blit_svc *s, uint64_t badge)
{
	if (!badge)
		return;
	for (int i = 0; i < BLIT_MAX_SESSIONS; i++)
		if (s->sessions[i] == badge)
			s->sessions[i] = s->session_sender[i] = 0;
	for (int i = 0; i < BLIT_MAX_SURFACES; i++)
		if (s->surf[i].id && s->surf[i].owner == badge)
			unbind(s, &s->surf[i]);
	for (int i = 0; i < BLIT_MAX_SUBS; i++) {
		if (s->subs[i].h && s->subs[i].owner == badge) {
			s->plat.close(s->plat.ctx, s->subs[i].h);
			memset(&s->subs[i], 0, sizeof(s->subs[i]));
		}
	}
}

unsigned blit_nsurfaces(const struct blit_svc *s)
{
	unsigned n = 0;
	for (int i = 0; i < BLIT_MAX_SURFACES; i++)
		n += s->surf[i].id != 0;
	return n;
}

unsigned blit_nmems(const struct blit_svc *s)
{
	unsigned n = 0;
	for (int i = 0; i < BLIT_MAX_MEMS; i++)
		n += s->mems[i].refs != 0;
	return n;
}

unsigned blit_nsubs(const struct blit_svc *s)
{
	unsigned n = 0;
	for (int i = 0; i < BLIT_MAX_SUBS; i++)
		n += s->subs[i].h != 0;
	return n;
}

unsigned blit_nsessions(const struct blit_svc *s)
{
	unsigned n = 0;
	for (int i = 0; i < BLIT_MAX_SESSIONS; i++)
		n += s->sessions[i] != 0;
	return n;
}
