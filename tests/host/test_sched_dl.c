/* The deadline class's constant-bandwidth servers (kernel/sched/dl.c),
 * driven step by step with exact times. Budget is charged through the
 * class's own charge hook, on a thread whose dl is the server under test.
 * Steps follow the scheduler's order: charge, yield, dispatch end, then
 * the refill check. */
#include <inttypes.h>
#include <string.h>

#include "harness.h"
#include "../../kernel/sched/runqueue.h"

#define US  1000ull
#define MS  1000000ull
#define SUS ((int64_t)US)
#define SMS ((int64_t)MS)

enum dl_op {
	D_WAKE = 1, /* dl_wakeup(now) */
	D_START,    /* dl_dispatch_start(now): ret = flags */
	D_STOP,	    /* dl_dispatch_end(now, false): ret = flags */
	D_DONE,	    /* dl_dispatch_end(now, true): ret = flags */
	D_RUN,	    /* the class charges `now` ns */
	D_YIELD,    /* dl_yield(): the budget given up */
	D_ELIG,	    /* dl_eligible_at(now): ret = refill time or 0 */
	D_SETUP,    /* dl_setup(case parameters, now) */
};

/* After the step: return value, deadline, budget and the job counters
 * (unless nocheck: the state is not asserted, only the later steps). */
struct dl_step {
	enum dl_op op;
	uint64_t now;
	uint64_t ret;
	uint64_t abs;
	int64_t rem;
	uint64_t met, missed;
	bool nocheck;
};

struct dl_case {
	const char *name;
	uint64_t par[3]; /* Q, D, P */
	struct dl_step s[24];
};

/* clang-format off */
#define S(op, now, ret, abs, rem, met, missed) \
	{op, now, ret, abs, rem, met, missed, false}
#define SX(op, now) {op, now, 0, 0, 0, 0, 0, true}
/* clang-format on */
/* CHECK_EQ naming the table row (a and b are evaluated twice). */
#define ROW_EQ(row, a, b)                                                      \
	do {                                                                   \
		if ((long long)(a) != (long long)(b))                          \
			fprintf(stderr, "    row %u\n", (unsigned)(row));      \
		CHECK_EQ(a, b);                                                \
	} while (0)
#define MET  SCHED_TREC_DL_MET
#define MISS SCHED_TREC_DL_MISS

static struct thread th; /* th.dl is the server; donor NULL */

static bool dl_fixture(uint64_t q, uint64_t d, uint64_t p)
{
	memset(&th, 0, sizeof(th));
	dl_setup(&th.dl, q, d, p, 0);
	return dl_deadline(&th.dl) == d && th.dl.remaining == (int64_t)q;
}

static void charge(uint64_t delta)
{
	sched_class_dl.charge(NULL, &th, delta);
}

/* Runs a case from dl_setup(q, d, p, 0); the failing step or -1. */
static int run_dl(const struct dl_case *c)
{
	struct sched_dl *d = &th.dl;
	if (!dl_fixture(c->par[0], c->par[1], c->par[2]))
		return 0;
	for (int i = 0; i < 24 && c->s[i].op; i++) {
		const struct dl_step *s = &c->s[i];
		uint64_t ret = 0;
		switch (s->op) {
		case D_WAKE:
			dl_wakeup(d, s->now);
			break;
		case D_START:
			ret = dl_dispatch_start(d, s->now);
			break;
		case D_STOP:
		case D_DONE:
			ret = dl_dispatch_end(d, s->now, s->op == D_DONE);
			break;
		case D_RUN:
			charge(s->now);
			break;
		case D_YIELD:
			dl_yield(d);
			break;
		case D_ELIG:
			ret = dl_eligible_at(d, s->now);
			break;
		case D_SETUP:
			dl_setup(d, c->par[0], c->par[1], c->par[2], s->now);
			break;
		}
		if (s->nocheck)
			continue;
		if (ret != s->ret || dl_deadline(d) != s->abs ||
		    d->remaining != s->rem || d->met != s->met ||
		    d->missed != s->missed) {
			fprintf(stderr,
				"    %s step %d (got/want): ret %" PRIu64
				"/%" PRIu64 " abs %" PRIu64 "/%" PRIu64
				" rem %" PRId64 "/%" PRId64 " met %" PRIu64
				"/%" PRIu64 " missed %" PRIu64 "/%" PRIu64 "\n",
				c->name, i, ret, s->ret, dl_deadline(d), s->abs,
				d->remaining, s->rem, d->met, s->met, d->missed,
				s->missed);
			return i;
		}
	}
	return -1;
}

