/* compositord's layer ids carry a generation (include/execrt/
 * comp_proto.h, docs/graphics.md "Layer ids"): a freed id never names the
 * next layer of its slot, so a client holding a stale id (a one-shot
 * whose public layer was destroyed or reclaimed) gets NOT_FOUND instead
 * of acting on someone else's new layer, through JSON requests,
 * set_regs names and REGS batches alike. On the old code (id = slot + 1)
 * the new layer got the freed id and the stale `set` moved it. */
#include <stdlib.h>

#include "harness.h"

#include "comp_scene.h"
#include "comp_srv.h"

static struct comp_scene sc;
static struct comp_srv srv;
static struct comp_reply rep;

static void setup(void)
{
	struct comp_srv_ops ops = {0};
	comp_scene_init(&sc, 1024, 768);
	comp_srv_init(&srv, &sc, &ops);
}

static bool req(uint64_t task, const char *json)
{
	comp_srv_handle_from(&srv, 0, task, json, strlen(json), 0, &rep);
	return rep.ok;
}

static uint32_t create(uint64_t task)
{
	if (!req(task, "{\"cmd\":\"create_layer\"}"))
		return 0;
	unsigned id = 0;
	sscanf(rep.result, "{\"id\":%u}", &id);
	return id;
}

static double x_of(uint32_t id)
{
	struct comp_layer *l = comp_layer_get(&sc, id);
	return l ? l->pend[COMP_REG_X] : -1;
}

TEST(comp_ids_stale_id_is_not_found)
{
	setup();
	/* the table full (4 tasks x 16), then task 0x10 destroys layer 5 */
	for (uint32_t i = 0; i < COMP_LAYERS_MAX; i++)
		CHECK_EQ(create(0x10 + i / COMP_TASK_LAYERS), i + 1);
	CHECK(req(0x10, "{\"cmd\":\"destroy_layer\",\"id\":5}"));
	/* another client's new layer takes the slot, with a new id */
	uint32_t b = create(0x20);
	CHECK(b != 0 && b != 5);
	CHECK_EQ(comp_layer_slot(b), comp_layer_slot(5));
	/* the stale id acts on nothing */
	CHECK(!req(0x10, "{\"cmd\":\"set\",\"id\":5,\"x\":100}"));
	STR_EQ(rep.code, "NOT_FOUND");
	CHECK(!req(0x10, "{\"cmd\":\"get\",\"id\":5}"));
	STR_EQ(rep.code, "NOT_FOUND");
	CHECK(!req(0x10,
		   "{\"cmd\":\"set_regs\",\"regs\":{\"layer[5].x\":100}}"));
	CHECK(!req(0x10, "{\"cmd\":\"destroy_layer\",\"id\":5}"));
	STR_EQ(rep.code, "NOT_FOUND");
	CHECK(comp_layer_get(&sc, b) != NULL);
	CHECK_EQ(x_of(b), 0);
	/* nor does a REGS batch naming it (copperd's path) */
	static _Alignas(8) uint8_t batch[sizeof(struct comp_regs_msg) +
					 sizeof(struct comp_reg_write)];
	struct comp_regs_msg *m = (struct comp_regs_msg *)batch;
	*m = (struct comp_regs_msg){COMP_REGS_MAGIC, 1, 0};
	m->w[0] = (struct comp_reg_write){5, COMP_REG_X, 50};
	uint64_t bad = sc.st.bad_writes;
	CHECK_EQ(comp_srv_regs(&srv, batch, sizeof(batch), 0), 0);
	struct damage d;
	comp_latch(&sc, 1, &d);
	CHECK_EQ(sc.st.bad_writes, bad + 1);
	CHECK_EQ(x_of(b), 0);
	/* the new id works, by name too */
	char q[96];
	snprintf(q, sizeof(q),
		 "{\"cmd\":\"set_regs\",\"regs\":{\"layer[%u].x\":7}}", b);
	CHECK(req(0x20, q));
	CHECK_EQ(x_of(b), 7);
}

TEST(comp_ids_come_back_late)
{
	setup();
	/* with room, a freed id's slot is the last one taken again */
	uint32_t a = create(0);
	CHECK_EQ(a, 1);
	CHECK(req(0, "{\"cmd\":\"destroy_layer\",\"id\":1}"));
	for (uint32_t i = 2; i <= COMP_LAYERS_MAX; i++)
		CHECK_EQ(create(0), i);
	/* then each reuse of a slot has the next generation: 1, 65, 129,
	 * 193, then 1 again (ids stay <= 255) */
	uint32_t want[] = {65, 129, 193, 1, 65};
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		uint32_t id = create(0);
		CHECK_EQ(id, want[i]);
		char q[64];
		snprintf(q, sizeof(q), "{\"cmd\":\"destroy_layer\",\"id\":%u}",
			 id);
		CHECK(req(0, q));
	}
	/* the last slot has 3: 64, 128, 192, 64 (slot 1 taken first) */
	CHECK_EQ(create(0), 129);
	uint32_t want64[] = {128, 192, 64};
	CHECK(req(0, "{\"cmd\":\"destroy_layer\",\"id\":64}"));
	for (unsigned i = 0; i < 3; i++) {
		uint32_t id = create(0);
		CHECK_EQ(id, want64[i]);
		char q[64];
		snprintf(q, sizeof(q), "{\"cmd\":\"destroy_layer\",\"id\":%u}",
			 id);
		CHECK(req(0, q));
	}
}
