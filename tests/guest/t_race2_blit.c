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

#include "gtest.h"
#include "race2_svc.h"

#define SUB "{\"cmd\":\"subscribe\",\"events\":[\"complete\"],\"port\":0}"

static struct race2_svc svc;
static struct race2_late late = {.json = SUB, .call = 1};

GTEST(race2_blitterd_request_after_session_end)
{
	if (g_ncpus() < 2)
		return;
	gtest_allow_growth();
	long r = race2_svc_start(&svc, "blitterd", "/svc/blitterd", CHILD_QUOTA,
				 0);
	handle_t prx = HANDLE_INVALID;
	if (r == 0)
		r = race2_late_subscribe(&svc, &late, &prx);
	/* This task's own 4 subscriptions (the task limit). */
	int subs = 0;
	for (int i = 0; i < 4 && r == 0; i++) {
		handle_t rx2, tx2;
		if (sys_port_create(0, &rx2, &tx2) < 0)
			break;
		if (cl_request_ex(&svc.pub, SUB, &tx2, 1, g_now() + 2000 * MS,
				  &svc.resp) == CL_OK)
			subs++;
		cl_resp_close(&svc.resp);
		sys_handle_close(rx2);
	}
	printf("    late subscribe on an ended session: %ld %s; this task's "
	       "subscriptions afterwards: %d of 4\n",
	       late.r, late.ans, subs);
	if (prx)
		sys_handle_close(prx);
	race2_svc_stop(&svc);
	GCHECK_OK(r);
	GCHECK_EQ(late.r, 0);
	GCHECK(strstr(late.ans, "NOT_FOUND") != NULL);
	GCHECK_EQ(subs, 4);
}
