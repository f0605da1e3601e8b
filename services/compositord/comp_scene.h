/* comp_scene: compositord's scene, pure (no system calls): the layer
 * table, the double-buffered registers, the REGS batches waiting for
 * their frame, the latch and the damage it makes. The frame loop
 * (compositord.c) calls comp_latch() at the start of every frame, then
 * composes the damage (comp_render.h). Host-tested (tests/host/
 * test_comp_scene.c).
 *
 * Registers: writes (`set`, `set_regs`) go to a layer's pending set; the
 * latch copies pending -> current. REGS batches are kept until the first
 * latch of a frame >= their target and applied then, all at once, after
 * the JSON writes made since the previous latch. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <execrt/comp_proto.h>

#include "damage.h"

#define COMP_BATCHES_MAX 16u /* REGS batches waiting for their frame */
/* A batch aims at most this many frames past the last latch (a later
 * frame is clamped to it), so no batch waits for long; and one sender
 * (session badge; 0 the public endpoint) holds at most
 * COMP_BATCHES_PER_SENDER of the queue. */
#define COMP_BATCH_AHEAD_MAX	4u
#define COMP_BATCHES_PER_SENDER 4u

/* Source pixel formats. */
enum comp_fmt { COMP_FMT_RGBA8 = 1, COMP_FMT_BGRA8 = 2 };

/* A rectangle, top-left origin; empty when w or h is 0. */
struct comp_rect {
	int32_t x, y, w, h;
};

struct comp_layer {
	bool used;
	uint8_t gen;	   /* its id's generation (comp_proto.h) */
	uint64_t freed_at; /* use clock at its last destroy (0: never used) */
	uint64_t owner;	   /* session badge that created it; 0 public */
	uint64_t task;	   /* koid of the task that created it; 0 unknown */
	uint64_t used_at; /* scene's use clock at its creation / last request */
	double pend[COMP_REG_COUNT];
	double cur[COMP_REG_COUNT];
	/* The bound content: pixels straight (not premultiplied) alpha. */
	const uint8_t *px;
	uint32_t w, h, stride, fmt; /* fmt 0: nothing bound */
	bool content_dirty;	    /* damage/commit/bind since the latch */
	bool opaque;		    /* every pixel alpha 255 (at the latch) */
	struct comp_rect content_rect; /* layer-space damage (w 0: all) */
	struct comp_rect box;	       /* screen box as last composed */
	bool shown;		       /* box holds something on screen */
};

struct comp_batch {
	uint64_t frame;
	uint64_t sender; /* session badge; 0 the public endpoint */
	uint32_t count;
	struct comp_reg_write w[COMP_REGS_MAX];
};

struct comp_stats {
	uint64_t frames, latched_batches, late_writes, bad_writes;
	uint64_t batches_dropped, damage_rects, composed_pixels;
};

struct comp_scene {
	uint32_t out_w, out_h;
	uint64_t frame;	    /* the last latched frame (0: none yet) */
	uint64_t use_clock; /* ticks at every layer creation or request */
	struct comp_layer layer[COMP_LAYERS_MAX]; /* comp_layer_slot(id) */
	uint32_t nbatches;
	struct comp_batch batch[COMP_BATCHES_MAX];
	bool full_damage;   /* everything (output size change, first frame) */
	struct damage gone; /* boxes of layers destroyed/unbound since the
			     * latch: redrawn then */
	struct comp_stats st;
};

void comp_scene_init(struct comp_scene *s, uint32_t w, uint32_t h);
/* The output size changed: everything is damaged. */
void comp_scene_resize(struct comp_scene *s, uint32_t w, uint32_t h);

/* The id of the layer in slot (0..COMP_LAYERS_MAX-1), 0 if free. */
uint32_t comp_layer_id(const struct comp_scene *s, uint32_t slot);
/* A new layer with default registers: its id, or 0 if all are used. */
uint32_t comp_layer_create(struct comp_scene *s, uint64_t owner);
/* A request named layer id: it is the most recently used (orphan
 * reclaim order, comp_orphan_pick). */
void comp_layer_touch(struct comp_scene *s, uint32_t id);
/* The public layer (owner 0) whose maker has ended, used least recently:
 * its id, or 0. gone(ctx, task) tells whether task koid has ended; it is
 * asked at most once per maker, oldest candidate first, and stops at the
 * first ended one. Layers of unknown makers (task 0) are never picked. */
uint32_t comp_orphan_pick(const struct comp_scene *s,
			  bool (*gone)(void *ctx, uint64_t task), void *ctx);
/* The layer of id, or NULL. */
struct comp_layer *comp_layer_get(struct comp_scene *s, uint32_t id);
/* Destroys it (its box damaged at the next latch). */
int comp_layer_destroy(struct comp_scene *s, uint32_t id);
/* Destroys every layer of owner; how many. */
uint32_t comp_layers_destroy_owner(struct comp_scene *s, uint64_t owner);
/* Binds pixels (NULL px: unbind). The caller keeps them valid until
 * unbound/destroyed. */
void comp_layer_bind(struct comp_scene *s, uint32_t id, const uint8_t *px,
		     uint32_t w, uint32_t h, uint32_t stride, uint32_t fmt);
/* New pixels in layer-space rect r (NULL: all) from the next frame. */
void comp_layer_damage(struct comp_scene *s, uint32_t id,
		       const struct comp_rect *r);
/* A pending register write (clamped). -1: no such layer/register. */
int comp_reg_write(struct comp_scene *s, uint32_t id, uint32_t reg, double v);
/* Queues a REGS batch of sender (already checked for size). late = its
 * frame's latch has passed (it goes to the next one); a frame beyond
 * last latch + COMP_BATCH_AHEAD_MAX is clamped to it. -1 when the queue
 * or the sender's share is full (dropped, counted). */
int comp_batch_queue(struct comp_scene *s, const struct comp_regs_msg *m,
		     uint64_t sender);
/* Drops the queued batches of sender (its session ended); how many. */
uint32_t comp_batches_drop_sender(struct comp_scene *s, uint64_t sender);
/* Latches frame `frame`: due batches applied, pending -> current, damage
 * (union of old and new boxes of every changed layer) into *d. */
void comp_latch(struct comp_scene *s, uint64_t frame, struct damage *d);

/* The screen box of a layer drawn with registers r (rotation and scale
 * about the centre); false when empty. */
bool comp_layer_box(const struct comp_layer *l, const double *r,
		    struct comp_rect *out);
/* Layers to draw, bottom first (z, then id): visible, bound, alpha > 0.
 * Fills ids with their slots + 1 (not ids: an index into layer[] plus
 * one); their count. */
uint32_t comp_draw_order(const struct comp_scene *s, uint32_t *ids);
uint32_t comp_layer_count(const struct comp_scene *s);
