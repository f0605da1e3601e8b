/* blit_parse: blit_proto's request fields parsed and checked (ops,
 * batches, surfaces, rectangles, colours) and the grants' mappings they
 * make, one per grant shared by every use (blit_proto.h). Nothing is
 * drawn here: a bad field fails the request before any pixel. */
#include <stdio.h>
#include <string.h>

#include "blit_proto.h"
#include "blit_proto_int.h"

/* ---- mappings: one per grant (koid), shared by every use ---- */

void mem_put(struct blit_svc *s, struct blit_mem *m)
{
	if (--m->refs == 0) {
		s->plat.unmap(s->plat.ctx, m->base);
		memset(m, 0, sizeof(*m));
	}
}

/* Every surface that points at mapping old now points at nb. */
static void mem_rebase(struct blit_svc *s, uint8_t *old, uint8_t *nb)
{
	for (int i = 0; i < BLIT_MAX_SURFACES; i++)
		if (s->surf[i].id && s->surf[i].s.base == old)
			s->surf[i].s.base = nb;
	for (int i = 0; i < BLIT_BATCH_MAX; i++) {
		struct blit_op *o = &s->job.ops[i];
		if (o->src.base == old)
			o->src.base = nb;
		if (o->dst.base == old)
			o->dst.base = nb;
	}
}

static void mem_reach(struct blit_svc *s, const struct blit_surf *f)
{
	uint64_t bytes;
	if (f->base && blit_surf_ok(f->w, f->h, f->stride, &bytes))
		(void)s->plat.fits(s->plat.ctx, f->base, bytes);
}

/* A read-only mapping m, and handle h may write: map the grant again
 * read-write through h and move every user over, so a writer is not
 * refused because a reader mapped the grant first. */
static void mem_upgrade(struct blit_svc *s, struct blit_mem *m, uint32_t h)
{
	uint8_t *nb;
	bool wr;
	if (s->plat.map(s->plat.ctx, h, &nb, &wr) < 0)
		return; /* stays read-only: the write is DENIED */
	if (!wr) {
		s->plat.unmap(s->plat.ctx, nb);
		return;
	}
	mem_rebase(s, m->base, nb);
	/* fits() also tells the platform how far the surfaces reach. */
	for (int i = 0; i < BLIT_MAX_SURFACES; i++)
		if (s->surf[i].id && s->surf[i].mem == m)
			mem_reach(s, &s->surf[i].s);
	for (int i = 0; i < BLIT_BATCH_MAX; i++) {
		mem_reach(s, &s->job.ops[i].src);
		mem_reach(s, &s->job.ops[i].dst);
	}
	s->plat.unmap(s->plat.ctx, m->base);
	m->base = nb;
	m->writable = true;
}

/* The mapping of grant h, a reference taken. *can_write: whether this
 * handle may write (its own RIGHT_WRITE): the mapping is shared by every
 * handle of the grant, so the right is decided per use, never by it. */
static struct blit_mem *mem_get(struct blit_svc *s, uint32_t h,
				struct blit_ans *a, const char *what,
				bool *can_write)
{
	uint64_t koid;
	bool cw = false;
	if (!h || s->plat.ident(s->plat.ctx, h, &koid, &cw) < 0) {
		fail(a, "BAD_ARG", "%s.fd: not a grant", what);
		return NULL;
	}
	*can_write = cw;
	struct blit_mem *free_slot = NULL;
	for (int i = 0; i < BLIT_MAX_MEMS; i++) {
		struct blit_mem *m = &s->mems[i];
		if (m->refs && m->koid == koid) {
			if (cw && !m->writable)
				mem_upgrade(s, m, h);
			m->refs++;
			return m;
		}
		if (!m->refs && !free_slot)
			free_slot = m;
	}
	while (!free_slot && blit_reclaim(s))
		for (int i = 0; i < BLIT_MAX_MEMS && !free_slot; i++)
			if (!s->mems[i].refs)
				free_slot = &s->mems[i];
	if (!free_slot) {
		fail(a, "NO_MEMORY", "%s: too many grants mapped", what);
		return NULL;
	}
	uint8_t *base;
	bool wr;
	if (s->plat.map(s->plat.ctx, h, &base, &wr) < 0) {
		fail(a, "BAD_ARG", "%s.fd: the grant cannot be mapped", what);
		return NULL;
	}
	*free_slot = (struct blit_mem){koid, base, wr, 1};
	return free_slot;
}

/* ---- field parsing ---- */

/* Integer member key of object tok in [lo, hi]: 0, -1 missing, -2 bad. */
int get_int(struct blit_svc *s, int tok, const char *key, int64_t lo,
	    int64_t hi, int64_t *out)
{
	int t = json_find(&s->doc, tok, key);
	if (t < 0)
		return -1;
	int64_t v;
	if (json_int(&s->doc, t, &v) < 0 || v < lo || v > hi)
		return -2;
	*out = v;
	return 0;
}

