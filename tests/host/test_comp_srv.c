/* compositord's requests (services/compositord/comp_srv.c) with fake
 * platform ops: every malformed request gets the protocol's error
 * object; grants too small and strides below w*4 are refused; set and
 * set_regs write pending registers all or nothing; sessions' layers go
 * with them; REGS messages are checked. */
#include <stdlib.h>

#include "harness.h"

#include "comp_regs.h"
#include "comp_srv.h"

static struct comp_scene sc;
static struct comp_srv srv;
static struct comp_reply rep;
static uint64_t fake_grant_len = 1 << 20;
static int unbinds, subs;
static uint8_t *mem[COMP_LAYER_ID_MAX + 1];

static int f_dmabuf(void *ctx, uint32_t id, uint32_t index, uint64_t need,
		    const uint8_t **px)
{
	(void)ctx;
	(void)index;
	if (need > fake_grant_len)
		return COMP_OPS_SMALL;
	free(mem[id]); /* success: the platform swaps */
	mem[id] = calloc(1, need);
	*px = mem[id];
	return 0;
}

static int f_image(void *ctx, uint32_t id, const char *path, uint64_t need,
		   const uint8_t **px)
{
	(void)ctx;
	if (strcmp(path, "/boot/img"))
		return COMP_OPS_NOENT;
	if (need > 4096)
		return COMP_OPS_SMALL;
	free(mem[id]);
	mem[id] = calloc(1, need);
	*px = mem[id];
	return 0;
}

static void f_unbind(void *ctx, uint32_t id)
{
	(void)ctx;
	unbinds++;
	free(mem[id]);
	mem[id] = NULL;
}

static int f_subscribe(void *ctx, uint64_t owner, uint32_t index, uint32_t mask)
{
	(void)ctx;
	(void)owner;
	(void)index;
	(void)mask;
	return ++subs > 2 ? COMP_OPS_BUSY : 0;
}

static int f_outputs(void *ctx, char *out, size_t cap)
{
	(void)ctx;
	snprintf(out, cap, "{\"id\":0,\"name\":\"headless\"}");
	return 0;
}

static int f_mode(void *ctx, uint32_t id, uint32_t w, uint32_t h, uint32_t hz)
{
	(void)ctx;
	return id == 0 && w == 1024 && h == 768 && hz == 60 ? 0 : COMP_OPS_ARG;
}

static void setup(void)
{
	static const struct comp_srv_ops ops = {
		.bind_dmabuf = f_dmabuf,
		.bind_image = f_image,
		.unbind = f_unbind,
		.subscribe = f_subscribe,
		.outputs = f_outputs,
		.set_mode = f_mode,
	};
	for (int i = 0; i <= (int)COMP_LAYER_ID_MAX; i++) {
		free(mem[i]);
		mem[i] = NULL;
	}
	comp_scene_init(&sc, 1024, 768);
	comp_srv_init(&srv, &sc, &ops);
	unbinds = subs = 0;
	fake_grant_len = 1 << 20;
}

static void req(uint64_t owner, uint32_t nh, const char *json)
{
	comp_srv_handle(&srv, owner, json, strlen(json), nh, &rep);
}

#define OK(owner, nh, json)                                                    \
	do {                                                                   \
		req(owner, nh, json);                                          \
		if (!rep.ok)                                                   \
			fprintf(stderr, "    %s -> %s %s\n", json, rep.code,   \
				rep.message);                                  \
		CHECK(rep.ok);                                                 \
	} while (0)
#define ERR(nh, json, want)                                                    \
	do {                                                                   \
		req(0, nh, json);                                              \
		CHECK(!rep.ok);                                                \
		STR_EQ(rep.code, want);                                        \
	} while (0)

