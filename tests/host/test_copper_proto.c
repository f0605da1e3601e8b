/* copperd's ports/v0 protocol (services/copperd/cop_proto.c) over a fake
 * platform: every command, the error object for each malformed request
 * (bad JSON, wrong types, unknown cmd, unknown id, validation naming the
 * op), sessions and their notice, subscribers (full queue, gone, the
 * limit), the binary form from a memory object, and a fuzz of mutated
 * requests whose every answer must be ports/v0. */
#include <stdlib.h>
#include <string.h>

#include "comp_regs.h"
#include "cop_proto.h"
#include "harness.h"

#define PERIOD 16666667ull

static struct cop_srv srv;
static struct cop_reply rep;
static struct comp_reg_write w[COMP_REGS_MAX];

/* The fake platform. */
static uint32_t next_h = 100, closed[64], nclosed;
static int send_rc[1000]; /* by handle: COP_SEND_* */
static char sent[32][200];
static uint32_t sent_h[32], nsent;
static uint64_t vmo_words[1100];
static uint32_t vmo_h, vmo_len; /* the one memory object: its bytes */
static bool mint_fails;

static int f_mint(void *ctx, uint64_t badge, uint32_t *h)
{
	(void)ctx;
	(void)badge;
	if (mint_fails)
		return -1;
	*h = next_h++;
	return 0;
}

static void f_close(void *ctx, uint32_t h)
{
	(void)ctx;
	if (nclosed < 64)
		closed[nclosed++] = h;
}

static int f_send(void *ctx, uint32_t h, const char *js, uint32_t len)
{
	(void)ctx;
	int rc = h < 1000 ? send_rc[h] : COP_SEND_GONE;
	if (rc == COP_SEND_OK && nsent < 32) {
		snprintf(sent[nsent], sizeof(sent[0]), "%.*s", (int)len, js);
		sent_h[nsent++] = h;
	}
	return rc;
}

static int f_read_vmo(void *ctx, uint32_t h, void *buf, uint64_t len)
{
	(void)ctx;
	if (h != vmo_h || len > vmo_len)
		return -1;
	memcpy(buf, vmo_words, len);
	return 0;
}

static void f_live(void *ctx, struct cop_live *o)
{
	(void)ctx;
	o->sched = "dl";
	o->hz = 60;
	o->period_ns = PERIOD;
	o->dl_met = 42;
	o->dl_missed = 0;
	o->comp_connected = true;
	o->late_writes = 0;
}

static const struct cop_plat plat = {
	.mint = f_mint,
	.close = f_close,
	.send = f_send,
	.read_vmo = f_read_vmo,
	.live = f_live,
};

static void setup(void)
{
	cop_srv_fini(&srv);
	cop_srv_init(&srv, &plat);
	next_h = 100;
	nclosed = nsent = 0;
	memset(send_rc, 0, sizeof(send_rc));
	mint_fails = false;
	vmo_h = 0;
}

/* A request on badge with handles h (nh of them); the answer in rep. */
static void req_h(uint64_t badge, const char *js, uint32_t *h, uint32_t nh)
{
	cop_srv_request(&srv, badge, js, strlen(js), h, nh, &rep);
}

static void req(uint64_t badge, const char *js)
{
	req_h(badge, js, NULL, 0);
}

static int64_t result_int(const char *key)
{
	static struct json_doc d;
	int64_t v = -1;
	if (json_parse(&d, rep.result, strlen(rep.result)) == 0)
		json_get_int(&d, key, &v);
	return v;
}

static const char *sprite =
	"{\"cmd\":\"load\",\"program\":{\"version\":1,\"program\":["
	"{\"op\":\"MOVE\",\"reg\":\"layer[1].x\",\"value\":100},"
	"{\"label\":\"L\"},{\"op\":\"ADD\",\"reg\":\"layer[1].x\",\"delta\":4},"
	"{\"op\":\"IRQ\",\"tag\":\"t\"},"
	"{\"op\":\"WAIT\",\"vsync\":true},"
	"{\"op\":\"LOOP\",\"count\":50,\"label\":\"L\"}]}}";

