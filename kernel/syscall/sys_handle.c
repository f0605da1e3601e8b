/* Handle calls: close, duplicate, inspect, and give to another task. */
#include <kern/handle.h>
#include <kern/lib.h>
#include <kern/port.h>
#include <kern/syscall.h>
#include <kern/task.h>
#include <kern/uaccess.h>

/* REPLY_IMPLICIT (docs/ipc.md "Implicit reply"): closing it ends the
 * thread's current call unanswered; duplicating it moves the call into an
 * ordinary reply handle. */
SYSCALL1(sys_handle_close, HANDLE, h)
{
	if (h == REPLY_IMPLICIT)
		return ipc_implicit_close();
	return handle_close(&cur_task()->handles, h);
}

SYSCALL3(sys_handle_dup, HANDLE, h, RIGHTS, rights, UPTR, out)
{
	handle_t nh;
	if (!user_range_ok(out, sizeof(nh)))
		return ERR_FAULT;
	struct handle_table *t = &cur_task()->handles;
	int err = h == REPLY_IMPLICIT ? ipc_implicit_to_handle(rights, &nh)
				      : handle_dup(t, h, rights, &nh);
	if (err)
		return err;
	if (copy_to_user((void *)out, &nh, sizeof(nh))) {
		handle_close(t, nh);
		return ERR_FAULT;
	}
	return 0;
}

SYSCALL2(sys_handle_info, HANDLE, h, UPTR, out)
{
	if (!user_range_ok(out, sizeof(struct handle_info)))
		return ERR_FAULT;
	struct kobject *o;
	uint32_t rights;
	int err = cap_get(h, OBJ_NONE, 0, &o, &rights);
	if (err)
		return err;
	struct handle_info info = {o->type, rights, o->koid};
	kobj_put(o);
	return copy_to_user((void *)out, &info, sizeof(info));
}

/* Moves h into the task's table. Every check, the receiver's quota and
 * the out pointer (the new value is known once its slot is reserved) come
 * first; then the handle leaves this table and enters the other, so a
 * refused move leaves both tables as they were. A task may be given a
 * handle to itself or to its threads (that is how a child learns its own
 * handles): such handles do not keep a task that never ran alive
 * (kern/object.h, "outside" handles). */
SYSCALL4(sys_task_give_handle, HANDLE, task_h, HANDLE, h, RIGHTS, rights, UPTR,
	 out)
{
	if (!user_range_ok(out, sizeof(handle_t)))
		return ERR_FAULT;
	struct task *dst;
	int err = get_task(task_h, RIGHT_MANAGE, &dst);
	if (err)
		return err;
	struct handle_table *mine = &cur_task()->handles;
	struct kobject *o, *moved;
	uint32_t held, mr;
	err = cap_get(h, OBJ_NONE, RIGHT_TRANSFER, &o, &held);
	if (err)
		goto out_task;
	if (rights == RIGHT_SAME)
		rights = held;
	handle_t nh;
	if (rights & ~held)
		err = ERR_ACCESS_DENIED; /* rights only shrink */
	else
		err = handle_reserve(&dst->handles, 1, &nh);
	if (err)
		goto out_obj;
	if (copy_to_user((void *)out, &nh, sizeof(nh)))
		err = ERR_FAULT;
	else /* another thread may have closed h meanwhile */
		err = handle_take_many(mine, 1, &h, RIGHT_TRANSFER, &o, &moved,
				       &mr);
	if (err) {
		handle_cancel(&dst->handles, 1, &nh);
		goto out_obj;
	}
	/* Fails only if the receiver died meanwhile: then the handle goes
	 * with it, as if it had been moved just before. */
	handle_commit(&dst->handles, 1, &nh, &moved, &rights);
	handle_transit_done(moved);
out_obj:
	kobj_put(o);
out_task:
	kobj_put(&dst->obj);
	return err;
}
