/* Scheduler telemetry: a bounded ring of dispatch records per CPU (the
 * oldest overwritten, overwrites counted) and per-thread totals.
 *
 * A record is written by its CPU under the run-queue lock when a dispatch
 * ends; readers copy a bounded batch under the same lock into a kernel
 * buffer and only then to user memory, so a reader never holds up that
 * CPU's scheduling for more than one batch. Records carry a per-CPU
 * sequence number: a reader passes the next one it wants and learns how
 * many it lost to overwriting. */
#include <execrt/errors.h>
#include <execrt/types.h>
#include <kern/arch.h>
#include <kern/lib.h>
#include <kern/slab.h>
#include <kern/task.h>
#include <kern/thread.h>
#include <kern/time.h>

#include "runqueue.h"

#define TRACE_CAP 2048 /* records per CPU (96 KiB) */

void trace_init(struct trace_ring *r)
{
	r->recs = kmalloc(TRACE_CAP * sizeof(*r->recs));
	r->cap = r->recs ? TRACE_CAP : 0;
	r->head = 0;
	r->overwritten = 0;
}

int sched_trace_read(unsigned cpu, uint64_t from_seq,
		     struct sched_trace_rec *out, uint32_t max,
		     struct sched_trace_status *st)
{
	if (cpu >= arch_cpus_online())
		return ERR_OUT_OF_RANGE;
	struct run_queue *rq = sched_rq(cpu);
	struct trace_ring *r = &rq->trace;
	unsigned long f = spin_lock_irqsave(&rq->lock);
	uint64_t oldest = r->head > r->cap ? r->head - r->cap : 0;
	uint64_t from = MAX(from_seq, oldest);
	uint32_t n = 0;
	for (uint64_t s = from; s < r->head && n < max; s++)
		out[n++] = r->recs[s & (r->cap - 1)];
	memset(st, 0, sizeof(*st));
	st->lost = from > from_seq ? from - from_seq : 0;
	st->next_seq = from + n;
	st->head = r->head;
	st->overwritten = r->overwritten;
	st->capacity = r->cap;
	spin_unlock_irqrestore(&rq->lock, f);
	return (int)n;
}

void sched_cpu_info(unsigned cpu, struct sched_cpu_info *out)
{
	struct run_queue *rq = sched_rq(cpu);
	memset(out, 0, sizeof(*out));
	unsigned long f = spin_lock_irqsave(&rq->lock);
	uint64_t now = clock_ns();
	out->now_ns = now;
	out->idle_ns = rq->idle_ns;
	/* The idle thread's current stretch is not accounted yet. */
	if (rq->current == rq->idle && now > rq->idle->exec_start)
		out->idle_ns += now - rq->idle->exec_start;
	out->switches = rq->switches;
	out->dl_density_ppm = rq->dl_density;
	out->rt_capped = rq->rt_capped_count;
	out->sched_calls = rq->sched_calls;
	out->sched_cycles = rq->sched_cycles;
	out->trace_head = rq->trace.head;
	out->trace_overwritten = rq->trace.overwritten;
	out->cpu = cpu;
	out->nr_ready = rq->nr_ready;
	spin_unlock_irqrestore(&rq->lock, f);
}

static uint32_t state_of(const struct thread *t)
{
	switch (READ_ONCE(t->state)) {
	case THREAD_NEW:
		return SCHED_TS_NEW;
	case THREAD_READY:
		return SCHED_TS_READY;
	case THREAD_RUNNING:
		return SCHED_TS_RUNNING;
	case THREAD_BLOCKED:
		return SCHED_TS_BLOCKED;
	default:
		return SCHED_TS_DEAD;
	}
}

/* A snapshot of t's figures; fields are read without its run-queue lock
 * (each is a whole word, so no value is torn, but the set is not atomic:
 * good enough for statistics). */
static void fill(const struct thread *t, struct sched_thread_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->koid = t->obj.koid;
	s->task_koid = t->task ? t->task->obj.koid : 0;
	strlcpy(s->name, t->name, sizeof(s->name));
	s->params = t->sp;
	s->params.cpu = (int32_t)t->cpu;
	if (t->is_idle)
		s->params = (struct sched_params){.cls = SCHED_CLASS_IDLE,
						  .cpu = (int32_t)t->cpu};
	s->eff_cls = sched_eff_class(t);
	/* An idle thread stays "running" when switched out: it is on the
	 * CPU only when it is the CPU's current thread. */
	bool on_cpu = READ_ONCE(sched_rq(t->cpu)->current) == t;
	s->state = t->is_idle ? (on_cpu ? SCHED_TS_RUNNING : SCHED_TS_READY)
			      : state_of(t);
	s->cpu = t->cpu;
	s->flags = (READ_ONCE(t->parked) ? SCHED_TS_THROTTLED : 0) |
		   (READ_ONCE(t->donor) ? SCHED_TS_DONATED : 0);
	/* An idle thread's time is the CPU's idle time. */
	s->runtime_ns = t->is_idle ? READ_ONCE(sched_rq(t->cpu)->idle_ns)
				   : t->runtime_ns;
	/* A running thread's current stretch is not accounted yet. */
	uint64_t since = READ_ONCE(t->exec_start), now = clock_ns();
	if (on_cpu && now > since)
		s->runtime_ns += now - since;
	s->ipc_fast = READ_ONCE(t->ipc_fast);
	s->dispatches = t->st.dispatches;
	s->wakeups = t->st.wakeups;
	s->lat_min_ns = t->st.wakeups ? t->st.lat_min : 0;
	s->lat_max_ns = t->st.lat_max;
	s->lat_sum_ns = t->st.lat_sum;
	s->preemptions = t->st.preemptions;
	s->throttles = t->st.throttles;
	s->dl_met = t->dl.met;
	s->dl_missed = t->dl.missed;
	s->donated_ns = t->st.donated_ns;
}

static bool koid_above(const struct rb_node *n, const void *after)
{
	return rb_entry(n, struct thread, all_rb)->obj.koid >
	       *(const uint64_t *)after;
}

/* A batch costs O(log n + max) with interrupts off, however many threads
 * exist or how far into them the caller is. */
uint32_t sched_thread_stats(uint64_t after, struct sched_thread_stats *out,
			    uint32_t max)
{
	uint32_t n = 0;
	unsigned long f = spin_lock_irqsave(&thread_list_lock);
	for (struct rb_node *it =
		     rb_lower_bound(&thread_tree, koid_above, &after);
	     it && n < max; it = rb_next(it))
		fill(rb_entry(it, struct thread, all_rb), &out[n++]);
	spin_unlock_irqrestore(&thread_list_lock, f);
	return n;
}
