/* Clock, sleeping until a deadline, yielding, wait deadlines. */
#include "gtest.h"
#include "gutil.h"

GTEST(clock_monotonic)
{
	long prev = sys_clock_now();
	GCHECK(prev > 0);
	for (int i = 0; i < 1000; i++) {
		long now = sys_clock_now();
		GCHECK(now >= prev);
		prev = now;
	}
}

GTEST(sleep_until_deadline)
{
	uint64_t dl = g_now() + 20 * MS;
	GCHECK_OK(sys_sleep_until(dl));
	uint64_t now = g_now();
	GCHECK(now >= dl);
	GCHECK(now < dl + 500 * MS);
}

GTEST(sleep_until_past_returns)
{
	uint64_t t0 = g_now();
	GCHECK_OK(sys_sleep_until(0));
	GCHECK_OK(sys_sleep_until(t0 - 1));
	GCHECK_OK(sys_sleep_until(t0));
	GCHECK(g_now() - t0 < 50 * MS);
}

GTEST(yield_returns)
{
	for (int i = 0; i < 100; i++)
		GCHECK_OK(sys_yield());
}

static int64_t nap(uint64_t ms)
{
	sys_sleep_until(g_now() + ms * MS);
	return 0;
}

GTEST(wait_deadline_honoured)
{
	struct gthread t;
	int64_t st;
	GCHECK_OK(gthread_start(&t, nap, 300));
	uint64_t t0 = g_now();
	long poll = sys_object_wait(t.h, DEADLINE_POLL, &st);
	long timed = sys_object_wait(t.h, t0 + 20 * MS, &st);
	uint64_t waited = g_now() - t0;
	GCHECK_OK(gthread_join(&t, DEADLINE_NONE, NULL));
	GCHECK_ERR(poll, ERR_TIMED_OUT);
	GCHECK_ERR(timed, ERR_TIMED_OUT);
	GCHECK(waited >= 20 * MS);
	GCHECK(waited < 300 * MS);
}

/* Sleepers wake in deadline order. */
static volatile uint64_t order[4];
static volatile uint32_t woken;

static int64_t wake_at(uint64_t arg)
{
	uint64_t dl = arg >> 8;
	sys_sleep_until(dl);
	uint32_t n = __atomic_fetch_add(&woken, 1, __ATOMIC_SEQ_CST);
	order[n & 3] = arg & 0xff;
	return (int64_t)(g_now() >= dl);
}

GTEST(sleepers_wake_in_order)
{
	struct gthread t[4];
	int64_t st;
	static const unsigned ms[4] = {40, 10, 30, 20};
	woken = 0;
	uint64_t base = g_now() + 10 * MS;
	for (unsigned i = 0; i < 4; i++)
		GCHECK_OK(gthread_start(&t[i], wake_at,
					((base + ms[i] * MS) << 8) | i));
	for (unsigned i = 0; i < 4; i++) {
		GCHECK_OK(gthread_join(&t[i], g_now() + 2000 * MS, &st));
		GCHECK_EQ(st, 1);
	}
	GCHECK_EQ(order[0], 1);
	GCHECK_EQ(order[1], 3);
	GCHECK_EQ(order[2], 2);
	GCHECK_EQ(order[3], 0);
}
