/* init's split of vmgr's pool (servers/init/quota_plan.c): whole quotas
 * when they fit, else min + one share for all within 7/8 of the pool,
 * else the minimums. */
#include "harness.h"
#include "quota_plan.h"

#define K (1ull << 10)
#define M (1ull << 20)

/* The real manifest's shape at -m 512: every quota whole, no reserve. */
TEST(qplan_all_fit_whole)
{
	uint64_t ask[3] = {2 * M, 64 * M, 28 * M},
		 min[3] = {2 * M, 4 * M, 8 * M};
	uint64_t g[3];
	struct qplan p = qplan_make(100 * M, 64 * K, 3, ask, min, g);
	CHECK_EQ(p.kind, QPLAN_ALL);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(g[i], ask[i]);
}

/* A small pool: each gets its min plus the same share of the rest, the
 * loans stay within 7/8 of the pool, grants are 64 KiB multiples. */
TEST(qplan_shared_cut)
{
	uint64_t ask[4] = {2 * M, 64 * M, 28 * M, 16 * M};
	uint64_t min[4] = {2 * M, 4 * M, 8 * M, 1 * M};
	uint64_t g[4], loans = 0;
	uint64_t pool = 40 * M, base = 64 * K;
	struct qplan p = qplan_make(pool, base, 4, ask, min, g);
	CHECK_EQ(p.kind, QPLAN_SHARED);
	CHECK(p.share_ppm > 0 && p.share_ppm < 1000000);
	for (int i = 0; i < 4; i++) {
		CHECK(g[i] >= min[i] && g[i] <= ask[i]);
		CHECK_EQ(g[i] % QPLAN_ROUND, 0);
		loans += g[i] - base;
	}
	CHECK(loans <= pool - pool / 8);
	CHECK_EQ(g[0], 2 * M); /* no min below its ask: never cut */
	/* the same share: 64M's cut part is 4x the 16M one's, within rounding
	 */
	uint64_t a = g[1] - min[1], b = g[3] - min[3];
	CHECK(a + 2 * QPLAN_ROUND >= b * 4 && a <= b * 4 + 4 * QPLAN_ROUND);
	/* and it uses the budget: less than one rounding per entry unused */
	CHECK(loans + 4 * QPLAN_ROUND > pool - pool / 8);
}

/* Not even the minimums fit: each asks its minimum. */
TEST(qplan_mins_only)
{
	uint64_t ask[2] = {64 * M, 28 * M}, min[2] = {4 * M, 8 * M}, g[2];
	struct qplan p = qplan_make(10 * M, 64 * K, 2, ask, min, g);
	CHECK_EQ(p.kind, QPLAN_SHORT);
	CHECK_EQ(g[0], 4 * M);
	CHECK_EQ(g[1], 8 * M);
	/* the minimums fit only into the reserve: still each its min */
	p = qplan_make(12 * M, 64 * K, 2, ask, min, g);
	CHECK_EQ(p.kind, QPLAN_MINS);
	CHECK_EQ(g[0], 4 * M);
	CHECK_EQ(g[1], 8 * M);
}

/* Huge sizes do not overflow the share. */
TEST(qplan_large_values)
{
	uint64_t ask[2] = {1ull << 40, 1ull << 40}, min[2] = {1ull << 30, 0};
	uint64_t g[2];
	struct qplan p = qplan_make(1ull << 40, 64 * K, 2, ask, min, g);
	CHECK_EQ(p.kind, QPLAN_SHARED);
	CHECK(g[0] >= min[0] && g[0] < ask[0] && g[1] < ask[1]);
	CHECK(g[0] - 64 * K + g[1] - 64 * K <= (1ull << 40) - (1ull << 37));
}
