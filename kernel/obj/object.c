/* Reference counting for kernel objects. */
#include <kern/log.h>
#include <kern/object.h>
#include <kern/slab.h>

static uint64_t next_koid = 1;
static uint64_t live;

void kobj_init(struct kobject *o, uint32_t type, const struct kobj_ops *ops)
{
	o->type = type;
	o->refcount = 1;
	o->handles = 0;
	o->outside = 0;
	o->drop_next = NULL;
	o->ops = ops;
	o->koid = __atomic_fetch_add(&next_koid, 1, __ATOMIC_RELAXED);
	o->charge = (struct charge){0};
	__atomic_fetch_add(&live, 1, __ATOMIC_RELAXED);
}

void kobj_init_charged(struct kobject *o, uint32_t type,
		       const struct kobj_ops *ops, struct charge *c)
{
	kobj_init(o, type, ops);
	o->charge = *c;
	*c = (struct charge){0};
}

int kobj_precharge(struct charge *c, size_t alloc)
{
	return charge_take(c, account_current(), kmalloc_footprint(alloc));
}

void kobj_get_dead(struct kobject *o)
{
	(void)o;
	BUG_ON(true); /* resurrecting a dead object */
}

bool kobj_tryget(struct kobject *o)
{
	uint32_t old = __atomic_load_n(&o->refcount, __ATOMIC_RELAXED);
	while (old)
		if (__atomic_compare_exchange_n(&o->refcount, &old, old + 1,
						false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return true;
	return false;
}

bool kobj_put_last(struct kobject *o)
{
	uint32_t old = __atomic_fetch_sub(&o->refcount, 1, __ATOMIC_ACQ_REL);
	BUG_ON(old == 0);
	if (old != 1)
		return false;
	__atomic_fetch_sub(&live, 1, __ATOMIC_RELAXED);
	return true;
}

/* The last reference's work (kobj_put's common case, inline in
 * kern/object.h, is the decrement alone). */
static void put_final(struct kobject *o)
{
	__atomic_fetch_sub(&live, 1, __ATOMIC_RELAXED);
	/* destroy() frees o: keep its charge to return after. */
	struct charge c = o->charge;
	o->ops->destroy(o);
	charge_drop(&c);
}

/* kobj_put's rare cases: old is the count before the decrement. */
void kobj_put_slow(struct kobject *o, uint32_t old)
{
	BUG_ON(old == 0);
	put_final(o);
}

uint64_t kobj_live_count(void)
{
	return __atomic_load_n(&live, __ATOMIC_RELAXED);
}
