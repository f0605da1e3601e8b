/* Thread calls: create, start, exit, TLS. */
#include <kern/arch.h>
#include <kern/lib.h>
#include <kern/syscall.h>
#include <kern/task.h>
#include <kern/thread.h>
#include <kern/uaccess.h>

SYSCALL4(sys_thread_create, HANDLE, task_h, UPTR, name, U64, name_len, UPTR,
	 out)
{
	char kname[THREAD_NAME_MAX];
	if (name_len >= sizeof(kname))
		return ERR_INVALID_ARGS;
	if (!user_range_ok(name, name_len) ||
	    !user_range_ok(out, sizeof(handle_t)))
		return ERR_FAULT;
	if (copy_from_user(kname, (const void *)name, name_len))
		return ERR_FAULT;
	kname[name_len] = 0;
	struct task *task;
	int err = get_task(task_h, RIGHT_MANAGE, &task);
	if (err)
		return err;
	struct new_handle nh;
	err = newh_reserve(&nh, out);
	if (err) {
		kobj_put(&task->obj);
		return err;
	}
	struct thread *t;
	err = thread_create_user(task, kname, &t);
	kobj_put(&task->obj);
	if (err) {
		newh_cancel(&nh);
		return err;
	}
	err = newh_commit(&nh, &t->obj, RIGHTS_THREAD);
	kobj_put(&t->obj);
	return err;
}

SYSCALL4(sys_thread_start, HANDLE, thread_h, UPTR, entry, UPTR, stack_top, U64,
	 arg)
{
	struct thread *t;
	int err = get_thread(thread_h, RIGHT_MANAGE, &t);
	if (err)
		return err;
	err = thread_start_user(t, entry, stack_top, arg);
	kobj_put(&t->obj);
	return err;
}

SYSCALL1(sys_thread_exit, I64, status)
{
	thread_exit(status);
}

/* fs_base: must be a user address (or 0) */
SYSCALL1(sys_thread_set_tls, UPTR, fs_base)
{
	if (fs_base && !user_range_ok(fs_base, 1))
		return ERR_INVALID_ARGS;
	arch_thread_set_tls(thread_current(), fs_base);
	return 0;
}
