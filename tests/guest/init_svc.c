/* guest-init-svc: a service for the supervisor's guest tests (t_init.c),
 * started by a child init from a test manifest.
 *   crash             faults at once (a null write)
 *   serve NAME        registers NAME with names and answers calls:
 *                     {"cmd":"ping"}; {"cmd":"crash_in","usec":N} keeps
 *                     the call open, sleeps N us, then faults
 *   flood N           prints N lines "flood line %04d" then sleeps */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/sys.h>

#include "cl_ports.h"

static void crash(void)
{
	*(volatile int *)0 = 1;
}

static int serve(const char *name)
{
	handle_t recv, send;
	if (sys_port_create(0, &recv, &send) < 0)
		return 2;
	if (cl_register(name, send) != CL_OK)
		return 3;
	static char buf[PORT_MSG_MAX + 1];
	static struct json_doc d;
	for (;;) {
		handle_t h[PORT_HANDLES_MAX];
		struct port_rx rx = {.buf = buf,
				     .cap = PORT_MSG_MAX,
				     .handles = h,
				     .hcap = PORT_HANDLES_MAX};
		if (sys_port_recv(recv, &rx, DEADLINE_NONE) < 0)
			return 4;
		for (uint32_t i = 0; i < rx.nhandles; i++)
			sys_handle_close(h[i]);
		if (!rx.reply)
			continue;
		buf[rx.len] = 0;
		uint64_t usec = 0;
		if (json_parse(&d, buf, rx.len) < 0) {
			cl_reply_error(rx.reply, "BAD_JSON", "not JSON");
		} else if (json_str_eq(&d, json_find(&d, 0, "cmd"), "ping")) {
			cl_reply_ok(rx.reply, "{\"name\":\"guest-init-svc\"}",
				    NULL, 0);
		} else if (json_str_eq(&d, json_find(&d, 0, "cmd"),
				       "crash_in") &&
			   json_get_uint(&d, "usec", &usec) == 0) {
			sys_sleep_until((uint64_t)sys_clock_now() +
					usec * 1000);
			crash(); /* with the call still open */
		} else {
			cl_reply_error(rx.reply, "BAD_CMD", "unknown cmd");
		}
	}
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "crash")) {
		crash();
	} else if (argc >= 3 && !strcmp(argv[1], "serve")) {
		return serve(argv[2]);
	} else if (argc >= 3 && !strcmp(argv[1], "flood")) {
		int n = atoi(argv[2]);
		for (int i = 0; i < n; i++)
			printf("flood line %04d\n", i);
		fflush(stdout);
		sys_sleep_until(DEADLINE_NONE);
	}
	printf("usage: guest-init-svc crash | serve NAME | flood N\n");
	return 2;
}
