/* The fixture of netd_sock_fix.h: fake kernel handles for sock_os.h,
 * lwIP's loopback driven by a fake clock, and a client. */
#include "netd_sock_fix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/init.h"
#include "lwip/memp.h"
#include "lwip/netif.h"
#include "lwip/stats.h"
#include "lwip/sys.h"
#include "lwip/timeouts.h"
#include "netd_fix.h"
#include "netd_stack.h"
#include "sock_os.h"

enum fk_kind {
	FK_FREE,
	FK_PORT,
	FK_NOTIF,    /* the client's wake-up notification */
	FK_DOORBELL, /* netd's, and its SIGNAL copies */
	FK_EP,	     /* a connection endpoint */
	FK_GRANT,    /* netd's grant handle */
	FK_GRANT_CL, /* the client's copy */
	FK_REPLY,
};

#define FK_MAX	8192
#define REG_MAX 4096

struct fk_handle {
	enum fk_kind kind;
	bool netd; /* in netd's table (else the client's) */
	uint64_t badge;
	uint64_t bits;	/* notifications: signalled, not yet read */
	int reg;	/* grants: the region */
	bool answered;	/* replies: an answer was given */
	uint64_t owner; /* client handles: the connection's badge */
};

struct fk_region {
	bool live, revoked;
	void *base;
	size_t size;
};

static struct fk_handle fk[FK_MAX];
static struct fk_region regs[REG_MAX];
static handle_t fk_port, fk_doorbell;
struct nx_answer nx_ans;
bool nx_reply_fails;
uint64_t nx_now_ns;
bool nx_quiet_reads;
uint64_t nx_sender = 42;
static uint64_t cur_badge; /* of the call being answered */

static handle_t fk_new(enum fk_kind k, bool netd)
{
	for (uint32_t i = 1; i < FK_MAX; i++) {
		if (fk[i].kind == FK_FREE) {
			memset(&fk[i], 0, sizeof(fk[i]));
			fk[i].kind = k;
			fk[i].netd = netd;
			fk[i].reg = -1;
			return i;
		}
	}
	fprintf(stderr, "fake: out of handles\n");
	abort();
}

static struct fk_handle *fk_get(handle_t h, bool netd)
{
	if (h == 0 || h >= FK_MAX || fk[h].kind == FK_FREE ||
	    fk[h].netd != netd) {
		fprintf(stderr, "fake: bad %s handle %u\n",
			netd ? "netd" : "client", h);
		abort(); /* a double close or a use after a move */
	}
	return &fk[h];
}

/* ---- sock_os.h ---- */

int sock_os_region_new(size_t size, struct sock_region *r, handle_t *client)
{
	int i = 0;
	while (i < REG_MAX && regs[i].live)
		i++;
	if (i == REG_MAX)
		return -105;
	void *p = aligned_alloc(4096, size);
	if (!p)
		return -105;
	memset(p, 0, size);
	regs[i] = (struct fk_region){.live = true, .base = p, .size = size};
	r->base = p;
	r->size = size;
	r->revoked = false;
	r->grant = fk_new(FK_GRANT, true);
	fk[r->grant].reg = i;
	*client = fk_new(FK_GRANT_CL, true);
	fk[*client].reg = i;
	return 0;
}

void sock_os_region_revoke(struct sock_region *r)
{
	struct fk_handle *g = fk_get(r->grant, true);
	regs[g->reg].revoked = true;
	r->revoked = true;
}

void sock_os_region_free(struct sock_region *r)
{
	struct fk_handle *g = fk_get(r->grant, true);
	struct fk_region *rg = &regs[g->reg];
	rg->revoked = true;
	memset(rg->base, 0xa5, rg->size); /* a stale reader sees garbage */
	free(rg->base);
	rg->live = false;
	g->kind = FK_FREE;
	r->grant = 0;
	r->base = NULL;
}

int sock_os_mint(handle_t port, uint64_t badge, handle_t *out)
{
	if (fk_get(port, true)->kind != FK_PORT)
		abort();
	*out = fk_new(FK_EP, true);
	fk[*out].badge = badge;
	return 0;
}

int sock_os_dup_signal(handle_t notif, handle_t *out)
{
	if (fk_get(notif, true)->kind != FK_DOORBELL)
		abort();
	*out = fk_new(FK_DOORBELL, true);
	return 0;
}

