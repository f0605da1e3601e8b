/* comp_scene: layers, registers, batches, latch, damage (comp_scene.h).
 * Pure: host-tested. */
#include "comp_scene.h"

#include <string.h>

#include "comp_blend.h"
#include "comp_regs.h"
#include "comp_xform.h"

static void rect_to_disp(const struct comp_rect *r, struct disp_rect *o)
{
	o->x = r->x;
	o->y = r->y;
	o->w = r->w > 0 ? (uint32_t)r->w : 0;
	o->h = r->h > 0 ? (uint32_t)r->h : 0;
}

void comp_scene_init(struct comp_scene *s, uint32_t w, uint32_t h)
{
	memset(s, 0, sizeof(*s));
	s->out_w = w;
	s->out_h = h;
	s->full_damage = true;
}

void comp_scene_resize(struct comp_scene *s, uint32_t w, uint32_t h)
{
	s->out_w = w;
	s->out_h = h;
	s->full_damage = true;
	damage_clear(&s->gone);
}

uint32_t comp_layer_id(const struct comp_scene *s, uint32_t slot)
{
	const struct comp_layer *l = &s->layer[slot];
	return l->used ? slot + 1 + COMP_LAYERS_MAX * l->gen : 0;
}

uint32_t comp_layer_create(struct comp_scene *s, uint64_t owner)
{
	/* The slot free the longest: a freed id comes back as late as the
	 * free slots allow, besides its generation. */
	struct comp_layer *l = NULL;
	for (uint32_t i = 0; i < COMP_LAYERS_MAX; i++)
		if (!s->layer[i].used &&
		    (!l || s->layer[i].freed_at < l->freed_at))
			l = &s->layer[i];
	if (!l)
		return 0;
	uint8_t gen = l->gen;
	uint64_t freed = l->freed_at;
	memset(l, 0, sizeof(*l));
	l->gen = gen;
	l->freed_at = freed;
	l->used = true;
	l->owner = owner;
	l->used_at = ++s->use_clock;
	for (uint32_t r = 0; r < COMP_REG_COUNT; r++)
		l->pend[r] = l->cur[r] = comp_reg_default(r);
	return comp_layer_id(s, (uint32_t)(l - s->layer));
}

struct comp_layer *comp_layer_get(struct comp_scene *s, uint32_t id)
{
	if (id == 0 || id > COMP_LAYER_ID_MAX)
		return NULL;
	uint32_t slot = comp_layer_slot(id);
	struct comp_layer *l = &s->layer[slot];
	if (!l->used || l->gen != (id - 1) / COMP_LAYERS_MAX)
		return NULL; /* freed, or a newer layer in its slot */
	return l;
}

/* What a layer showed must be redrawn at the next latch, even if its
 * slot is reused before that. */
static void forget_box(struct comp_scene *s, struct comp_layer *l)
{
	if (!l->shown)
		return;
	struct disp_rect dr;
	rect_to_disp(&l->box, &dr);
	damage_add(&s->gone, &dr, s->out_w, s->out_h);
	l->shown = false;
}

int comp_layer_destroy(struct comp_scene *s, uint32_t id)
{
	struct comp_layer *l = comp_layer_get(s, id);
	if (!l)
		return -1;
	forget_box(s, l);
	l->used = false;
	l->fmt = 0;
	l->px = NULL;
	/* The next id of this slot; ids stay <= COMP_LAYER_ID_MAX. */
	uint32_t slot = (uint32_t)(l - s->layer);
	l->gen++;
	if (slot + 1 + COMP_LAYERS_MAX * l->gen > COMP_LAYER_ID_MAX)
		l->gen = 0;
	l->freed_at = ++s->use_clock;
	return 0;
}

uint32_t comp_layers_destroy_owner(struct comp_scene *s, uint64_t owner)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < COMP_LAYERS_MAX; i++)
		if (s->layer[i].used && s->layer[i].owner == owner)
			n += comp_layer_destroy(s, comp_layer_id(s, i)) == 0;
	return n;
}

void comp_layer_touch(struct comp_scene *s, uint32_t id)
{
	struct comp_layer *l = comp_layer_get(s, id);
	if (l)
		l->used_at = ++s->use_clock;
}

