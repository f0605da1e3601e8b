/* names: the name service (docs/sdk-c.md). Owns a well-known port whose
 * receive handle it gets as argv[1] (the task that starts services creates
 * the port and hands every child a send handle at START_H_NAMES).
 * JSON over ports, answers per ports v0:
 *   {"cmd":"register","name":"/svc/x","port":0} + a send handle -> ok
 *   {"cmd":"lookup","name":"/svc/x","wait_usec":N} -> ok {"port":0} with
 *     a duplicate of the service's send handle, or NOT_FOUND (after
 *     waiting up to N us for the name to appear)
 *   {"cmd":"ping"} -> name, version, protocol
 * Single-threaded: waiting lookups keep their reply handles until the name
 * appears or their deadline passes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/rights.h>
#include <execrt/sys.h>

#include "cl_ports.h"
#include "json.h"

#define MAX_NAMES   32
#define MAX_WAITERS 16

struct entry {
	char name[CL_NAME_MAX];
	handle_t send;
};

struct waiter {
	char name[CL_NAME_MAX];
	handle_t reply;
	uint64_t deadline;
};

static struct entry names[MAX_NAMES];
static struct waiter waiters[MAX_WAITERS];
static char buf[PORT_MSG_MAX + 1];
static struct json_doc doc;

static uint64_t now(void)
{
	long t = sys_clock_now();
	return t < 0 ? 0 : (uint64_t)t;
}

/* "/svc/" and then 1..58 printable characters, no quotes or blanks. */
static bool valid_name(const char *n)
{
	size_t l = strlen(n);
	if (l <= 5 || l >= CL_NAME_MAX || strncmp(n, "/svc/", 5))
		return false;
	for (size_t i = 5; i < l; i++)
		if (n[i] <= ' ' || n[i] > '~' || n[i] == '"' || n[i] == '\\')
			return false;
	return true;
}

static struct entry *find(const char *n)
{
	for (int i = 0; i < MAX_NAMES; i++)
		if (names[i].send && !strcmp(names[i].name, n))
			return &names[i];
	return NULL;
}

/* Answers a lookup with a duplicate of e's send handle. */
static void answer(handle_t reply, const struct entry *e)
{
	handle_t d;
	if (sys_handle_dup(e->send, RIGHT_SAME, &d) < 0) {
		cl_reply_error(reply, "NO_MEMORY", "cannot duplicate handle");
		return;
	}
	if (cl_reply_ok(reply, "{\"port\":0}", &d, 1) < 0)
		sys_handle_close(d); /* the caller is gone: still ours */
}

static void do_register(handle_t reply, const handle_t *h, uint32_t nh)
{
	char n[CL_NAME_MAX];
	int64_t idx = -1;
	if (json_get_str(&doc, "name", n, sizeof(n)) < 0 || !valid_name(n)) {
		cl_reply_error(reply, "BAD_ARG", "name: /svc/<name>");
		return;
	}
	if (json_get_int(&doc, "port", &idx) < 0 || idx < 0 ||
	    (uint64_t)idx >= nh) {
		cl_reply_error(reply, "BAD_ARG", "port: index of a handle");
		return;
	}
	struct entry *e = find(n);
	if (!e)
		for (int i = 0; i < MAX_NAMES && !e; i++)
			if (!names[i].send)
				e = &names[i];
	if (!e) {
		cl_reply_error(reply, "NO_MEMORY", "registry full");
		return;
	}
	if (e->send) /* a restarted service replaces its old entry */
		sys_handle_close(e->send);
	memcpy(e->name, n, sizeof(n));
	e->send = h[idx];
	cl_reply_ok(reply, NULL, NULL, 0);
	/* The handles not kept are closed by the caller (main). */
	for (int i = 0; i < MAX_WAITERS; i++) {
		if (waiters[i].reply && !strcmp(waiters[i].name, n)) {
			answer(waiters[i].reply, e);
			waiters[i].reply = HANDLE_INVALID;
		}
	}
}

