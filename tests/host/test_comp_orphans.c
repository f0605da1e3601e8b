/* compositord: public layers of ended tasks (docs/graphics.md "Public
 * layers of ended tasks"). A layer made on the public endpoint outlives
 * its maker (portctl one-shots); when the 64 are full, the least recently
 * used public layer whose maker has ended makes room, so short-lived
 * helpers cannot fill the table for everyone. */
#include <stdlib.h>

#include "harness.h"

#include "comp_scene.h"
#include "comp_srv.h"

static struct comp_scene sc;
static struct comp_srv srv;
static struct comp_reply rep;
static uint8_t *mem[COMP_LAYER_ID_MAX + 1];
static uint64_t ended[8]; /* task koids that have ended */
static int asked, unbinds;

static bool f_gone(void *ctx, uint64_t koid)
{
	(void)ctx;
	asked++;
	for (size_t i = 0; i < sizeof(ended) / sizeof(ended[0]); i++)
		if (ended[i] && ended[i] == koid)
			return true;
	return false;
}

static int f_image(void *ctx, uint32_t id, const char *path, uint64_t need,
		   const uint8_t **px)
{
	(void)ctx;
	(void)path;
	free(mem[id]);
	mem[id] = calloc(1, need);
	*px = mem[id];
	return 0;
}

static void f_unbind(void *ctx, uint32_t id)
{
	(void)ctx;
	unbinds += mem[id] != NULL;
	free(mem[id]);
	mem[id] = NULL;
}

static void setup(bool can_tell)
{
	struct comp_srv_ops ops = {
		.bind_image = f_image,
		.unbind = f_unbind,
		.task_gone = can_tell ? f_gone : NULL,
	};
	for (int i = 0; i <= (int)COMP_LAYER_ID_MAX; i++) {
		free(mem[i]);
		mem[i] = NULL;
	}
	memset(ended, 0, sizeof(ended));
	asked = unbinds = 0;
	comp_scene_init(&sc, 1024, 768);
	comp_srv_init(&srv, &sc, &ops);
}

static bool req_from(uint64_t owner, uint64_t task, const char *json)
{
	comp_srv_handle_from(&srv, owner, task, json, strlen(json), 0, &rep);
	return rep.ok;
}

static const char *cl = "{\"cmd\":\"create_layer\"}";

/* Four helper tasks make 16 public layers each: the table is full. */
static void fill_public(uint64_t first_task)
{
	for (uint32_t i = 0; i < COMP_LAYERS_MAX; i++)
		CHECK(req_from(0, first_task + i / COMP_TASK_LAYERS, cl));
	CHECK_EQ(comp_layer_count(&sc), COMP_LAYERS_MAX);
}

static bool exists_public(uint32_t id)
{
	char q[64];
	snprintf(q, sizeof(q), "{\"cmd\":\"get\",\"id\":%u}", id);
	return req_from(0, 0x99, q);
}

/* The guest test's case: the helpers ended; their layers stay while
 * there is room (nobody asked), then a live client's create succeeds
 * and only one of them goes, the least recently used. */
TEST(comp_orphans_full_table_gives_room_to_a_live_client)
{
	setup(true);
	fill_public(0x10);
	CHECK_EQ(asked, 0); /* room was never short: nobody asked */
	for (int i = 0; i < 4; i++)
		ended[i] = 0x10 + (uint64_t)i;
	/* a later one-shot uses layer 1: layer 2 is now the oldest */
	CHECK(exists_public(1));
	CHECK(req_from(0x500, 0x20, cl));  /* a session of a live task */
	STR_EQ(rep.result, "{\"id\":66}"); /* layer 2's slot, a new id */
	CHECK_EQ(srv.reclaimed, 1);
	CHECK_EQ(comp_layer_count(&sc), COMP_LAYERS_MAX);
	CHECK(exists_public(1));
	CHECK(!exists_public(2)); /* reclaimed: NOT_FOUND */
	CHECK(exists_public(3));
	/* the live client gets its full share, each from the oldest */
	for (uint32_t i = 1; i < COMP_TASK_LAYERS; i++)
		CHECK(req_from(0x500, 0x20, cl));
	CHECK_EQ(srv.reclaimed, COMP_TASK_LAYERS);
	CHECK(!req_from(0x500, 0x20, cl));
	CHECK(strstr(rep.message, "for this task"));
	CHECK(exists_public(1)); /* touched: kept */
	/* status shows it */
	CHECK(req_from(0, 0x99, "{\"cmd\":\"status\"}"));
	CHECK(strstr(rep.result, "\"reclaimed\":16"));
}

