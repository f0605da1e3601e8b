/* Handle tables (kern/handle.h has the value layout and the rules). Slots
 * live in one array that grows by doubling; free slots form a FIFO list
 * (the longest-freed slot is reused first). Lock: the table's spinlock is
 * a leaf; object hooks (last_handle_closed, unreachable, destroy) run
 * after it is released, since they take other locks. */
#include <execrt/errors.h>
#include <execrt/rights.h>
#include <kern/arch.h>
#include <kern/handle.h>
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/slab.h>
#include <kern/thread.h>

#define INITIAL_SLOTS 16

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Slot i's first generation (never 0) and odd step. */
static uint32_t first_gen(const struct handle_table *t, uint32_t i)
{
	uint32_t g = (uint32_t)mix64(t->seed ^ i) & HANDLE_GEN_MASK;
	return g ? g : 1;
}

static uint32_t gen_step(const struct handle_table *t, uint32_t i)
{
	return ((uint32_t)(mix64(t->seed + i) >> 32) & HANDLE_GEN_MASK) | 1;
}

/* The generation after g, or 0 when slot i has used all of them. */
static uint32_t next_gen(const struct handle_table *t, uint32_t i, uint32_t g)
{
	uint32_t step = gen_step(t, i), first = first_gen(t, i);
	g = (g + step) & HANDLE_GEN_MASK;
	if (!g)
		g = (g + step) & HANDLE_GEN_MASK;
	return g == first ? 0 : g;
}

static handle_t make_handle(uint32_t index, uint32_t gen)
{
	return ((handle_t)gen << HANDLE_INDEX_BITS) | index;
}

int handle_table_init(struct handle_table *t, uint32_t quota,
		      struct kobject *owner)
{
	memset(t, 0, sizeof(*t));
	t->quota = MIN(quota, HANDLE_MAX_SLOTS);
	t->owner = owner;
	t->live = !owner;
	t->seed = mix64(arch_cycles() ^ (uint64_t)(uintptr_t)t);
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

/* Lock held. Appends slot index i to the free list. */
static void push_free(struct handle_table *t, uint32_t i)
{
	t->slots[i].next_free = 0;
	if (t->free_tail)
		t->slots[t->free_tail - 1].next_free = (uint16_t)(i + 1);
	else
		t->free_head = i + 1;
	t->free_tail = i + 1;
}

static uint32_t pop_free(struct handle_table *t)
{
	uint32_t i = t->free_head - 1;
	t->free_head = t->slots[i].next_free;
	if (!t->free_head)
		t->free_tail = 0;
	return i;
}

/* Called with the lock held; may allocate (kmalloc does not sleep).
 * Retired slots stay in the array, so it may grow past the quota by
 * their number. */
static int grow(struct handle_table *t)
{
	uint32_t ncap = t->cap ? t->cap * 2 : INITIAL_SLOTS;
	ncap = MIN(ncap, MAX(t->quota + t->retired, 1u));
	ncap = MIN(ncap, HANDLE_MAX_SLOTS);
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
	kfree(t->slots);
	t->slots = n;
	for (uint32_t i = t->cap; i < ncap; i++) {
		n[i].gen = first_gen(t, i);
		push_free(t, i);
	}
	t->cap = ncap;
	return 0;
}

/* The slot for h if h is live, else NULL. Lock held. */
static struct handle_slot *lookup(struct handle_table *t, handle_t h)
{
	uint32_t index = h & (HANDLE_MAX_SLOTS - 1);
	uint32_t gen = h >> HANDLE_INDEX_BITS;
	if (index >= t->cap)
		return NULL;
	struct handle_slot *s = &t->slots[index];
	if (!s->obj || s->gen != gen)
		return NULL;
	return s;
}

/* The task o belongs to if it is a task or a thread, else NULL. */
static struct kobject *task_of(struct kobject *o)
{
	return o->ops->task_of ? o->ops->task_of(o) : NULL;
}

/* Does a handle to o in t keep o's task reachable? Not in the task's own
 * table, nor in the table of a task that never ran. Lock held. */
static struct kobject *outside_of(struct handle_table *t, struct kobject *o)
{
	struct kobject *own = task_of(o);
	return own && own != t->owner && t->live ? own : NULL;
}

static void outside_get(struct kobject *own)
{
	if (own)
		__atomic_fetch_add(&own->outside, 1, __ATOMIC_RELAXED);
}

/* Lock not held; the caller holds a reference keeping own alive. */
static void outside_put(struct kobject *own)
{
	if (own &&
	    __atomic_sub_fetch(&own->outside, 1, __ATOMIC_ACQ_REL) == 0 &&
	    own->ops->unreachable)
		own->ops->unreachable(own);
}

/* Lock held: sets aside one free slot (growing the table if needed). */
static int reserve_one(struct handle_table *t, uint32_t *index)
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
	*index = pop_free(t);
	t->used++;
	return 0;
}

/* Lock held: makes a reserved slot live. The reference and the counts
 * are taken here, under the lock, before anyone can see the handle. */
