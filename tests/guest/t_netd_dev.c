/* netd with a real network device (docs/net.md "Devices"): iod starts the
 * virtio-net driver for QEMU's user network (check.sh's virtio-net block
 * adds `-netdev user -device virtio-net-pci`; without one the test skips),
 * the driver attaches to a real netd (a child task), and netd's DHCP
 * client gets QEMU's answer: eth0 = 10.0.2.15/24, gateway 10.0.2.2, DNS
 * 10.0.2.3, as `ifconfig` shows. Then netd is killed and started again:
 * the driver attaches to the new one, which gets the address again; then
 * iod (and its driver) are killed: netd drops eth0 on the connection's
 * no-senders notice. The harness checks the kernel's counters after. */
#include <stdio.h>
#include <string.h>

#include <execrt/cpio.h>
#include <execrt/errors.h>
#include <execrt/net_proto.h>
#include <execrt/rights.h>
#include <execrt/spawn.h>
#include <execrt/sys.h>

#include "cl_ports.h"
#include "gtest.h"
#include "gutil.h"
#include "iod_env.h"
#include "names_env.h"

#define IOD_BADGE    60
#define CLIENT_BADGE 2
#define NETD_BADGE   10
#define NETD_QUOTA   (24ull << 20)

static struct names_env env;
static handle_t client, log_recv, log_send;
static struct execrt_child iod;
static struct child netd;
static struct cl_resp resp;

/* iod as in t_netdev.c (no I/O ports): it starts the driver for the
 * device. */
static long spawn_iod(void)
{
	return iod_env_spawn(&iod, nenv_mint(&env, IOD_BADGE), log_send, "iod",
			     false);
}

static void kill_iod(void)
{
	iod_env_kill(&iod);
}

static long spawn_netd(void)
{
	handle_t h = nenv_mint(&env, NETD_BADGE);
	g_spawn_names = h;
	long r = g_spawn("netd", "", NETD_QUOTA, 0, &netd);
	g_spawn_names = HANDLE_INVALID;
	sys_handle_close(h);
	return r;
}

static void kill_netd(void)
{
	int64_t st;
	if (netd.task) {
		sys_task_kill(netd.task, -1);
		g_reap(&netd, 2000 * MS, &st);
	}
	memset(&netd, 0, sizeof(netd));
}

/* iod's log is not read; it only must not block iod. */
static void drain_log(void)
{
	iod_env_drain(log_recv, DEADLINE_POLL, NULL, 0, NULL);
}

static long setup(void)
{
	gtest_allow_growth();
	memset(&iod, 0, sizeof(iod));
	memset(&netd, 0, sizeof(netd));
	if (!execrt_handle(START_H_PCI) || !g_initrd_buf ||
	    !iod_env_have_virtio_net())
		return 1;
	long r = nenv_start(&env);
	if (r != 0)
		return r;
	client = nenv_mint(&env, CLIENT_BADGE);
	if ((r = nenv_acl(&env, CLIENT_BADGE, "[]", "[\"*\"]")) < 0 ||
	    (r = nenv_acl(&env, IOD_BADGE, "[\"/svc/iod\",\"/svc/iod-ctl\"]",
			  "[\"*\"]")) < 0 ||
	    (r = nenv_acl(&env, NETD_BADGE, "[\"/svc/netd\",\"/drv/netd\"]",
			  "[]")) < 0)
		return r;
	if ((r = sys_port_create(0, &log_recv, &log_send)) < 0)
		return r;
	if ((r = spawn_netd()) < 0)
		return r;
	return spawn_iod();
}

static void teardown(void)
{
	kill_iod();
	kill_netd();
	drain_log();
	handle_t *hs[] = {&log_recv, &log_send, &client};
	for (unsigned i = 0; i < 3; i++)
		if (*hs[i])
			sys_handle_close(*hs[i]);
	log_recv = log_send = client = 0;
	nenv_stop(&env);
}

/* netd's JSON cmd into resp (a fresh lookup each time: netd restarts). */
static long ask(const char *cmd)
{
	struct cl_conn c = {0};
	char json[64];
	snprintf(json, sizeof(json), "{\"cmd\":\"%s\"}", cmd);
	cl_set_names(client);
	long r = cl_connect(NET_SVC_NAME, g_now() + 5000 * MS, &c);
	cl_set_names(HANDLE_INVALID);
	if (r == 0) {
		r = cl_request(&c, json, &resp);
		cl_close(&c);
	}
	return r;
}

