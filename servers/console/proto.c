/* The console's port protocol, pure half (proto.h). */
#include "proto.h"

#include <string.h>

#include "json.h"

static struct json_doc doc; /* large: one request at a time */

static void bad(struct con_req *r, enum con_cmd c, const char *why)
{
	r->cmd = c;
	r->err = why;
}

static void parse_subscribe(struct con_req *r, uint32_t nhandles)
{
	int ev = json_find(&doc, 0, "events");
	if (ev < 0 || json_type_of(&doc, ev) != JSON_ARRAY)
		return bad(r, CON_BAD_ARG, "events: [\"interrupt\",\"key\"]");
	for (int i = 0;; i++) {
		int t = json_index(&doc, ev, i);
		if (t < 0)
			break;
		if (json_str_eq(&doc, t, "interrupt"))
			r->events |= CON_EV_INTERRUPT;
		else if (json_str_eq(&doc, t, "key"))
			r->events |= CON_EV_KEY;
		else
			return bad(r, CON_BAD_ARG, "unknown event");
	}
	if (!r->events)
		return bad(r, CON_BAD_ARG, "no events");
	uint64_t port;
	if (json_get_uint(&doc, "port", &port) < 0 || port >= nhandles)
		return bad(r, CON_BAD_ARG, "port: index of a send handle");
	r->port = (uint32_t)port;
	r->cmd = CON_SUBSCRIBE;
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

/* {"cmd":"input","hex":"1b5b41"}: hex keeps any byte JSON-safe. */
static void parse_input(struct con_req *r)
{
	static char tmp[2 * CON_INPUT_MAX + 2];
	int t = json_find(&doc, 0, "hex");
	int n = t < 0 || json_type_of(&doc, t) != JSON_STRING
			? -1
			: json_str(&doc, t, tmp, sizeof(tmp));
	if (n < 0 || n % 2 || n > 2 * CON_INPUT_MAX)
		return bad(r, CON_BAD_ARG, "hex: up to 512 bytes in hex");
	for (int i = 0; i < n; i += 2) {
		int hi = hexval(tmp[i]), lo = hexval(tmp[i + 1]);
		if (hi < 0 || lo < 0)
			return bad(r, CON_BAD_ARG, "hex: not hex digits");
		r->input[r->ninput++] = (uint8_t)(hi << 4 | lo);
	}
	r->cmd = CON_INPUT;
}

void con_parse(const char *buf, size_t len, uint32_t nhandles,
	       struct con_req *r)
{
	memset(r, 0, sizeof(*r));
	if (json_parse(&doc, buf, len) < 0 ||
	    json_type_of(&doc, 0) != JSON_OBJECT)
		return bad(r, CON_BAD_JSON, "not a JSON object");
	int cmd = json_find(&doc, 0, "cmd");
	if (json_str_eq(&doc, cmd, "ping")) {
		r->cmd = CON_PING;
	} else if (json_str_eq(&doc, cmd, "status")) {
		r->cmd = CON_STATUS;
	} else if (json_str_eq(&doc, cmd, "readline")) {
		int p = json_find(&doc, 0, "prompt");
		static char tmp[4096];
		if (p >= 0) {
			if (json_type_of(&doc, p) != JSON_STRING ||
			    json_str(&doc, p, tmp, sizeof(tmp)) < 0)
				return bad(r, CON_BAD_ARG, "prompt: a string");
			size_t n = strlen(tmp);
			if (n > LD_PROMPT_MAX)
				n = LD_PROMPT_MAX;
			memcpy(r->prompt, tmp, n);
			r->prompt[n] = 0;
		}
		r->cmd = CON_READLINE;
	} else if (json_str_eq(&doc, cmd, "subscribe")) {
		parse_subscribe(r, nhandles);
	} else if (json_str_eq(&doc, cmd, "unsubscribe")) {
		/* Names the stream by its send handle: a client can drop only
		 * a subscription whose port it holds. */
		uint64_t port;
		if (json_get_uint(&doc, "port", &port) < 0 || port >= nhandles)
			return bad(r, CON_BAD_ARG,
				   "port: index of the subscribed send handle");
		r->port = (uint32_t)port;
		r->cmd = CON_UNSUBSCRIBE;
	} else if (json_str_eq(&doc, cmd, "mirror")) {
		uint64_t port;
		if (json_get_uint(&doc, "port", &port) < 0 || port >= nhandles)
			return bad(r, CON_BAD_ARG,
				   "port: index of a send handle");
		r->port = (uint32_t)port;
		r->cmd = CON_MIRROR;
	} else if (json_str_eq(&doc, cmd, "input")) {
		parse_input(r);
	} else if (json_str_eq(&doc, cmd, "control")) {
		r->cmd = CON_CONTROL;
	} else if (json_str_eq(&doc, cmd, "session")) {
		if (json_find(&doc, 0, "task") >= 0 &&
		    json_get_uint(&doc, "task", &r->task) < 0)
			return bad(r, CON_BAD_ARG, "task: a task's koid");
		r->cmd = CON_SESSION;
	} else if (json_str_eq(&doc, cmd, "adopt")) {
		if (json_get_uint(&doc, "task", &r->task) < 0 || !r->task)
			return bad(r, CON_BAD_ARG, "task: a task's koid");
		r->cmd = CON_ADOPT;
	} else if (json_str_eq(&doc, cmd, "foreground")) {
		if (json_find(&doc, 0, "session") >= 0 &&
		    json_get_uint(&doc, "session", &r->session) < 0)
			return bad(r, CON_BAD_ARG, "session: a session's id");
		r->cmd = CON_FOREGROUND;
	} else {
		bad(r, CON_BAD_CMD, "unknown cmd");
	}
}

int con_ping_json(char *buf, size_t cap)
{
	struct json_w w;
	json_w_init(&w, buf, cap);
	json_w_obj(&w);
	json_w_key(&w, "name");
	json_w_str(&w, "console");
	json_w_key(&w, "version");
	json_w_str(&w, "0.1.0");
	json_w_key(&w, "protocol");
	json_w_str(&w, "ports/v0");
	json_w_end(&w);
	return json_w_finish(&w);
}

static void kv(struct json_w *w, const char *k, uint64_t v)
{
	json_w_key(w, k);
	json_w_uint(w, v);
}

int con_status_json(const struct con_stats *s, char *buf, size_t cap)
{
	struct json_w w;
	json_w_init(&w, buf, cap);
	json_w_obj(&w);
	kv(&w, "rx_bytes", s->rx_bytes);
	kv(&w, "tx_bytes", s->tx_bytes);
	kv(&w, "overruns", s->overruns);
	kv(&w, "interrupts", s->interrupts);
	kv(&w, "dropped", s->dropped_msgs);
	kv(&w, "dropped_bytes", s->dropped_bytes);
	kv(&w, "dropped_keys", s->dropped_keys);
	kv(&w, "events_sent", s->events_sent);
	kv(&w, "events_dropped", s->events_dropped);
	json_w_key(&w, "event_error");
	json_w_int(&w, s->event_error);
	kv(&w, "lines", s->lines);
	kv(&w, "queued", s->queued);
	kv(&w, "gsi", s->gsi);
	json_w_key(&w, "readline");
	json_w_bool(&w, s->readline);
	json_w_key(&w, "subscriber");
	json_w_bool(&w, s->subscriber);
	kv(&w, "subscribers", (uint64_t)s->subscribers);
	json_w_key(&w, "screen");
	json_w_bool(&w, s->screen);
	kv(&w, "screen_in", s->screen_in);
	kv(&w, "mirror_bytes", s->mirror_bytes);
	kv(&w, "mirror_dropped", s->mirror_dropped);
	kv(&w, "sessions", (uint64_t)s->sessions);
	json_w_key(&w, "control");
	json_w_bool(&w, s->control);
	kv(&w, "foreground", s->foreground);
	json_w_end(&w);
	return json_w_finish(&w);
}

int con_line_json(const char *line, char *buf, size_t cap)
{
	struct json_w w;
	json_w_init(&w, buf, cap);
	json_w_obj(&w);
	json_w_key(&w, "line");
	json_w_str(&w, line);
	json_w_end(&w);
	return json_w_finish(&w);
}

int con_key_event_json(uint8_t code, char *buf, size_t cap)
{
	struct json_w w;
	json_w_init(&w, buf, cap);
	json_w_obj(&w);
	json_w_key(&w, "event");
	json_w_str(&w, "key");
	json_w_key(&w, "code");
	json_w_uint(&w, code);
	json_w_end(&w);
	return json_w_finish(&w);
}

int con_interrupt_event_json(char *buf, size_t cap)
{
	struct json_w w;
	json_w_init(&w, buf, cap);
	json_w_obj(&w);
	json_w_key(&w, "event");
	json_w_str(&w, "interrupt");
	json_w_end(&w);
	return json_w_finish(&w);
}

int con_taken_json(uint32_t taken, char *buf, size_t cap)
{
	struct json_w w;
	json_w_init(&w, buf, cap);
	json_w_obj(&w);
	json_w_key(&w, "taken");
	json_w_uint(&w, taken);
	json_w_end(&w);
	return json_w_finish(&w);
}

/* A decimal or 0x-hex number at *p (advanced); false if none. */
static bool number(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	unsigned base = 10;
	if (end - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	uint64_t x = 0;
	const char *d = s;
	for (; s < end; s++) {
		unsigned dig;
		if (*s >= '0' && *s <= '9')
			dig = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			dig = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			dig = (unsigned)(*s - 'A' + 10);
		else
			break;
		if (x > (UINT32_MAX - dig) / base)
			return false;
		x = x * base + dig;
	}
	if (s == d)
		return false;
	*p = s;
	*v = x;
	return true;
}

uint32_t con_isa_gsi(const char *text, size_t len, unsigned irq, uint32_t dflt)
{
	static const char key[] = "isa_irq ";
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		const char *q = p;
		uint64_t a, b;
		if ((size_t)(eol - q) > sizeof(key) - 1 &&
		    !memcmp(q, key, sizeof(key) - 1)) {
			q += sizeof(key) - 1;
			if (number(&q, eol, &a) && q < eol && *q == ' ') {
				q++;
				if (number(&q, eol, &b) && q == eol && a == irq)
					return (uint32_t)b;
			}
		}
		p = eol + 1;
	}
	return dflt;
}
