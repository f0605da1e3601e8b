/* netd: the network stack (docs/net.md). lwIP 2.1 (Debian's source,
 * NO_SYS: raw API) owned by this one thread, which waits on ONE
 * notification:
 *   bit 0       the port has messages (SYS_PORT_BIND_NOTIF): JSON
 *               requests and NET_* calls on /svc/netd, NETDEV_* on
 *               /drv/netd and the device connections, no-senders
 *               notices of both kinds of connection;
 *   bits 1..15  a device's doorbell (its interface index);
 *   bits 16..63 clients' doorbells (the socket service's groups).
 * The wait's deadline is lwIP's next timer or the socket service's.
 *
 * One port serves everything; the endpoints differ by badge: the public
 * /svc/netd, the public /drv/netd, a device connection (netd_devsvc.c's
 * tag) or a socket connection (sock.h's SOCK_BADGE_TAG).
 *
 * Each pass: the devices' rings, lwIP's timers and loopback deliveries,
 * the socket service's tick, the drivers' doorbells; then the wait (none
 * while loopback packets are queued), and
 * after it device bells, up to RECV_BATCH port messages (the rest next
 * pass, without sleeping) and client bells. */
#include <stdio.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/net_proto.h>
#include <execrt/netdev_proto.h>
#include <execrt/rights.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>

#include "cl_ports.h"
#include "netd.h"
#include "netd_args.h"
#include "netd_json.h"
#include "netd_stack.h"

#include "lwip_port.h"
#include "sock.h"

#define BADGE_PUBLIC 1ull /* /svc/netd */
#define BADGE_DEVSVC 2ull /* /drv/netd */
#define BADGE_RAW    3ull /* /drv/netd-raw: sockets with the raw right */
#define BIT_PORT     1ull
#define RECV_BATCH   64 /* messages per pass: devices and timers go on */

static handle_t g_port, g_bell;
static struct netd_stats stats;
static struct netd_args args;
static char buf[PORT_MSG_MAX + 1];

static uint64_t now_ns(void)
{
	long t = sys_clock_now();
	return t < 0 ? 0 : (uint64_t)t;
}

handle_t netd_port(void)
{
	return g_port;
}

handle_t netd_bell(void)
{
	return g_bell;
}

void netd_stats_refused(void)
{
	stats.bad_requests++;
}

void netd_stats_attached(void)
{
	stats.dev_attaches++;
}

void netd_stats_detached(void)
{
	stats.dev_detaches++;
}

static void json_request(handle_t reply, const char *msg, uint32_t len)
{
	static char out[PORT_MSG_MAX];
	stats.json_requests++;
	stats.now_ms = now_ns() / 1000000u;
	struct sock_stats ss;
	sock_get_stats(&ss);
	stats.conns = ss.conns;
	stats.socks = ss.socks;
	stats.mem_used = ss.mem_used;
	stats.mem_limit = ss.mem_limit;
	stats.sock_rx_bytes = ss.rx_bytes;
	stats.sock_tx_bytes = ss.tx_bytes;
	stats.sock_refused = ss.refused;
	stats.sock_hostile = ss.hostile;
	int n = netd_json_answer(msg, len, &stats, out, sizeof(out));
	struct port_msg m = {.data = out, .len = n < 0 ? 0 : (uint32_t)n};
	if (sys_port_reply(reply, &m) < 0)
		sys_handle_close(reply);
}

static void close_all(const handle_t *h, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (h[i])
			sys_handle_close(h[i]);
}

/* A binary request nobody serves: a negative answer, handles closed. */
static void refuse(handle_t reply, const handle_t *h, uint32_t n)
{
	stats.bad_requests++;
	close_all(h, n);
	if (!reply)
		return;
	struct net_resp r = {.err = -22 /* EINVAL */};
	struct port_msg m = {.data = &r, .len = sizeof(r)};
	if (sys_port_reply(reply, &m) < 0)
		sys_handle_close(reply);
}

