/* The task's connection to fsd (fs_int.h). Made on the first file call:
 * FS_CONNECT on START_H_FS (fsd's public endpoint, given by the parent),
 * else on /svc/fsd looked up through the name service (START_H_NAMES).
 * When fsd goes away (a call finds its port gone), fds opened from it fail
 * with ESTALE (fd_glue.c) and path calls connect to the new fsd and are
 * sent once more.
 *
 * Threads (REVIEW-18 R1): the message buffers and the connection state
 * are the task's one copy, so every call holds fs_lock from building the
 * request to reading the answer (fsd is single-threaded: the calls were
 * served one at a time anyway); a path call holds it across connecting
 * too. fd_glue.c holds it (fsc_lock) across a bulk window's use.
 */
#include <errno.h>
#include <string.h>

#include <execrt/runtime.h>

#include "cl_ports.h"
#include "fs_int.h"
#include "sock_int.h"

#define LOOKUP_WAIT_NS	  1000000000ull /* the first time: fsd may be starting */
#define RECONNECT_WAIT_NS 3000000000ull /* after fsd went away (supervisor) */
#define RETRY_NS	  5000000ull	/* the name still names the dead port */

static handle_t svc;   /* fsd's public endpoint (0: none yet) */
static bool svc_owned; /* looked up by us (START_H_FS is not ours to close) */
static bool start_svc_dead;
static handle_t conn;
static bool ever_connected;
static bool lookup_failed;

static int fs_lock; /* rtsk_spin_lock: held across a call */
static unsigned char txbuf[PORT_MSG_MAX];
static unsigned char rxbuf[PORT_MSG_MAX];

static uint64_t now_ns(void)
{
	long t = sys_clock_now();
	return t < 0 ? 0 : (uint64_t)t;
}

void fsc_lock(void)
{
	rtsk_spin_lock(&fs_lock);
}

void fsc_unlock(void)
{
	rtsk_spin_unlock(&fs_lock);
}

long fsc_call_locked(handle_t ep, struct fs_call *c)
{
	size_t l1 = c->path ? strlen(c->path) : 0;
	size_t l2 = c->path2 ? strlen(c->path2) : 0;
	size_t dl = c->req.data_len;
	c->hout = HANDLE_INVALID;
	c->outlen = 0;
	memset(&c->resp, 0, sizeof(c->resp));
	if (l1 > FS_PATH_MAX || l2 > FS_PATH_MAX)
		return -ENAMETOOLONG;
	if (sizeof(c->req) + l1 + l2 + dl > sizeof(txbuf))
		return -EINVAL;
	c->req.path_len = (uint16_t)l1;
	c->req.path2_len = (uint16_t)l2;
	size_t n = sizeof(c->req);
	memcpy(txbuf, &c->req, n);
	if (l1)
		memcpy(txbuf + n, c->path, l1);
	n += l1;
	if (l2)
		memcpy(txbuf + n, c->path2, l2);
	n += l2;
	if (dl)
		memcpy(txbuf + n, c->data, dl);
	n += dl;
	handle_t hs[PORT_HANDLES_MAX];
	struct port_msg m = {.data = txbuf, .len = (uint32_t)n};
	struct port_rx rx = {.buf = rxbuf,
			     .cap = sizeof(rxbuf),
			     .handles = hs,
			     .hcap = PORT_HANDLES_MAX};
	long r = sys_port_call(ep, &m, &rx, DEADLINE_NONE);
	if (r == ERR_PEER_CLOSED)
		return FSC_GONE;
	if (r < 0)
		return -(long)execrt_errno(r);
	for (uint32_t i = 1; i < rx.nhandles; i++)
		sys_handle_close(hs[i]);
	if (rx.len < sizeof(c->resp)) {
		if (rx.nhandles)
			sys_handle_close(hs[0]);
		return -EIO; /* not an fs_resp */
	}
	memcpy(&c->resp, rxbuf, sizeof(c->resp));
	c->resp.err = (int32_t)fsc_err(c->resp.err);
	uint32_t len = rx.len - (uint32_t)sizeof(c->resp);
	if (len > c->outcap)
		len = c->outcap;
	if (len && c->out)
		memcpy(c->out, rxbuf + sizeof(c->resp), len);
	c->outlen = len;
	if (rx.nhandles)
		c->hout = hs[0];
	return 0;
}

