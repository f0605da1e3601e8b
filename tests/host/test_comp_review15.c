/* compositord against REVIEW-15's findings (the reviewer's cases from
 * branch review15, adapted): a grant larger than needed binds (#3);
 * far-future REGS batches cannot hold the queue (#4); a failed rebind
 * keeps the old content (#8); only a layer's owner changes it (#5);
 * bind_image is capped (#7). */
#include <stdlib.h>

#include <execrt/errors.h>

#include "harness.h"

#include "comp_regs.h"
#include "comp_scene.h"
#include "comp_srv.h"

static struct comp_scene sc;
static struct comp_srv srv;
static struct comp_reply rep;
static uint8_t *mem[COMP_LAYERS_MAX + 1];
static uint64_t grant_len;
static int image_calls;

static int f_dmabuf(void *ctx, uint32_t id, uint32_t index, uint64_t need,
		    const uint8_t **px)
{
	(void)ctx;
	(void)index;
	if (need > grant_len)
		return COMP_OPS_SMALL;
	free(mem[id]);
	mem[id] = calloc(1, need);
	*px = mem[id];
	return 0;
}

static int f_image(void *ctx, uint32_t id, const char *path, uint64_t need,
		   const uint8_t **px)
{
	(void)ctx;
	image_calls++;
	if (strcmp(path, "/boot/img"))
		return COMP_OPS_NOENT;
	free(mem[id]);
	mem[id] = calloc(1, need);
	*px = mem[id];
	return 0;
}

static void f_unbind(void *ctx, uint32_t id)
{
	(void)ctx;
	free(mem[id]);
	mem[id] = NULL;
}

static void setup(void)
{
	static const struct comp_srv_ops ops = {
		.bind_dmabuf = f_dmabuf,
		.bind_image = f_image,
		.unbind = f_unbind,
	};
	for (int i = 0; i <= (int)COMP_LAYERS_MAX; i++) {
		free(mem[i]);
		mem[i] = NULL;
	}
	comp_scene_init(&sc, 1024, 768);
	comp_srv_init(&srv, &sc, &ops);
	grant_len = 1 << 20;
	image_calls = 0;
}

static bool req(uint64_t owner, uint32_t nh, const char *json)
{
	comp_srv_handle(&srv, owner, json, strlen(json), nh, &rep);
	return rep.ok;
}

/* #3: the probe over the last needed page of a longer grant cuts the
 * grant mapping (INVALID_ARGS): that grant fits; only a hole
 * (NOT_FOUND) means too small. */
TEST(comp_r15_probe_larger_grant_fits)
{
	CHECK_EQ(comp_probe_verdict(0), 0);
	CHECK_EQ(comp_probe_verdict(ERR_INVALID_ARGS), 0);
	CHECK_EQ(comp_probe_verdict(ERR_NOT_FOUND), COMP_OPS_SMALL);
	CHECK_EQ(comp_probe_verdict(ERR_ACCESS_DENIED), COMP_OPS_ARG);
}

static void regs_msg(struct comp_regs_msg *m, uint64_t frame, uint32_t layer,
		     double x)
{
	m->magic = COMP_REGS_MAGIC;
	m->count = 1;
	m->frame = frame;
	m->w[0].layer = layer;
	m->w[0].reg = COMP_REG_X;
	m->w[0].value = x;
}

/* #4 (the reviewer's case): 64 batches for frame 2^64-1 from one client;
 * copperd's batch for frame 11 is still queued and applied. */
TEST(comp_r15_far_future_batches_do_not_block_the_queue)
{
	struct damage d;
	static uint32_t img[16 * 16];
	comp_scene_init(&sc, 1024, 768);
	uint32_t id = comp_layer_create(&sc, 0);
	comp_layer_bind(&sc, id, (const uint8_t *)img, 16, 16, 64,
			COMP_FMT_RGBA8);
	static _Alignas(8) uint8_t buf[COMP_REGS_MSG_SIZE(1)];
	struct comp_regs_msg *m = (struct comp_regs_msg *)buf;
	comp_latch(&sc, 1, &d);
	for (int i = 0; i < 64; i++) {
		regs_msg(m, UINT64_MAX, id, 999);
		comp_batch_queue(&sc, m, 0x100);
	}
	CHECK_EQ(sc.nbatches, COMP_BATCHES_PER_SENDER);
	/* Clamped to last latch + COMP_BATCH_AHEAD_MAX: applied by then. */
	comp_latch(&sc, 1 + COMP_BATCH_AHEAD_MAX, &d);
	CHECK_EQ(sc.nbatches, 0);
	CHECK(comp_layer_get(&sc, id)->cur[COMP_REG_X] == 999);
	/* Even many senders leave the queue within a few frames. */
	for (int i = 0; i < 64; i++) {
		regs_msg(m, UINT64_MAX, id, 999);
		comp_batch_queue(&sc, m, 0x100 + (uint64_t)i);
	}
	for (uint64_t f = 6; f < 10; f++)
		comp_latch(&sc, f, &d);
	regs_msg(m, 11, id, 123); /* copperd's batch for the next frame */
	CHECK_EQ(comp_batch_queue(&sc, m, 0x7), 0);
	comp_latch(&sc, 11, &d);
	CHECK(comp_layer_get(&sc, id)->cur[COMP_REG_X] == 123);
}

