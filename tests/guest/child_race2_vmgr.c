/* guest-child-race2 "vmgr": the two workers allocate and release vmgr
 * shared buffers on one connection (docs/vmgr.md: the ledger, 16 MiB per
 * task by default). Each grant is closed at once, before its release:
 * nothing is held past a release (REVIEW-18 R4 is not what is tried). A
 * success whose answer shows the ledger past its limit is "over" too. */
#include <string.h>

#include <execrt/errors.h>
#include <execrt/rights.h>
#include <execrt/runtime.h>
#include <execrt/vmgr_proto.h>

#include "gutil.h"
#include "vmgr_call.h"
#include "race2_child.h"

static handle_t conn;
static uint64_t limit;

static long call(handle_t ep, uint32_t op, uint64_t a, handle_t give,
		 struct vmgr_resp *rs, handle_t *h, uint32_t *nh)
{
	return gvmgr_call(ep, op, a, give, rs, NULL, 0, h, nh);
}

static void close_all(handle_t *h, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		sys_handle_close(h[i]);
}

long r2_vmgr_setup(handle_t vmgr)
{
	handle_t h[PORT_HANDLES_MAX];
	uint32_t nh;
	struct vmgr_resp rs;
	handle_t me = g_dup(g_self(), RIGHT_WAIT | RIGHT_TRANSFER);
	if (!vmgr || !me)
		return 1;
	long r = call(vmgr, VMGR_CONNECT, 0, me, &rs, h, &nh);
	if (r || nh != 2) {
		close_all(h, nh);
		return 2;
	}
	conn = h[0];
	sys_handle_close(h[1]); /* the pager endpoint */
	if (call(conn, VMGR_INFO, 0, 0, &rs, h, &nh) || !rs.val)
		return 3;
	limit = rs.val;
	rep.cap[0] = limit / RACE2_VMGR_BUF;
	return 0;
}

void r2_vmgr_release(uint64_t id)
{
	handle_t h[PORT_HANDLES_MAX];
	uint32_t nh;
	struct vmgr_resp rs;
	long r = call(conn, VMGR_BUF_RELEASE, id, 0, &rs, h, &nh);
	close_all(h, nh);
	refused(r == 0, r);
}

void r2_vmgr_round(uint64_t r)
{
	handle_t h[PORT_HANDLES_MAX];
	uint32_t nh;
	struct vmgr_resp rs;
	if (r % 8 >= 5) {
		uint64_t id = take(0, r >> 8);
		if (id)
			r2_vmgr_release(id - 1);
		return;
	}
	long e = call(conn, VMGR_BUF_ALLOC, RACE2_VMGR_BUF, 0, &rs, h, &nh);
	close_all(h, nh); /* the grant: not kept */
	if (e == 0) {
		if (rs.val2 > limit)
			__atomic_add_fetch(&rep.over, 1, __ATOMIC_RELAXED);
		if (!got(0, rs.val + 1))
			r2_vmgr_release(rs.val);
	} else {
		__atomic_add_fetch(&rep.full[0], e == ERR_NO_MEMORY,
				   __ATOMIC_RELAXED);
		refused(e == ERR_NO_MEMORY, e);
	}
}
