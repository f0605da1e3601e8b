/* copperd's engine (services/copperd/cop_engine.c): the server/DL
 * handover (a start applies at the next job, an unload frees only after
 * the DL thread let go, slots reused), the per-frame batch (only
 * registers written since the last one, at most 255, the rest next
 * frame), events and their ring's overflow. Single-threaded: the tests
 * play both threads in turn. */
#include <stdlib.h>
#include <string.h>

#include "comp_regs.h"
#include "cop_engine.h"
#include "harness.h"

#define PERIOD 16666667ull

static struct cop_engine eng;
static struct comp_reg_write w[COMP_REGS_MAX];
static struct json_doc doc;
static char err[160];

static struct cop_prog *jprog(const char *js)
{
	struct cop_mask m;
	cop_mask_all(&m);
	if (json_parse(&doc, js, strlen(js)) < 0)
		return NULL;
	return cop_prog_from_json(&doc, 0, &m, err, sizeof(err));
}

static const char *sprite =
	"[{\"op\":\"MOVE\",\"reg\":\"layer[1].x\",\"value\":10},"
	"{\"label\":\"L\"},{\"op\":\"ADD\",\"reg\":\"layer[1].x\",\"delta\":4},"
	"{\"op\":\"IRQ\",\"tag\":\"tick\"},{\"op\":\"WAIT\",\"vsync\":true},"
	"{\"op\":\"LOOP\",\"count\":3,\"label\":\"L\"}]";

static int drain(struct cop_event *evs, int max)
{
	int n = 0;
	struct cop_event ev;
	while (cop_eng_next_event(&eng, &ev)) {
		if (n < max)
			evs[n] = ev;
		n++;
	}
	return n;
}

TEST(copper_engine_start_runs_at_next_job)
{
	cop_eng_init(&eng);
	struct cop_prog *p = jprog(sprite);
	CHECK(p);
	long id = cop_eng_add(&eng, p, 0);
	CHECK_EQ(id, 1);
	/* Loaded: stopped, nothing runs, nothing written. */
	CHECK_EQ(cop_eng_job(&eng, 0, PERIOD, 0, w, COMP_REGS_MAX), 0);
	struct cop_slot *s = cop_eng_find(&eng, 1);
	CHECK(s);
	CHECK_EQ(cop_eng_state(s), COP_STOPPED);
	cop_eng_start(s);
	CHECK_EQ(cop_eng_state(s), COP_STOPPED); /* until the DL job */
	CHECK_EQ(cop_eng_job(&eng, 1, PERIOD, 111, w, COMP_REGS_MAX), 1);
	CHECK_EQ(cop_eng_state(s), COP_RUNNING);
	CHECK_EQ(w[0].layer, 1);
	CHECK_EQ(w[0].reg, COMP_REG_X);
	CHECK(w[0].value == 14.0);
	struct cop_event ev[8];
	CHECK_EQ(drain(ev, 8), 2);
	CHECK_EQ(ev[0].type, COP_EV_STATE);
	CHECK_EQ(ev[0].state, COP_RUNNING);
	CHECK_EQ(ev[0].id, 1);
	CHECK_EQ(ev[1].type, COP_EV_IRQ);
	STR_EQ(ev[1].tag, "tick");
	CHECK_EQ(ev[1].usec, 111);
	CHECK_EQ(cop_eng_job(&eng, 2, PERIOD, 0, w, COMP_REGS_MAX), 1);
	CHECK(w[0].value == 18.0);
	CHECK_EQ(cop_eng_job(&eng, 3, PERIOD, 0, w, COMP_REGS_MAX), 1);
	CHECK(w[0].value == 22.0);
	/* Frame 4: the LOOP falls through, off the end: stopped, no write. */
	CHECK_EQ(cop_eng_job(&eng, 4, PERIOD, 0, w, COMP_REGS_MAX), 0);
	CHECK_EQ(cop_eng_state(s), COP_STOPPED);
	CHECK_EQ(drain(ev, 8), 3); /* two irqs, then stopped */
	CHECK_EQ(ev[2].type, COP_EV_STATE);
	CHECK_EQ(ev[2].state, COP_STOPPED);
	/* Started again: from op 0. */
	cop_eng_start(s);
	CHECK_EQ(cop_eng_job(&eng, 9, PERIOD, 0, w, COMP_REGS_MAX), 1);
	CHECK(w[0].value == 14.0);
	struct cop_counts n;
	cop_eng_counts(&eng, &n);
	CHECK_EQ(n.jobs, 6);
	CHECK_EQ(n.writes, 4);
	CHECK_EQ(n.irqs, 4);
	cop_eng_fini(&eng);
}