TEST(copper_proto_ping_status_errors)
{
	setup();
	req(0, "{\"cmd\":\"ping\"}");
	CHECK(rep.ok);
	STR_EQ(rep.result, "{\"name\":\"copperd\",\"version\":\"0.1.0\","
			   "\"protocol\":\"ports/v0\"}");
	req(0, "{\"cmd\":\"status\"}");
	CHECK(rep.ok);
	CHECK_EQ(result_int("deadlines_met"), 42);
	CHECK_EQ(result_int("deadlines_missed"), 0);
	CHECK_EQ(result_int("jobs"), 0);
	CHECK(strstr(rep.result, "\"programs\":[]"));
	static const struct {
		const char *js, *code, *msg;
	} bad[] = {
		{"{\"cmd\":", "BAD_JSON", "not a JSON object"},
		{"[1]", "BAD_JSON", "not a JSON object"},
		{"", "BAD_JSON", "not a JSON object"},
		{"{}", "BAD_CMD", "no cmd string"},
		{"{\"cmd\":5}", "BAD_CMD", "no cmd string"},
		{"{\"cmd\":\"fly\"}", "BAD_CMD", "unknown cmd"},
		{"{\"cmd\":\"start\"}", "BAD_ARG", "id: a program id"},
		{"{\"cmd\":\"start\",\"id\":\"1\"}", "BAD_ARG",
		 "id: a program id"},
		{"{\"cmd\":\"stop\",\"id\":-1}", "BAD_ARG", "id: a program id"},
		{"{\"cmd\":\"unload\",\"id\":1.5}", "BAD_ARG",
		 "id: a program id"},
		{"{\"cmd\":\"start\",\"id\":9}", "NOT_FOUND", "no program 9"},
		{"{\"cmd\":\"load\"}", "BAD_ARG",
		 "load needs one of program or binary"},
		{"{\"cmd\":\"load\",\"program\":[],\"binary\":\"\"}", "BAD_ARG",
		 "load needs one of program or binary"},
		{"{\"cmd\":\"load\",\"program\":5}", "BAD_ARG",
		 "program must be {version:1, program:[ops]}"},
		{"{\"cmd\":\"load\",\"program\":[{\"op\":\"NOP\"},{\"op\":"
		 "\"SPIN\"}]}",
		 "BAD_ARG", "op 1: unknown op \"SPIN\""},
		{"{\"cmd\":\"load\",\"program\":[{\"op\":\"JUMP\",\"label\":"
		 "\"x\"}]}",
		 "BAD_ARG", "op 0: no label \"x\""},
		{"{\"cmd\":\"load\",\"mask\":{\"layers\":[2]},\"program\":[{"
		 "\"op\":\"MOVE\",\"reg\":\"layer[1].x\",\"value\":1}]}",
		 "BAD_ARG",
		 "op 0: register layer[1].x is outside the program's mask"},
		{"{\"cmd\":\"load\",\"mask\":[],\"program\":[]}", "BAD_ARG",
		 "mask must be an object"},
		{"{\"cmd\":\"load\",\"binary\":\"0b000000000000\"}", "BAD_ARG",
		 "binary: 16 hex digits per op (length 14)"},
		{"{\"cmd\":\"load\",\"binary\":\"0b00000000000000\"}",
		 "BAD_ARG", "op 0: unknown opcode 0x0b"},
		{"{\"cmd\":\"load\",\"binary\":\"0100000000000000"
		 "0b00000000000000\"}",
		 "BAD_ARG", "op 1: unknown opcode 0x0b"},
		{"{\"cmd\":\"load\",\"binary\":0}", "BAD_ARG",
		 "binary: a hex string, or a handle index with count"},
		{"{\"cmd\":\"load\",\"binary\":true}", "BAD_ARG",
		 "binary: a hex string, or a handle index with count"},
		{"{\"cmd\":\"subscribe\",\"events\":[\"irq\"]}", "BAD_ARG",
		 "port: the index of a send handle attached"},
		{"{\"cmd\":\"subscribe\"}", "BAD_ARG",
		 "port: the index of a send handle attached"},
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		req(0, bad[i].js);
		CHECK(!rep.ok);
		STR_EQ(rep.code, bad[i].code);
		STR_EQ(rep.message, bad[i].msg);
	}
	uint32_t h[1] = {7};
	req_h(0, "{\"cmd\":\"subscribe\",\"events\":[\"vsync\"]}", h, 1);
	STR_EQ(rep.message, "events.0: not irq or state");
	req_h(0, "{\"cmd\":\"subscribe\",\"events\":[]}", h, 1);
	STR_EQ(rep.code, "BAD_ARG");
	req_h(0, "{\"cmd\":\"subscribe\",\"events\":[\"irq\"],\"port\":1}", h,
	      1);
	STR_EQ(rep.code, "BAD_ARG");
	CHECK_EQ(h[0], 7); /* not taken on an error */
	req(0, "{\"cmd\":\"status\"}");
	CHECK_EQ(result_int("errors"),
		 (int64_t)(sizeof(bad) / sizeof(bad[0])) + 3);
}

