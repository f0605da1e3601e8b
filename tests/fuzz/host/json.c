/* The sdk-c JSON reader and writer (libs/sdk-c/json.c, json_write.c). The
 * input is the document. Every token of an accepted document is converted
 * (strings into exact and too-small buffers, numbers, booleans) and looked
 * up by path; then the document is written back with the writer, parsed
 * again, and must come out the same value: same tree, same strings, same
 * integers. Documents with fractions or values the writer cannot express
 * (numbers beyond 64 bits, nesting deeper than JSON_W_DEPTH - 1) skip the
 * round trip. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define STR_MAX 4096

static struct json_doc doc, doc2;
static char out[1 << 16];
static char path[512];

static void fail(const char *what, int tok)
{
	fprintf(stderr, "json fuzz: %s (token %d)\n", what, tok);
	abort();
}

static bool known(int err)
{
	return err <= JSON_OK && err >= JSON_ERR_ARG;
}

/* Conversions of every token: never more than asked, always terminated. */
static void convert_all(const struct json_doc *d)
{
	static char s[STR_MAX];
	for (int t = 0; t < d->ntok; t++) {
		int type = json_type_of(d, t);
		if (type < JSON_OBJECT || type > JSON_NULL)
			fail("bad type", t);
		int n = json_str(d, t, s, sizeof(s));
		if (type != JSON_STRING && n != JSON_ERR_TYPE)
			fail("json_str of a non-string", t);
		if (n >= 0) {
			if ((size_t)n >= sizeof(s) || s[n] != 0)
				fail("json_str length", t);
			if (!json_str_eq(d, t, s) && n < 256 &&
			    strlen(s) == (size_t)n)
				fail("json_str_eq disagrees with json_str", t);
			for (size_t cap = 1; cap <= 3; cap++) {
				char small[3];
				int r = json_str(d, t, small, cap);
				if ((size_t)n < cap ? r != n
						    : r != JSON_ERR_SPACE)
					fail("json_str into a small buffer", t);
				if (memchr(small, 0, cap) == NULL)
					fail("small buffer not terminated", t);
			}
		} else if (!known(n)) {
			fail("json_str error", t);
		}
		int64_t i;
		uint64_t u;
		bool b;
		int ri = json_int(d, t, &i), ru = json_uint(d, t, &u);
		if (!known(ri) || !known(ru) || !known(json_bool(d, t, &b)))
			fail("conversion error code", t);
		if (!ri && !ru && (i < 0 || (uint64_t)i != u))
			fail("json_int and json_uint disagree", t);
		if ((ri == 0 || ru == 0) && type != JSON_NUMBER)
			fail("integer from a non-number", t);
		int nx = json_next(d, t);
		if (nx <= t || nx > d->ntok)
			fail("json_next", t);
		int e = json_index(d, t, 0);
		if (e >= 0 && (type != JSON_ARRAY || e != t + 1))
			fail("json_index 0", t);
	}
}

/* Writes token t (and its children) with the writer. False when the
 * value cannot be written back exactly. */
static bool emit(const struct json_doc *d, int t, struct json_w *w, int level)
{
	static char s[STR_MAX];
	const struct json_tok *k = &d->tok[t];
	int64_t i;
	uint64_t u;
	bool b;
	int n;
	switch (k->type) {
	case JSON_OBJECT:
	case JSON_ARRAY: {
		bool obj = k->type == JSON_OBJECT;
		if (level + 1 >= JSON_W_DEPTH)
			return false; /* deeper than the writer nests */
		if (obj)
			json_w_obj(w);
		else
			json_w_arr(w);
		int c = t + 1;
		for (int m = 0; m < k->size; m++) {
			if (obj) {
				n = json_str(d, c, s, sizeof(s));
				if (n < 0 || strlen(s) != (size_t)n)
					return false;
				json_w_key(w, s);
				c++;
			}
			if (!emit(d, c, w, level + 1))
				return false;
			c = json_next(d, c);
		}
		json_w_end(w);
		return true;
	}
	case JSON_STRING:
		n = json_str(d, t, s, sizeof(s));
		if (n < 0)
			return false;
		json_w_strn(w, s, (size_t)n);
		return true;
	case JSON_NUMBER:
		if (!json_int(d, t, &i))
			json_w_int(w, i);
		else if (!json_uint(d, t, &u))
			json_w_uint(w, u);
		else
			return false;
		return true;
	case JSON_BOOL:
		if (json_bool(d, t, &b))
			fail("json_bool of a boolean", t);
		json_w_bool(w, b);
		return true;
	case JSON_NULL:
		json_w_null(w);
		return true;
	}
	fail("unknown token type", t);
	return false;
}

