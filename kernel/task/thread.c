/* Thread objects. A thread holds one reference for being alive (dropped by
 * the scheduler once it is dead and switched away from), plus one per
 * handle and kernel pointer. Its kernel stack (arch_kstack_alloc: guard
 * pages below it) is freed with the object.
 * Its end notifications (kern/endnotify.h) are taken out under exit_wq.lock
 * with `exited` and fired on its way out, after that lock, with interrupts
 * off; an unstarted thread's are dropped when it is freed. */
#include <execrt/errors.h>
#include <execrt/syscall.h>
#include <kern/arch.h>
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/mm.h>
#include <kern/pmm.h>
#include <kern/port.h>
#include <kern/sched.h>
#include <kern/slab.h>
#include <kern/task.h>
#include <kern/thread.h>

#include "../sched/runqueue.h"

#define THREAD_CHARGE (KSTACK_PAGES * PAGE_SIZE + sizeof(struct thread))

static struct kmem_cache *thread_cache;
static uint64_t live_threads;
spinlock_t thread_list_lock = SPINLOCK_INIT;
struct rb_root thread_tree = {NULL, NULL};

static bool koid_less(const struct rb_node *a, const struct rb_node *b)
{
	return rb_entry(a, struct thread, all_rb)->obj.koid <
	       rb_entry(b, struct thread, all_rb)->obj.koid;
}

/* O(log n) with interrupts off, whatever the number of threads. */
static void tree_add_thread(struct thread *t)
{
	unsigned long f = spin_lock_irqsave(&thread_list_lock);
	rb_insert(&thread_tree, &t->all_rb, koid_less);
	spin_unlock_irqrestore(&thread_list_lock, f);
}

static void thread_destroy(struct kobject *o)
{
	struct thread *t = container_of(o, struct thread, obj);
	unsigned long f = spin_lock_irqsave(&thread_list_lock);
	if (rb_linked(&t->all_rb))
		rb_erase(&thread_tree, &t->all_rb);
	spin_unlock_irqrestore(&thread_list_lock, f);
	sched_thread_release(t); /* a thread that never ran */
	if (t->donor) /* past the donation depth limit, never cleared */
		kobj_put(&t->donor->obj);
	arch_kstack_free(t->kstack, KSTACK_PAGES); /* guard pages below */
	end_notify_drop(&t->end_notify); /* never started: never ended */
	if (t->task)
		kobj_put(&t->task->obj);
	__atomic_fetch_sub(&live_threads, 1, __ATOMIC_RELAXED);
	kmem_cache_free(thread_cache, t);
}

static struct kobject *thread_task_of(struct kobject *o)
{
	struct thread *t = container_of(o, struct thread, obj);
	return t->task ? &t->task->obj : NULL;
}

static const struct kobj_ops thread_ops = {
	.name = "thread",
	.destroy = thread_destroy,
	.task_of = thread_task_of, /* its handles keep its task reachable */
};

uint64_t thread_count(void)
{
	return __atomic_load_n(&live_threads, __ATOMIC_RELAXED);
}

/* A thread with a kernel stack, not on any queue. */
static struct thread *thread_alloc(const char *name, bool stack)
{
	if (!thread_cache)
		thread_cache = kmem_cache_create("thread", sizeof(struct thread),
						 _Alignof(struct thread));
	struct thread *t = thread_cache ? kmem_cache_alloc(thread_cache) : NULL;
	if (!t)
		return NULL;
	if (stack) {
		t->kstack = arch_kstack_alloc(KSTACK_PAGES);
		if (!t->kstack) {
			kmem_cache_free(thread_cache, t);
			return NULL;
		}
		t->arch.kstack_top =
			(uintptr_t)t->kstack + KSTACK_PAGES * PAGE_SIZE;
	}
	kobj_init(&t->obj, OBJ_THREAD, &thread_ops);
	strlcpy(t->name, name, sizeof(t->name));
	t->state = THREAD_NEW;
	list_init(&t->donors);
	t->cpu = arch_cpu_id();
	sched_thread_init(t);
	t->wake_deadline = DEADLINE_NONE;
	list_init(&t->task_node);
	list_init(&t->wait_node);
	rb_node_init(&t->sleep_rb);
	rb_node_init(&t->park_rb);
	wait_queue_init(&t->exit_wq);
	__atomic_fetch_add(&live_threads, 1, __ATOMIC_RELAXED);
	tree_add_thread(t);
	return t;
}

struct thread *thread_create_idle(unsigned cpu)
{
	char name[16];
	ksnprintf(name, sizeof(name), "idle/%u", cpu);
	struct thread *t = thread_alloc(name, false);
	if (t)
		t->is_idle = true;
	return t;
}

