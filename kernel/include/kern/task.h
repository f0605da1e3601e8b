/* Tasks: an address space, a handle table, threads and quotas. */
#pragma once
#include <kern/endnotify.h>
#include <kern/handle.h>
#include <kern/list.h>
#include <kern/rbtree.h>
#include <kern/object.h>
#include <kern/sched.h>
#include <kern/spinlock.h>
#include <kern/wait.h>

struct vm_space;
struct uvm; /* user address space (kern/uvm.h) */

#define TASK_NAME_MAX     32
#define TASK_HANDLE_QUOTA 1024
#define TASK_THREAD_QUOTA 64
/* Charged to the parent's account for a task beyond its quota: the task
 * record, its account, address-space records and first handle table. */
#define TASK_CREATE_CHARGE 4096

struct task {
	struct kobject obj;
	char name[TASK_NAME_MAX];
	struct task *parent;       /* holds a reference; NULL for the root */
	struct list_node children; /* live child tasks (child_node), lock */
	struct list_node child_node; /* in parent->children */
	struct rb_node all_rb;     /* task_tree, by koid (task_stats.c) */
	spinlock_t lock;           /* threads list, state, quotas */
	struct handle_table handles;
	struct uvm *uvm;           /* user address space */
	struct list_node threads;  /* struct thread.task_node */
	unsigned nthreads;         /* live (not dead) threads */
	uint64_t runtime_ended_ns; /* CPU time of its ended threads (lock) */
	bool started;              /* a thread was started (t->lock) */
	bool dying;                /* killed or last thread gone */
	bool dead;                 /* torn down; set under exit_wq.lock */
	int64_t exit_status;
	struct wait_queue exit_wq;
	/* SYS_OBJECT_NOTIFY registrations (exit_wq.lock), fired when dead
	 * is set (kern/endnotify.h). */
	struct end_notify end_notify;
	/* Memory account (a reference, dropped when the object goes): page
	 * tables, memory objects, kernel objects and messages it created,
	 * grown handle table, quotas given to children (kern/account.h). */
	struct account *acct;
	/* CPU-time quota over all its threads (kernel/sched/quota.c). */
	struct cpu_quota cpuq;
	/* Fault handling (kernel/task/fault.c). With fault_handling off, a
	 * faulting thread terminates the task. With it on, the thread is
	 * suspended and its report queued on `faults` (fault_wq.lock) until
	 * a holder of the task handle resumes it or kills the task. */
	bool fault_handling;
	struct list_node faults;          /* struct fault_entry.node */
	struct wait_queue fault_wq;       /* handlers wait for reports */
	struct wait_queue fault_resume_wq;/* suspended threads wait */
	/* Endings (kernel/task/reaper.c): its list link and the kind of
	 * work; what creating the task charged its parent. */
	struct task *reap_next;
	bool reap_end;    /* reap_wq.lock, like the two below */
	bool reap_queued;
	struct charge create_charge;
};

struct fault_report;
/* Called by the arch code, in the faulting thread, for an exception from
 * user mode. Returns when the thread may retry; otherwise never returns. */
void thread_fault(const struct fault_report *r);
/* SYS_FAULT_WAIT / SYS_FAULT_RESUME (fault.c). */
int task_fault_wait(struct task *t, uint64_t deadline_ns,
		    struct fault_report *out);
int task_fault_resume(struct task *t, uint64_t thread_koid);

/* The kernel's root of all quotas: the root task gets its quota from
 * here at boot. */
int task_create(struct task *parent, const char *name, uint64_t mem_quota,
		struct task **out);
/* Charge/uncharge bytes against the task's account (ERR_NO_MEMORY when
 * over, or when the task is dying). */
int task_charge(struct task *t, uint64_t bytes);
void task_uncharge(struct task *t, uint64_t bytes);
/* Kills every thread; the task dies when the last one is gone. */
void task_kill(struct task *t, int64_t status);
/* The work of kernel/task/reaper.c: free t (its last reference is gone),
 * or end it if it is a never-run task nobody can reach. */
void task_free_now(struct task *t);
void task_end_unreachable(struct task *t);
int task_wait(struct task *t, uint64_t deadline_ns, int64_t *status);
/* Called by the last exiting thread: releases the address space and
 * handles, wakes waiters. */
void task_thread_exited(struct task *t, struct thread *th);
/* Links a new thread into t (ERR_BAD_STATE if dying, ERR_NO_RESOURCES at
 * the thread quota). */
int task_add_thread(struct task *t, struct thread *th);
uint64_t task_count(void);
/* Every task object, ordered by koid (task_list_lock; task_stats.c
 * resumes after a koid in O(log n)). */
extern spinlock_t task_list_lock;
extern struct rb_root task_tree;
struct task_stats;
/* Fills out[0..max) with the tasks not yet torn down whose koid is above
 * after, ascending; returns how many. */
uint32_t task_stats_collect(uint64_t after, struct task_stats *out,
			    uint32_t max);
struct boot_info;
/* Loads the root task from the initrd (kernel/task/root.c). */
int root_task_start(const struct boot_info *bi, struct task **out);
