/* Task objects: a handle table, an address space, threads and a memory
 * account carved out of the parent's (kern/account.h). A task dies when it
 * is killed or its last thread exits; then its handles are closed and its
 * address space emptied. The object itself lives on while handles to it
 * exist (so waiters can read the exit status); when it goes it drops its
 * account, which returns the quota to the parent once nothing else charged
 * to it (memory objects, messages, objects it created) is left.
 *
 * Nothing a task started outlives it: its death kills its child tasks, and
 * theirs (kill_subtree), so killing a task reclaims everything below it. A
 * dying task gets no new children. Lock order: a task's lock is taken
 * alone, never together with its parent's or a child's; task_list_lock
 * (every task by koid, for SYS_TASK_STATS) is outermost: task_stats.c
 * takes one task's lock, CPU-quota lock or account lock under it, and it
 * is never taken under another lock. A task's end notifications
 * (kern/endnotify.h) are under exit_wq.lock and fired after it. */
#include <execrt/errors.h>
#include <execrt/syscall.h>
#include <execrt/types.h>
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/reaper.h>
#include <kern/slab.h>
#include <kern/task.h>
#include <kern/thread.h>
#include <kern/uvm.h>

/* The task record, its address-space records and first handle table fit
 * in what creating a task costs its parent. */
_Static_assert(sizeof(struct task) + 1024 <= TASK_CREATE_CHARGE,
	       "TASK_CREATE_CHARGE too small");

static struct kmem_cache *task_cache;
static uint64_t live_tasks;
spinlock_t task_list_lock = SPINLOCK_INIT;
struct rb_root task_tree = {NULL, NULL};

static bool koid_less(const struct rb_node *a, const struct rb_node *b)
{
	return rb_entry(a, struct task, all_rb)->obj.koid <
	       rb_entry(b, struct task, all_rb)->obj.koid;
}

static void task_teardown(struct task *t);
static void task_unreachable(struct kobject *o);

/* Frees t, whose last reference is gone, and returns what creating it
 * charged. Returns its parent when t held the parent's last reference
 * (the caller frees it next). */
static struct task *task_free(struct task *t)
{
	/* Threads hold references, so every thread is gone; a task that
	 * never ran a thread is torn down here. */
	if (!t->dead)
		task_teardown(t);
	uvm_destroy(t->uvm);
	account_put(t->acct);
	struct task *p = t->parent;
	if (p) {
		unsigned long f = spin_lock_irqsave(&p->lock);
		list_remove(&t->child_node);
		bool last_child = list_empty(&p->children);
		spin_unlock_irqrestore(&p->lock, f);
		/* A never-run parent nobody can reach was kept for its
		 * children: now it can go. */
		if (last_child && !READ_ONCE(p->obj.outside))
			reaper_end(p);
	}
	unsigned long lf = spin_lock_irqsave(&task_list_lock);
	rb_erase(&task_tree, &t->all_rb);
	spin_unlock_irqrestore(&task_list_lock, lf);
	struct charge c = t->create_charge;
	__atomic_fetch_sub(&live_tasks, 1, __ATOMIC_RELAXED);
	kmem_cache_free(task_cache, t);
	charge_drop(&c);
	return p && kobj_put_last(&p->obj) ? p : NULL;
}

void task_free_now(struct task *t)
{
	/* Parents that die with their child are freed in this loop, not
	 * nested: a chain of tasks may be deeper than a kernel stack. */
	while (t)
		t = task_free(t);
}

/* The last reference is gone: freed flat, outside any other task's
 * ending (kernel/task/reaper.c says how and why). */
static void task_destroy(struct kobject *o)
{
	reaper_free(container_of(o, struct task, obj));
}

static struct kobject *task_self(struct kobject *o)
{
	return o;
}

/* No handle to the task or its threads is left outside its own table. A
 * task that never started a thread can then never run: it ends, and its
 * own handles to itself go with its table (else they would keep it
 * forever). A task that ran lives on by its threads; one with live
 * children waits for them (they live on its quota; their teardown calls
 * back: a dead child may be held by the parent's own table). The
 * ending goes through reaper.c: it closes a table, which may make the
 * next task unreachable, and so on down a chain, so it must not nest. */
static void task_unreachable(struct kobject *o)
{
	reaper_end(container_of(o, struct task, obj));
}

