/* lwIP's platform hooks that are the same in netd and in the host tests
 * (arch/cc.h declares them): diagnostics, assertions, random numbers and
 * the DNS server port. sys_now() is not here: netd reads the kernel clock
 * (sys_execrt.c), the host tests a clock they advance. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "lwip/opt.h"
#include "lwip_port.h"

uint16_t lwip_port_dns_port = 53;
static uint64_t rand_state = 0x9e3779b97f4a7c15ull;

void lwip_port_diag(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

_Noreturn void lwip_port_assert(const char *msg, const char *file, int line)
{
	printf("lwip: assertion \"%s\" failed at %s:%d\n", msg, file, line);
	fflush(stdout);
	abort();
}

void lwip_port_seed(uint64_t seed)
{
	rand_state = seed ? seed : 0x9e3779b97f4a7c15ull;
}

/* xorshift64*: not cryptographic; DNS ids and source ports only have to
 * be hard to guess from outside the guest, not secret. */
uint32_t lwip_port_rand(void)
{
	uint64_t x = rand_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rand_state = x;
	return (uint32_t)((x * 0x2545f4914f6cdd1dull) >> 32);
}
