/* comp_regs: compositord's register names and value ranges, pure (no
 * system calls) so copperd links it too. Names are `layer[N].<reg>` with
 * <reg> one of x y alpha z visible scale_x scale_y rotation blend
 * (PHASE0-PROTOCOL.md section 2). Host-tested (tests/host/
 * test_comp_regs.c). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <execrt/comp_proto.h>

#define COMP_POS_MAX   32767.0
#define COMP_SCALE_MIN (1.0 / 64.0)
#define COMP_SCALE_MAX 64.0

/* "layer[3].x" -> *layer 3, *reg COMP_REG_X; 0, or -1 if malformed (no
 * such register, id outside 1..COMP_LAYERS_MAX, trailing characters). */
int comp_reg_parse(const char *name, uint32_t *layer, uint32_t *reg);
/* The same on a string of len bytes (not NUL-terminated: JSON keys). */
int comp_reg_parse_n(const char *name, size_t len, uint32_t *layer,
		     uint32_t *reg);
/* A bare register name ("x", "scale_y") -> enum comp_reg, or -1. */
int comp_reg_lookup(const char *s, size_t len);
/* enum comp_reg -> "x" etc.; NULL if out of range. */
const char *comp_reg_name(uint32_t reg);
/* Clamp v into reg's range (NaN -> the register's default; rotation
 * mod 360 into [0,360); x/y/z/visible/blend rounded to integers). */
double comp_reg_clamp(uint32_t reg, double v);
/* The value a new layer starts with. */
double comp_reg_default(uint32_t reg);
/* "normal|add|mul|screen" -> enum comp_blend, or -1; and back. */
int comp_blend_lookup(const char *s, size_t len);
const char *comp_blend_name(uint32_t blend);
