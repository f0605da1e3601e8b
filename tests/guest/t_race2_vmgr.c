/* vmgr's per-client ledger (docs/vmgr.md: shared buffers, 16 MiB per
 * task by default, ERR_NO_MEMORY beyond) raced from two CPUs by an
 * unprivileged program (guest-child-race2 "vmgr", race2.h): its two
 * threads, one per CPU, allocate and release 512 KiB buffers on one
 * connection, closing each grant before its release; runs killed
 * mid-way. Afterwards no task has shared bytes on a ledger and this task
 * still gets a buffer. vmgr runs as a child on a port of the test's own
 * (as in t_vmgr.c), with a quota above the ledger so the ledger binds. */
#include <stdio.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/rights.h>
#include <execrt/vmgr_proto.h>

#include "gtest.h"
#include "gutil.h"
#include "vmgr_call.h"
#include "race2_run.h"

#define KILLS 3

static struct child vmgr;
static handle_t vsend;

static long call(handle_t ep, uint32_t op, uint64_t a, handle_t give,
		 struct vmgr_resp *rs, void *more, uint32_t more_cap,
		 handle_t *h, uint32_t *nh)
{
	return gvmgr_call(ep, op, a, give, rs, more, more_cap, h, nh);
}

/* Shared bytes on every ledger (the usage report, all of it). */
static int64_t shared_total(void)
{
	static struct vmgr_usage u[VMGR_USAGE_MAX];
	uint64_t after = 0, sum = 0;
	for (;;) {
		struct vmgr_resp rs;
		handle_t h[PORT_HANDLES_MAX];
		uint32_t nh;
		if (call(vsend, VMGR_USAGE, after, 0, &rs, u, sizeof(u), h,
			 &nh))
			return -1;
		for (uint32_t i = 0; i < rs.count && i < VMGR_USAGE_MAX; i++) {
			sum += u[i].shared;
			after = u[i].koid;
		}
		if (rs.count < VMGR_USAGE_MAX)
			return (int64_t)sum;
	}
}

static int64_t shared_wait_zero(void)
{
	uint64_t end = g_now() + 2000 * MS;
	int64_t v;
	while ((v = shared_total()) != 0 && g_now() < end)
		sys_sleep_until(g_now() + 5 * MS);
	return v;
}

/* This task: a connection and one buffer as big as the ledger. */
static long other_buffer(void)
{
	handle_t h[PORT_HANDLES_MAX];
	uint32_t nh;
	struct vmgr_resp rs;
	handle_t me = g_dup(g_self(), RIGHT_WAIT | RIGHT_TRANSFER);
	long r = call(vsend, VMGR_CONNECT, 0, me, &rs, NULL, 0, h, &nh);
	if (r || nh != 2)
		return r ? r : ERR_BAD_STATE;
	handle_t conn = h[0];
	sys_handle_close(h[1]);
	r = call(conn, VMGR_BUF_ALLOC, 16ull << 20, 0, &rs, NULL, 0, h, &nh);
	for (uint32_t i = 0; i < nh; i++)
		sys_handle_close(h[i]);
	sys_handle_close(conn); /* the connection's end releases it */
	return r;
}

static const uint64_t kill_ms[KILLS] = {10, 40, 100};

GTEST(race2_vmgr_ledger_two_cpus)
{
	gtest_allow_growth();
	handle_t recv;
	long r = sys_port_create(0, &recv, &vsend);
	if (r == 0) {
		g_spawn_sysinfo = g_sysinfo();
		r = g_spawn_ex("vmgr", "@", 48ull << 20, 0, recv, RIGHT_SAME,
			       &vmgr);
		g_spawn_sysinfo = HANDLE_INVALID;
		if (r < 0)
			sys_handle_close(recv);
	}
	struct race2_report p = {0};
	int64_t st = -1;
	uint64_t t0 = g_now();
	race2_give = vsend;
	for (int i = 0; i < KILLS && r == 0; i++) {
		struct race2_report k;
		int64_t kst;
		r = race2_run(RACE2_VMGR, 20000, CHILD_QUOTA, kill_ms[i] * MS,
			      &k, &kst);
	}
	if (r == 0) {
		r = race2_run(RACE2_VMGR, 400, CHILD_QUOTA, 0, &p, &st);
		race2_print(RACE2_VMGR, &p, st);
	}
	race2_give = HANDLE_INVALID;
	printf("    vmgr: %llu ms in all\n",
	       (unsigned long long)((g_now() - t0) / MS));
	int64_t shared = r ? -1 : shared_wait_zero();
	long other = r ? -1 : other_buffer();
	printf("    vmgr afterwards: shared bytes on ledgers %lld, another's "
	       "16 MiB buffer %ld\n",
	       (long long)shared, other);
	if (vmgr.task)
		g_reap(&vmgr, 0, NULL);
	sys_handle_close(vsend);
	GCHECK_OK(r);
	GCHECK_EQ(st, 0);
	GCHECK_EQ(p.over, 0);
	GCHECK_EQ(p.other, 0);
	GCHECK(p.cap[0] > 0 && p.max[0] <= p.cap[0]);
	GCHECK(p.full[0] > 0);
	GCHECK_EQ(shared, 0);
	GCHECK_EQ(other, 0);
}
