/* x86_64 4-level paging: entry bits, the address-space object, TLB
 * shootdown and the per-CPU protection bits. The portable API is in
 * kern/vm.h. */
#pragma once
#include <kern/spinlock.h>
#include <kern/types.h>
#include <kern/vm.h>

#define PTE_P	 (1ull << 0)
#define PTE_W	 (1ull << 1)
#define PTE_U	 (1ull << 2)
#define PTE_PWT	 (1ull << 3)
#define PTE_PCD	 (1ull << 4)
#define PTE_A	 (1ull << 5)
#define PTE_D	 (1ull << 6)
#define PTE_PS	 (1ull << 7) /* in a PDE: 2 MiB leaf */
#define PTE_G	 (1ull << 8)
#define PTE_NX	 (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

/* #PF error code bits. */
#define PF_P	(1u << 0) /* protection violation (else not present) */
#define PF_W	(1u << 1)
#define PF_U	(1u << 2)
#define PF_RSVD (1u << 3)
#define PF_I	(1u << 4) /* instruction fetch */

#define VM_USER_TOP 0x0000800000000000ull /* first non-canonical address */

/* Error codes of vm_map/vm_unmap/vm_protect (kern/vm.h). */
#define VM_EINVAL (-1) /* bad argument, W+X, already mapped / not mapped */
#define VM_ENOMEM (-2) /* no frame for a page table */

/* One page-table tree. Every change happens under `lock`. */
struct vm_space {
	phys_addr_t root; /* PML4 */
	spinlock_t lock;
	/* User spaces only (uspace.c): page-table pages of this tree, PML4
	 * included (for quota charging), and the CPUs that have it in CR3
	 * (bit = CPU id; set before the CR3 load, cleared after the switch
	 * away: a superset of the CPUs that may use its translations now).
	 * With PCID a CPU also keeps translations of spaces it ran before,
	 * tagged: `id` (never reused) names the space in its per-CPU PCID
	 * slots, and `tlb_gen` counts the shootdowns, so a CPU coming back
	 * flushes the tag if any happened since it last loaded the space
	 * (uspace.c, docs/memory.md "PCID"). */
	uint64_t tables;
	uint64_t active_cpus;
	uint64_t id, tlb_gen;
};

/* CR4.PCIDE is on (CPUID has PCID and no "nopcid" on the command line):
 * user spaces get per-CPU PCIDs and switching CR3 does not flush. */
extern bool pcid_enabled;
void pcid_init_cpu(void);

/* The page attribute table (pat.c). PCD/PWT of a 4 KiB PTE or 2 MiB PDE
 * (PAT bit clear) select PAT entries 0-3: 0 WB and 3 UC as at reset, 1 WC
 * instead of WT (nothing used WT), 2 UC- as at reset. */
#define MSR_PAT	  0x277
#define PAT_VALUE 0x0007040600070106ull /* PA7..PA0: UC WT UC- WB UC UC- WC WB */
/* Loads PAT_VALUE into this CPU's PAT (every CPU, at start-up). */
void pat_init_cpu(void);
/* Whether the PAT holds PAT_VALUE (the CPU has a PAT). */
extern bool pat_enabled;
/* The PCD/PWT bits for the cache flags of VM_* flags. */
uint64_t pat_cache_bits(unsigned vm_flags);

/* Physical address of the kernel PML4 (below 4 GiB, so 32-bit AP start-up
 * code can load it into CR3). 0 before arch_mm_init(). */
phys_addr_t vm_kernel_root(void);

/* Invalidates [va, va + size) in this CPU's TLB and paging-structure
 * caches (invlpg per page, or a full flush for large ranges). */
void tlb_flush_local(virt_addr_t va, size_t size);
/* Everything, global pages included, under every PCID. */
void tlb_flush_all_local(void);
/* What a shootdown of a user space (user) or of kernel_space needs here. */
void tlb_flush_space_local(bool user, virt_addr_t va, size_t size);

/* Invalidates [va, va + size) of space s on every CPU that may cache its
 * translations: all online CPUs for kernel_space (global pages), only the
 * CPUs in s->active_cpus for a user space (this one included if it has s
 * loaded). The caller has already changed the entries; docs/smp.md
 * "TLB shootdown" has the protocol and why a CPU that loads s concurrently
 * needs no flush.
 *
 * Contract for tlb_remote_flush (installed by the SMP code, NULL while only
 * one CPU runs): it must make every online CPU of `cpus` (never the
 * caller's; `user`: s is not kernel_space) invalidate the range (invlpg or a
 * full flush, which also drops paging-structure caches) and return only once
 * all of them have done so. It is called with interrupts off and no page-table
 * lock held; callers of vm_unmap/vm_protect must therefore not hold spinlocks
 * that a target CPU could be spinning on with interrupts off (the hook keeps
 * servicing incoming cross-calls while it waits). Page-table frames freed by an
 * unmap go back to the allocator only after the shootdown returns. */
void tlb_shootdown(struct vm_space *s, virt_addr_t va, size_t size);
extern void (*tlb_remote_flush)(uint64_t cpus, bool user, virt_addr_t va,
				size_t size);

/* Sets EFER.NXE, CR0.WP and, when cpu_features reports them, CR4.PGE, SMEP,
 * SMAP and UMIP on the calling CPU. Every CPU runs it once (APs too: the
 * kernel tables carry NX bits, so an AP must set EFER.NXE before loading
 * vm_kernel_root() into CR3). */
void cpu_enable_protection(void);

/* Number of page-table pages currently allocated (all spaces). */
uint64_t vm_table_pages(void);

/* paging.c internals shared with mm_init.c and uspace.c: one zeroed
 * page-table page (counted in vm_table_pages), and its release. */
phys_addr_t vm_table_alloc(void);
void vm_table_free(phys_addr_t pa);
/* paging.c internals shared with mm_init.c. */
int vm_kernel_space_init(phys_addr_t table_limit);
void vm_set_table_limit(phys_addr_t limit);
extern bool vm_nx_enabled;
