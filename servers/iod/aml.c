/* ACPI tables object, FADT 8042 bit, the PCI root's _PRT (aml.h). Every
 * read is bounds-checked: the tables come from firmware. */
#include <stdbool.h>
#include <string.h>

#include "aml.h"

/* ---- tables object ---- */

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

const uint8_t *acpi_table(const uint8_t *blob, size_t len, const char *sig,
			  int nth, uint32_t *tlen)
{
	size_t off = 0;
	while (blob && off + 36 <= len) {
		uint32_t l = le32(blob + off + 4);
		if (l < 36 || l > len - off)
			return NULL; /* a broken header ends the walk */
		if (!memcmp(blob + off, sig, 4) && nth-- == 0) {
			*tlen = l;
			return blob + off;
		}
		off += l;
	}
	return NULL;
}

int acpi_has_8042(const uint8_t *blob, size_t len)
{
	uint32_t l;
	const uint8_t *f = acpi_table(blob, len, "FACP", 0, &l);
	if (!f || f[8] < 2 || l < 111)
		return -1;
	return (f[109] >> 1) & 1;
}

/* ---- AML namespace ---- */

#define NS_MAX	 768
#define SEGS_MAX 8

enum ns_kind { NS_SCOPE, NS_DEVICE, NS_NAME, NS_METHOD };

struct ns_obj {
	char path[SEGS_MAX * 4]; /* segments, 4 bytes each, no dots */
	uint8_t nseg, kind;
	uint32_t off, end; /* Name: the data object; else the body */
};

struct aml {
	const uint8_t *p;
	uint32_t len;
	struct ns_obj o[NS_MAX];
	int n;
};

struct name {
	char seg[SEGS_MAX][4];
	int nseg, up; /* up: '^' prefixes; -1: absolute ('\') */
};

static int pkglen(const struct aml *a, uint32_t *pos, uint32_t *end)
{
	uint32_t at = *pos;
	if (at >= a->len)
		return AML_BAD;
	uint8_t lead = a->p[at];
	int nb = lead >> 6;
	uint32_t l = nb ? lead & 0x0f : lead & 0x3f;
	if (at + 1 + (uint32_t)nb > a->len)
		return AML_BAD;
	for (int i = 0; i < nb; i++)
		l |= (uint32_t)a->p[at + 1 + i] << (4 + 8 * i);
	if (l > a->len - at)
		return AML_BAD;
	*end = at + l;
	*pos = at + 1 + (uint32_t)nb;
	return *pos <= *end ? AML_OK : AML_BAD;
}

static bool lead_char(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || c == '_';
}

static int namestring(const struct aml *a, uint32_t *pos, struct name *n)
{
	uint32_t at = *pos;
	n->nseg = 0;
	n->up = 0;
	if (at < a->len && a->p[at] == '\\') {
		n->up = -1;
		at++;
	}
	while (n->up >= 0 && at < a->len && a->p[at] == '^') {
		n->up++;
		at++;
	}
	if (at >= a->len)
		return AML_BAD;
	int cnt;
	uint8_t c = a->p[at];
	if (c == 0x00) {
		cnt = 0;
		at++;
	} else if (c == 0x2e) {
		cnt = 2;
		at++;
	} else if (c == 0x2f) {
		if (at + 1 >= a->len)
			return AML_BAD;
		cnt = a->p[at + 1];
		at += 2;
	} else if (lead_char(c)) {
		cnt = 1;
	} else {
		return AML_BAD;
	}
	if (cnt > SEGS_MAX || at + 4u * (uint32_t)cnt > a->len)
		return AML_BAD;
	for (int i = 0; i < cnt; i++, at += 4)
		memcpy(n->seg[i], a->p + at, 4);
	n->nseg = cnt;
	*pos = at;
	return AML_OK;
}

static bool is_name_start(uint8_t c)
{
	return c == '\\' || c == '^' || c == 0x2e || c == 0x2f || lead_char(c);
}

/* scope (nseg segments) + n: the object's full path. */
static int join(const char *scope, int nseg, const struct name *n, char *out)
{
	int base = n->up < 0 ? 0 : nseg - n->up;
	if (base < 0 || base + n->nseg > SEGS_MAX)
		return -1;
	memcpy(out, scope, 4u * (unsigned)base);
	memcpy(out + 4 * base, n->seg, 4u * (unsigned)n->nseg);
	return base + n->nseg;
}

