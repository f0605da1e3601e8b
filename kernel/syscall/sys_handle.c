/* Handle calls: close, duplicate, inspect, and give to another task. */
#include <kern/handle.h>
#include <kern/lib.h>
#include <kern/syscall.h>
#include <kern/task.h>
#include <kern/uaccess.h>

SYSCALL1(sys_handle_close, HANDLE, h)
{
	return handle_close(&cur_task()->handles, h);
}

SYSCALL3(sys_handle_dup, HANDLE, h, RIGHTS, rights, UPTR, out)
{
	handle_t nh;
	if (!user_range_ok(out, sizeof(nh)))
		return ERR_FAULT;
	struct handle_table *t = &cur_task()->handles;
	int err = handle_dup(t, h, rights, &nh);
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

/* Moves h into the task's table. The new handle is installed first and
 * the old one closed after, so a failure (quota, bad rights) leaves the
 * caller's handle as it was. */
SYSCALL4(sys_task_give_handle, HANDLE, task_h, HANDLE, h, RIGHTS, rights, UPTR,
	 out)
{
	handle_t nh;
	if (!user_range_ok(out, sizeof(nh)))
		return ERR_FAULT;
	struct task *dst;
	int err = get_task(task_h, RIGHT_MANAGE, &dst);
	if (err)
		return err;
	struct handle_table *mine = &cur_task()->handles;
	struct kobject *o;
	uint32_t held;
	err = cap_get(h, OBJ_NONE, RIGHT_TRANSFER, &o, &held);
	if (err)
		goto out_task;
	if (rights != RIGHT_SAME && (rights & ~held)) {
		err = ERR_ACCESS_DENIED; /* rights only shrink */
		goto out_obj;
	}
	err = handle_alloc(&dst->handles, o,
			   rights == RIGHT_SAME ? held : rights, &nh);
	if (err)
		goto out_obj;
	if (handle_close(mine, h)) {
		/* Another thread closed it meanwhile: nothing to move. */
		handle_close(&dst->handles, nh);
		err = ERR_BAD_HANDLE;
		goto out_obj;
	}
	/* The handle now lives in the other task; a bad out pointer does
	 * not undo the move (the value is lost to the caller). */
	err = copy_to_user((void *)out, &nh, sizeof(nh));
out_obj:
	kobj_put(o);
out_task:
	kobj_put(&dst->obj);
	return err;
}
