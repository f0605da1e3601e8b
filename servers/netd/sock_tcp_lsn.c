/* TCP listen/accept over lwIP's raw API, split from sock_tcp.c (the
 * connection's data side). A connection lwIP accepts waits as a struct
 * sk_pending on the listener's queue, charged to the listener's task,
 * until the client's NET_ACCEPT turns it into a struct sock. */
#include <stdlib.h>

#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "sock_int.h"

/* lwIP tells the listener about a new connection: it waits, with
 * whatever it sends, until the client's NET_ACCEPT. */
static void pend_unlink(struct sock *lsn, struct sk_pending *pd)
{
	for (struct sk_pending **pp = &lsn->pend_head; *pp; pp = &(*pp)->next) {
		if (*pp == pd) {
			*pp = pd->next;
			break;
		}
	}
	lsn->pend_tail = NULL;
	for (struct sk_pending *q = lsn->pend_head; q; q = q->next)
		lsn->pend_tail = q;
	lsn->npending--;
	if (!lsn->npending)
		sk_set_state(lsn, 0, NET_ST_ACCEPTABLE);
}

static err_t pend_recv_cb(void *arg, struct tcp_pcb *pcb, struct pbuf *p,
			  err_t err)
{
	struct sk_pending *pd = arg;
	(void)pcb;
	(void)err;
	if (!p) {
		pd->fin = true;
		return ERR_OK;
	}
	return sk_tcp_take_rx(NULL, &pd->rx, p) ? ERR_OK : ERR_MEM;
}

static void pend_err_cb(void *arg, err_t err)
{
	struct sk_pending *pd = arg;
	(void)err;
	/* Reset before it was accepted: it leaves the queue unseen. */
	if (pd->lsn) {
		pend_unlink(pd->lsn, pd);
		sk_publish(pd->lsn);
	}
	sk_rxq_drop(&pd->rx);
	sk_task_uncharge(pd->task, SK_POOL_TCP);
	sk_task_put(pd->task);
	free(pd);
}

static err_t accept_cb(void *arg, struct tcp_pcb *npcb, err_t err)
{
	struct sock *lsn = arg;
	if (!lsn || !npcb || err != ERR_OK)
		return ERR_VAL;
	struct sk_pending *pd = NULL;
	/* A waiting connection holds a pcb of the listener's task (F2). */
	if (lsn->npending < lsn->backlog &&
	    sk_task_charge(lsn->task, SK_POOL_TCP)) {
		pd = calloc(1, sizeof(*pd));
		if (!pd)
			sk_task_uncharge(lsn->task, SK_POOL_TCP);
	}
	if (!pd) {
		tcp_abort(npcb);
		return ERR_ABRT;
	}
	pd->task = lsn->task;
	pd->rx.task = pd->task;
	sk_task_ref(pd->task);
	pd->lsn = lsn;
	pd->pcb = npcb;
	tcp_arg(npcb, pd);
	tcp_recv(npcb, pend_recv_cb);
	tcp_err(npcb, pend_err_cb);
	tcp_backlog_delayed(npcb); /* counts against the backlog until taken */
	if (lsn->pend_tail)
		lsn->pend_tail->next = pd;
	else
		lsn->pend_head = pd;
	lsn->pend_tail = pd;
	lsn->npending++;
	sk_set_state(lsn, NET_ST_ACCEPTABLE, 0);
	sk_publish(lsn);
	return ERR_OK;
}

int sk_tcp_listen(struct sock *s, uint32_t backlog)
{
	struct tcp_pcb *pcb = s->pcb.tcp;
	if (!pcb || (s->state & (NET_ST_CONNECTED | NET_ST_CONNECTING)))
		return -NE_EINVAL;
	uint32_t b = backlog ? backlog : 1;
	if (b > SK_BACKLOG_MAX)
		b = SK_BACKLOG_MAX;
	if (s->listening) {
		s->backlog = b;
		tcp_backlog_set(pcb, (u8_t)b);
		return 0;
	}
	if (s->task->pcbs[SK_POOL_LISTEN] >= SK_CAP_LISTEN) {
		sk_g.st.refused++;
		return -NE_ENOBUFS; /* the task's share of listeners (F2) */
	}
	if (!pcb->local_port) {
		int r = sk_err_from_lwip(tcp_bind(pcb, IP4_ADDR_ANY, 0));
		if (r)
			return r;
	}
	err_t e = ERR_OK;
	struct tcp_pcb *l = tcp_listen_with_backlog_and_err(pcb, (u8_t)b, &e);
	if (!l)
		return sk_err_from_lwip(e); /* pcb is still ours */
	s->pcb.tcp = l;			    /* lwIP freed the old pcb */
	(void)sk_charge(s, SK_POOL_LISTEN); /* checked above */
	s->listening = true;
	s->backlog = b;
	tcp_arg(l, s);
	tcp_accept(l, accept_cb);
	sk_set_state(s, NET_ST_LISTENING, 0);
	return 0;
}

int sk_tcp_accept(struct sock *lsn, struct sconn *c, struct sock **out,
		  struct net_addr *peer)
{
	if (!lsn->listening)
		return -NE_EINVAL;
	struct sk_pending *pd = lsn->pend_head;
	if (!pd)
		return -NE_EAGAIN;
	int err;
	struct sock *s = sk_alloc(c, SK_STREAM, lsn->rcvbuf, lsn->sndbuf, &err);
	if (!s)
		return err; /* the connection stays queued */
	pend_unlink(lsn, pd);
	struct tcp_pcb *pcb = pd->pcb;
	sk_tcp_pcb_attach(s, pcb);
	tcp_backlog_accepted(pcb);
	s->rx_pend = pd->rx;
	s->fin = pd->fin;
	s->pool = SK_POOL_TCP; /* pd's charge (same task) moves to s */
	sk_task_put(pd->task);
	free(pd);
	/* Linux passes these options on from the listener. */
	s->nodelay = lsn->nodelay;
	s->keepalive = lsn->keepalive;
	s->linger_on = lsn->linger_on;
	s->linger_secs = lsn->linger_secs;
	s->rcvbuf = lsn->rcvbuf;
	s->sndbuf = lsn->sndbuf;
	sk_opts_apply(s);
	sk_set_state(s, NET_ST_CONNECTED, 0);
	sk_addr_to(peer, &pcb->remote_ip, pcb->remote_port);
	sk_tcp_pump_rx(s);
	*out = s;
	return 0;
}

void sk_tcp_abort_pending(struct sock *lsn)
{
	while (lsn->pend_head) {
		struct sk_pending *pd = lsn->pend_head;
		lsn->pend_head = pd->next;
		tcp_arg(pd->pcb, NULL);
		tcp_recv(pd->pcb, NULL);
		tcp_err(pd->pcb, NULL);
		tcp_abort(pd->pcb);
		sk_rxq_drop(&pd->rx);
		sk_task_uncharge(pd->task, SK_POOL_TCP);
		sk_task_put(pd->task);
		free(pd);
	}
	lsn->pend_tail = NULL;
	lsn->npending = 0;
}