/* Public layers of running makers are never taken, and each maker is
 * asked about once per create. */
TEST(comp_orphans_live_makers_keep_their_layers)
{
	setup(true);
	fill_public(0x10);
	CHECK(!req_from(0, 0x20, cl));
	STR_EQ(rep.code, "BUSY");
	CHECK(strstr(rep.message, "64 layers"));
	CHECK_EQ(asked, 4);
	CHECK_EQ(srv.reclaimed, 0);
	for (uint32_t id = 1; id <= COMP_LAYERS_MAX; id++)
		CHECK(exists_public(id));
	/* one maker ends: its layers (the second 16) make the room */
	ended[0] = 0x11;
	asked = 0;
	CHECK(req_from(0, 0x20, cl));
	STR_EQ(rep.result, "{\"id\":81}"); /* 17's slot, a new id */
	CHECK_EQ(asked, 2);		   /* 0x10 (older, live), then 0x11 */
	CHECK(exists_public(1));
	CHECK(exists_public(18));
}

/* A bound orphan is unbound before it goes (its grant or copy freed). */
TEST(comp_orphans_reclaimed_layer_is_unbound)
{
	setup(true);
	fill_public(0x10);
	CHECK(req_from(0, 0x10,
		       "{\"cmd\":\"bind_image\",\"id\":1,\"path\":"
		       "\"/boot/x\",\"w\":4,\"h\":4}"));
	CHECK(mem[1] != NULL);
	/* layer 1 was just used; make it the oldest again by touching
	 * every other one */
	for (uint32_t id = 2; id <= COMP_LAYERS_MAX; id++)
		CHECK(exists_public(id));
	ended[0] = 0x10;
	CHECK(req_from(0, 0x20, cl));
	STR_EQ(rep.result, "{\"id\":65}"); /* 1's slot, a new id */
	CHECK_EQ(unbinds, 1);
	CHECK(mem[1] == NULL);
}

/* Not picked: session layers (they go with the session's end), layers
 * of an unknown maker (task 0), and anything when the platform cannot
 * tell which tasks ended. */
TEST(comp_orphans_only_public_layers_of_known_ended_makers)
{
	setup(true);
	for (uint32_t i = 0; i < COMP_LAYERS_MAX; i++)
		CHECK(req_from(0x100 + i / COMP_TASK_LAYERS,
			       0x10 + i / COMP_TASK_LAYERS, cl));
	for (int i = 0; i < 4; i++)
		ended[i] = 0x10 + (uint64_t)i;
	CHECK(!req_from(0, 0x20, cl));
	STR_EQ(rep.code, "BUSY");
	CHECK_EQ(asked, 0);

	setup(true);
	for (uint32_t i = 0; i < COMP_LAYERS_MAX; i++)
		CHECK(req_from(0, 0, cl)); /* comp_srv_handle: no task */
	CHECK(!req_from(0, 0x20, cl));
	CHECK_EQ(asked, 0);

	setup(false);
	fill_public(0x10);
	for (int i = 0; i < 4; i++)
		ended[i] = 0x10 + (uint64_t)i;
	CHECK(!req_from(0, 0x20, cl));
	STR_EQ(rep.code, "BUSY");
	CHECK_EQ(srv.reclaimed, 0);
}
