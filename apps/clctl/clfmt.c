/* clctl's requests and answer tables (clfmt.h). No system calls. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "clfmt.h"

#define DEPTH_MAX 6 /* nesting shown by clctl_fmt_generic */

void clo_init(struct clout *o, char *buf, size_t cap)
{
	*o = (struct clout){.buf = buf, .cap = cap};
	if (cap)
		buf[0] = '\0';
}

__attribute__((format(printf, 2, 3))) static void put(struct clout *o,
						      const char *fmt, ...)
{
	va_list ap;
	size_t room = o->cap > o->len ? o->cap - o->len : 0;
	va_start(ap, fmt);
	int n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < room) {
		o->len += (size_t)n;
	} else {
		o->lost += (size_t)n - (room ? room - 1 : 0);
		o->len = room ? o->cap - 1 : o->len;
	}
}

static int usage(char *err, size_t cap, const char *why)
{
	snprintf(err, cap,
		 "clctl: %s\nusage: clctl status | start SVC | stop SVC | "
		 "restart SVC | logs SVC [BYTES] | doctor",
		 why);
	return -1;
}

static int svc_ok(const char *s)
{
	if (!*s || strlen(s) > 58)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == '"' || *s == '\\' ||
		    (unsigned char)*s == 0x7f)
			return 0;
	return 1;
}

int clctl_request(int argc, char **argv, char *req, size_t cap, char *err,
		  size_t errcap)
{
	static const char *const with_svc[] = {"start", "stop", "restart",
					       "logs"};
	if (argc < 2)
		return usage(err, errcap, "no command");
	const char *cmd = argv[1];
	int svc = 0;
	for (unsigned i = 0; i < sizeof(with_svc) / sizeof(with_svc[0]); i++)
		svc |= !strcmp(cmd, with_svc[i]);
	if (!svc && strcmp(cmd, "status") && strcmp(cmd, "doctor"))
		return usage(err, errcap, "unknown command");
	int max = !strcmp(cmd, "logs") ? 4 : svc ? 3 : 2;
	if (argc < (svc ? 3 : 2) || argc > max)
		return usage(err, errcap,
			     argc > max ? "too many arguments"
					: "which service?");
	if (svc && !svc_ok(argv[2]))
		return usage(err, errcap, "bad service name");
	struct json_w w;
	json_w_init(&w, req, cap);
	json_w_obj(&w);
	json_w_key(&w, "cmd");
	json_w_str(&w, cmd);
	if (svc) {
		json_w_key(&w, "name");
		json_w_str(&w, argv[2]);
	}
	if (argc == 4) {
		uint64_t v = 0;
		const char *p = argv[3];
		for (; *p >= '0' && *p <= '9' && v < 100000000; p++)
			v = v * 10 + (uint64_t)(*p - '0');
		if (*p || !*argv[3])
			return usage(err, errcap, "bad byte count");
		json_w_key(&w, "bytes");
		json_w_uint(&w, v);
	}
	json_w_end(&w);
	int n = json_w_finish(&w);
	return n < 0 ? usage(err, errcap, "request too long") : n;
}

/* A scalar as text: strings unescaped (control bytes as '?'), others as
 * written; containers compact and cut at 60 bytes. */
