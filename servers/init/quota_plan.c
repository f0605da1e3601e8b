/* The split of vmgr's pool over the manifest (quota_plan.h). No state:
 * init calls it whenever a vmgr instance gets its pool. */
#include "quota_plan.h"

static uint64_t loan(uint64_t q, uint64_t base)
{
	return q > base ? q - base : 0;
}

struct qplan qplan_make(uint64_t pool, uint64_t base, int n,
			const uint64_t *ask, const uint64_t *min,
			uint64_t *grant)
{
	struct qplan p = {.kind = QPLAN_ALL, .budget = pool};
	for (int i = 0; i < n; i++) {
		p.ask += loan(ask[i], base);
		p.min += loan(min[i] < ask[i] ? min[i] : ask[i], base);
	}
	if (p.ask <= pool) {
		for (int i = 0; i < n; i++)
			grant[i] = ask[i];
		p.share_ppm = 1000000;
		return p;
	}
	p.budget = pool - pool / 8;
	if (p.min >= p.budget) {
		p.kind = p.min <= pool ? QPLAN_MINS : QPLAN_SHORT;
		for (int i = 0; i < n; i++)
			grant[i] = min[i] < ask[i] ? min[i] : ask[i];
		return p;
	}
	p.kind = QPLAN_SHARED;
	uint64_t extra = p.budget - p.min, span = p.ask - p.min;
	p.share_ppm = (uint32_t)((unsigned __int128)extra * 1000000 / span);
	for (int i = 0; i < n; i++) {
		uint64_t lo = min[i] < ask[i] ? min[i] : ask[i];
		uint64_t add = (uint64_t)((unsigned __int128)(ask[i] - lo) *
					  extra / span);
		uint64_t q = (lo + add) / QPLAN_ROUND * QPLAN_ROUND;
		grant[i] = q > lo ? q : lo;
	}
	return p;
}
