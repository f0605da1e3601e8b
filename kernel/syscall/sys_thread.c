/* Thread calls: create, start, exit, TLS. */
#include <kern/arch.h>
#include <kern/lib.h>
#include <kern/syscall.h>
#include <kern/task.h>
#include <kern/thread.h>
#include <kern/uaccess.h>

static int get_thread(uint64_t h, uint32_t rights, struct thread **out)
{
	struct kobject *o;
	int err = cur_get((handle_t)h, OBJ_THREAD, rights, &o);
	if (!err)
		*out = container_of(o, struct thread, obj);
	return err;
}

/* task_h, name, name_len, handle_t *out */
SYSCALL(sys_thread_create)
{
	char name[THREAD_NAME_MAX];
	if (a2 >= sizeof(name))
		return ERR_INVALID_ARGS;
	if (!user_range_ok(a1, a2) || !user_range_ok(a3, sizeof(handle_t)))
		return ERR_FAULT;
	if (copy_from_user(name, (const void *)a1, a2))
		return ERR_FAULT;
	name[a2] = 0;
	struct kobject *o;
	int err = cur_get((handle_t)a0, OBJ_TASK, RIGHT_MANAGE, &o);
	if (err)
		return err;
	struct thread *t;
	err = thread_create_user(container_of(o, struct task, obj), name, &t);
	kobj_put(o);
	if (err)
		return err;
	err = cur_install(&t->obj, RIGHTS_THREAD, a3);
	kobj_put(&t->obj);
	return err;
}

/* thread_h, entry, stack_top, arg */
SYSCALL(sys_thread_start)
{
	struct thread *t;
	int err = get_thread(a0, RIGHT_MANAGE, &t);
	if (err)
		return err;
	err = thread_start_user(t, a1, a2, a3);
	kobj_put(&t->obj);
	return err;
}

SYSCALL(sys_thread_exit)
{
	thread_exit((int64_t)a0);
}

/* fs_base: must be a user address (or 0) */
SYSCALL(sys_thread_set_tls)
{
	if (a0 && !user_range_ok(a0, 1))
		return ERR_INVALID_ARGS;
	arch_thread_set_tls(thread_current(), a0);
	return 0;
}