TEST(comp_srv_ping_create_and_errors)
{
	setup();
	OK(0, 0, "{\"cmd\":\"ping\"}");
	CHECK(strstr(rep.result, "\"name\":\"compositord\"") != NULL);
	CHECK(strstr(rep.result, "\"protocol\":\"ports/v0\"") != NULL);
	OK(0, 0, "{\"cmd\":\"create_layer\"}");
	STR_EQ(rep.result, "{\"id\":1}");
	ERR(0, "{\"cmd\":", "BAD_JSON");
	ERR(0, "[1,2]", "BAD_JSON");
	ERR(0, "", "BAD_JSON");
	ERR(0, "{\"cmd\":7}", "BAD_CMD");
	ERR(0, "{\"x\":1}", "BAD_CMD");
	ERR(0, "{\"cmd\":\"fly\"}", "BAD_CMD");
	ERR(0, "{\"cmd\":\"set\",\"id\":2,\"x\":1}", "NOT_FOUND");
	ERR(0, "{\"cmd\":\"set\",\"id\":0}", "NOT_FOUND");
	ERR(0, "{\"cmd\":\"set\",\"id\":-1}", "BAD_ARG");
	ERR(0, "{\"cmd\":\"set\",\"id\":\"1\"}", "BAD_ARG");
	ERR(0, "{\"cmd\":\"set\"}", "BAD_ARG");
	ERR(0, "{\"cmd\":\"set\",\"id\":1,\"x\":\"left\"}", "BAD_ARG");
	ERR(0, "{\"cmd\":\"set\",\"id\":1,\"blend\":\"over\"}", "BAD_ARG");
	ERR(0, "{\"cmd\":\"set\",\"id\":1,\"visible\":null}", "BAD_ARG");
	ERR(0, "{\"cmd\":\"destroy_layer\",\"id\":9}", "NOT_FOUND");
	ERR(0, "{\"cmd\":\"unbind\",\"id\":9}", "NOT_FOUND");
	ERR(0, "{\"cmd\":\"damage\",\"id\":1,\"rect\":{\"x\":0}}", "BAD_ARG");
	ERR(0, "{\"cmd\":\"commit\",\"id\":5}", "NOT_FOUND");
	ERR(0,
	    "{\"cmd\":\"output_set_mode\",\"id\":0,\"mode\":{\"w\":1,\"h\":1}}",
	    "NOT_FOUND");
	ERR(0, "{\"cmd\":\"output_set_mode\",\"id\":0}", "BAD_ARG");
	OK(0, 0,
	   "{\"cmd\":\"output_set_mode\",\"id\":0,\"mode\":{\"w\":1024,\"h\":"
	   "768,"
	   "\"hz\":60}}");
	OK(0, 0, "{\"cmd\":\"output_list\"}");
	STR_EQ(rep.result, "{\"outputs\":[{\"id\":0,\"name\":\"headless\"}]}");
	CHECK_EQ(srv.errors, 20);
	OK(0, 0, "{\"cmd\":\"status\"}");
	CHECK(strstr(rep.result, "\"layers\":1") != NULL);
}

TEST(comp_srv_set_is_pending_and_all_or_nothing)
{
	setup();
	OK(0, 0, "{\"cmd\":\"create_layer\"}");
	struct comp_layer *l = comp_layer_get(&sc, 1);
	OK(0, 0,
	   "{\"cmd\":\"set\",\"id\":1,\"x\":12,\"y\":-5,\"alpha\":0.25,\"z\":3,"
	   "\"visible\":false,\"scale_x\":2.5,\"scale_y\":1e9,"
	   "\"rotation\":-30,\"blend\":\"screen\"}");
	STR_EQ(rep.result, "{\"frame\":1}");
	CHECK(l->pend[COMP_REG_X] == 12 && l->pend[COMP_REG_Y] == -5);
	CHECK(l->pend[COMP_REG_ALPHA] == 0.25 && l->pend[COMP_REG_Z] == 3);
	CHECK(l->pend[COMP_REG_VISIBLE] == 0);
	CHECK(l->pend[COMP_REG_SCALE_X] == 2.5 &&
	      l->pend[COMP_REG_SCALE_Y] == 64);
	CHECK(l->pend[COMP_REG_ROTATION] == 330);
	CHECK(l->pend[COMP_REG_BLEND] == COMP_BLEND_SCREEN);
	CHECK(l->cur[COMP_REG_X] == 0); /* until the latch */
	/* A bad field: nothing written. */
	ERR(0, "{\"cmd\":\"set\",\"id\":1,\"x\":1,\"y\":\"no\"}", "BAD_ARG");
	CHECK(l->pend[COMP_REG_X] == 12);
	/* set_regs: the same, with names. */
	OK(0, 0,
	   "{\"cmd\":\"set_regs\",\"regs\":{\"layer[1].x\":100,"
	   "\"layer[1].blend\":\"mul\",\"layer[1].visible\":true}}");
	STR_EQ(rep.result, "{\"frame\":1,\"writes\":3}");
	CHECK(l->pend[COMP_REG_X] == 100 && l->pend[COMP_REG_VISIBLE] == 1);
	CHECK(l->pend[COMP_REG_BLEND] == COMP_BLEND_MUL);
	ERR(0,
	    "{\"cmd\":\"set_regs\",\"regs\":{\"layer[1].x\":5,\"layer[2].x\":1}"
	    "}",
	    "NOT_FOUND");
	ERR(0,
	    "{\"cmd\":\"set_regs\",\"regs\":{\"layer[1].x\":5,\"layer[1].q\":1}"
	    "}",
	    "BAD_ARG");
	ERR(0, "{\"cmd\":\"set_regs\",\"regs\":[1]}", "BAD_ARG");
	CHECK(l->pend[COMP_REG_X] == 100);
	struct damage d;
	comp_latch(&sc, 1, &d);
	OK(0, 0, "{\"cmd\":\"commit\"}");
	STR_EQ(rep.result, "{\"frame\":2}");
}

