/* netd's socket service (servers/netd/sock*.c) for real: netd as a child
 * task, the test speaking net_proto.h itself (as the runtime does) over
 * 127.0.0.1. It connects (a badged endpoint, netd's doorbell), maps the
 * socket regions netd grants, moves 8 MiB each way over TCP with a
 * checksum (and prints the rate), echoes UDP datagrams, breaks a socket
 * with a lying counter, checks that a closed socket's grant is revoked,
 * and ends its connection by closing the endpoint: netd then holds no
 * socket and no region memory (its status says so) and the harness
 * checks the kernel's counters. */
#include <string.h>

#include <execrt/errors.h>
#include <execrt/net_proto.h>
#include <execrt/rights.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>

#include "cl_ports.h"
#include "gtest.h"
#include "gutil.h"
#include "names_env.h"

#define NETD_QUOTA (40ull << 20)
#define TMO	   (5000 * MS)

static struct cl_resp resp;
static struct names_env env;
static struct child netd;
static handle_t names_client;
static struct cl_conn pub;

struct gconn {
	handle_t ep, bell, wake;
	uint64_t bell_bits;
};

struct gsock {
	struct gconn *c;
	uint32_t id, type;
	handle_t grant;
	uint64_t addr;
	struct net_shm *shm;
	uint8_t *rx, *tx;
	uint32_t rx_size, tx_size, shm_size;
	uint64_t wake_bit;
};

static long netd_start(void)
{
	long r = nenv_start(&env);
	if (r != 0)
		return r;
	names_client = nenv_mint(&env, 2);
	r = nenv_acl(&env, 2, "[]", "[\"*\"]");
	if (r == 0)
		r = nenv_acl(&env, 10, "[\"/svc/netd\",\"/drv/netd\"]",
			     "[]");
	if (r < 0)
		return r;
	handle_t h = nenv_mint(&env, 10);
	g_spawn_names = h;
	r = g_spawn("netd", "", NETD_QUOTA, 0, &netd);
	g_spawn_names = HANDLE_INVALID;
	sys_handle_close(h);
	if (r < 0)
		return r;
	cl_set_names(names_client);
	r = cl_connect(NET_SVC_NAME, g_now() + TMO, &pub);
	cl_set_names(HANDLE_INVALID);
	return r;
}

static void netd_stop(void)
{
	int64_t st;
	if (pub.send)
		cl_close(&pub);
	memset(&pub, 0, sizeof(pub));
	if (netd.task) {
		sys_task_kill(netd.task, -1);
		g_reap(&netd, 2000 * MS, &st);
	}
	memset(&netd, 0, sizeof(netd));
	if (names_client)
		sys_handle_close(names_client);
	names_client = HANDLE_INVALID;
	nenv_stop(&env);
}

static uint8_t ans[4096];
static struct net_resp ar;
static handle_t ah[PORT_HANDLES_MAX];
static uint32_t anh;

/* A call on ep; the answer's header in ar, data in ans + sizeof(ar). */
static long call(handle_t ep, uint32_t op, uint32_t sock, uint32_t a,
		 uint32_t b, const void *data, uint32_t len, handle_t *h,
		 uint32_t nh)
{
	uint8_t msg[512];
	struct net_req q = {.op = op, .sock = sock, .a = a, .b = b, .len = len};
	memcpy(msg, &q, sizeof(q));
	if (len)
		memcpy(msg + sizeof(q), data, len);
	struct port_msg m = {.data = msg,
			     .len = (uint32_t)sizeof(q) + len,
			     .handles = h,
			     .nhandles = nh};
	struct port_rx rx = {.buf = ans,
			     .cap = sizeof(ans),
			     .handles = ah,
			     .hcap = PORT_HANDLES_MAX};
	long r = sys_port_call(ep, &m, &rx, g_now() + TMO);
	if (r < 0)
		return r;
	anh = rx.nhandles;
	if (rx.len < sizeof(ar))
		return ERR_INVALID_ARGS;
	memcpy(&ar, ans, sizeof(ar));
	return ar.err;
}