int sock_os_check_notif(handle_t h)
{
	return h < FK_MAX && fk[h].kind == FK_NOTIF && fk[h].netd ? 0 : -22;
}

void sock_os_signal(handle_t notif, uint64_t bits)
{
	fk_get(notif, true)->bits |= bits;
}

int sock_os_reply(handle_t reply, const void *msg, uint32_t len,
		  const handle_t *handles, uint32_t nhandles)
{
	struct fk_handle *r = fk_get(reply, true);
	if (r->kind != FK_REPLY || len < sizeof(struct net_resp))
		abort();
	r->kind = FK_FREE; /* consumed either way (sock_os.c closes it) */
	for (uint32_t i = 0; i < nhandles; i++)
		fk_get(handles[i], true);
	if (nx_reply_fails)
		return -22;
	struct net_resp resp;
	memcpy(&resp, msg, sizeof(resp));
	if (resp.len != len - sizeof(resp))
		abort();
	memset(&nx_ans, 0, sizeof(nx_ans));
	nx_ans.err = resp.err;
	nx_ans.val = resp.val;
	nx_ans.len = resp.len;
	memcpy(nx_ans.data, (const uint8_t *)msg + sizeof(resp), resp.len);
	nx_ans.nhandles = nhandles;
	for (uint32_t i = 0; i < nhandles; i++) {
		nx_ans.handles[i] = handles[i];
		fk[handles[i]].netd = false; /* moved to the client */
		fk[handles[i]].owner = cur_badge;
	}
	fk[reply].answered = true;
	return 0;
}

void sock_os_close(handle_t h)
{
	if (h)
		fk_get(h, true)->kind = FK_FREE;
}

/* ---- fixture ---- */

int nx_netd_handles(void)
{
	int n = 0;
	for (uint32_t i = 1; i < FK_MAX; i++)
		if (fk[i].kind != FK_FREE && fk[i].netd && i != fk_port &&
		    i != fk_doorbell)
			n++;
	return n;
}

static uint32_t memp_used(memp_t t)
{
	return lwip_stats.memp[t]->used;
}

/* lwIP's pcbs, and its pbufs/segments/heap bytes. */
static uint32_t lwip_pcbs(void)
{
	return memp_used(MEMP_TCP_PCB) + memp_used(MEMP_TCP_PCB_LISTEN) +
	       memp_used(MEMP_UDP_PCB) + memp_used(MEMP_RAW_PCB);
}

static uint32_t lwip_bufs(void)
{
	return memp_used(MEMP_PBUF_POOL) + memp_used(MEMP_PBUF) +
	       memp_used(MEMP_TCP_SEG) + (uint32_t)lwip_stats.mem.used;
}

/* What other tests' lwIP use left (lwIP is one per process). */
static uint32_t base_pcbs, base_bufs;

int nx_setup(uint64_t mem_limit)
{
	sock_fini(); /* what a failed test left */
	for (int i = 0; i < REG_MAX; i++)
		if (regs[i].live) {
			free(regs[i].base);
			regs[i].live = false;
		}
	memset(fk, 0, sizeof(fk));
	nx_reply_fails = false;
	nx_quiet_reads = false;
	nx_sender = 42;
	netd_test_lwip(); /* once per process: lwIP's state is global */
	base_pcbs = lwip_pcbs();
	base_bufs = lwip_bufs();
	nx_now_ns = (uint64_t)netd_test_now_ms * 1000000u;
	fk_port = fk_new(FK_PORT, true);
	fk_doorbell = fk_new(FK_DOORBELL, true);
	struct sock_config cfg = {.port = fk_port,
				  .doorbell = fk_doorbell,
				  .public_badge = NX_PUBLIC_BADGE,
				  .raw_badge = NX_RAW_BADGE,
				  .mem_limit = mem_limit};
	return sock_init(&cfg);
}

