/* The scheduler: per-CPU run queues, each with its own lock, and three
 * classes in strict order, deadline (EDF with constant-bandwidth budgets),
 * fixed-priority real-time and weighted fair best-effort, behind
 * struct sched_class. Tickless: the one-shot timer is armed for the
 * nearest scheduling event only. docs/scheduling.md has the design. */
#pragma once
#include <execrt/sched.h>
#include <kern/list.h>
#include <kern/rbtree.h>
#include <kern/spinlock.h>
#include <kern/types.h>

struct thread;
struct task;
struct run_queue;
struct sched_auth;

/* How a thread enters its class queue (the classes place it by this). */
enum sched_enq {
	ENQ_NEW,     /* first start, or a class change */
	ENQ_WAKE,    /* woken from blocking */
	ENQ_RELEASE, /* released when its budget or quota refilled */
	ENQ_PREEMPT, /* was running, a better thread took the CPU */
	ENQ_TAIL,    /* was running and gave up its turn (yield, quantum) */
};

struct sched_class {
	const char *name;
	unsigned id; /* SCHED_CLASS_* */
	void (*enqueue)(struct run_queue *rq, struct thread *t,
			enum sched_enq how);
	void (*dequeue)(struct run_queue *rq, struct thread *t);
	/* Best queued thread of the class, or NULL. */
	struct thread *(*pick)(struct run_queue *rq);
	/* Same class: would t, just queued, preempt the running cur? */
	bool (*preempts)(struct run_queue *rq, struct thread *t,
			 struct thread *cur);
	/* t is dispatched now: set up its slice. */
	void (*start)(struct run_queue *rq, struct thread *t, uint64_t now);
	/* Time the class wants to decide again for the running cur (slice
	 * end, budget end), DEADLINE_NONE if none. */
	uint64_t (*event)(struct run_queue *rq, struct thread *cur,
			  uint64_t now);
	/* cur ran for delta ns. */
	void (*charge)(struct run_queue *rq, struct thread *cur,
		       uint64_t delta);
};

/* A deadline thread's constant-bandwidth server (kernel/sched/dl.c).
 * Guarded by its own lock: a server thread running on donation charges
 * the caller's budget from the server's CPU. */
struct sched_dl {
	spinlock_t lock;
	uint64_t runtime, deadline, period; /* the parameters */
	uint64_t abs_deadline;		    /* of the current job */
	int64_t remaining;		    /* budget left (ns); < 0: overrun */
	bool job_done;			    /* stopped wanting the CPU */
	bool miss_counted;		    /* a miss is counted for this job */
	bool pending;			    /* the job has wanted the CPU */
	uint64_t met, missed, throttles;
	/* Admission (kernel/sched/params.c, under the admission lock). */
	struct sched_auth *auth; /* bandwidth charged here (a ref) */
	uint64_t density_ppm;	 /* charged share */
	unsigned admit_cpu;	 /* CPU whose bound it is counted in */
};

/* Per-thread totals (reported through SYS_SCHED_STATS). */
struct sched_tstats {
	uint64_t dispatches, wakeups, preemptions, throttles;
	uint64_t lat_min, lat_max, lat_sum;
	uint64_t donated_ns;
};

/* A task's CPU-time quota (kernel/sched/quota.c). */
struct cpu_quota {
	spinlock_t lock;
	uint64_t runtime, period; /* period 0: no quota */
	uint64_t window_end;
	int64_t used; /* in the current window; carries overruns over */
	uint64_t throttles;
};

extern struct sched_config sched_cfg;

void sched_init(void);	   /* boot CPU, once memory and timers work */
void sched_init_cpu(void); /* every CPU: its idle thread and run queue */
/* Switches to the best ready thread; the caller's state (ready, blocked,
 * dead) must be set first. Interrupts may be on or off on entry. */
void schedule(void);
/* RT: behind its equals; BE: behind the next fair turn; DL: job done,
 * sleep until the next period. */
void thread_yield(void);
/* Sleeps the current thread until clock_ns() >= deadline. */
void sched_sleep_until(uint64_t deadline_ns);
/* Makes a blocked or new thread ready (on its CPU's queue); preempts the
 * running thread there when it should. */
void sched_wake(struct thread *t);
/* Blocks the current thread: called with interrupts off and `held`
 * locked; marks the thread blocked (and sleeping until deadline_ns unless
 * DEADLINE_NONE), releases `held` and switches away. Returns when woken,
 * interrupts still off, `held` not re-taken. */