/* Token a of d and token b of e hold the same value. */
static void same(const struct json_doc *d, int a, const struct json_doc *e,
		 int b)
{
	static char s1[STR_MAX], s2[STR_MAX];
	const struct json_tok *x = &d->tok[a], *y = &e->tok[b];
	if (x->type != y->type || x->size != y->size)
		fail("round trip changed the tree", a);
	int64_t i1, i2;
	uint64_t u1, u2;
	bool b1, b2;
	switch (x->type) {
	case JSON_STRING: {
		int n1 = json_str(d, a, s1, sizeof(s1));
		int n2 = json_str(e, b, s2, sizeof(s2));
		if (n1 != n2 || n1 < 0 || memcmp(s1, s2, (size_t)n1))
			fail("round trip changed a string", a);
		break;
	}
	case JSON_NUMBER:
		if (json_int(d, a, &i1) != json_int(e, b, &i2) ||
		    json_uint(d, a, &u1) != json_uint(e, b, &u2))
			fail("round trip changed a number's range", a);
		if ((!json_int(d, a, &i1) && i1 != i2) ||
		    (!json_uint(d, a, &u1) && u1 != u2))
			fail("round trip changed a number", a);
		break;
	case JSON_BOOL:
		json_bool(d, a, &b1);
		json_bool(e, b, &b2);
		if (b1 != b2)
			fail("round trip changed a boolean", a);
		break;
	}
	int ca = a + 1, cb = b + 1;
	int kids = x->type == JSON_OBJECT  ? 2 * x->size
		   : x->type == JSON_ARRAY ? x->size
					   : 0;
	for (int m = 0; m < kids; m++) {
		same(d, ca, e, cb);
		/* a key's "next" is its value */
		ca = json_next(d, ca);
		cb = json_next(e, cb);
	}
}

/* Paths to the members of the top-level value, found again by json_find
 * and the json_get_* helpers. */
static void paths(const struct json_doc *d)
{
	static char s[256];
	const struct json_tok *top = &d->tok[0];
	int c = 1;
	for (int m = 0; m < top->size && m < 32; m++) {
		int val = c;
		if (top->type == JSON_OBJECT) {
			int n = json_str(d, c, s, sizeof(s));
			val = c + 1;
			if (n > 0 && (size_t)n == strlen(s) &&
			    !strchr(s, '.')) {
				int f = json_find(d, 0, s);
				/* the first member of that name */
				if (f < 0 || f > val)
					fail("json_find of a key", c);
			}
		} else {
			snprintf(path, sizeof(path), "%d", m);
			if (json_find(d, 0, path) != val)
				fail("json_find of an index", val);
			if (json_index(d, 0, m) != val)
				fail("json_index", val);
		}
		int64_t i;
		uint64_t u;
		bool b;
		snprintf(path, sizeof(path), "%d.0.x", m);
		if (!known(json_get_int(d, path, &i)) ||
		    !known(json_get_uint(d, path, &u)) ||
		    !known(json_get_bool(d, path, &b)) ||
		    !known(json_get_str(d, path, s, sizeof(s))))
			fail("json_get_* error code", val);
		c = json_next(d, val);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int r = json_parse(&doc, (const char *)data, size);
	if (!known(r) || !json_strerror(r))
		fail("json_parse error code", r);
	if (r)
		return 0;
	if (doc.ntok < 1 || doc.ntok > JSON_MAX_TOKENS)
		fail("token count", doc.ntok);
	for (int t = 0; t < doc.ntok; t++)
		if (doc.tok[t].start < 0 || doc.tok[t].end > (int)size ||
		    doc.tok[t].start > doc.tok[t].end)
			fail("token outside the text", t);
	convert_all(&doc);
	paths(&doc);

	struct json_w w;
	json_w_init(&w, out, sizeof(out));
	if (!emit(&doc, 0, &w, 0))
		return 0;
	int n = json_w_finish(&w);
	if (n < 0)
		fail("the writer refused a value it was given", n);
	if ((size_t)n >= sizeof(out) || out[n] != 0)
		fail("writer length", n);
	r = json_parse(&doc2, out, (size_t)n);
	if (r) {
		fprintf(stderr, "json fuzz: written back: %s\n", out);
		fail("the writer's output does not parse", r);
	}
	same(&doc, 0, &doc2, 0);
	return 0;
}
