/* Per-task page tables. A user space is a PML4 whose kernel half copies the
 * kernel PML4's entries 256-511: those point at PDPTs made at boot and never
 * freed, so kernel mappings added later show up in every space. Each CPU
 * remembers which user space it has loaded, so destroying a space can make
 * sure no CPU still walks its tables, and each space keeps the mask of CPUs
 * that have it loaded (active_cpus), the only ones its TLB shootdowns ask
 * (paging.c tlb_shootdown, docs/smp.md "TLB shootdown").
 *
 * PCID (when CPUID has it; not on -cpu qemu64, or with "nopcid"): CPU c
 * tags the TLB entries of a user space with a PCID of its own, 1..8 (0
 * is the kernel's tables), from a small per-CPU table of slots (space id,
 * the space's tlb_gen when c last loaded it; kern/tlbtag.h, host-tested),
 * and loads CR3 with the no-flush bit when it comes back to a space still in
 * its slot. A CPU that is not in active_cpus gets no shootdown IPIs, so its
 * tagged entries of a space it ran earlier may be stale: tlb_shootdown()
 * increments the space's tlb_gen before it reads active_cpus, and a CPU loading
 * the space sets its active bit before it reads tlb_gen (both sequentially
 * consistent): either the shooter sees the bit and sends the IPI, or the
 * loader sees the new generation and loads without the no-flush bit,
 * dropping everything under that PCID. A slot handed to another space is
 * loaded with a flush too. Space ids are never reused, so a freed space's
 * slot is never matched again. */
#include <arch/cpu.h>
#include <arch/paging.h>
#include <arch/percpu.h>
#include <arch/smp.h>
#include <kern/bootinfo.h>
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/mm.h>
#include <kern/slab.h>
#include <kern/tlbtag.h>

#define ENTRIES 512

/* User space in each CPU's CR3 (NULL: the kernel's tables). Written only
 * by that CPU with interrupts off. */
static struct vm_space *loaded[MAX_CPUS];
/* CPUs running idle or a kernel thread on the user space they loaded last
 * (vm_space_lazy): the next switch back to that space loads nothing. */
static bool lazy[MAX_CPUS];

#define CR3_NOFLUSH (1ull << 63)
#define CR4_PCIDE   (1ul << 17)
#define CPUID1_PCID (1u << 17)
bool pcid_enabled;
static uint64_t next_space_id = 1;
static struct tlbtag_cpu pcids[MAX_CPUS];

/* Every CPU, with its CR3 still untagged (PCIDE needs CR3[11:0] = 0).
 * The boot CPU decides for all. */
void pcid_init_cpu(void)
{
	static bool chosen;
	if (!chosen) {
		uint32_t a, b, c, d;
		cpuid(1, 0, &a, &b, &c, &d);
		pcid_enabled = (c & CPUID1_PCID) &&
			       !bootinfo_cmdline_has(&boot_info, "nopcid");
		chosen = true;
	}
	if (pcid_enabled)
		write_cr4(read_cr4() | CR4_PCIDE);
}

/* CR3 value for user space s on this CPU: its PCID, and the no-flush bit
 * when this CPU's entries under that PCID are still good. After the
 * active_cpus OR (vm_space_activate). */
static uint64_t pcid_cr3(struct vm_space *s, unsigned cpu)
{
	bool flush;
	uint64_t gen = __atomic_load_n(&s->tlb_gen, __ATOMIC_SEQ_CST);
	unsigned tag = tlbtag_pick(&pcids[cpu], s->id, gen, &flush);
	return s->root | tag | (flush ? 0 : CR3_NOFLUSH);
}

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
	s->tlb_gen = 0;
	s->id = __atomic_fetch_add(&next_space_id, 1, __ATOMIC_RELAXED);
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
	lazy[id] = false;
	if (old != s) {
		if (s)
			__atomic_fetch_or(&s->active_cpus, 1ull << id,
					  __ATOMIC_SEQ_CST);
		loaded[id] = s;
		if (!pcid_enabled)
			write_cr3(s ? s->root : vm_kernel_root());
		else if (s)
			write_cr3(pcid_cr3(s, id));
		else /* PCID 0: kernel entries are global or flushed on all
		      * PCIDs (paging.c tlb_shootdown) */
			write_cr3(vm_kernel_root() | CR3_NOFLUSH);
		if (old)
			__atomic_fetch_and(&old->active_cpus, ~(1ull << id),
					   __ATOMIC_SEQ_CST);
	}
	arch_irq_restore(irq);
}

/* Lazy TLB (docs/smp.md "Lazy TLB"): idle and kernel threads touch no user
 * memory, so they run on whatever user space is loaded. Under QEMU's TCG
 * every CR3 load flushes its whole software TLB, and a device interrupt
 * waking a driver from idle would otherwise pay two CR3 loads (to the
 * kernel's tables and back). The CPU stays in the space's active_cpus:
 * destroying it still reaches us (drop_space), and the first shootdown
 * that reaches a lazy CPU makes it leave the space (vm_space_leave_lazy)
 * instead of flushing, so it is asked at most once. */
void vm_space_lazy(void)
{
	unsigned long irq = arch_irq_save();
	unsigned id = this_cpu()->id;
	if (loaded[id])
		lazy[id] = true;
	arch_irq_restore(irq);
}

/* The TLB shootdown's handler, interrupts off: true when this CPU was lazy
 * and has now moved to the kernel's tables (nothing left to flush). */
bool vm_space_leave_lazy(void)
{
	unsigned id = this_cpu()->id;
	if (!lazy[id])
		return false;
	vm_space_activate(NULL);
	return true;
}

/* Cross-call target: drop the space if this CPU still has it loaded (a
 * CPU running idle or a kernel thread on it, see above). */
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
	 * global) TLB entries; with PCID they may stay cached under the
	 * space's tag, which is only ever loaded again with a flush (ids are
	 * not reused). So the tables can go at once. */
	uint64_t *pml4 = phys_to_virt(s->root);
	for (unsigned i = 0; i < ENTRIES / 2; i++)
		if (pml4[i] & PTE_P)
			free_tree(pml4[i] & PTE_ADDR, 2);
	vm_table_free(s->root);
	kfree(s);
}
