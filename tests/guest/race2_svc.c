/* The Copperline-service fixture of the race2 tests (race2_svc.h). */
#include <stdio.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/rights.h>
#include <execrt/runtime.h>

#include "race2_svc.h"

long race2_svc_start(struct race2_svc *s, const char *prog, const char *path,
		     uint64_t quota, int with_sysinfo)
{
	char acl[64];
	long r = nenv_start(&s->env);
	if (r != 0)
		return r;
	s->client = nenv_mint(&s->env, 2);
	r = nenv_acl(&s->env, 2, "[]", "[\"*\"]");
	snprintf(acl, sizeof(acl), "[\"%s\"]", path);
	if (r == 0)
		r = nenv_acl(&s->env, 10, acl, "[]");
	if (r < 0)
		return r;
	handle_t h = nenv_mint(&s->env, 10);
	g_spawn_names = h;
	if (with_sysinfo)
		g_spawn_sysinfo = g_sysinfo();
	r = g_spawn(prog, "", quota, 0, &s->svc);
	g_spawn_sysinfo = HANDLE_INVALID;
	g_spawn_names = HANDLE_INVALID;
	sys_handle_close(h);
	if (r < 0)
		return r;
	cl_set_names(s->client);
	r = cl_connect(path, g_now() + 5000 * MS, &s->pub);
	cl_set_names(HANDLE_INVALID);
	return r;
}

long race2_svc_stop(struct race2_svc *s)
{
	int64_t st;
	long alive = -1;
	if (s->pub.send)
		cl_close(&s->pub);
	memset(&s->pub, 0, sizeof(s->pub));
	/* g_reap kills it when it does not end by itself. */
	if (s->svc.task)
		alive = g_reap(&s->svc, 1 * MS, &st) == ERR_TIMED_OUT ? 0 : -1;
	memset(&s->svc, 0, sizeof(s->svc));
	if (s->client)
		sys_handle_close(s->client);
	s->client = HANDLE_INVALID;
	nenv_stop(&s->env);
	return alive;
}

int64_t race2_svc_status(struct race2_svc *s, const char *key)
{
	int64_t v = -1;
	if (cl_request(&s->pub, "{\"cmd\":\"status\"}", &s->resp) == CL_OK)
		cl_resp_int(&s->resp, key, &v);
	cl_resp_close(&s->resp);
	return v;
}

static volatile int hog_stop, hog_on;

static int64_t hog(uint64_t arg)
{
	(void)arg;
	uint64_t end = g_now() + 500 * MS; /* never longer */
	hog_on = 1;
	while (!hog_stop && g_now() < end)
		;
	return 0;
}

/* The late call (raw system calls only: a thread without libc). */
static int64_t caller(uint64_t arg)
{
	struct race2_late *l = (struct race2_late *)arg;
	struct port_msg m = {.data = l->json,
			     .len = (uint32_t)strlen(l->json),
			     .handles = &l->port,
			     .nhandles = l->port ? 1 : 0};
	struct port_rx rx = {.buf = l->ans, .cap = sizeof(l->ans) - 1};
	l->r = sys_port_call(l->ses, &m, &rx, g_now() + 3000 * MS);
	if (l->r == 0)
		l->ans[rx.len] = 0;
	return 0;
}

long race2_late(handle_t svc_thread, struct race2_late *l)
{
	long r = sys_sched_affinity(g_sched(), svc_thread, 2);
	struct sched_params rt = {
		.cls = SCHED_CLASS_RT, .priority = 50, .cpu = 1};
	struct gthread t, c;
	hog_stop = hog_on = 0;
	l->r = -1;
	l->ans[0] = 0;
	/* This thread stays on CPU 0 (where each test starts); the hog
	 * inherits a mask with CPU 1 in it, then this one is pinned back. */
	handle_t self = execrt_handle(START_H_SELF_THREAD);
	if (r == 0)
		r = sys_sched_affinity(g_sched(), self, g_all_cpus());
	if (r == 0)
		r = gthread_start_sched(&t, hog, 0, &rt);
	g_pin_self();
	if (r < 0) {
		sys_handle_close(l->ses); /* as the race would */
		return r;
	}
	while (!hog_on)
		sys_yield();
	sys_sleep_until(g_now() + 5 * MS);
	if (l->call) {
		r = gthread_start(&c, caller, (uint64_t)l);
		sys_sleep_until(g_now() + 10 * MS); /* its call queued */
	} else {
		struct port_msg m = {.data = l->json,
				     .len = (uint32_t)strlen(l->json)};
		r = l->r = sys_port_send(l->ses, &m, DEADLINE_POLL);
	}
	sys_handle_close(l->ses); /* the notice: ahead */
	hog_stop = 1;
	gthread_join(&t, DEADLINE_NONE, NULL);
	if (l->call && r == 0)
		gthread_join(&c, DEADLINE_NONE, NULL);
	sys_sched_affinity(g_sched(), svc_thread, g_all_cpus());
	return r;
}

long race2_late_subscribe(struct race2_svc *s, struct race2_late *l,
			  handle_t *prx)
{
	handle_t ses = HANDLE_INVALID, ptx;
	long r = cl_request(&s->pub, "{\"cmd\":\"connect\"}", &s->resp);
	if (r == 0)
		ses = cl_resp_take_handle(&s->resp, 0);
	cl_resp_close(&s->resp);
	if (r == 0 && !ses)
		r = ERR_BAD_STATE;
	if (r == 0)
		r = sys_port_create(0, prx, &ptx);
	if (r < 0) {
		if (ses)
			sys_handle_close(ses);
		return r;
	}
	l->ses = ses;
	l->port = ptx;
	l->call = 1;
	return race2_late(s->svc.thread, l);
}
