/* Task calls: create, kill, exit, wait, and fault handling. */
#include <kern/lib.h>
#include <kern/syscall.h>
#include <kern/task.h>
#include <kern/thread.h>
#include <kern/uaccess.h>

static int get_task(uint64_t h, uint32_t rights, struct task **out)
{
	struct kobject *o;
	int err = cur_get((handle_t)h, OBJ_TASK, rights, &o);
	if (!err)
		*out = container_of(o, struct task, obj);
	return err;
}

/* parent_h, name, name_len, mem_quota, handle_t *out */
SYSCALL(sys_task_create)
{
	char name[TASK_NAME_MAX];
	if (a2 >= sizeof(name))
		return ERR_INVALID_ARGS;
	if (!user_range_ok(a1, a2) || !user_range_ok(a4, sizeof(handle_t)))
		return ERR_FAULT;
	if (copy_from_user(name, (const void *)a1, a2))
		return ERR_FAULT;
	name[a2] = 0;
	struct task *parent, *t;
	int err = get_task(a0, RIGHT_MANAGE, &parent);
	if (err)
		return err;
	err = task_create(parent, name, a3, &t);
	kobj_put(&parent->obj);
	if (err)
		return err;
	err = cur_install(&t->obj, RIGHTS_TASK, a4);
	kobj_put(&t->obj); /* on failure this tears the new task down */
	return err;
}

/* task_h, status */
SYSCALL(sys_task_kill)
{
	struct task *t;
	int err = get_task(a0, RIGHT_MANAGE, &t);
	if (err)
		return err;
	task_kill(t, (int64_t)a1);
	kobj_put(&t->obj);
	return 0;
}

/* status: ends the whole calling task */
SYSCALL(sys_task_exit)
{
	task_kill(cur_task(), (int64_t)a0);
	thread_exit((int64_t)a0);
}

/* h, deadline, int64_t *status: a thread's or task's end */
SYSCALL(sys_object_wait)
{
	if (a2 && !user_range_ok(a2, sizeof(int64_t)))
		return ERR_FAULT;
	struct kobject *o;
	int err = cur_get((handle_t)a0, OBJ_NONE, RIGHT_WAIT, &o);
	if (err)
		return err;
	int64_t status = 0;
	if (o->type == OBJ_TASK)
		err = task_wait(container_of(o, struct task, obj), a1, &status);
	else if (o->type == OBJ_THREAD)
		err = thread_wait(container_of(o, struct thread, obj), a1,
				  &status);
	else
		err = ERR_WRONG_TYPE;
	kobj_put(o);
	if (!err && a2)
		err = copy_to_user((void *)a2, &status, sizeof(status));
	return err;
}

/* task_h, enable */
SYSCALL(sys_task_set_fault_handler)
{
	if (a1 > 1)
		return ERR_INVALID_ARGS;
	struct task *t;
	int err = get_task(a0, RIGHT_MANAGE, &t);
	if (err)
		return err;
	unsigned long f = spin_lock_irqsave(&t->fault_wq.lock);
	t->fault_handling = a1;
	spin_unlock_irqrestore(&t->fault_wq.lock, f);
	kobj_put(&t->obj);
	return 0;
}

/* task_h, deadline, struct fault_report *out */
SYSCALL(sys_fault_wait)
{
	if (!user_range_ok(a2, sizeof(struct fault_report)))
		return ERR_FAULT;
	struct task *t;
	int err = get_task(a0, RIGHT_MANAGE, &t);
	if (err)
		return err;
	struct fault_report r;
	err = task_fault_wait(t, a1, &r);
	if (!err && copy_to_user((void *)a2, &r, sizeof(r))) {
		/* The report stays delivered: resume or kill still work. */
		err = ERR_FAULT;
	}
	kobj_put(&t->obj);
	return err;
}

/* task_h, thread_koid */
SYSCALL(sys_fault_resume)
{
	struct task *t;
	int err = get_task(a0, RIGHT_MANAGE, &t);
	if (err)
		return err;
	err = task_fault_resume(t, a1);
	kobj_put(&t->obj);
	return err;
}
