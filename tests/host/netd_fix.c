/* lwIP in the host tests (netd_fix.h). */
#include "netd_fix.h"

#include <stdbool.h>

#include "lwip/sys.h"
#include "netd_args.h"
#include "netd_stack.h"

uint32_t netd_test_now_ms = 1000;

u32_t sys_now(void)
{
	return netd_test_now_ms;
}

void netd_test_lwip(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	struct netd_args a = {.dns_port = 53};
	netd_stack_init(&a, 12345);
}

void netd_test_run(uint32_t ms)
{
	for (uint32_t t = 0; t < ms; t += 10) {
		netd_test_now_ms += 10;
		netd_stack_poll();
	}
	netd_stack_poll();
}
