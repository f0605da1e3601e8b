/* The JSON writer of json.h: escaping, commas, bounds. */
#include "json.h"

#include <string.h>

void json_w_init(struct json_w *w, char *buf, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->cap = cap;
	w->first[0] = true;
	if (!buf || !cap)
		w->err = JSON_ERR_ARG;
	else
		buf[0] = 0;
}

static void put(struct json_w *w, const char *s, size_t n)
{
	if (w->err)
		return;
	if (n >= w->cap - w->len) {
		w->err = JSON_ERR_SPACE;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = 0;
}

/* Before a value: a comma between array elements / members; a value at
 * top level only once; in an object only after a key. */
static void before_value(struct json_w *w)
{
	if (w->err)
		return;
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->depth > 0 && w->is_obj[w->depth]) {
		w->err = JSON_ERR_SYNTAX; /* a value without a key */
		return;
	}
	if (w->depth == 0 && !w->first[0]) {
		w->err = JSON_ERR_SYNTAX; /* a second top-level value */
		return;
	}
	if (!w->first[w->depth])
		put(w, ",", 1);
	w->first[w->depth] = false;
}

static void w_open(struct json_w *w, bool obj)
{
	before_value(w);
	if (w->err)
		return;
	if (w->depth + 1 >= JSON_W_DEPTH) {
		w->err = JSON_ERR_RANGE;
		return;
	}
	put(w, obj ? "{" : "[", 1);
	w->depth++;
	w->first[w->depth] = true;
	w->is_obj[w->depth] = obj;
}

void json_w_obj(struct json_w *w)
{
	w_open(w, true);
}

void json_w_arr(struct json_w *w)
{
	w_open(w, false);
}

void json_w_end(struct json_w *w)
{
	if (w->err)
		return;
	if (w->depth == 0 || w->after_key) {
		w->err = JSON_ERR_SYNTAX;
		return;
	}
	put(w, w->is_obj[w->depth] ? "}" : "]", 1);
	w->depth--;
}

static void put_escaped(struct json_w *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	put(w, "\"", 1);
	size_t run = 0; /* bytes copied as they are, flushed in one go */
	for (size_t i = 0; i < n && !w->err; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char u[7];
		switch (c) {
		case '"':
			esc = "\\\"";
			break;
		case '\\':
			esc = "\\\\";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\t':
			esc = "\\t";
			break;
		case '\b':
			esc = "\\b";
			break;
		case '\f':
			esc = "\\f";
			break;
		default:
			if (c < 0x20) {
				u[0] = '\\';
				u[1] = 'u';
				u[2] = '0';
				u[3] = '0';
				u[4] = hex[c >> 4];
				u[5] = hex[c & 15];
				u[6] = 0;
				esc = u;
			}
		}
		if (!esc) {
			run++;
			continue;
		}
		put(w, s + i - run, run);
		run = 0;
		put(w, esc, strlen(esc));
	}
	put(w, s + n - run, run);
	put(w, "\"", 1);
}

void json_w_key(struct json_w *w, const char *key)
{
	if (w->err)
		return;
	if (!key || w->depth == 0 || !w->is_obj[w->depth] || w->after_key) {
		w->err = JSON_ERR_SYNTAX;
		return;
	}
	if (!w->first[w->depth])
		put(w, ",", 1);
	w->first[w->depth] = false;
	put_escaped(w, key, strlen(key));
	put(w, ":", 1);
	w->after_key = true;
}

void json_w_strn(struct json_w *w, const char *s, size_t n)
{
	if (!s && !w->err)
		w->err = JSON_ERR_ARG;
	before_value(w);
	put_escaped(w, s, n);
}

void json_w_str(struct json_w *w, const char *s)
{
	json_w_strn(w, s, s ? strlen(s) : 0);
}

void json_w_uint(struct json_w *w, uint64_t v)
{
	char b[24];
	int i = (int)sizeof(b);
	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	before_value(w);
	put(w, b + i, sizeof(b) - (size_t)i);
}

void json_w_int(struct json_w *w, int64_t v)
{
	if (v >= 0) {
		json_w_uint(w, (uint64_t)v);
		return;
	}
	before_value(w);
	put(w, "-", 1);
	w->after_key = true; /* the digits follow without a comma */
	json_w_uint(w, 0 - (uint64_t)v);
}

void json_w_bool(struct json_w *w, bool v)
{
	before_value(w);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void json_w_null(struct json_w *w)
{
	before_value(w);
	put(w, "null", 4);
}

int json_w_finish(struct json_w *w)
{
	if (w->err)
		return w->err;
	if (w->depth != 0 || w->after_key || w->first[0])
		return JSON_ERR_SYNTAX;
	return (int)w->len;
}

const char *json_strerror(int err)
{
	switch (err) {
	case JSON_OK:
		return "ok";
	case JSON_ERR_SYNTAX:
		return "syntax error";
	case JSON_ERR_TOKENS:
		return "too many tokens";
	case JSON_ERR_TRUNC:
		return "truncated";
	case JSON_ERR_TYPE:
		return "wrong type";
	case JSON_ERR_RANGE:
		return "out of range";
	case JSON_ERR_NOTFOUND:
		return "not found";
	case JSON_ERR_SPACE:
		return "buffer too small";
	case JSON_ERR_ARG:
		return "bad argument";
	default:
		return "?";
	}
}

int json_w_error(char *buf, size_t cap, const char *code, const char *message)
{
	struct json_w w;
	json_w_init(&w, buf, cap);
	json_w_obj(&w);
	json_w_key(&w, "ok");
	json_w_bool(&w, false);
	json_w_key(&w, "error");
	json_w_obj(&w);
	json_w_key(&w, "code");
	json_w_str(&w, code ? code : "INTERNAL");
	json_w_key(&w, "message");
	json_w_str(&w, message ? message : "");
	json_w_end(&w);
	json_w_end(&w);
	return json_w_finish(&w);
}