static void on_message(const struct port_rx *rx, handle_t *h)
{
	stats.requests++;
	bool json = rx->len > 0 && buf[0] == '{';
	if (rx->flags & PORT_RX_CLOSED) {
		if (netd_dev_owns_badge(rx->badge))
			netd_dev_closed(rx->badge);
		else if (sock_owns_badge(rx->badge))
			sock_on_closed(rx->badge);
		return;
	}
	if ((rx->badge == BADGE_PUBLIC || rx->badge == BADGE_DEVSVC) && json) {
		close_all(h, rx->nhandles);
		if (rx->reply)
			json_request(rx->reply, buf, rx->len);
		return;
	}
	if (rx->badge == BADGE_DEVSVC || netd_dev_owns_badge(rx->badge)) {
		netd_dev_request(rx->badge, rx->reply, buf, rx->len, h,
				 rx->nhandles);
		return;
	}
	if (rx->badge == BADGE_PUBLIC || rx->badge == BADGE_RAW ||
	    sock_owns_badge(rx->badge)) {
		struct sock_msg m = {.badge = rx->badge,
				     .sender = rx->sender,
				     .data = buf,
				     .len = rx->len,
				     .nhandles = rx->nhandles,
				     .handles = h,
				     .reply = rx->reply};
		sock_on_request(&m);
		return;
	}
	refuse(rx->reply, h, rx->nhandles);
}

/* Up to RECV_BATCH messages; true when more may be waiting. */
static bool drain_port(void)
{
	for (int i = 0; i < RECV_BATCH; i++) {
		handle_t h[PORT_HANDLES_MAX];
		struct port_rx rx = {.buf = buf,
				     .cap = PORT_MSG_MAX,
				     .handles = h,
				     .hcap = PORT_HANDLES_MAX};
		long r = sys_port_recv(g_port, &rx, DEADLINE_POLL);
		if (r == ERR_SHOULD_WAIT || r == ERR_TIMED_OUT)
			return false;
		if (r < 0) {
			printf("netd: receive: %s\n", err_name(r));
			return false;
		}
		buf[rx.len] = 0;
		on_message(&rx, h);
	}
	return true;
}

static long make_endpoint(const char *name, uint64_t badge)
{
	handle_t send;
	long r = sys_port_mint(g_port, badge, &send);
	if (r < 0)
		return r;
	cl_err_t e = cl_register(name, send);
	if (e != CL_OK) {
		printf("netd: cannot register %s: %s\n", name, cl_strerror(e));
		return ERR_NOT_FOUND;
	}
	return 0;
}

/* Sized from the quota init gave (docs/net.md "Memory"): lwIP's heap a
 * sixth of it, at most its 4 MiB; the sockets' regions what is left
 * after that and 1.5 MiB for netd's own allocations, at most 16 MiB. The
 * manifest's 28 MiB gives both their full size; a small machine's cut
 * quota smaller ones, so a flood still meets lwIP's and the socket
 * service's limits before the quota. */
#define NETD_OWN   (3u << 19)
#define NETD_SOCKS (16ull << 20)
static uint64_t size_from_quota(void)
{
	const struct start_info *si = execrt_start_info();
	uint64_t q = si ? si->mem_quota : 0;
	if (!q)
		return 0; /* unknown: the defaults */
	lwip_port_set_heap(q / 6 > UINT32_MAX
				   ? UINT32_MAX
				   : (uint32_t)(q / 6)); /* clamped */
	uint64_t heap = lwip_port_heap_size(), rest = 0;
	if (q > heap + NETD_OWN)
		rest = q - heap - NETD_OWN;
	if (rest > NETD_SOCKS)
		rest = NETD_SOCKS;
	if (rest < (256u << 10))
		rest = 256u << 10;
	if (heap < (4u << 20) || rest < NETD_SOCKS) /* a cut quota */
		printf("netd: quota %llu KiB: lwIP heap %llu KiB, socket "
		       "regions %llu KiB\n",
		       (unsigned long long)(q >> 10),
		       (unsigned long long)(heap >> 10),
		       (unsigned long long)(rest >> 10));
	return rest;
}