void sched_block(spinlock_t *held, uint64_t deadline_ns);
/* sched_block, and next (blocked on this CPU, taken off its wait queue,
 * its wake result set) becomes ready in the same decision, so it runs at
 * once when it is the best (the IPC fastpath's direct switch). */
void sched_block_handoff(spinlock_t *held, uint64_t deadline_ns,
			 struct thread *next);
/* Wakes t (blocked, sleeping or held back by a budget) early with the
 * given result (kill). */
void sched_interrupt(struct thread *t, int result);
/* Runs on a new thread (and after every switch): releases the run-queue
 * lock taken by the switching CPU and drops dead threads. */
void sched_finish_switch(void);
/* Timer expiry and the reschedule IPI land here (interrupt context). */
void sched_timer_event(void);
void sched_ipi(void);
/* Timer interrupts taken by this CPU (tickless tests). */
uint64_t sched_timer_irqs(void);
/* Number of context switches on a CPU (tests, stats). */
uint64_t sched_switch_count(unsigned cpu);
/* Called on the way out of interrupts and system calls: switches if a
 * preemption was requested on this CPU. */
void sched_preempt_check(void);
bool sched_resched_pending(void);
/* Enters the scheduler on this CPU for good (boot and AP idle loops). */
__noreturn void sched_start(void);

/* Thread set-up and teardown (kernel/task/thread.c calls these). */
void sched_thread_init(struct thread *t);
/* Gives back what the thread holds (DL admission); idempotent. */
void sched_thread_release(struct thread *t);

/* Parameters (kernel/sched/params.c). Checks p against the authority
 * (NULL: the kernel itself, for its own threads) and the admission bound,
 * then applies it; on an error nothing changed. */
int sched_set_params(struct thread *t, const struct sched_params *p,
		     struct sched_auth *auth);
void sched_get_params(struct thread *t, struct sched_params *out);
/* The CPUs t may run on: mask (within the online CPUs) narrowed by the
 * authority's cpu_mask; moves t (a DL thread with its admission) when its
 * CPU is no longer allowed. ERR_INVALID_ARGS, ERR_NO_RESOURCES (no CPU of
 * the mask has room for its DL share; nothing changed), ERR_BAD_STATE. */
int sched_set_affinity(struct thread *t, struct sched_auth *auth,
		       uint64_t mask);
/* Validates p alone (no authority, no admission): 0 or ERR_*. */
int sched_params_check(const struct sched_params *p);
/* Share of a CPU a DL reservation needs: runtime/deadline in ppm,
 * rounded up. */
uint64_t sched_dl_density(uint64_t runtime, uint64_t deadline);
int sched_set_config(const struct sched_config *c);
void sched_get_config(struct sched_config *out);

/* Donation (kernel/ipc/reply.c decides who): t runs on the class and
 * parameters of `donor` (NULL: its own); DL time is charged to the
 * donor's budget. t holds a reference on its donor; the previous donor's
 * is returned, for the caller to drop once it holds no lock. */
struct thread *sched_set_donor(struct thread *t, struct thread *donor);
/* The thread whose parameters t runs on (its donor or itself; a
 * reference) and their sched_urgency(), read under t's run-queue lock. */
struct thread *sched_eff_get(struct thread *t, uint64_t *urgency);
/* sched_urgency() of the parameters t runs on now. */
uint64_t sched_urgency_eff(struct thread *t);
/* Makes a new thread ready (its start), serialized with placement. */
void sched_start_thread(struct thread *t);
/* How urgent a thread's own parameters are: orders donors and queued
 * messages (DL by deadline > RT by priority > BE). */
uint64_t sched_urgency(const struct thread *t);
/* The class a thread runs in now (SCHED_CLASS_*). */
unsigned sched_eff_class(const struct thread *t);

/* Makes every CPU re-evaluate its running thread soon (quota changes). */
void sched_poke_all(void);
/* A task's CPU quota (quota.c): runtime 0 removes it. */
int sched_task_set_quota(struct task *tk, uint64_t runtime_ns,
			 uint64_t period_ns);

/* Telemetry (kernel/sched/telemetry.c). */
int sched_trace_read(unsigned cpu, uint64_t from_seq,
		     struct sched_trace_rec *out, uint32_t max,
		     struct sched_trace_status *st);
void sched_cpu_info(unsigned cpu, struct sched_cpu_info *out);
/* Fills up to max stats of live threads with koid > after, ascending;
 * returns how many. */
uint32_t sched_thread_stats(uint64_t after, struct sched_thread_stats *out,
			    uint32_t max);
