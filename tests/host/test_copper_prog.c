/* copperd's programs (services/copperd/cop_prog.c, cop_run.c): both
 * forms, every validation error naming its op, the interpreter's ops
 * frame by frame, the watchdog, and a randomized fuzz of malformed
 * programs (ASan/UBSan). */
#include <stdlib.h>
#include <string.h>

#include "comp_regs.h"
#include "cop_prog.h"
#include "harness.h"

#define PERIOD 16666667ull

static struct json_doc doc;
static char err[160];

/* A program from JSON text (the ops array or the {version,program}
 * object); NULL with err set. */
static struct cop_prog *jprog(const char *js, const struct cop_mask *m)
{
	struct cop_mask all;
	cop_mask_all(&all);
	err[0] = 0;
	if (json_parse(&doc, js, strlen(js)) < 0) {
		strcpy(err, "bad json in test");
		return NULL;
	}
	return cop_prog_from_json(&doc, 0, m ? m : &all, err, sizeof(err));
}

static struct cop_prog *wprog(const uint64_t *w, size_t n)
{
	struct cop_mask all;
	cop_mask_all(&all);
	err[0] = 0;
	return cop_prog_from_words(w, n, &all, err, sizeof(err));
}

/* The shadow value of layer[l].reg, or -9999 if the program has none. */
static double reg_of(const struct cop_prog *p, uint32_t l, uint32_t reg)
{
	for (uint32_t i = 0; i < p->nregs; i++)
		if (p->regs[i].layer == l && p->regs[i].reg == reg)
			return p->regs[i].value;
	return -9999;
}

#define W(op, rest) ((uint64_t)(op) << 56 | (uint64_t)(rest))
#define WREG(op, reg, layer, v)                                                \
	W(op, (uint64_t)(reg) << 40 | (uint64_t)(layer) << 32 |                \
		      (uint32_t)(int32_t)(v))

TEST(copper_prog_loop_50_ends_at_300)
{
	struct cop_prog *p =
		jprog("{\"version\":1,\"program\":["
		      "{\"op\":\"MOVE\",\"reg\":\"layer[1].x\",\"value\":100},"
		      "{\"label\":\"L\"},"
		      "{\"op\":\"ADD\",\"reg\":\"layer[1].x\",\"delta\":4},"
		      "{\"op\":\"WAIT\",\"vsync\":true},"
		      "{\"op\":\"LOOP\",\"count\":50,\"label\":\"L\"}]}",
		      NULL);
	CHECK(p);
	CHECK_EQ(p->nops, 5);
	CHECK_EQ(p->nregs, 1);
	struct cop_step st;
	for (uint64_t f = 0; f < 50; f++) {
		cop_prog_step(p, f, PERIOD, &st);
		CHECK_EQ(st.state, COP_RUNNING);
		CHECK_EQ(reg_of(p, 1, COMP_REG_X), 104 + 4 * f);
		CHECK(p->regs[0].dirty);
		p->regs[0].dirty = false;
	}
	cop_prog_step(p, 50, PERIOD, &st);
	CHECK_EQ(st.state, COP_STOPPED);
	CHECK_EQ(reg_of(p, 1, COMP_REG_X), 300);
	CHECK(!p->regs[0].dirty);
	cop_prog_free(p);
}