/* As in do_schedule(): the time is charged, a yield gives up the rest of
 * the budget, the dispatch end judges the job, then the refill check. */
static const struct dl_case scenarios[] = {
	{"periodic yield meets every deadline",
	 {2 * MS, 10 * MS, 10 * MS},
	 {S(D_WAKE, 0, 0, 10 * MS, 2 * MS, 0, 0), /* 2*10 == 10*2: kept */
	  S(D_START, 0, 0, 10 * MS, 2 * MS, 0, 0),
	  S(D_RUN, 1 * MS, 0, 10 * MS, 1 * MS, 0, 0),
	  S(D_YIELD, 0, 0, 10 * MS, 0, 0, 0),
	  S(D_DONE, 1 * MS, MET, 10 * MS, 0, 0, 0),
	  S(D_ELIG, 1 * MS, 10 * MS, 10 * MS, 0, 0, 0),
	  S(D_ELIG, 10 * MS, 0, 20 * MS, 2 * MS, 1, 0),
	  S(D_START, 10 * MS, 0, 20 * MS, 2 * MS, 1, 0),
	  S(D_RUN, 2 * MS, 0, 20 * MS, 0, 1, 0), /* the whole budget */
	  S(D_YIELD, 0, 0, 20 * MS, 0, 1, 0),
	  S(D_DONE, 12 * MS, MET, 20 * MS, 0, 1, 0),
	  S(D_ELIG, 12 * MS, 20 * MS, 20 * MS, 0, 1, 0),
	  S(D_ELIG, 20 * MS, 0, 30 * MS, 2 * MS, 2, 0),
	  S(D_START, 20 * MS, 0, 30 * MS, 2 * MS, 2, 0),
	  S(D_RUN, 500 * US, 0, 30 * MS, 1500 * US, 2, 0),
	  S(D_YIELD, 0, 0, 30 * MS, 0, 2, 0),
	  S(D_DONE, 20 * MS + 500 * US, MET, 30 * MS, 0, 2, 0),
	  S(D_ELIG, 20 * MS + 500 * US, 30 * MS, 30 * MS, 0, 2, 0),
	  S(D_ELIG, 30 * MS, 0, 40 * MS, 2 * MS, 3, 0)}},

	{"overrun pays its debt, each unfinished job missed once",
	 {2 * MS, 10 * MS, 10 * MS},
	 {S(D_START, 0, 0, 10 * MS, 2 * MS, 0, 0),
	  S(D_RUN, 5 * MS, 0, 10 * MS, -3 * SMS, 0, 0),
	  S(D_ELIG, 5 * MS, 10 * MS, 10 * MS, -3 * SMS, 0, 0),
	  S(D_STOP, 5 * MS, MET, 10 * MS, -3 * SMS, 0, 0),
	  /* -3 + 2 + 2: two periods on, 1 ms left */
	  S(D_ELIG, 10 * MS, 0, 30 * MS, 1 * MS, 0, 1),
	  S(D_START, 10 * MS, 0, 30 * MS, 1 * MS, 0, 1),
	  S(D_RUN, 1 * MS, 0, 30 * MS, 0, 0, 1),
	  S(D_ELIG, 11 * MS, 30 * MS, 30 * MS, 0, 0, 1),
	  S(D_STOP, 11 * MS, MET, 30 * MS, 0, 0, 1),
	  /* throttled until its deadline: it still wanted the CPU */
	  S(D_ELIG, 30 * MS, 0, 40 * MS, 2 * MS, 0, 2),
	  S(D_START, 30 * MS, 0, 40 * MS, 2 * MS, 0, 2),
	  S(D_RUN, 1 * MS, 0, 40 * MS, 1 * MS, 0, 2),
	  S(D_YIELD, 0, 0, 40 * MS, 0, 0, 2),
	  S(D_DONE, 31 * MS, MET, 40 * MS, 0, 0, 2),
	  S(D_ELIG, 31 * MS, 40 * MS, 40 * MS, 0, 0, 2),
	  S(D_ELIG, 40 * MS, 0, 50 * MS, 2 * MS, 1, 2)}},

	{"a miss is counted once per job",
	 {2 * MS, 10 * MS, 10 * MS},
	 {S(D_START, 0, 0, 10 * MS, 2 * MS, 0, 0),
	  S(D_RUN, 1 * MS, 0, 10 * MS, 1 * MS, 0, 0),
	  S(D_STOP, 1 * MS, MET, 10 * MS, 1 * MS, 0, 0),
	  S(D_START, 10 * MS, 0, 10 * MS, 1 * MS, 0, 0), /* at it: on time */
	  S(D_STOP, 10 * MS, MET, 10 * MS, 1 * MS, 0, 0),
	  S(D_START, 10 * MS + 1, MISS, 10 * MS, 1 * MS, 0, 1),
	  S(D_STOP, 11 * MS, 0, 10 * MS, 1 * MS, 0, 1),
	  S(D_START, 11 * MS, 0, 10 * MS, 1 * MS, 0, 1),
	  S(D_RUN, 1 * MS, 0, 10 * MS, 0, 0, 1),
	  S(D_ELIG, 12 * MS, 0, 20 * MS, 2 * MS, 0, 1), /* not again */
	  S(D_STOP, 12 * MS, MET, 20 * MS, 2 * MS, 0, 1),
	  S(D_START, 12 * MS, 0, 20 * MS, 2 * MS, 0, 1),
	  S(D_RUN, 1 * MS, 0, 20 * MS, 1 * MS, 0, 1),
	  S(D_DONE, 13 * MS, MET, 20 * MS, 1 * MS, 0, 1), /* blocks in time */
	  S(D_WAKE, 25 * MS, 0, 35 * MS, 2 * MS, 1, 1),
	  S(D_START, 25 * MS, 0, 35 * MS, 2 * MS, 1, 1),
	  S(D_RUN, 1 * MS, 0, 35 * MS, 1 * MS, 1, 1),
	  S(D_DONE, 36 * MS, MISS, 35 * MS, 1 * MS, 1, 2), /* blocks late */
	  S(D_WAKE, 40 * MS, 0, 50 * MS, 2 * MS, 1, 2)}},

	{"budget left: no refill however late",
	 {2 * MS, 10 * MS, 10 * MS},
	 {S(D_START, 0, 0, 10 * MS, 2 * MS, 0, 0),
	  S(D_RUN, 1 * MS, 0, 10 * MS, 1 * MS, 0, 0),
	  S(D_ELIG, 50 * MS, 0, 10 * MS, 1 * MS, 0, 0),
	  S(D_STOP, 50 * MS, MISS, 10 * MS, 1 * MS, 0, 1)}},

	{"yield keeps a debt",
	 {2 * MS, 10 * MS, 10 * MS},
	 {S(D_START, 0, 0, 10 * MS, 2 * MS, 0, 0),
	  S(D_RUN, 3 * MS, 0, 10 * MS, -1 * SMS, 0, 0),
	  S(D_YIELD, 0, 0, 10 * MS, -1 * SMS, 0, 0),
	  S(D_DONE, 3 * MS, MET, 10 * MS, -1 * SMS, 0, 0),
	  S(D_ELIG, 3 * MS, 10 * MS, 10 * MS, -1 * SMS, 0, 0),
	  S(D_ELIG, 10 * MS, 0, 20 * MS, 1 * MS, 1, 0)}},

	{"set-up: a job under way is kept, fresh ones are not judged",
	 {2 * MS, 10 * MS, 10 * MS},
	 {S(D_WAKE, 15 * MS, 0, 25 * MS, 2 * MS, 0, 0), /* never ran */
	  S(D_START, 15 * MS, 0, 25 * MS, 2 * MS, 0, 0),
	  S(D_RUN, 1 * MS, 0, 25 * MS, 1 * MS, 0, 0),
	  S(D_DONE, 16 * MS, MET, 25 * MS, 1 * MS, 0, 0),
	  S(D_WAKE, 30 * MS, 0, 40 * MS, 2 * MS, 1, 0),
	  S(D_START, 30 * MS, 0, 40 * MS, 2 * MS, 1, 0),
	  S(D_RUN, 1 * MS, 0, 40 * MS, 1 * MS, 1, 0),
	  /* setting the parameters again refills nothing */
	  S(D_SETUP, 31 * MS, 0, 40 * MS, 1 * MS, 1, 0),
	  S(D_DONE, 32 * MS, MET, 40 * MS, 1 * MS, 1, 0),
	  S(D_WAKE, 50 * MS, 0, 60 * MS, 2 * MS, 2, 0),
	  S(D_SETUP, 60 * MS, 0, 70 * MS, 2 * MS, 2, 0), /* at the deadline */
	  S(D_YIELD, 0, 0, 70 * MS, 0, 2, 0),
	  S(D_ELIG, 70 * MS, 0, 80 * MS, 2 * MS, 2, 0)}},

	/* A server on donation charges a blocked caller's budget: the
	 * refill releases a job that wants the CPU, judged later. */
	{"a refill makes the job pending",
	 {2 * MS, 10 * MS, 10 * MS},
	 {S(D_RUN, 2 * MS, 0, 10 * MS, 0, 0, 0),
	  S(D_ELIG, 5 * MS, 10 * MS, 10 * MS, 0, 0, 0),
	  S(D_ELIG, 10 * MS, 0, 20 * MS, 2 * MS, 0, 0),
	  S(D_RUN, 2 * MS, 0, 20 * MS, 0, 0, 0),
	  S(D_ELIG, 20 * MS, 0, 30 * MS, 2 * MS, 0, 1)}},
};

