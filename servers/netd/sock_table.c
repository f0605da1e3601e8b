/* Sockets: the per-connection table, the regions granted to clients
 * (struct net_shm + rx ring + tx ring), netd's memory bound, and how
 * state reaches the client (shm words, then a wake-up bit). */
#include <stdlib.h>
#include <string.h>

#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"
#include "lwip/timeouts.h"
#include "sock_int.h"

struct sk_globals sk_g;

uint32_t sk_ring_size(uint32_t want)
{
	if (want < NET_RING_MIN)
		want = NET_RING_MIN;
	if (want > NET_RING_MAX)
		want = NET_RING_MAX;
	uint32_t r = NET_RING_MIN;
	while (r < want)
		r <<= 1;
	return r;
}

static uint64_t region_bytes(uint32_t rx, uint32_t tx)
{
	return (uint64_t)SK_PAGE + rx + tx;
}

struct sock *sk_alloc(struct sconn *c, uint8_t type, uint32_t rx_size,
		      uint32_t tx_size, int *err)
{
	if (c->nsocks >= NET_SOCKS_PER_CONN) {
		sk_g.st.refused++;
		*err = -NE_EMFILE;
		return NULL;
	}
	rx_size = sk_ring_size(rx_size);
	tx_size = sk_ring_size(tx_size);
	/* Under memory pressure new sockets get smaller rings rather than
	 * none. A client task (all its connections, its lingering sockets
	 * too: REVIEW-17 F3) may use half of netd's bound, and keeps room
	 * for the rest of a connection's NET_SOCKS_PER_CONN sockets at the
	 * smallest size; a region takes at most 1/8 of what is left above
	 * that, and 1/16 of what netd has left overall. */
	struct sk_task *t = c->task;
	uint64_t limit = sk_g.cfg.mem_limit;
	uint64_t min_reg = region_bytes(NET_RING_MIN, NET_RING_MIN);
	uint64_t left = limit - sk_g.mem_used;
	uint64_t share = t->mem < limit / 2 ? limit / 2 - t->mem : 0;
	if (share < left)
		left = share;
	uint64_t reserve = (NET_SOCKS_PER_CONN - 1u - c->nsocks) * min_reg;
	uint64_t cap = share > reserve ? (share - reserve) / 8 : 0;
	if (cap > (limit - sk_g.mem_used) / 16)
		cap = (limit - sk_g.mem_used) / 16;
	while (region_bytes(rx_size, tx_size) > cap &&
	       (rx_size > NET_RING_MIN || tx_size > NET_RING_MIN)) {
		if (rx_size > NET_RING_MIN)
			rx_size >>= 1;
		if (tx_size > NET_RING_MIN)
			tx_size >>= 1;
	}
	uint64_t bytes = region_bytes(rx_size, tx_size);
	if (bytes > left) {
		sk_g.st.refused++;
		*err = -NE_ENOBUFS;
		return NULL;
	}
	uint32_t slot = 0;
	while (slot < NET_SOCKS_PER_CONN && c->socks[slot])
		slot++;
	struct sock *s = calloc(1, sizeof(*s));
	if (!s || slot == NET_SOCKS_PER_CONN) {
		free(s);
		*err = -NE_ENOBUFS;
		return NULL;
	}
	handle_t client = HANDLE_INVALID;
	int r = sock_os_region_new(bytes, &s->reg, &client);
	if (r < 0) {
		free(s);
		sk_g.st.refused++;
		*err = r;
		return NULL;
	}
	sk_g.mem_used += bytes;
	t->mem += bytes;
	sk_task_ref(t);
	s->task = t;
	s->rx_pend.task = t;
	s->pool = SK_POOL_NONE;
	s->conn = c;
	c->seq = (c->seq + 1) & 0xffffffu;
	if (c->seq == 0)
		c->seq = 1;
	s->id = (c->seq << 8) | slot;
	s->type = type;
	s->shm = s->reg.base;
	s->rx = (uint8_t *)s->reg.base + SK_PAGE;
	s->tx = s->rx + rx_size;
	s->rx_size = rx_size;
	s->tx_size = tx_size;
	s->shm->magic = NET_SHM_MAGIC;
	s->shm->version = NET_PROTO_VERSION;
	s->shm->rx_size = rx_size;
	s->shm->tx_size = tx_size;
	s->rcvbuf = rx_size;
	s->sndbuf = tx_size;
	s->ttl = 64;
	s->client_grant = client;
	c->socks[slot] = s;
	c->nsocks++;
	if (slot >= c->top)
		c->top = slot + 1;
	sk_g.st.socks++;
	*err = 0;
	return s;
}