TEST(copper_prog_binary_same_as_json)
{
	uint64_t w[] = {
		WREG(COP_MOVE, COMP_REG_X, 1, 100),
		W(COP_LABEL, 7),
		WREG(COP_ADD, COMP_REG_X, 1, 4),
		WREG(COP_ADD, COMP_REG_ALPHA, 2, -0x4000), /* -0.25 */
		W(COP_WAIT_VSYNC, 0),
		W(COP_LOOP, 7ull << 32 | 50),
		W(COP_NOP, 0),
	};
	struct cop_prog *p = wprog(w, 7);
	CHECK(p);
	struct cop_step st;
	for (uint64_t f = 0; f <= 50; f++)
		cop_prog_step(p, f, PERIOD, &st);
	CHECK_EQ(st.state, COP_STOPPED);
	CHECK_EQ(reg_of(p, 1, COMP_REG_X), 300);
	/* alpha starts at its default 1, clamps at 0. */
	CHECK(reg_of(p, 2, COMP_REG_ALPHA) == 0.0);
	cop_prog_free(p);

	/* The hex string of the same words, most significant digit first. */
	char hex[7 * 16 + 1];
	for (int i = 0; i < 7; i++)
		snprintf(hex + i * 16, 17, "%016llX", (unsigned long long)w[i]);
	uint64_t back[8];
	CHECK_EQ(cop_hex_decode(hex, strlen(hex), back, 8, err, sizeof(err)),
		 7);
	CHECK(!memcmp(back, w, sizeof(w)));
	CHECK_EQ(cop_hex_decode(hex, 15, back, 8, err, sizeof(err)), -1);
	CHECK(strstr(err, "16 hex digits"));
	hex[20] = 'g';
	CHECK_EQ(cop_hex_decode(hex, 32, back, 8, err, sizeof(err)), -1);
	STR_EQ(err, "op 1: not a hex digit");
	CHECK_EQ(cop_hex_decode(hex, 32, back, 1, err, sizeof(err)), -1);
	STR_EQ(err, "op 1: too many ops (at most 1)");
	CHECK_EQ(cop_hex_decode("", 0, back, 1, err, sizeof(err)), 0);
}

TEST(copper_prog_binary_values)
{
	uint64_t w[] = {
		WREG(COP_MOVE, COMP_REG_ALPHA, 3, 0x8000),	/* 0.5 */
		WREG(COP_MOVE, COMP_REG_SCALE_X, 3, 0x20000),	/* 2.0 */
		WREG(COP_MOVE, COMP_REG_ROTATION, 3, 90 << 16), /* 90 */
		WREG(COP_MOVE, COMP_REG_Y, 64, -5),
		WREG(COP_MOVE, COMP_REG_BLEND, 3, 2),
		WREG(COP_MOVE, COMP_REG_Z, 3, -7),
	};
	struct cop_prog *p = wprog(w, 6);
	CHECK(p);
	struct cop_step st;
	cop_prog_step(p, 0, PERIOD, &st);
	CHECK_EQ(st.state, COP_STOPPED);
	CHECK(reg_of(p, 3, COMP_REG_ALPHA) == 0.5);
	CHECK(reg_of(p, 3, COMP_REG_SCALE_X) == 2.0);
	CHECK(reg_of(p, 3, COMP_REG_ROTATION) == 90.0);
	CHECK(reg_of(p, 64, COMP_REG_Y) == -5.0);
	CHECK(reg_of(p, 3, COMP_REG_BLEND) == 2.0);
	CHECK(reg_of(p, 3, COMP_REG_Z) == -7.0);
	cop_prog_free(p);
}

