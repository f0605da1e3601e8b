/* cop_prog: the two program forms into one, validated (cop_prog.h).
 * Both parsers fill an array of raw ops; build() then resolves labels,
 * checks the mask, numbers the registers written (the shadow) and lays
 * the program out in one allocation. Every error names the op index. */
#include "cop_prog.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comp_regs.h"

#define NO_LABEL (-1)

struct raw {
	uint8_t code, reg;
	uint32_t layer;
	uint32_t arg; /* WAIT_US usec, FENCE_GE frames */
	int32_t count;
	int32_t label; /* LABEL: defines; JUMP/LOOP: refers; key */
	double value;
	char tag[COP_TAG_MAX];
};

struct build {
	struct raw *raw;
	size_t n;
	/* JSON labels: key = index into names; binary: key = the id. */
	char (*names)[COP_LABEL_MAX];
	uint32_t nnames;
};

static int fail(char *err, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, cap, fmt, ap);
	va_end(ap);
	return -1;
}

static void label_desc(const struct build *b, int32_t key, char *out,
		       size_t cap)
{
	if (b->names)
		snprintf(out, cap, "\"%s\"", b->names[key]);
	else
		snprintf(out, cap, "%d", key);
}

void cop_mask_all(struct cop_mask *m)
{
	m->regs = (1u << COMP_REG_COUNT) - 1;
	for (int i = 0; i < 4; i++)
		m->layers[i] = ~0ull;
}

static bool mask_has(const struct cop_mask *m, uint32_t layer, uint32_t reg)
{
	return layer >= 1 && layer <= COP_MASK_LAYERS &&
	       (m->layers[(layer - 1) / 64] >> ((layer - 1) % 64) & 1) &&
	       (m->regs >> reg & 1);
}

int cop_mask_parse(const struct json_doc *d, int tok, struct cop_mask *m,
		   char *err, size_t cap)
{
	cop_mask_all(m);
	if (json_type_of(d, tok) != JSON_OBJECT)
		return fail(err, cap, "mask must be an object");
	int t = json_find(d, tok, "layers");
	if (t >= 0) {
		if (json_type_of(d, t) != JSON_ARRAY)
			return fail(err, cap, "mask.layers must be an array");
		memset(m->layers, 0, sizeof(m->layers));
		int n = d->tok[t].size, e = t + 1;
		for (int i = 0; i < n; i++, e = json_next(d, e)) {
			uint64_t id;
			if (json_uint(d, e, &id) < 0 || id < 1 ||
			    id > COP_MASK_LAYERS)
				return fail(err, cap,
					    "mask.layers.%d: a layer id 1..%u",
					    i, COP_MASK_LAYERS);
			m->layers[(id - 1) / 64] |= 1ull << ((id - 1) % 64);
		}
	}
	t = json_find(d, tok, "regs");
	if (t >= 0) {
		if (json_type_of(d, t) != JSON_ARRAY)
			return fail(err, cap, "mask.regs must be an array");
		m->regs = 0;
		int n = d->tok[t].size, e = t + 1;
		for (int i = 0; i < n; i++, e = json_next(d, e)) {
			int r = -1;
			if (json_type_of(d, e) == JSON_STRING)
				r = comp_reg_lookup(d->js + d->tok[e].start,
						    (size_t)(d->tok[e].end -
							     d->tok[e].start));
			if (r < 0)
				return fail(err, cap,
					    "mask.regs.%d: not a register name",
					    i);
			m->regs |= 1u << r;
		}
	}
	return 0;
}

/* Registers whose binary value is 16.16 fixed point. */
static bool fractional(uint32_t reg)
{
	return reg == COMP_REG_ALPHA || reg == COMP_REG_SCALE_X ||
	       reg == COMP_REG_SCALE_Y || reg == COMP_REG_ROTATION;
}

