/* Memory accounts (kern/account.h). An account is a small refcounted
 * record with no pointer to what is charged to it, so objects can hold it
 * without cycles: a memory object mapped in its creator's address space
 * holds the creator's account, not the creator.
 *
 * Lock order: loan_lock, then an account's lock, which is a leaf; a
 * parent's lock is never held with a child's. */
#include <execrt/errors.h>
#include <kern/account.h>
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/slab.h>
#include <kern/task.h>
#include <kern/thread.h>

static uint64_t live_accounts;
/* Serialises new lender links against the cycle check. */
static spinlock_t loan_lock = SPINLOCK_INIT;
/* Accounts the cycle check may visit before giving up. */
#define LOAN_WALK_MAX 64

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
	a->lender = NULL;
	a->loan = 0;
	a->retired = false;
	a->next_dead = NULL;
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

/* Drops a reference; true when it was the last. */
static bool drop_ref(struct account *a)
{
	uint32_t old = __atomic_fetch_sub(&a->refs, 1, __ATOMIC_ACQ_REL);
	BUG_ON(old == 0);
	return old == 1;
}

void account_put(struct account *a)
{
	/* Iterative: a freed account releases its parent and its lender,
	 * which may go too; dead ones wait on a list, never recursion. */
	if (!a || !drop_ref(a))
		return;
	a->next_dead = NULL;
	while (a) {
		struct account *next = a->next_dead;
		/* Everything charged held a reference: nothing is left. */
		if (a->used)
			pr_err("account: freed with %llu bytes still charged",
			       (unsigned long long)a->used);
		struct account *parent = a->parent, *lender = a->lender;
		account_uncharge(parent, a->quota - a->loan + self_cost());
		account_uncharge(lender, a->loan);
		__atomic_fetch_sub(&live_accounts, 1, __ATOMIC_RELAXED);
		kfree(a);
		if (parent && drop_ref(parent)) {
			parent->next_dead = next;
			next = parent;
		}
		if (lender && drop_ref(lender)) {
			lender->next_dead = next;
			next = lender;
		}
		a = next;
	}
}

/* Whether `target` is reachable from `from` by parent and lender links
 * (which keep what they reach alive, and change only under loan_lock).
 * -1: more than LOAN_WALK_MAX accounts to visit. */
static int reaches(struct account *from, struct account *target)
{
	struct account *stack[LOAN_WALK_MAX];
	unsigned n = 0, visits = 0;
	stack[n++] = from;
	while (n) {
		struct account *x = stack[--n];
		if (x == target)
			return 1;
		if (++visits > LOAN_WALK_MAX)
			return -1;
		struct account *next[2] = {x->parent, x->lender};
		for (unsigned i = 0; i < 2; i++) {
			if (!next[i])
				continue;
			if (n == LOAN_WALK_MAX)
				return -1;
			stack[n++] = next[i];
		}
	}
	return 0;
}

int account_lend(struct account *lender, struct account *a, uint64_t bytes)
{
	if (!bytes || !lender || !a || lender == a)
		return ERR_INVALID_ARGS;
	int err = 0;
	unsigned long f = spin_lock_irqsave(&loan_lock);
	if (READ_ONCE(a->retired) || READ_ONCE(lender->retired)) {
		err = ERR_BAD_STATE; /* a dead task's: gone for good */
	} else if (a->lender && a->lender != lender) {
		err = ERR_NO_RESOURCES;
	} else if (!a->lender) {
		/* a would hold lender: lender must not hold a. */
		int r = reaches(lender, a);
		err = r < 0 ? ERR_NO_RESOURCES : r ? ERR_INVALID_ARGS : 0;
	}
	if (!err)
		err = account_charge(lender, bytes);
	if (!err && a->quota + bytes < bytes) { /* not with real quotas */
		account_uncharge(lender, bytes);
		err = ERR_OUT_OF_RANGE;
	}
	if (!err) {
		if (!a->lender)
			account_get(lender);
		unsigned long g = spin_lock_irqsave(&a->lock);
		a->lender = lender;
		a->quota += bytes;
		a->loan += bytes;
		spin_unlock_irqrestore(&a->lock, g);
	}
	spin_unlock_irqrestore(&loan_lock, f);
	return err;
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

/* Pending give-backs of one uncharge walk (a split: part to the lender,
 * part to the parent). Full: the part stays unused quota of its account,
 * returned when that is freed, as without retirement. */
#define GIVE_STACK 16

void account_uncharge(struct account *a, uint64_t bytes)
{
	/* Walks up from a through retired accounts, each passing on what it
	 * got. Everything visited is reachable from a by parent and lender
	 * links, so the caller's hold on a keeps it alive. */
	struct {
		struct account *a;
		uint64_t bytes;
	} st[GIVE_STACK];
	unsigned n = 0;
	for (;;) {
		if (!a || !bytes) {
			if (!n)
				return;
			n--;
			a = st[n].a;
			bytes = st[n].bytes;
			continue;
		}
		uint64_t to_lender = 0, to_parent = 0;
		unsigned long f = spin_lock_irqsave(&a->lock);
		BUG_ON(bytes > a->used);
		a->used -= bytes;
		if (a->retired) {
			to_lender = MIN(bytes, a->loan);
			to_parent = bytes - to_lender;
			if (to_lender && to_parent && n == GIVE_STACK)
				to_parent = 0; /* kept until a is freed */
			a->quota -= to_lender + to_parent;
			a->loan -= to_lender;
		}
		spin_unlock_irqrestore(&a->lock, f);
		if (to_lender && to_parent) {
			st[n].a = a->parent;
			st[n].bytes = to_parent;
			n++;
			to_parent = 0;
		}
		struct account *next = to_lender ? a->lender : a->parent;
		bytes = to_lender ? to_lender : to_parent;
		a = next;
	}
}

void account_retire(struct account *a)
{
	if (!a)
		return;
	uint64_t spare = 0;
	unsigned long f = spin_lock_irqsave(&a->lock);
	if (!a->retired) {
		a->retired = true;
		/* Charged and given straight back: one path returns it. */
		spare = a->quota - a->used;
		a->used = a->quota;
	}
	spin_unlock_irqrestore(&a->lock, f);
	account_uncharge(a, spare);
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