/* Each malformed JSON program and the message it must give. */
TEST(copper_prog_json_errors)
{
	static const struct {
		const char *js, *msg;
	} bad[] = {
		{"[{\"op\":\"NOP\"},{\"op\":\"FOO\"}]",
		 "op 1: unknown op \"FOO\""},
		{"[{\"op\":\"JUMP\",\"label\":\"nowhere\"}]",
		 "op 0: no label \"nowhere\""},
		{"[{\"label\":\"a\"},{\"op\":\"NOP\"},{\"op\":\"LOOP\","
		 "\"count\":2,\"label\":\"b\"}]",
		 "op 2: no label \"b\""},
		{"[{\"label\":\"a\"},{\"op\":\"LABEL\",\"label\":\"a\"}]",
		 "op 1: label \"a\" defined twice (op 0)"},
		{"[{\"op\":\"MOVE\",\"reg\":\"layer[256].x\",\"value\":1}]",
		 "op 0: reg must be \"layer[N].<reg>\" (N 1..255)"},
		{"[{\"op\":\"MOVE\",\"reg\":\"layer[1].w\",\"value\":1}]",
		 "op 0: reg must be \"layer[N].<reg>\" (N 1..255)"},
		{"[{\"op\":\"MOVE\",\"reg\":\"layer[1].x\"}]",
		 "op 0: value must be a number"},
		{"[{\"op\":\"MOVE\",\"reg\":\"layer[1].x\",\"value\":\"1\"}]",
		 "op 0: value must be a number"},
		{"[{\"op\":\"MOVE\",\"reg\":\"layer[1].blend\",\"value\":"
		 "\"over\"}]",
		 "op 0: value must be a number"},
		{"[{\"op\":\"MOVE\",\"reg\":\"layer[1].x\",\"value\":1e300}]",
		 "op 0: value must be a number"},
		{"[{\"op\":\"ADD\",\"reg\":\"layer[1].x\",\"value\":1}]",
		 "op 0: delta must be a number"},
		{"[{\"op\":\"WAIT\"}]", "op 0: WAIT needs \"vsync\":true or "
					"\"usec\":N (0..4294967295)"},
		{"[{\"op\":\"WAIT\",\"vsync\":false}]",
		 "op 0: WAIT needs \"vsync\":true or \"usec\":N "
		 "(0..4294967295)"},
		{"[{\"op\":\"WAIT\",\"usec\":-1}]",
		 "op 0: WAIT needs \"vsync\":true or \"usec\":N "
		 "(0..4294967295)"},
		{"[{\"op\":\"WAIT\",\"usec\":4294967296}]",
		 "op 0: WAIT needs \"vsync\":true or \"usec\":N "
		 "(0..4294967295)"},
		{"[{\"op\":\"WAIT\",\"usec\":5,\"vsync\":true}]",
		 "op 0: WAIT needs \"vsync\":true or \"usec\":N "
		 "(0..4294967295)"},
		{"[{\"label\":\"L\"},{\"op\":\"LOOP\",\"count\":0,\"label\":"
		 "\"L\"}]",
		 "op 1: LOOP count must be -1 (forever) or 1..2147483647"},
		{"[{\"label\":\"L\"},{\"op\":\"LOOP\",\"count\":-2,\"label\":"
		 "\"L\"}]",
		 "op 1: LOOP count must be -1 (forever) or 1..2147483647"},
		{"[{\"label\":\"L\"},{\"op\":\"LOOP\",\"label\":\"L\"}]",
		 "op 1: LOOP count must be -1 (forever) or 1..2147483647"},
		{"[{\"op\":\"IRQ\"}]",
		 "op 0: IRQ needs a tag (a string up to 31 bytes)"},
		{"[{\"op\":\"IRQ\",\"tag\":\"0123456789012345678901234567890123"
		 "\"}]",
		 "op 0: IRQ needs a tag (a string up to 31 bytes)"},
		{"[{\"op\":\"FENCE\"}]",
		 "op 0: FENCE needs \"frame\":N (frames "
		 "since the start, 0..4294967295)"},
		{"[{\"op\":\"BIND\"}]", "op 0: BIND is not supported"},
		{"[1]", "op 0: not an object"},
		{"[{\"op\":\"NOP\"},{}]",
		 "op 1: no \"op\" (or a \"label\" string up to 31 bytes)"},
		{"[{\"op\":7}]", "op 0: unknown op"},
		{"[{\"op\":\"JUMP\"}]",
		 "op 0: JUMP needs a \"label\" string up to 31 bytes"},
		{"[{\"label\":\"\"}]",
		 "op 0: no \"op\" (or a \"label\" string up to 31 bytes)"},
		{"{\"version\":2,\"program\":[]}", "program.version must be 1"},
		{"{\"version\":1}",
		 "program must be {version:1, program:[ops]}"},
		{"\"x\"", "program must be {version:1, program:[ops]}"},
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cop_prog *p = jprog(bad[i].js, NULL);
		if (p)
			fprintf(stderr, "    accepted: %s\n", bad[i].js);
		CHECK(!p);
		STR_EQ(err, bad[i].msg);
	}
	/* An empty program loads and stops at once. */
	struct cop_prog *p = jprog("{\"version\":1,\"program\":[]}", NULL);
	CHECK(p);
	struct cop_step st;
	cop_prog_step(p, 0, PERIOD, &st);
	CHECK_EQ(st.state, COP_STOPPED);
	cop_prog_free(p);
}