int nx_teardown(void)
{
	sock_fini();
	/* Let lwIP finish closing handshakes and TIME_WAIT (2 MSL). */
	nx_run(4000);
	for (int i = 0; i < 50; i++)
		nx_run(5000);
	int left = nx_netd_handles();
	for (uint32_t i = 1; i < FK_MAX; i++)
		if (fk[i].kind != FK_FREE && fk[i].netd && i != fk_port &&
		    i != fk_doorbell)
			fprintf(stderr, "    netd handle %u kind %d left\n", i,
				fk[i].kind);
	for (int i = 0; i < REG_MAX; i++)
		if (regs[i].live) {
			fprintf(stderr, "    region %d left\n", i);
			left++;
		}
	/* More than before the test (fewer: earlier TIME_WAITs ended). */
	int pcbs = (int)lwip_pcbs() - (int)base_pcbs;
	int pbufs = (int)lwip_bufs() - (int)base_bufs;
	pcbs = pcbs < 0 ? 0 : pcbs;
	pbufs = pbufs < 0 ? 0 : pbufs;
	if (pcbs || pbufs)
		fprintf(stderr, "    lwIP: %d pcbs, %d pbufs/segments left\n",
			pcbs, pbufs);
	return left + pcbs + pbufs;
}

void nx_run(uint32_t ms)
{
	uint32_t step = ms > 2000 ? 50 : 1;
	for (uint32_t t = 0; t < ms; t += step) {
		netd_test_now_ms += step;
		nx_now_ns = (uint64_t)netd_test_now_ms * 1000000u;
		netd_stack_poll(); /* timers, loopback deliveries */
		sock_tick(nx_now_ns);
	}
}

static int call(uint64_t badge, const void *msg, uint32_t len,
		const handle_t *h, uint32_t nh, handle_t *reply_out)
{
	handle_t reply = fk_new(FK_REPLY, true);
	for (uint32_t i = 0; i < nh; i++)
		fk_get(h[i], false)->netd = true; /* moved in the message */
	memset(&nx_ans, 0, sizeof(nx_ans));
	cur_badge = badge;
	struct sock_msg m = {.badge = badge,
			     .sender = nx_sender,
			     .data = msg,
			     .len = len,
			     .nhandles = nh,
			     .handles = h,
			     .reply = reply};
	sock_on_request(&m);
	if (reply_out)
		*reply_out = reply;
	if (!fk[reply].answered && fk[reply].kind == FK_REPLY)
		return NX_PARKED;
	if (!fk[reply].answered)
		return NX_GONE; /* the answer was refused (nx_reply_fails) */
	fk[reply].answered = false;
	return nx_ans.err;
}

bool nx_answered(handle_t reply)
{
	bool a = fk[reply].answered || fk[reply].kind != FK_REPLY;
	if (fk[reply].answered)
		fk[reply].answered = false;
	return a;
}

int nx_connect(struct nx_conn *c)
{
	return nx_connect_via(c, NX_PUBLIC_BADGE);
}

int nx_connect_via(struct nx_conn *c, uint64_t badge)
{
	memset(c, 0, sizeof(*c));
	c->wake = fk_new(FK_NOTIF, false);
	struct net_req q = {.op = NET_CONNECT, .a = NET_PROTO_VERSION};
	int err = call(badge, &q, sizeof(q), &c->wake, 1, NULL);
	if (err)
		return err;
	if (nx_ans.nhandles != 2 || nx_ans.len != sizeof(struct net_conn_info))
		return -1000;
	c->ep = nx_ans.handles[0];
	c->doorbell = nx_ans.handles[1];
	c->badge = fk[c->ep].badge;
	fk[c->ep].owner = fk[c->doorbell].owner = c->badge;
	struct net_conn_info ci;
	memcpy(&ci, nx_ans.data, sizeof(ci));
	c->db_bits = ci.doorbell_bits;
	return 0;
}

void nx_disconnect(struct nx_conn *c)
{
	/* The process dies: its handles go, the endpoint's notice comes. */
	for (uint32_t i = 1; i < FK_MAX; i++)
		if (fk[i].kind != FK_FREE && !fk[i].netd &&
		    fk[i].owner == c->badge)
			fk[i].kind = FK_FREE;
	sock_on_closed(c->badge);
}

