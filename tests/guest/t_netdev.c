/* The virtio-net driver end to end (docs/net-driver.md): iod starts it for
 * a real virtio-net device on QEMU's user network (check.sh adds
 * `-netdev user -device virtio-net-pci`; without one the tests skip), and
 * the test plays netd: it registers /drv/netd, takes the ATTACH (maps
 * the granted region, libnetring on the netd side), parks the HOLD call,
 * sends ARP requests for 10.0.2.2 through the tx ring and reads QEMU's
 * replies from the rx ring.
 *
 *  - netdev_arp_both_ways: the attach message (name, MAC from config
 *    space, geometry), carrier up, 300 ARP rounds (more than the ring's
 *    rx and tx slots: every slot comes back and is used again);
 *  - netdev_arp_flood: 20,000 requests with 64 in flight, every reply
 *    back (the frame rate each way is printed);
 *  - netdev_netd_dies_and_returns: the fake netd dies three times (its
 *    port and the HOLD reply dropped); each time the driver revokes the
 *    old grant and attaches again with a fresh region, and frames flow;
 *  - netdev_driver_killed: the driver killed by iod's restart while
 *    attached: netd gets the connection's no-senders notice, the new
 *    instance attaches, frames flow;
 *  - netdev_hostile_netd: netd breaks the rings (an rx_free head a ring
 *    ahead): the driver sends DETACH, its HOLD is ended, it attaches
 *    again with a fresh region.
 * The harness checks the kernel's counters after each test (iod and its
 * driver are killed in teardown). */
#include <stdio.h>
#include <string.h>

#include <execrt/cpio.h>
#include <execrt/errors.h>
#include <execrt/iod_proto.h>
#include <execrt/netdev_proto.h>
#include <execrt/rights.h>
#include <execrt/spawn.h>
#include <execrt/sys.h>
#include <netring/netring.h>

#include "cl_ports.h"
#include "gtest.h"
#include "gutil.h"
#include "iod_env.h"
#include "names_env.h"

#define IOD_BADGE    60
#define LOOKUP_BADGE 2
#define NETD_BADGE   3
#define CONN_BADGE   0x77
#define MY_BELL	     (1ull << 5) /* the bit the driver rings on ours */

static struct names_env env;
static handle_t lookup_ep, netd_names, log_recv, log_send;
static struct execrt_child iod;
static char logbuf[16384];
static size_t loglen;

/* The fake netd. */
static struct {
	handle_t recv, notif, hold, grant, drv_bell;
	uint64_t map;
	struct netdev_attach att;
	struct netring nr;
} fn;
static const uint8_t my_ip[4] = {10, 0, 2, 15}, gw_ip[4] = {10, 0, 2, 2};

static void drain_log(void)
{
	iod_env_drain(log_recv, DEADLINE_POLL, logbuf, sizeof(logbuf), &loglen);
}

static long spawn_iod(void)
{
	long r = nenv_acl(&env, IOD_BADGE, "[\"/svc/iod\",\"/svc/iod-ctl\"]",
			  "[\"*\"]");
	if (r < 0)
		return r;
	return iod_env_spawn(&iod, nenv_mint(&env, IOD_BADGE), log_send, "iod",
			     true);
}

static void close_h(handle_t *h)
{
	if (*h)
		sys_handle_close(*h);
	*h = 0;
}

/* The fake netd's state after a death: its mapping, the HOLD reply
 * (dropped: the driver's call ends with ERR_PEER_CLOSED), the port. */
static void netd_die(void)
{
	if (fn.map)
		sys_vm_unmap(g_self(), fn.map, fn.att.region_size);
	fn.map = 0;
	close_h(&fn.hold);
	close_h(&fn.grant);
	close_h(&fn.drv_bell);
	close_h(&fn.recv);
	close_h(&fn.notif);
}

/* A fresh netd: a port registered as /drv/netd and a doorbell. */
static long netd_start(void)
{
	handle_t pub = 0;
	long r = sys_port_create(0, &fn.recv, &pub);
	if (r == 0)
		r = sys_notif_create(&fn.notif);
	if (r == 0) {
		cl_set_names(netd_names);
		r = cl_register(NETDEV_SVC_NAME, pub) == CL_OK
			    ? 0
			    : ERR_ACCESS_DENIED;
		cl_set_names(HANDLE_INVALID);
		pub = 0;
	}
	close_h(&pub);
	return r;
}