TEST(copper_prog_binary_errors)
{
	static const struct {
		uint64_t w;
		const char *msg;
	} bad[] = {
		{W(0x0B, 0), "op 1: unknown opcode 0x0b"},
		{W(0xff, 0), "op 1: unknown opcode 0xff"},
		{W(COP_BIND, 0), "op 1: BIND is not supported"},
		{W(COP_NOP, 1), "op 1: reserved bits set (0x0000000000000001)"},
		{W(COP_WAIT_VSYNC, 1ull << 55),
		 "op 1: reserved bits set (0x0180000000000000)"},
		{W(COP_WAIT_US, 1ull << 32),
		 "op 1: reserved bits set (0x0200000100000000)"},
		{W(COP_JUMP, 1ull << 16),
		 "op 1: reserved bits set (0x0600000000010000)"},
		{W(COP_LOOP, 1ull << 48 | 5),
		 "op 1: reserved bits set (0x0701000000000005)"},
		{W(COP_LOOP, 0), "op 1: LOOP count must be -1 (forever) or "
				 "1..2147483647"},
		{WREG(COP_MOVE, COMP_REG_COUNT, 1, 0), "op 1: no register 9"},
		{WREG(COP_ADD, 0x100, 1, 0), "op 1: no register 256"},
		{WREG(COP_MOVE, COMP_REG_X, 0, 0),
		 "op 1: layer 0 is not 1..255"},
		{W(COP_JUMP, 3), "op 1: no label 3"},
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t w[2] = {W(COP_NOP, 0), bad[i].w};
		struct cop_prog *p = wprog(w, 2);
		CHECK(!p);
		STR_EQ(err, bad[i].msg);
	}
	uint64_t *w = calloc(COP_MAX_OPS + 1, sizeof(*w));
	CHECK(w);
	struct cop_prog *p = wprog(w, COP_MAX_OPS); /* 1024 NOPs: fine */
	CHECK(p);
	CHECK_EQ(p->nops, COP_MAX_OPS);
	cop_prog_free(p);
	CHECK(!wprog(w, COP_MAX_OPS + 1));
	STR_EQ(err, "op 1024: too many ops (at most 1024)");
	free(w);
}