/* A child not torn down yet (t->lock held). */
static bool has_live_child(struct task *t)
{
	list_for_each(it, &t->children)
	{
		struct task *c = list_entry(it, struct task, child_node);
		if (!READ_ONCE(c->dead))
			return true;
	}
	return false;
}

void task_end_unreachable(struct task *t)
{
	unsigned long f = spin_lock_irqsave(&t->lock);
	bool end = !t->started && !t->dying && !has_live_child(t) &&
		   !READ_ONCE(t->obj.outside);
	spin_unlock_irqrestore(&t->lock, f);
	if (end)
		task_kill(t, TASK_STATUS_UNREACHABLE);
}

static const struct kobj_ops task_ops = {
	.name = "task",
	.destroy = task_destroy,
	.task_of = task_self,
	.unreachable = task_unreachable,
};

uint64_t task_count(void)
{
	return __atomic_load_n(&live_tasks, __ATOMIC_RELAXED);
}

int task_charge(struct task *t, uint64_t bytes)
{
	/* A dying task's address space grows no more. */
	if (READ_ONCE(t->dying))
		return ERR_NO_MEMORY;
	return account_charge(t->acct, bytes);
}

void task_uncharge(struct task *t, uint64_t bytes)
{
	account_uncharge(t->acct, bytes);
}

int task_create(struct task *parent, const char *name, uint64_t mem_quota,
		struct task **out)
{
	if (!task_cache)
		task_cache = kmem_cache_create("task", sizeof(struct task), 16);
	if (!task_cache)
		return ERR_NO_MEMORY;
	/* The task's records are charged to its parent, and its whole quota
	 * is carved out of the parent's account, before anything is
	 * allocated. */
	struct account *pa = parent ? parent->acct : NULL, *acct = NULL;
	struct charge ch;
	int err = charge_take(&ch, pa, TASK_CREATE_CHARGE);
	if (err)
		return err;
	if ((err = account_create(pa, mem_quota, &acct))) {
		charge_drop(&ch);
		return err;
	}
	struct task *t = kmem_cache_alloc(task_cache);
	if (!t)
		goto fail_charge;
	strlcpy(t->name, name, sizeof(t->name));
	t->reap_next = NULL;
	t->reap_queued = false;
	t->lock = (spinlock_t)SPINLOCK_INIT;
	list_init(&t->threads);
	list_init(&t->children);
	list_init(&t->child_node);
	wait_queue_init(&t->exit_wq);
	list_init(&t->faults);
	wait_queue_init(&t->fault_wq);
	wait_queue_init(&t->fault_resume_wq);
	t->acct = acct;
	handle_table_init(&t->handles, TASK_HANDLE_QUOTA, &t->obj);
	t->handles.acct = acct;
	/* The address space first: it charges its root table to the new
	 * quota, and a failure must leave no object behind. */
	if (uvm_create(t, &t->uvm)) {
		kmem_cache_free(task_cache, t);
		goto fail_charge;
	}
	/* The task keeps its creation charge itself: it is returned when
	 * the task is freed (reaper.c), not when its last reference goes. */
	kobj_init(&t->obj, OBJ_TASK, &task_ops);
	t->create_charge = ch;
	__atomic_fetch_add(&live_tasks, 1, __ATOMIC_RELAXED);
	unsigned long lf = spin_lock_irqsave(&task_list_lock);
	rb_insert(&task_tree, &t->all_rb, koid_less); /* O(log n) */
	spin_unlock_irqrestore(&task_list_lock, lf);
	if (parent) {
		kobj_get(&parent->obj);
		t->parent = parent;
		unsigned long f = spin_lock_irqsave(&parent->lock);
		bool dying = parent->dying; /* then its subtree walk is done */
		if (!dying)
			list_push_back(&parent->children, &t->child_node);
		spin_unlock_irqrestore(&parent->lock, f);
		if (dying) {
			kobj_put(&t->obj); /* tears down, returns the quota */
			return ERR_BAD_STATE;
		}
	}
	*out = t;
	return 0;

fail_charge:
	account_put(acct);
	charge_drop(&ch);
	return ERR_NO_MEMORY;
}

static bool kill_one(struct task *t, int64_t status);

/* Kills every task below top (top is dying). Iterative, as a chain of
 * tasks may be deep: go down into each child this walk kills, back up
 * once a task has no live child. A child that was already dying is left
 * to its own teardown, which walks its subtree. The walk holds a
 * reference on each task on its path. */
