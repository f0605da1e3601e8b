/* Task CPU quotas (kernel/sched/quota.c) with exact windows and charges,
 * and scheduling-parameter validation and DL density
 * (kernel/sched/params.c). The quota is set up field by field:
 * sched_task_set_quota() pokes every run queue, which the host has not. */
#include <inttypes.h>
#include <string.h>

#include "harness.h"
#include <execrt/errors.h>
#include <execrt/types.h>
#include "../../kernel/sched/runqueue.h"

#define MS  1000000ull
#define SMS ((int64_t)MS)

enum q_op {
	Q_CHARGE = 1, /* quota_charge(arg, now): ret = exhausted */
	Q_ELIG,	      /* quota_eligible_at(now): ret = window end or 0 */
	Q_LEFT,	      /* quota_left(now) */
};

/* After the step: return value, window end, used and throttles. */
struct q_step {
	enum q_op op;
	uint64_t now, arg, ret, wend;
	int64_t used;
	uint64_t throttles;
};

struct q_case {
	const char *name;
	uint64_t runtime, period, wend;
	int64_t used;
	struct q_step s[16];
};

static int run_quota(const struct q_case *c)
{
	struct cpu_quota q;
	memset(&q, 0, sizeof(q));
	q.runtime = c->runtime;
	q.period = c->period;
	q.window_end = c->wend;
	q.used = c->used;
	for (int i = 0; i < 16 && c->s[i].op; i++) {
		const struct q_step *s = &c->s[i];
		uint64_t ret = 0;
		if (s->op == Q_CHARGE)
			ret = quota_charge(&q, s->arg, s->now);
		else if (s->op == Q_ELIG)
			ret = quota_eligible_at(&q, s->now);
		else
			ret = quota_left(&q, s->now);
		if (ret != s->ret || q.window_end != s->wend ||
		    q.used != s->used || q.throttles != s->throttles ||
		    q.runtime != c->runtime || q.period != c->period) {
			fprintf(stderr,
				"    %s step %d (got/want): ret %" PRIu64
				"/%" PRIu64 " window_end %" PRIu64 "/%" PRIu64
				" used %" PRId64 "/%" PRId64
				" throttles %" PRIu64 "/%" PRIu64 "\n",
				c->name, i, ret, s->ret, q.window_end, s->wend,
				q.used, s->used, q.throttles, s->throttles);
			return i;
		}
	}
	return -1;
}