static const struct ns_obj *find_exact(const struct aml *a, const char *path,
				       int nseg)
{
	for (int i = 0; i < a->n; i++)
		if (a->o[i].nseg == nseg &&
		    !memcmp(a->o[i].path, path, 4u * (unsigned)nseg))
			return &a->o[i];
	return NULL;
}

/* ACPI name lookup: a single relative segment is searched from scope up
 * to the root; anything else is exact. */
static const struct ns_obj *lookup(const struct aml *a, const char *scope,
				   int nseg, const struct name *n)
{
	char p[SEGS_MAX * 4];
	if (n->up == 0 && n->nseg == 1) {
		for (int s = nseg; s >= 0; s--) {
			memcpy(p, scope, 4u * (unsigned)s);
			memcpy(p + 4 * s, n->seg[0], 4);
			const struct ns_obj *o = find_exact(a, p, s + 1);
			if (o)
				return o;
		}
		return NULL;
	}
	int k = join(scope, nseg, n, p);
	return k < 0 ? NULL : find_exact(a, p, k);
}

static void add(struct aml *a, const char *path, int nseg, int kind,
		uint32_t off, uint32_t end)
{
	if (a->n >= NS_MAX || nseg <= 0)
		return;
	struct ns_obj *o = &a->o[a->n++];
	memcpy(o->path, path, 4u * (unsigned)nseg);
	o->nseg = (uint8_t)nseg;
	o->kind = (uint8_t)kind;
	o->off = off;
	o->end = end;
}

/* The end of the data object at pos (Name's value; an OperationRegion's
 * offset and length, which QEMU writes as constants). */
static int data_end(const struct aml *a, uint32_t pos, uint32_t *end)
{
	if (pos >= a->len)
		return AML_BAD;
	uint32_t e;
	switch (a->p[pos]) {
	case 0x00:
	case 0x01:
	case 0xff:
		e = pos + 1;
		break;
	case 0x0a:
		e = pos + 2;
		break;
	case 0x0b:
		e = pos + 3;
		break;
	case 0x0c:
		e = pos + 5;
		break;
	case 0x0e:
		e = pos + 9;
		break;
	case 0x0d:
		e = pos + 1;
		while (e < a->len && a->p[e])
			e++;
		e++;
		break;
	case 0x11:
	case 0x12:
	case 0x13: {
		uint32_t p = pos + 1;
		int r = pkglen(a, &p, &e);
		if (r)
			return r;
		break;
	}
	default:
		if (!is_name_start(a->p[pos]))
			return AML_UNSUPPORTED;
		struct name n;
		e = pos;
		int r = namestring(a, &e, &n);
		if (r)
			return r;
	}
	if (e > a->len)
		return AML_BAD;
	*end = e;
	return AML_OK;
}

/* Walks a namespace-level term list; an op it does not know ends this
 * scope's walk (the enclosing Scope/Device's length skips the rest). */
