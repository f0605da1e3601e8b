/* Handle tables. Slots live in one array that grows by doubling (up to the
 * quota); free slots form a LIFO list. A handle value is
 * (generation << 16) | index, and generation 0 is skipped, so no live or
 * stale handle is ever 0 (HANDLE_INVALID). */
#include <execrt/errors.h>
#include <execrt/rights.h>
#include <kern/handle.h>
#include <kern/lib.h>
#include <kern/slab.h>

#define INITIAL_SLOTS 16

static handle_t make_handle(uint32_t index, uint16_t gen)
{
	return ((handle_t)gen << HANDLE_INDEX_BITS) | index;
}

int handle_table_init(struct handle_table *t, uint32_t quota)
{
	memset(t, 0, sizeof(*t));
	t->quota = MIN(quota, HANDLE_MAX_SLOTS);
	return 0;
}

/* Quota charge of an array of cap slots: the first one is part of what
 * creating the task costs (TASK_CREATE_CHARGE), growth is the task's. */
static uint64_t array_charge(uint32_t cap)
{
	return cap > INITIAL_SLOTS
		       ? kmalloc_footprint(cap * sizeof(struct handle_slot))
		       : 0;
}

/* Called with the lock held; may allocate (kmalloc does not sleep). */
static int grow(struct handle_table *t)
{
	uint32_t ncap = t->cap ? t->cap * 2 : INITIAL_SLOTS;
	ncap = MIN(ncap, MAX(t->quota, 1u));
	if (ncap <= t->cap)
		return ERR_NO_RESOURCES;
	if (account_charge(t->acct, array_charge(ncap)))
		return ERR_NO_MEMORY;
	struct handle_slot *n = kmalloc(ncap * sizeof(*n));
	if (!n) {
		account_uncharge(t->acct, array_charge(ncap));
		return ERR_NO_MEMORY;
	}
	account_uncharge(t->acct, array_charge(t->cap));
	memset(n, 0, ncap * sizeof(*n));
	if (t->slots)
		memcpy(n, t->slots, t->cap * sizeof(*n));
	for (uint32_t i = ncap; i > t->cap; i--) {
		n[i - 1].gen = 1;
		n[i - 1].next_free = (uint16_t)t->free_head;
		t->free_head = i;
	}
	kfree(t->slots);
	t->slots = n;
	t->cap = ncap;
	return 0;
}

/* The slot for h if h is live, else NULL. Lock held. */
static struct handle_slot *lookup(struct handle_table *t, handle_t h)
{
	uint32_t index = h & (HANDLE_MAX_SLOTS - 1);
	uint16_t gen = (uint16_t)(h >> HANDLE_INDEX_BITS);
	if (index >= t->cap)
		return NULL;
	struct handle_slot *s = &t->slots[index];
	if (!s->obj || s->gen != gen)
		return NULL;
	return s;
}

static int install(struct handle_table *t, struct kobject *o, uint32_t rights,
		   handle_t *out)
{
	if (t->closed)
		return ERR_BAD_STATE;
	if (t->used >= t->quota)
		return ERR_NO_RESOURCES;
	if (!t->free_head) {
		int err = grow(t);
		if (err)
			return err;
	}
	uint32_t index = t->free_head - 1;
	struct handle_slot *s = &t->slots[index];
	t->free_head = s->next_free;
	s->obj = o;
	s->rights = rights;
	t->used++;
	__atomic_fetch_add(&o->handles, 1, __ATOMIC_RELAXED);
	*out = make_handle(index, s->gen);
	return 0;
}

/* Frees the slot; returns the object whose reference the caller drops. */
static struct kobject *release(struct handle_table *t, struct handle_slot *s)
{
	struct kobject *o = s->obj;
	s->obj = NULL;
	s->rights = 0;
	s->gen = (uint16_t)(s->gen + 1) ? (uint16_t)(s->gen + 1) : 1;
	s->next_free = (uint16_t)t->free_head;
	t->free_head = (uint32_t)(s - t->slots) + 1;
	t->used--;
	return o;
}

/* Drops a handle's reference, telling the object when it was the last
 * handle. Lock not held: destroy may take other locks. */
static void drop(struct kobject *o)
{
	if (__atomic_sub_fetch(&o->handles, 1, __ATOMIC_ACQ_REL) == 0 &&
	    o->ops->last_handle_closed)
		o->ops->last_handle_closed(o);
	kobj_put(o);
}