TEST(copper_proto_load_start_stop_unload)
{
	setup();
	req(0, sprite);
	CHECK(rep.ok);
	STR_EQ(rep.result, "{\"id\":1,\"ops\":6}");
	uint32_t h[1] = {9};
	req_h(0,
	      "{\"cmd\":\"subscribe\",\"events\":[\"irq\",\"state\"],"
	      "\"port\":0}",
	      h, 1);
	CHECK(rep.ok);
	CHECK_EQ(h[0], 0); /* taken */
	req(0, "{\"cmd\":\"start\",\"id\":1}");
	STR_EQ(rep.result, "{\"id\":1}");
	CHECK_EQ(cop_eng_job(&srv.eng, 0, PERIOD, 1234, w, COMP_REGS_MAX), 1);
	CHECK(w[0].value == 104);
	cop_srv_poll(&srv);
	CHECK_EQ(nsent, 2);
	STR_EQ(sent[0], "{\"event\":\"state\",\"id\":1,\"value\":\"running\","
			"\"usec\":1234}");
	STR_EQ(sent[1],
	       "{\"event\":\"irq\",\"id\":1,\"tag\":\"t\",\"usec\":1234}");
	req(0, "{\"cmd\":\"status\"}");
	CHECK(strstr(rep.result, "\"programs\":[{\"id\":1,\"state\":"
				 "\"running\",\"ops\":6,\"ops_run\":5,"
				 "\"session\":0}]"));
	req(0, "{\"cmd\":\"stop\",\"id\":1}");
	CHECK(rep.ok);
	cop_eng_job(&srv.eng, 1, PERIOD, 2000, w, COMP_REGS_MAX);
	cop_srv_poll(&srv);
	STR_EQ(sent[2], "{\"event\":\"state\",\"id\":1,\"value\":\"stopped\","
			"\"usec\":2000}");
	req(0, "{\"cmd\":\"unload\",\"id\":1}");
	CHECK(rep.ok);
	req(0, "{\"cmd\":\"start\",\"id\":1}");
	STR_EQ(rep.code, "NOT_FOUND");
	cop_eng_job(&srv.eng, 2, PERIOD, 0, w, COMP_REGS_MAX);
	cop_srv_poll(&srv);
	CHECK(!srv.eng.slot[0].used);
	/* 16 programs, then BUSY. */
	for (int i = 0; i < COP_MAX_PROGS; i++) {
		req(0, sprite);
		CHECK(rep.ok);
	}
	req(0, sprite);
	STR_EQ(rep.code, "BUSY");
	cop_srv_fini(&srv);
	CHECK_EQ(nclosed, 1); /* the subscriber */
}

