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

static int get_task(uint64_t h, struct task **out)
{
	struct kobject *o;
	int err = cur_get((handle_t)h, OBJ_TASK, RIGHT_MANAGE, &o);
	if (!err)
		*out = container_of(o, struct task, obj);
	return err;
}

static int get_vmo_rights(uint64_t h, uint32_t rights, struct vmo **out,
			  uint32_t *held)
{
	struct kobject *o;
	int err = handle_get(&cur_task()->handles, (handle_t)h, OBJ_VMO,
			     rights, &o, held);
	if (!err)
		*out = container_of(o, struct vmo, obj);
	return err;
}

static int get_vmo(uint64_t h, uint32_t rights, struct vmo **out)
{
	return get_vmo_rights(h, rights, out, NULL);
}

static uint32_t rights_for_prot(uint32_t prot)
{
	return RIGHT_MAP | ((prot & VM_PROT_READ) ? RIGHT_READ : 0) |
	       ((prot & VM_PROT_WRITE) ? RIGHT_WRITE : 0) |
	       ((prot & VM_PROT_EXEC) ? RIGHT_EXECUTE : 0);
}

/* task_h, vmo_h (or HANDLE_INVALID), const struct vm_map_req *, u64 *out */
SYSCALL(sys_vm_map)
{
	struct vm_map_req req;
	if (!user_range_ok(a2, sizeof(req)) || !user_range_ok(a3, 8))
		return ERR_FAULT;
	if (copy_from_user(&req, (const void *)a2, sizeof(req)))
		return ERR_FAULT;
	if (req.prot & ~(VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXEC))
		return ERR_INVALID_ARGS;
	if (req.flags & ~VM_MAP_FIXED)
		return ERR_INVALID_ARGS;
	struct task *t;
	int err = get_task(a0, &t);
	if (err)
		return err;
	struct vmo *v = NULL;
	uint32_t held = 0;
	if ((handle_t)a1 != HANDLE_INVALID) {
		err = get_vmo_rights(a1, rights_for_prot(req.prot), &v, &held);
		if (err) {
			kobj_put(&t->obj);
			return err;
		}
	} else if (req.offset) {
		kobj_put(&t->obj);
		return ERR_INVALID_ARGS;
	}
	/* A mapping of a memory object can never be protected beyond what
	 * the handle allowed (a read-only initrd stays read-only). */
	uint32_t flags = req.flags;
	if (v) {
		uint32_t r = held;
		flags |= UVM_MAP_MAX_PROT(
			((r & RIGHT_READ) ? VM_PROT_READ : 0) |
			((r & RIGHT_WRITE) ? VM_PROT_WRITE : 0) |
			((r & RIGHT_EXECUTE) ? VM_PROT_EXEC : 0));
	}
	uint64_t addr = 0;
	err = uvm_map(t->uvm, v, req.addr, req.len, req.offset, req.prot,
		      flags, &addr);
	if (!err && copy_to_user((void *)a3, &addr, sizeof(addr))) {
		uvm_unmap(t->uvm, addr, req.len);
		err = ERR_FAULT;
	}
	if (v)
		kobj_put(&v->obj);
	kobj_put(&t->obj);
	return err;
}

/* task_h, addr, len */
SYSCALL(sys_vm_unmap)
{
	struct task *t;
	int err = get_task(a0, &t);
	if (err)
		return err;
	err = uvm_unmap(t->uvm, a1, a2);
	kobj_put(&t->obj);
	return err;
}

/* task_h, addr, len, prot */
SYSCALL(sys_vm_protect)
{
	if (a3 & ~(uint64_t)(VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXEC))
		return ERR_INVALID_ARGS;
	struct task *t;
	int err = get_task(a0, &t);
	if (err)
		return err;
	err = uvm_protect(t->uvm, a1, a2, (uint32_t)a3);
	kobj_put(&t->obj);
	return err;
}

/* size, handle_t *out */
SYSCALL(sys_vmo_create)
{
	if (!user_range_ok(a1, sizeof(handle_t)))
		return ERR_FAULT;
	struct vmo *v;
	int err = vmo_create(cur_task(), a0, &v);
	if (err)
		return err;
	err = cur_install(&v->obj, RIGHTS_VMO, a1);
	kobj_put(&v->obj);
	return err;
}

/* Bounds of the object come before the user buffer: the usual order is
 * handle, type, rights, arguments, then user memory. */
static int vmo_io(uint64_t h, uint32_t right, uint64_t buf, uint64_t off,
		  uint64_t len, bool write)
{
	struct vmo *v;
	int err = get_vmo(h, right, &v);
	if (err)
		return err;
	if (off > v->size || len > v->size - off)
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

/* vmo_h, void *buf, offset, len */
SYSCALL(sys_vmo_read)
{
	return vmo_io(a0, RIGHT_READ, a1, a2, a3, false);
}

/* vmo_h, const void *buf, offset, len */
SYSCALL(sys_vmo_write)
{
	return vmo_io(a0, RIGHT_WRITE, a1, a2, a3, true);
}

/* vmo_h, uint64_t *size */
SYSCALL(sys_vmo_get_size)
{
	if (!user_range_ok(a1, sizeof(uint64_t)))
		return ERR_FAULT;
	struct vmo *v;
	int err = get_vmo(a0, 0, &v);
	if (err)
		return err;
	uint64_t size = v->size;
	kobj_put(&v->obj);
	return copy_to_user((void *)a1, &size, sizeof(size));
}
