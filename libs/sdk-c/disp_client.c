/* disp_client: see disp_client.h. */
#include "disp_client.h"

#include <string.h>

#include <execrt/errors.h>
#include <execrt/rights.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>

#include "cl_ports.h"

#define CALL_NS 10000000000ull /* a present waits for the device */

static uint64_t now_ns(void)
{
	long t = sys_clock_now();
	return t < 0 ? 0 : (uint64_t)t;
}

static handle_t self(void)
{
	return execrt_handle(START_H_SELF_TASK);
}

/* One call: the request (+ rects), the answer's data into out (cap
 * bytes), handles into h. The answer's val, or an ERR_*. */
static long call(handle_t ep, const struct disp_req *q,
		 const struct disp_rect *r, void *out, uint32_t cap,
		 handle_t *h, uint32_t hcap, uint32_t *nh)
{
	static _Alignas(8) uint8_t msg[4096], ans[4096];
	uint32_t len = (uint32_t)sizeof(*q) + q->nrects * (uint32_t)sizeof(*r);
	memcpy(msg, q, sizeof(*q));
	if (q->nrects)
		memcpy(msg + sizeof(*q), r, q->nrects * sizeof(*r));
	struct port_msg m = {.data = msg, .len = len};
	struct port_rx rx = {
		.buf = ans, .cap = sizeof(ans), .handles = h, .hcap = hcap};
	long e = sys_port_call(ep, &m, &rx, now_ns() + CALL_NS);
	if (e < 0)
		return e;
	struct disp_resp resp;
	if (rx.len < sizeof(resp))
		return ERR_NOT_SUPPORTED;
	memcpy(&resp, ans, sizeof(resp));
	if (nh)
		*nh = rx.nhandles;
	if (resp.err < 0 || resp.len > rx.len - sizeof(resp) ||
	    resp.len > cap) {
		for (uint32_t i = 0; i < rx.nhandles; i++)
			sys_handle_close(h[i]);
		if (nh)
			*nh = 0;
		return resp.err < 0 ? resp.err : ERR_NOT_SUPPORTED;
	}
	if (out && resp.len)
		memcpy(out, ans + sizeof(resp), resp.len);
	return (long)resp.val;
}

int disp_open(struct disp_client *c, uint64_t deadline)
{
	memset(c, 0, sizeof(*c));
	for (;;) {
		struct cl_conn pub;
		cl_err_t e = cl_connect(DISP_SVC_NAME, deadline, &pub);
		if (e < 0)
			return e == CL_ERR_TIMEOUT ? ERR_TIMED_OUT
						   : ERR_NOT_FOUND;
		struct disp_req q = {.op = DISP_CONNECT,
				     .a = DISP_PROTO_VERSION};
		handle_t h[PORT_HANDLES_MAX];
		uint32_t nh = 0;
		long r = call(pub.send, &q, NULL, NULL, 0, h, PORT_HANDLES_MAX,
			      &nh);
		cl_close(&pub);
		/* A driver that died leaves its name behind until the new
		 * one registers: look it up again. */
		if (r == ERR_PEER_CLOSED && now_ns() < deadline) {
			sys_sleep_until(now_ns() + 20000000ull);
			continue;
		}
		if (r < 0)
			return (int)r;
		if (nh != 1) {
			for (uint32_t i = 0; i < nh; i++)
				sys_handle_close(h[i]);
			return ERR_NOT_SUPPORTED;
		}
		c->conn = h[0];
		return 0;
	}
}

void disp_unmap(struct disp_client *c)
{
	for (uint32_t i = 0; i < c->ngrants; i++)
		sys_handle_close(c->grant[i]);
	for (uint32_t i = 0; i < c->ngrants; i++)
		if (c->map[i])
			sys_grant_unmap(self(), c->map[i]);
	c->ngrants = 0;
	memset(c->map, 0, sizeof(c->map));
	memset(&c->geom, 0, sizeof(c->geom));
	memset(c->buf, 0, sizeof(c->buf));
}

void disp_close(struct disp_client *c)
{
	disp_unmap(c);
	if (c->conn)
		sys_handle_close(c->conn);
	c->conn = HANDLE_INVALID;
}

int disp_outputs(struct disp_client *c, struct disp_output *out, uint32_t max)
{
	struct disp_output o[DISP_OUTPUTS_MAX];
	struct disp_req q = {.op = DISP_OUTPUTS};
	long n = call(c->conn, &q, NULL, o, sizeof(o), NULL, 0, NULL);
	if (n < 0)
		return (int)n;
	memcpy(out, o, (n < max ? (uint32_t)n : max) * sizeof(*o));
	return (int)n;
}

