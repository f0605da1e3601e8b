/* Interrupt and I/O-port calls: IRQ objects (kern/irq.h) and single port
 * accesses, each checked against a resource handle's range. */
#include <kern/handle.h>
#include <kern/irq.h>
#include <kern/resource.h>
#include <kern/syscall.h>
#include <kern/uaccess.h>

/* irq_authority_h, gsi, notif_h, bits, handle_t *out */
SYSCALL(sys_irq_create)
{
	if (!a3 || a1 > UINT32_MAX)
		return a3 ? ERR_OUT_OF_RANGE : ERR_INVALID_ARGS;
	if (!user_range_ok(a4, sizeof(handle_t)))
		return ERR_FAULT;
	struct resource *auth;
	int err = resource_get((handle_t)a0, RES_IRQ, RIGHT_MANAGE, &auth);
	if (err)
		return err;
	bool in_range = a1 >= auth->base && a1 - auth->base < auth->size;
	kobj_put(&auth->obj);
	if (!in_range)
		return ERR_OUT_OF_RANGE;
	struct notification *n;
	if ((err = notification_get((handle_t)a2, RIGHT_SIGNAL, &n)))
		return err;
	struct irq *irq;
	err = irq_create((uint32_t)a1, n, a3, &irq);
	kobj_put(&n->obj); /* the IRQ object holds its own reference */
	if (err)
		return err;
	err = cur_install(&irq->obj, RIGHTS_IRQ, a4);
	if (err) /* no handle: mask the line, free the vector */
		handle_discard(&irq->obj);
	else
		kobj_put(&irq->obj);
	return err;
}

/* irq_h */
SYSCALL(sys_irq_ack)
{
	struct kobject *o;
	int err = cur_get((handle_t)a0, OBJ_IRQ, RIGHT_WRITE, &o);
	if (err)
		return err;
	err = irq_ack(container_of(o, struct irq, obj));
	kobj_put(o);
	return err;
}

/* ioport_authority_h, port, op (width | IOPORT_OUT), value */
SYSCALL(sys_ioport_io)
{
	unsigned width = (unsigned)(a2 & 0xff);
	bool out = a2 & IOPORT_OUT;
	if ((a2 & ~(uint64_t)(0xff | IOPORT_OUT)) ||
	    (width != 1 && width != 2 && width != 4))
		return ERR_INVALID_ARGS;
	if (a1 > 0xffff || a1 + width > 0x10000 ||
	    (out && a3 >> (8 * width) != 0 && width < 4) || a3 > UINT32_MAX)
		return ERR_OUT_OF_RANGE;
	struct resource *auth;
	int err = resource_get((handle_t)a0, RES_IOPORT,
			       out ? RIGHT_WRITE : RIGHT_READ, &auth);
	if (err)
		return err;
	bool in_range =
		a1 >= auth->base && a1 + width - auth->base <= auth->size;
	kobj_put(&auth->obj);
	if (!in_range)
		return ERR_OUT_OF_RANGE;
	if (out)
		return arch_ioport_out((uint16_t)a1, width, (uint32_t)a3);
	uint32_t v = 0;
	err = arch_ioport_in((uint16_t)a1, width, &v);
	return err ? err : (long)v;
}