TEST(comp_srv_bind_checks_sizes)
{
	setup();
	OK(0, 0, "{\"cmd\":\"create_layer\"}");
	/* No handle attached, index out of range. */
	ERR(0, "{\"cmd\":\"bind_dmabuf\",\"id\":1,\"fd\":0,\"w\":4,\"h\":4}",
	    "BAD_ARG");
	ERR(1, "{\"cmd\":\"bind_dmabuf\",\"id\":1,\"fd\":1,\"w\":4,\"h\":4}",
	    "BAD_ARG");
	ERR(1,
	    "{\"cmd\":\"bind_dmabuf\",\"id\":1,\"fd\":0,\"w\":4,\"h\":4,"
	    "\"stride\":12}",
	    "BAD_ARG");
	CHECK(strstr(rep.message, "stride") != NULL);
	ERR(1,
	    "{\"cmd\":\"bind_dmabuf\",\"id\":1,\"fd\":0,\"w\":4,\"h\":4,"
	    "\"stride\":18}",
	    "BAD_ARG");
	ERR(1, "{\"cmd\":\"bind_dmabuf\",\"id\":1,\"fd\":0,\"w\":0,\"h\":4}",
	    "BAD_ARG");
	ERR(1,
	    "{\"cmd\":\"bind_dmabuf\",\"id\":1,\"fd\":0,\"w\":4,\"h\":4,"
	    "\"format\":\"YUV\"}",
	    "BAD_ARG");
	ERR(1,
	    "{\"cmd\":\"bind_dmabuf\",\"id\":1,\"fd\":0,\"w\":4,\"h\":4,"
	    "\"modifier\":7}",
	    "BAD_ARG");
	fake_grant_len = 4096;
	ERR(1, "{\"cmd\":\"bind_dmabuf\",\"id\":1,\"fd\":0,\"w\":64,\"h\":64}",
	    "BAD_ARG");
	CHECK(strstr(rep.message, "smaller") != NULL);
	OK(0, 1,
	   "{\"cmd\":\"bind_dmabuf\",\"id\":1,\"fd\":0,\"w\":32,\"h\":32,"
	   "\"format\":\"BGRA8\",\"stride\":128,\"modifier\":0}");
	struct comp_layer *l = comp_layer_get(&sc, 1);
	CHECK(l->fmt == COMP_FMT_BGRA8 && l->w == 32 && l->stride == 128);
	/* Images: the file is read; too short, missing. */
	ERR(0,
	    "{\"cmd\":\"bind_image\",\"id\":1,\"path\":\"/boot/img\",\"w\":64,"
	    "\"h\":64}",
	    "BAD_ARG");
	ERR(0,
	    "{\"cmd\":\"bind_image\",\"id\":1,\"path\":\"/x\",\"w\":4,\"h\":4}",
	    "NOT_FOUND");
	ERR(0, "{\"cmd\":\"bind_image\",\"id\":1,\"w\":4,\"h\":4}", "BAD_ARG");
	OK(0, 0,
	   "{\"cmd\":\"bind_image\",\"id\":1,\"path\":\"/boot/img\","
	   "\"w\":8,\"h\":8,\"format\":\"RGBA8\"}");
	CHECK(l->fmt == COMP_FMT_RGBA8 && l->stride == 32);
	OK(0, 0,
	   "{\"cmd\":\"damage\",\"id\":1,\"rect\":{\"x\":1,\"y\":1,\"w\":2,"
	   "\"h\":2}}");
	OK(0, 0, "{\"cmd\":\"unbind\",\"id\":1}");
	CHECK(l->fmt == 0);
	OK(0, 0, "{\"cmd\":\"destroy_layer\",\"id\":1}");
	CHECK(comp_layer_get(&sc, 1) == NULL);
}

