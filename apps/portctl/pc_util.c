/* pc_util: see pc_util.h. */
#include "pc_util.h"

#include <stdio.h>
#include <string.h>

#include "json.h"

int pc_svc_name(const char *arg, char *out, size_t cap)
{
	if (!arg || !*arg || strpbrk(arg, " \"\\*"))
		return -1;
	int n;
	if (arg[0] == '/') {
		if (strncmp(arg, "/svc/", 5) || !arg[5])
			return -1;
		n = snprintf(out, cap, "%s", arg);
	} else {
		n = snprintf(out, cap, "/svc/%s", arg);
	}
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int pc_parse_args(int argc, char **argv, struct pc_args *a, char *err,
		  size_t errcap)
{
	memset(a, 0, sizeof(*a));
	a->timeout_ms = 5000;
	size_t n = 0;
	bool have_svc = false;
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		if (!strcmp(s, "--stream")) {
			a->stream = true;
		} else if (!strcmp(s, "--compact")) {
			a->compact = true;
		} else if (!strcmp(s, "--reconnect")) {
			a->reconnect = true;
		} else if (!strcmp(s, "--until-ok")) {
			a->until_ok = true;
		} else if (!strcmp(s, "--timeout")) {
			uint64_t v = 0;
			const char *p = i + 1 < argc ? argv[++i] : "";
			for (; *p >= '0' && *p <= '9' && v < 3600000; p++)
				v = v * 10 + (uint64_t)(*p - '0');
			if (*p || !v || v > 3600000) {
				snprintf(err, errcap,
					 "--timeout: milliseconds, 1..3600000");
				return -1;
			}
			a->timeout_ms = v;
		} else if (!have_svc) {
			if (pc_svc_name(s, a->svc, sizeof(a->svc)) < 0) {
				snprintf(err, errcap, "bad service name '%s'",
					 s);
				return -1;
			}
			have_svc = true;
		} else {
			size_t l = strlen(s);
			if (n + l + 2 > sizeof(a->json)) {
				snprintf(err, errcap, "request too long");
				return -1;
			}
			if (n)
				a->json[n++] = ' ';
			memcpy(a->json + n, s, l + 1);
			n += l;
		}
	}
	if (!have_svc || !n) {
		snprintf(err, errcap,
			 "usage: portctl <svc> '<json>' [--stream] [--compact] "
			 "[--reconnect] [--until-ok] [--timeout MS]");
		return -1;
	}
	return 0;
}

struct out {
	char *p;
	size_t cap, n;
	bool over;
};

static void put(struct out *o, char c)
{
	if (o->n + 1 < o->cap)
		o->p[o->n++] = c;
	else
		o->over = true;
}

static void indent(struct out *o, int depth)
{
	put(o, '\n');
	for (int i = 0; i < depth * 2; i++)
		put(o, ' ');
}

/* One pass over valid JSON: blanks outside strings dropped; with pretty,
 * a line per member or element. Nothing recurses. */
static int layout(const char *js, size_t len, char *buf, size_t cap,
		  bool pretty)
{
	if (!cap)
		return -1;
	struct out o = {.p = buf, .cap = cap};
	bool in_str = false, esc = false;
	int depth = 0;
	for (size_t i = 0; i < len; i++) {
		char c = js[i];
		if (in_str) {
			put(&o, c);
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
			continue;
		}
		switch (c) {
		case ' ':
		case '\t':
		case '\n':
		case '\r':
			break;
		case '"':
			in_str = true;
			put(&o, c);
			break;
		case '{':
		case '[': {
			put(&o, c);
			depth++;
			/* An empty container stays on one line. */
			size_t k = i + 1;
			while (k < len && strchr(" \t\r\n", js[k]))
				k++;
			if (pretty && k < len && js[k] != '}' && js[k] != ']')
				indent(&o, depth);
			break;
		}
		case '}':
		case ']': {
			depth--;
			size_t k = i;
			while (k > 0 && strchr(" \t\r\n", js[k - 1]))
				k--;
			if (pretty && k > 0 && js[k - 1] != '{' &&
			    js[k - 1] != '[')
				indent(&o, depth);
			put(&o, c);
			break;
		}
		case ',':
			put(&o, c);
			if (pretty)
				indent(&o, depth);
			break;
		case ':':
			put(&o, c);
			if (pretty)
				put(&o, ' ');
			break;
		default:
			put(&o, c);
		}
	}
	o.p[o.n] = 0;
	return o.over ? -1 : (int)o.n;
}

int pc_pretty(const char *js, size_t len, char *out, size_t cap)
{
	return layout(js, len, out, cap, true);
}

int pc_compact(const char *js, size_t len, char *out, size_t cap)
{
	return layout(js, len, out, cap, false);
}

int pc_with_port(const char *json, char *out, size_t cap)
{
	static struct json_doc d;
	size_t len = strlen(json);
	if (json_parse(&d, json, len) < 0 || json_type_of(&d, 0) != JSON_OBJECT)
		return -1;
	if (json_find(&d, 0, "port") >= 0) {
		if (len + 1 > cap)
			return -1;
		memcpy(out, json, len + 1);
		return (int)len;
	}
	/* Everything up to the closing brace, then the member. */
	size_t end = (size_t)d.tok[0].end - 1;
	int n = snprintf(out, cap, "%.*s%s\"port\":0}", (int)end, json,
			 d.tok[0].size ? "," : "");
	return n < 0 || (size_t)n >= cap ? -1 : n;
}