static void do_lookup(handle_t reply)
{
	char n[CL_NAME_MAX];
	uint64_t wait = 0;
	if (json_get_str(&doc, "name", n, sizeof(n)) < 0 || !valid_name(n)) {
		cl_reply_error(reply, "BAD_ARG", "name: /svc/<name>");
		return;
	}
	int wt = json_find(&doc, 0, "wait_usec");
	if (wt >= 0 && json_uint(&doc, wt, &wait) < 0) {
		cl_reply_error(reply, "BAD_ARG", "wait_usec: microseconds");
		return;
	}
	struct entry *e = find(n);
	if (e) {
		answer(reply, e);
		return;
	}
	if (wait == 0) {
		cl_reply_error(reply, "NOT_FOUND", n);
		return;
	}
	for (int i = 0; i < MAX_WAITERS; i++) {
		if (!waiters[i].reply) {
			memcpy(waiters[i].name, n, sizeof(n));
			waiters[i].reply = reply;
			if (wait > UINT32_MAX * 1000ull)
				wait = UINT32_MAX * 1000ull;
			waiters[i].deadline = now() + wait * 1000;
			return;
		}
	}
	cl_reply_error(reply, "BUSY", "too many waiting lookups");
}

/* Waiters whose deadline passed get NOT_FOUND; the earliest left. */
static uint64_t expire(void)
{
	uint64_t t = now(), next = DEADLINE_NONE;
	for (int i = 0; i < MAX_WAITERS; i++) {
		if (!waiters[i].reply)
			continue;
		if (waiters[i].deadline <= t) {
			cl_reply_error(waiters[i].reply, "NOT_FOUND",
				       waiters[i].name);
			waiters[i].reply = HANDLE_INVALID;
		} else if (waiters[i].deadline < next) {
			next = waiters[i].deadline;
		}
	}
	return next;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		printf("names: usage: names <receive handle>\n");
		return 2;
	}
	handle_t port = (handle_t)strtoul(argv[1], NULL, 0);
	for (;;) {
		handle_t h[PORT_HANDLES_MAX];
		struct port_rx rx = {.buf = buf,
				     .cap = PORT_MSG_MAX,
				     .handles = h,
				     .hcap = PORT_HANDLES_MAX};
		long r = sys_port_recv(port, &rx, expire());
		/* Nothing can be too big: the buffers take the maximum. */
		if (r == ERR_TIMED_OUT)
			continue;
		if (r < 0) {
			printf("names: receive: %s\n", err_name(r));
			return 1;
		}
		uint32_t nh = rx.nhandles;
		handle_t reply = rx.reply;
		if (!reply) { /* not a call: nobody to answer */
			for (uint32_t i = 0; i < nh; i++)
				sys_handle_close(h[i]);
			continue;
		}
		buf[rx.len] = 0;
		if (json_parse(&doc, buf, rx.len) < 0 ||
		    json_type_of(&doc, 0) != JSON_OBJECT) {
			cl_reply_error(reply, "BAD_JSON", "not a JSON object");
		} else if (json_str_eq(&doc, json_find(&doc, 0, "cmd"),
				       "register")) {
			do_register(reply, h, nh);
			/* Keep the registered handle, close the rest. */
			for (uint32_t i = 0; i < nh; i++) {
				bool kept = false;
				for (int k = 0; k < MAX_NAMES; k++)
					kept |= names[k].send == h[i];
				if (!kept)
					sys_handle_close(h[i]);
			}
			nh = 0;
		} else if (json_str_eq(&doc, json_find(&doc, 0, "cmd"),
				       "lookup")) {
			do_lookup(reply);
		} else if (json_str_eq(&doc, json_find(&doc, 0, "cmd"),
				       "ping")) {
			cl_reply_ok(reply,
				    "{\"name\":\"names\",\"version\":\"0.1.0\","
				    "\"protocol\":\"ports/v0\"}",
				    NULL, 0);
		} else {
			cl_reply_error(reply, "BAD_CMD", "unknown cmd");
		}
		for (uint32_t i = 0; i < nh; i++)
			sys_handle_close(h[i]);
	}
}