/* 3 ms in every 10 ms window unless noted; the window ends at 10 ms. */
static const struct q_case quota_cases[] = {
	{"charge to exhaustion, out until the window ends",
	 3 * MS,
	 10 * MS,
	 10 * MS,
	 0,
	 {{Q_CHARGE, 1 * MS, 1 * MS, false, 10 * MS, 1 * SMS, 0},
	  {Q_LEFT, 1 * MS, 0, 2 * MS, 10 * MS, 1 * SMS, 0},
	  {Q_CHARGE, 2 * MS, 2 * MS - 1, false, 10 * MS, 3 * SMS - 1, 0},
	  {Q_ELIG, 2 * MS, 0, 0, 10 * MS, 3 * SMS - 1, 0},
	  {Q_LEFT, 2 * MS, 0, 1, 10 * MS, 3 * SMS - 1, 0},
	  {Q_CHARGE, 3 * MS, 1, true, 10 * MS, 3 * SMS, 0}, /* == runtime */
	  {Q_LEFT, 3 * MS, 0, 0, 10 * MS, 3 * SMS, 0},
	  {Q_ELIG, 3 * MS, 0, 10 * MS, 10 * MS, 3 * SMS, 1},
	  {Q_CHARGE, 10 * MS - 1, 0, true, 10 * MS, 3 * SMS, 1},
	  {Q_ELIG, 10 * MS - 1, 0, 10 * MS, 10 * MS, 3 * SMS, 2},
	  {Q_ELIG, 10 * MS, 0, 0, 20 * MS, 0, 2}, /* the next window */
	  {Q_LEFT, 10 * MS, 0, 3 * MS, 20 * MS, 0, 2}}},

	{"an overrun is paid back over the next windows",
	 3 * MS,
	 10 * MS,
	 10 * MS,
	 0,
	 {{Q_CHARGE, 8 * MS, 8 * MS, true, 10 * MS, 8 * SMS, 0},
	  {Q_ELIG, 8 * MS, 0, 10 * MS, 10 * MS, 8 * SMS, 1},
	  {Q_ELIG, 10 * MS, 0, 20 * MS, 20 * MS, 5 * SMS, 2}, /* still out */
	  {Q_LEFT, 15 * MS, 0, 0, 20 * MS, 5 * SMS, 2},
	  {Q_CHARGE, 19 * MS, 0, true, 20 * MS, 5 * SMS, 2},
	  {Q_ELIG, 20 * MS, 0, 0, 30 * MS, 2 * SMS, 2},
	  {Q_LEFT, 20 * MS, 0, 1 * MS, 30 * MS, 2 * SMS, 2},
	  {Q_CHARGE, 21 * MS, 1 * MS, true, 30 * MS, 3 * SMS, 2},
	  {Q_ELIG, 21 * MS, 0, 30 * MS, 30 * MS, 3 * SMS, 3}}},

	{"several windows at once pay runtime each",
	 3 * MS,
	 10 * MS,
	 10 * MS,
	 10 * SMS,
	 {{Q_LEFT, 35 * MS, 0, 2 * MS, 40 * MS, 1 * SMS, 0}, /* 3 windows */
	  {Q_ELIG, 35 * MS, 0, 0, 40 * MS, 1 * SMS, 0}}},

	{"paying back stops at zero",
	 3 * MS,
	 10 * MS,
	 10 * MS,
	 1 * SMS,
	 {{Q_LEFT, 105 * MS, 0, 3 * MS, 110 * MS, 0, 0}, /* 10 windows */
	  {Q_CHARGE, 105 * MS, 3 * MS - 1, false, 110 * MS, 3 * SMS - 1, 0},
	  {Q_CHARGE, 110 * MS, 1, false, 120 * MS, 1, 0}}},

	{"window boundaries",
	 3 * MS,
	 10 * MS,
	 10 * MS,
	 3 * SMS,
	 {{Q_ELIG, 10 * MS - 1, 0, 10 * MS, 10 * MS, 3 * SMS, 1},
	  {Q_ELIG, 10 * MS, 0, 0, 20 * MS, 0, 1},
	  {Q_CHARGE, 30 * MS - 1, 3 * MS, true, 30 * MS, 3 * SMS, 1},
	  {Q_LEFT, 40 * MS - 1, 0, 3 * MS, 40 * MS, 0, 1}}},

	{"a charge rolls the window first",
	 3 * MS,
	 10 * MS,
	 10 * MS,
	 3 * SMS,
	 {{Q_CHARGE, 12 * MS, 1 * MS, false, 20 * MS, 1 * SMS, 0}}},

	{"a whole CPU",
	 10 * MS,
	 10 * MS,
	 10 * MS,
	 0,
	 {{Q_CHARGE, 9 * MS, 9 * MS, false, 10 * MS, 9 * SMS, 0},
	  {Q_CHARGE, 10 * MS - 1, 1 * MS - 1, false, 10 * MS, 10 * SMS - 1, 0},
	  {Q_CHARGE, 10 * MS - 1, 1, true, 10 * MS, 10 * SMS, 0},
	  {Q_ELIG, 10 * MS, 0, 0, 20 * MS, 0, 0}}},

	/* 10 s windows, a day later: 8640 windows roll at once */
	{"a day idle",
	 10000 * MS,
	 10000 * MS,
	 10000 * MS,
	 25000 * SMS,
	 {{Q_LEFT, 86405000 * MS, 0, 10000 * MS, 86410000 * MS, 0, 0}}},

	/* period 0: no quota, nothing touched */
	{"no quota",
	 0,
	 0,
	 0,
	 5 * SMS,
	 {{Q_CHARGE, 1 * MS, 1000 * MS, false, 0, 5 * SMS, 0},
	  {Q_ELIG, 1 * MS, 0, 0, 0, 5 * SMS, 0},
	  {Q_LEFT, 1 * MS, 0, DEADLINE_NONE, 0, 5 * SMS, 0}}},
};

TEST(sched_quota_windows)
{
	for (unsigned i = 0; i < sizeof(quota_cases) / sizeof(quota_cases[0]);
	     i++)
		CHECK_EQ(run_quota(&quota_cases[i]), -1);
}

/* A long run of small charges: the exhaustion point and the long-run
 * share are exact. */
TEST(sched_quota_long_run_share)
{
	struct cpu_quota q;
	memset(&q, 0, sizeof(q));
	q.runtime = 3 * MS;
	q.period = 10 * MS;
	q.window_end = 10 * MS;
	uint64_t now = 0, ran = 0;
	while (now < 1000 * MS) {
		uint64_t until = quota_eligible_at(&q, now);
		if (until) {
			CHECK_EQ(until % (10 * MS), 0);
			CHECK(until > now);
			now = until;
			continue;
		}
		/* runs in 700 us slices: 5 per window, the last one over */
		bool out = quota_charge(&q, 700 * 1000, now + 700 * 1000);
		ran += 700 * 1000;
		now += 700 * 1000;
		CHECK_EQ(out, q.used >= (int64_t)q.runtime);
	}
	CHECK_EQ(now, 1000 * MS);
	/* the overruns carried over: within one slice of 30% */
	CHECK(ran >= 300 * MS && ran <= 300 * MS + 700 * 1000);
	CHECK_EQ(q.throttles, 100);
}