TEST(copper_engine_stop_and_unload_handover)
{
	cop_eng_init(&eng);
	struct cop_prog *p = jprog(sprite);
	CHECK(p);
	long id = cop_eng_add(&eng, p, 5);
	struct cop_slot *s = cop_eng_find(&eng, (uint32_t)id);
	cop_eng_start(s);
	cop_eng_job(&eng, 0, PERIOD, 0, w, COMP_REGS_MAX);
	cop_eng_stop(s);
	CHECK_EQ(cop_eng_job(&eng, 1, PERIOD, 0, w, COMP_REGS_MAX), 0);
	CHECK_EQ(cop_eng_state(s), COP_STOPPED);
	cop_eng_unload(s);
	CHECK(!cop_eng_find(&eng, (uint32_t)id)); /* gone for requests */
	/* Not released yet: the DL thread may still hold it. */
	CHECK_EQ(cop_eng_reap(&eng), 1);
	CHECK(eng.slot[0].used && eng.slot[0].prog == p);
	cop_eng_job(&eng, 2, PERIOD, 0, w, COMP_REGS_MAX);
	CHECK_EQ(cop_eng_reap(&eng), 0);
	CHECK(!eng.slot[0].used);
	/* The slot is reused by the next load, which starts stopped. */
	struct cop_prog *q = jprog(sprite);
	CHECK(q);
	long id2 = cop_eng_add(&eng, q, 0);
	CHECK_EQ(id2, id + 1);
	CHECK(eng.slot[0].prog == q);
	CHECK_EQ(cop_eng_job(&eng, 3, PERIOD, 0, w, COMP_REGS_MAX), 0);
	CHECK_EQ(cop_eng_state(&eng.slot[0]), COP_STOPPED);
	/* Unloaded while running: no more writes. */
	cop_eng_start(&eng.slot[0]);
	CHECK_EQ(cop_eng_job(&eng, 4, PERIOD, 0, w, COMP_REGS_MAX), 1);
	cop_eng_unload(&eng.slot[0]);
	CHECK_EQ(cop_eng_job(&eng, 5, PERIOD, 0, w, COMP_REGS_MAX), 0);
	CHECK_EQ(cop_eng_reap(&eng), 0);
	cop_eng_fini(&eng);
}

TEST(copper_engine_slots_and_owners)
{
	cop_eng_init(&eng);
	for (int i = 0; i < COP_MAX_PROGS; i++) {
		struct cop_prog *p = jprog(sprite);
		CHECK(p);
		CHECK_EQ(cop_eng_add(&eng, p, (uint64_t)(i % 2)), i + 1);
	}
	struct cop_prog *p = jprog(sprite);
	CHECK_EQ(cop_eng_add(&eng, p, 0), -1); /* full: not taken */
	cop_prog_free(p);
	CHECK_EQ(cop_eng_drop_owner(&eng, 1), COP_MAX_PROGS / 2);
	CHECK_EQ(cop_eng_drop_owner(&eng, 1), 0);
	cop_eng_job(&eng, 0, PERIOD, 0, w, COMP_REGS_MAX);
	CHECK_EQ(cop_eng_reap(&eng), COP_MAX_PROGS / 2);
	for (int i = 0; i < COP_MAX_PROGS; i++)
		CHECK(!cop_eng_find(&eng, (uint32_t)i + 1) == (i % 2 == 1));
	cop_eng_fini(&eng);
}

TEST(copper_engine_batch_cap_defers)
{
	/* 300 distinct registers in one frame: 255 now, 45 next frame. */
	uint64_t wd[301];
	for (int i = 0; i < 300; i++)
		wd[i] = (uint64_t)COP_MOVE << 56 |
			(uint64_t)(i % COMP_REG_COUNT) << 40 |
			(uint64_t)(1 + i / COMP_REG_COUNT) << 32 | 7;
	wd[300] = (uint64_t)COP_WAIT_VSYNC << 56;
	struct cop_mask m;
	cop_mask_all(&m);
	struct cop_prog *p = cop_prog_from_words(wd, 301, &m, err, sizeof(err));
	CHECK(p);
	cop_eng_init(&eng);
	cop_eng_add(&eng, p, 0);
	cop_eng_start(&eng.slot[0]);
	CHECK_EQ(cop_eng_job(&eng, 0, PERIOD, 0, w, COMP_REGS_MAX),
		 COMP_REGS_MAX);
	struct cop_counts n;
	cop_eng_counts(&eng, &n);
	CHECK_EQ(n.deferred, 45);
	CHECK_EQ(cop_eng_job(&eng, 1, PERIOD, 0, w, COMP_REGS_MAX), 45);
	CHECK_EQ(cop_eng_job(&eng, 2, PERIOD, 0, w, COMP_REGS_MAX), 0);
	cop_eng_fini(&eng);
}

TEST(copper_engine_watchdog_event_and_ring_overflow)
{
	cop_eng_init(&eng);
	struct cop_prog *p = jprog("[{\"label\":\"L\"},{\"op\":\"JUMP\","
				   "\"label\":\"L\"}]");
	CHECK(p);
	cop_eng_add(&eng, p, 0);
	cop_eng_start(&eng.slot[0]);
	cop_eng_job(&eng, 0, PERIOD, 0, w, COMP_REGS_MAX);
	CHECK_EQ(cop_eng_state(&eng.slot[0]), COP_ERROR);
	struct cop_event ev[4];
	CHECK_EQ(drain(ev, 4), 2);
	CHECK_EQ(ev[1].state, COP_ERROR);
	struct cop_counts n;
	cop_eng_counts(&eng, &n);
	CHECK_EQ(n.watchdogs, 1);
	/* Nobody drains: the ring loses what does not fit, counted. */
	p = jprog("[{\"label\":\"L\"},{\"op\":\"IRQ\",\"tag\":\"a\"},"
		  "{\"op\":\"IRQ\",\"tag\":\"b\"},{\"op\":\"WAIT\",\"vsync\":"
		  "true},{\"op\":\"JUMP\",\"label\":\"L\"}]");
	CHECK(p);
	cop_eng_add(&eng, p, 0);
	cop_eng_start(&eng.slot[1]);
	for (uint64_t f = 1; f <= 200; f++)
		cop_eng_job(&eng, f, PERIOD, f, w, COMP_REGS_MAX);
	cop_eng_counts(&eng, &n);
	CHECK_EQ(n.irqs, 400);
	CHECK_EQ(n.ev_lost, 401 - COP_EV_RING); /* + the running event */
	CHECK_EQ(drain(ev, 4), COP_EV_RING);
	cop_eng_job(&eng, 201, PERIOD, 0, w, COMP_REGS_MAX);
	CHECK_EQ(drain(ev, 4), 2);
	STR_EQ(ev[0].tag, "a");
	cop_eng_fini(&eng);
}