int disp_modes(struct disp_client *c, uint32_t output, struct disp_mode *m,
	       uint32_t max)
{
	struct disp_mode all[DISP_MODES_MAX];
	struct disp_req q = {.op = DISP_MODES, .output = output};
	long n = call(c->conn, &q, NULL, all, sizeof(all), NULL, 0, NULL);
	if (n < 0)
		return (int)n;
	memcpy(m, all, (n < max ? (uint32_t)n : max) * sizeof(*m));
	return (int)n;
}

int disp_set_mode(struct disp_client *c, uint32_t mode)
{
	disp_unmap(c);
	struct disp_req q = {
		.op = DISP_SET_MODE, .output = c->output, .a = mode};
	long r = call(c->conn, &q, NULL, NULL, 0, NULL, 0, NULL);
	return r < 0 ? (int)r : 0;
}

int disp_buffers(struct disp_client *c, uint32_t count)
{
	return disp_buffers_ex(c, count, 0);
}

int disp_buffers_ex(struct disp_client *c, uint32_t count, uint32_t flags)
{
	disp_unmap(c);
	struct disp_req q = {.op = DISP_BUFFERS,
			     .output = c->output,
			     .a = count,
			     .flags = flags};
	struct disp_buffers g;
	handle_t h[PORT_HANDLES_MAX];
	uint32_t nh = 0;
	long r = call(c->conn, &q, NULL, &g, sizeof(g), h, PORT_HANDLES_MAX,
		      &nh);
	if (r < 0)
		return (int)r;
	if (nh != g.count * g.nchunks ||
	    nh > DISP_BUFFERS_MAX * DISP_CHUNKS_MAX) {
		for (uint32_t i = 0; i < nh; i++)
			sys_handle_close(h[i]);
		return ERR_NOT_SUPPORTED;
	}
	memcpy(c->grant, h, nh * sizeof(h[0]));
	c->ngrants = nh;
	/* Each buffer's chunk 0 anywhere, its next chunks right after it
	 * (the hint is taken when that range is free). */
	uint32_t mapped = 0;
	for (uint32_t i = 0; i < nh; i++, mapped++) {
		uint32_t b = i / g.nchunks, k = i % g.nchunks;
		uint64_t at = k ? (uint64_t)c->buf[b] + k * g.chunk_size : 0;
		uint64_t got = 0;
		r = sys_grant_map(self(), h[i], VM_PROT_READ | VM_PROT_WRITE,
				  at, &got);
		if (r == 0 && at && got != at) {
			sys_grant_unmap(self(), got);
			r = ERR_NO_RESOURCES;
		}
		if (r < 0)
			break;
		c->map[i] = got;
		if (!k)
			c->buf[b] = (uint8_t *)got;
	}
	if (r < 0) {
		for (uint32_t i = 0; i < mapped; i++)
			sys_grant_unmap(self(), c->map[i]);
		goto fail;
	}
	c->geom = g;
	return 0;
fail:
	for (uint32_t i = 0; i < nh; i++)
		sys_handle_close(h[i]);
	c->ngrants = 0;
	memset(c->map, 0, sizeof(c->map));
	memset(c->buf, 0, sizeof(c->buf));
	return (int)r;
}

int disp_present(struct disp_client *c, uint32_t buf, const struct disp_rect *r,
		 uint32_t n, uint32_t flags, struct disp_frame *f)
{
	if (n > DISP_RECTS_MAX)
		return ERR_INVALID_ARGS;
	struct disp_req q = {.op = DISP_PRESENT,
			     .output = c->output,
			     .a = buf,
			     .flags = flags,
			     .nrects = n};
	struct disp_frame fr;
	long e = call(c->conn, &q, r, &fr, sizeof(fr), NULL, 0, NULL);
	if (e < 0)
		return (int)e;
	if (f)
		*f = fr;
	return 0;
}

int disp_wait_frame(struct disp_client *c, uint64_t after, struct disp_frame *f)
{
	struct disp_req q = {
		.op = DISP_WAIT_FRAME, .output = c->output, .arg = after};
	struct disp_frame fr;
	long e = call(c->conn, &q, NULL, &fr, sizeof(fr), NULL, 0, NULL);
	if (e < 0)
		return (int)e;
	if (f)
		*f = fr;
	return 0;
}
