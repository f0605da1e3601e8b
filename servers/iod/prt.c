/* The PCI root's _PRT in APIC mode and its link devices' GSIs (aml.h):
 * the few AML forms QEMU's DSDTs use, over the namespace aml.c reads. */
#include <stdbool.h>
#include <string.h>

#include "aml.h"
#include "aml_ns.h"

/* A link device's GSI from its static _CRS, or PRT_GSI_NONE. */
static uint32_t link_gsi(const struct aml *a, const struct ns_obj *dev,
			 const uint32_t isa_gsi[16])
{
	const struct ns_obj *crs = aml_child(a, dev, "_CRS");
	uint32_t pos, end;
	uint64_t blen;
	if (!crs || crs->kind != NS_NAME || a->p[crs->off] != 0x11)
		return PRT_GSI_NONE;
	pos = crs->off + 1;
	if (aml_pkglen(a, &pos, &end) || aml_integer(a, &pos, &blen))
		return PRT_GSI_NONE;
	/* BufferSize must lie inside the Buffer: a hostile PkgLength may end
	 * before it (end - pos would wrap). */
	if (pos > end)
		return PRT_GSI_NONE;
	if (blen < end - pos)
		end = pos + (uint32_t)blen;
	while (pos < end) {
		uint8_t t = a->p[pos];
		if (!(t & 0x80)) { /* small descriptor */
			uint32_t l = t & 7;
			uint8_t tag = (t >> 3) & 0xf;
			if (tag == 0xf || pos + 1 + l > end)
				break;
			if (tag == 0x4 && l >= 2) { /* IRQ: a 16-bit mask */
				unsigned m = a->p[pos + 1] |
					     (unsigned)a->p[pos + 2] << 8;
				for (unsigned i = 0; i < 16; i++)
					if (m & (1u << i))
						return isa_gsi[i];
			}
			pos += 1 + l;
		} else {
			if (pos + 3 > end)
				break;
			uint32_t l = a->p[pos + 1] | (uint32_t)a->p[pos + 2]
							     << 8;
			if (pos + 3 + l > end)
				break;
			if ((t & 0x7f) == 0x09 && l >= 6 && a->p[pos + 4] >= 1)
				return aml_le32(a->p + pos + 5);
			pos += 3 + l;
		}
	}
	return PRT_GSI_NONE;
}

/* Package(){ Package(){addr, pin, source, index}, ... } at pos. */
static int prt_package(const struct aml *a, uint32_t pos, const char *scope,
		       int nseg, const uint32_t isa_gsi[16], struct prt *out)
{
	uint32_t end, e2;
	if (pos >= a->len || a->p[pos] != 0x12)
		return AML_UNSUPPORTED;
	pos++;
	if (aml_pkglen(a, &pos, &end) || pos >= end)
		return AML_BAD;
	unsigned count = a->p[pos++];
	out->n = 0;
	for (unsigned i = 0; i < count && pos < end; i++) {
		uint64_t addr, pin, idx;
		struct name src = {.nseg = 0};
		if (a->p[pos] != 0x12)
			return AML_UNSUPPORTED;
		pos++;
		if (aml_pkglen(a, &pos, &e2) || e2 > end || pos >= e2)
			return AML_BAD;
		pos++; /* NumElements: 4 */
		if (aml_integer(a, &pos, &addr) || aml_integer(a, &pos, &pin) ||
		    pos >= e2)
			return AML_UNSUPPORTED;
		if (aml_is_name_start(a->p[pos])) {
			if (aml_namestring(a, &pos, &src))
				return AML_BAD;
		} else {
			uint64_t z;
			if (aml_integer(a, &pos, &z))
				return AML_UNSUPPORTED;
		}
		if (aml_integer(a, &pos, &idx))
			return AML_UNSUPPORTED;
		pos = e2;
		uint32_t gsi = (uint32_t)idx; /* no source: the index is it */
		if (src.nseg) {
			const struct ns_obj *d =
				aml_lookup(a, scope, nseg, &src);
			gsi = d && d->kind == NS_DEVICE
				      ? link_gsi(a, d, isa_gsi)
				      : PRT_GSI_NONE;
		}
		if (out->n < PRT_MAX && pin < 4)
			out->e[out->n++] = (struct prt_entry){
				.slot = (uint8_t)((addr >> 16) & 31),
				.pin = (uint8_t)pin,
				.gsi = gsi};
	}
	return AML_OK;
}