/* #4: a session's queued batches go with it; other senders' stay. */
TEST(comp_r15_session_end_drops_its_batches)
{
	setup();
	CHECK(req(0, 0, "{\"cmd\":\"create_layer\"}"));
	struct damage d;
	comp_latch(&sc, 1, &d);
	static _Alignas(8) uint8_t buf[COMP_REGS_MSG_SIZE(1)];
	struct comp_regs_msg *m = (struct comp_regs_msg *)buf;
	regs_msg(m, 3, 1, 50);
	CHECK_EQ(comp_srv_regs(&srv, buf, sizeof(buf), 0x100), 0);
	CHECK_EQ(comp_srv_regs(&srv, buf, sizeof(buf), 0x100), 0);
	regs_msg(m, 3, 1, 70);
	CHECK_EQ(comp_srv_regs(&srv, buf, sizeof(buf), 0x200), 0);
	CHECK_EQ(sc.nbatches, 3);
	comp_srv_drop_owner(&srv, 0x100);
	CHECK_EQ(sc.nbatches, 1);
	comp_latch(&sc, 3, &d);
	CHECK(comp_layer_get(&sc, 1)->cur[COMP_REG_X] == 70);
}

/* #8: a rebind that fails (grant too small, missing file) leaves the
 * layer's current content bound. */
TEST(comp_r15_failed_rebind_keeps_content)
{
	setup();
	CHECK(req(0x100, 0, "{\"cmd\":\"create_layer\"}"));
	CHECK(req(0x100, 1,
		  "{\"cmd\":\"bind_dmabuf\",\"id\":1,\"fd\":0,\"w\":8,"
		  "\"h\":8}"));
	const uint8_t *px = comp_layer_get(&sc, 1)->px;
	CHECK(px != NULL && px == mem[1]);
	grant_len = 4096;
	CHECK(!req(0x100, 1,
		   "{\"cmd\":\"bind_dmabuf\",\"id\":1,\"fd\":0,\"w\":64,"
		   "\"h\":64}"));
	STR_EQ(rep.code, "BAD_ARG");
	struct comp_layer *l = comp_layer_get(&sc, 1);
	CHECK(l->px == px && mem[1] == px && l->w == 8 && l->fmt);
	CHECK(!req(0x100, 0,
		   "{\"cmd\":\"bind_image\",\"id\":1,\"path\":\"/x\",\"w\":4,"
		   "\"h\":4}"));
	STR_EQ(rep.code, "NOT_FOUND");
	CHECK(l->px == px && mem[1] == px && l->w == 8);
	/* A good rebind swaps. */
	CHECK(req(0x100, 0,
		  "{\"cmd\":\"bind_image\",\"id\":1,\"path\":\"/boot/img\","
		  "\"w\":4,\"h\":4}"));
	CHECK(l->px == mem[1] && l->w == 4);
}

/* #5 (the reviewer's case and the rest of the rule): session 0x200
 * cannot destroy/bind/unbind/set/damage/get session 0x100's layer, nor
 * a public layer; the public endpoint cannot touch a session's layer;
 * public layers stay usable from the public endpoint; REGS writes reach
 * every layer (copperd). */
TEST(comp_r15_only_the_owner_changes_a_layer)
{
	setup();
	CHECK(req(0x100, 0, "{\"cmd\":\"create_layer\"}")); /* 1 */
	CHECK(req(0x100, 1,
		  "{\"cmd\":\"bind_dmabuf\",\"id\":1,\"fd\":0,\"w\":8,"
		  "\"h\":8}"));
	CHECK(req(0, 0, "{\"cmd\":\"create_layer\"}")); /* 2, public */
	static const char *const bad[] = {
		"{\"cmd\":\"destroy_layer\",\"id\":%u}",
		"{\"cmd\":\"unbind\",\"id\":%u}",
		"{\"cmd\":\"bind_dmabuf\",\"id\":%u,\"fd\":0,\"w\":4,\"h\":4}",
		("{\"cmd\":\"bind_image\",\"id\":%u,\"path\":\"/boot/img\","
		 "\"w\":4,\"h\":4}"),
		"{\"cmd\":\"set\",\"id\":%u,\"x\":5}",
		"{\"cmd\":\"set_regs\",\"regs\":{\"layer[%u].x\":5}}",
		"{\"cmd\":\"damage\",\"id\":%u}",
		"{\"cmd\":\"commit\",\"id\":%u}",
		"{\"cmd\":\"get\",\"id\":%u}",
	};
	const struct {
		uint64_t who;
		uint32_t id;
	} cases[] = {{0x200, 1}, {0, 1}, {0x200, 2}};
	char js[160];
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(js, sizeof(js), bad[i], cases[c].id);
			CHECK(!req(cases[c].who, 1, js));
			STR_EQ(rep.code, "NOT_FOUND");
		}
	struct comp_layer *l = comp_layer_get(&sc, 1);
	CHECK(l && l->w == 8 && l->px == mem[1] && l->pend[COMP_REG_X] == 0);
	CHECK(comp_layer_get(&sc, 2) != NULL);
	/* The owners may. */
	CHECK(req(0x100, 0, "{\"cmd\":\"set\",\"id\":1,\"x\":5}"));
	CHECK(req(0, 0, "{\"cmd\":\"set\",\"id\":2,\"x\":6}"));
	CHECK(req(0, 0, "{\"cmd\":\"get\",\"id\":2}"));
	/* REGS from any sender write any layer. */
	static _Alignas(8) uint8_t buf[COMP_REGS_MSG_SIZE(1)];
	regs_msg((struct comp_regs_msg *)buf, 1, 1, 77);
	CHECK_EQ(comp_srv_regs(&srv, buf, sizeof(buf), 0x300), 0);
	struct damage d;
	comp_latch(&sc, 1, &d);
	CHECK(l->cur[COMP_REG_X] == 77);
	CHECK(req(0x100, 0, "{\"cmd\":\"destroy_layer\",\"id\":1}"));
	CHECK(req(0, 0, "{\"cmd\":\"destroy_layer\",\"id\":2}"));
	CHECK_EQ(comp_layer_count(&sc), 0);
}

