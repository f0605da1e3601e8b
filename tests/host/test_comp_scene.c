/* compositord's scene: registers double-buffered and latched, REGS
 * batches at their frame, late writes, damage (services/compositord/
 * comp_scene.c). */
#include <stdlib.h>

#include "harness.h"

#include "comp_regs.h"
#include "comp_scene.h"

static struct comp_scene sc;
static uint32_t img[64 * 32];

static uint32_t layer_at(int x, int y)
{
	uint32_t id = comp_layer_create(&sc, 0);
	comp_layer_bind(&sc, id, (const uint8_t *)img, 64, 32, 64 * 4,
			COMP_FMT_BGRA8);
	comp_reg_write(&sc, id, COMP_REG_X, x);
	comp_reg_write(&sc, id, COMP_REG_Y, y);
	return id;
}

TEST(comp_scene_ids_and_limits)
{
	comp_scene_init(&sc, 1024, 768);
	for (uint32_t i = 1; i <= COMP_LAYERS_MAX; i++)
		CHECK_EQ(comp_layer_create(&sc, 7), i);
	CHECK_EQ(comp_layer_create(&sc, 7), 0);
	CHECK_EQ(comp_layer_count(&sc), 64);
	CHECK_EQ(comp_layer_destroy(&sc, 5), 0);
	CHECK_EQ(comp_layer_destroy(&sc, 5), -1);
	CHECK(comp_layer_get(&sc, 0) == NULL);
	CHECK(comp_layer_get(&sc, 65) == NULL);
	/* the freed slot's next layer has a new id (its generation) */
	CHECK_EQ(comp_layer_create(&sc, 9), 5 + COMP_LAYERS_MAX);
	CHECK(comp_layer_get(&sc, 5) == NULL);
	CHECK(comp_layer_get(&sc, 256) == NULL);
	CHECK_EQ(comp_layers_destroy_owner(&sc, 7), 63);
	CHECK_EQ(comp_layer_count(&sc), 1);
}

TEST(comp_scene_writes_wait_for_the_latch)
{
	struct damage d;
	comp_scene_init(&sc, 1024, 768);
	uint32_t id = layer_at(10, 20);
	comp_latch(&sc, 1, &d);
	struct comp_layer *l = comp_layer_get(&sc, id);
	CHECK(l->cur[COMP_REG_X] == 10);
	comp_reg_write(&sc, id, COMP_REG_X, 100);
	CHECK(l->cur[COMP_REG_X] == 10); /* pending only */
	CHECK(l->pend[COMP_REG_X] == 100);
	comp_latch(&sc, 2, &d);
	CHECK(l->cur[COMP_REG_X] == 100);
	/* The damage: old box and new box. */
	CHECK(damage_covers(&d, 10, 20));
	CHECK(damage_covers(&d, 163, 51));
	CHECK(!damage_covers(&d, 300, 300));
	CHECK(!damage_covers(&d, 10, 60));
	/* Nothing changed: no damage. */
	comp_latch(&sc, 3, &d);
	CHECK_EQ(d.n, 0);
	/* Clamped on write. */
	CHECK_EQ(comp_reg_write(&sc, id, COMP_REG_ALPHA, 7), 0);
	CHECK(l->pend[COMP_REG_ALPHA] == 1.0);
	CHECK_EQ(comp_reg_write(&sc, 40, COMP_REG_ALPHA, 1), -1);
	CHECK_EQ(comp_reg_write(&sc, id, COMP_REG_COUNT, 1), -1);
}

static void send_batch_from(uint64_t sender, uint64_t frame, uint32_t layer,
			    uint32_t reg, double v)
{
	static _Alignas(8) uint8_t buf[COMP_REGS_MSG_SIZE(2)];
	struct comp_regs_msg *m = (struct comp_regs_msg *)buf;
	m->magic = COMP_REGS_MAGIC;
	m->count = 2;
	m->frame = frame;
	m->w[0] = (struct comp_reg_write){layer, reg, v};
	m->w[1] = (struct comp_reg_write){layer, COMP_REG_Y, v};
	comp_batch_queue(&sc, m, sender);
}

static void send_batch(uint64_t frame, uint32_t layer, uint32_t reg, double v)
{
	send_batch_from(0x1, frame, layer, reg, v);
}