static long gconnect(struct gconn *c)
{
	memset(c, 0, sizeof(*c));
	long r = sys_notif_create(&c->wake);
	if (r < 0)
		return r;
	handle_t w = g_dup(c->wake, RIGHT_SIGNAL | RIGHT_TRANSFER);
	r = call(pub.send, NET_CONNECT, 0, NET_PROTO_VERSION, 0, NULL, 0, &w,
		 1);
	if (r != 0)
		return r;
	if (anh != 2)
		return ERR_INVALID_ARGS;
	c->ep = ah[0];
	c->bell = ah[1];
	struct net_conn_info ci;
	memcpy(&ci, ans + sizeof(ar), sizeof(ci));
	c->bell_bits = ci.doorbell_bits;
	return 0;
}

static void gdisconnect(struct gconn *c)
{
	if (c->ep)
		sys_handle_close(c->ep);
	if (c->bell)
		sys_handle_close(c->bell);
	if (c->wake)
		sys_handle_close(c->wake);
	memset(c, 0, sizeof(*c));
}

static long take_sock(struct gconn *c, struct gsock *s)
{
	struct net_sock_info in;
	if (anh != 1 || ar.len < sizeof(in))
		return ERR_INVALID_ARGS;
	memcpy(&in, ans + sizeof(ar), sizeof(in));
	memset(s, 0, sizeof(*s));
	s->c = c;
	s->id = in.sock;
	s->type = in.type;
	s->grant = ah[0];
	s->rx_size = in.rx_size;
	s->tx_size = in.tx_size;
	s->shm_size = in.shm_size;
	s->wake_bit = in.wake_bit;
	long r = sys_grant_map(g_self(), s->grant, VM_PROT_READ | VM_PROT_WRITE,
			       0, &s->addr);
	if (r < 0)
		return r;
	s->shm = (struct net_shm *)s->addr;
	s->rx = (uint8_t *)s->addr + 4096;
	s->tx = s->rx + s->rx_size;
	return s->shm->magic == NET_SHM_MAGIC ? 0 : ERR_INVALID_ARGS;
}

static long gsocket(struct gconn *c, uint32_t type, struct gsock *s)
{
	long r = call(c->ep, NET_SOCKET, 0, 2, type, NULL, 0, NULL, 0);
	return r ? r : take_sock(c, s);
}

static long gclose(struct gsock *s)
{
	long r = call(s->c->ep, NET_CLOSE, s->id, 0, 0, NULL, 0, NULL, 0);
	sys_grant_unmap(g_self(), s->addr); /* gone already: revoked */
	/* The grant is dead: a new mapping is refused. */
	uint64_t a;
	long m = sys_grant_map(g_self(), s->grant, VM_PROT_READ, 0, &a);
	sys_handle_close(s->grant);
	if (r == 0 && m != ERR_BAD_STATE)
		return ERR_BAD_STATE;
	return r;
}

static struct net_addr lo_addr(uint16_t port)
{
	struct net_addr a = {.family = 2,
			     .port = (uint16_t)((port >> 8) | (port << 8)),
			     .addr = {127, 0, 0, 1}};
	return a;
}

static long gaddr_op(struct gsock *s, uint32_t op, uint16_t port)
{
	struct net_addr a = lo_addr(port);
	return call(s->c->ep, op, s->id, 0, 0, &a, sizeof(a), NULL, 0);
}

static void bell(struct gconn *c)
{
	sys_notif_signal(c->bell, c->bell_bits);
}

/* Waits until one of s's state bits in want is set. */
static bool wait_state(struct gsock *s, uint32_t want)
{
	uint64_t end = g_now() + TMO;
	while (!(s->shm->state & want)) {
		uint64_t bits;
		if (sys_notif_wait(s->c->wake, ~0ull, end, &bits) ==
		    ERR_TIMED_OUT)
			return false;
	}
	return true;
}

static uint8_t pat(uint64_t i)
{
	return (uint8_t)((i * 2654435761u) >> 11);
}

