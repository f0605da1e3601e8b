/* Memory accounts (kernel/task/account.c): the unit of memory quota.
 *
 * Every task has one. A child's account is carved out of its parent's: its
 * whole quota is charged to the parent's account while it exists, so over
 * any account: sum of the children's quotas + own charges <= own quota.
 *
 * Every thing charged to an account holds a reference to it (a kernel
 * object through its kobject.charge, a queued message through its own
 * charge, the task through task.acct). The account, and with it the quota
 * it took from its parent, goes only when the last of them is gone: memory
 * that outlives its task (a memory object mapped elsewhere, a message
 * still queued) stays charged to it, and so to the parent, until freed.
 *
 * A loan (account_lend, SYS_TASK_QUOTA_LEND) adds quota from another
 * account, the lender: charged there (a reference held) until the
 * borrower's account is freed. One lender per account; the parent and
 * lender links never form a cycle (checked under loan_lock), so every
 * account is freed once its last charge goes.
 *
 * Retirement (account_retire, when the task is dead): the account keeps
 * only what is still charged to it. Its unused quota goes back at once,
 * the loan first (to the lender), the rest to the parent, and so does
 * every later uncharge: a dead vmgr holds its outstanding loans, not its
 * whole pool, until they come back. */
#pragma once
#include <execrt/types.h>
#include <kern/spinlock.h>
#include <kern/types.h>

struct account {
	spinlock_t lock; /* quota, used */
	uint32_t refs;
	uint64_t quota, used;
	struct account
		*parent; /* a reference; quota - loan + own size charged there */
	/* Set once under loan_lock (lender, first loan); loan grows with
	 * quota under lock. lender is a reference; loan is charged there. */
	struct account *lender;
	uint64_t loan;
	bool retired;		   /* under lock; set once: quota follows used */
	struct account *next_dead; /* account_put's work list */
};

/* Something charged: the account (a reference) and the bytes. */
struct charge {
	struct account *acct; /* NULL: nothing charged (the kernel's own) */
	uint64_t bytes;
};

/* A new account with `quota`, charged to parent (NULL: the kernel's root
 * of all quotas). ERR_NO_MEMORY when the parent has not that much left. */
int account_create(struct account *parent, uint64_t quota,
		   struct account **out);
void account_get(struct account *a);
void account_put(struct account *a);
/* ERR_NO_MEMORY when over quota (nothing charged); a NULL account is the
 * kernel's and always succeeds. */
int account_charge(struct account *a, uint64_t bytes);
/* Uncharges; on a retired account the quota shrinks with it and goes
 * back (loan first, to the lender; the rest to the parent). */
void account_uncharge(struct account *a, uint64_t bytes);
/* The task behind a is dead: nothing is charged to it any more but what
 * a pager supplies to its memory objects (refused from now: no spare
 * quota). Gives its unused quota back at once; idempotent. */
void account_retire(struct account *a);
/* account_charge + a reference kept in c, for something that may outlive
 * the task (kernel objects, messages); charge_drop returns both. */
int charge_take(struct charge *c, struct account *a, uint64_t bytes);
void charge_drop(struct charge *c);
/* Moves `bytes` of lender's unused quota into a's quota until a is freed.
 * ERR_INVALID_ARGS: bytes 0, a == lender, or a loan that would close a
 * cycle of parent/lender links; ERR_NO_RESOURCES: a already has another
 * lender, or the links are too deep to check; ERR_NO_MEMORY: over the
 * lender's quota; ERR_OUT_OF_RANGE: a's quota would wrap. */
int account_lend(struct account *lender, struct account *a, uint64_t bytes);
/* The calling thread's task's account (no reference: valid while the
 * caller runs), NULL in kernel threads. */
struct account *account_current(void);
/* Live accounts (leak checks). */
uint64_t account_count(void);