static long start(int argc, char **argv)
{
	char err[128];
	if (netd_args_parse(&args, argc, argv, err, sizeof(err)) < 0) {
		printf("netd: %s\n", err);
		return ERR_INVALID_ARGS;
	}
	uint64_t socks = size_from_quota();
	netd_stack_init(&args, __builtin_ia32_rdtsc() ^ (now_ns() << 17));
	long fr = netd_dev_fault_handler();
	if (fr < 0)
		return fr;
	handle_t send;
	long r = sys_port_create(0, &g_port, &send);
	if (r < 0)
		return r;
	sys_handle_close(send);
	r = sys_notif_create(&g_bell);
	if (r == 0)
		r = sys_port_bind_notif(g_port, g_bell, BIT_PORT);
	if (r < 0)
		return r;
	struct sock_config sc = {.port = g_port,
				 .doorbell = g_bell,
				 .public_badge = BADGE_PUBLIC,
				 .raw_badge = BADGE_RAW,
				 .mem_limit = socks};
	int se = sock_init(&sc);
	if (se < 0) {
		printf("netd: sockets: error %d\n", se);
		return ERR_NO_RESOURCES;
	}
	r = make_endpoint(NET_SVC_NAME, BADGE_PUBLIC);
	if (r == 0)
		r = make_endpoint(NETDEV_SVC_NAME, BADGE_DEVSVC);
	/* Optional: without it, no connection may open raw sockets. */
	if (r == 0)
		(void)make_endpoint(NET_RAW_SVC_NAME, BADGE_RAW);
	return r;
}

int main(int argc, char **argv)
{
	long r = start(argc, argv);
	if (r < 0) {
		printf("netd: cannot start: %s\n", err_name(r));
		return 1;
	}
	stats.started_ms = now_ns() / 1000000u;
	printf("netd: serving %s and %s (lwIP %s, lo 127.0.0.1)\n",
	       NET_SVC_NAME, NETDEV_SVC_NAME, netd_stack_version());
	fflush(stdout);
	uint64_t more = 0, now = now_ns();
	for (;;) {
		/* One clock read per pass (after the wait, below): lwIP's
		 * sys_now() asks several times per frame. */
		lwip_port_set_now(now);
		stats.loops++;
		more |= netd_dev_poll_all();
		if (netd_stack_poll())
			more |= BIT_PORT;
		/* After the deliveries: they may leave the socket service
		 * work; what it sends to an own address is delivered next
		 * pass, without sleeping. */
		uint64_t deadline = sock_tick(now);
		if (netd_stack_loop_pending())
			more |= BIT_PORT;
		uint32_t ms = netd_stack_sleep_ms();
		if (ms != UINT32_MAX) {
			uint64_t t = now + (uint64_t)ms * 1000000u;
			if (t < deadline)
				deadline = t;
		}
		netd_dev_kick_all();
		uint64_t bits = 0;
		r = sys_notif_wait(g_bell, ~0ull,
				   more ? DEADLINE_POLL : deadline, &bits);
		if (r < 0 && r != ERR_SHOULD_WAIT && r != ERR_TIMED_OUT) {
			printf("netd: wait: %s\n", err_name(r));
			return 1;
		}
		now = now_ns();
		lwip_port_set_now(now);
		bits |= more;
		more = 0;
		if (bits)
			stats.wakeups++;
		/* Devices first: their frames feed everyone. */
		netd_dev_on_bells(bits & NETD_DEV_BELLS);
		if ((bits & BIT_PORT) && drain_port())
			more |= BIT_PORT;
		if (bits & SOCK_DOORBELL_MASK)
			sock_on_doorbell(bits & SOCK_DOORBELL_MASK);
	}
}