TEST(sched_dl_scenarios)
{
	for (unsigned i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		CHECK_EQ(run_dl(&scenarios[i]), -1);
}

/* Server parameters (Q, D, P) the tables below refer to by index. */
static const uint64_t pars[][3] = {
	{2 * MS, 10 * MS, 10 * MS},	      /* 0: 20%, D = P */
	{1 * MS, 4 * MS, 10 * MS},	      /* 1: D < P */
	{10000 * MS, 10000 * MS, 10000 * MS}, /* 2: 10 s, beyond 64 bits */
	{10 * US, 1 * MS, 1 * MS},	      /* 3: the smallest budget */
};

/* Runs a job from 0 until `rem` is left (blocking at `blocked` if done). */
static bool ran_until(unsigned par, int64_t rem, bool done, uint64_t blocked)
{
	struct sched_dl *d = &th.dl;
	uint64_t q = pars[par][0];
	if (!dl_fixture(q, pars[par][1], pars[par][2]) ||
	    dl_dispatch_start(d, 0) != 0)
		return false;
	charge(q - (uint64_t)rem);
	return d->remaining == rem &&
	       (!done || dl_dispatch_end(d, blocked, true) == MET);
}

/* The CBS wake-up rule, for a job that blocked with `rem` left: kept iff
 * rem * D <= (deadline - now) * Q, before the deadline; else a fresh job,
 * and the old one is judged met. */
TEST(sched_dl_wakeup_cbs_rule)
{
	static const struct {
		unsigned par;
		int64_t rem;
		uint64_t now;
		bool fresh;
	} rows[] = {
		{0, 1 * SMS, 5 * MS - 1, false},
		{0, 1 * SMS, 5 * MS, false}, /* 1 * 10 == 5 * 2 */
		{0, 1 * SMS, 5 * MS + 1, true},
		{0, 2 * SMS, 0, false},
		{0, 2 * SMS, 1, true},
		{0, 1, 10 * MS - 5, false},
		{0, 1, 10 * MS - 4, true},
		{0, 1 * SMS, 10 * MS - 1, true},
		{0, 1 * SMS, 10 * MS, true}, /* due */
		{0, 0, 9 * MS, false},
		{0, -1 * SMS, 9 * MS, false},  /* the debt stays */
		{0, -1 * SMS, 10 * MS, true},  /* ... until the deadline */
		{1, 500 * SUS, 2 * MS, false}, /* 0.5 * 4 == (4 - 2) * 1 */
		{1, 500 * SUS, 2 * MS + 1, true},
		{2, 5000 * SMS, 5000 * MS, false},
		{2, 5000 * SMS, 5000 * MS + 1, true},
		{2, 1900 * SMS, 8200 * MS, true}, /* 1.9e19 > 1.8e19 */
	};
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct sched_dl *d = &th.dl;
		unsigned par = rows[i].par;
		uint64_t q = pars[par][0], dl = pars[par][1];
		uint64_t used = q - (uint64_t)rows[i].rem;
		uint64_t now = rows[i].now;
		ROW_EQ(i, ran_until(par, rows[i].rem, true, MIN(used, now)), 1);
		dl_wakeup(d, now);
		bool fresh = rows[i].fresh;
		ROW_EQ(i, dl_deadline(d), fresh ? now + dl : dl);
		ROW_EQ(i, d->remaining, fresh ? (int64_t)q : rows[i].rem);
		ROW_EQ(i, d->met, fresh);
		ROW_EQ(i, d->missed, 0);
		ROW_EQ(i, d->job_done, false);
	}
}