static void fill(struct handle_table *t, uint32_t index, struct kobject *o,
		 uint32_t rights)
{
	struct handle_slot *s = &t->slots[index];
	kobj_get(o);
	__atomic_fetch_add(&o->handles, 1, __ATOMIC_RELAXED);
	outside_get(outside_of(t, o));
	s->obj = o;
	s->rights = (uint16_t)(rights & RIGHTS_ALL);
}

/* Lock held: frees slot index (live or reserved) with its next
 * generation, or retires it when the generations ran out. */
static void free_slot(struct handle_table *t, uint32_t index)
{
	struct handle_slot *s = &t->slots[index];
	s->obj = NULL;
	s->rights = 0;
	s->gen = next_gen(t, index, s->gen);
	if (s->gen)
		push_free(t, index);
	else
		t->retired++;
	t->used--;
}

static int install(struct handle_table *t, struct kobject *o, uint32_t rights,
		   handle_t *out)
{
	uint32_t index;
	int err = reserve_one(t, &index);
	if (err)
		return err;
	fill(t, index, o, rights);
	*out = make_handle(index, t->slots[index].gen);
	return 0;
}

#define DROP_END ((struct kobject *)1)

/* The last handle of o is gone: run its hook. A hook may drop further
 * handles (a port's queue holds messages holding receive handles of
 * other ports, whose queues hold ...): the running thread then queues
 * those objects (with a reference) and works the queue after the hook,
 * so the kernel stack does not grow with the length of such a chain. */
static void last_handle(struct kobject *o)
{
	if (!o->ops->last_handle_closed)
		return;
	struct thread *me = thread_current();
	if (!me) { /* before the scheduler runs (and in host tests) */
		o->ops->last_handle_closed(o);
		return;
	}
	/* The queue and depth are touched with interrupts off: the scheduler
	 * can run a zombie's teardown on this thread's stack when it switches
	 * back in (sched_finish_switch), which may queue objects here too; a
	 * push or pop preempted half-way would lose one. */
	unsigned long f = arch_irq_save();
	if (me->drop_depth) {
		struct kobject *none = NULL;
		kobj_get(o);
		bool queued = __atomic_compare_exchange_n(
			&o->drop_next, &none,
			me->drop_queue ? me->drop_queue : DROP_END, false,
			__ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
		if (queued)
			me->drop_queue = o;
		arch_irq_restore(f);
		if (!queued)
			kobj_put(o); /* queued already: one hook will do */
		return;
	}
	me->drop_depth = 1;
	arch_irq_restore(f);
	o->ops->last_handle_closed(o);
	for (;;) {
		f = arch_irq_save();
		struct kobject *q = me->drop_queue;
		if (!q) {
			me->drop_depth = 0; /* with the last look, atomically */
			arch_irq_restore(f);
			return;
		}
		me->drop_queue = q->drop_next == DROP_END ? NULL : q->drop_next;
		__atomic_store_n(&q->drop_next, NULL, __ATOMIC_RELEASE);
		arch_irq_restore(f);
		q->ops->last_handle_closed(q);
		kobj_put(q); /* a destroy may queue more: still in the loop */
	}
}

/* A handle's entry is gone (lock not held): drop its count, tell the
 * object when it was the last, then drop its reference. */
static void drop(struct kobject *o, struct kobject *outside)
{
	if (__atomic_sub_fetch(&o->handles, 1, __ATOMIC_ACQ_REL) == 0)
		last_handle(o);
	outside_put(outside);
	kobj_put(o);
}

int handle_alloc(struct handle_table *t, struct kobject *o, uint32_t rights,
		 handle_t *out)
{
	unsigned long f = spin_lock_irqsave(&t->lock);
	int err = install(t, o, rights, out);
	spin_unlock_irqrestore(&t->lock, f);
	return err;
}

int handle_get(struct handle_table *t, handle_t h, uint32_t type, uint32_t need,
	       struct kobject **out, uint32_t *rights)
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
	struct kobject *o = NULL, *own = NULL;
	unsigned long f = spin_lock_irqsave(&t->lock);
	struct handle_slot *s = lookup(t, h);
	if (s) {
		o = s->obj;
		own = outside_of(t, o);
		free_slot(t, (uint32_t)(s - t->slots));
	}
	spin_unlock_irqrestore(&t->lock, f);
	if (!o)
		return ERR_BAD_HANDLE;
	drop(o, own);
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
		if (rights & ~(uint32_t)s->rights) {
			err = ERR_ACCESS_DENIED; /* can only keep or reduce */
		} else {
			/* install() may grow and move the slot array. */
			err = install(t, s->obj, rights, out);
		}
	}
	spin_unlock_irqrestore(&t->lock, f);
	return err;
}

uint32_t handle_count(struct handle_table *t)
{
	return READ_ONCE(t->used);
}