uint32_t comp_orphan_pick(const struct comp_scene *s,
			  bool (*gone)(void *ctx, uint64_t task), void *ctx)
{
	bool live[COMP_LAYERS_MAX] = {0}; /* maker asked: still running */
	for (;;) {
		const struct comp_layer *old = NULL;
		uint32_t at = 0;
		for (uint32_t i = 0; i < COMP_LAYERS_MAX; i++) {
			const struct comp_layer *l = &s->layer[i];
			if (!l->used || l->owner || !l->task || live[i])
				continue;
			if (!old || l->used_at < old->used_at) {
				old = l;
				at = i;
			}
		}
		if (!old)
			return 0;
		if (gone(ctx, old->task))
			return comp_layer_id(s, at);
		/* Its maker runs: none of its layers is an orphan. */
		for (uint32_t i = 0; i < COMP_LAYERS_MAX; i++)
			live[i] |= s->layer[i].used &&
				   s->layer[i].task == old->task;
	}
}

uint32_t comp_layer_count(const struct comp_scene *s)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < COMP_LAYERS_MAX; i++)
		n += s->layer[i].used;
	return n;
}

void comp_layer_bind(struct comp_scene *s, uint32_t id, const uint8_t *px,
		     uint32_t w, uint32_t h, uint32_t stride, uint32_t fmt)
{
	struct comp_layer *l = comp_layer_get(s, id);
	if (!l)
		return;
	l->px = px;
	l->w = px ? w : 0;
	l->h = px ? h : 0;
	l->stride = px ? stride : 0;
	l->fmt = px ? fmt : 0;
	l->content_dirty = true;
	l->content_rect = (struct comp_rect){0, 0, 0, 0};
}

void comp_layer_damage(struct comp_scene *s, uint32_t id,
		       const struct comp_rect *r)
{
	struct comp_layer *l = comp_layer_get(s, id);
	if (!l)
		return;
	if (!r || r->w <= 0 || r->h <= 0) {
		l->content_dirty = true;
		l->content_rect = (struct comp_rect){0, 0, 0, 0};
		return;
	}
	if (!l->content_dirty) {
		l->content_rect = *r;
	} else if (l->content_rect.w > 0) { /* grow the box; w 0 = all */
		struct comp_rect *c = &l->content_rect;
		int32_t x0 = c->x < r->x ? c->x : r->x;
		int32_t y0 = c->y < r->y ? c->y : r->y;
		int64_t x1 = (int64_t)c->x + c->w, y1 = (int64_t)c->y + c->h;
		if ((int64_t)r->x + r->w > x1)
			x1 = (int64_t)r->x + r->w;
		if ((int64_t)r->y + r->h > y1)
			y1 = (int64_t)r->y + r->h;
		*c = (struct comp_rect){x0, y0, (int32_t)(x1 - x0),
					(int32_t)(y1 - y0)};
	}
	l->content_dirty = true;
}

int comp_reg_write(struct comp_scene *s, uint32_t id, uint32_t reg, double v)
{
	struct comp_layer *l = comp_layer_get(s, id);
	if (!l || reg >= COMP_REG_COUNT)
		return -1;
	l->pend[reg] = comp_reg_clamp(reg, v);
	return 0;
}

int comp_batch_queue(struct comp_scene *s, const struct comp_regs_msg *m,
		     uint64_t sender)
{
	uint32_t mine = 0;
	for (uint32_t i = 0; i < s->nbatches; i++)
		mine += s->batch[i].sender == sender;
	if (s->nbatches >= COMP_BATCHES_MAX ||
	    mine >= COMP_BATCHES_PER_SENDER) {
		s->st.batches_dropped++;
		return -1;
	}
	/* Its frame was latched already: the next latch takes it. */
	if (s->frame && m->frame <= s->frame)
		s->st.late_writes += m->count;
	struct comp_batch *b = &s->batch[s->nbatches++];
	/* Far-future frames would hold their slot forever: clamp. */
	b->frame = m->frame > s->frame + COMP_BATCH_AHEAD_MAX
			   ? s->frame + COMP_BATCH_AHEAD_MAX
			   : m->frame;
	b->sender = sender;
	b->count = m->count <= COMP_REGS_MAX ? m->count : COMP_REGS_MAX;
	memcpy(b->w, m->w, b->count * sizeof(b->w[0]));
	return 0;
}

uint32_t comp_batches_drop_sender(struct comp_scene *s, uint64_t sender)
{
	uint32_t keep = 0, n = s->nbatches;
	for (uint32_t i = 0; i < n; i++) {
		if (s->batch[i].sender == sender)
			continue;
		if (keep != i)
			s->batch[keep] = s->batch[i];
		keep++;
	}
	s->nbatches = keep;
	return n - keep;
}

