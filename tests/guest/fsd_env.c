/* fsd_env: see fsd_env.h. */
#include "fsd_env.h"

#include <stdio.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/rights.h>
#include <execrt/sys.h>

#include "cl_ports.h"
#include "gtest.h"

#define FSD_QUOTA    (16ull << 20)
#define LOOKUP_BADGE 2

static uint64_t next_badge = 100;

static long lookup(struct fsd_env *e)
{
	struct cl_conn c;
	cl_set_names(e->lookup);
	long r = cl_connect(FS_SVC_NAME, g_now() + 5000 * MS, &c);
	if (r == 0) {
		e->pub = c.send;
		r = cl_connect(FS_SVC_DEV_NAME, g_now() + 5000 * MS, &c);
		if (r == 0)
			e->devpub = c.send;
	}
	cl_set_names(HANDLE_INVALID);
	return r;
}

static long start_fsd(struct fsd_env *e, const char *args)
{
	e->badge = next_badge++;
	long r =
		nenv_acl(&e->ns, e->badge,
			 "[\"" FS_SVC_NAME "\",\"" FS_SVC_DEV_NAME "\"]", "[]");
	if (r < 0)
		return r;
	handle_t rd = g_dup(g_initrd(), RIGHT_SAME);
	if (!rd)
		return ERR_NO_MEMORY;
	char a[160];
	snprintf(a, sizeof(a), "--initrd @ %s", args);
	g_spawn_names = nenv_mint(&e->ns, e->badge);
	g_spawn_sysinfo = g_sysinfo(); /* as etc/services.conf gives it */
	r = g_spawn_ex("fsd", a, FSD_QUOTA, 0, rd, RIGHT_SAME, &e->fsd);
	g_spawn_sysinfo = HANDLE_INVALID;
	sys_handle_close(g_spawn_names);
	g_spawn_names = HANDLE_INVALID;
	if (r < 0) {
		sys_handle_close(rd);
		return r;
	}
	return lookup(e);
}

long fenv_start(struct fsd_env *e, const char *args)
{
	memset(e, 0, sizeof(*e));
	long r = nenv_start(&e->ns);
	if (r != 0)
		return r;
	e->lookup = nenv_mint(&e->ns, LOOKUP_BADGE);
	if (!e->lookup ||
	    (r = nenv_acl(&e->ns, LOOKUP_BADGE, "[]", "[\"*\"]")) < 0 ||
	    (r = start_fsd(e, args)) < 0) {
		fenv_stop(e);
		return r < 0 ? r : ERR_NO_MEMORY;
	}
	return 0;
}

static void stop_fsd(struct fsd_env *e)
{
	int64_t st;
	if (e->fsd.task) {
		sys_task_kill(e->fsd.task, -1);
		g_reap(&e->fsd, 2000 * MS, &st);
	}
	if (e->pub)
		sys_handle_close(e->pub);
	if (e->devpub)
		sys_handle_close(e->devpub);
	e->pub = e->devpub = HANDLE_INVALID;
	memset(&e->fsd, 0, sizeof(e->fsd));
}

void fenv_stop(struct fsd_env *e)
{
	stop_fsd(e);
	if (e->lookup)
		sys_handle_close(e->lookup);
	nenv_stop(&e->ns);
	memset(e, 0, sizeof(*e));
}

long fenv_restart(struct fsd_env *e, const char *args)
{
	stop_fsd(e);
	long r = nenv_forget(&e->ns, e->badge);
	return r < 0 ? r : start_fsd(e, args);
}

