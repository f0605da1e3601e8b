/* Grant calls (docs/ipc.md "## Grants"). Permissions are VM_PROT_READ or
 * VM_PROT_READ | VM_PROT_WRITE: never EXEC, never write-only. Rights: MANAGE
 * on the task whose address space changes (or whose pages are granted);
 * MAP, READ (and WRITE for a writable mapping) on the grant; MANAGE on the
 * grant to revoke it (only the creator's handle has it at first). */
#include <kern/grant.h>
#include <kern/handle.h>
#include <kern/lib.h>
#include <kern/syscall.h>
#include <kern/task.h>
#include <kern/uaccess.h>
#include <kern/uvm.h>
#include <kern/vmo.h>

#define GRANT_RW (VM_PROT_READ | VM_PROT_WRITE)

static bool perms_ok(uint32_t perms)
{
	return perms == VM_PROT_READ || perms == GRANT_RW;
}

/* addr 0: fresh memory */
SYSCALL5(sys_grant_create, HANDLE, task_h, U64, addr, U64, len, PROT, perms,
	 UPTR, out)
{
	if (!perms_ok(perms) || !len || !IS_ALIGNED(addr, PAGE_SIZE) ||
	    !IS_ALIGNED(len, PAGE_SIZE))
		return ERR_INVALID_ARGS;
	struct task *t;
	int err = get_task(task_h, RIGHT_MANAGE, &t);
	if (err)
		return err;
	struct new_handle nh;
	err = newh_reserve(&nh, out);
	if (err) {
		kobj_put(&t->obj);
		return err;
	}
	struct vmo *v = NULL;
	uint64_t off = 0;
	uint32_t prot = 0;
	if (!addr) {
		err = len > VMO_MAX_SIZE ? ERR_OUT_OF_RANGE
					 : vmo_create(t, len, &v);
		prot = GRANT_RW;
	} else
		err = uvm_lookup_vmo(t->uvm, addr, len, &v, &off, &prot);
	kobj_put(&t->obj);
	if (err) {
		newh_cancel(&nh);
		return err;
	}
	/* No wider than the caller's own mapping (a read-only file image
	 * stays read-only in every receiver). */
	struct grant *g = NULL;
	if (perms & ~prot)
		err = ERR_ACCESS_DENIED;
	else
		err = grant_create(v, off, len, perms, &g);
	kobj_put(&v->obj);
	if (err) {
		newh_cancel(&nh);
		return err;
	}
	err = newh_commit(&nh, &g->obj,
			  (perms & VM_PROT_WRITE) ? RIGHTS_GRANT_RW
						  : RIGHTS_GRANT_RO);
	kobj_put(&g->obj);
	return err;
}

SYSCALL5(sys_grant_map, HANDLE, task_h, HANDLE, grant_h, PROT, perms, U64, hint,
	 UPTR, out_addr)
{
	if (!perms_ok(perms) || !IS_ALIGNED(hint, PAGE_SIZE))
		return ERR_INVALID_ARGS;
	if (!user_range_ok(out_addr, sizeof(uint64_t)))
		return ERR_FAULT;
	struct task *t;
	int err = get_task(task_h, RIGHT_MANAGE, &t);
	if (err)
		return err;
	struct grant *g;
	uint32_t need = RIGHT_MAP | RIGHT_READ |
			((perms & VM_PROT_WRITE) ? RIGHT_WRITE : 0);
	err = get_grant(grant_h, need, &g);
	if (err) {
		kobj_put(&t->obj);
		return err;
	}
	uint64_t addr = 0;
	err = grant_map(g, t, perms, hint, &addr);
	if (!err && copy_to_user((void *)out_addr, &addr, sizeof(addr))) {
		uvm_unmap_grant(t->uvm, NULL, addr);
		err = ERR_FAULT;
	}
	kobj_put(&g->obj);
	kobj_put(&t->obj);
	return err;
}

/* addr: the start of a mapping made by SYS_GRANT_MAP */
SYSCALL2(sys_grant_unmap, HANDLE, task_h, U64, addr)
{
	if (!IS_ALIGNED(addr, PAGE_SIZE))
		return ERR_INVALID_ARGS;
	struct task *t;
	int err = get_task(task_h, RIGHT_MANAGE, &t);
	if (err)
		return err;
	err = uvm_unmap_grant(t->uvm, NULL, addr);
	kobj_put(&t->obj);
	return err;
}

SYSCALL1(sys_grant_revoke, HANDLE, grant_h)
{
	struct grant *g;
	int err = get_grant(grant_h, RIGHT_MANAGE, &g);
	if (err)
		return err;
	grant_revoke(g);
	kobj_put(&g->obj);
	return 0;
}

/* send_h: an endpoint, kept by the grant's memory until it is freed
 * (docs/ipc.md "Grants", "Memory-gone notice") */
SYSCALL2(sys_grant_notify, HANDLE, grant_h, HANDLE, send_h)
{
	struct grant *g;
	int err = get_grant(grant_h, RIGHT_MANAGE, &g);
	if (err)
		return err;
	err = grant_notify(g, &cur_task()->handles, send_h);
	kobj_put(&g->obj);
	return err;
}
