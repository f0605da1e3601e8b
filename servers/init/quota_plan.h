/* The low-memory profile (docs/system.md "Memory budget"): when vmgr's
 * pool cannot lend every service its whole `memory`, each gets its `min`
 * plus the same share of what it asked beyond that, so the pool is split
 * once for the whole manifest instead of first come, first served. Pure
 * code, host-tested in tests/host/test_init_quota_plan.c. */
#pragma once
#include <stdint.h>

#define QPLAN_ROUND (64ull << 10) /* grants are multiples of this */

enum qplan_kind {
	QPLAN_ALL,    /* the pool lends every quota whole: no cut */
	QPLAN_SHARED, /* each: min + the same share of (ask - min) */
	QPLAN_MINS,   /* each asks its min: they fit, in the reserve */
	QPLAN_SHORT,  /* not even the minimums fit: each asks its min and
			 the pool decides who starts (init reports it) */
};

struct qplan {
	enum qplan_kind kind;
	uint64_t budget;    /* of the pool, for the loans */
	uint64_t ask, min;  /* the loans' sums (quota - base each) */
	uint32_t share_ppm; /* QPLAN_SHARED: of (ask - min) given */
};

/* pool: vmgr's quota; base: the part of each quota the task holds itself
 * (not lent); n entries asking ask[i] with minimum min[i] (both with the
 * base; min <= ask); grant[i] gets the quota to ask vmgr for. A reserve
 * of 1/8 of the pool stays for shared buffers and a restart while the old
 * instance's loan is still out, unless every quota fits whole. */
struct qplan qplan_make(uint64_t pool, uint64_t base, int n,
			const uint64_t *ask, const uint64_t *min,
			uint64_t *grant);
