/* Per-task page tables. A user space is a PML4 whose kernel half copies the
 * kernel PML4's entries 256-511: those point at PDPTs made at boot and never
 * freed, so kernel mappings added later show up in every space. Each CPU
 * remembers which user space it has loaded, so destroying a space can make
 * sure no CPU still walks its tables, and each space keeps the mask of CPUs
 * that have it loaded (active_cpus), the only ones its TLB shootdowns ask
 * (paging.c tlb_shootdown, docs/smp.md "TLB shootdown"). */
#include <arch/cpu.h>
#include <arch/paging.h>
#include <arch/percpu.h>
#include <arch/smp.h>
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/mm.h>
#include <kern/slab.h>

#define ENTRIES 512

/* User space in each CPU's CR3 (NULL: the kernel's tables). Written only
 * by that CPU with interrupts off. */
static struct vm_space *loaded[MAX_CPUS];

struct vm_space *vm_space_create(void)
{
	struct vm_space *s = kmalloc(sizeof(*s));
	if (!s)
		return NULL;
	phys_addr_t root = vm_table_alloc();
	if (!root) {
		kfree(s);
		return NULL;
	}
	uint64_t *pml4 = phys_to_virt(root);
	const uint64_t *kpml4 = phys_to_virt(vm_kernel_root());
	for (unsigned i = ENTRIES / 2; i < ENTRIES; i++)
		pml4[i] = kpml4[i];
	s->root = root;
	s->lock = (spinlock_t)SPINLOCK_INIT;
	s->tables = 1;
	s->active_cpus = 0;
	return s;
}

uint64_t vm_space_tables(struct vm_space *s)
{
	return __atomic_load_n(&s->tables, __ATOMIC_RELAXED);
}

/* The bit is set (locked OR, a full barrier) before the CR3 load and
 * cleared after the switch away: a shooter that reads the mask without our
 * bit has its entry changes visible to our CR3 load; one that sees a bit
 * we are clearing sends a harmless extra flush. */
void vm_space_activate(struct vm_space *s)
{
	unsigned long irq = arch_irq_save();
	unsigned id = this_cpu()->id;
	struct vm_space *old = loaded[id];
	if (old != s) {
		if (s)
			__atomic_fetch_or(&s->active_cpus, 1ull << id,
					  __ATOMIC_SEQ_CST);
		loaded[id] = s;
		write_cr3(s ? s->root : vm_kernel_root());
		if (old)
			__atomic_fetch_and(&old->active_cpus, ~(1ull << id),
					   __ATOMIC_SEQ_CST);
	}
	arch_irq_restore(irq);
}

/* Cross-call target: drop the space if this CPU still has it loaded (a
 * kernel thread that activated it and was switched away from). */
static void drop_space(void *arg)
{
	if (loaded[this_cpu()->id] == arg)
		vm_space_activate(NULL);
}

/* Frees the tables below a user-half entry at `level` (2: PDPT, 1: PD,
 * 0: PT). 2 MiB leaves are frames, not tables, and are skipped. */
static void free_tree(phys_addr_t table, int level)
{
	if (level > 0) {
		uint64_t *t = phys_to_virt(table);
		for (unsigned i = 0; i < ENTRIES; i++)
			if ((t[i] & PTE_P) && !(t[i] & PTE_PS))
				free_tree(t[i] & PTE_ADDR, level - 1);
	}
	vm_table_free(table);
}

void vm_space_destroy(struct vm_space *s)
{
	if (!s)
		return;
	drop_space(s);
	uint64_t others = __atomic_load_n(&s->active_cpus, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; others && i < MAX_CPUS; i++)
		if (others & (1ull << i))
			smp_call_on(i, drop_space, s);
	BUG_ON(__atomic_load_n(&s->active_cpus, __ATOMIC_SEQ_CST));
	/* No CPU holds the tables now, and a CR3 load dropped their (non-
	 * global) TLB entries, so the tables can go at once. */
	uint64_t *pml4 = phys_to_virt(s->root);
	for (unsigned i = 0; i < ENTRIES / 2; i++)
		if (pml4[i] & PTE_P)
			free_tree(pml4[i] & PTE_ADDR, 2);
	vm_table_free(s->root);
	kfree(s);
}
