/* One request to vmgr (docs/vmgr.md) from a guest test or child, raw
 * system calls only (so a worker thread without libc state may use it). */
#pragma once
#include <stdint.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/vmgr_proto.h>

#include "gutil.h"

/* Sends op with argument a on ep, moving give along (0: none). The
 * answer's handles land in h (room for PORT_HANDLES_MAX), their count in
 * *nh; the bytes after the response header go to more (at most more_cap;
 * more may be NULL). Returns the call's error, else vmgr's err. */
static inline long gvmgr_call(handle_t ep, uint32_t op, uint64_t a,
			      handle_t give, struct vmgr_resp *rs, void *more,
			      uint32_t more_cap, handle_t *h, uint32_t *nh)
{
	uint8_t ans[PORT_MSG_MAX];
	struct vmgr_req rq = {.op = op, .a = a};
	struct port_msg m = {.data = &rq,
			     .len = sizeof(rq),
			     .nhandles = give ? 1 : 0,
			     .handles = &give};
	struct port_rx rx = {.buf = ans,
			     .cap = sizeof(ans),
			     .handles = h,
			     .hcap = PORT_HANDLES_MAX};
	long r = sys_port_call(ep, &m, &rx, g_now() + 5000 * MS);
	*nh = r ? 0 : rx.nhandles;
	if (r < 0)
		return r;
	if (rx.len < sizeof(*rs))
		return ERR_BAD_STATE;
	memcpy(rs, ans, sizeof(*rs));
	uint32_t extra = rx.len - (uint32_t)sizeof(*rs);
	if (more)
		memcpy(more, ans + sizeof(*rs),
		       extra < more_cap ? extra : more_cap);
	return rs->err;
}
