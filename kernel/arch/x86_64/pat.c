/* Memory types of mappings: the PAT MSR and the PTE bits that pick an
 * entry of it. At reset the PAT is WB, WT, UC-, UC (twice); the kernel maps
 * RAM WB (index 0) and device registers UC (index 3), and index 1 becomes
 * WC for framebuffers mapped through SYS_VMO_CREATE_PHYS. Every CPU must
 * hold the same PAT (the SDM requires it and mappings are shared), so
 * each loads it while it enables its protection bits, before it runs any
 * user thread. Nothing maps with index 1 before that: no cached line or TLB
 * entry can carry the old WT meaning. */
#include <arch/cpu.h>
#include <arch/paging.h>
#include <kern/vm.h>

bool pat_enabled;

void pat_init_cpu(void)
{
	if (!cpu_features.pat)
		return;
	wrmsr(MSR_PAT, PAT_VALUE);
	pat_enabled = true; /* all CPUs alike: the BSP's answer is theirs */
}

uint64_t pat_cache_bits(unsigned vm_flags)
{
	if (vm_flags & VM_UNCACHED)
		return PTE_PCD | PTE_PWT; /* index 3: UC */
	if (vm_flags & VM_WC)		  /* index 1: WC; without a PAT, UC */
		return pat_enabled ? PTE_PWT : PTE_PCD | PTE_PWT;
	return 0; /* index 0: WB */
}

unsigned arch_vm_cache_flags(enum vm_cache c)
{
	switch (c) {
	case VM_CACHE_UC:
		return VM_UNCACHED;
	case VM_CACHE_WC:
		/* Without a PAT, PWT alone would mean write-through: UC is
		 * the safe stand-in for device memory. */
		return pat_enabled ? VM_WC : VM_UNCACHED;
	default:
		return 0;
	}
}
