/* Threads: the unit of scheduling. Kernel threads run only in the kernel;
 * user threads belong to a task and enter user mode at their entry point. */
#pragma once
#include <kern/list.h>
#include <kern/object.h>
#include <kern/wait.h>
#include <arch/thread.h> /* struct arch_thread: saved context, FS base */

struct task;
struct sched_class;
struct reply;

enum thread_state {
	THREAD_NEW,     /* created, not started */
	THREAD_READY,   /* on a run queue */
	THREAD_RUNNING, /* on a CPU */
	THREAD_BLOCKED, /* on a wait queue and/or sleeping */
	THREAD_DEAD,    /* finished; waiting for the last reference */
};

#define THREAD_NAME_MAX 32

struct thread {
	struct kobject obj;
	struct task *task; /* NULL for kernel threads; holds a reference */
	char name[THREAD_NAME_MAX];
	enum thread_state state;
	bool killed;      /* exit at the next kernel exit / wake-up */
	bool is_idle;
	int prio;         /* base priority, 0..SCHED_PRIO_MAX, higher runs first */
	/* Priority donation (docs/ipc.md "Donation"): `donated` is the best
	 * effective priority of the callers whose reply objects this thread
	 * holds (-1: none); the run queue uses eprio = max(prio, donated).
	 * Both change under the run-queue lock; the donor list and
	 * `calling` under the donation lock (kernel/ipc/reply.c). */
	int donated;
	int eprio;
	struct list_node donors;     /* struct reply.donor_node */
	struct reply *calling;       /* the reply this thread waits for */
	unsigned cpu;     /* CPU whose run queue holds it (or last ran on) */
	const struct sched_class *class;

	struct list_node rq_node;    /* run-queue link */
	struct list_node task_node;  /* task->threads link */
	struct list_node wait_node;  /* wait-queue link */
	struct wait_queue *waiting_on;
	int wake_result;
	uint64_t wake_deadline;      /* DEADLINE_NONE when not sleeping */
	struct list_node sleep_node; /* per-CPU sleep list, by deadline */

	uint64_t slice_end_ns;       /* preempt when the time slice ends */
	uint64_t runtime_ns;         /* CPU time consumed */
	uint64_t dispatched_at;

	int64_t exit_status;
	bool exited;                 /* set under exit_wq.lock */
	struct wait_queue exit_wq;   /* object_wait() on this thread */
	void (*kfn)(void *);         /* kernel threads: body and argument */
	void *karg;
	uintptr_t user_entry, user_stack, user_arg; /* user threads */
	bool start_claimed;          /* a start has been accepted */

	void *kstack;                /* base of the kernel stack */
	struct arch_thread arch;
};

/* A kernel thread running fn(arg); it ends when fn returns. */
struct thread *thread_create_kernel(void (*fn)(void *), void *arg,
				    const char *name, int prio);
/* A user thread in task, not started (THREAD_NEW). */
int thread_create_user(struct task *task, const char *name,
		       struct thread **out);
/* Starts a THREAD_NEW user thread at entry with rsp = stack, rdi = arg. */
int thread_start_user(struct thread *t, uintptr_t entry, uintptr_t stack,
		      uintptr_t arg);
/* Makes a kernel thread runnable. */
void thread_start_kernel(struct thread *t);

__noreturn void thread_exit(int64_t status);
/* Asks t to die (task kill); wakes it if blocked. */
void thread_kill(struct thread *t);
/* Blocks until t is dead (or deadline); stores its exit status. */
int thread_wait(struct thread *t, uint64_t deadline_ns, int64_t *status);

struct thread *thread_current(void);
/* The idle thread of a CPU (no stack of its own: the CPU's boot stack). */
struct thread *thread_create_idle(unsigned cpu);
uint64_t thread_count(void); /* live threads, for tests and stats */
