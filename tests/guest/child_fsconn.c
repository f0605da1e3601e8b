/* guest-child-fsconn (REVIEW-18 R3): a short-lived helper task of a
 * hostile program. Looks up /svc/fsd (START_H_NAMES), makes as many fsd
 * connections as fsd lets one task have, sends every connection endpoint
 * to the port send handle H its parent gave it (argv[1]), and exits: fsd
 * charged the connections to this task, which is gone, while the parent
 * holds them. Exit status: how many it sent, 100 + n on an error. */
#include <stdlib.h>
#include <string.h>

#include <execrt/fs_proto.h>
#include <execrt/runtime.h>

#include "cl_ports.h"

#define MAXC 8

int main(int argc, char **argv)
{
	if (argc < 2)
		return 100;
	handle_t back = (handle_t)strtoull(argv[1], NULL, 0);
	struct cl_conn cc;
	if (cl_connect(FS_SVC_NAME, DEADLINE_POLL, &cc) != CL_OK)
		return 101;
	handle_t got[MAXC];
	uint32_t n = 0;
	while (n < MAXC) {
		struct fs_req q = {.op = FS_CONNECT, .a = FS_PROTO_VERSION};
		struct fs_resp r;
		handle_t h[PORT_HANDLES_MAX];
		struct port_msg m = {.data = &q, .len = sizeof(q)};
		struct port_rx rx = {.buf = &r,
				     .cap = sizeof(r),
				     .handles = h,
				     .hcap = PORT_HANDLES_MAX};
		if (sys_port_call(cc.send, &m, &rx, DEADLINE_NONE) < 0)
			return 102;
		if (r.err || rx.nhandles != 1)
			break; /* EMFILE: this task's share */
		got[n++] = h[0];
	}
	struct port_msg m = {
		.data = "c", .len = 1, .nhandles = n, .handles = got};
	if (n && sys_port_send(back, &m, DEADLINE_NONE) < 0)
		return 103;
	return (int)n;
}
