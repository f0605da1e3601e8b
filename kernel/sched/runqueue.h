/* Per-CPU run queue and the scheduler's internal helpers (private to
 * kernel/sched). Everything in a run queue is guarded by its lock. */
#pragma once
#include <execrt/syscall.h>
#include <kern/list.h>
#include <kern/rbtree.h>
#include <kern/sched.h>
#include <kern/spinlock.h>
#include <kern/thread.h>

#define RT_LEVELS (SCHED_RT_PRIO_MAX + 1)

struct trace_ring {
	struct sched_trace_rec *recs; /* capacity a power of two */
	uint32_t cap;
	uint64_t head; /* seq of the next record */
	uint64_t overwritten;
};

struct run_queue {
	spinlock_t lock;
	unsigned cpu;
	struct thread *current;
	struct thread *idle;
	bool need_resched;
	bool started;
	bool recheck;	   /* re-check every parked thread (a quota changed) */
	uint64_t cfg_gen;  /* configuration generation applied */
	unsigned nr_ready; /* queued in a class (parked ones not counted) */

	/* DL: ready threads by deadline (EDF). */
	struct rb_root dl_tree;
	unsigned dl_nr;
	/* RT: one FIFO per priority and a bitmap of the non-empty ones. */
	struct list_node rt_q[RT_LEVELS];
	uint64_t rt_bitmap[2];
	unsigned rt_nr;
	/* BE: ready threads by virtual runtime. */
	struct rb_root be_tree;
	unsigned be_nr;
	uint64_t be_weight; /* sum over queued BE threads */
	uint64_t be_min_vr; /* never goes backwards */

	/* Held back until a budget or quota refills, by park_until, and
	 * sleepers, by wake_deadline: ordered trees (quota.c, wait.c), so
	 * adding or removing one is O(log n) under this lock and the
	 * earliest is O(1). */
	struct rb_root parked;
	struct rb_root sleepers;

	/* RT cap: DL+RT time in the current window. */
	uint64_t cap_window_end, cap_used;
	bool rt_capped;
	uint64_t rt_capped_count;

	struct thread *zombie; /* dead thread to release after a switch */
	/* SMP (migrate.c): the thread that left this CPU at the last switch
	 * for move_to; the running thread's rank (sched_rank()), read
	 * without the lock by other CPUs choosing where to push; when this
	 * CPU balances its best-effort load next; look for RT work queued
	 * elsewhere after the switch (this CPU's rank dropped). */
	struct thread *outgoing;
	unsigned curr_rank;
	uint64_t next_balance;
	bool pull;
	unsigned push_rank; /* a preempted thread of this rank waits here */
	bool kicked;	    /* idle, sent an IPI to look for work */
	uint64_t switches;
	uint64_t timer_deadline; /* what the one-shot timer is armed for */
	uint64_t idle_ns;
	uint64_t sched_calls, sched_cycles;
	uint64_t dl_density; /* admitted DL share (admission lock) */
	struct trace_ring trace;
};

struct run_queue *sched_rq(unsigned cpu);
/* BE placement of a waking thread (as its enqueue does), for a thread
 * dispatched without going through the queue (sched_block_handoff). */
void be_wake_place(struct run_queue *rq, struct thread *t);
/* As be_enqueue(t) then taking the first queued thread out, in one tree
 * update when t takes the first one's place (a yield or a slice end with
 * one other thread waiting). Returns the thread taken out; NULL: none
 * was (the queue was empty or t went elsewhere), t is queued. */
struct thread *be_enqueue_take_first(struct run_queue *rq, struct thread *t,
				     enum sched_enq how);
extern const struct sched_class sched_class_dl, sched_class_rt, sched_class_be;

/* The thread whose parameters t runs on: its donor, unless the donor has
 * become best effort since (fair sharing lends nothing), or is DL and t is
 * not on the CPU where the donor's bandwidth is admitted (DL time is
 * spent only there: sched_set_donor moves the server to that CPU). */
static inline struct thread *sched_eff(const struct thread *t)
{
	struct thread *d = READ_ONCE(t->donor);
	if (!d)
		return (struct thread *)t;
	uint32_t c = READ_ONCE(d->sp.cls);
	if (c == SCHED_CLASS_RT ||
	    (c == SCHED_CLASS_DL &&
	     READ_ONCE(d->dl.admit_cpu) == READ_ONCE(t->cpu)))
		return d;
	return (struct thread *)t;
}

/* SMP placement and migration (migrate.c). Ranks order what a CPU runs:
 * idle 0, BE 1, RT 1 + priority, DL above all. */
