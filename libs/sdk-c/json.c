/* JSON reader (over jsmn) and writer: see json.h. */
#include "json.h"

#include <limits.h>
#include <string.h>

#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>

/* ---- parsing and validation ---- */

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* JSON's number grammar, exactly. */
static bool valid_number(const char *p, const char *e)
{
	if (p < e && *p == '-')
		p++;
	if (p >= e || !is_digit(*p))
		return false;
	if (*p == '0')
		p++;
	else
		while (p < e && is_digit(*p))
			p++;
	if (p < e && *p == '.') {
		p++;
		if (p >= e || !is_digit(*p))
			return false;
		while (p < e && is_digit(*p))
			p++;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		if (p >= e || !is_digit(*p))
			return false;
		while (p < e && is_digit(*p))
			p++;
	}
	return p == e;
}

static int classify_primitive(const char *p, size_t n)
{
	if (n == 4 && !memcmp(p, "true", 4))
		return JSON_BOOL;
	if (n == 5 && !memcmp(p, "false", 5))
		return JSON_BOOL;
	if (n == 4 && !memcmp(p, "null", 4))
		return JSON_NULL;
	if (valid_number(p, p + n))
		return JSON_NUMBER;
	return JSON_NONE;
}

int json_next(const struct json_doc *d, int tok)
{
	if (!d || tok < 0 || tok >= d->ntok)
		return JSON_ERR_ARG;
	int end = d->tok[tok].end, j = tok + 1;
	while (j < d->ntok && d->tok[j].start < end)
		j++;
	return j;
}

/* The text between two tokens holds white space and sep (if not 0)
 * exactly once. */
static bool gap_ok(const char *js, int from, int to, char sep)
{
	int seen = 0;
	for (int i = from; i < to; i++) {
		if (js[i] == sep && sep)
			seen++;
		else if (!is_ws(js[i]))
			return false;
	}
	return seen == (sep ? 1 : 0);
}

/* A token's extent in the text, quotes included. */
static int outer_start(const struct json_tok *t)
{
	return t->start - (t->type == JSON_STRING);
}

static int outer_end(const struct json_tok *t)
{
	return t->end + (t->type == JSON_STRING);
}

/* Keys are strings with exactly one child (the value); everything else
 * that is not a container has none; strings hold no control characters;
 * members and elements are separated by exactly one ',' and keys from
 * values by one ':' (jsmn lets "[1,]" through). */
static int validate(struct json_doc *d)
{
	for (int i = 0; i < d->ntok; i++) {
		struct json_tok *t = &d->tok[i];
		if (t->type == JSON_STRING) {
			for (int k = t->start; k < t->end; k++)
				if ((unsigned char)d->js[k] < 0x20)
					return JSON_ERR_SYNTAX;
		}
		if (t->type != JSON_OBJECT && t->type != JSON_ARRAY)
			continue;
		bool obj = t->type == JSON_OBJECT;
		int j = i + 1, prev_end = t->start + 1;
		for (int k = 0; k < t->size; k++) {
			if (j >= d->ntok)
				return JSON_ERR_SYNTAX;
			if (!gap_ok(d->js, prev_end, outer_start(&d->tok[j]),
				    k ? ',' : 0))
				return JSON_ERR_SYNTAX;
			if (obj) {
				if (j + 1 >= d->ntok ||
				    d->tok[j].type != JSON_STRING ||
				    d->tok[j].size != 1)
					return JSON_ERR_SYNTAX;
				d->tok[j].size = 0; /* a plain string now */
				if (!gap_ok(d->js, outer_end(&d->tok[j]),
					    outer_start(&d->tok[j + 1]), ':'))
					return JSON_ERR_SYNTAX;
				j++;
			}
			prev_end = outer_end(&d->tok[j]);
			j = json_next(d, j);
		}
		if (!gap_ok(d->js, prev_end, t->end - 1, 0))
			return JSON_ERR_SYNTAX;
	}
	for (int i = 0; i < d->ntok; i++) {
		const struct json_tok *t = &d->tok[i];
		if ((t->type == JSON_STRING || t->type == JSON_NUMBER ||
		     t->type == JSON_BOOL || t->type == JSON_NULL) &&
		    t->size != 0)
			return JSON_ERR_SYNTAX;
	}
	return JSON_OK;
}

