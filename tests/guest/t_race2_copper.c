/* copperd: a request of a session that has ended (the race that
 * t_race2_comp.c found in compositord, t_race2_blit.c in blitterd). A
 * session's no-senders notice goes ahead of the messages queued before
 * it (docs/ipc.md), so a call queued just before the session's last
 * handle went was handled after the session's end: a subscription (or a
 * loaded program) it made was owned by a session that no longer exists
 * and stayed (one of the 16 subscribers for as long as its port lives).
 * Made certain as in t_race2_cop.c: copperd's server thread is held off
 * its CPU by an RT thread while a thread of this task calls subscribe on
 * a session and this one closes the session. Failed on the old code (the
 * late subscribe answered ok, `subscribers` 1 afterwards); now
 * NOT_FOUND. */
#include <stdio.h>
#include <string.h>

#include <execrt/errors.h>

#include "gtest.h"
#include "race2_svc.h"

#define SUB "{\"cmd\":\"subscribe\",\"events\":[\"state\"],\"port\":0}"

static struct race2_svc svc;
static struct race2_late late = {.json = SUB, .call = 1};

GTEST(race2_copperd_request_after_session_end)
{
	if (g_ncpus() < 2)
		return;
	gtest_allow_growth();
	long r = race2_svc_start(&svc, "copperd", "/svc/copperd", CHILD_QUOTA,
				 0);
	handle_t prx = HANDLE_INVALID;
	if (r == 0)
		r = race2_late_subscribe(&svc, &late, &prx);
	/* The late subscriber's port (prx) is still ours: had copperd
	 * taken it, it would stay counted. */
	int64_t subs = r ? -1 : race2_svc_status(&svc, "subscribers");
	printf("    late subscribe on an ended session: %ld %s; copperd's "
	       "subscribers afterwards: %lld\n",
	       late.r, late.ans, (long long)subs);
	if (prx)
		sys_handle_close(prx);
	race2_svc_stop(&svc);
	GCHECK_OK(r);
	GCHECK_EQ(late.r, 0);
	GCHECK(strstr(late.ans, "NOT_FOUND") != NULL);
	GCHECK_EQ(subs, 0);
}