/* ---- parameters ---- */

/* The table rows override the defaults of these class templates. */
#ifdef __clang__
#pragma clang diagnostic ignored "-Winitializer-overrides"
#else
#pragma GCC diagnostic ignored "-Woverride-init"
#endif

#define BE(...)                                                                \
	{                                                                      \
		.cls = SCHED_CLASS_BE, .cpu = SCHED_CPU_KEEP, __VA_ARGS__      \
	}
#define RT(...)                                                                \
	{                                                                      \
		.cls = SCHED_CLASS_RT, .cpu = SCHED_CPU_KEEP, .priority = 10,  \
		__VA_ARGS__                                                    \
	}
#define DL(...)                                                                \
	{                                                                      \
		.cls = SCHED_CLASS_DL, .cpu = SCHED_CPU_KEEP,                  \
		.runtime_ns = 1 * MS, .deadline_ns = 5 * MS,                   \
		.period_ns = 10 * MS, __VA_ARGS__                              \
	}

TEST(sched_params_check_table)
{
	static const struct {
		struct sched_params p;
		int err;
	} rows[] = {
		/* valid */
		{BE(), 0},
		{BE(.weight = SCHED_BE_WEIGHT_MIN), 0},
		{BE(.weight = SCHED_BE_WEIGHT_DEFAULT), 0},
		{BE(.weight = SCHED_BE_WEIGHT_MAX), 0},
		{BE(.cpu = 0), 0},
		{RT(.priority = SCHED_RT_PRIO_MIN), 0},
		{RT(.priority = SCHED_RT_PRIO_MAX), 0},
		{RT(.flags = SCHED_FLAG_RR), 0},
		{RT(.flags = SCHED_FLAG_RR,
		    .quantum_ns = SCHED_RR_QUANTUM_MIN_NS),
		 0},
		{RT(.flags = SCHED_FLAG_RR,
		    .quantum_ns = SCHED_RR_QUANTUM_MAX_NS),
		 0},
		{DL(), 0},
		{DL(.cpu = 0), 0},
		{DL(.runtime_ns = SCHED_DL_RUNTIME_MIN_NS,
		    .deadline_ns = SCHED_DL_RUNTIME_MIN_NS,
		    .period_ns = SCHED_DL_RUNTIME_MIN_NS),
		 0},
		{DL(.runtime_ns = SCHED_DL_PERIOD_MAX_NS,
		    .deadline_ns = SCHED_DL_PERIOD_MAX_NS,
		    .period_ns = SCHED_DL_PERIOD_MAX_NS),
		 0},
		{DL(.runtime_ns = 5 * MS), 0},	 /* runtime == deadline */
		{DL(.deadline_ns = 10 * MS), 0}, /* deadline == period */
		/* any class */
		{BE(.reserved = 1), ERR_INVALID_ARGS},
		{DL(.reserved = 0x80000000u), ERR_INVALID_ARGS},
		{BE(.cpu = 1), ERR_OUT_OF_RANGE}, /* one CPU online */
		{RT(.cpu = 1000), ERR_OUT_OF_RANGE},
		{DL(.cpu = -2), ERR_OUT_OF_RANGE},
		{BE(.cpu = INT32_MIN), ERR_OUT_OF_RANGE},
		{BE(.cpu = INT32_MAX), ERR_OUT_OF_RANGE},
		{{.cls = SCHED_CLASS_IDLE, .cpu = SCHED_CPU_KEEP},
		 ERR_INVALID_ARGS},
		{{.cls = 4, .cpu = SCHED_CPU_KEEP}, ERR_INVALID_ARGS},
		{{.cls = UINT32_MAX, .cpu = SCHED_CPU_KEEP}, ERR_INVALID_ARGS},
		/* BE */
		{BE(.weight = SCHED_BE_WEIGHT_MAX + 1), ERR_INVALID_ARGS},
		{BE(.flags = SCHED_FLAG_RR), ERR_INVALID_ARGS},
		{BE(.priority = 1), ERR_INVALID_ARGS},
		{BE(.quantum_ns = SCHED_RR_QUANTUM_MIN_NS), ERR_INVALID_ARGS},
		{BE(.runtime_ns = 1), ERR_INVALID_ARGS},
		{BE(.deadline_ns = 1), ERR_INVALID_ARGS},
		{BE(.period_ns = 1), ERR_INVALID_ARGS},
		/* RT */
		{RT(.priority = SCHED_RT_PRIO_MIN - 1), ERR_INVALID_ARGS},
		{RT(.priority = SCHED_RT_PRIO_MAX + 1), ERR_INVALID_ARGS},
		{RT(.flags = 1u << 1), ERR_INVALID_ARGS},
		{RT(.flags = SCHED_FLAG_RR | 1u << 31), ERR_INVALID_ARGS},
		{RT(.weight = 1), ERR_INVALID_ARGS},
		{RT(.quantum_ns = SCHED_RR_QUANTUM_MIN_NS), ERR_INVALID_ARGS},
		{RT(.flags = SCHED_FLAG_RR,
		    .quantum_ns = SCHED_RR_QUANTUM_MIN_NS - 1),
		 ERR_INVALID_ARGS},
		{RT(.flags = SCHED_FLAG_RR,
		    .quantum_ns = SCHED_RR_QUANTUM_MAX_NS + 1),
		 ERR_INVALID_ARGS},
		{RT(.runtime_ns = 1 * MS), ERR_INVALID_ARGS},
		{RT(.deadline_ns = 1 * MS), ERR_INVALID_ARGS},
		{RT(.period_ns = 1 * MS), ERR_INVALID_ARGS},
		/* DL */
		{DL(.flags = SCHED_FLAG_RR), ERR_INVALID_ARGS},
		{DL(.priority = 1), ERR_INVALID_ARGS},
		{DL(.weight = 1), ERR_INVALID_ARGS},
		{DL(.quantum_ns = SCHED_RR_QUANTUM_MIN_NS), ERR_INVALID_ARGS},
		{DL(.runtime_ns = 0, .deadline_ns = 0, .period_ns = 0),
		 ERR_INVALID_ARGS},
		{DL(.runtime_ns = SCHED_DL_RUNTIME_MIN_NS - 1),
		 ERR_INVALID_ARGS},
		{DL(.runtime_ns = 5 * MS + 1), ERR_INVALID_ARGS},
		{DL(.deadline_ns = 10 * MS + 1), ERR_INVALID_ARGS},
		{DL(.period_ns = 5 * MS - 1), ERR_INVALID_ARGS},
		{DL(.period_ns = SCHED_DL_PERIOD_MAX_NS + 1), ERR_INVALID_ARGS},
		{DL(.runtime_ns = SCHED_DL_PERIOD_MAX_NS + 1,
		    .deadline_ns = SCHED_DL_PERIOD_MAX_NS + 1,
		    .period_ns = SCHED_DL_PERIOD_MAX_NS + 1),
		 ERR_INVALID_ARGS},
	};
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int err = sched_params_check(&rows[i].p);
		if (err != rows[i].err)
			fprintf(stderr, "    row %u\n", i);
		CHECK_EQ(err, rows[i].err);
	}
}

