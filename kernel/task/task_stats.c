/* SYS_TASK_STATS: a snapshot of the live tasks (kern/task.h). Lock order:
 * task_list_lock, then one task's lock, its CPU-quota lock or its
 * account's lock, each alone under it (all leaves here). A task on the
 * list is not freed while the list lock is held (task_free unlinks it
 * first), and its parent outlives it. */
#include <execrt/syscall.h>
#include <kern/account.h>
#include <kern/lib.h>
#include <kern/task.h>
#include <kern/thread.h>

static void fill(struct task *t, struct task_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->koid = t->obj.koid;
	s->parent_koid = t->parent ? t->parent->obj.koid : 0;
	strlcpy(s->name, t->name, sizeof(s->name));
	unsigned long f = spin_lock_irqsave(&t->lock);
	s->threads = t->nthreads;
	s->runtime_ns = t->runtime_ended_ns;
	list_for_each(it, &t->threads)
	{
		struct thread *th = list_entry(it, struct thread, task_node);
		s->runtime_ns += READ_ONCE(th->runtime_ns);
	}
	s->state = t->dying ? 1 : 0;
	spin_unlock_irqrestore(&t->lock, f);
	f = spin_lock_irqsave(&t->cpuq.lock);
	s->cpu_quota_runtime_ns = t->cpuq.period ? t->cpuq.runtime : 0;
	s->cpu_quota_period_ns = t->cpuq.period;
	spin_unlock_irqrestore(&t->cpuq.lock, f);
	f = spin_lock_irqsave(&t->acct->lock);
	s->mem_quota = t->acct->quota;
	s->mem_used = t->acct->used;
	spin_unlock_irqrestore(&t->acct->lock, f);
}

static bool koid_above(const struct rb_node *n, const void *after)
{
	return rb_entry(n, struct task, all_rb)->obj.koid >
	       *(const uint64_t *)after;
}

/* One descent to the first task after the cursor, then the batch: O(log n
 * + max + the torn-down tasks skipped, which are freed by the reaper). */
uint32_t task_stats_collect(uint64_t after, struct task_stats *out,
			    uint32_t max)
{
	uint32_t n = 0;
	unsigned long f = spin_lock_irqsave(&task_list_lock);
	for (struct rb_node *it =
		     rb_lower_bound(&task_tree, koid_above, &after);
	     it && n < max; it = rb_next(it)) {
		struct task *t = rb_entry(it, struct task, all_rb);
		/* Torn down: only its object is left for waiters. */
		if (!READ_ONCE(t->dead))
			fill(t, &out[n++]);
	}
	spin_unlock_irqrestore(&task_list_lock, f);
	return n;
}
