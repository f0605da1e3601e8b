/* Page faults on lazily mapped memory (pager-backed objects, kern/pager.h):
 * finding the mapping behind an address and mapping the pages a fault
 * resolved, under uvm.lock (uvm.c has the lock rules). Everything else is
 * mapped whole by uvm_map. */
#include <execrt/errors.h>
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/object.h>

#include "uvm_priv.h"

/* The mapping holding va, grant mappings included (faults). */
static struct uvm_mapping *mapping_at(struct uvm *u, uint64_t va)
{
	list_for_each(it, &u->mappings)
	{
		struct uvm_mapping *m = mapping_of(it);
		if (m->start <= va && va < mend(m))
			return m;
		if (m->start > va)
			break;
	}
	return NULL;
}

int uvm_fault_find(struct uvm *u, uint64_t va, struct vmo **vmo,
		   uint64_t *offset, uint32_t *prot)
{
	int err = ERR_NOT_FOUND;
	unsigned long f = lock_uvm(u);
	struct uvm_mapping *m = u->dead ? NULL : mapping_at(u, va);
	if (m) {
		kobj_get(&m->vmo->obj);
		*vmo = m->vmo;
		*offset = m->offset + (va - m->start);
		*prot = m->prot;
		err = 0;
	}
	unlock_uvm(u, f);
	return err;
}

int uvm_fault_map(struct uvm *u, uint64_t va, struct vmo *vmo, uint64_t offset,
		  const phys_addr_t *pa, unsigned n)
{
	int err = 0;
	unsigned long f = lock_uvm(u);
	struct uvm_mapping *m = u->dead ? NULL : mapping_at(u, va);
	/* Gone or changed while the page was asked for: the retried access
	 * faults again and finds out. */
	if (!m || m->vmo != vmo || m->offset + (va - m->start) != offset ||
	    !m->prot) {
		err = 1;
		goto out;
	}
	/* The pages after the first only inside this mapping; each once
	 * (another thread may have mapped it). */
	n = (unsigned)MIN((uint64_t)n, (mend(m) - va) / PAGE_SIZE);
	for (unsigned i = 0; i < n; i++) {
		uint64_t at = va + i * PAGE_SIZE;
		if (vm_translate(u->space, at, NULL, NULL))
			continue;
		bool mapped = !vm_map(u->space, at, pa[i], PAGE_SIZE,
				      vm_flags(m, m->prot), false);
		if (mapped && !uvm_sync_tables(u))
			continue;
		/* No frame or quota for a page table: the rest may fault. */
		if (mapped) {
			BUG_ON(vm_unmap(u->space, at, PAGE_SIZE));
			uvm_sync_tables(u);
		}
		if (!i)
			err = ERR_NO_MEMORY;
		break;
	}
out:
	unlock_uvm(u, f);
	return err;
}
