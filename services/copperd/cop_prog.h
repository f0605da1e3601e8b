/* cop_prog: copperd's programs (docs/graphics.md, "copperd"): the JSON
 * and the 64-bit binary forms parsed into one internal form, validated
 * at load (unknown op, missing label, a register outside the capability
 * mask, too many ops: an error naming the op index), and the interpreter
 * that runs one program for one frame. Pure: no system calls, host-tested
 * (tests/host/test_copper_*.c). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <execrt/comp_proto.h>

#include "json.h"

#define COP_MAX_OPS	 1024 /* ops per program */
#define COP_WATCHDOG_OPS 4096 /* ops run without a WAIT: stopped (error) */
#define COP_TAG_MAX	 32   /* IRQ tag bytes with the NUL */
#define COP_LABEL_MAX	 32   /* JSON label bytes with the NUL */
#define COP_MASK_LAYERS	 COMP_LAYER_ID_MAX

/* Binary opcodes, OPCODE[63:56] (PHASE0-PROTOCOL.md section 3). */
enum cop_code {
	COP_NOP = 0x00,
	COP_WAIT_VSYNC = 0x01,
	COP_WAIT_US = 0x02,
	COP_MOVE = 0x03,
	COP_ADD = 0x04,
	COP_IRQ = 0x05,
	COP_JUMP = 0x06,
	COP_LOOP = 0x07,
	COP_FENCE_GE = 0x08,
	COP_LABEL = 0x09,
	COP_BIND = 0x0A, /* named by Phase-0, refused at load */
};

/* Which registers a program may write: a bit per enum comp_reg and a bit
 * per layer id (bit N-1 = layer N, 1..255: ids carry a generation,
 * comp_proto.h). */
struct cop_mask {
	uint32_t regs;
	uint64_t layers[4];
};

struct cop_op {
	uint8_t code;	 /* enum cop_code */
	uint8_t reg;	 /* MOVE/ADD: enum comp_reg */
	uint16_t shadow; /* MOVE/ADD: index into the program's shadow */
	uint32_t arg;	 /* WAIT_US usec; FENCE_GE frames; IRQ tag index;
			  * LOOP loop-counter index */
	int32_t target;	 /* JUMP/LOOP: op index of the label */
	int32_t count;	 /* LOOP: iterations in all, -1 forever */
	double value;	 /* MOVE value, ADD delta */
};

/* One register a program writes: copperd's shadow of it. */
struct cop_reg {
	uint32_t layer;
	uint8_t reg;
	bool dirty; /* written since the last batch */
	double value;
};

enum cop_state { COP_STOPPED = 0, COP_RUNNING = 1, COP_ERROR = 2 };

struct cop_prog {
	uint32_t nops, nregs, nloops, ntags;
	struct cop_op *ops;
	struct cop_reg *regs;
	int32_t *loop_left; /* per LOOP op: iterations still to run */
	char (*tags)[COP_TAG_MAX];
	/* Run state, owned by whoever runs it (copperd's DL thread). */
	uint32_t pc;
	uint64_t wake;	 /* runs again at the first frame >= wake */
	uint64_t origin; /* the frame it started at (FENCE_GE counts from it) */
	uint64_t ops_run;
	char error[64]; /* why it went to COP_ERROR */
};

/* The mask from {"layers":[1,2],"regs":["x","y"]} at token tok (either
 * member may be absent: all). 0, or -1 with a message. */
int cop_mask_parse(const struct json_doc *d, int tok, struct cop_mask *m,
		   char *err, size_t cap);
void cop_mask_all(struct cop_mask *m);

/* {version:1, program:[ops]} at token tok. NULL with a message in err
 * ("op 3: no label \"loop\"") on any error; free with cop_prog_free. */
struct cop_prog *cop_prog_from_json(const struct json_doc *d, int tok,
				    const struct cop_mask *m, char *err,
				    size_t cap);
/* n 64-bit ops. */
struct cop_prog *cop_prog_from_words(const uint64_t *w, size_t n,
				     const struct cop_mask *m, char *err,
				     size_t cap);
/* len hex digits, 16 per op, most significant first; at most max ops.
 * The number of ops, or -1 with a message. */
long cop_hex_decode(const char *s, size_t len, uint64_t *out, size_t max,
		    char *err, size_t cap);
void cop_prog_free(struct cop_prog *p);

/* Starts from op 0 at frame `frame` (loop counters re-armed; the shadow
 * keeps the values last written). */
void cop_prog_reset(struct cop_prog *p, uint64_t frame);

/* What one frame of a program did. */
struct cop_irq {
	uint32_t tag; /* index into p->tags */
};
#define COP_STEP_IRQS 8 /* IRQs reported per frame (more are counted) */
struct cop_step {
	enum cop_state state; /* after the step */
	uint32_t ops;	      /* ops run in this step */
	uint32_t nirq, irq_lost;
	uint32_t irq[COP_STEP_IRQS];
	bool watchdog; /* stopped by the watchdog in this step */
};

/* Runs p for frame `frame` (copperd's job counter; period_ns converts
 * WAIT usec to frames) until a WAIT, the end or the watchdog. Writes go
 * to p->regs (dirty). A program not due (frame < wake) does nothing. */
void cop_prog_step(struct cop_prog *p, uint64_t frame, uint64_t period_ns,
		   struct cop_step *st);
