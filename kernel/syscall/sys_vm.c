/* Address-space and memory-object calls. Rights: MANAGE on the task whose
 * address space changes; on a memory object, MAP plus READ, WRITE or
 * EXECUTE for each protection asked for. W^X is enforced by uvm_map. */
#include <kern/handle.h>
#include <kern/lib.h>
#include <kern/syscall.h>
#include <kern/task.h>
#include <kern/uaccess.h>
#include <kern/uvm.h>
#include <kern/vmo.h>

static uint32_t rights_for_prot(uint32_t prot)
{
	return RIGHT_MAP | ((prot & VM_PROT_READ) ? RIGHT_READ : 0) |
	       ((prot & VM_PROT_WRITE) ? RIGHT_WRITE : 0) |
	       ((prot & VM_PROT_EXEC) ? RIGHT_EXECUTE : 0);
}

/* The protections a handle's rights allow a mapping to reach. */
static uint32_t prot_for_rights(uint32_t r)
{
	return ((r & RIGHT_READ) ? VM_PROT_READ : 0) |
	       ((r & RIGHT_WRITE) ? VM_PROT_WRITE : 0) |
	       ((r & RIGHT_EXECUTE) ? VM_PROT_EXEC : 0);
}

/* vmo_h HANDLE_INVALID maps fresh zeroed memory. */
SYSCALL4(sys_vm_map, HANDLE, task_h, HANDLE, vmo_h, UPTR, ureq, UPTR, out_addr)
{
	struct vm_map_req req;
	if (!user_range_ok(ureq, sizeof(req)) || !user_range_ok(out_addr, 8))
		return ERR_FAULT;
	if (copy_from_user(&req, (const void *)ureq, sizeof(req)))
		return ERR_FAULT;
	if (req.prot & ~(VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXEC))
		return ERR_INVALID_ARGS;
	if (req.flags & ~VM_MAP_FIXED)
		return ERR_INVALID_ARGS;
	struct task *t;
	int err = get_task(task_h, RIGHT_MANAGE, &t);
	if (err)
		return err;
	struct vmo *v = NULL;
	uint32_t held = 0;
	if (vmo_h != HANDLE_INVALID) {
		err = get_vmo_rights(vmo_h, rights_for_prot(req.prot), &v,
				     &held);
		if (err) {
			kobj_put(&t->obj);
			return err;
		}
	} else if (req.offset) {
		kobj_put(&t->obj);
		return ERR_INVALID_ARGS;
	}
	/* A mapping of a memory object can never be protected beyond what
	 * the handle allowed (a read-only initrd stays read-only). A handle
	 * with MAP but none of READ/WRITE/EXECUTE allows nothing: refused,
	 * because a ceiling of 0 reads as "no ceiling" below uvm_map. */
	uint32_t flags = req.flags;
	if (v && !prot_for_rights(held)) {
		kobj_put(&v->obj);
		kobj_put(&t->obj);
		return ERR_ACCESS_DENIED;
	}
	if (v)
		flags |= UVM_MAP_MAX_PROT(prot_for_rights(held));
	uint64_t addr = 0;
	err = uvm_map(t->uvm, v, req.addr, req.len, req.offset, req.prot, flags,
		      &addr);
	if (!err && copy_to_user((void *)out_addr, &addr, sizeof(addr))) {
		uvm_unmap(t->uvm, addr, req.len);
		err = ERR_FAULT;
	}
	if (v)
		kobj_put(&v->obj);
	kobj_put(&t->obj);
	return err;
}

SYSCALL3(sys_vm_unmap, HANDLE, task_h, U64, addr, U64, len)
{
	struct task *t;
	int err = get_task(task_h, RIGHT_MANAGE, &t);
	if (err)
		return err;
	err = uvm_unmap(t->uvm, addr, len);
	kobj_put(&t->obj);
	return err;
}

SYSCALL4(sys_vm_protect, HANDLE, task_h, U64, addr, U64, len, PROT, prot)
{
	struct task *t;
	int err = get_task(task_h, RIGHT_MANAGE, &t);
	if (err)
		return err;
	err = uvm_protect(t->uvm, addr, len, prot);
	kobj_put(&t->obj);
	return err;
}

SYSCALL2(sys_vmo_create, U64, size, UPTR, out)
{
	struct new_handle nh;
	int err = newh_reserve(&nh, out);
	if (err)
		return err;
	struct vmo *v;
	err = vmo_create(cur_task(), size, &v);
	if (err) {
		newh_cancel(&nh);
		return err;
	}
	err = newh_commit(&nh, &v->obj, RIGHTS_VMO);
	kobj_put(&v->obj);
	return err;
}

/* Bounds of the object come before the user buffer: the usual order is
 * handle, type, rights, arguments, then user memory. */
static int vmo_io(handle_t h, uint32_t right, uint64_t buf, uint64_t off,
		  uint64_t len, bool write)
{
	struct vmo *v;
	int err = get_vmo(h, right, &v);
	if (err)
		return err;
	if (vmo_is_device(v))
		err = ERR_NOT_SUPPORTED; /* map it: not in the direct map */
	else if (off > v->size || len > v->size - off)
		err = ERR_OUT_OF_RANGE;
	else if (!user_range_ok(buf, len))
		err = ERR_FAULT;
	else if (write)
		err = vmo_write_user(v, off, (const void *)buf, len);
	else
		err = vmo_read_user(v, off, (void *)buf, len);
	kobj_put(&v->obj);
	return err;
}

SYSCALL4(sys_vmo_read, HANDLE, vmo_h, UPTR, buf, U64, offset, U64, len)
{
	return vmo_io(vmo_h, RIGHT_READ, buf, offset, len, false);
}

SYSCALL4(sys_vmo_write, HANDLE, vmo_h, UPTR, buf, U64, offset, U64, len)
{
	return vmo_io(vmo_h, RIGHT_WRITE, buf, offset, len, true);
}

SYSCALL2(sys_vmo_get_size, HANDLE, vmo_h, UPTR, size_out)
{
	if (!user_range_ok(size_out, sizeof(uint64_t)))
		return ERR_FAULT;
	struct vmo *v;
	int err = get_vmo(vmo_h, 0, &v);
	if (err)
		return err;
	uint64_t size = v->size;
	kobj_put(&v->obj);
	return copy_to_user((void *)size_out, &size, sizeof(size));
}
