/* Fixed-point scaling between time bases (TSC cycles, HPET ticks, ns):
 * y = (x * mult) >> shift with a 128-bit product, so it cannot overflow
 * for any 64-bit x; results beyond 64 bits saturate. Portable and tested
 * on the host (tests/host/test_time_math.c). */
#pragma once
#include <kern/types.h>

struct clock_scale {
	uint64_t mult;
	unsigned shift;
};

/* Set s so that clock_scale_apply(s, x) ~= x * num / den (num, den > 0).
 * The shift is as large as num allows, giving mult about 64 - log2(den)
 * significant bits. */
void clock_scale_init(struct clock_scale *s, uint64_t num, uint64_t den);

static inline uint64_t clock_scale_apply(const struct clock_scale *s,
					 uint64_t x)
{
	unsigned __int128 p = (unsigned __int128)x * s->mult;
	p >>= s->shift;
	return p > UINT64_MAX ? UINT64_MAX : (uint64_t)p;
}

/* count events in ns nanoseconds -> events per second (ns > 0); no 128-bit
 * division (the kernel has no libgcc). Exact for ns < 2^34 (17 s). */
uint64_t clock_rate_hz(uint64_t count, uint64_t ns);

/* Sorts v[0..n) and returns the middle element (n > 0). */
uint64_t clock_median(uint64_t *v, size_t n);