int nx_req(struct nx_conn *c, uint32_t op, uint32_t sock, uint32_t a,
	   uint32_t b, uint32_t cc, const void *data, uint32_t len,
	   handle_t *reply)
{
	static uint8_t buf[8192];
	struct net_req q = {
		.op = op, .sock = sock, .a = a, .b = b, .c = cc, .len = len};
	memcpy(buf, &q, sizeof(q));
	if (len)
		memcpy(buf + sizeof(q), data, len);
	return call(c->badge, buf, (uint32_t)sizeof(q) + len, NULL, 0, reply);
}

void nx_take_sock(struct nx_conn *c, struct nx_sock *s)
{
	struct net_sock_info info;
	memcpy(&info, nx_ans.data, sizeof(info));
	memset(s, 0, sizeof(*s));
	s->c = c;
	s->id = info.sock;
	s->type = info.type;
	s->grant = nx_ans.handles[0];
	struct fk_region *rg = &regs[fk[s->grant].reg];
	s->shm = rg->base;
	s->rx_size = info.rx_size;
	s->tx_size = info.tx_size;
	s->rx = (uint8_t *)rg->base + 4096;
	s->tx = s->rx + s->rx_size;
	s->wake_bit = info.wake_bit;
}

int nx_socket(struct nx_conn *c, uint32_t type, uint32_t proto,
	      struct nx_sock *s)
{
	int err = nx_req(c, NET_SOCKET, 0, 2, type, proto, NULL, 0, NULL);
	if (err)
		return err;
	nx_take_sock(c, s);
	return 0;
}

int nx_accept(struct nx_sock *lsn, struct nx_sock *s, struct net_addr *peer)
{
	int err = nx_req(lsn->c, NET_ACCEPT, lsn->id, 0, 0, 0, NULL, 0, NULL);
	if (err)
		return err;
	if (peer)
		memcpy(peer, nx_ans.data + sizeof(struct net_sock_info),
		       sizeof(*peer));
	nx_take_sock(lsn->c, s);
	return 0;
}

bool nx_mapped(const struct nx_sock *s)
{
	return s->grant < FK_MAX && fk[s->grant].kind == FK_GRANT_CL &&
	       !regs[fk[s->grant].reg].revoked;
}

int nx_close(struct nx_sock *s)
{
	int err = nx_req(s->c, NET_CLOSE, s->id, 0, 0, 0, NULL, 0, NULL);
	/* The runtime unmaps and closes its grant handle. */
	if (s->grant < FK_MAX && fk[s->grant].kind == FK_GRANT_CL &&
	    !fk[s->grant].netd)
		fk[s->grant].kind = FK_FREE;
	s->shm = NULL;
	return err;
}

struct net_addr nx_addr(uint8_t a, uint8_t b, uint8_t c, uint8_t d,
			uint16_t port)
{
	struct net_addr r = {.family = 2,
			     .port = (uint16_t)((port >> 8) | (port << 8))};
	r.addr[0] = a;
	r.addr[1] = b;
	r.addr[2] = c;
	r.addr[3] = d;
	return r;
}

int nx_bind(struct nx_sock *s, uint16_t port)
{
	struct net_addr a = nx_addr(127, 0, 0, 1, port);
	return nx_req(s->c, NET_BIND, s->id, 0, 0, 0, &a, sizeof(a), NULL);
}

int nx_listen(struct nx_sock *s, uint32_t backlog)
{
	return nx_req(s->c, NET_LISTEN, s->id, backlog, 0, 0, NULL, 0, NULL);
}

int nx_connect_to(struct nx_sock *s, uint16_t port)
{
	struct net_addr a = nx_addr(127, 0, 0, 1, port);
	return nx_req(s->c, NET_CONNECT_TO, s->id, 0, 0, 0, &a, sizeof(a),
		      NULL);
}

int nx_setopt_int(struct nx_sock *s, uint32_t level, uint32_t name, int v)
{
	return nx_req(s->c, NET_SETSOCKOPT, s->id, level, name, 0, &v,
		      sizeof(v), NULL);
}

int nx_getopt_int(struct nx_sock *s, uint32_t level, uint32_t name, int *v)
{
	int err = nx_req(s->c, NET_GETSOCKOPT, s->id, level, name, 0, NULL, 0,
			 NULL);
	if (!err && nx_ans.len == sizeof(int))
		memcpy(v, nx_ans.data, sizeof(int));
	return err;
}

uint32_t nx_state(const struct nx_sock *s)
{
	return s->shm->state;
}

