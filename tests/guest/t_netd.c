/* netd (servers/netd, docs/net.md) as a child task against a real name
 * service: the test acts as init (a badge allowed to register /svc/netd
 * and /svc/netd-dev). It asks the JSON requests (ping, status, ifconfig:
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
		r = nenv_acl(&env, 10, "[\"/svc/netd\",\"/svc/netd-dev\"]",
			     "[]");
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
