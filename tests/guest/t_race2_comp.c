/* compositord's per-task limits (docs/graphics.md "Limits per client": 8
 * sessions, 16 layers per task) raced from two CPUs by an unprivileged
 * program (guest-child-race2, race2.h), as t_race2_limits.c does for
 * fsd, netd and the kernel. compositord runs as a child of the test with
 * a name service of the test's own (as in t_compositord.c). */
#include <stdio.h>
#include <string.h>

#include <execrt/comp_proto.h>
#include <execrt/errors.h>
#include <execrt/rights.h>

#include "gtest.h"
#include "gutil.h"
#include "race2_svc.h"
#include "race2_run.h"

#define KILLS 3

static struct race2_svc svc;

static long start(void)
{
	return race2_svc_start(&svc, "compositord", "/svc/compositord",
			       4 * CHILD_QUOTA, 1);
}

static long stop(void)
{
	return race2_svc_stop(&svc);
}

static int64_t status(const char *key)
{
	return race2_svc_status(&svc, key);
}

/* status key once it is want, or its last value after 2 s. */
static int64_t status_wait(const char *key, int64_t want)
{
	uint64_t end = g_now() + 2000 * MS;
	int64_t v;
	while ((v = status(key)) != want && g_now() < end)
		sys_sleep_until(g_now() + 5 * MS);
	return v;
}

/* This task makes a public layer and destroys it: 0 when both worked. */
static long other_layer(void)
{
	int64_t id = 0;
	long r = cl_request(&svc.pub, "{\"cmd\":\"create_layer\"}", &svc.resp);
	if (r == CL_OK)
		r = cl_resp_int(&svc.resp, "id", &id);
	cl_resp_close(&svc.resp);
	if (r != CL_OK)
		return r;
	char req[64];
	snprintf(req, sizeof(req), "{\"cmd\":\"destroy_layer\",\"id\":%lld}",
		 (long long)id);
	r = cl_request(&svc.pub, req, &svc.resp);
	cl_resp_close(&svc.resp);
	return r;
}

static const uint64_t kill_ms[KILLS] = {10, 40, 100};

GTEST(race2_compositord_sessions_and_layers_two_cpus)
{
	gtest_allow_growth();
	long r = start();
	int64_t sessions = r ? -1 : status("sessions");
	int64_t layers = r ? -1 : status("layers");
	struct race2_report p = {0};
	int64_t st = -1;
	uint64_t t0 = g_now();
	g_spawn_names = svc.client;
	for (int i = 0; i < KILLS && r == 0; i++) {
		struct race2_report k;
		int64_t kst;
		r = race2_run(RACE2_COMP, 20000, CHILD_QUOTA, kill_ms[i] * MS,
			      &k, &kst);
	}
	if (r == 0) {
		r = race2_run(RACE2_COMP, 2000, CHILD_QUOTA, 0, &p, &st);
		race2_print(RACE2_COMP, &p, st);
	}
	g_spawn_names = HANDLE_INVALID;
	printf("    comp: %llu ms in all\n",
	       (unsigned long long)((g_now() - t0) / MS));
	int64_t s2 = r ? -1 : status_wait("sessions", sessions);
	int64_t l2 = r ? -1 : status_wait("layers", layers);
	long other = r ? -1 : other_layer();
	printf("    compositord afterwards: sessions %lld -> %lld, layers %lld "
	       "-> %lld, another's layer %ld\n",
	       (long long)sessions, (long long)s2, (long long)layers,
	       (long long)l2, other);
	GCHECK_OK(stop());
	GCHECK_OK(r);
	GCHECK_EQ(st, 0);
	GCHECK_EQ(p.over, 0);
	GCHECK_EQ(p.other, 0);
	GCHECK(p.max[0] <= p.cap[0] && p.max[1] <= p.cap[1]);
	GCHECK(p.full[0] > 0 && p.full[1] > 0);
	GCHECK_EQ(s2, sessions);
	GCHECK_EQ(l2, layers);
	GCHECK_EQ(other, 0);
}

/* Found by the race above (a layer left after a run killed mid-way): a
 * session's no-senders notice goes ahead of the messages queued before
 * it (docs/ipc.md), so a create_layer sent just before the client's end
 * reached compositord after the session was gone and made a layer owned
 * by a session that no longer exists: never freed, counted against the
 * 64. Made certain here: compositord is held off its CPU by an RT
 * thread while this task sends create_layer on a session and closes
 * it. Failed on the old code (layers 0 -> 1, for good); now the late
 * request is refused (NOT_FOUND). */