static void walk(struct aml *a, uint32_t pos, uint32_t end, const char *scope,
		 int nseg, int depth)
{
	while (pos < end && depth < 16) {
		uint8_t op = a->p[pos++];
		uint32_t e, body;
		struct name n;
		char path[SEGS_MAX * 4];
		int k;
		bool ext = op == 0x5b && pos < end;
		uint8_t op2 = ext ? a->p[pos++] : 0;
		if (op == 0x10 || (ext && (op2 == 0x82 || op2 == 0x85))) {
			/* Scope, Device, ThermalZone */
			if (pkglen(a, &pos, &e) || e > end ||
			    namestring(a, &pos, &n) || pos > e)
				return;
			k = join(scope, nseg, &n, path);
			if (k < 0)
				return;
			add(a, path, k, op == 0x10 ? NS_SCOPE : NS_DEVICE, pos,
			    e);
			walk(a, pos, e, path, k, depth + 1);
			pos = e;
		} else if (op == 0x14) { /* Method: body skipped */
			if (pkglen(a, &pos, &e) || e > end ||
			    namestring(a, &pos, &n) || pos + 1 > e)
				return;
			k = join(scope, nseg, &n, path);
			if (k >= 0)
				add(a, path, k, NS_METHOD, pos + 1, e);
			pos = e;
		} else if (op == 0x08) { /* Name */
			if (namestring(a, &pos, &n) || data_end(a, pos, &e) ||
			    e > end)
				return;
			k = join(scope, nseg, &n, path);
			if (k >= 0)
				add(a, path, k, NS_NAME, pos, e);
			pos = e;
		} else if (op == 0xa0 || op == 0xa1 ||
			   (ext && (op2 == 0x81 || op2 == 0x86 || op2 == 0x87 ||
				    op2 == 0x83 || op2 == 0x84))) {
			/* If, Else, Field, IndexField, BankField, Processor,
			 * PowerResource: skipped whole */
			if (pkglen(a, &pos, &e) || e > end)
				return;
			pos = e;
		} else if (ext && op2 == 0x80) { /* OperationRegion */
			if (namestring(a, &pos, &n) || ++pos > end ||
			    data_end(a, pos, &body) || data_end(a, body, &e) ||
			    e > end)
				return;
			pos = e;
		} else if (ext && op2 == 0x01) { /* Mutex */
			if (namestring(a, &pos, &n))
				return;
			pos++;
		} else if (ext && op2 == 0x02) { /* Event */
			if (namestring(a, &pos, &n))
				return;
		} else if (op == 0x15) { /* External */
			if (namestring(a, &pos, &n))
				return;
			pos += 2;
		} else if (op == 0x06) { /* Alias */
			if (namestring(a, &pos, &n) || namestring(a, &pos, &n))
				return;
		} else {
			return;
		}
	}
}

/* ---- evaluation of the few forms needed ---- */

static int integer(const struct aml *a, uint32_t *pos, uint64_t *v)
{
	uint32_t at = *pos, w;
	if (at >= a->len)
		return AML_BAD;
	switch (a->p[at]) {
	case 0x00:
		*v = 0;
		w = 0;
		break;
	case 0x01:
		*v = 1;
		w = 0;
		break;
	case 0xff:
		*v = ~0ull;
		w = 0;
		break;
	case 0x0a:
		w = 1;
		break;
	case 0x0b:
		w = 2;
		break;
	case 0x0c:
		w = 4;
		break;
	case 0x0e:
		w = 8;
		break;
	default:
		return AML_UNSUPPORTED;
	}
	if (at + 1 + w > a->len)
		return AML_BAD;
	if (w) {
		*v = 0;
		for (uint32_t i = 0; i < w; i++)
			*v |= (uint64_t)a->p[at + 1 + i] << (8 * i);
	}
	*pos = at + 1 + w;
	return AML_OK;
}

static const struct ns_obj *child(const struct aml *a, const struct ns_obj *o,
				  const char *seg)
{
	char p[SEGS_MAX * 4];
	if (o->nseg >= SEGS_MAX)
		return NULL;
	memcpy(p, o->path, 4u * o->nseg);
	memcpy(p + 4 * o->nseg, seg, 4);
	return find_exact(a, p, o->nseg + 1);
}