/* The variable \_PIC stores Arg0 into (the PIC-mode flag), or none. */
static bool pic_var(const struct aml *a, struct name *var,
		    const struct ns_obj **scope_of)
{
	static const char pic[4] = {'_', 'P', 'I', 'C'};
	const struct ns_obj *m = aml_find_exact(a, pic, 1);
	if (!m || m->kind != NS_METHOD || m->end - m->off < 3)
		return false;
	uint32_t pos = m->off;
	if (a->p[pos] != 0x70 || a->p[pos + 1] != 0x68) /* Store(Arg0, */
		return false;
	pos += 2;
	*scope_of = m;
	return aml_namestring(a, &pos, var) == AML_OK && var->nseg > 0;
}

struct eval {
	const struct aml *a;
	const char *scope;
	int nseg;
	bool has_pic;
	char pic_path[SEGS_MAX * 4];
	int pic_nseg;
	uint32_t ret; /* offset of the returned Package */
};

/* An operand of a predicate: a constant, or the PIC-mode variable
 * (1: APIC mode). */
static int operand(struct eval *ev, uint32_t *pos, uint64_t *v)
{
	const struct aml *a = ev->a;
	if (*pos < a->len && aml_is_name_start(a->p[*pos])) {
		struct name n;
		if (aml_namestring(a, pos, &n))
			return AML_BAD;
		const struct ns_obj *o = aml_lookup(a, ev->scope, ev->nseg, &n);
		if (!ev->has_pic || !o || o->nseg != ev->pic_nseg ||
		    memcmp(o->path, ev->pic_path, 4u * o->nseg))
			return AML_UNSUPPORTED;
		*v = 1;
		return AML_OK;
	}
	return aml_integer(a, pos, v);
}

/* LNot nests by recursion: bounded so a hostile table cannot overflow
 * iod's stack (real DSDTs nest one or two). */
#define PRED_DEPTH_MAX 16

static int predicate(struct eval *ev, uint32_t *pos, uint64_t *v, int depth)
{
	const struct aml *a = ev->a;
	uint64_t x, y;
	int r;
	if (*pos >= a->len)
		return AML_BAD;
	switch (a->p[*pos]) {
	case 0x92: /* LNot */
		if (depth >= PRED_DEPTH_MAX)
			return AML_UNSUPPORTED;
		(*pos)++;
		if ((r = predicate(ev, pos, &x, depth + 1)))
			return r;
		*v = !x;
		return AML_OK;
	case 0x93: /* LEqual */
	case 0x94: /* LGreater */
	case 0x95: /* LLess */ {
		uint8_t op = a->p[(*pos)++];
		if ((r = operand(ev, pos, &x)) || (r = operand(ev, pos, &y)))
			return r;
		*v = op == 0x93 ? x == y : op == 0x94 ? x > y : x < y;
		return AML_OK;
	}
	default:
		return operand(ev, pos, v);
	}
}

/* Runs the If/Else/Return statements of [pos, end): AML_OK with ev->ret
 * set when a Return of a named Package was reached. */
