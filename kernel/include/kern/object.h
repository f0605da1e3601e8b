/* Kernel objects: reference-counted, typed, reachable from user space only
 * through handles (kern/handle.h). The last kobj_put() runs the type's
 * destroy(). */
#pragma once
#include <execrt/types.h>
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
};

void kobj_init(struct kobject *o, uint32_t type, const struct kobj_ops *ops);
void kobj_get(struct kobject *o);
void kobj_put(struct kobject *o);
/* kobj_get() unless the last reference is already gone (the object is
 * being destroyed): false then. The caller must know the memory is still
 * there (e.g. by a lock its destroy path takes). */
bool kobj_tryget(struct kobject *o);
/* Number of live kernel objects of all types (leak checks). */
uint64_t kobj_live_count(void);