/* total bytes a -> b through the rings, every byte checked. */
static long stream(struct gsock *a, struct gsock *b, uint64_t total)
{
	uint64_t sent = 0, got = 0, end = g_now() + 60000 * MS;
	while (got < total) {
		bool moved = false;
		struct net_shm *ma = a->shm, *mb = b->shm;
		uint64_t h = ma->tx_head;
		uint64_t room = a->tx_size - (h - ma->tx_tail);
		if (room > total - sent)
			room = total - sent;
		for (uint64_t i = 0; i < room; i++)
			a->tx[(h + i) & (a->tx_size - 1)] = pat(sent + i);
		if (room) {
			__atomic_store_n(&ma->tx_head, h + room,
					 __ATOMIC_RELEASE);
			sent += room;
			moved = true;
		}
		uint64_t t = mb->rx_tail;
		uint64_t have =
			__atomic_load_n(&mb->rx_head, __ATOMIC_ACQUIRE) - t;
		for (uint64_t i = 0; i < have; i++)
			if (b->rx[(t + i) & (b->rx_size - 1)] != pat(got + i))
				return ERR_INVALID_ARGS;
		if (have) {
			__atomic_store_n(&mb->rx_tail, t + have,
					 __ATOMIC_RELEASE);
			got += have;
			moved = true;
		}
		if (moved) {
			bell(a->c);
			continue;
		}
		uint64_t bits;
		if (g_now() > end)
			return ERR_TIMED_OUT;
		sys_notif_wait(a->c->wake, ~0ull, g_now() + 100 * MS, &bits);
	}
	return 0;
}

static struct gconn gc;
static struct gsock lsn, cl, sv, u1, u2, bad;

static void tcp_body(void)
{
	GCHECK_OK(gconnect(&gc));
	GCHECK(gc.bell_bits >> 16);
	GCHECK_OK(gsocket(&gc, 1, &lsn));
	GCHECK_OK(gaddr_op(&lsn, NET_BIND, 8080));
	GCHECK_OK(call(gc.ep, NET_LISTEN, lsn.id, 4, 0, NULL, 0, NULL, 0));
	GCHECK_OK(gsocket(&gc, 1, &cl));
	GCHECK_OK(gaddr_op(&cl, NET_CONNECT_TO, 8080));
	GCHECK(wait_state(&cl, NET_ST_CONNECTED | NET_ST_ERROR));
	GCHECK(cl.shm->state & NET_ST_CONNECTED);
	GCHECK(wait_state(&lsn, NET_ST_ACCEPTABLE));
	GCHECK_OK(call(gc.ep, NET_ACCEPT, lsn.id, 0, 0, NULL, 0, NULL, 0));
	GCHECK_OK(take_sock(&gc, &sv));
	uint64_t t0 = g_now();
	GCHECK_OK(stream(&cl, &sv, 8u << 20));
	uint64_t t1 = g_now();
	GCHECK_OK(stream(&sv, &cl, 8u << 20));
	uint64_t t2 = g_now();
	printf("    netd_sock: TCP over 127.0.0.1, 8 MiB: %llu ms one way, "
	       "%llu ms back (%llu KiB/s)\n",
	       (unsigned long long)((t1 - t0) / MS),
	       (unsigned long long)((t2 - t1) / MS),
	       (unsigned long long)(8192000ull / ((t1 - t0) / MS + 1)));
	/* Close one end: EOF on the other; the closed grant is revoked. */
	GCHECK_OK(gclose(&cl));
	GCHECK(wait_state(&sv, NET_ST_RX_EOF));
	GCHECK_OK(gclose(&sv));
	GCHECK_OK(gclose(&lsn));
}

