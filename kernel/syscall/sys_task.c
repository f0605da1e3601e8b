/* Task calls: create, kill, exit, wait, and fault handling. */
#include <kern/account.h>
#include <kern/endnotify.h>
#include <kern/lib.h>
#include <kern/notification.h>
#include <kern/syscall.h>
#include <kern/task.h>
#include <kern/thread.h>
#include <kern/uaccess.h>

SYSCALL5(sys_task_create, HANDLE, parent_h, UPTR, name, U64, name_len, U64,
	 mem_quota, UPTR, out)
{
	char kname[TASK_NAME_MAX];
	if (name_len >= sizeof(kname))
		return ERR_INVALID_ARGS;
	if (!user_range_ok(name, name_len) ||
	    !user_range_ok(out, sizeof(handle_t)))
		return ERR_FAULT;
	if (copy_from_user(kname, (const void *)name, name_len))
		return ERR_FAULT;
	kname[name_len] = 0;
	struct task *parent, *t;
	int err = get_task(parent_h, RIGHT_MANAGE, &parent);
	if (err)
		return err;
	struct new_handle nh;
	err = newh_reserve(&nh, out);
	if (err) {
		kobj_put(&parent->obj);
		return err;
	}
	err = task_create(parent, kname, mem_quota, &t);
	kobj_put(&parent->obj);
	if (err) {
		newh_cancel(&nh);
		return err;
	}
	err = newh_commit(&nh, &t->obj, RIGHTS_TASK);
	kobj_put(&t->obj); /* on failure this tears the new task down */
	return err;
}

SYSCALL2(sys_task_kill, HANDLE, task_h, I64, status)
{
	struct task *t;
	int err = get_task(task_h, RIGHT_MANAGE, &t);
	if (err)
		return err;
	task_kill(t, status);
	kobj_put(&t->obj);
	return 0;
}

/* Ends the whole calling task. */
SYSCALL1(sys_task_exit, I64, status)
{
	task_kill(cur_task(), status);
	thread_exit(status);
}

/* A thread's or task's end. status_out may be 0. */
SYSCALL3(sys_object_wait, HANDLE, h, DEADLINE, deadline, UPTR, status_out)
{
	if (status_out && !user_range_ok(status_out, sizeof(int64_t)))
		return ERR_FAULT;
	struct kobject *o;
	int err = cap_get(h, OBJ_NONE, RIGHT_WAIT, &o, NULL);
	if (err)
		return err;
	int64_t status = 0;
	if (o->type == OBJ_TASK)
		err = task_wait(container_of(o, struct task, obj), deadline,
				&status);
	else if (o->type == OBJ_THREAD)
		err = thread_wait(container_of(o, struct thread, obj), deadline,
				  &status);
	else
		err = ERR_WRONG_TYPE;
	kobj_put(o);
	if (!err && status_out)
		err = copy_to_user((void *)status_out, &status, sizeof(status));
	return err;
}

SYSCALL2(sys_task_set_fault_handler, HANDLE, task_h, BOOL, enable)
{
	struct task *t;
	int err = get_task(task_h, RIGHT_MANAGE, &t);
	if (err)
		return err;
	unsigned long f = spin_lock_irqsave(&t->fault_wq.lock);
	t->fault_handling = enable;
	spin_unlock_irqrestore(&t->fault_wq.lock, f);
	kobj_put(&t->obj);
	return 0;
}

SYSCALL3(sys_fault_wait, HANDLE, task_h, DEADLINE, deadline, UPTR, out)
{
	if (!user_range_ok(out, sizeof(struct fault_report)))
		return ERR_FAULT;
	struct task *t;
	int err = get_task(task_h, RIGHT_MANAGE, &t);
	if (err)
		return err;
	struct fault_report r;
	err = task_fault_wait(t, deadline, &r);
	if (!err && copy_to_user((void *)out, &r, sizeof(r))) {
		/* The report stays delivered: resume or kill still work. */
		err = ERR_FAULT;
	}
	kobj_put(&t->obj);
	return err;
}

SYSCALL2(sys_fault_resume, HANDLE, task_h, U64, thread_koid)
{
	struct task *t;
	int err = get_task(task_h, RIGHT_MANAGE, &t);
	if (err)
		return err;
	err = task_fault_resume(t, thread_koid);
	kobj_put(&t->obj);
	return err;
}

/* bits 0: remove the notification's registration */
SYSCALL3(sys_object_notify, HANDLE, h, HANDLE, notif_h, U64, bits)
{
	struct kobject *o;
	uint32_t held;
	int err = cap_get(h, OBJ_NONE, 0, &o, &held);
	if (err)
		return err;
	if (o->type != OBJ_TASK && o->type != OBJ_THREAD)
		err = ERR_WRONG_TYPE;
	else if (!(held & RIGHT_WAIT))
		err = ERR_ACCESS_DENIED;
	struct notification *n = NULL;
	if (!err)
		err = get_notif(notif_h, RIGHT_SIGNAL, &n);
	if (!err) {
		err = object_notify(o, n, bits);
		kobj_put(&n->obj);
	}
	kobj_put(o);
	return err;
}

/* A quota loan (kern/account.h): both handles decoded before any change. */
SYSCALL3(sys_task_quota_lend, HANDLE, lender_h, HANDLE, task_h, U64, bytes)
{
	struct task *lender, *t;
	int err = get_task(lender_h, RIGHT_MANAGE, &lender);
	if (err)
		return err;
	err = get_task(task_h, RIGHT_MANAGE, &t);
	if (err) {
		kobj_put(&lender->obj);
		return err;
	}
	if (__atomic_load_n(&lender->dying, __ATOMIC_RELAXED) ||
	    __atomic_load_n(&t->dying, __ATOMIC_RELAXED))
		err = ERR_BAD_STATE;
	else
		err = account_lend(lender->acct, t->acct, bytes);
	kobj_put(&t->obj);
	kobj_put(&lender->obj);
	return err;
}