/* Refills of an exhausted budget (rem <= 0): one period on per Q of debt
 * paid, or afresh once the refilled job's deadline has passed too (held
 * back, e.g. by a task quota). The replaced job wanted the CPU: missed. */
TEST(sched_dl_refill_times)
{
	static const struct {
		unsigned par;
		int64_t rem;
		uint64_t now, until, abs;
		int64_t left;
	} rows[] = {
		{0, 0, 10 * MS - 1, 10 * MS, 10 * MS, 0},
		{0, 0, 10 * MS, 0, 20 * MS, 2 * SMS},
		{0, 0, 20 * MS - 1, 0, 20 * MS, 2 * SMS},
		{0, 0, 20 * MS, 0, 30 * MS, 2 * SMS},
		{0, 0, 20 * MS + 3, 0, 30 * MS + 3, 2 * SMS}, /* afresh */
		{0, 0, 35 * MS, 0, 45 * MS, 2 * SMS},
		{0, -3 * SMS, 10 * MS - 1, 10 * MS, 10 * MS, -3 * SMS},
		{0, -3 * SMS, 10 * MS, 0, 30 * MS, 1 * SMS}, /* -3 + 2 + 2 */
		{0, -3 * SMS, 30 * MS - 1, 0, 30 * MS, 1 * SMS},
		{0, -3 * SMS, 30 * MS, 0, 40 * MS,
		 2 * SMS}, /* debt forgotten */
		{0, -2 * SMS, 10 * MS, 0, 30 * MS,
		 2 * SMS}, /* 0 is no refill */
		{0, -2 * SMS + 1, 10 * MS, 0, 20 * MS, 1},
		{1, 0, 10 * MS - 1, 10 * MS, 4 * MS, 0}, /* at deadline-D+P */
		{1, 0, 10 * MS, 0, 14 * MS, 1 * SMS},
		{1, 0, 13 * MS, 0, 14 * MS, 1 * SMS},
		{1, 0, 14 * MS - 1, 0, 14 * MS, 1 * SMS},
		/* at the refilled deadline: afresh, never a stale deadline
		 * that would jump the EDF queue */
		{1, 0, 14 * MS, 0, 18 * MS, 1 * SMS},
		{1, 0, 17 * MS, 0, 21 * MS, 1 * SMS},
		{1, 0, 20 * MS, 0, 24 * MS, 1 * SMS},
		{1, 0, 27 * MS, 0, 31 * MS, 1 * SMS},
		{3, -995 * SUS, 1 * MS, 0, 101 * MS, 5 * SUS}, /* 100 periods */
	};
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct sched_dl *d = &th.dl;
		ROW_EQ(i, ran_until(rows[i].par, rows[i].rem, false, 0), 1);
		uint64_t until = dl_eligible_at(d, rows[i].now);
		ROW_EQ(i, until, rows[i].until);
		ROW_EQ(i, dl_deadline(d), rows[i].abs);
		ROW_EQ(i, d->remaining, rows[i].left);
		ROW_EQ(i, d->missed, until ? 0 : 1);
		ROW_EQ(i, d->met, 0);
	}
}

