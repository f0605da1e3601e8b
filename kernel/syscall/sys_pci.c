/* PCI calls: configuration space access and MSI IRQ objects, each checked
 * against a RES_PCI handle's range of functions (kern/pci.h, kern/irq.h).
 * Every argument and right is checked before the device is touched. */
#include <kern/handle.h>
#include <kern/irq.h>
#include <kern/notification.h>
#include <kern/pci.h>
#include <kern/resource.h>
#include <kern/syscall.h>
#include <kern/uaccess.h>

/* The RES_PCI behind pci_h with `need`, whose range holds bdf (outside:
 * ERR_ACCESS_DENIED, the function is not the holder's); *held gets the
 * handle's rights. bdf < 65536 was checked by the caller. */
static int pci_auth(handle_t pci_h, uint64_t bdf, uint32_t need, uint32_t *held)
{
	struct resource *r;
	int err = get_resource_rights(pci_h, RES_PCI, need, &r, held);
	if (err)
		return err;
	bool in_range = bdf >= r->base && bdf - r->base < r->size;
	kobj_put(&r->obj);
	return in_range ? 0 : ERR_ACCESS_DENIED;
}

SYSCALL5(sys_pci_cfg_read, HANDLE, pci_h, U64, bdf, U64, offset, U64, width,
	 UPTR, out)
{
	int err = pci_cfg_check(bdf, offset, width, arch_pci_cfg_size());
	if (err)
		return err;
	if (!user_range_ok(out, sizeof(uint32_t)))
		return ERR_FAULT;
	if ((err = pci_auth(pci_h, bdf, RIGHT_READ, NULL)))
		return err;
	uint32_t v = arch_pci_cfg_read((uint32_t)bdf, (uint32_t)offset,
				       (unsigned)width);
	return copy_to_user((void *)out, &v, sizeof(v));
}

static uint32_t read4(uint32_t bdf, uint32_t offset)
{
	return arch_pci_cfg_read(bdf, offset, 4);
}

SYSCALL5(sys_pci_cfg_write, HANDLE, pci_h, U64, bdf, U64, offset, U64, width,
	 U64, value)
{
	int err = pci_cfg_check(bdf, offset, width, arch_pci_cfg_size());
	if (!err)
		err = pci_cfg_check_value(width, value);
	if (err)
		return err;
	uint32_t held;
	if ((err = pci_auth(pci_h, bdf, RIGHT_WRITE, &held)))
		return err;
	/* The header type and the capability headers are read-only in the
	 * device: reading them first cannot race with this write. */
	if (!(held & RIGHT_MANAGE) &&
	    pci_cfg_write_needs_manage(read4, (uint32_t)bdf, (uint32_t)offset,
				       (unsigned)width))
		return ERR_ACCESS_DENIED;
	bool decoding = pci_cfg_write_changes_decoding(
		read4, (uint32_t)bdf, (uint32_t)offset, (unsigned)width);
	arch_pci_cfg_write((uint32_t)bdf, (uint32_t)offset, (unsigned)width,
			   (uint32_t)value, decoding);
	return 0;
}

SYSCALL5(sys_irq_create_msi, HANDLE, pci_h, U64, bdf, HANDLE, notif_h, U64,
	 bits, UPTR, out)
{
	if (!bits)
		return ERR_INVALID_ARGS;
	if (bdf > 0xffff)
		return ERR_OUT_OF_RANGE;
	if (!user_range_ok(out, sizeof(struct irq_msi)))
		return ERR_FAULT;
	int err = pci_auth(pci_h, bdf, RIGHT_WRITE, NULL);
	if (err)
		return err;
	struct notification *n;
	if ((err = get_notif(notif_h, RIGHT_SIGNAL, &n)))
		return err;
	struct new_handle nh;
	err = newh_reserve(&nh, out + offsetof(struct irq_msi, irq));
	if (err) {
		kobj_put(&n->obj);
		return err;
	}
	struct irq *irq;
	struct irq_msi msg = {0};
	err = irq_create_msi((uint32_t)bdf, n, bits, &irq, &msg.addr,
			     &msg.data);
	kobj_put(&n->obj); /* the IRQ object holds its own reference */
	if (err) {
		newh_cancel(&nh);
		return err;
	}
	msg.irq = nh.h;
	if (copy_to_user((void *)out, &msg, sizeof(msg)))
		err = ERR_FAULT;
	if (!err)
		err = newh_commit(&nh, &irq->obj, RIGHTS_IRQ);
	else
		newh_cancel(&nh);
	if (err) /* no handle: free the vector */
		handle_abandon(&irq->obj);
	else
		kobj_put(&irq->obj);
	return err;
}
