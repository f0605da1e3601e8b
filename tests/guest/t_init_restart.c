/* init restarting the services the system stands on, under a client:
 * fsd and vmgr killed and restarted while a thread calls them in a loop
 * (the call fails with ERR_PEER_CLOSED, never hangs; the new instance
 * answers), and vmgr given the manifest's ledger limits. The child init
 * and its fake name service are init_env.c's. */
#include <stdio.h>
#include <string.h>

#include <execrt/cpio.h>
#include <execrt/spawn.h>
#include <execrt/vmgr_proto.h>

#include "cl_ports.h"
#include "fsd_env.h"
#include "gtest.h"
#include "gutil.h"
#include "init_env.h"

/* fsd (docs/fsd.md) under init: killed by the supervisor (`kill`, as a
 * crash would) while a client thread calls in a loop: the call in flight
 * or the next one fails with ERR_PEER_CLOSED, never hangs; init starts it
 * again, it registers anew, and a new connection works (its /tmp is
 * empty, its /boot whole). Then `restart` the same way. */
static handle_t fsd_loop_file;
static int fsd_loop_stop, fsd_loop_calls;
static long fsd_loop_err;

static int64_t fsd_looper(uint64_t arg)
{
	(void)arg;
	struct fans a;
	while (!aload(&fsd_loop_stop)) {
		long r = fcall(fsd_loop_file, FS_PREAD, 0, 0, 0, 4, NULL, NULL,
			       NULL, 0, NULL, 0, &a);
		if (r < 0 || a.err) {
			fsd_loop_err = r < 0 ? r : 1000 + a.err;
			return 0;
		}
		__atomic_add_fetch(&fsd_loop_calls, 1, __ATOMIC_ACQ_REL);
	}
	return 0;
}

/* One instance's turn: connect, write, loop; then kill it with cmd. */
static void fsd_round(int gen, const char *how)
{
	handle_t pub = wait_reg(FS_SVC_NAME, gen, 5000 * MS);
	GCHECK(pub);
	handle_t c = fconnect(pub);
	GCHECK(c);
	struct fans a;
	GCHECK_OK(fcall(c, FS_STAT, 0, 0, 0, 0, "/tmp/keep", NULL, NULL, 0,
			NULL, 0, &a));
	GCHECK_EQ(a.err, -FS_ENOENT); /* a fresh /tmp */
	GCHECK_OK(fcall(c, FS_STAT, 0, 0, 0, 0, "/boot/share/motd", NULL, NULL,
			0, NULL, 0, &a));
	GCHECK_EQ(a.err, 0);
	GCHECK_OK(fcall(c, FS_OPEN, FS_O_READ | FS_O_WRITE | FS_O_CREATE, 0, 0,
			0, "/tmp/keep", NULL, NULL, 0, NULL, 0, &a));
	GCHECK_EQ(a.err, 0);
	fsd_loop_file = a.h[0];
	GCHECK_OK(fcall(fsd_loop_file, FS_WRITE, 0, 0, 0, 0, NULL, NULL, "data",
			4, NULL, 0, &a));
	fsd_loop_stop = fsd_loop_calls = 0;
	fsd_loop_err = 0;
	struct gthread th;
	GCHECK_OK(gthread_start(&th, fsd_looper, 0));
	while (aload(&fsd_loop_calls) < 20)
		sys_sleep_until(g_now() + 1 * MS);
	GCHECK_OK(ask_init("{\"cmd\":\"status\"}"));
	int64_t koid = status_field("fsd", "task");
	char req[64];
	if (!strcmp(how, "kill"))
		snprintf(req, sizeof(req), "{\"cmd\":\"kill\",\"task\":%lld}",
			 (long long)koid);
	else
		snprintf(req, sizeof(req), "{\"cmd\":\"%s\",\"name\":\"fsd\"}",
			 how);
	GCHECK_OK(ask_init(req));
	int64_t st;
	GCHECK_OK(gthread_join(&th, g_now() + 5000 * MS, &st));
	GCHECK_EQ(fsd_loop_err, ERR_PEER_CLOSED);
	GCHECK_ERR(
		fcall(c, FS_NOP, 0, 0, 0, 0, NULL, NULL, NULL, 0, NULL, 0, &a),
		ERR_PEER_CLOSED);
	sys_handle_close(fsd_loop_file);
	sys_handle_close(c);
}

GTEST(init_restarts_fsd_under_a_client)
{
	START("test-init-fsd.conf");
	fsd_round(1, "kill");
	fsd_round(2, "restart");
	handle_t pub = wait_reg(FS_SVC_NAME, 3, 5000 * MS);
	GCHECK(pub);
	handle_t c = fconnect(pub);
	GCHECK(c);
	sys_handle_close(c);
	GCHECK_OK(ask_init("{\"cmd\":\"status\"}"));
	GCHECK_EQ(status_field("fsd", "generation"), 3);
	STOP();
}

/* vmgr (docs/vmgr.md) under init, as fsd above: a client thread calls its
 * connection in a loop while init kills it (then restarts it); the call
 * in flight or the next fails with ERR_PEER_CLOSED, never hangs; a shared
 * buffer it handed out stays usable; the new instance registers again and
 * takes a new connection. */
