/* ifconfig on exec-rt: `{"cmd":"ifconfig"}` to /svc/netd (docs/net.md). */
#include <stdio.h>

#include <execrt/sys.h>

#include "cl_ports.h"
#include "ifsrc.h"

#define NETD_WAIT_NS 2000000000ull

static struct cl_resp resp;

int ifsrc_list(struct ifc *out, int max)
{
	struct cl_conn c;
	cl_err_t e = cl_connect("/svc/netd",
				(uint64_t)sys_clock_now() + NETD_WAIT_NS, &c);
	if (e != CL_OK) {
		fprintf(stderr, "ifconfig: /svc/netd: %s\n", cl_strerror(e));
		return -1;
	}
	e = cl_request(&c, "{\"cmd\":\"ifconfig\"}", &resp);
	cl_close(&c);
	if (e == CL_ERR_REMOTE) {
		fprintf(stderr, "ifconfig: /svc/netd: %s: %s\n", resp.code,
			resp.message);
		return -1;
	}
	if (e != CL_OK) {
		fprintf(stderr, "ifconfig: /svc/netd: %s\n", cl_strerror(e));
		return -1;
	}
	int n = ifc_from_json(&resp.doc, resp.result, out, max);
	if (n < 0)
		fprintf(stderr,
			"ifconfig: /svc/netd: unexpected answer: "
			"%.200s\n",
			resp.buf);
	cl_resp_close(&resp);
	return n;
}