int handle_alloc(struct handle_table *t, struct kobject *o, uint32_t rights,
		 handle_t *out)
{
	unsigned long f = spin_lock_irqsave(&t->lock);
	int err = install(t, o, rights, out);
	spin_unlock_irqrestore(&t->lock, f);
	if (!err)
		kobj_get(o);
	return err;
}

int handle_get(struct handle_table *t, handle_t h, uint32_t type,
	       uint32_t need, struct kobject **out, uint32_t *rights)
{
	int err = 0;
	unsigned long f = spin_lock_irqsave(&t->lock);
	struct handle_slot *s = lookup(t, h);
	if (!s)
		err = ERR_BAD_HANDLE;
	else if (type != OBJ_NONE && s->obj->type != type)
		err = ERR_WRONG_TYPE;
	else if ((s->rights & need) != need)
		err = ERR_ACCESS_DENIED;
	else {
		kobj_get(s->obj);
		*out = s->obj;
		if (rights)
			*rights = s->rights;
	}
	spin_unlock_irqrestore(&t->lock, f);
	return err;
}

int handle_close(struct handle_table *t, handle_t h)
{
	unsigned long f = spin_lock_irqsave(&t->lock);
	struct handle_slot *s = lookup(t, h);
	struct kobject *o = s ? release(t, s) : NULL;
	spin_unlock_irqrestore(&t->lock, f);
	if (!o)
		return ERR_BAD_HANDLE;
	drop(o);
	return 0;
}

int handle_dup(struct handle_table *t, handle_t h, uint32_t rights,
	       handle_t *out)
{
	int err;
	unsigned long f = spin_lock_irqsave(&t->lock);
	struct handle_slot *s = lookup(t, h);
	if (!s) {
		err = ERR_BAD_HANDLE;
	} else if (!(s->rights & RIGHT_DUPLICATE)) {
		err = ERR_ACCESS_DENIED;
	} else {
		if (rights == RIGHT_SAME)
			rights = s->rights;
		if (rights & ~s->rights) {
			err = ERR_ACCESS_DENIED; /* can only keep or reduce */
		} else {
			struct kobject *o = s->obj;
			/* install() may grow and move the slot array. */
			err = install(t, o, rights, out);
			if (!err)
				kobj_get(o);
		}
	}
	spin_unlock_irqrestore(&t->lock, f);
	return err;
}

int handle_take(struct handle_table *t, handle_t h, uint32_t need,
		struct kobject **obj, uint32_t *rights)
{
	int err = 0;
	unsigned long f = spin_lock_irqsave(&t->lock);
	struct handle_slot *s = lookup(t, h);
	if (!s) {
		err = ERR_BAD_HANDLE;
	} else if ((s->rights & need) != need) {
		err = ERR_ACCESS_DENIED;
	} else {
		*rights = s->rights;
		*obj = release(t, s);
		/* The reference moves to the caller; so does the handle
		 * count, which the receiving table's install re-adds. */
		__atomic_fetch_sub(&(*obj)->handles, 1, __ATOMIC_RELAXED);
	}
	spin_unlock_irqrestore(&t->lock, f);
	return err;
}

uint32_t handle_count(struct handle_table *t)
{
	return READ_ONCE(t->used);
}

void handle_discard(struct kobject *o)
{
	if (READ_ONCE(o->handles) == 0 && o->ops->last_handle_closed)
		o->ops->last_handle_closed(o);
	kobj_put(o);
}

void handle_table_destroy(struct handle_table *t)
{
	/* One slot per lock hold: drop() may run destructors that take
	 * other locks. Closing first means the table cannot grow under us
	 * (a handle given to a dying task is refused). */
	unsigned long fl = spin_lock_irqsave(&t->lock);
	t->closed = true;
	spin_unlock_irqrestore(&t->lock, fl);
	for (uint32_t i = 0; i < t->cap; i++) {
		struct kobject *o = NULL;
		unsigned long f = spin_lock_irqsave(&t->lock);
		if (t->slots[i].obj)
			o = release(t, &t->slots[i]);
		spin_unlock_irqrestore(&t->lock, f);
		if (o)
			drop(o);
	}
	fl = spin_lock_irqsave(&t->lock);
	struct handle_slot *slots = t->slots;
	account_uncharge(t->acct, array_charge(t->cap));
	t->slots = NULL;
	t->cap = 0;
	t->free_head = 0;
	spin_unlock_irqrestore(&t->lock, fl);
	kfree(slots);
}