/* Lays the program out in one allocation. */
static struct cop_prog *build(struct build *b, const struct cop_mask *m,
			      char *err, size_t cap)
{
	if (b->n > COP_MAX_OPS) {
		fail(err, cap, "op %d: too many ops (at most %d)", COP_MAX_OPS,
		     COP_MAX_OPS);
		return NULL;
	}
	/* Register -> shadow slot, direct: layer ids are 1..255 (4.5 KiB). */
	static const uint16_t none = 0xffff;
	uint16_t slot[COP_MASK_LAYERS][COMP_REG_COUNT];
	memset(slot, 0xff, sizeof(slot));
	uint32_t nregs = 0, nloops = 0, ntags = 0;
	int32_t *target = calloc(b->n ? b->n : 1, sizeof(*target));
	if (!target) {
		fail(err, cap, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < b->n; i++) {
		struct raw *r = &b->raw[i];
		char l[COP_LABEL_MAX + 8];
		switch (r->code) {
		case COP_LABEL:
			for (size_t j = 0; j < i; j++)
				if (b->raw[j].code == COP_LABEL &&
				    b->raw[j].label == r->label) {
					label_desc(b, r->label, l, sizeof(l));
					fail(err, cap,
					     "op %zu: label %s defined twice "
					     "(op %zu)",
					     i, l, j);
					goto out;
				}
			break;
		case COP_JUMP:
		case COP_LOOP:
			target[i] = -1;
			for (size_t j = 0; j < b->n; j++)
				if (b->raw[j].code == COP_LABEL &&
				    b->raw[j].label == r->label) {
					target[i] = (int32_t)j;
					break;
				}
			if (target[i] < 0) {
				label_desc(b, r->label, l, sizeof(l));
				fail(err, cap, "op %zu: no label %s", i, l);
				goto out;
			}
			nloops += r->code == COP_LOOP;
			break;
		case COP_MOVE:
		case COP_ADD:
			if (!mask_has(m, r->layer, r->reg)) {
				fail(err, cap,
				     "op %zu: register layer[%u].%s is outside "
				     "the program's mask",
				     i, r->layer, comp_reg_name(r->reg));
				goto out;
			}
			if (slot[r->layer - 1][r->reg] == none)
				slot[r->layer - 1][r->reg] = (uint16_t)nregs++;
			break;
		case COP_IRQ:
			ntags++;
			break;
		default:
			break;
		}
	}
	size_t o_ops = (sizeof(struct cop_prog) + 15) & ~(size_t)15;
	size_t o_regs = o_ops + b->n * sizeof(struct cop_op);
	size_t o_tags = o_regs + nregs * sizeof(struct cop_reg);
	size_t o_loops = o_tags + ntags * COP_TAG_MAX;
	size_t size = o_loops + nloops * sizeof(int32_t);
	uint8_t *mem = calloc(1, size);
	if (!mem) {
		fail(err, cap, "out of memory");
		goto out;
	}
	struct cop_prog *p = (struct cop_prog *)mem;
	p->nops = (uint32_t)b->n;
	p->nregs = nregs;
	p->nloops = nloops;
	p->ntags = ntags;
	p->ops = (struct cop_op *)(mem + o_ops);
	p->regs = (struct cop_reg *)(mem + o_regs);
	p->tags = (char(*)[COP_TAG_MAX])(mem + o_tags);
	p->loop_left = (int32_t *)(mem + o_loops);
	uint32_t loop = 0, tag = 0;
	for (size_t i = 0; i < b->n; i++) {
		const struct raw *r = &b->raw[i];
		struct cop_op *o = &p->ops[i];
		o->code = r->code;
		o->count = r->count;
		o->value = r->value;
		o->arg = r->arg;
		o->target = target[i];
		switch (r->code) {
		case COP_MOVE:
		case COP_ADD: {
			uint16_t s = slot[r->layer - 1][r->reg];
			o->reg = r->reg;
			o->shadow = s;
			p->regs[s].layer = r->layer;
			p->regs[s].reg = r->reg;
			p->regs[s].value = comp_reg_default(r->reg);
			break;
		}
		case COP_LOOP:
			o->arg = loop++;
			break;
		case COP_IRQ:
			memcpy(p->tags[tag], r->tag, COP_TAG_MAX);
			o->arg = tag++;
			break;
		default:
			break;
		}
	}
	free(target);
	cop_prog_reset(p, 0);
	return p;
out:
	free(target);
	return NULL;
}

void cop_prog_free(struct cop_prog *p)
{
	free(p);
}

/* ---- the JSON form ---- */

static bool tok_is(const struct json_doc *d, int t, int type)
{
	return t >= 0 && json_type_of(d, t) == type;
}

/* A JSON number as a double (the text is valid JSON: strtod agrees). */
static int num(const struct json_doc *d, int t, double *out)
{
	if (!tok_is(d, t, JSON_NUMBER))
		return -1;
	char buf[64];
	int len = d->tok[t].end - d->tok[t].start;
	if (len <= 0 || len >= (int)sizeof(buf))
		return -1;
	memcpy(buf, d->js + d->tok[t].start, (size_t)len);
	buf[len] = 0;
	double v = strtod(buf, NULL);
	/* Far beyond any register's range, and no infinities later. */
	if (!(v > -1e12 && v < 1e12))
		return -1;
	*out = v;
	return 0;
}

static int32_t intern(struct build *b, const char *name)
{
	for (uint32_t i = 0; i < b->nnames; i++)
		if (!strcmp(b->names[i], name))
			return (int32_t)i;
	memcpy(b->names[b->nnames], name, COP_LABEL_MAX);
	return (int32_t)b->nnames++;
}

static int label_of(const struct json_doc *d, int e, struct build *b,
		    int32_t *key)
{
	char name[COP_LABEL_MAX];
	int t = json_find(d, e, "label");
	if (!tok_is(d, t, JSON_STRING) ||
	    json_str(d, t, name, sizeof(name)) <= 0)
		return -1;
	memset(name + strlen(name), 0, sizeof(name) - strlen(name));
	*key = intern(b, name);
	return 0;
}

/* The value of a MOVE: a number, true/false (visible), a blend name. */
static int move_value(const struct json_doc *d, int t, uint32_t reg, double *v)
{
	if (tok_is(d, t, JSON_BOOL)) {
		bool bv;
		json_bool(d, t, &bv);
		*v = bv;
		return 0;
	}
	if (tok_is(d, t, JSON_STRING) && reg == COMP_REG_BLEND) {
		int bl = comp_blend_lookup(
			d->js + d->tok[t].start,
			(size_t)(d->tok[t].end - d->tok[t].start));
		if (bl < 0)
			return -1;
		*v = bl;
		return 0;
	}
	return num(d, t, v);
}

static int json_op(const struct json_doc *d, int e, size_t i, struct build *b,
		   char *err, size_t cap)
{
	struct raw *r = &b->raw[i];
	memset(r, 0, sizeof(*r));
	r->label = NO_LABEL;
	if (!tok_is(d, e, JSON_OBJECT))
		return fail(err, cap, "op %zu: not an object", i);
	int t = json_find(d, e, "op");
	char op[16];
	if (t < 0) { /* {"label":"x"}: a label marker */
		if (label_of(d, e, b, &r->label) < 0)
			return fail(err, cap,
				    "op %zu: no \"op\" (or a \"label\" string "
				    "up to %d bytes)",
				    i, COP_LABEL_MAX - 1);
		r->code = COP_LABEL;
		return 0;
	}
	if (!tok_is(d, t, JSON_STRING) || json_str(d, t, op, sizeof(op)) < 0)
		return fail(err, cap, "op %zu: unknown op", i);
	if (!strcmp(op, "MOVE") || !strcmp(op, "ADD")) {
		bool move = op[0] == 'M';
		r->code = move ? COP_MOVE : COP_ADD;
		char name[40];
		uint32_t layer, reg;
		t = json_find(d, e, "reg");
		if (!tok_is(d, t, JSON_STRING) ||
		    json_str(d, t, name, sizeof(name)) < 0 ||
		    comp_reg_parse(name, &layer, &reg) < 0)
			return fail(err, cap,
				    "op %zu: reg must be \"layer[N].<reg>\" "
				    "(N 1..%u)",
				    i, COMP_LAYER_ID_MAX);
		r->layer = layer;
		r->reg = (uint8_t)reg;
		t = json_find(d, e, move ? "value" : "delta");
		if ((move ? move_value(d, t, reg, &r->value)
			  : num(d, t, &r->value)) < 0)
			return fail(err, cap, "op %zu: %s must be a number", i,
				    move ? "value" : "delta");
		return 0;
	}
	if (!strcmp(op, "WAIT")) {
		int tv = json_find(d, e, "vsync"), tu = json_find(d, e, "usec");
		bool vs = false;
		uint64_t us;
		if (tv >= 0 && tu < 0 && json_bool(d, tv, &vs) == 0 && vs) {
			r->code = COP_WAIT_VSYNC;
			return 0;
		}
		if (tu >= 0 && tv < 0 && json_uint(d, tu, &us) == 0 &&
		    us <= UINT32_MAX) {
			r->code = COP_WAIT_US;
			r->arg = (uint32_t)us;
			return 0;
		}
		return fail(err, cap,
			    "op %zu: WAIT needs \"vsync\":true or \"usec\":N "
			    "(0..%u)",
			    i, UINT32_MAX);
	}
	if (!strcmp(op, "IRQ")) {
		r->code = COP_IRQ;
		t = json_find(d, e, "tag");
		uint64_t n;
		if (tok_is(d, t, JSON_STRING) &&
		    json_str(d, t, r->tag, sizeof(r->tag)) >= 0)
			return 0;
		if (json_uint(d, t, &n) == 0 && n <= UINT32_MAX) {
			snprintf(r->tag, sizeof(r->tag), "%u", (uint32_t)n);
			return 0;
		}
		return fail(err, cap,
			    "op %zu: IRQ needs a tag (a string up to %d "
			    "bytes)",
			    i, COP_TAG_MAX - 1);
	}
	if (!strcmp(op, "JUMP") || !strcmp(op, "LOOP") ||
	    !strcmp(op, "LABEL")) {
		r->code = op[1] == 'U'	 ? COP_JUMP
			  : op[1] == 'O' ? COP_LOOP
					 : COP_LABEL;
		if (label_of(d, e, b, &r->label) < 0)
			return fail(err, cap,
				    "op %zu: %s needs a \"label\" string up "
				    "to %d bytes",
				    i, op, COP_LABEL_MAX - 1);
		if (r->code != COP_LOOP)
			return 0;
		int64_t c;
		t = json_find(d, e, "count");
		if (json_int(d, t, &c) < 0 || c == 0 || c < -1 || c > INT32_MAX)
			return fail(err, cap,
				    "op %zu: LOOP count must be -1 (forever) "
				    "or 1..%d",
				    i, INT32_MAX);
		r->count = (int32_t)c;
		return 0;
	}
	if (!strcmp(op, "FENCE")) {
		uint64_t f;
		t = json_find(d, e, "frame");
		if (json_uint(d, t, &f) < 0 || f > UINT32_MAX)
			return fail(err, cap,
				    "op %zu: FENCE needs \"frame\":N (frames "
				    "since the start, 0..%u)",
				    i, UINT32_MAX);
		r->code = COP_FENCE_GE;
		r->arg = (uint32_t)f;
		return 0;
	}
	if (!strcmp(op, "NOP")) {
		r->code = COP_NOP;
		return 0;
	}
	if (!strcmp(op, "BIND"))
		return fail(err, cap, "op %zu: BIND is not supported", i);
	return fail(err, cap, "op %zu: unknown op \"%s\"", i, op);
}

struct cop_prog *cop_prog_from_json(const struct json_doc *d, int tok,
				    const struct cop_mask *m, char *err,
				    size_t cap)
{
	int list = tok;
	if (tok_is(d, tok, JSON_OBJECT)) {
		int64_t v;
		int t = json_find(d, tok, "version");
		if (t >= 0 && (json_int(d, t, &v) < 0 || v != 1)) {
			fail(err, cap, "program.version must be 1");
			return NULL;
		}
		list = json_find(d, tok, "program");
	}
	if (!tok_is(d, list, JSON_ARRAY)) {
		fail(err, cap, "program must be {version:1, program:[ops]}");
		return NULL;
	}
	size_t n = (size_t)d->tok[list].size;
	if (n > COP_MAX_OPS) {
		fail(err, cap, "op %d: too many ops (at most %d)", COP_MAX_OPS,
		     COP_MAX_OPS);
		return NULL;
	}
	struct build b = {.n = n};
	b.raw = calloc(n ? n : 1, sizeof(*b.raw));
	b.names = calloc(n ? n : 1, sizeof(*b.names));
	struct cop_prog *p = NULL;
	if (!b.raw || !b.names) {
		fail(err, cap, "out of memory");
		goto out;
	}
	int e = list + 1;
	for (size_t i = 0; i < n; i++, e = json_next(d, e))
		if (json_op(d, e, i, &b, err, cap) < 0)
			goto out;
	p = build(&b, m, err, cap);
out:
	free(b.raw);
	free(b.names);
	return p;
}

/* ---- the binary form ---- */

static int word_op(uint64_t w, size_t i, struct raw *r, char *err, size_t cap)
{
	memset(r, 0, sizeof(*r));
	r->label = NO_LABEL;
	uint8_t code = (uint8_t)(w >> 56);
	uint64_t low32 = w & 0xffffffffull, low16 = w & 0xffffull;
	uint64_t rest = w & 0x00ffffffffffffffull; /* below the opcode */
	uint64_t extra;				   /* bits that must be 0 */
	r->code = code;
	switch (code) {
	case COP_NOP:
	case COP_WAIT_VSYNC:
		extra = rest;
		break;
	case COP_WAIT_US:
	case COP_FENCE_GE:
	case COP_IRQ:
		extra = rest & ~low32;
		r->arg = (uint32_t)low32;
		if (code == COP_IRQ)
			snprintf(r->tag, sizeof(r->tag), "%u", r->arg);
		break;
	case COP_LABEL:
	case COP_JUMP:
		extra = rest & ~low16;
		r->label = (int32_t)low16;
		break;
	case COP_LOOP: {
		extra = rest >> 48;
		r->label = (int32_t)(w >> 32 & 0xffff);
		int32_t c = (int32_t)(uint32_t)low32;
		if (c == 0 || c < -1)
			return fail(err, cap,
				    "op %zu: LOOP count must be -1 (forever) "
				    "or 1..%d",
				    i, INT32_MAX);
		r->count = c;
		break;
	}
	case COP_MOVE:
	case COP_ADD: {
		extra = 0;
		uint32_t reg = (uint32_t)(w >> 40 & 0xffff);
		uint32_t layer = (uint32_t)(w >> 32 & 0xff);
		if (reg >= COMP_REG_COUNT)
			return fail(err, cap, "op %zu: no register %u", i, reg);
		if (layer < 1 || layer > COMP_LAYER_ID_MAX)
			return fail(err, cap, "op %zu: layer %u is not 1..%u",
				    i, layer, COMP_LAYER_ID_MAX);
		r->reg = (uint8_t)reg;
		r->layer = layer;
		int32_t v = (int32_t)(uint32_t)low32;
		r->value = fractional(reg) ? v / 65536.0 : v;
		break;
	}
	case COP_BIND:
		return fail(err, cap, "op %zu: BIND is not supported", i);
	default:
		return fail(err, cap, "op %zu: unknown opcode 0x%02x", i, code);
	}
	if (extra)
		return fail(err, cap, "op %zu: reserved bits set (0x%016llx)",
			    i, (unsigned long long)w);
	return 0;
}

struct cop_prog *cop_prog_from_words(const uint64_t *w, size_t n,
				     const struct cop_mask *m, char *err,
				     size_t cap)
{
	if (n > COP_MAX_OPS) {
		fail(err, cap, "op %d: too many ops (at most %d)", COP_MAX_OPS,
		     COP_MAX_OPS);
		return NULL;
	}
	struct build b = {.n = n};
	b.raw = calloc(n ? n : 1, sizeof(*b.raw));
	if (!b.raw) {
		fail(err, cap, "out of memory");
		return NULL;
	}
	struct cop_prog *p = NULL;
	for (size_t i = 0; i < n; i++)
		if (word_op(w[i], i, &b.raw[i], err, cap) < 0)
			goto out;
	p = build(&b, m, err, cap);
out:
	free(b.raw);
	return p;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long cop_hex_decode(const char *s, size_t len, uint64_t *out, size_t max,
		    char *err, size_t cap)
{
	if (len % 16)
		return fail(err, cap,
			    "binary: 16 hex digits per op (length %zu)", len);
	size_t n = len / 16;
	if (n > max)
		return fail(err, cap, "op %zu: too many ops (at most %zu)", max,
			    max);
	for (size_t i = 0; i < n; i++) {
		uint64_t w = 0;
		for (size_t k = 0; k < 16; k++) {
			int v = hexval(s[i * 16 + k]);
			if (v < 0)
				return fail(err, cap, "op %zu: not a hex digit",
					    i);
			w = w << 4 | (uint64_t)v;
		}
		out[i] = w;
	}
	return (long)n;
}
