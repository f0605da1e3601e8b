/* clctl: the services of init, from the shell (docs/shell.md).
 *   clctl status | start SVC | stop SVC | restart SVC | logs SVC [BYTES]
 *         | doctor
 * One ports/v0 request to /svc/init (ISSUE10.md), the answer printed as a
 * table or as readable lines (clfmt.c). Exit status: 0 ok, 1 the request
 * failed (the reason is printed), 2 a bad command line. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <execrt/runtime.h>
#include <execrt/sys.h>

#include "cl_ports.h"
#include "clfmt.h"

#define INIT_WAIT_NS 1000000000ull

static struct cl_resp resp;
static char out[24 * 1024];

int main(int argc, char **argv)
{
	char req[256], err[256];
	if (clctl_request(argc, argv, req, sizeof(req), err, sizeof(err)) < 0) {
		puts(err);
		return 2;
	}
	const char *cmd = argv[1];
	/* sh gives clctl init's control endpoint (START_H_SERVICE) when its
	 * entry has `control`; without it, /svc/init answers only ping,
	 * status, logs and doctor (REVIEW-18 R2). */
	struct cl_conn c = {.send = execrt_handle(START_H_SERVICE)};
	cl_err_t e = CL_OK;
	if (!c.send)
		e = cl_connect("/svc/init",
			       (uint64_t)sys_clock_now() + INIT_WAIT_NS, &c);
	if (e == CL_ERR_NOT_FOUND) {
		printf("clctl: /svc/init is not there (or not ours to look "
		       "up)\n");
		return 1;
	}
	bool connected = e == CL_OK;
	struct clout o;
	clo_init(&o, out, sizeof(out));
	int rows = 0;
	bool status = !strcmp(cmd, "status");
	/* init answers status a page at a time ("more", "next"). */
	for (int64_t from = 0; e == CL_OK;) {
		if (status && from)
			snprintf(req, sizeof(req),
				 "{\"cmd\":\"status\",\"from\":%lld}",
				 (long long)from);
		e = cl_request(&c, req, &resp);
		if (e != CL_OK || !status)
			break;
		int n = clctl_fmt_status_page(&o, &resp.doc, resp.result,
					      from == 0);
		if (n < 0) {
			rows = -1; /* not a status: printed as it came */
			break;
		}
		rows += n;
		int64_t next = -1;
		if (cl_resp_int(&resp, "next", &next) != CL_OK || next <= from)
			break;
		cl_resp_close(&resp);
		from = next;
	}
	if (connected)
		cl_close(&c);
	if (e == CL_ERR_REMOTE) {
		printf("clctl: %s: %s: %s\n", cmd, resp.code, resp.message);
		return 1;
	}
	if (e < 0) {
		printf("clctl: %s: /svc/init: %s\n", cmd, cl_strerror(e));
		return 1;
	}
	/* status: its rows are in out already, the count goes after them */
	if (!status && !strcmp(cmd, "logs"))
		clctl_fmt_logs(&o, &resp.doc, resp.result);
	else if (!status && !strcmp(cmd, "doctor"))
		clctl_fmt_generic(&o, &resp.doc, resp.result);
	else if (!status)
		printf("clctl: %s %s: ok\n", cmd, argv[2]);
	fputs(out, stdout);
	if (o.lost)
		printf("clctl: (%zu more bytes not shown)\n", o.lost);
	if (status && rows >= 0)
		printf("%d service%s\n", rows, rows == 1 ? "" : "s");
	cl_resp_close(&resp);
	return 0;
}