static int run(struct eval *ev, uint32_t pos, uint32_t end, int depth)
{
	const struct aml *a = ev->a;
	while (pos < end && depth < 8) {
		uint8_t op = a->p[pos++];
		uint32_t e;
		int r;
		if (op == 0xa4) { /* Return */
			struct name n;
			if (pos >= end || !aml_is_name_start(a->p[pos]) ||
			    aml_namestring(a, &pos, &n))
				return AML_UNSUPPORTED;
			const struct ns_obj *o =
				aml_lookup(a, ev->scope, ev->nseg, &n);
			if (!o || o->kind != NS_NAME)
				return AML_UNSUPPORTED;
			ev->ret = o->off;
			return AML_OK;
		}
		if (op != 0xa0)
			return AML_UNSUPPORTED;
		uint64_t c;
		if (aml_pkglen(a, &pos, &e) || e > end)
			return AML_BAD;
		if ((r = predicate(ev, &pos, &c, 0)))
			return r;
		uint32_t else_pos = e, else_end = e;
		bool has_else = e < end && a->p[e] == 0xa1;
		if (has_else) {
			else_pos = e + 1;
			if (aml_pkglen(a, &else_pos, &else_end) ||
			    else_end > end)
				return AML_BAD;
		}
		if (c)
			return run(ev, pos, e, depth + 1);
		if (has_else)
			return run(ev, else_pos, else_end, depth + 1);
		pos = e;
	}
	return AML_UNSUPPORTED; /* fell off the end: no Return reached */
}

static bool is_pci_root(const struct aml *a, const struct ns_obj *d)
{
	const struct ns_obj *hid = aml_child(a, d, "_HID");
	if (!hid || hid->kind != NS_NAME || a->p[hid->off] != 0x0c ||
	    hid->off + 5 > a->len)
		return false;
	uint32_t id = aml_le32(a->p + hid->off + 1);
	return id == 0x030ad041u || id == 0x080ad041u; /* PNP0A03, PNP0A08 */
}

int aml_root_prt(const uint8_t *dsdt, size_t len, const uint32_t isa_gsi[16],
		 struct prt *out)
{
	static struct aml a; /* ~25 KiB: iod is single-threaded */
	out->n = 0;
	if (!dsdt || len < 36 || len > 0x1000000u)
		return AML_BAD;
	aml_load(&a, dsdt, (uint32_t)len);
	const struct ns_obj *root = NULL;
	for (int i = 0; i < a.n && !root; i++)
		if (a.o[i].kind == NS_DEVICE && is_pci_root(&a, &a.o[i]))
			root = &a.o[i];
	if (!root)
		return AML_NO_ROOT;
	const struct ns_obj *prt = aml_child(&a, root, "_PRT");
	if (!prt)
		return AML_NO_PRT;
	if (prt->kind == NS_NAME)
		return prt_package(&a, prt->off, root->path, root->nseg,
				   isa_gsi, out);
	if (prt->kind != NS_METHOD)
		return AML_UNSUPPORTED;
	struct eval ev = {.a = &a, .scope = root->path, .nseg = root->nseg};
	struct name var;
	const struct ns_obj *pm;
	if (pic_var(&a, &var, &pm)) {
		/* \_PIC is at the root: its names resolve from there */
		const struct ns_obj *o = aml_lookup(&a, "", 0, &var);
		if (o) {
			ev.has_pic = true;
			memcpy(ev.pic_path, o->path, 4u * o->nseg);
			ev.pic_nseg = o->nseg;
		}
		(void)pm;
	}
	int r = run(&ev, prt->off, prt->end, 0);
	if (r)
		return r;
	return prt_package(&a, ev.ret, root->path, root->nseg, isa_gsi, out);
}

uint32_t prt_lookup(const struct prt *p, uint8_t slot, uint8_t pin)
{
	for (int i = 0; i < p->n; i++)
		if (p->e[i].slot == slot && p->e[i].pin == pin)
			return p->e[i].gsi;
	return PRT_GSI_NONE;
}

const char *aml_strerror(int e)
{
	switch (e) {
	case AML_OK:
		return "ok";
	case AML_NO_ROOT:
		return "no PCI root device";
	case AML_NO_PRT:
		return "no _PRT on the PCI root";
	case AML_UNSUPPORTED:
		return "_PRT in a form not evaluated";
	default:
		return "malformed AML";
	}
}
