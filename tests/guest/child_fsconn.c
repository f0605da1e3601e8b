/* guest-child-fsconn (REVIEW-18 R3): a short-lived helper task of a
 * hostile program. Looks up /svc/fsd (START_H_NAMES), makes as many fsd
 * connections as fsd lets one task have, sends every connection endpoint
 * to the port send handle H its parent gave it (argv[1]), and exits: fsd
 * charged the connections to this task, which is gone, while the parent
 * holds them. Exit status: how many it sent, 100 + n on an error.
 * With "files" after H: opens as many files as fsd lets one task have
 * instead (on two connections), sends those (8 a message), and exits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/fs_proto.h>
#include <execrt/runtime.h>

#include "cl_ports.h"

#define MAXC 8

/* One call on ep with path p (may be NULL): fsd's err, *h the handle. */
static int call(handle_t ep, struct fs_req *q, const char *p, handle_t *h)
{
	uint8_t msg[sizeof(*q) + 64];
	uint32_t pl = p ? (uint32_t)strlen(p) : 0;
	q->path_len = pl;
	memcpy(msg, q, sizeof(*q));
	memcpy(msg + sizeof(*q), p ? p : "", pl);
	static uint8_t ans[PORT_MSG_MAX]; /* FS_OPEN: fs_resp + fs_stat */
	struct fs_resp r;
	handle_t hv[PORT_HANDLES_MAX];
	struct port_msg m = {.data = msg, .len = (uint32_t)sizeof(*q) + pl};
	struct port_rx rx = {.buf = ans,
			     .cap = sizeof(ans),
			     .handles = hv,
			     .hcap = PORT_HANDLES_MAX};
	*h = 0;
	if (sys_port_call(ep, &m, &rx, DEADLINE_NONE) < 0)
		return -1000;
	for (uint32_t i = 1; i < rx.nhandles; i++)
		sys_handle_close(hv[i]);
	if (rx.len < sizeof(r))
		return -1002;
	memcpy(&r, ans, sizeof(r));
	if (!r.err && rx.nhandles)
		*h = hv[0];
	return r.err ? r.err : (*h ? 0 : -1001);
}

#define MAXF 160
static int files(handle_t back, handle_t pub)
{
	static handle_t got[MAXF];
	uint32_t n = 0;
	char p[32];
	snprintf(p, sizeof(p), "/tmp/h%llu",
		 (unsigned long long)execrt_handle(START_H_SELF_TASK));
	for (int k = 0; k < 2; k++) {
		struct fs_req q = {.op = FS_CONNECT, .a = FS_PROTO_VERSION};
		handle_t c;
		if (call(pub, &q, NULL, &c))
			break;
		while (n < MAXF) {
			struct fs_req o = {.op = FS_OPEN,
					   .flags = FS_O_READ | FS_O_CREATE,
					   .a = 0644};
			if (call(c, &o, p, &got[n]))
				break; /* EMFILE: this connection's or task's */
			n++;
		}
	}
	for (uint32_t i = 0; i < n; i += 8) {
		uint32_t k = n - i < 8 ? n - i : 8;
		struct port_msg m = {.data = "f",
				     .len = 1,
				     .nhandles = k,
				     .handles = got + i};
		if (sys_port_send(back, &m, DEADLINE_NONE) < 0)
			return 103;
	}
	return (int)n;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 100;
	handle_t back = (handle_t)strtoull(argv[1], NULL, 0);
	struct cl_conn cc;
	if (cl_connect(FS_SVC_NAME, DEADLINE_POLL, &cc) != CL_OK)
		return 101;
	if (argc > 2 && !strcmp(argv[2], "files"))
		return files(back, cc.send);
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
