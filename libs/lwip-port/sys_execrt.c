/* lwIP's clock on exec-rt: milliseconds of the kernel's monotonic clock
 * (lwIP's timers compare them with wrap-around, 32 bits are enough). */
#include <execrt/sys.h>

/* lwip/sys.h's prototype (not included: lwIP's ERR_* enum and
 * execrt/errors.h's macros cannot meet in one file). */
uint32_t sys_now(void);

uint32_t sys_now(void)
{
	long t = sys_clock_now();
	return t < 0 ? 0 : (uint32_t)((uint64_t)t / 1000000u);
}