struct sock *sk_lookup(struct sconn *c, uint32_t id)
{
	struct sock *s = c->socks[id & 0xffu];
	return s && s->id == id && !s->dead ? s : NULL;
}

void sk_info(const struct sock *s, struct net_sock_info *out)
{
	memset(out, 0, sizeof(*out));
	out->sock = s->id;
	out->type = s->icmp_dgram ? SK_DGRAM : s->type;
	out->wake_bit = 1ull << (s->id & 63u);
	out->rx_size = s->rx_size;
	out->tx_size = s->tx_size;
	out->shm_size = (uint32_t)s->reg.size;
}

void sk_detach(struct sock *s)
{
	struct sconn *c = s->conn;
	if (c) {
		c->socks[s->id & 0xffu] = NULL;
		c->nsocks--;
		while (c->top && !c->socks[c->top - 1])
			c->top--;
		s->conn = NULL;
	}
	if (s->client_grant) {
		sock_os_close(s->client_grant);
		s->client_grant = HANDLE_INVALID;
	}
	sock_os_region_revoke(&s->reg);
}

static void unlink_from(struct sock **head, struct sock *s, size_t next_off)
{
	for (struct sock **pp = head; *pp;
	     pp = (struct sock **)((char *)*pp + next_off)) {
		if (*pp == s) {
			*pp = *(struct sock **)((char *)s + next_off);
			return;
		}
	}
}

void sk_kill(struct sock *s)
{
	if (s->dead)
		return;
	s->dead = true;
	s->next_dead = sk_g.dead_list;
	sk_g.dead_list = s;
}

void sk_reap(void)
{
	while (sk_g.dead_list) {
		struct sock *s = sk_g.dead_list;
		sk_g.dead_list = s->next_dead;
		sk_detach(s);
		if (s->stalled)
			unlink_from(&sk_g.stalled_list, s,
				    offsetof(struct sock, next_stalled));
		if (s->lingering)
			unlink_from(&sk_g.linger_list, s,
				    offsetof(struct sock, next_linger));
		sk_rxq_drop(&s->rx_pend);
		/* Its pcb is gone or lwIP's (TIME_WAIT, nothing unacked). */
		sk_uncharge(s);
		s->pcb.any = NULL;
		sk_tx_sync(s);
		sk_g.mem_used -= s->reg.size;
		s->task->mem -= s->reg.size;
		sk_task_put(s->task);
		sock_os_region_free(&s->reg);
		sk_g.st.socks--;
		free(s);
	}
}

static void flush_timer(void *arg)
{
	(void)arg;
	sk_g.flush_armed = false;
	sk_flush_wakes();
}

/* A change made while lwIP calls back from netd's own polling (frames
 * in, loopback deliveries, timers): no entry point will flush it, and
 * netd may be about to sleep. A zero-delay lwIP timer makes its loop
 * come round at once (sys_timeouts_sleeptime() is 0) and flushes. */
static void arm_flush(void)
{
	if (sk_g.in_entry || sk_g.flush_armed)
		return;
	sk_g.flush_armed = true;
	sys_timeout(0, flush_timer, NULL);
}

void sk_enter(void)
{
	sk_g.in_entry++;
}

void sk_leave(void)
{
	if (--sk_g.in_entry)
		return;
	sk_reap();
	sk_flush_wakes();
}

void sk_disarm_flush(void)
{
	if (sk_g.flush_armed)
		sys_untimeout(flush_timer, NULL);
	sk_g.flush_armed = false;
}

/* Counters and state go out before the wake-up; release stores so the
 * client sees the ring bytes before the counter that covers them. */
void sk_publish(struct sock *s)
{
	struct net_shm *m = s->shm;
	bool changed = false;
	if (m->rx_head != s->rx_head) {
		__atomic_store_n(&m->rx_head, s->rx_head, __ATOMIC_RELEASE);
		changed = true;
	}
	if (m->tx_tail != s->tx_tail) {
		__atomic_store_n(&m->tx_tail, s->tx_tail, __ATOMIC_RELEASE);
		changed = true;
	}
	if (m->error != s->error) {
		__atomic_store_n(&m->error, s->error, __ATOMIC_RELEASE);
		changed = true;
	}
	if (m->accept_pending != s->npending) {
		__atomic_store_n(&m->accept_pending, s->npending,
				 __ATOMIC_RELEASE);
		changed = true;
	}
	if (m->state != s->state) {
		__atomic_store_n(&m->state, s->state, __ATOMIC_RELEASE);
		changed = true;
	}
	if (changed && s->conn) {
		s->conn->wake_pending |= 1ull << (s->id & 63u);
		uint32_t slot = s->conn->slot;
		sk_g.wake_map[slot / 64] |= 1ull << (slot % 64);
		arm_flush();
	}
}

