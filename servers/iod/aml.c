/* ACPI tables object, FADT 8042 bit (aml.h) and the AML namespace walk
 * (aml_ns.h; the _PRT's evaluation is prt.c). Every read is
 * bounds-checked: the tables come from firmware. */
#include <stdbool.h>
#include <string.h>

#include "aml.h"
#include "aml_ns.h"

/* ---- tables object ---- */

uint32_t aml_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

const uint8_t *acpi_table(const uint8_t *blob, size_t len, const char *sig,
			  int nth, uint32_t *tlen)
{
	size_t off = 0;
	while (blob && off + 36 <= len) {
		uint32_t l = aml_le32(blob + off + 4);
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

int aml_pkglen(const struct aml *a, uint32_t *pos, uint32_t *end)
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

int aml_namestring(const struct aml *a, uint32_t *pos, struct name *n)
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

bool aml_is_name_start(uint8_t c)
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

const struct ns_obj *aml_find_exact(const struct aml *a, const char *path,
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
const struct ns_obj *aml_lookup(const struct aml *a, const char *scope,
				int nseg, const struct name *n)
{
	char p[SEGS_MAX * 4];
	if (n->up == 0 && n->nseg == 1) {
		for (int s = nseg; s >= 0; s--) {
			memcpy(p, scope, 4u * (unsigned)s);
			memcpy(p + 4 * s, n->seg[0], 4);
			const struct ns_obj *o = aml_find_exact(a, p, s + 1);
			if (o)
				return o;
		}
		return NULL;
	}
	int k = join(scope, nseg, n, p);
	return k < 0 ? NULL : aml_find_exact(a, p, k);
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
		int r = aml_pkglen(a, &p, &e);
		if (r)
			return r;
		break;
	}
	default:
		if (!aml_is_name_start(a->p[pos]))
			return AML_UNSUPPORTED;
		struct name n;
		e = pos;
		int r = aml_namestring(a, &e, &n);
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
			if (aml_pkglen(a, &pos, &e) || e > end ||
			    aml_namestring(a, &pos, &n) || pos > e)
				return;
			k = join(scope, nseg, &n, path);
			if (k < 0)
				return;
			add(a, path, k, op == 0x10 ? NS_SCOPE : NS_DEVICE, pos,
			    e);
			walk(a, pos, e, path, k, depth + 1);
			pos = e;
		} else if (op == 0x14) { /* Method: body skipped */
			if (aml_pkglen(a, &pos, &e) || e > end ||
			    aml_namestring(a, &pos, &n) || pos + 1 > e)
				return;
			k = join(scope, nseg, &n, path);
			if (k >= 0)
				add(a, path, k, NS_METHOD, pos + 1, e);
			pos = e;
		} else if (op == 0x08) { /* Name */
			if (aml_namestring(a, &pos, &n) ||
			    data_end(a, pos, &e) || e > end)
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
			if (aml_pkglen(a, &pos, &e) || e > end)
				return;
			pos = e;
		} else if (ext && op2 == 0x80) { /* OperationRegion */
			if (aml_namestring(a, &pos, &n) || ++pos > end ||
			    data_end(a, pos, &body) || data_end(a, body, &e) ||
			    e > end)
				return;
			pos = e;
		} else if (ext && op2 == 0x01) { /* Mutex */
			if (aml_namestring(a, &pos, &n))
				return;
			pos++;
		} else if (ext && op2 == 0x02) { /* Event */
			if (aml_namestring(a, &pos, &n))
				return;
		} else if (op == 0x15) { /* External */
			if (aml_namestring(a, &pos, &n))
				return;
			pos += 2;
		} else if (op == 0x06) { /* Alias */
			if (aml_namestring(a, &pos, &n) ||
			    aml_namestring(a, &pos, &n))
				return;
		} else {
			return;
		}
	}
}

int aml_integer(const struct aml *a, uint32_t *pos, uint64_t *v)
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

const struct ns_obj *aml_child(const struct aml *a, const struct ns_obj *o,
			       const char *seg)
{
	char p[SEGS_MAX * 4];
	if (o->nseg >= SEGS_MAX)
		return NULL;
	memcpy(p, o->path, 4u * o->nseg);
	memcpy(p + 4 * o->nseg, seg, 4);
	return aml_find_exact(a, p, o->nseg + 1);
}

void aml_load(struct aml *a, const uint8_t *dsdt, uint32_t len)
{
	memset(a, 0, sizeof(*a));
	a->p = dsdt;
	a->len = len;
	walk(a, 36, len, "", 0, 0);
}
