/* names_env: see names_env.h. */
#include "names_env.h"

#include <stdio.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/rights.h>
#include <execrt/sys.h>

#include "cl_ports.h"

static struct cl_resp resp;

long nenv_start(struct names_env *e)
{
	memset(e, 0, sizeof(*e));
	handle_t recv, send0;
	long r = sys_port_create(0, &recv, &send0);
	if (r == ERR_NOT_SUPPORTED)
		return 1;
	if (r < 0)
		return r;
	sys_handle_close(send0); /* clients get minted endpoints only */
	if ((r = sys_handle_dup(recv, RIGHT_SAME, &e->recv)) < 0 ||
	    (r = sys_port_mint(e->recv, 1, &e->ctl)) < 0) {
		sys_handle_close(recv);
		nenv_stop(e);
		return r;
	}
	r = g_spawn_ex("names", "@", CHILD_QUOTA, 0, recv, RIGHT_SAME,
		       &e->names);
	if (r < 0) {
		sys_handle_close(recv);
		nenv_stop(e);
	}
	return r;
}

void nenv_stop(struct names_env *e)
{
	if (e->names.task) {
		int64_t st;
		sys_task_kill(e->names.task, -1);
		g_reap(&e->names, 2000 * MS, &st);
	}
	if (e->ctl)
		sys_handle_close(e->ctl);
	if (e->recv)
		sys_handle_close(e->recv);
	memset(e, 0, sizeof(*e));
}

handle_t nenv_mint(struct names_env *e, uint64_t badge)
{
	handle_t h = HANDLE_INVALID;
	if (sys_port_mint(e->recv, badge, &h) < 0)
		return HANDLE_INVALID;
	return h;
}

long nenv_expect(handle_t send, const char *json, const handle_t *h,
		 uint32_t nh, const char *code)
{
	struct cl_conn c = {.send = send};
	long r = cl_request_ex(&c, json, h, nh, g_now() + 2000 * MS, &resp);
	cl_resp_close(&resp);
	if (r == 0)
		return *code ? -100 : 0;
	if (r != CL_ERR_REMOTE && r != CL_ERR_DENIED)
		return r;
	if (strcmp(resp.code, code)) {
		printf("    %s: %s, wanted %s\n", json, resp.code,
		       *code ? code : "ok");
		return -101;
	}
	return 0;
}

long nenv_acl(struct names_env *e, uint64_t badge, const char *reg,
	      const char *look)
{
	char j[512];
	snprintf(j, sizeof(j),
		 "{\"cmd\":\"acl\",\"badge\":%llu,\"register\":%s,"
		 "\"lookup\":%s}",
		 (unsigned long long)badge, reg, look);
	return nenv_expect(e->ctl, j, NULL, 0, "");
}

long nenv_forget(struct names_env *e, uint64_t badge)
{
	char j[64];
	snprintf(j, sizeof(j), "{\"cmd\":\"forget\",\"badge\":%llu}",
		 (unsigned long long)badge);
	return nenv_expect(e->ctl, j, NULL, 0, "");
}