void sk_set_state(struct sock *s, uint32_t set, uint32_t clear)
{
	s->state = (s->state & ~clear) | set;
}

void sk_set_error(struct sock *s, int err)
{
	s->error = err;
	s->state |= NET_ST_ERROR;
}

void sk_hostile(struct sock *s)
{
	if (s->hostile)
		return;
	s->hostile = true;
	sk_g.st.hostile++;
	sk_set_error(s, NE_EINVAL);
	sk_set_state(s, NET_ST_CLOSED,
		     NET_ST_CONNECTED | NET_ST_CONNECTING | NET_ST_ACCEPTABLE);
	if (s->type == SK_STREAM)
		sk_tcp_abort(s);
	else
		sk_dgram_close(s);
	sk_publish(s);
}

bool sk_read_counters(struct sock *s, uint64_t *rx_tail, uint64_t *tx_head)
{
	uint64_t rt = __atomic_load_n(&s->shm->rx_tail, __ATOMIC_ACQUIRE);
	uint64_t th = __atomic_load_n(&s->shm->tx_head, __ATOMIC_ACQUIRE);
	if (rt < s->rx_tail || rt > s->rx_head || th < s->tx_head ||
	    th - s->tx_tail > s->tx_size) {
		sk_hostile(s);
		return false;
	}
	*rx_tail = rt;
	*tx_head = th;
	return true;
}

void sk_stall(struct sock *s)
{
	if (s->stalled || s->dead)
		return;
	s->stalled = true;
	s->next_stalled = sk_g.stalled_list;
	sk_g.stalled_list = s;
}

void sk_flush_wakes(void)
{
	for (uint32_t w = 0; w < (sk_g.nconns + 63) / 64; w++) {
		uint64_t bits = sk_g.wake_map[w];
		sk_g.wake_map[w] = 0;
		while (bits) {
			uint32_t i = w * 64 + (uint32_t)__builtin_ctzll(bits);
			bits &= bits - 1;
			struct sconn *c = &sk_g.conns[i];
			/* a bit of an ended connection: wake_pending was
			 * cleared with it */
			if (c->used && c->wake_pending) {
				sock_os_signal(c->wake, c->wake_pending);
				c->wake_pending = 0;
			}
		}
	}
}

/* SO_REUSEADDR lets lwIP bind a port another pcb holds, and lwIP then
 * prefers the more specific address: another task could take over a
 * listener or a UDP port. Reuse is allowed only among one task's own
 * sockets (REVIEW-17 F9); TIME_WAIT pcbs belong to nobody here. */
bool sk_port_taken(const struct sock *me, const ip_addr_t *ip, uint16_t port)
{
	uint64_t sender = me->conn ? me->conn->sender : 0;
	bool me_udp = me->type == SK_DGRAM && !me->icmp_dgram;
	if (!port || (me->type != SK_STREAM && !me_udp))
		return false;
	for (uint32_t i = 0; i < sk_g.nconns; i++) {
		const struct sconn *c = &sk_g.conns[i];
		if (!c->used || c->sender == sender)
			continue;
		for (uint32_t k = 0; k < NET_SOCKS_PER_CONN; k++) {
			const struct sock *o = c->socks[k];
			if (!o || o->type != me->type || o->icmp_dgram ||
			    !o->pcb.any)
				continue;
			const ip_addr_t *oip;
			uint16_t oport;
			if (o->type == SK_STREAM) {
				oip = &o->pcb.tcp->local_ip;
				oport = o->pcb.tcp->local_port;
			} else {
				oip = &o->pcb.udp->local_ip;
				oport = o->pcb.udp->local_port;
			}
			if (oport == port &&
			    (ip_addr_isany(oip) || ip_addr_isany(ip) ||
			     ip_addr_cmp(oip, ip)))
				return true;
		}
	}
	return false;
}
