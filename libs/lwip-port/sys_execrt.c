/* lwIP's clock on exec-rt: milliseconds of the kernel's monotonic clock
 * (lwIP's timers compare them with wrap-around, 32 bits are enough), as
 * netd's loop last read it (lwip_port_set_now): one system call per pass
 * rather than one per sys_now() call. */
#include <execrt/sys.h>

#include "lwip_port.h"

/* lwip/sys.h's prototype (not included: lwIP's ERR_* enum and
 * execrt/errors.h's macros cannot meet in one file). */
uint32_t sys_now(void);

static uint64_t pass_ns;

void lwip_port_set_now(uint64_t ns)
{
	pass_ns = ns;
}

uint32_t sys_now(void)
{
	uint64_t ns = pass_ns;
	if (!ns) {
		long t = sys_clock_now();
		ns = t < 0 ? 0 : (uint64_t)t;
	}
	return (uint32_t)(ns / 1000000u);
}
