/* SMP placement and migration: which CPU a thread runs on.
 *
 * - A new thread starts on the CPU of its affinity with the fewest
 *   runnable threads (sched_place, under the admission lock).
 * - Push: a thread made ready that does not run at once on its CPU moves
 *   to a CPU of its affinity whose running thread has a lower rank (idle
 *   for best effort; a lower priority for RT), the lowest such CPU first.
 * - Pull: an idle CPU takes the best waiting thread of another CPU; a CPU
 *   whose rank dropped at a switch takes RT threads waiting elsewhere that
 *   outrank its own. So the highest-priority runnable RT threads run,
 *   whatever CPU they were on.
 * - Balance: a CPU with best-effort threads waiting pushes one to the CPU
 *   with the fewest, while they differ by two or more (at most every
 *   BALANCE_NS, from its timer event: a CPU with waiting BE work always
 *   has a slice timer armed).
 * - DL threads are never moved by any of these: admission is per CPU
 *   (params.c moves one only when it is re-admitted elsewhere).
 *
 * Only threads that are not running are moved, with the locks of both run
 * queues held, taken in CPU-number order. A running thread that must leave
 * (its affinity changed) is marked move_to; at its next switch-out it is
 * put on no queue (`moving`) and the CPU, once switched away, queues it on
 * its new CPU (sched_finish_move). Decisions read other CPUs' published
 * figures (curr_rank, nr_ready, be_nr) without their locks and are checked
 * again under them. */
#include <execrt/types.h>
#include <kern/arch.h>
#include <kern/sched.h>
#include <kern/thread.h>
#include <kern/time.h>

#include "core.h"

#define BALANCE_NS 4000000ull /* periodic BE balancing, per CPU */

uint64_t sched_idle_mask; /* CPUs running their idle thread */

static uint64_t online_mask(void)
{
	unsigned n = arch_cpus_online();
	return n >= 64 ? ~0ull : (1ull << n) - 1;
}

static unsigned load_of(unsigned c)
{
	struct run_queue *rq = sched_rq(c);
	return READ_ONCE(rq->nr_ready) + (READ_ONCE(rq->curr_rank) > 0);
}

static unsigned be_load(unsigned c)
{
	struct run_queue *rq = sched_rq(c);
	return READ_ONCE(rq->be_nr) + (READ_ONCE(rq->curr_rank) == 1);
}

unsigned sched_place(struct thread *t)
{
	uint64_t m = t->affinity & online_mask();
	if (!m)
		return t->cpu;
	unsigned best =
		(m >> t->cpu) & 1 ? t->cpu : (unsigned)__builtin_ctzll(m);
	unsigned best_load = load_of(best);
	for (unsigned c = 0; m >> c; c++)
		if (((m >> c) & 1) && load_of(c) < best_load) {
			best = c;
			best_load = load_of(c);
		}
	return best;
}

static void lock_two(struct run_queue *a, struct run_queue *b)
{
	if (a == b) {
		spin_lock(&a->lock);
	} else if (a->cpu < b->cpu) {
		spin_lock(&a->lock);
		spin_lock(&b->lock);
	} else {
		spin_lock(&b->lock);
		spin_lock(&a->lock);
	}
}

static void unlock_two(struct run_queue *a, struct run_queue *b)
{
	spin_unlock(&a->lock);
	if (a != b)
		spin_unlock(&b->lock);
}

void move_locked(struct run_queue *src, struct run_queue *dst, struct thread *t,
		 uint64_t now)
{
	/* Queued (or parked) on src, or on no queue between the two. */
	bool queued = t->state == THREAD_READY && !t->moving;
	bool detached = t->state == THREAD_READY && t->moving;
	bool was_parked = t->parked;
	if (queued)
		rq_dequeue(src, t);
	if (rb_linked(&t->sleep_rb)) {
		sleeper_del(src, t);
		sleeper_add(dst, t);
	}
	/* The same distance from the new queue's minimum: no credit or debt
	 * from the other CPU's virtual time. */
	t->vruntime = t->vruntime - src->be_min_vr + dst->be_min_vr;
	WRITE_ONCE(t->cpu, dst->cpu);
	WRITE_ONCE(t->moving, false);
	if (queued || detached)
		rq_enqueue(dst, t, was_parked ? ENQ_RELEASE : ENQ_TAIL, now);
}