static int need_int(struct blit_svc *s, int tok, const char *key, int64_t lo,
		    int64_t hi, int64_t *out, struct blit_ans *a,
		    const char *what)
{
	if (get_int(s, tok, key, lo, hi, out) == 0)
		return 0;
	fail(a, "BAD_ARG", "%s.%s: an integer %lld..%lld", what, key,
	     (long long)lo, (long long)hi);
	return -1;
}

static int member_obj(struct blit_svc *s, int tok, const char *key,
		      struct blit_ans *a, const char *what)
{
	int t = json_find(&s->doc, tok, key);
	if (t < 0 || json_type_of(&s->doc, t) != JSON_OBJECT) {
		fail(a, "BAD_ARG", "%s%s: an object", what, key);
		return -1;
	}
	return t;
}

/* Surface id as seen from the endpoint of badge: only its own (a public
 * one only from the public endpoint: ids are sequential, guessable). */
struct blit_bound *bound_find(struct blit_svc *s, int64_t id, uint64_t badge)
{
	for (int i = 0; i < BLIT_MAX_SURFACES; i++) {
		struct blit_bound *b = &s->surf[i];
		if (b->id && b->id == id && b->owner == badge) {
			b->used_at = ++s->use_clock;
			return b;
		}
	}
	return NULL;
}

/* A surface description {fd,w,h,format,stride} at object t: the grant
 * mapped (a reference taken, in *mem) and checked against the size. */
int surf_desc(struct blit_svc *s, int t, const uint32_t *h, uint32_t nh,
	      struct blit_surf *out, struct blit_mem **mem, bool *can_write,
	      struct blit_ans *a, const char *what)
{
	int64_t fd, w, hh, stride;
	char fmt[8];
	enum blit_fmt f;
	if (nh == 0) {
		fail(a, "BAD_ARG", "%s.fd: no grant attached", what);
		return -1;
	}
	if (need_int(s, t, "fd", 0, (int64_t)nh - 1, &fd, a, what) < 0 ||
	    need_int(s, t, "w", 1, BLIT_DIM_MAX, &w, a, what) < 0 ||
	    need_int(s, t, "h", 1, BLIT_DIM_MAX, &hh, a, what) < 0 ||
	    need_int(s, t, "stride", 0, UINT32_MAX, &stride, a, what) < 0)
		return -1;
	int ft = json_find(&s->doc, t, "format");
	if (ft < 0 || json_str(&s->doc, ft, fmt, sizeof(fmt)) < 0 ||
	    blit_fmt_parse(fmt, &f) < 0) {
		fail(a, "BAD_ARG", "%s.format: \"RGBA8\" or \"BGRA8\"", what);
		return -1;
	}
	uint64_t bytes;
	if (!blit_surf_ok((uint32_t)w, (uint32_t)hh, (uint32_t)stride,
			  &bytes)) {
		fail(a, "BAD_ARG",
		     "%s.stride: %lld is below w*4 (%lld) or too big", what,
		     (long long)stride, (long long)w * 4);
		return -1;
	}
	struct blit_mem *m = mem_get(s, h[fd], a, what, can_write);
	if (!m)
		return -1;
	if (!s->plat.fits(s->plat.ctx, m->base, bytes)) {
		mem_put(s, m);
		fail(a, "BAD_ARG",
		     "%s: the grant is smaller than stride*h (%llu)", what,
		     (unsigned long long)bytes);
		return -1;
	}
	*out = (struct blit_surf){m->base, (uint32_t)w, (uint32_t)hh,
				  (uint32_t)stride, f};
	*mem = m;
	return 0;
}

/* Member key of op object tok: a surface, by description or bound id. */
static int op_surf(struct blit_svc *s, int tok, const char *key,
		   const uint32_t *h, uint32_t nh, bool write,
		   struct blit_surf *out, struct blit_ans *a, const char *pfx)
{
	char what[48];
	snprintf(what, sizeof(what), "%s%s", pfx, key);
	int t = member_obj(s, tok, key, a, pfx);
	if (t < 0)
		return -1;
	struct blit_job *j = &s->job;
	struct blit_mem *m;
	bool cw;
	int64_t id;
	int r = get_int(s, t, "surface", 1, UINT32_MAX, &id);
	if (r == -2) {
		fail(a, "BAD_ARG", "%s.surface: a surface id", what);
		return -1;
	}
	if (r == 0) {
		struct blit_bound *b = bound_find(s, id, j->owner);
		if (!b) {
			fail(a, "NOT_FOUND", "%s.surface: no surface %lld",
			     what, (long long)id);
			return -1;
		}
		m = b->mem;
		m->refs++;
		*out = b->s;
		cw = b->can_write;
	} else if (surf_desc(s, t, h, nh, out, &m, &cw, a, what) < 0) {
		return -1;
	}
	j->used[j->nused++] = m;
	if (write && !(cw && m->writable)) {
		fail(a, "DENIED", "%s: the grant is read-only", what);
		return -1;
	}
	return 0;
}