long fcall(handle_t ep, uint32_t op, uint32_t flags, uint64_t x, uint64_t y,
	   uint64_t z, const char *p1, const char *p2, const void *data,
	   uint32_t dlen, const handle_t *hs, uint32_t nh, struct fans *a)
{
	uint8_t msg[PORT_MSG_MAX + 64];
	struct fs_req q = {.op = op, .flags = flags, .a = x, .b = y, .c = z};
	q.path_len = p1 ? (uint16_t)strlen(p1) : 0;
	q.path2_len = p2 ? (uint16_t)strlen(p2) : 0;
	q.data_len = dlen;
	uint32_t len = sizeof(q);
	memcpy(msg, &q, sizeof(q));
	if (len + q.path_len + q.path2_len + dlen > sizeof(msg))
		return ERR_INVALID_ARGS;
	if (p1)
		memcpy(msg + len, p1, q.path_len);
	len += q.path_len;
	if (p2)
		memcpy(msg + len, p2, q.path2_len);
	len += q.path2_len;
	if (dlen)
		memcpy(msg + len, data, dlen);
	len += dlen;
	static _Thread_local uint8_t ans[PORT_MSG_MAX];
	struct port_msg m = {
		.data = msg, .len = len, .nhandles = nh, .handles = hs};
	struct port_rx rx = {.buf = ans,
			     .cap = sizeof(ans),
			     .handles = a->h,
			     .hcap = PORT_HANDLES_MAX};
	long r = sys_port_call(ep, &m, &rx, g_now() + 10000 * MS);
	if (r < 0)
		return r;
	struct fs_resp resp;
	if (rx.len < sizeof(resp))
		return ERR_BAD_STATE;
	memcpy(&resp, ans, sizeof(resp));
	a->err = resp.err;
	a->flags = resp.flags;
	a->val = resp.val;
	a->len = rx.len - (uint32_t)sizeof(resp);
	a->nh = rx.nhandles;
	memcpy(a->data, ans + sizeof(resp), a->len);
	return 0;
}

handle_t fconnect(handle_t pub)
{
	static struct fans a;
	if (fcall(pub, FS_CONNECT, 0, FS_PROTO_VERSION, 0, 0, NULL, NULL, NULL,
		  0, NULL, 0, &a) < 0 ||
	    a.err || a.nh != 1)
		return HANDLE_INVALID;
	return a.h[0];
}

/* ---- the tests' client (t_fsd*.c) ---- */

struct fsd_env fe;
struct fans fa;
handle_t fc;
static struct cl_resp resp;

long fs_h(handle_t ep, uint32_t op, uint32_t fl, uint64_t a, uint64_t b,
	  uint64_t c, const char *p1, const char *p2, const void *d,
	  uint32_t dl, const handle_t *hs, uint32_t nh)
{
	long r = fcall(ep, op, fl, a, b, c, p1, p2, d, dl, hs, nh, &fa);
	return r < 0 ? KE(r) : fa.err;
}

long fs(handle_t ep, uint32_t op, uint32_t fl, uint64_t a, uint64_t b,
	uint64_t c, const char *p1, const char *p2)
{
	return fs_h(ep, op, fl, a, b, c, p1, p2, NULL, 0, NULL, 0);
}

long fs_write(handle_t f, const void *d, uint32_t n)
{
	return fs_h(f, FS_WRITE, 0, 0, 0, 0, NULL, NULL, d, n, NULL, 0);
}

/* Opens path: the file's endpoint, or 0 with *err. */
handle_t fs_open(const char *p, uint32_t fl, long *err)
{
	*err = fs(fc, FS_OPEN, fl, 0644, 0, 0, p, NULL);
	return *err == 0 && fa.nh == 1 ? fa.h[0] : HANDLE_INVALID;
}

/* A number from fsd's JSON status (-1 if it cannot be had). */
int64_t fs_status(const char *field)
{
	struct cl_conn c = {.send = fe.pub};
	int64_t v = -1;
	if (cl_request(&c, "{\"cmd\":\"status\"}", &resp) == 0)
		cl_resp_int(&resp, field, &v);
	cl_resp_close(&resp);
	return v;
}

/* fs_status(field) once it equals want (a dead task's handles may close a
 * moment after its end is seen), or its last value after 2 s. */
int64_t fs_status_wait(const char *field, int64_t want)
{
	uint64_t end = g_now() + 2000 * MS;
	int64_t v;
	while ((v = fs_status(field)) != want && g_now() < end)
		sys_sleep_until(g_now() + 2 * MS);
	return v;
}

long fs_setup(const char *args)
{
	long r = fenv_start(&fe, args);
	if (r)
		return r;
	fc = fconnect(fe.pub);
	return fc ? 0 : ERR_BAD_STATE;
}

void fs_teardown(void)
{
	if (fc)
		sys_handle_close(fc);
	fc = HANDLE_INVALID;
	fenv_stop(&fe);
}