/* "Runs next": the best queued thread that beats (or will replace) the
 * running one: it must not be taken away. */
static bool runs_next(struct run_queue *rq, struct thread *t)
{
	return rq_pick(rq) == t && rq_better(rq, t, rq->current);
}

/* A waiting thread of src of rank r (RT 1 + priority, or BE 1) allowed
 * on dst, or NULL. */
static struct thread *find_movable(struct run_queue *src, unsigned dst,
				   unsigned r)
{
	if (r > 1) {
		list_for_each(it, &src->rt_q[r - 1])
		{
			struct thread *t =
				list_entry(it, struct thread, rq_node);
			if (((t->affinity >> dst) & 1) && !runs_next(src, t))
				return t;
		}
		return NULL;
	}
	for (struct rb_node *n = rb_first(&src->be_tree); n; n = rb_next(n)) {
		struct thread *t = rb_entry(n, struct thread, rb);
		if (((t->affinity >> dst) & 1) && !runs_next(src, t))
			return t;
	}
	return NULL;
}

unsigned rq_waiting_rt_rank(struct run_queue *rq)
{
	if (!rq->rt_nr)
		return 0;
	/* The non-empty levels, highest first, straight from the bitmap
	 * (a scan of all 99 levels cost ~800 instructions per wake-up). */
	for (int w = 1; w >= 0; w--) {
		uint64_t bits = rq->rt_bitmap[w];
		while (bits) {
			unsigned b = 63 - (unsigned)__builtin_clzll(bits);
			bits &= ~(1ull << b);
			unsigned p = (unsigned)w * 64 + b;
			if (p < SCHED_RT_PRIO_MIN || p > SCHED_RT_PRIO_MAX)
				continue;
			struct thread *t = list_entry(rq->rt_q[p].next,
						      struct thread, rq_node);
			if (!runs_next(rq, t) ||
			    rq->rt_q[p].next->next != &rq->rt_q[p])
				return 1 + p;
		}
	}
	return 0;
}

/* Moves one waiting thread of rank r from src to dst if it would run
 * there before what dst runs and has queued. Interrupts off, no lock. */
static bool move_one(unsigned src_cpu, unsigned dst_cpu, unsigned r)
{
	struct run_queue *src = sched_rq(src_cpu), *dst = sched_rq(dst_cpu);
	lock_two(src, dst);
	uint64_t now = clock_ns();
	struct thread *t = find_movable(src, dst_cpu, r);
	bool moved = false;
	if (t) {
		/* It must run there before what runs or waits there; best
		 * effort only goes where best effort (or nothing) runs. */
		unsigned rt = sched_rank(t), cur = sched_rank(dst->current);
		struct thread *q = rq_pick(dst);
		unsigned qr = q ? sched_rank(q) : 0;
		if (rt == 1 ? cur <= 1 && qr <= 1 : rt > cur && rt > qr) {
			move_locked(src, dst, t, now);
			moved = true;
			rq_settle(dst, now, 0);
		}
	}
	unlock_two(src, dst);
	return moved;
}

void sched_push(unsigned src, unsigned r, uint64_t affinity)
{
	uint64_t m = affinity & online_mask() & ~(1ull << src);
	if (!r || r >= RANK_DL || !m)
		return;
	unsigned best = 0, best_rank = r;
	for (unsigned c = 0; m >> c; c++) {
		if (!((m >> c) & 1))
			continue;
		unsigned cr = READ_ONCE(sched_rq(c)->curr_rank);
		if (cr < best_rank &&
		    (cr || !READ_ONCE(sched_rq(c)->nr_ready))) {
			best = c;
			best_rank = cr;
		}
	}
	if (best_rank >= r)
		return;
	/* No thread pointer is kept past its queue's lock (it may be gone
	 * by now): whatever waits at this rank on src is moved. */
	move_one(src, best, r);
}

