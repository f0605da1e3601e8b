/* Kernel objects: reference-counted, typed, reachable from user space only
 * through handles (kern/handle.h). The last kobj_put() runs the type's
 * destroy(). */
#pragma once
#include <execrt/types.h>
#include <kern/account.h>
#include <kern/types.h>

struct kobject;

struct kobj_ops {
	const char *name;
	/* Called once, when the last reference is dropped. Must free the
	 * object's memory (it owns the allocation). */
	void (*destroy)(struct kobject *o);
	/* Called when the last *handle* to the object is closed (optional):
	 * e.g. a port with no send handles left tells its receiver. */
	void (*last_handle_closed)(struct kobject *o);
	/* Tasks and threads (optional): the task the object belongs to.
	 * Handles to a task or its threads held in that task's own table
	 * are not "outside" handles; every other one is, including those
	 * in transit in a message. */
	struct kobject *(*task_of)(struct kobject *o);
	/* On a task (optional): its last outside handle is gone. A task that
	 * never ran can then never be started: it ends (kern/task.h). */
	void (*unreachable)(struct kobject *task);
};

struct kobject {
	uint32_t type;      /* enum obj_type */
	uint32_t refcount;  /* references: handles + kernel pointers */
	uint32_t handles;   /* handle-table entries pointing here + in transit */
	uint32_t outside;   /* tasks: outside handles to it or its threads */
	struct kobject *drop_next; /* queued for its last-handle hook */
	uint64_t koid;      /* unique id, never reused */
	const struct kobj_ops *ops;
	/* What the object's memory is charged to (kern/account.h): returned
	 * by kobj_put after destroy(), so an object keeps its creator's
	 * account (and quota) alive exactly as long as it lives. */
	struct charge charge;
};

void kobj_init(struct kobject *o, uint32_t type, const struct kobj_ops *ops);
/* kobj_init that also takes over c (from charge_take; zeroed after). */
void kobj_init_charged(struct kobject *o, uint32_t type,
		       const struct kobj_ops *ops, struct charge *c);
/* charge_take of what kmalloc(alloc) takes, to the calling task (none in
 * kernel threads): every creation path charges before it allocates. */
int kobj_precharge(struct charge *c, size_t alloc);
/* Inline: about twenty per IPC round trip. The rare cases (the last
 * reference, a dead object's resurrection) are out of line. */
void kobj_get_dead(struct kobject *o);
void kobj_put_slow(struct kobject *o, uint32_t old);
static inline void kobj_get(struct kobject *o)
{
	uint32_t old = __atomic_fetch_add(&o->refcount, 1, __ATOMIC_RELAXED);
	if (__builtin_expect(old == 0, 0))
		kobj_get_dead(o);
}
static inline void kobj_put(struct kobject *o)
{
	uint32_t old = __atomic_fetch_sub(&o->refcount, 1, __ATOMIC_ACQ_REL);
	if (__builtin_expect(old <= 1, 0))
		kobj_put_slow(o, old);
}
/* kobj_get() unless the last reference is already gone (the object is
 * being destroyed): false then. The caller must know the memory is still
 * there (e.g. by a lock its destroy path takes). */
bool kobj_tryget(struct kobject *o);
/* Drops a reference; true when it was the last: then the caller destroys
 * o itself (and returns o->charge after), as kobj_put would. For chains
 * of objects that must not be destroyed recursively. */
bool kobj_put_last(struct kobject *o);
/* Number of live kernel objects of all types (leak checks). */
uint64_t kobj_live_count(void);
