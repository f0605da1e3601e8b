/* compositord's binary register fast path (docs/graphics.md,
 * "compositord"). Everything else compositord speaks is ports/v0 JSON on
 * /svc/compositord (PHASE0-PROTOCOL.md section 2).
 *
 * A struct comp_regs_msg is sent one-way (port send, no answer) on a
 * session endpoint or on the public one. compositord tells it from JSON by
 * its first 4 bytes (COMP_REGS_MAGIC; JSON starts with '{'). The batch is
 * applied atomically at one latch: the first frame whose number is >=
 * `frame`. A batch that arrives after that frame's latch is counted in
 * status as late_writes and applied at the next latch. Values are clamped
 * as the JSON `set` clamps them; writes to unknown layers or registers
 * are skipped (counted as bad_writes), never fatal. Little-endian. */
#pragma once
#include <stdint.h>

#define COMP_SVC_NAME	"/svc/compositord"
#define COMP_REGS_MAGIC 0x53474552u /* "REGS": a binary message, not JSON */
#define COMP_REGS_MAX	255u	    /* writes per batch */
#define COMP_LAYERS_MAX 64u	    /* layers at once */
/* Layer ids are 1..COMP_LAYER_ID_MAX: slot (id - 1) % COMP_LAYERS_MAX and
 * a generation (id - 1) / COMP_LAYERS_MAX, bumped when the slot's layer
 * is destroyed, so a freed id names nothing (NOT_FOUND) until its slot
 * has been reused 4 times (3 for the last slot). 255: copperd's binary
 * MOVE/ADD has 8 bits for it. */
#define COMP_LAYER_ID_MAX 255u
static inline uint32_t comp_layer_slot(uint32_t id)
{
	return (id - 1) % COMP_LAYERS_MAX;
}

enum comp_reg {
	COMP_REG_X,	   /* int px, clamped to +-32767 */
	COMP_REG_Y,	   /* int px, clamped to +-32767 */
	COMP_REG_ALPHA,	   /* 0.0 .. 1.0 */
	COMP_REG_Z,	   /* int32, higher in front, ties by id */
	COMP_REG_VISIBLE,  /* 0 hidden, != 0 shown */
	COMP_REG_SCALE_X,  /* [1/64, 64], default 1 */
	COMP_REG_SCALE_Y,  /* [1/64, 64], default 1 */
	COMP_REG_ROTATION, /* degrees, taken mod 360, pivot at the centre */
	COMP_REG_BLEND,	   /* enum comp_blend */
	COMP_REG_COUNT
};

enum comp_blend {
	COMP_BLEND_NORMAL = 0,
	COMP_BLEND_ADD = 1,
	COMP_BLEND_MUL = 2,
	COMP_BLEND_SCREEN = 3,
	COMP_BLEND_COUNT
};

struct comp_reg_write {
	uint32_t layer; /* layer id (1-based) */
	uint32_t reg;	/* enum comp_reg */
	double value;
}; /* 16 bytes */

struct comp_regs_msg {
	uint32_t magic; /* COMP_REGS_MAGIC */
	uint32_t count; /* <= COMP_REGS_MAX */
	uint64_t frame; /* the frame it is meant for: latched at the first
			 * frame >= this; a batch that arrives after that
			 * frame's latch is counted late_writes and applied at
			 * the next */
	struct comp_reg_write w[];
};

_Static_assert(sizeof(struct comp_reg_write) == 16, "comp_reg_write ABI");
_Static_assert(sizeof(struct comp_regs_msg) == 16, "comp_regs_msg ABI");

#define COMP_REGS_MSG_SIZE(n)                                                  \
	(sizeof(struct comp_regs_msg) + (n) * sizeof(struct comp_reg_write))