TEST(sched_dl_dispatch_flags_at_the_deadline)
{
	struct sched_dl *d = &th.dl;
	CHECK(dl_fixture(2 * MS, 10 * MS, 10 * MS));
	CHECK_EQ(dl_dispatch_start(d, 10 * MS), 0);
	CHECK_EQ(dl_dispatch_end(d, 10 * MS, false), MET);
	CHECK_EQ(dl_dispatch_end(d, 10 * MS + 1, false), MISS);
	CHECK_EQ(dl_dispatch_end(d, 10 * MS + 2, false), 0);
	CHECK_EQ(dl_dispatch_start(d, 10 * MS + 3), 0);
	CHECK_EQ(d->missed, 1);
	/* a finished job is not missed, whenever it is looked at */
	CHECK(dl_fixture(2 * MS, 10 * MS, 10 * MS));
	CHECK_EQ(dl_dispatch_end(d, 5 * MS, true), MET);
	CHECK_EQ(dl_dispatch_end(d, 11 * MS, true), 0);
	CHECK_EQ(dl_dispatch_start(d, 12 * MS), 0);
	CHECK_EQ(d->missed, 0);
}

/* A yield after the deadline is a miss: the scheduler judges the job
 * (dispatch end with job_over) before a refill can replace it. */
static const struct dl_case yield_late[] = {
	{"yield after the deadline (D < P)",
	 {2 * MS, 5 * MS, 10 * MS},
	 {S(D_START, 4 * MS, 0, 5 * MS, 2 * MS, 0, 0),
	  S(D_RUN, 1500 * US, 0, 5 * MS, 500 * US, 0, 0),
	  S(D_YIELD, 0, 0, 5 * MS, 0, 0, 0),
	  S(D_DONE, 5500 * US, MISS, 5 * MS, 0, 0, 1),
	  S(D_ELIG, 5500 * US, 10 * MS, 5 * MS, 0, 0, 1),
	  S(D_ELIG, 10 * MS, 0, 15 * MS, 2 * MS, 0, 1)}},
	{"yield after the deadline (D = P)",
	 {2 * MS, 10 * MS, 10 * MS},
	 {S(D_START, 9 * MS, 0, 10 * MS, 2 * MS, 0, 0),
	  S(D_RUN, 1500 * US, 0, 10 * MS, 500 * US, 0, 0),
	  S(D_YIELD, 0, 0, 10 * MS, 0, 0, 0),
	  S(D_DONE, 10500 * US, MISS, 10 * MS, 0, 0, 1),
	  S(D_ELIG, 10500 * US, 0, 20 * MS, 2 * MS, 0, 1)}},
};

TEST(sched_dl_yield_after_deadline_is_missed)
{
	CHECK_EQ(run_dl(&yield_late[0]), -1);
	CHECK_EQ(run_dl(&yield_late[1]), -1);
}

/* The time run is charged before the yield gives up the rest, so the
 * next job gets a full budget (docs/scheduling.md "SYS_YIELD"). */
static const struct dl_case yield_charged[] = {
	{"charged before the yield",
	 {2 * MS, 10 * MS, 10 * MS},
	 {S(D_START, 0, 0, 10 * MS, 2 * MS, 0, 0),
	  S(D_RUN, 1 * MS, 0, 10 * MS, 1 * MS, 0, 0),
	  S(D_YIELD, 0, 0, 10 * MS, 0, 0, 0),
	  S(D_DONE, 1 * MS, MET, 10 * MS, 0, 0, 0),
	  S(D_ELIG, 10 * MS, 0, 20 * MS, 2 * MS, 1, 0)}},
};

TEST(sched_dl_yield_leaves_a_full_next_budget)
{
	CHECK_EQ(run_dl(&yield_charged[0]), -1);
}