TEST(copper_proto_binary_from_memory_object)
{
	setup();
	/* MOVE layer[2].y = -3; WAIT_US 20000; JUMP to LABEL 1 at op 0. */
	vmo_words[0] = (uint64_t)COP_LABEL << 56 | 1;
	vmo_words[1] = (uint64_t)COP_MOVE << 56 | (uint64_t)COMP_REG_Y << 40 |
		       2ull << 32 | (uint32_t)-3;
	vmo_words[2] = (uint64_t)COP_WAIT_US << 56 | 20000;
	vmo_words[3] = (uint64_t)COP_JUMP << 56 | 1;
	vmo_h = 55;
	vmo_len = 4 * 8;
	uint32_t h[2] = {0, 55};
	req_h(0, "{\"cmd\":\"load\",\"binary\":1,\"count\":4}", h, 2);
	CHECK(rep.ok);
	CHECK_EQ(result_int("ops"), 4);
	CHECK_EQ(h[1], 55); /* read, not taken: the caller closes it */
	req_h(0, "{\"cmd\":\"load\",\"binary\":1,\"count\":5}", h, 2);
	STR_EQ(rep.message,
	       "binary: handle 1 is not a memory object of 40 bytes");
	req_h(0, "{\"cmd\":\"load\",\"binary\":2,\"count\":4}", h, 2);
	STR_EQ(rep.code, "BAD_ARG");
	req_h(0, "{\"cmd\":\"load\",\"binary\":1,\"count\":1025}", h, 2);
	STR_EQ(rep.message, "op 1024: too many ops (at most 1024)");
	/* 1025 ops in the object, 1024 of them loaded: fine. */
	memset(vmo_words, 0, sizeof(vmo_words));
	vmo_len = 1025 * 8;
	req_h(0, "{\"cmd\":\"load\",\"binary\":1,\"count\":1024}", h, 2);
	CHECK(rep.ok);
	/* The hex form of the same first program. */
	req(0, "{\"cmd\":\"load\",\"binary\":\"0900000000000001"
	       "03000102fffffffd02000000000 4e20\"}");
	STR_EQ(rep.message, "op 2: not a hex digit");
	req(0, "{\"cmd\":\"load\",\"binary\":\"0900000000000001"
	       "03000102fffffffd0200000000004e200600000000000001\"}");
	CHECK(rep.ok);
	uint32_t id = (uint32_t)result_int("id");
	struct cop_slot *s = cop_eng_find(&srv.eng, id);
	CHECK(s);
	cop_eng_start(s);
	CHECK_EQ(cop_eng_job(&srv.eng, 0, PERIOD, 0, w, COMP_REGS_MAX), 1);
	CHECK_EQ(w[0].layer, 2);
	CHECK(w[0].value == -3);
	cop_srv_fini(&srv);
}

TEST(copper_proto_sessions)
{
	setup();
	req(0, "{\"cmd\":\"connect\"}");
	CHECK(rep.ok);
	STR_EQ(rep.result, "{\"port\":0}");
	CHECK_EQ(rep.handle, 100);
	uint64_t a = 1; /* the first session's badge */
	req(0, "{\"cmd\":\"connect\"}");
	uint64_t b = 2;
	req(a, sprite);
	CHECK_EQ(result_int("id"), 1);
	req(0, sprite); /* public */
	CHECK_EQ(result_int("id"), 2);
	/* A session's program is its own; public ones are everyone's. */
	req(b, "{\"cmd\":\"start\",\"id\":1}");
	STR_EQ(rep.code, "NOT_FOUND");
	req(0, "{\"cmd\":\"stop\",\"id\":1}");
	STR_EQ(rep.code, "NOT_FOUND");
	req(a, "{\"cmd\":\"start\",\"id\":1}");
	CHECK(rep.ok);
	req(b, "{\"cmd\":\"start\",\"id\":2}");
	CHECK(rep.ok);
	uint32_t h[1] = {30};
	req_h(a, "{\"cmd\":\"subscribe\",\"events\":[\"state\"]}", h, 1);
	CHECK(rep.ok);
	cop_eng_job(&srv.eng, 0, PERIOD, 0, w, COMP_REGS_MAX);
	CHECK_EQ(srv.sessions, 2);
	/* Session a's last handle goes: its program and stream go. */
	cop_srv_session_gone(&srv, a);
	CHECK_EQ(srv.sessions, 1);
	CHECK_EQ(nclosed, 1);
	CHECK_EQ(closed[0], 30);
	CHECK(!cop_eng_find(&srv.eng, 1));
	cop_eng_job(&srv.eng, 1, PERIOD, 0, w, COMP_REGS_MAX);
	cop_srv_poll(&srv);
	CHECK(!srv.eng.slot[0].used);
	CHECK(cop_eng_find(&srv.eng, 2));
	/* A notice for the public badge changes nothing. */
	cop_srv_session_gone(&srv, 0);
	CHECK(cop_eng_find(&srv.eng, 2));
	mint_fails = true;
	req(0, "{\"cmd\":\"connect\"}");
	STR_EQ(rep.code, "NO_MEMORY");
	cop_srv_fini(&srv);
}