static uint64_t tasks0; /* the kernel's task count before setup */

static long setup(void)
{
	gtest_allow_growth();
	struct kernel_stats st;
	tasks0 = g_stats(&st) == 0 ? st.tasks : 0;
	memset(&iod, 0, sizeof(iod));
	memset(&fn, 0, sizeof(fn));
	loglen = 0;
	logbuf[0] = 0;
	if (!execrt_handle(START_H_PCI) || !g_initrd_buf ||
	    !iod_env_have_virtio_net())
		return 1;
	long r = nenv_start(&env);
	if (r != 0)
		return r;
	lookup_ep = nenv_mint(&env, LOOKUP_BADGE);
	netd_names = nenv_mint(&env, NETD_BADGE);
	if (!lookup_ep || !netd_names)
		return ERR_NO_MEMORY;
	if ((r = nenv_acl(&env, LOOKUP_BADGE, "[]", "[\"*\"]")) < 0 ||
	    (r = nenv_acl(&env, NETD_BADGE, "[\"/drv/netd\"]", "[]")) < 0)
		return r;
	if ((r = sys_port_create(0, &log_recv, &log_send)) < 0)
		return r;
	if ((r = netd_start()))
		return r;
	return spawn_iod();
}

static void teardown(void)
{
	iod_env_kill(&iod);
	netd_die();
	drain_log();
	handle_t *hs[] = {&log_recv, &log_send, &lookup_ep, &netd_names};
	for (unsigned i = 0; i < 4; i++)
		close_h(hs[i]);
	nenv_stop(&env);
	/* iod's children end just after it: wait for them before the
	 * harness counts tasks */
	struct kernel_stats ks;
	uint64_t end = g_now() + 5000 * MS;
	while (tasks0 && g_stats(&ks) == 0 && ks.tasks > tasks0 &&
	       g_now() < end)
		sys_sleep_until(g_now() + 5 * MS);
}

/* Serves fn.recv until the driver is attached and its HOLD parked: 0,
 * or an error. A DETACH is answered and ends the parked HOLD with
 * ERR_BAD_STATE; a no-senders notice of the connection counts in
 * *closed. */
