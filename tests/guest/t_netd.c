/* netd (servers/netd, docs/net.md) as a child task against a real name
 * service: the test acts as init (a badge allowed to register /svc/netd
 * and /drv/netd). It asks the JSON requests (ping, status, ifconfig:
 * lo is there with 127.0.0.1/8), sends garbage and binary requests nobody
 * serves on both endpoints and checks netd still answers. The harness
 * checks the kernel's counters afterwards (netd's memory all returned). */
#include <string.h>

#include <execrt/errors.h>
#include <execrt/net_proto.h>
#include <execrt/netdev_proto.h>
#include <execrt/rights.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>

#include "cl_ports.h"
#include "gtest.h"
#include "gutil.h"
#include "names_env.h"
#include "netring/netring.h"

#define NETD_QUOTA (24ull << 20) /* lwIP's static pools: about 7 MiB */

static struct cl_resp resp;
static struct names_env env;
static struct child netd;
static handle_t client;

static long netd_start(const char *args)
{
	long r = nenv_start(&env);
	if (r != 0)
		return r;
	client = nenv_mint(&env, 2);
	r = nenv_acl(&env, 2, "[]", "[\"*\"]");
	if (r == 0)
		r = nenv_acl(&env, 10, "[\"/svc/netd\",\"/drv/netd\"]", "[]");
	if (r < 0)
		return r;
	handle_t h = nenv_mint(&env, 10);
	g_spawn_names = h;
	r = g_spawn("netd", args, NETD_QUOTA, 0, &netd);
	g_spawn_names = HANDLE_INVALID;
	sys_handle_close(h);
	return r;
}

static void netd_stop(void)
{
	int64_t st;
	if (netd.task) {
		sys_task_kill(netd.task, -1);
		g_reap(&netd, 2000 * MS, &st);
	}
	memset(&netd, 0, sizeof(netd));
	if (client)
		sys_handle_close(client);
	client = HANDLE_INVALID;
	nenv_stop(&env);
}

static long netd_connect(const char *name, struct cl_conn *c)
{
	cl_set_names(client);
	long r = cl_connect(name, g_now() + 5000 * MS, c);
	cl_set_names(HANDLE_INVALID);
	return r;
}

/* The interface named name in resp's "interfaces" array: its token. */
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

static bool field_is(int obj, const char *key, const char *want)
{
	int t = json_find(&resp.doc, obj, key);
	return t >= 0 && json_str_eq(&resp.doc, t, want);
}

static int64_t field_int(int obj, const char *key)
{
	int64_t v = -1;
	int t = json_find(&resp.doc, obj, key);
	if (t < 0 || json_int(&resp.doc, t, &v) < 0)
		return -1;
	return v;
}

static struct cl_conn c, dev;

static void json_body(void)
{
	GCHECK_OK(netd_connect(NET_SVC_NAME, &c));
	GCHECK_OK(netd_connect(NETDEV_SVC_NAME, &dev));

	GCHECK_OK(cl_request(&c, "{\"cmd\":\"ping\"}", &resp));
	char s[32];
	GCHECK_OK(cl_resp_str(&resp, "name", s, sizeof(s)));
	GCHECK(!strcmp(s, "netd"));
	GCHECK_OK(cl_resp_str(&resp, "lwip", s, sizeof(s)));
	GCHECK(!strcmp(s, "2.1.3"));
	int64_t v = 0;
	GCHECK_OK(cl_resp_int(&resp, "net_proto", &v));
	GCHECK_EQ(v, NET_PROTO_VERSION);
	/* The device endpoint answers JSON too. */
	GCHECK_OK(cl_request(&dev, "{\"cmd\":\"ping\"}", &resp));

	GCHECK_OK(cl_request(&c, "{\"cmd\":\"ifconfig\"}", &resp));
	int lo = find_if("lo");
	GCHECK(lo >= 0);
	GCHECK(field_is(lo, "addr", "127.0.0.1"));
	GCHECK_EQ(field_int(lo, "prefix"), 8);
	GCHECK_EQ(field_int(lo, "flags"),
		  NET_IF_UP | NET_IF_LINK | NET_IF_LOOP);
	GCHECK(find_if("eth0") < 0); /* no device attached */

	GCHECK_OK(cl_request(&c, "{\"cmd\":\"status\"}", &resp));
	GCHECK_OK(cl_resp_int(&resp, "interfaces", &v));
	GCHECK_EQ(v, 1);
	GCHECK_OK(cl_resp_int(&resp, "json_requests", &v));
	GCHECK_EQ(v, 4); /* ping twice, ifconfig, this status */
	GCHECK_OK(cl_resp_int(&resp, "lwip_mem_size", &v));
	GCHECK(v >= 1 << 20);
	GCHECK_OK(cl_resp_int(&resp, "tcp_pcb.avail", &v));
	GCHECK_EQ(v, 512);

	/* Errors, and netd still serves. */
	GCHECK_ERR(cl_request(&c, "{\"cmd\":\"nope\"}", &resp), CL_ERR_REMOTE);
	GCHECK(!strcmp(resp.code, "BAD_CMD"));
	static const char bad[] = "{\"cmd\":";
	GCHECK_ERR(cl_request_raw(&c, bad, sizeof(bad) - 1, NULL, 0,
				  g_now() + 5000 * MS, &resp),
		   CL_ERR_REMOTE);
	GCHECK(!strcmp(resp.code, "BAD_JSON"));
	GCHECK_OK(cl_request(&c, "{\"cmd\":\"ping\"}", &resp));

	/* A program's lookups (limited to the /svc/ prefix, as the shell's) do
	 * not reach the drivers' endpoint (REVIEW-17 F6). */
	handle_t prog = nenv_mint(&env, 3);
	GCHECK(prog != HANDLE_INVALID);
	long r = nenv_acl(&env, 3, "[]", "[\"/svc/*\"]");
	struct cl_conn x = {0};
	cl_set_names(prog);
	long l1 = r < 0 ? r : cl_connect(NET_SVC_NAME, g_now() + 2000 * MS, &x);
	if (l1 == 0)
		cl_close(&x);
	long l2 = r < 0 ? r : cl_connect(NETDEV_SVC_NAME, DEADLINE_POLL, &x);
	if (l2 == 0)
		cl_close(&x);
	cl_set_names(HANDLE_INVALID);
	sys_handle_close(prog);
	GCHECK_OK(r);
	GCHECK_OK(l1);
	GCHECK_ERR(l2, CL_ERR_DENIED);
}

