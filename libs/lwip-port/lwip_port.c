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
unsigned int lwip_port_heap_short;
static void *heap;

void lwip_port_set_heap(uint32_t bytes)
{
	if (bytes < (64u << 10))
		bytes = 64u << 10;
	if (bytes > MEM_SIZE_MAX)
		bytes = MEM_SIZE_MAX;
	lwip_port_heap_short = MEM_SIZE_MAX - (bytes & ~(MEM_ALIGNMENT - 1u));
}

uint32_t lwip_port_heap_size(void)
{
	return MEM_SIZE;
}

/* mem.c needs MEM_SIZE, two struct mem headers and room to align. */
void *lwip_port_heap(void)
{
	if (!heap)
		heap = malloc((size_t)MEM_SIZE + 64u + MEM_ALIGNMENT);
	if (!heap)
		lwip_port_assert("no memory for lwIP's heap", __FILE__,
				 __LINE__);
	return heap;
}
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