#define RANK_DL 200u
static inline unsigned sched_rank(const struct thread *t)
{
	if (!t || t->is_idle)
		return 0;
	const struct thread *e = sched_eff(t);
	switch (e->sp.cls) {
	case SCHED_CLASS_DL:
		return RANK_DL;
	case SCHED_CLASS_RT:
		return 1 + e->sp.priority;
	default:
		return 1;
	}
}
/* Best CPU of t's affinity to start it on (fewest runnable threads). */
unsigned sched_place(struct thread *t);
/* After a thread of `rank` was queued on src without running there at
 * once (no run-queue lock held): moves a thread of that rank waiting on
 * src to a CPU of `affinity` running lower-ranked work. */
void sched_push(unsigned src, unsigned rank, uint64_t affinity);
/* The rank of the best RT thread waiting on rq that does not run next
 * (0: none): what to push elsewhere. Lock held. */
unsigned rq_waiting_rt_rank(struct run_queue *rq);
/* This CPU (lock not held, interrupts off): idle pull / RT pull after a
 * switch / periodic BE balance. */
bool sched_pull(struct run_queue *rq, bool idle);
void sched_balance_tick(struct run_queue *rq, uint64_t now);
/* Moves t to dst_cpu now, or (running) at its next switch-out, which
 * is asked for; the caller checks afterwards with sched_preempt_check()
 * when t is itself. */
void sched_move(struct thread *t, unsigned dst_cpu);
/* A thread that left rq at the last switch goes to its new CPU. */
void sched_finish_move(struct thread *t);
/* Moves a thread that does not run now (lock of both queues held). */
void move_locked(struct run_queue *src, struct run_queue *dst,
		 struct thread *t, uint64_t now);
/* Kicks an idle CPU when rq has queued work waiting (rq lock held). */
void sched_kick_idle(struct run_queue *rq);
extern uint64_t sched_idle_mask;

/* DL servers (dl.c); all take the server's own lock. */
void dl_setup(struct sched_dl *d, uint64_t runtime, uint64_t deadline,
	      uint64_t period, uint64_t now);
void dl_wakeup(struct sched_dl *d, uint64_t now);
/* 0 when d has budget (refilled if its replenishment time has come),
 * else the time it refills. */
uint64_t dl_eligible_at(struct sched_dl *d, uint64_t now);
/* Yield: the rest of the budget is given up (the dispatch end that
 * follows, with job_over, ends the job). */
void dl_yield(struct sched_dl *d);
uint64_t dl_deadline(struct sched_dl *d);
/* A dispatch of a thread on d begins / ends (or is accounted on); return
 * SCHED_TREC_DL_* flags for the trace (job_over: it stopped wanting the
 * CPU; a miss is judged before the job is marked done). */
unsigned dl_dispatch_start(struct sched_dl *d, uint64_t now);
unsigned dl_dispatch_end(struct sched_dl *d, uint64_t now, bool job_over);

/* Task quotas (quota.c): charge returns true once exhausted. */
bool quota_charge(struct cpu_quota *q, uint64_t delta, uint64_t now);
uint64_t quota_eligible_at(struct cpu_quota *q, uint64_t now);
/* Time left in the window's allowance (DEADLINE_NONE: no quota). */
uint64_t quota_left(struct cpu_quota *q, uint64_t now);

/* Sleepers (wait.c), by t->wake_deadline, and held-back threads
 * (quota.c), by t->park_until; equal times leave in FIFO order. rq lock
 * held. Add/del O(log n), first O(1) (NULL when none); del of a thread
 * not queued does nothing. */
void sleeper_add(struct run_queue *rq, struct thread *t);
static inline void sleeper_del(struct run_queue *rq, struct thread *t)
{
	if (rb_linked(&t->sleep_rb))
		rb_erase(&rq->sleepers, &t->sleep_rb);
}
void parked_add(struct run_queue *rq, struct thread *t);
void parked_del(struct run_queue *rq, struct thread *t);

/* Inline: every dispatch decision looks at both (the cached leftmost). */
static inline struct thread *sleeper_first(const struct run_queue *rq)
{
	struct rb_node *n = rq->sleepers.leftmost;
	return n ? rb_entry(n, struct thread, sleep_rb) : NULL;
}

static inline struct thread *parked_first(const struct run_queue *rq)
{
	struct rb_node *n = rq->parked.leftmost;
	return n ? rb_entry(n, struct thread, park_rb) : NULL;
}

/* Telemetry (telemetry.c), rq lock held. */
void trace_init(struct trace_ring *r);
/* The next record's slot, its seq set (NULL: no ring); filled in place
 * under the same lock hold (readers take the run-queue lock). */
static inline struct sched_trace_rec *trace_next(struct trace_ring *r)
{
	if (!r->cap)
		return NULL;
	struct sched_trace_rec *slot = &r->recs[r->head & (r->cap - 1)];
	slot->seq = r->head;
	if (r->head >= r->cap)
		r->overwritten++;
	r->head++;
	return slot;
}
