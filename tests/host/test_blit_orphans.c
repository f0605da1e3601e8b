/* blitterd: public surfaces and subscriptions of ended tasks
 * (docs/graphics.md "blitterd", Limits). A surface bound on the public
 * endpoint outlives its maker; when the 64 surfaces (or the 64 mappings)
 * are full, the least recently used public surface whose maker has ended
 * is unbound, so short-lived helpers cannot fill blitterd for everyone.
 * On the old code the live client's surface_bind was BUSY and its job
 * NO_MEMORY. The same for public subscriptions: the 16 full, or an event
 * lost on a full queue, closes one whose maker has ended (on the old code
 * the 17th subscribe was BUSY and the lost events went on forever). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "blit_proto.h"
#include "harness.h"

#define NG 80 /* grants: handle h is grant koid 1000 + h */

static uint8_t gmem[NG + 1][64];
static int mapped, asked;
static uint64_t ended[4];

static int f_ident(void *c, uint32_t h, uint64_t *koid, bool *cw)
{
	(void)c;
	if (h < 1 || h > NG)
		return -1;
	*koid = 1000 + h;
	*cw = true;
	return 0;
}

static int f_map(void *c, uint32_t h, uint8_t **base, bool *wr)
{
	(void)c;
	*base = gmem[h];
	*wr = true;
	mapped++;
	return 0;
}

static bool f_fits(void *c, uint8_t *base, uint64_t bytes)
{
	(void)c;
	(void)base;
	return bytes <= 64;
}

static void f_unmap(void *c, uint8_t *base)
{
	(void)c;
	(void)base;
	mapped--;
}

static int f_mint(void *c, uint64_t badge, uint32_t *h)
{
	(void)c;
	*h = 100 + (uint32_t)badge;
	return 0;
}

static uint32_t full_h; /* this port's queue is full */
static int sends, closes;
static uint32_t closed_h;

static int f_send(void *c, uint32_t h, const char *d, uint32_t len)
{
	(void)c;
	(void)d;
	(void)len;
	sends++;
	return h == full_h;
}

static void f_close(void *c, uint32_t h)
{
	(void)c;
	closes++;
	closed_h = h;
}

static uint64_t f_now(void *c)
{
	(void)c;
	return 0;
}

static bool f_gone(void *c, uint64_t koid)
{
	(void)c;
	asked++;
	for (int i = 0; i < 4; i++)
		if (ended[i] == koid)
			return true;
	return false;
}

static struct blit_svc svc;
static struct blit_ans ans;

static void setup(bool can_tell)
{
	static struct blit_plat p = {
		.ident = f_ident,
		.map = f_map,
		.fits = f_fits,
		.unmap = f_unmap,
		.mint = f_mint,
		.send = f_send,
		.close = f_close,
		.now = f_now,
	};
	p.task_gone = can_tell ? f_gone : NULL;
	mapped = asked = sends = closes = 0;
	full_h = closed_h = 0;
	memset(ended, 0, sizeof(ended));
	blit_init(&svc, &blit_kern_scalar, &p);
}

/* A call from task on badge with grant handle h attached as index 0. */
static bool call(const char *json, uint32_t h, uint64_t badge, uint64_t task)
{
	uint32_t hs[1] = {h};
	blit_handle_from(&svc, json, strlen(json), hs, h ? 1 : 0, badge, task,
			 &ans);
	return ans.ok;
}

#define BIND                                                                   \
	"{\"cmd\":\"surface_bind\",\"fd\":0,\"w\":2,\"h\":2,\"format\":"       \
	"\"RGBA8\",\"stride\":8}"
#define FILL                                                                   \
	"{\"cmd\":\"rect_fill\",\"dst\":{\"fd\":0,\"w\":2,\"h\":2,\"format\":" \
	"\"RGBA8\",\"stride\":8},\"rect\":{\"x\":0,\"y\":0,\"w\":1,\"h\":1},"  \
	"\"color\":{\"r\":1,\"g\":2,\"b\":3,\"a\":4}}"

/* Four helpers bind 16 public surfaces each (each on its own grant:
 * every mapping is taken too), then end. */
static void fill(void)
{
	for (uint32_t i = 0; i < BLIT_MAX_SURFACES; i++)
		CHECK(call(BIND, 1 + i, 0, 0x10 + i / BLIT_TASK_SURFACES));
	CHECK_EQ(blit_nsurfaces(&svc), BLIT_MAX_SURFACES);
	CHECK_EQ(blit_nmems(&svc), BLIT_MAX_MEMS);
}