static void kill_subtree(struct task *top)
{
	struct task *cur = top;
	for (;;) {
		struct task *next = NULL;
		unsigned long f = spin_lock_irqsave(&cur->lock);
		list_for_each(it, &cur->children) {
			struct task *c = list_entry(it, struct task, child_node);
			if (!READ_ONCE(c->dying) && kobj_tryget(&c->obj)) {
				next = c;
				break;
			}
		}
		spin_unlock_irqrestore(&cur->lock, f);
		if (next) {
			kill_one(next, TASK_STATUS_PARENT_DIED);
			cur = next;
			continue;
		}
		if (cur == top)
			return;
		struct task *up = cur->parent; /* referenced by the path */
		kobj_put(&cur->obj);
		cur = up;
	}
}

/* Releases everything but the object: runs once, when the task dies. */
static void teardown_one(struct task *t)
{
	handle_table_destroy(&t->handles);
	uvm_release(t->uvm);
	/* Before anyone sees it dead: a supervisor that restarts it finds
	 * its unused quota back (docs/tasks.md "Quota loans"). */
	account_retire(t->acct);
	struct end_notify en;
	unsigned long f = spin_lock_irqsave(&t->exit_wq.lock);
	t->dead = true;
	wait_queue_wake_locked(&t->exit_wq, 0, ~0u);
	end_notify_take_locked(&t->end_notify, &en);
	spin_unlock_irqrestore(&t->exit_wq.lock, f);
	end_notify_fire(&en);
	/* A never-run parent nobody can reach waits only for live children
	 * (it may hold this one's last handle itself). */
	struct task *p = t->parent;
	/* Orders `dead` before reading the parent's outside count against
	 * outside_put's order (count, then has_live_child): one side sees
	 * the other. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (p && !READ_ONCE(p->started) && !READ_ONCE(p->obj.outside))
		reaper_end(p);
}

static void task_teardown(struct task *t)
{
	teardown_one(t);
	kill_subtree(t);
}

/* Links a new thread into the task (thread quota enforced). */
int task_add_thread(struct task *t, struct thread *th)
{
	int err = 0;
	bool first = false;
	unsigned long f = spin_lock_irqsave(&t->lock);
	if (t->dying)
		err = ERR_BAD_STATE;
	else if (t->nthreads >= TASK_THREAD_QUOTA)
		err = ERR_NO_RESOURCES;
	else {
		list_push_back(&t->threads, &th->task_node);
		t->nthreads++;
		first = !t->started;
		t->started = true;
		/* Its handles now keep other tasks reachable. */
		if (first)
			handle_table_go_live(&t->handles);
	}
	spin_unlock_irqrestore(&t->lock, f);
	return err;
}

/* Marks t dying and kills its threads; true if it had none, and was torn
 * down (its subtree not walked) here. */
static bool kill_one(struct task *t, int64_t status)
{
	bool teardown = false;
	unsigned long f = spin_lock_irqsave(&t->lock);
	if (!t->dying) {
		t->dying = true;
		t->exit_status = status;
		list_for_each(it, &t->threads)
			thread_kill(list_entry(it, struct thread, task_node));
		/* No thread left to run the teardown: do it now. */
		teardown = t->nthreads == 0;
	}
	spin_unlock_irqrestore(&t->lock, f);
	if (teardown)
		teardown_one(t);
	return teardown;
}

void task_kill(struct task *t, int64_t status)
{
	if (kill_one(t, status))
		kill_subtree(t);
}

void task_thread_exited(struct task *t, struct thread *th)
{
	bool last;
	unsigned long f = spin_lock_irqsave(&t->lock);
	list_remove(&th->task_node);
	t->runtime_ended_ns += READ_ONCE(th->runtime_ns);
	last = --t->nthreads == 0;
	if (last && !t->dying) {
		t->dying = true;
		t->exit_status = th->exit_status;
	}
	spin_unlock_irqrestore(&t->lock, f);
	if (last)
		task_teardown(t);
}

int task_wait(struct task *t, uint64_t deadline_ns, int64_t *status)
{
	int err = 0;
	unsigned long f = spin_lock_irqsave(&t->exit_wq.lock);
	while (!t->dead && !err)
		err = wait_queue_block(&t->exit_wq, deadline_ns);
	if (t->dead) {
		err = 0;
		if (status)
			*status = t->exit_status;
	}
	spin_unlock_irqrestore(&t->exit_wq.lock, f);
	return err;
}
