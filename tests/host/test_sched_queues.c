/* The scheduler's ordered sets (issue 12, bounded work with interrupts
 * off): sleepers by wake deadline (kernel/sched/wait.c), held-back threads
 * by refill time (kernel/sched/quota.c), and the koid-ordered thread tree
 * that SYS_SCHED_STATS pages through (kernel/sched/telemetry.c). Each is
 * driven with random operations against a plain reference. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include <execrt/types.h>
#include "../../kernel/sched/runqueue.h"

#define NT 300

static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* Reference: queued[i] and seq[i] (insertion order, for FIFO on ties). */
static bool queued[NT];
static uint64_t seq[NT], key[NT];

/* The reference's earliest: smallest key, then earliest insertion. */
static int ref_first(void)
{
	int best = -1;
	for (int i = 0; i < NT; i++)
		if (queued[i] && (best < 0 || key[i] < key[best] ||
				  (key[i] == key[best] && seq[i] < seq[best])))
			best = i;
	return best;
}

struct set_ops {
	void (*add)(struct run_queue *, struct thread *);
	void (*del)(struct run_queue *, struct thread *);
	struct thread *(*first)(const struct run_queue *);
	bool park; /* key is park_until, else wake_deadline */
};

/* Random adds (keys from a small range: many ties), deletes of queued and
 * of unqueued threads, and pops of the earliest; the set's earliest must
 * always be the reference's. Returns -1 when all held, else the step. */
static int drive(const struct set_ops *ops, uint64_t seed)
{
	static struct thread th[NT];
	static struct run_queue rq;
	memset(th, 0, sizeof(th));
	memset(&rq, 0, sizeof(rq));
	memset(queued, 0, sizeof(queued));
	rb_init(&rq.sleepers);
	rb_init(&rq.parked);
	for (int i = 0; i < NT; i++) {
		rb_node_init(&th[i].sleep_rb);
		rb_node_init(&th[i].park_rb);
	}
	rng_state = seed;
	uint64_t n_ins = 0;
	for (int step = 0; step < 20000; step++) {
		int i = (int)(rng() % NT);
		unsigned op = (unsigned)(rng() % 4);
		if (op <= 1 && !queued[i]) {
			key[i] = rng() % 64;
			if (ops->park)
				th[i].park_until = key[i];
			else
				th[i].wake_deadline = key[i];
			ops->add(&rq, &th[i]);
			queued[i] = true;
			seq[i] = n_ins++;
		} else if (op == 2) {
			ops->del(&rq, &th[i]); /* queued or not */
			queued[i] = false;
		} else {
			int f = ref_first();
			struct thread *t = ops->first(&rq);
			if (f < 0 ? t != NULL : t != &th[f])
				return step;
			if (t) {
				ops->del(&rq, t);
				queued[f] = false;
			}
		}
		int f = ref_first();
		if (f < 0 ? ops->first(&rq) != NULL : ops->first(&rq) != &th[f])
			return step;
	}
	/* Drain: strictly by key, FIFO among equals. */
	int f;
	while ((f = ref_first()) >= 0) {
		if (ops->first(&rq) != &th[f])
			return 20000;
		ops->del(&rq, &th[f]);
		queued[f] = false;
	}
	return ops->first(&rq) == NULL ? -1 : 20001;
}

TEST(sched_sleepers_tree_order)
{
	const struct set_ops ops = {sleeper_add, sleeper_del, sleeper_first,
				    false};
	for (uint64_t seed = 1; seed <= 4; seed++)
		CHECK_EQ(drive(&ops, seed * 0x9e3779b97f4a7c15ull), -1);
}

TEST(sched_parked_tree_order)
{
	const struct set_ops ops = {parked_add, parked_del, parked_first, true};
	for (uint64_t seed = 1; seed <= 4; seed++)
		CHECK_EQ(drive(&ops, seed * 0xd1b54a32d192ed03ull), -1);
}

static bool koid_less(const struct rb_node *a, const struct rb_node *b)
{
	return rb_entry(a, struct thread, all_rb)->obj.koid <
	       rb_entry(b, struct thread, all_rb)->obj.koid;
}

/* SYS_SCHED_STATS's pager: resuming after the last koid returned visits
 * every thread once, in koid order, even while threads come and go between
 * batches: one that died ahead of the cursor is not seen, one created
 * ahead of it is. */
TEST(sched_stats_pages_by_koid)
{
	static struct thread th[NT];
	static bool in[NT], seen[NT], must[NT];
	memset(th, 0, sizeof(th));
	memset(in, 0, sizeof(in));
	memset(seen, 0, sizeof(seen));
	memset(must, 0, sizeof(must));
	struct rb_root saved = thread_tree;
	rb_init(&thread_tree);
	rng_state = 77;
	int order[NT]; /* koid 10 * (idx + 1), inserted shuffled */
	for (int i = 0; i < NT; i++)
		order[i] = i;
	for (int i = NT - 1; i > 0; i--) {
		int j = (int)(rng() % (uint64_t)(i + 1)), x = order[i];
		order[i] = order[j];
		order[j] = x;
	}
	int next = 0;
	uint64_t after = 5, last = 0;
#define ADD()                                                                  \
	do {                                                                   \
		int _i = order[next++];                                        \
		th[_i].obj.koid = 10 * (uint64_t)(_i + 1);                     \
		th[_i].sp.cls = SCHED_CLASS_BE;                                \
		rb_insert(&thread_tree, &th[_i].all_rb, koid_less);            \
		in[_i] = true;                                                 \
		must[_i] = th[_i].obj.koid > after;                            \
	} while (0)
	while (next < NT - 40)
		ADD();
	static struct sched_thread_stats out[7];
	int batches = 0;
	for (;;) {
		uint32_t n = sched_thread_stats(after, out, 7);
		for (uint32_t k = 0; k < n; k++) {
			int idx = (int)(out[k].koid / 10) - 1;
			CHECK(out[k].koid > last && idx >= 0 && idx < NT);
			CHECK(in[idx] && !seen[idx]);
			seen[idx] = true;
			last = out[k].koid;
		}
		if (n < 7)
			break;
		after = out[n - 1].koid;
		batches++;
		/* Between batches: a thread ahead of the cursor dies, a new
		 * one (anywhere in koid order) is created. */
		int victim = (int)(after / 10) + (int)(rng() % 5);
		if (victim < NT && in[victim]) {
			rb_erase(&thread_tree, &th[victim].all_rb);
			in[victim] = false;
			must[victim] = false;
		}
		if (next < NT)
			ADD();
	}
#undef ADD
	thread_tree = saved;
	CHECK(batches > 20);
	for (int i = 0; i < NT; i++) {
		CHECK(in[i] || !seen[i]); /* died ahead of the cursor */
		CHECK(!must[i] || seen[i]);
	}
}
