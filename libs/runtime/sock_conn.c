/* The task's connection to netd and its socket table (sock_int.h).
 *
 * Connection: made by the first socket call: /svc/netd looked up through
 * the name service (START_H_NAMES), NET_CONNECT with a SIGNAL-only copy
 * of our wake-up notification; the answer gives the connection endpoint
 * and netd's doorbell. Each connection has a generation; a socket made on
 * one is dead once that connection is gone (a call found netd's port
 * closed): its calls fail with ECONNRESET, close works, and the next
 * socket call connects to the new netd.
 *
 * Waiting: a blocked call waits on our notification for its sockets' wake
 * bits. netd signals them on every change; if netd dies nobody would, so
 * a wait that stays quiet for RTSK_PROBE_NS makes one cheap call
 * (NET_GETNAME) to learn whether netd still lives. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <execrt/rights.h>

#include "cl_ports.h"
#include "fd_glue.h"
#include "fs_int.h"
#include "sock_int.h"

#define LOOKUP_WAIT_NS	  1000000000ull /* the first time: netd may start */
#define RECONNECT_WAIT_NS 3000000000ull /* after netd went away */
#define RETRY_NS	  5000000ull
#define RTSK_TX_MAX	  1024 /* request header + data */
#define RTSK_RX_MAX	  2048 /* answer header + data */
#define RTSK_GONE	  (-0x10000L)

static int table_lock;
static int connect_lock; /* one thread connects (cl_connect is not
			    reentrant), the others wait for it */
static struct execrt_sock socks[EXECRT_FD_MAX];

/* The connection (under table_lock). gen 0: none. */
static handle_t svc;	  /* /svc/netd (looked up: ours) */
static handle_t conn;	  /* the connection's endpoint */
static handle_t doorbell; /* netd's notification, SIGNAL */
static uint64_t bell_bits;
static handle_t wake; /* our notification (kept across connections) */
static uint32_t gen, next_gen;
static int waiters;	    /* threads in a notification wait */
static uint64_t last_probe; /* when a quiet wait last asked netd */
static bool ever_connected, lookup_failed, lost_once;

void rtsk_lock(void)
{
	rtsk_spin_lock(&table_lock);
}

void rtsk_unlock(void)
{
	rtsk_spin_unlock(&table_lock);
}

uint64_t rtsk_now(void)
{
	long t = sys_clock_now();
	return t < 0 ? 0 : (uint64_t)t;
}

uint64_t rtsk_after(uint64_t ns)
{
	uint64_t now = rtsk_now();
	return ns >= DEADLINE_NONE - now ? DEADLINE_NONE : now + ns;
}

/* One port_call on ep: 0 answered, RTSK_GONE (its port is gone), -errno. */
static long call_on(handle_t ep, struct rtsk_call *c)
{
	unsigned char tx[RTSK_TX_MAX], rx[RTSK_RX_MAX];
	size_t n = sizeof(c->req) + c->req.len;
	c->outlen = 0;
	c->nhout = 0;
	c->hout[0] = c->hout[1] = HANDLE_INVALID;
	memset(&c->resp, 0, sizeof(c->resp));
	if (n > sizeof(tx))
		return -EINVAL;
	memcpy(tx, &c->req, sizeof(c->req));
	if (c->req.len)
		memcpy(tx + sizeof(c->req), c->data, c->req.len);
	handle_t hs[PORT_HANDLES_MAX];
	struct port_msg m = {.data = tx,
			     .len = (uint32_t)n,
			     .handles = c->hin ? &c->hin : NULL,
			     .nhandles = c->hin ? 1 : 0};
	struct port_rx r = {.buf = rx,
			    .cap = sizeof(rx),
			    .handles = hs,
			    .hcap = PORT_HANDLES_MAX};
	long e = sys_port_call(ep, &m, &r, DEADLINE_NONE);
	if (e == 0)
		c->hin = HANDLE_INVALID; /* moved */
	if (e == ERR_PEER_CLOSED || e == ERR_BAD_HANDLE)
		return RTSK_GONE;
	if (e < 0)
		return -(long)execrt_errno(e);
	for (uint32_t i = 2; i < r.nhandles; i++)
		sys_handle_close(hs[i]);
	c->nhout = r.nhandles < 2 ? r.nhandles : 2;
	for (uint32_t i = 0; i < c->nhout; i++)
		c->hout[i] = hs[i];
	if (r.len < sizeof(c->resp)) {
		for (uint32_t i = 0; i < c->nhout; i++)
			sys_handle_close(c->hout[i]);
		c->nhout = 0;
		return -EIO;
	}
	memcpy(&c->resp, rx, sizeof(c->resp));
	/* netd's errno as it is when it is one (else EIO). */
	if (c->resp.err > 0 || c->resp.err < -4095)
		c->resp.err = -EIO;
	uint32_t len = r.len - (uint32_t)sizeof(c->resp);
	if (len > c->resp.len)
		len = c->resp.len;
	if (len > c->outcap)
		len = c->outcap;
	if (len && c->out)
		memcpy(c->out, rx + sizeof(c->resp), len);
	c->outlen = len;
	return 0;
}

