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
struct fx_answer fx_ans;
bool fx_reply_fails;
uint64_t fx_now_ns;
static bool lwip_up;
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
	if (fx_reply_fails)
		return -22;
	struct net_resp resp;
	memcpy(&resp, msg, sizeof(resp));
	if (resp.len != len - sizeof(resp))
		abort();
	memset(&fx_ans, 0, sizeof(fx_ans));
	fx_ans.err = resp.err;
	fx_ans.val = resp.val;
	fx_ans.len = resp.len;
	memcpy(fx_ans.data, (const uint8_t *)msg + sizeof(resp), resp.len);
	fx_ans.nhandles = nhandles;
	for (uint32_t i = 0; i < nhandles; i++) {
		fx_ans.handles[i] = handles[i];
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

/* ---- lwIP's clock and netd's interface list ---- */

u32_t sys_now(void)
{
	return (u32_t)(fx_now_ns / 1000000u);
}

__attribute__((weak)) uint32_t netd_if_list(struct net_ifinfo *out,
					    uint32_t max)
{
	uint32_t n = 0;
	struct netif *nf;
	NETIF_FOREACH(nf)
	{
		if (n < max) {
			memset(&out[n], 0, sizeof(out[n]));
			snprintf(out[n].name, sizeof(out[n].name), "%c%c%u",
				 nf->name[0], nf->name[1], nf->num);
			out[n].mtu = nf->mtu;
			memcpy(out[n].addr, &netif_ip4_addr(nf)->addr, 4);
		}
		n++;
	}
	return n;
}

/* ---- fixture ---- */

int fx_netd_handles(void)
{
	int n = 0;
	for (uint32_t i = 1; i < FK_MAX; i++)
		if (fk[i].kind != FK_FREE && fk[i].netd && i != fk_port &&
		    i != fk_doorbell)
			n++;
	return n;
}

int fx_setup(uint64_t mem_limit)
{
	sock_fini(); /* what a failed test left */
	for (int i = 0; i < REG_MAX; i++)
		if (regs[i].live) {
			free(regs[i].base);
			regs[i].live = false;
		}
	memset(fk, 0, sizeof(fk));
	fx_reply_fails = false;
	if (!lwip_up) {
		fx_now_ns = 1000000000ull;
		lwip_init();
		lwip_up = true;
	}
	fk_port = fk_new(FK_PORT, true);
	fk_doorbell = fk_new(FK_DOORBELL, true);
	struct sock_config cfg = {.port = fk_port,
				  .doorbell = fk_doorbell,
				  .public_badge = FX_PUBLIC_BADGE,
				  .mem_limit = mem_limit};
	return sock_init(&cfg);
}

static uint32_t memp_used(memp_t t)
{
	return lwip_stats.memp[t]->used;
}

int fx_teardown(void)
{
	sock_fini();
	/* Let lwIP finish closing handshakes and TIME_WAIT (2 MSL). */
	fx_run(4000);
	for (int i = 0; i < 50; i++)
		fx_run(5000);
	int left = fx_netd_handles();
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
	uint32_t pcbs = memp_used(MEMP_TCP_PCB) +
			memp_used(MEMP_TCP_PCB_LISTEN) +
			memp_used(MEMP_UDP_PCB) + memp_used(MEMP_RAW_PCB);
	uint32_t pbufs = memp_used(MEMP_PBUF_POOL) + memp_used(MEMP_PBUF) +
			 memp_used(MEMP_TCP_SEG) +
			 (uint32_t)lwip_stats.mem.used; /* PBUF_RAM: the heap */
	if (pcbs || pbufs)
		fprintf(stderr, "    lwIP: %u pcbs, %u pbufs/segments left\n",
			pcbs, pbufs);
	return left + (int)pcbs + (int)pbufs;
}

void fx_run(uint32_t ms)
{
	uint32_t step = ms > 2000 ? 50 : 1;
	for (uint32_t t = 0; t < ms; t += step) {
		fx_now_ns += step * 1000000ull;
		for (int k = 0; k < 4; k++)
			netif_poll_all();
		sys_check_timeouts();
		sock_tick(fx_now_ns);
	}
}

static int call(uint64_t badge, const void *msg, uint32_t len,
		const handle_t *h, uint32_t nh, handle_t *reply_out)
{
	handle_t reply = fk_new(FK_REPLY, true);
	for (uint32_t i = 0; i < nh; i++)
		fk_get(h[i], false)->netd = true; /* moved in the message */
	memset(&fx_ans, 0, sizeof(fx_ans));
	cur_badge = badge;
	struct sock_msg m = {.badge = badge,
			     .sender = 42,
			     .data = msg,
			     .len = len,
			     .nhandles = nh,
			     .handles = h,
			     .reply = reply};
	sock_on_request(&m);
	if (reply_out)
		*reply_out = reply;
	if (!fk[reply].answered && fk[reply].kind == FK_REPLY)
		return FX_PARKED;
	fk[reply].answered = false;
	return fx_ans.err;
}

bool fx_answered(handle_t reply)
{
	bool a = fk[reply].answered || fk[reply].kind != FK_REPLY;
	if (fk[reply].answered)
		fk[reply].answered = false;
	return a;
}

int fx_connect(struct fx_conn *c)
{
	memset(c, 0, sizeof(*c));
	c->wake = fk_new(FK_NOTIF, false);
	struct net_req q = {.op = NET_CONNECT, .a = NET_PROTO_VERSION};
	int err = call(FX_PUBLIC_BADGE, &q, sizeof(q), &c->wake, 1, NULL);
	if (err)
		return err;
	if (fx_ans.nhandles != 2 || fx_ans.len != sizeof(struct net_conn_info))
		return -1000;
	c->ep = fx_ans.handles[0];
	c->doorbell = fx_ans.handles[1];
	c->badge = fk[c->ep].badge;
	fk[c->ep].owner = fk[c->doorbell].owner = c->badge;
	struct net_conn_info ci;
	memcpy(&ci, fx_ans.data, sizeof(ci));
	c->db_bits = ci.doorbell_bits;
	return 0;
}

void fx_disconnect(struct fx_conn *c)
{
	/* The process dies: its handles go, the endpoint's notice comes. */
	for (uint32_t i = 1; i < FK_MAX; i++)
		if (fk[i].kind != FK_FREE && !fk[i].netd &&
		    fk[i].owner == c->badge)
			fk[i].kind = FK_FREE;
	sock_on_closed(c->badge);
}

int fx_req(struct fx_conn *c, uint32_t op, uint32_t sock, uint32_t a,
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

void fx_take_sock(struct fx_conn *c, struct fx_sock *s)
{
	struct net_sock_info info;
	memcpy(&info, fx_ans.data, sizeof(info));
	memset(s, 0, sizeof(*s));
	s->c = c;
	s->id = info.sock;
	s->type = info.type;
	s->grant = fx_ans.handles[0];
	struct fk_region *rg = &regs[fk[s->grant].reg];
	s->shm = rg->base;
	s->rx_size = info.rx_size;
	s->tx_size = info.tx_size;
	s->rx = (uint8_t *)rg->base + 4096;
	s->tx = s->rx + s->rx_size;
	s->wake_bit = info.wake_bit;
}

int fx_socket(struct fx_conn *c, uint32_t type, uint32_t proto,
	      struct fx_sock *s)
{
	int err = fx_req(c, NET_SOCKET, 0, 2, type, proto, NULL, 0, NULL);
	if (err)
		return err;
	fx_take_sock(c, s);
	return 0;
}

int fx_accept(struct fx_sock *lsn, struct fx_sock *s, struct net_addr *peer)
{
	int err = fx_req(lsn->c, NET_ACCEPT, lsn->id, 0, 0, 0, NULL, 0, NULL);
	if (err)
		return err;
	if (peer)
		memcpy(peer, fx_ans.data + sizeof(struct net_sock_info),
		       sizeof(*peer));
	fx_take_sock(lsn->c, s);
	return 0;
}

bool fx_mapped(const struct fx_sock *s)
{
	return s->grant < FK_MAX && fk[s->grant].kind == FK_GRANT_CL &&
	       !regs[fk[s->grant].reg].revoked;
}

int fx_close(struct fx_sock *s)
{
	int err = fx_req(s->c, NET_CLOSE, s->id, 0, 0, 0, NULL, 0, NULL);
	/* The runtime unmaps and closes its grant handle. */
	if (s->grant < FK_MAX && fk[s->grant].kind == FK_GRANT_CL &&
	    !fk[s->grant].netd)
		fk[s->grant].kind = FK_FREE;
	s->shm = NULL;
	return err;
}

struct net_addr fx_addr(uint8_t a, uint8_t b, uint8_t c, uint8_t d,
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

int fx_bind(struct fx_sock *s, uint16_t port)
{
	struct net_addr a = fx_addr(127, 0, 0, 1, port);
	return fx_req(s->c, NET_BIND, s->id, 0, 0, 0, &a, sizeof(a), NULL);
}

int fx_listen(struct fx_sock *s, uint32_t backlog)
{
	return fx_req(s->c, NET_LISTEN, s->id, backlog, 0, 0, NULL, 0, NULL);
}

int fx_connect_to(struct fx_sock *s, uint16_t port)
{
	struct net_addr a = fx_addr(127, 0, 0, 1, port);
	return fx_req(s->c, NET_CONNECT_TO, s->id, 0, 0, 0, &a, sizeof(a),
		      NULL);
}

int fx_setopt_int(struct fx_sock *s, uint32_t level, uint32_t name, int v)
{
	return fx_req(s->c, NET_SETSOCKOPT, s->id, level, name, 0, &v,
		      sizeof(v), NULL);
}

int fx_getopt_int(struct fx_sock *s, uint32_t level, uint32_t name, int *v)
{
	int err = fx_req(s->c, NET_GETSOCKOPT, s->id, level, name, 0, NULL, 0,
			 NULL);
	if (!err && fx_ans.len == sizeof(int))
		memcpy(v, fx_ans.data, sizeof(int));
	return err;
}

uint32_t fx_state(const struct fx_sock *s)
{
	return s->shm->state;
}

void fx_doorbell(struct fx_conn *c)
{
	sock_on_doorbell(c->db_bits);
}

uint64_t fx_wakes(struct fx_conn *c)
{
	/* The fake keeps a moved handle's value: netd signals c->wake. */
	uint64_t b = fk[c->wake].bits;
	fk[c->wake].bits = 0;
	return b;
}

uint32_t fx_write(struct fx_sock *s, const void *buf, uint32_t n)
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
		fx_doorbell(s->c);
	return n;
}

uint32_t fx_read(struct fx_sock *s, void *buf, uint32_t n)
{
	struct net_shm *m = s->shm;
	uint64_t head = m->rx_head, tail = m->rx_tail;
	uint32_t have = (uint32_t)(head - tail);
	if (n > have)
		n = have;
	for (uint32_t i = 0; i < n; i++)
		((uint8_t *)buf)[i] = s->rx[(tail + i) & (s->rx_size - 1)];
	__atomic_store_n(&m->rx_tail, tail + n, __ATOMIC_RELEASE);
	if (n)
		fx_doorbell(s->c);
	return n;
}

bool fx_sendto(struct fx_sock *s, const void *buf, uint32_t n,
	       const struct net_addr *to)
{
	struct net_shm *m = s->shm;
	uint64_t head = m->tx_head, tail = m->tx_tail;
	uint32_t rec = (uint32_t)sizeof(struct net_dgram) + ((n + 7u) & ~7u);
	uint32_t off = (uint32_t)(head & (s->tx_size - 1));
	uint32_t pad = off + rec > s->tx_size ? s->tx_size - off : 0;
	if (head - tail + pad + rec > s->tx_size)
		return false;
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
	fx_doorbell(s->c);
	return true;
}

int fx_recvfrom(struct fx_sock *s, void *buf, uint32_t cap,
		struct net_addr *from)
{
	struct net_shm *m = s->shm;
	for (;;) {
		uint64_t head = m->rx_head, tail = m->rx_tail;
		if (head == tail)
			return -1;
		uint32_t off = (uint32_t)(tail & (s->rx_size - 1));
		uint32_t len;
		memcpy(&len, s->rx + off, 4);
		if (len == NET_DGRAM_WRAP) {
			m->rx_tail = tail + (s->rx_size - off);
			continue;
		}
		struct net_dgram h;
		memcpy(&h, s->rx + off, sizeof(h));
		uint32_t n = h.len < cap ? h.len : cap;
		memcpy(buf, s->rx + off + sizeof(h), n);
		if (from)
			*from = h.addr;
		__atomic_store_n(&m->rx_tail,
				 tail + sizeof(h) + ((h.len + 7u) & ~7u),
				 __ATOMIC_RELEASE);
		fx_doorbell(s->c);
		return (int)h.len;
	}
}
