/* The lwIP side of netd's loop (netd_stack.h). */
#include "netd_stack.h"

#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/timeouts.h"
#include "lwip_port.h"
#include "netd_if.h"

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

bool netd_stack_poll(void)
{
	sys_check_timeouts();
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
