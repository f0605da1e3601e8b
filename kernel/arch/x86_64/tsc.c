/* The monotonic clock: TSC scaled to nanoseconds. Calibrated in time init;
 * reads 0 before that. */
#include <arch/cpu.h>
#include <kern/arch.h>

static uint64_t tsc_base;
static uint64_t tsc_mult; /* ns = (tsc * mult) >> 32 */

uint64_t arch_clock_ns(void)
{
	if (!tsc_mult)
		return 0;
	uint64_t d = rdtsc() - tsc_base;
	return (uint64_t)(((unsigned __int128)d * tsc_mult) >> 32);
}