static void udp_body(void)
{
	GCHECK_OK(gsocket(&gc, 2, &u1));
	GCHECK_OK(gsocket(&gc, 2, &u2));
	GCHECK_OK(gaddr_op(&u1, NET_BIND, 7007));
	GCHECK_OK(gaddr_op(&u2, NET_BIND, 7008));
	struct net_addr to = lo_addr(7008);
	int ok = 0;
	for (uint32_t i = 0; i < 1000; i++) {
		uint32_t n = 1 + (i * 97u) % 1400u;
		struct net_shm *m = u1.shm;
		uint64_t h = m->tx_head;
		uint32_t off = (uint32_t)(h & (u1.tx_size - 1));
		uint32_t rec = 32 + ((n + 7u) & ~7u);
		if (off + rec > u1.tx_size) {
			uint32_t w = NET_DGRAM_WRAP;
			memcpy(u1.tx + off, &w, 4);
			h += u1.tx_size - off;
			off = 0;
		}
		GCHECK(h + rec - m->tx_tail <= u1.tx_size);
		struct net_dgram d = {.len = n, .addr = to};
		memcpy(u1.tx + off, &d, sizeof(d));
		for (uint32_t k = 0; k < n; k++)
			u1.tx[off + 32 + k] = (uint8_t)(i + k);
		__atomic_store_n(&m->tx_head, h + rec, __ATOMIC_RELEASE);
		bell(&gc);
		/* The datagram arrives in u2's ring. */
		uint64_t end = g_now() + TMO;
		while (u2.shm->rx_head == u2.shm->rx_tail && g_now() < end) {
			uint64_t bits;
			sys_notif_wait(gc.wake, ~0ull, g_now() + 50 * MS,
				       &bits);
		}
		GCHECK(u2.shm->rx_head != u2.shm->rx_tail);
		uint64_t t = u2.shm->rx_tail;
		uint32_t ro = (uint32_t)(t & (u2.rx_size - 1));
		uint32_t len;
		memcpy(&len, u2.rx + ro, 4);
		if (len == NET_DGRAM_WRAP) {
			t += u2.rx_size - ro;
			ro = 0;
		}
		struct net_dgram g;
		memcpy(&g, u2.rx + ro, sizeof(g));
		GCHECK_EQ(g.len, n);
		GCHECK_EQ(g.addr.port, lo_addr(7007).port);
		bool same = true;
		for (uint32_t k = 0; k < n; k++)
			same &= u2.rx[ro + 32 + k] == (uint8_t)(i + k);
		ok += same;
		__atomic_store_n(&u2.shm->rx_tail, t + 32 + ((n + 7u) & ~7u),
				 __ATOMIC_RELEASE);
		bell(&gc);
	}
	GCHECK_EQ(ok, 1000);
	GCHECK_OK(gclose(&u1));
	GCHECK_OK(gclose(&u2));
}

static void hostile_body(void)
{
	GCHECK_OK(gsocket(&gc, 2, &bad));
	bad.shm->tx_head = (uint64_t)bad.tx_size * 3; /* nonsense */
	bell(&gc);
	GCHECK(wait_state(&bad, NET_ST_ERROR));
	GCHECK_EQ(bad.shm->error, 22);
	GCHECK(bad.shm->state & NET_ST_CLOSED);
	GCHECK_OK(gclose(&bad));
	GCHECK_OK(cl_request(&pub, "{\"cmd\":\"status\"}", &resp));
	int64_t v = 0;
	GCHECK_OK(cl_resp_int(&resp, "sock_hostile", &v));
	GCHECK_EQ(v, 1);
	GCHECK_OK(cl_resp_int(&resp, "conns", &v));
	GCHECK_EQ(v, 1);
}

/* The client's endpoint goes: netd ends the connection. */
static void end_body(void)
{
	struct gsock left;
	GCHECK_OK(gsocket(&gc, 1, &left));
	gdisconnect(&gc);
	sys_grant_unmap(g_self(), left.addr);
	sys_handle_close(left.grant);
	int64_t conns = -1, socks = -1, mem = -1;
	for (int i = 0; i < 100 && (conns || socks || mem); i++) {
		GCHECK_OK(cl_request(&pub, "{\"cmd\":\"status\"}", &resp));
		GCHECK_OK(cl_resp_int(&resp, "conns", &conns));
		GCHECK_OK(cl_resp_int(&resp, "socks", &socks));
		GCHECK_OK(cl_resp_int(&resp, "mem_used", &mem));
		sys_sleep_until(g_now() + 10 * MS);
	}
	GCHECK_EQ(conns, 0);
	GCHECK_EQ(socks, 0);
	GCHECK_EQ(mem, 0);
}

GTEST(netd_sock_tcp_udp_hostile_over_loopback)
{
	long r = netd_start();
	if (r == 0) {
		tcp_body();
		udp_body();
		hostile_body();
		end_body();
	}
	gdisconnect(&gc);
	netd_stop();
	GCHECK_OK(r);
}