/* jsmn's strict mode wants a delimiter after a primitive, so a document
 * that is one bare number, boolean or null (valid JSON, and what the writer
 * makes of such a value) looks cut off to it. Accept exactly that here;
 * anything else stays truncated. */
static int lone_primitive(struct json_doc *d, const char *js, size_t len)
{
	size_t s = 0, e = len;
	while (s < e && is_ws(js[s]))
		s++;
	while (e > s && is_ws(js[e - 1]))
		e--;
	for (size_t i = s; i < e; i++)
		if (is_ws(js[i]) || memchr("{}[]\",:", js[i], 7))
			return JSON_ERR_TRUNC;
	int type = s < e ? classify_primitive(js + s, e - s) : JSON_NONE;
	if (type == JSON_NONE)
		return JSON_ERR_TRUNC;
	d->tok[0] = (struct json_tok){type, (int)s, (int)e, 0};
	d->ntok = 1;
	return JSON_OK;
}

int json_parse(struct json_doc *d, const char *js, size_t len)
{
	if (!d || (!js && len))
		return JSON_ERR_ARG;
	d->js = js;
	d->len = len;
	d->ntok = 0;
	if (len > INT_MAX / 2)
		return JSON_ERR_RANGE;
	if (memchr(js, 0, len))
		return JSON_ERR_SYNTAX;
	_Static_assert(sizeof(struct json_tok) == sizeof(jsmntok_t),
		       "json_tok mirrors jsmntok_t");
	jsmn_parser p;
	jsmn_init(&p);
	jsmntok_t *t = (jsmntok_t *)d->tok;
	int r = jsmn_parse(&p, js, len, t, JSON_MAX_TOKENS);
	if (r == JSMN_ERROR_NOMEM)
		return JSON_ERR_TOKENS;
	if (r == JSMN_ERROR_PART)
		return lone_primitive(d, js, len);
	if (r < 0)
		return JSON_ERR_SYNTAX;
	if (r == 0)
		return len && !is_ws(js[len - 1]) ? JSON_ERR_SYNTAX
						  : JSON_ERR_TRUNC;
	/* jsmn's "start" of an unclosed container stays open (end -1). */
	for (int i = 0; i < r; i++)
		if (t[i].end < 0 || t[i].start < 0)
			return JSON_ERR_TRUNC;
	d->ntok = r;
	for (int i = 0; i < r; i++) {
		struct json_tok *k = &d->tok[i];
		switch (t[i].type) {
		case JSMN_OBJECT:
			k->type = JSON_OBJECT;
			break;
		case JSMN_ARRAY:
			k->type = JSON_ARRAY;
			break;
		case JSMN_STRING:
			k->type = JSON_STRING;
			break;
		case JSMN_PRIMITIVE:
			k->type = classify_primitive(
				js + k->start, (size_t)(k->end - k->start));
			if (k->type == JSON_NONE)
				goto bad;
			break;
		default:
			goto bad;
		}
	}
	/* Exactly one value: token 0 covers everything but white space. */
	if (json_next(d, 0) != r)
		goto bad;
	for (size_t i = 0; i < len; i++) {
		if (is_ws(js[i]))
			continue;
		int s = d->tok[0].start - (d->tok[0].type == JSON_STRING);
		int e = d->tok[0].end + (d->tok[0].type == JSON_STRING);
		if ((int)i < s || (int)i >= e)
			goto bad;
	}
	if (validate(d) < 0)
		goto bad;
	return JSON_OK;
bad:
	d->ntok = 0;
	return JSON_ERR_SYNTAX;
}

/* ---- access ---- */

static bool tok_ok(const struct json_doc *d, int tok)
{
	return d && tok >= 0 && tok < d->ntok;
}

int json_type_of(const struct json_doc *d, int tok)
{
	return tok_ok(d, tok) ? d->tok[tok].type : JSON_NONE;
}