int handle_reserve(struct handle_table *t, uint32_t n, handle_t *hv)
{
	int err = 0;
	uint32_t idx[HANDLE_TXN_MAX], i;
	if (n > HANDLE_TXN_MAX)
		return ERR_INVALID_ARGS;
	unsigned long f = spin_lock_irqsave(&t->lock);
	for (i = 0; i < n && !err; i += !err)
		err = reserve_one(t, &idx[i]);
	if (err) /* all or nothing */
		while (i--)
			free_slot(t, idx[i]);
	else
		for (i = 0; i < n; i++)
			hv[i] = make_handle(idx[i], t->slots[idx[i]].gen);
	spin_unlock_irqrestore(&t->lock, f);
	return err;
}

/* Lock held: the reserved slot behind value h (reserved slots have no
 * object and the generation of the value given out). */
static uint32_t reserved_index(struct handle_table *t, handle_t h)
{
	uint32_t index = h & (HANDLE_MAX_SLOTS - 1);
	BUG_ON(index >= t->cap || t->slots[index].obj ||
	       t->slots[index].gen != h >> HANDLE_INDEX_BITS);
	return index;
}

int handle_commit(struct handle_table *t, uint32_t n, const handle_t *hv,
		  struct kobject *const *objs, const uint32_t *rights)
{
	int err = 0;
	unsigned long f = spin_lock_irqsave(&t->lock);
	if (t->closed)
		err = ERR_BAD_STATE; /* destroy already dropped the slots */
	else
		for (uint32_t i = 0; i < n; i++)
			fill(t, reserved_index(t, hv[i]), objs[i], rights[i]);
	spin_unlock_irqrestore(&t->lock, f);
	return err;
}

void handle_cancel(struct handle_table *t, uint32_t n, const handle_t *hv)
{
	unsigned long f = spin_lock_irqsave(&t->lock);
	if (!t->closed)
		for (uint32_t i = 0; i < n; i++)
			free_slot(t, reserved_index(t, hv[i]));
	spin_unlock_irqrestore(&t->lock, f);
}

int handle_take_many(struct handle_table *t, uint32_t n, const handle_t *hv,
		     uint32_t need, struct kobject *const *expect,
		     struct kobject **objs, uint32_t *rights)
{
	int err = 0;
	if (!n)
		return 0; /* most messages carry none: no lock */
	unsigned long f = spin_lock_irqsave(&t->lock);
	for (uint32_t i = 0; i < n && !err; i++) {
		struct handle_slot *s = lookup(t, hv[i]);
		if (!s || (expect && s->obj != expect[i]))
			err = ERR_BAD_HANDLE;
		else if ((s->rights & need) != need)
			err = ERR_ACCESS_DENIED;
		for (uint32_t j = 0; j < i && !err; j++)
			if (hv[j] == hv[i])
				err = ERR_INVALID_ARGS;
	}
	for (uint32_t i = 0; i < n && !err; i++) {
		struct handle_slot *s = lookup(t, hv[i]);
		objs[i] = s->obj;
		rights[i] = s->rights;
		/* The reference and the handle count travel with it; in
		 * transit a handle always keeps its task reachable. */
		if (task_of(s->obj) && !outside_of(t, s->obj))
			outside_get(task_of(s->obj));
		free_slot(t, hv[i] & (HANDLE_MAX_SLOTS - 1));
	}
	spin_unlock_irqrestore(&t->lock, f);
	return err;
}

void handle_transit_done(struct kobject *o)
{
	/* Installed elsewhere (that entry took its own count and reference)
	 * or dropped: either way the travelling count goes, and when it was
	 * the last (a racing close of the new entry) the object is told. */
	drop(o, task_of(o));
}

void handle_abandon(struct kobject *o)
{
	if (READ_ONCE(o->handles) == 0)
		last_handle(o);
	kobj_put(o);
}

void handle_table_go_live(struct handle_table *t)
{
	unsigned long f = spin_lock_irqsave(&t->lock);
	if (!t->live && !t->closed) {
		t->live = true;
		for (uint32_t i = 0; i < t->cap; i++)
			if (t->slots[i].obj)
				outside_get(outside_of(t, t->slots[i].obj));
	}
	spin_unlock_irqrestore(&t->lock, f);
}

void handle_table_destroy(struct handle_table *t)
{
	/* One slot per lock hold: drop() may run destructors that take
	 * other locks. Closing first means the table cannot grow under us
	 * (a handle given to a dying task is refused) and reservations
	 * cannot be committed. */
	unsigned long fl = spin_lock_irqsave(&t->lock);
	t->closed = true;
	spin_unlock_irqrestore(&t->lock, fl);
	for (uint32_t i = 0; i < t->cap; i++) {
		struct kobject *o = NULL, *own = NULL;
		unsigned long f = spin_lock_irqsave(&t->lock);
		if (t->slots[i].obj) {
			o = t->slots[i].obj;
			own = outside_of(t, o);
			free_slot(t, i);
		}
		spin_unlock_irqrestore(&t->lock, f);
		if (o)
			drop(o, own);
	}
	fl = spin_lock_irqsave(&t->lock);
	struct handle_slot *slots = t->slots;
	account_uncharge(t->acct, array_charge(t->cap));
	t->slots = NULL;
	t->cap = 0;
	t->free_head = t->free_tail = 0;
	spin_unlock_irqrestore(&t->lock, fl);
	kfree(slots);
}
