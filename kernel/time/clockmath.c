/* Time-base conversions for the clock and timers (see kern/clockmath.h). */
#include <kern/clockmath.h>
#include <kern/lib.h>

void clock_scale_init(struct clock_scale *s, uint64_t num, uint64_t den)
{
	/* Largest shift that keeps num << shift in 64 bits; the 64-by-64
	 * division then keeps as much of the ratio as possible. */
	unsigned shift = (unsigned)__builtin_clzll(num);
	if (shift > 63)
		shift = 63;
	s->shift = shift;
	s->mult = (num << shift) / den;
}

uint64_t clock_rate_hz(uint64_t count, uint64_t ns)
{
	uint64_t q = count / ns, r = count % ns;
	/* r < ns < 2^34, so r * 10^9 < 2^64. */
	return q * 1000000000ull + r * 1000000000ull / ns;
}

uint64_t clock_median(uint64_t *v, size_t n)
{
	sort_u64(v, n);
	return v[n / 2];
}