static void apply_batches(struct comp_scene *s, uint64_t frame)
{
	uint32_t keep = 0;
	for (uint32_t i = 0; i < s->nbatches; i++) {
		struct comp_batch *b = &s->batch[i];
		if (b->frame > frame) { /* for a later frame: keep, in order */
			if (keep != i)
				s->batch[keep] = *b;
			keep++;
			continue;
		}
		for (uint32_t k = 0; k < b->count; k++)
			if (comp_reg_write(s, b->w[k].layer, b->w[k].reg,
					   b->w[k].value) < 0)
				s->st.bad_writes++;
		s->st.latched_batches++;
	}
	s->nbatches = keep;
}

bool comp_layer_box(const struct comp_layer *l, const double *r,
		    struct comp_rect *out)
{
	if (!l->fmt || l->w == 0 || l->h == 0)
		return false;
	struct comp_xform xf;
	comp_xform_make(&xf, r, l->w, l->h);
	*out = xf.box;
	return out->w > 0 && out->h > 0;
}

static bool drawn(const struct comp_layer *l, const double *r)
{
	return l->used && l->fmt && r[COMP_REG_VISIBLE] != 0 &&
	       r[COMP_REG_ALPHA] > 0;
}

void comp_latch(struct comp_scene *s, uint64_t frame, struct damage *d)
{
	apply_batches(s, frame);
	s->frame = frame;
	s->st.frames++;
	damage_clear(d);
	if (s->full_damage) {
		damage_full(d, s->out_w, s->out_h);
		s->full_damage = false;
	} else {
		damage_union(d, &s->gone, s->out_w, s->out_h);
	}
	damage_clear(&s->gone);
	for (uint32_t i = 0; i < COMP_LAYERS_MAX; i++) {
		struct comp_layer *l = &s->layer[i];
		bool regs =
			l->used && memcmp(l->pend, l->cur, sizeof(l->cur)) != 0;
		if (l->used)
			memcpy(l->cur, l->pend, sizeof(l->cur));
		struct comp_rect nb = {0, 0, 0, 0};
		bool now = drawn(l, l->cur) && comp_layer_box(l, l->cur, &nb);
		bool changed = regs || l->content_dirty || now != l->shown;
		if (!changed)
			continue;
		if (l->content_dirty && l->fmt) {
			/* Cheap next to composing the layer; lets opaque
			 * layers take the copy/uniform-alpha kernels. */
			bool op = true;
			for (uint32_t y = 0; y < l->h && op; y++)
				op = comp_row_opaque(
					(const uint32_t *)(l->px +
							   (size_t)y *
								   l->stride),
					l->w);
			l->opaque = op;
		}
		struct disp_rect dr;
		bool only_content = !regs && now && l->shown &&
				    l->content_rect.w > 0 &&
				    l->cur[COMP_REG_ROTATION] == 0;
		if (only_content) {
			/* Layer-space rect -> screen (axis-aligned). */
			struct comp_xform xf;
			comp_xform_make(&xf, l->cur, l->w, l->h);
			struct comp_rect sr;
			comp_xform_rect(&xf, &l->content_rect, &sr);
			rect_to_disp(&sr, &dr);
			damage_add(d, &dr, s->out_w, s->out_h);
		} else {
			if (l->shown) {
				rect_to_disp(&l->box, &dr);
				damage_add(d, &dr, s->out_w, s->out_h);
			}
			if (now) {
				rect_to_disp(&nb, &dr);
				damage_add(d, &dr, s->out_w, s->out_h);
			}
		}
		l->box = nb;
		l->shown = now;
		l->content_dirty = false;
		l->content_rect = (struct comp_rect){0, 0, 0, 0};
	}
	s->st.damage_rects += d->n;
}

uint32_t comp_draw_order(const struct comp_scene *s, uint32_t *ids)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < COMP_LAYERS_MAX; i++) {
		const struct comp_layer *l = &s->layer[i];
		if (!drawn(l, l->cur))
			continue;
		/* Insertion sort by (z, id): at most 64 entries. */
		uint32_t j = n++, id = comp_layer_id(s, i);
		double z = l->cur[COMP_REG_Z];
		while (j > 0) {
			uint32_t k = ids[j - 1] - 1;
			double zk = s->layer[k].cur[COMP_REG_Z];
			if (zk < z || (zk == z && comp_layer_id(s, k) < id))
				break;
			ids[j] = ids[j - 1];
			j--;
		}
		ids[j] = i + 1;
	}
	return n;
}
