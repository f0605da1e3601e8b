/* mem: the kernel's memory figures (ps.c's sh_mem), then every task's
 * memory as vmgr reports it (VMGR_USAGE, docs/vmgr.md): its quota, what
 * its account holds, the shared buffers on its vmgr ledgers and the pages
 * vmgr supplied to its lazily committed memory. Without /svc/vmgr only the
 * kernel's figures. */
#include <stdio.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/sys.h>
#include <execrt/vmgr_proto.h>

#include "psfmt.h"
#include "sh.h"

#define VMGR_WAIT_NS 200000000ull

static uint8_t ans[PORT_MSG_MAX];

/* One page of records after koid `after`: how many, or an error. */
static long usage_page(handle_t svc, uint64_t after)
{
	struct vmgr_req rq = {.op = VMGR_USAGE, .a = after};
	struct port_msg m = {.data = &rq, .len = sizeof(rq)};
	struct port_rx rx = {.buf = ans, .cap = sizeof(ans)};
	long r = sys_port_call(svc, &m, &rx,
			       (uint64_t)sys_clock_now() + VMGR_WAIT_NS);
	if (r < 0)
		return r;
	const struct vmgr_resp *rs = (const struct vmgr_resp *)ans;
	if (rx.len < sizeof(*rs))
		return ERR_INVALID_ARGS;
	if (rs->err)
		return rs->err;
	if (rx.len != sizeof(*rs) + rs->count * sizeof(struct vmgr_usage))
		return ERR_INVALID_ARGS;
	return rs->count;
}

void sh_mem_all(struct sh *s)
{
	sh_mem(s);
	struct cl_conn c;
	if (cl_connect(VMGR_NAME, (uint64_t)sys_clock_now() + VMGR_WAIT_NS,
		       &c) < 0) {
		printf("(no %s: per-task figures unavailable)\n", VMGR_NAME);
		return;
	}
	printf("%6s %-16s %9s %9s %9s %9s\n", "koid", "task", "quota", "used",
	       "shared", "lazy");
	uint64_t after = 0;
	for (;;) {
		long n = usage_page(c.send, after);
		if (n < 0) {
			printf("sh: mem: %s: %s\n", VMGR_NAME, err_name(n));
			s->status = SH_STATUS_ERROR;
			break;
		}
		const struct vmgr_usage *u =
			(const struct vmgr_usage *)(ans +
						    sizeof(struct vmgr_resp));
		for (long i = 0; i < n; i++) {
			char q[16], used[16], sh[16], lz[16];
			ps_fmt_bytes(q, sizeof(q), u[i].quota);
			ps_fmt_bytes(used, sizeof(used), u[i].used);
			ps_fmt_bytes(sh, sizeof(sh), u[i].shared);
			ps_fmt_bytes(lz, sizeof(lz), u[i].lazy_pages * 4096);
			printf("%6llu %-16.16s %9s %9s %9s %9s\n",
			       (unsigned long long)u[i].koid, u[i].name, q,
			       used, sh, lz);
			after = u[i].koid;
		}
		if (n < VMGR_USAGE_MAX)
			break;
	}
	cl_close(&c);
}