TEST(comp_scene_batches_latch_at_their_frame)
{
	struct damage d;
	comp_scene_init(&sc, 1024, 768);
	uint32_t id = layer_at(0, 0);
	struct comp_layer *l = comp_layer_get(&sc, id);
	comp_latch(&sc, 10, &d);
	send_batch(12, id, COMP_REG_X, 50);
	comp_latch(&sc, 11, &d);
	CHECK(l->cur[COMP_REG_X] == 0); /* not yet */
	CHECK_EQ(sc.nbatches, 1);
	comp_latch(&sc, 12, &d);
	CHECK(l->cur[COMP_REG_X] == 50 && l->cur[COMP_REG_Y] == 50);
	CHECK_EQ(sc.st.latched_batches, 1);
	CHECK_EQ(sc.st.late_writes, 0);
	/* Late: aimed at frame 12, which has been latched. */
	send_batch(12, id, COMP_REG_X, 60);
	CHECK_EQ(sc.st.late_writes, 2);
	CHECK(l->cur[COMP_REG_X] == 50);
	comp_latch(&sc, 13, &d);
	CHECK(l->cur[COMP_REG_X] == 60);
	/* A write to an unknown layer is skipped and counted. */
	send_batch(14, 33, COMP_REG_X, 1);
	comp_latch(&sc, 14, &d);
	CHECK_EQ(sc.st.bad_writes, 2);
	/* The queue is bounded. */
	for (uint32_t i = 0; i < COMP_BATCHES_MAX + 3; i++)
		send_batch_from(0x100 + i, 100, id, COMP_REG_X, i);
	CHECK_EQ(sc.st.batches_dropped, 3);
	comp_latch(&sc, 100, &d);
	CHECK(l->cur[COMP_REG_X] == COMP_BATCHES_MAX - 1); /* last wins */
}

TEST(comp_scene_damage_of_destroy_and_content)
{
	struct damage d;
	comp_scene_init(&sc, 1024, 768);
	comp_latch(&sc, 1, &d);
	CHECK_EQ(d.n, 1); /* the first frame: everything */
	CHECK_EQ(d.r[0].w, 1024);
	uint32_t id = layer_at(500, 400);
	comp_latch(&sc, 2, &d);
	CHECK(damage_covers(&d, 500, 400) && damage_covers(&d, 563, 431));
	CHECK(!damage_covers(&d, 564, 400));
	/* Content damage of a sub-rectangle: only it. */
	struct comp_rect r = {4, 4, 2, 2};
	comp_layer_damage(&sc, id, &r);
	comp_latch(&sc, 3, &d);
	CHECK_EQ(d.n, 1);
	CHECK(d.r[0].x == 504 && d.r[0].y == 404 && d.r[0].w == 2 &&
	      d.r[0].h == 2);
	/* Destroyed and the slot reused before the latch: the old box is
	 * still redrawn. (The others taken: the slot free the longest
	 * would be chosen first.) */
	for (uint32_t i = 1; i < COMP_LAYERS_MAX; i++)
		CHECK(comp_layer_create(&sc, 0));
	comp_layer_destroy(&sc, id);
	uint32_t old = id;
	id = layer_at(0, 0);
	CHECK_EQ(comp_layer_slot(id), comp_layer_slot(old));
	CHECK(id != old);
	comp_latch(&sc, 4, &d);
	CHECK(damage_covers(&d, 500, 400) && damage_covers(&d, 0, 0));
	/* Hidden: its box is damaged once, then nothing. */
	comp_reg_write(&sc, id, COMP_REG_VISIBLE, 0);
	comp_latch(&sc, 5, &d);
	CHECK(damage_covers(&d, 0, 0));
	comp_reg_write(&sc, id, COMP_REG_X, 200); /* hidden: moves unseen */
	comp_latch(&sc, 6, &d);
	CHECK_EQ(d.n, 0);
}

TEST(comp_scene_draw_order_z_then_id)
{
	struct damage d;
	comp_scene_init(&sc, 1024, 768);
	uint32_t a = layer_at(0, 0), b = layer_at(0, 0), c = layer_at(0, 0);
	comp_reg_write(&sc, a, COMP_REG_Z, 5);
	comp_reg_write(&sc, b, COMP_REG_Z, -1);
	comp_reg_write(&sc, c, COMP_REG_Z, 5);
	uint32_t e = comp_layer_create(&sc, 0); /* unbound: not drawn */
	comp_latch(&sc, 1, &d);
	uint32_t ids[COMP_LAYERS_MAX];
	CHECK_EQ(comp_draw_order(&sc, ids), 3);
	CHECK_EQ(ids[0], b);
	CHECK_EQ(ids[1], a);
	CHECK_EQ(ids[2], c);
	(void)e;
	comp_reg_write(&sc, a, COMP_REG_ALPHA, 0); /* alpha 0: not drawn */
	comp_latch(&sc, 2, &d);
	CHECK_EQ(comp_draw_order(&sc, ids), 2);
}
