/* Client tasks: what one task (port_rx.sender) holds of netd's shared
 * resources, over all its connections and its lingering sockets
 * (REVIEW-17 F2, F3, F4):
 *  - lwIP's pcbs, per pool, each capped at a fraction of the pool
 *    (SK_CAP_*): a socket is charged from its pcb's creation until the
 *    pcb is gone or handed to lwIP for good; a connection waiting on a
 *    listener (before NET_ACCEPT) is charged to the listener's task;
 *  - region bytes (half of netd's bound per task, sk_alloc);
 *  - bytes its TCP pcbs keep in lwIP's heap (written, not yet acked),
 *    at most SK_LWIP_TX_SHARE: pump_tx stops feeding tcp_write beyond;
 *  - received bytes copied into netd's chunks, at most SK_RXBUF_TASK:
 *    beyond, the recv callback refuses and lwIP keeps the segment.
 *
 * Lifetime: a task record exists while a connection or a socket (or a
 * waiting connection) names it: refs counts them. */
#include <stdlib.h>

#include "lwip/opt.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "sock_int.h"

static const uint32_t caps[SK_POOLS] = {
	[SK_POOL_TCP] = SK_CAP_TCP,
	[SK_POOL_LISTEN] = SK_CAP_LISTEN,
	[SK_POOL_UDP] = SK_CAP_UDP,
	[SK_POOL_RAW] = SK_CAP_RAW,
};

struct sk_task *sk_task_get(uint64_t sender)
{
	for (struct sk_task *t = sk_g.tasks; t; t = t->next) {
		if (t->sender == sender) {
			t->refs++;
			return t;
		}
	}
	struct sk_task *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->sender = sender;
	t->refs = 1;
	t->next = sk_g.tasks;
	sk_g.tasks = t;
	return t;
}

void sk_task_ref(struct sk_task *t)
{
	t->refs++;
}

void sk_task_put(struct sk_task *t)
{
	if (!t || --t->refs)
		return;
	for (struct sk_task **pp = &sk_g.tasks; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	free(t);
}

bool sk_task_charge(struct sk_task *t, uint8_t pool)
{
	if (t->pcbs[pool] >= caps[pool]) {
		sk_g.st.refused++;
		return false;
	}
	t->pcbs[pool]++;
	return true;
}

void sk_task_uncharge(struct sk_task *t, uint8_t pool)
{
	if (pool < SK_POOLS && t->pcbs[pool])
		t->pcbs[pool]--;
}

bool sk_charge(struct sock *s, uint8_t pool)
{
	if (s->pool != SK_POOL_NONE)
		sk_uncharge(s);
	if (!sk_task_charge(s->task, pool))
		return false;
	s->pool = pool;
	return true;
}

void sk_uncharge(struct sock *s)
{
	if (s->pool == SK_POOL_NONE)
		return;
	sk_task_uncharge(s->task, s->pool);
	s->pool = SK_POOL_NONE;
}

/* Bytes s's TCP pcb keeps in lwIP's heap: written, not yet acked
 * (snd_buf itself: tcp_sndbuf() is capped at 64 KiB with scaling). */
void sk_tx_sync(struct sock *s)
{
	uint32_t now = 0;
	struct tcp_pcb *p = s->pcb.tcp;
	if (s->type == SK_STREAM && p && !s->listening &&
	    p->snd_buf < TCP_SND_BUF)
		now = TCP_SND_BUF - p->snd_buf;
	s->task->lwip_tx -= s->lwip_tx;
	s->task->lwip_tx += now;
	s->lwip_tx = now;
}

uint32_t sk_tx_room(const struct sock *s)
{
	uint64_t used = s->task->lwip_tx;
	return used >= SK_LWIP_TX_SHARE ? 0
					: (uint32_t)(SK_LWIP_TX_SHARE - used);
}

bool sock_task_usage(uint64_t sender, struct sock_task_use *out)
{
	for (const struct sk_task *t = sk_g.tasks; t; t = t->next) {
		if (t->sender != sender)
			continue;
		out->tcp = t->pcbs[SK_POOL_TCP];
		out->listen = t->pcbs[SK_POOL_LISTEN];
		out->udp = t->pcbs[SK_POOL_UDP];
		out->raw = t->pcbs[SK_POOL_RAW];
		out->mem = t->mem;
		out->lwip_tx = t->lwip_tx;
		out->rxbuf = t->rxbuf;
		return true;
	}
	*out = (struct sock_task_use){0};
	return false;
}
