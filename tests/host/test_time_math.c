/* Host tests of the clock's fixed-point math. */
#include "harness.h"
#include <kern/clockmath.h>
#include <stdint.h>

/* |got - want| <= want * ppb / 1e9 + 1 */
static int close_ppb(uint64_t got, uint64_t want, uint64_t ppb)
{
	uint64_t d = got > want ? got - want : want - got;
	return d <= (uint64_t)((double)want * (double)ppb / 1e9) + 1;
}

TEST(scale_tsc_to_ns_is_accurate)
{
	struct clock_scale s;
	clock_scale_init(&s, 1000000000ull, 2100000000ull); /* 2.1 GHz */
	CHECK(close_ppb(clock_scale_apply(&s, 2100000000ull), 1000000000ull,
			1));
	CHECK(close_ppb(clock_scale_apply(&s, 21000ull), 10000ull, 1));
	CHECK_EQ(clock_scale_apply(&s, 0), 0);
}

TEST(scale_does_not_overflow_for_centuries)
{
	/* 100 years of a 5 GHz TSC: 1.58e19 cycles, just under 2^64. */
	struct clock_scale s;
	clock_scale_init(&s, 1000000000ull, 5000000000ull);
	uint64_t cycles = 100ull * 365 * 86400 * 5000000000ull;
	uint64_t want = 100ull * 365 * 86400 * 1000000000ull;
	CHECK(close_ppb(clock_scale_apply(&s, cycles), want, 1));
}

TEST(scale_saturates_instead_of_wrapping)
{
	struct clock_scale s;
	clock_scale_init(&s, 3000000000ull, 1000000000ull); /* ns -> 3 GHz */
	CHECK(clock_scale_apply(&s, UINT64_MAX) == UINT64_MAX);
	CHECK(close_ppb(clock_scale_apply(&s, 1000), 3000, 1));
}

TEST(scale_hpet_femtoseconds)
{
	/* QEMU's HPET: period 10,000,000 fs (100 MHz) -> ns = x * 10. */
	struct clock_scale s;
	clock_scale_init(&s, 10000000ull, 1000000ull);
	CHECK_EQ(clock_scale_apply(&s, 123456789ull), 1234567890ull);
	/* Intel PCH HPET: 69841279 fs (14.318 MHz). */
	clock_scale_init(&s, 69841279ull, 1000000ull);
	CHECK(close_ppb(clock_scale_apply(&s, 14318180ull), 1000000000ull,
			1000));
}

TEST(scale_ratio_one_is_identity)
{
	struct clock_scale s;
	clock_scale_init(&s, 1, 1);
	CHECK_EQ(clock_scale_apply(&s, 12345), 12345);
	CHECK(clock_scale_apply(&s, UINT64_MAX - 1) >= UINT64_MAX - 2);
}

TEST(rate_hz_exact)
{
	CHECK_EQ(clock_rate_hz(21000000, 10000000), 2100000000ull);
	CHECK_EQ(clock_rate_hz(625000, 10000000), 62500000ull);
	/* Remainder part: 1 event in 3 ns = 333,333,333 Hz. */
	CHECK_EQ(clock_rate_hz(1, 3), 333333333ull);
	CHECK_EQ(clock_rate_hz(7, 2), 3500000000ull);
}

TEST(median_sorts_and_picks_middle)
{
	uint64_t v[] = {50, 10, 40, 20, 30};
	CHECK_EQ(clock_median(v, 5), 30);
	CHECK_EQ(v[0], 10);
	CHECK_EQ(v[4], 50);
	uint64_t one[] = {7};
	CHECK_EQ(clock_median(one, 1), 7);
	uint64_t dup[] = {3, 1000, 3};
	CHECK_EQ(clock_median(dup, 3), 3);
}