static long netd_serve(uint64_t deadline, bool want_attach, int *closed)
{
	for (;;) {
		struct {
			struct netdev_req q;
			struct netdev_attach a;
		} m = {0};
		handle_t h[PORT_HANDLES_MAX];
		struct port_rx rx = {.buf = &m,
				     .cap = sizeof(m),
				     .handles = h,
				     .hcap = PORT_HANDLES_MAX};
		long r = sys_port_recv(fn.recv, &rx, deadline);
		if (r < 0)
			return r;
		if (rx.flags & PORT_RX_CLOSED) {
			if (closed && rx.badge == CONN_BADGE)
				(*closed)++;
			continue;
		}
		struct netdev_resp a = {0};
		struct {
			struct netdev_resp r;
			uint64_t bell;
		} ans = {.bell = MY_BELL};
		handle_t give[2] = {0, 0};
		struct port_msg out = {.data = &a, .len = sizeof(a)};
		if (m.q.op == NETDEV_HOLD && rx.badge == CONN_BADGE &&
		    !fn.hold) {
			fn.hold = rx.reply; /* parked */
			if (!want_attach)
				return 0;
			continue;
		}
		if (m.q.op == NETDEV_DETACH && rx.badge == CONN_BADGE) {
			if (fn.hold) {
				a.err = ERR_BAD_STATE;
				sys_port_reply(fn.hold, &out);
				fn.hold = 0;
			}
			a.err = 0;
			if (fn.map)
				sys_vm_unmap(g_self(), fn.map,
					     fn.att.region_size);
			fn.map = 0;
			close_h(&fn.grant);
			close_h(&fn.drv_bell);
		} else if (m.q.op == NETDEV_ATTACH && rx.badge == 0 &&
			   rx.len == sizeof(m) && rx.nhandles == 2 &&
			   m.q.a == NETDEV_PROTO_VERSION &&
			   m.q.len == sizeof(m.a)) {
			fn.att = m.a;
			fn.grant = h[0];
			fn.drv_bell = h[1];
			rx.nhandles = 0;
			a.err = (int32_t)sys_grant_map(
				g_self(), fn.grant,
				VM_PROT_READ | VM_PROT_WRITE, 0, &fn.map);
			if (!a.err)
				a.err = netring_open(
					&fn.nr, (void *)(uintptr_t)fn.map,
					m.a.region_size, m.a.nslots, m.a.nrx,
					NETRING_NETD);
			if (!a.err)
				a.err = (int32_t)sys_port_mint_ex(
					fn.recv, CONN_BADGE,
					PORT_MINT_NOTIFY_CLOSED, &give[0]);
			if (!a.err)
				a.err = (int32_t)sys_handle_dup(
					fn.notif, RIGHT_SIGNAL | RIGHT_TRANSFER,
					&give[1]);
			if (!a.err) {
				ans.r.len = 8;
				out = (struct port_msg){.data = &ans,
							.len = sizeof(ans),
							.nhandles = 2,
							.handles = give};
				want_attach = false;
			} else {
				close_h(&give[0]);
				close_h(&give[1]);
				close_h(&fn.grant);
				close_h(&fn.drv_bell);
			}
		} else {
			a.err = ERR_INVALID_ARGS;
		}
		for (uint32_t i = 0; i < rx.nhandles; i++)
			sys_handle_close(h[i]);
		if (rx.reply && sys_port_reply(rx.reply, &out) < 0)
			sys_handle_close(rx.reply);
		if (!want_attach && fn.hold)
			return 0;
	}
}

/* One ARP request for 10.0.2.2 out through a slot netd holds: 1, or 0
 * when it holds none. */
static int arp_send(void)
{
	uint32_t s = 0;
	while (s < fn.nr.nslots && !netring_owns(&fn.nr, s))
		s++;
	if (s == fn.nr.nslots)
		return 0;
	uint8_t *p = netring_slot(&fn.nr, s);
	memset(p, 0, 60);
	memset(p, 0xff, 6);
	memcpy(p + 6, fn.att.mac, 6);
	static const uint8_t arp[10] = {0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1};
	memcpy(p + 12, arp, 10);
	memcpy(p + 22, fn.att.mac, 6);
	memcpy(p + 28, my_ip, 4);
	memcpy(p + 38, gw_ip, 4);
	return netring_put(&fn.nr, NETRING_TX_READY, s, 60) == 0;
}

/* Takes completions and received frames back (freeing every rx slot):
 * the number of ARP replies among them. */
static int arp_poll(void)
{
	struct netdev_ent e;
	while (netring_get(&fn.nr, NETRING_TX_DONE, &e) == 1)
		;
	int got = 0;
	bool freed = false;
	while (netring_get(&fn.nr, NETRING_RX_READY, &e) == 1) {
		uint8_t f[64];
		memcpy(f, netring_slot(&fn.nr, e.slot),
		       e.len < 64 ? e.len : 64);
		/* to us, ARP, a reply, from 10.0.2.2 for 10.0.2.15 */
		if (e.len >= 42 && !memcmp(f, fn.att.mac, 6) && f[12] == 8 &&
		    f[13] == 6 && f[21] == 2 && !memcmp(f + 28, gw_ip, 4) &&
		    !memcmp(f + 38, my_ip, 4) && !memcmp(f + 32, fn.att.mac, 6))
			got++;
		netring_put(&fn.nr, NETRING_RX_FREE, e.slot, 0);
		freed = true;
	}
	if (freed)
		sys_notif_signal(fn.drv_bell, NETDEV_BELL_TX);
	return got;
}

