/* Device memory: memory objects over a physical MMIO range (a PCI BAR, a
 * framebuffer), made from an MMIO authority (docs/devices.md "Kernel: MMIO
 * and DMA"). The object owns no frames and only its header is charged;
 * mapping it costs page tables like any mapping. The physical range comes
 * from the authority and passes the deny list (kern/mmio.h) before
 * anything is allocated. */
#include <kern/handle.h>
#include <kern/lib.h>
#include <kern/mmio.h>
#include <kern/resource.h>
#include <kern/syscall.h>
#include <kern/vmo.h>

SYSCALL5(sys_vmo_create_phys, HANDLE, auth_h, U64, base, U64, size, U32, cache,
	 UPTR, out)
{
	struct resource *r;
	int err = get_resource(auth_h, RES_MMIO, RIGHT_WRITE, &r);
	if (err)
		return err;
	if (cache != VMO_CACHE_UC && cache != VMO_CACHE_WC)
		err = ERR_INVALID_ARGS;
	else if (!IS_ALIGNED(base, PAGE_SIZE) || !IS_ALIGNED(size, PAGE_SIZE))
		err = ERR_INVALID_ARGS;
	else /* size 0 and wrapping: ERR_INVALID_ARGS; outside: OUT_OF_RANGE */
		err = resource_check_narrow(r, base, size);
	kobj_put(&r->obj);
	if (!err)
		err = mmio_check(&mmio_denied, base, size, NULL);
	struct new_handle nh;
	if (!err)
		err = newh_reserve(&nh, out);
	if (err)
		return err;
	struct vmo *v;
	err = vmo_create_physical(
		base, size, cache == VMO_CACHE_WC ? VM_CACHE_WC : VM_CACHE_UC,
		&v);
	if (err) {
		newh_cancel(&nh);
		return err;
	}
	err = newh_commit(&nh, &v->obj, RIGHTS_MMIO_VMO);
	kobj_put(&v->obj);
	return err;
}