/* A link device's GSI from its static _CRS, or PRT_GSI_NONE. */
static uint32_t link_gsi(const struct aml *a, const struct ns_obj *dev,
			 const uint32_t isa_gsi[16])
{
	const struct ns_obj *crs = child(a, dev, "_CRS");
	uint32_t pos, end;
	uint64_t blen;
	if (!crs || crs->kind != NS_NAME || a->p[crs->off] != 0x11)
		return PRT_GSI_NONE;
	pos = crs->off + 1;
	if (pkglen(a, &pos, &end) || integer(a, &pos, &blen))
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
				return le32(a->p + pos + 5);
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
	if (pkglen(a, &pos, &end) || pos >= end)
		return AML_BAD;
	unsigned count = a->p[pos++];
	out->n = 0;
	for (unsigned i = 0; i < count && pos < end; i++) {
		uint64_t addr, pin, idx;
		struct name src = {.nseg = 0};
		if (a->p[pos] != 0x12)
			return AML_UNSUPPORTED;
		pos++;
		if (pkglen(a, &pos, &e2) || e2 > end || pos >= e2)
			return AML_BAD;
		pos++; /* NumElements: 4 */
		if (integer(a, &pos, &addr) || integer(a, &pos, &pin) ||
		    pos >= e2)
			return AML_UNSUPPORTED;
		if (is_name_start(a->p[pos])) {
			if (namestring(a, &pos, &src))
				return AML_BAD;
		} else {
			uint64_t z;
			if (integer(a, &pos, &z))
				return AML_UNSUPPORTED;
		}
		if (integer(a, &pos, &idx))
			return AML_UNSUPPORTED;
		pos = e2;
		uint32_t gsi = (uint32_t)idx; /* no source: the index is it */
		if (src.nseg) {
			const struct ns_obj *d = lookup(a, scope, nseg, &src);
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
	const struct ns_obj *m = find_exact(a, pic, 1);
	if (!m || m->kind != NS_METHOD || m->end - m->off < 3)
		return false;
	uint32_t pos = m->off;
	if (a->p[pos] != 0x70 || a->p[pos + 1] != 0x68) /* Store(Arg0, */
		return false;
	pos += 2;
	*scope_of = m;
	return namestring(a, &pos, var) == AML_OK && var->nseg > 0;
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
	if (*pos < a->len && is_name_start(a->p[*pos])) {
		struct name n;
		if (namestring(a, pos, &n))
			return AML_BAD;
		const struct ns_obj *o = lookup(a, ev->scope, ev->nseg, &n);
		if (!ev->has_pic || !o || o->nseg != ev->pic_nseg ||
		    memcmp(o->path, ev->pic_path, 4u * o->nseg))
			return AML_UNSUPPORTED;
		*v = 1;
		return AML_OK;
	}
	return integer(a, pos, v);
}

static int predicate(struct eval *ev, uint32_t *pos, uint64_t *v)
{
	const struct aml *a = ev->a;
	uint64_t x, y;
	int r;
	if (*pos >= a->len)
		return AML_BAD;
	switch (a->p[*pos]) {
	case 0x92: /* LNot */
		(*pos)++;
		if ((r = predicate(ev, pos, &x)))
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
			if (pos >= end || !is_name_start(a->p[pos]) ||
			    namestring(a, &pos, &n))
				return AML_UNSUPPORTED;
			const struct ns_obj *o =
				lookup(a, ev->scope, ev->nseg, &n);
			if (!o || o->kind != NS_NAME)
				return AML_UNSUPPORTED;
			ev->ret = o->off;
			return AML_OK;
		}
		if (op != 0xa0)
			return AML_UNSUPPORTED;
		uint64_t c;
		if (pkglen(a, &pos, &e) || e > end)
			return AML_BAD;
		if ((r = predicate(ev, &pos, &c)))
			return r;
		uint32_t else_pos = e, else_end = e;
		bool has_else = e < end && a->p[e] == 0xa1;
		if (has_else) {
			else_pos = e + 1;
			if (pkglen(a, &else_pos, &else_end) || else_end > end)
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
	const struct ns_obj *hid = child(a, d, "_HID");
	if (!hid || hid->kind != NS_NAME || a->p[hid->off] != 0x0c ||
	    hid->off + 5 > a->len)
		return false;
	uint32_t id = le32(a->p + hid->off + 1);
	return id == 0x030ad041u || id == 0x080ad041u; /* PNP0A03, PNP0A08 */
}

int aml_root_prt(const uint8_t *dsdt, size_t len, const uint32_t isa_gsi[16],
		 struct prt *out)
{
	static struct aml a; /* ~25 KiB: iod is single-threaded */
	out->n = 0;
	if (!dsdt || len < 36 || len > 0x1000000u)
		return AML_BAD;
	memset(&a, 0, sizeof(a));
	a.p = dsdt;
	a.len = (uint32_t)len;
	walk(&a, 36, a.len, "", 0, 0);
	const struct ns_obj *root = NULL;
	for (int i = 0; i < a.n && !root; i++)
		if (a.o[i].kind == NS_DEVICE && is_pci_root(&a, &a.o[i]))
			root = &a.o[i];
	if (!root)
		return AML_NO_ROOT;
	const struct ns_obj *prt = child(&a, root, "_PRT");
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
		const struct ns_obj *o = lookup(&a, "", 0, &var);
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