int json_index(const struct json_doc *d, int tok, int i)
{
	if (!tok_ok(d, tok))
		return JSON_ERR_ARG;
	if (d->tok[tok].type != JSON_ARRAY)
		return JSON_ERR_TYPE;
	if (i < 0 || i >= d->tok[tok].size)
		return JSON_ERR_NOTFOUND;
	int j = tok + 1;
	while (i-- > 0)
		j = json_next(d, j);
	return j;
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

static int hex4(const char *p, const char *e, uint32_t *out)
{
	if (e - p < 4)
		return JSON_ERR_SYNTAX;
	uint32_t v = 0;
	for (int i = 0; i < 4; i++) {
		int h = hexval(p[i]);
		if (h < 0)
			return JSON_ERR_SYNTAX;
		v = v << 4 | (uint32_t)h;
	}
	*out = v;
	return 0;
}

/* Unescapes [p, e) into out (cap bytes, NUL-terminated; out may be NULL
 * with cap 0 to measure). Its length or JSON_ERR_*. */
static int unescape(const char *p, const char *e, char *out, size_t cap)
{
	size_t n = 0;
	char u[4];
	while (p < e) {
		size_t k = 1;
		if (*p != '\\') {
			u[0] = *p++;
		} else {
			if (++p >= e)
				return JSON_ERR_SYNTAX;
			char c = *p++;
			switch (c) {
			case '"':
			case '\\':
			case '/':
				u[0] = c;
				break;
			case 'b':
				u[0] = '\b';
				break;
			case 'f':
				u[0] = '\f';
				break;
			case 'n':
				u[0] = '\n';
				break;
			case 'r':
				u[0] = '\r';
				break;
			case 't':
				u[0] = '\t';
				break;
			case 'u': {
				uint32_t cp, lo;
				if (hex4(p, e, &cp) < 0)
					return JSON_ERR_SYNTAX;
				p += 4;
				if (cp >= 0xdc00 && cp <= 0xdfff)
					return JSON_ERR_SYNTAX;
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (e - p < 6 || p[0] != '\\' ||
					    p[1] != 'u' ||
					    hex4(p + 2, e, &lo) < 0 ||
					    lo < 0xdc00 || lo > 0xdfff)
						return JSON_ERR_SYNTAX;
					p += 6;
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					     (lo - 0xdc00);
				}
				if (cp == 0)
					return JSON_ERR_SYNTAX; /* no NULs */
				if (cp < 0x80) {
					u[0] = (char)cp;
				} else if (cp < 0x800) {
					u[0] = (char)(0xc0 | cp >> 6);
					u[1] = (char)(0x80 | (cp & 0x3f));
					k = 2;
				} else if (cp < 0x10000) {
					u[0] = (char)(0xe0 | cp >> 12);
					u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
					u[2] = (char)(0x80 | (cp & 0x3f));
					k = 3;
				} else {
					u[0] = (char)(0xf0 | cp >> 18);
					u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
					u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
					u[3] = (char)(0x80 | (cp & 0x3f));
					k = 4;
				}
				break;
			}
			default:
				return JSON_ERR_SYNTAX;
			}
		}
		if (out) {
			if (n + k >= cap)
				return JSON_ERR_SPACE;
			memcpy(out + n, u, k);
		}
		n += k;
	}
	if (out) {
		if (n >= cap)
			return JSON_ERR_SPACE;
		out[n] = 0;
	}
	return (int)n;
}

int json_str(const struct json_doc *d, int tok, char *out, size_t cap)
{
	if (!tok_ok(d, tok) || !out || !cap)
		return JSON_ERR_ARG;
	out[0] = 0;
	const struct json_tok *t = &d->tok[tok];
	if (t->type != JSON_STRING)
		return JSON_ERR_TYPE;
	int r = unescape(d->js + t->start, d->js + t->end, out, cap);
	if (r < 0)
		out[0] = 0;
	return r;
}

/* Whether string token tok is s[0, n) after unescaping. Unescaped text is
 * compared in place, at any length; escaped text through a buffer, so up
 * to 255 bytes. */
static bool str_eq_n(const struct json_doc *d, int tok, const char *s, size_t n)
{
	if (!tok_ok(d, tok) || !s || d->tok[tok].type != JSON_STRING)
		return false;
	const struct json_tok *t = &d->tok[tok];
	size_t raw = (size_t)(t->end - t->start);
	if (!memchr(d->js + t->start, '\\', raw))
		return raw == n && !memcmp(d->js + t->start, s, n);
	char buf[256];
	int r = unescape(d->js + t->start, d->js + t->end, buf, sizeof(buf));
	return r >= 0 && (size_t)r == n && !memcmp(buf, s, n);
}