/* {x,y,w,h} at member key (sized), or {x,y} (a point: dst_xy). */
static int op_rect(struct blit_svc *s, int tok, const char *key, bool sized,
		   struct blit_rect *r, struct blit_ans *a, const char *pfx)
{
	char what[48];
	snprintf(what, sizeof(what), "%s%s", pfx, key);
	int t = member_obj(s, tok, key, a, pfx);
	if (t < 0 ||
	    need_int(s, t, "x", -BLIT_COORD_MAX, BLIT_COORD_MAX, &r->x, a,
		     what) < 0 ||
	    need_int(s, t, "y", -BLIT_COORD_MAX, BLIT_COORD_MAX, &r->y, a,
		     what) < 0)
		return -1;
	if (!sized)
		return 0;
	return need_int(s, t, "w", 0, BLIT_COORD_MAX, &r->w, a, what) < 0 ||
			       need_int(s, t, "h", 0, BLIT_COORD_MAX, &r->h, a,
					what) < 0
		       ? -1
		       : 0;
}

static int op_color(struct blit_svc *s, int tok, struct blit_color *c,
		    struct blit_ans *a, const char *pfx)
{
	char what[48];
	snprintf(what, sizeof(what), "%scolor", pfx);
	int t = member_obj(s, tok, "color", a, pfx);
	int64_t r, g, b, al = 255;
	if (t < 0 || need_int(s, t, "r", 0, 255, &r, a, what) < 0 ||
	    need_int(s, t, "g", 0, 255, &g, a, what) < 0 ||
	    need_int(s, t, "b", 0, 255, &b, a, what) < 0)
		return -1;
	if (get_int(s, t, "a", 0, 255, &al) == -2) {
		fail(a, "BAD_ARG", "%s.a: an integer 0..255", what);
		return -1;
	}
	*c = (struct blit_color){(uint8_t)r, (uint8_t)g, (uint8_t)b,
				 (uint8_t)al};
	return 0;
}

/* One op of type name at object tok into the job. */
int parse_op(struct blit_svc *s, int tok, const char *name, const uint32_t *h,
	     uint32_t nh, struct blit_ans *a, const char *pfx)
{
	struct blit_op *o = &s->job.ops[s->job.n];
	memset(o, 0, sizeof(*o));
	if (!strcmp(name, "rect_fill")) {
		o->type = BLIT_OP_FILL;
		return op_surf(s, tok, "dst", h, nh, true, &o->dst, a, pfx) <
					       0 ||
				       op_rect(s, tok, "rect", true, &o->r, a,
					       pfx) < 0 ||
				       op_color(s, tok, &o->c, a, pfx) < 0
			       ? -1
			       : 0;
	}
	if (!strcmp(name, "rect_copy")) {
		o->type = BLIT_OP_COPY;
		struct blit_rect xy = {0};
		if (op_surf(s, tok, "src", h, nh, false, &o->src, a, pfx) < 0 ||
		    op_surf(s, tok, "dst", h, nh, true, &o->dst, a, pfx) < 0 ||
		    op_rect(s, tok, "src_rect", true, &o->r, a, pfx) < 0 ||
		    op_rect(s, tok, "dst_xy", false, &xy, a, pfx) < 0)
			return -1;
		o->dx = xy.x;
		o->dy = xy.y;
		return 0;
	}
	if (!strcmp(name, "convert")) {
		o->type = BLIT_OP_CONVERT;
		if (op_surf(s, tok, "src", h, nh, false, &o->src, a, pfx) < 0 ||
		    op_surf(s, tok, "dst", h, nh, true, &o->dst, a, pfx) < 0)
			return -1;
		if (o->src.w != o->dst.w || o->src.h != o->dst.h) {
			fail(a, "BAD_ARG", "%sconvert: src is %ux%u, dst %ux%u",
			     pfx, o->src.w, o->src.h, o->dst.w, o->dst.h);
			return -1;
		}
		return 0;
	}
	fail(a, "BAD_ARG", "%sop: rect_fill, rect_copy or convert", pfx);
	return -1;
}

int parse_batch(struct blit_svc *s, const uint32_t *h, uint32_t nh,
		struct blit_ans *a)
{
	int ops = json_find(&s->doc, 0, "ops");
	if (ops < 0 || json_type_of(&s->doc, ops) != JSON_ARRAY ||
	    s->doc.tok[ops].size < 1 || s->doc.tok[ops].size > BLIT_BATCH_MAX) {
		fail(a, "BAD_ARG", "ops: an array of 1..%d ops",
		     BLIT_BATCH_MAX);
		return -1;
	}
	for (int i = 0; i < s->doc.tok[ops].size; i++) {
		char pfx[24], name[16];
		snprintf(pfx, sizeof(pfx), "op %d: ", i);
		int t = json_index(&s->doc, ops, i);
		int nt = t < 0 ? -1 : json_find(&s->doc, t, "op");
		if (json_type_of(&s->doc, t) != JSON_OBJECT || nt < 0 ||
		    json_str(&s->doc, nt, name, sizeof(name)) < 0) {
			fail(a, "BAD_ARG",
			     "%san object with \"op\": rect_fill, rect_copy or "
			     "convert",
			     pfx);
			return -1;
		}
		if (parse_op(s, t, name, h, nh, a, pfx) < 0)
			return -1;
		s->job.n++;
	}
	return 0;
}
