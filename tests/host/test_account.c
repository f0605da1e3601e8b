/* Memory accounts: nesting, conservation (an account lives until the last
 * thing charged to it goes) and the handle table's growth charge. */
#include <stdlib.h>

#include "harness.h"
#include <execrt/errors.h>
#include <execrt/rights.h>
#include <kern/account.h>
#include <kern/handle.h>
#include <kern/slab.h>

static uint64_t self_cost(void)
{
	return kmalloc_footprint(sizeof(struct account));
}

TEST(account_children_quotas_nest)
{
	CHECK_EQ(host_mm_setup(), 0);
	uint64_t n0 = account_count();
	struct account *root, *a, *b, *c;
	CHECK_EQ(account_create(NULL, 100000, &root), 0);
	CHECK_EQ(account_create(root, 60000, &a), 0);
	CHECK_EQ(root->used, 60000 + self_cost());
	/* More than the parent has left: refused, nothing charged. */
	CHECK_EQ(account_create(root, 40000, &b), ERR_NO_MEMORY);
	CHECK_EQ(root->used, 60000 + self_cost());
	CHECK_EQ(account_create(a, 50000, &b), 0);
	/* b's quota is inside a's, not a second charge to root. */
	CHECK_EQ(root->used, 60000 + self_cost());
	CHECK_EQ(a->used, 50000 + self_cost());
	/* A child is held to its own quota even when the parent has room. */
	CHECK_EQ(account_charge(b, 50001), ERR_NO_MEMORY);
	CHECK_EQ(account_charge(b, 50000), 0);
	CHECK_EQ(account_create(b, 1, &c), ERR_NO_MEMORY);
	account_uncharge(b, 50000);
	CHECK_EQ(account_charge(NULL, ~0ull), 0); /* the kernel's own */
	CHECK_EQ(account_create(a, ~0ull - 10, &c), ERR_NO_MEMORY); /* wraps */
	CHECK_EQ(account_count(), n0 + 3);
	account_put(b);
	CHECK_EQ(a->used, 0);
	account_put(a);
	CHECK_EQ(root->used, 0);
	account_put(root);
	CHECK_EQ(account_count(), n0);
	CHECK_EQ(kmem_objects_in_use(), 0);
}

struct thing {
	struct kobject obj;
	int *destroyed;
};

static void thing_destroy(struct kobject *o)
{
	struct thing *t = container_of(o, struct thing, obj);
	(*t->destroyed)++;
	kfree(t);
}

static const struct kobj_ops thing_ops = {.name = "thing",
					  .destroy = thing_destroy};

/* An object charged to a dead task's account keeps the account, and the
 * quota it took from the parent, until the object dies. */
TEST(account_lives_until_its_last_charge)
{
	CHECK_EQ(host_mm_setup(), 0);
	uint64_t n0 = account_count();
	struct account *parent, *child;
	CHECK_EQ(account_create(NULL, 1 << 20, &parent), 0);
	CHECK_EQ(account_create(parent, 1 << 16, &child), 0);
	uint64_t carved = parent->used;
	struct charge full, ch;
	CHECK_EQ(charge_take(&full, child, 1 << 16), 0);
	CHECK_EQ(charge_take(&ch, child, 1), ERR_NO_MEMORY);
	CHECK(ch.acct == NULL && ch.bytes == 0); /* failed: nothing held */
	charge_drop(&full);
	CHECK(full.acct == NULL);
	CHECK_EQ(child->used, 0);
	CHECK_EQ(charge_take(&ch, child, 4096), 0);
	int destroyed = 0;
	struct thing *t = kmalloc(sizeof(*t));
	t->destroyed = &destroyed;
	kobj_init_charged(&t->obj, OBJ_VMO, &thing_ops, &ch);
	CHECK(ch.acct == NULL);
	account_put(child); /* its task is gone */
	CHECK_EQ(account_count(), n0 + 2);
	CHECK_EQ(parent->used, carved); /* still carved out */
	CHECK_EQ(child->used, 4096);
	kobj_put(&t->obj);
	CHECK_EQ(destroyed, 1);
	CHECK_EQ(parent->used, 0);
	CHECK_EQ(account_count(), n0 + 1);
	account_put(parent);
	CHECK_EQ(account_count(), n0);
	CHECK_EQ(kmem_objects_in_use(), 0);
}

