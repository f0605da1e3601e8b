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
 * its handshake ends or 20 s pass, and a listener takes no new SYN while
 * its backlog is full of them: a flood would lock a port out for 20 s
 * after it stops. netd drops half-open connections older than two slow
 * ticks (1..1.5 s), without a RST: a real client answers a SYN-ACK far
 * sooner, and one whose SYN-ACK was lost sends its SYN again (after 1 s)
 * and gets a new one. One walk of the active list per slow tick. */
static void reap_half_open(void)
{
	static u32_t last_tick = ~0u;
	if (tcp_ticks == last_tick)
		return;
	last_tick = tcp_ticks;
	struct tcp_pcb *p = tcp_active_pcbs;
	while (p) {
		struct tcp_pcb *next = p->next;
		if (p->state == SYN_RCVD && tcp_ticks - p->tmr >= 2) {
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