static void close_hout(struct rtsk_call *c)
{
	for (uint32_t i = 0; i < c->nhout; i++)
		sys_handle_close(c->hout[i]);
	c->nhout = 0;
}

/* Forgets connection g (under table_lock): its sockets are dead. */
static void drop_locked(uint32_t g)
{
	if (g != gen || !gen)
		return;
	if (conn)
		sys_handle_close(conn);
	if (doorbell)
		sys_handle_close(doorbell);
	if (svc)
		sys_handle_close(svc);
	conn = doorbell = svc = HANDLE_INVALID;
	__atomic_store_n(&gen, 0, __ATOMIC_RELEASE);
	lost_once = true;
}

/* NET_CONNECT on ep (no lock held). */
static long connect_on(handle_t ep, handle_t *c_out, handle_t *bell_out,
		       uint64_t *bits_out)
{
	struct net_conn_info ci;
	struct rtsk_call c = {
		.req = {.op = NET_CONNECT, .a = NET_PROTO_VERSION},
		.out = &ci,
		.outcap = sizeof(ci)};
	if (sys_handle_dup(wake, RIGHT_SIGNAL | RIGHT_TRANSFER, &c.hin) < 0)
		return -ENOMEM;
	long r = call_on(ep, &c);
	if (c.hin)
		sys_handle_close(c.hin);
	if (r < 0)
		return r;
	if (c.resp.err < 0 || c.nhout != 2 || c.outlen != sizeof(ci) ||
	    !ci.doorbell_bits) {
		close_hout(&c);
		return c.resp.err < 0 ? c.resp.err : -EIO;
	}
	*c_out = c.hout[0];
	*bell_out = c.hout[1];
	*bits_out = ci.doorbell_bits;
	return 0;
}

static long connect_slow(void);

/* Connects (no lock held on entry or exit): the generation or -errno. */
static long do_connect(void)
{
	long g = __atomic_load_n(&gen, __ATOMIC_ACQUIRE);
	if (g)
		return g;
	rtsk_spin_lock(&connect_lock);
	g = connect_slow();
	rtsk_spin_unlock(&connect_lock);
	return g;
}

/* No netd to reach: later calls only poll for it (no more waiting). */
static long no_netd(void)
{
	lookup_failed = true;
	lost_once = false;
	return -ENETDOWN;
}

static long connect_slow(void)
{
	rtsk_lock();
	if (gen) {
		long g = gen;
		rtsk_unlock();
		return g;
	}
	uint64_t wait = lost_once			    ? RECONNECT_WAIT_NS
			: !ever_connected && !lookup_failed ? LOOKUP_WAIT_NS
							    : 0;
	if (!wake && sys_notif_create(&wake) < 0) {
		rtsk_unlock();
		return -ENOMEM;
	}
	rtsk_unlock();
	uint64_t deadline = rtsk_after(wait);
	for (;;) {
		struct cl_conn cc;
		if (cl_connect(NET_SVC_NAME, wait ? deadline : DEADLINE_POLL,
			       &cc) != CL_OK)
			return no_netd();
		handle_t c, bell;
		uint64_t bits;
		long r = connect_on(cc.send, &c, &bell, &bits);
		if (r == RTSK_GONE) {
			/* The name still names a dead netd: ask again. */
			sys_handle_close(cc.send);
			if (rtsk_now() >= deadline)
				return no_netd();
			sys_sleep_until(rtsk_now() + RETRY_NS);
			continue;
		}
		if (r < 0) {
			sys_handle_close(cc.send);
			return r;
		}
		rtsk_lock();
		if (gen) { /* another thread won: use its connection */
			long g = gen;
			rtsk_unlock();
			sys_handle_close(c);
			sys_handle_close(bell);
			sys_handle_close(cc.send);
			return g;
		}
		svc = cc.send;
		conn = c;
		doorbell = bell;
		bell_bits = bits;
		if (++next_gen == 0)
			next_gen = 1;
		__atomic_store_n(&gen, next_gen, __ATOMIC_RELEASE);
		ever_connected = true;
		long g = gen;
		rtsk_unlock();
		return g;
	}
}

long rtsk_connected(void)
{
	return do_connect();
}

long rtsk_call(struct rtsk_call *c, uint32_t for_gen)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		long g = for_gen ? (long)for_gen : do_connect();
		if (g < 0)
			return g;
		rtsk_lock();
		handle_t ep = gen == (uint32_t)g ? conn : HANDLE_INVALID;
		handle_t dup = HANDLE_INVALID;
		/* Our own handle for the call: another thread may drop the
		 * connection meanwhile. */
		if (ep && sys_handle_dup(ep, RIGHT_SAME, &dup) < 0)
			dup = HANDLE_INVALID;
		rtsk_unlock();
		if (!dup) {
			if (for_gen)
				return -ECONNRESET;
			continue;
		}
		long r = call_on(dup, c);
		sys_handle_close(dup);
		if (r != RTSK_GONE)
			return r < 0 ? r : c->resp.err;
		rtsk_lock();
		drop_locked((uint32_t)g);
		rtsk_unlock();
		if (for_gen)
			return -ECONNRESET;
	}
	return -ENETDOWN;
}

