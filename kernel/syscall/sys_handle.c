/* Handle calls: close, duplicate, inspect, and give to another task. */
#include <kern/handle.h>
#include <kern/lib.h>
#include <kern/syscall.h>
#include <kern/task.h>
#include <kern/uaccess.h>

SYSCALL(sys_handle_close)
{
	return handle_close(&cur_task()->handles, (handle_t)a0);
}

/* h, rights, handle_t *out */
SYSCALL(sys_handle_dup)
{
	if (a1 != RIGHT_SAME && (a1 & ~(uint64_t)RIGHTS_ALL))
		return ERR_INVALID_ARGS;
	handle_t h;
	if (!user_range_ok(a2, sizeof(h)))
		return ERR_FAULT;
	struct handle_table *t = &cur_task()->handles;
	int err = handle_dup(t, (handle_t)a0, (uint32_t)a1, &h);
	if (err)
		return err;
	if (copy_to_user((void *)a2, &h, sizeof(h))) {
		handle_close(t, h);
		return ERR_FAULT;
	}
	return 0;
}

/* h, struct handle_info *out */
SYSCALL(sys_handle_info)
{
	if (!user_range_ok(a1, sizeof(struct handle_info)))
		return ERR_FAULT;
	struct kobject *o;
	uint32_t rights;
	int err = handle_get(&cur_task()->handles, (handle_t)a0, OBJ_NONE, 0, &o,
			     &rights);
	if (err)
		return err;
	struct handle_info info = {o->type, rights, o->koid};
	kobj_put(o);
	return copy_to_user((void *)a1, &info, sizeof(info));
}

/* task_h, h, rights, handle_t *out: moves h into the task's table. The
 * new handle is installed first and the old one closed after, so a failure
 * (quota, bad rights) leaves the caller's handle as it was. */
SYSCALL(sys_task_give_handle)
{
	if (a2 != RIGHT_SAME && (a2 & ~(uint64_t)RIGHTS_ALL))
		return ERR_INVALID_ARGS;
	handle_t nh;
	if (!user_range_ok(a3, sizeof(nh)))
		return ERR_FAULT;
	struct kobject *to;
	int err = cur_get((handle_t)a0, OBJ_TASK, RIGHT_MANAGE, &to);
	if (err)
		return err;
	struct task *dst = container_of(to, struct task, obj);
	struct handle_table *mine = &cur_task()->handles;
	struct kobject *o;
	uint32_t rights;
	err = handle_get(mine, (handle_t)a1, OBJ_NONE, RIGHT_TRANSFER, &o,
			 &rights);
	if (err)
		goto out_task;
	if (a2 != RIGHT_SAME && (a2 & ~(uint64_t)rights)) {
		err = ERR_ACCESS_DENIED; /* rights only shrink */
		goto out_obj;
	}
	err = handle_alloc(&dst->handles,
			   o, a2 == RIGHT_SAME ? rights : (uint32_t)a2, &nh);
	if (err)
		goto out_obj;
	if (handle_close(mine, (handle_t)a1)) {
		/* Another thread closed it meanwhile: nothing to move. */
		handle_close(&dst->handles, nh);
		err = ERR_BAD_HANDLE;
		goto out_obj;
	}
	/* The handle now lives in the other task; a bad out pointer does
	 * not undo the move (the value is lost to the caller). */
	err = copy_to_user((void *)a3, &nh, sizeof(nh));
out_obj:
	kobj_put(o);
out_task:
	kobj_put(to);
	return err;
}