/* n requests, at most window of them unanswered: the replies seen. */
static int arp_window(int n, int window)
{
	int sent = 0, got = 0;
	uint64_t end = g_now() + 5000 * MS + (uint64_t)n * MS;
	while (got < n && g_now() < end) {
		bool rang = false;
		while (sent < n && sent - got < window && arp_send()) {
			sent++;
			rang = true;
		}
		if (rang)
			sys_notif_signal(fn.drv_bell, NETDEV_BELL_TX);
		uint64_t bits = 0;
		sys_notif_wait(fn.notif, MY_BELL, g_now() + 100 * MS, &bits);
		got += arp_poll();
	}
	return got;
}

static int arp_rounds(int n)
{
	int ok = 0;
	for (int i = 0; i < n; i++)
		ok += arp_window(1, 1);
	return ok;
}

#define SETUP()                                                                \
	do {                                                                   \
		long _s = setup();                                             \
		if (_s == 1) {                                                 \
			teardown();                                            \
			printf("    skipped: no virtio-net device\n");         \
			return;                                                \
		}                                                              \
		if (_s < 0)                                                    \
			teardown();                                            \
		GCHECK_OK(_s);                                                 \
	} while (0)
#define TCHECK(c)                                                              \
	do {                                                                   \
		if (!(c)) {                                                    \
			drain_log();                                           \
			printf("    iod log: %s\n",                            \
			       logbuf + (loglen > 900 ? loglen - 900 : 0));    \
			teardown();                                            \
			GCHECK(c);                                             \
		}                                                              \
	} while (0)
