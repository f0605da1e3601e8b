/* Notification calls: create, signal, wait (kern/notification.h). */
#include <kern/notification.h>
#include <kern/syscall.h>
#include <kern/uaccess.h>

SYSCALL1(sys_notif_create, UPTR, out)
{
	struct new_handle nh;
	int err = newh_reserve(&nh, out);
	if (err)
		return err;
	struct notification *n;
	err = notification_create(&n);
	if (err) {
		newh_cancel(&nh);
		return err;
	}
	err = newh_commit(&nh, &n->obj, RIGHTS_NOTIF);
	kobj_put(&n->obj); /* the handle holds it (or nothing does) */
	return err;
}

/* bits != 0 */
SYSCALL2(sys_notif_signal, HANDLE, notif_h, U64, bits)
{
	if (!bits)
		return ERR_INVALID_ARGS;
	struct notification *n;
	int err = get_notif(notif_h, RIGHT_SIGNAL, &n);
	if (err)
		return err;
	notification_signal(n, bits);
	kobj_put(&n->obj);
	return 0;
}

/* mask != 0 */
SYSCALL4(sys_notif_wait, HANDLE, notif_h, U64, mask, DEADLINE, deadline, UPTR,
	 bits_out)
{
	if (!mask)
		return ERR_INVALID_ARGS;
	if (!user_range_ok(bits_out, sizeof(uint64_t)))
		return ERR_FAULT;
	struct notification *n;
	int err = get_notif(notif_h, RIGHT_WAIT, &n);
	if (err)
		return err;
	uint64_t bits = 0;
	err = notification_wait(n, mask, deadline, &bits);
	if (!err && copy_to_user((void *)bits_out, &bits, sizeof(bits))) {
		/* Nowhere to put them: the bits stay pending. */
		notification_signal(n, bits);
		err = ERR_FAULT;
	}
	kobj_put(&n->obj);
	return err;
}