/* runtime/deadline in millionths, rounded up. */
TEST(sched_params_dl_density)
{
	static const struct {
		uint64_t runtime, deadline, ppm;
	} rows[] = {
		{1 * MS, 10 * MS, 100000},
		{1 * MS, 1 * MS, 1000000},
		{3, 4, 750000},
		{1, 3, 333334},
		{2, 3, 666667},
		{1, 7, 142858},
		{1, 1000000, 1},
		{1, 1000001, 1},
		{SCHED_DL_RUNTIME_MIN_NS, SCHED_DL_PERIOD_MAX_NS, 1},
		{SCHED_DL_RUNTIME_MIN_NS, SCHED_DL_PERIOD_MAX_NS - 1, 2},
		{SCHED_DL_RUNTIME_MIN_NS, 3 * SCHED_DL_RUNTIME_MIN_NS, 333334},
		{SCHED_DL_PERIOD_MAX_NS - 1, SCHED_DL_PERIOD_MAX_NS, 1000000},
		{SCHED_DL_PERIOD_MAX_NS, SCHED_DL_PERIOD_MAX_NS, 1000000},
	};
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t got =
			sched_dl_density(rows[i].runtime, rows[i].deadline);
		if (got != rows[i].ppm)
			fprintf(stderr, "    row %u\n", i);
		CHECK_EQ(got, rows[i].ppm);
	}
	/* the smallest share that covers runtime/deadline */
	for (uint64_t r = SCHED_DL_RUNTIME_MIN_NS; r <= 10 * MS; r += 333331)
		for (uint64_t d = r; d <= 40 * MS; d += 1234567) {
			uint64_t ppm = sched_dl_density(r, d);
			CHECK(ppm * d >= r * 1000000);
			CHECK((ppm - 1) * d < r * 1000000);
		}
}