static long late_request(handle_t ses)
{
	struct race2_late l = {.ses = ses,
			       .json = "{\"cmd\":\"create_layer\"}"};
	return race2_late(svc.svc.thread, &l); /* one-way */
}

GTEST(race2_compositord_request_after_session_end)
{
	if (g_ncpus() < 2)
		return;
	gtest_allow_growth();
	long r = start();
	int64_t layers = r ? -1 : status("layers");
	handle_t ses = HANDLE_INVALID;
	if (r == 0 &&
	    (r = cl_request(&svc.pub, "{\"cmd\":\"connect\"}", &svc.resp)) == 0)
		ses = cl_resp_take_handle(&svc.resp, 0);
	cl_resp_close(&svc.resp);
	if (r == 0)
		r = ses ? late_request(ses) : ERR_BAD_STATE;
	int64_t l2 = r ? -1 : status_wait("layers", layers);
	int64_t s2 = r ? -1 : status("sessions");
	printf("    create_layer sent, session closed: layers %lld -> %lld, "
	       "sessions %lld\n",
	       (long long)layers, (long long)l2, (long long)s2);
	GCHECK_OK(stop());
	GCHECK_OK(r);
	GCHECK_EQ(l2, layers);
	GCHECK_EQ(s2, 0);
}

/* A hole found here (docs/graphics.md "Public layers of ended tasks"):
 * a layer made on the public endpoint stays until destroyed, also once
 * the task that made it has ended. So a program that starts four
 * short-lived helpers, each making its 16 public layers and exiting,
 * filled compositord's 64, and every other client's create_layer was
 * BUSY "64 layers exist" (failed so on the old code). Now the layers stay
 * while nobody needs the room, and a create that finds the table full
 * takes the least recently used public layer of an ended maker. */
static long publ_helper(int64_t *made)
{
	handle_t recv, send;
	long r = sys_port_create(0, &recv, &send);
	if (r < 0)
		return r;
	struct child c;
	r = g_spawn_ex(RACE2_PROG, RACE2_PUBL " @ 0", CHILD_QUOTA, 0, send,
		       RIGHT_SAME, &c);
	int64_t st = -1;
	if (r == 0)
		r = g_reap(&c, 5000 * MS, &st);
	struct race2_report p = {0};
	struct port_rx rx = {.buf = &p, .cap = sizeof(p)};
	if (r == 0 && sys_port_recv(recv, &rx, DEADLINE_POLL) == 0)
		*made = (int64_t)p.ok[0];
	sys_handle_close(recv);
	if (r == 0 && st != 0)
		r = ERR_BAD_STATE;
	return r;
}

GTEST(race2_compositord_public_layers_of_ended_tasks)
{
	gtest_allow_growth();
	long r = start();
	int64_t made = 0;
	g_spawn_names = svc.client;
	for (int i = 0; i < 4 && r == 0; i++) {
		int64_t n = 0;
		r = publ_helper(&n);
		made += n;
	}
	g_spawn_names = HANDLE_INVALID;
	int64_t layers = r ? -1 : status("layers");
	int64_t kept = r ? -1 : status("reclaimed");
	long other = r ? -1 : other_layer();
	int64_t layers2 = r ? -1 : status("layers");
	int64_t reclaimed = r ? -1 : status("reclaimed");
	printf("    4 helpers made %lld public layers and ended; layers now "
	       "%lld (reclaimed %lld); another task's create_layer: %ld (%s); "
	       "then layers %lld, reclaimed %lld\n",
	       (long long)made, (long long)layers, (long long)kept, other,
	       other ? svc.resp.message : "ok", (long long)layers2,
	       (long long)reclaimed);
	GCHECK_OK(stop());
	GCHECK_OK(r);
	GCHECK_EQ(made, COMP_LAYERS_MAX);
	GCHECK_EQ(layers, COMP_LAYERS_MAX); /* kept while there is room */
	GCHECK_EQ(kept, 0);
	GCHECK_EQ(other, 0);
	GCHECK_EQ(reclaimed, 1); /* only what was needed */
	GCHECK_EQ(layers2, COMP_LAYERS_MAX - 1);
}