TEST(copper_prog_mask)
{
	struct cop_mask m;
	const char *mj = "{\"layers\":[1,2],\"regs\":[\"x\",\"y\"]}";
	CHECK_EQ(json_parse(&doc, mj, strlen(mj)), 0);
	CHECK_EQ(cop_mask_parse(&doc, 0, &m, err, sizeof(err)), 0);
	CHECK_EQ(m.layers[0], 3);
	CHECK_EQ(m.layers[1] | m.layers[2] | m.layers[3], 0);
	CHECK_EQ(m.regs, 1u << COMP_REG_X | 1u << COMP_REG_Y);
	struct cop_prog *p =
		jprog("[{\"op\":\"MOVE\",\"reg\":\"layer[2].y\",\"value\":1},"
		      "{\"op\":\"ADD\",\"reg\":\"layer[3].x\",\"delta\":1}]",
		      &m);
	CHECK(!p);
	STR_EQ(err, "op 1: register layer[3].x is outside the program's mask");
	p = jprog("[{\"op\":\"NOP\"},{\"op\":\"MOVE\",\"reg\":"
		  "\"layer[1].alpha\",\"value\":1}]",
		  &m);
	CHECK(!p);
	STR_EQ(err,
	       "op 1: register layer[1].alpha is outside the program's mask");
	/* Only layers given: every register of those layers. */
	CHECK_EQ(json_parse(&doc, "{\"layers\":[5]}", 14), 0);
	CHECK_EQ(cop_mask_parse(&doc, 0, &m, err, sizeof(err)), 0);
	p = jprog("[{\"op\":\"MOVE\",\"reg\":\"layer[5].rotation\","
		  "\"value\":1}]",
		  &m);
	CHECK(p);
	cop_prog_free(p);
	/* A layer id of a later generation (comp_proto.h): its bit, not
	 * its slot's: layer 2 (same slot, older) stays outside. */
	CHECK_EQ(json_parse(&doc, "{\"layers\":[66]}", 15), 0);
	CHECK_EQ(cop_mask_parse(&doc, 0, &m, err, sizeof(err)), 0);
	p = jprog("[{\"op\":\"MOVE\",\"reg\":\"layer[66].x\",\"value\":1}]",
		  &m);
	CHECK(p);
	CHECK_EQ(p->regs[0].layer, 66);
	cop_prog_free(p);
	CHECK(!jprog("[{\"op\":\"MOVE\",\"reg\":\"layer[2].x\",\"value\":1}]",
		     &m));
	static const char *bad[] = {
		"[]",
		"{\"layers\":3}",
		"{\"layers\":[0]}",
		"{\"layers\":[256]}",
		"{\"layers\":[\"1\"]}",
		"{\"regs\":[\"w\"]}",
		"{\"regs\":\"x\"}",
		"{\"regs\":[1]}",
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(json_parse(&doc, bad[i], strlen(bad[i])), 0);
		CHECK_EQ(cop_mask_parse(&doc, 0, &m, err, sizeof(err)), -1);
		CHECK(strstr(err, "mask"));
	}
}

TEST(copper_prog_wait_usec_frames)
{
	/* usec -> the first frame whose start is >= the wait's end. */
	static const struct {
		uint32_t usec;
		uint64_t frames;
	} c[] = {{0, 1},     {1, 1},	 {16666, 1},   {16667, 2},
		 {33333, 2}, {50000, 3}, {1000000, 60}};
	for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint64_t w[] = {W(COP_WAIT_US, c[i].usec),
				WREG(COP_MOVE, COMP_REG_X, 1, 1)};
		struct cop_prog *p = wprog(w, 2);
		CHECK(p);
		cop_prog_reset(p, 10);
		struct cop_step st;
		cop_prog_step(p, 10, PERIOD, &st);
		CHECK_EQ(p->wake, 10 + c[i].frames);
		CHECK(!p->regs[0].dirty);
		cop_prog_step(p, 10 + c[i].frames - 1, PERIOD, &st);
		CHECK(!p->regs[0].dirty); /* not due yet: nothing ran */
		CHECK_EQ(st.ops, 0);
		cop_prog_step(p, 10 + c[i].frames, PERIOD, &st);
		CHECK(p->regs[0].dirty);
		CHECK_EQ(st.state, COP_STOPPED);
		cop_prog_free(p);
	}
	/* At 30 Hz the same wait is fewer frames. */
	uint64_t w[] = {W(COP_WAIT_US, 50000)};
	struct cop_prog *p = wprog(w, 1);
	CHECK(p);
	struct cop_step st;
	cop_prog_step(p, 0, 33333333, &st);
	CHECK_EQ(p->wake, 2);
	cop_prog_free(p);
}