static bool public_exists(uint32_t id)
{
	char q[160];
	snprintf(q, sizeof(q),
		 "{\"cmd\":\"rect_fill\",\"dst\":{\"surface\":%u},\"rect\":"
		 "{\"x\":0,\"y\":0,\"w\":1,\"h\":1},\"color\":{\"r\":1,"
		 "\"g\":1,\"b\":1,\"a\":1}}",
		 id);
	return call(q, 0, 0, 0x99);
}

TEST(blit_orphans_full_tables_give_room_to_a_live_client)
{
	setup(true);
	fill();
	CHECK_EQ(asked, 0); /* kept while there was room */
	for (int i = 0; i < 4; i++)
		ended[i] = 0x10 + (uint64_t)i;
	CHECK(public_exists(1)); /* a later one-shot uses surface 1 */
	/* a live client's job on a fresh grant needs a mapping */
	CHECK(call(FILL, 70, 0, 0x20));
	CHECK_EQ(svc.st.reclaimed, 1);
	CHECK(public_exists(1));
	CHECK(!public_exists(2)); /* the least recently used went */
	/* the freed slot serves its first bind; the next needs another
	 * surface slot and mapping */
	CHECK(call(BIND, 71, 0, 0x20));
	CHECK_EQ(svc.st.reclaimed, 1);
	CHECK(call(BIND, 72, 0, 0x20));
	CHECK_EQ(svc.st.reclaimed, 2);
	CHECK(!public_exists(3));
	CHECK(public_exists(4));
	CHECK_EQ(mapped, BLIT_MAX_MEMS);
	call("{\"cmd\":\"status\"}", 0, 0, 0x99);
	CHECK(strstr(ans.result, "\"reclaimed\":2"));
}

TEST(blit_orphans_live_makers_keep_their_surfaces)
{
	setup(true);
	fill();
	CHECK(!call(BIND, 71, 0, 0x20));
	STR_EQ(ans.code, "BUSY");
	CHECK_EQ(asked, 4); /* each maker once */
	CHECK_EQ(svc.st.reclaimed, 0);
	ended[0] = 0x12; /* the third helper ended: its oldest goes */
	CHECK(call(BIND, 71, 0, 0x20));
	CHECK(public_exists(1));
	CHECK(!public_exists(33));
	CHECK(public_exists(34));
	/* a task at its own 16 reclaims nothing */
	for (int i = 0; i < 15; i++)
		CHECK(call(BIND, 71, 0, 0x20));
	uint64_t before = svc.st.reclaimed;
	CHECK(!call(BIND, 71, 0, 0x20));
	CHECK(strstr(ans.message, "of this task"));
	CHECK_EQ(svc.st.reclaimed, before);
}

TEST(blit_orphans_only_public_of_known_ended_makers)
{
	/* session surfaces go with the session, not here */
	setup(true);
	uint64_t badge[4];
	for (int t = 0; t < 4; t++) {
		CHECK(call("{\"cmd\":\"connect\"}", 0, 0, 0x10 + (uint64_t)t));
		badge[t] = ans.handle - 100;
	}
	for (uint32_t i = 0; i < BLIT_MAX_SURFACES; i++)
		CHECK(call(BIND, 1 + i, badge[i / BLIT_TASK_SURFACES],
			   0x10 + i / BLIT_TASK_SURFACES));
	for (int i = 0; i < 4; i++)
		ended[i] = 0x10 + (uint64_t)i;
	CHECK(!call(BIND, 71, 0, 0x20));
	STR_EQ(ans.code, "BUSY");
	CHECK_EQ(asked, 0);
	/* no way to tell: all kept, as before */
	setup(false);
	fill();
	for (int i = 0; i < 4; i++)
		ended[i] = 0x10 + (uint64_t)i;
	CHECK(!call(FILL, 70, 0, 0x20));
	STR_EQ(ans.code, "NO_MEMORY");
	CHECK(!call(BIND, 71, 0, 0x20));
	STR_EQ(ans.code, "BUSY");
}

#define SUB "{\"cmd\":\"subscribe\",\"events\":[\"complete\"],\"port\":0}"

/* Four helpers subscribe 4 times each on the public endpoint (ports
 * 201..216, oldest first). */
