/* tsvc_proto: see tsvc_proto.h. */
#include "tsvc_proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A decimal number in [lo, hi]. */
static bool number(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	if (!s || !*s)
		return false;
	uint64_t v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

int tsvc_init(struct tsvc *s, int argc, char **argv, uint64_t now, char *err,
	      size_t errcap)
{
	memset(s, 0, sizeof(*s));
	strcpy(s->name, "/svc/test");
	s->tick_ns = 100 * 1000000ull;
	s->start_ns = now;
	for (int i = 1; i < argc; i += 2) { /* every option takes a value */
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t n;
		if (!strcmp(a, "--tick-ms") && number(v, 1, 60000, &n)) {
			s->tick_ns = n * 1000000ull;
		} else if (!strcmp(a, "--crash-after") &&
			   number(v, 0, UINT32_MAX, &n)) {
			s->crash_after = n;
		} else if (!strcmp(a, "--name") && v &&
			   strlen(v) < sizeof(s->name) &&
			   !strncmp(v, "/svc/", 5)) {
			strcpy(s->name, v);
		} else {
			snprintf(err, errcap,
				 "bad argument '%s' (--tick-ms 1..60000, "
				 "--crash-after N, --name /svc/x)",
				 a);
			return -1;
		}
	}
	return 0;
}

static void fail(struct tsvc_out *o, const char *code, const char *msg)
{
	o->act = TSVC_REPLY;
	o->ok = false;
	snprintf(o->code, sizeof(o->code), "%s", code);
	snprintf(o->message, sizeof(o->message), "%s", msg);
}

static void subscribe(struct tsvc *s, uint32_t nh, struct tsvc_out *o)
{
	struct json_doc *d = &s->doc;
	int ev = json_find(d, 0, "events");
	int64_t idx = -1;
	if (json_type_of(d, ev) != JSON_ARRAY || d->tok[ev].size < 1 ||
	    json_get_int(d, "port", &idx) < 0 || idx < 0 ||
	    (uint64_t)idx >= nh) {
		fail(o, "BAD_ARG", "events: [\"tick\"], port: handle index");
		return;
	}
	for (int i = 0; i < d->tok[ev].size; i++) {
		if (!json_str_eq(d, json_index(d, ev, i), "tick")) {
			fail(o, "BAD_ARG", "unknown event (only \"tick\")");
			return;
		}
	}
	if (s->subscribers >= TSVC_MAX_SUBS) {
		fail(o, "BUSY", "too many subscribers");
		return;
	}
	o->act = TSVC_SUBSCRIBE;
	o->port = (uint32_t)idx;
}

static void status(struct tsvc *s, uint64_t now, struct tsvc_out *o)
{
	snprintf(o->result, sizeof(o->result),
		 "{\"name\":\"%s\",\"calls\":%llu,\"subscribers\":%u,"
		 "\"ticks\":%llu,\"dropped\":%llu,\"sleeping\":%u,"
		 "\"tick_ms\":%llu,\"crash_after\":%llu,\"uptime_usec\":%llu}",
		 s->name, (unsigned long long)s->calls, s->subscribers,
		 (unsigned long long)s->ticks, (unsigned long long)s->dropped,
		 s->sleepers, (unsigned long long)(s->tick_ns / 1000000),
		 (unsigned long long)s->crash_after,
		 (unsigned long long)((now - s->start_ns) / 1000));
}

void tsvc_handle(struct tsvc *s, const char *text, size_t len, uint32_t nh,
		 uint64_t now, struct tsvc_out *o)
{
	struct json_doc *d = &s->doc;
	memset(o, 0, sizeof(*o));
	o->act = TSVC_REPLY;
	o->ok = true;
	strcpy(o->result, "{}");
	s->calls++;
	if (s->crash_after && s->calls == s->crash_after) {
		o->act = TSVC_CRASH;
		return;
	}
	if (json_parse(d, text, len) < 0 || json_type_of(d, 0) != JSON_OBJECT) {
		fail(o, "BAD_JSON", "not a JSON object");
		return;
	}
	int cmd = json_find(d, 0, "cmd");
	if (json_str_eq(d, cmd, "ping")) {
		snprintf(o->result, sizeof(o->result),
			 "{\"name\":\"testsvc\",\"version\":\"0.1.0\","
			 "\"protocol\":\"ports/v0\"}");
	} else if (json_str_eq(d, cmd, "echo")) {
		/* The request object itself, as it came (it parsed). */
		int n = d->tok[0].end - d->tok[0].start;
		if ((size_t)n >= sizeof(o->result)) {
			fail(o, "TOO_BIG", "echo: request too big to answer");
			return;
		}
		memcpy(o->result, text + d->tok[0].start, (size_t)n);
		o->result[n] = 0;
	} else if (json_str_eq(d, cmd, "sleep")) {
		uint64_t us;
		if (json_get_uint(d, "usec", &us) < 0 ||
		    us > TSVC_MAX_SLEEP_US) {
			fail(o, "BAD_ARG", "usec: 0..60000000");
			return;
		}
		if (s->sleepers >= TSVC_MAX_SLEEPERS) {
			fail(o, "BUSY", "too many sleeping calls");
			return;
		}
		o->act = TSVC_SLEEP;
		o->until_ns = now + us * 1000;
		o->usec = us;
		snprintf(o->result, sizeof(o->result), "{\"slept_usec\":%llu}",
			 (unsigned long long)us);
	} else if (json_str_eq(d, cmd, "crash")) {
		o->act = TSVC_CRASH;
	} else if (json_str_eq(d, cmd, "exit")) {
		int64_t st = 0;
		int t = json_find(d, 0, "status");
		if (t >= 0 && (json_int(d, t, &st) < 0 || st < 0 || st > 255)) {
			fail(o, "BAD_ARG", "status: 0..255");
			return;
		}
		o->act = TSVC_EXIT;
		o->status = st;
	} else if (json_str_eq(d, cmd, "log")) {
		/* Floods its own stdout: the supervisor's log path must keep
		 * the console (and the shell) answering. */
		uint64_t n;
		if (json_get_uint(d, "lines", &n) < 0 || n == 0 ||
		    n > TSVC_MAX_LOG_LINES) {
			fail(o, "BAD_ARG", "lines: 1..1000000");
			return;
		}
		o->act = TSVC_LOG;
		o->lines = n;
		snprintf(o->result, sizeof(o->result), "{\"lines\":%llu}",
			 (unsigned long long)n);
	} else if (json_str_eq(d, cmd, "subscribe")) {
		subscribe(s, nh, o);
	} else if (json_str_eq(d, cmd, "status")) {
		status(s, now, o);
	} else {
		fail(o, "BAD_CMD", "unknown cmd");
	}
}

int tsvc_tick(struct tsvc *s, uint64_t now, char *buf, size_t cap)
{
	return snprintf(buf, cap,
			"{\"event\":\"tick\",\"n\":%llu,\"usec\":%llu}",
			(unsigned long long)++s->ticks,
			(unsigned long long)(now / 1000));
}
