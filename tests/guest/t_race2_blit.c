/* blitterd: a request of a session that has ended (the race that
 * t_race2_comp.c found in compositord). A session's no-senders notice
 * goes ahead of the messages queued before it (docs/ipc.md), so a call
 * queued just before the session's last handle went was handled after
 * the session's end: a subscription (or bound surface) it made was owned
 * by a session that no longer exists, never freed, and counted against
 * its task for good (4 subscriptions per task: one such call took one
 * for ever). Made certain: blitterd is held off its CPU by an RT thread
 * while a thread of this task calls subscribe on a session and this one
 * closes the session. Failed on the old code (the late subscribe
 * answered ok, the task's 4th subscription BUSY); now NOT_FOUND. */
#include <stdio.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/rights.h>

#include "cl_ports.h"
#include "gtest.h"
#include "gutil.h"
#include "names_env.h"

static struct names_env env;
static struct child blit;
static handle_t client;
static struct cl_conn pub;
static struct cl_resp resp;

static long start(void)
{
	long r = nenv_start(&env);
	if (r != 0)
		return r;
	client = nenv_mint(&env, 2);
	r = nenv_acl(&env, 2, "[]", "[\"*\"]");
	if (r == 0)
		r = nenv_acl(&env, 10, "[\"/svc/blitterd\"]", "[]");
	if (r < 0)
		return r;
	handle_t h = nenv_mint(&env, 10);
	g_spawn_names = h;
	r = g_spawn("blitterd", "", CHILD_QUOTA, 0, &blit);
	g_spawn_names = HANDLE_INVALID;
	sys_handle_close(h);
	if (r < 0)
		return r;
	cl_set_names(client);
	r = cl_connect("/svc/blitterd", g_now() + 5000 * MS, &pub);
	cl_set_names(HANDLE_INVALID);
	return r;
}

static void stop(void)
{
	int64_t st;
	if (pub.send)
		cl_close(&pub);
	memset(&pub, 0, sizeof(pub));
	if (blit.task) {
		sys_task_kill(blit.task, -1);
		g_reap(&blit, 2000 * MS, &st);
	}
	memset(&blit, 0, sizeof(blit));
	if (client)
		sys_handle_close(client);
	client = HANDLE_INVALID;
	nenv_stop(&env);
}

#define SUB "{\"cmd\":\"subscribe\",\"events\":[\"complete\"],\"port\":0}"

static volatile int hog_stop, hog_on;

static int64_t hog(uint64_t arg)
{
	uint64_t end = g_now() + 500 * MS; /* never longer */
	hog_on = 1;
	while (!hog_stop && g_now() < end)
		;
	return 0;
}

struct late {
	handle_t ses, port;
	char ans[256];
	long r;
};

/* The late call (raw system calls only: a thread without libc). */
static int64_t caller(uint64_t arg)
{
	struct late *l = (struct late *)arg;
	struct port_msg m = {.data = SUB,
			     .len = sizeof(SUB) - 1,
			     .handles = &l->port,
			     .nhandles = 1};
	struct port_rx rx = {.buf = l->ans, .cap = sizeof(l->ans) - 1};
	l->r = sys_port_call(l->ses, &m, &rx, g_now() + 3000 * MS);
	if (l->r == 0)
		l->ans[rx.len] = 0;
	return 0;
}

static struct late late;

static long late_subscribe(handle_t ses, handle_t port)
{
	late = (struct late){.ses = ses, .port = port, .r = -1};
	long r = sys_sched_affinity(g_sched(), blit.thread, 2);
	struct sched_params rt = {
		.cls = SCHED_CLASS_RT, .priority = 50, .cpu = 1};
	struct gthread t, c;
	hog_stop = hog_on = 0;
	handle_t self = execrt_handle(START_H_SELF_THREAD);
	if (r == 0)
		r = sys_sched_affinity(g_sched(), self, g_all_cpus());
	if (r == 0)
		r = gthread_start_sched(&t, hog, 0, &rt);
	g_pin_self(); /* back on CPU 0 (where each test starts) */
	if (r < 0)
		return r;
	while (!hog_on)
		sys_yield();
	sys_sleep_until(g_now() + 5 * MS);
	r = gthread_start(&c, caller, (uint64_t)&late);
	sys_sleep_until(g_now() + 10 * MS); /* its call queued */
	sys_handle_close(ses);		    /* the notice: ahead */
	hog_stop = 1;
	gthread_join(&t, DEADLINE_NONE, NULL);
	if (r == 0)
		gthread_join(&c, DEADLINE_NONE, NULL);
	sys_sched_affinity(g_sched(), blit.thread, g_all_cpus());
	return r;
}

GTEST(race2_blitterd_request_after_session_end)
{
	if (g_ncpus() < 2)
		return;
	gtest_allow_growth();
	long r = start();
	handle_t ses = HANDLE_INVALID, prx = HANDLE_INVALID, ptx;
	if (r == 0 &&
	    (r = cl_request(&pub, "{\"cmd\":\"connect\"}", &resp)) == 0)
		ses = cl_resp_take_handle(&resp, 0);
	cl_resp_close(&resp);
	if (r == 0)
		r = sys_port_create(0, &prx, &ptx);
	if (r == 0)
		r = ses ? late_subscribe(ses, ptx) : ERR_BAD_STATE;
	/* This task's own 4 subscriptions (the task limit). */
	int subs = 0;
	for (int i = 0; i < 4 && r == 0; i++) {
		handle_t rx2, tx2;
		if (sys_port_create(0, &rx2, &tx2) < 0)
			break;
		if (cl_request_ex(&pub, SUB, &tx2, 1, g_now() + 2000 * MS,
				  &resp) == CL_OK)
			subs++;
		cl_resp_close(&resp);
		sys_handle_close(rx2);
	}
	printf("    late subscribe on an ended session: %ld %s; this task's "
	       "subscriptions afterwards: %d of 4\n",
	       late.r, late.ans, subs);
	if (prx)
		sys_handle_close(prx);
	stop();
	GCHECK_OK(r);
	GCHECK_EQ(late.r, 0);
	GCHECK(strstr(late.ans, "NOT_FOUND") != NULL);
	GCHECK_EQ(subs, 4);
}
