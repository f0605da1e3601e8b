/* The typed capability getters (kern/cap.h), generated from one macro.
 * struct reply is private to kernel/ipc/reply.c, which defines its own
 * getter with the same macro. */
#include <kern/cap.h>
#include <kern/grant.h>
#include <kern/handle.h>
#include <kern/irq.h>
#include <kern/lib.h>
#include <kern/notification.h>
#include <kern/port.h>
#include <kern/resource.h>
#include <kern/sched_auth.h>
#include <kern/syscall.h>
#include <kern/task.h>
#include <kern/thread.h>
#include <kern/vmo.h>

int cap_get(handle_t h, uint32_t type, uint32_t need, struct kobject **out,
	    uint32_t *held)
{
	return handle_get(&cur_task()->handles, h, type, need, out, held);
}

CAP_GETTER(task, struct task, OBJ_TASK)
CAP_GETTER(thread, struct thread, OBJ_THREAD)
CAP_GETTER(vmo, struct vmo, OBJ_VMO)
CAP_GETTER(port, struct port, OBJ_PORT)
CAP_GETTER(port_send, struct port_send, OBJ_PORT_SEND)
CAP_GETTER(notif, struct notification, OBJ_NOTIFICATION)
CAP_GETTER(grant, struct grant, OBJ_GRANT)
CAP_GETTER(irq, struct irq, OBJ_IRQ)
CAP_GETTER(sched_auth, struct sched_auth, OBJ_SCHED_AUTH)

int get_resource(handle_t h, uint32_t kind, uint32_t need,
		 struct resource **out)
{
	return get_resource_rights(h, kind, need, out, NULL);
}

int get_resource_rights(handle_t h, uint32_t kind, uint32_t need,
			struct resource **out, uint32_t *held_out)
{
	/* The kind is part of the type: checked before the rights. */
	struct kobject *o;
	uint32_t held;
	int err = cap_get(h, OBJ_RESOURCE, 0, &o, &held);
	if (err)
		return err;
	struct resource *r = container_of(o, struct resource, obj);
	if (r->kind != kind)
		err = ERR_WRONG_TYPE;
	else if ((held & need) != need)
		err = ERR_ACCESS_DENIED;
	if (err) {
		kobj_put(o);
		return err;
	}
	*out = r;
	if (held_out)
		*held_out = held;
	return 0;
}
