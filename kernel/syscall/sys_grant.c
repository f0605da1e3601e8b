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

static bool perms_ok(uint64_t perms)
{
	return perms == VM_PROT_READ || perms == GRANT_RW;
}

static int get_task(uint64_t h, struct task **out)
{
	struct kobject *o;
	int err = cur_get((handle_t)h, OBJ_TASK, RIGHT_MANAGE, &o);
	if (!err)
		*out = container_of(o, struct task, obj);
	return err;
}

static int get_grant(uint64_t h, uint32_t rights, struct grant **out)
{
	struct kobject *o;
	int err = cur_get((handle_t)h, OBJ_GRANT, rights, &o);
	if (!err)
		*out = container_of(o, struct grant, obj);
	return err;
}

/* task_h, addr (0: fresh memory), len, perms, handle_t *out */
SYSCALL(sys_grant_create)
{
	if (!perms_ok(a3) || !a2 || !IS_ALIGNED(a1, PAGE_SIZE) ||
	    !IS_ALIGNED(a2, PAGE_SIZE))
		return ERR_INVALID_ARGS;
	if (!user_range_ok(a4, sizeof(handle_t)))
		return ERR_FAULT;
	struct task *t;
	int err = get_task(a0, &t);
	if (err)
		return err;
	struct vmo *v = NULL;
	uint64_t off = 0;
	uint32_t prot = 0;
	if (!a1) {
		err = a2 > VMO_MAX_SIZE ? ERR_OUT_OF_RANGE
					: vmo_create(t, a2, &v);
		prot = GRANT_RW;
	} else
		err = uvm_lookup_vmo(t->uvm, a1, a2, &v, &off, &prot);
	kobj_put(&t->obj);
	if (err)
		return err;
	/* No wider than the caller's own mapping (a read-only file image
	 * stays read-only in every receiver). */
	struct grant *g = NULL;
	if (a3 & ~(uint64_t)prot)
		err = ERR_ACCESS_DENIED;
	else
		err = grant_create(v, off, a2, (uint32_t)a3, &g);
	kobj_put(&v->obj);
	if (err)
		return err;
	uint32_t rights = RIGHT_READ | RIGHT_MAP | RIGHT_TRANSFER |
			  RIGHT_DUPLICATE | RIGHT_MANAGE |
			  ((a3 & VM_PROT_WRITE) ? RIGHT_WRITE : 0);
	err = cur_install(&g->obj, rights, a4);
	kobj_put(&g->obj);
	return err;
}

/* task_h, grant_h, perms, addr hint, uint64_t *out_addr */
SYSCALL(sys_grant_map)
{
	if (!perms_ok(a2) || !IS_ALIGNED(a3, PAGE_SIZE))
		return ERR_INVALID_ARGS;
	if (!user_range_ok(a4, sizeof(uint64_t)))
		return ERR_FAULT;
	struct task *t;
	int err = get_task(a0, &t);
	if (err)
		return err;
	struct grant *g;
	uint32_t need = RIGHT_MAP | RIGHT_READ |
			((a2 & VM_PROT_WRITE) ? RIGHT_WRITE : 0);
	err = get_grant(a1, need, &g);
	if (err) {
		kobj_put(&t->obj);
		return err;
	}
	uint64_t addr = 0;
	err = grant_map(g, t, (uint32_t)a2, a3, &addr);
	if (!err && copy_to_user((void *)a4, &addr, sizeof(addr))) {
		uvm_unmap_grant(t->uvm, NULL, addr);
		err = ERR_FAULT;
	}
	kobj_put(&g->obj);
	kobj_put(&t->obj);
	return err;
}

/* task_h, addr: the start of a mapping made by SYS_GRANT_MAP */
SYSCALL(sys_grant_unmap)
{
	if (!IS_ALIGNED(a1, PAGE_SIZE))
		return ERR_INVALID_ARGS;
	struct task *t;
	int err = get_task(a0, &t);
	if (err)
		return err;
	err = uvm_unmap_grant(t->uvm, NULL, a1);
	kobj_put(&t->obj);
	return err;
}

/* grant_h [MANAGE] */
SYSCALL(sys_grant_revoke)
{
	struct grant *g;
	int err = get_grant(a0, RIGHT_MANAGE, &g);
	if (err)
		return err;
	grant_revoke(g);
	kobj_put(&g->obj);
	return 0;
}
