/* Fault reports. A user-mode exception either terminates the task (no
 * handler named) or suspends the faulting thread with a queued report that
 * a holder of the task's handle collects (SYS_FAULT_WAIT), answers by
 * fixing things and resuming the thread (SYS_FAULT_RESUME), or ends by
 * killing the task. Lock order: fault_wq.lock before fault_resume_wq.lock. */
#include <execrt/errors.h>
#include <execrt/syscall.h>
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/task.h>
#include <kern/thread.h>

struct fault_entry {
	struct list_node node;
	struct fault_report report;
	bool delivered; /* handed to a handler, waiting for resume */
	bool resumed;   /* under fault_resume_wq.lock */
};

static void log_fault(struct task *t, const struct fault_report *r,
		      const char *what)
{
	pr_info("task %s: thread %llu: exception %u (error 0x%x) at rip %llx, "
		"addr %llx: %s",
		t->name, (unsigned long long)r->thread_koid, r->vector,
		r->error, (unsigned long long)r->rip,
		(unsigned long long)r->addr, what);
}

void thread_fault(const struct fault_report *r)
{
	struct thread *th = thread_current();
	struct task *t = th->task;
	struct fault_entry e = {.report = *r};
	list_init(&e.node);

	unsigned long f = spin_lock_irqsave(&t->fault_wq.lock);
	if (!t->fault_handling) {
		spin_unlock_irqrestore(&t->fault_wq.lock, f);
		log_fault(t, r, "terminating the task");
		task_kill(t, TASK_STATUS_FAULT(r->vector));
		thread_exit(TASK_STATUS_FAULT(r->vector));
	}
	list_push_back(&t->faults, &e.node);
	wait_queue_wake_locked(&t->fault_wq, 0, ~0u);
	spin_unlock_irqrestore(&t->fault_wq.lock, f);

	f = spin_lock_irqsave(&t->fault_resume_wq.lock);
	int err = 0;
	while (!e.resumed && !err)
		err = wait_queue_block(&t->fault_resume_wq, DEADLINE_NONE);
	bool resumed = e.resumed;
	spin_unlock_irqrestore(&t->fault_resume_wq.lock, f);
	if (resumed)
		return;
	/* Killed while suspended: take the report back, then die. */
	f = spin_lock_irqsave(&t->fault_wq.lock);
	if (list_linked(&e.node))
		list_remove(&e.node);
	spin_unlock_irqrestore(&t->fault_wq.lock, f);
	thread_exit(t->exit_status);
}

int task_fault_wait(struct task *t, uint64_t deadline_ns,
		    struct fault_report *out)
{
	int err = 0;
	unsigned long f = spin_lock_irqsave(&t->fault_wq.lock);
	for (;;) {
		struct fault_entry *found = NULL;
		list_for_each(it, &t->faults)
		{
			struct fault_entry *e =
				list_entry(it, struct fault_entry, node);
			if (!e->delivered) {
				found = e;
				break;
			}
		}
		if (found) {
			found->delivered = true;
			*out = found->report;
			break;
		}
		err = wait_queue_block(&t->fault_wq, deadline_ns);
		if (err)
			break;
	}
	spin_unlock_irqrestore(&t->fault_wq.lock, f);
	return err;
}

int task_fault_resume(struct task *t, uint64_t thread_koid)
{
	int err = ERR_NOT_FOUND;
	unsigned long f = spin_lock_irqsave(&t->fault_wq.lock);
	list_for_each(it, &t->faults)
	{
		struct fault_entry *e = list_entry(it, struct fault_entry, node);
		if (e->report.thread_koid != thread_koid || !e->delivered)
			continue;
		list_remove(&e->node);
		spin_lock(&t->fault_resume_wq.lock);
		e->resumed = true;
		wait_queue_wake_locked(&t->fault_resume_wq, 0, ~0u);
		spin_unlock(&t->fault_resume_wq.lock);
		err = 0;
		break;
	}
	spin_unlock_irqrestore(&t->fault_wq.lock, f);
	return err;
}