static int find_if(const char *name)
{
	int arr = json_find(&resp.doc, resp.result, "interfaces");
	for (int i = 0; arr >= 0; i++) {
		int e = json_index(&resp.doc, arr, i);
		if (e < 0)
			return -1;
		int n = json_find(&resp.doc, e, "name");
		if (n >= 0 && json_str_eq(&resp.doc, n, name))
			return e;
	}
	return -1;
}

static bool is(int obj, const char *key, const char *want)
{
	int t = json_find(&resp.doc, obj, key);
	return t >= 0 && json_str_eq(&resp.doc, t, want);
}

static int64_t num(int obj, const char *key)
{
	int64_t v = -1;
	int t = json_find(&resp.doc, obj, key);
	if (t < 0 || json_int(&resp.doc, t, &v) < 0)
		return -1;
	return v;
}

/* Waits (ms) for eth0 to hold a DHCP address: its token in resp, or -1. */
static int wait_dhcp(uint32_t ms)
{
	uint64_t end = g_now() + ms * MS;
	do {
		drain_log();
		if (ask("ifconfig") == 0) {
			int e = find_if("eth0");
			if (e >= 0 && (num(e, "flags") & NET_IF_DHCP))
				return e;
		}
		sys_sleep_until(g_now() + 100 * MS);
	} while (g_now() < end);
	return -1;
}

static bool qemu_lease(int e)
{
	int64_t want = NET_IF_UP | NET_IF_LINK | NET_IF_DHCP;
	/* check.sh runs QEMU's user net with restrict=on: its DHCP then
	 * names no router and no DNS server. */
	bool full = is(e, "gateway", "10.0.2.2") && is(e, "dns", "10.0.2.3");
	bool restricted =
		is(e, "gateway", "0.0.0.0") && is(e, "dns", "0.0.0.0");
	bool ok = is(e, "addr", "10.0.2.15") && num(e, "prefix") == 24 &&
		  (full || restricted) && is(e, "mac", "52:54:00:12:34:56") &&
		  num(e, "flags") == want && num(e, "rx_packets") >= 2 &&
		  num(e, "tx_packets") >= 2;
	if (!ok)
		printf("    eth0: %.*s\n", (int)resp.len, resp.buf);
	return ok;
}

static void body(void)
{
	int e = wait_dhcp(20000);
	GCHECK(e >= 0);
	GCHECK(qemu_lease(e));

	/* netd dies: the driver's HOLD ends, it attaches to the new netd. */
	kill_netd();
	GCHECK_OK(spawn_netd());
	e = wait_dhcp(20000);
	GCHECK(e >= 0);
	GCHECK(qemu_lease(e));
	int64_t v = 0;
	GCHECK_OK(ask("status"));
	GCHECK_OK(cl_resp_int(&resp, "dev_attaches", &v));
	GCHECK_EQ(v, 1);
	int devs = json_find(&resp.doc, resp.result, "devices");
	int d0 = devs >= 0 ? json_index(&resp.doc, devs, 0) : -1;
	GCHECK(d0 >= 0);
	GCHECK(is(d0, "name", "eth0") && is(d0, "driver", "virtio-net"));
	GCHECK(num(d0, "rx_frames") >= 2 && num(d0, "tx_frames") >= 2);
	GCHECK_EQ(num(d0, "ring_violations"), 0);

	/* The driver dies with iod: eth0 goes on the no-senders notice. */
	kill_iod();
	uint64_t end = g_now() + 5000 * MS;
	bool gone = false;
	while (!gone && g_now() < end) {
		GCHECK_OK(ask("ifconfig"));
		gone = find_if("eth0") < 0 && find_if("lo") >= 0;
		if (!gone)
			sys_sleep_until(g_now() + 50 * MS);
	}
	GCHECK(gone);
	GCHECK_OK(ask("status"));
	GCHECK_OK(cl_resp_int(&resp, "dev_detaches", &v));
	GCHECK_EQ(v, 1);
}

GTEST(netdev_netd_dhcp_restart_detach)
{
	long r = setup();
	if (r == 1) {
		teardown();
		printf("    skipped: no virtio-net device\n");
		return;
	}
	if (r == 0)
		body();
	teardown();
	GCHECK_OK(r);
}