static void close_conns(void)
{
	if (c.send)
		cl_close(&c);
	if (dev.send)
		cl_close(&dev);
	memset(&c, 0, sizeof(c));
	memset(&dev, 0, sizeof(dev));
	netd_stop();
}

GTEST(netd_json_ping_status_ifconfig_lo)
{
	long r = netd_start("");
	if (r == 0)
		json_body();
	close_conns();
	GCHECK_OK(r);
}

/* Binary requests nobody serves get an error answer; short ones too. */
static void binary_body(void)
{
	GCHECK_OK(netd_connect(NETDEV_SVC_NAME, &dev));
	GCHECK_OK(netd_connect(NET_SVC_NAME, &c));
	static const uint8_t junk[3] = {9, 9, 9};
	struct netdev_req q = {.op = 77};
	const void *bodies[] = {junk, &q};
	const uint32_t lens[] = {sizeof(junk), sizeof(q)};
	for (int i = 0; i < 2; i++) {
		char ans[64];
		struct port_msg m = {.data = bodies[i], .len = lens[i]};
		struct port_rx rx = {.buf = ans, .cap = sizeof(ans)};
		GCHECK_OK(
			sys_port_call(dev.send, &m, &rx, g_now() + 5000 * MS));
		GCHECK(rx.len >= sizeof(struct netdev_resp));
		struct netdev_resp r;
		memcpy(&r, ans, sizeof(r));
		GCHECK(r.err < 0);
	}
	/* An attach without its two handles. */
	struct {
		struct netdev_req q;
		struct netdev_attach a;
	} at = {.q = {.op = NETDEV_ATTACH,
		      .a = NETDEV_PROTO_VERSION,
		      .len = sizeof(struct netdev_attach)}};
	char ans[64];
	struct port_msg m = {.data = &at, .len = sizeof(at)};
	struct port_rx rx = {.buf = ans, .cap = sizeof(ans)};
	GCHECK_OK(sys_port_call(dev.send, &m, &rx, g_now() + 5000 * MS));
	struct netdev_resp r;
	memcpy(&r, ans, sizeof(r));
	GCHECK(r.err < 0);
	GCHECK_OK(cl_request(&c, "{\"cmd\":\"status\"}", &resp));
	int64_t v = 0;
	GCHECK_OK(cl_resp_int(&resp, "bad_requests", &v));
	GCHECK_EQ(v, 3);
}

GTEST(netd_refuses_malformed_binary_requests)
{
	long r = netd_start("");
	if (r == 0)
		binary_body();
	close_conns();
	GCHECK_OK(r);
}