bool json_str_eq(const struct json_doc *d, int tok, const char *s)
{
	return s && str_eq_n(d, tok, s, strlen(s));
}

int json_find(const struct json_doc *d, int tok, const char *path)
{
	if (!tok_ok(d, tok) || !path)
		return JSON_ERR_ARG;
	const char *p = path;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		const struct json_tok *t = &d->tok[tok];
		if (t->type == JSON_OBJECT) {
			int j = tok + 1, found = -1;
			for (int k = 0; k < t->size; k++) {
				if (str_eq_n(d, j, p, n)) {
					found = j + 1;
					break;
				}
				j = json_next(d, j + 1);
			}
			if (found < 0)
				return JSON_ERR_NOTFOUND;
			tok = found;
		} else if (t->type == JSON_ARRAY) {
			if (n == 0 || n > 6)
				return JSON_ERR_NOTFOUND;
			int i = 0;
			for (size_t k = 0; k < n; k++) {
				if (!is_digit(p[k]))
					return JSON_ERR_NOTFOUND;
				i = i * 10 + (p[k] - '0');
			}
			tok = json_index(d, tok, i);
			if (tok < 0)
				return tok;
		} else {
			return JSON_ERR_NOTFOUND;
		}
		p += n;
		if (*p == '.')
			p++;
	}
	return tok;
}

int json_uint(const struct json_doc *d, int tok, uint64_t *out)
{
	if (!tok_ok(d, tok) || !out)
		return JSON_ERR_ARG;
	const struct json_tok *t = &d->tok[tok];
	if (t->type != JSON_NUMBER)
		return JSON_ERR_TYPE;
	const char *p = d->js + t->start, *e = d->js + t->end;
	if (*p == '-')
		return e - p == 2 && p[1] == '0' ? (*out = 0, 0)
						 : JSON_ERR_RANGE;
	uint64_t v = 0;
	for (; p < e; p++) {
		if (!is_digit(*p))
			return JSON_ERR_TYPE; /* fraction or exponent */
		unsigned dg = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - dg) / 10)
			return JSON_ERR_RANGE;
		v = v * 10 + dg;
	}
	*out = v;
	return 0;
}

int json_int(const struct json_doc *d, int tok, int64_t *out)
{
	if (!tok_ok(d, tok) || !out)
		return JSON_ERR_ARG;
	const struct json_tok *t = &d->tok[tok];
	if (t->type != JSON_NUMBER)
		return JSON_ERR_TYPE;
	bool neg = d->js[t->start] == '-';
	uint64_t v = 0;
	const char *p = d->js + t->start + neg, *e = d->js + t->end;
	for (; p < e; p++) {
		if (!is_digit(*p))
			return JSON_ERR_TYPE;
		unsigned dg = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - dg) / 10)
			return JSON_ERR_RANGE;
		v = v * 10 + dg;
	}
	if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
		return JSON_ERR_RANGE;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

int json_bool(const struct json_doc *d, int tok, bool *out)
{
	if (!tok_ok(d, tok) || !out)
		return JSON_ERR_ARG;
	if (d->tok[tok].type != JSON_BOOL)
		return JSON_ERR_TYPE;
	*out = d->js[d->tok[tok].start] == 't';
	return 0;
}

int json_get_str(const struct json_doc *d, const char *path, char *out,
		 size_t cap)
{
	int t = json_find(d, 0, path);
	if (t < 0) {
		if (out && cap)
			out[0] = 0;
		return t;
	}
	return json_str(d, t, out, cap);
}

int json_get_int(const struct json_doc *d, const char *path, int64_t *out)
{
	int t = json_find(d, 0, path);
	return t < 0 ? t : json_int(d, t, out);
}

int json_get_uint(const struct json_doc *d, const char *path, uint64_t *out)
{
	int t = json_find(d, 0, path);
	return t < 0 ? t : json_uint(d, t, out);
}

int json_get_bool(const struct json_doc *d, const char *path, bool *out)
{
	int t = json_find(d, 0, path);
	return t < 0 ? t : json_bool(d, t, out);
}
