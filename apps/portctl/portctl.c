/* portctl: one ports/v0 request to a service by name, from the shell
 * (docs/names.md "portctl"):
 *   portctl <svc> '<json>' [--stream] [--compact] [--reconnect]
 *           [--timeout MS]
 * prints the answer (pretty, or compact with --compact) and exits 0 if it
 * was ok:true, 1 otherwise. With --stream the request is sent with the
 * send handle of a new port attached ("port":0 added) and, if accepted,
 * every event arriving on it is printed, one per line, until the program
 * is killed (the shell does on Ctrl-C). */
#include <stdio.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/sys.h>

#include "cl_ports.h"
#include "pc_util.h"

static struct pc_args args;
static struct cl_resp resp;
static struct cl_event ev;
static char text[2 * PORT_MSG_MAX + 1024];
static char req[PC_JSON_MAX + 16];

static uint64_t now(void)
{
	long t = sys_clock_now();
	return t < 0 ? 0 : (uint64_t)t;
}

static void show(const char *js, size_t len, bool compact)
{
	int n = compact ? pc_compact(js, len, text, sizeof(text))
			: pc_pretty(js, len, text, sizeof(text));
	printf("%s%s\n", text, n < 0 ? " ..." : "");
}

static int fail(const char *what, cl_err_t e)
{
	printf("portctl: %s: %s: %s\n", args.svc, what, cl_strerror(e));
	return 1;
}

/* Prints events until killed; returns only when the stream fails. */
static int stream(struct cl_conn *c, uint64_t deadline)
{
	if (pc_with_port(args.json, req, sizeof(req)) < 0) {
		printf("portctl: --stream: the request must be a JSON "
		       "object\n");
		return 1;
	}
	handle_t recv, send;
	long r = sys_port_create(0, &recv, &send);
	if (r < 0) {
		printf("portctl: port_create: %s\n", err_name(r));
		return 1;
	}
	cl_err_t e = cl_request_ex(c, req, &send, 1, deadline, &resp);
	if (e == CL_OK || e == CL_ERR_REMOTE || e == CL_ERR_DENIED)
		show(resp.buf, resp.len, args.compact);
	cl_resp_close(&resp);
	if (e < 0) {
		sys_handle_close(send); /* if it was not moved */
		sys_handle_close(recv);
		return e == CL_ERR_REMOTE || e == CL_ERR_DENIED
			       ? 1
			       : fail("request", e);
	}
	struct cl_stream s = {.recv = recv, .conn = c};
	for (;;) {
		e = cl_next_event(&s, DEADLINE_NONE, &ev);
		if (e == CL_ERR_PROTO) {
			printf("portctl: malformed event skipped\n");
			continue;
		}
		if (e < 0)
			break;
		show(ev.buf, ev.len, true);
		cl_event_close(&ev);
	}
	cl_stream_close(&s);
	return fail("stream", e);
}

int main(int argc, char **argv)
{
	char err[160];
	if (pc_parse_args(argc, argv, &args, err, sizeof(err)) < 0) {
		printf("portctl: %s\n", err);
		return 1;
	}
	uint64_t deadline = now() + args.timeout_ms * 1000000ull;
	struct cl_conn c;
	cl_err_t e = cl_connect(args.svc, deadline, &c);
	if (e < 0)
		return fail("lookup", e);
	c.reconnect = args.reconnect;
	int rc;
	if (args.stream) {
		rc = stream(&c, deadline);
	} else {
		e = cl_request_ex(&c, args.json, NULL, 0, deadline, &resp);
		/* --until-ok: a refused request is asked again (a program
		 * that loops, e.g. a background console readline). */
		while (args.until_ok && e == CL_ERR_REMOTE &&
		       now() + 250000000ull < deadline) {
			cl_resp_close(&resp);
			sys_sleep_until(now() + 20000000ull);
			e = cl_request_ex(&c, args.json, NULL, 0, deadline,
					  &resp);
		}
		if (e == CL_OK || e == CL_ERR_REMOTE || e == CL_ERR_DENIED) {
			show(resp.buf, resp.len, args.compact);
			rc = e == CL_OK ? 0 : 1;
		} else {
			rc = fail(e == CL_ERR_ARG ? "not a JSON object"
						  : "request",
				  e);
		}
		cl_resp_close(&resp);
	}
	if (rc == 0 && c.reconnects)
		printf("portctl: reconnected %u time%s\n", c.reconnects,
		       c.reconnects == 1 ? "" : "s");
	cl_close(&c);
	return rc;
}