/* Entry of kernel threads: fn and arg were stashed in the thread. */
static void kernel_thread_entry(void)
{
	struct thread *t = thread_current();
	arch_irq_restore(~0ul); /* new threads start with interrupts off */
	t->kfn(t->karg);
	thread_exit(0);
}

struct thread *thread_create_kernel(void (*fn)(void *), void *arg,
				    const char *name,
				    const struct sched_params *sp)
{
	struct thread *t = thread_alloc(name, true);
	if (!t)
		return NULL;
	if (sp && sched_set_params(t, sp, NULL) < 0) {
		kobj_put(&t->obj);
		return NULL;
	}
	t->kfn = fn;
	t->karg = arg;
	arch_thread_init(t, kernel_thread_entry);
	return t;
}

/* Entry of user threads: into user mode at the start parameters. */
static void user_thread_entry(void)
{
	struct thread *t = thread_current();
	arch_thread_enter_user(t->user_entry, t->user_stack, t->user_arg);
}

int thread_create_user(struct task *task, const char *name,
		       struct thread **out)
{
	if (READ_ONCE(task->dying))
		return ERR_BAD_STATE;
	/* The record and kernel stack are charged to the creating task
	 * (which may be another task making a child's first thread). */
	struct charge ch;
	int err = charge_take(&ch, account_current(), THREAD_CHARGE);
	if (err)
		return err;
	struct thread *t = thread_alloc(name, true);
	if (!t) {
		charge_drop(&ch);
		return ERR_NO_MEMORY;
	}
	t->obj.charge = ch;
	kobj_get(&task->obj);
	t->task = task;
	arch_thread_init(t, user_thread_entry);
	*out = t;
	return 0;
}

int thread_start_user(struct thread *t, uintptr_t entry, uintptr_t stack,
		      uintptr_t arg)
{
	if (entry < USER_BASE || entry >= USER_TOP || stack < USER_BASE ||
	    stack > USER_TOP)
		return ERR_INVALID_ARGS;
	/* Claim the start: only one caller may move it out of NEW. */
	if (!__atomic_compare_exchange_n(&t->start_claimed, &(bool){false},
					 true, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_RELAXED))
		return ERR_BAD_STATE;
	int err = task_add_thread(t->task, t);
	if (err) {
		__atomic_store_n(&t->start_claimed, false, __ATOMIC_RELEASE);
		return err;
	}
	t->user_entry = entry;
	t->user_stack = stack;
	t->user_arg = arg;
	kobj_get(&t->obj); /* the running reference */
	sched_start_thread(t);
	return 0;
}

void thread_start_kernel(struct thread *t)
{
	kobj_get(&t->obj); /* the running reference */
	sched_start_thread(t);
}

void thread_exit(int64_t status)
{
	struct thread *t = thread_current();
	t->exit_status = status;
	ipc_implicit_end(t); /* an implicit call left unanswered */
	sched_thread_release(t);
	if (t->task)
		task_thread_exited(t->task, t);
	arch_irq_save();
	spin_lock(&t->exit_wq.lock);
	t->exited = true;
	wait_queue_wake_locked(&t->exit_wq, 0, ~0u);
	struct end_notify en;
	end_notify_take_locked(&t->end_notify, &en);
	/* Hold exit_wq.lock across the state change: sched_block releases
	 * it only once we are marked, so no waiter sees a half-dead thread. */
	struct run_queue *rq = sched_rq(t->cpu);
	spin_lock(&rq->lock);
	t->state = THREAD_DEAD;
	spin_unlock(&rq->lock);
	spin_unlock(&t->exit_wq.lock);
	/* Signalling is allowed in any context, and dropping a notification
	 * only frees it (no sleeping lock): safe with interrupts off. */
	end_notify_fire(&en);
	schedule();
	panic("thread %s: ran after exit", t->name);
}

void thread_kill(struct thread *t)
{
	__atomic_store_n(&t->killed, true, __ATOMIC_RELEASE);
	sched_interrupt(t, ERR_BAD_STATE);
}

int thread_wait(struct thread *t, uint64_t deadline_ns, int64_t *status)
{
	int err = 0;
	unsigned long f = spin_lock_irqsave(&t->exit_wq.lock);
	while (!t->exited && !err)
		err = wait_queue_block(&t->exit_wq, deadline_ns);
	if (t->exited) {
		err = 0;
		if (status)
			*status = t->exit_status;
	}
	spin_unlock_irqrestore(&t->exit_wq.lock, f);
	return err;
}
