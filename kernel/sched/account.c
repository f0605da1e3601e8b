/* Accounting and the timer: the running thread's time goes to its class,
 * the RT cap window and its task's quota (for a server on donation, the
 * caller's); its next event arms the one-shot timer; each dispatch ends in
 * a trace record. The run-queue lock is held throughout. */
#include <execrt/errors.h>
#include <execrt/types.h>
#include <kern/arch.h>
#include <kern/sched.h>
#include <kern/task.h>
#include <kern/thread.h>
#include <kern/time.h>

#include "core.h"

/* ---- accounting ---- */

/* The running thread's time since the last accounting point. */
void update_curr(struct run_queue *rq, uint64_t now)
{
	struct thread *cur = rq->current;
	uint64_t delta = now > cur->exec_start ? now - cur->exec_start : 0;
	cur->exec_start = now;
	if (cur->is_idle) {
		rq->idle_ns += delta;
		return;
	}
	cur->runtime_ns += delta;
	if (cur->donor)
		cur->st.donated_ns += delta;
	cur->class->charge(rq, cur, delta);
	if (cur->class->id != SCHED_CLASS_BE && rt_cap_on()) {
		rt_cap_roll(rq, now);
		/* Only what ran inside this window: a run that began in an
		 * earlier one (no charge since) would use up the new window
		 * early, and best effort would get far more than its share. */
		uint64_t start =
			rq->cap_window_end - sched_cfg.rt_cap_period_ns;
		rq->cap_used += MIN(delta, now > start ? now - start : 0);
		if (!rq->rt_capped &&
		    rq->cap_used >= sched_cfg.rt_cap_runtime_ns) {
			rq->rt_capped = true;
			rq->rt_capped_count++;
		}
	}
	/* (the period read here first: most tasks have no quota, and a
	 * call per switch for nothing adds up on the IPC path) */
	struct task *tk = sched_eff(cur)->task;
	if (tk && READ_ONCE(tk->cpuq.period))
		quota_charge(&tk->cpuq, delta, now);
}

/* When the running thread's turn should be reconsidered. */
uint64_t rq_curr_event(struct run_queue *rq, uint64_t now)
{
	struct thread *cur = rq->current;
	if (cur->is_idle || cur->killed)
		return DEADLINE_NONE; /* a killed thread runs on to die */
	uint64_t ev = cur->class->event(rq, cur, now);
	struct task *tk = sched_eff(cur)->task;
	if (tk && READ_ONCE(tk->cpuq.period)) {
		uint64_t left = quota_left(&tk->cpuq, now);
		if (left != DEADLINE_NONE)
			ev = MIN(ev, now + left);
	}
	if (cur->class->id == SCHED_CLASS_RT && rt_cap_on() && !rq->rt_capped &&
	    rq->be_nr) {
		uint64_t left =
			sched_cfg.rt_cap_runtime_ns > rq->cap_used
				? sched_cfg.rt_cap_runtime_ns - rq->cap_used
				: 0;
		ev = MIN(ev, MIN(now + left, rq->cap_window_end));
	}
	return ev;
}

static void on_timer(void)
{
	sched_timer_event();
}

/* Arms this CPU's timer for the next scheduling event. Lock held. */
void program_timer(struct run_queue *rq, uint64_t now)
{
	uint64_t next = rq_curr_event(rq, now);
	if (rt_cap_on() && rq->rt_capped && rq->rt_nr &&
	    rq->cap_window_end > now)
		next = MIN(next, rq->cap_window_end); /* RT may run again */
	const struct thread *s = sleeper_first(rq), *p = parked_first(rq);
	if (s)
		next = MIN(next, s->wake_deadline);
	if (p)
		next = MIN(next, p->park_until);
	if (next == rq->timer_deadline)
		return;
	/* Already armed earlier: let that fire and decide again then. A
	 * slice or quantum moves on at every switch, and reprogramming the
	 * timer costs far more than one early interrupt per slice. That
	 * holds for nothing to wait for too: a pair of threads handing the
	 * CPU to each other (one-way IPC) would otherwise arm a slice end
	 * and cancel it on every round trip; the armed time fires once,
	 * finds nothing due and leaves the timer off (sched_timer_event).
	 * Not on a CPU going idle: woken for nothing, it would pull work
	 * from a busy one (and idle stays tickless). */
	if (rq->timer_deadline > now && rq->timer_deadline < next &&
	    (next != DEADLINE_NONE || !rq->current->is_idle))
		return;
	rq->timer_deadline = next;
	if (next == DEADLINE_NONE)
		timer_cancel();
	else
		timer_arm(next, on_timer);
}

/* ---- dispatching ---- */

void dispatch_start(struct thread *next, uint64_t now)
{
	next->dispatched_at = now;
	next->exec_start = now;
	if (next->is_idle)
		return;
	unsigned fl = next->donor ? SCHED_TREC_DONATED : 0;
	uint64_t lat = 0;
	next->st.dispatches++;
	if (next->woken) {
		lat = now > next->ready_since ? now - next->ready_since : 0;
		next->st.wakeups++;
		next->st.lat_sum += lat;
		next->st.lat_min = MIN(next->st.lat_min, lat);
		next->st.lat_max = MAX(next->st.lat_max, lat);
		next->woken = false;
		fl |= SCHED_TREC_WOKEN;
	}
	next->disp_latency = (uint32_t)MIN(lat, UINT32_MAX);
	next->disp_deadline = 0;
	if (next->class->id == SCHED_CLASS_DL) {
		struct sched_dl *d = &sched_eff(next)->dl;
		fl |= dl_dispatch_start(d, now);
		next->disp_deadline = dl_deadline(d);
	}
	next->disp_flags = (uint16_t)fl;
}

/* prev's dispatch ended: judge its DL job, count, record. */
void dispatch_end(struct run_queue *rq, struct thread *prev, uint64_t now,
		  bool yielded)
{
	if (prev->is_idle)
		return;
	unsigned fl = prev->disp_flags;
	if (yielded || (prev->state != THREAD_READY))
		fl |= SCHED_TREC_BLOCKED;
	else if (prev->parked)
		fl |= SCHED_TREC_THROTTLED;
	else {
		fl |= SCHED_TREC_PREEMPTED;
		prev->st.preemptions++;
	}
	/* Judged against the deadline it was dispatched under (the job may
	 * have been refilled since). */
	if (prev->disp_deadline && now <= prev->disp_deadline &&
	    !(fl & SCHED_TREC_DL_MISS))
		fl |= SCHED_TREC_DL_MET;
	if (!(sched_cfg.flags & SCHED_CFG_TRACE))
		return;
	struct sched_trace_rec *rec = trace_next(&rq->trace);
	if (!rec)
		return;
	rec->thread_koid = prev->obj.koid;
	rec->start_ns = prev->dispatched_at;
	rec->runtime_ns = now - prev->dispatched_at;
	rec->deadline_ns = prev->disp_deadline;
	rec->latency_ns = prev->disp_latency;
	rec->flags = (uint16_t)fl;
	rec->cls = (uint8_t)(prev->disp_deadline ? SCHED_CLASS_DL
						 : prev->class->id);
	rec->cpu = (uint8_t)rq->cpu;
}