static void put_value(struct clout *o, const struct json_doc *d, int tok)
{
	const struct json_tok *t = &d->tok[tok];
	if (t->type == JSON_STRING) {
		char s[512];
		if (json_str(d, tok, s, sizeof(s)) < 0) {
			put(o, "%.*s...", 200, d->js + t->start);
			return;
		}
		for (char *p = s; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		put(o, "%s", s);
		return;
	}
	int n = t->end - t->start;
	const char *start = d->js + t->start;
	if (t->type == JSON_OBJECT || t->type == JSON_ARRAY) {
		n = n > 60 ? 60 : n;
		put(o, "%.*s%s", n, start, t->end - t->start > 60 ? "..." : "");
		return;
	}
	put(o, "%.*s", n, start);
}

/* The value at path below tok, or "-" when absent or null. */
static void put_field(struct clout *o, const struct json_doc *d, int tok,
		      const char *path, int width)
{
	char cell[64];
	struct clout c;
	clo_init(&c, cell, sizeof(cell));
	int v = json_find(d, tok, path);
	if (v < 0 || d->tok[v].type == JSON_NULL)
		put(&c, "-");
	else
		put_value(&c, d, v);
	put(o, "%-*s", width, cell);
}

static void put_since(struct clout *o, const struct json_doc *d, int tok)
{
	uint64_t us;
	int v = json_find(d, tok, "since_usec");
	if (v >= 0 && json_uint(d, v, &us) == 0)
		put(o, "%llu.%03llu s", (unsigned long long)(us / 1000000),
		    (unsigned long long)(us / 1000 % 1000));
	else
		put(o, "-");
}

int clctl_fmt_status_page(struct clout *o, const struct json_doc *d, int result,
			  bool header)
{
	int arr = result;
	if (d->tok[result].type == JSON_OBJECT)
		arr = json_find(d, result, "services");
	if (arr < 0 || d->tok[arr].type != JSON_ARRAY) {
		clctl_fmt_generic(o, d, result);
		return -1;
	}
	if (header)
		put(o, "%-16s %-9s %7s %4s %8s %-10s %s\n", "NAME", "STATE",
		    "TASK", "GEN", "RESTARTS", "LAST EXIT", "SINCE");
	int n = d->tok[arr].size;
	for (int i = 0; i < n; i++) {
		int el = json_index(d, arr, i);
		if (el < 0)
			break;
		if (d->tok[el].type != JSON_OBJECT) {
			put_value(o, d, el);
			put(o, "\n");
			continue;
		}
		put_field(o, d, el, "name", 16);
		put(o, " ");
		put_field(o, d, el, "state", 9);
		put(o, " ");
		char cell[32];
		struct clout c;
		static const char *const nums[] = {"task", "generation",
						   "restarts"};
		static const int widths[] = {7, 4, 8};
		for (int k = 0; k < 3; k++) {
			clo_init(&c, cell, sizeof(cell));
			put_field(&c, d, el, nums[k], 0);
			put(o, "%*s ", widths[k], cell);
		}
		put_field(o, d, el, "last_exit", 10);
		put(o, " ");
		put_since(o, d, el);
		put(o, "\n");
	}
	return n;
}

void clctl_fmt_status(struct clout *o, const struct json_doc *d, int result)
{
	int n = clctl_fmt_status_page(o, d, result, true);
	if (n >= 0)
		put(o, "%d service%s\n", n, n == 1 ? "" : "s");
}

void clctl_fmt_logs(struct clout *o, const struct json_doc *d, int result)
{
	int t = json_find(d, result, "text");
	if (t < 0 || d->tok[t].type != JSON_STRING) {
		clctl_fmt_generic(o, d, result);
		return;
	}
	/* Log text is printed as the service wrote it, so no unescaping
	 * into a small cell: straight into the output. */
	size_t room = o->cap > o->len ? o->cap - o->len : 0;
	int n = json_str(d, t, o->buf + o->len, room);
	if (n == 0) {
		put(o, "(nothing logged)\n");
	} else if (n > 0) {
		o->len += (size_t)n;
		if (n > 0 && o->buf[o->len - 1] != '\n')
			put(o, "\n");
	} else {
		put(o, "(log text too long to show)\n");
	}
	uint64_t dropped = 0;
	int dt = json_find(d, result, "dropped");
	if (dt >= 0 && json_uint(d, dt, &dropped) == 0 && dropped)
		put(o, "(%llu dropped before this)\n",
		    (unsigned long long)dropped);
}

static void generic(struct clout *o, const struct json_doc *d, int tok,
		    int indent, int depth)
{
	const struct json_tok *t = &d->tok[tok];
	if (depth >= DEPTH_MAX) {
		put(o, "%*s", indent, "");
		put_value(o, d, tok);
		put(o, "\n");
		return;
	}
	if (t->type == JSON_OBJECT) {
		if (!t->size)
			put(o, "%*s(empty)\n", indent, "");
		int k = tok + 1;
		for (int i = 0; i < t->size && k > 0 && k < d->ntok; i++) {
			int v = k + 1;
			put(o, "%*s", indent, "");
			put_value(o, d, k);
			int vt = d->tok[v].type;
			if (vt == JSON_OBJECT || vt == JSON_ARRAY) {
				put(o, ":\n");
				generic(o, d, v, indent + 2, depth + 1);
			} else {
				put(o, ": ");
				put_value(o, d, v);
				put(o, "\n");
			}
			k = json_next(d, v);
		}
	} else if (t->type == JSON_ARRAY) {
		if (!t->size)
			put(o, "%*s(none)\n", indent, "");
		for (int i = 0; i < t->size; i++) {
			int el = json_index(d, tok, i);
			if (el < 0)
				break;
			int et = d->tok[el].type;
			if (et == JSON_OBJECT || et == JSON_ARRAY) {
				put(o, "%*s-\n", indent, "");
				generic(o, d, el, indent + 2, depth + 1);
			} else {
				put(o, "%*s- ", indent, "");
				put_value(o, d, el);
				put(o, "\n");
			}
		}
	} else {
		put(o, "%*s", indent, "");
		put_value(o, d, tok);
		put(o, "\n");
	}
}

void clctl_fmt_generic(struct clout *o, const struct json_doc *d, int tok)
{
	if (tok < 0 || tok >= d->ntok)
		return;
	generic(o, d, tok, 0, 0);
}