static handle_t vmgr_loop_conn;
static int vmgr_loop_stop, vmgr_loop_calls;
static long vmgr_loop_err;

static long vmgr_call(handle_t ep, uint32_t op, uint64_t a, handle_t give,
		      struct vmgr_resp *rs, handle_t *got)
{
	struct vmgr_req rq = {.op = op, .a = a};
	handle_t h[PORT_HANDLES_MAX];
	struct port_msg m = {.data = &rq,
			     .len = sizeof(rq),
			     .nhandles = give ? 1 : 0,
			     .handles = &give};
	struct port_rx rx = {.buf = rs,
			     .cap = sizeof(*rs),
			     .handles = h,
			     .hcap = PORT_HANDLES_MAX};
	long r = sys_port_call(ep, &m, &rx, g_now() + 5000 * MS);
	for (uint32_t i = 0; !r && i < rx.nhandles; i++)
		if (got && i == 0)
			*got = h[0];
		else
			sys_handle_close(h[i]);
	return r ? r : rs->err;
}

static int64_t vmgr_looper(uint64_t arg)
{
	(void)arg;
	struct vmgr_resp rs;
	while (!aload(&vmgr_loop_stop)) {
		long r = vmgr_call(vmgr_loop_conn, VMGR_INFO, 0, 0, &rs, NULL);
		if (r) {
			vmgr_loop_err = r;
			return 0;
		}
		__atomic_add_fetch(&vmgr_loop_calls, 1, __ATOMIC_ACQ_REL);
	}
	return 0;
}

/* A failed check in vmgr_round: reported, and the round ends (the test
 * still stops init, so nothing it started outlives it). */
