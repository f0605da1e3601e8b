/* Value parsers of the manifest (manifest_value.c): numbers with units,
 * ranges, name patterns. Pure, host-tested through the manifest tests. */
#include <stdint.h>
#include <string.h>

#include "manifest.h"
#include "manifest_value.h"

int man_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0, base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -1;
	for (; *s; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return -1;
		if (v > (UINT64_MAX - d) / base)
			return -1;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

/* The digits of s up to its unit suffix, as a number; *unit after it. */
int man_split_unit(const char *s, uint64_t *v, const char **unit)
{
	char num[24];
	size_t n = strspn(s, "0123456789");
	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, s, n);
	num[n] = 0;
	*unit = s + n;
	return man_parse_u64(num, v);
}

static int scale(uint64_t v, uint64_t mul, uint64_t *out)
{
	if (v > UINT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

int man_parse_size(const char *s, uint64_t *out)
{
	uint64_t v;
	const char *u;
	if (s[0] == '0' && s[1] == 'x')
		return man_parse_u64(s, out);
	if (man_split_unit(s, &v, &u) < 0)
		return -1;
	if (!*u)
		return scale(v, 1, out);
	if (u[1] && strcmp(u + 1, "iB") && strcmp(u + 1, "B"))
		return -1;
	switch (u[0]) {
	case 'K':
	case 'k':
		return scale(v, 1ull << 10, out);
	case 'M':
		return scale(v, 1ull << 20, out);
	case 'G':
		return scale(v, 1ull << 30, out);
	}
	return -1;
}

int man_parse_time(const char *s, uint64_t *ns)
{
	uint64_t v;
	const char *u;
	if (man_split_unit(s, &v, &u) < 0)
		return -1;
	if (!strcmp(u, "ns"))
		return scale(v, 1, ns);
	if (!strcmp(u, "us"))
		return scale(v, 1000, ns);
	if (!strcmp(u, "ms"))
		return scale(v, 1000000, ns);
	if (!strcmp(u, "s"))
		return scale(v, 1000000000, ns);
	return -1;
}

/* "A-B" (inclusive) or "A+SIZE". */
int man_parse_range(const char *s, struct man_range *r)
{
	char a[24];
	const char *sep = strpbrk(s, "-+");
	if (!sep || (size_t)(sep - s) >= sizeof(a))
		return -1;
	memcpy(a, s, (size_t)(sep - s));
	a[sep - s] = 0;
	uint64_t base, b;
	if (man_parse_u64(a, &base) < 0)
		return -1;
	if (*sep == '-') {
		if (man_parse_u64(sep + 1, &b) < 0 || b < base ||
		    b == UINT64_MAX) /* base + size must not wrap */
			return -1;
		r->base = base;
		r->size = b - base + 1;
		return 0;
	}
	if (man_parse_size(sep + 1, &b) < 0 || b == 0 || b > UINT64_MAX - base)
		return -1;
	r->base = base;
	r->size = b;
	return 0;
}

/* Hex digits up to the end or `stop`: the value, *end after them. */
static int hex_field(const char *s, char stop, unsigned max, unsigned *v,
		     const char **end)
{
	unsigned n = 0, x = 0;
	for (; *s && *s != stop; s++, n++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (*s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (*s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return -1;
		if (n >= 2)
			return -1;
		x = x * 16 + d;
	}
	if (!n || x > max || (stop && *s != stop))
		return -1;
	*v = x;
	*end = stop ? s + 1 : s;
	return 0;
}

/* "B:D.F" up to the end or a '-': the bdf, *end after it. */
static int parse_bdf(const char *s, uint64_t *bdf, const char **end)
{
	unsigned b, d, f;
	if (hex_field(s, ':', 0xff, &b, &s) < 0 ||
	    hex_field(s, '.', 0x1f, &d, &s) < 0 || *s < '0' || *s > '7' ||
	    (s[1] && s[1] != '-'))
		return -1;
	f = (unsigned)(*s - '0');
	*bdf = (uint64_t)b << 8 | d << 3 | f;
	*end = s + 1;
	return 0;
}

int man_parse_pci(const char *s, struct man_range *r)
{
	if (!strcmp(s, "all")) {
		r->base = 0;
		r->size = 0x10000;
		return 0;
	}
	uint64_t lo, hi;
	const char *e;
	if (parse_bdf(s, &lo, &e) < 0)
		return -1;
	hi = lo;
	if (*e == '-' && (parse_bdf(e + 1, &hi, &e) < 0 || *e || hi < lo))
		return -1;
	if (*e)
		return -1;
	r->base = lo;
	r->size = hi - lo + 1;
	return 0;
}

/* "N/W": N failures in W. */
int man_parse_limit(const char *s, uint32_t *n, uint64_t *w)
{
	char a[24];
	const char *sl = strchr(s, '/');
	uint64_t v;
	if (!sl || (size_t)(sl - s) >= sizeof(a))
		return -1;
	memcpy(a, s, (size_t)(sl - s));
	a[sl - s] = 0;
	if (man_parse_u64(a, &v) < 0 || v == 0 || v > MAN_LIMIT_MAX ||
	    man_parse_time(sl + 1, w) < 0 || *w == 0)
		return -1;
	*n = (uint32_t)v;
	return 0;
}

/* Up to max times separated by '/'. */
int man_parse_times(const char *s, uint64_t *t, int max)
{
	char buf[64];
	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	int n = 0;
	for (char *p = buf; p; n++) {
		char *sl = strchr(p, '/');
		if (sl)
			*sl = 0;
		if (n >= max || man_parse_time(p, &t[n]) < 0)
			return -1;
		p = sl ? sl + 1 : NULL;
	}
	return n;
}

bool man_valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= MAN_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_'))
			return false;
	return true;
}

/* A name pattern: "/svc/x", a prefix ending in a star, or a star alone;
 * printable, no quotes. */
bool man_valid_pattern(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= MAN_PATLEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '"' || s[i] == '\\' ||
		    (s[i] == '*' && i != n - 1))
			return false;
	return s[0] == '/' || !strcmp(s, "*");
}

bool man_pattern_match(const char *pat, const char *name)
{
	size_t n = strlen(pat);
	if (n && pat[n - 1] == '*')
		return !strncmp(pat, name, n - 1);
	return !strcmp(pat, name);
}
