/* guest-svc-comp: a small stand-in for compositord, for the client tests
 * (t_client.c) and the hello_port example. Registers argv[1] (default
 * /svc/compositord) with the name service (START_H_NAMES) and answers
 *   ping, create_layer (ids from 1), subscribe (vsync events
 *   {"event":"vsync","usec":..,"frame":..} every 5 ms on the subscriber's
 *   port), attach (a memory object as handle "buffer": answers its size),
 *   shutdown (answers, then exits 0);
 * malformed JSON gets BAD_JSON, an unknown cmd BAD_CMD. With "garbage" as
 * argv[2] every answer is malformed instead (tests CL_ERR_PROTO).
 * Single-threaded: the vsync timer is the receive deadline. */
#include <stdio.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/sys.h>

#include "cl_ports.h"
#include "json.h"

#define MAX_SUBS 8
#define VSYNC_NS 5000000ull

static handle_t subs[MAX_SUBS];
static char buf[PORT_MSG_MAX + 1];
static struct json_doc doc;
static int64_t next_layer = 1;
static uint64_t frame;

static uint64_t now(void)
{
	long t = sys_clock_now();
	return t < 0 ? 0 : (uint64_t)t;
}

static bool any_subs(void)
{
	for (int i = 0; i < MAX_SUBS; i++)
		if (subs[i])
			return true;
	return false;
}

static void vsync(void)
{
	char ev[128];
	uint64_t t = now();
	int n = snprintf(ev, sizeof(ev),
			 "{\"event\":\"vsync\",\"usec\":%llu,\"frame\":%llu}",
			 (unsigned long long)(t / 1000),
			 (unsigned long long)frame++);
	struct port_msg m = {.data = ev, .len = (uint32_t)n};
	for (int i = 0; i < MAX_SUBS; i++) {
		if (!subs[i])
			continue;
		long r = sys_port_send(subs[i], &m, DEADLINE_POLL);
		if (r < 0 && r != ERR_SHOULD_WAIT) { /* subscriber gone */
			sys_handle_close(subs[i]);
			subs[i] = HANDLE_INVALID;
		}
	}
}

/* Handles of the request: taken (set to 0) when kept. */
static void handle(handle_t reply, handle_t *h, uint32_t nh, bool garbage)
{
	if (garbage) {
		static const char bad[] = "{\"ok\":tru";
		struct port_msg m = {.data = bad, .len = sizeof(bad) - 1};
		sys_port_reply(reply, &m);
		return;
	}
	if (json_parse(&doc, buf, strlen(buf)) < 0 ||
	    json_type_of(&doc, 0) != JSON_OBJECT) {
		cl_reply_error(reply, "BAD_JSON", "not a JSON object");
		return;
	}
	int cmd = json_find(&doc, 0, "cmd");
	char res[128];
	if (json_str_eq(&doc, cmd, "ping")) {
		cl_reply_ok(reply,
			    "{\"name\":\"compositord\",\"version\":\"0.1.0\","
			    "\"protocol\":\"ports/v0\"}",
			    NULL, 0);
	} else if (json_str_eq(&doc, cmd, "create_layer")) {
		snprintf(res, sizeof(res), "{\"id\":%lld",
			 (long long)next_layer++);
		strcat(res, "}");
		cl_reply_ok(reply, res, NULL, 0);
	} else if (json_str_eq(&doc, cmd, "subscribe")) {
		int64_t idx = -1;
		int ev = json_find(&doc, 0, "events");
		if (json_type_of(&doc, ev) != JSON_ARRAY ||
		    json_get_int(&doc, "port", &idx) < 0 || idx < 0 ||
		    (uint64_t)idx >= nh) {
			cl_reply_error(reply, "BAD_ARG",
				       "events: [..], port: handle index");
			return;
		}
		for (int i = 0; i < doc.tok[ev].size; i++) {
			if (!json_str_eq(&doc, json_index(&doc, ev, i),
					 "vsync")) {
				cl_reply_error(reply, "BAD_ARG",
					       "unknown event");
				return;
			}
		}
		for (int i = 0; i < MAX_SUBS; i++) {
			if (!subs[i]) {
				subs[i] = h[idx];
				h[idx] = HANDLE_INVALID;
				cl_reply_ok(reply, NULL, NULL, 0);
				return;
			}
		}
		cl_reply_error(reply, "BUSY", "too many subscribers");
	} else if (json_str_eq(&doc, cmd, "attach")) {
		int64_t idx = -1;
		uint64_t size = 0;
		if (json_get_int(&doc, "buffer", &idx) < 0 || idx < 0 ||
		    (uint64_t)idx >= nh ||
		    sys_vmo_get_size(h[idx], &size) < 0) {
			cl_reply_error(reply, "BAD_ARG",
				       "buffer: index of a memory object");
			return;
		}
		snprintf(res, sizeof(res), "{\"size\":%llu}",
			 (unsigned long long)size);
		cl_reply_ok(reply, res, NULL, 0);
	} else if (!json_str_eq(&doc, cmd, "shutdown")) {
		cl_reply_error(reply, "BAD_CMD", "unknown cmd");
	}
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "/svc/compositord";
	bool garbage = argc > 2 && !strcmp(argv[2], "garbage");
	handle_t recv, send;
	long r = sys_port_create(0, &recv, &send);
	if (r < 0) {
		printf("svc-comp: port_create: %s\n", err_name(r));
		return 1;
	}
	cl_err_t e = cl_register(name, send);
	if (e < 0) {
		printf("svc-comp: register %s: %s\n", name, cl_strerror(e));
		return 1;
	}
	uint64_t next = now() + VSYNC_NS;
	for (;;) {
		handle_t h[PORT_HANDLES_MAX];
		struct port_rx rx = {.buf = buf,
				     .cap = PORT_MSG_MAX,
				     .handles = h,
				     .hcap = PORT_HANDLES_MAX};
		r = sys_port_recv(recv, &rx, any_subs() ? next : DEADLINE_NONE);
		if (any_subs() && now() >= next) {
			vsync();
			next += VSYNC_NS;
			if (next < now())
				next = now() + VSYNC_NS;
		} else if (!any_subs()) {
			next = now() + VSYNC_NS;
		}
		if (r == ERR_TIMED_OUT)
			continue;
		if (r < 0) {
			printf("svc-comp: receive: %s\n", err_name(r));
			return 1;
		}
		buf[rx.len] = 0;
		/* An embedded NUL makes it malformed: strlen stops early. */
		if (memchr(buf, 0, rx.len))
			buf[0] = 0;
		bool quit = false;
		if (rx.reply) {
			handle(rx.reply, h, rx.nhandles, garbage);
			quit = !garbage &&
			       json_type_of(&doc, 0) == JSON_OBJECT &&
			       json_str_eq(&doc, json_find(&doc, 0, "cmd"),
					   "shutdown");
			if (quit)
				cl_reply_ok(rx.reply, NULL, NULL, 0);
		}
		for (uint32_t i = 0; i < rx.nhandles; i++)
			if (h[i])
				sys_handle_close(h[i]);
		if (quit)
			return 0;
	}
}
