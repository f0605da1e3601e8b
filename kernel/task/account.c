/* Memory accounts (kern/account.h). An account is a small refcounted
 * record with no pointer to what is charged to it, so objects can hold it
 * without cycles: a memory object mapped in its creator's address space
 * holds the creator's account, not the creator.
 *
 * Lock order: an account's lock is a leaf; a parent's lock is never held
 * with a child's. */
#include <execrt/errors.h>
#include <kern/account.h>
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/slab.h>
#include <kern/task.h>
#include <kern/thread.h>

static uint64_t live_accounts;

/* What an account costs its parent beyond the quota: its own record. */
static uint64_t self_cost(void)
{
	return kmalloc_footprint(sizeof(struct account));
}

int account_create(struct account *parent, uint64_t quota, struct account **out)
{
	uint64_t cost = quota + self_cost();
	if (cost < quota)
		return ERR_NO_MEMORY;
	int err = account_charge(parent, cost);
	if (err)
		return err;
	struct account *a = kmalloc(sizeof(*a));
	if (!a) {
		account_uncharge(parent, cost);
		return ERR_NO_MEMORY;
	}
	a->lock = (spinlock_t)SPINLOCK_INIT;
	a->refs = 1;
	a->quota = quota;
	a->used = 0;
	a->parent = parent;
	if (parent)
		account_get(parent);
	__atomic_fetch_add(&live_accounts, 1, __ATOMIC_RELAXED);
	*out = a;
	return 0;
}

void account_get(struct account *a)
{
	uint32_t old = __atomic_fetch_add(&a->refs, 1, __ATOMIC_RELAXED);
	BUG_ON(old == 0);
}

void account_put(struct account *a)
{
	/* Iterative: the last child of a dying chain releases its parent. */
	while (a) {
		uint32_t old =
			__atomic_fetch_sub(&a->refs, 1, __ATOMIC_ACQ_REL);
		BUG_ON(old == 0);
		if (old != 1)
			return;
		/* Everything charged held a reference: nothing is left. */
		if (a->used)
			pr_err("account: freed with %llu bytes still charged",
			       (unsigned long long)a->used);
		struct account *parent = a->parent;
		account_uncharge(parent, a->quota + self_cost());
		__atomic_fetch_sub(&live_accounts, 1, __ATOMIC_RELAXED);
		kfree(a);
		a = parent;
	}
}

int account_charge(struct account *a, uint64_t bytes)
{
	if (!a)
		return 0;
	int err = 0;
	unsigned long f = spin_lock_irqsave(&a->lock);
	if (bytes > a->quota - a->used)
		err = ERR_NO_MEMORY;
	else
		a->used += bytes;
	spin_unlock_irqrestore(&a->lock, f);
	return err;
}

void account_uncharge(struct account *a, uint64_t bytes)
{
	if (!a)
		return;
	unsigned long f = spin_lock_irqsave(&a->lock);
	BUG_ON(bytes > a->used);
	a->used -= bytes;
	spin_unlock_irqrestore(&a->lock, f);
}

int charge_take(struct charge *c, struct account *a, uint64_t bytes)
{
	c->acct = NULL;
	c->bytes = 0;
	int err = account_charge(a, bytes);
	if (err)
		return err;
	if (a) {
		account_get(a);
		c->acct = a;
		c->bytes = bytes;
	}
	return 0;
}

void charge_drop(struct charge *c)
{
	struct account *a = c->acct;
	if (!a)
		return;
	account_uncharge(a, c->bytes);
	c->acct = NULL;
	c->bytes = 0;
	account_put(a);
}

struct account *account_current(void)
{
	struct thread *th = thread_current();
	return th && th->task ? th->task->acct : NULL;
}

uint64_t account_count(void)
{
	return __atomic_load_n(&live_accounts, __ATOMIC_RELAXED);
}
