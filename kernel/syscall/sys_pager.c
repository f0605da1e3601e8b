/* Pager-backed and DMA memory objects (kern/pager.h, docs/vmgr.md,
 * docs/memory.md "DMA memory"). */
#include <kern/handle.h>
#include <kern/lib.h>
#include <kern/pager.h>
#include <kern/port.h>
#include <kern/resource.h>
#include <kern/syscall.h>
#include <kern/task.h>
#include <kern/uaccess.h>
#include <kern/vmo.h>

SYSCALL4(sys_pager_vmo_create, HANDLE, send_h, U64, key, U64, size, UPTR, out)
{
	struct port_send *s;
	int err = get_port_send(send_h, RIGHT_WRITE, &s);
	if (err)
		return err;
	struct new_handle nh;
	if ((err = newh_reserve(&nh, out))) {
		kobj_put(&s->obj);
		return err;
	}
	struct vmo *v;
	err = pager_vmo_create(cur_task(), s, key, size, &v);
	kobj_put(&s->obj);
	if (err) {
		newh_cancel(&nh);
		return err;
	}
	err = newh_commit(&nh, &v->obj, RIGHTS_PAGER_VMO);
	kobj_put(&v->obj);
	return err;
}

SYSCALL4(sys_pager_supply, HANDLE, vmo_h, U64, offset, U64, len, UPTR, src)
{
	struct vmo *v;
	int err = get_vmo(vmo_h, RIGHT_MANAGE, &v);
	if (err)
		return err;
	err = pager_supply(v, offset, len, src);
	kobj_put(&v->obj);
	return err;
}

SYSCALL3(sys_vmo_create_dma, HANDLE, auth_h, U64, size, UPTR, out)
{
	struct resource *r;
	int err = get_resource(auth_h, RES_DMA, RIGHT_WRITE, &r);
	if (err)
		return err;
	uint64_t bytes = ALIGN_UP(size, PAGE_SIZE);
	struct new_handle nh;
	if (!size)
		err = ERR_INVALID_ARGS;
	else if (size > VMO_DMA_MAX)
		err = ERR_OUT_OF_RANGE;
	else if (!(err = newh_reserve(&nh, out)) &&
		 (err = dma_auth_take(r, bytes)))
		newh_cancel(&nh);
	struct vmo *v = NULL;
	if (!err && (err = vmo_create_dma(cur_task(), bytes, &v))) {
		dma_auth_return(r, bytes);
		newh_cancel(&nh);
	}
	if (v) {
		v->dma_auth = r; /* dma_auth_take's reference */
		err = newh_commit(&nh, &v->obj, RIGHTS_DMA_VMO);
		kobj_put(&v->obj);
	}
	kobj_put(&r->obj);
	return err;
}

SYSCALL2(sys_vmo_phys, HANDLE, vmo_h, UPTR, out)
{
	struct vmo *v;
	int err = get_vmo(vmo_h, RIGHT_DMA, &v);
	if (err)
		return err;
	if (!v->dma)
		err = ERR_NOT_SUPPORTED;
	else if (copy_to_user((void *)out, &v->phys_base, sizeof(uint64_t)))
		err = ERR_FAULT;
	kobj_put(&v->obj);
	return err;
}