/* Growth past the first 16 slots is charged to the table's account. */
TEST(account_charges_handle_table_growth)
{
	CHECK_EQ(host_mm_setup(), 0);
	struct account *a;
	uint64_t first = 32 * sizeof(struct handle_slot);
	CHECK_EQ(account_create(NULL, first + first / 2, &a), 0);
	struct handle_table t;
	handle_table_init(&t, 1024, NULL);
	t.acct = a;
	int destroyed = 0;
	struct thing *o = kmalloc(sizeof(*o));
	o->destroyed = &destroyed;
	kobj_init(&o->obj, OBJ_VMO, &thing_ops);
	handle_t h;
	int n = 0, err;
	while (!(err = handle_alloc(&t, &o->obj, RIGHT_READ, &h)))
		n++;
	/* 16 free, 32 charged, 64 over quota. */
	CHECK_EQ(err, ERR_NO_MEMORY);
	CHECK_EQ(n, 32);
	CHECK_EQ(a->used, kmalloc_footprint(first));
	handle_table_destroy(&t);
	CHECK_EQ(a->used, 0);
	kobj_put(&o->obj);
	CHECK_EQ(destroyed, 1);
	account_put(a);
	CHECK_EQ(kmem_objects_in_use(), 0);
}

TEST(account_kmalloc_footprint_is_the_class)
{
	CHECK_EQ(kmalloc_footprint(1), 16);
	CHECK_EQ(kmalloc_footprint(16), 16);
	CHECK_EQ(kmalloc_footprint(17), 32);
	CHECK_EQ(kmalloc_footprint(2048), 2048);
	CHECK_EQ(kmalloc_footprint(2049), 4096);
	CHECK_EQ(kmalloc_footprint(4096 + 168), 8192);
}

/* A loan: charged to the lender, quota to the borrower, both back when the
 * borrower's account goes; one lender; no cycle of links. */
TEST(account_loan_moves_quota_and_returns)
{
	CHECK_EQ(host_mm_setup(), 0);
	uint64_t n0 = account_count();
	struct account *root, *pool, *svc, *other, *kid;
	CHECK_EQ(account_create(NULL, 100000, &root), 0);
	CHECK_EQ(account_create(root, 50000, &pool), 0);
	CHECK_EQ(account_create(root, 1000, &svc), 0);
	CHECK_EQ(account_create(root, 1000, &other), 0);
	uint64_t root_used = root->used;
	CHECK_EQ(account_lend(pool, svc, 0), ERR_INVALID_ARGS);
	CHECK_EQ(account_lend(pool, pool, 10), ERR_INVALID_ARGS);
	CHECK_EQ(account_lend(pool, svc, 50001), ERR_NO_MEMORY);
	CHECK_EQ(pool->used, 0);
	CHECK_EQ(account_lend(pool, svc, 20000), 0);
	CHECK_EQ(account_lend(pool, svc, 10000), 0); /* adds up */
	CHECK_EQ(pool->used, 30000);
	CHECK_EQ(svc->quota, 31000);
	CHECK_EQ(svc->loan, 30000);
	CHECK_EQ(root->used, root_used); /* the parent's charge is unchanged */
	CHECK_EQ(account_lend(other, svc, 10), ERR_NO_RESOURCES);
	/* The borrower can use the loan. */
	CHECK_EQ(account_charge(svc, 31000), 0);
	account_uncharge(svc, 31000);
	/* Cycles: svc holds pool now, so pool cannot borrow from svc; nor
	 * can a child lend to its parent (its parent link reaches it). */
	CHECK_EQ(account_lend(svc, pool, 10), ERR_INVALID_ARGS);
	CHECK_EQ(account_create(other, 500, &kid), 0);
	CHECK_EQ(account_lend(kid, other, 10), ERR_INVALID_ARGS);
	CHECK_EQ(account_lend(other, kid, 10), 0); /* downwards is fine */
	account_put(kid);
	CHECK_EQ(other->used, 0);
	/* The lender goes first: its account stays (the loan holds it). */
	uint64_t n1 = account_count();
	account_put(pool);
	CHECK_EQ(account_count(), n1);
	CHECK_EQ(account_charge(svc, 31000), 0);
	account_uncharge(svc, 31000);
	/* The borrower goes: the loan back to pool, which goes; the parent
	 * gets back svc's own quota. */
	account_put(svc);
	CHECK_EQ(account_count(), n1 - 2);
	account_put(other);
	CHECK_EQ(root->used, 0);
	account_put(root);
	CHECK_EQ(account_count(), n0);
	CHECK_EQ(kmem_objects_in_use(), 0);
}

/* Retirement (the task is dead): unused quota goes back at once, the loan
 * first to the lender; later uncharges follow through retired lenders to
 * their parents; nothing more can be charged or lent. */