long fsc_call(handle_t ep, struct fs_call *c)
{
	fsc_lock();
	long r = fsc_call_locked(ep, c);
	fsc_unlock();
	return r;
}

/* FS_CONNECT on ep: 0 with conn set, FSC_GONE, or -errno. */
static long connect_on(handle_t ep)
{
	struct fs_call c = {.req = {.op = FS_CONNECT, .a = FS_PROTO_VERSION}};
	long r = fsc_call_locked(ep, &c);
	if (r < 0)
		return r;
	if (c.resp.err < 0 || !c.hout) {
		if (c.hout)
			sys_handle_close(c.hout);
		return c.resp.err < 0 ? c.resp.err : -EIO;
	}
	conn = c.hout;
	ever_connected = true;
	return 0;
}

static void drop_svc(void)
{
	if (svc && svc_owned)
		sys_handle_close(svc);
	if (svc && !svc_owned)
		start_svc_dead = true;
	svc = HANDLE_INVALID;
	svc_owned = false;
}

/* Connects, waiting for /svc/fsd up to wait_ns (0: only a poll). */
static long connect(uint64_t wait_ns)
{
	uint64_t deadline = now_ns() + wait_ns;
	if (!svc && !start_svc_dead && execrt_handle(START_H_FS)) {
		svc = execrt_handle(START_H_FS);
		svc_owned = false;
	}
	for (;;) {
		if (!svc) {
			struct cl_conn cc;
			if (cl_connect(FS_SVC_NAME,
				       wait_ns ? deadline : DEADLINE_POLL,
				       &cc) != CL_OK) {
				lookup_failed = true;
				return -ENOSYS;
			}
			svc = cc.send;
			svc_owned = true;
		}
		long r = connect_on(svc);
		if (r != FSC_GONE)
			return r;
		/* That fsd is gone; the name service may still name it
		 * until init tells it: ask again shortly. */
		drop_svc();
		if (now_ns() >= deadline)
			return -ENOSYS;
		sys_sleep_until(now_ns() + RETRY_NS);
	}
}

static void lost(void)
{
	if (conn)
		sys_handle_close(conn);
	conn = HANDLE_INVALID;
	drop_svc();
}

static long path_call_locked(struct fs_call *c)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		if (!conn) {
			/* Wait for fsd only while it may be coming: at the
			 * first call and after it went away. */
			uint64_t w = attempt ? RECONNECT_WAIT_NS
				     : !ever_connected && !lookup_failed
					     ? LOOKUP_WAIT_NS
					     : 0;
			long r = connect(w);
			if (r < 0)
				return r;
		}
		long r = fsc_call_locked(conn, c);
		if (r != FSC_GONE)
			return r < 0 ? r : c->resp.err;
		lost();
	}
	return -EIO;
}

long fsc_path_call(struct fs_call *c)
{
	fsc_lock();
	long r = path_call_locked(c);
	fsc_unlock();
	return r;
}

handle_t fsc_svc(void)
{
	if (!svc && !start_svc_dead)
		return execrt_handle(START_H_FS);
	return svc;
}

void execrt_fs_disconnect(void)
{
	fsc_lock();
	if (conn)
		sys_handle_close(conn);
	conn = HANDLE_INVALID;
	if (svc && svc_owned)
		sys_handle_close(svc);
	svc = HANDLE_INVALID;
	svc_owned = false;
	start_svc_dead = false;
	ever_connected = false;
	lookup_failed = false;
	fsc_unlock();
}