TEST(copper_prog_fence)
{
	struct cop_prog *p =
		jprog("[{\"op\":\"MOVE\",\"reg\":\"layer[1].x\",\"value\":1},"
		      "{\"op\":\"FENCE\",\"frame\":10},"
		      "{\"op\":\"MOVE\",\"reg\":\"layer[1].x\",\"value\":2},"
		      "{\"op\":\"FENCE\",\"frame\":5},"
		      "{\"op\":\"MOVE\",\"reg\":\"layer[1].y\",\"value\":3},"
		      "{\"op\":\"WAIT\",\"vsync\":true}]",
		      NULL);
	CHECK(p);
	cop_prog_reset(p, 100);
	struct cop_step st;
	cop_prog_step(p, 100, PERIOD, &st);
	CHECK_EQ(reg_of(p, 1, COMP_REG_X), 1);
	CHECK_EQ(p->wake, 110);
	cop_prog_step(p, 109, PERIOD, &st);
	CHECK_EQ(reg_of(p, 1, COMP_REG_X), 1);
	/* Frame 110: the second FENCE (5) is passed already: no wait. */
	cop_prog_step(p, 110, PERIOD, &st);
	CHECK_EQ(reg_of(p, 1, COMP_REG_X), 2);
	CHECK_EQ(reg_of(p, 1, COMP_REG_Y), 3);
	CHECK_EQ(st.ops, 4);
	CHECK_EQ(p->wake, 111);
	cop_prog_free(p);
}

TEST(copper_prog_watchdog)
{
	struct cop_prog *p = jprog(
		"[{\"label\":\"L\"},{\"op\":\"ADD\",\"reg\":\"layer[1].x\","
		"\"delta\":1},{\"op\":\"JUMP\",\"label\":\"L\"}]",
		NULL);
	CHECK(p);
	struct cop_step st;
	cop_prog_step(p, 0, PERIOD, &st);
	CHECK_EQ(st.state, COP_ERROR);
	CHECK(st.watchdog);
	CHECK_EQ(st.ops, COP_WATCHDOG_OPS);
	CHECK(strstr(p->error, "watchdog"));
	cop_prog_free(p);
	/* 4095 ops then a WAIT is fine, every frame. */
	uint64_t *w = calloc(COP_MAX_OPS, sizeof(*w));
	CHECK(w);
	w[0] = W(COP_LABEL, 1);
	for (int i = 1; i < 1022; i++)
		w[i] = W(COP_NOP, 0);
	/* LABEL, 1021 NOPs, LOOP: 1023 ops a pass; 4 passes and the WAIT
	 * are 4093 ops. */
	w[1022] = W(COP_LOOP, 1ull << 32 | 4);
	w[1023] = W(COP_WAIT_VSYNC, 0);
	p = wprog(w, COP_MAX_OPS);
	CHECK(p);
	cop_prog_step(p, 0, PERIOD, &st);
	CHECK_EQ(st.state, COP_RUNNING);
	CHECK_EQ(st.ops, 4 * 1023 + 1);
	cop_prog_free(p);
	w[1022] = W(COP_LOOP, 1ull << 32 | 5); /* 5 passes: too many */
	p = wprog(w, COP_MAX_OPS);
	CHECK(p);
	cop_prog_step(p, 0, PERIOD, &st);
	CHECK(st.watchdog);
	cop_prog_free(p);
	free(w);
}

