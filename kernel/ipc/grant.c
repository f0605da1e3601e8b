/* Grants (kern/grant.h): a memory-object window that other tasks map
 * without a copy, revocable by its creator.
 *
 * Every mapping made through a grant is a uvm mapping carrying a
 * struct grant_map. The record is linked on the grant's list exactly while
 * its mapping exists: grant_link() runs under the uvm's lock in the same
 * critical section that inserts the mapping, and refuses once the grant is
 * revoked. So revoke, which sets `revoked` and takes every linked record
 * under the grant's lock, sees every mapping there is or will be: a map in
 * progress either linked before (revoke unmaps it) or fails. The record is
 * reference-counted (under the grant's lock): one reference for the uvm
 * mapping (dropped by grant_mapping_gone(), which uvm.c calls whenever such
 * a mapping goes: unmap, revoke, task death) and one for each call working
 * on it (grant_map, grant_revoke). The record holds a reference to the
 * grant, so the grant outlives its mappings.
 *
 * The record does not hold its task: a task's address space outlives every
 * mapping in it (uvm_release removes them all, calling back here, before
 * uvm_destroy), so while a record is linked, checked under the grant's
 * lock, its task's memory and uvm are still there. Revoke pins the task
 * with kobj_tryget(); a task whose last reference is already gone has no
 * threads left to touch the mapping, and its teardown removes it.
 *
 * Lock order: a uvm's lock, then a grant's lock (grant_link only); revoke
 * and unmap never hold a grant's lock while taking a uvm's. */
#include <execrt/errors.h>
#include <execrt/rights.h>
#include <execrt/syscall.h>
#include <kern/cap.h>
#include <kern/grant.h>
#include <kern/handle.h>
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/slab.h>
#include <kern/task.h>
#include <kern/uvm.h>
#include <kern/vmo.h>

static void grant_destroy(struct kobject *o)
{
	struct grant *g = container_of(o, struct grant, obj);
	BUG_ON(!list_empty(&g->maps)); /* records hold references */
	kobj_put(&g->vmo->obj);
	kfree(g);
}

static const struct kobj_ops grant_ops = {
	.name = "grant",
	.destroy = grant_destroy,
};

int grant_create(struct vmo *vmo, uint64_t offset, uint64_t len, uint32_t perms,
		 struct grant **out)
{
	struct charge ch;
	int err = kobj_precharge(&ch, sizeof(struct grant));
	if (err)
		return err;
	struct grant *g = kmalloc(sizeof(*g));
	if (!g) {
		charge_drop(&ch);
		return ERR_NO_MEMORY;
	}
	kobj_init_charged(&g->obj, OBJ_GRANT, &grant_ops, &ch);
	kobj_get(&vmo->obj);
	g->vmo = vmo;
	g->offset = offset;
	g->len = len;
	g->perms = perms;
	g->lock = (spinlock_t)SPINLOCK_INIT;
	g->revoked = false;
	list_init(&g->maps);
	*out = g;
	return 0;
}

/* Drops n references to gm; the last one frees it. */
static void gm_put(struct grant_map *gm, uint32_t n)
{
	struct grant *g = gm->grant;
	unsigned long f = spin_lock_irqsave(&g->lock);
	BUG_ON(gm->refs < n);
	gm->refs -= n;
	bool last = !gm->refs;
	if (last && list_linked(&gm->node))
		list_remove(&gm->node);
	spin_unlock_irqrestore(&g->lock, f);
	if (last) {
		struct charge ch = gm->charge;
		kfree(gm);
		charge_drop(&ch);
		kobj_put(&g->obj);
	}
}

void grant_mapping_gone(struct grant_map *gm)
{
	struct grant *g = gm->grant;
	unsigned long f = spin_lock_irqsave(&g->lock);
	if (list_linked(&gm->node))
		list_remove(&gm->node);
	spin_unlock_irqrestore(&g->lock, f);
	gm_put(gm, 1);
}

bool grant_link(struct grant_map *gm)
{
	struct grant *g = gm->grant;
	spin_lock(&g->lock);
	bool ok = !g->revoked;
	if (ok)
		list_push_back(&g->maps, &gm->node);
	spin_unlock(&g->lock);
	return ok;
}

int grant_map(struct grant *g, struct task *t, uint32_t perms, uint64_t hint,
	      uint64_t *out)
{
	if (!perms || (perms & ~g->perms))
		return ERR_ACCESS_DENIED;
	if (READ_ONCE(g->revoked))
		return ERR_BAD_STATE; /* early out; grant_link decides */
	/* The record is charged to the task it maps into. */
	struct charge ch;
	int err = charge_take(&ch, t->acct,
			      kmalloc_footprint(sizeof(struct grant_map)));
	if (err)
		return err;
	struct grant_map *gm = kmalloc(sizeof(*gm));
	if (!gm) {
		charge_drop(&ch);
		return ERR_NO_MEMORY;
	}
	gm->charge = ch;
	list_init(&gm->node);
	kobj_get(&g->obj);
	gm->grant = g;
	gm->task = t;
	gm->refs = 2; /* this call + the mapping to be */
	/* The call's perms are also the ceiling: a read-only mapping of a
	 * writable grant cannot be protected writable later. */
	err = uvm_map_grant(t->uvm, g->vmo, hint, g->len, g->offset, perms,
			    perms, gm, out);
	gm_put(gm, err ? 2 : 1); /* on error no mapping was made */
	return err;
}

void grant_revoke(struct grant *g)
{
	unsigned long f = spin_lock_irqsave(&g->lock);
	g->revoked = true;
	struct list_node *n;
	while ((n = list_pop_front(&g->maps))) {
		struct grant_map *gm = list_entry(n, struct grant_map, node);
		struct task *t = gm->task;
		gm->refs++;
		bool pinned = kobj_tryget(&t->obj);
		spin_unlock_irqrestore(&g->lock, f);
		if (pinned) {
			/* ERR_NOT_FOUND: it went meanwhile; ERR_BAD_STATE:
			 * the task died and its mappings with it. */
			uvm_unmap_grant(t->uvm, gm, 0);
			kobj_put(&t->obj);
		}
		gm_put(gm, 1);
		f = spin_lock_irqsave(&g->lock);
	}
	spin_unlock_irqrestore(&g->lock, f);
}

int grant_notify(struct grant *g, struct handle_table *t, handle_t send_h)
{
	struct kobject *o, *moved;
	uint32_t rights;
	int err = cap_get(send_h, OBJ_PORT_SEND, RIGHT_TRANSFER, &o, &rights);
	if (err)
		return err;
	/* Claimed first, so the handle leaves the caller's table only when
	 * it will be kept (nothing to give back on a second call). */
	struct vmo *v = g->vmo;
	struct kobject *none = NULL;
	if (!__atomic_compare_exchange_n(&v->notice, &none, VMO_NOTICE_CLAIMED,
					 false, __ATOMIC_ACQ_REL,
					 __ATOMIC_RELAXED)) {
		kobj_put(o);
		return ERR_ALREADY_EXISTS;
	}
	/* The handle may have been closed or moved since cap_get: then
	 * nothing is taken and the claim goes back. */
	err = handle_take_many(t, 1, &send_h, RIGHT_TRANSFER, &o, &moved,
			       &rights);
	__atomic_store_n(&v->notice, err ? NULL : moved, __ATOMIC_RELEASE);
	kobj_put(o);
	return err;
}