bool rtsk_dead(const struct execrt_sock *s)
{
	return __atomic_load_n(&gen, __ATOMIC_ACQUIRE) != s->gen;
}

void rtsk_ring_doorbell(void)
{
	rtsk_lock();
	handle_t b = doorbell;
	uint64_t bits = bell_bits;
	rtsk_unlock();
	/* Outside the lock: a handle closed meanwhile (the connection
	 * dropped) makes this fail harmlessly (handle values carry a
	 * generation, so it names nothing else). */
	if (b)
		sys_notif_signal(b, bits);
}

/* ---- the socket table ---- */

struct execrt_sock *rtsk_alloc(void)
{
	rtsk_lock();
	for (int i = 0; i < EXECRT_FD_MAX; i++) {
		if (!socks[i].used) {
			memset(&socks[i], 0, sizeof(socks[i]));
			socks[i].used = true;
			socks[i].refs = 1;
			rtsk_unlock();
			return &socks[i];
		}
	}
	rtsk_unlock();
	return NULL;
}

struct execrt_sock *rtsk_get(long fd, uint32_t *fd_flags)
{
	rtsk_lock();
	struct execrt_fd *e = fsc_fd(fd);
	struct execrt_sock *s = NULL;
	if (e && e->kind == FDK_SOCKET && e->sock) {
		s = e->sock;
		s->refs++;
		if (fd_flags)
			*fd_flags = e->flags;
	}
	rtsk_unlock();
	return s;
}

void rtsk_ref(struct execrt_sock *s)
{
	s->refs++;
}

void rtsk_put(struct execrt_sock *s)
{
	if (!s)
		return;
	rtsk_lock();
	bool last = --s->refs == 0;
	rtsk_unlock();
	if (!last)
		return;
	/* Our mapping first: once netd revoked the grant, another thread
	 * may map a new socket's region at the same address, which an
	 * unmap by address would then take away. */
	if (s->addr)
		sys_grant_unmap(execrt_handle(START_H_SELF_TASK), s->addr);
	if (s->id || s->grant) {
		struct rtsk_call c = {.req = {.op = NET_CLOSE, .sock = s->id}};
		if (!rtsk_dead(s))
			rtsk_call(&c, s->gen);
		close_hout(&c);
	}
	if (s->grant)
		sys_handle_close(s->grant);
	rtsk_lock();
	memset(s, 0, sizeof(*s)); /* used = false: the slot is free */
	rtsk_unlock();
}

/* ---- waiting ---- */

long rtsk_wait(uint64_t bits, uint64_t deadline, struct execrt_sock *probe)
{
	uint64_t now = rtsk_now();
	if (now >= deadline)
		return -EAGAIN;
	rtsk_lock();
	handle_t w = wake;
	rtsk_unlock();
	long r;
	uint64_t got = 0, until;
	if (w && bits) {
		/* Another thread waiting too may be handed a bit meant for
		 * us (bits are shared: netd's slots k and k + 64, or one
		 * socket waited on twice), and only the earliest waiter
		 * gets it: then we look again every few ms. */
		int others = __atomic_fetch_add(&waiters, 1, __ATOMIC_ACQ_REL);
		uint64_t slice = others ? RTSK_SHARED_NS : RTSK_PROBE_NS;
		until = deadline - now > slice ? now + slice : deadline;
		r = sys_notif_wait(w, bits, until, &got);
		__atomic_sub_fetch(&waiters, 1, __ATOMIC_ACQ_REL);
	} else {
		until = deadline - now > RTSK_PROBE_NS ? now + RTSK_PROBE_NS
						       : deadline;
		sys_sleep_until(until);
		r = ERR_TIMED_OUT;
	}
	if (r == 0)
		return 0;
	if (r != ERR_TIMED_OUT)
		return -EIO;
	if (until >= deadline)
		return -EAGAIN;
	/* Quiet: does netd still live? At most one probe per
	 * RTSK_PROBE_NS for the whole task. */
	now = rtsk_now();
	uint64_t last = __atomic_load_n(&last_probe, __ATOMIC_ACQUIRE);
	if (probe && !rtsk_dead(probe) && now - last >= RTSK_PROBE_NS &&
	    __atomic_compare_exchange_n(&last_probe, &last, now, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		struct rtsk_call c = {
			.req = {.op = NET_GETNAME, .sock = probe->id}};
		rtsk_call(&c, probe->gen); /* drops the connection if gone */
		close_hout(&c);
	}
	return 0;
}

void execrt_net_disconnect(void)
{
	rtsk_lock();
	drop_locked(gen);
	lost_once = false;
	ever_connected = false;
	lookup_failed = false;
	if (wake)
		sys_handle_close(wake);
	wake = HANDLE_INVALID;
	rtsk_unlock();
}
