/* Interrupt and I/O-port calls: IRQ objects (kern/irq.h) and single port
 * accesses, each checked against a resource handle's range. */
#include <kern/handle.h>
#include <kern/irq.h>
#include <kern/notification.h>
#include <kern/resource.h>
#include <kern/syscall.h>
#include <kern/uaccess.h>

SYSCALL5(sys_irq_create, HANDLE, auth_h, U64, gsi, HANDLE, notif_h, U64, bits,
	 UPTR, out)
{
	if (!bits)
		return ERR_INVALID_ARGS;
	if (gsi > UINT32_MAX)
		return ERR_OUT_OF_RANGE;
	struct resource *auth;
	int err = get_resource(auth_h, RES_IRQ, RIGHT_MANAGE, &auth);
	if (err)
		return err;
	bool in_range = gsi >= auth->base && gsi - auth->base < auth->size;
	kobj_put(&auth->obj);
	if (!in_range)
		return ERR_OUT_OF_RANGE;
	struct notification *n;
	if ((err = get_notif(notif_h, RIGHT_SIGNAL, &n)))
		return err;
	struct new_handle nh;
	err = newh_reserve(&nh, out);
	if (err) {
		kobj_put(&n->obj);
		return err;
	}
	struct irq *irq;
	err = irq_create((uint32_t)gsi, n, bits, &irq);
	kobj_put(&n->obj); /* the IRQ object holds its own reference */
	if (err) {
		newh_cancel(&nh);
		return err;
	}
	err = newh_commit(&nh, &irq->obj, RIGHTS_IRQ);
	if (err) /* no handle: mask the line, free the vector */
		handle_abandon(&irq->obj);
	else
		kobj_put(&irq->obj);
	return err;
}

SYSCALL1(sys_irq_ack, HANDLE, irq_h)
{
	struct irq *irq;
	int err = get_irq(irq_h, RIGHT_WRITE, &irq);
	if (err)
		return err;
	err = irq_ack(irq);
	kobj_put(&irq->obj);
	return err;
}

/* op: width (1, 2, 4) | IOPORT_OUT */
SYSCALL4(sys_ioport_io, HANDLE, auth_h, U64, port, U64, op, U64, value)
{
	unsigned width = (unsigned)(op & 0xff);
	bool out = op & IOPORT_OUT;
	if ((op & ~(uint64_t)(0xff | IOPORT_OUT)) ||
	    (width != 1 && width != 2 && width != 4))
		return ERR_INVALID_ARGS;
	if (port > 0xffff || port + width > 0x10000 ||
	    (out && value >> (8 * width) != 0 && width < 4) ||
	    value > UINT32_MAX)
		return ERR_OUT_OF_RANGE;
	struct resource *auth;
	int err = get_resource(auth_h, RES_IOPORT,
			       out ? RIGHT_WRITE : RIGHT_READ, &auth);
	if (err)
		return err;
	bool in_range =
		port >= auth->base && port + width - auth->base <= auth->size;
	kobj_put(&auth->obj);
	if (!in_range)
		return ERR_OUT_OF_RANGE;
	if (arch_ioport_kernel_owned((uint16_t)port, width, out,
				     (uint32_t)value))
		return ERR_ACCESS_DENIED;
	if (out)
		return arch_ioport_out((uint16_t)port, width, (uint32_t)value);
	uint32_t v = 0;
	err = arch_ioport_in((uint16_t)port, width, &v);
	return err ? err : (long)v;
}
