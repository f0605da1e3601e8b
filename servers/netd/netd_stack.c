/* The lwIP side of netd's loop (netd_stack.h). */
#include "netd_stack.h"

#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "lwip_port.h"
#include "netd_if.h"

static uint64_t half_open_reaped;

void netd_stack_init(const struct netd_args *a, uint64_t seed)
{
	lwip_port_seed(seed);
	lwip_init();
	netd_if_setup(a);
}

static bool loop_queued(void)
{
	struct netif *n;
	NETIF_FOREACH(n)
	{
		if (n->loop_first)
			return true;
	}
	return false;
}

/* SYN flood defence. lwIP keeps a half-open connection (SYN_RCVD) until
 * its handshake ends or 20 s pass, and a listener whose backlog is full
 * of them takes no new SYN: a flood would lock a port out for 20 s after
 * it stops. Only under that pressure (the listener's backlog full) netd
 * drops its half-open connections idle for at least one slow tick (0.5..1
 * s), without a RST, so new SYNs are admitted again; otherwise a slow
 * handshake (slirp under load can take seconds) is left alone (REVIEW-17
 * F18). One walk of the active list per slow tick. */
static void reap_half_open(void)
{
	static u32_t last_tick = ~0u;
	if (tcp_ticks == last_tick)
		return;
	last_tick = tcp_ticks;
	struct tcp_pcb *p = tcp_active_pcbs;
	while (p) {
		struct tcp_pcb *next = p->next;
		const struct tcp_pcb_listen *l = p->listener;
		if (p->state == SYN_RCVD && l &&
		    l->accepts_pending >= l->backlog &&
		    tcp_ticks - p->tmr >= 1) {
			half_open_reaped++;
			tcp_abandon(p, 0); /* unlinks p; next stays valid */
		}
		p = next;
	}
}

uint64_t netd_stack_half_open_reaped(void)
{
	return half_open_reaped;
}

bool netd_stack_loop_pending(void)
{
	return loop_queued();
}

bool netd_stack_poll(void)
{
	sys_check_timeouts();
	reap_half_open();
	netd_if_tick();
	for (int pass = 0; pass < 8; pass++) {
		if (!loop_queued())
			return false;
		netif_poll_all();
	}
	return loop_queued();
}

uint32_t netd_stack_sleep_ms(void)
{
	u32_t ms = sys_timeouts_sleeptime();
	return ms == SYS_TIMEOUTS_SLEEPTIME_INFINITE ? UINT32_MAX : ms;
}

const char *netd_stack_version(void)
{
	return LWIP_VERSION_STRING;
}