TEST(account_retire_gives_back_what_is_unused)
{
	CHECK_EQ(host_mm_setup(), 0);
	uint64_t n0 = account_count();
	struct account *root, *pool, *svc, *sib;
	CHECK_EQ(account_create(NULL, 100000, &root), 0);
	CHECK_EQ(account_create(root, 60000, &pool), 0);
	CHECK_EQ(account_create(root, 1000, &svc), 0);
	CHECK_EQ(account_create(root, 1000, &sib), 0);
	uint64_t root_used = root->used;
	CHECK_EQ(account_lend(pool, svc, 30000), 0);
	CHECK_EQ(account_charge(pool, 5000), 0); /* a buffer of the pool */
	/* The pool's task dies: it keeps the loan and the buffer. */
	account_retire(pool);
	account_retire(pool); /* once */
	CHECK_EQ(pool->quota, 35000);
	CHECK_EQ(pool->used, 35000);
	CHECK_EQ(root->used, root_used - 25000);
	CHECK_EQ(account_charge(pool, 1), ERR_NO_MEMORY);
	CHECK_EQ(account_lend(pool, sib, 10), ERR_BAD_STATE);
	/* The buffer goes: back to root through the pool. */
	account_uncharge(pool, 5000);
	CHECK_EQ(pool->quota, 30000);
	CHECK_EQ(root->used, root_used - 30000);
	/* The borrower dies holding 20000 of its 31000: the other 11000 go
	 * back, the loan's share (10000) to the pool and on to root, the
	 * rest (1000) to root directly. */
	CHECK_EQ(account_charge(svc, 20000), 0);
	account_retire(svc);
	CHECK_EQ(svc->quota, 20000);
	CHECK_EQ(svc->loan, 19000);
	CHECK_EQ(pool->quota, 19000);
	CHECK_EQ(root->used, root_used - 30000 - 10000 - 1000);
	CHECK_EQ(account_lend(root, svc, 10), ERR_BAD_STATE);
	/* Its last charge goes: the loan back to the pool, and on to root. */
	account_uncharge(svc, 20000);
	CHECK_EQ(svc->quota, 0);
	CHECK_EQ(pool->quota, 0);
	CHECK_EQ(pool->used, 0);
	uint64_t n1 = account_count();
	account_put(pool); /* its task's reference: the loan still holds it */
	CHECK_EQ(account_count(), n1);
	account_put(svc); /* frees svc, then the pool */
	CHECK_EQ(account_count(), n1 - 2);
	account_put(sib);
	CHECK_EQ(root->used, 0);
	account_put(root);
	CHECK_EQ(account_count(), n0);
	CHECK_EQ(kmem_objects_in_use(), 0);
}

/* A chain of loans, each smaller than the one before: b[k] borrows
 * L(k) from b[k+1], and all are retired with every byte in use. b[0]'s
 * uncharge then walks the chain and splits at every b[k] (L(k-1) in,
 * L(k) on to the lender, the rest to root): deeper than the walk's stack
 * (16), so the rest stays unused quota of the deeper ones, and comes back
 * when they are freed. */
TEST(account_retire_deep_splits_stay_conserved)
{
	CHECK_EQ(host_mm_setup(), 0);
	uint64_t n0 = account_count();
	enum { M = 30, STEP = 1000, OWN = 100000 };
#define L(k) ((uint64_t)(M - (k)) * STEP)
	struct account *root, *b[M + 1];
	CHECK_EQ(account_create(NULL, 1u << 30, &root), 0);
	for (int k = 0; k <= M; k++)
		CHECK_EQ(account_create(root, OWN, &b[k]), 0);
	for (int k = M - 1; k >= 0; k--)
		CHECK_EQ(account_lend(b[k + 1], b[k], L(k)), 0);
	CHECK_EQ(account_charge(b[0], OWN + L(0)), 0);
	for (int k = 1; k < M; k++)
		CHECK_EQ(account_charge(b[k], OWN - STEP), 0);
	for (int k = 0; k <= M; k++)
		account_retire(b[k]);
	for (int k = 0; k < M; k++)
		CHECK_EQ(b[k]->loan, L(k)); /* all in use: nothing back */
	uint64_t root_used = root->used;
	account_uncharge(b[0], OWN + L(0));
	for (int k = 0; k <= M; k++)
		CHECK_EQ(b[k]->quota - b[k]->used,
			 k >= 16 && k < M ? (uint64_t)STEP : 0);
	CHECK_EQ(root->used, root_used - (OWN + L(0)) + (M - 16) * STEP);
	for (int k = 1; k < M; k++)
		account_uncharge(b[k], OWN - STEP);
	for (int k = 0; k <= M; k++)
		account_put(b[k]);
	CHECK_EQ(root->used, 0);
	account_put(root);
	CHECK_EQ(account_count(), n0);
	CHECK_EQ(kmem_objects_in_use(), 0);
#undef L
}