/* #7: bind_image above COMP_IMAGE_MAX is refused before the file is
 * opened (it would be read whole in the frame thread). */
TEST(comp_r15_bind_image_is_capped)
{
	setup();
	CHECK(req(0, 0, "{\"cmd\":\"create_layer\"}"));
	CHECK(!req(0, 0,
		   "{\"cmd\":\"bind_image\",\"id\":1,\"path\":\"/boot/img\","
		   "\"w\":8192,\"h\":8192}"));
	STR_EQ(rep.code, "BAD_ARG");
	CHECK(!req(0, 0,
		   "{\"cmd\":\"bind_image\",\"id\":1,\"path\":\"/boot/img\","
		   "\"w\":2049,\"h\":2048}"));
	CHECK_EQ(image_calls, 0);
	CHECK(req(0, 0,
		  "{\"cmd\":\"bind_image\",\"id\":1,\"path\":\"/boot/img\","
		  "\"w\":2048,\"h\":2048}"));
	CHECK_EQ(image_calls, 1);
	CHECK(req(0, 0, "{\"cmd\":\"unbind\",\"id\":1}"));
	CHECK(mem[1] == NULL);
}

static bool req_from(uint64_t owner, uint64_t task, const char *json)
{
	comp_srv_handle_from(&srv, owner, task, json, strlen(json), 0, &rep);
	return rep.ok;
}

/* #6: layers are capped per client task (port_rx.sender), over all its
 * sessions and the public endpoint; another task still gets layers when
 * one hit its cap; the service-wide 64 stays the ceiling. */
TEST(comp_r15_layers_per_task)
{
	setup();
	const char *cl = "{\"cmd\":\"create_layer\"}";
	for (uint32_t i = 0; i < COMP_TASK_LAYERS; i++)
		CHECK(req_from(i % 2 ? 0 : 0x100, 0xa, cl));
	/* task 0xa is full, on the public endpoint and a new session */
	CHECK(!req_from(0, 0xa, cl));
	STR_EQ(rep.code, "BUSY");
	CHECK(strstr(rep.message, "task"));
	CHECK(!req_from(0x300, 0xa, cl));
	STR_EQ(rep.code, "BUSY");
	/* task 0xb still gets one, on either endpoint */
	CHECK(req_from(0x200, 0xb, cl));
	CHECK(req_from(0, 0xb, cl));
	CHECK_EQ(comp_layer_count(&sc), COMP_TASK_LAYERS + 2);
	/* one of 0xa's layers gone (its owner destroys it): 0xa gets one */
	CHECK(req_from(0x100, 0xa, "{\"cmd\":\"destroy_layer\",\"id\":1}"));
	CHECK(req_from(0, 0xa, cl));
	CHECK(!req_from(0, 0xa, cl));
	/* its session's end frees its layers of that session */
	comp_srv_drop_owner(&srv, 0x100);
	CHECK(req_from(0x100, 0xa, cl));
	/* the ceiling: tasks 0xc.. fill the service; then every task is
	 * refused with the service-wide message */
	uint64_t t = 0xc;
	while (comp_layer_count(&sc) < COMP_LAYERS_MAX) {
		bool ok = req_from(0, t, cl);
		CHECK(ok);
		if (!ok)
			break;
		if (comp_layer_count(&sc) % COMP_TASK_LAYERS == 0)
			t++;
	}
	CHECK(!req_from(0, 0x77, cl));
	STR_EQ(rep.code, "BUSY");
	CHECK(strstr(rep.message, "64 layers"));
	/* sender 0 (comp_srv_handle: no task known) has no per-task cap */
	setup();
	for (uint32_t i = 0; i < COMP_TASK_LAYERS + 4; i++)
		CHECK(req(0, 0, cl));
}