TEST(copper_proto_subscribers_full_gone_limit)
{
	setup();
	for (uint32_t i = 0; i < COP_MAX_SUBS; i++) {
		uint32_t h[1] = {200 + i};
		req_h(0, "{\"cmd\":\"subscribe\",\"events\":[\"irq\"]}", h, 1);
		CHECK(rep.ok);
	}
	uint32_t h[1] = {300};
	req_h(0, "{\"cmd\":\"subscribe\",\"events\":[\"irq\"]}", h, 1);
	STR_EQ(rep.code, "BUSY");
	CHECK_EQ(h[0], 300);
	send_rc[200] = COP_SEND_FULL;
	send_rc[201] = COP_SEND_GONE;
	req(0, "{\"cmd\":\"load\",\"program\":[{\"op\":\"IRQ\",\"tag\":"
	       "\"q\\\"x\"}]}");
	CHECK(rep.ok);
	cop_eng_start(cop_eng_find(&srv.eng, 1));
	cop_eng_job(&srv.eng, 0, PERIOD, 5, w, COMP_REGS_MAX);
	cop_srv_poll(&srv);
	CHECK_EQ(nsent, COP_MAX_SUBS - 2);
	STR_EQ(sent[0],
	       "{\"event\":\"irq\",\"id\":1,\"tag\":\"q\\\"x\",\"usec\":5}");
	CHECK_EQ(nclosed, 1);
	CHECK_EQ(closed[0], 201);
	req(0, "{\"cmd\":\"status\"}");
	CHECK_EQ(result_int("events_dropped"), 1);
	CHECK_EQ(result_int("subscribers"), COP_MAX_SUBS - 1);
	cop_srv_fini(&srv);
}

static uint64_t rng = 0x1234567887654321ull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Mutated requests: every answer is ok with a JSON object result, or
 * one of the protocol's codes with a message. */
TEST(copper_proto_fuzz_requests)
{
	setup();
	static const char *seeds[] = {
		"{\"cmd\":\"load\",\"program\":{\"version\":1,\"program\":[{"
		"\"op\":\"MOVE\",\"reg\":\"layer[1].x\",\"value\":1},{\"op\":"
		"\"WAIT\",\"usec\":100}]},\"mask\":{\"layers\":[1]}}",
		"{\"cmd\":\"load\",\"binary\":\"0300000100000005010000000000"
		"0000\"}",
		"{\"cmd\":\"start\",\"id\":1}",
		"{\"cmd\":\"stop\",\"id\":2}",
		"{\"cmd\":\"unload\",\"id\":1}",
		"{\"cmd\":\"subscribe\",\"events\":[\"irq\",\"state\"],"
		"\"port\":0}",
		"{\"cmd\":\"status\"}",
		"{\"cmd\":\"connect\"}",
	};
	static const char *codes[] = {"BAD_ARG",  "NOT_FOUND", "BAD_CMD",
				      "BAD_JSON", "NO_MEMORY", "BUSY"};
	static struct json_doc d;
	char buf[400];
	for (int iter = 0; iter < 20000; iter++) {
		const char *s = seeds[rnd() % 8];
		size_t len = strlen(s);
		memcpy(buf, s, len + 1);
		int muts = (int)(rnd() % 3);
		for (int k = 0; k < muts && len; k++) {
			size_t at = rnd() % len;
			if (rnd() % 2) {
				buf[at] = (char)(rnd() % 96 + 32);
			} else {
				memmove(buf + at, buf + at + 1, len - at);
				len--;
			}
		}
		uint32_t h[2] = {next_h++, next_h++};
		uint64_t badge = rnd() % 3;
		cop_srv_request(&srv, badge, buf, len, h, rnd() % 3, &rep);
		for (int k = 0; k < 2; k++) /* the caller closes the rest */
			if (h[k])
				f_close(NULL, h[k]);
		nclosed = 0;
		if (rep.ok) {
			CHECK_EQ(json_parse(&d, rep.result, strlen(rep.result)),
				 0);
			CHECK_EQ(json_type_of(&d, 0), JSON_OBJECT);
		} else {
			bool known = false;
			for (unsigned c = 0; c < 6; c++)
				known |= !strcmp(rep.code, codes[c]);
			CHECK(known);
			CHECK(rep.message[0]);
		}
		if (rnd() % 4 == 0)
			cop_srv_session_gone(&srv, rnd() % 3);
		cop_eng_job(&srv.eng, (uint64_t)iter, PERIOD, 0, w,
			    COMP_REGS_MAX);
		cop_srv_poll(&srv);
	}
	cop_srv_fini(&srv);
}