static void fill_subs(void)
{
	for (uint32_t i = 0; i < BLIT_MAX_SUBS; i++)
		CHECK(call(SUB, 201 + i, 0, 0x10 + i / BLIT_TASK_SUBS));
	CHECK_EQ(blit_nsubs(&svc), BLIT_MAX_SUBS);
}

TEST(blit_orphans_subscriptions_of_ended_makers_make_room)
{
	setup(true);
	fill_subs();
	CHECK_EQ(asked, 0);
	/* all makers live: BUSY, each asked once */
	CHECK(!call(SUB, 300, 0, 0x20));
	STR_EQ(ans.code, "BUSY");
	CHECK_EQ(asked, 4);
	CHECK_EQ(closes, 0);
	/* the second helper ended: its oldest subscription goes */
	ended[0] = 0x11;
	CHECK(call(SUB, 300, 0, 0x20));
	CHECK_EQ(closes, 1);
	CHECK_EQ(closed_h, 205);
	CHECK_EQ(blit_nsubs(&svc), BLIT_MAX_SUBS);
	CHECK(call(SUB, 301, 0, 0x20));
	CHECK_EQ(closed_h, 206);
	call("{\"cmd\":\"status\"}", 0, 0, 0x99);
	CHECK(strstr(ans.result, "\"subs_reclaimed\":2"));
	/* a task at its own 4 reclaims nothing */
	CHECK(call(SUB, 302, 0, 0x20));
	CHECK(call(SUB, 303, 0, 0x20));
	int c = closes;
	CHECK(!call(SUB, 304, 0, 0x20));
	CHECK(strstr(ans.message, "of this task"));
	CHECK_EQ(closes, c);
	/* sessions' subscriptions go with their session, never here */
	setup(true);
	for (int t = 0; t < 4; t++) {
		CHECK(call("{\"cmd\":\"connect\"}", 0, 0, 0x10 + (uint64_t)t));
		uint64_t badge = ans.handle - 100;
		for (uint32_t i = 0; i < BLIT_TASK_SUBS; i++)
			CHECK(call(SUB, 201 + 4 * (uint32_t)t + i, badge,
				   0x10 + (uint64_t)t));
	}
	for (int i = 0; i < 4; i++)
		ended[i] = 0x10 + (uint64_t)i;
	CHECK(!call(SUB, 300, 0, 0x20));
	STR_EQ(ans.code, "BUSY");
	CHECK_EQ(asked, 0);
	/* no way to tell: all kept, as before */
	setup(false);
	fill_subs();
	ended[0] = 0x10;
	CHECK(!call(SUB, 300, 0, 0x20));
	STR_EQ(ans.code, "BUSY");
}

TEST(blit_orphans_lost_event_drops_subscription_of_ended_maker)
{
	setup(true);
	CHECK(call(SUB, 201, 0, 0x10));
	CHECK(call(SUB, 202, 0, 0x11));
	full_h = 201; /* nobody reads 201's queue */
	/* its maker lives: kept, asked once per run of lost events */
	CHECK(call(FILL, 70, 0, 0x20));
	CHECK(call(FILL, 70, 0, 0x20));
	CHECK_EQ(asked, 1);
	CHECK_EQ(svc.st.events_dropped, 2);
	CHECK_EQ(blit_nsubs(&svc), 2);
	/* an event gets through, then the maker ends: the next loss asks
	 * again and closes it */
	full_h = 0;
	CHECK(call(FILL, 70, 0, 0x20));
	full_h = 201;
	ended[0] = 0x10;
	CHECK(call(FILL, 70, 0, 0x20));
	CHECK_EQ(asked, 2);
	CHECK_EQ(closes, 1);
	CHECK_EQ(closed_h, 201);
	CHECK_EQ(blit_nsubs(&svc), 1);
	CHECK_EQ(svc.st.subs_reclaimed, 1);
	/* 202 still hears every public job */
	int before = sends;
	CHECK(call(FILL, 70, 0, 0x20));
	CHECK_EQ(sends, before + 1);
	/* a lost event of a session's subscription asks nothing */
	CHECK(call("{\"cmd\":\"connect\"}", 0, 0, 0x12));
	uint64_t badge = ans.handle - 100;
	CHECK(call(SUB, 203, badge, 0x12));
	full_h = 203;
	ended[1] = 0x12;
	int a0 = asked;
	CHECK(call(FILL, 70, badge, 0x12));
	CHECK_EQ(asked, a0);
	CHECK_EQ(blit_nsubs(&svc), 2);
}
