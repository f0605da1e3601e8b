/* Notification calls: create, signal, wait (kern/notification.h). */
#include <kern/notification.h>
#include <kern/syscall.h>
#include <kern/uaccess.h>

/* handle_t *out */
SYSCALL(sys_notif_create)
{
	if (!user_range_ok(a0, sizeof(handle_t)))
		return ERR_FAULT;
	struct notification *n;
	int err = notification_create(&n);
	if (err)
		return err;
	err = cur_install(&n->obj, RIGHTS_NOTIF, a0);
	kobj_put(&n->obj); /* the handle holds it (or nothing does) */
	return err;
}

/* notif_h, bits (!= 0) */
SYSCALL(sys_notif_signal)
{
	if (!a1)
		return ERR_INVALID_ARGS;
	struct notification *n;
	int err = notification_get((handle_t)a0, RIGHT_SIGNAL, &n);
	if (err)
		return err;
	notification_signal(n, a1);
	kobj_put(&n->obj);
	return 0;
}

/* notif_h, mask (!= 0), deadline_ns, uint64_t *bits_out */
SYSCALL(sys_notif_wait)
{
	if (!a1)
		return ERR_INVALID_ARGS;
	if (!user_range_ok(a3, sizeof(uint64_t)))
		return ERR_FAULT;
	struct notification *n;
	int err = notification_get((handle_t)a0, RIGHT_WAIT, &n);
	if (err)
		return err;
	uint64_t bits = 0;
	err = notification_wait(n, a1, a2, &bits);
	if (!err && copy_to_user((void *)a3, &bits, sizeof(bits))) {
		/* Nowhere to put them: the bits stay pending. */
		notification_signal(n, bits);
		err = ERR_FAULT;
	}
	kobj_put(&n->obj);
	return err;
}