/* ---- the test as a network driver of the real netd ----
 * It makes a region of its own memory (libnetring, NETRING_DRIVER),
 * attaches it on /drv/netd, and checks: the answer (index, bell bit,
 * connection, netd's doorbell), ARP answered through the rings for a
 * --static address, attaches refused for a grant smaller than claimed and
 * a bad geometry, DETACH, and a revoke under netd's feet: netd survives
 * (its fault handler), drops the interface and keeps serving. */
#define DRV_SLOTS 16
#define DRV_RX	  8

static struct {
	handle_t grant, bell, conn, netd_bell;
	uint8_t *mem;
	size_t size;
	struct netring nr;
	uint64_t bell_bits;
	uint32_t index;
} drv;

static void drv_free(void)
{
	if (drv.mem)
		sys_grant_unmap(g_self(), (uint64_t)drv.mem);
	handle_t *hs[] = {&drv.grant, &drv.bell, &drv.conn, &drv.netd_bell};
	for (unsigned i = 0; i < 4; i++)
		if (*hs[i])
			sys_handle_close(*hs[i]);
	memset(&drv, 0, sizeof(drv));
}

/* Attaches a fresh region whose grant is grant_len bytes while the
 * attach claims the geometry's size: netd's error, or 0. */
static long drv_attach(struct cl_conn *d, size_t grant_len, uint32_t nslots)
{
	drv_free();
	drv.size = netring_region_size(DRV_SLOTS);
	uint64_t at = 0;
	long r = sys_grant_create(g_self(), 0, grant_len,
				  VM_PROT_READ | VM_PROT_WRITE, &drv.grant);
	if (r == 0)
		r = sys_grant_map(g_self(), drv.grant,
				  VM_PROT_READ | VM_PROT_WRITE, 0, &at);
	drv.mem = (uint8_t *)at;
	if (r == 0 && grant_len >= drv.size) {
		netring_format(drv.mem, drv.size, DRV_SLOTS, DRV_RX);
		netring_open(&drv.nr, drv.mem, drv.size, DRV_SLOTS, DRV_RX,
			     NETRING_DRIVER);
		netring_set_link(&drv.nr, true);
	}
	if (r == 0)
		r = sys_notif_create(&drv.bell);
	handle_t give[2] = {0, 0};
	if (r == 0)
		r = sys_handle_dup(drv.grant,
				   RIGHT_READ | RIGHT_WRITE | RIGHT_MAP |
					   RIGHT_TRANSFER,
				   &give[0]);
	if (r == 0)
		r = sys_handle_dup(drv.bell, RIGHT_SIGNAL | RIGHT_TRANSFER,
				   &give[1]);
	if (r < 0)
		return r;
	struct {
		struct netdev_req q;
		struct netdev_attach a;
	} m = {.q = {.op = NETDEV_ATTACH,
		     .a = NETDEV_PROTO_VERSION,
		     .len = sizeof(struct netdev_attach)},
	       .a = {.name = "guest-test",
		     .where = "nowhere",
		     .mac = {0x02, 0, 0, 0, 0, 0x42},
		     .mtu = 1500,
		     .nslots = nslots,
		     .nrx = DRV_RX,
		     .region_size = (uint32_t)drv.size}};
	struct {
		struct netdev_resp r;
		struct netdev_attach_ans a;
	} ans = {0};
	handle_t hs[PORT_HANDLES_MAX];
	struct port_msg pm = {
		.data = &m, .len = sizeof(m), .nhandles = 2, .handles = give};
	struct port_rx rx = {.buf = &ans,
			     .cap = sizeof(ans),
			     .handles = hs,
			     .hcap = PORT_HANDLES_MAX};
	r = sys_port_call(d->send, &pm, &rx, g_now() + 5000 * MS);
	if (r < 0)
		return r;
	if (ans.r.err)
		return ans.r.err;
	if (rx.len != sizeof(ans) || rx.nhandles != 2)
		return ERR_BAD_STATE;
	drv.conn = hs[0];
	drv.netd_bell = hs[1];
	drv.bell_bits = ans.a.bell;
	drv.index = (uint32_t)ans.r.val;
	return 0;
}