bool sched_pull(struct run_queue *rq, bool idle)
{
	if (idle)
		__atomic_store_n(&rq->kicked, false, __ATOMIC_RELEASE);
	unsigned n = arch_cpus_online(), me = rq->cpu;
	bool got = false;
	for (unsigned c = 0; c < n; c++) {
		struct run_queue *o = sched_rq(c);
		if (c == me ||
		    !(READ_ONCE(o->rt_nr) || (idle && READ_ONCE(o->be_nr))))
			continue;
		/* The best waiting RT thread there (the rank check in
		 * move_one keeps what does not outrank us). */
		for (unsigned p = SCHED_RT_PRIO_MAX;
		     p >= SCHED_RT_PRIO_MIN && READ_ONCE(o->rt_nr); p--) {
			uint64_t w = READ_ONCE(o->rt_bitmap[p / 64]);
			if (!((w >> (p % 64)) & 1))
				continue;
			if (1 + p <= READ_ONCE(rq->curr_rank))
				break;
			if (move_one(c, me, 1 + p)) {
				got = true;
				break;
			}
		}
		if (!got && idle && READ_ONCE(o->be_nr))
			got = move_one(c, me, 1);
		if (got && idle)
			return true;
	}
	return got;
}

void sched_balance_tick(struct run_queue *rq, uint64_t now)
{
	if (now < rq->next_balance)
		return;
	rq->next_balance = now + BALANCE_NS;
	unsigned n = arch_cpus_online(), me = rq->cpu;
	unsigned mine = be_load(me), low = mine, to = me;
	for (unsigned c = 0; c < n; c++)
		if (c != me && be_load(c) < low) {
			low = be_load(c);
			to = c;
		}
	if (to != me && mine >= low + 2)
		move_one(me, to, 1);
}

void sched_finish_move(struct thread *t)
{
	struct run_queue *src = sched_rq(t->cpu);
	struct run_queue *dst = sched_rq((unsigned)t->move_to);
	lock_two(src, dst);
	uint64_t now = clock_ns();
	t->move_to = -1;
	move_locked(src, dst, t, now);
	rq_settle(dst, now, 0);
	unlock_two(src, dst);
}

void sched_kick_idle(struct run_queue *rq)
{
	if (!rq->nr_ready || rq->current->is_idle)
		return;
	/* Only an idle CPU the best waiting thread may use, and only once
	 * until it has looked (an IPI costs the sender too). */
	uint64_t idle =
		READ_ONCE(sched_idle_mask) & ~(1ull << rq->cpu) & online_mask();
	if (!idle) /* the common case: no pick needed to know */
		return;
	struct thread *w = rq_pick(rq);
	idle &= w ? w->affinity : 0;
	if (!idle)
		return;
	unsigned c = (unsigned)__builtin_ctzll(idle);
	if (!__atomic_exchange_n(&sched_rq(c)->kicked, true, __ATOMIC_ACQ_REL))
		arch_send_resched(c);
}

void sched_move(struct thread *t, unsigned dst_cpu)
{
	unsigned long f = arch_irq_save();
	struct run_queue *src, *dst = sched_rq(dst_cpu);
	for (;;) {
		unsigned c = READ_ONCE(t->cpu);
		src = sched_rq(c);
		lock_two(src, dst);
		if (t->cpu == c && !t->moving)
			break;
		unlock_two(src, dst);
		arch_cpu_relax();
	}
	uint64_t now = clock_ns();
	if (src == dst || t->state == THREAD_DEAD) {
		t->move_to = -1;
	} else if (src->current == t) {
		/* It leaves at its next switch-out, which we ask for. */
		t->move_to = (int)dst_cpu;
		src->need_resched = true;
		if (src->cpu != arch_cpu_id())
			arch_send_resched(src->cpu);
	} else {
		move_locked(src, dst, t, now);
		rq_settle(dst, now, 0);
	}
	unlock_two(src, dst);
	arch_irq_restore(f);
}
