/* Threads: the unit of scheduling. Kernel threads run only in the kernel;
 * user threads belong to a task and enter user mode at their entry point. */
#pragma once
#include <kern/arch.h>
#include <kern/endnotify.h>
#include <kern/list.h>
#include <kern/object.h>
#include <kern/port.h>
#include <kern/rbtree.h>
#include <kern/sched.h>
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
	/* Last-handle hooks deferred while one runs (kernel/obj/handle.c):
	 * releases never nest, however long a chain of objects is. */
	unsigned drop_depth;
	struct kobject *drop_queue;
	/* Task endings found while doing one (kernel/task/reaper.c). */
	unsigned reap_depth;
	struct task *reap_local;
	char name[THREAD_NAME_MAX];
	enum thread_state state;
	bool killed;      /* exit at the next kernel exit / wake-up */
	bool is_idle;
	/* A user copy that must not wait for a pager: its fault on absent
	 * pager memory fails (pager_supply's copy from src, kern/pager.h). */
	bool uaccess_no_pager;
	/* Scheduling (kernel/sched, docs/scheduling.md): under the lock of
	 * the run queue of `cpu` unless noted. */
	struct sched_params sp;          /* own class and parameters */
	const struct sched_class *class; /* the class it is queued in */
	/* Donation (docs/ipc.md "Donation"): the caller whose parameters it
	 * runs on while serving calls (NULL: its own). `donors` and
	 * `calling` are under its own donation lock `dlock`
	 * (kernel/ipc/reply.c). */
	struct thread *donor;
	struct list_node donors;     /* struct reply.donor_node */
	struct reply *calling;       /* the reply this thread waits for */
	spinlock_t dlock;
	/* IPC (kernel/ipc): the built-in reply object and message buffers;
	 * while blocked receiving, the room its receive buffer has; a
	 * message handed over by the fastpath (the port's lock). */
	uint32_t ipc_rx_cap, ipc_rx_hcap;
	struct kmsg *ipc_handed;
	/* port_reply_recv: the port it receives on next; the lending of
	 * that port's queued calls was kept over the answer (port.c). */
	struct port *ipc_keep_lend;
	bool ipc_lend_kept;
	uint64_t ipc_fast; /* fastpath calls and answers (telemetry) */
	/* The call received with PORT_RX_IMPLICIT_REPLY and not yet answered
	 * (a reference; only this thread touches it, kernel/ipc/implicit.c). */
	struct reply *ipc_implicit;
	struct ipc_slot ipc;
	unsigned cpu;     /* CPU whose run queue holds it (or last ran on) */
	/* SMP (kernel/sched/migrate.c): CPUs it may run on (inherited from
	 * its creator; admission lock + run-queue lock to change); the CPU
	 * it leaves for at its next switch-out (-1: none); set while it is
	 * between two run queues (on none: lock_thread_rq() waits). */
	uint64_t affinity;
	int move_to;
	bool moving;
	struct rb_node rb;           /* DL and BE queues */
	uint64_t key;     /* queue order: deadline, priority or vruntime */
	uint64_t vruntime;           /* BE: weighted CPU time */
	uint64_t weight_queued;      /* BE: weight counted in the queue */
	bool parked;                 /* held back until park_until */
	bool woken;                  /* became ready by a wake-up/release */
	bool yielding;
	uint64_t park_until;
	uint64_t ready_since;
	struct sched_dl dl;          /* its own DL server */
	struct sched_tstats st;
	uint32_t disp_latency;       /* of the current dispatch */
	uint16_t disp_flags;
	uint64_t disp_deadline;
	bool sched_released;         /* DL share given back (exiting) */
	struct rb_node all_rb;       /* thread_tree, by koid (stats) */

	struct list_node rq_node;    /* RT queue */
	struct rb_node park_rb;      /* rq->parked, by park_until */
	struct list_node task_node;  /* task->threads link */
	struct list_node wait_node;  /* wait-queue link */
	struct wait_queue *waiting_on;
	int wake_result;
	uint64_t notif_mask;         /* notification wait: bits wanted */
	uint64_t notif_bits;         /* ... and bits handed over */
	uint64_t wake_deadline;      /* DEADLINE_NONE when not sleeping */
	struct rb_node sleep_rb;     /* rq->sleepers, by wake_deadline */

	uint64_t slice_end_ns;       /* RR quantum / BE slice end */
	uint64_t runtime_ns;         /* CPU time consumed */
	uint64_t dispatched_at;      /* the current dispatch began */
	uint64_t exec_start;         /* last accounting point */

	int64_t exit_status;
	bool exited;                 /* set under exit_wq.lock */
	struct wait_queue exit_wq;   /* object_wait() on this thread */
	struct end_notify end_notify; /* fired when exited is set (exit_wq.lock) */
	void (*kfn)(void *);         /* kernel threads: body and argument */
	void *karg;
	uintptr_t user_entry, user_stack, user_arg; /* user threads */
	bool start_claimed;          /* a start has been accepted */

	void *kstack;                /* base of the kernel stack */
	struct arch_thread arch;
};

/* A kernel thread running fn(arg); it ends when fn returns. sp: its class
 * (BE or RT; NULL: best effort). */
struct thread *thread_create_kernel(void (*fn)(void *), void *arg,
				    const char *name,
				    const struct sched_params *sp);
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

/* Not this_rq()->current: the CPU number read with interrupts on can be
 * stale by the time the queue is read (a preemption moved us), and that
 * queue's current thread is then someone else; the shell test lost init
 * this way (a killed program's exit, status 130, taken by init's thread).
 * ktest sched_current_thread_survives_migration. Inline: it is on every
 * IPC path. */
static inline struct thread *thread_current(void)
{
	return arch_current_thread();
}
/* The idle thread of a CPU (no stack of its own: the CPU's boot stack). */
struct thread *thread_create_idle(unsigned cpu);
uint64_t thread_count(void); /* live threads, for tests and stats */
/* Every thread object, ordered by koid (telemetry resumes after a koid in
 * O(log n)); under thread_list_lock. */
extern spinlock_t thread_list_lock;
extern struct rb_root thread_tree;