/* An ARP request for 10.5.0.2 in; netd's answer (opcode 2) out. */
static bool drv_arp(void)
{
	uint8_t f[60] = {0};
	static const uint8_t peer[6] = {0x02, 0, 0, 0, 0, 7};
	memset(f, 0xff, 6);
	memcpy(f + 6, peer, 6);
	f[12] = 0x08, f[13] = 0x06, f[15] = 1, f[16] = 0x08, f[18] = 6;
	f[19] = 4, f[21] = 1;
	memcpy(f + 22, peer, 6);
	memcpy(f + 28, (uint8_t[]){10, 5, 0, 1}, 4);
	memcpy(f + 38, (uint8_t[]){10, 5, 0, 2}, 4);
	memcpy(netring_slot(&drv.nr, 0), f, sizeof(f));
	if (netring_put(&drv.nr, NETRING_RX_READY, 0, sizeof(f)) < 0 ||
	    sys_notif_signal(drv.netd_bell, drv.bell_bits) < 0)
		return false;
	uint64_t end = g_now() + 3000 * MS;
	while (g_now() < end) {
		uint64_t bits = 0;
		sys_notif_wait(drv.bell, NETDEV_BELL_TX, g_now() + 100 * MS,
			       &bits);
		struct netdev_ent e;
		while (netring_get(&drv.nr, NETRING_TX_READY, &e) == 1) {
			const uint8_t *o = netring_slot(&drv.nr, e.slot);
			bool reply = e.len >= 42 && o[12] == 0x08 &&
				     o[13] == 0x06 && o[21] == 2 &&
				     !memcmp(o, peer, 6) &&
				     !memcmp(o + 28, f + 38, 4);
			netring_put(&drv.nr, NETRING_TX_DONE, e.slot, 0);
			if (reply)
				return true;
		}
	}
	return false;
}

static void drv_body(void)
{
	GCHECK_OK(netd_connect(NETDEV_SVC_NAME, &dev));
	GCHECK_OK(netd_connect(NET_SVC_NAME, &c));
	size_t size = netring_region_size(DRV_SLOTS);
	/* A grant smaller than the region claimed, a bad geometry. */
	GCHECK_ERR(drv_attach(&dev, 4096, DRV_SLOTS), ERR_INVALID_ARGS);
	GCHECK_ERR(drv_attach(&dev, size, 12), ERR_INVALID_ARGS);
	GCHECK_OK(drv_attach(&dev, size, DRV_SLOTS));
	GCHECK_EQ(drv.bell_bits, 1ull << drv.index);
	GCHECK(drv.index >= 1 && drv.index <= 15);
	GCHECK(drv_arp());
	GCHECK_OK(cl_request(&c, "{\"cmd\":\"ifconfig\"}", &resp));
	int e = find_if("eth0");
	GCHECK(e >= 0 && field_is(e, "addr", "10.5.0.2"));
	GCHECK(field_is(e, "mac", "02:00:00:00:00:42"));

	/* DETACH: answered 0, eth0 gone; the connection is dead after. */
	struct netdev_req q = {.op = NETDEV_DETACH};
	struct netdev_resp r = {.err = 1};
	struct port_msg pm = {.data = &q, .len = sizeof(q)};
	struct port_rx rx = {.buf = &r, .cap = sizeof(r)};
	GCHECK_OK(sys_port_call(drv.conn, &pm, &rx, g_now() + 5000 * MS));
	GCHECK_EQ(r.err, 0);
	GCHECK_OK(cl_request(&c, "{\"cmd\":\"ifconfig\"}", &resp));
	GCHECK(find_if("eth0") < 0);
	q.op = NETDEV_HOLD;
	GCHECK_OK(sys_port_call(drv.conn, &pm, &rx, g_now() + 5000 * MS));
	GCHECK_EQ(r.err, ERR_BAD_STATE);

	/* Revoked under netd: it faults, survives, drops eth0. */
	GCHECK_OK(drv_attach(&dev, size, DRV_SLOTS));
	GCHECK(drv_arp());
	GCHECK_OK(sys_grant_revoke(drv.grant));
	sys_notif_signal(drv.netd_bell, drv.bell_bits);
	uint64_t end = g_now() + 3000 * MS;
	bool gone = false;
	while (!gone && g_now() < end) {
		GCHECK_OK(cl_request(&c, "{\"cmd\":\"ifconfig\"}", &resp));
		gone = find_if("eth0") < 0;
		if (!gone)
			sys_sleep_until(g_now() + 20 * MS);
	}
	GCHECK(gone);
	GCHECK_OK(cl_request(&c, "{\"cmd\":\"status\"}", &resp));
	int64_t v = 0;
	GCHECK_OK(cl_resp_int(&resp, "dev_attaches", &v));
	GCHECK_EQ(v, 2);
	GCHECK_OK(cl_resp_int(&resp, "dev_detaches", &v));
	GCHECK_EQ(v, 2);
	int64_t st;
	GCHECK(sys_object_wait(netd.task, DEADLINE_POLL, &st) < 0); /* alive */
}

GTEST(netd_takes_a_driver_and_survives_its_revoke)
{
	long r = netd_start("--static eth0=10.5.0.2/24 --no-dhcp");
	if (r == 0)
		drv_body();
	drv_free();
	close_conns();
	GCHECK_OK(r);
}
