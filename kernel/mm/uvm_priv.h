/* What uvm.c and uvm_fault.c share (not an interface: kern/uvm.h is).
 * Lock rules are uvm.c's (top of file). */
#pragma once
#include <kern/arch.h>
#include <kern/list.h>
#include <kern/uvm.h>
#include <kern/vm.h>
#include <kern/vmo.h>

/* Held with interrupts off, acquired with them on: a CPU waiting for it
 * keeps answering TLB-shootdown IPIs from the holder. */
static inline unsigned long lock_uvm(struct uvm *u)
{
	for (;;) {
		unsigned long f = arch_irq_save();
		if (spin_trylock(&u->lock))
			return f;
		arch_irq_restore(f);
		while (spin_is_locked(&u->lock))
			arch_cpu_relax();
	}
}

static inline void unlock_uvm(struct uvm *u, unsigned long f)
{
	spin_unlock_irqrestore(&u->lock, f);
}

static inline uint64_t mend(const struct uvm_mapping *m)
{
	return m->start + m->len;
}

static inline struct uvm_mapping *mapping_of(struct list_node *n)
{
	return list_entry(n, struct uvm_mapping, node);
}

static inline unsigned vm_flags(const struct uvm_mapping *m, uint32_t prot)
{
	/* VM_PROT_* and VM_READ/WRITE/EXEC share their values. */
	return VM_USER | prot | arch_vm_cache_flags(m->vmo->cache);
}

/* Makes tables_charged equal to the page tables in use (lock held):
 * ERR_NO_MEMORY when growing does not fit the quota. */
int uvm_sync_tables(struct uvm *u);
