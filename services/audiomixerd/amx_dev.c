/* amx_dev: see amx_dev.h. */
#include "amx_dev.h"

#include <string.h>

#include <execrt/errors.h>
#include <execrt/ipc.h>
#include <execrt/rights.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>

#include "cl_ports.h"

#define CALL_NS 2000000000ull

static uint64_t now(void)
{
	long t = sys_clock_now();
	return t < 0 ? 0 : (uint64_t)t;
}

/* One call: the answer's data into out (up to cap), its handles into h.
 * The answer's val, or ERR_*. */
static long call(handle_t ep, const struct audio_req *q, handle_t attach,
		 void *out, uint32_t cap, handle_t *h, uint32_t *nh)
{
	_Alignas(8) uint8_t ans[256];
	handle_t hs[PORT_HANDLES_MAX];
	struct port_msg m = {.data = q,
			     .len = sizeof(*q),
			     .handles = attach ? &attach : NULL,
			     .nhandles = attach ? 1 : 0};
	struct port_rx rx = {.buf = ans,
			     .cap = sizeof(ans),
			     .handles = hs,
			     .hcap = PORT_HANDLES_MAX};
	long e = sys_port_call(ep, &m, &rx, now() + CALL_NS);
	if (e < 0)
		return e;
	struct audio_resp resp;
	long r = ERR_NOT_SUPPORTED;
	if (rx.len >= sizeof(resp)) {
		memcpy(&resp, ans, sizeof(resp));
		if (resp.err < 0)
			r = resp.err;
		else if (resp.len <= rx.len - sizeof(resp) && resp.len >= cap)
			r = (long)resp.val;
	}
	if (r >= 0 && out)
		memcpy(out, ans + sizeof(resp), cap);
	for (uint32_t i = 0; i < rx.nhandles; i++) {
		if (r >= 0 && h && i == 0)
			*h = hs[0];
		else
			sys_handle_close(hs[i]);
	}
	if (nh)
		*nh = r >= 0 ? rx.nhandles : 0;
	return r;
}

long amx_dev_connect(struct amx_dev *d, uint64_t deadline)
{
	memset(d, 0, sizeof(*d));
	struct cl_conn pub;
	cl_err_t e = cl_connect(AUDIO_SVC_NAME, deadline, &pub);
	if (e < 0)
		return e == CL_ERR_TIMEOUT ? ERR_TIMED_OUT : ERR_NOT_FOUND;
	struct audio_req q = {.op = AUDIO_CONNECT, .a = AUDIO_PROTO_VERSION};
	uint32_t nh = 0;
	long r = call(pub.send, &q, 0, NULL, 0, &d->conn, &nh);
	cl_close(&pub);
	if (r >= 0 && nh < 1)
		r = ERR_NOT_SUPPORTED;
	if (r < 0)
		return r;
	q.op = AUDIO_INFO;
	r = call(d->conn, &q, 0, &d->info, sizeof(d->info), NULL, NULL);
	if (r < 0) {
		sys_handle_close(d->conn);
		d->conn = HANDLE_INVALID;
	}
	d->info.name[sizeof(d->info.name) - 1] = 0;
	return r < 0 ? r : 0;
}

long amx_dev_open(struct amx_dev *d, const struct audio_fmt *fmt,
		  handle_t notice)
{
	struct audio_req q = {.op = AUDIO_OPEN, .fmt = *fmt};
	uint32_t nh = 0;
	long r = call(d->conn, &q, notice, &d->geo, sizeof(d->geo), &d->ring_h,
		      &nh);
	if (r < 0)
		return r;
	if (nh < 1 || d->geo.fmt.channels != fmt->channels ||
	    d->geo.fmt.format != AUDIO_FMT_S16LE ||
	    d->geo.fmt.rate != fmt->rate || !d->geo.fmt.period_frames ||
	    d->geo.fmt.period_frames % 4 || d->geo.fmt.periods < 2 ||
	    d->geo.frame_bytes != 2u * fmt->channels ||
	    d->geo.ring_bytes != d->geo.fmt.periods * d->geo.fmt.period_frames *
					 d->geo.frame_bytes) {
		r = ERR_NOT_SUPPORTED; /* not what we can feed */
		goto fail;
	}
	uint64_t at = 0;
	r = sys_grant_map(execrt_handle(START_H_SELF_TASK), d->ring_h,
			  VM_PROT_READ | VM_PROT_WRITE, 0, &at);
	if (r < 0)
		goto fail;
	d->ring = (uint8_t *)at;
	return 0;
fail:
	if (d->ring_h)
		sys_handle_close(d->ring_h);
	d->ring_h = HANDLE_INVALID;
	q.op = AUDIO_CLOSE;
	call(d->conn, &q, 0, NULL, 0, NULL, NULL);
	return r;
}

long amx_dev_cmd(struct amx_dev *d, uint32_t op)
{
	struct audio_req q = {.op = op};
	return call(d->conn, &q, 0, NULL, 0, NULL, NULL);
}

long amx_dev_position(struct amx_dev *d, struct audio_pos *pos)
{
	struct audio_req q = {.op = AUDIO_POSITION};
	return call(d->conn, &q, 0, pos, sizeof(*pos), NULL, NULL);
}

void amx_dev_close(struct amx_dev *d)
{
	if (d->ring)
		sys_grant_unmap(execrt_handle(START_H_SELF_TASK),
				(uint64_t)d->ring);
	if (d->ring_h)
		sys_handle_close(d->ring_h);
	if (d->conn) {
		amx_dev_cmd(d, AUDIO_CLOSE);
		sys_handle_close(d->conn);
	}
	memset(d, 0, sizeof(*d));
}