void nx_doorbell(struct nx_conn *c)
{
	sock_on_doorbell(c->db_bits);
}

uint64_t nx_wakes(struct nx_conn *c)
{
	/* The fake keeps a moved handle's value: netd signals c->wake. */
	uint64_t b = fk[c->wake].bits;
	fk[c->wake].bits = 0;
	return b;
}

uint32_t nx_write(struct nx_sock *s, const void *buf, uint32_t n)
{
	struct net_shm *m = s->shm;
	uint64_t head = m->tx_head, tail = m->tx_tail;
	uint32_t room = s->tx_size - (uint32_t)(head - tail);
	if (n > room)
		n = room;
	for (uint32_t i = 0; i < n; i++)
		s->tx[(head + i) & (s->tx_size - 1)] =
			((const uint8_t *)buf)[i];
	__atomic_store_n(&m->tx_head, head + n, __ATOMIC_RELEASE);
	if (n)
		nx_doorbell(s->c);
	return n;
}

uint32_t nx_read(struct nx_sock *s, void *buf, uint32_t n)
{
	struct net_shm *m = s->shm;
	uint64_t head = m->rx_head, tail = m->rx_tail;
	uint32_t have = (uint32_t)(head - tail);
	if (n > have)
		n = have;
	for (uint32_t i = 0; i < n; i++)
		((uint8_t *)buf)[i] = s->rx[(tail + i) & (s->rx_size - 1)];
	__atomic_store_n(&m->rx_tail, tail + n, __ATOMIC_RELEASE);
	if (n && !nx_quiet_reads)
		nx_doorbell(s->c);
	return n;
}

bool nx_sendto(struct nx_sock *s, const void *buf, uint32_t n,
	       const struct net_addr *to)
{
	struct net_shm *m = s->shm;
	uint64_t head = m->tx_head, tail = m->tx_tail;
	uint32_t rec = (uint32_t)sizeof(struct net_dgram) + ((n + 7u) & ~7u);
	uint32_t off = (uint32_t)(head & (s->tx_size - 1));
	uint32_t pad = off + rec > s->tx_size ? s->tx_size - off : 0;
	if ((head & 7u) || head - tail > s->tx_size ||
	    head - tail + pad + rec > s->tx_size)
		return false; /* scribbled counters: the runtime gives EIO */
	if (pad) {
		uint32_t w = NET_DGRAM_WRAP;
		memcpy(s->tx + off, &w, 4);
		off = 0;
	}
	struct net_dgram h = {.len = n};
	if (to)
		h.addr = *to;
	memcpy(s->tx + off, &h, sizeof(h));
	memcpy(s->tx + off + sizeof(h), buf, n);
	__atomic_store_n(&m->tx_head, head + pad + rec, __ATOMIC_RELEASE);
	nx_doorbell(s->c);
	return true;
}

int nx_recvfrom(struct nx_sock *s, void *buf, uint32_t cap,
		struct net_addr *from)
{
	struct net_shm *m = s->shm;
	/* Checked as the runtime checks them: tests scribble these. */
	for (int tries = 0; tries < 2; tries++) {
		uint64_t head = m->rx_head, tail = m->rx_tail;
		if (head == tail || head - tail > s->rx_size)
			return -1;
		uint32_t off = (uint32_t)(tail & (s->rx_size - 1));
		uint32_t len;
		memcpy(&len, s->rx + off, 4);
		if (len == NET_DGRAM_WRAP) {
			m->rx_tail = tail + (s->rx_size - off);
			continue;
		}
		struct net_dgram h;
		if (s->rx_size - off < sizeof(h))
			return -1;
		memcpy(&h, s->rx + off, sizeof(h));
		uint32_t rec = (uint32_t)sizeof(h) + ((h.len + 7u) & ~7u);
		if (h.len > s->rx_size / 2 || rec > s->rx_size - off)
			return -1;
		uint32_t n = h.len < cap ? h.len : cap;
		memcpy(buf, s->rx + off + sizeof(h), n);
		if (from)
			*from = h.addr;
		__atomic_store_n(&m->rx_tail, tail + rec, __ATOMIC_RELEASE);
		if (!nx_quiet_reads)
			nx_doorbell(s->c);
		return (int)h.len;
	}
	return -1;
}