#define VCHECK(c)                                                              \
	do {                                                                   \
		if (!(c)) {                                                    \
			gtest_fail(__FILE__, __LINE__, #c);                    \
			return -1;                                             \
		}                                                              \
	} while (0)

/* The first start waits longer: init reads the whole initrd first, which
 * takes seconds on a loaded TCG host. */
#define VMGR_REG_NS (20000 * MS)

/* ask_init, asked again when the answer did not come in time (init is
 * busy restarting on a loaded host). */
static long ask_init_patient(const char *json)
{
	long r = CL_ERR_TIMEOUT;
	for (int i = 0; i < 3 && r == CL_ERR_TIMEOUT; i++)
		r = ask_init(json);
	return r;
}

/* The round's body; its handles go back through *conn and *buf, which
 * vmgr_round closes whatever happened. */
static int vmgr_round_in(int gen, const char *how, handle_t *conn,
			 handle_t *buf)
{
	handle_t pub = wait_reg(VMGR_NAME, gen, VMGR_REG_NS);
	VCHECK(pub);
	struct vmgr_resp rs;
	VCHECK(vmgr_call(pub, VMGR_CONNECT, 0,
			 g_dup(g_self(), RIGHT_WAIT | RIGHT_TRANSFER), &rs,
			 conn) == 0);
	VCHECK(*conn);
	VCHECK(vmgr_call(*conn, VMGR_BUF_ALLOC, PAGE, 0, &rs, buf) == 0);
	VCHECK(*buf);
	vmgr_loop_conn = *conn;
	vmgr_loop_stop = vmgr_loop_calls = 0;
	vmgr_loop_err = 0;
	struct gthread th;
	VCHECK(gthread_start(&th, vmgr_looper, 0) == 0);
	while (aload(&vmgr_loop_calls) < 20 && !vmgr_loop_err)
		sys_sleep_until(g_now() + 1 * MS);
	long r = ask_init_patient("{\"cmd\":\"status\"}");
	int64_t koid = r ? -1 : status_field("vmgr", "task");
	/* Seen once in a full run (fastpath off): a status without vmgr's
	 * task. Asked again, and said, rather than failing the round. */
	for (int i = 0; !r && koid <= 0 && i < 20; i++) {
		printf("    status has no vmgr task (%lld): asked again\n",
		       (long long)koid);
		sys_sleep_until(g_now() + 50 * MS);
		r = ask_init_patient("{\"cmd\":\"status\"}");
		koid = r ? -1 : status_field("vmgr", "task");
	}
	char req[64];
	if (!strcmp(how, "kill"))
		snprintf(req, sizeof(req), "{\"cmd\":\"kill\",\"task\":%lld}",
			 (long long)koid);
	else
		snprintf(req, sizeof(req), "{\"cmd\":\"%s\",\"name\":\"vmgr\"}",
			 how);
	if (!r)
		r = ask_init_patient(req);
	if (r) /* the looper must not outlive the round */
		__atomic_store_n(&vmgr_loop_stop, 1, __ATOMIC_RELEASE);
	int64_t st;
	long j = gthread_join(&th, g_now() + 10000 * MS, &st);
	if (r)
		printf("    init refused '%s' (vmgr task %lld): %ld\n", req,
		       (long long)koid, r);
	VCHECK(r == 0);
	VCHECK(j == 0);
	VCHECK(vmgr_loop_err == ERR_PEER_CLOSED);
	VCHECK(vmgr_call(*conn, VMGR_INFO, 0, 0, &rs, NULL) == ERR_PEER_CLOSED);
	/* The buffer outlives the instance that made it. */
	uint64_t addr = 0;
	VCHECK(sys_grant_map(g_self(), *buf, VM_PROT_READ | VM_PROT_WRITE, 0,
			     &addr) == 0);
	*(volatile uint32_t *)addr = 0x600d;
	uint32_t back = *(volatile uint32_t *)addr;
	sys_grant_unmap(g_self(), addr);
	VCHECK(back == 0x600d);
	return 0;
}

static int vmgr_round(int gen, const char *how)
{
	handle_t conn = 0, buf = 0;
	int bad = vmgr_round_in(gen, how, &conn, &buf);
	if (buf)
		sys_handle_close(buf);
	if (conn)
		sys_handle_close(conn);
	return bad;
}

static int vmgr_third(void)
{
	handle_t pub = wait_reg(VMGR_NAME, 3, VMGR_REG_NS);
	VCHECK(pub);
	struct vmgr_resp rs;
	handle_t conn = 0;
	VCHECK(vmgr_call(pub, VMGR_CONNECT, 0,
			 g_dup(g_self(), RIGHT_WAIT | RIGHT_TRANSFER), &rs,
			 &conn) == 0);
	sys_handle_close(conn);
	VCHECK(ask_init_patient("{\"cmd\":\"status\"}") == 0);
	VCHECK(status_field("vmgr", "generation") == 3);
	return 0;
}

GTEST(init_restarts_vmgr_under_a_client)
{
	START("test-init-vmgr.conf");
	if (!vmgr_round(1, "kill") && !vmgr_round(2, "restart"))
		vmgr_third();
	STOP();
}

/* Per-service ledger limits (docs/vmgr.md "Ledger limits"): init made
 * vmgr's port and sends each service's `shared` limit on its control
 * endpoint. The service itself (guest-init-svc, "vmgr" command) connects
 * and reports its limit, that a buffer over it is refused and one of it
 * is not, and that its own VMGR_SET_LIMIT sends change nothing. After a
 * vmgr restart the new instance has the limits again. */
static int64_t lim_check(const char *svc, int gen)
{
	handle_t pub = wait_reg(VMGR_NAME, gen, VMGR_REG_NS);
	handle_t s = wait_reg(svc, 1, VMGR_REG_NS);
	if (!pub || !s) {
		int n = aload(&env.ns.outlen);
		printf("    init said: %.*s\n", n, env.ns.outbuf);
		return -1;
	}
	handle_t give = g_dup(pub, RIGHT_SAME);
	struct cl_conn c = {.send = s};
	long r = cl_request_ex(&c, "{\"cmd\":\"vmgr\"}", &give, 1,
			       g_now() + 10000 * MS, &resp);
	if (r || !resp.ok || probe_int("err") != 0)
		return -2;
	return probe_int("limit");
}

/* Both services' 1M quotas are vmgr's loans (docs/vmgr.md "Who holds
 * the memory authority"): each has its whole quota, and vmgr's 4M pool
 * is charged both loans (1M less init's 64K base each). */
static int loans_seen(void)
{
	static struct task_stats ts[16];
	uint64_t after = 0, vmgr_used = 0;
	int lent = 0;
	long n;
	while ((n = sys_task_stats(g_sysinfo(), after, ts, 16)) > 0) {
		for (long i = 0; i < n; i++) {
			if (ts[i].state)
				continue;
			if (!strcmp(ts[i].name, "vmgr"))
				vmgr_used = ts[i].mem_used;
			if (!strcmp(ts[i].name, "guest-init-svc") &&
			    ts[i].mem_quota == 1 << 20)
				lent++;
		}
		after = ts[n - 1].koid;
	}
	if (vmgr_used < 2 * ((1 << 20) - (64 << 10))) {
		printf("    vmgr uses %llu bytes, %d services with 1M\n",
		       (unsigned long long)vmgr_used, lent);
		return 0;
	}
	return lent;
}

static void lim_body(void)
{
	for (int gen = 1; gen <= 2; gen++) {
		GCHECK_EQ(lim_check("/svc/lim", gen), 64 * 1024);
		GCHECK_EQ(probe_int("over"), ERR_NO_MEMORY);
		GCHECK_EQ(probe_int("within"), 0);
		GCHECK_EQ(probe_int("after"), 64 * 1024); /* not raised */
		GCHECK_EQ(lim_check("/svc/plain", gen), 16 << 20);
		GCHECK_EQ(probe_int("after"), 16 << 20);
		if (gen == 1)
			GCHECK_EQ(loans_seen(), 2);
		if (gen == 1)
			GCHECK_OK(ask_init_patient(
				"{\"cmd\":\"restart\",\"name\":\"vmgr\"}"));
	}
}

GTEST(init_gives_vmgr_the_manifest_ledger_limits)
{
	START("test-init-vmgr-limit.conf");
	lim_body();
	STOP();
}
