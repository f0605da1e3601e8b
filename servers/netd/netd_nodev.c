/* Network devices before libs/netring (room net-drv) is in the tree:
 * /svc/netd-dev answers every attach with ERR_NOT_SUPPORTED, so netd
 * serves lo only. Replaced by netd_dev.c once libs/netring is merged. */
#include <execrt/errors.h>
#include <execrt/netdev_proto.h>
#include <execrt/sys.h>

#include "netd.h"

bool netd_dev_owns_badge(uint64_t badge)
{
	(void)badge;
	return false;
}

void netd_dev_request(uint64_t badge, handle_t reply, const void *msg,
		      uint32_t len, handle_t *h, uint32_t nh)
{
	(void)badge, (void)msg, (void)len;
	netd_stats_refused();
	for (uint32_t i = 0; i < nh; i++)
		sys_handle_close(h[i]);
	struct netdev_resp r = {.err = ERR_NOT_SUPPORTED};
	struct port_msg m = {.data = &r, .len = sizeof(r)};
	if (reply && sys_port_reply(reply, &m) < 0)
		sys_handle_close(reply);
}

void netd_dev_closed(uint64_t badge)
{
	(void)badge;
}

void netd_dev_on_bells(uint64_t bits)
{
	(void)bits;
}

uint64_t netd_dev_poll_all(void)
{
	return 0;
}

void netd_dev_kick_all(void)
{
}
