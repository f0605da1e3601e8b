/* lwIP's platform hooks that are the same in netd and in the host tests
 * (arch/cc.h declares them): diagnostics, assertions, random numbers and
 * the DNS server port. sys_now() is not here: netd reads the kernel clock
 * (sys_execrt.c), the host tests a clock they advance. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* LWIP_CHKSUM (lwipopts.h): the Internet sum of every frame netd sends
 * or receives (no offloads under QEMU's user network). lwIP's default
 * adds 2 bytes per step; this adds 8-byte words (an add and an
 * add-with-carry into a carry count each), 32 bytes per loop, then folds
 * with end-around carries: 2^16 - 1 divides 2^64 - 1, so the folded
 * value is the 16-bit ones' complement sum. The same result as lwIP's:
 * the non-inverted sum of the bytes read as host-order (little-endian)
 * 16-bit words, an odd start handled as lwIP does (the first byte summed
 * as a high half, the result byte-swapped). */
static inline void add64(uint64_t *sum, uint64_t *carries, const uint8_t *p)
{
	uint64_t w;
	memcpy(&w, p, 8);
	*carries += __builtin_add_overflow(*sum, w, sum);
}

u16_t lwip_port_chksum(const void *dataptr, int len)
{
	const uint8_t *p = dataptr;
	uint64_t sum = 0, carries = 0;
	int odd = (uintptr_t)p & 1;
	if (odd && len > 0) {
		sum = (uint64_t)*p++ << 8;
		len--;
	}
	for (; len >= 32; len -= 32, p += 32) {
		add64(&sum, &carries, p);
		add64(&sum, &carries, p + 8);
		add64(&sum, &carries, p + 16);
		add64(&sum, &carries, p + 24);
	}
	for (; len >= 8; len -= 8, p += 8)
		add64(&sum, &carries, p);
	/* each carry is 2^64, that is 1: end-around (the wrapped sum is
	 * below carries, so the + 1 cannot overflow) */
	bool wrapped = __builtin_add_overflow(sum, carries, &sum);
	sum += wrapped;
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	for (; len >= 2; len -= 2, p += 2)
		sum += (uint32_t)p[0] | (uint32_t)p[1] << 8;
	if (len > 0)
		sum += *p;
	while (sum >> 16)
		sum = (sum & 0xffffu) + (sum >> 16);
	if (odd)
		sum = ((sum & 0xffu) << 8) | (sum >> 8);
	return (u16_t)sum;
}