TEST(comp_srv_sessions_subscribe_and_regs)
{
	setup();
	OK(0x1000, 0, "{\"cmd\":\"connect\"}");
	CHECK(rep.connect);
	OK(0x1000, 0, "{\"cmd\":\"create_layer\"}");
	OK(0x1000, 0, "{\"cmd\":\"create_layer\"}");
	OK(0, 0, "{\"cmd\":\"create_layer\"}");
	OK(0x1000, 1,
	   "{\"cmd\":\"bind_dmabuf\",\"id\":1,\"fd\":0,\"w\":4,\"h\":4}");
	CHECK_EQ(comp_srv_drop_owner(&srv, 0x1000), 2);
	CHECK(comp_layer_get(&sc, 1) == NULL && comp_layer_get(&sc, 3) != NULL);
	CHECK(mem[1] == NULL); /* unbound first */
	/* subscribe */
	ERR(1, "{\"cmd\":\"subscribe\",\"events\":[]}", "BAD_ARG");
	ERR(1, "{\"cmd\":\"subscribe\",\"events\":[\"tick\"]}", "BAD_ARG");
	ERR(0, "{\"cmd\":\"subscribe\",\"events\":[\"vsync\"]}", "BAD_ARG");
	OK(0, 1,
	   "{\"cmd\":\"subscribe\",\"events\":[\"vsync\",\"error\"],\"port\":"
	   "0}");
	OK(0, 1, "{\"cmd\":\"subscribe\",\"events\":[\"hotplug\"]}");
	ERR(1, "{\"cmd\":\"subscribe\",\"events\":[\"pageflip\"]}", "BUSY");
	/* REGS messages */
	static _Alignas(8) uint8_t buf[COMP_REGS_MSG_SIZE(2)];
	struct comp_regs_msg *m = (struct comp_regs_msg *)buf;
	*m = (struct comp_regs_msg){COMP_REGS_MAGIC, 2, 5};
	m->w[0] = (struct comp_reg_write){3, COMP_REG_X, 9};
	m->w[1] = (struct comp_reg_write){3, COMP_REG_Y, 8};
	/* Sent from an odd address: the doubles are copied out. */
	static uint8_t odd[sizeof(buf) + 1];
	memcpy(odd + 1, buf, sizeof(buf));
	CHECK_EQ(comp_srv_regs(&srv, odd + 1, sizeof(buf), 0), 0);
	CHECK_EQ(comp_srv_regs(&srv, buf, sizeof(buf) - 1, 0), -1);
	CHECK_EQ(comp_srv_regs(&srv, buf, 3, 0), -1);
	m->count = 300;
	CHECK_EQ(comp_srv_regs(&srv, buf, sizeof(buf), 0), -1);
	m->count = 2;
	m->magic = 0;
	CHECK_EQ(comp_srv_regs(&srv, buf, sizeof(buf), 0), -1);
	struct damage d;
	comp_latch(&sc, 5, &d);
	CHECK(comp_layer_get(&sc, 3)->cur[COMP_REG_X] == 9);
	CHECK(comp_layer_get(&sc, 3)->cur[COMP_REG_Y] == 8);
}

TEST(comp_srv_random_garbage_never_crashes)
{
	setup();
	srand(77);
	static const char *const pieces[] = {
		"{",
		"}",
		"\"cmd\"",
		":",
		",",
		"\"set\"",
		"\"id\"",
		"1",
		"-3",
		"1e400",
		"\"x\"",
		"[",
		"]",
		"null",
		"true",
		"\"regs\"",
		"\"layer[1].x\"",
		"\"set_regs\"",
		"\"create_layer\"",
		"0.5",
		"\"bind_dmabuf\"",
		"\"w\"",
		"\"h\"",
		"\"fd\"",
		"\"damage\"",
	};
	char buf[512];
	for (int i = 0; i < 5000; i++) {
		size_t n = 0;
		int k = rand() % 24;
		for (int j = 0; j < k; j++) {
			const char *p = pieces[rand() % 25];
			size_t l = strlen(p);
			if (n + l >= sizeof(buf))
				break;
			memcpy(buf + n, p, l);
			n += l;
		}
		comp_srv_handle(&srv, 0, buf, n, (uint32_t)(rand() % 2), &rep);
		CHECK(rep.ok || rep.code[0]);
	}
}