TEST(copper_prog_loops_nested_and_forever)
{
	struct cop_prog *p = jprog(
		"[{\"label\":\"outer\"},{\"label\":\"inner\"},"
		"{\"op\":\"ADD\",\"reg\":\"layer[1].x\",\"delta\":1},"
		"{\"op\":\"LOOP\",\"count\":4,\"label\":\"inner\"},"
		"{\"op\":\"ADD\",\"reg\":\"layer[1].y\",\"delta\":1},"
		"{\"op\":\"LOOP\",\"count\":3,\"label\":\"outer\"},"
		"{\"label\":\"f\"},{\"op\":\"ADD\",\"reg\":\"layer[1].z\","
		"\"delta\":1},{\"op\":\"WAIT\",\"usec\":0},"
		"{\"op\":\"LOOP\",\"count\":-1,\"label\":\"f\"}]",
		NULL);
	CHECK(p);
	struct cop_step st;
	for (uint64_t f = 0; f < 1000; f++) {
		cop_prog_step(p, f, PERIOD, &st);
		CHECK_EQ(st.state, COP_RUNNING);
	}
	CHECK_EQ(reg_of(p, 1, COMP_REG_X), 12);
	CHECK_EQ(reg_of(p, 1, COMP_REG_Y), 3);
	CHECK_EQ(reg_of(p, 1, COMP_REG_Z), 1000);
	/* A restart re-arms the counters; the shadow keeps its values. */
	cop_prog_reset(p, 2000);
	cop_prog_step(p, 2000, PERIOD, &st);
	CHECK_EQ(reg_of(p, 1, COMP_REG_X), 24);
	CHECK_EQ(reg_of(p, 1, COMP_REG_Y), 6);
	cop_prog_free(p);
}

TEST(copper_prog_irq_and_values)
{
	struct cop_prog *p = jprog(
		"[{\"op\":\"IRQ\",\"tag\":\"tick\"},{\"op\":\"IRQ\",\"tag\":7},"
		"{\"op\":\"MOVE\",\"reg\":\"layer[2].visible\",\"value\":false}"
		","
		"{\"op\":\"MOVE\",\"reg\":\"layer[2].blend\",\"value\":"
		"\"screen\"},"
		"{\"op\":\"MOVE\",\"reg\":\"layer[2].alpha\",\"value\":0.25},"
		"{\"op\":\"ADD\",\"reg\":\"layer[2].alpha\",\"delta\":5},"
		"{\"op\":\"ADD\",\"reg\":\"layer[2].rotation\",\"delta\":-30},"
		"{\"op\":\"ADD\",\"reg\":\"layer[2].x\",\"delta\":0.5},"
		"{\"op\":\"ADD\",\"reg\":\"layer[2].x\",\"delta\":0.25},"
		"{\"op\":\"ADD\",\"reg\":\"layer[2].y\",\"delta\":99999},"
		"{\"label\":\"L\"},{\"op\":\"IRQ\",\"tag\":\"\"},"
		"{\"op\":\"LOOP\",\"count\":10,\"label\":\"L\"}]",
		NULL);
	CHECK(p);
	struct cop_step st;
	cop_prog_step(p, 0, PERIOD, &st);
	CHECK_EQ(st.state, COP_STOPPED);
	CHECK_EQ(st.nirq, COP_STEP_IRQS);
	CHECK_EQ(st.irq_lost, 12 - COP_STEP_IRQS);
	STR_EQ(p->tags[st.irq[0]], "tick");
	STR_EQ(p->tags[st.irq[1]], "7");
	STR_EQ(p->tags[st.irq[2]], "");
	CHECK(reg_of(p, 2, COMP_REG_VISIBLE) == 0.0);
	CHECK(reg_of(p, 2, COMP_REG_BLEND) == COMP_BLEND_SCREEN);
	CHECK(reg_of(p, 2, COMP_REG_ALPHA) == 1.0);
	CHECK(reg_of(p, 2, COMP_REG_ROTATION) == 330.0);
	CHECK(reg_of(p, 2, COMP_REG_X) == 0.75); /* fractions kept */
	CHECK(reg_of(p, 2, COMP_REG_Y) == COMP_POS_MAX);
	cop_prog_free(p);
}

/* ---- fuzz ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Runs whatever loaded for a few frames: the interpreter must stay in
 * bounds (ASan) and keep its limits. */