#define TCHECK_EQ(a, b)                                                        \
	do {                                                                   \
		long long _x = (long long)(a), _y = (long long)(b);            \
		if (_x != _y)                                                  \
			printf("    %s = %lld, want %lld\n", #a, _x, _y);      \
		TCHECK(_x == _y);                                              \
	} while (0)

/* The region is fresh: header, empty rings. */
static bool fresh(void)
{
	struct netdev_header *h = (void *)(uintptr_t)fn.map;
	return h->magic == NETDEV_REGION_MAGIC && h->rx_ready.head == 0 &&
	       h->rx_free.tail == 0 && h->tx_ready.tail == 0 &&
	       h->tx_done.head == 0;
}

GTEST(netdev_arp_both_ways)
{
	SETUP();
	TCHECK_EQ(netd_serve(g_now() + 10000 * MS, true, NULL), 0);
	TCHECK(!strcmp(fn.att.name, "virtio-net"));
	static const uint8_t qemu_mac[6] = {0x52, 0x54, 0, 0x12, 0x34, 0x56};
	TCHECK(!memcmp(fn.att.mac, qemu_mac, 6)); /* from config space */
	TCHECK_EQ(fn.att.mtu, 1500);
	TCHECK(fn.att.nslots >= 64 && fn.att.nrx < fn.att.nslots);
	TCHECK_EQ(fn.att.region_size, netring_region_size(fn.att.nslots));
	TCHECK_EQ(fn.att.features, 0);
	TCHECK(fresh());
	uint64_t end = g_now() + 2000 * MS;
	while (!netring_link(&fn.nr) && g_now() < end)
		sys_sleep_until(g_now() + 10 * MS);
	TCHECK(netring_link(&fn.nr));
	/* which interrupt path the driver took; check.sh says which it must */
	drain_log();
	const char *l = strstr(logbuf, ": virtio-net ");
	TCHECK(l);
	while (l > logbuf && l[-1] != '\n')
		l--;
	printf("    %.*s\n", (int)strcspn(l, "\n"), l);
	const char *want = g_arg("netdev_irq");
	if (want && !strcmp(want, "msix"))
		TCHECK(strstr(l, ", MSI-X, "));
	else if (want && !strcmp(want, "intx"))
		TCHECK(strstr(l, ", INTx, "));
	uint64_t t0 = g_now();
	int n = 300;
	TCHECK_EQ(arp_rounds(n), n);
	printf("    %d ARP round trips, %llu us each\n", n,
	       (unsigned long long)((g_now() - t0) / 1000 / n));
	TCHECK(!fn.nr.broken);
	TCHECK(fn.nr.gets >= 2u * n); /* a reply and a completion each */
	teardown();
}

/* Both directions under load: 20,000 requests, 64 in flight. */
GTEST(netdev_arp_flood)
{
	SETUP();
	TCHECK_EQ(netd_serve(g_now() + 10000 * MS, true, NULL), 0);
	int n = 20000;
	uint64_t t0 = g_now();
	int got = arp_window(n, 64);
	uint64_t us = (g_now() - t0) / 1000;
	printf("    %d ARP requests, %d replies in %llu ms: %llu frames/s each "
	       "way\n",
	       n, got, (unsigned long long)(us / 1000),
	       (unsigned long long)(us ? (uint64_t)got * 1000000 / us : 0));
	TCHECK_EQ(got, n);
	TCHECK(!fn.nr.broken);
	teardown();
}

GTEST(netdev_netd_dies_and_returns)
{
	SETUP();
	TCHECK_EQ(netd_serve(g_now() + 10000 * MS, true, NULL), 0);
	TCHECK_EQ(arp_rounds(5), 5);
	for (int round = 0; round < 3; round++) {
		handle_t old = fn.grant; /* kept past the death */
		fn.grant = 0;
		netd_die();
		TCHECK_EQ(netd_start(), 0);
		TCHECK_EQ(netd_serve(g_now() + 10000 * MS, true, NULL), 0);
		TCHECK(fresh());
		/* the old region was revoked before the new attach */
		uint64_t a = 0;
		long r = sys_grant_map(g_self(), old, VM_PROT_READ, 0, &a);
		sys_handle_close(old);
		TCHECK_EQ(r, ERR_BAD_STATE);
		TCHECK_EQ(arp_rounds(5), 5);
	}
	drain_log();
	TCHECK(strstr(logbuf, "netd gone: attaching again"));
	teardown();
}

GTEST(netdev_driver_killed)
{
	SETUP();
	TCHECK_EQ(netd_serve(g_now() + 10000 * MS, true, NULL), 0);
	TCHECK_EQ(arp_rounds(3), 3);
	char dev[32];
	snprintf(dev, sizeof(dev), "pci-%.15s", fn.att.where);
	char req[96];
	snprintf(req, sizeof(req), "{\"cmd\":\"restart\",\"dev\":\"%s\"}", dev);
	struct cl_conn c;
	struct cl_resp resp = {0};
	cl_set_names(lookup_ep);
	long r = cl_connect(IOD_CTL_SVC_NAME, g_now() + 5000 * MS, &c);
	cl_set_names(HANDLE_INVALID);
	TCHECK_EQ(r, 0);
	r = cl_request(&c, req, &resp);
	bool ok = resp.ok;
	cl_resp_close(&resp);
	cl_close(&c);
	TCHECK_EQ(r, 0);
	TCHECK(ok);
	/* the old connection's no-senders notice, then a new attach */
	int closed = 0;
	if (fn.map)
		sys_vm_unmap(g_self(), fn.map, fn.att.region_size);
	fn.map = 0;
	close_h(&fn.hold);
	close_h(&fn.grant);
	close_h(&fn.drv_bell);
	TCHECK_EQ(netd_serve(g_now() + 10000 * MS, true, &closed), 0);
	TCHECK_EQ(closed, 1);
	TCHECK(fresh());
	TCHECK_EQ(arp_rounds(3), 3);
	teardown();
}

GTEST(netdev_hostile_netd)
{
	SETUP();
	TCHECK_EQ(netd_serve(g_now() + 10000 * MS, true, NULL), 0);
	TCHECK_EQ(arp_rounds(2), 2);
	struct netdev_header *h = (void *)(uintptr_t)fn.map;
	h->rx_free.head += 5000; /* more than a ring ahead */
	sys_notif_signal(fn.drv_bell, NETDEV_BELL_TX);
	/* DETACH answered, HOLD ended, a new attach a second later */
	TCHECK_EQ(netd_serve(g_now() + 10000 * MS, true, NULL), 0);
	TCHECK(fresh());
	TCHECK_EQ(arp_rounds(2), 2);
	drain_log();
	TCHECK(strstr(logbuf, "netd broke the rings: detaching"));
	TCHECK(strstr(logbuf, "detached us"));
	teardown();
}