static int run_some(struct cop_prog *p)
{
	struct cop_step st;
	for (uint64_t f = 0; f < 40; f++) {
		cop_prog_step(p, f, PERIOD, &st);
		if (st.ops > COP_WATCHDOG_OPS || p->pc > p->nops)
			return -1;
		if (st.state != COP_RUNNING)
			break;
	}
	return 0;
}

TEST(copper_prog_fuzz_binary)
{
	static const uint8_t codes[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
	uint64_t w[64];
	unsigned loaded = 0;
	for (int iter = 0; iter < 20000; iter++) {
		size_t n = rnd() % 64;
		for (size_t i = 0; i < n; i++) {
			uint64_t r = rnd();
			/* Mostly plausible words, some random bits. */
			uint8_t code = codes[r % sizeof(codes)];
			switch (rnd() % 4) {
			case 0:
				w[i] = rnd();
				break;
			case 1:
				w[i] = W(code, rnd() & 0x3);
				break;
			case 2:
				w[i] = WREG(code, rnd() % 10, rnd() % 66,
					    (int32_t)rnd());
				break;
			default:
				w[i] = W(code,
					 (rnd() % 3) << 32 |
						 (rnd() % 4 ? rnd() % 3
							    : 0xffffffff));
			}
		}
		struct cop_prog *p = wprog(w, n);
		if (!p) {
			CHECK(!strncmp(err, "op ", 3));
			continue;
		}
		loaded++;
		CHECK_EQ(run_some(p), 0);
		cop_prog_free(p);
	}
	CHECK(loaded > 100); /* the generator reaches the interpreter */
}

TEST(copper_prog_fuzz_json)
{
	static const char *seeds[] = {
		"{\"version\":1,\"program\":[{\"op\":\"MOVE\",\"reg\":\"layer["
		"1].x\",\"value\":100},{\"label\":\"L\"},{\"op\":\"ADD\","
		"\"reg\":\"layer[1].x\",\"delta\":4},{\"op\":\"WAIT\","
		"\"vsync\":true},{\"op\":\"LOOP\",\"count\":50,\"label\":"
		"\"L\"}]}",
		"[{\"op\":\"IRQ\",\"tag\":\"t\"},{\"op\":\"FENCE\",\"frame\":"
		"3},{\"label\":\"a\"},{\"op\":\"WAIT\",\"usec\":20000},{\"op\":"
		"\"JUMP\",\"label\":\"a\"}]",
	};
	static const char alphabet[] = "{}[]\",:0123456789-.eE truefalsn"
				       "LOOPJUMPMOVEADDWAITIRQFENCElabel";
	char buf[512];
	unsigned loaded = 0;
	for (int iter = 0; iter < 20000; iter++) {
		const char *s = seeds[rnd() % 2];
		size_t len = strlen(s);
		memcpy(buf, s, len + 1);
		int muts = 1 + (int)(rnd() % 4);
		for (int k = 0; k < muts; k++) {
			size_t at = rnd() % len;
			switch (rnd() % 3) {
			case 0: /* replace */
				buf[at] = alphabet[rnd() %
						   (sizeof(alphabet) - 1)];
				break;
			case 1: /* delete */
				memmove(buf + at, buf + at + 1, len - at);
				len--;
				break;
			default: /* insert */
				if (len + 2 < sizeof(buf)) {
					memmove(buf + at + 1, buf + at,
						len - at + 1);
					buf[at] = alphabet[rnd() %
							   (sizeof(alphabet) -
							    1)];
					len++;
				}
			}
		}
		if (json_parse(&doc, buf, len) < 0)
			continue;
		struct cop_mask m;
		cop_mask_all(&m);
		struct cop_prog *p =
			cop_prog_from_json(&doc, 0, &m, err, sizeof(err));
		if (!p) {
			CHECK(err[0]);
			continue;
		}
		loaded++;
		CHECK_EQ(run_some(p), 0);
		cop_prog_free(p);
	}
	CHECK(loaded > 100);
}
